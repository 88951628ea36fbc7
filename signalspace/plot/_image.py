"""Images: a signal on a 2-D domain as a picture with its true aspect (gray, RGB, false colour, bands)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InvalidParameterError
from .._validation import one_of, positive_int
from ..signal import Signal
from ._common import MAX_WIDTH, axis_label, channel_index, is_rgb, new_axes, panel_grid, pixel_edges, real_values

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["image", "to_unit_range"]


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
        signal = signal[..., channel_index(signal, channel)]
        mode = "gray"
    c = signal.nchannels
    if mode == "auto":
        layout = (signal.channels.layout or "").lower()
        if c == 1:
            mode = "gray"
        elif is_rgb(signal):
            mode = "rgb"
        elif layout == "hyperspectral" or "wavelength" in signal.channels.coords:
            mode = "false_color"
        else:
            mode = "bands"
    rows, cols = signal.domain.axes
    extent = (*pixel_edges(cols), *pixel_edges(rows)[::-1])
    aspect = "equal" if rows.unit == cols.unit else "auto"
    imshow_kw.setdefault("aspect", aspect)
    imshow_kw.setdefault("interpolation", "nearest")
    size = (min(MAX_WIDTH, 5.0), 5.0 * min(2.0, max(0.3, rows.size * abs(rows.step) / (cols.size * abs(cols.step)))))

    def finish(a: Axes) -> Axes:
        a.set_xlabel(axis_label(cols))
        a.set_ylabel(axis_label(rows))
        return a

    if mode == "gray":
        if c != 1:
            raise InvalidParameterError(f"mode='gray' needs one channel (or channel=...), got {c} channels")
        ax = new_axes(ax, size)
        imshow_kw.setdefault("cmap", "gray" if signal.kind == "image" else "viridis")
        im = ax.imshow(real_values(signal.values[..., 0]), extent=extent, origin="upper", **imshow_kw)
        if colorbar if colorbar is not None else signal.kind != "image":
            ax.figure.colorbar(im, ax=ax, label=signal.channels.names[0])
        return finish(ax)
    if mode == "rgb":
        if c not in (3, 4):
            raise InvalidParameterError(f"mode='rgb' needs 3 or 4 channels, got {c}")
        ax = new_axes(ax, size)
        ax.imshow(to_unit_range(real_values(signal.values), normalize), extent=extent, origin="upper", **imshow_kw)
        return finish(ax)
    if mode == "false_color":
        if c < 3 and bands is None:
            raise InvalidParameterError(f"mode='false_color' needs at least 3 channels, got {c}")
        picks = _false_colour_bands(signal) if bands is None else [channel_index(signal, b) for b in bands]
        if len(picks) != 3:
            raise InvalidParameterError(f"bands must name 3 channels (red, green, blue), got {len(picks)}")
        ax = new_axes(ax, size)
        rgb = to_unit_range(real_values(signal.values[..., list(picks)]), "minmax")
        ax.imshow(rgb, extent=extent, origin="upper", **imshow_kw)
        names = [signal.channels.names[i] for i in picks]
        ax.set_title("false colour: R=" + names[0] + ", G=" + names[1] + ", B=" + names[2], fontsize="small")
        return finish(ax)
    # bands: a grid of gray panels
    max_bands = positive_int(max_bands, "max_bands")
    picks = list(range(c))[:max_bands] if bands is None else [channel_index(signal, b) for b in bands]
    panels = panel_grid(len(picks), ax, ncols=min(len(picks), 4), panel=1.9)
    imshow_kw.setdefault("cmap", "gray" if signal.kind == "image" else "viridis")
    values = real_values(signal.values[..., picks])
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
