"""Piano rolls: time × MIDI key pictures in dB, one panel per audio channel, detected notes drawn on top."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError
from .._validation import describe
from ..signal import Signal
from ._common import MAX_WIDTH, axis_label, panel_grid, pixel_edges, pyplot, real_values

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["pianoroll"]


def pianoroll(
    signal: Signal,
    ax: Axes | None = None,
    *,
    notes: Any = None,
    floor_db: float = -60.0,
    **imshow_kw: Any,
) -> Any:
    """A piano roll (:func:`signalspace.analysis.piano_roll`) as a time × MIDI key image in dB, notes on top.

    Parameters
    ----------
    signal : Signal
        A roll: one time axis, one channel per key with a ``midi`` channel
        coordinate (consecutive keys), ``attrs["source_channels"]`` naming the
        audio channels when there are several (``n_keys`` channels each).
    ax : matplotlib Axes, optional
        Where to draw; a new figure (:data:`MAX_WIDTH` inches wide, one panel
        per audio channel, stacked) when omitted.
    notes : iterable of NoteEvent, optional
        Notes to draw as cyan lines from onset to offset at their key (those of
        each audio channel in its panel), e.g. :func:`signalspace.analysis.detect_notes`'s table.
    floor_db : float, default -60
        Bottom of the colour scale, relative to each panel's largest envelope.
    **imshow_kw
        Passed to ``imshow`` (default ``cmap="magma"``).

    Returns
    -------
    matplotlib Axes, or ndarray of Axes for several audio channels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import signalspace as ss
    >>> x = ss.analysis.synthesize(["A4", "E5"], durations=0.3, sr=22050)
    >>> roll = ss.analysis.piano_roll(x)
    >>> ax = ss.plot.plot(roll, notes=ss.analysis.detect_notes(x))  # dispatched on kind "pianoroll"
    >>> ax.get_ylabel(), len(ax.lines), bool(ax.figure.get_figwidth() <= ss.plot.MAX_WIDTH)
    ('M: MIDI key', 2, True)
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    import librosa

    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    if signal.ndim != 1:
        raise InvalidParameterError(f"a piano roll has one (time) axis, got a signal on {signal.ndim} axes")
    midi = signal.channels.coords.get("midi") if signal.channels.coords else None
    if midi is None:
        raise InvalidParameterError(
            "signal must have a 'midi' channel coordinate (one channel per key, as piano_roll makes), got channels "
            f"{signal.channels.names[:4]}..."
        )
    midi = np.asarray(midi, dtype=float)
    sources = tuple(signal.attrs.get("source_channels", ("",)))
    n_keys = midi.size // max(len(sources), 1)
    if n_keys * len(sources) != midi.size:
        raise InvalidParameterError(
            f"signal has {midi.size} channels, not a multiple of its {len(sources)} source channels {sources}"
        )
    floor_db = float(floor_db)
    values = real_values(signal.values)
    if ax is None:
        plt = pyplot()
        _, grid = plt.subplots(len(sources), 1, figsize=(MAX_WIDTH, 3.2 * len(sources)), squeeze=False,
                               sharex=True, layout="constrained")
        panels = grid[:, 0]
    else:
        panels = np.array([ax], dtype=object) if len(sources) == 1 else panel_grid(len(sources), ax, ncols=1)
    imshow_kw.setdefault("cmap", "magma")
    imshow_kw.setdefault("aspect", "auto")
    imshow_kw.setdefault("vmin", floor_db)
    t0, t1 = pixel_edges(signal.domain.axes[0])
    events = list(notes) if notes is not None else []
    for c, (name, panel) in enumerate(zip(sources, panels, strict=True)):
        env = np.abs(values[:, c * n_keys : (c + 1) * n_keys])
        keys = midi[c * n_keys : (c + 1) * n_keys]
        db = 20 * np.log10(env.T / max(float(env.max()), 1e-12) + 10 ** (floor_db / 20) / 10)
        panel.imshow(db, origin="lower", extent=(t0, t1, keys[0] - 0.5, keys[-1] + 0.5), **imshow_kw)
        for e in events:
            if len(sources) == 1 or e.channel == name:
                key = librosa.hz_to_midi(e.hz)
                panel.plot([e.onset, e.offset], [key, key], color="cyan", lw=1.5)
        panel.set_ylabel(f"{name}: MIDI key" if name else "MIDI key")
    panels[-1].set_xlabel(axis_label(signal.domain.axes[0]))
    return panels[0] if len(sources) == 1 else panels
