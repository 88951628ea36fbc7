"""Free metadata (``Signal.attrs``) in files: one typed, bounded JSON text that no reader reinterprets.

netCDF and zarr attributes are read through CF conventions: a user attribute
named ``scale_factor``, ``add_offset``, ``_FillValue``, ``missing_value`` or
``units = "days since ..."`` changes the values a reader returns, and netCDF
cannot hold ``None``, booleans, tuples, dicts, complex numbers or names with a
``/``.  So signalspace writes every user attribute into *one* attribute of its
own, :data:`ATTRS_KEY`, holding the JSON text :func:`encode` makes, and reads
it back with :func:`decode`.  The values are untouched by any CF decoder
(they are not attributes of their own), every reader sees readable JSON, and
the round trip is exact for every value :func:`encode` accepts:

==================  ==========================================================
Python value        JSON node
==================  ==========================================================
None, bool, int,    themselves (strings may hold any character, NUL included)
str, finite float
list                a JSON array of nodes
non-finite float    ``{"float": "nan" | "inf" | "-inf"}``
complex             ``{"complex": [real, imag]}``
tuple, set,         ``{"tuple": [...]}``, ``{"set": [...]}``,
frozenset           ``{"frozenset": [...]}``
dict                ``{"dict": [[key, value], ...]}`` (any encodable hashable key, in order)
bytes               ``{"bytes": "<base64>"}``
numpy array         ``{"array": {"dtype": "<f8", "shape": [...], "data": "<base64>"}}``
numpy scalar        ``{"scalar": {...the same, shape []...}}``
==================  ==========================================================

``numpy.str_`` values are stored as ``str``.  Other types (objects,
datetimes, subclasses such as ``IntEnum``) are refused by name.

Decoding is bounded: the text's size and nesting depth are checked *before*
it is parsed (:class:`AttrLimits`), and a text that is not what
:func:`encode` writes raises :class:`~signalspace.InvalidParameterError`
naming the problem (file readers re-raise it as a
:class:`~signalspace.FileFormatError` naming the file).  Nothing is evaluated.

Examples
--------
>>> import numpy as np
>>> from signalspace._attrs import decode, encode
>>> text = encode({"scale_factor": 2.0, "pair": (1, None), "band": np.arange(3, dtype=np.int16)})
>>> text[:60]
'{"dict": [["scale_factor", 2.0], ["pair", {"tuple": [1, null'
>>> back = decode(text)
>>> back["pair"], back["band"].dtype
((1, None), dtype('int16'))
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError
from ._validation import describe

__all__ = ["ATTRS_KEY", "DTYPE_KEY", "KIND_KEY", "LAYOUT_KEY", "LIMITS", "RESERVED", "AttrLimits", "decode", "encode"]

#: The file attribute that holds the encoded user attributes.
ATTRS_KEY = "signalspace_attrs"
#: The attribute that holds the domain kind (also in :meth:`Signal.to_xarray`'s attrs).
KIND_KEY = "signalspace_kind"
#: The attribute that holds the channel layout, when there is one.
LAYOUT_KEY = "signalspace_channel_layout"
#: The attribute that holds the dtype of the values as written (netCDF3 stores some integers in wider types).
DTYPE_KEY = "signalspace_dtype"

#: The attributes signalspace writes beside the data.  A user attribute with one of these names would be
#: taken for signalspace's own: :meth:`Signal.to_xarray` (and so every save) refuses it.
RESERVED = frozenset({KIND_KEY, LAYOUT_KEY, DTYPE_KEY, ATTRS_KEY})


@dataclass(frozen=True)
class AttrLimits:
    """Bounds of the attribute codec, checked on write (so a saved file always reads back) and before parsing.

    Attributes
    ----------
    max_bytes : int
        Largest encoded text, in bytes (4 MiB: a 3 MB array, or a long score of notes).
    max_depth : int
        Deepest nesting of containers (lists, tuples, dicts, sets) inside one attribute value.
    """

    max_bytes: int = 4 * 2**20
    max_depth: int = 32


#: The limits :func:`encode` and :func:`decode` apply.
LIMITS = AttrLimits()

_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_ARRAY_KINDS = "biufc"  # bool, signed, unsigned, float, complex: what a byte buffer holds exactly
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_LEVELS_PER_DEPTH = 3  # a dict value is {"dict": [[key, value]]}: three JSON levels per Python level


# ---------------------------------------------------------------------------------------------- encode
def encode(attrs: Mapping[Any, Any], limits: AttrLimits = LIMITS) -> str:
    """The JSON text that stores ``attrs`` exactly (see the module docstring for the format).

    Raises
    ------
    InvalidTypeError
        A value (or key) of a type the format does not hold; the message gives its path, e.g. ``attrs['a'][2]``.
    InvalidParameterError
        Nesting deeper than ``limits.max_depth``, a text longer than ``limits.max_bytes``, or an
        integer with more digits than Python converts to text.
    """
    if not isinstance(attrs, Mapping):
        raise InvalidTypeError(f"attrs must be a mapping, got {describe(attrs)}")
    node = _encode_dict(attrs, "attrs", 0, limits)
    try:
        text = json.dumps(node, allow_nan=False, ensure_ascii=True)
    except ValueError as exc:  # an int beyond sys.get_int_max_str_digits()
        raise InvalidParameterError(f"attrs cannot be stored: {exc}") from None
    if len(text) > limits.max_bytes:
        raise InvalidParameterError(
            f"attrs take {len(text)} bytes once encoded, over the {limits.max_bytes}-byte limit of file "
            "attributes; keep large data as a Signal (or a separate file) instead of metadata"
        )
    return text


def _encode_dict(mapping: Mapping[Any, Any], path: str, depth: int, limits: AttrLimits) -> dict[str, Any]:
    pairs = []
    for key, value in mapping.items():
        where = f"{path}[{key!r}]"
        pairs.append([_encode(key, f"{where} (the key)", depth, limits), _encode(value, where, depth, limits)])
    return {"dict": pairs}


def _encode(value: Any, path: str, depth: int, limits: AttrLimits) -> Any:
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is np.str_:
        return str(value)
    if kind is float:
        return value if math.isfinite(value) else {"float": "nan" if math.isnan(value) else str(value)}
    if kind is complex:
        return {"complex": [_encode(value.real, path, depth, limits), _encode(value.imag, path, depth, limits)]}
    if kind is bytes:
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, (np.ndarray, np.generic)) and kind is not np.bytes_:
        return _encode_array(value, path)
    if kind in (list, tuple, set, frozenset, dict):
        if depth >= limits.max_depth:
            raise InvalidParameterError(
                f"{path} nests containers more than {limits.max_depth} deep (or contains itself); "
                "flatten it to store it"
            )
        if kind is dict:
            return _encode_dict(value, path, depth + 1, limits)
        items = [_encode(v, f"{path}[{i}]", depth + 1, limits) for i, v in enumerate(value)]
        return items if kind is list else {kind.__name__: items}
    raise InvalidTypeError(
        f"{path} cannot be stored in a file: {describe(value)}; use None, bool, int, float, complex, str, bytes, "
        "numpy numbers and arrays, or lists, tuples, sets and dicts of them"
    )


def _encode_array(value: np.ndarray | np.generic, path: str) -> dict[str, Any]:
    array = np.asarray(value)
    if array.dtype.kind not in _ARRAY_KINDS:
        raise InvalidTypeError(
            f"{path} cannot be stored in a file: a numpy value of dtype {array.dtype}; only bool and numeric "
            "dtypes are (convert strings to str, objects to lists)"
        )
    body = {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "data": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii"),
    }
    return {"scalar" if isinstance(value, np.generic) else "array": body}


# ---------------------------------------------------------------------------------------------- decode
class _Malformed(Exception):
    """A node that :func:`encode` would not have written (turned into InvalidParameterError by decode)."""


def decode(text: Any, limits: AttrLimits = LIMITS) -> dict[Any, Any]:
    """The attributes stored by :func:`encode`, after checking size and nesting before parsing.

    Raises
    ------
    InvalidParameterError
        ``text`` is not a string, is larger or nested deeper than ``limits`` allow, is not JSON,
        or holds something :func:`encode` does not write (unknown tags, bad base64, a shape that
        does not match the data...).  The message starts with :data:`ATTRS_KEY`.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParameterError(f"attribute {ATTRS_KEY!r} is not UTF-8 text") from None
    if not isinstance(text, str):
        raise InvalidParameterError(f"attribute {ATTRS_KEY!r} must be a JSON string, got {describe(text)}")
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > limits.max_bytes:
        raise InvalidParameterError(
            f"attribute {ATTRS_KEY!r} holds {len(raw)} bytes, over the {limits.max_bytes}-byte limit; "
            "signalspace never writes more, so the file was made or changed by something else"
        )
    deepest = _json_depth(raw)
    allowed = _JSON_LEVELS_PER_DEPTH * (limits.max_depth + 1) + 1
    if deepest > allowed:
        raise InvalidParameterError(
            f"attribute {ATTRS_KEY!r} nests {deepest} levels deep, deeper than signalspace ever writes ({allowed})"
        )
    try:
        node = json.loads(text, parse_constant=_refuse_constant)
        attrs = _decode_dict(node)
    except (ValueError, RecursionError, _Malformed) as exc:  # json.JSONDecodeError is a ValueError
        raise InvalidParameterError(f"attribute {ATTRS_KEY!r} is not a valid signalspace encoding: {exc}") from None
    return attrs


