"""Padding and its adjoint, for numpy and dask arrays: one definition of the boundary maps.

:func:`~signalspace.ops.geometry.boundary_index` says which input sample each
pad sample copies (-1: the padding constant).  :func:`pad` copies them and
:func:`fold`, its adjoint, adds each pad sample's gradient back onto the input
sample it copied.  The engines pad numpy arrays with them, the dask executor
(:mod:`signalspace.parallel`) pads and folds dask arrays with the same code.
:func:`constant_response` is what a non-zero padding constant adds to a
convolution: ``conv(0)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..signal import is_lazy
from .geometry import ConvGeometry, boundary_index

__all__ = ["constant_response", "fold", "pad", "pad_sources"]


def constant_response(geometry: ConvGeometry, kernel: np.ndarray, depthwise: bool, cval: complex) -> np.ndarray | None:
    """``conv(0)`` for padding constant ``cval``: shape ``output_shape + (c_out or 1,)``, or None when it is 0.

    ``kernel`` is the correlation kernel in the compute dtype (bare spatial when
    ``depthwise``, else ``spatial + (c_in, c_out)``).  The padded input of zeros
    is ``cval`` on the pad mask ``m`` (1 where any "constant" axis is outside the
    input) so the response is ``cval * correlate(m, a)``.  Since ``1 - m`` is the
    outer product of per-axis indicators, ``correlate(m, a) = sum(a) -
    contract(a, U_0, ..., U_{d-1})`` with ``U_j[i, k] = 1`` when tap ``k`` of
    output ``i`` is inside along axis ``j``: a few small tensor contractions, no
    N-D convolution.  Outputs whose window reads no constant are exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> g = ConvGeometry.create((5,), (3,), padding="same")
    >>> constant_response(g, np.ones(3), True, 2.0)[:, 0]
    array([2., 0., 0., 0., 2.])
    """
    g = geometry
    constant = [j for j in range(g.ndim) if g.boundary[j] == "constant" and g.pad[j] != (0, 0)]
    if cval == 0 or not constant:
        return None
    nd = g.ndim
    a = kernel.astype(np.complex128 if kernel.dtype.kind == "c" else np.float64)
    a = a[..., None] if depthwise else a.sum(axis=-2)  # spatial + (c_out,): summed over c_in
    total = a.sum(axis=tuple(range(nd)))
    inside, touches = [], []
    for j in range(nd):
        table = g.input_indices(j) >= 0 if j in constant else np.ones((g.output_shape[j], g.kernel_shape[j]),
                                                                        dtype=bool)
        inside.append(table.astype(a.dtype))
        touches.append(~table.all(axis=1))
    letters = "abcdefghijklmnopqrstuvwxy"
    taps, outs = letters[:nd], letters[nd : 2 * nd]
    spec = ",".join(f"{o}{t}" for o, t in zip(outs, taps, strict=True)) + f",{taps}z->{outs}z"
    inner = np.einsum(spec, *inside, a, optimize=True)
    mask = np.zeros(g.output_shape, dtype=bool)
    for j in constant:
        mask |= touches[j].reshape([-1 if i == j else 1 for i in range(nd)])
    response = np.where(mask[..., None], cval * (total - inner), 0)
    return np.ascontiguousarray(response, dtype=kernel.dtype)


def pad_sources(geometry: ConvGeometry, axis: int) -> tuple[tuple[int, int], str, np.ndarray, np.ndarray]:
    """``(pad, boundary, where, source)`` of one axis: pad sample at padded index ``where`` copies ``source``.

    ``source`` is -1 for the padding constant.

    Examples
    --------
    >>> g = ConvGeometry.create((4,), (3,), padding="same", boundary="reflect")
    >>> pad_sources(g, 0)
    ((1, 1), 'reflect', array([0, 5]), array([0, 3]))
    """
    (before, after), n, mode = geometry.pad[axis], geometry.input_shape[axis], geometry.boundary[axis]
    positions = np.concatenate([np.arange(-before, 0), np.arange(n, n + after)])
    where = np.concatenate([np.arange(before), np.arange(before + n, before + n + after)])
    return (before, after), mode, where, boundary_index(positions, n, mode)


def pad(x: Any, geometry: ConvGeometry, first: int = 1, cval: Any = 0) -> Any:
    """Pad the spatial axes of ``x`` (``ndim`` of them from axis ``first`` on) as ``geometry`` says.

    Works on numpy arrays (one allocation; pad slabs filled axis after axis, so a corner takes the
    value its last padded axis gives it) and on dask arrays (pad slabs become new chunks; the input's
    chunks are untouched).  A pad sample is ``cval`` as soon as one "constant" axis is outside.
    """
    if all(p == (0, 0) for p in geometry.pad):
        return x
    if is_lazy(x):
        import dask.array as da

        for i in range(geometry.ndim):
            (before, after), mode, _, source = pad_sources(geometry, i)
            if before == 0 and after == 0:
                continue
            ax = first + i
            pieces = []
            for width, index in ((before, source[:before]), (0, None), (after, source[before:])):
                if index is None:
                    pieces.append(x)
                elif width and mode == "constant":
                    shape, chunks = list(x.shape), list(x.chunks)
                    shape[ax], chunks[ax] = width, (width,)
                    pieces.append(da.full(tuple(shape), cval, dtype=x.dtype, chunks=tuple(chunks)))
                elif width:
                    pieces.append(da.take(x, index, axis=ax))
            x = da.concatenate(pieces, axis=ax)
        return x
    nd = geometry.ndim
    shape = (*x.shape[:first], *geometry.padded_shape, *x.shape[first + nd :])
    out = np.empty(shape, dtype=x.dtype)
    core = [slice(None)] * len(shape)
    for i, (before, _) in enumerate(geometry.pad):
        core[first + i] = slice(before, before + geometry.input_shape[i])
    out[tuple(core)] = x
    for i in range(nd):
        (before, after), mode, _, source = pad_sources(geometry, i)
        if before == 0 and after == 0:
            continue
        ax = first + i
        # axes before i are padded already (their slabs feed the corners); axes after i not yet
        index = list(core)
        for j in range(i):
            index[first + j] = slice(None)
        for sl, src in ((slice(0, before), source[:before]), (slice(before + geometry.input_shape[i], None),
                                                               source[before:])):
            if sl.start == sl.stop or not len(src):
                continue
            index[ax] = sl
            if mode == "constant":
                out[tuple(index)] = cval
            else:
                index_src = list(index)
                index_src[ax] = src + before
                out[tuple(index)] = out[tuple(index_src)]
    return out


def _fold_block(slab: np.ndarray, axis: int, targets: np.ndarray, low: int, size: int) -> np.ndarray:
    """Sum the pad slab's samples onto the ``size`` input samples from ``low`` that they copy."""
    shape = list(slab.shape)
    shape[axis] = size
    out = np.zeros(shape, dtype=slab.dtype)
    np.add.at(np.moveaxis(out, axis, 0), targets - low, np.moveaxis(slab, axis, 0))
    return out


