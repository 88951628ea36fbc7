"""Argument checks whose messages name the parameter, what was expected and what came."""

from __future__ import annotations

import contextlib
import contextvars
import math
import numbers
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError, MemoryBudgetError, ShapeError, UnknownNameError


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


# ------------------------------------------------------------------------------------------------ memory budget
#: Fraction of the memory available when a request is checked that one request may take by default.
BUDGET_FRACTION = 0.5

#: The budget when the available memory cannot be read (an OS without /proc/meminfo or sysconf).
FALLBACK_MAX_BYTES = 4 * 2**30

_MAX_BYTES: contextvars.ContextVar[int | None] = contextvars.ContextVar("signalspace_max_bytes", default=None)


#: Seconds a reading of the available memory is reused (reading it costs ~20 us, a small convolution ~50 us).
MEMORY_READ_INTERVAL = 1.0

_last_reading: list[tuple[float, int | None]] = []


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``, else free physical pages), or None if unknown.

    Read at most once per :data:`MEMORY_READ_INTERVAL` seconds.
    """
    now = time.monotonic()
    if _last_reading and now - _last_reading[0][0] < MEMORY_READ_INTERVAL:
        return _last_reading[0][1]
    reading = _read_available_memory()
    _last_reading[:] = [(now, reading)]
    return reading


def _read_available_memory() -> int | None:
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def max_bytes() -> tuple[int, str]:
    """The memory budget of one request, in bytes, and where it comes from (for messages).

    The budget set by :func:`memory_budget` when inside one, else
    :data:`BUDGET_FRACTION` of the memory available now.

    Examples
    --------
    >>> with memory_budget(2**20):
    ...     max_bytes()
    (1048576, 'set by signalspace.memory_budget')
    """
    chosen = _MAX_BYTES.get()
    if chosen is not None:
        return chosen, "set by signalspace.memory_budget"
    free = available_memory()
    if free is None:
        return FALLBACK_MAX_BYTES, "the default when free memory is unknown"
    return int(BUDGET_FRACTION * free), f"{BUDGET_FRACTION:.0%} of the {_readable(free)} available"


@contextlib.contextmanager
def memory_budget(nbytes: int) -> Iterator[None]:
    """Set the memory budget (bytes) of every request made inside the block: a larger one to go past a refusal.

    Readers, matrix builders, convolutions, spectrograms, ``offset`` and the
    phase-space fields refuse a request that needs more than the budget before
    allocating it (:class:`~signalspace.MemoryBudgetError`).  By default the
    budget is half the memory available at the time; an explicit ``max_bytes=``
    argument, where a function has one, takes precedence.

    Examples
    --------
    >>> import numpy as np, signalspace as ss
    >>> with ss.memory_budget(1000):
    ...     ss.Conv(np.ones(3)).offset((10**6,))
    Traceback (most recent call last):
    ...
    signalspace._errors.MemoryBudgetError: Conv.offset of 999998 outputs needs 15,999,968 bytes (15.3 MiB), more ...
    """
    token = _MAX_BYTES.set(positive_int(nbytes, "nbytes"))
    try:
        yield
    finally:
        _MAX_BYTES.reset(token)


def check_budget(
    need: int, limit: Any, what: str | Callable[[], str], name: str | None = None, advice: str = "work in chunks"
) -> None:
    """Refuse to allocate ``need`` bytes for ``what`` when it exceeds the budget: ``limit`` bytes, or the
    package's budget (:func:`max_bytes`) when ``limit`` is None.

    Every memory budget of the package is in bytes and goes through here: the
    message names the need and the budget in bytes and in a readable unit,
    where the budget comes from, ``advice``, and how to raise it (the argument
    ``name`` of the function refusing, when it has one, or
    :func:`memory_budget`).  ``what`` may be a function making the text, called
    only for the message.

    Examples
    --------
    >>> check_budget(3 * 2**20, 2**20, "a dense matrix of shape (1024, 384)", "max_bytes", "use format='csr'")
    Traceback (most recent call last):
    ...
    signalspace._errors.MemoryBudgetError: a dense matrix of shape (1024, 384) needs 3,145,728 bytes (3 MiB), more \
than max_bytes=1,048,576 bytes (1 MiB); use format='csr' or raise max_bytes
    """
    need = int(need)
    if limit is not None:
        limit = positive_int(limit, name or "max_bytes", minimum=0)
        if need > limit:
            what = what() if callable(what) else what
            raise MemoryBudgetError(
                f"{what} needs {need:,} bytes ({_readable(need)}), more than {name or 'max_bytes'}={limit:,} bytes "
                f"({_readable(limit)}); {advice} or raise {name or 'max_bytes'}"
            )
        return
    budget, origin = max_bytes()
    if need > budget:
        what = what() if callable(what) else what
        how = f"pass {name}=, or " if name else ""
        raise MemoryBudgetError(
            f"{what} needs {need:,} bytes ({_readable(need)}), more than the memory budget of {budget:,} bytes "
            f"({_readable(budget)}, {origin}); {advice}, or raise the budget: {how}"
            "with signalspace.memory_budget(nbytes): ..."
        )


def nbytes(shape: Sequence[int], dtype: Any) -> int:
    """Bytes of an array of ``shape`` and ``dtype`` (Python integers: no overflow for absurd shapes)."""
    return math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize


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
