"""``oa``: overlap-add for long 1-D signals with channels.

The signal is cut into blocks transformed in one batched real FFT call, the
channels are mixed per frequency and the overlaps added by reshapes; the block
length minimizes transform work per output sample.  One row of one channel
goes through :func:`~signalspace.ops.engines.oned.convolve1d` instead.  A
strided overlap-add computes every output and then subsamples, and its cost
counts the un-strided length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..padding import fold, pad
from .base import WORKERS, Plan, PricedEngine, dilated, full_indices, work_counts
from .costs import CostTable
from .fft import mix
from .oned import adjoint1d, fast_length, forward1d, lengths1d, plan1d, simple1d

__all__ = ["ENGINE", "OverlapAdd", "block_length"]

#: A forced overlap-add on a signal too short for blocks is one transform: priced 1 % above the FFT's.
_SHORT_SIGNAL = 1.01


def block_length(k: int, n: int, real: bool) -> int:
    """The transform length (a fast length from ``2k`` up) with the least ``L log2 L`` per output sample."""
    best, best_cost = None, math.inf
    m = max(2 * k, 64)
    while True:
        length = fast_length(m, not real)
        block = length - k + 1
        cost = length * math.log2(length) / block
        if cost < best_cost:
            best, best_cost = length, cost
        if length >= n + k - 1:
            break
        m = int(m * 1.25) + 1
    return best


def _full(u: np.ndarray, h: np.ndarray, depthwise: bool, length: int) -> np.ndarray:
    """Full linear convolution along the last axis of u (nb, c, n) with h (c_in, c_out, K) by overlap-add."""
    from scipy import fft as sfft

    nb, c, n = u.shape
    k = h.shape[-1]
    block = length - k + 1
    nblocks = -(-n // block)
    complex_ = np.iscomplexobj(u) or np.iscomplexobj(h)
    blocks = np.zeros((nb, c, nblocks, block), dtype=np.result_type(u, h))
    blocks.reshape(nb, c, -1)[..., :n] = u
    fwd, inv = (sfft.fft, sfft.ifft) if complex_ else (sfft.rfft, sfft.irfft)
    spec = fwd(blocks, n=length, axis=-1, workers=WORKERS)
    hs = fwd(h, n=length, axis=-1)[:, :, None, :]
    spec = mix(spec, hs, depthwise, False)
    z = inv(spec, n=length, axis=-1, workers=WORKERS, overwrite_x=True)
    nbo, co = z.shape[:2]
    out = np.zeros((nbo, co, (nblocks + 1) * block), dtype=z.dtype)
    out[..., : nblocks * block] = z[..., :block].reshape(nbo, co, -1)
    tail = np.zeros((nbo, co, nblocks, block), dtype=z.dtype)
    tail[..., : k - 1] = z[..., block:]
    out[..., block:] += tail.reshape(nbo, co, -1)
    return out[..., : n + k - 1]


def _kernel(plan: Plan) -> np.ndarray:
    h = dilated(plan.kernel, plan.geometry.dilation, 1)[::-1]
    h = h[..., None, None] if plan.depthwise else h
    return np.moveaxis(h, 0, -1)  # (c_in, c_out, K)


def _forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    """Overlap-add of every channel along the one axis, the channels mixed per frequency."""
    if simple1d(plan):
        return forward1d(x, plan, "oa")
    g = plan.geometry
    implicit = plan.zero_boundary
    src = x if implicit else pad(x, g)
    h = _kernel(plan)
    n = src.shape[1]
    length = block_length(h.shape[-1], n, plan.dtype.kind != "c")
    z = _full(np.moveaxis(src, -1, 1), h, plan.depthwise, length)
    sl = full_indices(plan)[0] if implicit else slice(g.reach[0], g.reach[0] + (g.output_shape[0] - 1) * g.stride[0]
                                                        + 1, g.stride[0])
    return np.ascontiguousarray(np.moveaxis(z[..., sl], 1, -1), dtype=plan.dtype)


def _adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    """Overlap-add of the zero-filled y with the reversed conjugate kernel, channels swapped."""
    if simple1d(plan):
        return adjoint1d(y, plan, "oa")
    g = plan.geometry
    implicit = plan.zero_boundary
    n = g.input_shape[0] if implicit else g.padded_shape[0]
    r = g.reach[0]
    sl = full_indices(plan)[0] if implicit else slice(r, r + (g.output_shape[0] - 1) * g.stride[0] + 1, g.stride[0])
    c = y.shape[-1]
    zg = np.zeros((y.shape[0], c, n + r), dtype=plan.dtype)
    zg[..., sl] = np.moveaxis(y, -1, 1)
    h = _kernel(plan)[..., ::-1].conj().swapaxes(0, 1)  # x_grad = zg (*) conj(h reversed), channels swapped
    length = block_length(h.shape[-1], n + r, plan.dtype.kind != "c")
    xg = _full(zg, h, plan.depthwise, length)[..., r : r + n]
    xg = np.ascontiguousarray(np.moveaxis(xg, 1, -1), dtype=plan.dtype)
    return xg if implicit else fold(xg, g)


class OverlapAdd(PricedEngine):
    """The ``oa`` engine (see the module docstring)."""

    name = "oa"

    def applicable(self, plan: Plan) -> bool:
        """One spatial axis."""
        return plan.ndim == 1

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """Transforms of the blocks of every input and output channel and the channel mix per frequency."""
        if simple1d(plan):
            n, k, complex_ = lengths1d(plan)
            best = plan1d(n, k, complex_, allow_np=False, costs=costs)
            if best.method == "oa":
                return best.work
            return {term: _SHORT_SIGNAL * amount for term, amount in best.work.items()}
        _, _, c, c_mix, c_out = work_counts(plan)
        g, nb = plan.geometry, plan.batch
        k = g.reach[0] + 1
        n = g.padded_shape[0]
        length = block_length(k, n, True)
        size = -(-n // (length - k + 1)) * length
        return {"oa_transform_unit": size * math.log2(length) * nb * (c + c_out) / 2,
                "oa_mix_unit": size * nb * c_mix, "oa_call": 1}

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """See :func:`_forward`."""
        return _forward(x, plan)

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """See :func:`_adjoint`."""
        return _adjoint(y, plan)


ENGINE = OverlapAdd()
