"""ConvGeometry: where each output sample of a convolution reads its input.

One frozen object turns (input shape, kernel shape, stride, dilation,
padding, boundary) into the output shape, the output Domain, and for every
axis the table of input indices each output position reads.  :class:`Conv`
and the Toeplitz builders share it, so an operator and its matrix cannot
disagree about geometry.

Convention (the lecture's running scalar product, cross-correlation)::

    y[i] = sum_k a[k] * xp[i * stride + k * dilation]

where ``xp`` is the input padded with ``pad[axis] = (before, after)`` samples
whose values follow ``boundary`` (scipy.ndimage's names).

Named paddings, with ``reach = dilation * (k - 1)`` per axis:

- ``"valid"``: ``(0, 0)``;
- ``"full"``: ``(reach, reach)``;
- ``"same"``: ``(reach // 2, reach - reach // 2)``.  For an even kernel (odd
  reach) the extra sample goes *after* the input, as in PyTorch
  (``padding="same"``) and TensorFlow (``"SAME"``).  :func:`scipy.ndimage.correlate`
  centres an even kernel the other way: ``Conv(a, padding="same")`` equals
  ``ndimage.correlate(x, a, origin=-1)`` along such an axis (``origin=0`` for
  odd kernels), and with ``flip=True`` it equals rows ``k // 2 .. k // 2 + n - 1``
  of ``scipy.linalg.convolution_matrix(a, n, "full")`` (scipy's ``"same"`` takes
  rows from ``(k - 1) // 2``: one row earlier for even ``k``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import as_shape, describe, one_of, per_axis, positive_int
from ..domain import Domain

__all__ = ["BOUNDARIES", "PADDINGS", "ConvGeometry", "boundary_index"]

#: Boundary modes, with scipy.ndimage's meanings (``abcd`` is the input).
BOUNDARIES = ("constant", "reflect", "nearest", "mirror", "wrap")
#: Named paddings; a per-axis ``(before, after)`` sequence is also accepted.
PADDINGS = ("valid", "same", "full")


def boundary_index(positions: np.ndarray, n: int, boundary: str) -> np.ndarray:
    """Map positions on the padded axis (relative to the input's first sample) to input indices.

    Parameters
    ----------
    positions : ndarray of int
        Positions, where 0..n-1 are the input samples and others lie in the padding.
    n : int
        Input length along the axis.
    boundary : str
        One of :data:`BOUNDARIES`.  ``"constant"`` maps every outside position to -1
        (the sample is the constant ``cval``, it reads no input).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.arange(-3, 7)
    >>> boundary_index(p, 4, "reflect")      # d c b | a b c d | d c b  ->  c b a a b c d d c b
    array([2, 1, 0, 0, 1, 2, 3, 3, 2, 1])
    >>> boundary_index(p, 4, "mirror")
    array([3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
    >>> boundary_index(p, 4, "wrap")
    array([1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
    >>> boundary_index(p, 4, "nearest")
    array([0, 0, 0, 0, 1, 2, 3, 3, 3, 3])
    >>> boundary_index(p, 4, "constant")
    array([-1, -1, -1,  0,  1,  2,  3, -1, -1, -1])
    """
    p = np.asarray(positions, dtype=np.intp)
    if boundary == "constant":
        return np.where((p >= 0) & (p < n), p, -1)
    if boundary == "wrap":
        return np.mod(p, n)
    if boundary == "nearest":
        return np.clip(p, 0, n - 1)
    if boundary == "reflect":
        q = np.mod(p, 2 * n)
        return np.where(q < n, q, 2 * n - 1 - q)
    if boundary == "mirror":
        if n == 1:
            return np.zeros_like(p)
        q = np.mod(p, 2 * n - 2)
        return np.where(q < n, q, 2 * n - 2 - q)
    raise InvalidParameterError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")


def _resolve_padding(padding: Any, reach: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    ndim = len(reach)
    if isinstance(padding, str):
        one_of(padding, "padding", PADDINGS)
        if padding == "valid":
            return ((0, 0),) * ndim
        if padding == "full":
            return tuple((r, r) for r in reach)
        return tuple((r // 2, r - r // 2) for r in reach)
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        padding = positive_int(padding, "padding", minimum=0)
        return ((padding, padding),) * ndim
    if isinstance(padding, Sequence) and len(padding) == ndim:
        pairs = []
        for i, item in enumerate(padding):
            if isinstance(item, numbers.Integral) and not isinstance(item, bool):
                item = (item, item)
            if not (isinstance(item, Sequence) and len(item) == 2):
                raise InvalidParameterError(
                    f"padding[{i}] must be an int or a (before, after) pair, got {describe(item)}"
                )
            pairs.append(tuple(positive_int(v, f"padding[{i}]", minimum=0) for v in item))
        return tuple(pairs)
    raise InvalidParameterError(
        f"padding must be one of {PADDINGS}, an int, or {ndim} (before, after) pairs; got {describe(padding)}"
    )


@dataclass(frozen=True)
class ConvGeometry:
    """Output shape, output Domain and per-axis input index tables of a convolution.

    Build it with :meth:`create`, which validates and normalizes every option.

    Examples
    --------
    >>> g = ConvGeometry.create((6,), (3,), padding="valid")
    >>> g.output_shape
    (4,)
    >>> g.input_indices(0)                 # output i reads x[i], x[i+1], x[i+2]
    array([[0, 1, 2],
           [1, 2, 3],
           [2, 3, 4],
           [3, 4, 5]])
    >>> ConvGeometry.create((10,), (3,), stride=2, padding="same").output_shape
    (5,)
    """

    input_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pad: tuple[tuple[int, int], ...]
    boundary: tuple[str, ...]
    cval: float = 0.0

    @classmethod
    def create(
        cls,
        input_shape: Sequence[int],
        kernel_shape: Sequence[int],
        *,
        stride: int | Sequence[int] = 1,
        dilation: int | Sequence[int] = 1,
        padding: Any = "valid",
        boundary: str | Sequence[str] = "constant",
        cval: float = 0.0,
    ) -> ConvGeometry:
        """Validate the options and build the geometry.

        Raises
        ------
        ShapeError
            When the kernel (with dilation) does not fit in the padded input.
        InvalidParameterError
            For a non-positive stride/dilation, an unknown padding or boundary.
        """
        input_shape = as_shape(input_shape, "input_shape")
        kernel_shape = as_shape(kernel_shape, "kernel shape")
        ndim = len(kernel_shape)
        if len(input_shape) != ndim:
            raise ShapeError(
                f"the kernel has {ndim} spatial axes {kernel_shape} but the input has "
                f"{len(input_shape)} {input_shape}"
            )
        stride = per_axis(stride, ndim, "stride", positive_int)
        dilation = per_axis(dilation, ndim, "dilation", positive_int)
        if isinstance(boundary, str) or not isinstance(boundary, Sequence):
            boundary = (boundary,) * ndim
        boundary = per_axis(tuple(boundary), ndim, "boundary", lambda b, n: one_of(b, n, BOUNDARIES))
        reach = tuple(d * (k - 1) for d, k in zip(dilation, kernel_shape, strict=True))
        pad = _resolve_padding(padding, reach)
        if not isinstance(cval, (int, float, complex)) or isinstance(cval, bool):
            raise InvalidTypeError(f"cval must be a number, got {describe(cval)}")
        if not np.isfinite(cval):
            raise InvalidParameterError(f"cval must be finite, got {cval!r}")
        for axis, (n, r, (b, a)) in enumerate(zip(input_shape, reach, pad, strict=True)):
            if n + b + a - r < 1:
                raise ShapeError(
                    f"the kernel reaches {r + 1} samples along axis {axis} (size {kernel_shape[axis]}, "
                    f"dilation {dilation[axis]}) but the padded input has only {n + b + a} "
                    f"(input {n}, padding {padding!r}); use padding='same' or 'full', or a smaller kernel"
                )
        return cls(input_shape, kernel_shape, stride, dilation, pad, boundary, cval)

    @staticmethod
    def pads_for(padding: Any, reach: Sequence[int]) -> tuple[tuple[int, int], ...]:
        """The ``(before, after)`` pads of ``padding`` for a kernel of this ``reach`` per axis (no input needed).

        Examples
        --------
        >>> ConvGeometry.pads_for("same", (2, 3))      # odd reach: the extra sample goes after
        ((1, 1), (1, 2))
        >>> ConvGeometry.pads_for("full", (2,)), ConvGeometry.pads_for(1, (4, 4))
        (((2, 2),), ((1, 1), (1, 1)))
        """
        return _resolve_padding(padding, tuple(int(r) for r in reach))

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return len(self.kernel_shape)

    @property
    def reach(self) -> tuple[int, ...]:
        """``dilation * (k - 1)`` per axis: how far the kernel reaches past its first tap."""
        return tuple(d * (k - 1) for d, k in zip(self.dilation, self.kernel_shape, strict=True))

    @cached_property
    def padded_shape(self) -> tuple[int, ...]:
        """Input shape after padding."""
        return tuple(n + b + a for n, (b, a) in zip(self.input_shape, self.pad, strict=True))

    @cached_property
    def output_shape(self) -> tuple[int, ...]:
        """Spatial shape of the output."""
        return tuple(
            (p - r - 1) // s + 1
            for p, r, s in zip(self.padded_shape, self.reach, self.stride, strict=True)
        )

    def first_positions(self, axis: int) -> np.ndarray:
        """Position (relative to input sample 0) of each output's first tap along ``axis``."""
        return np.arange(self.output_shape[axis]) * self.stride[axis] - self.pad[axis][0]

    def input_indices(self, axis: int) -> np.ndarray:
        """Input index read by output ``i`` and tap ``k`` along ``axis``, shape ``(n_out, k)``.

        With ``"constant"`` boundary, -1 marks taps that read the padding constant.
        """
        return self._index_tables[axis]

    @cached_property
    def _index_tables(self) -> tuple[np.ndarray, ...]:
        tables = []
        for axis in range(self.ndim):
            taps = np.arange(self.kernel_shape[axis]) * self.dilation[axis]
            positions = self.first_positions(axis)[:, None] + taps[None, :]
            table = boundary_index(positions, self.input_shape[axis], self.boundary[axis])
            table.setflags(write=False)
            tables.append(table)
        return tuple(tables)

    def _first_offsets(self) -> list[float]:
        """Per axis, where output 0 sits in input samples: its window's first tap plus half the reach."""
        return [-pb + r / 2 for (pb, _), r in zip(self.pad, self.reach, strict=True)]

    def output_domain(self, domain: Domain) -> Domain:
        """The Domain of the output: each output's coordinate is where its window starts + half its reach.

        The coordinate of output ``i`` is the centre of its window in Ω: the
        input coordinate of its first tap plus half the kernel's reach.
        Stride multiplies the step; padding and the kernel's reach shift the
        origin.  :meth:`input_domain` is the inverse.

        Examples
        --------
        >>> from signalspace import Axis, Domain
        >>> d = Domain([Axis("time", 10, step=0.5, origin=1.0)])
        >>> g = ConvGeometry.create((10,), (3,), stride=2, padding="valid")
        >>> g.output_domain(d)["time"]
        Axis(name='time', size=4, step=1.0, origin=1.5, unit='')
        >>> g.input_domain(g.output_domain(d)) == d
        True
        """
        if domain.shape != self.input_shape:
            raise ShapeError(
                f"domain shape {domain.shape} does not match the geometry's input shape {self.input_shape}"
            )
        axes = []
        for i, (axis, first) in enumerate(zip(domain.axes, self._first_offsets(), strict=True)):
            axes.append(
                type(axis)(
                    axis.name,
                    self.output_shape[i],
                    step=axis.step * self.stride[i],
                    origin=axis.origin + axis.step * first,
                    unit=axis.unit,
                )
            )
        return domain.with_axes(axes)

    def input_domain(self, domain: Domain) -> Domain:
        """The Domain of the input whose :meth:`output_domain` is ``domain`` (used by the adjoint).

        The step is divided by the stride and the origin moved back by the
        window offset, so ``input_domain(output_domain(d)) == d`` up to rounding.
        """
        if domain.shape != self.output_shape:
            raise ShapeError(
                f"domain shape {domain.shape} does not match the geometry's output shape {self.output_shape}"
            )
        axes = []
        for i, (axis, first) in enumerate(zip(domain.axes, self._first_offsets(), strict=True)):
            step = axis.step / self.stride[i]
            axes.append(
                type(axis)(axis.name, self.input_shape[i], step=step, origin=axis.origin - step * first,
                           unit=axis.unit)
            )
        return domain.with_axes(axes)
