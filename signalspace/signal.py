"""Signal: sampled values on a Domain, with named Channels.

A :class:`Signal` holds ``values`` of shape ``domain.shape + (c,)`` (channels
last).  It knows nothing about files or pictures: adapters in
:mod:`signalspace.domains` read and write them, :mod:`signalspace.plot` draws
them.  numpy and dask arrays are both kept as they are: nothing is computed
until asked for.

What an xarray user reaches for first works the same way: ``dims``,
``coords``, ``sizes``, ``len()``, ``isel``/``sel`` (exact by default,
``method="nearest"`` and ``tolerance=``), reductions over named dims
(``sig.mean("time")``, and ``np.mean(sig)`` as for a DataArray), and scalar
coordinates: an axis selected away by an integer index or a number stays as
a one-sample :class:`~signalspace.Axis` in :attr:`Signal.scalar_coords`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from . import _hooks
from ._errors import (
    DomainMismatchError,
    IndexOutOfRangeError,
    InvalidParameterError,
    InvalidTypeError,
    ShapeError,
    UnknownNameError,
)
from ._validation import describe, finite_float, unmasked
from ._xarray import from_dataarray, plain, to_dataarray
from .domain import CHANNEL_DIM, Axis, Channels, Domain

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


def _scalar_coords(scalars: Any, domain: Domain) -> Mapping[str, Axis]:
    """Scalar coordinates (one-sample Axes, by name) checked against the domain's axis names."""
    if scalars is None:
        return MappingProxyType({})
    items = list(scalars.values()) if isinstance(scalars, Mapping) else scalars
    if isinstance(items, Axis) or not isinstance(items, Iterable):
        raise InvalidTypeError(f"scalar_coords must be a sequence of one-sample Axes, got {describe(scalars)}")
    result: dict[str, Axis] = {}
    for axis in items:
        if not isinstance(axis, Axis) or axis.size != 1:
            raise InvalidTypeError(f"scalar_coords must hold one-sample Axes, got {describe(axis)}")
        if axis.name in domain.names or axis.name in result:
            raise InvalidParameterError(
                f"scalar coordinate {axis.name!r} has the name of an axis or of another scalar coordinate"
            )
        result[axis.name] = axis
    return MappingProxyType(result)


def _scalar_text(axis: Axis) -> str:
    unit = f" {axis.unit}" if axis.unit else ""
    return f"{axis.name}={axis.origin:g}{unit}"


#: Reductions: name -> (numpy function, NaN-skipping numpy function).
_REDUCTIONS = {
    "sum": (np.sum, np.nansum),
    "mean": (np.mean, np.nanmean),
    "std": (np.std, np.nanstd),
    "max": (np.max, np.nanmax),
    "min": (np.min, np.nanmin),
}


