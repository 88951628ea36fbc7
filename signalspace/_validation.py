"""Argument checks whose messages name the parameter, what was expected and what came."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError


def describe(value: Any) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray) or (hasattr(value, "dtype") and hasattr(value, "shape")):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum`` or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{name} must be an integer >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {int(value)}")
    return int(value)


def finite_float(value: Any, name: str, *, positive: bool = False, nonzero: bool = False) -> float:
    """Return ``value`` as a finite float, optionally > 0 or != 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{name} must be a real number, got {describe(value)}")
    result = float(value)
    if not math.isfinite(result):
        raise InvalidParameterError(f"{name} must be finite, got {result}")
    if positive and result <= 0:
        raise InvalidParameterError(f"{name} must be > 0, got {result}")
    if nonzero and result == 0:
        raise InvalidParameterError(f"{name} must be non-zero, got {result}")
    return result


def per_axis(value: Any, ndim: int, name: str, convert) -> tuple:
    """Broadcast a scalar, or check a sequence of length ``ndim``, converting each item."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != ndim:
            raise InvalidParameterError(
                f"{name} must be one value or {ndim} values (one per axis), got {len(value)}: {value!r}"
            )
        return tuple(convert(v, f"{name}[{i}]") for i, v in enumerate(value))
    return (convert(value, name),) * ndim


def one_of(value: Any, name: str, choices: Sequence[str]) -> str:
    """Check that ``value`` is one of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        from ._errors import UnknownNameError

        raise UnknownNameError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {describe(value)}"
        )
    return value


def shape_tuple(value: Any, name: str) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints (a shape), or an error naming ``name``.

    Examples
    --------
    >>> shape_tuple([3, np.int64(4)], "input_shape")
    (3, 4)
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise InvalidTypeError(f"{name} must be a sequence of positive integers, got {describe(value)}")
    return tuple(positive_int(n, f"{name}[{i}]") for i, n in enumerate(value))


def unmasked(values: Any, name: str) -> Any:
    """``values`` without a numpy mask: a masked array whose mask hides nothing gives its data, else an error.

    A Signal holds plain arrays; ``np.asarray`` would drop the mask and keep the hidden values silently.

    Examples
    --------
    >>> unmasked(np.ma.masked_array([1.0, 2.0], mask=[False, False]), "y")
    array([1., 2.])
    >>> unmasked(np.ma.masked_array([1.0, 2.0], mask=[False, True]), "y")
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidTypeError: y is a masked array hiding 1 of 2 values; ...
    """
    if not isinstance(values, np.ma.MaskedArray):
        return values
    hidden = int(np.count_nonzero(np.ma.getmaskarray(values)))
    if hidden:
        raise InvalidTypeError(
            f"{name} is a masked array hiding {hidden} of {values.size} values; a signal holds plain values: fill "
            f"them explicitly ({name}.filled(np.nan), {name}.filled(0)...) or pass {name}.data to keep what is hidden"
        )
    return np.ma.getdata(values)
