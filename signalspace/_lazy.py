"""Lazy imports: public names (``name -> (module, attribute)``) and functions, imported on first use."""

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


def lazy_function(module: str, attribute: str) -> Callable[..., Any]:
    """A function that imports ``module`` on its first call and calls ``module.attribute``.

    Examples
    --------
    >>> sqrt = lazy_function("math", "sqrt")
    >>> sqrt(16.0)
    4.0
    """
    target: list[Callable[..., Any]] = []

    def call(*args: Any, **kwargs: Any) -> Any:
        if not target:
            target.append(getattr(importlib.import_module(module), attribute))
        return target[0](*args, **kwargs)

    call.__name__ = call.__qualname__ = attribute
    call.__doc__ = f"``{module}.{attribute}``, imported on first use."
    return call
