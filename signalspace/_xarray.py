"""DataArray <-> Signal: the one translation between xarray's labelled arrays and signalspace's parts.

A Signal is ``values`` on a :class:`~signalspace.Domain` with
:class:`~signalspace.Channels` and ``attrs``; a DataArray has dims, coordinates
and attributes.  :func:`to_dataarray` and :func:`from_dataarray` map one onto
the other exactly, and :func:`axis_from_coord` reads one regularly spaced
coordinate as an :class:`~signalspace.Axis`.  In memory the signal's attrs are
copied as they are; the file writers store them with :mod:`signalspace._attrs`
(one JSON attribute no CF decoder reinterprets), which :func:`from_dataarray`
reads back, also from what xarray itself reads.  Each axis gets a lazy
``RangeIndex`` coordinate (no array as long as the axis), and a coordinate with
``step``/``origin`` attributes is checked at a few samples only (a lazily
stored one is not read whole).  This module works on the parts (it sits below
:mod:`signalspace.signal`); ``Signal.to_xarray`` and ``Signal.from_xarray``
call it.  xarray is imported when first needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._attrs import ATTRS_KEY, DTYPE_KEY, KIND_KEY, LAYOUT_KEY, RESERVED
from ._attrs import decode as decode_attrs
from ._errors import InvalidParameterError, InvalidTypeError, SignalspaceError
from ._validation import describe, finite_float
from .domain import CHANNEL_DIM, Axis, Channels, Domain

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = [
    "axis_from_coord", "convolved_axis", "from_dataarray", "is_dataarray", "plain", "to_dataarray",
]


def plain(value: Any) -> Any:
    """numpy scalars and arrays inside containers as Python objects, for a value comparison."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    return value


def to_dataarray(
    values: Any, domain: Domain, channels: Channels, attrs: Mapping[str, Any], scalars: Iterable[Axis] = ()
) -> xr.DataArray:
    """The DataArray of a Signal's parts: dims ``axis names + ("channel",)`` (see ``Signal.to_xarray``).

    ``scalars`` (one-sample Axes) become scalar coordinates with ``units`` and ``step`` attributes.
    """
    import xarray as xr

    coords: dict[str, Any] = {}
    ranges = []  # axes whose coordinate is a lazy RangeIndex (no n-long array, however long the axis)
    for axis in domain.axes:
        axis_attrs = {"step": axis.step, "origin": axis.origin}
        if axis.unit:
            axis_attrs["units"] = axis.unit
        ranged = _range_coordinate(axis)
        if ranged is None:
            coords[axis.name] = (axis.name, axis.coords, axis_attrs)
        else:
            ranges.append((ranged, axis.name, axis_attrs))
    for axis in scalars:
        scalar_attrs: dict[str, Any] = {"step": axis.step}
        if axis.unit:
            scalar_attrs["units"] = axis.unit
        coords[axis.name] = ((), axis.origin, scalar_attrs)
    coords[CHANNEL_DIM] = (CHANNEL_DIM, list(channels.names))
    for key, per_channel in channels.coords.items():
        if key in coords or key in domain.names:
            raise InvalidParameterError(
                f"channel coordinate {key!r} has the name of a dimension; rename it before to_xarray"
            )
        unit = channels.units.get(key)
        coords[key] = (CHANNEL_DIM, list(per_channel), {"units": unit} if unit else {})
    reserved = sorted(repr(k) for k in RESERVED.intersection(attrs))
    if reserved:
        raise InvalidParameterError(
            f"attrs {', '.join(reserved)}: these names are reserved for signalspace's own metadata in xarray "
            "objects and files (domain kind, channel layout, dtype, encoded attributes); rename them"
        )
    meta = dict(attrs)
    meta[KIND_KEY] = domain.kind
    if channels.layout is not None:
        meta[LAYOUT_KEY] = channels.layout
    da = xr.DataArray(values, dims=(*domain.names, CHANNEL_DIM), coords=coords, attrs=meta)
    for ranged, name, axis_attrs in ranges:  # as Coordinates objects: a plain mapping would lose the index
        da = da.assign_coords(ranged)
        da[name].attrs.update(axis_attrs)
    return da


