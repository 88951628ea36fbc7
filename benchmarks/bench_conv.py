"""Conv benchmark cases (see the table of issue 3): signalspace vs scipy / numpy / PyLops, forward and adjoint."""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.signal
from run import Case, torch_peer  # type: ignore[import-not-found]

import signalspace as ss

RNG = np.random.default_rng(0)


def _adjoint_case(name, conv, x, target=1.2, pylops_op=None, big=False, flops=0.0, torch=None, repeat=5):
    """Adjoint timed against the forward of the same case (and PyLops' adjoint where it applies)."""
    y = conv(x)
    peers = {"forward": lambda x, y: conv(x)}
    case = Case(f"{name} adjoint vs forward", lambda: (x, y), lambda x, y: conv.adjoint(y, x.shape[: conv.ndim]),
                peers, target, big=big, flops=flops, torch=torch, repeat=repeat)
    cases = [case]
    if pylops_op is not None:
        cases.append(Case(f"{name} adjoint vs pylops adjoint", lambda: (x, y),
                          lambda x, y: conv.adjoint(y, x.shape[: conv.ndim]),
                          {"pylops.ConvolveND.rmatvec": lambda x, y: pylops_op.rmatvec(y.ravel())}, 1.0,
                          big=big))
    return cases


def cases(quick: bool = False) -> list[Case]:
    out: list[Case] = []
    # 1-D, the lecture's clip length, mode full
    n = 70_641
    x1 = RNG.standard_normal(n)
    for k in (3, 64, 2205, 22_050):
        h = RNG.standard_normal(k)
        peers = {
            "np.convolve": lambda x, h: np.convolve(x, h),
            "signal.convolve": lambda x, h: scipy.signal.convolve(x, h),
            "fftconvolve": lambda x, h: scipy.signal.fftconvolve(x, h),
            "oaconvolve": lambda x, h: scipy.signal.oaconvolve(x, h),
        }
        if k > 3000:
            peers.pop("np.convolve")
        out.append(Case(f"1d n=70641 k={k} full", lambda x=x1, h=h: (x, h),
                        lambda x, h: ss.convolve(x, h), peers, 1.1, repeat=40 if k < 100 else 20))
        # adjoint of the same convolution (Conv, "full" padding, true convolution) vs its forward, and PyLops
        conv1 = ss.Conv(h, padding="full", flip=True)
        out += _adjoint_case(f"1d n=70641 k={k} full", conv1, x1)
        try:
            import pylops

            # the full convolution as PyLops writes it: a same-size operator on the zero-padded signal
            op1 = pylops.signalprocessing.Convolve1D(n + k - 1, h=h, offset=0,
                                                     method="fft" if k > 64 else "direct")
            y1 = conv1(x1)
            out.append(Case(f"1d n=70641 k={k} adjoint vs pylops Convolve1D.H", lambda y=y1: (y,),
                            lambda y, conv1=conv1: conv1.adjoint(y),
                            {"pylops Convolve1D.H": lambda y, op1=op1: op1.H @ y},
                            1.0, repeat=10))
        except ImportError:  # pragma: no cover
            pass
    # 1-D long
    x6 = RNG.standard_normal(1_000_000)
    for k in (128, 1024):
        h = RNG.standard_normal(k)
        out.append(Case(f"1d n=1e6 k={k} full", lambda x=x6, h=h: (x, h), lambda x, h: ss.convolve(x, h),
                        {"oaconvolve": lambda x, h: scipy.signal.oaconvolve(x, h)}, 1.0))
    # 2-D 3x3 same constant
    k3 = RNG.standard_normal((3, 3))
    for size in (512, 2048):
        img = RNG.standard_normal((size, size))
        conv = ss.Conv(k3, padding="same")
        out.append(Case(f"2d {size}^2 3x3 same constant", lambda img=img: (img,), conv,
                        {"ndimage.correlate": lambda x: scipy.ndimage.correlate(x, k3, mode="constant")}, 1.1,
                        big=size > 1000))
        out += _adjoint_case(f"2d {size}^2 3x3 same", conv, img, big=size > 1000)
    # 2-D 31x31 same
    img = RNG.standard_normal((512, 512))
    k31 = RNG.standard_normal((31, 31))
    conv31 = ss.Conv(k31, padding="same", flip=True)
    out.append(Case("2d 512^2 31x31 same", lambda: (img,), conv31,
                    {"fftconvolve": lambda x: scipy.signal.fftconvolve(x, k31, mode="same")}, 1.1))
    out += _adjoint_case("2d 512^2 31x31 same", conv31, img)
    out += multichannel_cases()
    # 8-D
    shape8 = (8,) * 8
    x8 = RNG.standard_normal(shape8).astype(np.float32)
    taps = [RNG.standard_normal(3).astype(np.float32) for _ in range(8)]
    ksep = taps[0]
    for t in taps[1:]:
        ksep = np.multiply.outer(ksep, t)
    kgen = RNG.standard_normal((3,) * 8).astype(np.float32)
    for label, kern, target, kind in (("separable", ksep, 8.0, "speedup"), ("general", kgen, 1.1, "max")):
        conv = ss.Conv(kern, padding="same", flip=True, ndim=8)
        out.append(Case(f"8d 8^8 3^8 same f32 {label}", lambda: (x8,), conv,
                        {"fftconvolve": lambda x, k=kern: scipy.signal.fftconvolve(x, k, mode="same")},
                        target, kind=kind, repeat=2, big=label == "general"))
        out += _adjoint_case(f"8d 8^8 3^8 f32 {label}", conv, x8, big=label == "general")
    # PyLops ConvolveND: 2-D 512^2 3x3 and 31x31, adjoint vs PyLops' adjoint
    try:
        import pylops

        for kk in (k3, k31):
            conv = ss.Conv(kk, padding="same", flip=True)
            op = pylops.signalprocessing.ConvolveND(dims=(512, 512), h=kk, offset=(kk.shape[0] // 2,) * 2,
                                                    axes=(0, 1), method="fft" if kk.shape[0] > 5 else "direct")
            yy = conv(img)
            out.append(Case(f"2d 512^2 {kk.shape[0]}x{kk.shape[0]} adjoint vs pylops", lambda yy=yy: (yy,),
                            lambda y, conv=conv: conv.adjoint(y), {"pylops rmatvec": lambda y, op=op: op.rmatvec(
                                y.ravel())}, 1.0))
            out.append(Case(f"2d 512^2 {kk.shape[0]}x{kk.shape[0]} forward vs pylops", lambda: (img,),
                            lambda x, conv=conv: conv(x), {"pylops matvec": lambda x, op=op: op.matvec(
                                x.ravel())}, 1.0))
        # 3 -> 16 channels: not applicable (ConvolveND filters each channel separately, no channel mixing)
    except ImportError:  # pragma: no cover
        pass
    out += auto_choice_cases()
    return out


#: The multi-channel layers of issue 13: (c_in, c_out, size, k), float32, "same".
MULTICHANNEL = [(3, 16, 512, 3), (3, 16, 512, 5), (3, 16, 512, 7), (3, 16, 512, 11), (3, 16, 512, 31),
                (20, 20, 256, 3), (20, 20, 256, 7)]
#: Without a torch peer: speed-ups over scipy.signal.correlate channel pair by channel pair (the issue-3 table).
LOOP_SPEEDUP = {3: 20.0, 5: 15.0, 7: 10.0, 11: 5.0, 31: 3.0}


def multichannel_cases() -> list[Case]:
    """RGB and hyperspectral layers: forward against PyTorch's conv2d when its peer runs (at most 2x its time up to
    k = 11, at least 1.5x faster at k = 31), else against a loop of scipy.signal.correlate; the adjoint against
    the forward (1.2x); GFLOP/s of the direct method's multiply-adds and the torch column on every row."""
    peer = torch_peer()
    out = []
    for c_in, c_out, size, k in MULTICHANNEL:
        name = f"{c_in}to{c_out} {size}^2 f32 k={k}"
        x = RNG.standard_normal((size, size, c_in)).astype(np.float32)
        w = RNG.standard_normal((k, k, c_in, c_out)).astype(np.float32)
        conv = ss.Conv(w, padding="same", ndim=2)
        flops = 2.0 * size * size * k * k * c_in * c_out
        fwd = adj = None
        if peer is not None:
            peer.conv(name, size, k, c_in, c_out)
            fwd, adj = peer.timer(name, "fwd"), peer.timer(name, "adj")
        if fwd is not None:
            peers, target, kind = {"torch conv2d": fwd}, (1.5 if k >= 31 else 2.0), ("speedup" if k >= 31 else "max")
        else:
            def loop(x, w=w):
                ys = []
                for o in range(w.shape[3]):
                    acc = 0
                    for c in range(w.shape[2]):
                        acc = acc + scipy.signal.correlate(x[..., c], w[..., c, o], mode="same")
                    ys.append(acc)
                return np.stack(ys, axis=-1)

            peers, target, kind = {"loop signal.correlate": loop}, LOOP_SPEEDUP[k], "speedup"
        engine = conv.engine(x.shape, x.dtype)
        out.append(Case(f"{name} same ({engine})", lambda x=x: (x,), conv, peers, target, kind=kind, repeat=15,
                        flops=flops, torch=fwd))
        out += _adjoint_case(f"{name} ({engine})", conv, x, flops=flops, torch=adj, repeat=15)
    return out


def auto_choice_cases() -> list[Case]:
    """``method="auto"`` against every applicable engine forced, on shapes across the cost model's crossovers:
    auto within 1.2x of the fastest forced engine (the choice is an estimate; this measures it).  Engines the
    table estimates more than 30x slower than the cheapest are left out (they would take minutes)."""
    from signalspace.ops import engines

    gauss = np.exp(-0.5 * ((np.arange(13) - 6) / 2.0) ** 2)
    specs = [
        ("1-D k=3", RNG.standard_normal(70_641), RNG.standard_normal(3), {}),
        ("1-D k=64", RNG.standard_normal(70_641), RNG.standard_normal(64), {}),
        ("1-D k=2205", RNG.standard_normal(70_641), RNG.standard_normal(2205), {}),
        ("1-D stereo k=64 reflect", RNG.standard_normal((50_000, 2)), RNG.standard_normal(64),
         {"boundary": "reflect"}),
        ("2-D 256^2 3x3", RNG.standard_normal((256, 256)), RNG.standard_normal((3, 3)), {}),
        ("2-D 256^2 15x15", RNG.standard_normal((256, 256)), RNG.standard_normal((15, 15)), {}),
        ("2-D RGB 256^2 13x13 gaussian f32", RNG.standard_normal((256, 256, 3)).astype(np.float32),
         np.outer(gauss, gauss).astype(np.float32), {}),
        ("2-D 3->16 256^2 k=3 f32", RNG.standard_normal((256, 256, 3)).astype(np.float32),
         RNG.standard_normal((3, 3, 3, 16)).astype(np.float32), {"ndim": 2}),
        ("3-D 48^3 5^3", RNG.standard_normal((48, 48, 48)), RNG.standard_normal((5, 5, 5)), {"ndim": 3}),
    ]
    # the multi-channel layers of the table and the planar / fft / im2col crossovers around them
    for c_in, c_out, size, k, stride in [*((c_in, c_out, size, k, 1) for c_in, c_out, size, k in MULTICHANNEL),
                                         (3, 16, 512, 13, 1), (3, 16, 512, 15, 1), (20, 20, 256, 9, 1),
                                         (16, 3, 256, 5, 1), (4, 8, 256, 5, 2)]:
        label = f"2-D {c_in}->{c_out} {size}^2 k={k}{' stride 2' if stride > 1 else ''} f32"
        specs.append((label, RNG.standard_normal((size, size, c_in)).astype(np.float32),
                      RNG.standard_normal((k, k, c_in, c_out)).astype(np.float32), {"ndim": 2, "stride": stride}))
    cases = []
    for label, x, kernel, options in specs:
        auto = ss.Conv(kernel, padding="same", **options)
        plan = auto.plan(*_layout(auto, x), x.dtype)
        estimates = {name: engines.estimate(plan, name) for name in engines.applicable(plan)}
        cheapest = min(estimates.values())
        forced = {f"forced {name}": ss.Conv(kernel, padding="same", method=name, **options)
                  for name, t in estimates.items() if t <= 30 * cheapest}
        for conv in (auto, *forced.values()):
            conv(x)  # plans and kernel spectra made before timing, so every callable is timed at its steady speed
        cases.append(Case(f"auto ({auto.engine(x.shape, x.dtype)}) vs best forced engine, {label}",
                          lambda x=x: (x,), auto, forced, 1.2, repeat=7))
    return cases


def _layout(conv: ss.Conv, x: np.ndarray) -> tuple[tuple[int, ...], int, int]:
    """(spatial shape, channels, batch) of an array input, as Conv reads it."""
    if x.ndim == conv.ndim:
        return x.shape, 1, 1
    return x.shape[-conv.ndim - 1 : -1], x.shape[-1], 1
