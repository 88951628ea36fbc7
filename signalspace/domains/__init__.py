"""Domain adapters: the code that knows one kind of data (audio, image, phase space, plug-ins).

``signalspace.domains.available()`` lists the kinds, ``get(kind)`` returns an
adapter, ``register_domain`` adds one for the session, and packages provide
adapters through the entry-point group ``"signalspace.domains"``.  The adapter
modules themselves (:mod:`~signalspace.domains.audio`,
:mod:`~signalspace.domains.image`, :mod:`~signalspace.domains.phasespace`,
:mod:`~signalspace.domains.spectrogram`, :mod:`~signalspace.domains.pianoroll`)
are attributes of this package, imported only when used.

Examples
--------
>>> import signalspace as ss
>>> ss.domains.get("image").layouts["rgb"]
('R', 'G', 'B')
"""

from __future__ import annotations

from .._lazy import lazy_getattr
from .base import AdapterNotSupportedError, DomainAdapter
from .registry import (
    BUILTINS,
    ENTRY_POINT_GROUP,
    adapters,
    available,
    get,
    load,
    refresh,
    register_domain,
    save,
    unregister_domain,
)

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "AdapterNotSupportedError",
    "DomainAdapter",
    "adapters",
    "available",
    "get",
    "load",
    "refresh",
    "register_domain",
    "save",
    "unregister_domain",
]

#: the adapter modules, imported on first use
_LAZY: dict[str, tuple[str, str | None]] = {
    kind: (f"signalspace.domains.{kind}", None) for kind in ("audio", "image", "phasespace", "pianoroll", "spectrogram")
}

__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_LAZY))