def _as_values(values: Any) -> Any:
    values = unmasked(values, "values")
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
    scalar_coords : sequence of Axis, optional
        xarray's scalar coordinates: one-sample Axes (``origin`` is the value)
        of axes selected away, e.g. the time of a spectrogram slice.
        ``isel``/``sel`` and integer indexing add them; they go through
        ``to_xarray`` and are shown by ``repr`` and plot titles.

    Notes
    -----
    numpy's reductions ``np.sum``, ``np.mean``, ``np.std``, ``np.max`` and
    ``np.min`` call the methods of the same name, as for an
    ``xarray.DataArray``, and return a Signal; other numpy functions see
    :attr:`values`.

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

    xarray's basics: dims, sizes, coordinates, reductions over named dims, and
    the coordinate of a selected sample kept as a scalar coordinate:

    >>> x.dims, dict(x.sizes), len(x)
    (('time', 'channel'), {'time': 4, 'channel': 2}, 4)
    >>> x.mean("time").values
    array([3., 4.])
    >>> x.sel(time=0.5)
    <Signal Domain(audio: a point) × 2 channels ['L', 'R'] float64, time=0.5 s>
    """

    __slots__ = ("_attrs", "_channels", "_domain", "_scalars", "_values")

    def __init__(
        self,
        values: Any,
        domain: Domain,
        channels: Channels | None = None,
        attrs: Mapping[str, Any] | None = None,
        scalar_coords: Iterable[Axis] | Mapping[str, Axis] | None = None,
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
        self._scalars = _scalar_coords(scalar_coords, domain)

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
    def scalar_coords(self) -> Mapping[str, Axis]:
        """xarray's scalar coordinates: one-sample Axes by name (the value is ``origin``), read-only."""
        return self._scalars

    @property
    def dims(self) -> tuple[str, ...]:
        """Names of the axes of :attr:`values`: the domain's, then ``"channel"`` (as :meth:`to_xarray`)."""
        return (*self._domain.names, CHANNEL_DIM)

    @property
    def sizes(self) -> Mapping[str, int]:
        """Size of each of :attr:`dims` (read-only), as xarray's ``DataArray.sizes``."""
        return MappingProxyType(dict(zip(self.dims, self.shape, strict=True)))

    @property
    def coords(self) -> Mapping[str, np.ndarray]:
        """Coordinate arrays by name, as in :meth:`to_xarray`: each axis', the channel names and per-channel
        metadata, and the scalar coordinates (0-d arrays).  Read-only.

        Examples
        --------
        >>> import numpy as np, signalspace as ss
        >>> x = ss.Signal(np.zeros((3, 2)), ss.Domain([ss.Axis("t", 3, step=0.5)]), ss.Channels(("L", "R")))
        >>> {name: c.tolist() for name, c in x.coords.items()}
        {'t': [0.0, 0.5, 1.0], 'channel': ['L', 'R']}
        >>> float(x.isel(t=2).coords["t"])
        1.0
        """
        coords: dict[str, np.ndarray] = {axis.name: axis.coords for axis in self._domain.axes}
        coords[CHANNEL_DIM] = np.array(self._channels.names)
        for key, values in self._channels.coords.items():
            coords[key] = np.asarray(values)
        for name, axis in self._scalars.items():
            coords[name] = np.asarray(axis.origin)
        return MappingProxyType(coords)

    def __len__(self) -> int:
        """The size of the first of :attr:`dims` (the first axis, or the channels of a signal on a point)."""
        return self.shape[0]

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
        scalar_coords: Iterable[Axis] | Mapping[str, Axis] | None = None,
    ) -> Signal:
        """A new Signal with some parts replaced (the others shared)."""
        return Signal(
            self._values if values is None else values,
            self._domain if domain is None else domain,
            self._channels if channels is None else channels,
            self._attrs if attrs is None else attrs,
            self._scalars if scalar_coords is None else scalar_coords,
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
        scalars = "".join(f", {_scalar_text(axis)}" for axis in self._scalars.values())
        return (
            f"<Signal {self._domain!r} × {self.nchannels} channels {list(self._channels.names)[:8]} "
            f"{self.dtype}{lazy}{scalars}>"
        )

    def identical(self, other: object) -> bool:
        """True when ``other`` has the same domain, channels, scalar coordinates, attrs and values (NaN equal NaN)."""
        return (
            isinstance(other, Signal)
            and self._domain == other._domain
            and self._channels == other._channels
            and dict(self._scalars) == dict(other._scalars)
            and _same_attrs(self._attrs, other._attrs)
            and self.dtype == other.dtype
            and bool(np.array_equal(np.asarray(self), np.asarray(other), equal_nan=self.dtype.kind in "fc"))
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
        scalars = dict(self._scalars)
        for axis, k in zip(self._domain.axes, key[:-1], strict=True):
            if isinstance(k, numbers.Integral) and not isinstance(k, bool):
                if not -axis.size <= k < axis.size:
                    raise IndexOutOfRangeError(
                        f"index {k} is out of range for axis {axis.name!r} of size {axis.size}"
                    )
                array_key.append(int(k))
                position = int(k) % axis.size
                scalars[axis.name] = axis.slice(position, position + 1)  # the selected coordinate stays
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
        return Signal(values, self._domain.with_axes(axes), channels, self._attrs, scalars)

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

    def isel(self, indexers: Mapping[str, Any] | None = None, **indices: Any) -> Signal:
        """Index axes by name: ``x.isel(time=slice(0, 100))``; ``channel=`` picks channels.

        An integer removes the axis and keeps its coordinate as a scalar
        coordinate (:attr:`scalar_coords`), as xarray does; the channel axis is
        always kept (``channel=0`` leaves one channel).

        Examples
        --------
        >>> import numpy as np, signalspace as ss
        >>> x = ss.Signal(np.zeros((4, 6)), ss.Domain.from_shape((4, 6), names=("row", "col")))
        >>> x.isel(col=slice(0, 6, 2)).domain
        Domain(generic: row=4, col=3@2)
        >>> x.isel(col=3).scalar_coords["col"].origin
        3.0
        """
        indices = {**(indexers or {}), **indices}
        key: list[Any] = [slice(None)] * (self.ndim + 1)
        for name, k in indices.items():
            key[self.ndim if name == CHANNEL_DIM else self._domain.axis_index(name)] = k
        return self[tuple(key)]

    def sel(
        self,
        indexers: Mapping[str, Any] | None = None,
        method: str | None = None,
        tolerance: float | None = None,
        **coords: Any,
    ) -> Signal:
        """Select by coordinate, as xarray: a number must be a sample's coordinate, a slice is inclusive.

        Parameters
        ----------
        indexers : mapping, optional
            ``{axis_name: value}``, the same as keyword arguments.
        method : {None, "nearest"}
            None (the default): exact match (to rounding); ``"nearest"``: the
            nearest sample (see :meth:`Axis.index <signalspace.Axis.index>`).
        tolerance : float, optional
            With ``method="nearest"``: the largest distance accepted.
        **coords
            ``axis_name=value`` or ``axis_name=slice(lo, hi)`` in the axis' unit;
            ``channel="L"`` (or a list of names) picks channels.

        Examples
        --------
        >>> import numpy as np, signalspace as ss
        >>> x = ss.Signal(np.arange(5.0), ss.Domain([ss.Axis("t", 5, step=0.1, unit="s")]))
        >>> x.sel(t=0.2).values, x.sel(t=0.26, method="nearest").scalar_coords["t"].origin
        (array([2.]), 0.30000000000000004)
        >>> x.sel(t=slice(0.1, 0.3)).shape
        (3, 1)
        """
        coords = {**(indexers or {}), **coords}
        indices: dict[str, int | slice] = {}
        for name, value in coords.items():
            if name == CHANNEL_DIM:
                indices[name] = value
                continue
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
        return self.isel(indices)

    # -------------------------------------------------------------- reductions
    def _reduce(self, name: str, dim: Any, axis: Any, skipna: bool | None, **kwargs: Any) -> Signal:
        """A reduction over named dims (or axis positions of :attr:`dims`): a Signal on the remaining domain."""
        out, keepdims = kwargs.pop("out", None), kwargs.pop("keepdims", False)
        if out is not None:
            raise InvalidParameterError(f"{name}: out= is not supported; a Signal is never modified in place")
        if keepdims:
            raise InvalidParameterError(f"{name}: keepdims=True is not supported; the reduced axes leave the domain")
        dims = self.dims
        if dim is not None and axis is not None:
            raise InvalidParameterError(f"{name}: give dim (names) or axis (positions), not both")
        if dim is None and axis is None:
            positions = list(range(len(dims)))
        elif dim is not None:
            if isinstance(dim, numbers.Integral) or not isinstance(dim, (str, Sequence)):
                raise InvalidTypeError(
                    f"{name}: dim must be a dim name or a sequence of names of {list(dims)}, got {describe(dim)}; "
                    "use axis= for positions"
                )
            names = [dim] if isinstance(dim, str) else list(dim)
            unknown = [d for d in names if d not in dims]
            if unknown:
                raise UnknownNameError(f"{name}: dims {unknown} are not in this signal's dims {list(dims)}")
            positions = sorted({dims.index(d) for d in names})
        else:
            items = [axis] if isinstance(axis, numbers.Integral) else list(axis)
            for item in items:
                valid = isinstance(item, numbers.Integral) and not isinstance(item, bool)
                if not (valid and -len(dims) <= item < len(dims)):
                    raise InvalidParameterError(f"{name}: axis {item!r} is not one of the {len(dims)} axes of {dims}")
            positions = sorted({int(item) % len(dims) for item in items})
        if skipna is None:
            skipna = self.dtype.kind in "fc"  # xarray's default: skip NaN in floating-point data
        function = _REDUCTIONS[name][1 if skipna else 0]
        values = function(self._values, axis=tuple(positions), keepdims=True, **kwargs)
        gone = tuple(p for p in positions if p < self.ndim)
        values = np.squeeze(values, axis=gone) if gone else values
        domain = self._domain.with_axes([a for i, a in enumerate(self._domain.axes) if i not in gone])
        channels = Channels.generic(1) if self.ndim in positions else self._channels
        return Signal(values, domain, channels, self._attrs, self._scalars)

    def sum(self, dim: str | Sequence[str] | None = None, *, axis: Any = None, skipna: bool | None = None,
            **kwargs: Any) -> Signal:
        """Sum over the named dims (all by default), as ``DataArray.sum``: a Signal on the remaining axes.

        ``dim`` may include ``"channel"`` (the result then has one channel,
        ``c0``).  ``axis`` takes positions in :attr:`dims` instead (what
        ``np.sum(sig, axis=...)`` passes).  ``skipna`` (default: True for
        floating-point data, as xarray) ignores NaN.  Dask values stay lazy.

        Examples
        --------
        >>> import numpy as np, signalspace as ss
        >>> x = ss.Signal(np.ones((3, 4, 2)), ss.Domain.from_shape((3, 4), names=("y", "x")))
        >>> x.sum("x").domain, x.sum(["x", "channel"]).values[:, 0]
        (Domain(generic: y=3), array([8., 8., 8.]))
        >>> np.sum(x).item()
        24.0
        """
        return self._reduce("sum", dim, axis, skipna, **kwargs)

    def mean(self, dim: str | Sequence[str] | None = None, *, axis: Any = None, skipna: bool | None = None,
             **kwargs: Any) -> Signal:
        """Mean over the named dims (all by default); see :meth:`sum`."""
        return self._reduce("mean", dim, axis, skipna, **kwargs)

    def std(self, dim: str | Sequence[str] | None = None, *, axis: Any = None, skipna: bool | None = None,
            ddof: int = 0, **kwargs: Any) -> Signal:
        """Standard deviation over the named dims (all by default), ``ddof`` as numpy's; see :meth:`sum`."""
        return self._reduce("std", dim, axis, skipna, ddof=ddof, **kwargs)

    def max(self, dim: str | Sequence[str] | None = None, *, axis: Any = None, skipna: bool | None = None,
            **kwargs: Any) -> Signal:
        """Maximum over the named dims (all by default); see :meth:`sum`."""
        return self._reduce("max", dim, axis, skipna, **kwargs)

    def min(self, dim: str | Sequence[str] | None = None, *, axis: Any = None, skipna: bool | None = None,
            **kwargs: Any) -> Signal:
        """Minimum over the named dims (all by default); see :meth:`sum`."""
        return self._reduce("min", dim, axis, skipna, **kwargs)

    def item(self) -> Any:
        """The one value of a one-element Signal, as a Python scalar (like ``ndarray.item``)."""
        if int(np.prod(self.shape)) != 1:
            raise ShapeError(f"item() needs a signal of one value, got shape {self.shape}")
        return np.asarray(self).item()

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
        arrays, signals = [], []
        for operand in inputs:
            if isinstance(operand, Signal):
                signals.append(operand)
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
        # scalar coordinates the operands disagree on are dropped, as xarray does
        scalars = {k: v for k, v in reference._scalars.items() if all(o._scalars.get(k) == v for o in signals)}
        result = ufunc(*arrays, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        wrapped = []
        for r in results:
            if tuple(r.shape) != reference.shape:
                raise ShapeError(
                    f"{ufunc.__name__}: an operand broadcast the result to shape {tuple(r.shape)}; "
                    f"the signal has shape {reference.shape}"
                )
            wrapped.append(reference.replace(values=r, scalar_coords=scalars))
        return tuple(wrapped) if isinstance(result, tuple) else wrapped[0]

    # ------------------------------------------------------------------ xarray
    def to_xarray(self) -> xr.DataArray:
        """A labelled ``xarray.DataArray`` with dims ``axis names + ("channel",)``.

        Axis coordinates carry ``units``, ``step`` and ``origin`` attributes
        (and a lazy ``RangeIndex``: no array as long as the axis is made);
        per-channel metadata become coordinates along ``channel``; scalar
        coordinates become xarray's scalar coordinates (with ``units`` and
        ``step``); the domain kind and channel layout go into ``attrs``
        (``signalspace_kind``, ``signalspace_channel_layout``) beside the
        signal's own attrs, which are copied as they are.  Dask values stay lazy.
        :meth:`from_xarray` inverts it exactly.

        Files: ``ss.save`` stores the attrs in one encoded attribute
        (:mod:`signalspace._attrs`) that no CF decoder reinterprets, and
        ``ss.load`` (or :meth:`from_xarray` of what xarray reads) gives them
        back exactly.

        Raises
        ------
        InvalidParameterError
            An attrs key named like signalspace's own (``signalspace_kind``,
            ``signalspace_channel_layout``, ``signalspace_dtype``, ``signalspace_attrs``).
        """
        return to_dataarray(self._values, self._domain, self._channels, self._attrs, self._scalars.values())

    @classmethod
    def from_xarray(cls, da: xr.DataArray, *, kind: str | None = None, drop_coords: bool = False) -> Signal:
        """Build a Signal from an ``xarray.DataArray``.

        Every dimension but ``"channel"`` becomes an axis and must be regularly
        spaced (or carry ``step``/``origin`` attributes, as :meth:`to_xarray`
        writes).  Without a ``channel`` dimension the signal has one channel
        (named by a scalar ``channel`` coordinate, as ``da.sel(channel="L")``
        leaves, else by the DataArray's name).  Numeric scalar coordinates
        become :attr:`scalar_coords`.  Other coordinates (spanning several
        dimensions, or scalar and not numeric) cannot be held by a Signal: they
        raise unless ``drop_coords=True``.

        Examples
        --------
        >>> import numpy as np, xarray as xr
        >>> import signalspace as ss
        >>> da = xr.DataArray(np.zeros((3, 2)), dims=("y", "x"), coords={"y": [0.0, 0.5, 1.0]})
        >>> ss.Signal.from_xarray(da).domain["y"].step
        0.5
        """
        values, domain, channels, attrs, scalars = from_dataarray(da, kind=kind, drop_coords=drop_coords)
        return cls(values, domain, channels, attrs, scalars)
