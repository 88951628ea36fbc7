"""``signalspace notes FILE [--csv OUT] [--plot OUT.png]``: print the notes of an audio file, per channel."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

__all__ = ["add_notes_parser", "notes_command"]


def add_notes_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``notes`` sub-command to an ``argparse`` sub-parsers object; returns its parser.

    Examples
    --------
    >>> import argparse
    >>> from signalspace.analysis.cli_notes import add_notes_parser
    >>> parser = argparse.ArgumentParser(prog="signalspace")
    >>> _ = add_notes_parser(parser.add_subparsers())
    >>> args = parser.parse_args(["notes", "song.wav", "--csv", "notes.csv"])
    >>> args.file, args.csv, args.plot, args.func.__name__
    ('song.wav', 'notes.csv', None, 'notes_command')
    """
    parser = subparsers.add_parser(
        "notes",
        help="detect the notes of an audio file (WAV, FLAC, OGG), per channel",
        description="Detect the notes of each channel of an audio file with 88 matched filters (A0..C8) "
        "and print them: onset, offset, note, Hz, strength, channel.",
    )
    parser.add_argument("file", help="an audio file soundfile reads (WAV, FLAC, OGG...)")
    parser.add_argument("--csv", metavar="OUT", default=None, help="also write the notes as CSV")
    parser.add_argument("--plot", metavar="OUT.png", default=None, help="also draw the piano roll with the notes")
    parser.add_argument("--threshold-db", type=float, default=-25.0, help="detection level below the loudest note")
    parser.set_defaults(func=notes_command)
    return parser


def notes_command(args: argparse.Namespace) -> int:
    """Run ``signalspace notes``: load, detect, print (and write CSV / a plot). Returns the exit code."""
    from ..domains.audio import load
    from .notes import detect_notes, piano_roll

    x = load(args.file, dtype="float64")
    table = detect_notes(x, threshold_db=args.threshold_db)
    print(f"{args.file}: {x.shape[0] / (1 / x.domain['time'].step):.2f} s, channels {list(x.channels.names)}, "
          f"{len(table)} notes")
    print(table)
    if args.csv:
        table.to_csv(args.csv)
    if args.plot:
        _plot(piano_roll(x), table, args.plot)
    return 0


def _plot(roll: Any, table: Any, path: str | os.PathLike) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np

    sources = roll.attrs["source_channels"]
    first = roll.attrs["fmin_midi"]
    n_keys = roll.attrs["n_keys"]
    values = np.asarray(roll)
    fig, axes = plt.subplots(len(sources), 1, figsize=(10, 3.5 * len(sources)), squeeze=False, sharex=True)
    end = roll.domain["time"].extent[1]
    for c, (name, ax) in enumerate(zip(sources, axes[:, 0], strict=True)):
        env = values[:, c * n_keys : (c + 1) * n_keys]
        db = 20 * np.log10(env.T / max(float(env.max()), 1e-12) + 1e-4)
        ax.imshow(db, origin="lower", aspect="auto", extent=(0, end, first - 0.5, first + n_keys - 0.5),
                  vmin=-60, cmap="magma")
        for e in table:
            if e.channel == name:
                midi = 69 + 12 * np.log2(e.hz / 440.0)
                ax.plot([e.onset, e.offset], [midi, midi], color="cyan", lw=1.5)
        ax.set_ylabel(f"{name}: MIDI key")
    axes[-1, 0].set_xlabel("time [s]")
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part{os.getpid()}{path.suffix}")
    try:
        fig.savefig(tmp)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
