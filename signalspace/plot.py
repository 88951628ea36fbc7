"""Pictures of signals: matplotlib views dispatched on the domain's kind.

:func:`plot` draws any :class:`~signalspace.Signal` and returns the matplotlib
``Axes`` it drew on (or a numpy array of ``Axes`` when the picture is a grid of
panels).  It never calls ``show``: the caller (a script, a notebook,
sphinx-gallery) decides what to do with the figure.  matplotlib is imported the
first time a function here runs, never by ``import signalspace``.

What is drawn depends on the domain:

============================ ==============================================================
domain                       picture (function)
============================ ==============================================================
1-D (``"audio"`` and others) one line per channel against the axis coordinates (:func:`waveform`)
kind ``"spectrogram"``       time × frequency image in dB with a colour bar (:func:`spectrogram`)
kind ``"pianoroll"``         time × MIDI key image in dB, one panel per audio channel, optionally
                             with detected notes drawn over it (:func:`pianoroll`)
2-D (``"image"`` and others) ``imshow`` with the true pixel aspect; gray, RGB(A), false colour
                             or a grid of bands (:func:`image`)
3-D and more                 a grid of 2-D slices through the centre, or projections that sum
                             (or take the maximum) over the other axes (:func:`slices`)
============================ ==============================================================

Adapters add their own pictures with :func:`register`; a drawer registered for a
kind takes precedence over the built-in choice by dimension.  Figures created
here are at most :data:`MAX_WIDTH` inches wide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError, UnknownNameError
from ._validation import describe, one_of, positive_int
from .signal import Signal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "MAX_WIDTH",
    "drawers",
    "image",
    "matrix",
    "pianoroll",
    "plot",
    "plot_by_ndim",
    "register",
    "slices",
    "spectrogram",
    "to_unit_range",
    "unregister",
    "waveform",
]

#: Largest figure width (inches) of the figures this module creates.
MAX_WIDTH = 8.0

Drawer = Callable[..., Any]
_DRAWERS: dict[str, Drawer] = {}


# --------------------------------------------------------------------------- registry
def register(kind: str, drawer: Drawer | None = None, *, replace: bool = False) -> Any:
    """Register the drawing function for signals whose domain has kind ``kind``.

    Parameters
    ----------
    kind : str
        Domain kind, e.g. ``"video"``.
    drawer : callable, optional
        ``drawer(signal, ax=None, **kw)`` returning the ``Axes`` (or array of
        ``Axes``) it drew on.  Without it, ``register`` is a decorator.
    replace : bool, default False
        Allow replacing a drawer already registered for ``kind``.

    Returns
    -------
    callable
        ``drawer`` (so the decorator form leaves the function unchanged).

    Examples
    --------
    >>> import signalspace as ss
    >>> @ss.plot.register("my-kind")
    ... def draw_mine(signal, ax=None, **kw):
    ...     return ss.plot.waveform(signal, ax=ax, **kw)
    >>> "my-kind" in ss.plot.drawers()
    True
    >>> ss.plot.unregister("my-kind")
    """
    if not isinstance(kind, str) or not kind:
        raise InvalidTypeError(f"kind must be a non-empty string, got {describe(kind)}")

    def decorate(func: Drawer) -> Drawer:
        if not callable(func):
            raise InvalidTypeError(f"drawer must be callable, got {describe(func)}")
        if kind in _DRAWERS and not replace and _DRAWERS[kind] is not func:
            raise InvalidParameterError(
                f"a drawer is already registered for kind {kind!r} ({_DRAWERS[kind]!r}); pass replace=True"
            )
        _DRAWERS[kind] = func
        return func

    return decorate if drawer is None else decorate(drawer)


def unregister(kind: str) -> None:
    """Remove the drawer registered for ``kind`` (built-in kinds included)."""
    if kind not in _DRAWERS:
        raise UnknownNameError(f"no drawer is registered for kind {kind!r}; registered: {sorted(_DRAWERS)}")
    del _DRAWERS[kind]


def drawers() -> dict[str, Drawer]:
    """A copy of the kind → drawer table (built-in and registered)."""
    return dict(_DRAWERS)


def plot(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    """Draw a signal the way its domain asks for.

    The drawer registered for ``signal.domain.kind`` is used when there is one
    (see :func:`register`); otherwise the number of axes decides:
    1 → :func:`waveform`, 2 → :func:`image`, 3 or more → :func:`slices`.

    Parameters
    ----------
    signal : Signal
        What to draw (dask values are computed, only the part that is drawn).
    ax : matplotlib Axes, optional
        Where to draw.  A new figure (at most :data:`MAX_WIDTH` inches wide) is
        made when omitted.  Pictures made of several panels replace ``ax`` by a
        grid of panels in the same place of its figure.
    **kw
        Passed to the drawer (see :func:`waveform`, :func:`image`,
        :func:`spectrogram`, :func:`slices`).

    Returns
    -------
    matplotlib Axes or ndarray of Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import signalspace as ss
    >>> d = ss.Domain([ss.Axis("time", 100, step=1e-3, unit="s")], kind="audio")
    >>> x = ss.Signal(np.sin(np.linspace(0, 6, 200)).reshape(100, 2), d, ss.Channels(("L", "R")))
    >>> ax = ss.plot.plot(x)
    >>> len(ax.lines), ax.get_xlabel()
    (2, 'time (s)')
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    drawer = _DRAWERS.get(signal.domain.kind, plot_by_ndim)
    return drawer(signal, ax=ax, **kw)


