"""Every gallery example runs on its own, with the Agg backend, and writes its figures.

Examples follow one convention: files and figures go to the folder named by the
``SIGNALSPACE_OUT`` environment variable.  Each example runs in a fresh Python
process (as a user or ``signalspace gallery`` runs it), one test per file.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.rglob("plot_*.py"))
FIGURE_SUFFIXES = {".png", ".svg", ".pdf", ".jpg", ".jpeg"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.relative_to(EXAMPLES).as_posix() for p in SCRIPTS])
def test_example_runs_and_writes_figures(script, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, MPLBACKEND="Agg", SIGNALSPACE_OUT=str(out))
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    written = [p for p in out.rglob("*") if p.is_file()]
    figures = [p for p in written if p.suffix.lower() in FIGURE_SUFFIXES]
    assert figures, f"{script.name} wrote no figure into SIGNALSPACE_OUT; it wrote {[p.name for p in written]}"
    for figure in figures:
        assert figure.stat().st_size > 0, f"{figure.name} is empty"
    stray = sorted(p.name for p in tmp_path.iterdir() if p.name != "out")
    assert not stray, f"{script.name} wrote files outside SIGNALSPACE_OUT: {stray}"


def test_every_example_section_has_a_gallery_header():
    """sphinx-gallery silently drops a section folder without README.txt/GALLERY_HEADER.rst."""
    headers = ("README.txt", "README.rst", "GALLERY_HEADER.rst", "GALLERY_HEADER.txt")
    for folder in sorted({p.parent for p in SCRIPTS} | {EXAMPLES}):
        if folder.is_dir():
            assert any((folder / h).exists() for h in headers), f"{folder} has no README.txt section header"
