"""The waveform: one line per channel of a 1-D signal against its axis coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InvalidParameterError
from .._validation import positive_int
from ..signal import Signal
from ._common import MAX_WIDTH, axis_label, channel_index, new_axes, real_values

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["waveform"]


def waveform(
    signal: Signal,
    ax: Axes | None = None,
    *,
    channels: Sequence[int | str] | None = None,
    stack: bool = False,
    max_points: int = 20_000,
    **line_kw: Any,
) -> Axes:
    """One line per channel against the axis coordinates (a waveform for audio).

    Parameters
    ----------
    signal : Signal
        A signal on a 1-D domain.
    ax : matplotlib Axes, optional
        Where to draw; a new 8 × 2.5 inch figure when omitted.
    channels : sequence of int or str, optional
        Which channels to draw (all by default).
    stack : bool, default False
        Offset the channels vertically (one row per channel, labelled by name)
        instead of overlaying them with a legend.
    max_points : int, default 20000
        Longer signals are drawn as their min/max envelope over
        ``max_points // 2`` bins (one line per channel still), which looks the
        same and draws fast.
    **line_kw
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np, signalspace as ss
    >>> x = ss.audio.from_array(np.random.default_rng(0).standard_normal((2, 800)), sr=8000, layout="stereo")
    >>> ax = ss.plot.waveform(x)
    >>> len(ax.lines), ax.get_xlabel()
    (2, 'time (s)')
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if signal.ndim != 1:
        raise InvalidParameterError(f"waveform needs a signal on a 1-D domain, got {signal.ndim} axes")
    max_points = positive_int(max_points, "max_points", minimum=4)
    axis = signal.domain.axes[0]
    picks = list(range(signal.nchannels)) if channels is None else [channel_index(signal, c) for c in channels]
    values = real_values(signal.values[:, picks])
    t = axis.coords
    n = t.size
    if n > max_points:
        bins = max_points // 2
        edges = np.linspace(0, n, bins + 1).astype(np.intp)
        lo = np.minimum.reduceat(values, edges[:-1], axis=0)
        hi = np.maximum.reduceat(values, edges[:-1], axis=0)
        values = np.stack([lo, hi], axis=1).reshape(2 * bins, len(picks))
        t = np.repeat(t[edges[:-1]], 2)
    ax = new_axes(ax, (MAX_WIDTH, 2.2 + (0.5 * len(picks) if stack else 0.3)))
    names = [signal.channels.names[i] for i in picks]
    line_kw.setdefault("linewidth", 0.8)
    if stack:
        span = float(np.nanmax(np.abs(values))) if values.size else 1.0
        offset = 2.2 * (span or 1.0)
        for k, name in enumerate(names):
            ax.plot(t, values[:, k] - k * offset, label=name, **line_kw)
        ax.set_yticks([-k * offset for k in range(len(names))], names)
    else:
        for k, name in enumerate(names):
            ax.plot(t, values[:, k], label=name, **line_kw)
        ax.set_ylabel("amplitude")
        if len(names) > 1:
            ax.legend(loc="upper right", fontsize="small")
    ax.set_xlabel(axis_label(axis))
    if axis.size > 1:
        ax.set_xlim(*sorted(axis.extent))
    return ax