def matrix(T: Any, ax: Axes | None = None, structure: Any = None, **kw: Any) -> Any:
    """Spy picture of a (block-)Toeplitz matrix with its block boundaries.

    Delegates to ``signalspace.ops._matrix_plot.draw_matrix`` (the Toeplitz
    module's structure-aware drawing).

    Parameters
    ----------
    T : ndarray, scipy.sparse matrix or Toeplitz result
        The matrix to draw.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    structure : MatrixStructure, optional
        Block levels to outline (from ``signalspace.ops.toeplitz.matrix_structure``);
        by default no inner boundaries.
    **kw
        ``values=`` (colour entries by value) and ``markersize=`` as
        ``draw_matrix`` documents.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import signalspace as ss
    >>> ax = ss.plot.matrix(ss.toeplitz([1.0, 2.0, 3.0], n=6))
    >>> ax.get_title() != ""
    True
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    try:
        from .ops._matrix_plot import draw_matrix
    except ImportError as exc:  # pragma: no cover - only before the Toeplitz module lands
        raise ImportError(f"ss.plot.matrix needs signalspace.ops._matrix_plot, which failed to import: {exc}") from exc
    return draw_matrix(T, ax=ax, structure=structure, **kw)


# --------------------------------------------------------------------------- helpers
def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    plt = _pyplot()
    width, height = figsize
    _, new = plt.subplots(figsize=(min(width, MAX_WIDTH), height), layout="constrained")
    return new


def _grid(n: int, ax: Axes | None, *, ncols: int | None = None, panel: float = 2.6) -> np.ndarray:
    """``n`` panels: a new figure, or a grid that takes ``ax``'s place in its figure."""
    ncols = ncols or min(n, 3 if n > 4 else n)
    nrows = math.ceil(n / ncols)
    if ax is None:
        plt = _pyplot()
        width = min(MAX_WIDTH, panel * ncols + 0.6)
        _, grid = plt.subplots(
            nrows, ncols, figsize=(width, panel * nrows * 0.9 + 0.4), layout="constrained", squeeze=False
        )
    else:
        spec = ax.get_subplotspec()
        if spec is None:
            raise InvalidParameterError(
                f"this picture needs {n} panels; ax must come from plt.subplots/add_subplot "
                "(so its place can be split), or pass ax=None"
            )
        fig = ax.figure
        ax.remove()
        sub = spec.subgridspec(nrows, ncols)
        grid = np.empty((nrows, ncols), dtype=object)
        for i in range(nrows):
            for j in range(ncols):
                grid[i, j] = fig.add_subplot(sub[i, j])
    flat = grid.ravel()
    for extra in flat[n:]:
        extra.set_visible(False)
    return flat[:n]


def _label(axis: Any) -> str:
    return f"{axis.name} ({axis.unit})" if axis.unit else axis.name


def _edges(axis: Any) -> tuple[float, float]:
    """Extent of the pixels of ``axis``: first and last sample ± half a step."""
    lo, hi = axis.extent
    half = axis.step / 2
    return (lo - half, hi + half)


