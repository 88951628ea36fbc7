"""Signals on 3 or more axes: a grid of 2-D slices through a point, or projections over the other axes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, UnknownNameError
from .._validation import describe, one_of
from ..signal import Signal
from ._common import axis_label, channel_index, is_rgb, panel_grid, pixel_edges, real_values, scalar_coords_text
from ._image import to_unit_range

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["slices"]


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
    ch = 0 if channel is None else channel_index(signal, channel)
    rgb = channel is None and mode == "slice" and is_rgb(signal)
    imshow_kw.setdefault("aspect", "auto")
    imshow_kw.setdefault("interpolation", "nearest")
    imshow_kw.setdefault("cmap", "viridis")
    panels = panel_grid(len(resolved), ax)
    scalars = scalar_coords_text(signal)
    for panel, (a, b) in zip(panels, resolved, strict=True):
        if mode == "slice":
            key = tuple(slice(None) if d in (a, b) else centre[d] for d in range(domain.ndim))
            part = signal.values[key]  # axes (min(a,b), max(a,b), channel)
            part = real_values(part) if rgb else real_values(part[..., ch])
            fixed = [f"{ax_.name}={ax_.coords[centre[d]]:.3g}" for d, ax_ in enumerate(domain.axes) if d not in (a, b)]
            if scalars:  # the axes selected away before: the signal's scalar coordinates
                fixed.insert(0, scalars)
            title = "slice at " + ", ".join(fixed) if len(fixed) <= 2 else f"slice, {len(fixed)} axes fixed"
            title = "slice" if not fixed else title
        else:
            others = tuple(d for d in range(domain.ndim) if d not in (a, b))
            values = signal.values[..., ch]
            reduced = getattr(values, reduce)(axis=others)
            part = real_values(reduced)
            title = f"{reduce} over " + ", ".join(domain.names[d] for d in others)
        if a > b:  # part has axes (b, a): bring a first
            part = np.swapaxes(part, 0, 1)
        # part: (a, b[, rgb]); picture rows are b (upwards), columns a
        part = np.swapaxes(part, 0, 1)
        ax_a, ax_b = domain.axes[a], domain.axes[b]
        extent = (*pixel_edges(ax_a), *pixel_edges(ax_b))
        if rgb:
            im = panel.imshow(to_unit_range(part), extent=extent, origin="lower", **imshow_kw)
        else:
            im = panel.imshow(part, extent=extent, origin="lower", **imshow_kw)
            if colorbar:
                bar = panel.figure.colorbar(im, ax=panel, shrink=0.85)
                bar.ax.tick_params(labelsize="x-small")
        panel.set_xlabel(axis_label(ax_a))
        panel.set_ylabel(axis_label(ax_b))
        panel.set_title(title, fontsize="x-small")
        panel.tick_params(labelsize="x-small")
    return panels
