"""``planar``: direct convolution on channel planes of the padded grid, compiled by numba, on every core.

For multi-channel kernels with unit stride (any dilation, padding, boundary,
dimension and batch).  Laid flat, the padded grid turns every tap into a shift:
an output at grid position ``q`` reads input channel ``c`` at ``q + shift_t``
(``shift_t = sum_j k_j d_j S_j``, ``S`` the padded strides, as the flat
``im2col``).  With the input's channels in separate planes, one output plane
is then a sum of shifted input planes::

    y_o[q] = sum_(t, c) a[t, c, o] * x_c[q + shift_t]

and a kernel that walks ``q`` in its innermost loop, with the weights of 4-8
terms and 2-8 outputs in registers, runs on numba's vectorized loops at
120-220 GFLOP/s on one core (no patch copies, no GEMM).  The work goes band by
band: a band of grid rows copies the input it reads into a planar buffer (in
cache), computes tiles of 1024 positions and writes the valid ones channels
last; bands are shared out to :data:`~.base.WORKERS` threads (numba releases
the GIL).  The adjoint is the same computation on ``y`` laid on the padded grid
with reversed shifts and the conjugated, channel-transposed kernel, over the
input's rows only (zero boundary) or over the whole padded grid, then ``fold``.
Complex data runs as real ``(re, im)`` channel pairs with the real ``2 x 2``
block form of the complex kernel (only float32 and float64 are compiled).

The first call compiles the kernels (numba, cached on disk: 10-20 s per dtype
once per installation, then about 1 s to load).  Without numba the engine does
not apply.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

import numpy as np

from ..padding import fold, pad
from ._planar_gen import BLOCKS as _TERMS  # outputs per block -> terms per pass (no numba import)
from .base import WORKERS, Plan, PricedEngine
from .costs import CostTable

__all__ = ["ENGINE", "Planar", "PlanarLayout"]


@cache
def numba_available() -> bool:
    """True when numba can be imported (it comes with librosa)."""
    return importlib.util.find_spec("numba") is not None


def _pad_to(n: int, m: int) -> int:
    return -(-n // m) * m


def output_blocks(c: int) -> list[tuple[int, int]]:
    """``(first plane, planes)`` of the kernel blocks covering ``c`` output planes: 8 at a time, then 8/4/3/2.

    Examples
    --------
    >>> output_blocks(20), output_blocks(3), output_blocks(1)
    ([(0, 8), (8, 8), (16, 4)], [(0, 3)], [(0, 2)])
    """
    blocks = [(o0, 8) for o0 in range(0, c - c % 8, 8)]
    rest = c % 8
    if rest:
        blocks.append((c - rest, 8 if rest > 4 else max(rest, 2)))
    return blocks


def _row_runs(grid_inner: tuple[int, ...], inner: tuple[int, ...], start: tuple[int, ...]) -> np.ndarray:
    """Run table of one grid row (inner shape ``grid_inner``) holding a row of inner shape ``inner`` at ``start``.

    One run per line along the last axis that crosses the row's samples: ``(first grid position, length, first
    sample)``.

    Examples
    --------
    >>> _row_runs((6,), (4,), (1,))            # 4 samples at positions 1..4 of a 6-position row
    array([[1, 4, 0]])
    >>> _row_runs((3, 4), (2, 2), (1, 1))      # a 2 x 2 block inside a 3 x 4 grid row
    array([[5, 2, 0],
           [9, 2, 2]])
    """
    if not grid_inner:
        return np.array([[0, 1, 0]], dtype=np.int64)
    outer = len(grid_inner) - 1  # the axes before the last: one line each combination
    first = np.array(start[:-1], dtype=np.int64).reshape(-1, 1)
    lines = np.indices(grid_inner[:-1]).reshape(outer, math.prod(grid_inner[:-1]))
    inside = np.all((lines >= first) & (lines < first + np.array(inner[:-1]).reshape(-1, 1)), axis=0)
    lines = lines[:, inside]
    grid_lines = np.ravel_multi_index(tuple(lines), grid_inner[:-1]) if outer else np.zeros(1, np.int64)
    sample_lines = np.ravel_multi_index(tuple(lines - first), inner[:-1]) if outer else np.zeros(1, np.int64)
    last, n_last, s_last = grid_inner[-1], inner[-1], start[-1]
    lo, hi = max(0, s_last), min(last, s_last + n_last)  # grid positions of the samples along the last axis
    runs = np.empty((len(grid_lines), 3), dtype=np.int64)
    runs[:, 0] = grid_lines * last + lo
    runs[:, 1] = hi - lo
    runs[:, 2] = sample_lines * n_last + lo - s_last
    return runs if hi > lo else runs[:0]


def _band(s0: int, max_shift: int, c_src: int, itemsize: int, band_bytes: int, rows: int, bands: int
          ) -> tuple[int, int]:
    """``(rows, positions per plane)`` of a band of a computation over ``rows`` grid rows: at most about
    ``band_bytes`` of buffer and at least ``bands`` bands (the threads take bands in turn), but at least four
    halos of rows (the halo is copied again by every band)."""
    halo = -(-max_shift // s0)
    budget = max(1, (band_bytes // (itemsize * c_src) - max_shift) // s0)
    band_rows = max(min(budget, -(-rows // bands)), 4 * halo, 1)
    return band_rows, _pad_to(band_rows * s0 + max_shift, 16)


def _macs_per_position(n_terms: int, c_out: int) -> int:
    """Multiply-adds the kernel blocks compute per grid position, padded terms and planes included."""
    return sum(_pad_to(n_terms, _TERMS[planes]) * planes for _, planes in output_blocks(c_out))


@dataclass(frozen=True)
class Pass:
    """One direction (forward or adjoint) of a :class:`PlanarLayout`: term offsets, weights by block, bands."""

    band_rows: int  #: computed grid rows per band
    length: int  #: positions per plane of the band buffer (``band_rows * s0 + max_shift``, rounded up)
    blocks: np.ndarray  #: (first plane, planes, terms, first offset, first weight) per kernel block
    offsets: np.ndarray  #: term offsets in the band buffer (plane and shift), block after block
    weights: np.ndarray  #: (terms, planes) weights of each block, flattened, block after block
    c_src: int  #: planes read
    c_out: int  #: planes written

    @classmethod
    def create(cls, shifts: np.ndarray, term_shifts: np.ndarray, kernel: np.ndarray, s0: int, band: tuple[int, int],
               rows: int) -> Pass:
        """Pass of ``kernel`` ``(taps, c_src, c_out)`` over ``rows`` grid rows, whose tap ``t`` reads the buffer at
        ``term_shifts[t]``; ``band`` is ``(band_bytes, bands)`` (see :func:`_band`)."""
        taps, c_src, c_out = kernel.shape
        band_rows, length = _band(s0, int(shifts.max()), c_src, kernel.dtype.itemsize, *band, rows)
        term_offsets = (term_shifts[:, None] + np.arange(c_src)[None, :] * length).reshape(-1)
        matrix = kernel.reshape(taps * c_src, c_out)
        active = np.any(matrix != 0, axis=1)  # terms whose weights are all zero are skipped
        if np.any(active):
            term_offsets, matrix = term_offsets[active], matrix[active]
        n_terms = len(term_offsets)
        blocks, offsets, weights = [], [], []
        fo = wo = 0
        for o0, planes in output_blocks(c_out):
            terms = _pad_to(n_terms, _TERMS[planes])
            off = np.zeros(terms, dtype=np.int64)
            off[:n_terms] = term_offsets
            w = np.zeros((terms, planes), dtype=kernel.dtype)
            part = matrix[:, o0 : o0 + planes]
            w[:n_terms, : part.shape[1]] = part
            blocks.append((o0, planes, terms, fo, wo))
            offsets.append(off)
            weights.append(w.ravel())
            fo += terms
            wo += terms * planes
        return cls(band_rows, length, np.array(blocks, dtype=np.int64), np.concatenate(offsets),
                   np.concatenate(weights), c_src, c_out)


@dataclass(frozen=True)
class PlanarLayout:
    """What the ``planar`` engine derives once from a :class:`~.base.Plan` (cached on it)."""

    s0: int  #: grid positions per leading row (product of the padded inner shape)
    max_shift: int  #: largest tap shift
    dtype: np.dtype  #: the real compute dtype (complex plans run as (re, im) channel pairs)
    c_in: int  #: real input planes
    c_out: int  #: real output planes
    output_runs: np.ndarray  #: grid row -> output row runs
    input_runs: np.ndarray  #: grid row -> input row runs (the input inside the padding)
    grid_runs: np.ndarray  #: grid row -> padded row runs (the whole row)
    forward: Pass = field(repr=False)
    adjoint: Pass = field(repr=False)

    @classmethod
    def create(cls, plan: Plan, band: tuple[int, int]) -> PlanarLayout:
        """The layout of ``plan``; ``band`` is ``(band_bytes, bands)`` of the engine (see :func:`_band`)."""
        g = plan.geometry
        shape = g.padded_shape
        strides = [math.prod(shape[j + 1 :]) for j in range(g.ndim)]
        shifts = np.array([sum(k * d * s for k, d, s in zip(tap, g.dilation, strides, strict=True))
                           for tap in np.ndindex(*g.kernel_shape)], dtype=np.int64)
        a = plan.kernel.reshape(len(shifts), plan.c_in, plan.c_out)
        if a.dtype.kind == "c":  # (re, im) pairs: [[re, im], [-im, re]] per channel pair
            real = np.empty((len(shifts), plan.c_in, 2, plan.c_out, 2), dtype=a.real.dtype)
            real[:, :, 0, :, 0] = real[:, :, 1, :, 1] = a.real
            real[:, :, 0, :, 1] = a.imag
            real[:, :, 1, :, 0] = -a.imag
            a = real.reshape(len(shifts), 2 * plan.c_in, 2 * plan.c_out)
        s0 = math.prod(shape[1:])
        max_shift = int(shifts[-1])
        zero = (0,) * (g.ndim - 1)
        return cls(
            s0, max_shift, a.dtype, a.shape[1], a.shape[2],
            _row_runs(shape[1:], g.output_shape[1:], zero),
            _row_runs(shape[1:], g.input_shape[1:], tuple(p[0] for p in g.pad[1:])),
            _row_runs(shape[1:], shape[1:], zero),
            Pass.create(shifts, shifts, a, s0, band, g.output_shape[0]),
            Pass.create(shifts, max_shift - shifts, np.ascontiguousarray(a.conj().transpose(0, 2, 1)), s0, band,
                        g.input_shape[0] if plan.zero_boundary else g.padded_shape[0]),
        )


@cache
def _pool() -> ThreadPoolExecutor:
    """The helper threads (created on first use)."""
    return ThreadPoolExecutor(max(1, WORKERS - 1), thread_name_prefix="signalspace-planar")


def _share(task: Callable[[int, int], Any], n_items: int, threads: int, chunk: int) -> None:
    """``task(first, last)`` over ``range(n_items)`` in chunks, on the caller and ``threads - 1`` helper threads.

    Chunks are handed out one at a time (``itertools.count`` is atomic), so a thread whose core is taken by
    another program does less of the work instead of holding up the call.
    """
    if threads <= 1 or n_items <= chunk:
        task(0, n_items)
        return
    counter = itertools.count()

    def work() -> None:
        while (first := next(counter) * chunk) < n_items:
            task(first, min(first + chunk, n_items))

    helpers = [_pool().submit(work) for _ in range(min(threads, WORKERS) - 1)]
    work()
    for helper in helpers:
        helper.result()


def _real(a: np.ndarray) -> np.ndarray:
    """``a`` (contiguous) seen as real numbers: a complex ``(..., c)`` array becomes ``(..., 2c)``."""
    a = np.ascontiguousarray(a)
    return a.view(a.real.dtype) if a.dtype.kind == "c" else a


@dataclass(frozen=True)
class Planar(PricedEngine):
    """The ``planar`` engine (see the module docstring); its fields are the tunables of the band and thread split.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> plan = ss.Conv(np.ones((3, 3, 3, 16), np.float32), padding="same", ndim=2).plan((64, 64), 3, 1, np.float32)
    >>> Planar().applicable(plan) == numba_available()
    True
    """

    name: ClassVar[str] = "planar"

    #: Bytes of the planar buffer a band reads (its rows stay in L2).
    band_bytes: int = 2**19
    #: Bands a call is cut into at least (while a band keeps four halos of rows): the threads take them in turn,
    #: so a thread slowed by another program leaves the rest to the others (7 bands of 3 -> 16, 512², k = 3
    #: split 4 / 3).
    bands: int = 16
    #: Grid positions per tile: the output planes of a block over a tile stay in L1.
    tile: int = 1024
    #: Threads at most (the caller's and helpers).
    threads: int = WORKERS
    #: Below this many multiply-adds a call runs on the caller's thread only.
    parallel_macs: float = 2e6

    def applicable(self, plan: Plan) -> bool:
        """Channels to mix (not depthwise, not one channel in and out), unit stride, numba installed."""
        return (not plan.depthwise and plan.c_in * plan.c_out > 1 and all(s == 1 for s in plan.geometry.stride)
                and numba_available())

    def layout(self, plan: Plan) -> PlanarLayout:
        """The plan's :class:`PlanarLayout` (cached on the plan)."""
        band = (self.band_bytes, self.bands)
        return plan.cached(("planar", band), lambda: PlanarLayout.create(plan, band))

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """Multiply-adds on the grid positions of the output rows (padded terms and planes included), planar copies
        in (with each band's halo) and out, one call.  (Counted from the geometry: no layout is built.)"""
        g = plan.geometry
        pairs = 2 if plan.dtype.kind == "c" else 1  # complex: (re, im) planes
        c_in, c_out = pairs * plan.c_in, pairs * plan.c_out
        itemsize = plan.dtype.itemsize // pairs
        s0 = math.prod(g.padded_shape[1:])
        max_shift = sum(r * math.prod(g.padded_shape[j + 1 :]) for j, r in enumerate(g.reach))
        rows = g.output_shape[0]
        band_rows, length = _band(s0, max_shift, c_in, itemsize, self.band_bytes, rows, self.bands)
        macs = plan.batch * rows * s0 * _macs_per_position(plan.active_taps * c_in, c_out)
        copies = plan.batch * (-(-rows // band_rows) * length * c_in + math.prod(g.output_shape) * c_out)
        mac_term = "planar_single_mac_unit" if itemsize == 4 else "planar_double_mac_unit"
        return {mac_term: macs, "planar_copy_unit": copies, "planar_call": 1}

    def _run(self, p: Pass, lay: PlanarLayout, src: np.ndarray, src_runs: np.ndarray, src_row0: int,
             out: np.ndarray, out_runs: np.ndarray, lead: int, first_row: int, n_rows: int) -> None:
        from ._planar_numba import bands

        nb = src.shape[0]
        n_bands = -(-n_rows // p.band_rows)
        n_src_rows, src_row_len = src.shape[1], math.prod(src.shape[2:-1])
        out_row_len = math.prod(out.shape[2:-1])
        srcf, outf = src.reshape(-1), out.reshape(-1)

        def task(first: int, last: int) -> None:
            bands(srcf, p.c_src, src_runs, src_row0, n_src_rows, src_row_len, p.blocks, p.offsets, p.weights,
                  int(p.blocks[-1, 0] + p.blocks[-1, 1]), outf, p.c_out, out_runs, out_row_len, lay.s0, lead,
                  p.length, p.band_rows, first_row, n_rows, self.tile, first, last)

        macs = nb * n_rows * lay.s0 * len(p.weights)  # len(weights): multiply-adds per grid position
        threads = self.threads if macs >= self.parallel_macs else 1
        items = nb * n_bands
        _share(task, items, threads, max(1, items // (4 * threads)))

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """Band by band: planar input buffer, block kernels, channels-last output."""
        lay = self.layout(plan)
        g = plan.geometry
        x = _real(x)
        if plan.zero_boundary:  # the padding is implicit: zeros around the input's runs
            src, runs, row0 = x, lay.input_runs, g.pad[0][0]
        else:
            src, runs, row0 = np.ascontiguousarray(pad(x, g)), lay.grid_runs, 0
        y = np.empty((x.shape[0], *g.output_shape, lay.c_out), dtype=lay.dtype)
        self._run(lay.forward, lay, src, runs, row0, y, lay.output_runs, 0, 0, g.output_shape[0])
        return y.view(plan.dtype) if plan.dtype.kind == "c" else y

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """The same on ``y`` with reversed shifts and the conjugate transposed kernel; ``fold`` for other boundaries."""
        lay = self.layout(plan)
        g = plan.geometry
        y = _real(y)
        nb = y.shape[0]
        if plan.zero_boundary:  # only the input's rows of the padded grid, straight to x's layout
            out = np.empty((nb, *g.input_shape, lay.c_in), dtype=lay.dtype)
            self._run(lay.adjoint, lay, y, lay.output_runs, 0, out, lay.input_runs, lay.max_shift, g.pad[0][0],
                      g.input_shape[0])
        else:
            out = np.empty((nb, *g.padded_shape, lay.c_in), dtype=lay.dtype)
            self._run(lay.adjoint, lay, y, lay.output_runs, 0, out, lay.grid_runs, lay.max_shift, 0,
                      g.padded_shape[0])
            out = np.ascontiguousarray(fold(out, g))
        return out.view(plan.dtype) if plan.dtype.kind == "c" else out


ENGINE = Planar()
