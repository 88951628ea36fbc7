"""The block structure of convolution matrices: levels, blocks, and Toeplitz / circulant checks.

A convolution matrix (:mod:`signalspace.ops.matrices`) has one level of blocks
per spatial axis, outermost first, and a last level of ``c_out x c_in``
channel blocks.  :class:`MatrixStructure` says which level and block each entry
belongs to; :func:`is_toeplitz` and :func:`is_circulant` check a matrix against
it; :func:`matrix_structure` gives the structure of a kernel's or a Conv's matrix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from .._errors import InvalidTypeError, ShapeError
from .._validation import as_shape, describe, positive_int
from .matrices import layout_and_geometry

__all__ = ["EntryLocation", "Level", "MatrixStructure", "is_circulant", "is_toeplitz", "matrix_structure"]

class Level(NamedTuple):
    """One level of the block structure: a ``grid`` of blocks of ``block_shape`` inside each parent block."""

    name: str
    grid: tuple[int, int]
    block_shape: tuple[int, int]


class EntryLocation(NamedTuple):
    """Where a matrix entry ``(row, col)`` sits: output/input position and channel, block per level."""

    output_index: tuple
    output_channel: Any
    input_index: tuple
    input_channel: Any
    blocks: tuple


@dataclass(frozen=True)
class MatrixStructure:
    """The block structure of a convolution matrix: which level/block each entry belongs to.

    Rows are ``(output position, output channel)`` and columns ``(input position,
    input channel)`` raveled in C order.  Level 1 splits the matrix into an
    ``output_shape[0] x input_shape[0]`` grid of blocks (the outermost axis),
    level 2 splits each of those along the next axis, and so on; the last level
    (present when there is more than one channel) is the ``c_out x c_in`` grid of
    single entries mixing channels for one pair of positions.

    Examples
    --------
    >>> s = MatrixStructure((2, 3), (3, 4))          # 2-D, 'valid' 2x2 kernel on 3x4
    >>> s.shape
    (6, 12)
    >>> [(lv.name, lv.grid, lv.block_shape) for lv in s.levels]
    [('axis 0', (2, 3), (3, 4)), ('axis 1', (3, 4), (1, 1))]
    >>> s.locate(4, 6)                               # output (1, 1), input (1, 2)
    EntryLocation(output_index=(1, 1), output_channel=0, input_index=(1, 2), input_channel=0, blocks=((1, 1), (1, 2)))
    """

    output_shape: tuple[int, ...]
    input_shape: tuple[int, ...]
    c_out: int = 1
    c_in: int = 1

    def __post_init__(self) -> None:
        out = as_shape(self.output_shape, "output_shape")
        inp = as_shape(self.input_shape, "input_shape")
        if len(out) != len(inp):
            raise ShapeError(f"output_shape {out} and input_shape {inp} must have the same number of axes")
        object.__setattr__(self, "output_shape", out)
        object.__setattr__(self, "input_shape", inp)
        object.__setattr__(self, "c_out", positive_int(self.c_out, "c_out"))
        object.__setattr__(self, "c_in", positive_int(self.c_in, "c_in"))

    @classmethod
    def of_matrix(cls, matrix: Any) -> MatrixStructure:
        """The one-level structure of a plain ``m x n`` matrix."""
        shape = getattr(matrix, "shape", None)
        if shape is None or len(shape) != 2:
            raise ShapeError(f"matrix must be 2-D, got {describe(matrix)}")
        return cls((shape[0],), (shape[1],))

    @property
    def ndim(self) -> int:
        """Number of spatial axes (levels without the channel level)."""
        return len(self.output_shape)

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the matrix."""
        return (math.prod(self.output_shape) * self.c_out, math.prod(self.input_shape) * self.c_in)

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels, outermost first, each with its block grid and block shape."""
        levels = []
        for a in range(self.ndim):
            block = (
                math.prod(self.output_shape[a + 1 :]) * self.c_out,
                math.prod(self.input_shape[a + 1 :]) * self.c_in,
            )
            levels.append(Level(f"axis {a}", (self.output_shape[a], self.input_shape[a]), block))
        if self.c_out * self.c_in > 1:
            levels.append(Level("channels", (self.c_out, self.c_in), (1, 1)))
        return tuple(levels)

    def block_sizes(self) -> list[tuple[int, int]]:
        """Block shape at each level, outermost first."""
        return [lv.block_shape for lv in self.levels]

    def _check_matrix(self, matrix: Any) -> None:
        shape = tuple(getattr(matrix, "shape", ()))
        if shape != self.shape:
            raise ShapeError(f"matrix of shape {shape} does not match the structure's shape {self.shape}")

    def locate(self, row: Any, col: Any) -> EntryLocation:
        """Output/input position and channel of entry ``(row, col)``, and its block at each level.

        The block of an entry at the level of axis ``a`` is ``(output_index[a],
        input_index[a])`` inside its parent block; at the channel level it is
        ``(output_channel, input_channel)``.  ``row`` and ``col`` may be arrays.
        """
        r, c = np.asarray(row), np.asarray(col)
        for name, value, size in (("row", r, self.shape[0]), ("col", c, self.shape[1])):
            if not np.issubdtype(value.dtype, np.integer):
                raise InvalidTypeError(f"{name} must be an integer index, got {describe(value)}")
            if np.any(value < 0) or np.any(value >= size):
                raise ShapeError(f"{name} must lie in [0, {size}), got {value}")
        *p, o = np.unravel_index(r, (*self.output_shape, self.c_out))
        *q, i = np.unravel_index(c, (*self.input_shape, self.c_in))
        scal = r.ndim == 0 and c.ndim == 0
        conv = int if scal else np.asarray
        p, q, o, i = [conv(v) for v in p], [conv(v) for v in q], conv(o), conv(i)
        blocks = tuple(zip(p, q, strict=True))
        if self.c_out * self.c_in > 1:
            blocks = (*blocks, (o, i))
        return EntryLocation(tuple(p), o, tuple(q), i, blocks)

    def _entries(self, matrix: Any, atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_matrix(matrix)
        if sp.issparse(matrix):
            coo = sp.coo_array(matrix)
            coo.sum_duplicates()
            keep = np.abs(coo.data) > atol
            return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), coo.data[keep]
        dense = np.asarray(matrix)
        rows, cols = np.nonzero(np.abs(dense) > atol)
        return rows, cols, dense[rows, cols]

    def _is_multilevel(self, matrix: Any, atol: float, circulant: bool) -> bool:
        atol = float(atol)
        if circulant and self.output_shape != self.input_shape:
            return False
        rows, cols, vals = self._entries(matrix, atol)
        if rows.size == 0:
            return True
        *p, o = np.unravel_index(rows, (*self.output_shape, self.c_out))
        *q, i = np.unravel_index(cols, (*self.input_shape, self.c_in))
        key_parts, key_dims = [], []
        for a in range(self.ndim):
            m, n = self.output_shape[a], self.input_shape[a]
            if circulant:
                key_parts.append((q[a] - p[a]) % n)
                key_dims.append(n)
            else:
                key_parts.append(q[a] - p[a] + (m - 1))
                key_dims.append(m + n - 1)
        key = np.ravel_multi_index((*key_parts, o, i), (*key_dims, self.c_out, self.c_in))
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        counts = np.diff(np.r_[starts, key.size])
        first = np.repeat(vals[starts], counts)
        if np.any(np.abs(vals - first) > atol):
            return False
        # every (p, q) pair with that offset must carry the entry: count them per axis
        parts = np.unravel_index(key[starts], (*key_dims, self.c_out, self.c_in))
        expected = np.ones(starts.size, dtype=np.int64)
        for a in range(self.ndim):
            m, n = self.output_shape[a], self.input_shape[a]
            if circulant:
                expected *= n
            else:
                delta = parts[a] - (m - 1)
                expected *= np.maximum(0, np.minimum(m, n - delta) - np.maximum(0, -delta))
        return bool(np.array_equal(counts, expected))

    def is_toeplitz(self, matrix: Any, atol: float = 0.0) -> bool:
        """True if ``matrix`` is multi-level Toeplitz with this structure.

        Entry ``((p, o), (q, i))`` depends only on ``(q - p, o, i)``: every level is
        block-Toeplitz and the channel blocks repeat.  Entries with ``|v| <= atol`` count as zero.
        """
        return self._is_multilevel(matrix, atol, circulant=False)

    def is_circulant(self, matrix: Any, atol: float = 0.0) -> bool:
        """True if ``matrix`` is multi-level circulant: entries depend only on ``((q - p) mod n, o, i)``."""
        return self._is_multilevel(matrix, atol, circulant=True)


def is_toeplitz(matrix: Any, structure: MatrixStructure | None = None, atol: float = 0.0) -> bool:
    """True if ``matrix`` is Toeplitz (constant along each diagonal), level by level if ``structure`` is given.

    Examples
    --------
    >>> from signalspace.ops.matrices import block_toeplitz, toeplitz
    >>> is_toeplitz(toeplitz([1.0, 2.0], 5))
    True
    >>> is_toeplitz(toeplitz([1.0, 2.0], 5, padding="same", boundary="reflect"))
    False
    >>> import numpy as np
    >>> B = block_toeplitz(np.ones((2, 2)), (4, 4))
    >>> is_toeplitz(B), is_toeplitz(B, matrix_structure(np.ones((2, 2)), (4, 4)))
    (False, True)
    """
    return (structure or MatrixStructure.of_matrix(matrix)).is_toeplitz(matrix, atol)


def is_circulant(matrix: Any, structure: MatrixStructure | None = None, atol: float = 0.0) -> bool:
    """True if ``matrix`` is circulant, level by level if ``structure`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from signalspace.ops.matrices import block_toeplitz
    >>> k = np.arange(9.0).reshape(3, 3)
    >>> B = block_toeplitz(k, (5, 6), padding="same", boundary="wrap")
    >>> is_circulant(B, matrix_structure(k, (5, 6), padding="same"))
    True
    """
    return (structure or MatrixStructure.of_matrix(matrix)).is_circulant(matrix, atol)


def matrix_structure(
    kernel_or_conv: Any,
    input_shape: Any,
    *,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    padding: Any = "valid",
    channels: int | None = None,
    ndim: int | None = None,
) -> MatrixStructure:
    """The :class:`MatrixStructure` of the matrix :func:`block_toeplitz` (or ``conv_matrix``) builds.

    ``kernel_or_conv`` is a kernel (then the geometry options apply, and ``ndim`` for a kernel of
    3 or more axes) or a Conv.

    Examples
    --------
    >>> import numpy as np
    >>> s = matrix_structure(np.ones((3, 3, 2, 4)), (8, 8), padding="same", ndim=2)   # 2 -> 4 channels
    >>> s.shape
    (256, 128)
    >>> s.block_sizes()
    [(32, 16), (4, 2), (1, 1)]
    """
    layout, geom = layout_and_geometry(
        kernel_or_conv, input_shape, channels, ndim=ndim, stride=stride, dilation=dilation, padding=padding
    )
    return MatrixStructure(geom.output_shape, geom.input_shape, layout.c_out, layout.c_in)
