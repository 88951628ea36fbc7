"""Calls that go up the layers without an import going up.

Layers point down: :mod:`signalspace.signal` never imports :mod:`signalspace.plot`,
and :mod:`signalspace.ops` never imports :mod:`signalspace.parallel`.  Two calls
still go up: :meth:`Signal.plot <signalspace.Signal.plot>` draws with
:func:`signalspace.plot.plot`, and :class:`~signalspace.Conv` hands dask arrays
to :func:`signalspace.parallel.conv_dask`.  The lower module calls
:func:`call` with the hook's name; the package root (``signalspace/__init__.py``,
which runs before any of its modules) connects each name to the upper module's
function, imported the first time it is called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["call", "connect"]

_HOOKS: dict[str, Callable[..., Any]] = {}


def connect(name: str, function: Callable[..., Any]) -> None:
    """Make :func:`call` of ``name`` call ``function``.

    Examples
    --------
    >>> connect("demo-double", lambda v: 2 * v)
    >>> call("demo-double", 21)
    42
    """
    _HOOKS[name] = function


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the function connected to ``name``."""
    return _HOOKS[name](*args, **kwargs)
