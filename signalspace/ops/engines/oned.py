"""The plain 1-D convolution: np.convolve, one FFT, or overlap-add, whichever the cost table says is cheapest.

Two callers share it, which is why it is a module of its own rather than an
engine: :func:`signalspace.convolve` on two 1-D arrays (its fast path, a few
microseconds of overhead, no :class:`~signalspace.ops.engines.base.Plan`) and
the ``numpy1d``, ``fft`` and ``oa`` engines on a plan of one 1-D row of one
channel with a zero boundary (:func:`simple1d`).  The choice is cached per
``(n, k, dtype, method)``; a long real FFT transforms the kernel on one helper
thread while the caller transforms the signal.  Its constants are the
``oned_*`` fields of the cost table.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from .base import WORKERS, Plan, dilated, full_indices
from .costs import COSTS, CostTable

__all__ = ["OA_GROUP_BYTES", "Plan1d", "convolve1d", "full_fft", "full_overlap_add", "plan1d"]

#: Bytes of blocks overlap-add transforms per call: the group stays in L2 (n = 200 000, k = 64: 1.3 ms, against
#: 4.7 ms for all blocks in one call).
OA_GROUP_BYTES = 2**18

#: Real transforms at least this long have the kernel transformed on a helper thread meanwhile.
_THREADED_LENGTH = 16384

_PLANS: dict[tuple, tuple[str, int]] = {}
_POOL: list[ThreadPoolExecutor] = []


class Plan1d(NamedTuple):
    """The cheapest way to compute a full 1-D convolution, from :func:`plan1d`."""

    method: str  #: "np" (np.convolve), "fft" (one transform of the whole signal) or "oa" (overlap-add)
    length: int  #: transform length (0 for "np")
    work: dict  #: cost-table term -> amount
    seconds: float  #: the estimate


def fast_length(n: int, complex_: bool) -> int:
    """The next fast transform length >= ``n`` (real transforms unless ``complex_``).

    ``n`` itself beyond what scipy.fft can transform: the estimates then price a
    transform no budget allows, and the memory check refuses it by name.
    """
    from scipy import fft as sfft

    try:
        return sfft.next_fast_len(n, real=not complex_)
    except ValueError:  # "Target length is too large to perform an FFT"
        return int(n)


def plan1d(n: int, k: int, complex_: bool, allow_np: bool = True, costs: CostTable = COSTS) -> Plan1d:
    """The cheapest of np.convolve, one FFT and overlap-add (over block lengths) for lengths ``n`` and ``k``.

    Examples
    --------
    >>> plan1d(70_641, 3, False).method, plan1d(70_641, 64, False).method
    ('np', 'oa')
    """
    if n < k:
        n, k = k, n
    transform = 2 if complex_ else 1  # a complex transform costs about two real ones
    best = Plan1d("np", 0, {}, math.inf)
    if allow_np:
        work = {"oned_np_mac_unit": n * k, "oned_np_call": 1}
        best = Plan1d("np", 0, work, costs.seconds(work))
    full = fast_length(n + k - 1, complex_)
    work = {"oned_fft_transform_unit": transform * 3 * full * math.log2(max(full, 2)), "oned_fft_copy_unit": full,
            "oned_fft_call": 1}
    seconds = costs.seconds(work)
    if seconds < best.seconds:
        best = Plan1d("fft", full, work, seconds)
    length = 2 * k if k > 16 else 64
    while length < full:
        length = fast_length(length, complex_)
        blocks = -(-n // (length - k + 1))
        work = {"oned_fft_transform_unit": transform * (2 * blocks + 1) * length * math.log2(max(length, 2)),
                "oned_oa_copy_unit": blocks * length, "oned_oa_call": 1}
        seconds = costs.seconds(work)
        if seconds < best.seconds:
            best = Plan1d("oa", length, work, seconds)
        length = int(length * 1.4) + 1
    return best


def _pool() -> ThreadPoolExecutor:
    """One helper thread (created on first use) for transforms that run beside the caller's."""
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(1, thread_name_prefix="signalspace-fft"))
    return _POOL[0]


