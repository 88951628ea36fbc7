"""Linear operators on signals: convolution, its geometry, its engines, and its matrices.

:mod:`~signalspace.ops.kernel` (how a kernel's axes are read and meet its input's),
:mod:`~signalspace.ops.geometry` (where each output reads), :mod:`~signalspace.ops.padding`
(boundaries for numpy and dask), :mod:`~signalspace.ops.engines` (how a convolution
runs), :mod:`~signalspace.ops.conv` (the operator), :mod:`~signalspace.ops.base`
(LinearOperator), :mod:`~signalspace.ops.matrices` and :mod:`~signalspace.ops.structure`
(Toeplitz matrices and their blocks), :mod:`~signalspace.ops.linear` (the dense
layer read two ways), :mod:`~signalspace.ops.kernel_operator` (the convolution as a
map of its kernel), :mod:`~signalspace.ops.inverse` (regularized least squares and
Wiener deconvolution).  Every module is an attribute of ``signalspace.ops``,
imported on first use.
"""

from __future__ import annotations

from .._lazy import lazy_getattr

#: public name -> (module, attribute or None for the module itself); imported on first use
_LAZY: dict[str, tuple[str, str | None]] = {
    "base": ("signalspace.ops.base", None),
    "conv": ("signalspace.ops.conv", None),
    "engines": ("signalspace.ops.engines", None),
    "geometry": ("signalspace.ops.geometry", None),
    "inverse": ("signalspace.ops.inverse", None),
    "kernel": ("signalspace.ops.kernel", None),
    "kernel_operator": ("signalspace.ops.kernel_operator", None),
    "linear": ("signalspace.ops.linear", None),
    "matrices": ("signalspace.ops.matrices", None),
    "padding": ("signalspace.ops.padding", None),
    "structure": ("signalspace.ops.structure", None),
    "parameter_count": ("signalspace.ops.linear", "parameter_count"),
    "lstsq": ("signalspace.ops.inverse", "lstsq"),
    "wiener": ("signalspace.ops.inverse", "wiener"),
}

__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(__all__)
