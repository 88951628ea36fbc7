"""What the pictures share: figure and panel layout, axis labels, channel picks, real values.

Figures made here are at most :data:`MAX_WIDTH` inches wide.  matplotlib is
imported the first time a figure is made.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError
from .._validation import describe
from ..signal import Signal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "MAX_WIDTH", "axis_label", "channel_index", "is_rgb", "new_axes", "panel_grid", "pixel_edges", "pyplot",
    "real_values", "scalar_coords_text",
]

#: Largest figure width (inches) of the figures signalspace.plot creates.
MAX_WIDTH = 8.0


def pyplot() -> Any:
    """matplotlib.pyplot, imported on first use."""
    import matplotlib.pyplot as plt

    return plt


def scalar_coords_text(signal: Signal) -> str:
    """The signal's scalar coordinates as ``"time=0.5 s, freq=440 Hz"`` (empty when it has none)."""
    parts = []
    for axis in signal.scalar_coords.values():
        unit = f" {axis.unit}" if axis.unit else ""
        parts.append(f"{axis.name}={axis.origin:.4g}{unit}")
    return ", ".join(parts)


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new figure of ``figsize`` inches (at most MAX_WIDTH wide)."""
    if ax is not None:
        return ax
    plt = pyplot()
    width, height = figsize
    _, new = plt.subplots(figsize=(min(width, MAX_WIDTH), height), layout="constrained")
    return new


def panel_grid(n: int, ax: Axes | None, *, ncols: int | None = None, panel: float = 2.6) -> np.ndarray:
    """``n`` panels: a new figure, or a grid that takes ``ax``'s place in its figure."""
    ncols = ncols or min(n, 3 if n > 4 else n)
    nrows = math.ceil(n / ncols)
    if ax is None:
        plt = pyplot()
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


def axis_label(axis: Any) -> str:
    """``"name (unit)"`` of an Axis."""
    return f"{axis.name} ({axis.unit})" if axis.unit else axis.name


def pixel_edges(axis: Any) -> tuple[float, float]:
    """Extent of the pixels of ``axis``: first and last sample ± half a step."""
    lo, hi = axis.extent
    half = axis.step / 2
    return (lo - half, hi + half)


def channel_index(signal: Signal, channel: int | str) -> int:
    """Position of a channel given by name or (possibly negative) index."""
    if isinstance(channel, str):
        return signal.channels.index(channel)
    if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)):
        raise InvalidTypeError(f"channel must be a channel name or an index, got {describe(channel)}")
    if not -signal.nchannels <= channel < signal.nchannels:
        raise InvalidParameterError(
            f"channel {channel} is out of range for {signal.nchannels} channels {list(signal.channels.names)}"
        )
    return int(channel) % signal.nchannels


def real_values(values: Any) -> np.ndarray:
    """numpy values (dask computed), complex values as their magnitude."""
    array = np.asarray(values.compute() if hasattr(values, "compute") else values)
    if np.iscomplexobj(array):
        array = np.abs(array)
    return array


def is_rgb(signal: Signal) -> bool:
    """True for RGB(A) channels: layout ``rgb``/``rgba`` or names R, G, B[, A]."""
    layout = (signal.channels.layout or "").lower()
    names = tuple(n.upper() for n in signal.channels.names)
    return layout in ("rgb", "rgba") or names in (("R", "G", "B"), ("R", "G", "B", "A"))
