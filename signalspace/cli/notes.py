"""``signalspace notes FILE [--csv OUT] [--plot OUT.png] [--per-channel] [--fmin NOTE] [--keys N] [--chunks N] ...``.

Prints the notes of an audio file (of its mix, or of each channel with
``--per-channel``) and the range of keys searched:
by default A0 up to C8, or up to the highest key below 0.45 times the sample
rate (A7 at 8 kHz); ``--fmin`` and ``--keys`` choose them.  With no option the file is
read whole.  ``--chunks``, ``--progress`` or ``--scheduler`` read it lazily
(:func:`signalspace.audio.load` with ``chunks``; :data:`DEFAULT_CHUNKS` frames
per chunk unless ``--chunks`` says otherwise) and compute the piano roll chunk
by chunk (:func:`signalspace.analysis.piano_roll`), so files longer than
memory work; ``--progress`` draws a progress bar on standard error while it
is computed (:func:`signalspace.parallel.progress`), and ``--scheduler
tcp://host:port`` computes it on an existing ``dask.distributed`` cluster
(the workers must see the file under the same path).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._errors import ClusterError, FileFormatError, InvalidParameterError, require
from .._io import atomic_path
from .._validation import finite_float
from ..analysis.notes import NoteTable
from ..analysis.transcription import DetectionParams, transcribe
from ..domains.audio import load
from ..parallel import progress as progress_bar
from ..plot import plot

__all__ = ["DEFAULT_CHUNKS", "add_parser", "notes_command"]

#: Frames per chunk when ``--progress`` or ``--scheduler`` is given without ``--chunks`` (about 48 s at 22.05 kHz).
DEFAULT_CHUNKS = 2**20


def _positive_int(what: str):
    """An argparse type: a positive integer, with an error that says what it counts."""

    def parse(text: str) -> int:
        expected = f"expected a number of {what} (a positive integer)"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{expected}, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{expected}, got {value}")
        return value

    return parse


_frames = _positive_int("frames")
_keys = _positive_int("keys")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``notes`` sub-command to an ``argparse`` sub-parsers object; returns its parser.

    Examples
    --------
    >>> import argparse
    >>> from signalspace.cli.notes import add_parser
    >>> parser = argparse.ArgumentParser(prog="signalspace")
    >>> _ = add_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["notes", "song.wav", "--csv", "notes.csv"])
    >>> args.file, args.csv, args.plot, args.func.__name__
    ('song.wav', 'notes.csv', None, 'notes_command')
    >>> args = parser.parse_args(["notes", "long.flac", "--chunks", "65536", "--progress"])
    >>> args.chunks, args.progress, args.scheduler
    (65536, True, None)
    """
    parser = subparsers.add_parser(
        "notes",
        help="transcribe the notes of an audio file (WAV, FLAC, OGG)",
        description="Transcribe the notes of an audio file (its mix, or each channel with --per-channel) from 88 "
        "matched filters (A0..C8) and print them: onset, offset, note, Hz, strength, channel.",
    )
    parser.add_argument("file", help="an audio file soundfile reads (WAV, FLAC, OGG...)")
    parser.add_argument("--csv", metavar="OUT", default=None, help="also write the notes as CSV")
    parser.add_argument("--plot", metavar="OUT.png", default=None, help="also draw the piano roll with the notes")
    parser.add_argument(
        "--per-channel", action="store_true", help="transcribe each channel on its own (default: the mix)"
    )
    parser.add_argument(
        "--key", default=None, metavar="SIGNATURE",
        help="spell note names in this key signature, e.g. Eb:maj or F#:min (default: sharps)",
    )
    parser.add_argument(
        "--floor-db", type=float, default=None,
        help="level below the loudest note at which a key is as likely on as off (DetectionParams.floor_db, -30)",
    )
    parser.add_argument("--fmin", default="A0", help="lowest key, a note name or Hz (default A0)")
    parser.add_argument(
        "--keys", type=_keys, default=None, metavar="N",
        help="number of keys from --fmin (default: those up to C8 below 0.45 x the sample rate; at 8 kHz A0..A7)",
    )
    parser.add_argument(
        "--chunks", metavar="FRAMES", type=_frames, default=None,
        help="read the file lazily in chunks of FRAMES frames and compute the piano roll chunk by chunk "
        "(for files longer than memory)",
    )
    parser.add_argument(
        "--progress", action="store_true",
        help=f"show a progress bar on stderr while computing (reads lazily; {DEFAULT_CHUNKS} frames per chunk "
        "unless --chunks)",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="compute on the dask.distributed scheduler at ADDRESS (tcp://host:port); its workers must see FILE "
        "at the same path",
    )
    parser.set_defaults(func=notes_command)
    return parser


