"""``direct``: one vectorized multiply-add (or one small GEMM) per non-zero kernel tap, on strided views.

A depthwise or single-channel tap is ``y += w * view``, a tap with channels
``y += view @ w`` (``(..., c_in) @ (c_in, c_out)``), ``view`` being the padded
input seen through the tap's strides and dilation: stride and dilation are
native, zero taps are skipped.  Applies to every plan: the reference the
other engines fall back on.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..geometry import ConvGeometry
from ..padding import fold, pad
from .base import Plan, PricedEngine, work_counts
from .blas import PARALLEL_GEMM_MNK, blas_threads, gemm_threads
from .costs import CostTable

__all__ = ["ENGINE", "Direct", "adjoint_valid", "forward_valid"]


def tap_slices(geometry: ConvGeometry, tap: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple:
    """The view of the padded grid that kernel tap ``tap`` reads for every output (batch and channels whole)."""
    return (
        slice(None),
        *(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, s, o in zip(tap, geometry.dilation, geometry.stride, out_shape, strict=True)
        ),
        slice(None),
    )


def forward_valid(xp: np.ndarray, plan: Plan) -> np.ndarray:
    """The correlation of the already padded ``xp``, one tap at a time."""
    g = plan.geometry
    out_shape = g.output_shape
    a = plan.kernel
    c_out = xp.shape[-1] if plan.depthwise else plan.c_out
    y = np.zeros((xp.shape[0], *out_shape, c_out), dtype=plan.dtype)
    for tap in np.ndindex(*g.kernel_shape):
        w = a[tap]
        if not np.any(w):
            continue
        view = xp[tap_slices(g, tap, out_shape)]
        if plan.depthwise:
            y += w * view
        else:
            y += view @ w
    return y


def adjoint_valid(y: np.ndarray, plan: Plan) -> np.ndarray:
    """The adjoint of :func:`forward_valid`: the gradient on the padded grid."""
    g = plan.geometry
    c_in = y.shape[-1] if plan.depthwise else plan.c_in
    gp = np.zeros((y.shape[0], *g.padded_shape, c_in), dtype=plan.dtype)
    a = plan.kernel.conj()
    for tap in np.ndindex(*g.kernel_shape):
        w = a[tap]
        if not np.any(w):
            continue
        view = gp[tap_slices(g, tap, g.output_shape)]
        if plan.depthwise:
            view += w * y
        else:
            view += y @ w.T
    return gp


@dataclass(frozen=True)
class Direct(PricedEngine):
    """The ``direct`` engine (see the module docstring)."""

    name: ClassVar[str] = "direct"

    #: ``m * n * k`` of a tap's GEMM (outputs x c_in x c_out) from which BLAS runs it on every core; below, on one
    #: thread (set per call: OpenBLAS's threads on many medium GEMMs in a row cost more than they give when the
    #: other core is taken).
    parallel_gemm_mnk: float = PARALLEL_GEMM_MNK

    def applicable(self, plan: Plan) -> bool:
        """Always."""
        return True

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """A numpy call per non-zero tap, a multiply-add per tap and output value (a GEMM with channels)."""
        n_out, _, c, c_mix, c_out = work_counts(plan)
        active = plan.active_taps
        if plan.depthwise or c_mix == 1:
            return {"direct_mac_unit": active * n_out * c, "direct_tap_call": active}
        return {"direct_gemm_unit": active * n_out * c_mix, "direct_write_unit": active * n_out * c_out,
                "direct_tap_call": active}

    def _blas(self, plan: Plan) -> AbstractContextManager:
        """BLAS threads for the taps' GEMMs (none without channel mixing)."""
        n_out, _, _, c_mix, _ = work_counts(plan)
        if plan.depthwise or c_mix == 1:
            return nullcontext()
        return blas_threads(gemm_threads(n_out * c_mix, self.parallel_gemm_mnk))

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """Pad, then :func:`forward_valid`."""
        with self._blas(plan):
            return forward_valid(pad(x, plan.geometry), plan)

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """:func:`adjoint_valid`, then fold the padding back."""
        with self._blas(plan):
            return fold(adjoint_valid(y, plan), plan.geometry)


ENGINE = Direct()
