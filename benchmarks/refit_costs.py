"""Refit the engines' cost table (signalspace/ops/engines/costs.py) on the machine this runs on.

    python benchmarks/refit_costs.py             # every case, a few minutes
    python benchmarks/refit_costs.py --quick     # fewer and smaller cases, best of 2
    python benchmarks/refit_costs.py --json new_costs.json
    python benchmarks/refit_costs.py --fields planar_   # refit one engine's fields, keep the rest

For each case (a Conv and an input layout that exercise some terms of the model), every applicable
engine's forward is timed (best of N, interleaved, warm: the benchmark runner's ``best_times``) and
the work it counts is collected (``engine.work(plan, COSTS)``); engines the current table estimates
more than 30 times slower than the cheapest on a case are not timed there.  The one-row 1-D planner (ss.convolve's
fast path) is timed with each of its methods.  The seconds-per-unit fields of ``CostTable`` are then
fitted by non-negative least squares on the relative error (each measurement weighs the same,
whatever its duration); the FFT model's shape parameters are kept.  A field no case exercises keeps
its value.  Printed: each field old -> new, the median relative error of the estimates with the old and
the new table, how many automatic choices change on these cases, and the new table as code to paste
into costs.py.  See the documentation page "Engines and their cost model".
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import nnls

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import best_times  # type: ignore[import-not-found]

import signalspace as ss
from signalspace.ops import engines
from signalspace.ops.engines import oned
from signalspace.ops.engines.costs import COSTS, CostTable

RNG = np.random.default_rng(0)
#: Engines estimated (with the current table) more than this many times slower than the cheapest are not timed.
SLOWEST = 30.0


@dataclasses.dataclass
class Measurement:
    """One timed call and the work the cost model counts for it."""

    label: str
    work: Mapping[str, float]
    seconds: float


def _kernel(spatial: tuple[int, ...], channels: tuple[int, int] | None, kind: str, dtype: Any) -> np.ndarray:
    if kind == "rank1":
        a = RNG.standard_normal(spatial[0])
        for k in spatial[1:]:
            a = np.multiply.outer(a, RNG.standard_normal(k))
    else:
        a = RNG.standard_normal(spatial)
        if kind == "sparse":
            a = a * (RNG.random(spatial) < 0.2)
    if channels is not None:
        a = np.multiply.outer(a, RNG.standard_normal(channels)) if kind == "rank1" else \
            RNG.standard_normal((*spatial, *channels))
    return a.astype(dtype)


def plan_cases(quick: bool) -> list[tuple[str, ss.Conv, tuple[int, ...], int, Any]]:
    """(label, conv, input spatial shape, channels, dtype): a spread over every engine's terms."""
    f32, f64, c128 = np.float32, np.float64, np.complex128
    big = 1 if quick else 2
    specs = [
        # 1-D rows and 1-D with channels
        ("1d k=3", (70_641,), (3,), None, "dense", 1, f64, {}),
        ("1d k=64", (70_641,), (64,), None, "dense", 1, f64, {}),
        ("1d k=2205", (70_641,), (2205,), None, "dense", 1, f64, {}),
        ("1d k=64 stride 8", (100_000,), (64,), None, "dense", 1, f64, {"stride": 8}),
        ("1d stereo k=64 reflect", (50_000 * big,), (64,), None, "dense", 2, f32, {"boundary": "reflect"}),
        ("1d 2->8 k=31", (20_000 * big,), (31,), (2, 8), "dense", 2, f32, {}),
        # 2-D: small and large kernels, one channel, RGB, channel mixing
        ("2d 3x3", (256 * big, 256 * big), (3, 3), None, "dense", 1, f64, {}),
        ("2d 15x15", (256, 256), (15, 15), None, "dense", 1, f64, {}),
        ("2d 31x31", (256 * big, 256 * big), (31, 31), None, "dense", 1, f32, {}),
        ("2d 5x5 sparse wrap", (200, 200), (5, 5), None, "sparse", 1, f64, {"boundary": "wrap"}),
        ("2d 13x13 gaussian RGB", (256 * big, 256 * big), (13, 13), None, "rank1", 3, f32, {}),
        ("2d 7x7 rank1 complex", (160, 160), (7, 7), None, "rank1", 1, c128, {}),
        ("2d 3->16 k=3", (128 * big, 128 * big), (3, 3), (3, 16), "dense", 3, f32, {}),
        ("2d 3->16 k=7", (128, 128), (7, 7), (3, 16), "dense", 3, f32, {}),
        ("2d 4->4 k=5 stride 2", (128, 128), (5, 5), (4, 4), "dense", 4, f64, {"stride": 2}),
        # the multi-channel layers of the benchmark, and around the planar / fft crossover
        ("2d 3->16 512^2 k=5", (512, 512), (5, 5), (3, 16), "dense", 3, f32, {}),
        ("2d 3->16 512^2 k=11", (512, 512), (11, 11), (3, 16), "dense", 3, f32, {}),
        ("2d 3->16 256^2 k=15", (256, 256), (15, 15), (3, 16), "dense", 3, f32, {}),
        ("2d 20->20 256^2 k=3", (256, 256), (3, 3), (20, 20), "dense", 20, f32, {}),
        ("2d 20->20 128^2 k=7", (128 * big, 128 * big), (7, 7), (20, 20), "dense", 20, f32, {}),
        ("2d 16->3 256^2 k=5", (256, 256), (5, 5), (16, 3), "dense", 16, f32, {}),
        ("2d 3->16 48^2 k=3", (48, 48), (3, 3), (3, 16), "dense", 3, f32, {}),
        ("2d 3->8 128^2 k=3 f64 reflect", (128, 128), (3, 3), (3, 8), "dense", 3, f64, {"boundary": "reflect"}),
        ("2d 2->2 128^2 k=5 complex", (128, 128), (5, 5), (2, 2), "dense", 2, c128, {}),
        ("3d 4->4 32^3 k=3", (32, 32, 32), (3, 3, 3), (4, 4), "dense", 4, f32, {}),
        ("2d 3x3 mixed boundaries", (200, 200), (3, 3), None, "dense", 1, f64, {"boundary": ("reflect", "wrap")}),
        # 3-D and 8-D
        ("3d 5^3", (48, 48, 48), (5, 5, 5), None, "dense", 1, f32, {}),
        ("3d 5^3 rank1", (48, 48, 48), (5, 5, 5), None, "rank1", 1, f64, {}),
        ("8d 3^8 rank1", (6,) * 8, (3,) * 8, None, "rank1", 1, f32, {}),
    ]
    if quick:
        specs = specs[::2]
    cases = []
    for label, shape, spatial, channels, kind, c, dtype, options in specs:
        kernel = _kernel(spatial, channels, kind, dtype)
        conv = ss.Conv(kernel, padding="same", ndim=len(spatial), **options)
        cases.append((label, conv, shape, c, dtype))
    return cases