def full_fft(x: np.ndarray, h: np.ndarray, length: int) -> np.ndarray:
    """The full linear convolution of 1-D ``x`` and ``h`` by one transform of ``length >= n + k - 1``."""
    from scipy import fft as sfft

    n, k = x.shape[0], h.shape[0]
    if x.dtype.kind == "c" or h.dtype.kind == "c":
        spec = sfft.fft(x, length)
        spec *= sfft.fft(h, length)
        return sfft.ifft(spec, length, overwrite_x=True)[: n + k - 1]
    if length >= _THREADED_LENGTH and WORKERS > 1:  # transform the kernel on a second core meanwhile
        other = _pool().submit(sfft.rfft, h, length)
        spec = sfft.rfft(x, length)
        spec *= other.result()
    else:
        spec = sfft.rfft(x, length)
        spec *= sfft.rfft(h, length)
    return sfft.irfft(spec, length, overwrite_x=True)[: n + k - 1]


def full_overlap_add(x: np.ndarray, h: np.ndarray, length: int, group_bytes: int = OA_GROUP_BYTES) -> np.ndarray:
    """The full linear convolution of 1-D ``x`` and ``h`` by overlap-add on blocks of ``length - k + 1`` samples.

    The blocks are transformed in groups of at most ``group_bytes`` (one call per group).

    Examples
    --------
    >>> import numpy as np
    >>> x, h = np.arange(10.0), np.array([1.0, -1.0, 2.0])
    >>> bool(np.allclose(full_overlap_add(x, h, 8, group_bytes=64), np.convolve(x, h)))
    True
    """
    from scipy import fft as sfft

    if x.shape[0] < h.shape[0]:
        x, h = h, x
    n, k = x.shape[0], h.shape[0]
    block = length - k + 1
    nblocks = -(-n // block)
    dtype = np.result_type(x, h)
    complex_ = dtype.kind == "c"
    fwd, inv = (sfft.fft, sfft.ifft) if complex_ else (sfft.rfft, sfft.irfft)
    hs = fwd(h, length)
    group = max(1, min(nblocks, group_bytes // (length * dtype.itemsize)))
    buf = np.zeros((group, length), dtype=dtype)  # block samples then k - 1 zeros (the transform's padding)
    out = np.zeros((nblocks + group) * block + k, dtype=dtype)
    for first in range(0, nblocks, group):
        count = min(group, nblocks - first)
        start = first * block
        taken = min(count * block, n - start)
        rows = buf[:count]
        full, rest = divmod(taken, block)
        rows[:full, :block] = x[start : start + full * block].reshape(full, block)
        if rest:
            rows[full, :rest] = x[start + full * block : start + taken]
            rows[full, rest:block] = 0
        # one transform call per group of blocks (measured: threads gain nothing on these short transforms)
        spec = fwd(rows, axis=-1)
        spec *= hs
        z = inv(spec, n=length, axis=-1, overwrite_x=True)
        out[start : start + count * block].reshape(count, block)[...] += z[:, :block]
        out[start + block : start + (count + 1) * block].reshape(count, block)[:, : k - 1] += z[:, block:]
    return out[: n + k - 1]


def convolve1d(x: np.ndarray, h: np.ndarray, mode: str = "full", method: str | None = None) -> np.ndarray:
    """:func:`scipy.signal.convolve` of two 1-D arrays of one float/complex dtype (``mode`` full/same/valid).

    ``method`` ("np", "fft" or "oa") forces the algorithm; by default the cheapest by :func:`plan1d`.

    Examples
    --------
    >>> import numpy as np
    >>> convolve1d(np.arange(5.0), np.array([1.0, 1.0]), "valid", method="fft").round(12)
    array([1., 3., 5., 7.])
    """
    n, k = x.shape[0], h.shape[0]
    key = (n, k, x.dtype.char, method)
    choice = _PLANS.get(key)
    if choice is None:
        complex_ = x.dtype.kind == "c"
        if method is None:
            choice = plan1d(n, k, complex_)[:2]
        elif method == "np":
            choice = ("np", 0)
        else:
            best = plan1d(n, k, complex_, allow_np=False)
            whole = ("fft", fast_length(n + k - 1, complex_))
            # overlap-add forced on a signal too short for blocks: one block, i.e. one transform
            choice = whole if method == "fft" or best.method != "oa" else best[:2]
        if len(_PLANS) > 256:
            _PLANS.clear()
        _PLANS[key] = choice
    kind, length = choice
    if kind == "fft" and mode == "valid":  # a circular convolution of max(n, k) leaves the valid outputs intact
        length = min(length, fast_length(max(n, k), x.dtype.kind == "c" or h.dtype.kind == "c"))
    if kind == "np":
        if mode != "same" or n >= k:
            return np.convolve(x, h, mode)
        z = np.convolve(x, h)
    elif kind == "fft":
        z = full_fft(x, h, length)
    elif 2 * min(n, k) <= length + 1:
        z = full_overlap_add(x, h, length)
    else:
        z = full_fft(x, h, length)
    if mode == "full":
        return z
    if mode == "same":
        start = (k - 1) // 2
        return z[start : start + n]
    start = min(n, k) - 1
    return z[start : start + abs(n - k) + 1]


# ---------------------------------------------------------------- what the 1-D engines share
def simple1d(plan: Plan) -> bool:
    """One 1-D row of one channel with a zero boundary: the plan is one plain 1-D convolution."""
    return plan.ndim == 1 and plan.batch == 1 and plan.c_in == 1 and plan.c_out == 1 and plan.zero_boundary


def kernel1d(plan: Plan) -> np.ndarray:
    """The dilated 1-D correlation kernel of a single-channel 1-D plan."""
    h = dilated(plan.kernel, plan.geometry.dilation, 1)
    return h if plan.depthwise else h[:, 0, 0]


def lengths1d(plan: Plan) -> tuple[int, int, bool]:
    """``(n, k, complex)`` of a 1-D plan: input length, reach + 1, complex dtype."""
    g = plan.geometry
    return g.input_shape[0], g.reach[0] + 1, plan.dtype.kind == "c"


def forward1d(x: np.ndarray, plan: Plan, method: str) -> np.ndarray:
    """Forward of a :func:`simple1d` plan by :func:`convolve1d` with ``method`` (its "valid" mode when every
    output is a valid one: a whole-signal FFT then needs ``max(n, k)`` samples, not ``n + k - 1``)."""
    h = kernel1d(plan)
    sl = full_indices(plan)[0]
    if _valid_only(plan):
        first = len(h) - 1
        z = convolve1d(x.reshape(-1), h[::-1], "valid", method)
        return np.ascontiguousarray(z[sl.start - first : sl.stop - first]).reshape(1, -1, 1)
    z = convolve1d(x.reshape(-1), h[::-1], "full", method)
    return np.ascontiguousarray(z[sl]).reshape(1, -1, 1)


def _valid_only(plan: Plan) -> bool:
    """True when a :func:`simple1d` plan asks only for outputs of the valid convolution, at unit stride."""
    sl, n, k = full_indices(plan)[0], plan.geometry.input_shape[0], plan.geometry.reach[0] + 1
    return sl.step == 1 and k <= n and sl.start >= k - 1 and sl.stop <= n


def adjoint1d(y: np.ndarray, plan: Plan, method: str) -> np.ndarray:
    """Adjoint of a :func:`simple1d` plan: the valid convolution of the zero-filled ``y`` with the conjugate kernel."""
    g = plan.geometry
    h = kernel1d(plan)
    n, r = g.input_shape[0], g.reach[0]
    sl = full_indices(plan)[0]
    y1 = y.reshape(-1)
    if sl.start == 0 and sl.step == 1 and sl.stop == n + r:
        zg = y1
    else:
        zg = np.zeros(n + r, dtype=plan.dtype)
        zg[sl] = y1
    # x_grad[m] = sum_t conj(h[t]) zg[m + t]: the valid convolution of zg with conj(h)
    xg = convolve1d(zg, h.conj() if h.dtype.kind == "c" else h, "valid", method)
    return xg.reshape(1, n, 1)


def fft_work1d(plan: Plan) -> dict[str, float]:
    """Work of the whole-signal FFT on a :func:`simple1d` plan (the ``fft`` engine's 1-D case)."""
    n, k, complex_ = lengths1d(plan)
    full = fast_length(n if _valid_only(plan) else n + k - 1, complex_)
    return {"oned_fft_transform_unit": (2 if complex_ else 1) * 3 * full * math.log2(max(full, 2)), "fft_call": 1}
