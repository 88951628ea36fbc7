"""Every engine equals a plain reference (numpy padding + a loop over kernel taps), forward and adjoint."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import NP_PAD, expected_pads, reference

import signalspace as ss
from signalspace.ops import engines
from signalspace.testing import dottest


@st.composite
def configs(draw, max_dims=5):
    nd = draw(st.integers(1, max_dims))
    small = nd > 3
    shape = tuple(draw(st.lists(st.integers(1, 4 if small else 9), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 2 if small else 4), min_size=nd, max_size=nd)))
    stride = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    boundary = tuple(draw(st.lists(st.sampled_from(list(NP_PAD)), min_size=nd, max_size=nd)))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=nd, max_size=nd),
        )
    )
    depthwise = draw(st.booleans())
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.complex128]))
    separable = draw(st.booleans())
    seed = draw(st.integers(0, 2**31))
    return nd, shape, ks, stride, dilation, boundary, padding, depthwise, c_in, c_out, dtype, separable, seed


def build(cfg):
    nd, shape, ks, stride, dilation, boundary, padding, depthwise, c_in, c_out, dtype, separable, seed = cfg
    rng = np.random.default_rng(seed)
    kshape = ks if depthwise else (*ks, c_in, c_out)
    if separable:
        a = rng.standard_normal(ks[0])
        for k in ks[1:]:
            a = np.multiply.outer(a, rng.standard_normal(k))
        if not depthwise:
            a = np.multiply.outer(a, rng.standard_normal((c_in, c_out)))
    else:
        a = rng.standard_normal(kshape)
    x = rng.standard_normal((*shape, c_in))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(a.shape)
        x = x + 1j * rng.standard_normal(x.shape)
    x = x.astype(dtype)
    try:
        conv = ss.Conv(a, stride=stride, dilation=dilation, padding=padding, boundary=boundary, ndim=nd)
        conv.geometry(shape)
    except ss.ShapeError:
        return None, None
    return conv, x


def check_engines(cfg):
    conv, x = build(cfg)
    if conv is None:
        return
    _, _, ks, stride, dilation, boundary, padding = cfg[:7]
    shape = x.shape[:-1]
    plan = conv.plan(shape, x.shape[-1], 1, x.dtype)
    pads = expected_pads(padding, ks, dilation)  # from the documented formulas, not from the geometry
    assert plan.geometry.pad == tuple(pads)
    expected = reference(x, conv.correlation_kernel.astype(plan.dtype), stride, dilation, pads, boundary,
                         conv.depthwise)
    tol = 2e-4 if plan.dtype == np.float32 else 1e-9
    rng = np.random.default_rng(0)
    y = rng.standard_normal(expected.shape).astype(plan.dtype)
    for name in engines.applicable(plan):
        got = engines.forward(x[None], plan, name)[0]
        assert got.dtype == plan.dtype, name
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * (1 + np.abs(expected).max()), err_msg=name)
        # adjoint: <A x, y> == <x, A^H y> with this engine's adjoint
        back = engines.adjoint(y[None], plan, name)[0]
        lhs, rhs = np.vdot(y, got), np.vdot(back, x)
        assert abs(lhs - rhs) <= tol * 10 * (np.linalg.norm(got) * np.linalg.norm(y) + 1), (name, lhs, rhs)


@given(configs(max_dims=3))
@settings(max_examples=60)
def test_engines_equal_reference_1_to_3d(cfg):
    check_engines(cfg)


@given(configs(max_dims=5))
@settings(max_examples=30)
def test_engines_equal_reference_up_to_5d(cfg):
    check_engines(cfg)


@pytest.mark.parametrize("nd", [6, 7, 8])
def test_engines_high_dims(nd):
    rng = np.random.default_rng(nd)
    for trial in range(2):
        cfg = (nd, (3,) * nd, (2,) * nd, (1 + trial,) * nd, (1,) * nd, ("constant", "wrap") * 4,
               "same", bool(trial), 2, 2, np.float64, not trial, int(rng.integers(1000)))
        cfg = (*cfg[:5], cfg[5][:nd], *cfg[6:])
        check_engines(cfg)


def test_adjoint_dot_test_every_engine_complex():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 2, 2, 3)) + 1j * rng.standard_normal((3, 2, 2, 3))
    conv = ss.Conv(a, stride=(2, 1), dilation=(1, 2), padding="same", boundary=("reflect", "wrap"))
    for name in engines.applicable(conv.plan((9, 7), 2, 1, np.complex128)):
        c = ss.Conv(a, stride=(2, 1), dilation=(1, 2), padding="same", boundary=("reflect", "wrap"), method=name)
        dottest(c, (9, 7, 2), complex=True, rng=1)


def test_separable_detection_and_residual():
    rng = np.random.default_rng(0)
    u, v, w = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(5)
    rank1 = np.einsum("i,j,k->ijk", u, v, w)
    plan = ss.Conv(rank1, ndim=3).plan((8, 8, 8), 1, 1, np.float64)
    factors, mix = plan.separable
    rebuilt = np.einsum("i,j,k->ijk", *factors)
    np.testing.assert_allclose(rebuilt, rank1, atol=1e-12)
    assert mix is None
    noisy = rank1 + 1e-3 * rng.standard_normal(rank1.shape)
    assert ss.Conv(noisy, ndim=3).plan((8, 8, 8), 1, 1, np.float64).separable is None


def test_auto_choice_is_an_applicable_engine():
    rng = np.random.default_rng(0)
    cases = [((4096,), np.ones(3)), ((4096,), np.ones(400)), ((64, 64), np.ones((3, 3))),
             ((64, 64), rng.standard_normal((15, 15))), ((32, 32), rng.standard_normal((3, 3, 3, 8)))]
    for shape, k in cases:
        conv = ss.Conv(k, padding="same")
        c = 3 if k.ndim == 4 else 1
        plan = conv.plan(shape, c, 1, np.float64)
        assert engines.choose(plan) in engines.applicable(plan)
        for name in engines.applicable(plan):
            assert engines.estimate(plan, name) > 0


def test_inapplicable_engine_is_refused():
    conv = ss.Conv(np.ones((3, 3)), stride=2, method="ndimage")
    with pytest.raises(ss.InvalidParameterError, match="ndimage"):
        conv(np.ones((8, 8)))


@given(st.integers(1, 300), st.integers(1, 300), st.sampled_from(["full", "same", "valid"]),
       st.sampled_from([np.float64, np.float32, np.complex128]), st.sampled_from([None, "np", "fft", "oa"]),
       st.integers(0, 2**31))
@settings(max_examples=80)
def test_convolve1d_every_method_equals_numpy_and_scipy(n, k, mode, dtype, method, seed):
    """The 1-D fast path (np.convolve / one FFT / overlap-add) equals scipy.signal.convolve, every mode."""
    import scipy.signal

    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    if np.dtype(dtype).kind == "c":
        x, h = x + 1j * rng.standard_normal(n), h + 1j * rng.standard_normal(k)
    x, h = x.astype(dtype), h.astype(dtype)
    expected = scipy.signal.convolve(x.astype(np.complex128), h.astype(np.complex128), mode=mode, method="direct")
    got = engines.convolve1d(x, h, mode, method)
    assert got.shape == expected.shape
    assert got.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * (1 + np.abs(expected).max()))


@pytest.mark.parametrize("length", [64, 96, 300])
def test_overlap_add_blocks_equal_numpy(length):
    rng = np.random.default_rng(length)
    x, h = rng.standard_normal(1000), rng.standard_normal(31)
    np.testing.assert_allclose(engines._full1d_oa(x, h, length), np.convolve(x, h), atol=1e-9)
    np.testing.assert_allclose(engines._full1d_fft(x, h, 2**15), np.convolve(x, h), atol=1e-9)


def test_convolve_1d_fast_path_matches_scipy_and_checks_kernel():
    import scipy.signal

    rng = np.random.default_rng(5)
    x = rng.standard_normal(5000)
    for k in (3, 64, 700):
        h = rng.standard_normal(k)
        for mode in ("full", "same", "valid"):
            np.testing.assert_allclose(ss.convolve(x, h, mode), scipy.signal.convolve(x, h, mode), atol=1e-9)
            np.testing.assert_allclose(ss.correlate(x, h, mode), scipy.signal.correlate(x, h, mode), atol=1e-9)
    with pytest.raises(ss.InvalidParameterError, match="kernel"):
        ss.convolve(x, np.array([1.0, np.nan]))


@pytest.mark.parametrize("method", ["numpy1d", "fft", "oa"])
@pytest.mark.parametrize("padding", ["full", "same", "valid", [(1, 4)]])
def test_1d_conv_engines_dot_test(method, padding):
    """1-D single-channel plans run through convolve1d: forward equals numpy, adjoint passes the dot test."""
    rng = np.random.default_rng(7)
    h = rng.standard_normal(9)
    conv = ss.Conv(h, padding=padding, flip=True, method=method)
    x = rng.standard_normal(200)
    full = np.convolve(x, h)
    (before, after), = expected_pads(padding, (9,))
    start = 8 - before
    np.testing.assert_allclose(conv(x), full[start : start + 200 + before + after - 8], atol=1e-10)
    dottest(conv, (200,), rng=1)


@pytest.mark.parametrize(("kshape", "dtype"), [((5, 4), np.float64), ((3, 3, 2, 4), np.float32),
                                              ((4, 3), np.complex128)])
def test_fft_and_flat_im2col_adjoints_return_fresh_arrays(kshape, dtype):
    """The FFT adjoint returns a view into its transform's output and the flat im2col adjoint writes channels
    back one at a time: both equal the direct adjoint, and a result is the caller's own (writing into it changes
    neither y nor the next call's result)."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal(kshape).astype(dtype)
    conv = ss.Conv(a, padding="same", ndim=2)
    c_in = kshape[2] if len(kshape) > 2 else 1
    plan = conv.plan((13, 11), c_in, 2, dtype)
    c_out = plan.c_out if not plan.depthwise else c_in
    y = rng.standard_normal((2, *plan.geometry.output_shape, c_out)).astype(dtype)
    y0 = y.copy()
    expected = engines.adjoint(y, plan, "direct")
    for name in ("fft", "im2col"):
        first = engines.adjoint(y, plan, name)
        np.testing.assert_allclose(first, expected, rtol=1e-4, atol=1e-4)
        first[...] = 7
        np.testing.assert_array_equal(y, y0)
        np.testing.assert_allclose(engines.adjoint(y, plan, name), expected, rtol=1e-4, atol=1e-4)


