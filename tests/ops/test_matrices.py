"""Toeplitz / block-Toeplitz builders against independent references.

References: a numpy convolution written here (np.pad + a loop over taps), scipy.ndimage.correlate,
scipy.signal.correlate, scipy.linalg.{convolution_matrix, toeplitz, circulant, dft}, numpy's FFT,
and :class:`signalspace.Conv` (forward and adjoint) as the operator the matrix must equal.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
import scipy.signal
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import BOUNDARIES, expected_pads
from reference import reference as reference_correlation

import signalspace as ss
from signalspace.ops.matrices import FORMATS, _csr, block_toeplitz, conv_matrix, layout_and_geometry, toeplitz
from signalspace.ops.structure import MatrixStructure, is_circulant, is_toeplitz, matrix_structure

# --------------------------------------------------------------------------- independent reference

pads_of = expected_pads


def reference_conv(x, kernel, *, depthwise, stride, dilation, padding, boundary, flip):
    """y[i, o] = sum_k sum_c a[k, c, o] xp[i * stride + k * dilation, c], with numpy padding (tests/reference.py)."""
    nd = x.ndim - 1
    ks = kernel.shape[:nd]
    if flip:
        kernel = kernel[(slice(None, None, -1),) * nd]
    return reference_correlation(x, kernel, stride, dilation, expected_pads(padding, ks, dilation), boundary,
                                 depthwise)


@st.composite
def conv_cases(draw, ndim=None, max_side=None, complex_ok=True):
    nd = draw(st.integers(1, 5)) if ndim is None else ndim
    side = max_side or {1: 12, 2: 7, 3: 5, 4: 4, 5: 3}.get(nd, 2)
    ks = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    kind = draw(st.sampled_from(["valid", "same", "full", "int", "pairs"]))
    if kind == "int":
        padding = draw(st.integers(0, 3))
    elif kind == "pairs":
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(nd))
    else:
        padding = kind
    pads = pads_of(padding, ks, dilation)
    shape = []
    for a in range(nd):
        need = max(1, dilation[a] * (ks[a] - 1) + 1 - sum(pads[a]))
        shape.append(draw(st.integers(need, max(need, side))))
    if draw(st.booleans()):
        boundary = (draw(st.sampled_from(BOUNDARIES)),) * nd
    else:
        boundary = tuple(draw(st.sampled_from(BOUNDARIES)) for _ in range(nd))
    flip = draw(st.booleans())
    depthwise = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cplx = complex_ok and draw(st.integers(0, 5)) == 0
    if depthwise:
        c_in = c_out = draw(st.integers(1, 3))
        kshape = ks
    else:
        c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        kshape = (*ks, c_in, c_out)
    kernel = rng.standard_normal(kshape)
    if cplx:
        kernel = kernel + 1j * rng.standard_normal(kshape)
    x = rng.standard_normal((*shape, c_in))
    return dict(
        x=x,
        kernel=kernel,
        depthwise=depthwise,
        stride=stride,
        dilation=dilation,
        padding=padding,
        boundary=boundary,
        flip=flip,
    )


def build(case, **kw):
    return block_toeplitz(
        case["kernel"],
        case["x"].shape,
        stride=case["stride"],
        dilation=case["dilation"],
        padding=case["padding"],
        boundary=case["boundary"],
        flip=case["flip"],
        ndim=case["x"].ndim - 1,
        **kw,
    )


def reference(case):
    return reference_conv(
        case["x"],
        case["kernel"],
        depthwise=case["depthwise"],
        stride=case["stride"],
        dilation=case["dilation"],
        padding=case["padding"],
        boundary=case["boundary"],
        flip=case["flip"],
    )


# --------------------------------------------------------------------------- matrix == convolution


@given(conv_cases())
def test_matrix_equals_reference_convolution(case):
    M = build(case)
    assert sp.issparse(M) and M.format == "csr"
    y = reference(case)
    assert M.shape == (y.size, case["x"].size)
    np.testing.assert_allclose(M @ case["x"].ravel(), y.ravel(), rtol=1e-10, atol=1e-10)
    assert M.has_canonical_format
    # canonical: sorted, no duplicate (row, col)
    coo = M.tocoo()
    keys = coo.row.astype(np.int64) * M.shape[1] + coo.col
    assert np.unique(keys).size == keys.size


@given(conv_cases(complex_ok=False), st.sampled_from(["taps", "broadcast"]))
def test_both_strategies_equal_reference(case, strategy):
    layout, geom = layout_and_geometry(
        case["kernel"],
        case["x"].shape,
        ndim=case["x"].ndim - 1,
        stride=case["stride"],
        dilation=case["dilation"],
        padding=case["padding"],
        boundary=case["boundary"],
    )
    M = _csr(layout, geom, case["flip"], np.dtype(np.float64), strategy)
    np.testing.assert_allclose(M @ case["x"].ravel(), reference(case).ravel(), rtol=1e-10, atol=1e-10)


@settings(max_examples=10)
@given(conv_cases(ndim=8, max_side=2, complex_ok=False))
def test_eight_dimensions(case):
    M = build(case)
    np.testing.assert_allclose(M @ case["x"].ravel(), reference(case).ravel(), rtol=1e-10, atol=1e-10)


@settings(max_examples=25)
@given(conv_cases(ndim=None, max_side=4))
def test_formats_agree(case):
    dense = build(case, format="dense")
    assert isinstance(dense, np.ndarray)
    coo = build(case, format="coo")
    assert coo.format == "coo"
    np.testing.assert_array_equal(coo.toarray(), dense)
    np.testing.assert_array_equal(build(case, format="csr").toarray(), dense)
    try:
        dia = build(case, format="dia")
    except ss.InvalidParameterError as exc:  # refused when the entries scatter over many diagonals
        assert "diagonals" in str(exc)
    else:
        assert dia.format == "dia"
        np.testing.assert_array_equal(dia.toarray(), dense)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("shape", [(9,), (6, 7), (4, 5, 3)])
def test_same_padding_equals_ndimage_correlate(boundary, shape, rng):
    kshape = tuple(3 if i % 2 == 0 else 1 for i in range(len(shape)))
    kshape = tuple(k + 2 * (i == len(shape) - 1) for i, k in enumerate(kshape))  # odd sizes, ndimage's centre
    kernel = rng.standard_normal(kshape)
    x = rng.standard_normal(shape)
    M = block_toeplitz(kernel, shape, padding="same", boundary=boundary, ndim=len(shape))
    expected = scipy.ndimage.correlate(x, kernel, mode=boundary, cval=0.0)
    np.testing.assert_allclose(M @ x.ravel(), expected.ravel(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["valid", "full"])
@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("shape,kshape", [((10,), (4,)), ((6, 7), (2, 3)), ((4, 5, 6), (2, 3, 2))])
def test_constant_boundary_equals_scipy_signal(mode, flip, shape, kshape, rng):
    kernel = rng.standard_normal(kshape)
    x = rng.standard_normal(shape)
    M = block_toeplitz(kernel, shape, padding=mode, flip=flip, ndim=len(shape))
    fn = scipy.signal.convolve if flip else scipy.signal.correlate
    expected = fn(x, kernel, mode=mode, method="direct")
    np.testing.assert_allclose(M @ x.ravel(), expected.ravel(), rtol=1e-10, atol=1e-12)


def test_stride_and_dilation_equal_subsampled_scipy(rng):
    x = rng.standard_normal((15, 12))
    kernel = rng.standard_normal((3, 2))
    M = block_toeplitz(kernel, x.shape, stride=(2, 3), dilation=(2, 1))
    dilated = np.zeros((5, 2))
    dilated[::2] = kernel
    expected = scipy.signal.correlate(x, dilated, mode="valid")[::2, ::3]
    np.testing.assert_allclose(M @ x.ravel(), expected.ravel(), rtol=1e-12)


def test_multichannel_blocks_equal_sum_of_scipy_correlations(rng):
    c_in, c_out = 3, 2
    x = rng.standard_normal((7, 6, c_in))
    kernel = rng.standard_normal((3, 2, c_in, c_out))
    M = block_toeplitz(kernel, x.shape, padding="full", ndim=2)
    y = (M @ x.ravel()).reshape(9, 7, c_out)
    for o in range(c_out):
        expected = sum(scipy.signal.correlate(x[..., i], kernel[..., i, o], mode="full") for i in range(c_in))
        np.testing.assert_allclose(y[..., o], expected, rtol=1e-10, atol=1e-12)


def test_depthwise_is_block_diagonal_in_channels(rng):
    kernel = rng.standard_normal((3, 3))
    M = block_toeplitz(kernel, (5, 6, 4), padding="same", boundary="reflect", format="dense")
    single = block_toeplitz(kernel, (5, 6), padding="same", boundary="reflect", format="dense")
    for o in range(4):
        for i in range(4):
            block = M[o::4, i::4]
            np.testing.assert_array_equal(block, single if o == i else np.zeros_like(single))


# --------------------------------------------------------------------------- 1-D: scipy.linalg


@pytest.mark.parametrize(
    "k,n,mode",
    [
        (k, n, mode)
        for k in (1, 2, 3, 4, 5, 6)
        for n in (1, 5, 8)
        for mode in ("full", "valid", "same")
        if (mode != "valid" or n >= k) and (mode != "same" or n >= k)
    ],
)
def test_toeplitz_equals_scipy_convolution_matrix(k, n, mode, rng):
    """Every kernel length.  'same' keeps rows k // 2 .. k // 2 + n - 1 of the full matrix (the extra pad sample
    goes after: PyTorch/TensorFlow); scipy's 'same' starts at (k - 1) // 2, one row earlier for even k."""
    a = rng.standard_normal(k)
    if mode == "same":
        expected = scipy.linalg.convolution_matrix(a, n, mode="full")[k // 2 : k // 2 + n]
        if k % 2:
            np.testing.assert_array_equal(expected, scipy.linalg.convolution_matrix(a, n, mode="same"))
        else:
            np.testing.assert_array_equal(expected[:-1], scipy.linalg.convolution_matrix(a, n, mode="same")[1:])
    else:
        expected = scipy.linalg.convolution_matrix(a, n, mode=mode)
    for fmt in FORMATS:
        T = toeplitz(a, n, padding=mode, flip=True, format=fmt)
        np.testing.assert_allclose(T if fmt == "dense" else T.toarray(), expected, rtol=0, atol=0)


def test_lecture_layer_equals_scipy_linalg_toeplitz():
    a1, a2, a3 = 0.5, -1.0, 2.0
    T = toeplitz([a1, a2, a3], n=6, format="dense")
    assert T.shape == (4, 6)
    expected = scipy.linalg.toeplitz([a1, 0, 0, 0], [a1, a2, a3, 0, 0, 0])
    np.testing.assert_array_equal(T, expected)
    assert ss.ops.parameter_count([a1, a2, a3], 6).shared == 3


def test_valid_kernel_longer_than_input_is_refused():
    with pytest.raises(ss.ShapeError, match="padded input"):
        toeplitz(np.ones(4), 3, padding="valid")


def test_dia_fast_path_equals_csr(rng):
    a = rng.standard_normal(4)
    for padding in ("valid", "same", "full", (3, 1)):
        dia = toeplitz(a, 50, padding=[padding] if isinstance(padding, tuple) else padding, dilation=2, format="dia")
        assert dia.format == "dia"
        np.testing.assert_array_equal(
            dia.toarray(),
            toeplitz(a, 50, padding=[padding] if isinstance(padding, tuple) else padding, dilation=2).toarray(),
        )


def test_dia_refused_when_entries_scatter():
    with pytest.raises(ss.InvalidParameterError, match="diagonals"):
        toeplitz(np.ones(3), 200, stride=3, format="dia")


# --------------------------------------------------------------------------- circulant and FFT


def embedded_kernel(kernel, shape, pads):
    """h with y = ifft(fft(h) * fft(x)): h[-(k - pad_before) mod n] += a[k], per axis."""
    h = np.zeros(shape, dtype=kernel.dtype)
    idx = np.meshgrid(
        *[(-(np.arange(k) - p[0])) % n for k, p, n in zip(kernel.shape, pads, shape, strict=True)], indexing="ij"
    )
    np.add.at(h, tuple(idx), kernel)
    return h


@pytest.mark.parametrize("n,k", [(7, 3), (6, 4), (5, 5), (3, 6)])
def test_wrap_is_circulant_and_diagonalized_by_dft(n, k, rng):
    a = rng.standard_normal(k)
    C = toeplitz(a, n, padding="same", boundary="wrap", format="dense")
    h = embedded_kernel(a, (n,), pads_of("same", (k,), (1,)))
    np.testing.assert_allclose(C, scipy.linalg.circulant(h), atol=1e-14)
    F = scipy.linalg.dft(n)
    D = F @ C @ np.linalg.inv(F)
    np.testing.assert_allclose(D, np.diag(np.fft.fft(h)), atol=1e-10)
    assert is_circulant(C) and is_toeplitz(C)  # a circulant matrix is Toeplitz


@given(conv_cases(complex_ok=True))
def test_wrap_is_multilevel_circulant_diagonalized_by_fftn(case):
    kernel = case["kernel"] if case["depthwise"] else case["kernel"][..., 0, 0]
    x = case["x"][..., 0]
    shape = x.shape
    M = block_toeplitz(kernel, shape, padding="same", boundary="wrap", flip=case["flip"], ndim=len(shape))
    s = matrix_structure(kernel, shape, padding="same", ndim=len(shape))
    assert is_circulant(M, s, atol=1e-12)  # taps summed into one entry may round differently
    a = kernel[(slice(None, None, -1),) * kernel.ndim] if case["flip"] else kernel
    h = embedded_kernel(a, shape, pads_of("same", a.shape, (1,) * a.ndim))
    np.testing.assert_allclose(M @ x.ravel(), np.fft.ifftn(np.fft.fftn(h) * np.fft.fftn(x)).ravel(), atol=1e-10)


# --------------------------------------------------------------------------- structure


def brute_multilevel_toeplitz(D, s, circulant=False):
    """Entry ((p, o), (q, i)) depends only on (q - p [mod n], o, i): compare every pair of entries."""
    seen = {}
    rows = np.array(np.unravel_index(np.arange(D.shape[0]), (*s.output_shape, s.c_out))).T
    cols = np.array(np.unravel_index(np.arange(D.shape[1]), (*s.input_shape, s.c_in))).T
    for r, pr in enumerate(rows):
        for c, qc in enumerate(cols):
            delta = qc[:-1] - pr[:-1]
            if circulant:
                delta = delta % np.array(s.input_shape)
            key = (*delta, pr[-1], qc[-1])
            if seen.setdefault(key, D[r, c]) != D[r, c]:
                return False
    return True


@settings(max_examples=30)
@given(conv_cases(max_side=4))
def test_is_toeplitz_agrees_with_brute_force(case):
    D = build(case, format="dense")
    layout, _ = layout_and_geometry(case["kernel"], case["x"].shape, ndim=case["x"].ndim - 1, padding="full")
    y = reference(case)
    s = MatrixStructure(y.shape[:-1], layout.spatial_shape, layout.c_out, layout.c_in)
    assert s.shape == D.shape
    assert s.is_toeplitz(D) == brute_multilevel_toeplitz(D, s)
    assert s.is_toeplitz(sp.csr_array(D)) == s.is_toeplitz(D)
    if s.output_shape == s.input_shape:
        assert s.is_circulant(D) == brute_multilevel_toeplitz(D, s, circulant=True)
    stationary = all(b == "constant" for b in case["boundary"]) and set(case["stride"]) == {1}
    if stationary:
        assert s.is_toeplitz(D)


def test_plain_is_toeplitz_matches_scipy_linalg(rng):
    T = scipy.linalg.toeplitz(rng.standard_normal(5), rng.standard_normal(7))
    assert is_toeplitz(T) and is_toeplitz(sp.coo_array(T))
    T[2, 3] += 1
    assert not is_toeplitz(T)
    assert is_circulant(scipy.linalg.circulant(rng.standard_normal(6)))
    assert not is_circulant(T)


def test_locate_and_entry_values(rng):
    # valid, stride 1: entry ((p, o), (q, i)) = kernel[q - p, i, o]
    kernel = rng.standard_normal((2, 3, 2, 3))
    M = block_toeplitz(kernel, (4, 5, 2), ndim=2).tocoo()
    s = matrix_structure(kernel, (4, 5, 2), ndim=2)
    loc = s.locate(M.row, M.col)
    dp = [q - p for p, q in zip(loc.output_index, loc.input_index, strict=True)]
    np.testing.assert_array_equal(M.data, kernel[dp[0], dp[1], loc.input_channel, loc.output_channel])
    assert M.nnz == 3 * 3 * kernel.size
    one = s.locate(int(M.row[7]), int(M.col[7]))
    assert one.blocks == (
        (one.output_index[0], one.input_index[0]),
        (one.output_index[1], one.input_index[1]),
        (one.output_channel, one.input_channel),
    )
    with pytest.raises(ss.ShapeError, match="row"):
        s.locate(M.shape[0], 0)


def test_levels_tile_the_matrix():
    s = matrix_structure(np.ones((3, 2, 2, 5, 4)), (6, 7, 8, 5), padding="same", ndim=3)
    assert s.shape == (6 * 7 * 8 * 4, 6 * 7 * 8 * 5)
    parent = s.shape
    for lv in s.levels:
        assert (lv.grid[0] * lv.block_shape[0], lv.grid[1] * lv.block_shape[1]) == parent
        parent = lv.block_shape
    assert parent == (1, 1)
    assert [lv.name for lv in s.levels] == ["axis 0", "axis 1", "axis 2", "channels"]
    assert s.block_sizes()[0] == (7 * 8 * 4, 7 * 8 * 5)


# --------------------------------------------------------------------------- Conv agreement


@given(conv_cases(ndim=None))
def test_conv_to_matrix_forward_and_adjoint(case):
    nd = case["x"].ndim - 1
    conv = ss.Conv(
        case["kernel"],
        stride=case["stride"],
        dilation=case["dilation"],
        padding=case["padding"],
        boundary=case["boundary"],
        flip=case["flip"],
        ndim=nd,
    )
    x = case["x"]
    M = conv.to_matrix(x.shape)
    y = conv(x)
    np.testing.assert_allclose(M @ x.ravel(), np.asarray(y).ravel(), rtol=1e-9, atol=1e-9)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(np.shape(y))
    np.testing.assert_allclose(
        M.T.conj() @ w.ravel(), np.asarray(conv.adjoint(w, x.shape[:-1])).ravel(), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_array_equal(conv_matrix(conv, x.shape, format="dense"), M.toarray())


def test_conv_matrix_with_cval_is_the_linear_part(rng):
    conv = ss.Conv(rng.standard_normal(3), padding="same", cval=2.5)
    x = rng.standard_normal(8)
    M = conv.to_matrix(x.shape)
    np.testing.assert_allclose(M @ x + conv(np.zeros(8)), conv(x), rtol=1e-12)


# --------------------------------------------------------------------------- errors


def test_dense_request_over_budget_is_refused_before_allocating():
    with pytest.raises(ss.MemoryBudgetError, match=r"\(10000000, 10000000\).*needs 800,001,280,000,008 bytes"):
        toeplitz(np.ones(3), 10**7, padding="same", format="dense")
    with pytest.raises(ss.MemoryBudgetError, match="max_bytes=1,024 bytes"):
        block_toeplitz(np.ones((2, 2)), (8, 8), format="dense", max_bytes=1024)
    need = 49 * 64 * 8 + 49 * 4 * (8 + 32) + 8 * 50  # the dense matrix and the CSR it is built from
    assert block_toeplitz(np.ones((2, 2)), (8, 8), format="dense", max_bytes=need).shape == (49, 64)
    with pytest.raises(ss.MemoryBudgetError, match=f"needs {need:,} bytes"):
        block_toeplitz(np.ones((2, 2)), (8, 8), format="dense", max_bytes=need - 1)


@pytest.mark.parametrize("format", ["csr", "coo", "dia", "dense"])
def test_every_matrix_format_is_checked_against_the_budget_before_building(format):
    # 5000 x 5000 outputs under a 3 x 3 kernel: 225 M entries, 9 GB to build; the audit saw CSR/DIA allocate until
    # MemoryError.  (The default budget is half the free memory of the machine: set one, for a test that can fail.)
    with ss.memory_budget(2**30), pytest.raises(ss.MemoryBudgetError, match=rf"{format} matrix .*needs [59],[02]00,0"):
        ss.Conv(np.ones((3, 3)), padding="same").to_matrix((5000, 5000), format=format)
    with ss.memory_budget(10**6), pytest.raises(ss.MemoryBudgetError, match=r"set by signalspace\.memory_budget"):
        toeplitz(np.ones(5), 10**5, format=format)
    assert toeplitz(np.ones(5), 100, format=format, max_bytes=10**6).shape == (96, 100)


def test_every_dense_budget_is_in_bytes():
    """One unit: the matrix builders, LinearOperator.todense and the phase-space fields count bytes."""
    op = ss.Conv(np.ones(3)).operator((10,))  # an 8 x 10 float64 matrix from a 10 x 10 identity: 1440 bytes
    assert op.todense(max_bytes=1440).shape == (8, 10)
    with pytest.raises(ss.MemoryBudgetError, match=r"1,440 bytes.*max_bytes=1,439 bytes"):
        op.todense(max_bytes=1439)
    need = 640 + 8 * 3 * 40 + 8 * 9  # dense 8 x 10, and its CSR of 24 entries
    assert toeplitz(np.ones(3), 10, format="dense", max_bytes=need).shape == (8, 10)
    with pytest.raises(ss.MemoryBudgetError, match=rf"{need:,} bytes.*max_bytes={need - 1:,} bytes"):
        toeplitz(np.ones(3), 10, format="dense", max_bytes=need - 1)
    grid = ss.phasespace.grid(spacetime=1, momentum=(2, 2, 2, 2))  # 16 samples: 64 bytes in float32
    assert ss.phasespace.hamiltonian(grid, max_bytes=64).shape == (1, 1, 1, 1, 2, 2, 2, 2, 1)
    with pytest.raises(ss.MemoryBudgetError, match=r"64 bytes.*max_bytes=63 bytes"):
        ss.phasespace.hamiltonian(grid, max_bytes=63)


@pytest.mark.parametrize(
    "kernel,shape,kw,error,match",
    [
        (np.ones((0,)), (5,), {}, ss.ShapeError, "empty"),
        (np.ones((3, 3)), (5,), {}, ss.ShapeError, "input_shape"),
        (np.ones((3, 3, 2, 4)), (8, 8, 3), {"ndim": 2}, ss.ShapeError, "c_in = 2"),
        (np.ones((3, 2, 4)), (8,), {"channels": 3, "ndim": 1}, ss.ShapeError, "channels"),
        (np.ones((3, 3, 3)), (8, 8, 8), {}, ss.ShapeError, "pass ndim="),
        (np.ones((3, 3, 3)), (8, 8, 8), {"ndim": 2}, ss.ShapeError, "does not fit 2 spatial axes"),
        (np.ones(3), (8, 2), {"channels": 3}, ss.ShapeError, "channels=3"),
        (np.ones(5), (3,), {}, ss.ShapeError, "padded input"),
        (np.ones(3), (8,), {"format": "csc"}, ss.UnknownNameError, "format"),
        (np.ones(3), (8,), {"dtype": "U3"}, ss.InvalidTypeError, "dtype"),
        (np.ones(3) * 1j, (8,), {"dtype": np.float64}, ss.InvalidTypeError, "complex"),
        (np.array(["a", "b"]), (8,), {}, ss.InvalidTypeError, "kernel"),
        (np.ones(3), (8,), {"stride": 0}, ss.InvalidParameterError, "stride"),
        (np.ones(3), (8,), {"boundary": "periodic"}, ss.UnknownNameError, "boundary"),
        (np.ones(3), (0,), {}, ss.InvalidParameterError, "input_shape"),
    ],
)
def test_bad_input_raises_clear_errors(kernel, shape, kw, error, match):
    with pytest.raises(error, match=match):
        block_toeplitz(kernel, shape, **kw)


def test_toeplitz_rejects_2d_kernel_and_bad_n():
    with pytest.raises(ss.ShapeError, match="1-D kernel"):
        toeplitz(np.ones((2, 2)), 5)
    with pytest.raises(ss.InvalidTypeError, match="n must"):
        toeplitz(np.ones(2), 5.0)


def test_inputs_are_not_modified(rng):
    kernel = rng.standard_normal((3, 3, 2, 2))
    before = kernel.copy()
    block_toeplitz(kernel, (5, 5), flip=True, padding="same", boundary="mirror", format="dense", ndim=2)
    np.testing.assert_array_equal(kernel, before)


def test_integer_kernel_gives_float_matrix_and_dtype_is_respected():
    assert toeplitz([1, 2, 3], 6).dtype == np.float64
    assert toeplitz([1.0, 2.0], 6, dtype=np.float32, format="dense").dtype == np.float32
    assert block_toeplitz(np.ones((2, 2), np.complex64), (4, 4)).dtype == np.complex64


# --------------------------------------------------------------------------- public API and pictures


def test_public_api():
    assert ss.toeplitz is toeplitz and ss.block_toeplitz is block_toeplitz
    assert ss.ops.parameter_count is ss.ops.linear.parameter_count


def test_draw_matrix_outlines_blocks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kernel = np.ones((2, 2, 2, 3))
    T = block_toeplitz(kernel, (4, 5, 2), ndim=2)
    s = matrix_structure(kernel, (4, 5, 2), ndim=2)
    ax = ss.plot.matrix(T, structure=s)
    # level 1: 3 x 4 blocks -> 2 + 3 lines; level 2: 4 x 5 blocks of 3 x 2 inside -> 11 + 19 lines
    assert len(ax.lines) == (2 + 3) + (3 * 4 - 1) + (4 * 5 - 1)
    assert "36 × 40" in ax.get_title()
    ax2 = ss.plot.matrix(block_toeplitz(np.ones(3), 400), values=False)
    assert len(ax2.lines) >= 1  # the spy markers
    with pytest.raises(ss.ShapeError, match="structure"):
        ss.plot.matrix(T, structure=MatrixStructure((3,), (4,)))
    plt.close("all")


def test_structure_rejects_bad_shapes():
    with pytest.raises(ss.ShapeError):
        MatrixStructure((3, 4), (5,))
    with pytest.raises(ss.ShapeError, match="does not match"):
        MatrixStructure((3,), (5,)).is_toeplitz(np.zeros((3, 4)))
    assert math.prod(MatrixStructure((3,), (5,), 2, 2).shape) == 6 * 10


def test_non_finite_kernels_are_refused_like_conv():
    with pytest.raises(ss.InvalidParameterError, match="finite"):
        ss.toeplitz([np.nan, 1.0], 5)
    with pytest.raises(ss.InvalidParameterError, match="finite"):
        ss.block_toeplitz(np.full((2, 2), np.inf), (4, 4))
