"""``fft``: :func:`scipy.fft.rfftn` (``fftn`` for complex data) of the whole grid, with ``workers``.

Each input channel is transformed once and the channels are mixed in the
frequency domain; the constant (zero) padding is implicit and the transform
length is only what the requested outputs need (``n + reach - first`` per
axis, a fast length).  The kernel spectrum is cached on the plan.  The
unit-stride adjoint transforms ``y`` as it is (channels last, no zero-padded
copy): ``y``'s offset in the transform becomes a phase folded into the cached
adjoint spectrum, and the channels are mixed by one batched matmul.  A strided
FFT computes every output and then subsamples (no cheaper exact path), and its
cost counts the un-strided length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..padding import fold, pad
from .base import WORKERS, Plan, PricedEngine, dilated, full_indices, work_counts
from .costs import CostTable
from .oned import adjoint1d, fast_length, fft_work1d, forward1d, simple1d

__all__ = ["ENGINE", "FFT", "kernel_spectrum", "mix", "transform_lengths"]


def transform_lengths(plan: Plan, implicit: bool) -> tuple[tuple[int, ...], list[slice]]:
    """Fast transform lengths per axis and the slices of the outputs in the result (padding implicit or not)."""
    g = plan.geometry
    if implicit:
        sl = full_indices(plan)
        n_eff = g.input_shape
    else:
        sl = [slice(r, r + (o - 1) * s + 1, s) for r, s, o in zip(g.reach, g.stride, g.output_shape, strict=True)]
        n_eff = g.padded_shape
    real = plan.dtype.kind != "c"
    lengths = []
    for n, r, s in zip(n_eff, g.reach, sl, strict=True):
        need = max(s.stop, n + r - s.start)
        lengths.append(fast_length(need, not real))
    return tuple(lengths), sl


def kernel_spectrum(plan: Plan, lengths: tuple[int, ...], adjoint: bool) -> np.ndarray:
    """Spectrum of the flipped, dilated kernel, channels first: (c_in, c_out, F...) or (1, 1, F...) depthwise."""
    from scipy import fft as sfft

    def make() -> np.ndarray:
        nd = plan.ndim
        h = dilated(plan.kernel, plan.geometry.dilation, nd)[tuple(slice(None, None, -1) for _ in range(nd))]
        h = h[..., None, None] if plan.depthwise else h
        h = np.moveaxis(h, (nd, nd + 1), (0, 1))
        axes = tuple(range(2, nd + 2))
        if plan.dtype.kind == "c":
            spec = sfft.fftn(h, s=lengths, axes=axes, workers=WORKERS)
        else:
            spec = sfft.rfftn(h, s=lengths, axes=axes, workers=WORKERS)
        return np.ascontiguousarray(spec)

    spectrum = plan.cached(("fft", lengths), make)
    if not adjoint:
        return spectrum
    # the conjugate spectrum, channels swapped, cached like the forward one
    return plan.cached(("fft-adjoint", lengths), lambda: np.ascontiguousarray(spectrum.conj().swapaxes(0, 1)))


def mix(spectra: np.ndarray, kernel: np.ndarray, depthwise: bool, adjoint: bool) -> np.ndarray:
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


def _forward(x: np.ndarray, plan: Plan) -> np.ndarray:
    """Transform each input channel once, mix channels per frequency, transform back."""
    from scipy import fft as sfft

    if simple1d(plan):
        return forward1d(x, plan, "fft")

    g = plan.geometry
    implicit = plan.zero_boundary
    src = x if implicit else pad(x, g)
    lengths, sl = transform_lengths(plan, implicit)
    nd = g.ndim
    src = np.moveaxis(src, -1, 1)  # (nb, c, spatial...)
    axes = tuple(range(2, nd + 2))
    complex_ = plan.dtype.kind == "c"
    if complex_:
        spec = sfft.fftn(src, s=lengths, axes=axes, workers=WORKERS)
    else:
        spec = sfft.rfftn(src, s=lengths, axes=axes, workers=WORKERS)
    spec = mix(spec, kernel_spectrum(plan, lengths, False), plan.depthwise, False)
    if complex_:
        z = sfft.ifftn(spec, s=lengths, axes=axes, workers=WORKERS, overwrite_x=True)
    else:
        z = sfft.irfftn(spec, s=lengths, axes=axes, workers=WORKERS, overwrite_x=True)
    y = z[(slice(None), slice(None), *sl)]
    return np.ascontiguousarray(np.moveaxis(y, 1, -1), dtype=plan.dtype)


def _adjoint(y: np.ndarray, plan: Plan) -> np.ndarray:
    """The transposed transform chain; unit stride without a zero-padded copy of y."""
    from scipy import fft as sfft

    if simple1d(plan):
        return adjoint1d(y, plan, "fft")

    g = plan.geometry
    implicit = plan.zero_boundary
    lengths, sl = transform_lengths(plan, implicit)
    nd = g.ndim
    if all(s == 1 for s in g.stride):
        return _fft_adjoint_shifted(y, plan, lengths, tuple(x.start for x in sl), implicit)
    c = y.shape[-1] if plan.depthwise else plan.c_out
    zg = np.zeros((y.shape[0], c, *lengths), dtype=plan.dtype)
    zg[(slice(None), slice(None), *sl)] = np.moveaxis(y, -1, 1)
    axes = tuple(range(2, nd + 2))
    complex_ = plan.dtype.kind == "c"
    spec = (sfft.fftn if complex_ else sfft.rfftn)(zg, axes=axes, workers=WORKERS, overwrite_x=True)
    spec = mix(spec, kernel_spectrum(plan, lengths, True), plan.depthwise, True)
    if complex_:
        xg = sfft.ifftn(spec, s=lengths, axes=axes, workers=WORKERS, overwrite_x=True)
    else:
        xg = sfft.irfftn(spec, s=lengths, axes=axes, workers=WORKERS, overwrite_x=True)
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
        spec = kernel_spectrum(plan, lengths, False).conj()  # (c_in, c_out, F...)
        for j, (length, start) in enumerate(zip(lengths, starts, strict=True)):
            bins = spec.shape[2 + j]
            phase = np.exp(-2j * np.pi * start * np.arange(bins) / length).astype(spec.dtype)
            spec = spec * phase.reshape([-1 if i == 2 + j else 1 for i in range(spec.ndim)])
        if plan.depthwise:
            return np.ascontiguousarray(spec[0, 0][..., None])  # (F..., 1)
        return np.ascontiguousarray(np.moveaxis(spec, (0, 1), (-1, -2)))  # (F..., c_out, c_in)

    kernel = plan.cached(("fft-adjoint-shifted", lengths, starts), make)
    axes = tuple(range(1, nd + 1))
    spec = (sfft.fftn if complex_ else sfft.rfftn)(y, s=lengths, axes=axes, workers=WORKERS)
    if plan.depthwise:
        spec *= kernel
    else:
        spec = np.matmul(spec[..., None, :], kernel)[..., 0, :]
    if complex_:
        xg = sfft.ifftn(spec, s=lengths, axes=axes, workers=WORKERS, overwrite_x=True)
    else:
        xg = sfft.irfftn(spec, s=lengths, axes=axes, workers=WORKERS, overwrite_x=True)
    n_eff = g.input_shape if implicit else g.padded_shape
    xg = xg[(slice(None), *(slice(0, n) for n in n_eff))].astype(plan.dtype, copy=False)
    # implicit padding: the view into the transform's output, no copy (a fresh 2 MB array costs ~0.5 ms of page
    # faults on 512^2 float64, as much as one transform)
    return xg if implicit else fold(xg, g)


class FFT(PricedEngine):
    """The ``fft`` engine (see the module docstring)."""

    name = "fft"

    def applicable(self, plan: Plan) -> bool:
        """Always."""
        return True

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:
        """Transforms of every input and output channel (and of the kernel unless cached), the channel mix
        per frequency, the channels-last <-> channels-first copies."""
        if simple1d(plan):
            return fft_work1d(plan)
        n_out, n_in, c, c_mix, c_out = work_counts(plan)
        lengths, _ = transform_lengths(plan, plan.zero_boundary)
        size = math.prod(lengths)
        nb = plan.batch
        # kernel spectra are cached on the plan: count them at 1/16 (amortized over the reuse of a Conv), in full
        # for a plan made for one call (a kernel operator's: 48 kernel spectra made a 3 -> 16 call 3x slower)
        kernel = 0 if ("fft", lengths) in plan.cache else (1 if plan.depthwise else plan.c_in * plan.c_out)
        kernel = kernel if not plan.kernel_reused else kernel / 16
        single = plan.dtype in (np.float32, np.complex64)
        return {"fft_transform_unit": costs.fft_transform_work(size, nb * c + nb * c_out + kernel, single),
                "fft_mix_unit": size * nb * c_mix, "fft_layout_unit": n_in * c + n_out * c_out, "fft_call": 1}

    def workspace(self, plan: Plan) -> int:
        """Bytes of the transforms: the input's and the output's spectra and the kernel's, complex."""
        lengths, _ = transform_lengths(plan, plan.zero_boundary)
        bins = math.prod(lengths[:-1]) * (lengths[-1] // 2 + 1 if plan.dtype.kind != "c" else lengths[-1])
        c_mix = 1 if plan.depthwise else plan.c_in * plan.c_out
        c_out = plan.c_in if plan.depthwise else plan.c_out
        complex_bytes = 2 * max(plan.dtype.itemsize, 4) if plan.dtype.kind != "c" else plan.dtype.itemsize
        return bins * (plan.batch * (plan.c_in + 2 * c_out) + c_mix) * complex_bytes

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """See :func:`_forward`."""
        return _forward(x, plan)

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """See :func:`_adjoint`."""
        return _adjoint(y, plan)


ENGINE = FFT()
