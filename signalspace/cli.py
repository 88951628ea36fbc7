"""The ``signalspace`` command.

Subcommands
-----------
``signalspace info FILE``
    Read a file with the adapter that claims it (:func:`signalspace.load`) and
    print its domain, axes, channels, duration (audio) and size.
``signalspace gallery [--list] [--run NAME|all] [--out DIR] [--examples DIR]``
    List the gallery examples (``examples/<section>/plot_*.py``) or run one or
    all of them, each in its own Python process with ``MPLBACKEND=Agg`` and
    ``SIGNALSPACE_OUT=DIR``; the figures each example leaves open are also
    saved in ``DIR`` as ``<example>_figNN.png``.
``signalspace notes FILE [--csv OUT] [--plot OUT.png] [--chunks FRAMES] [--progress] [--scheduler ADDRESS]``
    Added by :mod:`signalspace.analysis.cli_notes` when it is installed: the
    notes of an audio file, per channel; ``--chunks`` reads long files lazily,
    ``--progress`` draws a progress bar on stderr and ``--scheduler`` computes
    on a ``dask.distributed`` cluster.

A subcommand is an ``argparse`` sub-parser whose defaults hold ``func``: a
callable taking the parsed arguments and returning the exit code (``None``
means 0).  Errors signalspace raises on bad input are printed as one line on
stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._errors import SignalspaceError, UnknownNameError

__all__ = ["find_examples", "main", "run_example"]

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


# --------------------------------------------------------------------------- examples
def default_examples_dir() -> Path:
    """The gallery folder: ``$SIGNALSPACE_EXAMPLES``, else ``examples/`` beside the package (a source checkout)."""
    env = os.environ.get(EXAMPLES_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "examples"


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


# --------------------------------------------------------------------------- commands
def _cmd_info(args: argparse.Namespace) -> int:
    from .domains.registry import load

    signal = load(args.file)
    domain, channels = signal.domain, signal.channels
    print(f"file:     {args.file}")
    print(f"kind:     {domain.kind}")
    print(f"domain:   {domain!r}")
    for axis in domain.axes:
        lo, hi = axis.extent
        unit = f" {axis.unit}" if axis.unit else ""
        line = f"  {axis.name}: {axis.size} samples, step {axis.step:g}{unit}, from {lo:g} to {hi:g}{unit}"
        if axis.unit == "s" and axis.step > 0:
            line += f" (sample rate {1 / axis.step:g} Hz)"
        print(line)
    layout = f", layout {channels.layout}" if channels.layout else ""
    print(f"channels: {len(channels)} {list(channels.names)}{layout}")
    for key, values in channels.coords.items():
        unit = channels.units.get(key, "")
        print(f"  {key}: {list(values)} {unit}".rstrip())
    if domain.kind == "audio" or (domain.ndim == 1 and domain.axes[0].unit == "s"):
        axis = domain.axes[0]
        print(f"duration: {axis.size * abs(axis.step):.6g} s")
    shape = " × ".join(str(n) for n in signal.shape)
    nbytes = signal.domain.size * signal.nchannels * signal.dtype.itemsize
    print(f"size:     {shape} = {signal.domain.size * signal.nchannels} values, {signal.dtype}, {nbytes} bytes")
    return 0


def _cmd_gallery(args: argparse.Namespace) -> int:
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``signalspace`` command (subcommands included)."""
    parser = argparse.ArgumentParser(
        prog="signalspace", description="Signals on any domain: inspect files and run the gallery."
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"signalspace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = sub.add_parser("info", help="print a file's domain, channels, duration or size")
    info.add_argument("file", help="a file an adapter can read (WAV, FLAC, OGG, PNG...)")
    info.set_defaults(func=_cmd_info)

    gallery = sub.add_parser("gallery", help="list or run the gallery examples")
    gallery.add_argument("--list", action="store_true", help="list the examples (the default)")
    gallery.add_argument(
        "--run", metavar="NAME", help="run one example (name, plot_name or section/plot_name) or 'all'"
    )
    gallery.add_argument("--out", default="signalspace-gallery", help="folder for figures and files (created)")
    gallery.add_argument("--examples", default=None, help="examples folder (default: the source checkout's)")
    gallery.add_argument("--timeout", type=float, default=600.0, help="seconds allowed per example")
    gallery.set_defaults(func=_cmd_gallery)

    try:
        from .analysis.cli_notes import add_notes_parser
    except ModuleNotFoundError as exc:
        if exc.name not in ("signalspace.analysis", "signalspace.analysis.cli_notes"):
            raise
    else:
        add_notes_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``signalspace`` command; returns the exit code.

    Examples
    --------
    >>> from signalspace.cli import main
    >>> main(["gallery", "--examples", "/nonexistent"])  # the message goes to stderr
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        code = func(args)
    except SignalspaceError as exc:
        print(f"signalspace: {exc}", file=sys.stderr)
        return 2
    return 0 if code is None else int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