def _range_coordinate(axis: Axis) -> Any:
    """The coordinate of ``axis`` as ``xarray.Coordinates`` holding a lazy RangeIndex (xarray >= 2025.6), or None.

    Its values are ``origin + step * i``, exactly ``axis.coords``, computed only when read.
    """
    if axis.size < 2:
        return None
    try:
        import xarray as xr
        from xarray.indexes import RangeIndex
    except ImportError:  # an older xarray: the coordinate is an array
        return None
    index = RangeIndex.arange(axis.origin, axis.origin + axis.step * (axis.size - 0.5), axis.step, dim=axis.name)
    if index.size != axis.size:  # pragma: no cover - float rounding of the length; never seen
        return None
    return xr.Coordinates.from_xindex(index)


def from_dataarray(
    da: xr.DataArray, *, kind: str | None = None, drop_coords: bool = False
) -> tuple[Any, Domain, Channels, dict[str, Any], list[Axis]]:
    """``(values, domain, channels, attrs, scalar coordinates)`` of a DataArray (see ``Signal.from_xarray``).

    A DataArray that a signalspace file writer made (``signalspace_attrs``,
    ``signalspace_dtype``) gives back the attrs and the dtype it was written
    with, also when xarray itself read the file.
    """
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise InvalidTypeError(f"da must be an xarray.DataArray, got {describe(da)}")
    attrs = dict(da.attrs)
    stored_kind = attrs.pop(KIND_KEY, "generic")
    kind = kind or stored_kind
    layout = attrs.pop(LAYOUT_KEY, None)
    written_dtype = attrs.pop(DTYPE_KEY, None)
    if ATTRS_KEY in attrs:  # written by signalspace's file writers: the exact user attributes
        attrs.update(decode_attrs(attrs.pop(ATTRS_KEY)))
    if CHANNEL_DIM in da.dims:
        da = da.transpose(..., CHANNEL_DIM)
        space_dims = da.dims[:-1]
    else:
        space_dims = da.dims
    scalars, channel_name = [], None
    for key, coord in da.coords.items():
        if coord.dims != () or key in da.dims:
            continue
        if key == CHANNEL_DIM and CHANNEL_DIM not in da.dims:
            channel_name = str(coord.values.item())  # what da.sel(channel="L") leaves
        elif coord.dtype.kind in "iuf" and np.isfinite(coord.values):
            step = coord.attrs.get("step", 1.0)
            step = finite_float(step, f"scalar coordinate {key!r} attribute 'step'") if step else 1.0
            unit = coord.attrs.get("units", "")
            if not isinstance(unit, str):
                raise InvalidTypeError(f"scalar coordinate {key!r} attribute 'units' must be a string, got "
                                       f"{describe(unit)}")
            scalars.append(Axis(str(key), 1, step=step, origin=float(coord.values), unit=unit))
    held = {axis.name for axis in scalars} | ({CHANNEL_DIM} if channel_name is not None else set())
    spanning = sorted(
        str(k) for k, v in da.coords.items() if k not in da.dims and v.dims != (CHANNEL_DIM,) and k not in held
    )
    if spanning and not drop_coords:
        raise InvalidParameterError(
            f"coordinates {spanning} are not along a single axis or the channel dimension and a Signal cannot "
            "hold them; pass drop_coords=True to drop them, or keep them beside the Signal"
        )
    axes = [axis_from_coord(da, str(dim)) for dim in space_dims]
    if CHANNEL_DIM in da.dims:
        if CHANNEL_DIM in da.coords:
            names = tuple(str(n) for n in da.coords[CHANNEL_DIM].values.tolist())
        else:
            names = Channels.generic(da.sizes[CHANNEL_DIM]).names
        extra = {
            str(k): tuple(v.values.tolist())
            for k, v in da.coords.items()
            if k != CHANNEL_DIM and v.dims == (CHANNEL_DIM,)
        }
        units = {
            str(k): str(da.coords[k].attrs["units"]) for k in extra if "units" in da.coords[k].attrs
        }
        channels = Channels(names, layout=layout, coords=extra, units=units)
    else:
        name = channel_name if channel_name is not None else str(da.name) if da.name is not None else "c0"
        channels = Channels((name,), layout=layout)
    values = da.data if written_dtype is None else _as_written(da.data, written_dtype)
    return values, Domain(tuple(axes), kind=kind), channels, attrs, scalars


