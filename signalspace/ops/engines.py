"""Execution engines of :class:`~signalspace.ops.conv.Conv` and the automatic choice between them.

Every engine computes the same thing, the strided, dilated cross-correlation of
:class:`~signalspace.ops.geometry.ConvGeometry`::

    y[b, i, o] = sum_k sum_c a[k, c, o] * xp[b, i * stride + k * dilation, c]

and its exact adjoint, on arrays laid out ``(batch, spatial..., channels)``.
The padding constant is always 0 here: :class:`Conv` adds the response to a
non-zero ``cval`` afterwards, ``ops.padding.constant_response`` (non-zero only at outputs
whose window reads the "constant" padding).  A depthwise plan has a bare spatial
kernel applied to every channel.

Engines
-------
``direct``
    numpy: one vectorized multiply-add (depthwise) or one small GEMM
    ``(..., c_in) @ (c_in, c_out)`` per kernel tap, on strided views of the
    padded input: stride and dilation are native.  The reference fallback.
``numpy1d``
    ``np.convolve`` on one 1-D row (no batch, one channel), constant boundary.
    A stride ``s`` runs natively by polyphase decomposition: ``s`` correlations
    of ``n / s`` samples with ``k / s`` taps each (``n k / s`` multiply-adds).
``ndimage``
    :func:`scipy.ndimage.correlate` with its own boundary handling (one mode on
    every axis) or on the padded input; stride 1, dilation 1, depthwise.
``im2col``
    patches of the padded input (strided, dilated windows; built in chunks of
    at most 256 KiB) times the kernel matrix: one BLAS GEMM per chunk.
    Multi-channel small kernels.  With unit stride and a padded row at most
    1.3 times the output row ("flat" im2col) the padded input is laid out
    channels first and flat, every patch row is one contiguous copy, and the
    adjoint is one GEMM of y with the kernel matrix plus contiguous adds (a
    col2im with ``taps * c_in`` rows); otherwise the adjoint is an im2col
    correlation of y (unit steps, zero boundary) or the ``direct`` adjoint.
``fft``
    :func:`scipy.fft.rfftn` (``fftn`` for complex) with fast lengths and
    ``workers``; each input channel is transformed once, channels are mixed in
    the frequency domain; the constant (zero) padding is implicit, and the
    transform length is only what the requested outputs need (``n + reach -
    first`` per axis).  The kernel spectrum is cached on the plan.  The
    unit-stride adjoint transforms y as it is (channels last, no zero-padded
    copy): y's offset in the transform becomes a phase folded into the cached
    adjoint spectrum, and the channels are mixed by one batched matmul.
``oa``
    overlap-add for long 1-D signals: blocks transformed in one batched
    real FFT call, overlap added by reshapes.  Strided FFT and overlap-add
    compute every output and then subsample (no cheaper exact path for them),
    and the cost model charges them the un-strided length, so a strided 1-D
    convolution goes to the strided-native engines (``numpy1d`` polyphase,
    ``im2col``, ``direct``) unless the kernel is long enough for FFTs to win.
``separable``
    for a kernel that is exactly rank-1 (outer product of 1-D taps, times a
    channel matrix): one 1-D pass per axis (:func:`scipy.ndimage.correlate1d`
    or strided taps; the adjoint's unit-stride zero-boundary passes are
    ``correlate1d`` with the reversed taps), then the channel mix.  Detected with one SVD per axis
    unfolding and accepted only when the reconstruction residual is below
    ``1e-6`` (float64) relative.

Automatic choice (``method="auto"``)
------------------------------------
:func:`choose` estimates each applicable engine's time with the linear cost
model below and takes the cheapest.  The constants (seconds per unit of work)
were fitted on the development machine (2 shared cores, x86-64, OpenBLAS) by
timing each engine on a few sizes; only their ratios matter::

    direct      T = nz * n_out * (0.05e-9 * c_mix + 0.3e-9 * c_out) + 6e-6 * nz
                  (one channel or depthwise: 1.8e-9 * nz * n_out * c: a temporary per tap)
    numpy1d     T = 0.18e-9 * n * k / stride  (polyphase for stride > 1)
    ndimage     T = (0.6 + 0.05 ndim)e-9 * nz * n_out * c          (+ a pad copy if needed)
    im2col      T = 0.6e-9 * taps * n_out * c_in + 0.025e-9 * taps * n_out * c_in * c_out
                  flat (unit stride): 0.2e-9 * taps * n_grid * c_in + 0.045e-9 * taps * n_grid * c_in * c_out
                  (one channel or depthwise: 2e-9 * taps * n_out * c: never picked over ndimage)
    fft         T = u(L) * L log2 L * (nb*c_in + nb*c_out + kernel spectra / 16 if not cached)
                  + 0.3e-9 * L * nb * c_in * c_out + 0.5e-9 * (n_in * c_in + n_out * c_out)
                  u(L) = 0.3e-9 * max(1, L / 2**24)**0.6 (x 0.8 in single precision): huge N-D
                  transforms are memory bound (8-D 10⁸ samples: 2.1 s per transform)
    oa          like fft on blocks of the best length for the kernel
    separable   T = u * sum(k_j) * n * c + channel mix, u = 0.4e-9 (float32) / 0.7e-9 (float64) up to 3-D,
                  1.1e-9 beyond (8-D 8⁸ float32, 3⁸ kernel: 0.45 s; fft 1.5 s)

``nz`` is the number of non-zero taps (direct and scipy.ndimage skip zero weights: a sparse 8-D kernel
of 129 taps in a 3⁸ box with "wrap" goes to ndimage, 2.1 s, not to a 10⁸-sample FFT, 6.4 s), ``n_grid``
the padded-grid positions of the flat im2col.  The machine is shared: two FFT workers rarely get two
free cores, so the transform constants are those measured under the other engineers' load.

Measured points (best of 3, forward, warm caches): 1-D n=70641 k=64: numpy1d 0.86 ms,
oa 0.60 ms, fft 0.82 ms, direct 2.35 ms; 2-D 512² 31×31: fft 1.85 ms, ndimage 207 ms;
3→16 channels 512² float32 k=3: flat im2col 5.4-6.2 ms (adjoint 6.3 ms, runner), direct 12.9 ms, fft 26 ms;
k=7: fft 18 ms, flat im2col 25-30 ms; 13×13 Gaussian on 512² RGB float32: separable 9.3 ms, fft 11.5 ms.
The choice is cached on the plan (one per input layout).

One 1-D row of one channel with a zero boundary (and :func:`signalspace.convolve` on two 1-D
arrays) goes through :func:`convolve1d`, whose :func:`plan1d` compares np.convolve
(``0.18e-9 * n * k``), one whole-signal FFT (``0.35e-9 * 3 L log2 L``) and overlap-add on blocks
of every fast length from ``2k`` up (``0.35e-9 * (2 * blocks + 1) * L log2 L`` plus the block
copies), cached per ``(n, k, dtype)``.  Overlap-add transforms its blocks in groups of 256 KiB (the
working set stays in L2: n = 200 000, k = 64 takes 1.3 ms, np.convolve 2.2 ms; one call for all
blocks took 4.7 ms).  Measured on the lecture's clip (n = 70 641, best of 20, in
the runner): k = 3 np.convolve; k = 64 overlap-add, L = 720 (0.8 ms vs np.convolve 0.8 ms);
k = 2205 overlap-add, L = 12 800 (1.1 ms vs oaconvolve 1.5 ms); k = 22 050 one FFT of 93 312 with
the kernel transformed on a second thread (1.9 ms vs fftconvolve 1.9 ms).

im2col builds its patches in chunks of 256 KiB (in cache: 8 ms vs 15 ms with 32 MiB chunks on
3 -> 16 channels, 512², k = 3); with unit steps and a zero boundary its adjoint is itself an im2col
correlation (flipped, conjugated, channel-transposed kernel) instead of the per-tap ``direct`` adjoint.

where ``c_mix`` is ``c_in * c_out`` (or ``c`` depthwise), ``L`` the product
of the transform lengths.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, UnknownNameError
from .geometry import ConvGeometry
from .padding import fold, pad

__all__ = [
    "ENGINES", "Plan", "adjoint", "applicable", "choose", "convolve1d", "estimate", "forward", "plan1d",
]

_WORKERS = max(1, os.cpu_count() or 1)
_CHUNK_BYTES = 2**18  # patches of a chunk stay in L2: measured 8.0 ms vs 15 ms at 32 MiB (3->16, 512^2)


@dataclass
class Plan:
    """Everything an engine needs: geometry, correlation kernel, layout, dtype.

    ``kernel`` is the correlation kernel (already flipped for true
    convolution), in the compute dtype: ``spatial`` when ``depthwise``, else
    ``spatial + (c_in, c_out)``.  ``batch`` is the number of batch rows.
    """

    geometry: ConvGeometry
    kernel: np.ndarray
    depthwise: bool
    c_in: int
    c_out: int
    batch: int = 1
    cache: dict = field(default_factory=dict)

    @property
    def ndim(self) -> int:
        return self.geometry.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.kernel.dtype

    @property
    def taps(self) -> int:
        return math.prod(self.geometry.kernel_shape)

    @property
    def unit_steps(self) -> bool:
        g = self.geometry
        return all(s == 1 for s in g.stride) and all(d == 1 for d in g.dilation)

    @property
    def zero_boundary(self) -> bool:
        """True when every axis pads with the constant (0) and no pad exceeds the kernel's reach."""
        g = self.geometry
        return all(b == "constant" for b in g.boundary) and all(
            pb <= r and pa <= r for (pb, pa), r in zip(g.pad, g.reach, strict=True)
        )

    @property
    def active_taps(self) -> int:
        """Spatial taps with a non-zero weight (direct skips the others, scipy.ndimage drops them too)."""
        def count() -> int:
            k = self.kernel
            nonzero = k != 0 if self.depthwise else np.any(k != 0, axis=(-2, -1))
            return max(1, int(np.count_nonzero(nonzero)))

        return self.cached("active_taps", count)

    def kernel_matrix(self) -> np.ndarray:
        """Channeled kernel ``spatial + (c_in, c_out)`` (a depthwise kernel broadcasts to a diagonal)."""
        if not self.depthwise:
            return self.kernel
        eye = np.eye(self.c_in, dtype=self.dtype)
        return self.kernel[..., None, None] * eye

    def cached(self, key: Any, make: Any) -> Any:
        """``cache[key]``, built by ``make()`` when missing (thread-safe: concurrent builders keep the first)."""
        try:
            return self.cache[key]
        except KeyError:
            return self.cache.setdefault(key, make())  # dict.setdefault is atomic: no lost or evicted entries

    @property
    def separable(self) -> tuple[list[np.ndarray], np.ndarray | None] | None:
        """``(taps per axis, channel matrix or None)`` when the kernel is exactly rank-1, else None."""
        return self.cached("separable", lambda: _factorize(self.kernel, self.ndim, self.depthwise))


