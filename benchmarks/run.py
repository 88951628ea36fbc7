"""Run the signalspace benchmarks and print one table of ratios against the peers, measured in the same run.

    python benchmarks/run.py             # every case of every benchmarks/bench_*.py
    python benchmarks/run.py --quick     # fewer repeats, the largest cases skipped
    python benchmarks/run.py -k 3to16 -k 8d   # only cases whose name contains one of the strings
    python benchmarks/run.py --torch-python /path/to/venv/bin/python   # with a PyTorch peer (or set
                                                                        # $SIGNALSPACE_TORCH_PYTHON)

Each ``benchmarks/bench_*.py`` module exposes ``cases()`` (or ``cases(quick=...)``) returning a list of
:class:`Case` or of dicts ``{"name", "ours", "peer", "target"[, "peer_name", "kind", "big"]}`` whose
``ours``/``peer`` take no argument.  A :class:`Case` has a name, a ``setup()`` returning the arguments, the
signalspace callable, the peer callable (or several: the best is taken), a target ratio and whether the
target is "at most" (``ours / peer <= target``) or "at least faster" (``peer / ours >= target``).
Timing is best-of-N with :func:`time.perf_counter`, every callable warmed up first, repetitions of ours and
the peers interleaved, the garbage collector off during the timed calls (see :func:`best_times`).

The machine's limit is measured in the same run, first: numpy's float32 matrix product of 2048² on one
thread and on every core (threads set with threadpoolctl), and again after every case with ``flops`` (the
direct method's multiply-adds x 2; the machine is shared, so the run's best all-core sgemm is the peak).
Such a case shows the GFLOP/s it reaches, and a summary after the table their fraction of that peak.
PyTorch is a peer, never a dependency: when ``import torch`` works here, or with ``--torch-python`` naming
an interpreter that has it (a scratch environment outside the repository), it runs in a child process
(:mod:`torch_peer`) whose calls are interleaved with ours; a case's ``torch`` callable fills the torch column
(the same operation in PyTorch), and bench modules build torch rows when :func:`torch_peer` is not None.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import inspect
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":  # bench modules `from run import ...`: let them share this module (and its peer)
    sys.modules.setdefault("run", sys.modules[__name__])

_PEERS: dict[str, Any] = {}  # "torch": the TorchPeer of this run (set by main)
_PEAK: dict[str, float] = {}  # GFLOP/s of the sgemm reference, measured by main


def torch_peer() -> Any:
    """The run's :class:`torch_peer.TorchPeer`, or None when PyTorch is not available."""
    return _PEERS.get("torch")


@dataclass
class Case:
    """One benchmark row.  ``ours``/``peers`` take the tuple returned by ``setup``."""

    name: str
    setup: Callable[[], tuple]
    ours: Callable[..., Any]
    peers: dict[str, Callable[..., Any]]
    target: float
    kind: str = "max"  # "max": ours/peer <= target; "speedup": peer/ours >= target
    repeat: int = 5
    big: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)
    flops: float = 0.0  # floating-point operations of the direct method (2 x multiply-adds), for GFLOP/s
    torch: Callable[..., Any] | None = None  # the same operation in PyTorch: the torch column


def best_time(fn: Callable[..., Any], args: tuple, repeat: int, budget: float = 20.0) -> float:
    """Best of ``repeat`` runs (after one warm-up), stopping early once ``budget`` seconds are spent."""
    return best_times({"fn": fn}, args, repeat, budget)["fn"]


_REWARM_BELOW = 5e-3  # calls shorter than this are timed right after an untimed call of the same callable
#: Pause after a call timed by a peer process: its OpenMP workers spin for a while after a parallel region and
#: would take the cores of whatever runs next (sgemm 74 against 251 GFLOP/s, torch k=3 12 ms against 1.2 ms).
_SETTLE = 0.05