def _channel_index(signal: Signal, channel: int | str) -> int:
    if isinstance(channel, str):
        return signal.channels.index(channel)
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise InvalidTypeError(f"channel must be a channel name or an index, got {describe(channel)}")
    if not -signal.nchannels <= channel < signal.nchannels:
        raise InvalidParameterError(
            f"channel {channel} is out of range for {signal.nchannels} channels {list(signal.channels.names)}"
        )
    return int(channel) % signal.nchannels


def _real(values: Any) -> np.ndarray:
    array = np.asarray(values.compute() if hasattr(values, "compute") else values)
    if np.iscomplexobj(array):
        array = np.abs(array)
    return array


def _is_rgb(signal: Signal) -> bool:
    layout = (signal.channels.layout or "").lower()
    names = tuple(n.upper() for n in signal.channels.names)
    return layout in ("rgb", "rgba") or names in (("R", "G", "B"), ("R", "G", "B", "A"))


def to_unit_range(values: np.ndarray, normalize: str = "auto") -> np.ndarray:
    """Map colour values into [0, 1] for ``imshow``.

    Parameters
    ----------
    values : ndarray
        Colour values, channels last.
    normalize : {"auto", "clip", "minmax"}
        ``"auto"``: integers are divided by their dtype's maximum (uint8 → /255),
        floats already inside [0, 1] are kept, other floats are rescaled from
        their min..max; ``"clip"``: clip to [0, 1]; ``"minmax"``: rescale every
        channel from its own min..max.

    Examples
    --------
    >>> import numpy as np
    >>> to_unit_range(np.array([0, 128, 255], dtype=np.uint8))
    array([0.        , 0.50196078, 1.        ])
    >>> to_unit_range(np.array([-1.0, 0.0, 3.0]), "clip")
    array([0., 0., 1.])
    """
    one_of(normalize, "normalize", ("auto", "clip", "minmax"))
    array = np.asarray(values)
    if normalize == "minmax":
        flat = array.reshape(-1, array.shape[-1]).astype(np.float64)
        lo, hi = flat.min(axis=0), flat.max(axis=0)
        return (array - lo) / np.where(hi > lo, hi - lo, 1.0)
    if array.dtype.kind in "ui":
        array = array.astype(np.float64) / np.iinfo(array.dtype).max
    elif array.dtype.kind == "b":
        array = array.astype(np.float64)
    array = array.astype(np.float64, copy=False)
    if normalize == "clip":
        return np.clip(array, 0.0, 1.0)
    lo, hi = float(np.nanmin(array)), float(np.nanmax(array))
    if lo >= 0.0 and hi <= 1.0:
        return array
    return (array - lo) / (hi - lo) if hi > lo else np.zeros_like(array)


# --------------------------------------------------------------------------- 1-D
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
    picks = list(range(signal.nchannels)) if channels is None else [_channel_index(signal, c) for c in channels]
    values = _real(signal.values[:, picks])
    t = axis.coords
    n = t.size
    if n > max_points:
        bins = max_points // 2
        edges = np.linspace(0, n, bins + 1).astype(np.intp)
        lo = np.minimum.reduceat(values, edges[:-1], axis=0)
        hi = np.maximum.reduceat(values, edges[:-1], axis=0)
        values = np.stack([lo, hi], axis=1).reshape(2 * bins, len(picks))
        t = np.repeat(t[edges[:-1]], 2)
    ax = _new_axes(ax, (MAX_WIDTH, 2.2 + (0.5 * len(picks) if stack else 0.3)))
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
    ax.set_xlabel(_label(axis))
    if axis.size > 1:
        ax.set_xlim(*sorted(axis.extent))
    return ax


# --------------------------------------------------------------------------- 2-D
def _false_colour_bands(signal: Signal) -> tuple[int, int, int]:
    """Three bands for red, green, blue: nearest 650/550/450 nm when wavelengths are known."""
    c = signal.nchannels
    coords = signal.channels.coords
    for key in ("wavelength", "wavelengths"):
        if key in coords:
            wl = np.asarray(coords[key], dtype=np.float64)
            unit = signal.channels.units.get(key, "nm")
            scale = {"nm": 1.0, "um": 1e3, "µm": 1e3, "m": 1e9}.get(unit, 1.0)
            targets = np.array([650.0, 550.0, 450.0]) / scale
            if wl.min() <= targets.max() and wl.max() >= targets.min():
                picks = [int(np.argmin(np.abs(wl - t))) for t in targets]
                if len(set(picks)) == 3:
                    return tuple(picks)  # type: ignore[return-value]
            order = np.argsort(wl)
            spread = order[np.linspace(0, c - 1, 3).round().astype(int)]
            return (int(spread[2]), int(spread[1]), int(spread[0]))
    spread = np.linspace(0, c - 1, 3).round().astype(int)
    return (int(spread[2]), int(spread[1]), int(spread[0]))


