"""The dense layer read two ways, and parameter counts, against numpy and brute-force references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import signalspace as ss
from signalspace.ops.linear import alignment, column_combination, parameter_count
from signalspace.ops.matrices import block_toeplitz

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@st.composite
def matrix_and_vector(draw):
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    A = draw(hnp.arrays(np.float64, (m, n), elements=finite))
    x = draw(hnp.arrays(np.float64, (n,), elements=finite))
    return A, x


@given(matrix_and_vector())
def test_alignment_is_the_row_reading(Ax):
    A, x = Ax
    al = alignment(A, x)
    np.testing.assert_allclose(al.products, A @ x, rtol=1e-12, atol=1e-12)
    for i, row in enumerate(A):
        nr, nx = np.sqrt(row @ row), np.sqrt(x @ x)
        assert np.isclose(al.row_norms[i], nr) and np.isclose(al.x_norm, nx)
        if nr * nx > 1e-6:
            cos = (row @ x) / (nr * nx)
            assert np.isclose(al.cosines[i], cos, atol=1e-9)
            assert np.isclose(np.cos(al.angles[i]), cos, atol=1e-7)
            assert 0 <= al.angles[i] <= np.pi
        elif nr * nx == 0:
            assert np.isnan(al.cosines[i]) and np.isnan(al.angles[i])


def test_alignment_in_two_dimensions_is_the_angle_difference():
    # the lecture: a at angle alpha, x at angle xi, a.x = |a||x| cos(xi - alpha)
    alpha, xi = np.deg2rad([30.0, 100.0, 210.0]), np.deg2rad(75.0)
    A = np.stack([np.cos(alpha), np.sin(alpha)], axis=1) * np.array([[1.0], [2.0], [0.5]])
    x = 3.0 * np.array([np.cos(xi), np.sin(xi)])
    al = alignment(A, x)
    expected = np.abs((xi - alpha + np.pi) % (2 * np.pi) - np.pi)
    np.testing.assert_allclose(al.angles, expected, atol=1e-12)
    np.testing.assert_allclose(al.products, np.array([1.0, 2.0, 0.5]) * 3.0 * np.cos(xi - alpha), atol=1e-12)


def test_alignment_of_sparse_toeplitz_equals_dense(rng):
    T = block_toeplitz(rng.standard_normal(3), (8,))
    x = rng.standard_normal(8)
    a_sparse, a_dense = alignment(T, x), alignment(T.toarray(), x)
    for f in ("products", "row_norms", "cosines", "angles"):
        np.testing.assert_allclose(getattr(a_sparse, f), getattr(a_dense, f), atol=1e-12)


@given(matrix_and_vector())
def test_column_combination_is_the_column_reading(Ax):
    A, x = Ax
    cc = column_combination(A, x)
    np.testing.assert_allclose(cc.z, A @ x, rtol=1e-12, atol=1e-9)
    for j in range(A.shape[1]):
        np.testing.assert_array_equal(cc.weighted_columns[:, j], x[j] * A[:, j])
    ccs = column_combination(sp.csr_array(A), x)
    np.testing.assert_allclose(ccs.weighted_columns.toarray(), cc.weighted_columns)
    np.testing.assert_allclose(ccs.z, cc.z, atol=1e-9)


def test_inputs_not_modified_and_bad_input(rng):
    A, x = rng.standard_normal((3, 4)), rng.standard_normal(4)
    A0, x0 = A.copy(), x.copy()
    column_combination(A, x)
    alignment(A, x)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(x, x0)
    with pytest.raises(ss.ShapeError, match="length 4"):
        alignment(A, np.ones(3))
    with pytest.raises(ss.ShapeError, match="2-D"):
        column_combination(np.ones(3), np.ones(3))
    with pytest.raises(ss.InvalidTypeError, match="real"):
        alignment(A + 1j, x)
    with pytest.raises(ss.InvalidTypeError, match="x must"):
        alignment(A, ["a"] * 4)


def brute_counts(kernel, input_shape, **kw):
    """Dense = matrix size, local = distinct non-zero positions (kernel of ones), shared = kernel size."""
    M = block_toeplitz(np.ones_like(kernel), input_shape, format="dense", **kw)
    return M.size, int(np.count_nonzero(M)), kernel.size


@pytest.mark.parametrize(
    "kernel_shape,input_shape,kw",
    [
        ((3,), (6,), {}),
        ((3,), (9,), {"padding": "same", "boundary": "reflect"}),
        ((4,), (5,), {"padding": "full", "boundary": "wrap"}),
        ((3, 3), (6, 5), {"padding": "same", "stride": 2}),
        ((2, 3, 2, 4), (5, 6, 2), {"padding": "same", "boundary": "mirror", "ndim": 2}),
        ((2, 2), (4, 4, 3), {"padding": "full", "boundary": "nearest", "dilation": 2}),
    ],
)
def test_parameter_count_against_brute_force(kernel_shape, input_shape, kw):
    kernel = np.ones(kernel_shape)
    pc = parameter_count(kernel, input_shape, **kw)
    shared_expected = kernel.size
    assert (pc.dense, pc.local, pc.shared) == (*brute_counts(kernel, input_shape, **kw)[:2], shared_expected)
    assert pc.shared <= pc.local <= pc.dense


def test_parameter_count_lecture_layer_and_conv():
    # the lecture: 4 outputs of a size-3 kernel on 6 samples; locality keeps 12 weights, sharing 3
    assert tuple(ss.ops.parameter_count([1.0, 2.0, 3.0], 6)) == (24, 12, 3)
    conv = ss.Conv(np.ones((3, 3, 3, 8)), padding="same", ndim=2)
    expected = parameter_count(np.ones((3, 3, 3, 8)), (16, 16), padding="same", ndim=2)
    assert ss.ops.parameter_count(conv, (16, 16, 3)) == expected
    with pytest.raises(ss.ShapeError, match="ndim="):  # a shape does not say how to read a 4-axis kernel
        parameter_count(np.ones((3, 3, 3, 8)), (16, 16, 3))