def fold(g: Any, geometry: ConvGeometry, first: int = 1) -> Any:
    """Adjoint of :func:`pad` (with a zero constant): add each pad sample's gradient onto the input sample it copies.

    ``g`` has the padded shape on axes ``first .. first + ndim - 1``; numpy or dask.
    """
    lazy = is_lazy(g)
    for i in range(geometry.ndim):
        (before, after), mode, where, targets = pad_sources(geometry, i)
        if before == 0 and after == 0:
            continue
        n, ax = geometry.input_shape[i], first + i
        core = g[(slice(None),) * ax + (slice(before, before + n),)]
        if mode != "constant":
            low, high = int(targets.min()), int(targets.max()) + 1
            if lazy:
                import dask.array as da

                slab = da.take(g, where, axis=ax).rechunk({ax: -1})
                chunks = list(slab.chunks)
                chunks[ax] = (high - low,)
                added = slab.map_blocks(_fold_block, ax, targets, low, high - low, chunks=tuple(chunks),
                                        dtype=g.dtype)
                index = (slice(None),) * ax
                parts = [core[(*index, slice(0, low))]] if low > 0 else []
                parts.append(core[(*index, slice(low, high))] + added)
                if high < n:
                    parts.append(core[(*index, slice(high, n))])
                core = da.concatenate(parts, axis=ax) if len(parts) > 1 else parts[0]
            else:
                core = core.copy()
                np.add.at(np.moveaxis(core, ax, 0), targets, np.moveaxis(np.take(g, where, axis=ax), ax, 0))
        g = core
    return g
