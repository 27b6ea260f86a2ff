"""Sphinx configuration of the course website (``make site``; see data_scripts/build_site.py).

The build script copies this file into the assembled source folder, beside the README (index.md),
the executed notebooks, the docs and the API pages. Everything needed is installed from PyPI:
MyST-NB reads the notebooks with their stored outputs (no execution), MathJax 3 is served from the
site itself (copied from the ``django-static-mathjax`` wheel), and nothing is fetched at build time or
when a page is opened.
"""
project = "Transfer Learning for Clustering and Cross-Modal Retrieval"
author = "the course authors"
copyright = "the course authors (MIT)"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]

# notebooks: render the outputs stored by `make course`, never execute them again
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
# `$$...$$` inside a paragraph is display maths in Jupyter; without this MyST leaves the dollars as text
myst_dmath_double_inline = True
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # notebooks may start below level 1 or skip a level
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# API reference from the numpydoc docstrings of course_lib
# scikit-learn adds set_*_request methods to every estimator (metadata routing): not course API
autodoc_default_options = {"members": True, "show-inheritance": True,
                           "exclude-members": "set_fit_request,set_predict_request,set_score_request,"
                                              "set_transform_request,set_partial_fit_request,set_output"}
autodoc_inherit_docstrings = False  # torch's own docstrings (e.g. autograd.Function.forward) are not ours
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings state the types and shapes
napoleon_google_docstring = False
napoleon_numpy_docstring = True

# maths: MathJax 3 (SVG output, one self-contained file) from _static, not a CDN
mathjax_path = "mathjax/tex-svg.js"
mathjax3_config = {"tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]}}

html_theme = "sphinx_book_theme"
html_title = "Transfer learning for clustering and cross-modal retrieval"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # written by build_site.py; without one the browser asks for /favicon.ico
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
html_copy_source = False
# light/dark follows the reader's system; without a default the theme logs a console error on first visit
html_context = {"default_mode": "auto"}
