"""Linear operators on signals: convolution, its geometry, and its matrices."""

from __future__ import annotations

from .._lazy import lazy_getattr

#: public name -> (module, attribute or None for the module itself); imported on first use
_LAZY: dict[str, tuple[str, str | None]] = {
    "linear": ("signalspace.ops.linear", None),
    "parameter_count": ("signalspace.ops.linear", "parameter_count"),
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
