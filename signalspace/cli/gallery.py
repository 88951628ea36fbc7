"""``signalspace gallery [--list] [--run NAME|all] [--out DIR] [--examples DIR]``: list or run the examples.

The gallery examples are ``examples/<section>/plot_*.py``; each one runs in its
own Python process with ``MPLBACKEND=Agg`` and ``SIGNALSPACE_OUT=DIR``, and the
figures it leaves open are saved in ``DIR`` as ``<example>_figNN.png``.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .._errors import UnknownNameError

__all__ = ["EXAMPLES_ENV", "OUT_ENV", "add_parser", "default_examples_dir", "find_examples", "run_example"]

#: Environment variable naming the folder examples write their files to.
OUT_ENV = "SIGNALSPACE_OUT"
#: Environment variable naming the examples folder (overridden by ``--examples``).
EXAMPLES_ENV = "SIGNALSPACE_EXAMPLES"

_RUNNER = """\
import os, runpy, sys
import matplotlib
matplotlib.use("Agg")
path, out, stem = sys.argv[1], sys.argv[2], sys.argv[3]
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
import matplotlib.pyplot as plt
for k, num in enumerate(plt.get_fignums(), 1):
    plt.figure(num).savefig(os.path.join(out, f"{stem}_fig{k:02d}.png"), dpi=72)
    plt.close(num)
"""


def default_examples_dir() -> Path:
    """The gallery folder: ``$SIGNALSPACE_EXAMPLES``, else ``examples/`` beside the package (a source checkout)."""
    env = os.environ.get(EXAMPLES_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "examples"


def find_examples(root: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """The gallery examples under ``root``: ``"section/plot_name"`` → path, sorted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "images").mkdir()
    >>> _ = (root / "images" / "plot_edges.py").write_text("'''Edges'''")
    >>> list(find_examples(root))
    ['images/plot_edges']
    """
    base = Path(default_examples_dir() if root is None else root)
    if not base.is_dir():
        raise UnknownNameError(
            f"examples folder {str(base)!r} does not exist; pass --examples DIR (or set ${EXAMPLES_ENV})"
        )
    found = {}
    for path in sorted(base.rglob("plot_*.py")):
        key = path.relative_to(base).with_suffix("").as_posix()
        found[key] = path
    return found


def example_title(path: Path) -> str:
    """First line of an example's docstring (its RST title)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        return "(does not parse)"
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _select(examples: dict[str, Path], name: str) -> dict[str, Path]:
    if name == "all":
        return examples
    matches = {
        key: path
        for key, path in examples.items()
        if name in (key, path.stem, path.stem.removeprefix("plot_"), key.removesuffix(".py"))
    }
    if not matches:
        raise UnknownNameError(f"no example named {name!r}; examples are: {', '.join(examples) or 'none'}")
    return matches


def run_example(path: str | os.PathLike[str], out: str | os.PathLike[str], *, timeout: float = 600.0):
    """Run one example in a fresh Python process; return the ``CompletedProcess``.

    The process runs in ``out`` with ``MPLBACKEND=Agg`` and
    ``SIGNALSPACE_OUT=out``; figures left open are saved there as
    ``<stem>_figNN.png``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from signalspace.cli import run_example
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> script = folder / "plot_hello.py"
    >>> _ = script.write_text("print('hello from an example')")
    >>> run_example(script, folder / "out").stdout.strip()
    'hello from an example'
    """
    path = Path(path).resolve()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg", **{OUT_ENV: str(out)})
    return subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path), str(out), path.stem],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def gallery_command(args: argparse.Namespace) -> int:
    examples = find_examples(args.examples)
    if args.run is None:
        width = max((len(k) for k in examples), default=0)
        for key, path in examples.items():
            print(f"{key:<{width}}  {example_title(path)}")
        if not examples:
            print(f"no examples found in {args.examples or default_examples_dir()}")
        return 0
    selected = _select(examples, args.run)
    out = Path(args.out).resolve()
    print(f"writing figures into {out}")
    failures = 0
    for key, path in selected.items():
        start = time.perf_counter()
        result = run_example(path, out, timeout=args.timeout)
        elapsed = time.perf_counter() - start
        status = "ok" if result.returncode == 0 else f"FAILED (exit code {result.returncode})"
        print(f"{key}: {status} in {elapsed:.1f} s")
        if result.returncode != 0:
            failures += 1
            sys.stderr.write(result.stdout[-2000:] + result.stderr[-4000:])
    return 1 if failures else 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``gallery`` sub-command to an ``argparse`` sub-parsers object; returns its parser."""
    gallery = subparsers.add_parser("gallery", help="list or run the gallery examples")
    gallery.add_argument("--list", action="store_true", help="list the examples (the default)")
    gallery.add_argument(
        "--run", metavar="NAME", help="run one example (name, plot_name or section/plot_name) or 'all'"
    )
    gallery.add_argument("--out", default="signalspace-gallery", help="folder for figures and files (created)")
    gallery.add_argument("--examples", default=None, help="examples folder (default: the source checkout's)")
    gallery.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per example")
    gallery.set_defaults(func=gallery_command)
    return gallery
