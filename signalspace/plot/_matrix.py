"""Convolution matrices: their non-zeros (or values) and the boundaries of their blocks, level by level."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._errors import InvalidTypeError, ShapeError
from .._validation import describe
from ..ops.structure import MatrixStructure
from ._common import pyplot

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["matrix"]

#: Colours of the block boundaries, outermost level first.
_LEVEL_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:gray")
#: Matrices with at most this many entries are drawn with their values (the lecture's pictures).
_VALUES_LIMIT = 256 * 256
#: A level with more boundary lines than this is not drawn (they would fill the picture).
_MAX_LINES = 256


def matrix(
    T: Any,
    ax: Axes | None = None,
    structure: MatrixStructure | None = None,
    *,
    values: bool | None = None,
    markersize: float | None = None,
) -> Any:
    """Spy picture of a (block-)Toeplitz matrix ``T`` (dense or sparse) with the block boundaries of ``structure``.

    Parameters
    ----------
    T : ndarray or scipy.sparse array, 2-D
        The matrix, e.g. from :func:`~signalspace.ops.matrices.block_toeplitz`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    structure : MatrixStructure, optional
        Block levels to outline (from :func:`~signalspace.ops.structure.matrix_structure`);
        by default the matrix has one level and no inner boundaries.
    values : bool, optional
        Colour the entries by value (zero white, a diverging colormap) instead of a spy
        plot of the non-zeros.  Default: values for matrices up to 256 x 256.
    markersize : float, optional
        Marker size of the spy plot; chosen from the matrix size by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from signalspace.ops.matrices import block_toeplitz
    >>> from signalspace.ops.structure import matrix_structure
    >>> k = np.arange(1.0, 10.0).reshape(3, 3)
    >>> T = block_toeplitz(k, (4, 5))
    >>> ax = matrix(T, structure=matrix_structure(k, (4, 5)))
    >>> ax.get_title()
    'block-Toeplitz 6 × 20, 54 non-zeros'
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    shape = getattr(T, "shape", None)
    if not (sp.issparse(T) or isinstance(T, np.ndarray)):
        raise InvalidTypeError(f"T must be a numpy array or a scipy.sparse array, got {describe(T)}")
    if shape is None or len(shape) != 2:
        raise ShapeError(f"T must be a 2-D matrix, got {describe(T)}")
    structure = structure if structure is not None else MatrixStructure.of_matrix(T)
    if not isinstance(structure, MatrixStructure):
        raise InvalidTypeError(f"structure must be a MatrixStructure, got {describe(structure)}")
    if tuple(shape) != structure.shape:
        raise ShapeError(f"T has shape {tuple(shape)} but the structure describes a {structure.shape} matrix")

    if ax is None:
        _, ax = pyplot().subplots()
    m, n = shape
    if values is None:
        values = m * n <= _VALUES_LIMIT
    if values:
        dense = T.toarray() if sp.issparse(T) else np.asarray(T)
        if np.iscomplexobj(dense):
            dense = np.abs(dense)
        vmax = float(np.max(np.abs(dense))) if dense.size else 1.0
        vmax = vmax if vmax > 0 else 1.0
        shown = np.ma.masked_equal(dense, 0)
        ax.imshow(shown, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest", aspect="equal")
        ax.set_xlim(-0.5, n - 0.5)
        ax.set_ylim(m - 0.5, -0.5)
    else:
        ms = markersize if markersize is not None else max(0.5, min(6.0, 300.0 / max(m, n)))
        ax.spy(T, markersize=ms, color="black", aspect="equal")
    for level, lv in enumerate(structure.levels):
        br, bc = lv.block_shape
        if (br, bc) == (1, 1) or (m // br + n // bc) > _MAX_LINES:
            continue
        color = _LEVEL_COLORS[level % len(_LEVEL_COLORS)]
        width = max(0.4, 2.0 - 0.5 * level)
        for r in range(br, m, br):
            ax.axhline(r - 0.5, color=color, linewidth=width)
        for c in range(bc, n, bc):
            ax.axvline(c - 0.5, color=color, linewidth=width)
    nnz = T.count_nonzero() if sp.issparse(T) else int(np.count_nonzero(T))
    kind = "block-Toeplitz" if structure.ndim > 1 or structure.c_in * structure.c_out > 1 else "matrix"
    ax.set_title(f"{kind} {m} × {n}, {nnz} non-zeros")
    return ax
