"""Signal: sampled values on a Domain, with named Channels.

A :class:`Signal` holds ``values`` of shape ``domain.shape + (c,)`` (channels
last).  It knows nothing about files or pictures: adapters in
:mod:`signalspace.domains` read and write them, :mod:`signalspace.plot` draws
them.  numpy and dask arrays are both kept as they are: nothing is computed
until asked for.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from . import _hooks
from ._errors import DomainMismatchError, IndexOutOfRangeError, InvalidParameterError, InvalidTypeError, ShapeError
from ._validation import describe, finite_float
from ._xarray import from_dataarray, plain, to_dataarray
from .domain import Axis, Channels, Domain

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["Signal", "is_lazy"]

def _same_attrs(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not np.array_equal(np.asarray(x), np.asarray(y)):
                return False
        elif plain(x) != plain(y):
            return False
    return True


def is_lazy(array: Any) -> bool:
    """True when ``array`` is a dask (or other graph-backed) collection.

    Examples
    --------
    >>> import numpy as np
    >>> from signalspace.signal import is_lazy
    >>> is_lazy(np.zeros(3))
    False
    """
    return hasattr(array, "__dask_graph__")


def _as_values(values: Any) -> Any:
    if is_lazy(values) or isinstance(values, np.ndarray):
        array = values
    else:
        try:
            array = np.asarray(values)
        except Exception as exc:  # ragged lists and the like
            raise InvalidTypeError(f"values must be array-like, got {describe(values)}: {exc}") from None
    kind = np.dtype(array.dtype).kind
    if kind not in "biufc":
        raise InvalidTypeError(
            f"values must have a numeric dtype (bool, int, float or complex), got dtype {array.dtype}"
        )
    return array


class Signal(NDArrayOperatorsMixin):
    """Values sampled on a :class:`~signalspace.Domain`, with :class:`~signalspace.Channels`.

    Parameters
    ----------
    values : array_like or dask array
        Shape ``domain.shape + (c,)``, or ``domain.shape`` for one channel.
        numpy arrays are wrapped without a copy; dask arrays stay lazy.
    domain : Domain
        The grid the values are sampled on.
    channels : Channels, optional
        Names (and metadata) of the c channels; ``c0, c1, ...`` by default.
    attrs : mapping, optional
        Free metadata (source file, audio subtype...); copied, read-only.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> d = ss.Domain([ss.Axis("time", 4, step=0.25, unit="s")], kind="audio")
    >>> x = ss.Signal(np.arange(8.0).reshape(4, 2), d, ss.Channels(("L", "R")))
    >>> x.shape, x.nchannels
    ((4, 2), 2)
    >>> (2 * x)[1:3].values[:, 0]
    array([4., 8.])
    >>> x.sel(time=0.5).values
    array([4., 5.])
    """

    __slots__ = ("_attrs", "_channels", "_domain", "_values")

    def __init__(
        self,
        values: Any,
        domain: Domain,
        channels: Channels | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(domain, Domain):
            raise InvalidTypeError(f"domain must be a signalspace.Domain, got {describe(domain)}")
        values = _as_values(values)
        if tuple(values.shape) == domain.shape:
            values = values[..., np.newaxis]
        if tuple(values.shape[:-1]) != domain.shape or values.ndim != domain.ndim + 1:
            raise ShapeError(
                f"values must have shape domain.shape + (channels,) = {domain.shape} + (c,) "
                f"or domain.shape, got shape {tuple(values.shape)}"
            )
        c = values.shape[-1]
        if c == 0:
            raise ShapeError("values must have at least one channel, got 0 (shape ends in 0)")
        if channels is None:
            channels = Channels.generic(c)
        elif not isinstance(channels, Channels):
            raise InvalidTypeError(f"channels must be a signalspace.Channels, got {describe(channels)}")
        if len(channels) != c:
            raise ShapeError(
                f"channels names {len(channels)} channels {list(channels.names)}, "
                f"but values have {c} (last axis of shape {tuple(values.shape)})"
            )
        if attrs is not None and not isinstance(attrs, Mapping):
            raise InvalidTypeError(f"attrs must be a mapping, got {describe(attrs)}")
        self._values = values
        self._domain = domain
        self._channels = channels
        self._attrs = MappingProxyType(dict(attrs or {}))

    # ------------------------------------------------------------------ basics
    @property
    def values(self) -> Any:
        """The samples, shape ``domain.shape + (c,)`` (numpy or dask)."""
        return self._values

    @property
    def domain(self) -> Domain:
        """The grid Ω the signal is sampled on."""
        return self._domain

    @property
    def channels(self) -> Channels:
        """Names and metadata of the channels."""
        return self._channels

    @property
    def attrs(self) -> Mapping[str, Any]:
        """Free metadata (read-only mapping)."""
        return self._attrs

    @property
    def kind(self) -> str:
        """The domain's kind (``"audio"``, ``"image"``...)."""
        return self._domain.kind

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`values`: ``domain.shape + (c,)``."""
        return tuple(self._values.shape)

    @property
    def ndim(self) -> int:
        """Number of domain axes (the channel axis is not counted)."""
        return self._domain.ndim

    @property
    def nchannels(self) -> int:
        """Number of channels c."""
        return len(self._channels)

    @property
    def dtype(self) -> np.dtype:
        """dtype of :attr:`values`."""
        return np.dtype(self._values.dtype)

    @property
    def is_lazy(self) -> bool:
        """True when :attr:`values` is a dask array."""
        return is_lazy(self._values)

    def replace(
        self,
        values: Any = None,
        domain: Domain | None = None,
        channels: Channels | None = None,
        attrs: Mapping[str, Any] | None = None,
    ) -> Signal:
        """A new Signal with some parts replaced (the others shared)."""
        return Signal(
            self._values if values is None else values,
            self._domain if domain is None else domain,
            self._channels if channels is None else channels,
            self._attrs if attrs is None else attrs,
        )

    def astype(self, dtype: Any) -> Signal:
        """The same signal with values cast to ``dtype``."""
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise InvalidTypeError(f"dtype must be a numpy dtype, got {describe(dtype)}") from None
        return self.replace(values=self._values.astype(dtype))

    def copy(self) -> Signal:
        """A copy whose values do not share memory with this one."""
        return self.replace(values=self._values.copy())

    def compute(self) -> Signal:
        """A Signal with in-memory values (computes a dask array; numpy returns self)."""
        if self.is_lazy:
            return self.replace(values=np.asarray(self._values.compute()))
        return self

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values = self._values.compute() if self.is_lazy else self._values
        return np.array(values, dtype=dtype, copy=True) if copy else np.asarray(values, dtype=dtype)

    def __repr__(self) -> str:
        lazy = " (dask)" if self.is_lazy else ""
        return (
            f"<Signal {self._domain!r} × {self.nchannels} channels {list(self._channels.names)[:8]} "
            f"{self.dtype}{lazy}>"
        )

    def identical(self, other: object) -> bool:
        """True when ``other`` has the same domain, channels, attrs and values."""
        return (
            isinstance(other, Signal)
            and self._domain == other._domain
            and self._channels == other._channels
            and _same_attrs(self._attrs, other._attrs)
            and self.dtype == other.dtype
            and bool(np.array_equal(np.asarray(self), np.asarray(other)))
        )

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        """Draw the signal (see :func:`signalspace.plot.plot`).

        Returns the matplotlib Axes, or a numpy array of Axes for multi-panel
        pictures (N-D slices, band grids, multichannel spectrograms).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np, signalspace as ss
        >>> x = ss.Signal(np.zeros(10), ss.Domain.from_shape((10,)))
        >>> len(x.plot().lines)
        1
        >>> import matplotlib.pyplot as plt; plt.close("all")
        """
        return _hooks.call("draw", self, ax=ax, **kw)

    # ---------------------------------------------------------------- indexing
    def __getitem__(self, key: Any) -> Signal:
        if not isinstance(key, tuple):
            key = (key,)
        ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
        if len(ellipses) > 1:
            raise InvalidParameterError("an index may contain at most one Ellipsis (...)")
        if ellipses:
            at = ellipses[0]
            fill = self.ndim + 1 - (len(key) - 1)
            key = key[:at] + (slice(None),) * max(fill, 0) + key[at + 1 :]
        if len(key) > self.ndim + 1:
            raise InvalidParameterError(
                f"too many indices: {len(key)} for a signal with {self.ndim} axes and a channel axis"
            )
        key = key + (slice(None),) * (self.ndim + 1 - len(key))
        axes: list[Axis] = []
        array_key: list[Any] = []
        for axis, k in zip(self._domain.axes, key[:-1], strict=True):
            if isinstance(k, numbers.Integral) and not isinstance(k, bool):
                if not -axis.size <= k < axis.size:
                    raise IndexOutOfRangeError(
                        f"index {k} is out of range for axis {axis.name!r} of size {axis.size}"
                    )
                array_key.append(int(k))
            elif isinstance(k, slice):
                start, stop, stride = k.indices(axis.size)
                axes.append(axis.slice(start, stop, stride))
                array_key.append(k)
            else:
                raise InvalidTypeError(
                    f"index for axis {axis.name!r} must be an integer or a slice, got {describe(k)}"
                )
        channel_key = self._channel_positions(key[-1])
        channels = self._channels.select(channel_key)
        values = self._values[tuple(array_key)]
        if not (isinstance(channel_key, slice) and channel_key == slice(None)):
            values = values[..., channel_key]
        return Signal(values, self._domain.with_axes(axes), channels, self._attrs)

    def _channel_positions(self, key: Any) -> Any:
        if isinstance(key, slice):
            return key
        if isinstance(key, str):
            return [self._channels.index(key)]
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            if not -self.nchannels <= key < self.nchannels:
                raise IndexOutOfRangeError(
                    f"channel index {key} is out of range for {self.nchannels} channels"
                )
            return [int(key) % self.nchannels]
        if isinstance(key, (list, tuple)) and key:
            return [self._channel_positions(k)[0] for k in key]
        raise InvalidTypeError(
            f"channel index must be an int, a name, a slice or a list of them, got {describe(key)}"
        )

    def channel(self, name: str | int) -> Signal:
        """The one-channel signal of channel ``name`` (or position)."""
        return self[..., name]

    def isel(self, **indices: int | slice) -> Signal:
        """Index axes by name: ``x.isel(time=slice(0, 100))``.

        Examples
        --------
        >>> import numpy as np, signalspace as ss
        >>> x = ss.Signal(np.zeros((4, 6)), ss.Domain.from_shape((4, 6), names=("row", "col")))
        >>> x.isel(col=slice(0, 6, 2)).domain
        Domain(generic: row=4, col=3@2)
        """
        key: list[Any] = [slice(None)] * self.ndim
        for name, k in indices.items():
            key[self._domain.axis_index(name)] = k
        return self[tuple(key)]

    def sel(self, method: str | None = None, tolerance: float | None = None, **coords: float | slice) -> Signal:
        """Select by coordinate: a number picks the nearest sample, a slice is inclusive.

        Parameters
        ----------
        tolerance : float, optional
            Largest distance accepted between a number and its nearest sample
            (default half a step).
        **coords
            ``axis_name=value`` or ``axis_name=slice(lo, hi)`` in the axis' unit.
        """
        indices: dict[str, int | slice] = {}
        for name, value in coords.items():
            axis = self._domain[name]
            if isinstance(value, slice):
                if value.step is not None:
                    raise InvalidParameterError(
                        f"sel slices take no step; got {value!r} for axis {name!r} (use isel to stride)"
                    )
                c = axis.coords
                lo = -np.inf if value.start is None else finite_float(value.start, f"sel {name} start")
                hi = np.inf if value.stop is None else finite_float(value.stop, f"sel {name} stop")
                eps = 1e-9 * abs(axis.step)
                inside = np.flatnonzero((c >= lo - eps) & (c <= hi + eps))
                if inside.size == 0:
                    raise InvalidParameterError(
                        f"sel range {lo}..{hi} selects no sample of axis {name!r} "
                        f"(extent {axis.extent} {axis.unit})"
                    )
                indices[name] = slice(int(inside[0]), int(inside[-1]) + 1)
            else:
                indices[name] = axis.index(value, method=method, tolerance=tolerance)
        return self.isel(**indices)

    # -------------------------------------------------------------- arithmetic
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise InvalidParameterError(
                f"{ufunc.__name__}: out= is not supported; a Signal is never modified in place, use the result"
            )
        if method != "__call__":
            raise InvalidTypeError(
                f"{ufunc.__name__}.{method} of a Signal is not defined (it would drop axes of the domain); "
                "apply it to signal.values (or np.asarray(signal)) instead"
            )
        reference: Signal | None = None
        arrays = []
        for operand in inputs:
            if isinstance(operand, Signal):
                if reference is None:
                    reference = operand
                elif operand._domain != reference._domain:
                    raise DomainMismatchError(
                        f"{ufunc.__name__}: signals live on different domains: "
                        f"{reference._domain!r} and {operand._domain!r}"
                    )
                elif operand._channels != reference._channels:
                    raise DomainMismatchError(
                        f"{ufunc.__name__}: signals have different channels: "
                        f"{list(reference._channels.names)} and {list(operand._channels.names)}"
                    )
                arrays.append(operand._values)
            else:
                arrays.append(operand)
        assert reference is not None
        result = ufunc(*arrays, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        wrapped = []
        for r in results:
            if tuple(r.shape) != reference.shape:
                raise ShapeError(
                    f"{ufunc.__name__}: an operand broadcast the result to shape {tuple(r.shape)}; "
                    f"the signal has shape {reference.shape}"
                )
            wrapped.append(reference.replace(values=r))
        return tuple(wrapped) if isinstance(result, tuple) else wrapped[0]

    # ------------------------------------------------------------------ xarray
    def to_xarray(self) -> xr.DataArray:
        """A labelled ``xarray.DataArray`` with dims ``axis names + ("channel",)``.

        Axis coordinates carry ``units``, ``step`` and ``origin`` attributes;
        per-channel metadata become coordinates along ``channel``; the domain
        kind and channel layout go into ``attrs``.  Dask values stay lazy.
        :meth:`from_xarray` inverts it exactly, also after a netCDF round trip.
        """
        return to_dataarray(self._values, self._domain, self._channels, self._attrs)

    @classmethod
    def from_xarray(cls, da: xr.DataArray, *, kind: str | None = None, drop_coords: bool = False) -> Signal:
        """Build a Signal from an ``xarray.DataArray``.

        Every dimension but ``"channel"`` becomes an axis and must be regularly
        spaced (or carry ``step``/``origin`` attributes, as :meth:`to_xarray`
        writes).  Without a ``channel`` dimension the signal has one channel.
        Other coordinates (spanning several dimensions, or scalar) cannot be
        held by a Signal: they raise unless ``drop_coords=True``.

        Examples
        --------
        >>> import numpy as np, xarray as xr
        >>> import signalspace as ss
        >>> da = xr.DataArray(np.zeros((3, 2)), dims=("y", "x"), coords={"y": [0.0, 0.5, 1.0]})
        >>> ss.Signal.from_xarray(da).domain["y"].step
        0.5
        """
        return cls(*from_dataarray(da, kind=kind, drop_coords=drop_coords))