def notes_command(args: argparse.Namespace) -> int:
    """Run ``signalspace notes``: load, detect, print (and write CSV / a plot). Returns the exit code.

    The ``--csv`` and ``--plot`` destinations are claimed first (through
    :func:`signalspace._io.atomic_path`), so that a path that cannot be written
    fails before the computation, and a failure leaves no partial file.
    """
    chunks = getattr(args, "chunks", None)
    progress = getattr(args, "progress", False)
    scheduler = getattr(args, "scheduler", None)
    try:
        if scheduler is not None:
            require("distributed", "--scheduler")
        if chunks is not None or progress or scheduler is not None:
            require("dask", "a lazy read (--chunks, --progress, --scheduler)")
        with contextlib.ExitStack() as outputs:
            csv_tmp = _claim(outputs, args.csv, "--csv")
            plot_tmp = _claim(outputs, args.plot, "--plot")
            if chunks is None and not progress and scheduler is None:  # the whole file in memory
                x = load(args.file, dtype="float64")
            else:
                x = load(args.file, dtype="float64", chunks=DEFAULT_CHUNKS if chunks is None else chunks)
            if x.shape[0] == 0:
                if plot_tmp is not None:
                    raise InvalidParameterError(f"--plot: {args.file!r} has no samples, there is no piano roll to draw")
                table, roll = NoteTable(), None
            else:
                table, roll = _notes_and_roll(
                    x, getattr(args, "floor_db", None), progress, scheduler, getattr(args, "fmin", "A0"),
                    getattr(args, "keys", None), getattr(args, "per_channel", False), getattr(args, "key", None),
                )
            keys = "" if roll is None else f", keys {roll.channels.names[0].split(':')[-1]}.." \
                f"{roll.channels.names[-1].split(':')[-1]}"
            print(f"{args.file}: {x.shape[0] * x.domain['time'].step:.2f} s, channels {list(x.channels.names)}"
                  f"{keys}, {len(table)} notes")
            print(table)
            if csv_tmp is not None:
                with _labelled(args.csv, "--csv"):
                    csv_tmp.write_text(table.to_csv(), encoding="utf-8", newline="")
            if plot_tmp is not None:
                with _labelled(args.plot, "--plot"):
                    _plot(roll, table, plot_tmp)
    except FileFormatError:
        raise
    except OSError as exc:  # moving a finished temporary file into place failed
        raise FileFormatError(f"cannot write the output files: {exc.strerror or exc}") from None
    return 0


@contextlib.contextmanager
def _labelled(path: str, option: str) -> Any:
    """Turn an OSError (other than a FileFormatError) in the block into a FileFormatError naming ``option``."""
    try:
        yield
    except FileFormatError:
        raise
    except OSError as exc:
        raise FileFormatError(f"cannot write {option} {path!r}: {exc.strerror or exc}") from None


def _claim(stack: contextlib.ExitStack, path: str | None, option: str) -> Path | None:
    """The temporary file that becomes ``path`` when ``stack`` closes without error (None without ``path``)."""
    if path is None:
        return None
    if option == "--plot":
        from matplotlib.backend_bases import FigureCanvasBase

        formats = FigureCanvasBase.get_supported_filetypes()
        suffix = Path(path).suffix.lower().lstrip(".")
        if suffix and suffix not in formats:
            raise InvalidParameterError(
                f"--plot {path!r}: matplotlib cannot write .{suffix} files; use one of "
                f"{', '.join('.' + f for f in sorted(formats))}"
            )
    with _labelled(path, option):
        return stack.enter_context(atomic_path(path, option))


def _notes_and_roll(
    x: Any, floor_db: float | None, progress: bool, scheduler: str | None, fmin: str | float = "A0",
    n_keys: int | None = None, per_channel: bool = False, key: str | None = None,
) -> tuple[Any, Any]:
    """Notes and the piano roll they were found in (computed once), on ``scheduler`` if given, with a progress bar.

    For lazy audio the features are computed chunk by chunk.
    """
    params = DetectionParams()
    if floor_db is not None:
        params = replace(params, floor_db=finite_float(floor_db, "--floor-db"))
    try:
        fmin = float(fmin)  # a frequency in Hz, or a note name
    except (TypeError, ValueError):
        pass
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            from distributed import Client

            levels = stack.enter_context(_DistributedLogLevels())  # restored after the client closes
            try:
                stack.enter_context(Client(scheduler, timeout="10s", set_as_default=True))
            except (OSError, ValueError, TypeError) as exc:
                raise InvalidParameterError(
                    f"--scheduler {scheduler!r}: cannot connect to a dask.distributed scheduler there ({exc})"
                ) from None
            # a lost cluster is reported once, by name: not again by the client's reconnection logs while it closes
            stack.push(lambda kind, exc, tb: levels.silence() if isinstance(exc, ClusterError) else None)
        if progress and x.is_lazy:
            # distributed draws its bar on stdout; keep stdout for the notes
            stack.enter_context(contextlib.redirect_stdout(sys.stderr))
            stack.enter_context(progress_bar(minimum=0.0))
        return transcribe(x, params=params, per_channel=per_channel, fmin=fmin, n_keys=n_keys, key=key)


class _DistributedLogLevels(contextlib.AbstractContextManager):
    """Remembers the levels of distributed's loggers; :meth:`silence` raises them, leaving restores them."""

    names = ("distributed.client", "distributed.comm", "distributed.core", "distributed.batched", "tornado")

    def __enter__(self) -> _DistributedLogLevels:
        self.saved = {name: logging.getLogger(name).level for name in self.names}
        return self

    def silence(self) -> None:
        for name in self.names:
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)

    def __exit__(self, *exc: Any) -> None:
        for name, level in self.saved.items():
            logging.getLogger(name).setLevel(level)


def _plot(roll: Any, table: Any, path: str | os.PathLike) -> None:
    """Draw the piano roll of each channel with its notes into ``path`` (:func:`signalspace.plot.pianoroll`)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt


    axes = plot(roll, notes=table)
    fig = (axes if not hasattr(axes, "ravel") else axes.ravel()[0]).figure
    try:
        fig.savefig(path)
    finally:
        plt.close(fig)
