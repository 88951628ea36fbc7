"""``numpy1d``: :func:`numpy.convolve` on one 1-D row (no batch, one channel, zero boundary).

Unit stride runs through :func:`~signalspace.ops.engines.oned.convolve1d` with
np.convolve.  A stride ``s`` runs natively by polyphase decomposition: ``s``
correlations of ``n / s`` samples with ``k / s`` taps each (``n k / s``
multiply-adds; never the full output subsampled).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..padding import fold, pad
from .base import Plan, PricedEngine
from .costs import CostTable
from .oned import adjoint1d, forward1d, kernel1d, lengths1d, simple1d

__all__ = ["ENGINE", "Numpy1d"]


def _polyphase(plan: Plan) -> list[tuple[int, np.ndarray]]:
    """Stride s: ``y[i] = sum_p sum_q h[q*s + p] xp[(i + q)*s + p]``, one short correlation per phase ``p``."""
    h, s = kernel1d(plan), plan.geometry.stride[0]
    return [(p, h[p::s]) for p in range(min(s, len(h))) if np.any(h[p::s])]


class Numpy1d(PricedEngine):
    """The ``numpy1d`` engine (see the module docstring)."""

    name = "numpy1d"

    def applicable(self, plan: Plan) -> bool:
        """One 1-D row of one channel with a zero boundary."""
        return simple1d(plan)

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """``n k / s`` multiply-adds of np.convolve, a call per phase, and the phases' copy when strided."""
        n, k, _ = lengths1d(plan)
        s = plan.geometry.stride[0]
        return {"oned_np_mac_unit": n * k / s, "numpy1d_phase_call": s, "numpy1d_phase_copy_unit": n if s > 1 else 0}

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """np.convolve, per phase when strided."""
        g = plan.geometry
        if g.stride[0] == 1:
            return forward1d(x, plan, "np")
        s, n_out = g.stride[0], g.output_shape[0]
        xp = pad(x, g).reshape(-1)
        y = np.zeros(n_out, dtype=plan.dtype)
        for p, v in _polyphase(plan):
            y += np.convolve(xp[p::s], v[::-1], "valid")[:n_out]
        return y.reshape(1, n_out, 1)

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """np.convolve with the conjugate taps, per phase when strided."""
        g = plan.geometry
        if g.stride[0] == 1:
            return adjoint1d(y, plan, "np")
        s = g.stride[0]
        y1 = y.reshape(-1)
        gp = np.zeros(g.padded_shape[0], dtype=plan.dtype)
        for p, v in _polyphase(plan):
            phase = gp[p::s]
            back = np.convolve(y1, v.conj())[: len(phase)]
            phase[: len(back)] += back
        return fold(gp.reshape(1, -1, 1), g)


ENGINE = Numpy1d()
