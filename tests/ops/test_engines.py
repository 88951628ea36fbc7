"""Every engine equals a plain reference (numpy padding + a loop over kernel taps), forward and adjoint."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import NP_PAD, expected_pads, reference

import signalspace as ss
from signalspace.ops import engines
from signalspace.ops.engines import oned, separable
from signalspace.ops.engines.im2col import Im2col
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


def check_engines(cfg, conv, x):
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
    conv, x = build(cfg)
    assume(conv is not None)  # the kernel does not fit this padded input
    check_engines(cfg, conv, x)


@given(configs(max_dims=5))
@settings(max_examples=30)
def test_engines_equal_reference_up_to_5d(cfg):
    conv, x = build(cfg)
    assume(conv is not None)
    check_engines(cfg, conv, x)


@pytest.mark.parametrize("nd", [6, 7, 8])
def test_engines_high_dims(nd):
    rng = np.random.default_rng(nd)
    for trial in range(2):
        cfg = (nd, (3,) * nd, (2,) * nd, (1 + trial,) * nd, (1,) * nd, ("constant", "wrap") * 4,
               "same", bool(trial), 2, 2, np.float64, not trial, int(rng.integers(1000)))
        cfg = (*cfg[:5], cfg[5][:nd], *cfg[6:])
        conv, x = build(cfg)
        check_engines(cfg, conv, x)


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
    taps, mix = separable.factors(plan)
    rebuilt = np.einsum("i,j,k->ijk", *taps)
    np.testing.assert_allclose(rebuilt, rank1, atol=1e-12)
    assert mix is None
    noisy = rank1 + 1e-3 * rng.standard_normal(rank1.shape)
    noisy_plan = ss.Conv(noisy, ndim=3).plan((8, 8, 8), 1, 1, np.float64)
    assert separable.factors(noisy_plan) is None and "separable" not in engines.applicable(noisy_plan)


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
    got = oned.convolve1d(x, h, mode, method)
    assert got.shape == expected.shape
    assert got.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * (1 + np.abs(expected).max()))


@pytest.mark.parametrize("length", [64, 96, 300])
def test_overlap_add_blocks_equal_numpy(length):
    rng = np.random.default_rng(length)
    x, h = rng.standard_normal(1000), rng.standard_normal(31)
    np.testing.assert_allclose(oned.full_overlap_add(x, h, length), np.convolve(x, h), atol=1e-9)
    np.testing.assert_allclose(oned.full_fft(x, h, 2**15), np.convolve(x, h), atol=1e-9)


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
    conv = ss.Conv(h, stride=stride, dilation=dilation, padding=padding, method="numpy1d")
    assume(n + sum(expected_pads(padding, (k,), dilation)[0]) > dilation * (k - 1))  # the kernel fits
    pads = expected_pads(padding, (k,), dilation)
    expected = reference(x[:, None], h, stride, dilation, pads, ["constant"], True)[:, 0]
    np.testing.assert_allclose(conv(x), expected, atol=1e-9 * (1 + np.abs(expected).max()))
    dottest(conv, (n,), complex=dtype == np.complex128, rng=seed)


def test_strided_fft_and_overlap_add_are_charged_the_unstrided_length():
    """Documented: FFT and overlap-add compute every output then subsample, so their cost does not fall with the
    stride, while numpy1d's polyphase cost does."""
    plan1 = ss.Conv(np.ones(64)).plan((200_000,), 1, 1, np.float64)
    plan32 = ss.Conv(np.ones(64), stride=32).plan((200_000,), 1, 1, np.float64)
    for name in ("fft", "oa"):
        assert engines.estimate(plan32, name) >= 0.9 * engines.estimate(plan1, name)
    assert engines.estimate(plan32, "numpy1d") < engines.estimate(plan1, "numpy1d") / 4


@given(configs(max_dims=4), st.sampled_from([1, 2**22]))
@settings(max_examples=60)
def test_flat_im2col_equals_reference(cfg, chunk):
    """The flat im2col (contiguous patch rows on the padded grid, col2im adjoint), forced on every unit-stride
    configuration (flat_waste=inf) and with one leading row per chunk or all rows in one (flat_chunk_bytes): equal
    to the reference, dot test."""
    cfg = (*cfg[:3], (1,) * cfg[0], *cfg[4:])  # unit stride: where the flat path applies
    engine = Im2col(flat_waste=float("inf"), flat_chunk_bytes=chunk)
    conv, x = build(cfg)
    assume(conv is not None)
    plan = conv.plan(x.shape[:-1], x.shape[-1], 2, x.dtype)
    assert engine.flat(plan)
    _, _, ks, stride, dilation, boundary, padding = cfg[:7]
    pads = expected_pads(padding, ks, dilation)
    a = conv.correlation_kernel.astype(plan.dtype)
    x2 = np.stack([x, 2 * x[::-1]])  # two batch rows
    expected = np.stack([reference(xi, a, stride, dilation, pads, boundary, conv.depthwise) for xi in x2])
    tol = 2e-4 if plan.dtype == np.float32 else 1e-9
    got = engine.forward(x2, plan)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * (1 + np.abs(expected).max()))
    y = np.random.default_rng(1).standard_normal(expected.shape).astype(plan.dtype)
    back = engine.adjoint(y, plan)
    assert back.shape == x2.shape
    lhs, rhs = np.vdot(y, got), np.vdot(back, x2)
    assert abs(lhs - rhs) <= tol * 10 * (np.linalg.norm(got) * np.linalg.norm(y) + 1)


