"""Conv.kernel_operator: a -> Conv(a)(x) against an independent reference, its matrix, its adjoint, its engines."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import NP_PAD, expected_pads, reference

import signalspace as ss
from signalspace.ops import engines
from signalspace.ops.engines.costs import COSTS
from signalspace.ops.engines.im2col import Im2col
from signalspace.ops.kernel_operator import KernelOperator
from signalspace.testing import dottest


@st.composite
def cases(draw):
    nd = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 6 if nd < 3 else 3), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 3 if nd < 3 else 2), min_size=nd, max_size=nd)))
    stride = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    dilation = tuple(draw(st.lists(st.integers(1, 2), min_size=nd, max_size=nd)))
    boundary = tuple(draw(st.lists(st.sampled_from(list(NP_PAD)), min_size=nd, max_size=nd)))
    padding = draw(st.one_of(st.sampled_from(["valid", "same", "full"]),
                             st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=nd, max_size=nd)))
    return {
        "nd": nd, "shape": shape, "ks": ks, "stride": stride, "dilation": dilation, "boundary": boundary,
        "padding": padding, "flip": draw(st.booleans()), "depthwise": draw(st.booleans()),
        "c_in": draw(st.integers(1, 3)), "c_out": draw(st.integers(1, 3)), "batch": draw(st.sampled_from([(), (2,)])),
        "cval": draw(st.sampled_from([0.0, 1.5, 0.5 - 2j])), "complex": draw(st.booleans()),
        "method": draw(st.sampled_from(["auto", "direct", "im2col", "fft"])), "seed": draw(st.integers(0, 2**31)),
    }


def setup(case):
    """The Conv, the data x and a kernel a of a drawn case, or None when the kernel does not fit the padded input."""
    rng = np.random.default_rng(case["seed"])
    nd, ks = case["nd"], case["ks"]
    kshape = ks if case["depthwise"] else (*ks, case["c_in"], case["c_out"])
    a = rng.standard_normal(kshape)
    x = rng.standard_normal((*case["batch"], *case["shape"], case["c_in"]))
    if case["complex"]:
        a = a + 1j * rng.standard_normal(kshape)
        x = x + 1j * rng.standard_normal(x.shape)
    conv = ss.Conv(a, stride=case["stride"], dilation=case["dilation"], padding=case["padding"],
                   boundary=case["boundary"], cval=case["cval"], flip=case["flip"], method=case["method"], ndim=nd)
    try:
        conv.geometry(case["shape"])
    except ss.ShapeError:
        return None
    return conv, x, a


def brute_force(case, x, a):
    """The convolution of x with kernel a by the test suite's own reference (np.pad, a loop over taps)."""
    nd = case["nd"]
    corr = a[(slice(None, None, -1),) * nd] if case["flip"] else a
    pads = expected_pads(case["padding"], case["ks"], case["dilation"])
    if not case["batch"]:
        return reference(x, corr, case["stride"], case["dilation"], pads, case["boundary"], case["depthwise"],
                         case["cval"])
    return np.stack([reference(xb, corr, case["stride"], case["dilation"], pads, case["boundary"], case["depthwise"],
                               case["cval"]) for xb in x])


def dense_matrix(case, x, kernel_shape):
    """The data's matrix built column by column: column j is the reference convolution with the j-th unit kernel."""
    columns = []
    for j in range(int(np.prod(kernel_shape))):
        unit = np.zeros(kernel_shape)
        unit.reshape(-1)[j] = 1.0
        columns.append(brute_force({**case, "cval": case["cval"]}, x, unit).ravel())
    return np.stack(columns, axis=1)