def _tap_slices(geometry: ConvGeometry, tap: tuple[int, ...], out_shape: tuple[int, ...]) -> tuple:
    return (
        slice(None),
        *(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, s, o in zip(tap, geometry.dilation, geometry.stride, out_shape, strict=True)
        ),
        slice(None),
    )


# ---------------------------------------------------------------- direct
def _direct_valid(xp: np.ndarray, plan: Plan) -> np.ndarray:
    g = plan.geometry
    out_shape = g.output_shape
    a = plan.kernel
    c_out = xp.shape[-1] if plan.depthwise else plan.c_out
    y = np.zeros((xp.shape[0], *out_shape, c_out), dtype=plan.dtype)
    for tap in np.ndindex(*g.kernel_shape):
        w = a[tap]
        if not np.any(w):
            continue
        view = xp[_tap_slices(g, tap, out_shape)]
        if plan.depthwise:
            y += w * view
        else:
            y += view @ w
    return y


def _direct_adjoint_valid(y: np.ndarray, plan: Plan) -> np.ndarray:
    g = plan.geometry
    c_in = y.shape[-1] if plan.depthwise else plan.c_in
    gp = np.zeros((y.shape[0], *g.padded_shape, c_in), dtype=plan.dtype)
    a = plan.kernel.conj()
    for tap in np.ndindex(*g.kernel_shape):
        w = a[tap]
        if not np.any(w):
            continue
        view = gp[_tap_slices(g, tap, g.output_shape)]
        if plan.depthwise:
            view += w * y
        else:
            view += y @ w.T
    return gp


def _direct_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    return _direct_valid(pad(x, plan.geometry), plan)


def _direct_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    return fold(_direct_adjoint_valid(y, plan), plan.geometry)


# ---------------------------------------------------------------- numpy 1-D
def _full_indices(plan: Plan) -> list[slice]:
    """Slices of the full linear convolution (length n + reach) that hold each output, per axis."""
    g = plan.geometry
    return [
        slice(r - pb, r - pb + (o - 1) * s + 1, s)
        for (pb, _), r, s, o in zip(g.pad, g.reach, g.stride, g.output_shape, strict=True)
    ]


