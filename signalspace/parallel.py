"""Chunked, out-of-core and distributed execution with dask.

A convolution is local: output sample ``i`` reads the padded input only on
``[i * stride, i * stride + reach]`` with ``reach = dilation * (k - 1)``.  So a
dask array too large for memory is convolved chunk by chunk, each chunk reading
a halo of ``reach`` samples from its neighbours.  :func:`conv_dask` builds that
graph; :func:`conv_adjoint_dask` builds the adjoint's.  Both call the ordinary
in-memory :class:`~signalspace.ops.conv.Conv` (and so its fastest engine) on
numpy blocks, and give the same values as the in-memory path to rounding.

How the graph is made (forward)
    1. The input is padded as the geometry says by :func:`signalspace.ops.padding.pad`,
       the same function the in-memory engines use (values following ``boundary``
       as :func:`~signalspace.ops.geometry.boundary_index` maps them; ``cval`` for
       "constant").  Only the thin pad slabs are new
       chunks; the input chunks are untouched.
    2. Output chunks are chosen so that each one starts reading inside one
       input chunk: the output boundaries are ``ceil((pad_before + chunk
       start) / stride)``.  Output chunk ``[o0, o1)`` reads the padded slice
       ``[o0 * stride, (o1 - 1) * stride + reach + 1)``: its chunk plus a halo
       of ``reach`` samples, which may span several input chunks when chunks
       are smaller than the halo.  Because every slice starts at a multiple
       of the stride in padded coordinates, chunk boundaries never shift the
       stride phase.
    3. Each slice is computed with a "valid" Conv of the same kernel, stride
       and dilation; the results are concatenated.

The adjoint is the mirror image: each chunk of the *padded* input grid gathers
the output samples whose windows touch it (a halo of ``reach`` on the output
grid, divided by the stride), applies the in-memory "valid" adjoint and keeps
its own part; then the pad regions are folded back onto the input samples they
copied by :func:`signalspace.ops.padding.fold` (reflect/mirror/nearest/wrap add onto
the edges; constant drops them).

Schedulers and clusters
    Nothing here chooses a scheduler: the graphs run on whatever dask uses
    when they are computed.  With no setup that is the local threaded
    scheduler.  To run on a cluster, create a ``dask.distributed`` client
    first; every ``.compute()``, :func:`compute`, and streaming save then runs
    on its workers::

        from dask.distributed import Client
        import signalspace as ss

        with Client("tcp://scheduler-host:8786"):      # an existing cluster
            x = ss.audio.load("long.wav", chunks=2**20)  # lazy: nothing read yet
            y = ss.Conv(h, padding="same", flip=True)(x)
            ss.audio.save(y, "filtered.wav")            # streamed, chunk by chunk

    ``Client()`` with no address starts a ``LocalCluster`` on this machine
    (processes, one per core).  The workers must see the files you read
    (same path on a shared file system); the graphs pickle (they hold
    kernels, paths and offsets, never open files).

Progress
    ``with ss.parallel.progress(): ...`` shows a progress bar for the work
    done inside it: dask's :class:`~dask.diagnostics.ProgressBar` on the local
    schedulers, :func:`distributed.progress` when a distributed client is
    active (for :func:`compute`), and a frames-written bar for streaming audio
    saves.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ._docstrings import docfiller
from ._errors import InvalidParameterError, InvalidTypeError, ShapeError
from ._validation import describe, finite_float
from .ops.conv import Conv
from .ops.kernel import AUTO
from .ops.padding import fold, pad

__all__ = ["compute", "conv_adjoint_dask", "conv_dask", "current_client", "progress", "progress_active"]

_PROGRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("signalspace_progress", default=None)


# ------------------------------------------------------------------ schedulers
def current_client() -> Any:
    """The active ``dask.distributed`` Client, or None (local scheduler).

    Examples
    --------
    >>> from signalspace.parallel import current_client
    >>> current_client() is None
    True
    """
    if "distributed" not in sys.modules:  # no client can exist; do not pay for importing distributed
        return None
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - distributed is optional
        return None
    try:
        return default_client()
    except ValueError:
        return None


def progress_active() -> bool:
    """True inside :func:`progress`."""
    return _PROGRESS.get() is not None


@contextlib.contextmanager
def progress(minimum: float = 0.5, out: Any = None) -> Iterator[None]:
    """Show progress bars for the dask work done inside the block (opt-in).

    Parameters
    ----------
    minimum : float, default 0.5
        Local scheduler: only computations longer than this many seconds
        draw a bar (dask's ``ProgressBar(minimum=...)``).
    out : file-like, optional
        Where the local bar is written (default standard error).

    Notes
    -----
    On the local schedulers every ``.compute()`` inside the block draws a
    :class:`dask.diagnostics.ProgressBar`.  With a ``dask.distributed``
    client, :func:`compute` shows :func:`distributed.progress` (a plain
    ``.compute()`` cannot be observed from the client; use :func:`compute`).
    Streaming audio saves draw a bar of the frames written.

    Examples
    --------
    >>> import io
    >>> import dask.array as da
    >>> from signalspace import parallel
    >>> with parallel.progress(minimum=0, out=io.StringIO()):
    ...     total = float(da.ones(10, chunks=5).sum().compute())
    >>> total
    10.0
    """
    minimum = finite_float(minimum, "minimum")
    if minimum < 0:
        raise InvalidParameterError(f"minimum must be >= 0 seconds, got {minimum}")
    client = current_client()
    if client is not None:
        token = _PROGRESS.set("distributed")
        try:
            yield
        finally:
            _PROGRESS.reset(token)
        return
    from dask.diagnostics import ProgressBar

    token = _PROGRESS.set("local")
    try:
        with ProgressBar(minimum=minimum, out=out if out is not None else sys.stderr):
            yield
    finally:
        _PROGRESS.reset(token)


def compute(*collections: Any) -> tuple[Any, ...]:
    """``dask.compute`` that shows distributed progress inside :func:`progress`.

    Examples
    --------
    >>> import dask.array as da
    >>> from signalspace.parallel import compute
    >>> [a.tolist() for a in compute(da.arange(3, chunks=2), da.ones(2, chunks=1))]
    [[0, 1, 2], [1.0, 1.0]]
    """
    import dask

    client = current_client()
    if client is not None and _PROGRESS.get() == "distributed":
        from distributed import progress as dprogress

        futures = client.compute(list(collections))
        dprogress(futures)
        return tuple(client.gather(futures))
    return dask.compute(*collections)


# ------------------------------------------------------------------ helpers
def _check_dask(values: Any, name: str) -> Any:
    if not hasattr(values, "__dask_graph__") or not hasattr(values, "chunks"):
        raise InvalidTypeError(f"{name} must be a dask array, got {describe(values)}")
    return values


def _check_conv(conv: Any) -> Conv:
    if not isinstance(conv, Conv):
        raise InvalidTypeError(f"conv must be a signalspace Conv, got {describe(conv)}")
    return conv


def _valid_conv(conv: Conv) -> Conv:
    """The same correlation with no padding: what runs on each (already padded) block."""
    return Conv(
        conv.correlation_kernel, stride=conv.stride, dilation=conv.dilation, padding="valid",
        method=conv.method, ndim=conv.ndim,
    )


def _starts(chunks: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)


def _concat_nested(blocks: np.ndarray, first_axis: int) -> Any:
    """Concatenate an object array of dask arrays, its axis j along array axis ``first_axis + j``."""
    import dask.array as da

    if blocks.ndim == 1:
        return da.concatenate(list(blocks), axis=first_axis)
    parts = [_concat_nested(blocks[i], first_axis + 1) for i in range(blocks.shape[0])]
    return da.concatenate(parts, axis=first_axis)


# ------------------------------------------------------------------ block functions
def _forward_block(block: np.ndarray, conv: Any, nb: int) -> np.ndarray:
    return np.asarray(conv(block, axes=tuple(range(nb, nb + conv.ndim)), channel_axis=-1))


def _adjoint_segment(
    block: np.ndarray,
    conv: Any,
    nb: int,
    in_lengths: tuple[int, ...],
    src: tuple[int, ...],
    dst: tuple[int, ...],
    length: tuple[int, ...],
    seg_shape: tuple[int, ...],
    c_in: int,
    dtype: Any,
) -> np.ndarray:
    out = np.zeros((*block.shape[:nb], *seg_shape, c_in), dtype=dtype)
    if any(n == 0 for n in length):
        return out
    spatial_axes = tuple(range(nb, nb + len(in_lengths)))
    g = np.asarray(conv.adjoint(block, input_shape=in_lengths, axes=spatial_axes, channel_axis=-1))
    batch = (slice(None),) * nb
    take = batch + tuple(slice(s, s + n) for s, n in zip(src, length, strict=True))
    put = batch + tuple(slice(d, d + n) for d, n in zip(dst, length, strict=True))
    out[put] = g[take]
    return out


# ------------------------------------------------------------------ forward
@docfiller
def conv_dask(conv: Any, values: Any, *, channel_axis: Any = AUTO, axes: Sequence[int] | None = None) -> Any:
    """Apply ``conv`` to a dask array chunk by chunk, with a halo of the kernel's reach.

    Parameters
    ----------
    conv : Conv
        Any :class:`~signalspace.ops.conv.Conv` (padding, boundary, stride,
        dilation, channels, flip).
    values : dask.array.Array
        Laid out like Conv's ndarray input: spatial axes and a channel axis
        (or none for one channel), other axes carried through as
        ``channel_axis`` and ``axes`` say.  Any chunking, including chunks
        smaller than the halo; channels are gathered per block.
    %(channel_axis)s
    %(axes)s

    Returns
    -------
    dask.array.Array
        Lazy, equal to ``conv(values.compute())``; output chunks follow the
        input's along each spatial axis (divided by the stride), batch chunks
        are kept, channels are one chunk.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import signalspace as ss
    >>> from signalspace.parallel import conv_dask
    >>> x = np.random.default_rng(0).standard_normal((1000, 2))
    >>> conv = ss.Conv(np.hanning(31), padding="same", boundary="reflect", stride=3)
    >>> y = conv_dask(conv, da.from_array(x, chunks=(100, 2)))
    >>> y.shape, y.chunks[0][:3]
    ((334, 2), (39, 33, 33))
    >>> bool(np.allclose(y.compute(), conv(x)))
    True
    """
    conv = _check_conv(conv)
    values = _check_dask(values, "values")
    conv, layout = conv.meet(tuple(int(n) for n in values.shape), channel_axis=channel_axis, axes=axes, name="values")
    x = layout.moved(values)  # batch... + spatial + (c_in,)
    nb, nd = len(layout.carried), conv.ndim
    spatial = layout.spatial_shape
    geometry = conv.geometry(spatial)
    c_in = layout.channels
    x = x.astype(conv.compute_dtype(x.dtype), copy=False)
    block_conv = _valid_conv(conv)
    out_dtype, c_out = conv.compute_dtype(x.dtype), (c_in if conv.depthwise else conv.c_out)
    xp = pad(x, geometry, first=nb, cval=geometry.cval)
    if len(x.chunks[-1]) > 1:
        xp = xp.rechunk({xp.ndim - 1: -1})

    segments = []  # per axis: list of (o0, o1)
    for a in range(nd):
        s, (before, _), n_out = geometry.stride[a], geometry.pad[a], geometry.output_shape[a]
        starts = _starts(x.chunks[nb + a])[1:-1]
        cuts = {0, n_out}
        cuts.update(int(c) for c in -((-(before + starts)) // s) if 0 < c < n_out)
        cuts_sorted = sorted(cuts)
        segments.append(list(itertools.pairwise(cuts_sorted)))
    func = functools.partial(_forward_block, conv=block_conv, nb=nb)
    blocks = np.empty([len(s) for s in segments], dtype=object)
    for index in itertools.product(*(range(len(s)) for s in segments)):
        key = [slice(None)] * nb
        out_sizes = []
        for a, j in enumerate(index):
            o0, o1 = segments[a][j]
            s, r = geometry.stride[a], geometry.reach[a]
            key.append(slice(o0 * s, (o1 - 1) * s + r + 1))
            out_sizes.append(o1 - o0)
        piece = xp[tuple(key)]
        piece = piece.rechunk({nb + a: -1 for a in range(nd)})
        chunks = (*piece.chunks[:nb], *((n,) for n in out_sizes), (c_out,))
        blocks[index] = piece.map_blocks(
            func, chunks=chunks, dtype=out_dtype, meta=np.empty((0,) * len(chunks), out_dtype)
        )
    y = _concat_nested(blocks, nb)
    return layout.with_sizes(geometry.output_shape, c_out).restored(y)


# ------------------------------------------------------------------ adjoint
def conv_adjoint_dask(
    conv: Any, values: Any, input_shape: Sequence[int] | None = None, *, channel_axis: Any = AUTO,
    axes: Sequence[int] | None = None,
) -> Any:
    """The adjoint of :func:`conv_dask`: ``convᴴ`` applied chunk by chunk.

    Parameters
    ----------
    conv : Conv
        The forward operator.
    values : dask.array.Array
        Shaped like an output of ``conv``, laid out as ``channel_axis`` and
        ``axes`` say (those of :func:`conv_dask`).
    input_shape : sequence of int, optional
        Spatial shape of the model x; needed only when a stride makes it
        ambiguous (as for :meth:`Conv.adjoint`).
    channel_axis, axes : optional
        As for :func:`conv_dask`.

    Returns
    -------
    dask.array.Array
        Lazy, equal to ``conv.adjoint(values.compute(), input_shape)``.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import signalspace as ss
    >>> from signalspace.parallel import conv_adjoint_dask
    >>> conv = ss.Conv(np.arange(5.0), padding="same", boundary="wrap")
    >>> y = np.random.default_rng(0).standard_normal(200)
    >>> x = conv_adjoint_dask(conv, da.from_array(y, chunks=30))
    >>> bool(np.allclose(x.compute(), conv.adjoint(y)))
    True
    """
    import dask.array as da

    conv = _check_conv(conv)
    values = _check_dask(values, "values")
    conv, layout = conv.meet(
        tuple(int(n) for n in values.shape), channel_axis=channel_axis, axes=axes, output=True, name="values"
    )
    y = layout.moved(values)  # batch... + output spatial + (c_out,)
    nb, nd = len(layout.carried), conv.ndim
    out_spatial = layout.spatial_shape
    spatial = conv._input_spatial(out_spatial, input_shape)
    geometry = conv.geometry(spatial)
    if geometry.output_shape != out_spatial:
        raise ShapeError(
            f"values has output spatial shape {out_spatial} but an input of {spatial} gives {geometry.output_shape}"
        )
    c_out = layout.channels
    y = y.astype(conv.compute_dtype(y.dtype), copy=False)  # the one dtype rule, as in memory
    if len(y.chunks[-1]) > 1:
        y = y.rechunk({y.ndim - 1: -1})
    block_conv = _valid_conv(conv)
    out_dtype, c_in = conv.compute_dtype(y.dtype), (c_out if conv.depthwise else conv.c_in)

    # segments of the padded input grid, cut where y's chunks start (times the stride)
    segments = []
    for a in range(nd):
        s, r, size = geometry.stride[a], geometry.reach[a], geometry.padded_shape[a]
        cuts = {0, size}
        cuts.update(int(c) * s for c in _starts(y.chunks[nb + a])[1:-1] if 0 < c * s < size)
        cuts_sorted = sorted(cuts)
        axis_segments = []
        for lo, hi in itertools.pairwise(cuts_sorted):
            i0 = max(0, -((r - lo) // s))  # ceil((lo - r) / s)
            i1 = min(out_spatial[a], (hi - 1) // s + 1)
            axis_segments.append((lo, hi, i0, i1))
        segments.append(axis_segments)
    blocks = np.empty([len(s) for s in segments], dtype=object)
    batch_shape = tuple(y.shape[:nb])
    batch_chunks = tuple(y.chunks[:nb])
    for index in itertools.product(*(range(len(s)) for s in segments)):
        seg_shape, key, in_lengths, src, dst, length = [], [slice(None)] * nb, [], [], [], []
        empty = False
        for a, j in enumerate(index):
            lo, hi, i0, i1 = segments[a][j]
            s, r = geometry.stride[a], geometry.reach[a]
            seg_shape.append(hi - lo)
            if i1 <= i0:
                empty = True
            key.append(slice(i0, i1))
            start, extent = i0 * s, (i1 - i0 - 1) * s + r + 1
            in_lengths.append(extent)
            first, last = max(lo, start), min(hi, start + extent)
            src.append(first - start)
            dst.append(first - lo)
            length.append(max(0, last - first))
        if empty or any(n == 0 for n in length):
            shape = (*batch_shape, *seg_shape, c_in)
            zchunks = (*batch_chunks, *((n,) for n in seg_shape), (c_in,))
            blocks[index] = da.zeros(shape, dtype=out_dtype, chunks=zchunks)
            continue
        piece = y[tuple(key)].rechunk({nb + a: -1 for a in range(nd)})
        func = functools.partial(
            _adjoint_segment, conv=block_conv, nb=nb, in_lengths=tuple(in_lengths), src=tuple(src), dst=tuple(dst),
            length=tuple(length), seg_shape=tuple(seg_shape), c_in=c_in, dtype=out_dtype,
        )
        chunks = (*piece.chunks[:nb], *((n,) for n in seg_shape), (c_in,))
        blocks[index] = piece.map_blocks(
            func, chunks=chunks, dtype=out_dtype, meta=np.empty((0,) * len(chunks), out_dtype)
        )
    g = _concat_nested(blocks, nb)
    x = fold(g, geometry, first=nb)
    return layout.with_sizes(spatial, c_in).restored(x)
