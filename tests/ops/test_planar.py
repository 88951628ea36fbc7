"""The ``planar`` engine (numba): forward equals the plain reference, adjoint passes the dot test, for every path.

Paths: zero boundary (padding implicit) or padded input then ``fold``; kernel blocks of 8/4/3/2 output planes;
complex data as real (re, im) pairs; several bands and tiles per image (an engine with small bands and tiles);
the caller's thread alone or with helpers.
"""

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import NP_PAD, expected_pads, reference

import signalspace as ss
from signalspace.ops import engines
from signalspace.ops.engines import _planar_gen
from signalspace.ops.engines.planar import Planar, numba_available, output_blocks
from signalspace.testing import dottest

pytestmark = pytest.mark.skipif(not numba_available(), reason="the planar engine needs numba")

#: Small bands and tiles, helpers always: many bands, halos and tiles on small inputs.
SMALL = Planar(band_bytes=512, tile=16, parallel_macs=0)


@st.composite
def plans(draw):
    nd = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 12 if nd < 3 else 6), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    boundary = tuple(draw(st.lists(st.sampled_from(list(NP_PAD)), min_size=nd, max_size=nd)))
    padding = draw(st.one_of(st.sampled_from(["valid", "same", "full"]),
                             st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=nd, max_size=nd)))
    c_in, c_out = draw(st.integers(1, 10)), draw(st.integers(1, 19))
    assume(c_in * c_out > 1)
    batch = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.complex128, np.complex64]))
    sparse = draw(st.booleans())  # some taps all zero: the engine skips their terms
    seed = draw(st.integers(0, 2**31))
    return nd, shape, ks, dilation, boundary, padding, c_in, c_out, batch, np.dtype(dtype), sparse, seed


def _setup(cfg):
    nd, shape, ks, dilation, boundary, padding, c_in, c_out, batch, dtype, sparse, seed = cfg
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((*ks, c_in, c_out))
    if sparse:
        a = a * (rng.random((*ks, 1, 1)) < 0.5)
    x = rng.standard_normal((batch, *shape, c_in))
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal(a.shape)
        x = x + 1j * rng.standard_normal(x.shape)
    pads = expected_pads(padding, ks, dilation)
    grown = [n + p0 + p1 - d * (k - 1) for n, (p0, p1), d, k in zip(shape, pads, dilation, ks, strict=True)]
    assume(all(g >= 1 for g in grown))
    conv = ss.Conv(a, dilation=dilation, padding=padding, boundary=boundary, ndim=nd, method="planar")
    plan = conv.plan(shape, c_in, batch, dtype)
    return conv, plan, x.astype(dtype), pads


@given(plans(), st.sampled_from(["default", "small bands"]))
@settings(max_examples=80)
def test_planar_equals_reference_and_passes_the_dot_test(cfg, variant):
    conv, plan, x, pads = _setup(cfg)
    engine = engines.get("planar") if variant == "default" else SMALL
    boundary, dilation = cfg[4], cfg[3]
    assert engine.applicable(plan)
    got = engine.forward(x, plan)
    expected = np.stack([reference(xb, conv.correlation_kernel.astype(plan.dtype), 1, dilation, pads, boundary, False)
                         for xb in x])
    tol = 2e-4 if plan.dtype in (np.float32, np.complex64) else 1e-10
    assert got.dtype == plan.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * (1 + np.abs(expected).max()))
    # the adjoint, by the dot test on the engine's own pair
    shape_x, shape_y = x.shape, expected.shape
    op = spla.LinearOperator(
        (int(np.prod(shape_y)), int(np.prod(shape_x))), dtype=plan.dtype,
        matvec=lambda v: engine.forward(v.reshape(shape_x).astype(plan.dtype), plan).ravel(),
        rmatvec=lambda v: engine.adjoint(v.reshape(shape_y).astype(plan.dtype), plan).ravel(),
    )
    dottest(op, complex=plan.dtype.kind == "c", rtol=1e-3 if tol > 1e-6 else 1e-9, rng=cfg[-1],
            dtype=np.float32 if tol > 1e-6 else np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_planar_through_conv_dot_test(dtype):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 5, 3, 16))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(a.shape)
    conv = ss.Conv(a.astype(dtype), padding="same", boundary=("reflect", "constant"), method="planar", ndim=2)
    dottest(conv, (40, 33, 3), complex=np.dtype(dtype).kind == "c", rng=1, dtype=np.float32 if dtype == np.float32
            else np.float64, rtol=1e-3 if dtype == np.float32 else 1e-10)


def test_planar_applies_to_channel_mixing_with_unit_stride_only():
    rng = np.random.default_rng(0)
    mixing = ss.Conv(rng.standard_normal((3, 3, 2, 4)), padding="same", ndim=2)
    assert "planar" in engines.applicable(mixing.plan((9, 9), 2, 1, np.float64))
    strided = ss.Conv(rng.standard_normal((3, 3, 2, 4)), stride=2, ndim=2)
    depthwise = ss.Conv(rng.standard_normal((3, 3)))
    single = ss.Conv(rng.standard_normal((3, 3, 1, 1)), ndim=2)
    for conv, c in ((strided, 2), (depthwise, 3), (single, 1)):
        assert "planar" not in engines.applicable(conv.plan((9, 9), c, 1, np.float64))


def test_output_blocks_cover_every_plane_once():
    for c in range(1, 40):
        blocks = output_blocks(c)
        planes = [o0 + i for o0, n in blocks for i in range(n)]
        assert planes[: c] == list(range(c)) and len(planes) - c < 8


def test_generated_kernels_are_current():
    assert _planar_gen.target().read_text() == _planar_gen.source()