def test_im2col_adjoint_equals_direct_adjoint():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    conv = ss.Conv(a, padding="same", dilation=(1, 2))
    plan = conv.plan((20, 17), 3, 2, np.float32)
    y = rng.standard_normal((2, *plan.geometry.output_shape, 5)).astype(np.float32)
    np.testing.assert_allclose(engines.adjoint(y, plan, "im2col"), engines.adjoint(y, plan, "direct"), atol=1e-4)


@given(st.integers(20, 300), st.integers(1, 40), st.integers(2, 9), st.integers(1, 3),
       st.sampled_from(["valid", "same", "full"]), st.sampled_from([np.float64, np.complex128]), st.integers(0, 2**31))
@settings(max_examples=60)
def test_strided_numpy1d_is_polyphase_and_exact(n, k, stride, dilation, padding, dtype, seed):
    """Strided 1-D np.convolve runs per phase (no full output): equal to the reference, adjoint passes the dot test."""
    rng = np.random.default_rng(seed)
    h = rng.standard_normal(k).astype(dtype)
    x = rng.standard_normal(n).astype(dtype)
    try:
        conv = ss.Conv(h, stride=stride, dilation=dilation, padding=padding, method="numpy1d")
        conv.geometry((n,))
    except ss.ShapeError:
        return
    pads = expected_pads(padding, (k,), dilation)
    expected = reference(x[:, None], h, stride, dilation, pads, ["constant"], True)[:, 0]
    np.testing.assert_allclose(conv(x), expected, atol=1e-9 * (1 + np.abs(expected).max()))
    dottest(conv, (n,), complex=dtype == np.complex128, rng=seed)


