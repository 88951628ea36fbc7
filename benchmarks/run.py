"""Run the signalspace benchmarks and print one table of ratios against the peers, measured in the same run.

    python benchmarks/run.py             # every case of every benchmarks/bench_*.py
    python benchmarks/run.py --quick     # fewer repeats, the largest cases skipped
    python benchmarks/run.py -k 3to16 -k 8d   # only cases whose name contains one of the strings

Each ``benchmarks/bench_*.py`` module exposes ``cases()`` (or ``cases(quick=...)``) returning a list of
:class:`Case` or of dicts ``{"name", "ours", "peer", "target"[, "peer_name", "kind", "big"]}`` whose
``ours``/``peer`` take no argument.  A :class:`Case` has a name, a ``setup()`` returning the arguments, the
signalspace callable, the peer callable (or several: the best is taken), a target ratio and whether the
target is "at most" (``ours / peer <= target``) or "at least faster" (``peer / ours >= target``).
Timing is best-of-N with :func:`time.perf_counter`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import inspect
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
    start = time.perf_counter()
    fn(*args)
    first = time.perf_counter() - start
    best = first
    spent = first
    for _ in range(repeat):
        if spent > budget:
            break
        gc.collect()
        t0 = time.perf_counter()
        fn(*args)
        dt = time.perf_counter() - t0
        best = min(best, dt)
        spent += dt
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
        ours = best_time(case.ours, args, repeat)
        peer_times = {name: best_time(fn, args, repeat) for name, fn in case.peers.items()}
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
