"""Toeplitz, block-Toeplitz and block-circulant matrices of convolutions, in any dimension.

A convolution is a linear map; written as a matrix it is Toeplitz: locality
zeroes everything far from the diagonal, stationarity repeats the kernel
along it.  In N-D the matrix is Toeplitz level by level (level 1 = blocks
along the outermost axis, each block Toeplitz along the next axis, ...), and
with ``boundary="wrap"`` and ``"same"`` padding it is (multi-level) circulant.

Layout (the same as :class:`~signalspace.ops.conv.Conv`): the input has shape
``spatial + (c_in,)`` and the output ``out_spatial + (c_out,)``, both raveled
in C order, so row ``r`` of the matrix is ``(output position, output channel)``
and column ``c`` is ``(input position, input channel)``.  The innermost level
of blocks is therefore the ``c_out x c_in`` channel mixing of one kernel tap.

Convention (cross-correlation, ConvGeometry's)::

    y[i] = sum_k a[k] * xp[i * stride + k * dilation]

``flip=True`` gives the true convolution (kernel flipped on every spatial
axis).  With ``boundary="constant"`` and a non-zero ``cval`` the convolution
is affine; the matrix is its linear part, like :meth:`Conv.operator
<signalspace.ops.conv.Conv.operator>`: ``conv(x) = M @ x + conv.offset(x.shape)``
(``conv.offset`` is ``conv(0)``).

Padding follows :class:`~signalspace.ops.geometry.ConvGeometry`: with an even
kernel ``"same"`` puts the extra pad sample after the input (PyTorch/TensorFlow).
So ``toeplitz(a, n, padding="same", flip=True)`` is rows
``k // 2 .. k // 2 + n - 1`` of ``scipy.linalg.convolution_matrix(a, n, "full")``;
it equals ``convolution_matrix(a, n, "same")`` for odd ``k`` and is that matrix
shifted up by one row for even ``k`` (scipy centres even kernels the other way).

Construction is vectorized: the per-axis input index tables of
:class:`~signalspace.ops.geometry.ConvGeometry` are broadcast over the N-D
(output index x tap index) grid into CSR arrays directly, in time and memory
proportional to the number of non-zeros.  Their block structure (which level
and block an entry belongs to, whether a matrix is Toeplitz or circulant level
by level) is :mod:`signalspace.ops.structure`.

This module is ``matrices`` and not ``toeplitz`` so that ``signalspace.toeplitz``
(the function) and a module never share a name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._docstrings import docfiller
from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import DEFAULT_MAX_DENSE_BYTES, as_shape, check_budget, describe, one_of, positive_int
from .geometry import ConvGeometry

__all__ = ["DEFAULT_MAX_DENSE_BYTES", "FORMATS", "block_toeplitz", "conv_matrix", "layout_and_geometry", "toeplitz"]

#: Output formats: scipy.sparse CSR (default), COO, DIA, or a dense ndarray.
FORMATS = ("csr", "coo", "dia", "dense")
#: DIA is refused when it would store more than this many times the non-zeros
#: (stride > 1 or non-Toeplitz boundaries scatter the entries over many diagonals).
_DIA_MAX_FILL = 4

# --------------------------------------------------------------------------- arguments


@dataclass(frozen=True)
class _Layout:
    kernel: np.ndarray  # spatial (depthwise) or spatial + (c_in, c_out)
    depthwise: bool
    spatial_shape: tuple[int, ...]
    c_in: int
    c_out: int


def _as_kernel(kernel: Any) -> np.ndarray:
    arr = np.asarray(kernel)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        raise InvalidTypeError(f"kernel must be an array of numbers, got {describe(arr)}")
    if arr.ndim == 0:
        raise ShapeError("kernel must have at least one axis, got a scalar")
    if arr.size == 0:
        raise ShapeError(f"kernel must have at least one tap, got an empty kernel of shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidParameterError(
            f"kernel must be finite (as for Conv), got {int(np.count_nonzero(~np.isfinite(arr)))} NaN or infinite taps"
        )
    return arr


def _resolve_layout(kernel: Any, input_shape: Any, channels: int | None, depthwise: bool | None = None) -> _Layout:
    """Decide depthwise vs full kernel and split ``input_shape`` into spatial shape and channels.

    A kernel with ``len(spatial)`` axes is depthwise, one with ``len(spatial) + 2``
    axes is ``spatial + (c_in, c_out)``; ``input_shape`` is the spatial shape,
    optionally followed by the channel count.
    """
    k = _as_kernel(kernel)
    shape = as_shape(input_shape, "input_shape")
    K, L = k.ndim, len(shape)
    if channels is not None:
        channels = positive_int(channels, "channels")
    if depthwise is None:
        if K in (L, L - 1):
            depthwise = True
        elif K in (L + 2, L + 1):
            depthwise = False
        else:
            raise ShapeError(
                f"kernel of shape {k.shape} does not fit input_shape {shape}: expected a kernel with "
                f"{L} (or {L - 1} if the last entry of input_shape is the channel count) spatial axes, "
                f"optionally followed by (c_in, c_out)"
            )
    nd = K if depthwise else K - 2
    if nd < 1:
        raise ShapeError(
            f"kernel of shape {k.shape} does not fit input_shape {shape}: a kernel with channels has shape "
            f"spatial + (c_in, c_out) with as many spatial axes as input_shape"
        )
    if L == nd:
        spatial, given = shape, None
    elif L == nd + 1:
        spatial, given = shape[:-1], shape[-1]
    else:
        raise ShapeError(
            f"input_shape {shape} does not fit the kernel of shape {k.shape}: expected {nd} spatial sizes, "
            f"optionally followed by the channel count"
        )
    if depthwise:
        c = given if given is not None else (channels if channels is not None else 1)
        if channels is not None and channels != c:
            raise ShapeError(f"channels={channels} but input_shape {shape} has {c} channels")
        return _Layout(k, True, spatial, c, c)
    c_in, c_out = k.shape[-2:]
    for name, value in (("input_shape[-1]", given), ("channels", channels)):
        if value is not None and value != c_in:
            raise ShapeError(f"the kernel of shape {k.shape} takes c_in={c_in} input channels but {name} is {value}")
    return _Layout(k, False, spatial, c_in, c_out)


def _result_dtype(kernel: np.ndarray, dtype: Any) -> np.dtype:
    if dtype is None:
        return kernel.dtype if np.issubdtype(kernel.dtype, np.inexact) else np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InvalidTypeError(f"dtype must be a numpy dtype, got {describe(dtype)}") from None
    if not np.issubdtype(dt, np.number) or dt == np.dtype(bool):
        raise InvalidTypeError(f"dtype must be a numeric dtype, got {dt}")
    if np.iscomplexobj(kernel) and not np.issubdtype(dt, np.complexfloating):
        raise InvalidTypeError(f"the kernel is complex ({kernel.dtype}) but dtype={dt} is not")
    return dt


# --------------------------------------------------------------------------- the core


def _placed(vec: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """``vec`` (1-D) reshaped to lie along ``axis`` of an ``ndim``-D broadcast."""
    shape = [1] * ndim
    shape[axis] = vec.size
    return vec.reshape(shape)


def _csr(layout: _Layout, geom: ConvGeometry, flip: bool, dtype: np.dtype, strategy: str | None = None) -> sp.csr_array:
    """Build the canonical CSR matrix of the convolution, vectorized over output positions and taps.

    Rows are ``(output position, c_out)``; each row holds ``R = prod(kernel_shape) * c_last``
    candidate entries ordered by (tap, input channel), so the column and value arrays are
    ``(rows, R)`` tables written directly in CSR order.  Two ways to fill them, same result:

    - ``"taps"`` (many outputs, few taps): a loop over the kernel's taps (and channels), each
      writing one column of the table for all output positions at once, long inner loops;
    - ``"broadcast"`` (few outputs, many taps): one N-D broadcast of the per-axis index tables
      over the (output x tap) grid.

    ``"constant"`` boundaries drop the taps that read the padding (per-axis masks, product
    structure, so the row counts are an outer product); other boundaries may map two taps to
    one input sample, and those duplicates are summed.
    """
    d = geom.ndim
    out_shape, in_shape, kshape = geom.output_shape, geom.input_shape, geom.kernel_shape
    depthwise, c_in, c_out = layout.depthwise, layout.c_in, layout.c_out
    c_last = 1 if depthwise else c_in  # entries per tap along a row
    n_pos = math.prod(out_shape)
    n_rows = n_pos * c_out
    n_cols = math.prod(in_shape) * c_in
    R = math.prod(kshape) * c_last
    idx_dtype = np.int32 if max(n_cols, n_rows * R, n_rows + 1) < 2**31 - 1 else np.int64
    if strategy is None:
        strategy = "taps" if n_pos >= R else "broadcast"

    kernel = layout.kernel
    if flip:
        kernel = kernel[(slice(None, None, -1),) * d]
    kernel = kernel.astype(dtype, copy=False)

    # per axis a: the column contribution of output p_a and tap k_a, an (n_out, k) table (input
    # index * stride of the axis in the raveled input), and which taps read the input (None: all).
    # An axis whose taps never leave the input (no padding read) needs no table: p*s + k*dil.
    in_strides = [math.prod(in_shape[a + 1 :]) * c_in for a in range(d)]
    contrib, valid, sorted_rows = [], [], True
    for a in range(d):
        step = in_strides[a]
        if geom.pad[a][0] == 0 and (out_shape[a] - 1) * geom.stride[a] + geom.reach[a] < in_shape[a]:
            rows_a = np.arange(out_shape[a], dtype=idx_dtype) * (geom.stride[a] * step)
            taps_a = np.arange(kshape[a], dtype=idx_dtype) * (geom.dilation[a] * step)
            contrib.append((rows_a, taps_a))
            valid.append(None)
            continue
        table = geom.input_indices(a)
        contrib.append((table * step).astype(idx_dtype, copy=False))
        ok = table >= 0
        valid.append(None if ok.all() else ok)
        if geom.boundary[a] != "constant" and not bool(np.all(np.diff(table, axis=1) > 0)):
            sorted_rows = False

    cols = np.empty((*out_shape, c_out, R), dtype=idx_dtype)
    vals = np.empty((*out_shape, c_out, R), dtype=dtype)
    need_mask = any(m is not None for m in valid)
    mask = np.empty((*out_shape, c_out, R), dtype=bool) if need_mask else None

    if strategy == "taps":

        def column(a: int, k: int) -> np.ndarray:
            c = contrib[a]
            return _placed(c[0] + c[1][k] if isinstance(c, tuple) else c[:, k], a, d)

        for t, kappa in enumerate(np.ndindex(*kshape)):
            base = column(0, kappa[0])
            for a in range(1, d):
                base = base + column(a, kappa[a])
            ok = None
            if need_mask:
                ok = np.ones((1,) * d, dtype=bool)
                for a in range(d):
                    if valid[a] is not None:
                        ok = ok & _placed(valid[a][:, kappa[a]], a, d)
            for i in range(c_last):
                j = t * c_last + i
                for o in range(c_out):
                    np.add(base, o if depthwise else i, out=cols[..., o, j])
                    vals[..., o, j] = kernel[kappa] if depthwise else kernel[(*kappa, i, o)]
                    if need_mask:
                        mask[..., o, j] = ok
    elif strategy == "broadcast":
        # axes: (out_0 .. out_{d-1}, c_out, k_0 .. k_{d-1}, c_last), innermost axes summed first so
        # that every intermediate is smaller than the result, which is written in one pass
        nd_full = 2 * d + 2
        full_shape = (*out_shape, c_out, *kshape, c_last)
        ones = (1,) * d

        def placed2(table: np.ndarray, a: int) -> np.ndarray:
            shape = [1] * nd_full
            shape[a], shape[d + 1 + a] = table.shape
            return table.reshape(shape)

        if depthwise:
            acc = np.arange(c_out, dtype=idx_dtype).reshape((*ones, c_out, *ones, 1))
            v = kernel.reshape((*ones, 1, *kshape, 1))
        else:
            acc = np.arange(c_in, dtype=idx_dtype).reshape((*ones, 1, *ones, c_in))
            v = np.moveaxis(kernel, -1, 0).reshape((*ones, c_out, *kshape, c_in))
        acc_m = np.ones((1,) * nd_full, dtype=bool)
        for a in reversed(range(d)):
            c = contrib[a]
            if isinstance(c, tuple):
                acc = acc + placed2(c[0][:, None], a) + placed2(c[1][None, :], a)
            else:
                acc = acc + placed2(c, a)
            if valid[a] is not None:
                acc_m = acc_m & placed2(valid[a], a)
        cols.reshape(full_shape)[...] = acc
        vals.reshape(full_shape)[...] = v
        if need_mask:
            mask.reshape(full_shape)[...] = acc_m
    else:  # pragma: no cover - internal
        raise InvalidParameterError(f"strategy must be 'taps' or 'broadcast', got {strategy!r}")

    if need_mask:
        counts = np.ones((), dtype=idx_dtype)
        for a in range(d):
            n_ok = np.full(out_shape[a], kshape[a], idx_dtype) if valid[a] is None else valid[a].sum(axis=1)
            counts = np.multiply.outer(counts, n_ok.astype(idx_dtype))
        counts = np.broadcast_to((counts * c_last)[..., None], (*out_shape, c_out)).reshape(-1)
        indptr = np.empty(n_rows + 1, dtype=idx_dtype)
        indptr[0] = 0
        np.cumsum(counts, out=indptr[1:])
        cols, vals = cols[mask], vals[mask]
    else:
        indptr = np.arange(0, n_rows * R + 1, R, dtype=idx_dtype)
        cols, vals = cols.reshape(-1), vals.reshape(-1)
    M = sp.csr_array((vals, cols, indptr), shape=(n_rows, n_cols))
    if sorted_rows:
        M.has_canonical_format = True  # columns increase along every row: sorted, no duplicates
    else:
        M.sum_duplicates()  # reflect/mirror/nearest/wrap: two taps can read one input sample
    return M


def _dia(layout: _Layout, geom: ConvGeometry, flip: bool, dtype: np.dtype) -> sp.dia_array | None:
    """Pure 1-D Toeplitz (one channel, stride 1, constant boundary): the diagonals directly."""
    if not (
        geom.ndim == 1 and layout.c_in == layout.c_out == 1 and geom.stride == (1,) and geom.boundary == ("constant",)
    ):
        return None
    taps = layout.kernel.reshape(-1).astype(dtype, copy=False)
    if flip:
        taps = taps[::-1]
    n_out, n = geom.output_shape[0], geom.input_shape[0]
    offsets = np.arange(taps.size) * geom.dilation[0] - geom.pad[0][0]
    data = np.empty((taps.size, n), dtype=dtype)
    data[...] = taps[:, None]
    return sp.dia_array((data, offsets), shape=(n_out, n))


def _build(
    layout: _Layout,
    geom: ConvGeometry,
    flip: bool,
    format: str,
    dtype: Any,
    max_dense_bytes: int,
) -> Any:
    one_of(format, "format", FORMATS)
    dt = _result_dtype(layout.kernel, dtype)
    if format == "dia":
        fast = _dia(layout, geom, bool(flip), dt)
        if fast is not None:
            return fast
    shape = (math.prod(geom.output_shape) * layout.c_out, math.prod(geom.input_shape) * layout.c_in)
    if format == "dense":
        what = f"a dense matrix of shape {shape} and dtype {dt}"
        check_budget(shape[0] * shape[1] * dt.itemsize, max_dense_bytes, what, "max_dense_bytes", "use format='csr'")
    M = _csr(layout, geom, bool(flip), dt)
    if format == "csr":
        return M
    if format == "coo":
        return M.tocoo()
    if format == "dense":
        return M.toarray()
    rows = np.repeat(np.arange(shape[0], dtype=np.int64), np.diff(M.indptr))
    offsets, which = np.unique(M.indices.astype(np.int64) - rows, return_inverse=True)
    n_diags = offsets.size
    if n_diags * shape[1] > _DIA_MAX_FILL * M.nnz + shape[1]:
        raise InvalidParameterError(
            f"format='dia' does not fit this matrix: its {M.nnz:,} non-zeros lie on {n_diags:,} diagonals, "
            f"so DIA would store {n_diags * shape[1]:,} values (stride > 1, or a boundary that breaks the "
            f"Toeplitz structure); use format='csr'"
        )
    data = np.zeros((n_diags, shape[1]), dtype=M.dtype)
    data[which, M.indices] = M.data  # DIA stores entry (r, c) at data[diagonal, c]
    return sp.dia_array((data, offsets), shape=shape)


# --------------------------------------------------------------------------- public builders


@docfiller
def block_toeplitz(
    kernel: Any,
    input_shape: Any,
    *,
    stride: int | Sequence[int] = 1,
    dilation: int | Sequence[int] = 1,
    padding: Any = "valid",
    boundary: str | Sequence[str] = "constant",
    flip: bool = False,
    channels: int | None = None,
    format: str = "csr",
    dtype: Any = None,
    max_dense_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Any:
    """The (multi-level block-)Toeplitz matrix of an N-D convolution.

    ``M @ x.ravel()`` equals the convolution of ``x`` (shape ``spatial + (c_in,)``)
    raveled; the geometry options are those of :class:`~signalspace.ops.geometry.ConvGeometry`.

    Parameters
    ----------
    kernel : array_like
        ``spatial`` (depthwise: the same kernel on each channel, channel i feeds only
        channel i) or ``spatial + (c_in, c_out)``.
    input_shape : int or tuple of int
        Spatial shape of the input, optionally followed by the channel count.
    %(stride_dilation)s
    %(padding)s
    %(boundary)s
        Here ``"constant"`` reads zeros (the matrix is the linear part of the
        convolution for any ``cval``, as :meth:`Conv.operator
        <signalspace.ops.conv.Conv.operator>`); ``"wrap"`` with ``"same"``
        padding and stride 1 gives a (multi-level) circulant matrix; the others
        sum two taps into one entry near the edges.
    flip : bool
        True for the true convolution (kernel flipped on every spatial axis).
    channels : int, optional
        Channel count of a depthwise kernel when ``input_shape`` has no channel entry (default 1).
    format : {"csr", "coo", "dia", "dense"}
        scipy.sparse array (CSR, COO, DIA where it fits) or a dense ndarray.
    dtype : dtype, optional
        dtype of the entries; default the kernel's (float64 for an integer kernel).
    max_dense_bytes : int
        A dense request needing more bytes than this raises :class:`MemoryBudgetError`
        before anything is allocated.

    Returns
    -------
    scipy.sparse.csr_array, coo_array, dia_array or ndarray
        Shape ``(prod(out_spatial) * c_out, prod(spatial) * c_in)``.  Entries are the kernel's
        taps (explicit zeros of the kernel are stored); duplicates are summed.

    Raises
    ------
    ShapeError
        The kernel does not fit the input shape, or is empty.
    MemoryBudgetError
        A dense matrix larger than ``max_dense_bytes`` was requested.
    InvalidParameterError
        Unknown format, or ``format="dia"`` for a matrix whose entries spread over too many diagonals.

    Examples
    --------
    >>> import numpy as np
    >>> k = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> M = block_toeplitz(k, (3, 3), format="dense")      # 2x2 blocks of 2x3 Toeplitz blocks
    >>> M.shape
    (4, 9)
    >>> M
    array([[0., 1., 0., 2., 3., 0., 0., 0., 0.],
           [0., 0., 1., 0., 2., 3., 0., 0., 0.],
           [0., 0., 0., 0., 1., 0., 2., 3., 0.],
           [0., 0., 0., 0., 0., 1., 0., 2., 3.]])
    >>> block_toeplitz(np.ones((3, 3)), (64, 64), padding="same", boundary="wrap").nnz
    36864
    """
    layout = _resolve_layout(kernel, input_shape, channels)
    geom = ConvGeometry.create(
        layout.spatial_shape,
        layout.kernel.shape[: len(layout.spatial_shape)],
        stride=stride,
        dilation=dilation,
        padding=padding,
        boundary=boundary,
    )
    return _build(layout, geom, flip, format, dtype, max_dense_bytes)


def toeplitz(
    kernel: Any,
    n: int,
    *,
    stride: int = 1,
    dilation: int = 1,
    padding: Any = "valid",
    boundary: str = "constant",
    flip: bool = False,
    format: str = "csr",
    dtype: Any = None,
    max_dense_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Any:
    """The Toeplitz matrix of a 1-D convolution with ``kernel`` on ``n`` samples.

    The lecture's layer: locality keeps ``len(kernel)`` entries per row,
    stationarity repeats them one step further on each row.  Same options as
    :func:`block_toeplitz` (a ``(k, c_in, c_out)`` kernel gives channel blocks).

    Examples
    --------
    >>> T = toeplitz([1.0, 2.0, 3.0], n=6, format="dense")   # 4 x 6, 3 parameters
    >>> T
    array([[1., 2., 3., 0., 0., 0.],
           [0., 1., 2., 3., 0., 0.],
           [0., 0., 1., 2., 3., 0.],
           [0., 0., 0., 1., 2., 3.]])
    >>> toeplitz([1.0, 2.0, 3.0], 5, padding="same", boundary="wrap", format="dense")   # circulant
    array([[2., 3., 0., 0., 1.],
           [1., 2., 3., 0., 0.],
           [0., 1., 2., 3., 0.],
           [0., 0., 1., 2., 3.],
           [3., 0., 0., 1., 2.]])
    >>> toeplitz([1.0, 2.0, 3.0], 70641, format="dia").offsets.tolist()
    [0, 1, 2]
    """
    k = _as_kernel(kernel)
    if k.ndim not in (1, 3):
        raise ShapeError(f"toeplitz takes a 1-D kernel (k,) or (k, c_in, c_out), got shape {k.shape}")
    n = positive_int(n, "n")
    return block_toeplitz(
        k,
        (n,),
        stride=stride,
        dilation=dilation,
        padding=padding,
        boundary=boundary,
        flip=flip,
        format=format,
        dtype=dtype,
        max_dense_bytes=max_dense_bytes,
    )


def _conv_layout(conv: Any, input_shape: Any) -> tuple[_Layout, ConvGeometry]:
    for name in ("kernel", "depthwise", "flip", "geometry"):
        if not hasattr(conv, name):
            raise InvalidTypeError(f"conv must be a Conv (with .{name}), got {describe(conv)}")
    layout = _resolve_layout(conv.kernel, input_shape, None, depthwise=bool(conv.depthwise))
    geom = conv.geometry(layout.spatial_shape)
    return layout, geom


def layout_and_geometry(
    kernel_or_conv: Any, input_shape: Any, channels: int | None = None, **geometry: Any
) -> tuple[_Layout, ConvGeometry]:
    """Channel layout and geometry of a Conv, or of a bare kernel with the ``geometry`` options."""
    if hasattr(kernel_or_conv, "geometry") and hasattr(kernel_or_conv, "kernel"):
        return _conv_layout(kernel_or_conv, input_shape)
    layout = _resolve_layout(kernel_or_conv, input_shape, channels)
    geom = ConvGeometry.create(layout.spatial_shape, layout.kernel.shape[: len(layout.spatial_shape)], **geometry)
    return layout, geom


def conv_matrix(
    conv: Any,
    input_shape: Any,
    format: str = "csr",
    dtype: Any = None,
    max_dense_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Any:
    """The matrix of a :class:`~signalspace.ops.conv.Conv` on inputs of ``input_shape``.

    ``conv_matrix(conv, x.shape) @ x.ravel() == conv(x).ravel()`` (``x`` of shape
    ``spatial + (c_in,)``; a spatial-only shape means one channel).  With
    ``boundary="constant"`` and ``cval != 0`` the convolution is affine and the
    matrix is its linear part: ``conv(x) = M @ x + conv.offset(x.shape)`` (``offset`` is
    ``conv(0)``), the same linear part :meth:`Conv.operator` applies.  ``Conv.to_matrix`` calls this.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from signalspace.ops.geometry import ConvGeometry
    >>> conv = SimpleNamespace(kernel=[1.0, -1.0], depthwise=True, flip=False,
    ...                        geometry=lambda shape: ConvGeometry.create(shape, (2,)))
    >>> conv_matrix(conv, (4,), format="dense")
    array([[ 1., -1.,  0.,  0.],
           [ 0.,  1., -1.,  0.],
           [ 0.,  0.,  1., -1.]])
    """
    layout, geom = _conv_layout(conv, input_shape)
    return _build(layout, geom, bool(conv.flip), format, dtype, max_dense_bytes)