def test_strided_cost_model_prefers_strided_native_engines():
    """FFT/overlap-add compute every output then subsample: the model charges them the un-strided length,
    and numpy1d's polyphase cost falls with the stride."""
    plan1 = ss.Conv(np.ones(64)).plan((200_000,), 1, 1, np.float64)
    plan32 = ss.Conv(np.ones(64), stride=32).plan((200_000,), 1, 1, np.float64)
    for name in ("fft", "oa"):
        assert engines.estimate(plan32, name) >= 0.9 * engines.estimate(plan1, name)
    assert engines.estimate(plan32, "numpy1d") < engines.estimate(plan1, "numpy1d") / 4
    assert engines.choose(plan32) in ("numpy1d", "im2col", "direct")


@given(configs(max_dims=4), st.sampled_from([1, 2**22]))
@settings(max_examples=60)
def test_flat_im2col_equals_reference(cfg, chunk):
    """The flat im2col (contiguous patch rows on the padded grid, col2im adjoint), forced on every unit-stride
    configuration and with one leading row per chunk or all rows in one: equal to the reference, dot test."""
    cfg = (*cfg[:3], (1,) * cfg[0], *cfg[4:])  # unit stride: where the flat path applies
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engines, "_FLAT_WASTE", float("inf"))
        mp.setattr(engines, "_FLAT_CHUNK", chunk)
        conv, x = build(cfg)
        if conv is None:
            return
        plan = conv.plan(x.shape[:-1], x.shape[-1], 2, x.dtype)
        assert engines._flat_ok(plan)
        _, _, ks, stride, dilation, boundary, padding = cfg[:7]
        pads = expected_pads(padding, ks, dilation)
        a = conv.correlation_kernel.astype(plan.dtype)
        x2 = np.stack([x, 2 * x[::-1]])  # two batch rows
        expected = np.stack([reference(xi, a, stride, dilation, pads, boundary, conv.depthwise) for xi in x2])
        tol = 2e-4 if plan.dtype == np.float32 else 1e-9
        got = engines.forward(x2, plan, "im2col")
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * (1 + np.abs(expected).max()))
        y = np.random.default_rng(1).standard_normal(expected.shape).astype(plan.dtype)
        back = engines.adjoint(y, plan, "im2col")
        assert back.shape == x2.shape
        lhs, rhs = np.vdot(y, got), np.vdot(back, x2)
        assert abs(lhs - rhs) <= tol * 10 * (np.linalg.norm(got) * np.linalg.norm(y) + 1)


