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
from .._validation import as_shape, check_budget, describe, nbytes, one_of, positive_int
from .geometry import ConvGeometry
from .kernel import AUTO, InputLayout, KernelLayout, as_kernel, compute_dtype

__all__ = ["FORMATS", "block_toeplitz", "conv_matrix", "layout_and_geometry", "toeplitz"]

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


def _kernel_layout(kernel: np.ndarray, ndim: int | None) -> KernelLayout:
    """The reading of a bare kernel: ``ndim`` or the kernel alone (1 or 2 axes); never guessed from a shape."""
    layout = KernelLayout.parse(kernel.shape, ndim=ndim)
    if layout is None:
        raise ShapeError(
            f"the kernel of shape {kernel.shape} reads as {KernelLayout.readings(kernel.shape)}; a shape does not "
            "say which: pass ndim= (the number of spatial axes)"
        )
    return layout


def _split_shape(klayout: KernelLayout, input_shape: Any, channels: int | None) -> InputLayout:
    """``input_shape`` (spatial sizes, optionally followed by the channel count) against the kernel's layout."""
    shape = as_shape(input_shape, "input_shape")
    nd = klayout.ndim
    if len(shape) not in (nd, nd + 1):
        raise ShapeError(
            f"input_shape {shape} does not fit the kernel of shape {klayout.shape} ({klayout.describe()}): expected "
            f"{nd} spatial sizes, optionally followed by the channel count"
        )
    if channels is not None:
        channels = positive_int(channels, "channels")
        if len(shape) == nd + 1 and shape[-1] != channels:
            raise ShapeError(f"channels={channels} but input_shape {shape} has {shape[-1]} channels")
    if len(shape) == nd:  # no channel entry: the kernel's c_in, else channels (default 1)
        c = klayout.c_in if not klayout.depthwise else channels
        if c is not None and channels is not None and c != channels:
            raise ShapeError(
                f"the kernel of shape {klayout.shape} takes c_in={c} input channels but channels is {channels}"
            )
        if c is not None:
            shape = (*shape, c)
    return InputLayout.resolve(
        shape, nd, channel_axis=-1 if len(shape) == nd + 1 else None, channels=klayout.c_in, name="input_shape"
    )


def _layout(kernel: np.ndarray, klayout: KernelLayout, input_layout: InputLayout) -> _Layout:
    c = input_layout.channels
    return _Layout(kernel, klayout.depthwise, input_layout.spatial_shape, c, klayout.channels_out(c))


def _result_dtype(kernel: np.ndarray, dtype: Any) -> np.dtype:
    if dtype is None:
        return compute_dtype(kernel.dtype, kernel.dtype)
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


def _dia_fits(layout: _Layout, geom: ConvGeometry) -> bool:
    """Pure 1-D Toeplitz (one channel, stride 1, constant boundary): :func:`_dia` builds the diagonals directly."""
    return geom.ndim == 1 and layout.c_in == layout.c_out == 1 and geom.stride == (1,) and geom.boundary == (
        "constant",)


def _dia(layout: _Layout, geom: ConvGeometry, flip: bool, dtype: np.dtype) -> sp.dia_array:
    """The diagonals of a pure 1-D Toeplitz matrix (see :func:`_dia_fits`)."""
    taps = layout.kernel.reshape(-1).astype(dtype, copy=False)
    if flip:
        taps = taps[::-1]
    n_out, n = geom.output_shape[0], geom.input_shape[0]
    offsets = np.arange(taps.size) * geom.dilation[0] - geom.pad[0][0]
    data = np.empty((taps.size, n), dtype=dtype)
    data[...] = taps[:, None]
    return sp.dia_array((data, offsets), shape=(n_out, n))


#: Bytes per stored entry while a sparse matrix is built: the value, its row and column indices (int64),
#: held twice while scipy sums duplicates into CSR.
_SPARSE_ENTRY_BYTES = 2 * 16