def best_times(fns: dict[str, Callable[..., Any]], args: tuple, repeat: int, budget: float = 40.0) -> dict[str, float]:
    """Best-of-N time of each callable, measured fairly: every callable is warmed up once, then the
    repetitions are interleaved in a new random order each round (the same machine load and allocator
    state for all, and no callable always runs right after the same, possibly cache-flushing, other)
    with the garbage collector off during the timed calls, as :mod:`timeit` does (one ``gc.collect()``
    per round, not before each call: a collection walks every object and leaves the caches cold for the
    next call, which penalized whichever callable has the deeper Python stack); stops early once ``budget``
    seconds are spent.  A callable faster than 5 ms is timed right after an untimed call of itself: a 40 us
    call timed just after a peer that streamed megabytes pays ~10 us of cache misses in its Python layers
    (1-D k=3: 50 us vs 37 us for np.convolve, 39 us vs 37 us warm).  A callable with ``self_timed`` (a call
    in a peer process) reports its own time in ``.seconds``, and is followed by a short pause (``_SETTLE``)."""
    names = list(fns)
    rng = random.Random(0)
    best = dict.fromkeys(names, float("inf"))
    spent = 0.0
    enabled = gc.isenabled()
    try:
        for rep in range(-1, repeat):  # round -1: warm-up (caches, plans, first-touch page faults)
            if spent > budget:
                break
            gc.collect()
            gc.disable()
            for name in rng.sample(names, len(names)) if rep >= 0 else names:
                fn = fns[name]
                remote = getattr(fn, "self_timed", False)  # a peer process times its own call (no pipe latency)
                if rep >= 0 and best[name] < _REWARM_BELOW and not remote:
                    fn(*args)  # short call: time it warm (its data and code back in cache), as timeit does
                t0 = time.perf_counter()
                fn(*args)
                dt = time.perf_counter() - t0
                if remote:
                    dt = fn.seconds
                    time.sleep(_SETTLE)
                best[name] = min(best[name], dt)
                spent += dt
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return best


def as_case(item: Case | dict) -> Case:
    """Accept a :class:`Case` or a dict with name, ours, peer (no-argument callables), target[, peer_name]."""
    if not isinstance(item, dict):  # a Case (possibly from the module imported as `run`)
        return item
    return Case(
        item["name"], lambda: (), item["ours"], {item.get("peer_name", "peer"): item["peer"]},
        float(item["target"]), kind=item.get("kind", "max"), repeat=item.get("repeat", 3), big=item.get("big", False),
    )


def discover() -> list[Any]:
    modules = []
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


_SGEMM_N = 2048


def _sgemm(threads: int) -> Callable[[], None]:
    """numpy's float32 ``2048 x 2048`` matrix product on ``threads`` BLAS threads (threadpoolctl)."""
    import numpy as np
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    a = np.random.default_rng(0).standard_normal((_SGEMM_N, _SGEMM_N)).astype(np.float32)
    b = a.T.copy()

    def call(*_: Any) -> None:  # ignores a case's arguments: it runs among the case's callables
        with controller.limit(limits=threads, user_api="blas"):
            np.matmul(a, b)

    return call


def _gflops(seconds: float) -> float:
    return 2 * _SGEMM_N**3 / seconds / 1e9


def machine_peak(repeat: int = 5) -> dict[str, float]:
    """GFLOP/s of a 2048² float32 matrix product: numpy on one thread and on every core, and PyTorch's on both
    when its peer runs; best of ``repeat``, interleaved.  ``"peak"`` is numpy's on every core (the run's best:
    the multi-channel cases time it again between their calls, see :func:`run`)."""
    cores = os.cpu_count() or 1
    calls: dict[str, Callable[..., Any]] = {"numpy 1 thread": _sgemm(1), f"numpy {cores} threads": _sgemm(cores)}
    peer = torch_peer()
    if peer is not None:
        calls["torch 1 thread"] = peer.gemm_timer(_SGEMM_N, 1)
        calls[f"torch {cores} threads"] = peer.gemm_timer(_SGEMM_N, cores)
    peak = {name: _gflops(t) for name, t in best_times(calls, (), repeat).items()}
    peak["peak"] = peak[f"numpy {cores} threads"]
    return peak


