"""lstsq and wiener: closed forms on dense matrices built independently, scipy.optimize.nnls, scikit-image's wiener."""

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import scipy.sparse as sp
import scipy.sparse.linalg
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import expected_pads, reference

import signalspace as ss
from signalspace.ops.inverse import Progress, Solution


def reference_matrix(shape, kernel, depthwise, c_in, **options):
    """The dense matrix of a convolution on inputs of ``shape + (c_in,)``, column j the reference applied to e_j."""
    nd = len(shape)
    ks = kernel.shape[:nd]
    pads = expected_pads(options.get("padding", "valid"), ks, options.get("dilation", 1))
    corr = kernel[(slice(None, None, -1),) * nd] if options.get("flip") else kernel
    columns = []
    for j in range(int(np.prod(shape)) * c_in):
        unit = np.zeros((*shape, c_in))
        unit.reshape(-1)[j] = 1.0
        columns.append(reference(unit, corr, options.get("stride", 1), options.get("dilation", 1), pads,
                                 options.get("boundary", "constant"), depthwise).ravel())
    return np.stack(columns, axis=1)


# ----------------------------------------------------------------------------- lstsq
@pytest.mark.parametrize("method", ["lsqr", "lsmr", "cg", "l-bfgs-b"])
def test_exact_kernel_recovery_from_noiseless_data(method):
    """The lecture's "the kernel is learned": a 2-D 3 -> 2 layer (with cval, stride 2) recovered from one example."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3, 3, 2))
    conv = ss.Conv(a, stride=2, padding="same", boundary="constant", cval=0.7, ndim=2)
    x = rng.standard_normal((20, 18, 3))
    fit = ss.ops.lstsq(conv.kernel_operator(x), conv(x), method=method, tol=1e-13, maxiter=500)
    assert isinstance(fit, Solution) and fit.method == method and fit.converged
    assert fit.x.shape == a.shape
    np.testing.assert_allclose(fit.x, a, atol=1e-7)
    assert fit.residual_norm < 1e-6 * np.linalg.norm(conv(x))


def test_depthwise_and_complex_kernel_recovery_over_a_batch():
    """A depthwise 1-D kernel shared by 2 channels and 3 examples, complex, dilation 2, reflect."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    conv = ss.Conv(a, dilation=2, padding="same", boundary="reflect")
    x = rng.standard_normal((3, 40, 2)) + 1j * rng.standard_normal((3, 40, 2))
    for method in ("lsqr", "lsmr", "cg"):
        fit = ss.ops.lstsq(conv.kernel_operator(x, axes=(1,)), conv(x, axes=(1,)), method=method, tol=1e-13)
        np.testing.assert_allclose(fit.x, a, atol=1e-9)


@given(st.sampled_from(["lsqr", "lsmr", "cg"]), st.floats(0.05, 3.0), st.booleans(), st.booleans(),
       st.integers(0, 2**31))
@settings(max_examples=30)
def test_ridge_equals_the_closed_form(method, damp, signal_side, start, seed):
    """min ||A x - b||² + damp² ||x||² equals (AᴴA + damp² I)⁻¹ Aᴴ b with A built independently (reference loop)."""
    rng = np.random.default_rng(seed)
    if signal_side:  # deconvolution: A is the blur, stride 2 (fewer data than unknowns is fine with damp > 0)
        kernel = rng.standard_normal((3, 2))
        conv = ss.Conv(kernel, stride=2, padding="same", boundary="nearest")
        A_op, M = conv.operator((7, 6)), reference_matrix((7, 6), kernel, True, 1, stride=2, padding="same",
                                                           boundary="nearest")
    else:  # the kernel side: A is the data's matrix
        x = rng.standard_normal((9, 2))
        A_op = ss.Conv(np.ones((3, 2, 2)), padding="full", ndim=1).kernel_operator(x)
        M = np.stack([reference(x, e.reshape(3, 2, 2), 1, 1, [(2, 2)], "constant", False).ravel()
                      for e in np.eye(12)], axis=1)
    b = rng.standard_normal(M.shape[0])
    expected = np.linalg.solve(M.T @ M + damp**2 * np.eye(M.shape[1]), M.T @ b)
    # a start x0 changes where the solver begins, not the problem (scipy's lsqr/lsmr would damp x - x0)
    x0 = 5.0 * np.ones(A_op.model_shape) if start else None
    fit = ss.ops.lstsq(A_op, b, damp=damp, method=method, tol=1e-12, x0=x0)
    np.testing.assert_allclose(fit.x.ravel(), expected, atol=1e-7 * (1 + np.abs(expected).max()))


