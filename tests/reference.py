"""The one brute-force convolution reference of the test suite (np.pad + a loop over kernel taps).

It shares no code with signalspace: the padding widths come from the documented formulas
(:func:`expected_pads`), the boundary values from :func:`numpy.pad`'s modes, and the sums from a
plain loop.  Imported by tests/ops/test_conv.py, test_engines.py, test_matrices.py and
tests/test_parallel.py (pytest puts ``tests/`` on ``sys.path`` through its rootdir conftest).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

# scipy.ndimage boundary name -> np.pad mode
NP_PAD = {"constant": "constant", "reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}
BOUNDARIES = tuple(NP_PAD)


def expected_pads(padding, kernel_shape: Sequence[int], dilation: Sequence[int] | int = 1) -> list[tuple[int, int]]:
    """Padding widths from the documented formulas, with ``reach = dilation * (k - 1)`` per axis.

    "valid": (0, 0); "full": (reach, reach); "same": (reach // 2, reach - reach // 2), i.e. an odd
    total puts the extra sample *after* (PyTorch/TensorFlow convention); an int p: (p, p); pairs as given.
    """
    if isinstance(dilation, int):
        dilation = [dilation] * len(kernel_shape)
    reach = [d * (k - 1) for d, k in zip(dilation, kernel_shape, strict=True)]
    if padding == "valid":
        return [(0, 0)] * len(reach)
    if padding == "full":
        return [(r, r) for r in reach]
    if padding == "same":
        return [(r // 2, r - r // 2) for r in reach]
    if isinstance(padding, int):
        return [(padding, padding)] * len(reach)
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def reference(x, a, stride, dilation, pad, boundary, depthwise, cval=0.0):
    """Correlate ``x`` (spatial + (c,)) with the correlation kernel ``a`` (spatial, or spatial + (c_in, c_out)).

    ``pad`` is a list of (before, after) per axis, ``boundary`` a list of scipy.ndimage mode names;
    padding is done axis by axis with :func:`numpy.pad` (``cval`` for "constant").
    """
    nd = len(pad)
    stride = [stride] * nd if isinstance(stride, int) else list(stride)
    dilation = [dilation] * nd if isinstance(dilation, int) else list(dilation)
    boundary = [boundary] * nd if isinstance(boundary, str) else list(boundary)
    xp = np.asarray(x)
    if np.iscomplexobj(cval):
        xp = xp.astype(np.result_type(xp, np.complex64))
    for axis in range(nd):
        widths = [(0, 0)] * xp.ndim
        widths[axis] = tuple(pad[axis])
        kw = {"constant_values": cval} if boundary[axis] == "constant" else {}
        xp = np.pad(xp, widths, mode=NP_PAD[boundary[axis]], **kw)
    ks = a.shape[:nd]
    out = tuple((xp.shape[i] - dilation[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(nd))
    c_out = xp.shape[-1] if depthwise else a.shape[-1]
    y = np.zeros((*out, c_out), dtype=np.result_type(xp, a))
    for k in itertools.product(*[range(n) for n in ks]):
        sl = tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + (out[i] - 1) * stride[i] + 1, stride[i]) for i in range(nd)
        )
        view = xp[sl]
        y += a[k] * view if depthwise else np.einsum("...c,co->...o", view, a[k])
    return y
