"""The note table: one row per detected note, as CSV, text or a pandas DataFrame."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import astuple, dataclass, fields
from typing import Any

from .._errors import FileFormatError
from .._io import atomic_path

__all__ = ["NoteEvent", "NoteTable"]


def _write_text(path: Any, text: str, name: str) -> None:
    """Write ``text`` (UTF-8, newlines as they are) to ``path`` through :func:`~signalspace._io.atomic_path`.

    OS errors (no permission, disk full) become a FileFormatError naming ``name``.
    """
    try:
        with atomic_path(path, name) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="")
    except FileFormatError:  # atomic_path's own checks (an OSError subclass) already name the path
        raise
    except OSError as exc:
        raise FileFormatError(f"cannot write {name} {str(path)!r}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class NoteEvent:
    """One detected note.

    Attributes
    ----------
    onset, offset : float
        Start and end in seconds.
    note : str
        Note name, with sharps (``"G#6"``) or in the key signature given to
        :func:`~signalspace.analysis.detect_notes` (``key="Ab:maj"``: ``"Ab6"``).
    hz : float
        Equal-tempered frequency of the key.
    strength : float
        Peak envelope of the key's matched filter near the onset (about the
        amplitude of the note's fundamental: a unit sinusoid gives 1).
    channel : str
        Name of the audio channel it was found in.

    Examples
    --------
    >>> import signalspace as ss
    >>> (e,) = ss.analysis.detect_notes(ss.analysis.synthesize(["A4"], durations=0.5, sr=22050))
    >>> e.note, round(e.hz, 1), round(e.onset, 2), e.channel
    ('A4', 440.0, 0.0, 'M')
    """

    onset: float
    offset: float
    note: str
    hz: float
    strength: float
    channel: str


class NoteTable(list):
    """A list of :class:`NoteEvent` rows (sorted by channel order, then onset) that writes CSV.

    Examples
    --------
    >>> from signalspace.analysis import NoteEvent, NoteTable
    >>> t = NoteTable([NoteEvent(0.1, 0.5, "A4", 440.0, 0.9, "M")])
    >>> print(t.to_csv(), end="")
    onset,offset,note,hz,strength,channel
    0.1000,0.5000,A4,440.00,0.9000,M
    """

    columns = tuple(f.name for f in fields(NoteEvent))

    def rows(self) -> list[tuple]:
        """The events as tuples in :attr:`columns` order."""
        return [astuple(e) for e in self]

    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """CSV text of the table; also written to ``path`` (atomically: no partial file on failure) when given.

        Raises :class:`~signalspace.InvalidTypeError` for a ``path`` that is not
        a str or os.PathLike, and :class:`~signalspace.FileFormatError` when it
        cannot be written (no such directory, a directory, no permission).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for e in self:
            writer.writerow(
                [f"{e.onset:.4f}", f"{e.offset:.4f}", e.note, f"{e.hz:.2f}", f"{e.strength:.4f}", e.channel]
            )
        text = buffer.getvalue()
        if path is not None:
            _write_text(path, text, "path")
        return text

    def __str__(self) -> str:
        if not self:
            return "(no notes)"
        lines = [f"{'onset':>8} {'offset':>8}  {'note':<5} {'Hz':>8} {'strength':>9}  channel"]
        for e in self:
            lines.append(
                f"{e.onset:8.3f} {e.offset:8.3f}  {e.note:<5} {e.hz:8.1f} {e.strength:9.4f}  {e.channel}"
            )
        return "\n".join(lines)

    def to_pandas(self) -> Any:
        """The table as a :class:`pandas.DataFrame` with :attr:`columns` (pandas comes with xarray).

        Examples
        --------
        >>> from signalspace.analysis import NoteEvent, NoteTable
        >>> df = NoteTable([NoteEvent(0.1, 0.5, "A4", 440.0, 0.9, "M")]).to_pandas()
        >>> list(df.columns), df["note"].tolist()
        (['onset', 'offset', 'note', 'hz', 'strength', 'channel'], ['A4'])
        """
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=list(self.columns))
