"""``ndimage``: :func:`scipy.ndimage.correlate`, one channel or depthwise, unit stride and dilation.

The boundary is scipy.ndimage's own when one mode covers every axis and the
pads stay within the kernel; otherwise the input is padded first (the
"constant" mode then reads the pad).  The adjoint is one ``correlate`` with
the reversed kernel (scipy.ndimage conjugates complex weights).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..geometry import ConvGeometry
from ..padding import fold, pad
from .base import Plan, PricedEngine, work_counts
from .costs import CostTable

__all__ = ["ENGINE", "Ndimage"]


def _native(g: ConvGeometry) -> bool:
    """True when scipy.ndimage's own boundary runs the forward on the input as it is (else on the padded input):
    one mode for every axis, pads within the kernel, no more outputs than inputs."""
    return len(set(g.boundary)) == 1 and all(
        pb <= k - 1 and o <= n for (pb, _), k, o, n in zip(g.pad, g.kernel_shape, g.output_shape, g.input_shape,
                                                            strict=True)
    )


class Ndimage(PricedEngine):
    """The ``ndimage`` engine (see the module docstring)."""

    name = "ndimage"

    def applicable(self, plan: Plan) -> bool:
        """One channel (or depthwise), unit stride and dilation."""
        return (plan.depthwise or (plan.c_in == 1 and plan.c_out == 1)) and plan.unit_steps

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """A multiply-add per non-zero tap and position computed (longer loops in more axes), a pad copy for mixed
        modes.  scipy.ndimage computes an output at every position of the array it is given (the input, or the
        padded input) and the outputs are cropped from those: with "valid" padding and a kernel as large as the
        input (a kernel gradient) that is far more than the outputs."""
        _, n_in, c, _, _ = work_counts(plan)
        g = plan.geometry
        positions = plan.batch * math.prod(g.input_shape if _native(g) else g.padded_shape)
        macs = plan.active_taps * positions * c
        pad_copy = 0 if len(set(g.boundary)) == 1 else n_in * c
        return {"ndimage_mac_unit": macs, "ndimage_mac_axis_unit": g.ndim * macs, "ndimage_pad_unit": pad_copy,
                "ndimage_call": 1}

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """scipy.ndimage.correlate with its boundary, or on the padded input."""
        from scipy import ndimage

        g = plan.geometry
        w = plan.kernel if plan.depthwise else plan.kernel[..., 0, 0]
        w = w.conj()  # ndimage.correlate conjugates complex weights
        if _native(g):
            src, origin = x, [pb - k // 2 for (pb, _), k in zip(g.pad, g.kernel_shape, strict=True)]
            mode = g.boundary[0]
        else:
            src, origin, mode = pad(x, g), [-(k // 2) for k in g.kernel_shape], "constant"
        squeeze = src.shape[0] * src.shape[-1] == 1
        if squeeze:
            out = ndimage.correlate(src.reshape(src.shape[1:-1]), w, mode=mode, cval=0.0, origin=origin)
            out = out[None, ..., None]
        else:
            out = ndimage.correlate(src, w[None, ..., None], mode=mode, cval=0.0, origin=[0, *origin, 0])
        return out[(slice(None), *(slice(0, o) for o in g.output_shape), slice(None))]

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """One scipy.ndimage.correlate with the reversed kernel, then fold the padding back."""
        from scipy import ndimage

        g = plan.geometry
        w = plan.kernel if plan.depthwise else plan.kernel[..., 0, 0]
        # gp[p] = sum_k conj(a[k]) y[p - k]: a convolution with conj(a), i.e. ndimage.correlate with flipped a
        # gp[p] = sum_t conj(a[K-1-t]) yp[p + t]; ndimage.correlate conjugates its weights, so pass a reversed
        wf = w[tuple(slice(None, None, -1) for _ in range(g.ndim))]
        if plan.zero_boundary and all(n <= o for n, o in zip(g.input_shape, g.output_shape, strict=True)):
            # x_grad[m] = sum_t conj(a[K-1-t]) y[m + pb - r + t]: one call, no padding
            origin = [r - pb - k // 2 for r, (pb, _), k in zip(g.reach, g.pad, g.kernel_shape, strict=True)]
            if y.shape[0] * y.shape[-1] == 1:
                out = ndimage.correlate(y.reshape(y.shape[1:-1]), wf, mode="constant", origin=origin)[None, ..., None]
            else:
                out = ndimage.correlate(y, wf[None, ..., None], mode="constant", origin=[0, *origin, 0])
            return out[(slice(None), *(slice(0, n) for n in g.input_shape), slice(None))]
        tails = zip(g.reach, g.padded_shape, g.output_shape, strict=True)
        widths = [(0, 0), *((r, p - o) for r, p, o in tails), (0, 0)]
        yp = np.pad(y, widths)
        origin = [-(k // 2) for k in g.kernel_shape]
        if yp.shape[0] * yp.shape[-1] == 1:
            out = ndimage.correlate(yp.reshape(yp.shape[1:-1]), wf, mode="constant", origin=origin)[None, ..., None]
        else:
            out = ndimage.correlate(yp, wf[None, ..., None], mode="constant", origin=[0, *origin, 0])
        gp = out[(slice(None), *(slice(0, p) for p in g.padded_shape), slice(None))]
        return fold(gp, g)


ENGINE = Ndimage()
