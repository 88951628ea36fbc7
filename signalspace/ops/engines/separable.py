"""``separable``: a kernel that is exactly rank-1 (an outer product of 1-D taps, times a channel matrix).

One 1-D pass per axis (:func:`scipy.ndimage.correlate1d`, or strided taps by
``direct``), then the channel mix; the adjoint's unit-stride zero-boundary
passes are ``correlate1d`` with the reversed taps.  Detected with one SVD per
axis unfolding and accepted only when the reconstruction residual is below
``1e-6`` (double precision, ``1e-4`` single) relative: the engine applies to
those kernels only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..geometry import ConvGeometry
from .base import Plan, PricedEngine, work_counts
from .costs import CostTable
from .direct import ENGINE as DIRECT

__all__ = ["ENGINE", "Separable", "factorize", "factors"]


def factors(plan: Plan) -> tuple[list[np.ndarray], np.ndarray | None] | None:
    """:func:`factorize` of the plan's kernel, cached on the plan.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> g = np.exp(-0.5 * np.linspace(-2, 2, 5) ** 2)
    >>> taps, mix = factors(ss.Conv(np.outer(g, g)).plan((16, 16), 1, 1, np.float64))
    >>> [t.shape for t in taps], mix
    ([(5,), (5,)], None)
    """
    return plan.cached("separable", lambda: factorize(plan.kernel, plan.ndim, plan.depthwise))


def factorize(kernel: np.ndarray, ndim: int, depthwise: bool) -> tuple[list[np.ndarray], np.ndarray | None] | None:
    """``(taps per axis, channel matrix or None)`` when ``kernel`` is exactly rank-1, else None (see the module)."""
    spatial = kernel.shape[:ndim]
    if ndim < 2 or math.prod(spatial) <= 1 or not np.any(kernel):
        return None
    tol = 1e-6 if kernel.dtype in (np.float64, np.complex128) else 1e-4
    factors = []
    for axis in range(ndim):
        unfolded = np.moveaxis(kernel, axis, 0).reshape(spatial[axis], -1)
        u, s, _ = np.linalg.svd(unfolded, full_matrices=False)
        if len(s) > 1 and s[1] > tol * s[0]:
            return None
        factors.append(u[:, 0])
    core = kernel
    for f in factors:  # contract the leading spatial axis each time
        core = np.tensordot(f.conj(), core, axes=(0, 0))
    rebuilt = core
    for f in reversed(factors):
        rebuilt = np.multiply.outer(f, rebuilt)
    norm = np.linalg.norm(kernel)
    if np.linalg.norm(rebuilt - kernel) > tol * norm:
        return None
    if depthwise:
        factors[0] = factors[0] * core
        return [f.astype(kernel.dtype) for f in factors], None
    return [f.astype(kernel.dtype) for f in factors], np.asarray(core, dtype=kernel.dtype)


def _axis_geometry(g: ConvGeometry, axis: int, shape: tuple[int, ...]) -> ConvGeometry:
    """The 1-D geometry of one separable pass, embedded as an N-D geometry acting on one axis."""
    one = [1] * g.ndim
    kshape = list(one)
    kshape[axis] = g.kernel_shape[axis]
    stride, dilation = list(one), list(one)
    stride[axis], dilation[axis] = g.stride[axis], g.dilation[axis]
    padding = [(0, 0)] * g.ndim
    padding[axis] = g.pad[axis]
    return ConvGeometry.create(shape, kshape, stride=stride, dilation=dilation, padding=padding,
                               boundary=g.boundary)


def _pass(x: np.ndarray, taps: np.ndarray, g: ConvGeometry, axis: int, adjoint: bool) -> np.ndarray:
    from scipy import ndimage

    shape = x.shape[1:-1] if not adjoint else None
    if adjoint:
        # input shape of this pass: output shape along `axis`, except `axis` itself which is the original input
        shape = list(x.shape[1:-1])
        shape[axis] = g.input_shape[axis]
    ag = _axis_geometry(g, axis, tuple(shape))
    kernel = taps.reshape([len(taps) if i == axis else 1 for i in range(g.ndim)])
    (pb, _pa), k, n = g.pad[axis], g.kernel_shape[axis], g.input_shape[axis]
    if not adjoint and g.stride[axis] == 1 and g.dilation[axis] == 1 and pb <= k - 1 and ag.output_shape[axis] <= n:
        w = taps.conj() if np.iscomplexobj(taps) else taps
        out = ndimage.correlate1d(x, w, axis=axis + 1, mode=g.boundary[axis], cval=0.0, origin=pb - k // 2)
        index = [slice(None)] * x.ndim
        index[axis + 1] = slice(0, ag.output_shape[axis])
        return out[tuple(index)]
    if adjoint and g.stride[axis] == 1 and g.dilation[axis] == 1 and g.boundary[axis] == "constant" and pb <= k - 1 \
            and x.shape[axis + 1] >= n:
        # x_grad[m] = sum_t conj(w[K-1-t]) y[m + pb - r + t]: one correlate1d with the reversed taps (ndimage
        # conjugates complex weights), zero outside y; no padded copy, no fold
        out = ndimage.correlate1d(x, taps[::-1], axis=axis + 1, mode="constant", cval=0.0, origin=k - 1 - pb - k // 2)
        index = [slice(None)] * x.ndim
        index[axis + 1] = slice(0, n)
        return out[tuple(index)]
    sub = Plan(ag, kernel, True, x.shape[-1], x.shape[-1])
    return DIRECT.adjoint(x, sub) if adjoint else DIRECT.forward(x, sub)


def _forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    """One 1-D pass per axis; the channel mix first when it reduces the channels, else last."""
    taps, mix = factors(plan)
    g = plan.geometry
    if mix is not None and mix.shape[1] < mix.shape[0]:
        x = x @ mix
        mix_after = None
    else:
        mix_after = mix
    for axis in range(g.ndim):
        x = _pass(x, taps[axis], g, axis, False)
    if mix_after is not None:
        x = x @ mix_after
    return np.ascontiguousarray(x, dtype=plan.dtype)


def _adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    """The passes of :func:`_forward` transposed, in reverse order."""
    taps, mix = factors(plan)
    g = plan.geometry
    mh = None if mix is None else mix.conj().T
    if mh is not None and mh.shape[1] < mh.shape[0]:
        y = y @ mh
        mh_after = None
    else:
        mh_after = mh
    for axis in reversed(range(g.ndim)):
        y = _pass(y, taps[axis], g, axis, True)
    if mh_after is not None:
        y = y @ mh_after
    return np.ascontiguousarray(y, dtype=plan.dtype)


class Separable(PricedEngine):
    """The ``separable`` engine (see the module docstring)."""

    name = "separable"

    def applicable(self, plan: Plan) -> bool:
        """An exactly rank-1 kernel of 2 or more spatial axes."""
        return factors(plan) is not None

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """``sum(k_j)`` multiply-adds per sample and channel (correlate1d passes), and the channel mix."""
        _, n_in, c, _, c_out = work_counts(plan)
        g = plan.geometry
        n_x = plan.batch * math.prod(g.input_shape)
        passes = sum(g.kernel_shape) * n_x * min(c, c_out)
        if g.ndim > 3:
            unit = "separable_high_dim_unit"
        elif plan.dtype.itemsize * (1 + (plan.dtype.kind == "c")) <= 4:
            unit = "separable_single_unit"
        else:
            unit = "separable_double_unit"
        mix = 0 if plan.depthwise else n_in * c * c_out
        return {unit: passes, "separable_mix_unit": mix, "separable_axis_call": g.ndim}

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """See :func:`_forward`."""
        return _forward(x, plan)

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """See :func:`_adjoint`."""
        return _adjoint(y, plan)


ENGINE = Separable()
