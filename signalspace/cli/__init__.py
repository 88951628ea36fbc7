"""The ``signalspace`` command (also ``python -m signalspace``): one module per subcommand.

Subcommands
-----------
``signalspace info FILE``
    Read a file with the adapter that claims it (:func:`signalspace.load`) and
    print its domain, axes, channels, duration (audio) and size
    (:mod:`signalspace.cli.info`).
``signalspace gallery [--list] [--run NAME|all] [--out DIR] [--examples DIR]``
    List the gallery examples (``examples/<section>/plot_*.py``) or run one or
    all of them, each in its own Python process with ``MPLBACKEND=Agg`` and
    ``SIGNALSPACE_OUT=DIR``; the figures each example leaves open are also
    saved in ``DIR`` as ``<example>_figNN.png`` (:mod:`signalspace.cli.gallery`).
``signalspace notes FILE [--csv OUT] [--plot OUT.png] [--chunks FRAMES] [--progress] [--scheduler ADDRESS]``
    The notes of an audio file, per channel; ``--chunks`` reads long files
    lazily, ``--progress`` draws a progress bar on stderr and ``--scheduler``
    computes on a ``dask.distributed`` cluster (:mod:`signalspace.cli.notes`).

A subcommand is a module with ``add_parser(subparsers)``: an ``argparse``
sub-parser whose defaults hold ``func``, a callable taking the parsed
arguments and returning the exit code (``None`` means 0).  Errors signalspace
raises on bad input are printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from .._errors import SignalspaceError
from . import gallery, info, notes
from .gallery import EXAMPLES_ENV, OUT_ENV, default_examples_dir, find_examples, run_example

__all__ = [
    "EXAMPLES_ENV", "OUT_ENV", "build_parser", "default_examples_dir", "find_examples", "main", "run_example",
]

#: The subcommands, in the order ``--help`` lists them.
COMMANDS = (info, gallery, notes)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``signalspace`` command (subcommands included)."""
    parser = argparse.ArgumentParser(
        prog="signalspace", description="Signals on any domain: inspect files, run the gallery, find notes."
    )
    parser.add_argument("--version", action="version", version=f"signalspace {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
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