def measure_engines(quick: bool) -> list[Measurement]:
    measurements = []
    repeat = 2 if quick else 3
    for label, conv, shape, c, dtype in plan_cases(quick):
        plan = conv.plan(shape, c, 1, dtype)
        x = RNG.standard_normal((1, *shape, c)).astype(dtype)
        priced = {name: e for name, e in engines.engines().items() if e.applicable(plan) and hasattr(e, "work")}
        estimates = {name: e.cost(plan, COSTS) for name, e in priced.items()}
        cheapest = min(estimates.values())
        # an engine estimated far slower than the best is never chosen there: timing it would only cost minutes
        priced = {name: e for name, e in priced.items() if estimates[name] <= SLOWEST * cheapest}
        works = {name: dict(e.work(plan, COSTS)) for name, e in priced.items()}  # before any spectrum is cached
        calls: dict[str, Callable[..., Any]] = {name: (lambda x, e=e, p=plan: e.forward(x, p))
                                                for name, e in priced.items()}
        times = best_times(calls, (x,), repeat, budget=20.0)
        for name, seconds in times.items():
            measurements.append(Measurement(f"{label}: {name}", works[name], seconds))
        ranked = sorted(times.items(), key=lambda item: item[1])
        print(f"  {label:32s} " + "  ".join(f"{n} {t * 1e3:.2f} ms" for n, t in ranked), flush=True)
    return measurements


