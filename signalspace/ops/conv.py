"""Conv: the N-D, multi-channel convolution operator with an exact adjoint.

``Conv`` computes the running scalar product (cross-correlation, as in
deep-learning layers)::

    y[i, o] = sum_k sum_c a[k, c, o] * xp[i * stride + k * dilation, c]

where ``xp`` is the input padded following ``boundary`` (scipy.ndimage's
names).  ``flip=True`` flips the kernel's spatial axes: true convolution.
:func:`convolve` and :func:`correlate` follow :func:`scipy.signal.convolve` and
:func:`scipy.signal.correlate` exactly, in any number of dimensions.

Kernel layout
-------------
``spatial + (c_in, c_out)``, or a bare ``spatial`` kernel applied to every
channel separately (*depthwise*), read once by
:class:`~signalspace.ops.kernel.KernelLayout`.  The number of spatial axes is
``ndim`` if given, else ``len(dims)``, else the length of a per-axis option;
a kernel of 1 or 2 axes is spatial; otherwise it comes from what the kernel
meets: a Signal's axes or a DataArray's dims (a kernel with as many axes is
depthwise, one with two more is ``spatial + (c_in, c_out)``).  On a bare array
a kernel of 3 or more axes needs ``ndim=`` (or ``axes=``): an array does not
say which of its axes are spatial.

Inputs
------
A Signal (or DataArray) is convolved along all its axes, or along the axes
named by ``dims`` (the others are carried through with their coordinates,
like scipy.ndimage's ``axes=``).  An array has its spatial axes, then a
channel axis; ``channel_axis=`` and ``axes=`` (call arguments) say otherwise,
and every other axis is carried through (see
:class:`~signalspace.ops.kernel.InputLayout`).

Attributes used by the Toeplitz builders (:mod:`signalspace.ops.matrices`):
``kernel`` (as given: bare spatial when ``depthwise``), ``kernel_layout``,
``depthwise``, ``ndim``, ``correlation_kernel`` (``kernel`` with the spatial
axes flipped when ``flip``: the ``a`` of the formula above), ``stride``,
``dilation``, ``padding``, ``boundary``, ``cval``, ``flip``,
:meth:`Conv.meet` and :meth:`Conv.geometry`.

Padding, boundary, stride and dilation are those of
:class:`~signalspace.ops.geometry.ConvGeometry` (``padding="same"`` with an even
kernel puts the extra sample after the input, as PyTorch and TensorFlow do).

``cval``: with a non-zero constant (finite; a complex ``cval`` makes the
computation complex) the map is affine, ``conv(x) = A x + conv.offset(shape)``
where ``A`` is the linear part (the same Conv with ``cval = 0``) and
``conv.offset(shape) = conv(0)`` the response of the kernel to the padding
constant: non-zero only at outputs whose window touches a "constant" pad.  It
is added exactly there, so samples away from the border are those of ``A x``.
The adjoint, :meth:`Conv.operator`, :meth:`Conv.to_matrix` and the Toeplitz
builders are those of the linear part ``A``.
"""

from __future__ import annotations

import cmath
import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _hooks
from .._docstrings import docfiller
from .._errors import InvalidParameterError, InvalidTypeError, ShapeError, UnknownNameError
from .._validation import as_shape, check_budget, describe, nbytes, one_of, per_axis, positive_int, unmasked
from .._xarray import convolved_axis, is_dataarray
from ..domain import CHANNEL_DIM, Axis, Channels, Domain
from ..signal import Signal, is_lazy
from . import engines
from .base import LinearOperator
from .engines.oned import convolve1d
from .geometry import BOUNDARIES, PADDINGS, ConvGeometry
from .kernel import AUTO, InputLayout, KernelLayout, as_dims, as_kernel, compute_dtype
from .kernel_operator import KernelOperator
from .padding import constant_response

__all__ = ["Conv", "ConvOperator", "convolve", "correlate"]

_CACHE_SIZE = 8
_MODES = ("full", "same", "valid")


