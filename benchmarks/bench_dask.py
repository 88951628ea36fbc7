"""Out-of-core convolution with dask: one hour of stereo 44.1 kHz float32 audio (about 1.27 GB).

Run alone (it takes a few minutes, needs ~4 GB of temporary disk and loads both cores)::

    python benchmarks/bench_dask.py                 # 60 minutes of audio
    python benchmarks/bench_dask.py --minutes 5     # a quicker look
    python benchmarks/bench_dask.py --tmpdir /data  # where the WAV files go

Steps, each measured path in its own child process so that its peak resident
memory (``ru_maxrss`` of that child, from :func:`os.wait4`) is its own:

1. synthesize the signal to a temporary WAV (FLOAT), block by block;
2. *chunked*: ``load_lazy(chunks)`` -> ``conv_dask`` (2205 taps, "same",
   true convolution) -> ``save_streaming``;
3. *in memory*: ``soundfile.read`` of the whole file -> ``scipy.signal.oaconvolve``
   per channel -> ``soundfile.write``; the oaconvolve time alone is the peer;
4. *zarr -> zarr* (when zarr is installed): the source is first copied to a
   zarr store (not timed), then ``ss.load(store, chunks=...)`` -> ``conv_dask``
   -> ``ss.save(y, "out.zarr")`` (atomic, chunk by chunk);
5. compare the output files block by block (max |difference| / max |value|);
6. graph construction: the chunked conv of a lazy array of ``--graph-chunks``
   chunks (100 000 by default) and what a streamed save prepares before any
   work (one optimized graph, one task handle per block), per chunk.

Targets (issue 7): peak memory of the chunked path <= 25 % of the in-memory
path's; its wall time (read + convolve + write) <= 1.5x the in-memory
oaconvolve alone; outputs equal (float32 rounding).  Issue 14: the zarr -> zarr
path within the same memory bound (<= 25 % of in-memory); graph construction
<= 0.1 ms per chunk (the audit measured 1.3 ms: 133 s for 100 000 chunks).

``cases()`` gives the benchmark runner (benchmarks/run.py) an in-process case
of the same pipeline on one minute of audio held in memory (time only).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

SR = 44_100
TAPS = 2205
CHUNK_FRAMES = 2**21
BLOCK = 2**20


def kernel() -> np.ndarray:
    """A 2205-tap (50 ms) windowed-sinc low-pass at 4 kHz, float32."""
    import scipy.signal

    return scipy.signal.firwin(TAPS, 4000, fs=SR).astype(np.float32)


def synthesize(path: str, minutes: float, seed: int = 0) -> int:
    """Write ``minutes`` of stereo float32 audio (noise + two tones) block by block; return the frame count."""
    import soundfile as sf

    frames = round(minutes * 60 * SR)
    rng = np.random.default_rng(seed)
    with sf.SoundFile(path, "w", samplerate=SR, channels=2, subtype="FLOAT", format="WAV") as f:
        for start in range(0, frames, BLOCK):
            n = min(BLOCK, frames - start)
            t = (start + np.arange(n)) / SR
            block = 0.1 * rng.standard_normal((n, 2), dtype=np.float32)
            block[:, 0] += (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
            block[:, 1] += (0.3 * np.sin(2 * np.pi * 6000.0 * t)).astype(np.float32)
            f.write(block)
    return frames


# ------------------------------------------------------------------ the two paths (run in children)
def run_chunked(src: str, dst: str, chunk_frames: int) -> dict:
    import dask.array  # noqa: F401  (imports outside the timing, as the in-memory path's)

    import signalspace as ss
    from signalspace.domains._audio_stream import load_lazy, save_streaming
    from signalspace.parallel import conv_dask

    t0 = time.perf_counter()
    x = load_lazy(src, chunks=chunk_frames)
    conv = ss.Conv(kernel(), padding="same", flip=True)
    y = x.replace(values=conv_dask(conv, x.values))
    save_streaming(y, dst, subtype="FLOAT")
    return {"total": time.perf_counter() - t0}


def to_zarr(src: str, dst: str, chunk_frames: int) -> dict:
    """Copy the source WAV into a zarr store of ``chunk_frames``-frame chunks (the zarr path's input)."""
    import signalspace as ss
    from signalspace.domains._audio_stream import load_lazy

    t0 = time.perf_counter()
    ss.save(load_lazy(src, chunks=chunk_frames), dst)
    return {"total": time.perf_counter() - t0}


def run_zarr(src: str, dst: str, chunk_frames: int) -> dict:
    import dask.array  # noqa: F401  (imports outside the timing, as the in-memory path's)
    import zarr  # noqa: F401

    import signalspace as ss
    from signalspace.parallel import conv_dask

    t0 = time.perf_counter()
    x = ss.load(src, chunks={"time": chunk_frames})
    conv = ss.Conv(kernel(), padding="same", flip=True)
    ss.save(x.replace(values=conv_dask(conv, x.values)), dst)
    return {"total": time.perf_counter() - t0}


def graph_seconds(n_chunks: int, chunk_frames: int = 1024) -> dict:
    """Seconds to build the chunked conv's graph of ``n_chunks`` chunks and to prepare its streamed save."""
    import dask.array as da

    import signalspace as ss
    from signalspace.parallel import conv_dask

    x = da.zeros((n_chunks * chunk_frames, 2), chunks=(chunk_frames, 2), dtype=np.float32)
    conv = ss.Conv(kernel(), padding="same", flip=True)
    t0 = time.perf_counter()
    y = conv_dask(conv, x)
    t1 = time.perf_counter()
    # what save_streaming does before the first block is computed: the block keys and the first group's cull
    graph, keys = y.__dask_graph__(), [row[0] for row in y.__dask_keys__()]
    dict(graph.cull(set(keys[:2])))
    t2 = time.perf_counter()
    return {"conv": t1 - t0, "save": t2 - t1, "tasks": len(graph)}


def run_in_memory(src: str, dst: str) -> dict:
    import scipy.signal
    import soundfile as sf

    t0 = time.perf_counter()
    data, rate = sf.read(src, dtype="float32")
    t1 = time.perf_counter()
    h = kernel()
    out = np.empty_like(data)
    for c in range(data.shape[1]):
        out[:, c] = scipy.signal.oaconvolve(data[:, c], h, mode="same")
    t2 = time.perf_counter()
    sf.write(dst, out, rate, subtype="FLOAT")
    t3 = time.perf_counter()
    return {"total": t3 - t0, "read": t1 - t0, "oaconvolve": t2 - t1, "write": t3 - t2}


def compare(a: str, b: str) -> dict:
    """Block by block comparison of output ``a`` (a WAV file or a zarr store) with the WAV file ``b``."""
    import soundfile as sf

    worst, scale = 0.0, 0.0
    store = None
    if a.endswith(".zarr"):
        import signalspace as ss

        store = ss.load(a, chunks={}).values
    with sf.SoundFile(b) as fb, (sf.SoundFile(a) if store is None else contextlib.nullcontext()) as fa:
        frames = store.shape[0] if store is not None else fa.frames
        channels = store.shape[1] if store is not None else fa.channels
        if frames != fb.frames or channels != fb.channels:
            return {"equal_shape": False}
        for start in range(0, frames, BLOCK):
            xb = fb.read(BLOCK, dtype="float64")
            xa = np.asarray(store[start : start + BLOCK], dtype=np.float64) if store is not None else fa.read(
                BLOCK, dtype="float64")
            worst = max(worst, float(np.abs(xa - xb).max()))
            scale = max(scale, float(np.abs(xb).max()))
    return {"equal_shape": True, "max_abs_diff": worst, "max_abs": scale, "relative": worst / max(scale, 1e-30)}


def _child(args: list[str]) -> tuple[dict, float]:
    """Run this file with ``args`` in a child process; return its JSON result and its peak RSS in MiB."""
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed with exit code {proc.returncode}")
    # ru_maxrss is in KiB on Linux
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--chunk-frames", type=int, default=CHUNK_FRAMES)
    parser.add_argument("--tmpdir", default=None)
    parser.add_argument("--graph-chunks", type=int, default=100_000)
    parser.add_argument("--child", choices=["chunked", "memory", "to-zarr", "zarr"], help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    parser.add_argument("--dst", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "chunked":
        print(json.dumps(run_chunked(args.src, args.dst, args.chunk_frames)))
        return 0
    if args.child == "memory":
        print(json.dumps(run_in_memory(args.src, args.dst)))
        return 0
    if args.child == "to-zarr":
        print(json.dumps(to_zarr(args.src, args.dst, args.chunk_frames)))
        return 0
    if args.child == "zarr":
        print(json.dumps(run_zarr(args.src, args.dst, args.chunk_frames)))
        return 0

    size = args.minutes * 60 * SR * 2 * 4
    workdir = tempfile.mkdtemp(prefix="ss-bench-dask-", dir=args.tmpdir)
    free = shutil.disk_usage(workdir).free
    if free < 5.2 * size:
        shutil.rmtree(workdir)
        print(f"not enough temporary disk in {workdir}: {free / 2**30:.1f} GiB free, need {5.2 * size / 2**30:.1f}")
        return 1
    start = time.perf_counter()
    try:
        src = os.path.join(workdir, "source.wav")
        t = time.perf_counter()
        frames = synthesize(src, args.minutes)
        print(f"synthesized {frames} frames x 2 channels float32 ({os.path.getsize(src) / 1e9:.2f} GB) "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
        a, b = os.path.join(workdir, "chunked.wav"), os.path.join(workdir, "memory.wav")
        chunked, rss_chunked = _child(["--child", "chunked", "--src", src, "--dst", a,
                                       "--chunk-frames", str(args.chunk_frames)])
        print(f"chunked  : {chunked['total']:.1f} s, peak RSS {rss_chunked:.0f} MiB", flush=True)
        memory, rss_memory = _child(["--child", "memory", "--src", src, "--dst", b])
        print(f"in memory: {memory['total']:.1f} s (read {memory['read']:.1f}, oaconvolve {memory['oaconvolve']:.1f}, "
              f"write {memory['write']:.1f}), peak RSS {rss_memory:.0f} MiB", flush=True)
        check = compare(a, b)
        zarr_run = None
        if importlib.util.find_spec("zarr") is not None:
            store_in, store_out = os.path.join(workdir, "source.zarr"), os.path.join(workdir, "chunked.zarr")
            copied, _ = _child(["--child", "to-zarr", "--src", src, "--dst", store_in,
                                "--chunk-frames", str(args.chunk_frames)])
            zarr_run, rss_zarr = _child(["--child", "zarr", "--src", store_in, "--dst", store_out,
                                         "--chunk-frames", str(args.chunk_frames)])
            print(f"zarr->zarr: {zarr_run['total']:.1f} s, peak RSS {rss_zarr:.0f} MiB (source copied to zarr in "
                  f"{copied['total']:.1f} s)", flush=True)
            zarr_check = compare(store_out, b)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    graph = graph_seconds(args.graph_chunks)
    per_chunk = (graph["conv"] + graph["save"]) / args.graph_chunks
    print(f"graph of {args.graph_chunks} chunks: conv {graph['conv']:.2f} s, save preparation {graph['save']:.2f} s "
          f"({graph['tasks']} tasks)", flush=True)
    mem_ratio = rss_chunked / rss_memory
    time_ratio = chunked["total"] / memory["oaconvolve"]
    rows = [
        ("peak RSS chunked / in-memory", f"{rss_chunked:.0f} / {rss_memory:.0f} MiB", f"{mem_ratio:.1%}", "<= 25%",
         mem_ratio <= 0.25),
        ("chunked read+conv+write / oaconvolve alone", f"{chunked['total']:.1f} / {memory['oaconvolve']:.1f} s",
         f"{time_ratio:.2f}x", "<= 1.5x", time_ratio <= 1.5),
        ("chunked / in-memory read+conv+write", f"{chunked['total']:.1f} / {memory['total']:.1f} s",
         f"{chunked['total'] / memory['total']:.2f}x", "-", True),
        ("max |diff| / max |y|", f"{check.get('max_abs_diff', float('nan')):.2e}",
         f"{check.get('relative', float('nan')):.1e}", "<= 1e-6", check.get("relative", 1.0) <= 1e-6),
    ]
    rows.append(("graph construction per chunk (conv + save prep.)", f"{args.graph_chunks} chunks",
                 f"{per_chunk * 1e3:.3f} ms", "<= 0.1 ms", per_chunk <= 1e-4))
    if zarr_run is not None:
        zarr_mem = rss_zarr / rss_memory
        rows += [
            ("peak RSS zarr->zarr / in-memory", f"{rss_zarr:.0f} / {rss_memory:.0f} MiB", f"{zarr_mem:.1%}", "<= 25%",
             zarr_mem <= 0.25),
            ("zarr read+conv+write / oaconvolve alone", f"{zarr_run['total']:.1f} / {memory['oaconvolve']:.1f} s",
             f"{zarr_run['total'] / memory['oaconvolve']:.2f}x", "-", True),
            ("zarr: max |diff| / max |y|", f"{zarr_check.get('max_abs_diff', float('nan')):.2e}",
             f"{zarr_check.get('relative', float('nan')):.1e}", "<= 1e-6", zarr_check.get("relative", 1.0) <= 1e-6),
        ]
    print(f"\n{args.minutes:g} min stereo {SR} Hz float32, {TAPS} taps, chunks of {args.chunk_frames} frames, "
          f"{os.cpu_count()} cores; whole run {time.perf_counter() - start:.0f} s")
    for name, values, ratio, target, ok in rows:
        print(f"{name:45s} {values:>24s} {ratio:>8s}  target {target:8s} {'ok' if ok else 'MISS'}")
    return 0


def cases(quick: bool = False) -> list[dict]:
    """In-process case for benchmarks/run.py: one minute of stereo audio, chunked dask conv vs oaconvolve.

    Time only (no file I/O, no memory measurement: run this file alone for those).
    """
    import dask
    import dask.array as da
    import scipy.signal

    import signalspace as ss
    from signalspace.parallel import conv_dask

    seconds = 30 if quick else 120
    rng = np.random.default_rng(0)
    x = rng.standard_normal((seconds * SR, 2), dtype=np.float32)
    h = kernel()
    conv = ss.Conv(h, padding="same", flip=True)
    lazy = da.from_array(x, chunks=(2**20, 2))

    def ours():
        with dask.config.set(scheduler="threads"):
            return conv_dask(conv, lazy).compute()

    def peer():
        return np.stack([scipy.signal.oaconvolve(x[:, c], h, mode="same") for c in range(2)], axis=-1)

    return [{"name": f"dask 1-D stereo {seconds} s, k=2205, chunks 2**20 (threads)", "ours": ours, "peer": peer,
             "peer_name": "scipy.signal.oaconvolve", "target": 1.5}]


if __name__ == "__main__":
    sys.exit(main())
