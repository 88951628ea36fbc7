"""Audio files larger than memory: lazy block reads and streaming writes.

:func:`load_lazy` returns an audio :class:`~signalspace.Signal` whose values are
a dask array: each chunk is one task that opens the file, seeks to its first
frame and reads only its frames (``soundfile.SoundFile.seek`` + ``read``), so
nothing is read until the values are computed, and then chunk by chunk.  The
tasks hold only the path and a few numbers: they pickle, and run on the
workers of a ``dask.distributed`` cluster that sees the same file system.

:func:`save_streaming` writes a (dask-backed) audio Signal chunk by chunk: a
few chunks are computed at a time (in parallel, by whatever dask scheduler is
active), written in order through one open ``soundfile.SoundFile``, then
dropped.  The file is written to a temporary name in the destination folder and
moved into place with :func:`os.replace` only when every chunk is written, so a
failure (an exception in a chunk, NaN samples, a full disk) leaves no partial
file.

``ss.audio.load(path, chunks=...)`` and ``ss.audio.save`` dispatch here for
chunked reads and dask-backed signals.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from .._errors import FileFormatError, InvalidParameterError, InvalidTypeError, require
from .._io import as_path, atomic_path, checked_between_tasks, os_path, signals_deferred
from .._validation import describe, positive_int
from ..parallel import compute, current_client, progress_active
from ..signal import Signal, is_lazy
from ._audio_files import (
    INEXACT_SEEK,
    check_samples,
    check_written_length,
    mix_mono,
    probe,
    resolve_format,
    writable_rate,
)
from ._audio_signal import _channels, from_array

__all__ = ["load_lazy", "save_streaming"]


class _SoundFileBlocks:
    """Array-like view of frames ``start .. start + frames`` of an audio file; each slice is one block read.

    Only plain data are stored (path, offsets, dtype), so the object pickles and
    every task opens the file itself.
    """

    def __init__(self, path: str | bytes, start: int, frames: int, channels: int, dtype: str, mono: bool) -> None:
        self.path = path
        self.start = start
        self.frames = frames
        self.file_channels = channels
        self.mono = mono
        self.dtype = np.dtype(dtype)
        self.shape = (frames, 1 if mono else channels)
        self.ndim = 2

    def __getitem__(self, key: Any) -> np.ndarray:
        import soundfile as sf

        if not isinstance(key, tuple):
            key = (key,)
        key = key + (slice(None),) * (2 - len(key))
        first, stop, step = key[0].indices(self.frames)
        n = max(0, stop - first)
        with sf.SoundFile(self.path) as f:
            f.seek(self.start + first)
            data = f.read(frames=n, dtype=str(self.dtype), always_2d=True)
        if data.shape[0] != n:
            where = os.fsdecode(self.path)
            raise FileFormatError(
                f"audio file {where!r} ended early: expected {n} frames from frame {self.start + first}, "
                f"read {data.shape[0]} (was it changed since load_lazy?)"
            )
        if self.mono:
            data = mix_mono(data)
        return data[::step, key[1]]


def _frame_chunks(chunks: Any, frames: int, channels: int, dtype: np.dtype) -> tuple[tuple[int, ...], ...]:
    require("dask", "reading lazily (chunks=)")
    from dask.array.core import normalize_chunks

    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer, str)):
        raise InvalidTypeError(
            f"chunks must be a number of frames (int), 'auto' or a size such as '64MiB', got {describe(chunks)}"
        )
    if isinstance(chunks, str):
        try:
            return normalize_chunks((chunks, -1), shape=(frames, channels), dtype=dtype)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(
                f"chunks must be a number of frames, 'auto' or a size such as '64MiB', got {chunks!r}: {exc}"
            ) from None
    size = min(positive_int(chunks, "chunks"), frames)  # a chunk longer than the file is the whole file
    return normalize_chunks((size, -1), shape=(frames, channels), dtype=dtype)


def load_lazy(
    path: str | os.PathLike[str],
    chunks: int | str = "auto",
    mono: bool = False,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: str = "float32",
) -> Signal:
    """Open an audio file as a lazy Signal: values are a dask array read block by block.

    Parameters
    ----------
    path : str or os.PathLike
        A file soundfile reads and seeks sample-exactly: WAV, FLAC, AIFF, CAF...
        MP3 and OGG (Vorbis, Opus) are refused: libsndfile's seek there is not
        sample-exact, and each chunk seeks.
    chunks : int or str, default "auto"
        Frames per chunk (int), or a chunk size in bytes as dask spells it
        (``"64MiB"``, ``"auto"``).  Channels are never split.
    mono : bool, default False
        Average the channels into one ``"M"`` channel, chunk by chunk.
    offset : float, default 0.0
        Start this many seconds into the file; the time axis starts at ``offset``.
    duration : float, optional
        Read at most this many seconds.
    dtype : {"float32", "float64", "int16", "int32"}
        Sample type, as :func:`signalspace.audio.load`.

    Returns
    -------
    Signal
        Kind ``"audio"``, values a dask array ``(n, c)``; ``attrs`` holds
        ``source``, ``format`` and ``subtype`` like :func:`signalspace.audio.load`.

    Raises
    ------
    FileFormatError
        Missing, unreadable or truncated file; a file that cannot seek, or
        cannot seek sample-exactly (MP3, OGG): load those eagerly, or convert
        them to FLAC/WAV first.
    InvalidParameterError
        Bad ``chunks``, ``offset``, ``duration`` or ``dtype``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile
    >>> from signalspace.domains._audio_stream import load_lazy
    >>> path = os.path.join(tempfile.mkdtemp(), "long.wav")
    >>> soundfile.write(path, np.linspace(-1, 1, 2000).reshape(1000, 2), 8000, subtype="FLOAT")
    >>> x = load_lazy(path, chunks=256)
    >>> x.is_lazy, x.shape, x.values.chunks[0]
    (True, (1000, 2), (256, 256, 256, 232))
    >>> float(x.values[500, 1].compute()) == float(soundfile.read(path)[0][500, 1])
    True
    """
    info = probe(path, mono=mono, offset=offset, duration=duration, dtype=dtype)
    p, rate, start, frames = info.path, info.rate, info.start, info.frames
    if not info.seekable:
        raise FileFormatError(
            f"audio file {str(p)!r} ({info.format}/{info.subtype}) is not seekable, so it cannot be read in chunks; "
            "read it whole with ss.audio.load(path) (no chunks=)"
        )
    if info.format in INEXACT_SEEK:
        raise FileFormatError(
            f"chunks= cannot read audio file {str(p)!r}: libsndfile's seek in {info.format}/{info.subtype} files is "
            "not sample-exact, so chunk-by-chunk reads would return wrong samples; read it whole with "
            "ss.audio.load(path) (no chunks=), or convert it once to FLAC or WAV (ss.audio.save(ss.audio.load(path), "
            "'file.flac')) and read that lazily"
        )
    reader = _SoundFileBlocks(os_path(p.resolve()), start, frames, info.channels, dtype, mono)
    chunk_spec = _frame_chunks(chunks, frames, reader.shape[1], reader.dtype)

    import dask.array as da
    from dask.base import tokenize

    stat = p.stat()
    name = "soundfile-" + tokenize(reader.path, stat.st_mtime_ns, stat.st_size, start, frames, dtype, mono, chunk_spec)
    values = da.from_array(
        reader,
        chunks=chunk_spec,
        name=name,
        lock=False,
        asarray=False,
        fancy=False,
        meta=np.empty((0, 0), dtype=reader.dtype),
    )
    channels = _channels("mono" if mono else None, reader.shape[1])  # the file's layout: no (c, n) guess
    signal = from_array(values, rate, layout=channels, channel_axis=-1, offset=start / rate)
    return signal.replace(attrs={"source": str(p), "format": info.format, "subtype": info.subtype})


def _parallel_blocks() -> int:
    """How many chunks to compute at once: the active cluster's threads, else the local cores."""
    client = current_client()
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # pragma: no cover - a client that cannot answer
            return 2
    return max(1, os.cpu_count() or 1)