def test_tikhonov_with_a_regularizer_equals_the_closed_form():
    """A gradient regularizer L: (AᴴA + damp² LᴴL)⁻¹ Aᴴ b, for every method, on a sparse, a dense and an operator A."""
    rng = np.random.default_rng(2)
    blur = np.array([0.25, 0.5, 0.25])
    M = reference_matrix((30,), blur, True, 1, padding="same")
    D = reference_matrix((30,), np.array([1.0, -1.0]), True, 1)  # forward differences, 29 x 30
    b = rng.standard_normal(30)
    expected = np.linalg.solve(M.T @ M + 0.3**2 * D.T @ D, M.T @ b)
    A = ss.Conv(blur, padding="same").operator((30,))
    L = ss.Conv(np.array([1.0, -1.0])).operator((30,))
    for method in ("lsqr", "lsmr", "cg", "l-bfgs-b"):
        for operator, reg in ((A, L), (sp.csr_array(M), D), (M, sp.csr_array(D))):
            fit = ss.ops.lstsq(operator, b, damp=0.3, regularizer=reg, method=method, tol=1e-12, maxiter=5000)
            np.testing.assert_allclose(fit.x.ravel(), expected, atol=1e-6, err_msg=method)


def test_nonnegative_equals_scipy_nnls():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 1))
    conv = ss.Conv(np.ones((4, 1, 1)), padding="same", boundary="mirror", ndim=1)
    X = conv.kernel_operator(x)
    M = X.to_matrix(format="dense")
    b = rng.standard_normal(60)
    for damp in (0.0, 0.5):
        stacked = np.vstack([M, damp * np.eye(4)]) if damp else M
        rhs = np.concatenate([b, np.zeros(4)]) if damp else b
        expected, _ = scipy.optimize.nnls(stacked, rhs)
        assert np.any(expected == 0)  # the bound is active: the test tells the constraint from no constraint
        fit = ss.ops.lstsq(X, b, damp=damp, nonnegative=True, tol=1e-12)
        assert fit.method == "l-bfgs-b" and np.all(fit.x >= 0)
        np.testing.assert_allclose(fit.x.ravel(), expected, atol=1e-6)


