"""Sphinx configuration of the signalspace documentation.

Build it with ``make -C docs html`` (or ``python -m sphinx -W -b html docs docs/_build/html``).
Everything is offline: no intersphinx, no remote images, the gallery examples synthesize their
data or use the images scikit-image ships.  ``-D plot_gallery=0`` skips running the examples
(tests/test_docs.py builds with the gallery executed; tests/test_examples.py also runs each example on its own).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import signalspace  # noqa: E402

# Examples write their files (WAVs, figures) to $SIGNALSPACE_OUT: keep them inside the build folder.
_out = HERE / "_build" / "example_output"
_out.mkdir(parents=True, exist_ok=True)
os.environ.setdefault("SIGNALSPACE_OUT", str(_out))

project = "signalspace"
author = "the signalspace developers"
copyright = "2025, the signalspace developers"
release = signalspace.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "matplotlib.sphinxext.plot_directive",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "py:obj"

# -- API reference -------------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc shows the types written in the docstrings
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Pictures in the pages (matplotlib's plot directive: the code runs at build time, offline) ----------
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

# -- Gallery --------------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "plot_gallery": "True",  # override with -D plot_gallery=0
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
    "min_reported_time": 5,
}

# -- HTML ------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"signalspace {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
