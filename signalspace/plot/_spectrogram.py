"""Spectrograms: time × frequency pictures in dB with a colour bar."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InvalidParameterError
from .._validation import one_of
from ..signal import Signal
from ._common import MAX_WIDTH, axis_label, channel_index, new_axes, panel_grid, pixel_edges, real_values

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["spectrogram"]


def _find_axis(names: Sequence[str], wanted: Sequence[str]) -> int | None:
    lowered = [n.lower() for n in names]
    for w in wanted:
        if w in lowered:
            return lowered.index(w)
    return None


def spectrogram(
    signal: Signal,
    ax: Axes | None = None,
    *,
    channel: int | str | None = None,
    db: bool | None = None,
    top_db: float | None = 80.0,
    yscale: str = "linear",
    colorbar: bool = True,
    **imshow_kw: Any,
) -> Any:
    """Time × frequency picture with labelled axes and a dB colour bar.

    Parameters
    ----------
    signal : Signal
        A signal on a 2-D domain with a time axis (``"time"``) and a frequency
        axis (``"frequency"`` or ``"freq"``), in either order.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    channel : int or str, optional
        Which channel; by default every channel, one panel each (one panel
        when there is one channel).
    db : bool, optional
        Convert to decibels.  By default the values are taken as dB already
        when ``signal.attrs["scale"] == "db"`` and converted otherwise:
        with ``librosa.power_to_db`` when ``attrs["scale"] == "power"``, with
        ``librosa.amplitude_to_db`` (of the magnitude) else, both relative to
        the maximum.
    top_db : float or None, default 80
        Dynamic range kept below the maximum by the conversion.
    yscale : {"linear", "log"}
        Frequency axis scale.
    colorbar : bool, default True
        Add a colour bar labelled in dB.
    **imshow_kw
        Passed to ``Axes.imshow`` (``cmap``, ``vmin``...).

    Returns
    -------
    matplotlib Axes, or ndarray of Axes (one per channel)

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import signalspace as ss
    >>> S = ss.analysis.spectrogram(ss.analysis.synthesize(["A4"], 0.5, sr=8000), n_fft=256)
    >>> ax = ss.plot.spectrogram(S)
    >>> ax.get_ylabel()
    'frequency (Hz)'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if signal.ndim != 2:
        raise InvalidParameterError(f"spectrogram needs a signal on a 2-D domain, got {signal.ndim} axes")
    one_of(yscale, "yscale", ("linear", "log"))
    names = signal.domain.names
    ti = _find_axis(names, ("time", "t"))
    fi = _find_axis(names, ("frequency", "freq", "f"))
    if ti is None or fi is None or ti == fi:
        raise InvalidParameterError(
            f"spectrogram needs a 'time' and a 'frequency' axis, got axes {list(names)}"
        )
    picks = list(range(signal.nchannels)) if channel is None else [channel_index(signal, channel)]
    scale = str(signal.attrs.get("scale", "")).lower()
    if db is None:
        db = scale != "db"
    time_axis, freq_axis = signal.domain.axes[ti], signal.domain.axes[fi]
    extent = (*pixel_edges(time_axis), *pixel_edges(freq_axis))
    imshow_kw.setdefault("aspect", "auto")
    imshow_kw.setdefault("cmap", "magma")
    imshow_kw.setdefault("interpolation", "nearest")
    if len(picks) == 1:
        panels = [new_axes(ax, (MAX_WIDTH, 3.2))]
    else:
        panels = list(panel_grid(len(picks), ax, ncols=1, panel=2.4))
        if ax is None:
            panels[0].figure.set_size_inches(MAX_WIDTH, 2.4 * len(picks))
    for panel, i in zip(panels, picks, strict=True):
        values = real_values(signal.values[..., i])
        if ti == 0:  # the picture's rows are frequencies, its columns times
            values = values.T
        if db:
            import librosa

            if scale == "power":
                values = librosa.power_to_db(values, ref=np.max, top_db=top_db)
            else:
                values = librosa.amplitude_to_db(np.abs(values), ref=np.max, top_db=top_db)
        im = panel.imshow(values, extent=extent, origin="lower", **imshow_kw)
        panel.set_xlabel(axis_label(time_axis))
        panel.set_ylabel(axis_label(freq_axis))
        if yscale == "log":
            low = max(freq_axis.extent[0], freq_axis.step)
            panel.set_yscale("log")
            panel.set_ylim(low, pixel_edges(freq_axis)[1])
        if len(picks) > 1:
            panel.set_title(signal.channels.names[i], fontsize="small")
        if colorbar:
            panel.figure.colorbar(im, ax=panel, label="dB" if db or scale == "db" else "value")
    return panels[0] if len(panels) == 1 else np.asarray(panels, dtype=object)
