"""The documentation builds as documented (``make -C docs html``): offline, no warnings (sphinx -W), the
gallery executed, from a copy of docs/ and examples/.

tests/test_examples.py also runs every example on its own (a fresh process, files only in
SIGNALSPACE_OUT); here sphinx-gallery runs them block by block in one process, as the site is built.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

for _module in ("sphinx", "sphinx_gallery", "numpydoc", "pydata_sphinx_theme"):
    pytest.importorskip(_module, reason="the docs extra is not installed (pip install -e '.[docs]')")


def test_docs_build_without_warnings(tmp_path):
    generated = ("_build", "generated", "auto_examples", "sg_execution_times.rst")
    shutil.copytree(REPO / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns(*generated))
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    out = tmp_path / "html"
    env = dict(os.environ, MPLBACKEND="Agg", SIGNALSPACE_OUT=str(tmp_path / "example_output"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(tmp_path / "docs"), str(out)],
        capture_output=True, text=True, env=env, timeout=1200, check=False,
    )
    assert result.returncode == 0, f"sphinx failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    for page in ("index", "getting_started", "concepts", "adapters", "api", "cli", "architecture", "engines",
                 "auto_examples/index"):
        assert (out / f"{page}.html").is_file(), f"{page}.html was not built"
    signal_page = (out / "generated" / "signalspace.Signal.html").read_text(encoding="utf-8")
    assert "from_xarray" in signal_page and "Examples" in signal_page  # members and numpydoc sections rendered
    examples = sorted((REPO / "examples").rglob("plot_*.py"))
    for script in examples:  # every example has its gallery page, with the figures it made when it ran
        rel = script.relative_to(REPO / "examples").with_suffix(".html")
        assert (out / "auto_examples" / rel).is_file(), f"no gallery page for {rel}"
        figures = list((out / "_images").glob(f"sphx_glr_{script.stem}_0*.png"))
        assert figures, f"the gallery did not run {rel}: no sphx_glr_{script.stem}_*.png"
