"""The kernel side of Conv: the kernel gradient and X(x) @ a against the forward of the same Conv, and PyLops.

Run with the others (``python benchmarks/run.py -k kernel``) or alone::

    python benchmarks/bench_kernel_operator.py

Cases, on shapes of the gallery's inverse problems (1-D rooms, 2-D images, 3 -> 8 layers, 3-D):

- ``gradient vs forward``: ``conv.kernel_operator(x).adjoint(y)`` against ``conv(x)``.  Both read the whole
  input once; the target is the same speed class (at most 2.5x the forward).
- ``X @ a vs forward``: ``conv.kernel_operator(x) @ a`` (the kernel as the operator's input: no kernel spectrum
  cached, the data padded once) against ``conv(x)``.  Target 1.5x.
- ``vs pylops``: PyLops has no kernel-side operator; its 1-D and N-D convolutions can take the *data* as their
  filter and the zero-padded kernel as their model (the full convolution commutes), which is what a PyLops user
  writes.  Target: at most as slow (1.0x).
Every case checks first that both sides compute the same numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run import Case  # type: ignore[import-not-found]

import signalspace as ss

RNG = np.random.default_rng(0)


def _shapes() -> list[tuple[str, np.ndarray, np.ndarray, dict, bool]]:
    """(name, x, kernel, Conv options, big) of each case."""
    return [
        ("1d n=48000 k=9 valid", RNG.standard_normal(48_000), RNG.standard_normal(9), {}, False),
        ("1d n=48000 k=64 full", RNG.standard_normal(48_000), RNG.standard_normal(64),
         {"padding": "full", "flip": True}, False),
        ("1d n=48000 k=4000 full (room)", RNG.standard_normal(48_000), RNG.standard_normal(4000),
         {"padding": "full", "flip": True}, False),
        ("2d 256^2 3x3 same", RNG.standard_normal((256, 256)), RNG.standard_normal((3, 3)), {"padding": "same"},
         False),
        ("2d 256^2 15x15 same wrap", RNG.standard_normal((256, 256)), RNG.standard_normal((15, 15)),
         {"padding": "same", "boundary": "wrap"}, False),
        ("2d 256^2 3to8 3x3 same reflect", RNG.standard_normal((256, 256, 3)), RNG.standard_normal((3, 3, 3, 8)),
         {"padding": "same", "boundary": "reflect", "ndim": 2}, False),
        ("2d batch 4x64^2 3to8 3x3 same", RNG.standard_normal((4, 64, 64, 3)), RNG.standard_normal((3, 3, 3, 8)),
         {"padding": "same", "ndim": 2}, False),
        ("2d 512^2 3to16 f32 7x7 same", RNG.standard_normal((512, 512, 3)).astype(np.float32),
         RNG.standard_normal((7, 7, 3, 16)).astype(np.float32), {"padding": "same", "ndim": 2}, True),
        ("3d 64^3 5^3 same", RNG.standard_normal((64, 64, 64)), RNG.standard_normal((5, 5, 5)),
         {"padding": "same", "ndim": 3}, True),
    ]


def _pylops_cases() -> list[Case]:
    """The kernel side as a PyLops user writes it: the data as the filter, the zero-padded kernel as the model."""
    try:
        import pylops
    except ImportError:  # pragma: no cover
        return []
    out = []
    for n, k in ((48_000, 64), (48_000, 4000)):
        x, a = RNG.standard_normal(n), RNG.standard_normal(k)
        conv = ss.Conv(a, padding="full", flip=True)  # y = a * x, n + k - 1 samples
        X = conv.kernel_operator(x)
        op = pylops.signalprocessing.Convolve1D(n + k - 1, h=x, offset=0, method="fft")
        padded = np.concatenate([a, np.zeros(n - 1)])
        y = conv(x)
        assert np.allclose(op @ padded, y) and np.allclose((op.H @ y)[:k], X.adjoint(y))
        name = f"1d n={n} k={k} full"
        out.append(Case(f"{name} kernel gradient vs pylops Convolve1D(h=x).H", lambda y=y: (y,),
                        lambda y, X=X: X.adjoint(y), {"pylops": lambda y, op=op: op.H @ y}, 1.0))
        out.append(Case(f"{name} X @ a vs pylops Convolve1D(h=x)", lambda a=a, p=padded: (a, p),
                        lambda a, p, X=X: X @ a, {"pylops": lambda a, p, op=op: op @ p}, 1.0))
    x2, a2 = RNG.standard_normal((256, 256)), RNG.standard_normal((15, 15))
    conv = ss.Conv(a2, padding="full", flip=True)
    X = conv.kernel_operator(x2)
    op = pylops.signalprocessing.ConvolveND(dims=(270, 270), h=x2, offset=(0, 0), axes=(0, 1), method="fft")
    y2 = conv(x2)
    assert np.allclose((op.H @ y2.ravel()).reshape(270, 270)[:15, :15], X.adjoint(y2))
    out.append(Case("2d 256^2 15x15 full kernel gradient vs pylops ConvolveND(h=x).H", lambda: (y2,),
                    lambda y: X.adjoint(y), {"pylops": lambda y: op.H @ y.ravel()}, 1.0))
    return out


def cases(quick: bool = False) -> list[Case]:
    out: list[Case] = []
    for name, x, a, options, big in _shapes():
        conv = ss.Conv(a, **options)
        nd = conv.ndim
        axes = tuple(range(x.ndim - 1 - nd, x.ndim - 1)) if x.ndim > nd + 1 else None  # a leading batch: carried
        X = conv.kernel_operator(x, axes=axes)
        y = conv(x, axes=axes)
        assert np.allclose(X @ a, y, atol=1e-3 if x.dtype == np.float32 else 1e-9)
        out.append(Case(f"kernel {name} gradient vs forward", lambda x=x, y=y: (x, y),
                        lambda x, y, X=X: X.adjoint(y),
                        {"forward conv(x)": lambda x, y, conv=conv, axes=axes: conv(x, axes=axes)}, 2.5, big=big))
        out.append(Case(f"kernel {name} X @ a vs forward", lambda x=x, a=a: (x, a), lambda x, a, X=X: X @ a,
                        {"forward conv(x)": lambda x, a, conv=conv, axes=axes: conv(x, axes=axes)}, 1.5, big=big))
    out += [Case(f"kernel {c.name}", c.setup, c.ours, c.peers, c.target, big=c.big) for c in _pylops_cases()]
    return out


if __name__ == "__main__":
    import run  # type: ignore[import-not-found]

    run.run(cases(), quick="--quick" in sys.argv)