def _json_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` / ``{`` outside strings, in one vectorized pass."""
    skeleton = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    steps = np.isin(skeleton, (ord("["), ord("{"))).astype(np.int64) - np.isin(skeleton, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def _refuse_constant(name: str) -> Any:
    raise _Malformed(f"bare {name} (non-finite floats are written as {{'float': ...}})")


def _decode_dict(node: Any) -> dict[Any, Any]:
    if not (isinstance(node, dict) and node.keys() == {"dict"} and isinstance(node["dict"], list)):
        raise _Malformed(f"expected a {{'dict': [[key, value], ...]}} node, got {_short(node)}")
    out: dict[Any, Any] = {}
    for pair in node["dict"]:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise _Malformed(f"a dict entry must be a [key, value] pair, got {_short(pair)}")
        key = _decode(pair[0])
        if not isinstance(key, Hashable) or isinstance(key, (np.ndarray, list, dict, set)):
            raise _Malformed(f"a dict key must be hashable, got {_short(pair[0])}")
        if key in out:
            raise _Malformed(f"dict key {key!r} appears twice")
        out[key] = _decode(pair[1])
    return out


def _decode(node: Any) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v) for v in node]
    if not (isinstance(node, dict) and len(node) == 1):
        raise _Malformed(f"expected a value or a one-key tag, got {_short(node)}")
    (tag, body), = node.items()
    if tag == "dict":
        return _decode_dict(node)
    if tag in ("tuple", "set", "frozenset"):
        if not isinstance(body, list):
            raise _Malformed(f"{tag!r} must hold a list, got {_short(body)}")
        items = [_decode(v) for v in body]
        try:
            return {"tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
        except TypeError:
            raise _Malformed(f"{tag!r} holds unhashable items: {_short(body)}") from None
    if tag == "float":
        if body not in _NONFINITE:
            raise _Malformed(f"'float' must be 'nan', 'inf' or '-inf', got {_short(body)}")
        return _NONFINITE[body]
    if tag == "complex":
        parts = [_decode(v) for v in body] if isinstance(body, list) else None
        if parts is None or len(parts) != 2 or not all(type(p) is float for p in parts):
            raise _Malformed(f"'complex' must hold [real, imag] floats, got {_short(body)}")
        return complex(parts[0], parts[1])
    if tag == "bytes":
        return _b64(body)
    if tag in ("array", "scalar"):
        return _decode_array(tag, body)
    raise _Malformed(f"unknown tag {tag!r}")


def _b64(body: Any) -> bytes:
    if not isinstance(body, str):
        raise _Malformed(f"base64 data must be a string, got {_short(body)}")
    try:
        return base64.b64decode(body.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _Malformed(f"invalid base64 data {_short(body)}") from None


def _decode_array(tag: str, body: Any) -> Any:
    if not (isinstance(body, dict) and body.keys() == {"dtype", "shape", "data"}):
        raise _Malformed(f"{tag!r} must hold dtype, shape and data, got {_short(body)}")
    try:
        dtype = np.dtype(body["dtype"]) if isinstance(body["dtype"], str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _ARRAY_KINDS or dtype.str != body["dtype"]:
        raise _Malformed(f"{tag!r} dtype must be a bool or numeric numpy dtype string, got {_short(body['dtype'])}")
    shape = body["shape"]
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape) and len(shape) <= 64):
        raise _Malformed(f"{tag!r} shape must be a list of non-negative integers, got {_short(shape)}")
    if tag == "scalar" and shape:
        raise _Malformed(f"a 'scalar' has shape [], got {shape}")
    data = _b64(body["data"])
    if len(data) != math.prod(shape) * dtype.itemsize:
        raise _Malformed(
            f"{tag!r} of dtype {dtype} and shape {shape} needs {math.prod(shape) * dtype.itemsize} bytes, "
            f"its data has {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    return array[()] if tag == "scalar" else array


def _short(node: Any) -> str:
    text = repr(node)
    return text if len(text) <= 60 else text[:57] + "..."
