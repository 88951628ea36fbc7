"""Interrupt saves with real signals and count hangs, leftovers and torn targets.

    python benchmarks/interrupted_saves.py              # 50 interrupted saves (7 kinds), SIGINT and SIGTERM
    python benchmarks/interrupted_saves.py --saves 100 --kinds nc-numpy wav-dask

Each save runs in its own Python process: it writes a signal of about ``--megabytes`` MB over a target that
already holds an older complete file, the parent waits until the save's temporary file appears, waits a
random moment more, sends SIGINT or SIGTERM and gives the process ``--timeout`` seconds to exit.  Reported:
hangs (no exit in time), temporary files left behind, targets that are not the old file byte for byte (a
save that was interrupted must leave the target as it was), and how long the processes took to exit.
Then every kind is killed with SIGKILL once (its temporary file necessarily stays) and saved again: the
leftover must be gone after that save.  Targets: 0 hangs, 0 leftovers, 0 torn targets.
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

KINDS = ("nc-numpy", "nc-dask", "wav-numpy", "wav-dask", "tif-numpy", "zarr-numpy", "zarr-dask")

CHILD = r"""
import sys
import numpy as np
import signalspace as ss
kind, target, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
ext, backing = kind.split("-")
if ext == "tif":
    side = int((frames * 2) ** 0.5)
    values = np.random.default_rng(0).random((side, side))
    x = ss.image.from_array(values)
else:
    if backing == "dask":
        import dask.array as da
        values = da.random.default_rng(0).standard_normal((frames, 2), chunks=(frames // 32, 2)) * 0.1
    else:
        values = np.random.default_rng(0).standard_normal((frames, 2)) * 0.1
    x = ss.audio.from_array(values, sr=48000, channel_axis=-1)
print("ready", flush=True)
ss.save(x, target, **({"subtype": "FLOAT"} if ext == "wav" else {}))
"""


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _start(kind: str, target: Path, frames: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, str(target), str(frames)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    proc.stdout.readline()
    return proc


def _same(target: Path, old: object) -> bool:
    """True when ``target`` still holds the older take ``old``."""
    import signalspace as ss

    try:
        return np.array_equal(ss.load(target).values, old.values)
    except ss.FileFormatError:
        return False


def _whole(target: Path, kind: str, frames: int) -> bool:
    """True when ``target`` holds the complete signal the child saves."""
    import signalspace as ss

    try:
        x = ss.load(target)
    except ss.FileFormatError:
        return False
    if kind.startswith("tif"):
        side = int((frames * 2) ** 0.5)
        expected = np.random.default_rng(0).random((side, side))
        return x.shape == (side, side, 1) and np.array_equal(x.values[..., 0], expected)
    return x.shape == (frames, 2)


def interrupt_once(kind: str, folder: Path, frames: int, signum: int, delay: float, timeout: float) -> dict:
    """One save of ``kind`` over an older file, interrupted by ``signum`` ``delay`` s after its temp file appears."""
    import signalspace as ss

    target = folder / f"take.{kind.split('-')[0]}"
    old = ss.audio.from_array(np.full(100, 0.5, dtype=np.float32), sr=48000)  # an older complete take
    if kind.startswith("tif"):
        old = ss.image.from_array(np.full((4, 4), 0.5))
    ss.save(old, target)
    proc = _start(kind, target, frames)
    start = time.monotonic()
    while not _temporaries(folder) and proc.poll() is None and time.monotonic() - start < timeout:
        time.sleep(0.002)
    time.sleep(delay)
    proc.send_signal(signum)
    sent = time.monotonic()
    try:
        proc.wait(timeout=timeout)
        hang, latency = False, time.monotonic() - sent
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        hang, latency = True, None
    # an interrupted save leaves the old file; a save that finished before the signal leaves the whole new one
    torn = not (_same(target, old) or _whole(target, kind, frames))
    return {"hang": hang, "latency": latency, "leftover": _temporaries(folder), "torn": torn,
            "returncode": proc.returncode, "stderr": proc.stderr.read()[-300:]}


def killed_then_saved_again(kind: str, folder: Path, frames: int, timeout: float) -> dict:
    """SIGKILL a save of ``kind`` mid-write, then save again: is the killed save's temporary file gone?"""
    target = folder / f"take.{kind.split('-')[0]}"
    proc = _start(kind, target, frames)
    start = time.monotonic()
    while not _temporaries(folder) and proc.poll() is None and time.monotonic() - start < timeout:
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    left_by_kill = _temporaries(folder)
    again = _start(kind, target, frames // 8)
    again.wait(timeout=timeout)
    return {"left_by_kill": left_by_kill, "after_next_save": _temporaries(folder), "returncode": again.returncode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--megabytes", type=float, default=64.0, help="size of each saved signal")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    frames = int(args.megabytes * 2**20 / 16)  # two float64 channels
    results = []
    with tempfile.TemporaryDirectory() as root:
        for i in range(args.saves):
            kind = args.kinds[i % len(args.kinds)]
            signum = signal.SIGINT if i % 2 == 0 else signal.SIGTERM
            folder = Path(root) / f"save{i}"
            folder.mkdir()
            r = interrupt_once(kind, folder, frames, signum, rng.uniform(0, 0.5), args.timeout)
            r.update(kind=kind, signal=signal.Signals(signum).name)
            results.append(r)
            if r["hang"] or r["leftover"] or r["torn"]:
                print(f"  save {i} {kind} {r['signal']}: {r}", flush=True)
        kills = []
        for kind in args.kinds:
            folder = Path(root) / f"kill-{kind}"
            folder.mkdir()
            kills.append((kind, killed_then_saved_again(kind, folder, frames, args.timeout)))
    latencies = [r["latency"] for r in results if r["latency"] is not None]
    hangs = sum(r["hang"] for r in results)
    leftovers = sum(bool(r["leftover"]) for r in results)
    torn = sum(r["torn"] for r in results)
    print(f"{len(results)} interrupted saves of {args.megabytes:g} MB ({', '.join(args.kinds)}), SIGINT and SIGTERM")
    print(f"  hangs: {hangs}   temporary files left: {leftovers}   torn targets: {torn}")
    if latencies:
        print(f"  exit after the signal: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s")
    stale = 0
    for kind, k in kills:
        stale += bool(k["after_next_save"])
        print(f"  SIGKILL {kind}: left {len(k['left_by_kill'])} temporary file(s); after the next save: "
              f"{k['after_next_save'] or 'none'} (exit {k['returncode']})")
    ok = hangs == 0 and leftovers == 0 and torn == 0 and stale == 0
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