def _dilated(a: np.ndarray, dilation: tuple[int, ...], ndim: int) -> np.ndarray:
    if all(d == 1 for d in dilation):
        return a
    shape = tuple((k - 1) * d + 1 for k, d in zip(a.shape[:ndim], dilation, strict=True)) + a.shape[ndim:]
    out = np.zeros(shape, dtype=a.dtype)
    out[tuple(slice(None, None, d) for d in dilation)] = a
    return out


# One 1-D row, one channel: the plain linear convolution, by the cheapest of np.convolve, one FFT and
# overlap-add.  This is also the fast path of ss.convolve for 1-D arrays (a few microseconds of overhead:
# the choice is cached per (n, k, dtype)).
_PLANS_1D: dict[tuple, tuple[str, int]] = {}
_FFT_UNIT = 0.35e-9  # seconds per L*log2(L) of one real transform (complex: about twice)
_NP_UNIT = 0.18e-9  # seconds per multiply-add of np.convolve


def _fft_cost(length: int, count: float, complex_: bool) -> float:
    return _FFT_UNIT * (2 if complex_ else 1) * count * length * math.log2(max(length, 2))


def plan1d(n: int, k: int, complex_: bool, allow_np: bool = True) -> tuple[str, int, float]:
    """``(method, transform length, estimated seconds)`` of the full 1-D convolution of lengths ``n`` and ``k``.

    ``method`` is ``"np"`` (:func:`numpy.convolve`), ``"fft"`` (one transform of the whole signal, as
    :func:`scipy.signal.fftconvolve`) or ``"oa"`` (overlap-add on blocks, one batched transform).
    """
    from scipy import fft as sfft

    if n < k:
        n, k = k, n
    best = ("np", 0, _NP_UNIT * n * k + 2e-6) if allow_np else ("np", 0, math.inf)
    full = sfft.next_fast_len(n + k - 1, real=not complex_)
    cost = _fft_cost(full, 3, complex_) + 1.2e-9 * full + 1e-5
    if cost < best[2]:
        best = ("fft", full, cost)
    length = 2 * k if k > 16 else 64
    while length < full:
        length = sfft.next_fast_len(length, real=not complex_)
        block = length - k + 1
        blocks = -(-n // block)
        cost = _fft_cost(length, 2 * blocks + 1, complex_) + 2.5e-9 * blocks * length + 2e-5
        if cost < best[2]:
            best = ("oa", length, cost)
        length = int(length * 1.4) + 1
    return best


def _full1d_fft(x: np.ndarray, h: np.ndarray, length: int) -> np.ndarray:
    from scipy import fft as sfft

    n, k = x.shape[0], h.shape[0]
    if x.dtype.kind == "c" or h.dtype.kind == "c":
        spec = sfft.fft(x, length)
        spec *= sfft.fft(h, length)
        return sfft.ifft(spec, length, overwrite_x=True)[: n + k - 1]
    if length >= 16384 and _WORKERS > 1:  # transform the kernel on a second core meanwhile
        other = _pool().submit(sfft.rfft, h, length)
        spec = sfft.rfft(x, length)
        spec *= other.result()
    else:
        spec = sfft.rfft(x, length)
        spec *= sfft.rfft(h, length)
    return sfft.irfft(spec, length, overwrite_x=True)[: n + k - 1]


_POOL: list = []


def _pool() -> Any:
    """One helper thread (created on first use) for transforms that run beside the caller's."""
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(1, thread_name_prefix="signalspace-fft"))
    return _POOL[0]


_OA_GROUP_BYTES = 2**18  # blocks transformed per call stay in L2: n=200 000, k=64: 1.3 ms vs 4.7 ms in one call