def image(
    signal: Signal,
    ax: Axes | None = None,
    *,
    mode: str = "auto",
    bands: Sequence[int | str] | None = None,
    channel: int | str | None = None,
    normalize: str = "auto",
    max_bands: int = 16,
    colorbar: bool | None = None,
    **imshow_kw: Any,
) -> Any:
    """Draw a signal on a 2-D domain as a picture with its true aspect.

    The first axis runs down (rows), the second across; the image extent is
    the axes' coordinates (± half a step), so the pixel aspect follows the
    steps when both axes have the same unit (``aspect="auto"`` otherwise).

    Parameters
    ----------
    signal : Signal
        A signal on a 2-D domain.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    mode : {"auto", "gray", "rgb", "false_color", "bands"}
        ``"auto"`` picks ``"gray"`` for one channel, ``"rgb"`` for RGB/RGBA
        channels (layout ``rgb``/``rgba`` or names R, G, B[, A]),
        ``"false_color"`` for hyperspectral data (layout ``hyperspectral`` or a
        ``wavelength`` channel coordinate) and ``"bands"`` (a grid of one panel
        per channel, at most ``max_bands``) otherwise.
    bands : three channel indices or names, optional
        The red, green and blue bands of ``"false_color"``.  By default the
        bands nearest 650, 550 and 450 nm when wavelengths are known, else
        the last, middle and first channels.
    channel : int or str, optional
        Draw this one channel in gray (same as selecting it first).
    normalize : {"auto", "clip", "minmax"}
        How colour values are brought into [0, 1] (see :func:`to_unit_range`);
        false colour always rescales each band from its min..max.
    max_bands : int, default 16
        Most panels drawn by ``"bands"``.
    colorbar : bool, optional
        Add a colour bar to gray pictures (default: yes unless the kind is
        ``"image"``).
    **imshow_kw
        Passed to ``Axes.imshow`` (``cmap``, ``vmin``, ``vmax``...).

    Returns
    -------
    matplotlib Axes, or ndarray of Axes for ``"bands"``

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import signalspace as ss
    >>> ax = ss.plot.image(ss.image.sample("astronaut"))
    >>> ax.images[0].get_array().shape
    (512, 512, 3)
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if signal.ndim != 2:
        raise InvalidParameterError(f"image needs a signal on a 2-D domain, got {signal.ndim} axes")
    one_of(mode, "mode", ("auto", "gray", "rgb", "false_color", "bands"))
    if channel is not None:
        signal = signal[..., _channel_index(signal, channel)]
        mode = "gray"
    c = signal.nchannels
    if mode == "auto":
        layout = (signal.channels.layout or "").lower()
        if c == 1:
            mode = "gray"
        elif _is_rgb(signal):
            mode = "rgb"
        elif layout == "hyperspectral" or "wavelength" in signal.channels.coords:
            mode = "false_color"
        else:
            mode = "bands"
    rows, cols = signal.domain.axes
    extent = (*_edges(cols), *_edges(rows)[::-1])
    aspect = "equal" if rows.unit == cols.unit else "auto"
    imshow_kw.setdefault("aspect", aspect)
    imshow_kw.setdefault("interpolation", "nearest")
    size = (min(MAX_WIDTH, 5.0), 5.0 * min(2.0, max(0.3, rows.size * abs(rows.step) / (cols.size * abs(cols.step)))))

    def finish(a: Axes) -> Axes:
        a.set_xlabel(_label(cols))
        a.set_ylabel(_label(rows))
        return a

    if mode == "gray":
        if c != 1:
            raise InvalidParameterError(f"mode='gray' needs one channel (or channel=...), got {c} channels")
        ax = _new_axes(ax, size)
        imshow_kw.setdefault("cmap", "gray" if signal.kind == "image" else "viridis")
        im = ax.imshow(_real(signal.values[..., 0]), extent=extent, origin="upper", **imshow_kw)
        if colorbar if colorbar is not None else signal.kind != "image":
            ax.figure.colorbar(im, ax=ax, label=signal.channels.names[0])
        return finish(ax)
    if mode == "rgb":
        if c not in (3, 4):
            raise InvalidParameterError(f"mode='rgb' needs 3 or 4 channels, got {c}")
        ax = _new_axes(ax, size)
        ax.imshow(to_unit_range(_real(signal.values), normalize), extent=extent, origin="upper", **imshow_kw)
        return finish(ax)
    if mode == "false_color":
        if c < 3 and bands is None:
            raise InvalidParameterError(f"mode='false_color' needs at least 3 channels, got {c}")
        picks = _false_colour_bands(signal) if bands is None else [_channel_index(signal, b) for b in bands]
        if len(picks) != 3:
            raise InvalidParameterError(f"bands must name 3 channels (red, green, blue), got {len(picks)}")
        ax = _new_axes(ax, size)
        rgb = to_unit_range(_real(signal.values[..., list(picks)]), "minmax")
        ax.imshow(rgb, extent=extent, origin="upper", **imshow_kw)
        names = [signal.channels.names[i] for i in picks]
        ax.set_title("false colour: R=" + names[0] + ", G=" + names[1] + ", B=" + names[2], fontsize="small")
        return finish(ax)
    # bands: a grid of gray panels
    max_bands = positive_int(max_bands, "max_bands")
    picks = list(range(c))[:max_bands] if bands is None else [_channel_index(signal, b) for b in bands]
    panels = _grid(len(picks), ax, ncols=min(len(picks), 4), panel=1.9)
    imshow_kw.setdefault("cmap", "gray" if signal.kind == "image" else "viridis")
    values = _real(signal.values[..., picks])
    for k, (panel, i) in enumerate(zip(panels, picks, strict=True)):
        panel.imshow(values[..., k], extent=extent, origin="upper", **imshow_kw)
        title = signal.channels.names[i]
        for key, coord in signal.channels.coords.items():
            unit = signal.channels.units.get(key, "")
            title += f" ({coord[i]:g}{unit})" if isinstance(coord[i], (int, float)) else ""
            break
        panel.set_title(title, fontsize="small")
        panel.tick_params(labelsize="x-small")
        finish(panel)
    return panels


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
    picks = list(range(signal.nchannels)) if channel is None else [_channel_index(signal, channel)]
    scale = str(signal.attrs.get("scale", "")).lower()
    if db is None:
        db = scale != "db"
    time_axis, freq_axis = signal.domain.axes[ti], signal.domain.axes[fi]
    extent = (*_edges(time_axis), *_edges(freq_axis))
    imshow_kw.setdefault("aspect", "auto")
    imshow_kw.setdefault("cmap", "magma")
    imshow_kw.setdefault("interpolation", "nearest")
    if len(picks) == 1:
        panels = [_new_axes(ax, (MAX_WIDTH, 3.2))]
    else:
        panels = list(_grid(len(picks), ax, ncols=1, panel=2.4))
        if ax is None:
            panels[0].figure.set_size_inches(MAX_WIDTH, 2.4 * len(picks))
    for panel, i in zip(panels, picks, strict=True):
        values = _real(signal.values[..., i])
        if ti == 0:  # the picture's rows are frequencies, its columns times
            values = values.T
        if db:
            import librosa

            if scale == "power":
                values = librosa.power_to_db(values, ref=np.max, top_db=top_db)
            else:
                values = librosa.amplitude_to_db(np.abs(values), ref=np.max, top_db=top_db)
        im = panel.imshow(values, extent=extent, origin="lower", **imshow_kw)
        panel.set_xlabel(_label(time_axis))
        panel.set_ylabel(_label(freq_axis))
        if yscale == "log":
            low = max(freq_axis.extent[0], freq_axis.step)
            panel.set_yscale("log")
            panel.set_ylim(low, _edges(freq_axis)[1])
        if len(picks) > 1:
            panel.set_title(signal.channels.names[i], fontsize="small")
        if colorbar:
            panel.figure.colorbar(im, ax=panel, label="dB" if db or scale == "db" else "value")
    return panels[0] if len(panels) == 1 else np.asarray(panels, dtype=object)


# --------------------------------------------------------------------------- N-D
def _default_pairs(names: Sequence[str], kind: str) -> list[tuple[int, int]]:
    n = len(names)
    if kind == "phasespace":
        wanted = [("t", "x"), ("x", "y"), ("x", "px"), ("y", "py"), ("z", "pz"), ("t", "E")]
        pairs = [(names.index(a), names.index(b)) for a, b in wanted if a in names and b in names]
        if pairs:
            return pairs
    if n <= 4:
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    pairs = [(i, i + 1) for i in range(0, n - 1, 2)]
    if n % 2:
        pairs.append((n - 2, n - 1))
    return pairs


def slices(
    signal: Signal,
    ax: Axes | None = None,
    *,
    pairs: Sequence[tuple[int | str, int | str]] | None = None,
    mode: str = "slice",
    index: Mapping[str, int] | None = None,
    reduce: str = "sum",
    channel: int | str | None = None,
    colorbar: bool = True,
    **imshow_kw: Any,
) -> Any:
    """A grid of 2-D views of a signal on a domain of 3 or more axes.

    Each panel shows the signal against two axes ``(a, b)`` (``a`` across,
    ``b`` up), either as a slice through the other axes or as a projection
    over them.

    Parameters
    ----------
    signal : Signal
        A signal on a domain of at least 2 axes.
    ax : matplotlib Axes, optional
        The grid replaces this Axes in its figure; a new figure when omitted.
    pairs : sequence of (axis, axis), optional
        The axis pairs (names or indices), one panel each.  Default: every
        pair for up to 4 axes, consecutive pairs beyond; for the
        ``"phasespace"`` kind (t, x), (x, y), (x, px), (y, py), (z, pz), (t, E).
    mode : {"slice", "projection"}
        ``"slice"`` fixes the other axes at ``index`` (the centre sample by
        default); ``"projection"`` reduces over them with ``reduce``.
    index : mapping of axis name to int, optional
        Sample index of the other axes for ``"slice"`` (default ``size // 2``).
    reduce : {"sum", "max", "mean"}
        The projection's reduction.
    channel : int or str, optional
        Channel to draw (default the first).
    colorbar : bool, default True
        One colour bar per panel.
    **imshow_kw
        Passed to ``Axes.imshow``.

    Returns
    -------
    ndarray of Axes (one per pair)

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.Signal(np.random.default_rng(0).random((4, 5, 6)), ss.Domain.from_shape((4, 5, 6)))
    >>> panels = ss.plot.slices(x, mode="projection", reduce="max")
    >>> [(p.get_xlabel(), p.get_ylabel()) for p in panels]
    [('x0', 'x1'), ('x0', 'x2'), ('x1', 'x2')]
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if signal.ndim < 2:
        raise InvalidParameterError(f"slices needs a signal on at least 2 axes, got {signal.ndim}")
    one_of(mode, "mode", ("slice", "projection"))
    one_of(reduce, "reduce", ("sum", "max", "mean"))
    domain = signal.domain
    if pairs is None:
        resolved = _default_pairs(domain.names, domain.kind)
    else:
        if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Sequence) or not pairs:
            raise InvalidTypeError(f"pairs must be a non-empty sequence of (axis, axis), got {describe(pairs)}")
        resolved = []
        for k, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InvalidParameterError(f"pairs[{k}] must be two axes (names or indices), got {pair!r}")
            a, b = domain.axis_index(pair[0]), domain.axis_index(pair[1])
            if a == b:
                raise InvalidParameterError(f"pairs[{k}] names the same axis twice: {pair!r}")
            resolved.append((a, b))
    index = dict(index or {})
    centre = []
    for axis in domain.axes:
        i = index.pop(axis.name, axis.size // 2)
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < axis.size:
            raise InvalidParameterError(
                f"index[{axis.name!r}] must be an integer in 0..{axis.size - 1}, got {describe(i)}"
            )
        centre.append(int(i))
    if index:
        raise UnknownNameError(f"index names axes {sorted(index)} that are not in {list(domain.names)}")
    ch = 0 if channel is None else _channel_index(signal, channel)
    rgb = channel is None and mode == "slice" and _is_rgb(signal)
    imshow_kw.setdefault("aspect", "auto")
    imshow_kw.setdefault("interpolation", "nearest")
    imshow_kw.setdefault("cmap", "viridis")
    panels = _grid(len(resolved), ax)
    for panel, (a, b) in zip(panels, resolved, strict=True):
        if mode == "slice":
            key = tuple(slice(None) if d in (a, b) else centre[d] for d in range(domain.ndim))
            part = signal.values[key]  # axes (min(a,b), max(a,b), channel)
            part = _real(part) if rgb else _real(part[..., ch])
            fixed = [f"{ax_.name}={ax_.coords[centre[d]]:.3g}" for d, ax_ in enumerate(domain.axes) if d not in (a, b)]
            title = "slice at " + ", ".join(fixed) if len(fixed) <= 2 else f"slice, {len(fixed)} axes fixed"
        else:
            others = tuple(d for d in range(domain.ndim) if d not in (a, b))
            values = signal.values[..., ch]
            reduced = getattr(values, reduce)(axis=others)
            part = _real(reduced)
            title = f"{reduce} over " + ", ".join(domain.names[d] for d in others)
        if a > b:  # part has axes (b, a): bring a first
            part = np.swapaxes(part, 0, 1)
        # part: (a, b[, rgb]); picture rows are b (upwards), columns a
        part = np.swapaxes(part, 0, 1)
        ax_a, ax_b = domain.axes[a], domain.axes[b]
        extent = (*_edges(ax_a), *_edges(ax_b))
        if rgb:
            im = panel.imshow(to_unit_range(part), extent=extent, origin="lower", **imshow_kw)
        else:
            im = panel.imshow(part, extent=extent, origin="lower", **imshow_kw)
            if colorbar:
                bar = panel.figure.colorbar(im, ax=panel, shrink=0.85)
                bar.ax.tick_params(labelsize="x-small")
        panel.set_xlabel(_label(ax_a))
        panel.set_ylabel(_label(ax_b))
        panel.set_title(title, fontsize="x-small")
        panel.tick_params(labelsize="x-small")
    return panels


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
    values = _real(signal.values)
    if ax is None:
        plt = _pyplot()
        _, grid = plt.subplots(len(sources), 1, figsize=(MAX_WIDTH, 3.2 * len(sources)), squeeze=False,
                               sharex=True, layout="constrained")
        panels = grid[:, 0]
    else:
        panels = np.array([ax], dtype=object) if len(sources) == 1 else _grid(len(sources), ax, ncols=1)
    imshow_kw.setdefault("cmap", "magma")
    imshow_kw.setdefault("aspect", "auto")
    imshow_kw.setdefault("vmin", floor_db)
    t0, t1 = _edges(signal.domain.axes[0])
    events = list(notes) if notes is not None else []
    for c, (name, panel) in enumerate(zip(sources, panels, strict=True)):
        env = np.abs(values[:, c * n_keys : (c + 1) * n_keys])
        keys = midi[c * n_keys : (c + 1) * n_keys]
        db = 20 * np.log10(env.T / max(float(env.max()), 1e-12) + 10 ** (floor_db / 20) / 10)
        panel.imshow(db, origin="lower", extent=(t0, t1, keys[0] - 0.5, keys[-1] + 0.5), **imshow_kw)
        for e in events:
            if len(sources) == 1 or e.channel == name:
                key = 69 + 12 * np.log2(e.hz / 440.0)
                panel.plot([e.onset, e.offset], [key, key], color="cyan", lw=1.5)
        panel.set_ylabel(f"{name}: MIDI key" if name else "MIDI key")
    panels[-1].set_xlabel(_label(signal.domain.axes[0]))
    return panels[0] if len(sources) == 1 else panels


def _audio(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    return waveform(signal, ax=ax, **kw) if signal.ndim == 1 else plot_by_ndim(signal, ax=ax, **kw)


def _image(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    return image(signal, ax=ax, **kw) if signal.ndim == 2 else plot_by_ndim(signal, ax=ax, **kw)


def _phasespace(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    return slices(signal, ax=ax, **kw) if signal.ndim >= 2 else waveform(signal, ax=ax, **kw)


def plot_by_ndim(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    """The built-in choice by number of axes (what :func:`plot` does for unregistered kinds)."""
    if signal.ndim == 1:
        return waveform(signal, ax=ax, **kw)
    if signal.ndim == 2:
        return image(signal, ax=ax, **kw)
    return slices(signal, ax=ax, **kw)


register("audio", _audio)
register("image", _image)
register("spectrogram", spectrogram)
register("pianoroll", pianoroll)
register("phasespace", _phasespace)
