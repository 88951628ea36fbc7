"""NaN and infinity: one result whatever engine runs, the one of the ``direct`` definition.

The direct correlation ``y[i] = sum_k a[k] xp[i*s + k*d]`` (zero taps skipped,
as :mod:`~signalspace.ops.engines.direct` does) makes an output non-finite
exactly when its window reads a non-finite sample through a non-zero tap: NaN
if any such product is NaN (or ``+inf`` meets ``-inf``), else ``+-inf``.  An
FFT spreads one NaN over its whole block instead (512 NaN outputs for one NaN
in 20 000 samples; a whole 512 x 512 image for one NaN pixel), and turns a
lone ``+inf`` into NaN.  So, once per call:

1. a single reduction (``x.sum()``, no temporary array) tells whether ``x``
   holds any non-finite value; when not, the engine runs as usual;
2. otherwise the engine runs on ``x`` with its non-finite samples replaced by
   0 (a finite problem every engine solves), and
3. the products of the non-finite samples with the taps that read them are
   added where they land, as the direct definition adds them: every such
   product is NaN or an infinity, so exactly the outputs the direct result
   makes non-finite become so, with its NaN or infinity, and no other output
   changes.  A few samples are added one product at a time (where the
   padding copies them too); many, by the direct correlation of the
   non-finite samples alone on the output tiles they reach.

The adjoint is treated the same way, on the non-finite samples of ``y``.
NaN made of infinities (``inf - inf``) is a defined result here, so numpy's
"invalid value" warning is not raised for it, by any engine.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..geometry import ConvGeometry
from ..padding import fold, pad, pad_sources
from .base import Engine, Plan
from .direct import adjoint_valid, forward_valid

__all__ = ["SCATTER_PAIRS", "TILE_OUTPUTS", "adjoint", "forward", "has_nonfinite"]

#: Largest number of (non-finite sample, kernel tap) products added one by one; beyond, tiles are computed.
SCATTER_PAIRS = 2**20

#: Outputs per tile when a window is narrow (a tile is at least a window's reach wide along every axis).
TILE_OUTPUTS = 4096


def has_nonfinite(a: np.ndarray) -> bool:
    """True when ``a`` holds NaN or infinity: one pairwise sum, no temporary array.

    A finite array whose sum overflows also answers True; the exact path then
    simply finds no non-finite sample.
    """
    if a.dtype.kind not in "fc" or a.size == 0:
        return False
    if a.size < 4096:  # small: a mask is cheaper than entering np.errstate
        return not np.isfinite(a).all()
    with np.errstate(over="ignore", invalid="ignore"):
        return not np.isfinite(a.sum())


def forward(engine: Engine, x: np.ndarray, plan: Plan) -> np.ndarray:
    """``engine.forward(x, plan)`` with the direct definition's NaN and infinities (see the module docstring)."""
    if not has_nonfinite(x):
        return engine.forward(x, plan)
    with np.errstate(invalid="ignore"):
        return engine.forward(x, plan) if engine.name == "direct" else _forward(engine, x, plan)


def adjoint(engine: Engine, y: np.ndarray, plan: Plan) -> np.ndarray:
    """``engine.adjoint(y, plan)`` with the direct definition's NaN and infinities."""
    if not has_nonfinite(y):
        return engine.adjoint(y, plan)
    with np.errstate(invalid="ignore"):
        return engine.adjoint(y, plan) if engine.name == "direct" else _adjoint(engine, y, plan)


# --------------------------------------------------------------------------------------------- the products
def _active_taps(plan: Plan) -> np.ndarray:
    """The taps the direct engine does not skip (a non-zero weight), as a ``(taps, ndim)`` index array."""
    a = plan.kernel
    return np.argwhere(a != 0 if plan.depthwise else np.any(a != 0, axis=(-2, -1)))


