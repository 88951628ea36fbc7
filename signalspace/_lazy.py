"""Lazy public names: a package lists ``name -> (module, attribute)`` and imports each on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, table: Mapping[str, tuple[str, str | None]], namespace: dict) -> Callable[[str], Any]:
    """A module-level ``__getattr__`` that imports ``table[name]`` once and caches it in ``namespace``.

    ``table`` maps a public name to ``(module, attribute)``; ``attribute`` None
    means the module itself.

    Examples
    --------
    >>> namespace = {}
    >>> getter = lazy_getattr("demo", {"sqrt": ("math", "sqrt")}, namespace)
    >>> getter("sqrt")(9.0), "sqrt" in namespace
    (3.0, True)
    """

    def __getattr__(name: str) -> Any:
        try:
            module_name, attribute = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        namespace[name] = value
        return value

    return __getattr__