def _full1d_oa(x: np.ndarray, h: np.ndarray, length: int) -> np.ndarray:
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
    group = max(1, min(nblocks, _OA_GROUP_BYTES // (length * dtype.itemsize)))
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
    """
    n, k = x.shape[0], h.shape[0]
    key = (n, k, x.dtype.char, method)
    choice = _PLANS_1D.get(key)
    if choice is None:
        complex_ = x.dtype.kind == "c"
        if method is None:
            choice = plan1d(n, k, complex_)[:2]
        elif method == "np":
            choice = ("np", 0)
        else:
            from scipy import fft as sfft

            best = plan1d(n, k, complex_, allow_np=False)
            whole = ("fft", sfft.next_fast_len(n + k - 1, real=not complex_))
            # overlap-add forced on a signal too short for blocks: one block, i.e. one transform
            choice = whole if method == "fft" or best[0] != "oa" else best[:2]
        if len(_PLANS_1D) > 256:
            _PLANS_1D.clear()
        _PLANS_1D[key] = choice
    kind, length = choice
    if kind == "np":
        if mode != "same" or n >= k:
            return np.convolve(x, h, mode)
        z = np.convolve(x, h)
    elif kind == "fft":
        z = _full1d_fft(x, h, length)
    elif 2 * min(n, k) <= length + 1:
        z = _full1d_oa(x, h, length)
    else:
        z = _full1d_fft(x, h, length)
    if mode == "full":
        return z
    if mode == "same":
        start = (k - 1) // 2
        return z[start : start + n]
    start = min(n, k) - 1
    return z[start : start + abs(n - k) + 1]


def _simple1d(plan: Plan) -> bool:
    """One 1-D row of one channel with a zero boundary: engines reduce to one plain 1-D convolution."""
    return plan.ndim == 1 and plan.batch == 1 and plan.c_in == 1 and plan.c_out == 1 and plan.zero_boundary


def _kernel1d(plan: Plan) -> np.ndarray:
    h = _dilated(plan.kernel, plan.geometry.dilation, 1)
    return h if plan.depthwise else h[:, 0, 0]


def _forward1d(x: np.ndarray, plan: Plan, method: str) -> np.ndarray:
    h = _kernel1d(plan)
    z = convolve1d(x.reshape(-1), h[::-1], "full", method)
    return np.ascontiguousarray(z[_full_indices(plan)[0]]).reshape(1, -1, 1)


def _adjoint1d(y: np.ndarray, plan: Plan, method: str) -> np.ndarray:
    g = plan.geometry
    h = _kernel1d(plan)
    n, r = g.input_shape[0], g.reach[0]
    sl = _full_indices(plan)[0]
    y1 = y.reshape(-1)
    if sl.start == 0 and sl.step == 1 and sl.stop == n + r:
        zg = y1
    else:
        zg = np.zeros(n + r, dtype=plan.dtype)
        zg[sl] = y1
    # x_grad[m] = sum_t conj(h[t]) zg[m + t]: the valid convolution of zg with conj(h)
    xg = convolve1d(zg, h.conj() if h.dtype.kind == "c" else h, "valid", method)
    return xg.reshape(1, n, 1)


def _polyphase(plan: Plan) -> list[tuple[int, np.ndarray]]:
    """Stride s: ``y[i] = sum_p sum_q h[q*s + p] xp[(i + q)*s + p]``, one short correlation per phase ``p``."""
    h, s = _kernel1d(plan), plan.geometry.stride[0]
    return [(p, h[p::s]) for p in range(min(s, len(h))) if np.any(h[p::s])]


def _numpy1d_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    g = plan.geometry
    if g.stride[0] == 1:
        return _forward1d(x, plan, "np")
    # strided: polyphase, n * k / stride multiply-adds (never the full output subsampled)
    s, n_out = g.stride[0], g.output_shape[0]
    xp = pad(x, g).reshape(-1)
    y = np.zeros(n_out, dtype=plan.dtype)
    for p, v in _polyphase(plan):
        y += np.convolve(xp[p::s], v[::-1], "valid")[:n_out]
    return y.reshape(1, n_out, 1)


def _numpy1d_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    g = plan.geometry
    if g.stride[0] == 1:
        return _adjoint1d(y, plan, "np")
    s = g.stride[0]
    y1 = y.reshape(-1)
    gp = np.zeros(g.padded_shape[0], dtype=plan.dtype)
    for p, v in _polyphase(plan):
        phase = gp[p::s]
        back = np.convolve(y1, v.conj())[: len(phase)]
        phase[: len(back)] += back
    return fold(gp.reshape(1, -1, 1), g)


# ---------------------------------------------------------------- ndimage
def _ndimage_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    from scipy import ndimage

    g = plan.geometry
    w = plan.kernel if plan.depthwise else plan.kernel[..., 0, 0]
    w = w.conj()  # ndimage.correlate conjugates complex weights
    modes = set(g.boundary)
    direct_ok = len(modes) == 1 and all(
        pb <= k - 1 and o <= n for (pb, _), k, o, n in zip(g.pad, g.kernel_shape, g.output_shape, g.input_shape,
                                                            strict=True)
    )
    if direct_ok:
        src, origin = x, [pb - k // 2 for (pb, _), k in zip(g.pad, g.kernel_shape, strict=True)]
        mode = modes.pop()
    else:
        src, origin, mode = pad(x, g), [-(k // 2) for k in g.kernel_shape], "constant"
    squeeze = src.shape[0] * src.shape[-1] == 1
    if squeeze:
        out = ndimage.correlate(src.reshape(src.shape[1:-1]), w, mode=mode, cval=0.0, origin=origin)
        out = out[None, ..., None]
    else:
        out = ndimage.correlate(src, w[None, ..., None], mode=mode, cval=0.0, origin=[0, *origin, 0])
    return out[(slice(None), *(slice(0, o) for o in g.output_shape), slice(None))]


def _ndimage_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
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
    widths = [(0, 0), *((r, p - o) for r, p, o in zip(g.reach, g.padded_shape, g.output_shape, strict=True)), (0, 0)]
    yp = np.pad(y, widths)
    origin = [-(k // 2) for k in g.kernel_shape]
    if yp.shape[0] * yp.shape[-1] == 1:
        out = ndimage.correlate(yp.reshape(yp.shape[1:-1]), wf, mode="constant", origin=origin)[None, ..., None]
    else:
        out = ndimage.correlate(yp, wf[None, ..., None], mode="constant", origin=[0, *origin, 0])
    gp = out[(slice(None), *(slice(0, p) for p in g.padded_shape), slice(None))]
    return fold(gp, g)


# ---------------------------------------------------------------- im2col
# Flat im2col (unit stride): with the padded input channels-first and flattened, xf[c, q], an output at
# padded-grid position q reads xf[c, q + off_t] for tap t (off_t = sum_j k_j d_j S_j, S the padded strides).
# Computing every padded-grid position of a block of leading rows (and dropping the few that wrap) turns
# each patch row into one contiguous copy (memcpy speed, instead of strided runs of c_in samples), and the
# adjoint into one GEMM plus contiguous adds (a col2im scatter with taps * c_in rows, not taps * c_out).
# bytes of patch rows per chunk; 3 -> 16, 512^2 f32, k=3: fwd/adj 5.4/5.6 ms at 4 MiB, 5.9/11.7 ms at 256 KiB
_FLAT_CHUNK = 2**22
_FLAT_WASTE = 1.3  # largest (padded grid positions) / (outputs) ratio of one leading row where it is used


# OpenBLAS splits a GEMM over its threads above m * n * k = 2**18.  Many medium GEMMs in a row then sync
# their threads once each, and on a shared machine (the other core busy) each sync can wait a time slice:
# 3 -> 16 channels, 512^2, k=3 took 13-52 ms instead of 6.7 ms.  The flat im2col keeps each GEMM below it.
_GEMM_MNK = 2**18


def _gemm_rows(kn: int) -> int:
    """Rows of one single-threaded GEMM whose other two sizes multiply to ``kn``."""
    return max(64, _GEMM_MNK // max(kn, 1))


def _flat_ok(plan: Plan) -> bool:
    g = plan.geometry
    if any(s != 1 for s in g.stride):
        return False
    return math.prod(g.padded_shape[1:]) <= _FLAT_WASTE * math.prod(g.output_shape[1:])


def _flat_layout(plan: Plan) -> tuple[list[int], int, int, int]:
    """``(tap offsets, leading-row stride S0, padded size, rows per chunk)`` of the flat im2col."""
    g = plan.geometry
    shape = g.padded_shape
    strides = [math.prod(shape[j + 1 :]) for j in range(g.ndim)]
    offsets = [sum(k * d * s for k, d, s in zip(tap, g.dilation, strides, strict=True))
               for tap in np.ndindex(*g.kernel_shape)]
    rows = max(1, _FLAT_CHUNK // max(strides[0] * len(offsets) * plan.c_in * plan.dtype.itemsize, 1))
    return offsets, strides[0], math.prod(shape), rows


def _flat_tasks(plan: Plan, nb: int, rows: int) -> list[tuple[int, int, int]]:
    """Chunks ``(batch, first row, stop row)`` of the flat im2col.  One thread: measured on the shared machine,
    splitting them over the caller's and a helper thread was 15 % slower (7.0 vs 5.9 ms, 3 -> 16, k=3)."""
    n0 = plan.geometry.output_shape[0]
    return [(b, r, min(r + rows, n0)) for b in range(nb) for r in range(0, n0, rows)]


def _flat_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    g = plan.geometry
    xp = pad(x, g)
    nb, c_in = xp.shape[0], xp.shape[-1]
    a = plan.kernel_matrix()
    c_out = a.shape[-1]
    w = a.reshape(-1, c_out)  # (taps * c_in, c_out): row t * c_in + c
    offsets, s0, total, rows = _flat_layout(plan)
    out_shape, inner = g.output_shape, g.padded_shape[1:]
    keep = (slice(None), *(slice(0, o) for o in out_shape[1:]), slice(None))
    xf = np.zeros((nb, c_in, total + s0 + offsets[-1]), dtype=plan.dtype)
    for b in range(nb):
        xf[b, :, :total] = xp[b].reshape(total, c_in).T
    y = np.empty((nb, *out_shape, c_out), dtype=plan.dtype)
    step = _gemm_rows(w.shape[0] * c_out)

    buf = np.empty((len(offsets) * c_in, rows * s0), dtype=plan.dtype)
    res = np.empty((rows * s0, c_out), dtype=plan.dtype)
    for b, start, stop in _flat_tasks(plan, nb, rows):
        n, q0 = (stop - start) * s0, start * s0
        cols = buf[:, :n] if n == buf.shape[1] else np.empty((buf.shape[0], n), dtype=plan.dtype)
        for t, off in enumerate(offsets):
            cols[t * c_in : (t + 1) * c_in] = xf[b, :, q0 + off : q0 + off + n]
        part = res[:n]
        for lo in range(0, n, step):
            np.matmul(cols[:, lo : lo + step].T, w, out=part[lo : lo + step])
        y[b, start:stop] = part.reshape(stop - start, *inner, c_out)[keep]
    return y


def _flat_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    g = plan.geometry
    nb = y.shape[0]
    a = plan.kernel_matrix()
    c_in, c_out = a.shape[-2], a.shape[-1]
    if plan.depthwise:
        c_in = c_out = y.shape[-1]
    # (taps * c_in, c_out), column-major: OpenBLAS then runs w @ y.T single-threaded in 4.2 ms instead of 6.5 ms
    # (3 -> 16, 512^2, k=3, float32; the forward's GEMM takes 3.0 ms)
    w = np.asfortranarray(a.reshape(-1, c_out).conj())
    offsets, s0, total, rows = _flat_layout(plan)
    out_shape, inner = g.output_shape, g.padded_shape[1:]
    keep = (slice(None), *(slice(0, o) for o in out_shape[1:]), slice(None))
    step = _gemm_rows(w.shape[0] * c_out)

    gf = np.zeros((nb, c_in, total + s0 + offsets[-1]), dtype=plan.dtype)
    ypw = np.zeros((rows, *inner, c_out), dtype=plan.dtype)  # y on the padded grid: zeros where it wraps
    zt = np.empty((len(offsets) * c_in, rows * s0), dtype=plan.dtype)
    for b, start, stop in _flat_tasks(plan, nb, rows):
        n, q0 = (stop - start) * s0, start * s0
        ypw[: stop - start][keep] = y[b, start:stop]
        part = zt[:, :n] if n == zt.shape[1] else np.empty((zt.shape[0], n), dtype=plan.dtype)
        flat = ypw[: stop - start].reshape(n, c_out).T
        for lo in range(0, n, step):
            np.matmul(w, flat[:, lo : lo + step], out=part[:, lo : lo + step])
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


def _im2col_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    if _flat_ok(plan):
        return _flat_forward(x, plan)
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
    rows = max(1, _CHUNK_BYTES // max(row_bytes, 1))
    for b in range(nb):
        for start in range(0, out_shape[0], rows):
            stop = min(start + rows, out_shape[0])
            cols = windows[b, start:stop].reshape(-1, w.shape[0])
            y[b, start:stop] = (cols @ w).reshape(stop - start, *out_shape[1:], c_out)
    return y


def _im2col_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    """Unit stride, zero boundary: the adjoint is itself a correlation (of y with the flipped, conjugated,
    channel-transposed kernel, padded by ``reach - pad_before``), run by the im2col forward; else ``direct``."""
    if _flat_ok(plan):
        return _flat_adjoint(y, plan)
    if not (plan.unit_steps and plan.zero_boundary):
        return _direct_adjoint(y, plan)

    def make() -> Plan:
        g = plan.geometry
        nd = g.ndim
        a = plan.kernel_matrix()[tuple(slice(None, None, -1) for _ in range(nd))].conj().swapaxes(-1, -2)
        padding = [(r - pb, n - o + pb) for r, (pb, _), n, o in zip(g.reach, g.pad, g.input_shape, g.output_shape,
                                                                      strict=True)]
        ag = ConvGeometry.create(g.output_shape, g.kernel_shape, dilation=g.dilation, padding=padding)
        return Plan(ag, np.ascontiguousarray(a), False, plan.c_out, plan.c_in, plan.batch)

    return _im2col_forward(y, plan.cached("im2col-adjoint", make))


# ---------------------------------------------------------------- fft
def _fft_lengths(plan: Plan, implicit: bool) -> tuple[tuple[int, ...], list[slice]]:
    from scipy import fft as sfft

    g = plan.geometry
    if implicit:
        sl = _full_indices(plan)
        n_eff = g.input_shape
    else:
        sl = [slice(r, r + (o - 1) * s + 1, s) for r, s, o in zip(g.reach, g.stride, g.output_shape, strict=True)]
        n_eff = g.padded_shape
    real = plan.dtype.kind != "c"
    lengths = []
    for n, r, s in zip(n_eff, g.reach, sl, strict=True):
        need = max(s.stop, n + r - s.start)
        lengths.append(sfft.next_fast_len(need, real=real))
    return tuple(lengths), sl


def _kernel_spectrum(plan: Plan, lengths: tuple[int, ...], adjoint: bool) -> np.ndarray:
    """Spectrum of the flipped, dilated kernel, channels first: (c_in, c_out, F...) or (1, 1, F...) depthwise."""
    from scipy import fft as sfft

    def make() -> np.ndarray:
        nd = plan.ndim
        h = _dilated(plan.kernel, plan.geometry.dilation, nd)[tuple(slice(None, None, -1) for _ in range(nd))]
        h = h[..., None, None] if plan.depthwise else h
        h = np.moveaxis(h, (nd, nd + 1), (0, 1))
        axes = tuple(range(2, nd + 2))
        if plan.dtype.kind == "c":
            spec = sfft.fftn(h, s=lengths, axes=axes, workers=_WORKERS)
        else:
            spec = sfft.rfftn(h, s=lengths, axes=axes, workers=_WORKERS)
        return np.ascontiguousarray(spec)

    spectrum = plan.cached(("fft", lengths), make)
    if not adjoint:
        return spectrum
    # the conjugate spectrum, channels swapped, cached like the forward one
    return plan.cached(("fft-adjoint", lengths), lambda: np.ascontiguousarray(spectrum.conj().swapaxes(0, 1)))


def _mix(spectra: np.ndarray, kernel: np.ndarray, depthwise: bool, adjoint: bool) -> np.ndarray:
    """spectra (nb, c, F...) times kernel (c_in, c_out, F...) summed over the input channel."""
    if depthwise:
        return spectra * kernel[0, 0]
    c_in, c_out = kernel.shape[:2]
    out = np.empty((spectra.shape[0], c_out, *spectra.shape[2:]), dtype=np.result_type(spectra, kernel))
    tmp = np.empty_like(out[:, 0])
    for o in range(c_out):
        acc = out[:, o]
        np.multiply(spectra[:, 0], kernel[0, o], out=acc)
        for c in range(1, c_in):
            np.multiply(spectra[:, c], kernel[c, o], out=tmp)
            acc += tmp
    return out


def _fft_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    from scipy import fft as sfft

    if _simple1d(plan):
        return _forward1d(x, plan, "fft")

    g = plan.geometry
    implicit = plan.zero_boundary
    src = x if implicit else pad(x, g)
    lengths, sl = _fft_lengths(plan, implicit)
    nd = g.ndim
    src = np.moveaxis(src, -1, 1)  # (nb, c, spatial...)
    axes = tuple(range(2, nd + 2))
    complex_ = plan.dtype.kind == "c"
    if complex_:
        spec = sfft.fftn(src, s=lengths, axes=axes, workers=_WORKERS)
    else:
        spec = sfft.rfftn(src, s=lengths, axes=axes, workers=_WORKERS)
    spec = _mix(spec, _kernel_spectrum(plan, lengths, False), plan.depthwise, False)
    if complex_:
        z = sfft.ifftn(spec, s=lengths, axes=axes, workers=_WORKERS, overwrite_x=True)
    else:
        z = sfft.irfftn(spec, s=lengths, axes=axes, workers=_WORKERS, overwrite_x=True)
    y = z[(slice(None), slice(None), *sl)]
    return np.ascontiguousarray(np.moveaxis(y, 1, -1), dtype=plan.dtype)


def _fft_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    from scipy import fft as sfft

    if _simple1d(plan):
        return _adjoint1d(y, plan, "fft")

    g = plan.geometry
    implicit = plan.zero_boundary
    lengths, sl = _fft_lengths(plan, implicit)
    nd = g.ndim
    if all(s == 1 for s in g.stride):
        return _fft_adjoint_shifted(y, plan, lengths, tuple(x.start for x in sl), implicit)
    c = y.shape[-1] if plan.depthwise else plan.c_out
    zg = np.zeros((y.shape[0], c, *lengths), dtype=plan.dtype)
    zg[(slice(None), slice(None), *sl)] = np.moveaxis(y, -1, 1)
    axes = tuple(range(2, nd + 2))
    complex_ = plan.dtype.kind == "c"
    spec = (sfft.fftn if complex_ else sfft.rfftn)(zg, axes=axes, workers=_WORKERS, overwrite_x=True)
    spec = _mix(spec, _kernel_spectrum(plan, lengths, True), plan.depthwise, True)
    if complex_:
        xg = sfft.ifftn(spec, s=lengths, axes=axes, workers=_WORKERS, overwrite_x=True)
    else:
        xg = sfft.irfftn(spec, s=lengths, axes=axes, workers=_WORKERS, overwrite_x=True)
    n_eff = g.input_shape if implicit else g.padded_shape
    xg = xg[(slice(None), slice(None), *(slice(0, n) for n in n_eff))]
    xg = np.ascontiguousarray(np.moveaxis(xg, 1, -1), dtype=plan.dtype)
    return xg if implicit else fold(xg, g)


def _fft_adjoint_shifted(y: np.ndarray, plan: Plan, lengths: tuple[int, ...], starts: tuple[int, ...],
                         implicit: bool) -> np.ndarray:
    """Unit-stride FFT adjoint with no zero-padded copy of y and no channel transposition.

    y would sit at offset ``starts`` in a zero array of ``lengths``; instead y (channels last) is transformed
    as it is (``s=lengths``: at offset 0) and the offset becomes a phase ``exp(-2 pi i f start / L)`` folded
    into the cached adjoint kernel spectrum, laid out ``(F..., c_out, c_in)`` for one batched matmul per
    frequency; the inverse transform gives x's gradient channels last.
    """
    from scipy import fft as sfft

    g = plan.geometry
    nd = g.ndim
    complex_ = plan.dtype.kind == "c"

    def make() -> np.ndarray:
        spec = _kernel_spectrum(plan, lengths, False).conj()  # (c_in, c_out, F...)
        for j, (length, start) in enumerate(zip(lengths, starts, strict=True)):
            bins = spec.shape[2 + j]
            phase = np.exp(-2j * np.pi * start * np.arange(bins) / length).astype(spec.dtype)
            spec = spec * phase.reshape([-1 if i == 2 + j else 1 for i in range(spec.ndim)])
        if plan.depthwise:
            return np.ascontiguousarray(spec[0, 0][..., None])  # (F..., 1)
        return np.ascontiguousarray(np.moveaxis(spec, (0, 1), (-1, -2)))  # (F..., c_out, c_in)

    kernel = plan.cached(("fft-adjoint-shifted", lengths, starts), make)
    axes = tuple(range(1, nd + 1))
    spec = (sfft.fftn if complex_ else sfft.rfftn)(y, s=lengths, axes=axes, workers=_WORKERS)
    if plan.depthwise:
        spec *= kernel
    else:
        spec = np.matmul(spec[..., None, :], kernel)[..., 0, :]
    if complex_:
        xg = sfft.ifftn(spec, s=lengths, axes=axes, workers=_WORKERS, overwrite_x=True)
    else:
        xg = sfft.irfftn(spec, s=lengths, axes=axes, workers=_WORKERS, overwrite_x=True)
    n_eff = g.input_shape if implicit else g.padded_shape
    xg = xg[(slice(None), *(slice(0, n) for n in n_eff))].astype(plan.dtype, copy=False)
    # implicit padding: the view into the transform's output, no copy (a fresh 2 MB array costs ~0.5 ms of page
    # faults on 512^2 float64, as much as one transform)
    return xg if implicit else fold(xg, g)


# ---------------------------------------------------------------- overlap-add (1-D)
def _oa_length(k: int, n: int, real: bool) -> int:
    from scipy import fft as sfft

    best, best_cost = None, math.inf
    m = max(2 * k, 64)
    while True:
        length = sfft.next_fast_len(m, real=real)
        block = length - k + 1
        cost = length * math.log2(length) / block
        if cost < best_cost:
            best, best_cost = length, cost
        if length >= n + k - 1:
            break
        m = int(m * 1.25) + 1
    return best


def _oa_full(u: np.ndarray, h: np.ndarray, depthwise: bool, length: int) -> np.ndarray:
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
    spec = fwd(blocks, n=length, axis=-1, workers=_WORKERS)
    hs = fwd(h, n=length, axis=-1)[:, :, None, :]
    spec = _mix(spec, hs, depthwise, False)
    z = inv(spec, n=length, axis=-1, workers=_WORKERS, overwrite_x=True)
    nbo, co = z.shape[:2]
    out = np.zeros((nbo, co, (nblocks + 1) * block), dtype=z.dtype)
    out[..., : nblocks * block] = z[..., :block].reshape(nbo, co, -1)
    tail = np.zeros((nbo, co, nblocks, block), dtype=z.dtype)
    tail[..., : k - 1] = z[..., block:]
    out[..., block:] += tail.reshape(nbo, co, -1)
    return out[..., : n + k - 1]


def _oa_kernel(plan: Plan) -> np.ndarray:
    h = _dilated(plan.kernel, plan.geometry.dilation, 1)[::-1]
    h = h[..., None, None] if plan.depthwise else h
    return np.moveaxis(h, 0, -1)  # (c_in, c_out, K)


def _oa_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    if _simple1d(plan):
        return _forward1d(x, plan, "oa")
    g = plan.geometry
    implicit = plan.zero_boundary
    src = x if implicit else pad(x, g)
    h = _oa_kernel(plan)
    n = src.shape[1]
    length = _oa_length(h.shape[-1], n, plan.dtype.kind != "c")
    z = _oa_full(np.moveaxis(src, -1, 1), h, plan.depthwise, length)
    sl = _full_indices(plan)[0] if implicit else slice(g.reach[0], g.reach[0] + (g.output_shape[0] - 1) * g.stride[0]
                                                        + 1, g.stride[0])
    return np.ascontiguousarray(np.moveaxis(z[..., sl], 1, -1), dtype=plan.dtype)


def _oa_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    if _simple1d(plan):
        return _adjoint1d(y, plan, "oa")
    g = plan.geometry
    implicit = plan.zero_boundary
    n = g.input_shape[0] if implicit else g.padded_shape[0]
    r = g.reach[0]
    sl = _full_indices(plan)[0] if implicit else slice(r, r + (g.output_shape[0] - 1) * g.stride[0] + 1, g.stride[0])
    c = y.shape[-1]
    zg = np.zeros((y.shape[0], c, n + r), dtype=plan.dtype)
    zg[..., sl] = np.moveaxis(y, -1, 1)
    h = _oa_kernel(plan)[..., ::-1].conj().swapaxes(0, 1)  # x_grad = zg (*) conj(h reversed), channels swapped
    length = _oa_length(h.shape[-1], n + r, plan.dtype.kind != "c")
    xg = _oa_full(zg, h, plan.depthwise, length)[..., r : r + n]
    xg = np.ascontiguousarray(np.moveaxis(xg, 1, -1), dtype=plan.dtype)
    return xg if implicit else fold(xg, g)


# ---------------------------------------------------------------- separable
def _factorize(kernel: np.ndarray, ndim: int, depthwise: bool) -> tuple[list[np.ndarray], np.ndarray | None] | None:
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


def _separable_pass(x: np.ndarray, taps: np.ndarray, g: ConvGeometry, axis: int, adjoint: bool) -> np.ndarray:
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
    return _direct_adjoint(x, sub) if adjoint else _direct_forward(x, sub)


def _separable_forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    factors, mix = plan.separable
    g = plan.geometry
    if mix is not None and mix.shape[1] < mix.shape[0]:
        x = x @ mix
        mix_after = None
    else:
        mix_after = mix
    for axis in range(g.ndim):
        x = _separable_pass(x, factors[axis], g, axis, False)
    if mix_after is not None:
        x = x @ mix_after
    return np.ascontiguousarray(x, dtype=plan.dtype)


def _separable_adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    factors, mix = plan.separable
    g = plan.geometry
    mh = None if mix is None else mix.conj().T
    if mh is not None and mh.shape[1] < mh.shape[0]:
        y = y @ mh
        mh_after = None
    else:
        mh_after = mh
    for axis in reversed(range(g.ndim)):
        y = _separable_pass(y, factors[axis], g, axis, True)
    if mh_after is not None:
        y = y @ mh_after
    return np.ascontiguousarray(y, dtype=plan.dtype)


# ---------------------------------------------------------------- registry / choice
ENGINES: dict[str, tuple[Any, Any]] = {
    "direct": (_direct_forward, _direct_adjoint),
    "numpy1d": (_numpy1d_forward, _numpy1d_adjoint),
    "ndimage": (_ndimage_forward, _ndimage_adjoint),
    "im2col": (_im2col_forward, _im2col_adjoint),
    "fft": (_fft_forward, _fft_adjoint),
    "oa": (_oa_forward, _oa_adjoint),
    "separable": (_separable_forward, _separable_adjoint),
}
METHODS = ("auto", *ENGINES)


def applicable(plan: Plan) -> list[str]:
    """Names of the engines that can run ``plan``."""
    names = ["direct", "im2col", "fft"]
    single = plan.depthwise or (plan.c_in == 1 and plan.c_out == 1)
    if plan.ndim == 1 and plan.batch == 1 and plan.c_in == 1 and single and all(
        b == "constant" for b in plan.geometry.boundary
    ) and plan.zero_boundary:
        names.append("numpy1d")
    if single and plan.unit_steps:
        names.append("ndimage")
    if plan.ndim == 1:
        names.append("oa")
    if plan.separable is not None:
        names.append("separable")
    return names


def estimate(plan: Plan, name: str) -> float:
    """Estimated seconds of engine ``name`` on ``plan`` (the cost model of the module docstring)."""
    g = plan.geometry
    nb = plan.batch
    n_out = nb * math.prod(g.output_shape)
    n_in = nb * math.prod(g.padded_shape)
    taps = plan.taps
    c = plan.c_in
    c_mix = c if plan.depthwise else plan.c_in * plan.c_out
    c_out = c if plan.depthwise else plan.c_out
    if _simple1d(plan) and name in ("numpy1d", "fft", "oa"):
        from scipy import fft as sfft

        n, k, complex_ = g.input_shape[0], g.reach[0] + 1, plan.dtype.kind == "c"
        if name == "numpy1d":  # strided: polyphase, one np.convolve per phase on n / stride samples
            s = g.stride[0]
            return _NP_UNIT * n * k / s + 4e-6 * s + (1e-9 * n if s > 1 else 0.0)
        if name == "fft":
            return _fft_cost(sfft.next_fast_len(n + k - 1, real=not complex_), 3, complex_) + 2e-5
        best = plan1d(n, k, complex_, allow_np=False)
        return best[2] if best[0] == "oa" else best[2] * 1.01
    active = plan.active_taps  # direct and ndimage skip zero taps: a sparse kernel costs its non-zero taps
    if name == "direct":
        if plan.depthwise or c_mix == 1:
            return 1.8e-9 * active * n_out * c + 6e-6 * active
        return active * n_out * (0.05e-9 * c_mix + 0.3e-9 * c_out) + 6e-6 * active
    if name == "numpy1d":
        return 0.2e-9 * taps * n_out + 2e-6
    if name == "ndimage":
        extra = 0.0 if len(set(g.boundary)) == 1 else 2e-9 * n_in * c
        return (0.6e-9 + 0.05e-9 * g.ndim) * active * n_out * c + extra + 5e-6
    if name == "im2col":
        if plan.depthwise or c_mix == 1:  # a patch copy per output for one multiply-add: never cheap
            return 2e-9 * taps * n_out * c + 2e-5
        if _flat_ok(plan):  # contiguous patch rows on the padded grid (measured 3 -> 16, 512^2 f32, k=3: 5.4 ms)
            n_grid = nb * g.output_shape[0] * math.prod(g.padded_shape[1:])
            return 0.2e-9 * taps * n_grid * c + 0.045e-9 * taps * n_grid * c * c_out + 2e-5
        return 0.6e-9 * taps * n_out * c + 0.025e-9 * taps * n_out * c * c_out + 2e-5
    if name == "fft":
        lengths, _ = _fft_lengths(plan, plan.zero_boundary)
        size = math.prod(lengths)
        logs = math.log2(max(size, 2))
        # kernel spectra are cached on the plan: count them at 1/16 (amortized over the reuse of a Conv)
        kernel = 0 if ("fft", lengths) in plan.cache else (1 if plan.depthwise else plan.c_in * plan.c_out) / 16
        transforms = nb * c + nb * c_out + kernel
        single = 0.8 if plan.dtype in (np.float32, np.complex64) else 1.0  # single-precision transforms
        layout = 0.5e-9 * (n_in * c + n_out * c_out)  # channels-last <-> channels-first copies (measured 0.6 ns)
        return single * _fft_nd_unit(size) * size * logs * transforms + 0.3e-9 * size * nb * c_mix + layout + 2e-5
    if name == "oa":
        k = g.reach[0] + 1
        n = g.padded_shape[0]
        length = _oa_length(k, n, True)
        blocks = -(-n // (length - k + 1))
        size = blocks * length
        return 0.4e-9 * size * math.log2(length) * nb * (c + c_out) / 2 + 0.3e-9 * size * nb * c_mix + 4e-5
    if name == "separable":
        mix = 0 if plan.depthwise else 1e-9 * n_in * c * c_out
        n_x = nb * math.prod(g.input_shape)
        # correlate1d per tap and sample: 2-D 512^2 x 3 ch, 13 + 13 taps: 0.45 ns float32, 0.8 ns float64;
        # 8-D 8^8 float32, 3^8: 1.1 ns
        unit = 1.1e-9 if g.ndim > 3 else (0.4e-9 if plan.dtype.itemsize * (1 + (plan.dtype.kind == "c")) <= 4
                                           else 0.7e-9)
        return unit * sum(g.kernel_shape) * n_x * min(c, c_out) + mix + 1e-5 * g.ndim
    raise UnknownNameError(f"method must be one of {', '.join(map(repr, METHODS))}; got {name!r}")


def _fft_nd_unit(size: int) -> float:
    """Seconds per ``L log2 L`` of one N-D real transform of ``size`` samples (workers=2 on a shared machine).

    Measured: 0.3e-9 up to ~2**24 samples (2-D 512^2: 3.6-5.9 ms for 3 transforms of 540^2); beyond, the
    passes over memory cost more: 8-D 9^8 (4.3e7) 0.33 s, 10^8 (1e8) 2.1 s per transform.
    """
    return 0.3e-9 * max(1.0, size / 2**24) ** 0.6


def choose(plan: Plan) -> str:
    """The applicable engine with the smallest estimated time (cached on the plan)."""
    return plan.cached("choice", lambda: min(applicable(plan), key=lambda name: estimate(plan, name)))


def _resolve(plan: Plan, method: str) -> str:
    if method == "auto":
        return choose(plan)
    if method not in ENGINES:
        raise UnknownNameError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if plan.cache.get("choice") != method and method not in applicable(plan):
        raise InvalidParameterError(
            f"method {method!r} does not apply to this convolution (applicable: {applicable(plan)})"
        )
    return method


def forward(x: np.ndarray, plan: Plan, method: str = "auto") -> np.ndarray:
    """Run the forward correlation of ``plan`` on ``x`` (batch, spatial..., c_in) with engine ``method``."""
    return ENGINES[_resolve(plan, method)][0](x, plan)


def adjoint(y: np.ndarray, plan: Plan, method: str = "auto") -> np.ndarray:
    """Run the adjoint of ``plan`` on ``y`` (batch, out_spatial..., c_out) with engine ``method``."""
    return ENGINES[_resolve(plan, method)][1](y, plan)