class _Cache:
    """A small thread-safe FIFO cache: ``get(key, make)`` builds a missing value outside the lock.

    Two threads that miss the same key both build it; the first stored wins and both get it.
    Pickles empty (dask ships Convs to workers).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: dict = {}
        self._lock = threading.Lock()

    def get(self, key: Any, make: Any) -> Any:
        value = self._data.get(key)  # a single dict lookup is atomic; only insertion + eviction take the lock
        if value is None:
            value = make()
            with self._lock:
                value = self._data.setdefault(key, value)
                while len(self._data) > self._size:
                    del self._data[next(iter(self._data))]
        return value

    def __len__(self) -> int:
        return len(self._data)

    def __getstate__(self) -> dict:
        return {"size": self._size}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["size"])


def _array(values: Any, name: str) -> np.ndarray:
    """``values`` as an ndarray, or an error naming ``name`` (ragged lists, masked arrays)."""
    values = unmasked(values, name)
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise InvalidTypeError(f"{name} must be array-like, got {describe(values)}: {exc}") from None


def _replace_axes(domain: Domain, axes: Sequence[Axis]) -> Domain:
    """``domain`` with the axes of the same names replaced by ``axes``."""
    new = {axis.name: axis for axis in axes}
    return domain.with_axes([new.get(axis.name, axis) for axis in domain.axes])


def _sub_domain(domain: Domain, names: Sequence[str]) -> Domain:
    return Domain(tuple(domain[name] for name in names), kind=domain.kind)


@docfiller
class Conv:
    """Stationary, local, weight-shared linear map: N-D multi-channel convolution.

    Parameters
    ----------
    kernel : array_like or xarray.DataArray
        ``spatial + (c_in, c_out)``, or bare ``spatial`` (depthwise: the same
        kernel on every channel).  Integer kernels become float64.  A
        DataArray's dims other than ``"c_in"``/``"c_out"`` name the spatial axes.
    %(stride_dilation)s
    %(padding)s
    %(boundary)s
    cval : float or complex, default 0.0
        The constant of "constant" padding; finite.  A complex ``cval`` (with a
        non-zero imaginary part) makes the output complex even for real data
        and kernel.  With ``cval != 0`` the map is affine: see :meth:`offset`.
    flip : bool, default False
        Flip the kernel's spatial axes (true convolution instead of correlation).
    method : str, default "auto"
        Engine: "auto" (the cheapest by the cost model) or a registered engine's
        name: "direct", "im2col", "fft", "numpy1d", "ndimage", "oa",
        "separable" (see :mod:`signalspace.ops.engines`).
    dims : sequence of str, optional
        Names of the axes to convolve along, in the kernel's order.  On a Signal
        or an ``xarray.DataArray`` the other axes are carried through untouched
        with their coordinates (scipy.ndimage's ``axes=``, by name); stride,
        dilation and padding apply to the named axes.  The coordinates along
        these axes must be numeric and regularly spaced (as for
        :meth:`Signal.from_xarray`); the output's are those of
        :meth:`ConvGeometry.output_domain`.  Irregular coordinates raise
        InvalidParameterError; datetime, timedelta and string coordinates raise
        InvalidTypeError (convert them to numbers first).
    channel_names : sequence of str, optional
        Names of the ``c_out`` output channels (default ``c0, c1, ...``).
    ndim : int, optional
        Number of spatial axes.  Needed only for a kernel of 3 or more axes
        applied to bare arrays without ``axes=`` (on a Signal or a DataArray
        their axes decide; see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> conv = ss.Conv(np.array([1.0, 0.0, -1.0]))
    >>> conv(np.arange(6.0) ** 2)
    array([ -4.,  -8., -12., -16.])
    >>> conv.adjoint(np.ones(4))
    array([ 1.,  1.,  0.,  0., -1., -1.])

    An image with 3 channels mapped to 2, stride 2, "same" padding:

    >>> k = np.ones((3, 3, 3, 2))
    >>> d = ss.Domain.from_shape((8, 8), names=("row", "col"))
    >>> x = ss.Signal(np.ones((8, 8, 3)), d)
    >>> y = ss.Conv(k, stride=2, padding="same", boundary="nearest")(x)
    >>> y.shape, float(y.values[0, 0, 0]), y.domain["row"].step
    ((4, 4, 2), 27.0, 2.0)

    A bare 3 x 3 x 3 kernel on a volume is depthwise (the Signal has 3 axes);
    along named axes only, the others are carried through:

    >>> volume = ss.Signal(np.ones((6, 6, 6)), ss.Domain.from_shape((6, 6, 6)))
    >>> ss.Conv(np.ones((3, 3, 3)))(volume).shape
    (4, 4, 4, 1)
    >>> ss.Conv(np.ones(3), dims=("x2",))(volume).domain
    Domain(generic: x0=6, x1=6, x2=4)

    Arrays in librosa's ``(c, n)`` layout, or with axes to carry through:

    >>> stereo = np.ones((2, 100))
    >>> ss.Conv(np.ones(3), padding="same")(stereo, channel_axis=0).shape
    (2, 100)
    >>> ss.Conv(np.ones(3))(np.ones((5, 100, 2)), axes=(1,)).shape
    (5, 98, 2)
    """

    def __init__(
        self,
        kernel: Any,
        stride: int | Sequence[int] = 1,
        dilation: int | Sequence[int] = 1,
        padding: Any = "valid",
        boundary: str | Sequence[str] = "constant",
        cval: float = 0.0,
        flip: bool = False,
        method: str = "auto",
        dims: Sequence[str] | None = None,
        channel_names: Sequence[str] | None = None,
        ndim: int | None = None,
    ) -> None:
        if is_dataarray(kernel):
            if dims is None and ndim is None:
                dims = tuple(str(d) for d in kernel.dims if d not in ("c_in", "c_out"))
            kernel = kernel.values
        if isinstance(kernel, Signal):
            raise InvalidTypeError("kernel must be an array, got a Signal; pass signal.values")
        self.kernel = as_kernel(kernel)
        self.dims = as_dims(dims)
        per_axis_options = {"stride": stride, "dilation": dilation, "padding": padding, "boundary": boundary}
        #: How the kernel's axes are read (None: from what the kernel meets, see the module docstring).
        self.kernel_layout: KernelLayout | None = KernelLayout.parse(
            self.kernel.shape, ndim=ndim, dims=self.dims, per_axis=per_axis_options
        )
        if not isinstance(cval, (int, float, complex, np.number)) or isinstance(cval, bool):
            raise InvalidTypeError(f"cval must be a number, got {describe(cval)}")
        cval = cval.item() if isinstance(cval, np.number) else cval
        if not cmath.isfinite(cval):
            raise InvalidParameterError(f"cval must be finite (it is the value of the padding), got {cval!r}")
        if isinstance(cval, complex) and cval.imag == 0:
            cval = cval.real
        self.cval: float | complex = cval
        if not isinstance(flip, (bool, np.bool_)):
            raise InvalidTypeError(f"flip must be True or False, got {describe(flip)}")
        self.flip = bool(flip)
        self.method = one_of(method, "method", engines.methods())
        self.padding = padding
        self._options = {
            "stride": stride, "dilation": dilation, "padding": padding, "boundary": boundary, "cval": cval,
            "flip": flip, "method": method, "channel_names": channel_names,
        }
        self._geometries = _Cache(_CACHE_SIZE)
        self._plans = _Cache(_CACHE_SIZE)
        self._readings = _Cache(2)
        self._layouts = _Cache(_CACHE_SIZE)
        if self.kernel_layout is None:  # the options are scalars (a per-axis one would have said ndim)
            self.stride: Any = positive_int(stride, "stride")
            self.dilation: Any = positive_int(dilation, "dilation")
            self.boundary: Any = one_of(boundary, "boundary", BOUNDARIES)
            ConvGeometry.pads_for(padding, (0,))
            if channel_names is not None and (
                isinstance(channel_names, str) or not isinstance(channel_names, Sequence)
            ):
                raise InvalidTypeError(f"channel_names must be a sequence of str, got {describe(channel_names)}")
            self.channel_names: tuple[str, ...] | None = None if channel_names is None else tuple(channel_names)
            self.correlation_kernel: np.ndarray | None = None
            return
        nd = self.kernel_layout.ndim
        self.stride = per_axis(stride, nd, "stride", positive_int)
        self.dilation = per_axis(dilation, nd, "dilation", positive_int)
        if isinstance(boundary, str) or not isinstance(boundary, Sequence):
            boundary = (boundary,) * nd
        self.boundary = per_axis(tuple(boundary), nd, "boundary", lambda b, n: one_of(b, n, BOUNDARIES))
        # validate padding now (named paddings need no check), on a dummy input large enough for it
        if not (isinstance(padding, str) and padding in PADDINGS):
            ConvGeometry.pads_for(padding, self.reach)
        if channel_names is not None:
            if self.depthwise:
                raise InvalidParameterError("channel_names cannot be given for a depthwise kernel (names are kept)")
            names = tuple(channel_names)
            if len(names) != self.c_out:
                raise ShapeError(f"channel_names must name c_out = {self.c_out} channels, got {len(names)}: {names}")
            self.channel_names = names
        else:
            self.channel_names = None
        corr = self.kernel[tuple(slice(None, None, -1) for _ in range(nd))] if self.flip else self.kernel
        self.correlation_kernel = np.ascontiguousarray(corr)
        self.correlation_kernel.setflags(write=False)

    # ------------------------------------------------------------ properties
    @property
    def ndim(self) -> int | None:
        """Number of spatial axes (None until the kernel meets an input that decides, see the module docstring)."""
        return None if self.kernel_layout is None else self.kernel_layout.ndim

    @property
    def depthwise(self) -> bool | None:
        """True for a bare spatial kernel, False for ``spatial + (c_in, c_out)`` (None: not read yet)."""
        return None if self.kernel_layout is None else self.kernel_layout.depthwise

    @property
    def reach(self) -> tuple[int, ...] | None:
        """``dilation * (k - 1)`` per spatial axis."""
        if self.kernel_layout is None:
            return None
        return tuple(d * (k - 1) for d, k in zip(self.dilation, self.spatial_shape, strict=True))

    @property
    def spatial_shape(self) -> tuple[int, ...] | None:
        """Shape of the kernel's spatial axes."""
        return None if self.kernel_layout is None else self.kernel_layout.spatial_shape

    @property
    def c_in(self) -> int | None:
        """Input channels (None for a depthwise kernel: any number)."""
        return None if self.kernel_layout is None else self.kernel_layout.c_in

    @property
    def c_out(self) -> int | None:
        """Output channels (None for a depthwise kernel: as many as the input)."""
        return None if self.kernel_layout is None else self.kernel_layout.c_out

    def __repr__(self) -> str:
        if self.kernel_layout is None:
            kind = f"kernel {self.kernel.shape} read from its input ({KernelLayout.readings(self.kernel.shape)})"
        else:
            kind = f"{self.ndim}-D kernel {self.spatial_shape} " + (
                "depthwise" if self.depthwise else f"{self.c_in}->{self.c_out} channels"
            )
            if self.dims is not None:
                kind += f" along {self.dims}"
        return (
            f"<Conv {kind}, stride {self.stride}, dilation {self.dilation}, padding {self.padding!r}, "
            f"boundary {self.boundary}, method {self.method!r}>"
        )

    # ------------------------------------------------------------ how the kernel meets its input
    def resolved(self, ndim: int) -> Conv:
        """This convolution with its kernel read as ``ndim`` spatial axes (itself when already read).

        A Conv whose kernel layout waits for its input (a kernel of 3 or more
        axes, nothing said) gives a Conv with ``ndim`` set, cached.

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> conv = ss.Conv(np.ones((3, 3, 3)), padding="same")
        >>> conv.ndim is None, conv.resolved(3).depthwise, conv.resolved(1).c_out
        (True, True, 3)
        """
        ndim = positive_int(ndim, "ndim")
        if self.kernel_layout is not None:
            if ndim != self.ndim:
                raise ShapeError(
                    f"the kernel ({self.kernel_layout.describe()}, shape {self.kernel.shape}) has {self.ndim} spatial "
                    f"{'axis' if self.ndim == 1 else 'axes'}, not {ndim}"
                )
            return self
        return self._readings.get(ndim, lambda: Conv(self.kernel, dims=self.dims, ndim=ndim, **self._options))

    def meet(
        self, input_shape: Sequence[int], *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None,
        output: bool = False, name: str = "x",
    ) -> tuple[Conv, InputLayout]:
        """The Conv with its kernel read, and where its axes sit in an array of ``input_shape``.

        ``channel_axis`` and ``axes`` are those of :meth:`forward`; ``output=True``
        reads an output array (as :meth:`adjoint` does: its channels are ``c_out``).

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> conv, layout = ss.Conv(np.ones((3, 3, 3))).meet((10, 8, 8, 8), axes=(1, 2, 3))
        >>> conv.depthwise, layout.carried, layout.spatial_shape
        (True, (0,), (8, 8, 8))
        """
        return self._meet(as_shape(input_shape, "input_shape" if name == "x" else name), channel_axis, axes, output,
                          name)

    def _meet(
        self, shape: tuple[int, ...], channel_axis: Any, axes: Any, output: bool, name: str
    ) -> tuple[Conv, InputLayout]:
        """:meth:`meet` on a shape known to be valid (an array's), cached per layout."""
        try:
            key = (shape, channel_axis, None if axes is None else tuple(axes), output, name)
            hash(key)
        except TypeError:  # unhashable axes: the checks below say what is wrong
            return self._read_layout(shape, channel_axis, axes, output, name)
        return self._layouts.get(key, lambda: self._read_layout(shape, channel_axis, axes, output, name))

    def _read_layout(
        self, shape: tuple[int, ...], channel_axis: Any, axes: Any, output: bool, name: str
    ) -> tuple[Conv, InputLayout]:
        if axes is not None:
            if isinstance(axes, (str, bytes)) or not isinstance(axes, Sequence | np.ndarray):
                raise InvalidTypeError(f"axes must be a sequence of integer axes, got {describe(axes)}")
            conv = self if self.kernel_layout is not None else self._reading(len(axes), f"(axes={tuple(axes)!r})")
        elif self.kernel_layout is None:
            raise ShapeError(
                f"the kernel of shape {self.kernel.shape} reads as {KernelLayout.readings(self.kernel.shape)}, and "
                f"{name}, a bare array of shape {shape}, does not say which: pass ndim= to Conv (the number of "
                f"spatial axes), or axes= to name the axes of {name} to convolve along, or give a Signal (its axes "
                "decide)"
            )
        else:
            conv = self
        layout = conv.kernel_layout
        channels = None if layout.depthwise else (layout.c_out if output else layout.c_in)
        return conv, InputLayout.resolve(
            shape, layout.ndim, channel_axis=channel_axis, axes=axes, channels=channels, name=name, output=output
        )

    def _reading(self, ndim: int, source: str) -> Conv:
        """``resolved(ndim)`` of a Conv whose kernel waits for its input; the error says where ``ndim`` came from."""
        KernelLayout.read(self.kernel.shape, ndim, against=source)
        return self.resolved(ndim)

    def _on_axes(self, names: Sequence[str], what: str) -> tuple[Conv, tuple[str, ...]]:
        """The Conv read against a labelled input with axes ``names`` and the names of the axes it convolves along."""
        names = tuple(names)
        if self.dims is not None:
            missing = [d for d in self.dims if d not in names]
            if missing:
                raise UnknownNameError(
                    f"{what} has no axes {missing} to convolve along (dims={self.dims}); its axes are {list(names)}"
                )
            return self, self.dims
        n = len(names)
        if self.kernel_layout is None:
            try:
                return self._reading(n, f"(the {n} axes {names} of {what})"), names
            except ShapeError as error:
                raise ShapeError(f"{error}; name the axes to convolve along with dims=") from None
        if self.ndim != n:
            raise ShapeError(
                f"{what} has {n} axes {names} but the kernel ({self.kernel_layout.describe()}, shape "
                f"{self.kernel.shape}) has {self.ndim} spatial {'axis' if self.ndim == 1 else 'axes'}: name the "
                f"axes to convolve along with dims=(...)"
            )
        return self, names

    def _shape_arguments(
        self, input_shape: Any, channel_axis: Any, axes: Any, name: str = "input_shape"
    ) -> tuple[Conv, InputLayout]:
        """``meet`` for a shape, or for the values of a Signal given in its place (its axes named)."""
        if isinstance(input_shape, Signal):
            if channel_axis is not AUTO or axes is not None:
                raise InvalidParameterError("channel_axis and axes are for arrays; a Signal's axes are named (dims=)")
            conv, names = self._on_axes(input_shape.domain.names, "the Signal")
            positions = tuple(input_shape.domain.axis_index(n) for n in names)
            return conv.meet(input_shape.shape, channel_axis=input_shape.ndim, axes=positions)
        return self.meet(as_shape(input_shape, name), channel_axis=channel_axis, axes=axes)

    # ------------------------------------------------------------ geometry and plans
    def geometry(self, input_spatial_shape: Sequence[int]) -> ConvGeometry:
        """The :class:`ConvGeometry` of this convolution on an input of spatial shape ``input_spatial_shape``."""
        key = as_shape(input_spatial_shape, "input_spatial_shape")
        if self.kernel_layout is None:
            return self._reading(len(key), f"(input_spatial_shape={key})").geometry(key)
        if len(key) != self.ndim:
            raise ShapeError(f"input_spatial_shape must have {self.ndim} axes (the kernel's spatial axes), got {key}")
        return self._geometries.get(key, lambda: ConvGeometry.create(
            key, self.spatial_shape, stride=self.stride, dilation=self.dilation, padding=self.padding,
            boundary=self.boundary, cval=self.cval,
        ))

    def plan(self, input_spatial_shape: Sequence[int], channels: int, batch: int, dtype: Any) -> engines.Plan:
        """The engine plan (geometry, kernel in the compute dtype, caches) for one input layout."""
        if self.kernel_layout is None:
            spatial = as_shape(input_spatial_shape, "input_spatial_shape")
            return self._reading(len(spatial), f"(input_spatial_shape={spatial})").plan(spatial, channels, batch, dtype)
        dtype = self.compute_dtype(dtype)
        key = (tuple(input_spatial_shape), channels, batch, dtype)

        def make() -> engines.Plan:
            geometry = self.geometry(input_spatial_shape)
            kernel = self.correlation_kernel.astype(dtype, copy=False)
            c_in = channels if self.depthwise else self.c_in
            c_out = channels if self.depthwise else self.c_out
            return engines.Plan(geometry, kernel, self.depthwise, c_in, c_out, batch)

        return self._plans.get(key, make)

    def compute_dtype(self, dtype: Any) -> np.dtype:
        """The dtype the convolution computes in (and returns) for data of ``dtype``.

        float32 stays float32; a complex kernel or complex ``cval`` makes it
        complex; integers and bools become float64
        (:func:`~signalspace.ops.kernel.compute_dtype`).
        """
        return compute_dtype(dtype, self.kernel.dtype, isinstance(self.cval, complex))

    def engine(
        self, input_shape: Sequence[int], dtype: Any = np.float64, *, channel_axis: Any = AUTO,
        axes: Sequence[int] | None = None,
    ) -> str:
        """The engine ``method="auto"`` picks for an input array of shape ``input_shape``.

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> ss.Conv(np.ones(3)).engine((100,))
        'numpy1d'
        """
        conv, layout = self._shape_arguments(input_shape, channel_axis, axes)
        plan = conv.plan(layout.spatial_shape, layout.channels, math.prod(layout.batch_shape), dtype)
        return engines.choose(plan) if conv.method == "auto" else conv.method

    @docfiller
    def output_shape(
        self, input_shape: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None
    ) -> tuple[int, ...]:
        """Shape of the output array for an input array of shape ``input_shape`` (or a Signal's values).

        Parameters
        ----------
        input_shape : tuple of int or Signal
        %(channel_axis)s
        %(axes)s

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> ss.Conv(np.ones((3, 2, 4)), ndim=1, stride=2).output_shape((9, 2))
        (4, 4)
        >>> ss.Conv(np.ones(3)).output_shape((2, 100), channel_axis=0)
        (2, 98)
        """
        conv, layout = self._shape_arguments(input_shape, channel_axis, axes)
        out = conv.geometry(layout.spatial_shape).output_shape
        return layout.with_sizes(out, conv.kernel_layout.channels_out(layout.channels)).shape

    def offset(
        self, input_shape: Any, dtype: Any = np.float64, *, channel_axis: Any = AUTO,
        axes: Sequence[int] | None = None,
    ) -> np.ndarray:
        """``conv(0)`` on an input array of shape ``input_shape``: the constant part of an affine Conv.

        ``conv(x) == A x + conv.offset(x.shape)`` where ``A`` (:meth:`operator`,
        :meth:`to_matrix`) is the linear part.  It is ``cval`` times the
        correlation of the kernel with the indicator of the "constant" padding,
        so zero wherever the window reads no padding constant (and everywhere
        when ``cval == 0``).  ``channel_axis`` and ``axes`` are those of :meth:`forward`.

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> conv = ss.Conv(np.ones(3), padding="same", cval=2.0)
        >>> conv.offset((5,))
        array([2., 0., 0., 0., 2.])
        >>> x = np.arange(5.0)
        >>> bool(np.allclose(conv(x), conv.to_matrix((5,)) @ x + conv.offset((5,))))
        True
        """
        conv, layout = self._shape_arguments(input_shape, channel_axis, axes)
        plan = conv.plan(layout.spatial_shape, layout.channels, math.prod(layout.batch_shape), dtype)
        c_out = conv.kernel_layout.channels_out(layout.channels)
        out = plan.geometry.output_shape
        check_budget(2 * nbytes((*layout.batch_shape, *out, c_out), plan.dtype), None,
                     f"Conv.offset of {math.prod(out) * math.prod(layout.batch_shape)} outputs", None,
                     "use a smaller input_shape (offset is conv(0): zero away from constant padding)")
        response = conv._constant_response(plan)
        if response is None:
            y = np.zeros((*out, c_out), dtype=plan.dtype)
        else:
            y = np.broadcast_to(response, (*out, c_out)).astype(plan.dtype)
        y = np.broadcast_to(y, (*layout.batch_shape, *out, c_out))
        return np.ascontiguousarray(layout.with_sizes(out, c_out).restored(y))

    # ------------------------------------------------------------ arrays
    def _forward_array(self, x: Any, channel_axis: Any = AUTO, axes: Sequence[int] | None = None) -> Any:
        lazy = is_lazy(x)
        if not lazy:
            x = _array(x, "x")
        conv, layout = self._meet(tuple(x.shape), channel_axis, axes, False, "x")
        if lazy:  # chunked, with a halo of the kernel's reach: signalspace.parallel.conv_dask
            return _hooks.call("conv_dask", conv, x, channel_axis=layout.channel, axes=layout.spatial)
        return conv._apply(x, layout)

    def _apply(self, x: np.ndarray, layout: InputLayout, linear: bool = False) -> np.ndarray:
        """The forward on an in-memory array of ``layout`` (this Conv's kernel is read)."""
        batch, spatial, c = layout.batch_shape, layout.spatial_shape, layout.channels
        nb = math.prod(batch)
        plan = self.plan(spatial, c, nb, x.dtype)
        xb = layout.moved(x).reshape((nb, *spatial, c)).astype(plan.dtype, copy=False)
        y = engines.forward(xb, plan, self.method)
        response = None if linear else self._constant_response(plan)
        if response is not None:  # the padding constant, added only where windows read it
            y += response
        out = plan.geometry.output_shape
        return layout.with_sizes(out, y.shape[-1]).restored(y.reshape((*batch, *out, y.shape[-1])))

    def _constant_response(self, plan: engines.Plan) -> np.ndarray | None:
        """``conv(0)`` of the padding constant on this plan's layout (None when it is 0), cached on the plan."""
        return plan.cached(("cval", self.cval),
                           lambda: constant_response(plan.geometry, plan.kernel, plan.depthwise, self.cval))

    def _input_spatial(self, out_spatial: tuple[int, ...], input_shape: Sequence[int] | None) -> tuple[int, ...]:
        if input_shape is not None:
            spatial = as_shape(input_shape, "input_shape")
            if len(spatial) != self.ndim:
                raise ShapeError(f"input_shape must give the {self.ndim} spatial sizes of x, got {spatial}")
            return spatial
        reach = self.reach
        pads = ConvGeometry.pads_for(self.padding, reach)
        sizes = []
        for axis, (o, s, r, (pb, pa)) in enumerate(zip(out_spatial, self.stride, reach, pads, strict=True)):
            lo = max(1, (o - 1) * s + r + 1 - pb - pa)
            hi = o * s + r - pb - pa
            if hi < lo:
                raise ShapeError(f"no input gives {o} outputs along axis {axis}; check y's shape")
            if hi != lo:
                raise InvalidParameterError(
                    f"input_shape is needed: an output of {o} samples along axis {axis} (stride {s}) comes from "
                    f"inputs of {lo} to {hi} samples; pass input_shape=(spatial sizes of x)"
                )
            sizes.append(lo)
        return tuple(sizes)

    def _adjoint_array(
        self, y: Any, input_shape: Sequence[int] | None = None, channel_axis: Any = AUTO,
        axes: Sequence[int] | None = None,
    ) -> Any:
        lazy = is_lazy(y)
        if not lazy:
            y = _array(y, "y")
        conv, layout = self._meet(tuple(y.shape), channel_axis, axes, True, "y")
        if lazy:  # signalspace.parallel.conv_adjoint_dask
            return _hooks.call("conv_adjoint_dask", conv, y, input_shape, channel_axis=layout.channel,
                               axes=layout.spatial)
        return conv._apply_adjoint(y, layout, input_shape)

    def _apply_adjoint(self, y: np.ndarray, layout: InputLayout, input_shape: Sequence[int] | None) -> np.ndarray:
        """The adjoint on an in-memory output array of ``layout`` (this Conv's kernel is read)."""
        batch, out_spatial, c = layout.batch_shape, layout.spatial_shape, layout.channels
        spatial = self._input_spatial(out_spatial, input_shape)
        c_in = c if self.depthwise else self.c_in
        nb = math.prod(batch)
        plan = self.plan(spatial, c_in, nb, y.dtype)
        if plan.geometry.output_shape != out_spatial:
            raise ShapeError(
                f"y has output spatial shape {out_spatial} but an input of {spatial} gives "
                f"{plan.geometry.output_shape}"
            )
        yb = layout.moved(y).reshape((nb, *out_spatial, c)).astype(plan.dtype, copy=False)
        x = engines.adjoint(yb, plan, self.method)
        return layout.with_sizes(spatial, c_in).restored(x.reshape((*batch, *spatial, c_in)))

    # ------------------------------------------------------------ public
    def __call__(self, x: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None) -> Any:
        """Apply the convolution to a Signal, an ndarray or an xarray.DataArray (see :meth:`forward`)."""
        return self.forward(x, channel_axis=channel_axis, axes=axes)

    @docfiller
    def forward(self, x: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None) -> Any:
        """``y = conv(x)``; Signal -> Signal, ndarray -> ndarray, DataArray -> DataArray.

        Parameters
        ----------
        x : Signal, array_like, dask array or xarray.DataArray
            A Signal or a DataArray is convolved along its axes (all of them, or
            those named by ``dims``); an array along its spatial axes (see
            ``channel_axis`` and ``axes``).
        %(channel_axis)s
        %(axes)s

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> y = np.stack([np.arange(6.0), np.ones(6)])          # librosa's (c, n)
        >>> ss.Conv([1.0, 1.0])(y, channel_axis=0)
        array([[1., 3., 5., 7., 9.],
               [2., 2., 2., 2., 2.]])
        """
        if isinstance(x, Signal) or is_dataarray(x):
            if channel_axis is not AUTO or axes is not None:
                raise InvalidParameterError(
                    "channel_axis and axes are for arrays; a Signal or a DataArray names its axes: "
                    "Conv(kernel, dims=(...)) convolves along some of them"
                )
            return self._forward_signal(x) if isinstance(x, Signal) else self._forward_xarray(x)
        if not (isinstance(x, np.ndarray) or hasattr(x, "__array__") or isinstance(x, (list, tuple))):
            raise InvalidTypeError(f"x must be a Signal, an ndarray or an xarray.DataArray, got {describe(x)}")
        return self._forward_array(x, channel_axis, axes)

    def adjoint(
        self, y: Any, input_shape: Sequence[int] | None = None, *, domain: Domain | None = None,
        channel_axis: Any = AUTO, axes: Sequence[int] | None = None,
    ) -> Any:
        """``x = convᴴ(y)``: the exact adjoint (transposed correlation with the conjugate kernel).

        Parameters
        ----------
        y : ndarray or Signal
            Shaped like an output of :meth:`forward`.
        input_shape : sequence of int, optional
            Spatial sizes of the model x, in the kernel's order; needed only when a
            stride makes them ambiguous.
        domain : Domain, optional
            For a Signal ``y``: the Domain of the result (default:
            :meth:`ConvGeometry.input_domain` of ``y``'s domain along the
            convolved axes).
        channel_axis, axes : optional
            For an array ``y``: as in :meth:`forward`, the layout of ``y`` (and of
            the result).

        Returns
        -------
        ndarray or Signal
            Shaped like an input of :meth:`forward`.  With ``cval != 0`` this is
            the adjoint of the linear part (see :meth:`offset`).

        Examples
        --------
        The dot test ``<conv(x), y> == <x, conv.adjoint(y)>``:

        >>> import numpy as np
        >>> import signalspace as ss
        >>> conv = ss.Conv(np.array([1.0, 2.0, 3.0]), padding="same", boundary="reflect")
        >>> rng = np.random.default_rng(0)
        >>> x, y = rng.standard_normal(8), rng.standard_normal(8)
        >>> bool(np.isclose(np.dot(conv(x), y), np.dot(x, conv.adjoint(y))))
        True

        A stride makes the input length ambiguous; ``input_shape`` resolves it.
        On a Signal the result lives on the input grid again:

        >>> d = ss.Domain([ss.Axis("time", 10, step=0.5)])
        >>> strided = ss.Conv(np.ones(3), stride=2, padding="same")
        >>> back = strided.adjoint(strided(ss.Signal(np.ones((10, 1)), d)), input_shape=(10,))
        >>> back.domain == d, back.shape
        (True, (10, 1))
        """
        if domain is not None and not isinstance(domain, Domain):
            raise InvalidTypeError(f"domain must be a signalspace.Domain or None, got {describe(domain)}")
        if not isinstance(y, Signal):
            return self._adjoint_array(y, input_shape, channel_axis, axes)
        if channel_axis is not AUTO or axes is not None:
            raise InvalidParameterError("channel_axis and axes are for arrays; a Signal's axes are named (dims=)")
        conv, names = self._on_axes(y.domain.names, "y")
        positions = tuple(y.domain.axis_index(n) for n in names)
        if domain is not None and input_shape is None:
            input_shape = tuple(domain[n].size for n in names)
        values = conv._adjoint_array(y.values, input_shape, y.ndim, positions)
        if domain is None:
            spatial = tuple(values.shape[p] for p in positions)
            sub = conv.geometry(spatial).input_domain(_sub_domain(y.domain, names))
            domain = _replace_axes(y.domain, sub.axes)
        channels = y.channels if conv.depthwise else Channels.generic(values.shape[-1])
        return y.replace(values=values, domain=domain, channels=channels)

    @property
    def H(self) -> ConvAdjoint:
        """The adjoint as a callable: ``conv.H(y) == conv.adjoint(y)``."""
        return ConvAdjoint(self)

    def operator(
        self, input_shape: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None
    ) -> ConvOperator:
        """This convolution as a :class:`~signalspace.ops.base.LinearOperator` on arrays of ``input_shape``.

        ``input_shape`` may be a Signal (the operator acts on arrays shaped like
        its values); ``channel_axis`` and ``axes`` are those of :meth:`forward`.
        With ``cval != 0`` it is the linear part (see :meth:`offset`).
        """
        return ConvOperator(self, input_shape, channel_axis=channel_axis, axes=axes)

    def kernel_operator(
        self, x: Any, method: str | None = None, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None
    ) -> KernelOperator:
        """The other side of the bilinear map: ``a -> Conv(a, same options)(x)`` for fixed data ``x``.

        A :class:`~signalspace.ops.kernel_operator.KernelOperator` (a
        :class:`~signalspace.ops.base.LinearOperator`): its model is a kernel
        shaped like this Conv's, its adjoint the kernel gradient (the correlation
        of the padded input with an output-side vector), its ``to_matrix`` the
        data's (block-)Toeplitz matrix.  The padding is data, so a non-zero
        ``cval`` is part of the (still linear) map.  ``x`` is an array or a
        Signal, read as :meth:`forward` reads it (``channel_axis``, ``axes``);
        ``method`` defaults to this Conv's.

        Examples
        --------
        Learning a kernel: the data and the output determine it.

        >>> import numpy as np
        >>> import signalspace as ss
        >>> rng = np.random.default_rng(0)
        >>> x, a = rng.standard_normal((32, 32, 3)), rng.standard_normal((3, 3, 3, 2))
        >>> conv = ss.Conv(a, padding="same", boundary="reflect", ndim=2)
        >>> X = conv.kernel_operator(x)
        >>> bool(np.allclose(X @ a, conv(x)))
        True
        >>> fit = ss.ops.lstsq(X, conv(x), tol=1e-12)
        >>> bool(np.allclose(fit.x, a))
        True
        """
        return KernelOperator(self, x, method, channel_axis=channel_axis, axes=axes)

    def as_linear_operator(
        self, input_shape: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None
    ) -> Any:
        """A :class:`scipy.sparse.linalg.LinearOperator` on raveled arrays of ``input_shape`` (matvec, rmatvec).

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> A = ss.Conv(np.ones((2, 2))).as_linear_operator((3, 3))
        >>> A.shape
        (4, 9)
        >>> A.matvec(np.ones(9))
        array([4., 4., 4., 4.])
        """
        return self.operator(input_shape, channel_axis=channel_axis, axes=axes).to_scipy()

    def to_matrix(
        self, input_shape: Any, format: str = "csr", *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None,
        max_bytes: int | None = None,
    ) -> Any:
        """The (block-)Toeplitz matrix of this convolution (see :func:`signalspace.ops.matrices.conv_matrix`).

        ``input_shape`` is the shape of the input array (or a Signal: the
        matrix acts on its raveled values); ``channel_axis`` and ``axes`` are
        those of :meth:`forward`.  Along axes carried through (not convolved)
        the matrix is the Kronecker product of the convolution's matrix with
        identities.  With ``cval != 0`` it is the matrix of the linear part:
        ``conv(x).ravel() == M @ x.ravel() + conv.offset(x.shape).ravel()``.  A
        matrix (any format) that needs more than ``max_bytes`` (default: the
        memory budget, :func:`signalspace.memory_budget`) is refused before it
        is built.

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> x = ss.Signal(np.ones((4, 3)), ss.Domain.from_shape((4, 3), names=("time", "freq")))
        >>> M = ss.Conv(np.ones(2), dims=("time",)).to_matrix(x)       # 3 x 3 blocks, identity on freq
        >>> M.shape, M.nnz
        ((9, 12), 18)
        """
        conv, layout = self._shape_arguments(input_shape, channel_axis, axes)
        from .matrices import conv_matrix  # scipy.sparse loads with the builders, not with Conv

        return conv_matrix(conv, layout.shape, format=format, channel_axis=layout.channel, axes=layout.spatial,
                           max_bytes=max_bytes)

    # ------------------------------------------------------------ Signal / xarray
    def _output_channels(self, channels: Channels) -> Channels:
        if self.depthwise:
            return channels
        if self.channel_names is not None:
            return Channels(self.channel_names)
        return Channels.generic(self.c_out)

    def _forward_signal(self, x: Signal) -> Signal:
        conv, names = self._on_axes(x.domain.names, "x")
        positions = tuple(x.domain.axis_index(n) for n in names)
        values = conv._forward_array(x.values, x.ndim, positions)
        sub = _sub_domain(x.domain, names)
        out = conv.geometry(sub.shape).output_domain(sub)
        return x.replace(values=values, domain=_replace_axes(x.domain, out.axes),
                         channels=conv._output_channels(x.channels))

    def _forward_xarray(self, da: Any) -> Any:
        import xarray as xr

        space = tuple(str(d) for d in da.dims if d != CHANNEL_DIM)
        conv, names = self._on_axes(space, "x")
        dims = tuple(str(d) for d in da.dims)
        positions = tuple(dims.index(n) for n in names)
        channel = dims.index(CHANNEL_DIM) if CHANNEL_DIM in dims else None
        # the convolved dims' coordinates -> Axes (regular, numeric: as Signal.from_xarray) -> output_domain
        sub = Domain(tuple(convolved_axis(da, n) for n in names))
        out_domain = conv.geometry(sub.shape).output_domain(sub)
        values = conv._forward_array(da.data, channel, positions)
        out_dims = dims if values.ndim == da.ndim else (*dims, CHANNEL_DIM)
        coords: dict[str, Any] = {}
        for key, coord in da.coords.items():
            if key in names or any(d in names for d in coord.dims):
                continue  # along a convolved dim: its samples moved (the dim's own coordinate is set below)
            if CHANNEL_DIM in coord.dims and not conv.depthwise:
                continue
            coords[key] = coord
        for n, axis in zip(names, out_domain.axes, strict=True):
            if n not in da.coords:
                continue
            attrs = dict(da.coords[n].attrs)
            if "step" in attrs:
                attrs["step"] = axis.step
            if "origin" in attrs:
                attrs["origin"] = axis.origin
            coords[n] = (n, axis.coords, attrs)
        if not conv.depthwise and CHANNEL_DIM in out_dims:
            coords[CHANNEL_DIM] = (CHANNEL_DIM, list(conv._output_channels(Channels.generic(1)).names))
        return xr.DataArray(values, dims=out_dims, coords=coords, attrs=dict(da.attrs), name=da.name)


class ConvAdjoint:
    """``conv.H``: calling it applies the adjoint; ``.H`` gives the convolution back."""

    def __init__(self, conv: Conv) -> None:
        self.conv = conv

    def __call__(self, y: Any, input_shape: Sequence[int] | None = None, **kwargs: Any) -> Any:
        return self.conv.adjoint(y, input_shape, **kwargs)

    def adjoint(self, x: Any, **kwargs: Any) -> Any:
        """The forward convolution (adjoint of the adjoint)."""
        return self.conv.forward(x, **kwargs)

    @property
    def H(self) -> Conv:
        return self.conv


class ConvOperator(LinearOperator):
    """A :class:`Conv` bound to one input array shape, as a :class:`~signalspace.ops.base.LinearOperator`.

    It is the *linear part* of the convolution: for ``cval != 0`` it computes
    ``conv(x) - conv.offset(shape)`` (the padding constant taken as 0), as
    :meth:`Conv.to_matrix` does, so forward, adjoint and matrix agree.
    ``input_shape`` may be a Signal (arrays shaped like its values);
    ``channel_axis`` and ``axes`` are those of :meth:`Conv.forward`.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> op = ss.Conv(np.ones((3, 2, 4)), ndim=1).operator((10, 2))
    >>> op.model_shape, op.data_shape
    ((10, 2), (8, 4))
    >>> ss.Conv(np.ones(3)).operator((4, 10), axes=(1,), channel_axis=None).data_shape
    (4, 8)
    """

    def __init__(
        self, conv: Conv, input_shape: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None
    ) -> None:
        conv, layout = conv._shape_arguments(input_shape, channel_axis, axes)
        out = conv.geometry(layout.spatial_shape).output_shape
        self._data_layout = layout.with_sizes(out, conv.kernel_layout.channels_out(layout.channels))
        super().__init__(layout.shape, self._data_layout.shape, np.result_type(conv.kernel.dtype, np.float64))
        self.conv = conv
        self.layout = layout

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.conv._apply(x, self.layout, linear=True)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        x = self.conv._apply_adjoint(y, self._data_layout, self.layout.spatial_shape)
        return x.reshape(self.model_shape)


# ---------------------------------------------------------------- scipy.signal-style functions
def _signal_inputs(x: Any, h: Any, mode: str, channel_axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    one_of(mode, "mode", _MODES)
    x, h = np.asarray(x), np.asarray(h)
    for name, a in (("x", x), ("h", h)):
        if a.dtype.kind not in "biufc":
            raise InvalidTypeError(f"{name} must be numeric, got {describe(a)}")
        if a.ndim == 0 or a.size == 0:
            raise ShapeError(f"{name} must have at least one axis and one sample, got shape {a.shape}")
    if channel_axis is None and x.ndim != h.ndim:
        raise ShapeError(
            f"x and h must have the same number of axes, got x {x.shape} and h {h.shape}; if x has a channel "
            "axis, say which with channel_axis="
        )
    if channel_axis is not None and x.ndim != h.ndim + 1:
        raise ShapeError(
            f"with channel_axis={channel_axis}, x must have one axis more than h (its channels), got x {x.shape} "
            f"and h {h.shape}"
        )
    dtype = compute_dtype(np.result_type(x.dtype, h.dtype), h.dtype)  # symmetric: the data dtype is the common one
    return x.astype(dtype, copy=False), h.astype(dtype, copy=False)


def _convolve1d(x: np.ndarray, h: np.ndarray, mode: str) -> np.ndarray | None:
    """Fast path of :func:`convolve` for two 1-D arrays of one float dtype (None: take the general path)."""
    dtype = x.dtype
    if h.dtype is not dtype or dtype.char not in "fdFD" or mode not in _MODES or not (x.shape[0] and h.shape[0]):
        return None
    k = h.shape[0]
    if not (all(map(cmath.isfinite, h.tolist())) if k <= 64 else np.isfinite(h).all()):
        raise InvalidParameterError("kernel must be finite, but it contains NaN or infinity")
    if k <= 8 and (mode != "same" or x.shape[0] >= 8):
        return np.convolve(x, h, mode)  # what oned.plan1d picks for any n at k <= 8, minus its lookup
    return convolve1d(x, h, mode)


def convolve(
    x: Any, h: Any, mode: str = "full", method: str = "auto", *, channel_axis: int | None = None
) -> np.ndarray:
    """N-D convolution with :func:`scipy.signal.convolve`'s semantics (modes full/same/valid).

    Integer inputs give float64 (scipy keeps integers); otherwise the dtype is
    ``np.result_type(x, h)``.

    Parameters
    ----------
    x, h : array_like
        The data and the kernel, with the same number of axes (``x`` one more
        with ``channel_axis``).
    mode : {"full", "same", "valid"}
    method : str
        ``"auto"`` or an engine's name (see :class:`Conv`).
    channel_axis : int, optional
        The axis of ``x`` that holds channels (scikit-image's name; ``0`` for
        librosa's ``(c, n)``): each channel is convolved with ``h``, and the
        result keeps the axis.  By default every axis is convolved.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> ss.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> ss.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="same")
    array([1. , 2.5, 4. ])
    >>> ss.convolve([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], [1.0, 1.0], channel_axis=0)   # stereo, (c, n)
    array([[1., 3., 5., 3.],
           [1., 2., 2., 1.]])
    """
    if (type(x) is np.ndarray and type(h) is np.ndarray and x.ndim == 1 == h.ndim and method == "auto"
            and channel_axis is None):
        y = _convolve1d(x, h, mode)
        if y is not None:
            return y
    x, h = _signal_inputs(x, h, mode, channel_axis)
    if channel_axis is not None:
        channel = InputLayout.resolve(x.shape, h.ndim, channel_axis=channel_axis, name="x").channel
        spatial = tuple(n for i, n in enumerate(x.shape) if i != channel)
    else:
        spatial = x.shape
    if mode == "valid":
        if channel_axis is None and all(a >= b for a, b in zip(h.shape, x.shape, strict=True)) and h.shape != x.shape:
            x, h = h, x
            spatial = x.shape
        elif not all(a >= b for a, b in zip(spatial, h.shape, strict=True)):
            raise ShapeError(
                f"mode='valid' needs one input at least as large as the other on every axis, "
                f"got x {x.shape} and h {h.shape}"
            )
    reach = [k - 1 for k in h.shape]
    if mode == "full":
        padding: Any = "full"
    elif mode == "same":
        padding = "same" if all(r % 2 == 0 for r in reach) else [(r - r // 2, r // 2) for r in reach]
    else:
        padding = "valid"
    conv = Conv(h, padding=padding, flip=True, method=method, ndim=h.ndim)
    return conv(x, channel_axis=None if channel_axis is None else channel_axis)


def correlate(
    x: Any, h: Any, mode: str = "full", method: str = "auto", *, channel_axis: int | None = None
) -> np.ndarray:
    """N-D cross-correlation with :func:`scipy.signal.correlate`'s semantics (conjugates ``h``).

    ``channel_axis`` is that of :func:`convolve`.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> ss.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="valid")
    array([3.5])
    """
    x, h = _signal_inputs(x, h, mode, channel_axis)
    h = h[tuple(slice(None, None, -1) for _ in range(h.ndim))].conj()
    return convolve(x, h, mode=mode, method=method, channel_axis=channel_axis)
