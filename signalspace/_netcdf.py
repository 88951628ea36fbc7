"""Signals in netCDF files, through xarray: any domain, lossless, atomic, lazy on request.

What is written: one data variable (the values, dims ``axis names + ("channel",)``),
one coordinate per axis (with ``step``, ``origin`` and ``units``), the channel
names and per-channel coordinates, and three attributes of signalspace's own:
``signalspace_kind``, ``signalspace_channel_layout`` and ``signalspace_attrs``,
the user attributes encoded by :mod:`signalspace._attrs` (so that no CF decoder
reinterprets a user attribute named ``scale_factor`` or ``units``).  Reading
applies CF decoding only to what xarray itself wrote (the fill value, booleans,
strings); times are never decoded, so an axis or attribute unit such as
``"days since 2000-01-01"`` stays the text it was.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
from typing import Any

import numpy as np

from ._attrs import ATTRS_KEY, DTYPE_KEY, RESERVED
from ._attrs import encode as encode_attrs
from ._errors import FileFormatError, InvalidTypeError, MemoryBudgetError, SignalspaceError, require
from ._io import atomic_path, checked_between_tasks, existing_file, signals_deferred, utf8_alias
from ._netcdf_classic import check_size
from ._validation import check_budget, describe
from .signal import Signal

__all__ = ["NETCDF_SUFFIXES", "dataarray_for_file", "in_write_chunks", "lazy_coordinates", "load_netcdf", "save_netcdf"]

#: File extensions read and written as netCDF.
NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf")


def save_netcdf(signal: Signal, path: str | os.PathLike[str], **to_netcdf: Any) -> None:
    """Write ``signal`` to a netCDF file with ``xarray.DataArray.to_netcdf``, atomically.

    A dask-backed signal is computed and written chunk by chunk by xarray; if
    anything fails (a chunk, the disk), no partial file is left and an existing
    file is untouched.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, signalspace as ss
    >>> x = ss.Signal(np.arange(6.0).reshape(3, 2), ss.Domain.from_shape((3,)))
    >>> path = os.path.join(tempfile.mkdtemp(), "x.nc")
    >>> ss.save(x, path)
    >>> ss.load(path).identical(x)
    True
    """
    da = dataarray_for_file(signal)
    if signal.dtype.kind == "c" and to_netcdf.get("engine") in (None, "netcdf4") and _has_netcdf4():
        to_netcdf.setdefault("auto_complex", True)  # netCDF4 stores complex values (a compound type) on request
    with atomic_path(path) as tmp, signals_deferred() as check:
        da, scheduler = in_write_chunks(da)
        try:
            with scheduler, checked_between_tasks(check, [da]):
                da.to_netcdf(tmp, **to_netcdf)
        except (ValueError, TypeError, KeyError, RuntimeError, OSError, AttributeError) as exc:
            raise FileFormatError(f"cannot write netCDF file {str(path)!r}: {exc}") from exc


#: In-memory values larger than this are written in chunks of about this size (when dask is installed), so
#: that Ctrl-C stops a save at the next chunk instead of after the whole write.
WRITE_CHUNK_BYTES = 16 * 2**20


def in_write_chunks(da: Any) -> tuple[Any, Any]:
    """``da`` ready to be written chunk by chunk, and the scheduler to write it with.

    In-memory values larger than :data:`WRITE_CHUNK_BYTES` become chunks of
    about that size along the first axis, written by the synchronous scheduler
    in this thread (so that a signal stops the save at a chunk); dask values keep
    their chunks and the active scheduler.  Axis coordinates of chunked values
    become dask arrays chunked like the values, without an index, so that
    writing an axis of 10^8 samples never holds its 10^8 coordinates at once.
    """
    scheduler: Any = contextlib.nullcontext()
    if da.chunks is None and da.nbytes > WRITE_CHUNK_BYTES:
        try:
            import dask
        except ImportError:  # without dask, one write: a signal is acted on when it ends
            return da, scheduler
        da = da.chunk({da.dims[0]: max(1, WRITE_CHUNK_BYTES * da.shape[0] // da.nbytes)})
        scheduler = dask.config.set(scheduler="synchronous")
    if da.chunks is None:
        return da, scheduler
    import dask.array
    import xarray as xr

    lazy = {}
    for dim, chunks in zip(da.dims, da.chunks, strict=True):
        coord = da.coords.get(dim)
        if coord is None or "step" not in coord.attrs or len(chunks) < 2:
            continue
        values = coord.attrs["origin"] + coord.attrs["step"] * dask.array.arange(sum(chunks), chunks=chunks)
        lazy[dim] = xr.Variable(dim, values, coord.attrs)
    if lazy:
        da = da.drop_indexes(list(lazy)).assign_coords(xr.Coordinates(lazy, indexes={}))
    return da, scheduler


@functools.cache
def lazy_coordinates() -> dict[str, Any]:
    """Options of xarray's readers that leave dimension coordinates unread (no index), when xarray has them."""
    import inspect

    import xarray as xr

    known = inspect.signature(xr.open_dataset).parameters
    return {"create_default_indexes": False} if "create_default_indexes" in known else {}


