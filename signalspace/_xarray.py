"""DataArray <-> Signal: the one translation between xarray's labelled arrays and signalspace's parts.

A Signal is ``values`` on a :class:`~signalspace.Domain` with
:class:`~signalspace.Channels` and ``attrs``; a DataArray has dims, coordinates
and attributes.  :func:`to_dataarray` and :func:`from_dataarray` map one onto
the other exactly (also through netCDF files), :func:`axis_from_coord` reads
one regularly spaced coordinate as an :class:`~signalspace.Axis`, and
:func:`encode_attrs` / :func:`decode_attrs` write attribute values netCDF cannot
hold (bool, None, tuples, dicts) as Python literals.  This module works on the
parts (it sits below :mod:`signalspace.signal`); ``Signal.to_xarray`` and
``Signal.from_xarray`` call it.  xarray is imported when first needed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError, SignalspaceError
from ._validation import describe
from .domain import CHANNEL_DIM, Axis, Channels, Domain

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = [
    "axis_from_coord", "convolved_axis", "decode_attrs", "encode_attrs", "from_dataarray", "is_dataarray", "plain",
    "to_dataarray",
]

KIND_ATTR = "signalspace_kind"
LAYOUT_ATTR = "signalspace_channel_layout"
LITERAL_ATTR = "signalspace_literal_attrs"


def _netcdf_safe(value: Any) -> bool:
    """True for attribute values netCDF stores and gives back unchanged: str, int, float, 1-D numeric arrays."""
    if isinstance(value, (str, np.str_)):
        return True
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.integer, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 1 and value.size > 1 and value.dtype.kind in "iuf"


def plain(value: Any) -> Any:
    """numpy scalars and arrays inside containers as Python objects, so repr/literal_eval round-trips them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    return value


def encode_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """attrs whose non-netCDF values (bool, None, tuples, dicts, complex...) are written as Python literals."""
    out: dict[str, Any] = {}
    literal: list[str] = []
    for key, value in attrs.items():
        if _netcdf_safe(value):
            out[key] = value
            continue
        text = repr(plain(value))
        try:
            ok = ast.literal_eval(text) == plain(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            ok = False
        if not ok:
            raise InvalidTypeError(
                f"attrs[{key!r}] cannot be stored in a labelled array: {describe(value)}; use numbers, strings, "
                "1-D numeric arrays, or containers of them"
            )
        out[key] = text
        literal.append(key)
    if literal:
        out[LITERAL_ATTR] = repr(literal)
    return out


def decode_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`encode_attrs` (in place: the literal values are read back)."""
    literal = ast.literal_eval(attrs.pop(LITERAL_ATTR, "[]"))
    for key in literal:
        if key in attrs:
            attrs[key] = ast.literal_eval(attrs[key])
    return attrs


def to_dataarray(
    values: Any, domain: Domain, channels: Channels, attrs: Mapping[str, Any], scalars: Iterable[Axis] = ()
) -> xr.DataArray:
    """The DataArray of a Signal's parts: dims ``axis names + ("channel",)`` (see ``Signal.to_xarray``).

    ``scalars`` (one-sample Axes) become scalar coordinates with ``units`` and ``step`` attributes.
    """
    import xarray as xr

    coords: dict[str, Any] = {}
    for axis in domain.axes:
        axis_attrs = {"step": axis.step, "origin": axis.origin}
        if axis.unit:
            axis_attrs["units"] = axis.unit
        coords[axis.name] = (axis.name, axis.coords, axis_attrs)
    for axis in scalars:
        scalar_attrs: dict[str, Any] = {"step": axis.step}
        if axis.unit:
            scalar_attrs["units"] = axis.unit
        coords[axis.name] = ((), axis.origin, scalar_attrs)
    coords[CHANNEL_DIM] = (CHANNEL_DIM, list(channels.names))
    for key, per_channel in channels.coords.items():
        if key in coords:
            raise InvalidParameterError(
                f"channel coordinate {key!r} has the name of a dimension; rename it before to_xarray"
            )
        unit = channels.units.get(key)
        coords[key] = (CHANNEL_DIM, list(per_channel), {"units": unit} if unit else {})
    encoded = encode_attrs(attrs)
    encoded[KIND_ATTR] = domain.kind
    if channels.layout is not None:
        encoded[LAYOUT_ATTR] = channels.layout
    return xr.DataArray(values, dims=(*domain.names, CHANNEL_DIM), coords=coords, attrs=encoded)


def from_dataarray(
    da: xr.DataArray, *, kind: str | None = None, drop_coords: bool = False
) -> tuple[Any, Domain, Channels, dict[str, Any], list[Axis]]:
    """``(values, domain, channels, attrs, scalar coordinates)`` of a DataArray (see ``Signal.from_xarray``)."""
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise InvalidTypeError(f"da must be an xarray.DataArray, got {describe(da)}")
    attrs = decode_attrs(dict(da.attrs))
    kind = kind or attrs.pop(KIND_ATTR, "generic")
    attrs.pop(KIND_ATTR, None)
    layout = attrs.pop(LAYOUT_ATTR, None)
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
            scalars.append(Axis(str(key), 1, step=float(step) if step else 1.0, origin=float(coord.values),
                                unit=str(coord.attrs.get("units", ""))))
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
    return da.data, Domain(tuple(axes), kind=kind), channels, attrs, scalars


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
    unit = str(coord.attrs.get("units", ""))
    values = np.asarray(coord.values)
    if "step" in coord.attrs and "origin" in coord.attrs:
        axis = Axis(dim, size, step=float(coord.attrs["step"]), origin=float(coord.attrs["origin"]), unit=unit)
        if not np.allclose(axis.coords, values, rtol=1e-9, atol=1e-12 * abs(axis.step)):
            raise InvalidParameterError(
                f"coordinate {dim!r} disagrees with its step/origin attributes; drop them or fix the values"
            )
        return axis
    if values.dtype.kind not in "iuf":
        raise InvalidTypeError(
            f"coordinate {dim!r} must be numeric to become an Axis, got dtype {values.dtype}"
        )
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
