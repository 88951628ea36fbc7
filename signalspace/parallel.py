"""Chunked, out-of-core and distributed execution with dask.

A convolution is local: output sample ``i`` reads the padded input only on
``[i * stride, i * stride + reach]`` with ``reach = dilation * (k - 1)``.  So a
dask array too large for memory is convolved chunk by chunk, each chunk reading
a halo of ``reach`` samples from its neighbours.  :func:`conv_dask` builds that
graph; :func:`conv_adjoint_dask` builds the adjoint's.  Both call the ordinary
in-memory :class:`~signalspace.ops.conv.Conv` (and so its fastest engine) on
numpy blocks, and give the same values as the in-memory path to rounding.

How the graph is made (forward)
    1. Output chunks are chosen so that each one starts reading inside one
       input chunk: the output boundaries are ``ceil((pad_before + chunk
       start) / stride)``.  Output chunk ``[o0, o1)`` reads the padded window
       ``[o0 * stride, (o1 - 1) * stride + reach + 1)``: its chunk plus a halo
       of ``reach`` samples, which may span several input chunks when chunks
       are smaller than the halo.  Because every window starts at a multiple
       of the stride in padded coordinates, chunk boundaries never shift the
       stride phase.
    2. Each output chunk is *one task*: it receives the input blocks its window
       reads (for a window that reaches the padding, also the blocks the padding
       copies, as :func:`~signalspace.ops.geometry.boundary_index` maps them:
       the far end for "wrap"), builds the padded window (``cval`` for
       "constant") and runs a "valid" Conv of the same kernel, stride and
       dilation on it.  The graph is that one layer: no slicing, rechunking or
       concatenation layers, so building it costs ~0.02 ms per chunk
       (``benchmarks/bench_dask.py``) and its keys never change meaning.

The adjoint is the mirror image: each segment of the *padded* input grid is one
task gathering the output blocks whose windows touch it (a halo of ``reach`` on
the output grid, divided by the stride), applying the in-memory "valid" adjoint
and keeping its own part; then the pad regions are folded back onto the input
samples they copied by :func:`signalspace.ops.padding.fold` (reflect/mirror/
nearest/wrap add onto the edges; constant drops them).

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
    kernels, paths and offsets, never open files).  A worker or scheduler that
    dies under a computation of :func:`compute` (so under a streamed save)
    raises :class:`~signalspace.ClusterError`; the file being written is left
    as it was.  A streamed save computes its blocks group by group from the
    graph as it is (culled, never re-optimized per group), so that one key
    always names one task on the cluster.

Progress
    ``with ss.parallel.progress(): ...`` shows a progress bar for the work
    done inside it: dask's :class:`~dask.diagnostics.ProgressBar` on the local
    schedulers, :func:`distributed.progress` when a distributed client is
    active (for :func:`compute`), and a frames-written bar for streaming audio
    saves.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import itertools
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ._docstrings import docfiller
from ._errors import ClusterError, InvalidParameterError, InvalidTypeError, ShapeError, require
from ._validation import describe, finite_float
from .ops.conv import Conv
from .ops.geometry import boundary_index
from .ops.kernel import AUTO
from .ops.padding import fold

__all__ = [
    "cluster_errors", "compute", "conv_adjoint_dask", "conv_dask", "current_client", "progress", "progress_active",
]

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
    if sys.modules.get("distributed") is None:  # no client can exist; do not pay for importing distributed
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
    require("dask", "signalspace.parallel.progress")
    from dask.diagnostics import ProgressBar

    token = _PROGRESS.set("local")
    try:
        with ProgressBar(minimum=minimum, out=out if out is not None else sys.stderr):
            yield
    finally:
        _PROGRESS.reset(token)


#: Seconds a computation on a dask.distributed cluster waits while the cluster has no worker at all before it is
#: given up with a :class:`~signalspace.ClusterError` (a cluster that scales up again in time goes on).  The dask
#: configuration key ``signalspace.no-worker-timeout`` (seconds, or a text such as ``"2 minutes"``) overrides it.
NO_WORKER_TIMEOUT = 60.0


def compute(*collections: Any, optimize_graph: bool = True) -> tuple[Any, ...]:
    """``dask.compute`` that shows distributed progress inside :func:`progress` and names a lost cluster.

    On a dask.distributed cluster, the loss of a worker or of the scheduler
    raises :class:`~signalspace.ClusterError`, and so does a cluster left with
    no worker for :data:`NO_WORKER_TIMEOUT` seconds (its tasks would wait
    forever).  ``optimize_graph=False`` computes the collections' graphs as
    they are (see ``save_streaming``).

    Examples
    --------
    >>> import dask.array as da
    >>> from signalspace.parallel import compute
    >>> [a.tolist() for a in compute(da.arange(3, chunks=2), da.ones(2, chunks=1))]
    [[0, 1, 2], [1.0, 1.0]]
    """
    require("dask", "signalspace.parallel.compute")
    import dask

    client = current_client()
    with cluster_errors():
        if client is None:
            return dask.compute(*collections, optimize_graph=optimize_graph)
        futures = client.compute(list(collections), optimize_graph=optimize_graph)
        if _PROGRESS.get() == "distributed":
            from distributed import progress as dprogress

            dprogress(futures)
        _wait_with_workers(client, futures)
        return tuple(client.gather(futures))


def _wait_with_workers(client: Any, futures: list[Any]) -> None:
    """Wait for ``futures``; a cluster without workers for the no-worker timeout is a ClusterError."""
    import time

    import dask
    from dask.utils import parse_timedelta
    from distributed import wait

    limit = parse_timedelta(dask.config.get("signalspace.no-worker-timeout", NO_WORKER_TIMEOUT), default="s")
    alone_since = None
    while True:
        try:
            wait(futures, timeout=1.0)
            return
        except TimeoutError:  # distributed's wait raises the built-in TimeoutError
            pass
        try:
            workers = client.nthreads()
        except Exception as exc:  # the scheduler does not answer any more
            raise ClusterError(
                f"the dask scheduler stopped answering while the computation waited ({type(exc).__name__}: {exc}). "
                "Nothing was written; check the cluster and run the computation again"
            ) from exc
        if workers:
            alone_since = None
        elif alone_since is None:
            alone_since = time.monotonic()
        elif time.monotonic() - alone_since > limit:
            raise ClusterError(
                f"the dask cluster has had no worker for {limit:g} s while the computation waited for one (its "
                "workers died or were stopped). Nothing was written; start workers and run the computation again "
                "(or raise the dask setting signalspace.no-worker-timeout)"
            )


def _cluster_losses() -> tuple[type[BaseException], ...]:
    """The exceptions dask.distributed raises when a worker or the scheduler is lost (none without it)."""
    if sys.modules.get("distributed") is None:
        return ()
    from distributed import KilledWorker
    from distributed import client as _client
    from distributed.comm.core import CommClosedError

    cancelled = tuple(getattr(_client, name) for name in ("FutureCancelledError", "FuturesCancelledError")
                      if hasattr(_client, name))  # one future, several (distributed.wait)
    return (KilledWorker, *cancelled, CommClosedError)


@contextlib.contextmanager
def cluster_errors() -> Iterator[None]:
    """Turn the loss of a worker or of the scheduler inside the block into a :class:`~signalspace.ClusterError`.

    Errors of the computation itself (a task that raises) pass unchanged.

    Examples
    --------
    >>> from signalspace.parallel import cluster_errors
    >>> with cluster_errors():
    ...     1 + 1
    2
    """
    try:
        yield
    except Exception as exc:
        losses = _cluster_losses()
        if losses and isinstance(exc, losses):
            text = " ".join(str(exc).split()).split(". ")[0]  # one line: the cause's first sentence
            raise ClusterError(
                f"the dask cluster lost what the computation needed ({type(exc).__name__}: {text}): a worker died "
                "(out of memory, killed) or the scheduler went away. Nothing was written; check the cluster "
                "(its logs, its workers' memory limits) and run the computation again"
            ) from exc
        raise


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


class _Segment:
    """What one segment of the padded grid takes from the outputs that reach it (see :func:`_adjoint_segment`).

    An opaque object: dask passes it to the task as it is.
    """

    __slots__ = ("dst", "in_lengths", "length", "local", "seg_shape", "src")

    def __init__(self, local: tuple[slice, ...], in_lengths: tuple[int, ...], src: tuple[int, ...],
                 dst: tuple[int, ...], length: tuple[int, ...], seg_shape: tuple[int, ...]) -> None:
        self.local, self.in_lengths, self.src, self.dst = local, in_lengths, src, dst
        self.length, self.seg_shape = length, seg_shape


def _adjoint_window(blocks: Any, segment: _Segment, conv: Conv, nb: int, c_in: int, dtype: Any) -> np.ndarray:
    """One segment of the padded grid: the gathered output blocks, cut to the outputs that reach it, adjointed."""
    y = _concatenate(blocks, nb)[(slice(None),) * nb + segment.local]
    return _adjoint_segment(y, conv, nb, segment.in_lengths, segment.src, segment.dst, segment.length,
                            segment.seg_shape, c_in, dtype)


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
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    x = x.astype(conv.compute_dtype(x.dtype), copy=False)
    if len(x.chunks[-1]) > 1:
        x = x.rechunk({x.ndim - 1: -1})
    block_conv = _valid_conv(conv)
    out_dtype, c_out = conv.compute_dtype(x.dtype), (c_in if conv.depthwise else conv.c_out)
    recipes = [_axis_recipes(geometry, a, x.chunks[nb + a]) for a in range(nd)]
    name = "conv-" + tokenize(x.name, block_conv.correlation_kernel, conv.stride, conv.dilation, geometry.pad,
                              geometry.boundary, geometry.cval, conv.method)
    # one task per output chunk: it gathers the input blocks its window reads (halo and padding included), builds
    # the padded window and runs the in-memory "valid" Conv: no slicing, rechunking or concatenation layers
    dsk: dict[Any, Any] = {}
    cval = geometry.cval
    for batch in itertools.product(*(range(len(c)) for c in x.chunks[:nb])):
        for index in itertools.product(*(range(len(r)) for r in recipes)):
            chosen = [recipes[a][j] for a, j in enumerate(index)]
            keys = _nested_keys(x.name, batch, [r.blocks for r in chosen])
            dsk[(name, *batch, *index, 0)] = (_forward_window, keys, chosen, block_conv, cval)
    chunks = (*x.chunks[:nb], *(tuple(r.outputs for r in axis) for axis in recipes), (c_out,))
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[x])
    y = da.Array(graph, name, chunks, dtype=out_dtype, meta=np.empty((0,) * len(chunks), out_dtype))
    return layout.with_sizes(geometry.output_shape, c_out).restored(y)


class _Recipe:
    """How one output chunk reads one axis: which input blocks, and which samples of their concatenation.

    ``parts`` are ``slice`` objects (a contiguous run) or integer arrays (padding copied from elsewhere; -1 is
    the padding constant), in the order of the padded window.  An opaque object: dask passes it as it is.
    """

    __slots__ = ("blocks", "outputs", "parts")

    def __init__(self, blocks: tuple[int, ...], parts: tuple[Any, ...], outputs: int) -> None:
        self.blocks, self.parts, self.outputs = blocks, parts, outputs


def _axis_recipes(geometry: Any, axis: int, chunks: Sequence[int]) -> list[_Recipe]:
    """The output chunks along ``axis`` (each starts reading inside one input chunk) and how each reads its window."""
    s, r, (before, _), n_out = (geometry.stride[axis], geometry.reach[axis], geometry.pad[axis],
                                geometry.output_shape[axis])
    n, mode = geometry.input_shape[axis], geometry.boundary[axis]
    starts = [0, *itertools.accumulate(chunks)]
    cuts = sorted({0, n_out, *(c for c in (-((-(before + b)) // s) for b in starts[1:-1]) if 0 < c < n_out)})
    recipes = []
    for o0, o1 in itertools.pairwise(cuts):
        u0, u1 = o0 * s - before, (o1 - 1) * s + r + 1 - before  # the window, in input coordinates
        lo, hi = max(u0, 0), min(u1, n)
        head = boundary_index(np.arange(u0, min(u1, 0)), n, mode) if u0 < 0 else None
        tail = boundary_index(np.arange(max(u0, n), u1), n, mode) if u1 > n else None
        used = set()
        if lo < hi:
            used.update(range(bisect.bisect_right(starts, lo) - 1, bisect.bisect_left(starts, hi)))
        for copied in (head, tail):
            if copied is not None and (copied >= 0).any():
                used.update(np.searchsorted(starts, copied[copied >= 0], side="right") - 1)
        if not used:  # a window of padding constant only: one block gives the batch and channel shape
            used.add(min(bisect.bisect_right(starts, max(0, min(lo, n - 1))) - 1, len(chunks) - 1))
        blocks = tuple(sorted(int(b) for b in used))
        offset = {}  # block -> where it starts in the concatenation of the used blocks
        at = 0
        for b in blocks:
            offset[b] = at
            at += starts[b + 1] - starts[b]

        parts: list[Any] = []
        if head is not None:
            parts.append(_local(head, starts, offset))
        if lo < hi:
            first = blocks.index(bisect.bisect_right(starts, lo) - 1)
            begin = offset[blocks[first]] + lo - starts[blocks[first]]
            parts.append(slice(begin, begin + hi - lo))
        if tail is not None:
            parts.append(_local(tail, starts, offset))
        recipes.append(_Recipe(blocks, tuple(parts), o1 - o0))
    return recipes


def _local(indices: np.ndarray, starts: list[int], offset: dict[int, int]) -> np.ndarray:
    """Input ``indices`` as positions in the concatenation of the used blocks (``offset``); -1 stays -1."""
    block = np.searchsorted(starts, np.maximum(indices, 0), side="right") - 1
    at = np.array([offset.get(int(b), 0) for b in block], dtype=np.int64)
    return np.where(indices >= 0, at + np.maximum(indices, 0) - np.asarray(starts)[block], -1)


def _nested_keys(name: str, batch: tuple[int, ...], blocks: list[tuple[int, ...]]) -> Any:
    """Keys of the input blocks a window reads, nested one list level per spatial axis."""

    def level(prefix: tuple[int, ...], rest: list[tuple[int, ...]]) -> Any:
        if not rest:
            return (name, *batch, *prefix, 0)
        return [level((*prefix, b), rest[1:]) for b in rest[0]]

    return level((), blocks)


def _concatenate(nested: Any, axis: int) -> np.ndarray:
    """The blocks of a nested list joined, list level j along array axis ``axis + j``."""
    if isinstance(nested, np.ndarray):
        return nested
    parts = [_concatenate(item, axis + 1) for item in nested]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)


def _forward_window(blocks: Any, recipes: list[_Recipe], conv: Conv, cval: complex) -> np.ndarray:
    """One output chunk: the padded window built from ``blocks`` as ``recipes`` say, through the valid Conv."""
    first = _leading(blocks)
    window = _concatenate(blocks, first)
    for a, recipe in enumerate(recipes):
        axis = first + a
        pieces = []
        for part in recipe.parts:
            if isinstance(part, slice):
                pieces.append(window[(slice(None),) * axis + (part,)])
            else:
                piece = np.take(window, np.maximum(part, 0), axis=axis)
                if (part < 0).any():
                    piece[(slice(None),) * axis + (part < 0,)] = cval
                pieces.append(piece)
        window = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=axis)
    return np.asarray(conv(window, axes=tuple(range(first, first + conv.ndim)), channel_axis=-1))


def _leading(blocks: Any) -> int:
    """Number of batch axes of the blocks: the array rank minus the nesting depth minus the channel axis."""
    depth, probe = 0, blocks
    while isinstance(probe, list):
        depth, probe = depth + 1, probe[0]
    return probe.ndim - depth - 1


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
    # one task per segment of the padded grid: it gathers the y blocks of the outputs that reach it
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    y_starts = [[0, *itertools.accumulate(y.chunks[nb + a])] for a in range(nd)]
    reads = []  # per axis, per segment: (y blocks, their local slice, in_lengths, src, dst, length)
    for a in range(nd):
        s, r, starts = geometry.stride[a], geometry.reach[a], y_starts[a]
        axis_reads = []
        for lo, hi, i0, i1 in segments[a]:
            start, extent = i0 * s, max(0, (i1 - i0 - 1) * s + r + 1)
            first, last = max(lo, start), min(hi, start + extent)
            if i1 <= i0 or last <= first:
                axis_reads.append(None)
                continue
            b0, b1 = bisect.bisect_right(starts, i0) - 1, bisect.bisect_left(starts, i1)
            local = slice(i0 - starts[b0], i1 - starts[b0])
            axis_reads.append((tuple(range(b0, b1)), local, extent, first - start, first - lo, last - first))
        reads.append(axis_reads)
    name = "conv-adjoint-" + tokenize(y.name, block_conv.correlation_kernel, conv.stride, conv.dilation,
                                      geometry.pad, geometry.boundary, spatial, c_in)
    dsk: dict[Any, Any] = {}
    for batch in itertools.product(*(range(len(c)) for c in y.chunks[:nb])):
        batch_shape = tuple(y.chunks[k][i] for k, i in enumerate(batch))
        for index in itertools.product(*(range(len(seg)) for seg in segments)):
            seg_shape = tuple(segments[a][j][1] - segments[a][j][0] for a, j in enumerate(index))
            chosen = [reads[a][j] for a, j in enumerate(index)]
            if any(c is None for c in chosen):
                dsk[(name, *batch, *index, 0)] = (np.zeros, (*batch_shape, *seg_shape, c_in), out_dtype)
                continue
            keys = _nested_keys(y.name, batch, [c[0] for c in chosen])
            geometry_of_segment = _Segment(tuple(c[1] for c in chosen), *(tuple(c[k] for c in chosen)
                                                                           for k in range(2, 6)), seg_shape)
            dsk[(name, *batch, *index, 0)] = (_adjoint_window, keys, geometry_of_segment, block_conv, nb, c_in,
                                              out_dtype)
    chunks = (*y.chunks[:nb], *(tuple(hi - lo for lo, hi, _, _ in seg) for seg in segments), (c_in,))
    g = da.Array(HighLevelGraph.from_collections(name, dsk, dependencies=[y]), name, chunks, dtype=out_dtype,
                 meta=np.empty((0,) * len(chunks), out_dtype))
    x = fold(g, geometry, first=nb)
    return layout.with_sizes(spatial, c_in).restored(x)
