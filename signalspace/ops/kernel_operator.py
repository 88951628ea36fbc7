"""The other side of the bilinear map: a convolution as a linear map of its kernel.

A convolution is linear in the signal *and* in the kernel::

    y = A(a) x = X(x) a

:meth:`Conv.operator <signalspace.ops.conv.Conv.operator>` is ``A(a)``, the map
of the signal for a fixed kernel; :class:`KernelOperator` (made by
:meth:`Conv.kernel_operator <signalspace.ops.conv.Conv.kernel_operator>`) is
``X(x)``, the map ``a -> Conv(a, same options)(x)`` for fixed data.  Its matrix
is the data's (block-)Toeplitz matrix, its adjoint the *kernel gradient*: the
correlation of the (padded) input with the output-side vector, one per
``(c_in, c_out)`` pair, summed over the batch (and, for a depthwise kernel, over
the channels that share it)::

    grad[k, c, o] = sum_b sum_i conj(xp[b, i * stride + k * dilation, c]) * y[b, i, o]

That is itself a strided, dilated correlation, so it runs on the convolution
engines with the roles swapped: ``y`` becomes the kernel, the dilation becomes
the stride and the stride the dilation, the batch becomes the contracted channel
axis and the input channels the batch.  The engines and their cost model
(:mod:`signalspace.ops.engines`) then pick FFT, GEMM (im2col) or np.convolve as
they do for the forward.

The padding is data: ``X @ a`` runs as ``Conv(a)(x)`` does (the engines pad,
the response to a non-zero ``cval`` is added, linear in ``a``), and the
gradient reads ``xp``, the input padded once at construction following the
Conv's boundary (``cval`` for "constant").  So a non-zero ``cval``, which makes
``Conv(a)`` affine in ``x``, still leaves ``a -> Conv(a)(x)`` linear, and the
operator, its adjoint and its matrix include the constant.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError
from .._validation import check_budget, describe, one_of
from .._xarray import is_dataarray
from ..signal import Signal, is_lazy
from . import engines
from .base import LinearOperator
from .engines.base import WORKERS
from .engines.blas import blas_threads
from .engines.direct import tap_slices
from .geometry import ConvGeometry
from .kernel import AUTO
from .padding import constant_response, pad

__all__ = ["DATA_KERNEL_SKIP", "MATRIX_FORMATS", "KernelOperator"]

#: Formats of :meth:`KernelOperator.to_matrix`: scipy.sparse CSR or COO, or a dense ndarray.
MATRIX_FORMATS = ("csr", "coo", "dense")

#: Engines the automatic choice leaves out for the kernel gradient.  There the engines' "kernel" is the
#: output-side vector ``y``, data as large as the output: ``separable`` decides whether it applies with an SVD
#: of that array (milliseconds to seconds for an image) and never applies to data anyway.
DATA_KERNEL_SKIP = ("separable",)


#: Bytes of the patch matrix of one tile of the tiled kernel gradient (in cache), and its rows at least and at most.
_PATCH_BYTES = 2**21
_TILE_ROWS = (256, 8192)


@functools.cache
def _gradient_pool() -> ThreadPoolExecutor:
    """The threads that share the tiles of the kernel gradient (made on first use, one per core)."""
    return ThreadPoolExecutor(WORKERS, thread_name_prefix="signalspace-gradient")


def _spatial_flip(a: np.ndarray, ndim: int) -> np.ndarray:
    return a[tuple(slice(None, None, -1) for _ in range(ndim))]


def _complex_if(dtype: np.dtype, other: np.dtype) -> np.dtype:
    """``dtype``, made complex when ``other`` is (a complex kernel or vector on real data)."""
    return np.result_type(dtype, np.complex64) if np.dtype(other).kind == "c" else dtype


class KernelOperator(LinearOperator):
    """``a -> Conv(a, same options)(x)`` for fixed data ``x``: the data's (block-)Toeplitz matrix as an operator.

    Made by :meth:`Conv.kernel_operator <signalspace.ops.conv.Conv.kernel_operator>`;
    see the module docstring.  The model is a kernel shaped like the Conv's
    (``spatial + (c_in, c_out)``, or bare ``spatial`` for a depthwise Conv), the
    data an output shaped like ``conv(x)``.  ``flip``, stride, dilation, padding,
    boundary and ``cval`` are the Conv's.

    Parameters
    ----------
    conv : Conv
        Gives the options; its kernel's values are not used (its dtype is: a
        complex Conv kernel makes the operator complex).
    x : array_like or Signal
        The data, shaped like an input of ``conv``: ``batch... + spatial +
        (channels,)`` (or bare ``spatial``).  Copied (padded) once; later changes
        to ``x`` do not reach the operator.
    method : str, optional
        Engine for both directions (default ``conv.method``).  A named engine
        runs where it applies; the kernel gradient is a different correlation
        (its kernel is the output-side vector), where a named engine that does
        not apply gives way to the automatic choice.

    Examples
    --------
    The kernel [1, 0, -1] on x = 0, 1, 4, 9, 16, 25, read the other way round:

    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = np.arange(6.0) ** 2
    >>> X = ss.Conv(np.ones(3)).kernel_operator(x)
    >>> X.model_shape, X.data_shape
    ((3,), (4,))
    >>> X @ np.array([1.0, 0.0, -1.0])                    # == ss.Conv([1, 0, -1])(x)
    array([ -4.,  -8., -12., -16.])
    >>> X.to_matrix(format="dense")                        # the data's Toeplitz matrix: rows are windows of x
    array([[ 0.,  1.,  4.],
           [ 1.,  4.,  9.],
           [ 4.,  9., 16.],
           [ 9., 16., 25.]])
    >>> X.adjoint(np.ones(4))                              # the kernel gradient: x correlated with y
    array([14., 30., 54.])
    """

    def __init__(
        self, conv: Any, x: Any, method: str | None = None, *, channel_axis: Any = AUTO, axes: Any = None
    ) -> None:
        values = x.values if isinstance(x, Signal) else x
        if is_dataarray(values):
            raise InvalidTypeError(
                "x must be an ndarray or a Signal, got an xarray.DataArray; pass ss.Signal.from_xarray(x), or its "
                "values with channel_axis= and axes="
            )
        if is_lazy(values):
            raise InvalidTypeError(
                f"x must be in memory for the kernel operator (it is padded once and reused), got {describe(values)}; "
                "call .compute() first"
            )
        try:
            values = np.asarray(values)
        except Exception:
            raise InvalidTypeError(f"x must be array-like, got {describe(values)}") from None
        if values.dtype.kind not in "biufc":
            raise InvalidTypeError(f"x must be numeric, got {describe(values)}")
        if values.dtype.kind in "fc" and not np.all(np.isfinite(values)):
            raise InvalidParameterError("x must be finite (it is the data of a linear map), but it has NaN or infinity")
        # the Conv with its kernel read against x, and where x's axes sit (a Signal's by name)
        conv, layout = conv._shape_arguments(x if isinstance(x, Signal) else values.shape, channel_axis, axes, "x")
        g = conv.geometry(layout.spatial_shape)
        self._data_layout = layout.with_sizes(g.output_shape, conv.kernel_layout.channels_out(layout.channels))
        dtype = conv.compute_dtype(values.dtype)
        super().__init__(conv.kernel.shape, self._data_layout.shape, dtype)
        self.conv = conv
        self.method = conv.method if method is None else one_of(method, "method", engines.methods())
        self.geometry = g
        self.depthwise = conv.depthwise
        self.batch = math.prod(layout.batch_shape)
        self.channels = layout.channels
        self.c_out = layout.channels if conv.depthwise else conv.c_out
        # only the padded samples some output reads: s (n_out - 1) + d (k - 1) + 1 per axis
        self._read = tuple(s * (n - 1) + r + 1 for s, n, r in zip(g.stride, g.output_shape, g.reach, strict=True))
        self._forward_geometry = ConvGeometry.create(self._read, g.kernel_shape, stride=g.stride, dilation=g.dilation)
        # the gradient as a correlation: kernel = y (output-shaped), stride = dilation, dilation = stride
        self._gradient_geometry = ConvGeometry.create(self._read, g.output_shape, stride=g.dilation,
                                                      dilation=g.stride)
        # canonical (batch, spatial..., channels), a copy: x itself is never touched
        xb = layout.moved(values).reshape((self.batch, *layout.spatial_shape, self.channels)).astype(dtype)
        self._data = {dtype: xb}
        padded = pad(xb, g, cval=conv.cval)
        self._padded = {dtype: np.ascontiguousarray(padded[(slice(None), *(slice(0, n) for n in self._read))])}
        self._gradient_inputs: dict[np.dtype, np.ndarray] = {}
        self._choices: dict = {}  # (direction, dtype) -> engine (or "taps")

    # ------------------------------------------------------------ the data, laid out for each direction
    def padded(self, dtype: Any = None) -> np.ndarray:
        """The padded data ``xp`` (batch, read spatial..., channels) in ``dtype`` (the operator's by default).

        Only the padded samples some output reads are kept: ``stride * (n_out - 1)
        + dilation * (k - 1) + 1`` per axis.
        """
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        if dtype not in self._padded:
            self._padded[dtype] = self._padded[self.dtype].astype(dtype)
        return self._padded[dtype]

    def _gradient_input(self, dtype: np.dtype) -> np.ndarray:
        """``conj(xp)`` laid out as the input of the gradient correlation (cached per dtype)."""
        if dtype not in self._gradient_inputs:
            xp = self.padded(dtype)
            self._gradient_inputs[dtype] = self._gradient_layout(xp.conj() if dtype.kind == "c" else xp)
        return self._gradient_inputs[dtype]

    def _gradient_layout(self, xp: np.ndarray) -> np.ndarray:
        """``xp`` (batch, read spatial..., channels) as the gradient correlation's input (rows, read spatial..., c).

        Depthwise: one row whose channels are the (batch, channel) pairs, all contracted (they share the kernel).
        Otherwise one row per input channel, whose channels are the batch (contracted).
        """
        if self.depthwise:
            return np.ascontiguousarray(np.moveaxis(xp, 0, -2).reshape((1, *self._read, self.batch * self.channels)))
        return np.ascontiguousarray(np.moveaxis(xp, (0, -1), (-1, 0)))

    # ------------------------------------------------------------ LinearOperator
    def _model_to_correlation(self, a: np.ndarray) -> np.ndarray:
        return _spatial_flip(a, self.geometry.ndim) if self.conv.flip else a

    def _forward(self, a: np.ndarray) -> np.ndarray:
        dtype = _complex_if(self.dtype, a.dtype)
        plan = self._forward_plan(np.ascontiguousarray(self._model_to_correlation(a), dtype=dtype))
        if dtype not in self._data:
            self._data[dtype] = self._data[self.dtype].astype(dtype)
        y = engines.forward(self._data[dtype], plan, self._forward_engine(dtype))
        response = constant_response(self.geometry, plan.kernel, self.depthwise, self.conv.cval)
        if response is not None:  # the padding constant, linear in the kernel: as Conv adds it
            y += response
        return self._from_canonical(y)

    def _from_canonical(self, y: np.ndarray) -> np.ndarray:
        """An output in canonical order ``(batch, out..., c_out)`` laid out like ``conv(x)``."""
        canonical = self._data_layout.canonical_shape
        return np.ascontiguousarray(self._data_layout.restored(y.reshape(canonical)))

    def _to_canonical(self, y: np.ndarray) -> np.ndarray:
        """An output laid out like ``conv(x)`` in canonical order ``(batch, out..., c_out)``."""
        moved = self._data_layout.moved(y)
        return np.ascontiguousarray(moved).reshape((self.batch, *self.geometry.output_shape, self.c_out))

    def _forward_plan(self, kernel: np.ndarray) -> engines.Plan:
        c_in = self.channels if self.depthwise else self.conv.c_in
        return engines.Plan(self.geometry, kernel, self.depthwise, c_in, self.c_out, self.batch,
                            kernel_reused=False)

    def _kernel_shape(self) -> tuple[int, ...]:
        """The correlation kernel's shape (the model's)."""
        return self.geometry.kernel_shape + (() if self.depthwise else (self.conv.c_in, self.c_out))

    def _forward_engine(self, dtype: np.dtype) -> str:
        """The engine of ``X @ a``, chosen once per dtype (on a dense kernel: a solver's iterates are dense)."""
        key = ("forward", dtype)
        if key not in self._choices:
            plan = self._forward_plan(np.ones(self._kernel_shape(), dtype))
            self._choices[key] = self._cheapest(plan)
        return self._choices[key]

    def _cheapest(self, plan: engines.Plan, extra: dict[str, float] | None = None) -> str:
        """The operator's engine where it applies, else the cheapest applicable engine (or ``extra`` route)."""
        if self.method != "auto" and engines.get(self.method).applicable(plan):
            return self.method
        estimates = {name: engines.estimate(plan, name) for name, engine in engines.engines().items()
                     if name not in DATA_KERNEL_SKIP and engine.applicable(plan)}
        estimates.update(extra or {})
        return min(estimates, key=estimates.get)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        dtype = _complex_if(self.dtype, y.dtype)
        y = self._to_canonical(y.astype(dtype, copy=False))
        route = self._gradient_route(dtype)
        with blas_threads(1):  # reductions over the whole grid: threaded BLAS waits for busy cores
            if route == "taps":
                g = self._tap_products(y)
            else:
                g = self._correlate(self._gradient_input(dtype), y, route)
        return np.ascontiguousarray(self._model_to_correlation(g))

    def _gradient_route(self, dtype: np.dtype) -> str:
        """How the gradient runs: ``"taps"`` (:meth:`_tap_products`) or the engine of the swapped correlation.

        Tap by tap is the ``direct`` engine's loop read the other way: one product of a strided view of the data
        with ``y`` per kernel tap, priced as direct's tap calls and GEMM multiply-adds plus a copy of each view
        (none for one row of 1-D data at stride 1).  It wins for small kernels (a few taps against transforms
        of the whole grid); the swapped correlation for large ones.  Chosen once per dtype; ``method="direct"``
        forces the taps, another named engine the swapped correlation where it applies.
        """
        if self.method == "direct":
            return "taps"
        key = ("gradient", dtype)
        if key not in self._choices:
            swapped = self._gradient_plan(np.ones((*self.geometry.output_shape, *self._gradient_channels()), dtype))
            self._choices[key] = self._cheapest(swapped, {"taps": self._tap_cost(dtype)})
        return self._choices[key]

    def _tap_cost(self, dtype: np.dtype) -> float:
        """Estimated seconds of :meth:`_tap_products` in ``dtype``: the cheaper of its two ways."""
        return min(self._loop_cost(), self._tiled_cost(dtype))

    def _loop_cost(self) -> float:
        """Estimated seconds of the loop over taps (the cost table's direct and im2col terms)."""
        costs = engines.COSTS
        rows = self.batch * math.prod(self.geometry.output_shape)
        contiguous = self.geometry.ndim == 1 and self.geometry.stride == (1,) and self.batch == 1
        per_tap = (costs.direct_tap_call + rows * self.channels * self.c_out * costs.direct_gemm_unit
                   + (0 if contiguous else rows * self.channels * costs.im2col_patch_unit))
        return math.prod(self.geometry.kernel_shape) * per_tap

    def _tiled_cost(self, dtype: np.dtype) -> float:
        """Estimated seconds of :meth:`_tiled_products` in ``dtype`` (infinite where it does not apply).

        The patch copies and GEMMs of the flat im2col, in proportion to the item size and shared by the cores,
        plus a Python step per tile and outer tap, which holds the interpreter lock, and ``y`` laid on the grid.
        It applies to channel mixing (at least 8 channel pairs: fewer make GEMMs too thin to pay for the patch)
        at unit stride, on grids that the padding at most doubles.
        """
        g = self.geometry
        if (self.depthwise or self.channels * self.c_out < 8 or any(s != 1 for s in g.stride)
                or math.prod(self._read) > 2 * math.prod(g.output_shape)):
            return math.inf
        costs = engines.COSTS
        columns = math.prod(g.kernel_shape) * self.channels
        if _TILE_ROWS[0] * columns * dtype.itemsize > _PATCH_BYTES:
            return math.inf  # a patch of the smallest tile would not fit in cache
        positions = self.batch * math.prod(self._read)
        per_column = costs.im2col_flat_patch_unit + self.c_out * costs.im2col_flat_gemm_unit
        parallel = positions * columns * dtype.itemsize / 8 * per_column
        steps = -(-positions // self._tile_rows(columns, dtype)) * math.prod(g.kernel_shape[:-1])
        grid = positions * self.c_out * dtype.itemsize / 8 * costs.direct_write_unit
        return parallel / WORKERS + steps * costs.im2col_flat_tap_call + grid + costs.im2col_call

    def _tile_rows(self, columns: int, dtype: np.dtype) -> int:
        """Grid positions per tile of :meth:`_tiled_products`: a patch of about :data:`_PATCH_BYTES`."""
        return int(min(_TILE_ROWS[1], max(_TILE_ROWS[0], _PATCH_BYTES // (columns * dtype.itemsize))))

    def engine(self, direction: str = "adjoint", dtype: Any = None) -> str:
        """How ``X @ a`` (``direction="forward"``) or the kernel gradient (``"adjoint"``) runs, in ``dtype``.

        An engine's name; for the gradient also ``"taps"`` (one product of the data with ``y`` per kernel tap,
        small kernels).  Chosen once per dtype by the cost model, as ``Conv.engine`` says for the signal side.

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> x = np.random.default_rng(0).standard_normal(48_000)
        >>> ss.Conv(np.ones(5)).kernel_operator(x).engine()            # 5 dot products
        'taps'
        >>> ss.Conv(np.ones(4000)).kernel_operator(x).engine() in ("fft", "oa")
        True
        """
        one_of(direction, "direction", ("forward", "adjoint"))
        dtype = self.dtype if dtype is None else _complex_if(self.dtype, np.dtype(dtype))
        return self._forward_engine(dtype) if direction == "forward" else self._gradient_route(dtype)

    def _tap_products(self, y: np.ndarray) -> np.ndarray:
        """The gradient tap by tap: ``grad[k] = view_k(xp)ᴴ y`` (correlation taps; ``view_k``: what tap k reads)."""
        if self._tiled_cost(y.dtype) < self._loop_cost():
            return self._tiled_products(y)
        xp = self.padded(y.dtype)
        out_shape = self.geometry.output_shape
        yb = y.reshape((self.batch, *out_shape, self.c_out))
        if self.depthwise:
            g = np.empty(self.geometry.kernel_shape, dtype=y.dtype)
        else:
            g = np.empty((*self.geometry.kernel_shape, self.channels, self.c_out), dtype=y.dtype)
            y2 = yb.reshape(-1, self.c_out)
        for tap in np.ndindex(*self.geometry.kernel_shape):
            view = xp[tap_slices(self._forward_geometry, tap, out_shape)]  # (batch, out..., c)
            if self.depthwise:  # sums over batch, positions and channels (np.vdot is slow on strided views)
                g[tap] = np.dot(view.reshape(-1).conj(), yb.reshape(-1))
            else:
                g[tap] = view.reshape(-1, self.channels).conj().T @ y2
        return g

    def _tiled_products(self, y: np.ndarray) -> np.ndarray:
        """The gradient at unit stride as one GEMM per tile of grid positions, tiles shared among the cores.

        On the padded grid flattened to rows of channels, tap ``k`` reads the rows
        ``q + offset_k`` for output row ``q``; ``y`` is laid on the same grid (zeros
        where no output is).  Per tile of rows, the windows of every tap are copied
        side by side (a patch matrix ``(rows, taps * c_in)``, in cache) and
        ``grad += y_tileᵀ @ patch``: one GEMM with every tap and channel, where a
        product per tap (:meth:`_tap_products`' loop) is a ``c_in``-row GEMM bound by
        memory (3 -> 16 channels, 512², 7x7: 13.6 ms on two cores against 68 ms).
        """
        from numpy.lib.stride_tricks import as_strided

        g = self.geometry
        xp = self.padded(y.dtype)
        read, out, c, c_out = self._read, g.output_shape, self.channels, self.c_out
        steps = [math.prod(read[i + 1 :]) for i in range(g.ndim)]  # rows per step along each spatial axis
        rows = (self.batch - 1) * math.prod(read) + sum((o - 1) * st for o, st in zip(out, steps, strict=True)) + 1
        # the last row any tap reads is the buffer's last: (o - 1) + d (k - 1) = read - 1 on every axis
        xf = xp.reshape(-1, c)
        yf = np.zeros((self.batch, *read, c_out), dtype=y.dtype)
        yf[(slice(None), *(slice(0, o) for o in out))] = y.reshape((self.batch, *out, c_out))
        yf = yf.reshape(-1, c_out)[:rows]
        k_last, d_last = g.kernel_shape[-1], g.dilation[-1]
        width = k_last * c  # patch columns per outer tap: its taps along the last axis, channels innermost
        row_bytes, item_bytes = xf.strides
        # what each outer tap reads for every grid row: k_last windows of c channels, one run of width samples
        # when the last axis is not dilated (rows overlap: a view, nothing copied)
        shape, strides = ((rows, width), (row_bytes, item_bytes)) if d_last == 1 else \
            ((rows, k_last, c), (row_bytes, d_last * row_bytes, item_bytes))
        views = [as_strided(xf[sum(t * d * st for t, d, st in zip(outer, g.dilation, steps, strict=False)) :],
                            shape=shape, strides=strides, writeable=False)
                 for outer in np.ndindex(*g.kernel_shape[:-1])]
        columns = len(views) * width
        tile = self._tile_rows(columns, y.dtype)
        tiles = [(q, min(q + tile, rows)) for q in range(0, rows, tile)]

        def accumulate(part: list[tuple[int, int]]) -> np.ndarray:
            total = np.zeros((c_out, columns), dtype=y.dtype)
            patch = np.empty((tile, columns), dtype=y.dtype)
            for q0, q1 in part:
                m = q1 - q0
                for i, view in enumerate(views):
                    patch[:m, i * width : (i + 1) * width].reshape(view[q0:q1].shape)[...] = view[q0:q1]
                if y.dtype.kind == "c":
                    np.conjugate(patch[:m], out=patch[:m])
                total += yf[q0:q1].T @ patch[:m]
            return total

        if len(tiles) < 2 * WORKERS:
            total = accumulate(tiles)
        else:  # numpy releases the GIL in the copies and the GEMMs
            total = sum(_gradient_pool().map(accumulate, [tiles[i::WORKERS] for i in range(WORKERS)]))
        return np.ascontiguousarray(total.T).reshape((*g.kernel_shape, c, c_out))

    def _correlate(self, data: np.ndarray, y: np.ndarray, engine: str | None = None) -> np.ndarray:
        """The correlation of ``data`` (laid out by :meth:`_gradient_layout`) with ``y``: the gradient, correlation
        taps, on ``engine`` (default: the one :meth:`_gradient_route` picks, taps aside).

        ``y`` (the data shape) becomes the engines' kernel ``(out spatial..., c_in', c_out')``: the batch (and,
        depthwise, the channels) contracted like input channels.
        """
        out_shape = self.geometry.output_shape
        kernel = np.moveaxis(y.reshape((self.batch, *out_shape, self.c_out)), 0, -2)  # (out..., batch, c_out)
        plan = self._gradient_plan(kernel.reshape((*out_shape, *self._gradient_channels())))
        g = engines.forward(data, plan, engine or self._cheapest(plan))
        return g[0, ..., 0] if self.depthwise else np.moveaxis(g, 0, -2)  # spatial (+ (c_in, c_out))

    def _gradient_channels(self) -> tuple[int, int]:
        """``(c_in, c_out)`` of the swapped correlation: the contracted (batch[, channel]) pairs, the outputs."""
        return (self.batch * self.channels, 1) if self.depthwise else (self.batch, self.c_out)

    def _gradient_plan(self, kernel: np.ndarray) -> engines.Plan:
        """The engines' plan of the swapped correlation whose kernel is ``y`` laid out ``(out..., c_in', c_out')``."""
        rows = 1 if self.depthwise else self.channels
        c_in, c_out = self._gradient_channels()
        return engines.Plan(self._gradient_geometry, np.ascontiguousarray(kernel), False, c_in, c_out, rows,
                            kernel_reused=False)

    # ------------------------------------------------------------ matrices
    def patches(self) -> np.ndarray:
        """The windows of the padded data, one per output position and tap: (batch, out spatial..., taps..., c).

        The taps are those of the kernel as the Conv takes it (flipped when ``flip``):
        ``patches()[b, i, k, c]`` multiplies ``a[k, c, o]`` in output ``(b, i, o)``, in the
        canonical order (the carried axes raveled into ``b``, channels last).  A view, no copy.
        """
        g = self.geometry
        nd = g.ndim
        windows = np.lib.stride_tricks.sliding_window_view(
            self.padded(), tuple(r + 1 for r in g.reach), axis=tuple(range(1, nd + 1))
        )  # (batch, out_full..., c, window...)
        windows = windows[(slice(None), *(slice(None, None, s) for s in g.stride), slice(None),
                           *(slice(None, None, d) for d in g.dilation))]
        windows = np.moveaxis(windows, nd + 1, -1)  # (batch, out..., taps..., c)
        if self.conv.flip:
            windows = windows[(slice(None),) * (nd + 1) + (slice(None, None, -1),) * nd]
        return windows

    def to_matrix(self, format: str = "csr", max_bytes: int | None = None) -> Any:
        """The data's (block-)Toeplitz matrix ``X(x)``: ``X @ a.ravel() == conv_with_kernel_a(x).ravel()``.

        Rows are the outputs, in the order of ``conv(x).ravel()`` (``(batch,
        position, c_out)`` for channels-last data), and columns the kernel's
        entries raveled in C order.  A row holds the window of the padded data
        its output reads (``cval`` where it reads the "constant" padding); with
        channels each window sits once per output channel, in the block of that
        channel's kernel column (a Kronecker product with the ``c_out x c_out``
        identity), so the matrix stores ``c_out`` times fewer non-zeros than a dense one.

        Parameters
        ----------
        format : {"csr", "coo", "dense"}
        max_bytes : int, optional
            A matrix (values and indices) needing more bytes than this raises
            :class:`~signalspace.MemoryBudgetError` before anything is built;
            default the memory budget (:func:`signalspace.memory_budget`).

        Examples
        --------
        >>> import numpy as np
        >>> import signalspace as ss
        >>> X = ss.Conv(np.ones((2, 1, 2)), ndim=1).kernel_operator(np.array([[1.0], [2.0], [3.0]]))
        >>> X.to_matrix(format="dense")              # columns: a[0, 0, 0], a[0, 0, 1], a[1, 0, 0], a[1, 0, 1]
        array([[1., 0., 2., 0.],
               [0., 1., 0., 2.],
               [2., 0., 3., 0.],
               [0., 2., 0., 3.]])
        """
        import scipy.sparse as sp

        one_of(format, "format", MATRIX_FORMATS)
        m, n = self.shape
        itemsize = np.dtype(self.dtype).itemsize
        windows = self.patches()
        taps = math.prod(self.geometry.kernel_shape)
        rows = self.batch * math.prod(self.geometry.output_shape)
        stored = rows * taps * self.channels * (1 if self.depthwise else self.c_out)
        need = m * n * itemsize if format == "dense" else stored * (itemsize + 8)
        check_budget(need, max_bytes, f"the data's {format} matrix of shape {(m, n)} ({stored:,} stored values)",
                     "max_bytes", "use the operator (to_scipy()) instead of its matrix")
        # rows in canonical order (batch, position, channel); put in the order of conv(x)'s raveled values
        order = self._data_layout.permutation()
        rows_of = None if np.array_equal(order, np.arange(order.size)) else np.argsort(order)
        if self.depthwise:  # columns taps: one window per row
            nd = self.geometry.ndim
            block = np.moveaxis(windows, -1, nd + 1).reshape(rows * self.channels, taps)
            matrix = np.ascontiguousarray(block) if format == "dense" else sp.csr_array(block)
        elif format == "dense":
            matrix = np.kron(windows.reshape(rows, taps * self.channels), np.eye(self.c_out, dtype=self.dtype))
        else:
            block = sp.csr_array(windows.reshape(rows, taps * self.channels))
            matrix = sp.kron(block, sp.eye_array(self.c_out, dtype=self.dtype), format="csr")
        if rows_of is not None:
            matrix = matrix[rows_of]
        return matrix.tocoo() if format == "coo" else matrix

    def as_linear_operator(self) -> Any:
        """The same as :meth:`to_scipy`: a :class:`scipy.sparse.linalg.LinearOperator` on raveled kernels.

        Named like :meth:`Conv.as_linear_operator <signalspace.ops.conv.Conv.as_linear_operator>`, the
        signal side's.
        """
        return self.to_scipy()

    def gram(self) -> np.ndarray:
        """The Gram matrix of one output channel's columns: ``Xᴴ X = kron(gram(), I_{c_out})``.

        Shape ``(n, n)`` with ``n = taps * c_in`` (``taps`` when depthwise), in the
        order of the kernel's raveled entries of one output channel.  It costs
        ``rows * n²`` multiply-adds over the ``rows`` windows of the data (cheap
        for small kernels): its eigenvalues say whether the data determine the
        kernel.
        """
        windows = self.patches()
        if self.depthwise:
            nd = self.geometry.ndim
            block = np.moveaxis(windows, -1, nd + 1).reshape(-1, math.prod(self.geometry.kernel_shape))
        else:
            block = windows.reshape(-1, math.prod(self.geometry.kernel_shape) * self.channels)
        return block.conj().T @ block

    def gram_cost(self) -> int:
        """Multiply-adds of :meth:`gram`."""
        n = math.prod(self.geometry.kernel_shape) * (1 if self.depthwise else self.channels)
        rows = self.batch * math.prod(self.geometry.output_shape) * (self.channels if self.depthwise else 1)
        return rows * n * n

    def gram_diagonal(self) -> np.ndarray:
        """The squared norm of every column of the matrix (``diag(Xᴴ X)``), shaped like the kernel.

        Entry ``(k, c, o)`` is the energy of the data that tap ``k`` of channel ``c``
        reads over all outputs (the same for every ``o``); a zero entry is a kernel
        weight the data cannot see.  One correlation, no matrix.
        """
        xp = self.padded()
        energy = (xp.real**2 + xp.imag**2) if xp.dtype.kind == "c" else xp**2
        ones = np.ones((self.batch, *self.geometry.output_shape, self.c_out), dtype=energy.dtype)
        return np.ascontiguousarray(self._model_to_correlation(self._correlate(self._gradient_layout(energy), ones)))

    def __repr__(self) -> str:
        return (f"<KernelOperator of a {self.geometry.ndim}-D Conv on data {self.geometry.input_shape}: kernel "
                f"{self.model_shape} -> {self.data_shape}, {self.dtype}>")
