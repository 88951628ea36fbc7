"""How long a classic netCDF file (CDF-1, CDF-2, CDF-5) must be, from its header.

libnetcdf reads a classic file cut short without a word and returns fill
values (zeros) for the missing bytes.  The header says where every variable
starts and how large it is, so the smallest size of a whole file is known
before any data are read: :func:`check_size` compares it with the file's.

The header layout is the one of the netCDF "classic" format specification
(big-endian; counts and record numbers are 8 bytes in CDF-5, variable offsets
8 bytes in CDF-2 and CDF-5).  Only sizes and offsets are read; names and
attribute values are skipped.  Every count is checked against the bytes left
in the file before it is used, so a crafted header cannot make this loop or
allocate beyond the file's size.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import BinaryIO

from ._errors import FileFormatError

__all__ = ["check_size", "expected_size"]

_DIMENSION, _VARIABLE, _ATTRIBUTE = 0x0A, 0x0B, 0x0C
#: Bytes per value of each nc_type (1..6 classic, 7..11 CDF-5 only).
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}
_STREAMING = (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)
_MAX_VAR_DIMS = 1024  # NC_MAX_VAR_DIMS


class _Header:
    """A cursor over the header with the version's integer widths and the file's size as a bound."""

    def __init__(self, f: BinaryIO, size: int, version: int) -> None:
        self.f = f
        self.size = size
        self.count_format = ">Q" if version == 5 else ">I"  # NON_NEG: nelems, dim lengths, numrecs, vsize
        self.offset_format = ">I" if version == 1 else ">Q"  # OFFSET: a variable's begin

    def read(self, fmt: str) -> int:
        n = struct.calcsize(fmt)
        data = self.f.read(n)
        if len(data) != n:
            raise _Truncated(f"the header ends after {self.f.tell()} bytes")
        return struct.unpack(fmt, data)[0]

    def count(self, what: str, each: int = 4) -> int:
        """A count of entries of at least ``each`` bytes: no more than the bytes left can hold."""
        n = self.read(self.count_format)
        if n * each > self.size - self.f.tell():
            raise _Corrupt(f"the header counts {n} {what}, more than the {self.size}-byte file can hold")
        return n

    def skip(self, nbytes: int) -> None:
        end = self.f.tell() + nbytes + (-nbytes % 4)  # padded to 4 bytes
        if end > self.size:
            raise _Truncated(f"the header runs past the end of the {self.size}-byte file")
        self.f.seek(end)

    def skip_name(self) -> None:
        self.skip(self.count("name bytes", 1))

    def list_tag(self, expected: int) -> int:
        """The number of entries of a dim/attr/var list (0 when ABSENT)."""
        tag = self.read(">I")
        if tag not in (0, expected):
            raise _Corrupt(f"expected list tag {expected:#x} or 0 at byte {self.f.tell() - 4}, got {tag:#x}")
        n = self.count("list entries")
        if tag == 0 and n != 0:
            raise _Corrupt(f"an absent list with {n} entries at byte {self.f.tell()}")
        return n

    def skip_attributes(self) -> None:
        for _ in range(self.list_tag(_ATTRIBUTE)):
            self.skip_name()
            nc_type = self.read(">I")
            if nc_type not in _TYPE_SIZE:
                raise _Corrupt(f"unknown attribute type {nc_type}")
            self.skip(self.count("attribute values", _TYPE_SIZE[nc_type]) * _TYPE_SIZE[nc_type])


class _Truncated(Exception):
    pass


class _Corrupt(Exception):
    pass


def expected_size(f: BinaryIO, size: int) -> int | None:
    """The smallest size in bytes of the whole classic netCDF file open as ``f`` (``size`` bytes long).

    ``None`` when ``f`` is not a classic netCDF file (no ``CDF\\x01``/``\\x02``/``\\x05`` magic).
    Raises ``_Truncated`` or ``_Corrupt`` for a header that cannot be whole.
    """
    magic = f.read(4)
    if len(magic) != 4 or magic[:3] != b"CDF" or magic[3] not in (1, 2, 5):
        return None
    h = _Header(f, size, magic[3])
    numrecs = h.read(h.count_format)
    dims = []
    for _ in range(h.list_tag(_DIMENSION)):
        h.skip_name()
        dims.append(h.read(h.count_format))
    h.skip_attributes()
    variables = []  # (begin, bytes of one record or of the whole variable, is a record variable)
    for _ in range(h.list_tag(_VARIABLE)):
        h.skip_name()
        ndims = h.count("dimension ids")
        if ndims > _MAX_VAR_DIMS:
            raise _Corrupt(f"a variable with {ndims} dimensions (at most {_MAX_VAR_DIMS})")
        ids = [h.read(h.count_format) for _ in range(ndims)]
        if any(i >= len(dims) for i in ids):
            raise _Corrupt(f"a variable refers to dimension ids {ids}, but there are {len(dims)}")
        h.skip_attributes()
        nc_type = h.read(">I")
        if nc_type not in _TYPE_SIZE:
            raise _Corrupt(f"unknown variable type {nc_type}")
        h.read(h.count_format)  # vsize: recomputed below (it saturates for variables over 4 GiB)
        begin = h.read(h.offset_format)
        shape = [dims[i] for i in ids]
        is_record = bool(shape) and shape[0] == 0
        nbytes = math.prod(shape[1:] if is_record else shape) * _TYPE_SIZE[nc_type]
        variables.append((begin, nbytes, is_record))
    end = f.tell()
    records = [v for v in variables if v[2]]
    # one record holds every record variable's slice, each padded to 4 bytes unless it is the only one
    record_size = records[0][1] if len(records) == 1 else sum(n + (-n % 4) for _, n, _ in records)
    for begin, nbytes, is_record in variables:
        if not is_record:
            end = max(end, begin + nbytes)
        elif numrecs not in _STREAMING and numrecs > 0:
            end = max(end, begin + (numrecs - 1) * record_size + nbytes)
    return end


def check_size(path: str | os.PathLike[str]) -> None:
    """Raise :class:`~signalspace.FileFormatError` when a classic netCDF file is shorter than its header says.

    Files of other formats (netCDF-4/HDF5, which checks itself) pass untouched.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, xarray as xr
    >>> from signalspace._netcdf_classic import check_size
    >>> path = os.path.join(tempfile.mkdtemp(), "x.nc")
    >>> xr.DataArray(np.arange(100.0), dims="t").to_netcdf(path, format="NETCDF3_64BIT")
    >>> check_size(path)
    >>> _ = os.truncate(path, os.path.getsize(path) - 8)
    >>> check_size(path)
    Traceback (most recent call last):
    ...
    signalspace._errors.FileFormatError: netCDF file '...x.nc' is truncated: its header places data up to byte ...
    """
    p = Path(path)
    size = p.stat().st_size
    with open(p, "rb") as f:
        try:
            needed = expected_size(f, size)
        except _Truncated as exc:
            raise FileFormatError(f"netCDF file {str(p)!r} is truncated: {exc}") from None
        except _Corrupt as exc:
            raise FileFormatError(f"netCDF file {str(p)!r} has a corrupt (or truncated) header: {exc}") from None
    if needed is not None and needed > size:
        raise FileFormatError(
            f"netCDF file {str(p)!r} is truncated: its header places data up to byte {needed}, "
            f"but the file has {size} bytes ({needed - size} missing)"
        )
