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
channel separately (*depthwise*).  The number of spatial axes is ``ndim`` if
given, else ``len(dims)``, else ``kernel.ndim`` for a 1-D or 2-D kernel
(depthwise) and ``kernel.ndim - 2`` for a kernel with 3 or more axes (channel
axes last).  Pass ``ndim=3`` for a depthwise 3-D kernel.

Attributes used by the Toeplitz builders (:mod:`signalspace.ops.matrices`):
``kernel`` (as given, in its dtype: bare spatial when ``depthwise``),
``depthwise``, ``ndim``, ``correlation_kernel`` (``kernel`` with the spatial
axes flipped when ``flip``: the ``a`` of the formula above), ``stride``,
``dilation``, ``padding``, ``boundary``, ``cval``, ``flip`` and
:meth:`Conv.geometry`.

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
from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import as_shape, describe, one_of, per_axis, positive_int
from .._xarray import convolved_axis, is_dataarray
from ..domain import CHANNEL_DIM, Channels, Domain
from ..signal import Signal, is_lazy
from . import engines
from .base import LinearOperator
from .engines.oned import convolve1d
from .geometry import BOUNDARIES, PADDINGS, ConvGeometry
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


def _compute_dtype(x_dtype: np.dtype, kernel_dtype: np.dtype, complex_cval: bool = False) -> np.dtype:
    """float32 stays float32, complex kernels (or cval) make complex data, integers and bools become float64."""
    x_dtype = np.dtype(x_dtype)
    if x_dtype.kind in "biu":
        x_dtype = np.dtype(np.float64)
    elif x_dtype.kind == "f" and x_dtype.itemsize < 4:
        x_dtype = np.dtype(np.float32)
    elif x_dtype.kind not in "fc":
        raise InvalidTypeError(f"x must have a numeric dtype, got {x_dtype}")
    if np.dtype(kernel_dtype).kind == "c" or complex_cval:
        return np.result_type(x_dtype, np.complex64)
    return x_dtype


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
        Names of the spatial axes, to match an ``xarray.DataArray`` input.  The
        input's coordinates along these dims must be numeric and regularly
        spaced (as for :meth:`Signal.from_xarray`); the output's are those of
        :meth:`ConvGeometry.output_domain`.  Irregular coordinates raise
        InvalidParameterError; datetime, timedelta and string coordinates raise
        InvalidTypeError (convert them to numbers first).
    channel_names : sequence of str, optional
        Names of the ``c_out`` output channels (default ``c0, c1, ...``).
    ndim : int, optional
        Number of spatial axes (see the module docstring for the default).

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
            if dims is None:
                dims = tuple(str(d) for d in kernel.dims if d not in ("c_in", "c_out"))
            kernel = kernel.values
        if isinstance(kernel, Signal):
            raise InvalidTypeError("kernel must be an array, got a Signal; pass signal.values")
        try:
            kernel = np.array(kernel, copy=True)
        except Exception:
            raise InvalidTypeError(f"kernel must be array-like, got {describe(kernel)}") from None
        if kernel.dtype.kind not in "biufc":
            raise InvalidTypeError(f"kernel must be numeric, got {describe(kernel)}")
        if kernel.dtype.kind in "biu":
            kernel = kernel.astype(np.float64)
        if kernel.ndim == 0 or kernel.size == 0:
            raise ShapeError(f"kernel must have at least one axis and one tap, got shape {kernel.shape}")
        if not np.all(np.isfinite(kernel)):
            raise InvalidParameterError("kernel must be finite, but it contains NaN or infinity")
        if dims is not None:
            if isinstance(dims, str) or not all(isinstance(d, str) for d in dims):
                raise InvalidTypeError(f"dims must be a sequence of str, got {describe(dims)}")
            dims = tuple(dims)
        if ndim is None:
            if dims is not None:
                ndim = len(dims)
            else:
                ndim = kernel.ndim if kernel.ndim <= 2 else kernel.ndim - 2
        ndim = positive_int(ndim, "ndim")
        if kernel.ndim == ndim:
            depthwise = True
        elif kernel.ndim == ndim + 2:
            depthwise = False
        else:
            raise ShapeError(
                f"kernel must have shape spatial + (c_in, c_out) or bare spatial with {ndim} spatial axes, "
                f"got shape {kernel.shape}"
            )
        if dims is not None and len(dims) != ndim:
            raise ShapeError(f"dims must name the {ndim} spatial axes, got {dims!r}")
        self.kernel = kernel
        self.kernel.setflags(write=False)
        self.ndim = ndim
        self.depthwise = depthwise
        self.dims = dims
        self.stride = per_axis(stride, ndim, "stride", positive_int)
        self.dilation = per_axis(dilation, ndim, "dilation", positive_int)
        if isinstance(boundary, str) or not isinstance(boundary, Sequence):
            boundary = (boundary,) * ndim
        self.boundary = per_axis(tuple(boundary), ndim, "boundary", lambda b, n: one_of(b, n, BOUNDARIES))
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
        # validate padding now (named paddings need no check), on a dummy input large enough for it
        if not (isinstance(padding, str) and padding in PADDINGS):
            ConvGeometry.pads_for(padding, self.reach)
        if channel_names is not None:
            if self.depthwise:
                raise InvalidParameterError("channel_names cannot be given for a depthwise kernel (names are kept)")
            names = tuple(channel_names)
            if len(names) != self.c_out:
                raise ShapeError(f"channel_names must name c_out = {self.c_out} channels, got {len(names)}: {names}")
            self.channel_names: tuple[str, ...] | None = names
        else:
            self.channel_names = None
        corr = kernel[tuple(slice(None, None, -1) for _ in range(ndim))] if self.flip else kernel
        self.correlation_kernel = np.ascontiguousarray(corr)
        self.correlation_kernel.setflags(write=False)
        self._geometries = _Cache(_CACHE_SIZE)
        self._plans = _Cache(_CACHE_SIZE)

    @property
    def reach(self) -> tuple[int, ...]:
        """``dilation * (k - 1)`` per spatial axis."""
        return tuple(d * (k - 1) for d, k in zip(self.dilation, self.spatial_shape, strict=True))

    # ------------------------------------------------------------ properties
    @property
    def spatial_shape(self) -> tuple[int, ...]:
        """Shape of the kernel's spatial axes."""
        return tuple(self.kernel.shape[: self.ndim])

    @property
    def c_in(self) -> int | None:
        """Input channels (None for a depthwise kernel: any number)."""
        return None if self.depthwise else int(self.kernel.shape[-2])

    @property
    def c_out(self) -> int | None:
        """Output channels (None for a depthwise kernel: as many as the input)."""
        return None if self.depthwise else int(self.kernel.shape[-1])

    def __repr__(self) -> str:
        kind = "depthwise" if self.depthwise else f"{self.c_in}->{self.c_out} channels"
        return (
            f"<Conv {self.ndim}-D kernel {self.spatial_shape} {kind}, stride {self.stride}, "
            f"dilation {self.dilation}, padding {self.padding!r}, boundary {self.boundary}, method {self.method!r}>"
        )

    def geometry(self, input_spatial_shape: Sequence[int]) -> ConvGeometry:
        """The :class:`ConvGeometry` of this convolution on an input of spatial shape ``input_spatial_shape``."""
        key = as_shape(input_spatial_shape, "input_spatial_shape")
        if len(key) != self.ndim:
            raise ShapeError(f"input_spatial_shape must have {self.ndim} axes (the kernel's spatial axes), got {key}")
        return self._geometries.get(key, lambda: ConvGeometry.create(
            key, self.spatial_shape, stride=self.stride, dilation=self.dilation, padding=self.padding,
            boundary=self.boundary, cval=self.cval,
        ))

    def plan(self, input_spatial_shape: Sequence[int], channels: int, batch: int, dtype: Any) -> engines.Plan:
        """The engine plan (geometry, kernel in the compute dtype, caches) for one input layout."""
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
        complex; integers and bools become float64.
        """
        return _compute_dtype(dtype, self.kernel.dtype, isinstance(self.cval, complex))

    def engine(self, input_shape: Sequence[int], dtype: Any = np.float64) -> str:
        """The engine ``method="auto"`` picks for an input array of shape ``input_shape``.

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> ss.Conv(np.ones(3)).engine((100,))
        'numpy1d'
        """
        batch, spatial, c, _ = self._layout(as_shape(input_shape, "input_shape"), "input_shape")
        plan = self.plan(spatial, c, math.prod(batch), dtype)
        return engines.choose(plan) if self.method == "auto" else self.method

    # ------------------------------------------------------------ layout
    def _layout(self, shape: tuple[int, ...], name: str) -> tuple[tuple[int, ...], tuple[int, ...], int, bool]:
        nd = self.ndim
        if len(shape) == nd:
            batch, spatial, c, channel_axis = (), shape, 1, False
        elif len(shape) > nd:
            batch, spatial, c, channel_axis = shape[: -nd - 1], shape[-nd - 1 : -1], shape[-1], True
        else:
            raise ShapeError(
                f"{name} must have shape batch... + spatial ({nd} axes) + (channels,), got {len(shape)} axes {shape}"
            )
        if not self.depthwise and c != self.c_in:
            raise ShapeError(
                f"{name} has {c} channels (last axis of shape {shape}) but the kernel expects c_in = {self.c_in} "
                f"(kernel shape {self.kernel.shape})"
            )
        return batch, spatial, c, channel_axis

    def output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        """Shape of the output array for an input array of shape ``input_shape``."""
        batch, spatial, c, channel_axis = self._layout(tuple(input_shape), "input_shape")
        out = self.geometry(spatial).output_shape
        c_out = c if self.depthwise else self.c_out
        if channel_axis or c_out != 1:
            return (*batch, *out, c_out)
        return (*batch, *out)

    def offset(self, input_shape: Sequence[int], dtype: Any = np.float64) -> np.ndarray:
        """``conv(0)`` on an input array of shape ``input_shape``: the constant part of an affine Conv.

        ``conv(x) == A x + conv.offset(x.shape)`` where ``A`` (:meth:`operator`,
        :meth:`to_matrix`) is the linear part.  It is ``cval`` times the
        correlation of the kernel with the indicator of the "constant" padding,
        so zero wherever the window reads no padding constant (and everywhere
        when ``cval == 0``).

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
        batch, spatial, c, channel_axis = self._layout(as_shape(input_shape, "input_shape"), "input_shape")
        plan = self.plan(spatial, c, math.prod(batch), dtype)
        c_out = c if self.depthwise else self.c_out
        out = plan.geometry.output_shape
        response = self._constant_response(plan)
        if response is None:
            y = np.zeros((*out, c_out), dtype=plan.dtype)
        else:
            y = np.broadcast_to(response, (*out, c_out)).astype(plan.dtype)
        y = np.broadcast_to(y, (*batch, *out, c_out)).copy()
        return y if channel_axis or c_out != 1 else y[..., 0]

    def _forward_array(self, x: Any, method: str | None = None, linear: bool = False) -> Any:
        if isinstance(x, Signal):
            x = x.values
        if is_lazy(x):  # chunked, with a halo of the kernel's reach: signalspace.parallel.conv_dask
            return _hooks.call("conv_dask", self, x)
        x = np.asarray(x)
        batch, spatial, c, channel_axis = self._layout(x.shape, "x")
        nb = math.prod(batch)
        plan = self.plan(spatial, c, nb, x.dtype)
        xb = x.reshape((nb, *spatial, c)).astype(plan.dtype, copy=False)
        y = engines.forward(xb, plan, method or self.method)
        response = None if linear else self._constant_response(plan)
        if response is not None:  # the padding constant, added only where windows read it
            y += response
        out = plan.geometry.output_shape
        if channel_axis or y.shape[-1] != 1:
            return y.reshape((*batch, *out, y.shape[-1]))
        return y.reshape((*batch, *out))

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
        self, y: Any, input_shape: Sequence[int] | None = None, channels: int | None = None
    ) -> np.ndarray:
        if is_lazy(y):  # signalspace.parallel.conv_adjoint_dask
            return _hooks.call("conv_adjoint_dask", self, y, input_shape)
        y = np.asarray(y)
        nd = self.ndim
        if y.ndim == nd:
            batch, out_spatial, c, channel_axis = (), y.shape, 1, False
        elif y.ndim > nd:
            batch, out_spatial, c, channel_axis = y.shape[: -nd - 1], y.shape[-nd - 1 : -1], y.shape[-1], True
        else:
            raise ShapeError(f"y must have shape batch... + output spatial ({nd} axes) + (channels,), got {y.shape}")
        if not self.depthwise and c != self.c_out:
            raise ShapeError(
                f"y has {c} channels (last axis of shape {y.shape}) but the kernel has c_out = {self.c_out}"
            )
        spatial = self._input_spatial(out_spatial, input_shape)
        c_in = c if self.depthwise else self.c_in
        nb = math.prod(batch)
        plan = self.plan(spatial, c_in, nb, y.dtype)
        if plan.geometry.output_shape != tuple(out_spatial):
            raise ShapeError(
                f"y has output spatial shape {tuple(out_spatial)} but an input of {spatial} gives "
                f"{plan.geometry.output_shape}"
            )
        yb = y.reshape((nb, *out_spatial, c)).astype(plan.dtype, copy=False)
        x = engines.adjoint(yb, plan, self.method)
        if channel_axis or c_in != 1:
            return x.reshape((*batch, *spatial, c_in))
        return x.reshape((*batch, *spatial))

    # ------------------------------------------------------------ public
    def __call__(self, x: Any) -> Any:
        """Apply the convolution to a Signal, an ndarray or an xarray.DataArray (see the class docstring)."""
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        """``y = conv(x)``; Signal -> Signal, ndarray -> ndarray, DataArray -> DataArray."""
        if isinstance(x, Signal):
            return self._forward_signal(x)
        if is_dataarray(x):
            return self._forward_xarray(x)
        if not (isinstance(x, np.ndarray) or hasattr(x, "__array__") or isinstance(x, (list, tuple))):
            raise InvalidTypeError(f"x must be a Signal, an ndarray or an xarray.DataArray, got {describe(x)}")
        return self._forward_array(x)

    def adjoint(self, y: Any, input_shape: Sequence[int] | None = None, *, domain: Domain | None = None) -> Any:
        """``x = convᴴ(y)``: the exact adjoint (transposed correlation with the conjugate kernel).

        Parameters
        ----------
        y : ndarray or Signal
            Shaped like an output of :meth:`forward`.
        input_shape : sequence of int, optional
            Spatial shape of the model x; needed only when a stride makes it ambiguous.
        domain : Domain, optional
            For a Signal ``y``: the Domain of the result (default:
            :meth:`ConvGeometry.input_domain` of ``y``'s domain).

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
        if isinstance(y, Signal):
            if domain is not None and input_shape is None:
                input_shape = domain.shape
            values = self._adjoint_array(y.values, input_shape)
            spatial = values.shape[:-1]
            if domain is None:
                domain = self.geometry(spatial).input_domain(y.domain)
            channels = y.channels if self.depthwise else Channels.generic(values.shape[-1])
            return Signal(values, domain, channels, y.attrs)
        return self._adjoint_array(y, input_shape)

    @property
    def H(self) -> ConvAdjoint:
        """The adjoint as a callable: ``conv.H(y) == conv.adjoint(y)``."""
        return ConvAdjoint(self)

    def operator(self, input_shape: Sequence[int]) -> ConvOperator:
        """This convolution as a :class:`~signalspace.ops.base.LinearOperator` on arrays of ``input_shape``.

        With ``cval != 0`` it is the linear part (see :meth:`offset`).
        """
        return ConvOperator(self, input_shape)

    def kernel_operator(self, x: Any, method: str | None = None) -> KernelOperator:
        """The other side of the bilinear map: ``a -> Conv(a, same options)(x)`` for fixed data ``x``.

        A :class:`~signalspace.ops.kernel_operator.KernelOperator` (a
        :class:`~signalspace.ops.base.LinearOperator`): its model is a kernel
        shaped like this Conv's, its adjoint the kernel gradient (the correlation
        of the padded input with an output-side vector), its ``to_matrix`` the
        data's (block-)Toeplitz matrix.  The padding is data, so a non-zero
        ``cval`` is part of the (still linear) map.  ``method`` defaults to this
        Conv's.

        Examples
        --------
        Learning a kernel: the data and the output determine it.

        >>> import numpy as np
        >>> import signalspace as ss
        >>> rng = np.random.default_rng(0)
        >>> x, a = rng.standard_normal((32, 32, 3)), rng.standard_normal((3, 3, 3, 2))
        >>> conv = ss.Conv(a, padding="same", boundary="reflect")
        >>> X = conv.kernel_operator(x)
        >>> bool(np.allclose(X @ a, conv(x)))
        True
        >>> fit = ss.ops.lstsq(X, conv(x), tol=1e-12)
        >>> bool(np.allclose(fit.x, a))
        True
        """
        return KernelOperator(self, x, method)

    def as_linear_operator(self, input_shape: Sequence[int]) -> Any:
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
        return self.operator(input_shape).to_scipy()

    def to_matrix(self, input_shape: Sequence[int], format: str = "csr") -> Any:
        """The (block-)Toeplitz matrix of this convolution (see :func:`signalspace.ops.matrices.conv_matrix`).

        With ``cval != 0`` it is the matrix of the linear part:
        ``conv(x).ravel() == M @ x.ravel() + conv.offset(x.shape).ravel()``.
        """
        from .matrices import conv_matrix  # scipy.sparse loads with the builders, not with Conv

        return conv_matrix(self, input_shape, format=format)

    # ------------------------------------------------------------ Signal / xarray
    def _output_channels(self, channels: Channels) -> Channels:
        if self.depthwise:
            return channels
        if self.channel_names is not None:
            return Channels(self.channel_names)
        return Channels.generic(self.c_out)

    def _forward_signal(self, x: Signal) -> Signal:
        if x.ndim != self.ndim:
            hint = f"; for a depthwise {x.ndim}-D kernel pass ndim={x.ndim}" if self.kernel.ndim == x.ndim else ""
            raise ShapeError(
                f"x has {x.ndim} axes {x.domain.names} but the kernel has {self.ndim} spatial axes "
                f"(kernel shape {self.kernel.shape}){hint}"
            )
        values = self._forward_array(x.values)
        g = self.geometry(x.domain.shape)
        return Signal(values, g.output_domain(x.domain), self._output_channels(x.channels), x.attrs)

    def _forward_xarray(self, da: Any) -> Any:
        import xarray as xr

        dims = self.dims
        if dims is None:
            space = [d for d in da.dims if d != CHANNEL_DIM]
            if len(space) < self.ndim:
                raise ShapeError(f"x has dims {da.dims}, fewer than the kernel's {self.ndim} spatial axes")
            dims = tuple(space[-self.ndim :])
        missing = [d for d in dims if d not in da.dims]
        if missing:
            raise ShapeError(f"x (a DataArray with dims {da.dims}) lacks the kernel's dims {missing} (dims={dims})")
        has_channel = CHANNEL_DIM in da.dims
        batch = [d for d in da.dims if d not in dims and d != CHANNEL_DIM]
        order = [*batch, *dims, *([CHANNEL_DIM] if has_channel else [])]
        src = da.transpose(*order)
        values = src.data
        if not has_channel:
            values = values[..., None]
        y = self._forward_array(values)
        if y.ndim == len(batch) + self.ndim:
            y = y[..., None]
        g = self.geometry(tuple(da.sizes[d] for d in dims))
        coords: dict[str, Any] = {}
        for name, coord in src.coords.items():
            if all(d in batch for d in coord.dims):
                coords[name] = coord
        # the convolved dims' coordinates -> Axes (regular, numeric: as Signal.from_xarray) -> output_domain
        out_domain = g.output_domain(Domain(tuple(convolved_axis(src, d) for d in dims)))
        for d, axis in zip(dims, out_domain.axes, strict=True):
            if d not in src.coords:
                continue
            attrs = dict(src.coords[d].attrs)
            if "step" in attrs:
                attrs["step"] = axis.step
            if "origin" in attrs:
                attrs["origin"] = axis.origin
            coords[d] = (d, axis.coords, attrs)
        out_dims = [*batch, *dims, CHANNEL_DIM]
        if self.depthwise:
            if has_channel:
                for name, coord in src.coords.items():
                    if coord.dims == (CHANNEL_DIM,):
                        coords[name] = coord
        else:
            names = self.channel_names or Channels.generic(self.c_out).names
            coords[CHANNEL_DIM] = (CHANNEL_DIM, list(names))
        result = xr.DataArray(y, dims=out_dims, coords=coords, attrs=dict(da.attrs), name=da.name)
        if not has_channel and result.sizes[CHANNEL_DIM] == 1:
            result = result.isel({CHANNEL_DIM: 0}, drop=True)
        return result.transpose(*[d for d in da.dims if d in result.dims], ...)


class ConvAdjoint:
    """``conv.H``: calling it applies the adjoint; ``.H`` gives the convolution back."""

    def __init__(self, conv: Conv) -> None:
        self.conv = conv

    def __call__(self, y: Any, input_shape: Sequence[int] | None = None, **kwargs: Any) -> Any:
        return self.conv.adjoint(y, input_shape, **kwargs)

    def adjoint(self, x: Any) -> Any:
        """The forward convolution (adjoint of the adjoint)."""
        return self.conv.forward(x)

    @property
    def H(self) -> Conv:
        return self.conv


class ConvOperator(LinearOperator):
    """A :class:`Conv` bound to one input array shape, as a :class:`~signalspace.ops.base.LinearOperator`.

    It is the *linear part* of the convolution: for ``cval != 0`` it computes
    ``conv(x) - conv.offset(shape)`` (the padding constant taken as 0), as
    :meth:`Conv.to_matrix` does, so forward, adjoint and matrix agree.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> op = ss.Conv(np.ones((3, 2, 4))).operator((10, 2))
    >>> op.model_shape, op.data_shape
    ((10, 2), (8, 4))
    """

    def __init__(self, conv: Conv, input_shape: Sequence[int]) -> None:
        shape = as_shape(input_shape, "input_shape")
        data = conv.output_shape(shape)
        dtype = np.result_type(conv.kernel.dtype, np.float64)
        super().__init__(shape, data, dtype)
        self.conv = conv
        self._spatial = conv._layout(shape, "input_shape")[1]

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self.conv._forward_array(x, linear=True)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self.conv._adjoint_array(y, self._spatial)


# ---------------------------------------------------------------- scipy.signal-style functions
def _signal_inputs(x: Any, h: Any, mode: str) -> tuple[np.ndarray, np.ndarray]:
    one_of(mode, "mode", ("full", "same", "valid"))
    x, h = np.asarray(x), np.asarray(h)
    for name, a in (("x", x), ("h", h)):
        if a.dtype.kind not in "biufc":
            raise InvalidTypeError(f"{name} must be numeric, got {describe(a)}")
        if a.ndim == 0 or a.size == 0:
            raise ShapeError(f"{name} must have at least one axis and one sample, got shape {a.shape}")
    if x.ndim != h.ndim:
        raise ShapeError(f"x and h must have the same number of axes, got x {x.shape} and h {h.shape}")
    if x.dtype.kind in "biu" and h.dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    else:
        dtype = np.result_type(x.dtype, h.dtype)
        if dtype.kind in "biu":
            dtype = np.dtype(np.float64)
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


def convolve(x: Any, h: Any, mode: str = "full", method: str = "auto") -> np.ndarray:
    """N-D convolution with :func:`scipy.signal.convolve`'s semantics (modes full/same/valid).

    Integer inputs give float64 (scipy keeps integers); otherwise the dtype is
    ``np.result_type(x, h)``.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> ss.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5])
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> ss.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="same")
    array([1. , 2.5, 4. ])
    """
    if type(x) is np.ndarray and type(h) is np.ndarray and x.ndim == 1 == h.ndim and method == "auto":
        y = _convolve1d(x, h, mode)
        if y is not None:
            return y
    x, h = _signal_inputs(x, h, mode)
    if mode == "valid":
        if all(a >= b for a, b in zip(h.shape, x.shape, strict=True)) and h.shape != x.shape:
            x, h = h, x
        elif not all(a >= b for a, b in zip(x.shape, h.shape, strict=True)):
            raise ShapeError(
                f"mode='valid' needs one input at least as large as the other on every axis, "
                f"got x {x.shape} and h {h.shape}"
            )
    reach = [k - 1 for k in h.shape]
    if mode == "full":
        padding = "full"
    elif mode == "same":
        padding = "same" if all(r % 2 == 0 for r in reach) else [(r - r // 2, r // 2) for r in reach]
    else:
        padding = "valid"
    return Conv(h, padding=padding, flip=True, method=method, ndim=h.ndim)(x)


def correlate(x: Any, h: Any, mode: str = "full", method: str = "auto") -> np.ndarray:
    """N-D cross-correlation with :func:`scipy.signal.correlate`'s semantics (conjugates ``h``).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> ss.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="valid")
    array([3.5])
    """
    x, h = _signal_inputs(x, h, mode)
    return convolve(x, h[tuple(slice(None, None, -1) for _ in range(h.ndim))].conj(), mode=mode, method=method)