def _samples(a: np.ndarray, finite: np.ndarray, depthwise: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(index, values)`` of the non-finite samples of ``a`` (batch, spatial..., channels).

    Depthwise: one row ``(batch, position..., channel)`` and value per non-finite
    value.  Otherwise one row ``(batch, position...)`` per sample with a
    non-finite channel, its value the channel vector with the finite channels
    zeroed (a tap mixes all channels: ``0 * NaN`` is NaN there, as in direct).
    """
    if depthwise:
        return np.argwhere(~finite), a[~finite]
    rows = ~finite.all(axis=-1)
    values = a[rows]
    values[np.isfinite(values)] = 0
    return np.argwhere(rows), values


def _expand_axis(owner: np.ndarray, table: list[np.ndarray], index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``owner`` repeated once per entry of ``table[index[row]]``, with those entries."""
    counts = np.array([len(table[i]) for i in index])
    rows = np.repeat(np.arange(len(owner)), counts)
    values = np.concatenate([table[i] for i in index]) if len(index) else np.zeros(0, dtype=np.intp)
    return rows, values


def _padded_copies(positions: np.ndarray, geometry: ConvGeometry) -> tuple[np.ndarray, np.ndarray]:
    """``(sample, padded position)`` of every place the padding puts each input position (itself included)."""
    sample = np.arange(len(positions))
    padded = np.zeros((len(positions), 0), dtype=np.intp)
    for axis in range(geometry.ndim):
        (before, _), _, where, source = pad_sources(geometry, axis)
        p = positions[sample, axis]
        unique, inverse = np.unique(p, return_inverse=True)
        table = [np.concatenate([[q + before], where[source == q]]) for q in unique]
        rows, along = _expand_axis(sample, table, inverse)
        sample, padded = sample[rows], np.column_stack([padded[rows], along])
    return sample, padded


def _scatter_forward(y: np.ndarray, index: np.ndarray, values: np.ndarray, taps: np.ndarray, plan: Plan) -> None:
    """Add to ``y`` the product of each non-finite sample (at every padded copy) and each tap that reads it."""
    g = plan.geometry
    nd = g.ndim
    sample, padded = _padded_copies(index[:, 1 : 1 + nd], g)
    start = padded[:, None, :] - taps[None, :, :] * np.asarray(g.dilation)  # where each tap's window starts
    stride = np.asarray(g.stride)
    inside = np.all((start % stride == 0) & (start >= 0) & (start // stride < np.asarray(g.output_shape)), axis=-1)
    copy, tap = np.nonzero(inside)
    row = sample[copy]
    outputs = tuple((start[copy, tap] // stride).T)
    weights = plan.kernel[tuple(taps[tap].T)]
    if plan.depthwise:
        np.add.at(y, (index[row, 0], *outputs, index[row, -1]), weights * values[row])
    else:
        np.add.at(y, (index[row, 0], *outputs), np.einsum("nc,nco->no", values[row], weights))


def _input_of_padded(geometry: ConvGeometry) -> list[np.ndarray]:
    """Per axis, the input index each padded position holds (-1: the padding constant)."""
    tables = []
    for axis in range(geometry.ndim):
        (before, _), _, where, source = pad_sources(geometry, axis)
        table = np.full(geometry.padded_shape[axis], -1, dtype=np.intp)
        table[before : before + geometry.input_shape[axis]] = np.arange(geometry.input_shape[axis])
        table[where] = source
        tables.append(table)
    return tables


def _scatter_adjoint(x: np.ndarray, index: np.ndarray, values: np.ndarray, taps: np.ndarray, plan: Plan) -> None:
    """Add to ``x`` the product of each non-finite output and each tap, on the input sample the tap reads."""
    g = plan.geometry
    nd = g.ndim
    a = plan.kernel.conj()
    read = index[:, None, 1 : 1 + nd] * np.asarray(g.stride) + taps[None, :, :] * np.asarray(g.dilation)
    tables = _input_of_padded(g)
    inputs = np.stack([tables[axis][read[..., axis]] for axis in range(nd)], axis=-1)
    sample, tap = np.nonzero(np.all(inputs >= 0, axis=-1))  # the padding constant takes no gradient
    targets = tuple(inputs[sample, tap].T)
    weights = a[tuple(taps[tap].T)]
    if plan.depthwise:
        np.add.at(x, (index[sample, 0], *targets, index[sample, -1]), weights * values[sample])
    else:
        np.add.at(x, (index[sample, 0], *targets), np.einsum("no,nco->nc", values[sample], weights))


# --------------------------------------------------------------------------------------------- the tiles
def _tiles(geometry: ConvGeometry) -> tuple[int, ...]:
    """Output tile sizes: at least a window's reach (in outputs) wide, about :data:`TILE_OUTPUTS` in all."""
    even = max(1, round(TILE_OUTPUTS ** (1 / geometry.ndim)))
    return tuple(
        min(o, max(even, -(-r // s) + 1))
        for o, r, s in zip(geometry.output_shape, geometry.reach, geometry.stride, strict=True)
    )


def _sub_plan(plan: Plan, window: tuple[int, ...]) -> Plan:
    """``plan``'s kernel, strides and dilation as a "valid" correlation of a ``window``-shaped padded piece."""
    g = plan.geometry
    sub = ConvGeometry.create(window, g.kernel_shape, stride=g.stride, dilation=g.dilation, padding="valid")
    return Plan(sub, plan.kernel, plan.depthwise, plan.c_in, plan.c_out, plan.batch)


def _window(tile: tuple[int, ...], sizes: tuple[int, ...], geometry: ConvGeometry) -> tuple[list[slice], list[slice]]:
    """The output slices of ``tile`` and the padded-grid slices its outputs read."""
    outs, reads = [], []
    for t, size, o, s, r in zip(tile, sizes, geometry.output_shape, geometry.stride, geometry.reach, strict=True):
        lo, hi = t * size, min(o, (t + 1) * size)
        outs.append(slice(lo, hi))
        reads.append(slice(lo * s, (hi - 1) * s + r + 1))
    return outs, reads


def _reached_tiles(bad: np.ndarray, geometry: ConvGeometry, sizes: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Output tiles whose windows read a position where ``bad`` (a padded-grid mask) is True."""
    positions = np.argwhere(bad)
    ranges = []
    for axis, (o, s, r) in enumerate(zip(geometry.output_shape, geometry.stride, geometry.reach, strict=True)):
        p = positions[:, axis]
        ranges.append((np.maximum(0, -((r - p) // s)), np.minimum(o - 1, p // s)))  # ceil((p - r) / s) .. p // s
    keep = np.all([lo <= hi for lo, hi in ranges], axis=0)
    corners = [  # a window spans at most two tiles per axis
        np.stack([(hi if c else lo)[keep] // size for c, (lo, hi), size in zip(choice, ranges, sizes, strict=True)],
                 axis=1)
        for choice in itertools.product((0, 1), repeat=geometry.ndim)
    ]
    return [tuple(int(v) for v in row) for row in np.unique(np.concatenate(corners), axis=0)]


def _forward(engine: Engine, x: np.ndarray, plan: Plan) -> np.ndarray:
    finite = np.isfinite(x)
    y = engine.forward(np.where(finite, x, 0), plan)
    index, values = _samples(x, finite, plan.depthwise)
    taps = _active_taps(plan)
    if len(index) * len(taps) <= SCATTER_PAIRS:
        _scatter_forward(y, index, values, taps, plan)
        return y
    g = plan.geometry
    only = pad(np.where(finite, 0, x), g)  # the non-finite samples alone, where the padding copies them too
    sizes = _tiles(g)
    for tile in _reached_tiles(~np.isfinite(only).all(axis=(0, -1)), g, sizes):
        outs, reads = _window(tile, sizes, g)
        part = only[(slice(None), *reads, slice(None))]
        extra = forward_valid(part, _sub_plan(plan, part.shape[1:-1]))
        target = y[(slice(None), *outs, slice(None))]
        hit = ~np.isfinite(extra)
        target[hit] += extra[hit]
    return y


def _adjoint(engine: Engine, y: np.ndarray, plan: Plan) -> np.ndarray:
    finite = np.isfinite(y)
    x = engine.adjoint(np.where(finite, y, 0), plan)
    index, values = _samples(y, finite, plan.depthwise)
    taps = _active_taps(plan)
    if len(index) * len(taps) <= SCATTER_PAIRS:
        _scatter_adjoint(x, index, values, taps, plan)
        return x
    g = plan.geometry
    only = np.where(finite, 0, y)
    sizes = _tiles(g)
    gp = np.zeros((y.shape[0], *g.padded_shape, x.shape[-1]), dtype=x.dtype)
    for tile in np.unique(np.argwhere(~finite.all(axis=(0, -1))) // np.asarray(sizes), axis=0):
        outs, reads = _window(tuple(int(t) for t in tile), sizes, g)
        part = only[(slice(None), *outs, slice(None))]
        window = tuple(sl.stop - sl.start for sl in reads)
        gp[(slice(None), *reads, slice(None))] += adjoint_valid(part, _sub_plan(plan, window))
    extra = fold(gp, g)
    hit = ~np.isfinite(extra)
    x[hit] += extra[hit]
    return x