def _as_written(values: Any, written: Any) -> Any:
    """``values`` in the dtype a signalspace file writer recorded (netCDF3 stores uint8 as int16, int64 as int32...).

    xarray narrows or widens only when every value fits, so the cast back is exact; in-memory values are checked.
    """
    try:
        dtype = np.dtype(written) if isinstance(written, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "biufc":
        raise InvalidParameterError(f"attribute {DTYPE_KEY!r} must name a numeric dtype, got {describe(written)}")
    if np.dtype(values.dtype) == dtype:
        return values
    restored = values.astype(dtype)
    if not hasattr(values, "__dask_graph__") and not np.array_equal(restored, values, equal_nan=dtype.kind in "fc"):
        raise InvalidParameterError(
            f"the values (dtype {values.dtype}) do not fit the dtype {dtype} they were written with"
        )
    return restored


#: Coordinate samples compared with the ``step``/``origin`` attributes that define an axis (evenly spread, ends
#: included): enough to catch a coordinate that disagrees, without reading a lazily stored one whole.
_CHECKED_SAMPLES = 9


def axis_from_coord(da: xr.DataArray, dim: str) -> Axis:
    """The regularly spaced coordinate of dim ``dim`` as an Axis (from its ``step``/``origin`` attributes, or
    its values); a dim without coordinate is unit-spaced from 0.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> axis_from_coord(xr.DataArray(np.zeros(3), dims=("t",), coords={"t": [1.0, 1.5, 2.0]}), "t")
    Axis(name='t', size=3, step=0.5, origin=1.0, unit='')
    """
    size = int(da.sizes[dim])
    if dim not in da.coords:
        return Axis(dim, size)
    coord = da.coords[dim]
    unit = coord.attrs.get("units", "")
    if not isinstance(unit, str):
        raise InvalidTypeError(f"coordinate {dim!r} attribute 'units' must be a string, got {describe(unit)}")
    if coord.dtype.kind not in "iuf":
        raise InvalidTypeError(
            f"coordinate {dim!r} must be numeric to become an Axis, got dtype {coord.dtype}"
        )
    if "step" in coord.attrs and "origin" in coord.attrs:
        step = finite_float(coord.attrs["step"], f"coordinate {dim!r} attribute 'step'", nonzero=True)
        origin = finite_float(coord.attrs["origin"], f"coordinate {dim!r} attribute 'origin'")
        axis = Axis(dim, size, step=step, origin=origin, unit=unit)
        at = np.unique(np.linspace(0, size - 1, min(size, _CHECKED_SAMPLES)).round().astype(np.int64))
        sampled = np.asarray(coord.isel({dim: at}).values, dtype=np.float64)
        if not np.allclose(origin + step * at, sampled, rtol=1e-9, atol=1e-12 * abs(step)):
            raise InvalidParameterError(
                f"coordinate {dim!r} disagrees with its step/origin attributes; drop them or fix the values"
            )
        return axis
    values = np.asarray(coord.values)
    if size == 1:
        return Axis(dim, 1, origin=float(values[0]), unit=unit)
    steps = np.diff(values.astype(np.float64))
    step = float((values[-1] - values[0]) / (size - 1))
    if not np.allclose(steps, step, rtol=1e-6, atol=0):
        raise InvalidParameterError(
            f"coordinate {dim!r} is not regularly spaced (steps from {steps.min()} to {steps.max()}); "
            "a Signal needs regular sampling"
        )
    return Axis(dim, size, step=step, origin=float(values[0]), unit=unit)


def is_dataarray(value: Any) -> bool:
    """True for an ``xarray.DataArray`` (without importing xarray)."""
    return type(value).__module__.startswith("xarray") and hasattr(value, "dims")


def convolved_axis(da: Any, dim: str) -> Axis:
    """The Axis of DataArray dim ``dim`` that an operator convolves, refusing what a Signal would refuse."""
    coord = da.coords.get(dim)
    if coord is not None and coord.dtype.kind in "mM":
        raise InvalidTypeError(
            f"x's coordinate {dim!r} along a convolved dim has dtype {coord.dtype}; Conv needs numeric, regularly "
            f"spaced coordinates (convert datetimes to seconds, e.g. (t - t[0]) / np.timedelta64(1, 's'))"
        )
    try:
        return axis_from_coord(da, dim)
    except SignalspaceError as error:
        raise type(error)(f"x's coordinate along the convolved dim {dim!r}: {error}") from None
