# Transfer Learning for Clustering and Cross-Modal Retrieval: the two commands.
#   make course   create .venv, build the cached data, run every notebook headless
#   make test     create .venv if needed, run the unit tests and nbval on every notebook, then the
#                 solved copies of the notebooks with strict checks (every stored solution passes)
#   make solutions  build notebooks with solutions/NN.py swapped into their answer cells (build/solved)
#                 and run them with COURSE_STRICT_CHECKS=1
#   make lab      open JupyterLab in the environment
#   make site     the course as a static website (build/site/html/index.html) from the notebooks executed
#                 by make course (stored outputs where build/notebooks lacks one); builds offline
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: course test unit nbval solutions lab site data clean-build help

help:
	@echo "make course | make test | make lab | make site | make data | make unit | make nbval | make solutions"

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required; set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	# aisfx (a sound-effects audio encoder that ships its weights) pins old numpy/scipy/librosa; it works with ours
	$(PY) -m pip install --quiet --no-deps aisfx==0.1.2
	touch $(STAMP)

venv: $(STAMP)

data: $(STAMP)
	$(PY) data_scripts/build_data.py

course: data
	$(PY) data_scripts/run_notebooks.py notebooks/*.ipynb --out build/notebooks

unit: $(STAMP)
	$(PY) -m pytest tests course_lib --doctest-modules -q

nbval: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:cacheprovider notebooks -q

solutions: $(STAMP)
	rm -rf build/solved
	$(PY) data_scripts/solve_notebooks.py notebooks/*.ipynb --solutions solutions --out build/solved
	COURSE_STRICT_CHECKS=1 $(PY) data_scripts/run_notebooks.py build/solved/*.ipynb --out build/solved/executed

test: $(STAMP)
	$(PY) -m pytest tests course_lib --doctest-modules -q
	$(PY) -m pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=600 -p no:cacheprovider notebooks -q
	$(MAKE) --no-print-directory solutions

# JupyterLab refuses to run as root (a container, a lab machine) without --allow-root; serve on loopback only.
LAB_FLAGS := --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) notebooks

# README as landing page, notebooks in course order (no execution), data cards, API reference (Sphinx + MyST-NB)
site: $(STAMP)
	MPLBACKEND=Agg $(PY) data_scripts/build_site.py --executed build/notebooks --out build/site

clean-build:
	rm -rf build
