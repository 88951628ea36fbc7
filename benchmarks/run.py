"""Run the signalspace benchmarks and print one table of ratios against the peers, measured in the same run.

    python benchmarks/run.py             # every case of every benchmarks/bench_*.py
    python benchmarks/run.py --quick     # fewer repeats, the largest cases skipped
    python benchmarks/run.py -k 3to16 -k 8d   # only cases whose name contains one of the strings

Each ``benchmarks/bench_*.py`` module exposes ``cases()`` (or ``cases(quick=...)``) returning a list of
:class:`Case` or of dicts ``{"name", "ours", "peer", "target"[, "peer_name", "kind", "big"]}`` whose
``ours``/``peer`` take no argument.  A :class:`Case` has a name, a ``setup()`` returning the arguments, the
signalspace callable, the peer callable (or several: the best is taken), a target ratio and whether the
target is "at most" (``ours / peer <= target``) or "at least faster" (``peer / ours >= target``).
Timing is best-of-N with :func:`time.perf_counter`, every callable warmed up first, repetitions of ours and
the peers interleaved, the garbage collector off during the timed calls (see :func:`best_times`).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import inspect
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


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


def best_time(fn: Callable[..., Any], args: tuple, repeat: int, budget: float = 20.0) -> float:
    """Best of ``repeat`` runs (after one warm-up), stopping early once ``budget`` seconds are spent."""
    return best_times({"fn": fn}, args, repeat, budget)["fn"]


_REWARM_BELOW = 5e-3  # calls shorter than this are timed right after an untimed call of the same callable


def best_times(fns: dict[str, Callable[..., Any]], args: tuple, repeat: int, budget: float = 40.0) -> dict[str, float]:
    """Best-of-N time of each callable, measured fairly: every callable is warmed up once, then the
    repetitions are interleaved in a new random order each round (the same machine load and allocator
    state for all, and no callable always runs right after the same, possibly cache-flushing, other)
    with the garbage collector off during the timed calls, as :mod:`timeit` does (one ``gc.collect()``
    per round, not before each call: a collection walks every object and leaves the caches cold for the
    next call, which penalized whichever callable has the deeper Python stack); stops early once ``budget``
    seconds are spent.  A callable faster than 5 ms is timed right after an untimed call of itself: a 40 us
    call timed just after a peer that streamed megabytes pays ~10 us of cache misses in its Python layers
    (1-D k=3: 50 us vs 37 us for np.convolve, 39 us vs 37 us warm)."""
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
                if rep >= 0 and best[name] < _REWARM_BELOW:
                    fns[name](*args)  # short call: time it warm (its data and code back in cache), as timeit does
                t0 = time.perf_counter()
                fns[name](*args)
                dt = time.perf_counter() - t0
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


def run(cases: Sequence[Case], quick: bool) -> list[dict]:
    rows = []
    print(f"{'case':58s} {'ours':>10s} {'peer':>10s} {'ratio':>7s} {'target':>10s}  result  peer used")
    for case in cases:
        args = case.setup()
        repeat = 2 if quick else case.repeat
        times = best_times({"\0ours": case.ours, **case.peers}, args, repeat)
        ours = times.pop("\0ours")
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
        row = {"case": case.name, "ours": ours, "peer": peer, "ratio": ratio, "target": target, "ok": ok,
               "peer_name": peer_name}
        rows.append(row)
        print(f"{case.name:58s} {ours * 1e3:9.2f}ms {peer * 1e3:9.2f}ms {ratio:7.2f} {target:>10s}  "
              f"{'pass' if ok else 'MISS':6s}  {peer_name}", flush=True)
        del args
        gc.collect()
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 repeats, skip the largest cases")
    parser.add_argument("-k", action="append", default=[], help="run only cases whose name contains this")
    options = parser.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