@given(cases())
@settings(max_examples=60)
def test_kernel_operator_equals_reference_matrix_and_adjoint(case):
    """X(x) a == Conv(a)(x) == the reference; to_matrix == the matrix built from the reference, entry for entry; the
    adjoint is that matrix's conjugate transpose (dot test too): every dim 1-4, stride, dilation, padding, per-axis
    boundary, flip, depthwise or channels, batch, real and complex, cval (the padded constant is data)."""
    built = setup(case)
    assume(built is not None)
    conv, x, a = built
    axes = tuple(range(len(case["batch"]), len(case["batch"]) + case["nd"]))  # a batch axis is carried when told
    X = conv.kernel_operator(x, axes=axes)
    y = X @ a
    expected = brute_force(case, x, a).reshape(y.shape)
    tol = 1e-10 * (1 + np.abs(expected).max())
    np.testing.assert_allclose(y, expected, atol=tol)
    np.testing.assert_allclose(conv(x, axes=axes), expected, atol=tol)
    dense = dense_matrix(case, x, a.shape)
    matrix = X.to_matrix()
    np.testing.assert_allclose(matrix.toarray(), dense, atol=1e-12)
    np.testing.assert_allclose(X.to_matrix(format="dense"), dense, atol=1e-12)
    rng = np.random.default_rng(case["seed"] + 1)
    v = rng.standard_normal(y.shape) + 1j * rng.standard_normal(y.shape)
    np.testing.assert_allclose(X.adjoint(v).ravel(), dense.conj().T @ v.ravel(), atol=1e-10 * (1 + np.abs(v).sum()))
    if np.any(dense):  # an operator that reads only zero padding is 0; its FFT gives 1e-18s, relative noise
        dottest(X, complex=True, rng=case["seed"])
    np.testing.assert_allclose(X.gram_diagonal().ravel(), (np.abs(dense) ** 2).sum(axis=0), rtol=1e-10, atol=1e-12)
    gram = X.gram() if case["depthwise"] else np.kron(X.gram(), np.eye(case["c_out"]))
    np.testing.assert_allclose(gram, dense.conj().T @ dense, atol=1e-10 * (1 + np.abs(gram).max()))


def test_layouts_follow_the_conv_channels_first_carried_axes_and_signals():
    """The data is read as conv(x) reads it: channels first (librosa's (c, n)), carried axes, a Signal by its axis
    names; X @ a, the adjoint and the matrix's rows follow conv(x)'s layout."""
    rng = np.random.default_rng(9)
    a = rng.standard_normal((5, 2, 3))
    conv = ss.Conv(a, padding="same", boundary="reflect", ndim=1)
    x = rng.standard_normal((2, 40))  # (c, n)
    X = conv.kernel_operator(x, channel_axis=0)
    assert X.data_shape == conv(x, channel_axis=0).shape == (3, 40)
    np.testing.assert_allclose(X @ a, conv(x, channel_axis=0), atol=1e-12)
    np.testing.assert_allclose(X.to_matrix() @ a.ravel(), conv(x, channel_axis=0).ravel(), atol=1e-12)
    np.testing.assert_allclose(X.to_matrix(format="dense").T, X.H.todense(), atol=1e-12)
    dottest(X, complex=True, rng=1)
    carried = rng.standard_normal((4, 30, 2, 3))  # 4 x 30 grid, convolved along axis 1 only, axis 0 carried
    depthwise = ss.Conv(rng.standard_normal(3), dilation=2)
    Xc = depthwise.kernel_operator(carried, axes=(1,), channel_axis=2)
    expected = depthwise(carried, axes=(1,), channel_axis=2)
    np.testing.assert_allclose(Xc @ depthwise.kernel, expected, atol=1e-12)
    np.testing.assert_allclose(Xc.to_matrix() @ depthwise.kernel, expected.ravel(), atol=1e-12)
    dottest(Xc, rng=2)
    d = ss.Domain.from_shape((30, 4), names=("time", "trial"))
    signal = ss.Signal(rng.standard_normal((30, 4, 2)), d)
    along_time = ss.Conv(rng.standard_normal(3), dims=("time",))
    Xs = along_time.kernel_operator(signal)
    np.testing.assert_allclose(Xs @ along_time.kernel, along_time(signal).values, atol=1e-12)


def test_gradient_is_scipy_correlation_of_x_with_y():
    """1-D and 2-D, one channel, valid: the kernel gradient is scipy.signal.correlate(x, y, "valid") (conjugating x)."""
    rng = np.random.default_rng(0)
    for shape, ks in (((300,), (17,)), ((40, 33), (5, 4))):
        x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
        conv = ss.Conv(np.ones(ks, dtype=complex))
        y = rng.standard_normal(conv.output_shape(shape)) + 1j * rng.standard_normal(conv.output_shape(shape))
        expected = scipy.signal.correlate(y, x, mode="valid")[(slice(None, None, -1),) * len(shape)]
        np.testing.assert_allclose(conv.kernel_operator(x).adjoint(y), expected, atol=1e-9)
        flipped = ss.Conv(np.ones(ks, dtype=complex), flip=True).kernel_operator(x)
        np.testing.assert_allclose(flipped.adjoint(y), scipy.signal.correlate(y, x, mode="valid"), atol=1e-9)


