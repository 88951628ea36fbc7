"""What every engine shares: the :class:`Plan` it runs, the :class:`Engine` protocol, index helpers.

Every engine computes the strided, dilated cross-correlation of
:class:`~signalspace.ops.geometry.ConvGeometry`::

    y[b, i, o] = sum_k sum_c a[k, c, o] * xp[b, i * stride + k * dilation, c]

and its exact adjoint, on arrays laid out ``(batch, spatial..., channels)``.  The
padding constant is always 0 here: :class:`~signalspace.ops.conv.Conv` adds the
response to a non-zero ``cval`` afterwards
(:func:`~signalspace.ops.padding.constant_response`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..geometry import ConvGeometry
from .costs import CostTable

__all__ = ["WORKERS", "Engine", "Plan", "dilated", "full_indices"]

#: Threads a scipy.fft call may use: the machine's cores.
WORKERS = max(1, os.cpu_count() or 1)


@dataclass
class Plan:
    """Everything an engine needs: geometry, correlation kernel, layout, dtype, and a cache.

    ``kernel`` is the correlation kernel (already flipped for true
    convolution), in the compute dtype: ``spatial`` when ``depthwise``, else
    ``spatial + (c_in, c_out)``.  ``batch`` is the number of batch rows.
    ``cache`` holds what engines derive from the plan (kernel spectra,
    factors, the automatic choice); a :class:`~signalspace.ops.conv.Conv`
    keeps one plan per input layout.  ``kernel_reused`` says whether what is
    derived from the kernel pays off over many calls (a Conv's plan) or is
    made for one call (the plans of a
    :class:`~signalspace.ops.kernel_operator.KernelOperator`, whose kernel is
    the operator's input): the cost model counts it accordingly.
    """

    geometry: ConvGeometry
    kernel: np.ndarray
    depthwise: bool
    c_in: int
    c_out: int
    batch: int = 1
    cache: dict = field(default_factory=dict)
    kernel_reused: bool = True

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return self.geometry.ndim

    @property
    def dtype(self) -> np.dtype:
        """The compute dtype (the kernel's)."""
        return self.kernel.dtype

    @property
    def taps(self) -> int:
        """Spatial taps of the kernel."""
        return math.prod(self.geometry.kernel_shape)

    @property
    def unit_steps(self) -> bool:
        """True when every stride and dilation is 1."""
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

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``cache[key]``, built by ``make()`` when missing (thread-safe: concurrent builders keep the first)."""
        try:
            return self.cache[key]
        except KeyError:
            return self.cache.setdefault(key, make())  # dict.setdefault is atomic: no lost or evicted entries


@runtime_checkable
class Engine(Protocol):
    """One way to run a :class:`Plan`: forward, adjoint, and what it costs.

    An engine is one module under ``signalspace/ops/engines/`` holding a class
    with these members and an instance of it; the registry
    (:mod:`signalspace.ops.engines`) lists the instances.  ``forward`` and
    ``adjoint`` take and return arrays laid out ``(batch, spatial...,
    channels)`` in the plan's dtype; ``cost`` estimates seconds with the cost
    table (the automatic choice takes the cheapest applicable engine).
    """

    name: str

    def applicable(self, plan: Plan) -> bool:
        """True when this engine can run ``plan``."""

    def cost(self, plan: Plan, costs: CostTable) -> float:
        """Estimated seconds of :meth:`forward` on ``plan``."""

    def forward(self, x: np.ndarray, plan: Plan) -> np.ndarray:
        """``y`` of shape ``(batch, output spatial..., c_out)`` from ``x`` ``(batch, spatial..., c_in)``."""

    def adjoint(self, y: np.ndarray, plan: Plan) -> np.ndarray:
        """The exact adjoint: ``x`` of shape ``(batch, spatial..., c_in)`` from ``y``."""


class PricedEngine:
    """Mixin of the built-in engines: ``cost`` prices the work they count, so the table can be refitted.

    A subclass implements ``work(plan, costs)``, a mapping of :class:`CostTable` terms to amounts.
    """

    def work(self, plan: Plan, costs: CostTable) -> Mapping[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def cost(self, plan: Plan, costs: CostTable) -> float:
        """``costs.seconds(self.work(plan, costs))``."""
        return costs.seconds(self.work(plan, costs))


def full_indices(plan: Plan) -> list[slice]:
    """Slices of the full linear convolution (length n + reach) that hold each output, per axis."""
    g = plan.geometry
    return [
        slice(r - pb, r - pb + (o - 1) * s + 1, s)
        for (pb, _), r, s, o in zip(g.pad, g.reach, g.stride, g.output_shape, strict=True)
    ]


def dilated(a: np.ndarray, dilation: tuple[int, ...], ndim: int) -> np.ndarray:
    """The kernel ``a`` with ``dilation - 1`` zeros between its taps along its first ``ndim`` axes."""
    if all(d == 1 for d in dilation):
        return a
    shape = tuple((k - 1) * d + 1 for k, d in zip(a.shape[:ndim], dilation, strict=True)) + a.shape[ndim:]
    out = np.zeros(shape, dtype=a.dtype)
    out[tuple(slice(None, None, d) for d in dilation)] = a
    return out


def work_counts(plan: Plan) -> tuple[int, int, int, int, int]:
    """``(outputs, padded inputs, c_in, channel pairs, c_out)`` of a plan, batch included, as the costs count them.

    ``channel pairs`` is ``c_in * c_out``, or ``c`` for a depthwise kernel (whose ``c_out`` is ``c``).
    """
    g = plan.geometry
    n_out = plan.batch * math.prod(g.output_shape)
    n_in = plan.batch * math.prod(g.padded_shape)
    c = plan.c_in
    c_mix = c if plan.depthwise else plan.c_in * plan.c_out
    c_out = c if plan.depthwise else plan.c_out
    return n_out, n_in, c, c_mix, c_out
