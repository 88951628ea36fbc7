"""How a kernel's axes are read and where they meet the axes of its input: the one parse of signalspace.

A kernel array is ``spatial + (c_in, c_out)``, mapping ``c_in`` channels to ``c_out``, or bare
``spatial``: *depthwise*, the same kernel on every channel.  A kernel of 3 or more axes can be read
both ways (all its axes spatial, or two fewer followed by a channel matrix), so the number of
spatial axes is never guessed from the kernel alone.  :class:`KernelLayout` decides it, in this
order:

1. what the operator was told: ``ndim=`` (the number of spatial axes), ``dims=`` (their names), or
   the length of a per-axis option (``stride=(1, 2)`` has two axes);
2. the kernel itself when it has 1 or 2 axes: ``(c_in, c_out)`` would leave no spatial axis, so
   it is spatial (depthwise);
3. what the kernel meets: the axes of a :class:`~signalspace.Signal`, the dims of a DataArray
   other than ``"channel"``, or ``axes=`` naming axes of an array.  A kernel with as many axes as
   that is depthwise; one with two more is ``spatial + (c_in, c_out)``.

A bare array or shape without ``axes=`` does not say which of its axes are spatial (the last one
could hold channels, a leading one a batch), so there a kernel of 3 or more axes that was told
nothing is refused with an error asking for ``ndim=``: the reading of a kernel never changes with
the rank of the array it meets.

:class:`InputLayout` places the spatial axes in an array, scikit-image's and scipy.ndimage's way:
``channel_axis=`` says which axis holds channels (the last one by default, when the array has one
axis more than the kernel has spatial axes), ``axes=`` which axes the kernel runs along; every
other axis is carried through untouched (a batch).  An array whose default channel axis is much
longer than its spatial axes (``(2, 22050)`` under a 1-D kernel: 2 samples of 22 050 channels?) is
refused with an error naming ``channel_axis``, never convolved along the wrong axis.

:func:`as_kernel` is the one validation of kernel arrays and :func:`compute_dtype` the one dtype
rule of the convolutions.

Examples
--------
>>> KernelLayout.parse((3, 3, 3)) is None    # nothing said: read from what the kernel meets
True
>>> KernelLayout.read((3, 3, 3), 3, against="(a Signal on 3 axes)").describe()
'3-D depthwise'
>>> KernelLayout.parse((3, 3, 3), ndim=1)
KernelLayout(shape=(3, 3, 3), ndim=1, depthwise=False, dims=None)
>>> InputLayout.resolve((2, 100), 1, channel_axis=0).spatial_shape   # librosa's (c, n)
(100,)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import describe, looks_transposed

__all__ = ["AUTO", "InputLayout", "KernelLayout", "as_dims", "as_kernel", "compute_dtype"]


class _Auto:
    """The default of ``channel_axis``: the last axis when the array has one more than the spatial axes."""

    def __repr__(self) -> str:
        return "AUTO"

    def __reduce__(self) -> str:  # pickles as the one instance
        return "AUTO"


#: ``channel_axis`` not given: the last axis holds channels when the array has one axis more than the kernel's
#: spatial axes (refused when it looks transposed), none when it has exactly as many.
AUTO: Any = _Auto()


# ------------------------------------------------------------------------------------------- kernel arrays
def as_kernel(kernel: Any, name: str = "kernel") -> np.ndarray:
    """``kernel`` as a read-only numeric array (a copy; integers and booleans become float64), or an error.

    Examples
    --------
    >>> as_kernel([1, 2, 3])
    array([1., 2., 3.])
    >>> as_kernel([1.0, np.nan])
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidParameterError: kernel must be finite, but it contains 1 NaN or infinite taps
    """
    try:
        array = np.array(kernel, copy=True)
    except Exception:
        raise InvalidTypeError(f"{name} must be array-like, got {describe(kernel)}") from None
    if array.dtype.kind not in "biufc":
        raise InvalidTypeError(f"{name} must be an array of numbers, got {describe(array)}")
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.ndim == 0:
        raise ShapeError(f"{name} must have at least one axis, got a scalar")
    if array.size == 0:
        raise ShapeError(f"{name} must have at least one tap, got an empty kernel of shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        raise InvalidParameterError(
            f"{name} must be finite, but it contains {int(np.count_nonzero(~finite))} NaN or infinite taps"
        )
    array.setflags(write=False)
    return array


def compute_dtype(data_dtype: Any, kernel_dtype: Any, complex_cval: bool = False) -> np.dtype:
    """The dtype a convolution of data of ``data_dtype`` with a kernel of ``kernel_dtype`` computes in and returns.

    The data's precision is kept (float32 stays float32, the kernel is cast to it); integers and
    booleans become float64, float16 becomes float32; a complex kernel (or a complex padding
    constant) makes real data complex of the same precision.  The one dtype rule of
    :class:`~signalspace.Conv`, the matrix builders (whose entries default to
    ``compute_dtype(kernel, kernel)``) and :func:`~signalspace.convolve` (whose data dtype is the
    common dtype of its two symmetric arguments).

    Examples
    --------
    >>> compute_dtype(np.float32, np.float64), compute_dtype(np.int16, np.float32)
    (dtype('float32'), dtype('float64'))
    >>> compute_dtype(np.float32, np.complex128)
    dtype('complex64')
    """
    data = np.dtype(data_dtype)
    if data.kind in "biu":
        data = np.dtype(np.float64)
    elif data.kind == "f" and data.itemsize < 4:
        data = np.dtype(np.float32)
    elif data.kind not in "fc":
        raise InvalidTypeError(f"x must have a numeric dtype, got {data}")
    if np.dtype(kernel_dtype).kind == "c" or complex_cval:
        return np.result_type(data, np.complex64)
    return data


def as_dims(dims: Any, name: str = "dims") -> tuple[str, ...] | None:
    """``dims`` as a tuple of distinct axis names (None stays None), or an error naming ``name``."""
    if dims is None:
        return None
    if isinstance(dims, str) or not isinstance(dims, Sequence) or not all(isinstance(d, str) for d in dims):
        raise InvalidTypeError(f"{name} must be a sequence of axis names (str), got {describe(dims)}")
    dims = tuple(dims)
    if not dims:
        raise InvalidParameterError(f"{name} must name at least one axis, got ()")
    repeated = sorted({d for d in dims if dims.count(d) > 1})
    if repeated:
        raise InvalidParameterError(f"{name} must name each axis once; repeated: {repeated}")
    return dims


# ------------------------------------------------------------------------------------------- KernelLayout
@dataclass(frozen=True)
class KernelLayout:
    """How a kernel's axes are read: ``ndim`` spatial axes, then nothing (depthwise) or ``(c_in, c_out)``.

    Build it with :meth:`parse` (what the operator was told, or the kernel alone; None when the
    reading must come from the input) or :meth:`read` (against a known number of spatial axes).

    Attributes
    ----------
    shape : tuple of int
        The kernel array's shape.
    ndim : int
        Number of spatial axes (the kernel's first ``ndim`` axes).
    depthwise : bool
        True for a bare ``spatial`` kernel, False for ``spatial + (c_in, c_out)``.
    dims : tuple of str or None
        Names of the spatial axes, when given.

    Examples
    --------
    >>> KernelLayout.parse((5,))
    KernelLayout(shape=(5,), ndim=1, depthwise=True, dims=None)
    >>> k = KernelLayout.parse((3, 3, 2, 4), dims=("row", "col"))
    >>> k.spatial_shape, k.c_in, k.c_out
    ((3, 3), 2, 4)
    >>> KernelLayout.parse((3, 3, 3), per_axis={"stride": (1, 2, 2)}).describe()
    '3-D depthwise'
    """

    shape: tuple[int, ...]
    ndim: int
    depthwise: bool
    dims: tuple[str, ...] | None = None

    @classmethod
    def parse(
        cls,
        shape: Sequence[int],
        *,
        ndim: int | None = None,
        dims: Sequence[str] | None = None,
        per_axis: Mapping[str, Any] | None = None,
    ) -> KernelLayout | None:
        """The layout fixed by ``ndim``, ``dims``, a per-axis option or the kernel alone; None when the input decides.

        ``per_axis`` maps option names to their values: a sequence (other than a string) gives one
        value per spatial axis, so its length is the number of spatial axes.  It is read when
        ``ndim`` or ``dims`` is given (they must agree) or when the kernel has 3 or more axes; a
        kernel of 1 or 2 axes fixes the count itself (the options are then checked against it).
        """
        shape = tuple(int(n) for n in shape)
        dims = as_dims(dims)
        declared: list[tuple[int, str]] = []
        if ndim is not None:
            if isinstance(ndim, bool) or not isinstance(ndim, numbers.Integral) or ndim < 1:
                raise InvalidParameterError(f"ndim must be an integer >= 1 (the number of spatial axes), got {ndim!r}")
            declared.append((int(ndim), f"ndim={int(ndim)}"))
        if dims is not None:
            declared.append((len(dims), f"dims={dims!r}"))
        if declared or len(shape) > 2:
            for option, value in (per_axis or {}).items():
                if isinstance(value, Sequence) and not isinstance(value, str):
                    declared.append((len(value), f"{option}={value!r}"))
        if declared:
            nd, source = declared[0]
            for other, said in declared[1:]:
                if other != nd:
                    raise ShapeError(
                        f"the number of spatial axes is said twice, differently: {source} gives {nd}, "
                        f"{said} gives {other}"
                    )
            return cls.read(shape, nd, dims, against=f"({source})")
        if len(shape) <= 2:
            return cls(shape, len(shape), True, None)
        return None

    @classmethod
    def read(
        cls, shape: Sequence[int], ndim: int, dims: Sequence[str] | None = None, *, against: str = ""
    ) -> KernelLayout:
        """The layout of a kernel of ``shape`` with ``ndim`` spatial axes: depthwise or ``+ (c_in, c_out)``.

        ``against`` says where ``ndim`` came from, for the error message.
        """
        shape = tuple(int(n) for n in shape)
        k = len(shape)
        if k == ndim:
            return cls(shape, ndim, True, as_dims(dims))
        if k == ndim + 2:
            return cls(shape, ndim, False, as_dims(dims))
        where = f" {against}" if against else ""
        axes = "axis" if ndim == 1 else "axes"
        raise ShapeError(
            f"kernel of shape {shape} does not fit {ndim} spatial {axes}{where}: that takes a kernel of {ndim} "
            f"{axes} (depthwise, the same on every channel) or {ndim + 2} (spatial + (c_in, c_out))"
        )

    @staticmethod
    def readings(shape: Sequence[int]) -> str:
        """The two readings of a kernel of 3 or more axes, for messages.

        Examples
        --------
        >>> KernelLayout.readings((3, 3, 3))
        '3 spatial axes, depthwise, or 1 spatial axis + (c_in=3, c_out=3)'
        """
        shape = tuple(shape)
        k = len(shape)
        axes = "axis" if k == 3 else "axes"
        return (
            f"{k} spatial axes, depthwise, or {k - 2} spatial {axes} + (c_in={shape[-2]}, c_out={shape[-1]})"
        )

    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """The kernel's spatial sizes."""
        return self.shape[: self.ndim]

    @property
    def c_in(self) -> int | None:
        """Input channels (None when depthwise: any number)."""
        return None if self.depthwise else self.shape[-2]

    @property
    def c_out(self) -> int | None:
        """Output channels (None when depthwise: as many as the input)."""
        return None if self.depthwise else self.shape[-1]

    def channels_out(self, channels_in: int) -> int:
        """Output channels for ``channels_in`` input channels."""
        return channels_in if self.depthwise else self.shape[-1]

    def describe(self) -> str:
        """``"3-D depthwise"`` or ``"2-D, 3 -> 16 channels"``."""
        if self.depthwise:
            return f"{self.ndim}-D depthwise"
        return f"{self.ndim}-D, {self.c_in} -> {self.c_out} channels"


# ------------------------------------------------------------------------------------------- InputLayout
def _axis(value: Any, ndim: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an integer axis (or None), got {describe(value)}")
    if not -ndim <= value < ndim:
        raise InvalidParameterError(f"{name}={int(value)} is out of range for an array of {ndim} axes")
    return int(value) % ndim


def _axes(value: Any, ndim: int, name: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise InvalidTypeError(f"{name} must be a sequence of integer axes, got {describe(value)}")
    axes = tuple(_axis(v, ndim, f"{name}[{i}]") for i, v in enumerate(value))
    if not axes:
        raise InvalidParameterError(f"{name} must name at least one axis, got ()")
    if len(set(axes)) != len(axes):
        raise InvalidParameterError(f"{name} must name each axis once, got {tuple(value)!r}")
    return axes


@dataclass(frozen=True)
class InputLayout:
    """Where a kernel's spatial axes and the channel axis sit in an array; every other axis is carried through.

    Build it with :meth:`resolve`.  Operators run on the *canonical* layout ``(carried...,
    spatial..., channels)`` (:meth:`moved`) and put results back (:meth:`restored`), on numpy and
    dask arrays alike.

    Attributes
    ----------
    shape : tuple of int
        The array's shape.
    spatial : tuple of int
        Positions of the kernel's spatial axes, in the kernel's order.
    channel : int or None
        Position of the channel axis; None when the array has one channel and no axis for it.

    Examples
    --------
    >>> lay = InputLayout.resolve((5, 100, 2), 1, axes=(1,))      # 5 carried, 100 samples, 2 channels
    >>> lay.carried, lay.spatial_shape, lay.channels
    ((0,), (100,), 2)
    >>> lay.moved(np.zeros((5, 100, 2))).shape
    (5, 100, 2)
    >>> InputLayout.resolve((2, 22050), 1)
    Traceback (most recent call last):
    ...
    signalspace._errors.ShapeError: x of shape (2, 22050) read with its channels last has 22050 channels of \
2 samples along its spatial axes: is the channel axis first (librosa's (c, n))? Pass channel_axis=0, or \
channel_axis=-1 to confirm
    """

    shape: tuple[int, ...]
    spatial: tuple[int, ...]
    channel: int | None

    @classmethod
    def resolve(
        cls,
        shape: Sequence[int],
        ndim: int,
        *,
        channel_axis: Any = AUTO,
        axes: Sequence[int] | None = None,
        channels: int | None = None,
        name: str = "x",
        output: bool = False,
    ) -> InputLayout:
        """The layout of an array of ``shape`` met by a kernel of ``ndim`` spatial axes.

        Parameters
        ----------
        shape : tuple of int
            The array's shape.
        ndim : int
            The kernel's spatial axes.
        channel_axis : int, None or AUTO
            The axis holding channels (scikit-image's ``channel_axis``); None: the array has no
            channel axis.  By default (:data:`AUTO`) the last axis when it is not in ``axes``;
            without ``axes``, the last axis when the array has ``ndim + 1`` axes (refused when it
            looks transposed), none when it has ``ndim``.
        axes : sequence of int, optional
            The axes the kernel runs along, in the kernel's order (scipy.ndimage's ``axes``); the
            axes that are neither spatial nor the channel axis are carried through.  Needed when the
            array has more than ``ndim + 1`` axes.
        channels : int, optional
            The channels the kernel takes (``c_in`` of a channel-mixing kernel, ``c_out`` for an
            output array); None for depthwise.
        name : str
            The array's name in messages.
        output : bool
            True for an output array (an adjoint's input): ``channels`` is then ``c_out``.
        """
        shape = tuple(int(n) for n in shape)
        m = len(shape)
        if axes is not None:
            spatial = _axes(axes, m, "axes")
            if len(spatial) != ndim:
                raise ShapeError(
                    f"axes={tuple(axes)!r} names {len(spatial)} axes of {name} but the kernel has {ndim} spatial "
                    f"{'axis' if ndim == 1 else 'axes'}"
                )
            if channel_axis is AUTO:  # channels last, unless the last axis is spatial
                channel = None if m - 1 in spatial else m - 1
            elif channel_axis is None:
                channel = None
            else:
                channel = _axis(channel_axis, m, "channel_axis")
                if channel in spatial:
                    raise InvalidParameterError(
                        f"channel_axis={channel_axis} is also one of the axes to convolve along, axes={tuple(axes)!r}"
                    )
        else:
            if channel_axis is AUTO:
                if m == ndim:
                    channel = None
                elif m == ndim + 1:
                    channel = m - 1
                    if channels is None and looks_transposed(shape[-1], shape[:-1]):
                        raise ShapeError(
                            f"{name} of shape {shape} read with its channels last has {shape[-1]} channels of "
                            f"{' x '.join(map(str, shape[:-1]))} samples along its spatial axes: is the channel axis "
                            f"first (librosa's (c, n))? Pass channel_axis=0, or channel_axis=-1 to confirm"
                        )
                else:
                    raise ShapeError(_too_many_or_few(name, shape, ndim))
            elif channel_axis is None:
                if m != ndim:
                    raise ShapeError(
                        f"{name} of shape {shape} has no channel axis (channel_axis=None), so it must have the "
                        f"kernel's {ndim} spatial axes, got {m}; pass axes= to name the spatial ones"
                    )
                channel = None
            else:
                channel = _axis(channel_axis, m, "channel_axis")
                if m != ndim + 1:
                    raise ShapeError(
                        f"{name} of shape {shape} must have the kernel's {ndim} spatial axes and its channel axis "
                        f"(channel_axis={channel_axis}), got {m} axes; pass axes= to name the spatial ones "
                        "(the others are carried through)"
                    )
            spatial = tuple(a for a in range(m) if a != channel)
        layout = cls(shape, spatial, channel)
        if channels is not None and layout.channels != channels:
            where = "no channel axis" if channel is None else f"{layout.channels} channels on axis {channel}"
            role = "gives c_out" if output else "takes c_in"
            raise ShapeError(
                f"{name} of shape {shape} has {where} but the kernel {role} = {channels} channels; say which axis "
                f"holds them with channel_axis="
            )
        return layout

    @cached_property
    def carried(self) -> tuple[int, ...]:
        """Positions of the axes carried through untouched (neither spatial nor channel), in array order."""
        return tuple(a for a in range(len(self.shape)) if a not in self.spatial and a != self.channel)

    @cached_property
    def batch_shape(self) -> tuple[int, ...]:
        """Sizes of the carried axes."""
        return tuple(self.shape[a] for a in self.carried)

    @cached_property
    def spatial_shape(self) -> tuple[int, ...]:
        """Sizes of the spatial axes, in the kernel's order."""
        return tuple(self.shape[a] for a in self.spatial)

    @property
    def channels(self) -> int:
        """Number of channels (1 without a channel axis)."""
        return 1 if self.channel is None else self.shape[self.channel]

    @cached_property
    def order(self) -> tuple[int, ...]:
        """The array's axes in canonical order: carried, spatial, channel."""
        return (*self.carried, *self.spatial, *(() if self.channel is None else (self.channel,)))

    @property
    def canonical_shape(self) -> tuple[int, ...]:
        """``batch_shape + spatial_shape + (channels,)``."""
        return (*self.batch_shape, *self.spatial_shape, self.channels)

    def with_sizes(self, spatial_shape: Sequence[int], channels: int) -> InputLayout:
        """The layout of a result with new spatial sizes and channel count at the same places.

        Without a channel axis, a result of more than one channel gets one, last.
        """
        shape = list(self.shape)
        for position, n in zip(self.spatial, spatial_shape, strict=True):
            shape[position] = int(n)
        if self.channel is None:
            if channels == 1:
                return InputLayout(tuple(shape), self.spatial, None)
            return InputLayout((*shape, int(channels)), self.spatial, len(shape))
        shape[self.channel] = int(channels)
        return InputLayout(tuple(shape), self.spatial, self.channel)

    def moved(self, array: Any) -> Any:
        """``array`` (of this layout) in canonical order ``(carried..., spatial..., channels)`` (numpy or dask)."""
        order = self.order
        if order != tuple(range(len(order))):
            array = np.moveaxis(array, order, tuple(range(len(order))))
        return array[..., np.newaxis] if self.channel is None else array

    def restored(self, array: Any) -> Any:
        """The inverse of :meth:`moved`: a canonical array put back in this layout."""
        if self.channel is None:
            array = array[..., 0]
        order = self.order
        if order != tuple(range(len(order))):
            array = np.moveaxis(array, tuple(range(len(order))), order)
        return array

    def permutation(self) -> np.ndarray:
        """For each element in canonical order, its index in the raveled array (C order)."""
        index = np.arange(int(np.prod(self.shape, dtype=np.int64)), dtype=np.int64).reshape(self.shape)
        return np.ascontiguousarray(self.moved(index)).reshape(-1)


def _too_many_or_few(name: str, shape: tuple[int, ...], ndim: int) -> str:
    m = len(shape)
    axes = "axis" if ndim == 1 else "axes"
    if m < ndim:
        return f"{name} of shape {shape} has {m} axes, fewer than the kernel's {ndim} spatial {axes}"
    return (
        f"{name} of shape {shape} has {m} axes but the kernel runs along {ndim} {axes} (and a channel axis, the "
        f"last by default): name the axes to convolve along with axes=(...) (the others are carried through "
        f"untouched) and the channel axis with channel_axis=, or pass a Signal"
    )
