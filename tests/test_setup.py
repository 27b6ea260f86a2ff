"""The set-up promises of the README: pinned trio, one set of pins, no import side effects."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("- ").strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.\-]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_torch_trio_is_pinned_to_the_matching_set():
    pins = _pins((ROOT / "requirements.txt").read_text().splitlines())
    assert (pins["torch"], pins["torchvision"], pins["torchaudio"]) == ("2.11.0", "0.26.0", "2.11.0"), \
        "torch 2.11.0 / torchvision 0.26.0 / torchaudio 2.11.0 are the matching set (shared/ASSETS.md)"


def test_every_requirement_is_pinned_and_environment_yml_has_the_same_pins():
    req_lines = [l.split("#")[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    req_lines = [l for l in req_lines if l]
    req = _pins(req_lines)
    assert len(req) == len(req_lines), "every line of requirements.txt is an exact '==' pin"
    env = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert env == req, "environment.yml pins exactly what requirements.txt pins"


def test_importing_the_package_prints_nothing_and_touches_no_cache(tmp_path):
    env = dict(os.environ, COURSE_CACHE_DIR=str(tmp_path / "cache"))
    code = "import course_lib, course_lib.data, course_lib.speech, course_lib.recipes, course_lib.viz"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "", "importing course_lib prints nothing"
    assert not (tmp_path / "cache").exists(), "importing course_lib creates no cache folder"


def test_the_readme_shows_the_two_commands_and_ci_calls_make_test():
    readme = (ROOT / "README.md").read_text()
    assert "make course" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_docs_data_cards_match_the_registry():
    from course_lib import data

    assert (ROOT / "docs" / "data_cards.md").read_text() == data.cards_markdown(), \
        "docs/data_cards.md is stale: run python data_scripts/build_data.py --cards"


def test_make_test_runs_the_solved_notebooks_with_strict_checks():
    import shutil

    import pytest

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    solve = [i for i, l in enumerate(lines) if "solve_notebooks.py" in l]
    strict = [i for i, l in enumerate(lines) if "COURSE_STRICT_CHECKS=1" in l and "build/solved" in l]
    nbval = [i for i, l in enumerate(lines) if "--nbval-lax" in l and "notebooks" in l]
    assert solve and strict and nbval, "make test builds the solved copies and runs them with strict checks"
    assert nbval[0] < solve[0] < strict[0], "unit tests and nbval first, then the solutions"


def test_conventions_document_the_exercise_mechanism_and_the_spread():
    text = (ROOT / "docs" / "CONVENTIONS.md").read_text()
    for phrase in ("# ANSWER NN.k", "# %% NN.k", "COURSE_STRICT_CHECKS=1", "ddof=1", "NBVAL_CHECK_OUTPUT"):
        assert phrase in text, f"docs/CONVENTIONS.md explains {phrase}"
