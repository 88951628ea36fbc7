"""signalspace: signals on any domain, one N-D convolution, and its Toeplitz matrices.

The core types (:class:`Signal`, :class:`Domain`, :class:`Axis`,
:class:`Channels`) and the errors load with the package; everything else
(adapters, operators, analysis, plots) is imported the first time it is used,
so ``import signalspace`` stays fast and pulls in neither librosa,
scikit-image, matplotlib, xarray nor dask.
"""

from __future__ import annotations

from . import _hooks
from ._errors import (
    AdapterNotSupportedError,
    ClusterError,
    DomainMismatchError,
    FileFormatError,
    FileIntegrityWarning,
    IndexOutOfRangeError,
    InvalidParameterError,
    InvalidTypeError,
    MemoryBudgetError,
    MissingDependencyError,
    ShapeError,
    SignalspaceError,
    UnknownNameError,
)
from ._lazy import lazy_function, lazy_getattr
from ._validation import memory_budget
from .domain import Axis, Channels, Domain
from .signal import Signal

__version__ = "0.1.0"

#: public name -> (module, attribute or None for the module itself)
_LAZY: dict[str, tuple[str, str | None]] = {
    "domains": ("signalspace.domains", None),
    "register_domain": ("signalspace.domains.registry", "register_domain"),
    "load": ("signalspace.domains.registry", "load"),
    "save": ("signalspace.domains.registry", "save"),
    "audio": ("signalspace.domains.audio", None),
    "image": ("signalspace.domains.image", None),
    "phasespace": ("signalspace.domains.phasespace", None),
    "ops": ("signalspace.ops", None),
    "Conv": ("signalspace.ops.conv", "Conv"),
    "convolve": ("signalspace.ops.conv", "convolve"),
    "correlate": ("signalspace.ops.conv", "correlate"),
    "toeplitz": ("signalspace.ops.matrices", "toeplitz"),
    "block_toeplitz": ("signalspace.ops.matrices", "block_toeplitz"),
    "analysis": ("signalspace.analysis", None),
    "plot": ("signalspace.plot", None),
    "parallel": ("signalspace.parallel", None),
    "testing": ("signalspace.testing", None),
    "cli": ("signalspace.cli", None),
}

__all__ = [
    "AdapterNotSupportedError",
    "Axis",
    "Channels",
    "ClusterError",
    "Domain",
    "DomainMismatchError",
    "FileFormatError",
    "FileIntegrityWarning",
    "IndexOutOfRangeError",
    "InvalidParameterError",
    "InvalidTypeError",
    "MemoryBudgetError",
    "MissingDependencyError",
    "ShapeError",
    "Signal",
    "SignalspaceError",
    "UnknownNameError",
    "__version__",
    "memory_budget",
    *_LAZY,
]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())

# The two calls that go up the layers (see signalspace._hooks), connected here where every layer is known.
_hooks.connect("draw", lazy_function("signalspace.plot", "plot"))
_hooks.connect("conv_dask", lazy_function("signalspace.parallel", "conv_dask"))
_hooks.connect("conv_adjoint_dask", lazy_function("signalspace.parallel", "conv_adjoint_dask"))


def __dir__() -> list[str]:
    return sorted(__all__)
