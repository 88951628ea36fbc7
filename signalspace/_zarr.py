"""Signals in zarr stores, through xarray: any domain, lossless like netCDF, chunked, never half-written.

A ``.zarr`` store is a folder.  :func:`save_zarr` writes what :func:`signalspace._netcdf.save_netcdf`
writes (one data variable ``signal``, the axis and channel coordinates, the attributes of
:mod:`signalspace._attrs`), chunk by chunk, into a temporary store beside the target, marks it
complete (a root attribute written after every chunk), and only then renames it into place
(:func:`signalspace._io.atomic_path` with ``directory=True``): an interrupted save leaves the
previous store, or nothing.  :func:`load_zarr` refuses a store written by signalspace without its
completion mark (e.g. a copy that stopped half-way), and reads lazily with ``chunks=``.

zarr is an optional dependency (the ``zarr`` extra); without it both functions say how to install it.
"""

from __future__ import annotations

import os
from typing import Any

from ._attrs import ATTRS_KEY
from ._errors import FileFormatError, MemoryBudgetError, SignalspaceError, require
from ._io import as_path, atomic_path, checked_between_tasks, signals_deferred
from ._netcdf import dataarray_for_file, in_write_chunks, lazy_coordinates
from ._validation import check_budget
from .signal import Signal

__all__ = ["COMPLETE_KEY", "ZARR_SUFFIXES", "load_zarr", "save_zarr"]

#: Folder extensions read and written as zarr stores.
ZARR_SUFFIXES = (".zarr",)

#: Root attribute set once every chunk of a store is written.
COMPLETE_KEY = "signalspace_complete"

_VARIABLE = "signal"


def _zarr() -> Any:
    require("zarr", "reading and writing .zarr stores", extra="zarr")
    import zarr

    return zarr


def _storable(da: Any) -> Any:
    """Text coordinates as variable-length strings (zarr 3 has no specified fixed-width text type), and dask
    chunks made regular (zarr needs equal chunks but the last)."""
    for name in list(da.coords):
        coord = da.coords[name]
        if coord.dtype.kind == "U":
            if name in da.indexes:  # an index keeps its numpy dtype: drop it (the reader builds it again)
                da = da.drop_indexes(name)
            da = da.assign_coords({name: (coord.dims, coord.values.astype(object), coord.attrs)})
    if da.chunks is not None:
        regular = {}
        for dim, sizes in zip(da.dims, da.chunks, strict=True):
            if len(set(sizes[:-1])) > 1 or (len(sizes) > 1 and sizes[-1] > sizes[0]):
                regular[dim] = max(sizes)
        if regular:
            da = da.chunk(regular)
    return da


def save_zarr(signal: Signal, path: str | os.PathLike[str], **to_zarr: Any) -> None:
    """Write ``signal`` to a zarr store with ``xarray.Dataset.to_zarr``, atomically.

    In-memory values are written in chunks of about 16 MiB along the first
    axis; dask values keep their chunks (made regular if needed).  An existing
    store at ``path`` is replaced once the new one is complete.  Keywords go to
    ``to_zarr`` (``encoding=``, ``zarr_format=``...).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, signalspace as ss
    >>> x = ss.Signal(np.arange(6.0).reshape(3, 2), ss.Domain.from_shape((3,)), attrs={"scale_factor": 2})
    >>> path = os.path.join(tempfile.mkdtemp(), "x.zarr")
    >>> ss.save(x, path)
    >>> ss.load(path).identical(x)
    True
    """
    zarr = _zarr()
    target = as_path(path)
    da = dataarray_for_file(signal)
    if target.exists() and not _is_store(target):
        raise FileFormatError(f"cannot write {str(target)!r}: it exists and is not a zarr store")
    with atomic_path(target, directory=True) as tmp, signals_deferred() as check:
        da, scheduler = in_write_chunks(da)
        da = _storable(da)
        try:
            with scheduler, checked_between_tasks(check, [da]):
                da.to_dataset(name=_VARIABLE).to_zarr(tmp, mode="w", consolidated=False, **to_zarr)
            check()
            group = zarr.open_group(str(tmp), mode="r+")
            group.attrs[COMPLETE_KEY] = True
        except (ValueError, TypeError, KeyError, RuntimeError, OSError, AttributeError) as exc:
            raise FileFormatError(f"cannot write zarr store {str(target)!r}: {exc}") from exc


def _is_store(path: Any) -> bool:
    return path.is_dir() and any((path / name).exists() for name in ("zarr.json", ".zgroup", ".zarray", ".zattrs"))


def load_zarr(path: str | os.PathLike[str], *, chunks: Any = None) -> Signal:
    """Read a Signal from a zarr store holding one data variable (as :func:`save_zarr` writes).

    With ``chunks`` (as for ``xarray.open_zarr``: ``{}`` for the store's own
    chunks, ``{"time": 2**20}``...) the values are a dask array read lazily;
    without, the store is read into memory.

    Raises
    ------
    FileFormatError
        Not a store, a store without exactly one data variable, a store that
        signalspace wrote but did not finish (no completion mark), or values
        the store cannot give.
    """
    _zarr()
    import xarray as xr

    if chunks is not None:
        require("dask", "reading lazily (chunks=)")
    p = as_path(path)
    if not _is_store(p):
        raise FileFormatError(f"{str(p)!r} is not a zarr store (no folder with zarr.json, .zgroup or .zarray)")
    options = {"decode_times": False, "decode_timedelta": False, "consolidated": False, **lazy_coordinates()}
    try:
        ds = xr.open_zarr(p, chunks=chunks, **options)
        names = list(ds.data_vars)
        if len(names) != 1:
            raise FileFormatError(f"zarr store {str(p)!r} holds {len(names)} data variables {names}, not one")
        da = ds[names[0]]
        if ATTRS_KEY in da.attrs and ds.attrs.get(COMPLETE_KEY) is not True:
            raise FileFormatError(
                f"zarr store {str(p)!r} is incomplete: signalspace began writing it but never marked it complete "
                "(an interrupted copy or write); write it again"
            )
        if chunks is None:
            check_budget(da.nbytes, None, f"the values {da.shape} {da.dtype} of {str(p)!r}", None,
                         "read them lazily (chunks={})")
        signal = Signal.from_xarray(da)  # axis coordinates are read only where from_xarray checks them
        if chunks is None:
            signal = signal.compute()
    except (FileFormatError, MemoryBudgetError):
        raise
    except SignalspaceError as exc:
        raise FileFormatError(f"cannot read zarr store {str(p)!r}: {exc}") from exc
    except (ValueError, TypeError, KeyError, IndexError, OSError, RuntimeError) as exc:
        raise FileFormatError(f"cannot read zarr store {str(p)!r}: {exc}") from exc
    return signal
