#!/usr/bin/env python3
"""Set up and run signalspace on a fresh machine with nothing but Python >= 3.11.

    python3 dev.py demo     # the headline gallery example: figures and sounds in ./out
    python3 dev.py test     # ruff, then the whole test suite (what CI runs)
    python3 dev.py setup    # only create/refresh .venv

Extra arguments after ``test`` go to pytest (e.g. ``python3 dev.py test -k conv -x``).

Each command first makes ``.venv`` (if missing or if pyproject.toml changed)
and installs signalspace into it, editable, with the extras it needs (pip
needs to reach PyPI the first time).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".signalspace-installed"
EXTRAS = "test,dask,zarr,docs"
HEADLINE = ROOT / "examples" / "audio" / "plot_listening_to_convolutions.py"
OUT = ROOT / "out"


def run(*args: str | Path, **kwargs) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def ensure_venv() -> None:
    """Create .venv and install the package unless the installed one is current."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (PYTHON.exists() and _has_pip()):
        _create_venv()
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{EXTRAS}]")
    STAMP.write_text(wanted)


def _has_pip() -> bool:
    return subprocess.run([str(PYTHON), "-m", "pip", "--version"], capture_output=True).returncode == 0


def _create_venv() -> None:
    """Create .venv with pip; on failure remove it again and say what to install, so no broken .venv stays."""
    shutil.rmtree(VENV, ignore_errors=True)
    try:
        venv.EnvBuilder(with_pip=True).create(VENV)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(VENV, ignore_errors=True)
        detail = getattr(exc, "output", None) or exc
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        sys.exit(
            f"could not create a virtual environment with pip ({detail}).\n"
            "On Debian/Ubuntu install the venv module first, e.g. `apt install python3-venv`, then run again."
        )


def demo() -> None:
    OUT.mkdir(exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg", SIGNALSPACE_OUT=str(OUT))
    run(PYTHON, HEADLINE, env=env)
    print(f"figures and sounds are in {OUT}")


def test(extra: list[str]) -> None:
    env = dict(os.environ, MPLBACKEND="Agg")
    linted = ("signalspace", "tests", "examples", "benchmarks", "dev.py", "conftest.py")
    run(PYTHON, "-m", "ruff", "check", *linted, env=env)
    run(PYTHON, "-m", "pytest", *extra, env=env)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "test", "setup"}:
        sys.exit(__doc__)
    ensure_venv()
    if argv[0] == "demo":
        demo()
    elif argv[0] == "test":
        test(argv[1:])


if __name__ == "__main__":
    if sys.version_info[:2] < (3, 11):  # noqa: UP036 - the one place this check means something
        sys.exit(f"signalspace needs Python >= 3.11; this is {sys.version.split()[0]}")
    try:
        main(sys.argv[1:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)
