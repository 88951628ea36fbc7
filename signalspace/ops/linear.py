"""A dense layer ``z = A x`` read two ways, and what locality and weight sharing save.

The lecture reads a linear layer twice:

- **rows**: ``z_i = a_i . x`` measures how well ``x`` aligns with row ``a_i``
  (``|a_i| |x| cos(angle)``): maximal when they point the same way, minimal when
  opposite;
- **columns**: ``z = sum_j x_j A[:, j]``, the output is a combination of the
  columns of ``A`` weighted by the input.

Then it makes the layer local (each output reads a few neighbouring inputs) and
shared (every output uses the same few weights): the convolution, whose matrix
is Toeplitz.  :func:`parameter_count` counts the weights of the three layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from .._docstrings import docfiller
from .._errors import InvalidTypeError, ShapeError
from .._validation import describe
from .matrices import layout_and_geometry

__all__ = ["Alignment", "ColumnCombination", "ParameterCount", "alignment", "column_combination", "parameter_count"]


class Alignment(NamedTuple):
    """How ``x`` aligns with each row ``a_i`` of ``A``.

    ``products[i] = a_i . x = row_norms[i] * x_norm * cosines[i]`` and
    ``angles = arccos(cosines)`` in radians (NaN where a row or ``x`` is zero).
    """

    products: np.ndarray
    row_norms: np.ndarray
    x_norm: float
    cosines: np.ndarray
    angles: np.ndarray


class ColumnCombination(NamedTuple):
    """``z = A x`` as a weighted sum of columns: ``weighted_columns[:, j] = x[j] * A[:, j]``."""

    z: np.ndarray
    weighted_columns: Any
    weights: np.ndarray


class ParameterCount(NamedTuple):
    """Weights of the dense layer, the local layer and the local + shared layer (the convolution)."""

    dense: int
    local: int
    shared: int


def _matrix_and_vector(A: Any, x: Any) -> tuple[Any, np.ndarray]:
    if not sp.issparse(A):
        A = np.asarray(A)
        if A.dtype == np.dtype(bool) or not np.issubdtype(A.dtype, np.number):
            raise InvalidTypeError(f"A must be a matrix of numbers, got {describe(A)}")
    if A.ndim != 2:
        raise ShapeError(f"A must be a 2-D matrix (m, n), got {describe(A)}")
    x = np.asarray(x)
    if x.dtype == np.dtype(bool) or not np.issubdtype(x.dtype, np.number):
        raise InvalidTypeError(f"x must be a vector of numbers, got {describe(x)}")
    if x.ndim != 1 or x.shape[0] != A.shape[1]:
        raise ShapeError(
            f"x must be a vector of length {A.shape[1]} (A's columns) for A of shape {A.shape}, got shape {x.shape}"
        )
    return A, x


def alignment(A: Any, x: Any) -> Alignment:
    """Scalar products, cosines and angles of ``x`` with each row of ``A`` (real).

    Parameters
    ----------
    A : array_like or scipy.sparse array, shape (m, n)
    x : array_like, shape (n,)

    Returns
    -------
    Alignment
        ``products`` (= ``A @ x``), ``row_norms``, ``x_norm``, ``cosines`` and ``angles``.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]])
    >>> al = alignment(A, np.array([1.0, 1.0]))
    >>> al.products
    array([ 1.,  2., -2.])
    >>> np.degrees(al.angles)                 # 45° to each axis, opposite to the last row
    array([ 45.,  45., 180.])
    """
    A, x = _matrix_and_vector(A, x)
    if np.iscomplexobj(x) or (A.dtype.kind == "c"):
        raise InvalidTypeError(f"alignment needs real A and x (angles), got {A.dtype} and {x.dtype}")
    x = x.astype(np.float64, copy=False)
    products = np.asarray(A @ x, dtype=np.float64).reshape(-1)
    if sp.issparse(A):
        row_norms = np.sqrt(np.asarray(A.multiply(A).sum(axis=1), dtype=np.float64).reshape(-1))
    else:
        row_norms = np.linalg.norm(A.astype(np.float64, copy=False), axis=1)
    x_norm = float(np.linalg.norm(x))
    denom = row_norms * x_norm
    cosines = np.divide(products, denom, out=np.full_like(products, np.nan), where=denom > 0)
    angles = np.full_like(products, np.nan)
    ok = denom > 0
    if sp.issparse(A):
        angles[ok] = np.arccos(np.clip(cosines[ok], -1.0, 1.0))
    else:  # Kahan's 2 atan2(|u - v|, |u + v|) of the unit vectors: accurate near 0 and pi too
        u = A[ok].astype(np.float64, copy=False) / row_norms[ok, None]
        v = x / x_norm if x_norm > 0 else x
        angles[ok] = 2 * np.arctan2(np.linalg.norm(u - v, axis=1), np.linalg.norm(u + v, axis=1))
    return Alignment(products, row_norms, x_norm, cosines, angles)


def column_combination(A: Any, x: Any) -> ColumnCombination:
    """``z = A x`` as the sum of the columns of ``A`` weighted by the entries of ``x``.

    Returns
    -------
    ColumnCombination
        ``z``, ``weighted_columns`` (``x[j] * A[:, j]`` in column ``j``; sparse if ``A`` is) and ``weights`` (x).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> cc = column_combination(A, [10.0, -1.0])
    >>> cc.weighted_columns
    array([[10., -2.],
           [30., -4.]])
    >>> cc.z
    array([ 8., 26.])
    """
    A, x = _matrix_and_vector(A, x)
    if sp.issparse(A):
        weighted = sp.csr_array(A.multiply(x[None, :]))
        z = np.asarray(weighted.sum(axis=1)).reshape(-1)
    else:
        weighted = A * x[None, :]
        z = weighted.sum(axis=1)
    return ColumnCombination(z, weighted, x.copy())


@docfiller
def parameter_count(
    conv_or_kernel: Any,
    input_shape: Any,
    *,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    padding: Any = "valid",
    boundary: str | Sequence[str] = "constant",
    channels: int | None = None,
    ndim: int | None = None,
) -> ParameterCount:
    """Weights of a dense, a local, and a local + shared (convolutional) layer with the same input and output.

    - ``dense``: every output sees every input, ``(outputs * c_out) * (inputs * c_in)``;
    - ``local``: each output has its own weights, only for the inputs its window reads
      (the non-zeros of the convolution's matrix);
    - ``shared``: the convolution, the same kernel at every position (``kernel.size``).

    Parameters
    ----------
    conv_or_kernel : Conv or array_like
        A Conv, or a kernel (``spatial`` depthwise or ``spatial + (c_in, c_out)``), then the
        geometry options apply.
    input_shape : int or tuple of int
        Spatial shape, optionally followed by the channel count.
    %(stride_dilation)s
    %(padding)s
    %(boundary)s
    channels : int, optional
        Channel count of a depthwise kernel when ``input_shape`` has no channel entry (default 1).
    ndim : int, optional
        Number of spatial axes of a kernel of 3 or more axes (which reads both ways).

    Examples
    --------
    The lecture's layer, 4 outputs from 6 inputs: 24 dense weights, 12 when local, 3 when shared

    >>> parameter_count([1.0, 2.0, 3.0], 6)
    ParameterCount(dense=24, local=12, shared=3)
    >>> import numpy as np
    >>> parameter_count(np.ones((3, 3, 3, 16)), (256, 256, 3), padding="same", ndim=2)   # RGB -> 16 features
    ParameterCount(dense=206158430208, local=28164288, shared=432)
    """
    layout, geom = layout_and_geometry(
        conv_or_kernel, input_shape, channels, ndim=ndim, stride=stride, dilation=dilation, padding=padding,
        boundary=boundary,
    )
    dense = math.prod(geom.output_shape) * layout.c_out * math.prod(geom.input_shape) * layout.c_in
    # distinct (output, input) pairs per axis (two taps may read one sample near a reflecting edge)
    local = layout.c_out * (1 if layout.depthwise else layout.c_in)
    for a in range(geom.ndim):
        table = np.sort(geom.input_indices(a), axis=1)
        new = np.ones(table.shape, dtype=bool)
        new[:, 1:] = table[:, 1:] != table[:, :-1]
        local *= int(np.count_nonzero(new & (table >= 0)))
    shared = int(layout.kernel.size)
    return ParameterCount(int(dense), int(local), shared)
