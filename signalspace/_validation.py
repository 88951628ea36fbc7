"""Argument checks whose messages name the parameter, what was expected and what came."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError, MemoryBudgetError, ShapeError, UnknownNameError

#: The largest dense matrix (bytes) the matrix builders and ``LinearOperator.todense`` make unless told otherwise.
DEFAULT_MAX_DENSE_BYTES = 2**30


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
        raise UnknownNameError(
            f"{name} must be one of {', '.join(map(repr, choices))}; got {describe(value)}"
        )
    return value


def as_shape(value: Any, name: str, *, ndim: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """``value`` as a shape: a tuple of integers >= ``minimum``, or an error naming ``name``.

    One integer is one size, or ``ndim`` equal sizes when ``ndim`` is given; a
    sequence (or 1-D array) gives one size per axis, exactly ``ndim`` of them
    when ``ndim`` is given.  The one shape rule of the package: operator
    shapes, Toeplitz input shapes, phase-space grid sizes.

    Examples
    --------
    >>> as_shape([3, np.int64(4)], "input_shape")
    (3, 4)
    >>> as_shape(8, "spacetime", ndim=4)
    (8, 8, 8, 8)
    >>> as_shape((2, 0), "model_shape", minimum=0)
    (2, 0)
    >>> as_shape((3, 4), "sizes", ndim=3)
    Traceback (most recent call last):
    ...
    signalspace._errors.ShapeError: sizes must have 3 sizes (one per axis), got 2: (3, 4)
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        sizes: tuple[Any, ...] = (value,) * (1 if ndim is None else ndim)
        names = [name] * len(sizes)
    elif isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise InvalidTypeError(
            f"{name} must be an integer or a sequence of integers >= {minimum} (a shape), got {describe(value)}"
        )
    else:
        sizes = tuple(value)
        if ndim is not None and len(sizes) != ndim:
            raise ShapeError(f"{name} must have {ndim} sizes (one per axis), got {len(sizes)}: {value!r}")
        names = [f"{name}[{i}]" for i in range(len(sizes))]
    return tuple(positive_int(n, label, minimum=minimum) for n, label in zip(sizes, names, strict=True))


def _readable(nbytes: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{nbytes} B"


def check_budget(need: int, limit: Any, what: str, name: str, advice: str) -> None:
    """Refuse to allocate ``need`` bytes for ``what`` when it exceeds ``limit`` bytes (the argument ``name``).

    Every memory budget of the package is in bytes and goes through here: the
    message names the need and the budget in bytes and in a readable unit, the
    parameter that sets the budget, and ``advice``.

    Examples
    --------
    >>> check_budget(3 * 2**20, 2**20, "a dense matrix of shape (1024, 384)", "max_dense_bytes", "use format='csr'")
    Traceback (most recent call last):
    ...
    signalspace._errors.MemoryBudgetError: a dense matrix of shape (1024, 384) needs 3,145,728 bytes (3 MiB), more \
than max_dense_bytes=1,048,576 bytes (1 MiB); use format='csr' or raise max_dense_bytes
    """
    limit = positive_int(limit, name, minimum=0)
    if need > limit:
        raise MemoryBudgetError(
            f"{what} needs {need:,} bytes ({_readable(need)}), more than {name}={limit:,} bytes "
            f"({_readable(limit)}); {advice} or raise {name}"
        )


#: A channel axis taken by default (the last) is refused as transposed when it holds more than this many
#: times the samples of the longest spatial axis: ``(2, 22050)`` read as 2 samples of 22 050 channels.
TRANSPOSED_RATIO = 8


def looks_transposed(channels: int, spatial_shape: Sequence[int]) -> bool:
    """True when ``channels`` channels on a grid of ``spatial_shape`` look like an array with its axes swapped.

    The one rule behind the default channel axis of :class:`~signalspace.Conv` on arrays and of
    :func:`signalspace.audio.from_array`: more than :data:`TRANSPOSED_RATIO` times as many channels as
    samples along the longest spatial axis.

    Examples
    --------
    >>> looks_transposed(22050, (2,)), looks_transposed(2, (22050,)), looks_transposed(200, (145, 145))
    (True, False, False)
    """
    return channels > TRANSPOSED_RATIO * max(spatial_shape, default=1)
