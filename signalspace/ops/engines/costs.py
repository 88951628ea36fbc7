"""The cost model's constants: one table, seconds per unit of work.

Each engine counts the work a plan asks of it (:meth:`Engine.work`: multiply-adds,
transformed samples, copies, calls) and the model prices it with the
:class:`CostTable`: ``cost = sum(table[term] * work[term])``.  Only ratios
between engines matter.  How the constants were fitted and how to refit them on
another machine (``python benchmarks/refit_costs.py``) is in the documentation
page *Engines and their cost model* (``docs/engines.rst``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from ..._errors import UnknownNameError

__all__ = ["COSTS", "CostTable"]


@dataclass(frozen=True)
class CostTable:
    """Seconds per unit of work of every engine (fields ending in ``_unit`` or ``_call``), and three shape
    parameters of the FFT model that are not fitted by least squares.

    Fitted on the development machine (2 shared cores, x86-64, OpenBLAS; forward calls, warm caches,
    best of 3).  :func:`dataclasses.replace` makes a variant; ``benchmarks/refit_costs.py`` prints a
    refitted table for the machine it runs on.

    Examples
    --------
    >>> from signalspace.ops.engines.costs import COSTS
    >>> COSTS.seconds({"direct_tap_call": 3, "direct_mac_unit": 1e6})
    0.001818
    """

    # -- direct: a numpy multiply-add (or a small GEMM) per non-zero tap on strided views
    direct_tap_call: float = 6e-6  #: per non-zero tap: the numpy calls of one tap
    direct_mac_unit: float = 1.8e-9  #: per multiply-add, one channel or depthwise (a temporary per tap)
    direct_gemm_unit: float = 0.05e-9  #: per multiply-add of a tap's (outputs, c_in) @ (c_in, c_out) GEMM
    direct_write_unit: float = 0.3e-9  #: per output value updated by one tap's GEMM
    # -- numpy1d: np.convolve on one row (polyphase when strided)
    numpy1d_phase_call: float = 4e-6  #: per stride phase: one np.convolve call
    numpy1d_phase_copy_unit: float = 1e-9  #: per input sample copied into the phases (stride > 1)
    # -- ndimage: scipy.ndimage.correlate
    ndimage_mac_unit: float = 0.6e-9  #: per multiply-add
    ndimage_mac_axis_unit: float = 0.05e-9  #: per multiply-add and axis (its loops get longer with the rank)
    ndimage_pad_unit: float = 2e-9  #: per padded input value, when the boundary differs between axes
    ndimage_call: float = 5e-6  #: per call
    # -- im2col: patches times the kernel matrix, one BLAS GEMM per chunk
    im2col_single_unit: float = 2e-9  #: per tap and output value, one channel or depthwise (a patch copy each)
    im2col_patch_unit: float = 0.6e-9  #: per patch value copied (strided windows)
    im2col_gemm_unit: float = 0.025e-9  #: per multiply-add of the GEMM on strided windows
    im2col_flat_patch_unit: float = 0.2e-9  #: per patch value of the flat layout (contiguous rows)
    im2col_flat_gemm_unit: float = 0.045e-9  #: per multiply-add of the flat layout's GEMMs
    im2col_flat_tap_call: float = 4e-6  #: per kernel tap and chunk of the flat layout: its offset, a slice copy
    im2col_call: float = 2e-5  #: per call
    # -- fft: scipy.fft transforms of the whole (padded) grid
    fft_transform_unit: float = 0.3e-9  #: per ``L log2 L`` of one N-D real transform of L samples
    fft_single_precision: float = 0.8  #: transform time in float32 / complex64 relative to double (not fitted)
    fft_memory_bound_size: float = 2**24  #: transforms longer than this are memory bound ... (not fitted)
    fft_memory_bound_exponent: float = 0.6  #: ... and cost ``(L / size)**exponent`` more per sample (not fitted)
    fft_mix_unit: float = 0.3e-9  #: per frequency sample and channel pair mixed
    fft_layout_unit: float = 0.5e-9  #: per value copied between channels-last and channels-first
    fft_call: float = 2e-5  #: per call
    # -- oa: overlap-add on blocks of a 1-D signal with channels
    oa_transform_unit: float = 0.4e-9  #: per block sample and ``log2`` of the block length, per transform
    oa_mix_unit: float = 0.3e-9  #: per block sample and channel pair mixed
    oa_call: float = 4e-5  #: per call
    # -- separable: one scipy.ndimage.correlate1d pass per axis, then the channel mix
    separable_single_unit: float = 0.4e-9  #: per tap and sample of a pass, float32 (up to 3-D)
    separable_double_unit: float = 0.7e-9  #: per tap and sample of a pass, float64 or complex (up to 3-D)
    separable_high_dim_unit: float = 1.1e-9  #: per tap and sample of a pass beyond 3-D
    separable_mix_unit: float = 1e-9  #: per multiply-add of the channel mix
    separable_axis_call: float = 1e-5  #: per axis
    # -- planar: numba block kernels on channel planes of the padded grid, every core.  Refitted twice under the
    #    other engineers' load (1.7e-11 / 1.8e-11 per float32 multiply-add, 4.0e-11 / 4.2e-11 float64), as the
    #    FFT's constants were (on a quiet machine: 0.9e-11, 3 -> 16, 512², k = 7 in 5.4 ms, 227 GFLOP/s, but the
    #    FFT gains as much).  Crossover with ``fft`` on 3 -> 16, 512²: between k = 11 (planar 13.6 ms, fft ~22 ms)
    #    and k = 13 (planar 30 ms, fft 22 ms loaded; 48 / 50 ms in another loaded run).
    planar_single_mac_unit: float = 0.017e-9  #: per multiply-add computed in float32 (padded terms and planes too)
    planar_double_mac_unit: float = 0.04e-9  #: per multiply-add computed in float64 (complex: real pairs)
    planar_copy_unit: float = 0.15e-9  #: per value copied into a band's planes (halo included) or out of them
    planar_call: float = 2e-5  #: per call (threads, layout lookup)
    # -- the 1-D planner (ops.engines.oned): one row of one channel, zero boundary; ss.convolve's fast path
    oned_np_mac_unit: float = 0.18e-9  #: per multiply-add of np.convolve
    oned_np_call: float = 2e-6  #: per np.convolve call
    oned_fft_transform_unit: float = 0.35e-9  #: per ``L log2 L`` of one real 1-D transform (complex: twice)
    oned_fft_copy_unit: float = 1.2e-9  #: per sample of the whole-signal transform (padding and output copies)
    oned_fft_call: float = 1e-5  #: per whole-signal FFT convolution
    oned_oa_copy_unit: float = 2.5e-9  #: per block sample of overlap-add (block copies and adds)
    oned_oa_call: float = 2e-5  #: per overlap-add convolution

    def seconds(self, work: Mapping[str, float]) -> float:
        """The estimated time of ``work`` (term -> amount): ``sum(self.<term> * amount)``."""
        total = 0.0
        for term, amount in work.items():
            try:
                total += getattr(self, term) * amount
            except AttributeError:
                raise UnknownNameError(
                    f"work term {term!r} is not a field of CostTable; fields: {', '.join(self.terms())}"
                ) from None
        return total

    @classmethod
    def terms(cls) -> tuple[str, ...]:
        """Names of the fields priced in seconds (those ending in ``_unit`` or ``_call``)."""
        return tuple(f.name for f in fields(cls) if f.name.endswith(("_unit", "_call")))

    def fft_transform_work(self, size: int, transforms: float, single: bool) -> float:
        """Work (in ``fft_transform_unit``) of ``transforms`` N-D real transforms of ``size`` samples each.

        Up to ``fft_memory_bound_size`` samples a transform costs ``L log2 L``; beyond, the passes over
        memory cost ``(L / fft_memory_bound_size) ** fft_memory_bound_exponent`` times more (measured: 8-D
        9⁸ samples 0.33 s, 10⁸ samples 2.1 s per transform).
        """
        factor = self.fft_single_precision if single else 1.0
        bound = max(1.0, size / self.fft_memory_bound_size) ** self.fft_memory_bound_exponent
        return factor * bound * size * math.log2(max(size, 2)) * transforms


#: The table the engines' costs use (see :class:`CostTable`).
COSTS = CostTable()