def save_streaming(
    sig: Signal,
    path: str | os.PathLike[str],
    subtype: str | None = None,
    *,
    format: str | None = None,
    blocks_at_once: int | None = None,
) -> None:
    """Write an audio Signal chunk by chunk with soundfile, atomically.

    Parameters
    ----------
    sig : Signal
        One time axis, an integer sample rate; values numpy or dask (a numpy
        array is written in blocks of 2**18 frames).
    path : str or os.PathLike
        Destination; the format comes from the extension unless ``format`` is given.
    subtype : str, optional
        libsndfile subtype; by default the signal's ``attrs["subtype"]`` when
        the format allows it, else soundfile's default for the format.
    format : str, optional
        libsndfile major format (``"WAV"``, ``"FLAC"``...).
    blocks_at_once : int, optional
        Chunks computed together (default: the scheduler's threads).  Peak
        memory is about this many output chunks plus their inputs.

    Raises
    ------
    InvalidParameterError
        A non-integer sample rate, NaN/infinite samples, or float samples
        outside [-1, 1] for a fixed-point subtype (PCM, FLAC...: libsndfile
        would clip them), found while writing: the message gives the peak of
        the first block that exceeds full scale, and the destination is left
        untouched.  Normalize first, or write ``subtype="FLOAT"``.
    FileFormatError
        Unknown extension, unwritable destination.

    Notes
    -----
    Inside :func:`signalspace.parallel.progress` a bar of the frames written is
    shown on standard error.

    Examples
    --------
    >>> import os, tempfile
    >>> import dask.array as da, numpy as np, soundfile
    >>> import signalspace as ss
    >>> from signalspace.domains._audio_stream import save_streaming
    >>> x = ss.audio.from_array(da.ones((1000, 2), chunks=(300, 2), dtype="float32") / 4, sr=8000,
    ...                         channel_axis=-1)
    >>> path = os.path.join(tempfile.mkdtemp(), "out.wav")
    >>> save_streaming(x, path, subtype="FLOAT")
    >>> data, rate = soundfile.read(path)
    >>> data.shape, rate, float(data.max())
    ((1000, 2), 8000, 0.25)
    """
    import soundfile as sf

    rate = writable_rate(sig, "sig")
    step = _parallel_blocks() if blocks_at_once is None else positive_int(blocks_at_once, "blocks_at_once")
    target = as_path(path)
    format, subtype = resolve_format(target, format, subtype, sig.attrs.get("subtype"))
    values = sig.values
    n, c = values.shape
    graph = block_keys = None
    if is_lazy(values):
        from dask.delayed import Delayed

        if len(values.chunks[1]) > 1:
            values = values.rechunk({1: -1})
        bounds = np.concatenate([[0], np.cumsum(values.chunks[0])]).astype(int)
        graph, block_keys = values.__dask_graph__(), [row[0] for row in values.__dask_keys__()]
    else:
        bounds = np.unique(np.append(np.arange(0, n, 2**18), n)).astype(int)
    blocks = [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    bar = _FramesBar(n) if progress_active() else None
    with atomic_path(target) as tmp, signals_deferred() as check:
        try:
            handle = sf.SoundFile(str(tmp), "w", samplerate=rate, channels=c, subtype=subtype, format=format)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise FileFormatError(f"cannot write audio file {str(target)!r}: {exc}") from exc
        groups = [list(range(i, min(i + step, len(blocks)))) for i in range(0, len(blocks), step)]

        def fetch(group: list[int]) -> tuple[Any, ...]:
            if graph is None:
                return tuple(values[blocks[i][0] : blocks[i][1]] for i in group)
            # The group's own blocks and what they need, as the graph has them: never optimized, so a key always
            # names one task.  (Slicing and optimizing each group on its own fused a block two groups in flight
            # share into two different tasks under one key: the distributed scheduler then lost it, KeyError,
            # dask/dask#9888.)  Culling costs the group's tasks, not the graph's: streaming 100 000 chunks is linear.
            keys = [block_keys[i] for i in group]
            tasks = dict(graph.cull(set(keys)))
            with checked_between_tasks(check):  # a signal also stops the computation at its next task
                return compute(*(Delayed(key, tasks) for key in keys), optimize_graph=False)

        # the next group is computed (in a helper thread) while this one is written: at most 2 groups in memory
        pool = ThreadPoolExecutor(max_workers=1) if is_lazy(values) and len(groups) > 1 else None
        try:
            with handle as f:
                pending = pool.submit(contextvars.copy_context().run, fetch, groups[0]) if pool is not None else None
                for k, group in enumerate(groups):
                    check()
                    if pending is not None:
                        parts = _result(pending, check)  # errors of the user's graph propagate as they are
                        pending = None
                        if k + 1 < len(groups):
                            pending = pool.submit(contextvars.copy_context().run, fetch, groups[k + 1])
                    else:
                        parts = fetch(group)
                    for i, part in zip(group, parts, strict=True):
                        part = np.asarray(part)
                        check_samples(part, subtype, target, first=blocks[i][0], name="sig")
                        try:
                            f.write(part)
                        except (RuntimeError, ValueError, TypeError) as exc:
                            raise FileFormatError(f"cannot write audio file {str(target)!r}: {exc}") from exc
                    if bar is not None:
                        bar.update(blocks[group[-1]][1])
            check_written_length(tmp, n, target)
        finally:
            if pool is not None:  # an interrupted computation stops at its next task (checked_between_tasks)
                pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()


def _result(pending: Future, check: Any) -> Any:
    """``pending.result()``, calling ``check`` every 50 ms while it waits (a signal is acted on meanwhile)."""
    while True:
        try:
            return pending.result(timeout=0.05)
        except TimeoutError:
            check()


class _FramesBar:
    """A one-line text bar of frames written, on standard error."""

    def __init__(self, total: int, width: int = 40) -> None:
        import sys

        self.total = max(total, 1)
        self.width = width
        self.out = sys.stderr

    def update(self, done: int) -> None:
        frac = min(1.0, done / self.total)
        filled = math.floor(frac * self.width)
        self.out.write(f"\r[{'#' * filled}{' ' * (self.width - filled)}] {100 * frac:3.0f}% frames written")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()
