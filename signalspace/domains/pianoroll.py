"""Piano rolls: signals on a time axis with one channel per piano key (and audio channel).

:func:`signalspace.analysis.piano_roll` makes them: the envelope of each key's
matched filter over time, channels carrying a ``midi`` coordinate.  The adapter
names the kind, its axis and its picture; it reads and writes no files of its
own (netCDF keeps a roll).
"""

from __future__ import annotations

from typing import ClassVar

from .base import DomainAdapter

__all__ = ["KIND", "PianoRollAdapter"]

KIND = "pianoroll"


class PianoRollAdapter(DomainAdapter):
    """The ``"pianoroll"`` adapter: one time axis, one channel per key, drawn as a piano roll."""

    kind = KIND
    description = "note energy over time: one channel per piano key"
    axis_names = ("time",)
    layouts: ClassVar[dict[str, tuple[str, ...]]] = {"keys": ()}  # one channel per key (per audio channel)
    dimensionality = "1-D time, channels = keys"
    typical_channels = (88,)
    picture = "pianoroll"