@functools.cache
def _has_netcdf4() -> bool:
    """True when the netCDF4 library (xarray's default engine, the one that stores complex values) is installed."""
    return importlib.util.find_spec("netCDF4") is not None


def dataarray_for_file(signal: Signal) -> Any:
    """``signal.to_xarray()`` with its attrs encoded into :data:`~signalspace._attrs.ATTRS_KEY` (netCDF, zarr).

    Examples
    --------
    >>> import numpy as np, signalspace as ss
    >>> from signalspace._netcdf import dataarray_for_file
    >>> x = ss.Signal(np.zeros(3), ss.Domain.from_shape((3,)), attrs={"scale_factor": 2.0})
    >>> sorted(dataarray_for_file(x).attrs)
    ['signalspace_attrs', 'signalspace_dtype', 'signalspace_kind']
    """
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    da = signal.to_xarray()
    if signal.dtype == np.float16:  # no netCDF type holds half floats: float32 holds them exactly (dtype restored)
        da = da.astype(np.float32, keep_attrs=True)
    da.attrs = {key: value for key, value in da.attrs.items() if key in RESERVED}
    da.attrs[DTYPE_KEY] = signal.dtype.str
    da.attrs[ATTRS_KEY] = encode_attrs(signal.attrs)
    return da


def load_netcdf(path: str | os.PathLike[str], *, chunks: Any = None) -> Signal:
    """Read a Signal from a netCDF file holding one data variable (as :func:`save_netcdf` writes).

    With ``chunks`` (as for ``xarray.open_dataarray``, e.g. ``{}`` for the
    file's own chunks or ``{"time": 2**20}``) the values are a dask array read
    lazily; without, the file is read into memory and closed.
    """
    import xarray as xr

    if chunks is not None:
        require("dask", "reading lazily (chunks=)")

    p = existing_file(path)
    options: dict[str, Any] = {"decode_times": False, "decode_timedelta": False}
    if _has_netcdf4():
        options["auto_complex"] = True
    check_size(p)
    try:
        readable = utf8_alias(p)  # netCDF4 opens only UTF-8 names
        if chunks is None:  # the values are read, the axis coordinates only where from_xarray checks them
            with xr.open_dataarray(readable, **options, **lazy_coordinates()) as da:
                check_budget(da.nbytes, None, f"the values {da.shape} {da.dtype} of {str(p)!r}", None,
                             "read them lazily (chunks={})")
                return Signal.from_xarray(da).compute()
        return Signal.from_xarray(xr.open_dataarray(readable, chunks=chunks, **options, **lazy_coordinates()))
    except MemoryBudgetError:
        raise
    except SignalspaceError as exc:
        raise FileFormatError(f"cannot read netCDF file {str(p)!r}: {exc}") from exc
    except (ValueError, TypeError, KeyError, IndexError, OSError, RuntimeError) as exc:
        raise FileFormatError(f"cannot read netCDF file {str(p)!r}: {exc}") from exc
