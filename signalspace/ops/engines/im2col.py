"""``im2col``: patches of the padded input times the kernel matrix, one BLAS GEMM per chunk.

For multi-channel kernels.  Patches are strided, dilated windows of the padded
input, built in chunks of at most :attr:`Im2col.chunk_bytes` (in cache).  BLAS
runs a chunk's GEMM on one thread unless it is large
(:attr:`Im2col.parallel_gemm_mnk`; set per call with threadpoolctl).

*Flat* im2col (unit stride, when a padded row is at most :attr:`Im2col.flat_waste`
times an output row): with the padded input channels first and flattened,
``xf[c, q]``, an output at padded-grid position ``q`` reads ``xf[c, q + off_t]``
for tap ``t`` (``off_t = sum_j k_j d_j S_j``, ``S`` the padded strides).
Computing every padded-grid position of a block of leading rows (and dropping
the few that wrap) turns each patch row into one contiguous copy (memcpy speed,
instead of strided runs of ``c_in`` samples), and the adjoint into one GEMM plus
contiguous adds (a col2im scatter with ``taps * c_in`` rows, not ``taps *
c_out``).  Otherwise the adjoint is an im2col correlation of ``y`` (unit steps,
zero boundary: the flipped, conjugated, channel-transposed kernel) or the
``direct`` adjoint.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..geometry import ConvGeometry
from ..padding import fold, pad
from .base import Plan, PricedEngine, work_counts
from .blas import PARALLEL_GEMM_MNK, blas_threads, gemm_threads
from .costs import CostTable
from .direct import ENGINE as DIRECT

__all__ = ["ENGINE", "Im2col"]


@dataclass(frozen=True)
class Im2col(PricedEngine):
    """The ``im2col`` engine; its fields are the tunables of the chunking (measured on 3 -> 16 channels, 512²,
    k = 3, float32, 2 shared cores).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> conv = ss.Conv(np.ones((3, 3, 2, 4)), padding="same")
    >>> plan = conv.plan((16, 16), 2, 1, np.float64)
    >>> Im2col().flat(plan), Im2col(flat_waste=1.0).flat(plan)      # a padded row is 18/16 of an output row
    (True, False)
    """

    name: ClassVar[str] = "im2col"

    #: Bytes of patches built per GEMM on strided windows (in L2: 8.0 ms, against 15 ms with 32 MiB chunks).
    chunk_bytes: int = 2**18
    #: Bytes of patch rows per chunk of the flat layout (forward/adjoint 5.4/5.6 ms at 4 MiB, 5.9/11.7 ms at 256 KiB).
    flat_chunk_bytes: int = 2**22
    #: Largest ratio of padded-grid positions to outputs in one leading row for which the flat layout is used.
    flat_waste: float = 1.3
    #: ``m * n * k`` of a chunk's GEMM from which BLAS runs it on every core; below, on one thread, set per call
    #: (:func:`~signalspace.ops.engines.blas.blas_threads`): OpenBLAS's own threads on cache-sized GEMMs cost 3-7x
    #: on a shared machine (3 -> 16, 512², k = 3: 57.7 ms against 8.1 ms on one thread).
    parallel_gemm_mnk: float = PARALLEL_GEMM_MNK

    def applicable(self, plan: Plan) -> bool:
        """Always (the adjoint falls back on ``direct`` where no im2col correlation gives it)."""
        return True

    def flat(self, plan: Plan) -> bool:
        """True when the flat layout runs ``plan``: unit stride, padded rows at most ``flat_waste`` times longer."""
        g = plan.geometry
        if any(s != 1 for s in g.stride):
            return False
        return math.prod(g.padded_shape[1:]) <= self.flat_waste * math.prod(g.output_shape[1:])

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """A copy per patch value and a multiply-add per GEMM term (a patch copy per output for one channel)."""
        n_out, _, c, c_mix, c_out = work_counts(plan)
        taps, g = plan.taps, plan.geometry
        flat = self.flat(plan)
        # the flat layout takes a Python step per tap and chunk: 48 000 taps (a kernel gradient) took 0.27 s
        tap_calls = taps * plan.batch * -(-g.output_shape[0] // self._flat_rows(plan)) if flat else 0
        if plan.depthwise or c_mix == 1:  # a patch copy per output for one multiply-add: never cheap
            return {"im2col_single_unit": taps * n_out * c, "im2col_flat_tap_call": tap_calls, "im2col_call": 1}
        if flat:  # contiguous patch rows on the padded grid (measured 3 -> 16, 512^2 f32, k=3: 5.4 ms)
            n_grid = plan.batch * g.output_shape[0] * math.prod(g.padded_shape[1:])
            return {"im2col_flat_patch_unit": taps * n_grid * c, "im2col_flat_gemm_unit": taps * n_grid * c * c_out,
                    "im2col_flat_tap_call": tap_calls, "im2col_call": 1}
        return {"im2col_patch_unit": taps * n_out * c, "im2col_gemm_unit": taps * n_out * c * c_out, "im2col_call": 1}

    def _blas(self, m: int, kn: int) -> AbstractContextManager:
        """BLAS threads for GEMMs of ``m`` rows whose other two sizes multiply to ``kn``."""
        return blas_threads(gemm_threads(m * kn, self.parallel_gemm_mnk))

    def _flat_layout(self, plan: Plan) -> tuple[list[int], int, int, int]:
        """``(tap offsets, leading-row stride S0, padded size, rows per chunk)`` of the flat im2col."""
        g = plan.geometry
        shape = g.padded_shape
        strides = [math.prod(shape[j + 1 :]) for j in range(g.ndim)]
        offsets = [sum(k * d * s for k, d, s in zip(tap, g.dilation, strides, strict=True))
                   for tap in np.ndindex(*g.kernel_shape)]
        return offsets, strides[0], math.prod(shape), self._flat_rows(plan)

    def _flat_rows(self, plan: Plan) -> int:
        """Leading rows per chunk of the flat layout (its patch rows fill ``flat_chunk_bytes``)."""
        g = plan.geometry
        row = math.prod(g.padded_shape[1:]) * plan.taps * plan.c_in * plan.dtype.itemsize
        return max(1, self.flat_chunk_bytes // max(row, 1))

    @staticmethod
    def _flat_tasks(plan: Plan, nb: int, rows: int) -> list[tuple[int, int, int]]:
        """Chunks ``(batch, first row, stop row)`` of the flat im2col.  One thread: measured on the shared machine,
        splitting them over the caller's and a helper thread was 15 % slower (7.0 vs 5.9 ms, 3 -> 16, k=3)."""
        n0 = plan.geometry.output_shape[0]
        return [(b, r, min(r + rows, n0)) for b in range(nb) for r in range(0, n0, rows)]

    def _flat_forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """Forward of the flat layout: contiguous patch rows, one GEMM per chunk."""
        g = plan.geometry
        xp = pad(x, g)
        nb, c_in = xp.shape[0], xp.shape[-1]
        a = plan.kernel_matrix()
        c_out = a.shape[-1]
        w = a.reshape(-1, c_out)  # (taps * c_in, c_out): row t * c_in + c
        offsets, s0, total, rows = self._flat_layout(plan)
        out_shape, inner = g.output_shape, g.padded_shape[1:]
        keep = (slice(None), *(slice(0, o) for o in out_shape[1:]), slice(None))
        xf = np.zeros((nb, c_in, total + s0 + offsets[-1]), dtype=plan.dtype)
        for b in range(nb):
            xf[b, :, :total] = xp[b].reshape(total, c_in).T
        y = np.empty((nb, *out_shape, c_out), dtype=plan.dtype)
        buf = np.empty((len(offsets) * c_in, rows * s0), dtype=plan.dtype)
        res = np.empty((rows * s0, c_out), dtype=plan.dtype)
        with self._blas(rows * s0, w.shape[0] * c_out):
            for b, start, stop in self._flat_tasks(plan, nb, rows):
                n, q0 = (stop - start) * s0, start * s0
                cols = buf[:, :n] if n == buf.shape[1] else np.empty((buf.shape[0], n), dtype=plan.dtype)
                for t, off in enumerate(offsets):
                    cols[t * c_in : (t + 1) * c_in] = xf[b, :, q0 + off : q0 + off + n]
                part = res[:n]
                np.matmul(cols.T, w, out=part)
                y[b, start:stop] = part.reshape(stop - start, *inner, c_out)[keep]
        return y

    def _flat_adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """Adjoint of the flat layout: one GEMM per chunk, then contiguous adds (col2im)."""
        g = plan.geometry
        nb = y.shape[0]
        a = plan.kernel_matrix()
        c_in, c_out = a.shape[-2], a.shape[-1]
        if plan.depthwise:
            c_in = c_out = y.shape[-1]
        # (taps * c_in, c_out), column-major: OpenBLAS then runs w @ y.T on one thread in 4.2 ms instead of 6.5 ms
        # (3 -> 16, 512^2, k=3, float32; the forward's GEMM takes 3.0 ms)
        w = np.asfortranarray(a.reshape(-1, c_out).conj())
        offsets, s0, total, rows = self._flat_layout(plan)
        out_shape, inner = g.output_shape, g.padded_shape[1:]
        keep = (slice(None), *(slice(0, o) for o in out_shape[1:]), slice(None))
        gf = np.zeros((nb, c_in, total + s0 + offsets[-1]), dtype=plan.dtype)
        ypw = np.zeros((rows, *inner, c_out), dtype=plan.dtype)  # y on the padded grid: zeros where it wraps
        zt = np.empty((len(offsets) * c_in, rows * s0), dtype=plan.dtype)
        with self._blas(rows * s0, w.shape[0] * c_out):
            for b, start, stop in self._flat_tasks(plan, nb, rows):
                n, q0 = (stop - start) * s0, start * s0
                ypw[: stop - start][keep] = y[b, start:stop]
                part = zt[:, :n] if n == zt.shape[1] else np.empty((zt.shape[0], n), dtype=plan.dtype)
                np.matmul(w, ypw[: stop - start].reshape(n, c_out).T, out=part)
                for t, off in enumerate(offsets):
                    gf[b, :, q0 + off : q0 + off + n] += part[t * c_in : (t + 1) * c_in]
        # fold slices (and for non-constant boundaries adds) the core; channels go back last one at a time
        gp = fold(gf[:, :, :total].reshape(nb, c_in, *g.padded_shape), g, first=2)
        if c_in > 8:
            return np.ascontiguousarray(np.moveaxis(gp, 1, -1))
        out = np.empty((nb, *g.input_shape, c_in), dtype=plan.dtype)
        for c in range(c_in):  # strided writes: 0.23 ms vs 0.94 ms for a moveaxis copy (512^2 x 3 float32)
            out[..., c] = gp[:, c]
        return out

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """Patches times the kernel matrix: the flat layout when :meth:`flat`, else strided windows in chunks."""
        if self.flat(plan):
            return self._flat_forward(x, plan)
        g = plan.geometry
        xp = pad(x, g)
        nb, c_in = xp.shape[0], xp.shape[-1]
        a = plan.kernel_matrix()
        c_out = a.shape[-1]
        w = a.reshape(-1, c_out)  # (taps * c_in, c_out), taps in C order then channel
        windows = np.lib.stride_tricks.sliding_window_view(
            xp, tuple(r + 1 for r in g.reach), axis=tuple(range(1, g.ndim + 1))
        )  # (nb, out_full..., c_in, window...)
        windows = windows[
            (slice(None), *(slice(None, (o - 1) * s + 1, s) for o, s in zip(g.output_shape, g.stride, strict=True)),
             slice(None), *(slice(None, None, d) for d in g.dilation))
        ]
        nd = g.ndim
        order = (0, *range(1, nd + 1), *range(nd + 2, 2 * nd + 2), nd + 1)
        windows = windows.transpose(order)  # (nb, out..., taps..., c_in)
        out_shape = g.output_shape
        y = np.empty((nb, *out_shape, c_out), dtype=plan.dtype)
        row_bytes = math.prod(out_shape[1:]) * plan.taps * c_in * plan.dtype.itemsize
        rows = max(1, self.chunk_bytes // max(row_bytes, 1))
        with self._blas(rows * math.prod(out_shape[1:]), w.shape[0] * c_out):
            for b in range(nb):
                for start in range(0, out_shape[0], rows):
                    stop = min(start + rows, out_shape[0])
                    cols = windows[b, start:stop].reshape(-1, w.shape[0])
                    y[b, start:stop] = (cols @ w).reshape(stop - start, *out_shape[1:], c_out)
        return y

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """Unit stride, zero boundary: the adjoint is itself a correlation (of y with the flipped, conjugated,
        channel-transposed kernel, padded by ``reach - pad_before``), run by the im2col forward; else ``direct``."""
        if self.flat(plan):
            return self._flat_adjoint(y, plan)
        if not (plan.unit_steps and plan.zero_boundary):
            return DIRECT.adjoint(y, plan)

        def make() -> Plan:
            g = plan.geometry
            nd = g.ndim
            a = plan.kernel_matrix()[tuple(slice(None, None, -1) for _ in range(nd))].conj().swapaxes(-1, -2)
            padding = [(r - pb, n - o + pb) for r, (pb, _), n, o in zip(g.reach, g.pad, g.input_shape, g.output_shape,
                                                                          strict=True)]
            ag = ConvGeometry.create(g.output_shape, g.kernel_shape, dilation=g.dilation, padding=padding)
            return Plan(ag, np.ascontiguousarray(a), False, plan.c_out, plan.c_in, plan.batch)

        return self.forward(y, plan.cached("im2col-adjoint", make))


ENGINE = Im2col()
