"""Linear operators on signals: convolution, its geometry, and its matrices."""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module, attribute or None for the module itself); imported on first use
_LAZY: dict[str, tuple[str, str | None]] = {
    "linear": ("signalspace.ops.linear", None),
    "parameter_count": ("signalspace.ops.linear", "parameter_count"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'signalspace.ops' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value
