"""Signals in netCDF files, through xarray: any domain, lossless, atomic, lazy on request."""

from __future__ import annotations

import os
from typing import Any

from ._errors import FileFormatError, InvalidTypeError
from ._io import atomic_path, existing_file
from ._validation import describe
from .signal import Signal

__all__ = ["NETCDF_SUFFIXES", "load_netcdf", "save_netcdf"]

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
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    da = signal.to_xarray()
    with atomic_path(path) as tmp:
        try:
            da.to_netcdf(tmp, **to_netcdf)
        except (ValueError, TypeError, RuntimeError, OSError) as exc:
            raise FileFormatError(f"cannot write netCDF file {str(path)!r}: {exc}") from exc


def load_netcdf(path: str | os.PathLike[str], *, chunks: Any = None) -> Signal:
    """Read a Signal from a netCDF file holding one data variable (as :func:`save_netcdf` writes).

    With ``chunks`` (as for ``xarray.open_dataarray``, e.g. ``{}`` for the
    file's own chunks or ``{"time": 2**20}``) the values are a dask array read
    lazily; without, the file is read into memory and closed.
    """
    import xarray as xr

    p = existing_file(path)
    try:
        if chunks is None:
            da = xr.load_dataarray(p)
        else:
            da = xr.open_dataarray(p, chunks=chunks)
    except (ValueError, OSError, RuntimeError) as exc:
        raise FileFormatError(f"cannot read netCDF file {str(p)!r}: {exc}") from exc
    return Signal.from_xarray(da)
