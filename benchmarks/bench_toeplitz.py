"""Toeplitz builders: construction speed against scipy.sparse building the same matrices.

Run alone::

    python benchmarks/bench_toeplitz.py

Cases (each checks first that both sides build the same matrix):

- 2-D: 512 x 512 input, 3 x 3 kernel, "same" padding, constant boundary (2.35 M non-zeros) as CSR.
  Target: >= 20 M non-zeros per second.  Peer: the same matrix as a sum of Kronecker products of
  shifted identities (``scipy.sparse.kron`` of ``scipy.sparse.diags_array``), converted to CSR.
- 1-D: n = 70 641 (the lecture's audio clip), k = 3, "valid": ``ss.toeplitz`` against
  ``scipy.sparse.diags_array`` building the same matrix, once as DIA (diags' own format) and once
  as CSR.  Target: ours / peer <= 2.

``cases()`` returns dicts for ``benchmarks/run.py``: ``name``, ``ours``, ``peer`` (no-argument
callables), ``peer_name``, ``target`` (largest acceptable ours/peer time ratio).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import signalspace as ss

N2D = 512
N1D = 70641
TARGET_RATE = 20e6  # non-zeros per second, 2-D case


def kron_peer(kernel: np.ndarray, n: int) -> sp.csr_array:
    """The 'same'/constant 2-D correlation matrix as sum_ij k[i, j] kron(S_i, S_j) (S: shifted identity)."""
    k0, k1 = kernel.shape
    shifts0 = [
        sp.diags_array(np.ones(n - abs(i - (k0 - 1) // 2)), offsets=i - (k0 - 1) // 2, shape=(n, n)) for i in range(k0)
    ]
    shifts1 = [
        sp.diags_array(np.ones(n - abs(j - (k1 - 1) // 2)), offsets=j - (k1 - 1) // 2, shape=(n, n)) for j in range(k1)
    ]
    total = None
    for i in range(k0):
        for j in range(k1):
            term = kernel[i, j] * sp.kron(shifts0[i], shifts1[j], format="csr")
            total = term if total is None else total + term
    return sp.csr_array(total)


def _same_matrix(a: sp.sparray, b: sp.sparray) -> bool:
    diff = sp.csr_array(a) - sp.csr_array(b)
    return a.shape == b.shape and (diff.nnz == 0 or float(np.max(np.abs(diff.data))) < 1e-12)


def cases() -> list[dict]:
    """Speed cases for the benchmark runner (see the module docstring)."""
    rng = np.random.default_rng(0)
    k2 = rng.standard_normal((3, 3))
    a = rng.standard_normal(3)
    offsets = [0, 1, 2]
    shape1 = (N1D - 2, N1D)
    ours2 = lambda: ss.block_toeplitz(k2, (N2D, N2D), padding="same")  # noqa: E731
    peer2 = lambda: kron_peer(k2, N2D)  # noqa: E731
    assert _same_matrix(ours2(), peer2())
    ours_dia = lambda: ss.toeplitz(a, N1D, format="dia")  # noqa: E731
    peer_dia = lambda: sp.diags_array(list(a), offsets=offsets, shape=shape1)  # noqa: E731
    ours_csr = lambda: ss.toeplitz(a, N1D)  # noqa: E731
    peer_csr = lambda: sp.diags_array(list(a), offsets=offsets, shape=shape1, format="csr")  # noqa: E731
    assert _same_matrix(ours_dia(), peer_dia()) and _same_matrix(ours_csr(), peer_csr())
    return [
        {
            "name": f"block_toeplitz 2-D {N2D}² 3x3 'same' CSR",
            "ours": ours2,
            "peer": peer2,
            "peer_name": "scipy.sparse.kron sum",
            "target": 1.0,
        },
        {
            "name": f"toeplitz 1-D n={N1D} k=3 DIA",
            "ours": ours_dia,
            "peer": peer_dia,
            "peer_name": "scipy.sparse.diags_array",
            "target": 2.0,
        },
        {
            "name": f"toeplitz 1-D n={N1D} k=3 CSR",
            "ours": ours_csr,
            "peer": peer_csr,
            "peer_name": "scipy.sparse.diags_array(format='csr')",
            "target": 2.0,
        },
    ]


def best_time(fn: Callable[[], object], repeat: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ok = True
    print(f"{'case':45s} {'ours':>10s} {'peer':>10s} {'ratio':>7s} {'target':>7s}  peer")
    for case in cases():
        t_ours, t_peer = best_time(case["ours"]), best_time(case["peer"])
        ratio = t_ours / t_peer
        ok &= ratio <= case["target"]
        print(
            f"{case['name']:45s} {t_ours * 1e3:8.3f}ms {t_peer * 1e3:8.3f}ms {ratio:7.2f} {case['target']:7.2f}  "
            f"{case['peer_name']}"
        )
    k2 = np.random.default_rng(0).standard_normal((3, 3))
    M = ss.block_toeplitz(k2, (N2D, N2D), padding="same")
    t = best_time(lambda: ss.block_toeplitz(k2, (N2D, N2D), padding="same"))
    rate = M.nnz / t
    ok &= rate >= TARGET_RATE
    print(f"2-D CSR build rate: {M.nnz:,} non-zeros in {t * 1e3:.1f} ms = {rate / 1e6:.0f} M/s (target >= 20 M/s)")
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
