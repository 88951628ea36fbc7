"""signalspace.testing.dottest: passes for true adjoints, fails loudly (with both numbers) otherwise."""

import numpy as np
import pytest
import scipy.sparse.linalg

import signalspace as ss
from signalspace.ops.base import FunctionOperator
from signalspace.testing import dottest


def test_dense_matrix_operator_passes_real_and_complex():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((5, 3)) + 1j * rng.standard_normal((5, 3))
    op = FunctionOperator(lambda x: m @ x, lambda y: m.conj().T @ y, (3,), (5,), dtype=complex)
    yy, xx = dottest(op, complex=True, rng=1)
    assert np.isclose(yy, xx)
    yy, xx = dottest(op, rng=2)
    assert np.isclose(yy, xx)


def test_wrong_adjoint_fails_with_both_numbers():
    m = np.arange(6.0).reshape(2, 3) + 1j
    op = FunctionOperator(lambda x: m @ x, lambda y: m.T @ y, (3,), (2,), dtype=complex)  # missing conj
    with pytest.raises(AssertionError, match=r"<A x, y> = .* but <x, Aᴴ y> = "):
        dottest(op, complex=True, rng=0)


def test_conv_needs_and_uses_model_shape():
    conv = ss.Conv(np.ones((3, 3)), padding="same", boundary="mirror")
    yy, xx = dottest(conv, (6, 5), rng=0)
    assert np.isclose(yy, xx)
    with pytest.raises(ss.InvalidParameterError, match="model_shape"):
        dottest(conv)


def test_scipy_operator_and_bad_type():
    m = np.arange(6.0).reshape(2, 3)
    dottest(scipy.sparse.linalg.aslinearoperator(m), rng=0)
    with pytest.raises(ss.InvalidTypeError, match="op must"):
        dottest(object())


def test_float32_tolerance():
    conv = ss.Conv(np.ones(4, dtype=np.float32))
    yy, xx = dottest(conv, (50,), dtype=np.float32, rng=0)
    assert np.isclose(yy, xx, rtol=1e-4)