@pytest.mark.parametrize(("n", "k", "group_bytes"), [(1000, 31, 4096), (5003, 200, 2**13), (777, 64, 2**18)])
def test_overlap_add_in_groups_of_blocks_equals_numpy(n, k, group_bytes):
    """Overlap-add transforms its blocks group by group (cache-sized): every grouping gives np.convolve."""
    rng = np.random.default_rng(n)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    for length in (2 * k + 2, 4 * k, 8 * k + 5):
        np.testing.assert_allclose(oned.full_overlap_add(x, h, length, group_bytes), np.convolve(x, h), atol=1e-9)
        np.testing.assert_allclose(oned.full_overlap_add(h, x, length, group_bytes), np.convolve(x, h), atol=1e-9)
    xc = x + 1j * rng.standard_normal(n)
    np.testing.assert_allclose(oned.full_overlap_add(xc, h.astype(complex), 4 * k, group_bytes), np.convolve(xc, h),
                               atol=1e-9)


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


def test_direct_and_ndimage_are_charged_their_nonzero_taps():
    """Documented: direct and scipy.ndimage skip zero weights, so their cost counts the non-zero taps only."""
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((3,) * 8).astype(np.float32)
    sparse = np.zeros_like(dense)
    sparse.reshape(-1)[rng.choice(dense.size, 129, replace=False)] = 1.0
    p_dense = ss.Conv(dense, padding="same", boundary="wrap", ndim=8).plan((8,) * 8, 1, 1, np.float32)
    p_sparse = ss.Conv(sparse, padding="same", boundary="wrap", ndim=8).plan((8,) * 8, 1, 1, np.float32)
    assert p_sparse.active_taps == 129 and p_dense.active_taps == dense.size
    for name in ("direct", "ndimage"):
        ratio = engines.estimate(p_dense, name) / engines.estimate(p_sparse, name)
        assert ratio == pytest.approx(dense.size / 129, rel=0.05)


@given(st.integers(2, 3), st.integers(3, 15), st.integers(1, 3), st.booleans(),
       st.sampled_from([np.float32, np.float64, np.complex128]), st.integers(0, 2**31))
@settings(max_examples=40)
def test_a_rank1_kernel_never_goes_to_an_engine_that_multiplies_every_tap(nd, k, channels, gaussian, dtype, seed):
    """Documented: applied per channel, an exactly rank-1 kernel of at least 3 taps per axis on a grid of at least
    128 samples per axis runs as 1-D passes (separable), or as transforms when the kernel is long (fft); never by
    an engine whose work is the product of the kernel sizes (direct, ndimage, im2col)."""
    rng = np.random.default_rng(seed)
    taps = [np.exp(-0.5 * np.linspace(-2, 2, k) ** 2) if gaussian else rng.standard_normal(k) for _ in range(nd)]
    kernel = taps[0]
    for t in taps[1:]:
        kernel = np.multiply.outer(kernel, t)
    shape = (160,) * 2 if nd == 2 else (128, 128, 130)
    plan = ss.Conv(kernel.astype(dtype), padding="same", ndim=nd).plan(shape, channels, 1, dtype)
    assert "separable" in engines.applicable(plan)
    assert engines.choose(plan) in ("separable", "fft")


class ToyEngine:
    """A textbook engine written only against the Engine protocol: a loop over output positions, 1-D, depthwise,
    unit stride, zero boundary; its cost says it is free, so "auto" takes it whenever it applies."""

    name = "toy"

    def applicable(self, plan):
        return plan.ndim == 1 and plan.depthwise and plan.unit_steps and plan.zero_boundary

    def cost(self, plan, costs):
        return 0.0

    def forward(self, x, plan):
        k = plan.geometry.kernel_shape[0]
        xp = np.pad(x, [(0, 0), plan.geometry.pad[0], (0, 0)])
        n_out = plan.geometry.output_shape[0]
        return np.stack([np.einsum("k,bkc->bc", plan.kernel, xp[:, i : i + k]) for i in range(n_out)], axis=1)

    def adjoint(self, y, plan):
        (before, _), k = plan.geometry.pad[0], plan.geometry.kernel_shape[0]
        n = plan.geometry.input_shape[0]
        gp = np.zeros((y.shape[0], n + sum(plan.geometry.pad[0]), y.shape[-1]), dtype=y.dtype)
        for i in range(y.shape[1]):
            gp[:, i : i + k] += np.einsum("k,bc->bkc", plan.kernel.conj(), y[:, i])
        return gp[:, before : before + n]


def test_a_registered_toy_engine_runs_and_is_chosen():
    """Adding an engine is one object following the protocol and one register() call: Conv accepts its name,
    "auto" considers it, and it leaves again with unregister()."""
    engines.register(ToyEngine())
    try:
        assert "toy" in engines.methods()
        h = np.array([1.0, -2.0, 0.5])
        x = np.random.default_rng(0).standard_normal((40, 2))
        reference_conv = ss.Conv(h, padding="same", method="direct")
        toy = ss.Conv(h, padding="same", method="toy")
        np.testing.assert_allclose(toy(x), reference_conv(x), atol=1e-12)
        dottest(toy, (40, 2), rng=0)
        assert ss.Conv(h, padding="same").engine((40, 2)) == "toy"  # free, so auto takes it
        assert ss.Conv(h, padding="same", boundary="reflect").engine((40, 2)) != "toy"  # not applicable
        with pytest.raises(ss.InvalidParameterError, match="already registered"):
            engines.register(ToyEngine())
    finally:
        engines.unregister("toy")
    assert "toy" not in engines.methods()
    with pytest.raises(ss.UnknownNameError, match="method must be one of"):
        ss.Conv(h, method="toy")
    with pytest.raises(ss.InvalidTypeError, match="Engine protocol"):
        engines.register(object())
