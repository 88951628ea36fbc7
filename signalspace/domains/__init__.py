"""Domain adapters: the code that knows one kind of data (audio, image, phase space, plug-ins).

``signalspace.domains.available()`` lists the kinds, ``get(kind)`` returns an
adapter, ``register_domain`` adds one for the session, and packages provide
adapters through the entry-point group ``"signalspace.domains"``.  The adapter
modules themselves (:mod:`~signalspace.domains.audio`,
:mod:`~signalspace.domains.image`, :mod:`~signalspace.domains.phasespace`)
are imported only when used.

Examples
--------
>>> import signalspace as ss
>>> ss.domains.get("image").layouts["rgb"]
('R', 'G', 'B')
"""

from __future__ import annotations

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
