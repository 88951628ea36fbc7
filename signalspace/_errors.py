"""The exceptions signalspace raises.

Every error a user can provoke with bad input is a :class:`SignalspaceError`.
The subclasses also derive from the built-in exception that fits, so code that
already catches ``ValueError`` or ``TypeError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "AdapterNotSupportedError",
    "ClusterError",
    "DomainMismatchError",
    "FileFormatError",
    "FileIntegrityWarning",
    "IndexOutOfRangeError",
    "InvalidParameterError",
    "InvalidTypeError",
    "MemoryBudgetError",
    "MissingDependencyError",
    "ShapeError",
    "SignalspaceError",
    "UnknownNameError",
]


class SignalspaceError(Exception):
    """Base class of every error signalspace raises on bad input.

    Examples
    --------
    >>> import signalspace as ss
    >>> issubclass(ss.ShapeError, ss.SignalspaceError)
    True
    """


class InvalidParameterError(SignalspaceError, ValueError):
    """An argument has the right type but a value that cannot be used."""


class InvalidTypeError(SignalspaceError, TypeError):
    """An argument has a type that the function does not accept."""


class ShapeError(InvalidParameterError):
    """An array's shape does not match what the domain or operator expects."""


class IndexOutOfRangeError(InvalidParameterError, IndexError):
    """An integer index lies outside an axis (also an ``IndexError``, so iteration stops cleanly)."""


class DomainMismatchError(InvalidParameterError):
    """Two signals that must share a domain (or channels) do not."""


class UnknownNameError(InvalidParameterError, KeyError):
    """A name (domain kind, channel layout, sample image, note, engine) is unknown.

    The message lists the names that are known.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class FileFormatError(SignalspaceError, OSError):
    """A file cannot be read or written: unknown format, truncated or corrupt."""


class MemoryBudgetError(SignalspaceError, MemoryError):
    """A request would allocate more memory than the allowed budget."""


class ClusterError(SignalspaceError, RuntimeError):
    """A dask.distributed cluster lost what a computation needed: a worker died, the scheduler went away.

    Files being written are left as they were (see :mod:`signalspace._io`).
    """


class MissingDependencyError(SignalspaceError, ImportError):
    """An optional dependency that the request needs is not installed (e.g. dask for ``chunks=``).

    The message names the package and the extra that installs it.
    """


def require(module: str, purpose: str, extra: str = "dask") -> None:
    """Raise :class:`MissingDependencyError` unless ``module`` can be imported; ``purpose`` says what needs it.

    Examples
    --------
    >>> require("numpy", "arrays")
    >>> require("no_such_package_here", "a test", extra="test")
    Traceback (most recent call last):
    ...
    signalspace._errors.MissingDependencyError: a test needs no_such_package_here, which is not installed: \
pip install 'signalspace[test]' (or no_such_package_here itself)
    """
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f"{purpose} needs {module}, which is not installed: "
            f"pip install 'signalspace[{extra}]' (or {module} itself)",
            name=module,
        )


class AdapterNotSupportedError(SignalspaceError, NotImplementedError):
    """An adapter was asked for an operation it does not provide (e.g. ``save`` on phase space)."""


class FileIntegrityWarning(UserWarning):
    """A file was read, but looks damaged: e.g. compressed audio that decodes to fewer frames than it declares.

    The data returned are what the decoder could read; turn the warning into an
    error with ``warnings.simplefilter("error", ss.FileIntegrityWarning)``.
    """