def measure_oned(quick: bool) -> list[Measurement]:
    """The 1-D planner's three methods (np.convolve, one FFT, overlap-add) on ss.convolve's fast path."""
    measurements = []
    sizes = [(70_641, 8), (70_641, 64), (70_641, 700), (70_641, 2205), (200_000, 128), (70_641, 22_050)]
    if quick:
        sizes = sizes[::2]
    for n, k in sizes:
        x, h = RNG.standard_normal(n), RNG.standard_normal(k)
        methods = ("np", "fft", "oa") if n * k < 5e8 else ("fft", "oa")
        calls = {m: (lambda x, h, m=m: oned.convolve1d(x, h, "full", m)) for m in methods}
        times = best_times(calls, (x, h), 2 if quick else 5, budget=10.0)
        for m, seconds in times.items():
            measurements.append(Measurement(f"1-D planner n={n} k={k}: {m}", _oned_work(n, k, m), seconds))
        print(f"  1-D planner n={n} k={k}: " + "  ".join(f"{m} {t * 1e3:.2f} ms" for m, t in times.items()), flush=True)
    return measurements


def _oned_work(n: int, k: int, method: str) -> dict[str, float]:
    if method == "np":
        return {"oned_np_mac_unit": n * k, "oned_np_call": 1}
    best = oned.plan1d(n, k, False, allow_np=False)
    if method == "oa" and best.method == "oa":
        return best.work
    length = oned.fast_length(n + k - 1, False)  # one whole-signal transform (also "oa" when blocks do not pay)
    return {"oned_fft_transform_unit": 3 * length * math.log2(length), "oned_fft_copy_unit": length, "oned_fft_call": 1}


def fit(measurements: list[Measurement], table: CostTable, fields: tuple[str, ...] = ()) -> CostTable:
    """Non-negative least squares of the seconds-per-unit fields on the relative error.

    ``fields``: prefixes of the fields to refit (all when empty); the others keep their values, and only the
    measurements whose work lies entirely in the refitted fields are used."""
    if fields:
        measurements = [m for m in measurements if all(t.startswith(fields) for t, a in m.work.items() if a)]
    terms = sorted({t for m in measurements for t, amount in m.work.items() if amount})
    W = np.array([[m.work.get(t, 0.0) for t in terms] for m in measurements]) / np.array(
        [[m.seconds] for m in measurements])
    solution, _ = nnls(W, np.ones(len(measurements)))
    fitted = {t: float(v) for t, v in zip(terms, solution, strict=True) if v > 0}
    return dataclasses.replace(table, **fitted)


def errors(measurements: list[Measurement], table: CostTable) -> list[float]:
    return [abs(table.seconds(m.work) - m.seconds) / m.seconds for m in measurements]


def changed_choices(table: CostTable, quick: bool) -> int:
    changed = 0
    for _, conv, shape, c, dtype in plan_cases(quick):
        plan = conv.plan(shape, c, 1, dtype)
        names = engines.applicable(plan)
        old = min(names, key=lambda n: engines.estimate(plan, n, COSTS))
        new = min(names, key=lambda n: engines.estimate(plan, n, table))
        changed += old != new
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer, smaller cases, best of 2")
    parser.add_argument("--json", metavar="FILE", help="also write the new table as JSON")
    parser.add_argument("--fields", action="append", default=[], metavar="PREFIX",
                        help="refit only the fields starting with PREFIX (repeatable; e.g. --fields planar_), "
                             "keeping the others")
    options = parser.parse_args(argv)
    print("timing the engines on their cases ...")
    measurements = measure_engines(options.quick) + measure_oned(options.quick)
    new = fit(measurements, COSTS, tuple(options.fields))
    print(f"\n{'field':28s} {'old':>12s} {'new':>12s}")
    for field in CostTable.terms():
        old_value, new_value = getattr(COSTS, field), getattr(new, field)
        mark = "" if old_value == new_value else f"  x{new_value / old_value:.2f}"
        print(f"{field:28s} {old_value:12.4g} {new_value:12.4g}{mark}")
    print(f"\nmedian relative error of the estimates: old table {statistics.median(errors(measurements, COSTS)):.2f}, "
          f"new table {statistics.median(errors(measurements, new)):.2f} ({len(measurements)} measurements)")
    print(f"automatic choices that change on these cases: {changed_choices(new, options.quick)}")
    values = {f.name: getattr(new, f.name) for f in dataclasses.fields(CostTable)}
    print("\nthe new table (paste into signalspace/ops/engines/costs.py, or use dataclasses.replace(COSTS, **...)):")
    print("CostTable(" + ", ".join(f"{k}={v:.4g}" for k, v in values.items()) + ")")
    if options.json:
        Path(options.json).write_text(json.dumps(values, indent=1))
        print(f"written to {options.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