def run(cases: Sequence[Case], quick: bool) -> list[dict]:
    """Time every case; print a row each, then the GFLOP/s summary of the cases that count their flops."""
    rows = []
    sgemm = _sgemm(os.cpu_count() or 1)
    print(f"{'case':58s} {'ours':>10s} {'peer':>10s} {'ratio':>7s} {'target':>10s}  result  {'GF/s':>6s} "
          f"{'torch':>9s}  peer used")
    for case in cases:
        args = case.setup()
        repeat = 2 if quick else case.repeat
        torch_peer_name = next((n for n, fn in case.peers.items() if fn is case.torch), None)
        extra = {"\0torch": case.torch} if case.torch is not None and torch_peer_name is None else {}
        times = best_times({"\0ours": case.ours, **case.peers, **extra}, args, repeat)
        ours = times.pop("\0ours")
        torch_time = times.pop("\0torch", None) if torch_peer_name is None else times[torch_peer_name]
        if case.flops and _PEAK:  # the machine's limit again, after the case (not among its calls: OpenBLAS's
            # threads spin for ~0.1 s after a product and would slow whatever ran next)
            _PEAK["peak"] = max(_PEAK["peak"], _gflops(best_time(sgemm, (), 3)))
        peer_times = times
        peer_name = min(peer_times, key=peer_times.get)
        peer = peer_times[peer_name]
        if case.kind == "speedup":
            ratio = peer / ours
            ok = ratio >= case.target
            target = f">={case.target:g}x fast"
        else:
            ratio = ours / peer
            ok = ratio <= case.target
            target = f"<={case.target:g}x"
        gflops = case.flops / ours / 1e9 if case.flops else None
        row = {"case": case.name, "ours": ours, "peer": peer, "ratio": ratio, "target": target, "ok": ok,
               "peer_name": peer_name, "gflops": gflops, "torch": torch_time}
        rows.append(row)
        rate = f"{gflops:6.0f}" if gflops else f"{'':6s}"
        torch_col = f"{torch_time * 1e3:7.2f}ms" if torch_time is not None else f"{'':9s}"
        print(f"{case.name:58s} {ours * 1e3:9.2f}ms {peer * 1e3:9.2f}ms {ratio:7.2f} {target:>10s}  "
              f"{'pass' if ok else 'MISS':6s}  {rate} {torch_col}  {peer_name}", flush=True)
        del args
        gc.collect()
    counted = [r for r in rows if r["gflops"]]
    if counted and _PEAK:
        peak = _PEAK["peak"]
        print(f"\nGFLOP/s of the direct method's multiply-adds x 2, against numpy's best all-core sgemm of the run "
              f"({peak:.0f} GFLOP/s):")
        for r in counted:
            torch_ratio = f"  ours/torch {r['ours'] / r['torch']:5.2f}" if r["torch"] else ""
            print(f"  {r['case']:58s} {r['gflops']:7.0f} GFLOP/s {r['gflops'] / peak:6.0%} of peak{torch_ratio}")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 repeats, skip the largest cases")
    parser.add_argument("-k", action="append", default=[], help="run only cases whose name contains this")
    parser.add_argument("--torch-python", help="an interpreter with PyTorch, for the torch peer (default: "
                        "$SIGNALSPACE_TORCH_PYTHON, or this interpreter if it imports torch)")
    options = parser.parse_args(argv)
    from torch_peer import TorchPeer  # type: ignore[import-not-found]

    peer = TorchPeer.find(options.torch_python)
    if peer is not None:
        _PEERS["torch"] = peer
    _PEAK.update(machine_peak(2 if options.quick else 5))
    print("machine limit, sgemm 2048² float32: " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in _PEAK.items()
                                                              if k != "peak")
          + (f"; torch {peer.version}" if peer is not None else "; no torch peer"))
    cases: list[Case] = []
    for module in discover():
        if not hasattr(module, "cases"):
            continue
        params = inspect.signature(module.cases).parameters
        found = module.cases(quick=options.quick) if "quick" in params else module.cases()
        cases.extend(as_case(c) for c in found)
    if options.k:
        cases = [c for c in cases if any(k in c.name for k in options.k)]
    if options.quick:
        cases = [c for c in cases if not c.big]
    t0 = time.perf_counter()
    rows = run(cases, options.quick)
    misses = sum(not r["ok"] for r in rows)
    print(f"\n{len(rows)} cases, {misses} missed, {time.perf_counter() - t0:.0f} s")
    if peer is not None:
        peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