def _placed_in(M: sp.csr_array, inputs: InputLayout, outputs: InputLayout) -> sp.csr_array:
    """The matrix of the convolution ``M`` on arrays of layout ``inputs``: identities on the carried axes.

    In canonical order (carried, spatial, channel) the matrix is ``kron(I, M)``; rows and columns
    are then moved to where the array layouts ravel each element.
    """
    nb = math.prod(inputs.batch_shape)
    if nb > 1:
        M = sp.kron(sp.eye_array(nb, dtype=M.dtype, format="csr"), M, format="csr")
    rows, cols = outputs.permutation(), inputs.permutation()
    if np.array_equal(rows, np.arange(rows.size)) and np.array_equal(cols, np.arange(cols.size)):
        return M
    coo = M.tocoo()
    placed = sp.csr_array((coo.data, (rows[coo.row], cols[coo.col])), shape=M.shape)
    placed.sum_duplicates()  # sorts the columns of every row (a permutation makes no duplicates)
    return placed


def _build(
    layout: _Layout,
    geom: ConvGeometry,
    flip: bool,
    format: str,
    dtype: Any,
    max_bytes: int | None,
    arrays: tuple[InputLayout, InputLayout] | None = None,
) -> Any:
    """The matrix in ``format``; ``arrays`` (input and output layouts) places it on arrays with carried axes."""
    one_of(format, "format", FORMATS)
    dt = _result_dtype(layout.kernel, dtype)
    nb = 1 if arrays is None else math.prod(arrays[0].batch_shape)
    shape = (nb * math.prod(geom.output_shape) * layout.c_out, nb * math.prod(geom.input_shape) * layout.c_in)
    taps = math.prod(geom.kernel_shape)
    plain = nb == 1 and (arrays is None or arrays[0].order == tuple(range(len(arrays[0].order))))
    if format == "dia" and plain and _dia_fits(layout, geom):
        check_budget(nbytes((taps, shape[1]), dt), max_bytes, f"a DIA matrix of shape {shape} with {taps} diagonals",
                     "max_bytes", "use a smaller input")
        return _dia(layout, geom, bool(flip), dt)
    per_row = taps * (1 if layout.depthwise else layout.c_in)  # stored entries per output row, at most
    need = shape[0] * per_row * (dt.itemsize + _SPARSE_ENTRY_BYTES) + 8 * (shape[0] + 1)  # built as CSR first
    what = f"the {format} matrix of shape {shape} ({shape[0] * per_row:,} entries at most, built as CSR)"
    advice = "use the operator (Conv.operator()) instead of its matrix"
    if format == "dense":
        need += nbytes(shape, dt)
        what, advice = f"a dense matrix of shape {shape} and dtype {dt} (built from CSR)", "use format='csr'"
    check_budget(need, max_bytes, what, "max_bytes", advice)
    M = _csr(layout, geom, bool(flip), dt)
    if arrays is not None:
        M = _placed_in(M, *arrays)
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
    check_budget(nbytes((n_diags, shape[1]), M.dtype), max_bytes, f"a DIA matrix of shape {shape} with {n_diags:,} "
                 "diagonals", "max_bytes", "use format='csr'")
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
    ndim: int | None = None,
    format: str = "csr",
    dtype: Any = None,
    max_bytes: int | None = None,
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
    ndim : int, optional
        Number of spatial axes; needed for a kernel of 3 or more axes, which reads both ways
        (see :class:`~signalspace.ops.kernel.KernelLayout`).
    format : {"csr", "coo", "dia", "dense"}
        scipy.sparse array (CSR, COO, DIA where it fits) or a dense ndarray.
    dtype : dtype, optional
        dtype of the entries; default the kernel's (float64 for an integer kernel).
    max_bytes : int, optional
        A matrix (any format) needing more bytes than this raises
        :class:`MemoryBudgetError` before anything is allocated; default the
        memory budget (:func:`signalspace.memory_budget`).

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
        A matrix larger than ``max_bytes`` (or the memory budget) was requested.
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
    layout, geom = layout_and_geometry(
        kernel, input_shape, channels, ndim=ndim, stride=stride, dilation=dilation, padding=padding,
        boundary=boundary,
    )
    return _build(layout, geom, flip, format, dtype, max_bytes)


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
    max_bytes: int | None = None,
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
    k = as_kernel(kernel)
    if k.ndim not in (1, 3):
        raise ShapeError(f"toeplitz takes a 1-D kernel (k,) or (k, c_in, c_out), got shape {k.shape}")
    n = positive_int(n, "n")
    return block_toeplitz(
        k,
        (n,),
        ndim=1,
        stride=stride,
        dilation=dilation,
        padding=padding,
        boundary=boundary,
        flip=flip,
        format=format,
        dtype=dtype,
        max_bytes=max_bytes,
    )