@pytest.mark.parametrize(("n", "k", "group_bytes"), [(1000, 31, 4096), (5003, 200, 2**13), (777, 64, 2**18)])
def test_overlap_add_in_groups_of_blocks_equals_numpy(n, k, group_bytes, monkeypatch):
    """Overlap-add transforms its blocks group by group (cache-sized): every grouping gives np.convolve."""
    monkeypatch.setattr(engines, "_OA_GROUP_BYTES", group_bytes)
    rng = np.random.default_rng(n)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    for length in (2 * k + 2, 4 * k, 8 * k + 5):
        np.testing.assert_allclose(engines._full1d_oa(x, h, length), np.convolve(x, h), atol=1e-9)
        np.testing.assert_allclose(engines._full1d_oa(h, x, length), np.convolve(x, h), atol=1e-9)
    xc = x + 1j * rng.standard_normal(n)
    np.testing.assert_allclose(engines._full1d_oa(xc, h.astype(complex), 4 * k), np.convolve(xc, h), atol=1e-9)


@pytest.mark.parametrize("padding", ["same", "full", [(0, 2), (2, 0), (1, 1)]])
def test_separable_adjoint_by_correlate1d_equals_direct(padding):
    """The separable adjoint (one ndimage.correlate1d per axis with reversed taps) equals the direct adjoint."""
    rng = np.random.default_rng(4)
    u, v, w = rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(3)
    for dtype in (np.float64, np.complex128):
        k = np.einsum("i,j,k->ijk", u, v, w).astype(dtype)
        if dtype == np.complex128:
            k = k * (1 + 2j)
        conv = ss.Conv(k, padding=padding, method="separable", ndim=3)
        y = conv(rng.standard_normal((9, 8, 7, 2)).astype(dtype))
        y = rng.standard_normal(y.shape).astype(dtype)
        direct = ss.Conv(k, padding=padding, method="direct", ndim=3)
        np.testing.assert_allclose(conv.adjoint(y, (9, 8, 7)), direct.adjoint(y, (9, 8, 7)), atol=1e-9)
        dottest(conv, (9, 8, 7, 2), complex=dtype == np.complex128, rng=2)


def test_cost_model_counts_nonzero_taps_and_prefers_separable_for_gaussian():
    """Direct and ndimage cost their non-zero taps (they skip zeros); a rank-1 Gaussian on an RGB image in
    float32 goes to the separable passes; an un-strided long 1-D signal with k=64 to overlap-add."""
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((3,) * 8).astype(np.float32)
    sparse = np.zeros_like(dense)
    sparse.reshape(-1)[rng.choice(dense.size, 129, replace=False)] = 1.0
    p_dense = ss.Conv(dense, padding="same", boundary="wrap", ndim=8).plan((8,) * 8, 1, 1, np.float32)
    p_sparse = ss.Conv(sparse, padding="same", boundary="wrap", ndim=8).plan((8,) * 8, 1, 1, np.float32)
    assert p_sparse.active_taps == 129 and p_dense.active_taps == dense.size
    for name in ("direct", "ndimage"):
        assert engines.estimate(p_sparse, name) < engines.estimate(p_dense, name) / 40
    assert engines.choose(p_sparse) == "ndimage"
    g = np.exp(-0.5 * ((np.arange(13) - 6) / 2.0) ** 2)
    assert engines.choose(ss.Conv(np.outer(g, g), padding="same").plan((512, 512), 3, 1, np.float32)) == "separable"
    assert engines.choose(ss.Conv(np.ones(64)).plan((200_000,), 1, 1, np.float64)) == "oa"