def test_strided_dilated_multichannel_gradient_equals_ndimage():
    """Stride 2, dilation 3, reflect boundary, 2 -> 3 channels, batch of 2: each (c_in, c_out) entry of the gradient
    is sum over the batch of scipy.ndimage.correlate(x, y upsampled by the stride) read every `dilation` samples."""
    import scipy.ndimage as ndi

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 23, 2))
    conv = ss.Conv(np.ones((4, 2, 3)), stride=2, dilation=3, padding="same", boundary="reflect", ndim=1)
    y = rng.standard_normal(conv.output_shape(x.shape, axes=(1,)))
    grad = conv.kernel_operator(x, axes=(1,)).adjoint(y)
    (pb, pa), = expected_pads("same", (4,), 3)
    xp = np.pad(x, [(0, 0), (pb, pa), (0, 0)], mode="symmetric")
    expected = np.zeros((4, 2, 3))
    for b in range(2):
        for c in range(2):
            for o in range(3):
                up = np.zeros(2 * (y.shape[1] - 1) + 1)
                up[::2] = y[b, :, o]  # y on the input grid: correlating with it reads every stride-th sample
                full = ndi.correlate(xp[b, :, c], up, mode="constant", origin=-(len(up) // 2))
                expected[:, c, o] += full[: 3 * 3 + 1 : 3]
    np.testing.assert_allclose(grad, expected, atol=1e-10)


def test_affine_conv_has_a_linear_kernel_map():
    """cval != 0 makes Conv affine in x, but a -> Conv(a)(x) stays linear: the padded constant is data."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((12, 9, 2))
    a, b = rng.standard_normal((3, 3, 2, 2)), rng.standard_normal((3, 3, 2, 2))
    conv = ss.Conv(a, padding="full", boundary=("constant", "wrap"), cval=3.0, ndim=2)
    X = conv.kernel_operator(x)
    np.testing.assert_allclose(X @ (2 * a - 5 * b), 2 * (X @ a) - 5 * (X @ b), atol=1e-10)
    np.testing.assert_allclose(X @ a, conv(x), atol=1e-10)
    assert np.all(X @ np.zeros_like(a) == 0)
    zero_x = conv.kernel_operator(np.zeros_like(x))  # only the constant is left, and it sees the kernel
    np.testing.assert_allclose(zero_x @ a, conv.offset(x.shape), atol=1e-10)


def test_signal_input_dtypes_and_data_not_modified():
    x = np.arange(20.0).reshape(4, 5)
    before = x.copy()
    conv = ss.Conv(np.ones((2, 2)), padding="same", cval=1.0)
    X = conv.kernel_operator(x)
    x[0, 0] = 100.0  # the operator keeps its own (padded) copy
    np.testing.assert_allclose(X @ np.ones((2, 2)), conv(before))
    np.testing.assert_array_equal(x[1:], before[1:])
    signal = ss.Signal(before[..., None], ss.Domain.from_shape((4, 5)))
    np.testing.assert_allclose(conv.kernel_operator(signal) @ np.ones((2, 2)), conv(before)[..., None])
    X32 = conv.kernel_operator(before.astype(np.float32))
    assert X32.dtype == np.float32 and (X32 @ np.ones((2, 2))).dtype == np.float32
    assert (X32 @ np.ones((2, 2), dtype=complex)).dtype == np.complex64  # a complex kernel on real data
    assert conv.kernel_operator(before.astype(int)).dtype == np.float64
    assert isinstance(X, ss.ops.base.LinearOperator) and X.H.model_shape == X.data_shape
    A = X.as_linear_operator()
    np.testing.assert_allclose(A.matvec(np.ones(4)), X.to_matrix() @ np.ones(4))
    np.testing.assert_allclose(A.rmatvec(np.ones(20)), X.to_matrix().T @ np.ones(20))


def test_matrix_formats_and_budget():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 10, 3))
    X = ss.Conv(np.ones((3, 3, 3, 4)), padding="same", ndim=2).kernel_operator(x)
    csr = X.to_matrix()
    assert csr.format == "csr" and X.to_matrix(format="coo").format == "coo"
    assert csr.shape == (400, 108) and csr.nnz <= 100 * 27 * 4  # the Kronecker structure: one window per c_out
    with pytest.raises(ss.MemoryBudgetError, match="max_bytes"):
        X.to_matrix(max_bytes=1000)
    with pytest.raises(ss.UnknownNameError, match="format"):
        X.to_matrix(format="dia")


@pytest.mark.parametrize(
    ("kernel", "ndim", "x", "error", "match"),
    [
        (np.ones((3, 2, 1)), 1, np.ones((8, 3)), ss.ShapeError, "c_in"),
        (np.ones(5), None, np.ones(3), ss.ShapeError, "kernel reaches"),
        (np.ones(3), None, np.array([1.0, np.nan, 2.0, 3.0]), ss.InvalidParameterError, "finite"),
        (np.ones(3), None, np.array(["a", "b", "c"]), ss.InvalidTypeError, "numeric"),
        (np.ones((3, 3, 2, 2)), 2, np.ones(4), ss.ShapeError, "fewer than the kernel's 2 spatial axes"),
        (np.ones((3, 3, 2, 2)), None, np.ones((8, 8, 2)), ss.ShapeError, "pass ndim="),
    ],
)
def test_bad_data(kernel, ndim, x, error, match):
    with pytest.raises(error, match=match):
        ss.Conv(kernel, ndim=ndim).kernel_operator(x)


def test_bad_kernel_and_output_shapes():
    X = ss.Conv(np.ones((3, 2, 4)), ndim=1).kernel_operator(np.ones((10, 2)))
    with pytest.raises(ss.ShapeError, match=r"model_shape \(3, 2, 4\)"):
        X @ np.ones((3, 4))
    with pytest.raises(ss.ShapeError, match=r"data_shape \(8, 4\)"):
        X.adjoint(np.ones((8, 3)))
    with pytest.raises(ss.UnknownNameError, match="method"):
        ss.Conv(np.ones(3)).kernel_operator(np.ones(5), method="magic")


def test_lazy_and_xarray_data_are_refused_with_advice():
    xr = pytest.importorskip("xarray")
    with pytest.raises(ss.InvalidTypeError, match=r"Signal.from_xarray"):
        ss.Conv(np.ones(3)).kernel_operator(xr.DataArray(np.ones(5), dims=("time",)))
    da = pytest.importorskip("dask.array")
    with pytest.raises(ss.InvalidTypeError, match="compute"):
        ss.Conv(np.ones(3)).kernel_operator(da.ones(5))


# ----------------------------------------------------------------------------- engines of the gradient
def test_gradient_runs_tap_by_tap_or_on_the_engines_with_the_roles_swapped():
    """The gradient never loops over the output-sized "kernel" of the swapped correlation (direct there): a small
    kernel goes tap by tap, a long 1-D one to transforms; every route, and every named engine, gives the same."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 64, 3))
    conv = ss.Conv(rng.standard_normal((3, 3, 3, 8)), padding="same", ndim=2)
    X = conv.kernel_operator(x)
    y = rng.standard_normal(X.data_shape)
    assert X.engine("adjoint") != "direct" and X.engine("forward") in engines.methods()
    expected = X.adjoint(y)
    for method in ("direct", "im2col", "fft"):
        forced = conv.kernel_operator(x, method=method)
        assert forced.engine("adjoint") == ("taps" if method == "direct" else method)
        np.testing.assert_allclose(forced.adjoint(y), expected, atol=1e-9)
    signal = rng.standard_normal(48_000)
    assert ss.Conv(np.ones(5)).kernel_operator(signal).engine() == "taps"
    assert ss.Conv(np.ones(4000)).kernel_operator(signal).engine() in ("fft", "oa")
    with pytest.raises(ss.UnknownNameError, match="direction"):
        X.engine("sideways")


@pytest.mark.parametrize(
    ("shape", "kernel", "dilation", "batch", "dtype"),
    [
        ((300, 200), (5, 3), (1, 2), (), np.float32),
        ((40, 30, 20), (3, 3, 3), (2, 1, 1), (2,), np.complex64),
        ((50_000,), (9,), (3,), (2,), np.float64),
    ],
)
def test_gradient_on_grids_of_many_tiles_equals_a_loop_over_taps(shape, kernel, dilation, batch, dtype):
    """Unit stride, channel mixing: the gradient runs as one GEMM per tile of positions, tiles spread over the cores.
    Against the definition (a tensordot per tap over the padded data) and the swapped correlation on FFTs."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((*batch, *shape, 3))
    a = rng.standard_normal((*kernel, 3, 8))
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(x.shape)
    x = x.astype(dtype)
    conv = ss.Conv(a.astype(dtype), padding="same", boundary="reflect", dilation=dilation, ndim=len(shape))
    axes = tuple(range(len(batch), len(batch) + len(shape)))
    X = conv.kernel_operator(x, axes=axes, method="direct")  # the taps' route, whatever the cost model prefers
    assert X._tiled_cost(np.dtype(dtype)) < X._loop_cost()  # ... and there the tiles, not the loop over taps
    y = rng.standard_normal(X.data_shape).astype(dtype)
    pads = expected_pads("same", kernel, dilation)
    nd = len(shape)
    xb = x.reshape((-1, *shape, 3))
    xp = np.pad(xb, [(0, 0), *pads, (0, 0)], mode=NP_PAD["reflect"])
    yb = y.reshape((-1, *shape, 8))
    expected = np.empty((*kernel, 3, 8), dtype=np.result_type(dtype, np.float32))
    for tap in np.ndindex(*kernel):
        reads = (slice(t * d, t * d + n) for t, d, n in zip(tap, dilation, shape, strict=True))
        view = xp[(slice(None), *reads, slice(None))]
        expected[tap] = np.tensordot(view.conj(), yb, axes=(list(range(nd + 1)), list(range(nd + 1))))
    tolerance = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10  # single precision: 1e-4
    scale = np.abs(expected).max()
    np.testing.assert_allclose(X.adjoint(y) / scale, expected / scale, atol=tolerance)
    swapped = conv.kernel_operator(x, method="fft", axes=axes).adjoint(y)
    np.testing.assert_allclose(X.adjoint(y) / scale, swapped / scale, atol=tolerance)


@st.composite
def tiled_cases(draw):
    nd = draw(st.integers(1, 3))
    side = {1: (2000, 30_000), 2: (40, 160), 3: (12, 40)}[nd]
    shape = tuple(draw(st.lists(st.integers(*side), min_size=nd, max_size=nd)))
    return {
        "shape": shape, "ks": tuple(draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd))),
        "dilation": tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd))),
        "padding": draw(st.sampled_from(["valid", "same", "full"])), "flip": draw(st.booleans()),
        "boundary": draw(st.sampled_from(list(NP_PAD))), "batch": draw(st.sampled_from([(), (2,), (3,)])),
        "channels": draw(st.sampled_from([(2, 4), (3, 8), (4, 3)])),
        "dtype": draw(st.sampled_from([np.float32, np.float64, np.complex64, np.complex128])),
        "seed": draw(st.integers(0, 2**31)),
    }


@given(tiled_cases())
@settings(max_examples=25, deadline=None)
def test_tiled_gradient_equals_the_swapped_correlation(case):
    """Wherever the tiles serve (channel mixing, unit stride): every padding, boundary, dilation, flip, batch and
    dtype, against the gradient computed as the swapped correlation on FFTs."""
    rng = np.random.default_rng(case["seed"])
    c_in, c_out = case["channels"]
    dtype = np.dtype(case["dtype"])
    x = rng.standard_normal((*case["batch"], *case["shape"], c_in)).astype(dtype)
    a = rng.standard_normal((*case["ks"], c_in, c_out)).astype(dtype)
    conv = ss.Conv(a, padding=case["padding"], boundary=case["boundary"], dilation=case["dilation"],
                   flip=case["flip"], ndim=len(case["shape"]))
    axes = tuple(range(len(case["batch"]), len(case["batch"]) + len(case["shape"])))
    try:
        X = conv.kernel_operator(x, axes=axes, method="direct")
    except ss.ShapeError:  # the kernel reaches past the padded input
        assume(False)
    assume(X._tiled_cost(dtype) < X._loop_cost())
    y = rng.standard_normal(X.data_shape).astype(dtype)
    expected = conv.kernel_operator(x, axes=axes, method="fft").adjoint(y)
    scale = np.abs(expected).max()
    tolerance = 1e-4 if dtype in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(X.adjoint(y) / scale, expected / scale, atol=tolerance)


def test_ndimage_is_charged_every_position_it_computes():
    """Documented: scipy.ndimage computes an output at every input position, so a "valid" correlation with a kernel
    nearly as large as the input (a kernel gradient) is charged the whole input, not its few outputs."""
    plan = ss.Conv(np.ones((60, 60))).plan((64, 64), 1, 1, np.float64)
    assert plan.geometry.output_shape == (5, 5)
    assert engines.estimate(plan, "ndimage") >= COSTS.ndimage_mac_unit * 60 * 60 * 64 * 64
    assert engines.choose(plan) != "ndimage"


def test_flat_im2col_is_charged_a_step_per_tap():
    """Documented: the flat im2col layout takes a Python step per kernel tap and chunk, so a 1-D correlation with a
    kernel of 48 000 taps and 9 outputs (a kernel gradient) is not priced as 9 cheap outputs."""
    plan = ss.Conv(np.ones(47_992)).plan((48_000,), 1, 1, np.float64)
    assert Im2col().flat(plan) and plan.geometry.output_shape == (9,)
    assert engines.estimate(plan, "im2col") >= 47_992 * COSTS.im2col_flat_tap_call
    assert engines.choose(plan) in ("fft", "oa")


def test_kernel_operator_is_a_class_of_the_module():
    assert ss.ops.kernel_operator.KernelOperator is KernelOperator