def test_history_and_callback():
    """residuals[0] is ||b - A x0||, the last one ||A x - b|| of the answer; cg and L-BFGS-B pass their iterates with
    their true residual to the callback, lsqr/lsmr the iteration count; the LSQR/CGLS residual never increases."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 64))
    conv = ss.Conv(np.outer([1.0, 2, 1], [1.0, 2, 1]) / 16, padding="same", boundary="reflect")
    A = conv.operator(x.shape)
    b = conv(x) + 0.01 * rng.standard_normal(x.shape)
    for method in ("lsqr", "lsmr", "cg", "l-bfgs-b"):
        seen: list[Progress] = []
        fit = ss.ops.lstsq(A, b, damp=0.05, method=method, callback=seen.append, maxiter=40)
        assert fit.residuals[0] == pytest.approx(np.linalg.norm(b))
        assert fit.residuals[-1] == pytest.approx(fit.residual_norm)
        assert fit.residual_norm == pytest.approx(np.linalg.norm(A @ fit.x - b))
        assert [p.iteration for p in seen] == list(range(1, len(seen) + 1))
        assert len(seen) == fit.iterations > 0
        if method in ("cg", "l-bfgs-b"):
            assert len(fit.residuals) == fit.iterations + 1
            for p in seen[:: max(1, len(seen) // 5)]:
                assert p.x.shape == x.shape
                assert p.residual_norm == pytest.approx(np.linalg.norm(A @ p.x - b), rel=1e-9)
        if method == "cg":
            assert np.all(np.diff(fit.residuals) <= 1e-9 * fit.residuals[0])
    fit = ss.ops.lstsq(A, b, x0=conv.adjoint(b), method="cg", maxiter=5)
    assert fit.residuals[0] == pytest.approx(np.linalg.norm(A @ conv.adjoint(b) - b))
    assert fit.iterations == 5 and not fit.converged


def test_scipy_and_dense_operators_and_signals():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((12, 5))
    b = rng.standard_normal(12)
    expected = np.linalg.lstsq(M, b, rcond=None)[0]
    for A in (M, sp.csr_array(M), scipy.sparse.linalg.aslinearoperator(M)):
        np.testing.assert_allclose(ss.ops.lstsq(A, b, tol=1e-12).x, expected, atol=1e-9)
    integers = np.array([[1, 0], [0, 2], [1, 1]])
    np.testing.assert_allclose(ss.ops.lstsq(integers, [1.0, 2.0, 3.0], tol=1e-12).x,
                               np.linalg.lstsq(integers, [1.0, 2.0, 3.0], rcond=None)[0], atol=1e-10)
    d = ss.Domain.from_shape((16,))
    conv = ss.Conv(np.array([0.2, 0.6, 0.2]), padding="same")
    y = conv(ss.Signal(np.arange(16.0)[:, None], d))
    np.testing.assert_allclose(ss.ops.lstsq(conv.operator((16, 1)), y, tol=1e-12).x[:, 0], np.arange(16.0),
                               atol=1e-8)


# ----------------------------------------------------------------------------- singular systems and bad options
def test_singular_systems_without_regularization_are_refused_with_advice():
    rng = np.random.default_rng(6)
    with pytest.raises(ss.InvalidParameterError, match=r"3 unknowns but only 2 data.*damp > 0"):
        ss.ops.lstsq(np.ones((2, 3)), np.ones(2))
    strided = ss.Conv(np.ones(3), stride=2, padding="same").operator((10,))  # 5 data, 10 unknowns
    with pytest.raises(ss.InvalidParameterError, match="10 unknowns but only 5"):
        ss.ops.lstsq(strided, np.ones(5))
    assert ss.ops.lstsq(strided, np.ones(5), damp=0.1).converged  # regularized: fine
    x = rng.standard_normal((20, 2))
    x[:, 1] = 0.0  # the kernel's second input channel reads only zeros
    X = ss.Conv(np.ones((3, 2, 1)), ndim=1).kernel_operator(x)
    with pytest.raises(ss.InvalidParameterError, match=r"determine only 3 of the 6 kernel weights.*damp > 0"):
        ss.ops.lstsq(X, rng.standard_normal(X.data_shape))
    assert ss.ops.lstsq(X, rng.standard_normal(X.data_shape), damp=1e-3).converged
    x = rng.standard_normal((3000, 2))
    x[:, 1] = 0.0  # a kernel too large for the Gram check (its cost is reported): zero columns are still seen
    X = ss.Conv(np.ones((300, 2, 1)), ndim=1).kernel_operator(x)
    assert X.gram_cost() > ss.ops.inverse.GRAM_CHECK_MACS
    with pytest.raises(ss.InvalidParameterError, match=r"300 of the 600 unknowns have no effect.*damp > 0"):
        ss.ops.lstsq(X, rng.standard_normal(X.data_shape))
    constant = ss.Conv(np.ones(2)).kernel_operator(np.ones(30))  # two equal columns: rank 1
    with pytest.raises(ss.InvalidParameterError, match=r"determine only 1 of the 2 kernel weights.*damp > 0"):
        ss.ops.lstsq(constant, rng.standard_normal(29))
    t = np.arange(200.0)
    sine = np.sin(t / 40)  # x[n+1] = 2 cos(1/40) x[n] - x[n-1]: windows of 3 samples of a sine are dependent
    with pytest.raises(ss.InvalidParameterError, match="determine only 2 of the 3"):
        ss.ops.lstsq(ss.Conv(np.ones(3)).kernel_operator(sine), rng.standard_normal(198))
    smooth = ss.Conv(np.ones(3)).kernel_operator(sine + 1e-4 * rng.standard_normal(200))  # nearly dependent
    with pytest.raises(ss.InvalidParameterError, match=r"nearly singular.*condition_limit"):
        ss.ops.lstsq(smooth, rng.standard_normal(198), condition_limit=1e3)
    hilbert = scipy.linalg.hilbert(10)  # no cheap check on a matrix: lsqr's estimate of its condition (1.6e13)
    with pytest.raises(ss.InvalidParameterError, match=r"singular or nearly so.*condition_limit"):
        ss.ops.lstsq(hilbert, rng.standard_normal(10), condition_limit=1e5)


def test_bad_options_are_refused():
    A = ss.Conv(np.ones(3)).operator((10,))
    b = np.ones(8)
    cases = [
        ({"damp": -1.0}, ss.InvalidParameterError, "damp"),
        ({"method": "gmres"}, ss.UnknownNameError, "method"),
        ({"method": "lsqr", "nonnegative": True}, ss.InvalidParameterError, "l-bfgs-b"),
        ({"tol": 0.0}, ss.InvalidParameterError, "tol"),
        ({"maxiter": 0}, ss.InvalidParameterError, "maxiter"),
        ({"x0": np.ones(3)}, ss.ShapeError, "x0"),
        ({"regularizer": ss.Conv(np.ones(2)).operator((9,)), "damp": 1.0}, ss.ShapeError, "regularizer"),
        ({"regularizer": ss.Conv(np.ones(2)).operator((10,))}, ss.InvalidParameterError, "no effect"),
        ({"callback": 3}, ss.InvalidTypeError, "callback"),
        ({"nonnegative": "yes"}, ss.InvalidTypeError, "nonnegative"),
    ]
    for kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            ss.ops.lstsq(A, b, **kwargs)
    with pytest.raises(ss.ShapeError, match=r"b must have the operator's data_shape \(8,\)"):
        ss.ops.lstsq(A, np.ones(9))
    with pytest.raises(ss.InvalidParameterError, match="finite"):
        ss.ops.lstsq(A, np.full(8, np.nan))
    with pytest.raises(ss.InvalidTypeError, match=r"conv.operator"):
        ss.ops.lstsq(ss.Conv(np.ones(3)), b)
    with pytest.raises(ss.InvalidTypeError, match="LinearOperator"):
        ss.ops.lstsq("matrix", b)
    with pytest.raises(ss.InvalidParameterError, match="real"):
        ss.ops.lstsq(A, b + 1j, nonnegative=True)


# ----------------------------------------------------------------------------- wiener
@given(st.integers(1, 3), st.booleans(), st.booleans(), st.booleans(), st.integers(1, 2), st.integers(0, 2**31))
@settings(max_examples=25)
def test_wiener_equals_the_closed_form_on_circulant_convolutions(nd, depthwise, flip, complex_, dilation, seed):
    """(MᴴM + balance I)⁻¹ Mᴴ y with M the circulant matrix built from the reference loop ("wrap", "same", stride 1),
    any dimension, depthwise or 2 -> 3 channels, flip, dilation, complex, a batch axis."""
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(3, 7 if nd < 3 else 4, size=nd))
    ks = tuple(rng.integers(1, 4, size=nd))
    assume(all(d * (k - 1) < n for k, n, d in zip(ks, shape, [dilation] * nd, strict=True)))
    c_in, c_out = (2, 2) if depthwise else (2, 3)
    kernel = rng.standard_normal(ks if depthwise else (*ks, c_in, c_out))
    if complex_:
        kernel = kernel + 1j * rng.standard_normal(kernel.shape)
    options = {"padding": "same", "boundary": "wrap", "dilation": dilation, "flip": flip}
    conv = ss.Conv(kernel, ndim=nd, **options)
    M = reference_matrix(shape, kernel, depthwise, c_in, **options)
    y = rng.standard_normal((2, *shape, c_out))
    balance = float(rng.uniform(0.01, 1.0))
    got = ss.ops.wiener(conv, y, balance, axes=tuple(range(1, nd + 1)))  # axis 0 carried: a batch
    assert got.shape == (2, *shape, c_in)
    for b in range(2):
        expected = np.linalg.solve(M.conj().T @ M + balance * np.eye(M.shape[1]), M.conj().T @ y[b].ravel())
        np.testing.assert_allclose(got[b].ravel(), expected, atol=1e-9 * (1 + np.abs(expected).max()))


def test_wiener_with_a_frequency_dependent_balance_in_1d():
    """A balance per frequency is the penalty F⁻¹ diag(balance) F; the matrix is scipy.linalg.circulant."""
    rng = np.random.default_rng(7)
    n = 12
    kernel = rng.standard_normal(3)
    conv = ss.Conv(kernel, padding="same", boundary="wrap", flip=True)
    first = np.zeros(n)
    first[[0, 1, n - 1]] = kernel[1], kernel[2], kernel[0]  # true convolution, centred: c[i] = h[i + 1]
    M = scipy.linalg.circulant(first)
    balance = 0.1 + np.abs(np.fft.fftfreq(n)) * 2  # symmetric: a real penalty
    F = np.fft.fft(np.eye(n))
    P = (np.linalg.inv(F) @ np.diag(balance) @ F).real
    y = rng.standard_normal(n)
    expected = np.linalg.solve(M.T @ M + P, M.T @ y)
    np.testing.assert_allclose(ss.ops.wiener(conv, y, balance), expected, atol=1e-10)


def test_wiener_equals_scikit_image_with_its_laplacian():
    restoration = pytest.importorskip("skimage.restoration")
    rng = np.random.default_rng(8)
    image = rng.random((32, 40))
    psf = rng.random((5, 5))
    psf /= psf.sum()
    laplacian = np.array([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]])
    conv = ss.Conv(psf, padding="same", boundary="wrap", flip=True)
    y = conv(image)
    for balance in (0.1, 0.003):
        expected = restoration.wiener(y, psf, balance, reg=laplacian, clip=False)
        np.testing.assert_allclose(ss.ops.wiener(conv, y, balance, regularizer=laplacian), expected, atol=1e-10)


def test_wiener_reads_layouts_as_conv_does():
    """Channels first (librosa's (c, n)) and a Signal deconvolved along one named axis, the other carried."""
    rng = np.random.default_rng(10)
    conv = ss.Conv(np.array([0.2, 0.6, 0.2]), padding="same", boundary="wrap")
    x = rng.standard_normal((2, 32))
    np.testing.assert_allclose(ss.ops.wiener(conv, conv(x, channel_axis=0), 0.0, channel_axis=0), x, atol=1e-10)
    d = ss.Domain.from_shape((32, 5), names=("time", "trial"))
    signal = ss.Signal(rng.standard_normal((32, 5, 1)), d)
    along_time = ss.Conv(np.array([0.2, 0.6, 0.2]), padding="same", boundary="wrap", dims=("time",))
    back = ss.ops.wiener(along_time, along_time(signal), 0.0)
    assert isinstance(back, ss.Signal) and back.domain == d
    np.testing.assert_allclose(back.values, signal.values, atol=1e-10)


def test_wiener_equals_lstsq_and_keeps_signals():
    rng = np.random.default_rng(9)
    d = ss.Domain.from_shape((24, 20), names=("row", "col"))
    x = ss.Signal(rng.standard_normal((24, 20, 3)), d, ss.Channels(("R", "G", "B")))
    conv = ss.Conv(rng.standard_normal((3, 3)), padding="same", boundary="wrap")
    y = conv(x)
    got = ss.ops.wiener(conv, y, 0.04)
    assert isinstance(got, ss.Signal) and got.domain == d and got.channels.names == ("R", "G", "B")
    fit = ss.ops.lstsq(conv.operator(x.shape), y, damp=0.2, tol=1e-12)
    np.testing.assert_allclose(got.values, fit.x, atol=1e-8)
    exact = ss.Conv(np.array([[0.0, 0.1, 0], [0.1, 1.0, 0.1], [0, 0.1, 0]]), padding="same", boundary="wrap")
    np.testing.assert_allclose(ss.ops.wiener(exact, exact(x), 0.0).values, x.values, atol=1e-10)


def test_wiener_refuses_what_is_not_circulant_or_singular():
    blur = np.array([0.25, 0.5, 0.25])  # its spectrum vanishes at the Nyquist frequency of an even length
    wrap = ss.Conv(blur, padding="same", boundary="wrap")
    with pytest.raises(ss.InvalidParameterError, match=r"not invertible at 1 frequencies.*balance > 0"):
        ss.ops.wiener(wrap, np.ones(16), 0.0)
    assert ss.ops.wiener(wrap, np.ones(16), 1e-3).shape == (16,)
    narrowing = ss.Conv(np.ones((3, 2, 1)), padding="same", boundary="wrap", ndim=1)  # 2 -> 1: never invertible
    with pytest.raises(ss.InvalidParameterError, match="balance > 0"):
        ss.ops.wiener(narrowing, np.ones((8, 1)), 0.0)
    cases = [
        (ss.Conv(blur, padding="same"), np.ones(8), 0.1, ss.InvalidParameterError, "wrap"),
        (ss.Conv(blur, padding="same", boundary="wrap", stride=2), np.ones(4), 0.1, ss.InvalidParameterError,
         "stride"),
        (ss.Conv(blur, boundary="wrap"), np.ones(6), 0.1, ss.InvalidParameterError, "same"),
        (wrap, np.ones(8), -0.1, ss.InvalidParameterError, "balance"),
        (wrap, np.ones(8), np.ones(5), ss.ShapeError, "balance"),
        (wrap, np.ones(8), "a lot", ss.InvalidTypeError, "balance"),
        (ss.Conv(np.ones((3, 2, 3)), padding="same", boundary="wrap", ndim=1), np.ones((8, 2)), 0.1, ss.ShapeError,
         "c_out"),
        (np.ones(3), np.ones(8), 0.1, ss.InvalidTypeError, "Conv"),
        (wrap, np.array([1.0, np.inf, 0, 0]), 0.1, ss.InvalidParameterError, "finite"),
    ]
    for conv, y, balance, error, match in cases:
        with pytest.raises(error, match=match):
            ss.ops.wiener(conv, y, balance)