def _conv_layout(
    conv: Any, input_shape: Any, channel_axis: Any = AUTO, axes: Any = None
) -> tuple[_Layout, ConvGeometry, InputLayout, InputLayout]:
    """The channel layout, geometry and the input and output array layouts of a Conv on ``input_shape``."""
    for name in ("kernel", "flip", "geometry", "meet"):
        if not hasattr(conv, name):
            raise InvalidTypeError(f"conv must be a Conv (with .{name}), got {describe(conv)}")
    conv, inputs = conv.meet(as_shape(input_shape, "input_shape"), channel_axis=channel_axis, axes=axes,
                             name="input_shape")
    klayout = conv.kernel_layout
    geom = conv.geometry(inputs.spatial_shape)
    outputs = inputs.with_sizes(geom.output_shape, klayout.channels_out(inputs.channels))
    return _layout(conv.kernel, klayout, inputs), geom, inputs, outputs


def layout_and_geometry(
    kernel_or_conv: Any, input_shape: Any, channels: int | None = None, *, ndim: int | None = None, **geometry: Any
) -> tuple[_Layout, ConvGeometry]:
    """Channel layout and geometry of a Conv, or of a bare kernel with the ``geometry`` options.

    ``input_shape`` is the spatial shape, optionally followed by the channel count; a kernel of 3
    or more axes needs ``ndim`` (a Conv, its own).
    """
    if hasattr(kernel_or_conv, "geometry") and hasattr(kernel_or_conv, "meet"):
        conv = kernel_or_conv if ndim is None else kernel_or_conv.resolved(ndim)
        shape = as_shape(input_shape, "input_shape")
        if conv.kernel_layout is None:
            conv.meet(shape)  # raises: a shape does not say how to read the kernel
        channel_axis = -1 if len(shape) == conv.ndim + 1 else None
        layout, geom, _, _ = _conv_layout(conv, shape, channel_axis)
        return layout, geom
    kernel = as_kernel(kernel_or_conv)
    klayout = _kernel_layout(kernel, ndim)
    inputs = _split_shape(klayout, input_shape, channels)
    geom = ConvGeometry.create(inputs.spatial_shape, klayout.spatial_shape, **geometry)
    return _layout(kernel, klayout, inputs), geom


def conv_matrix(
    conv: Any,
    input_shape: Any,
    format: str = "csr",
    dtype: Any = None,
    max_bytes: int | None = None,
    *,
    channel_axis: Any = AUTO,
    axes: Sequence[int] | None = None,
) -> Any:
    """The matrix of a :class:`~signalspace.ops.conv.Conv` on input arrays of ``input_shape``.

    ``conv_matrix(conv, x.shape) @ x.ravel() == conv(x).ravel()``, the array laid out as
    ``channel_axis`` and ``axes`` say (those of :meth:`Conv.forward
    <signalspace.ops.conv.Conv.forward>`: by default spatial axes then channels).  Along axes
    carried through the matrix is the Kronecker product of the convolution's matrix with
    identities, rows and columns placed where the arrays ravel them.  With
    ``boundary="constant"`` and ``cval != 0`` the convolution is affine and the matrix is its
    linear part: ``conv(x) = M @ x + conv.offset(x.shape)`` (``offset`` is ``conv(0)``), the same
    linear part :meth:`Conv.operator` applies.  ``Conv.to_matrix`` calls this.

    Examples
    --------
    >>> import signalspace as ss
    >>> conv_matrix(ss.Conv([1.0, -1.0]), (4,), format="dense")
    array([[ 1., -1.,  0.,  0.],
           [ 0.,  1., -1.,  0.],
           [ 0.,  0.,  1., -1.]])
    >>> conv_matrix(ss.Conv([1.0, -1.0]), (2, 4), axes=(1,), channel_axis=None).shape   # kron(I_2, M)
    (6, 8)
    """
    layout, geom, inputs, outputs = _conv_layout(conv, input_shape, channel_axis, axes)
    return _build(layout, geom, bool(conv.flip), format, dtype, max_bytes, (inputs, outputs))
