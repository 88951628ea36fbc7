"""ss.convolve / ss.correlate equal scipy.signal.convolve / correlate for random N-D inputs and all modes."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

import signalspace as ss


@st.composite
def pairs(draw):
    nd = draw(st.integers(1, 4))
    top = 12 if nd <= 2 else 5
    xs = tuple(draw(st.lists(st.integers(1, top), min_size=nd, max_size=nd)))
    hs = tuple(draw(st.lists(st.integers(1, top), min_size=nd, max_size=nd)))
    mode = draw(st.sampled_from(["full", "same", "valid"]))
    cplx = draw(st.booleans())
    seed = draw(st.integers(0, 2**31))
    return xs, hs, mode, cplx, seed


def _draw(shape, cplx, rng):
    a = rng.standard_normal(shape)
    return a + 1j * rng.standard_normal(shape) if cplx else a


@given(pairs())
@settings(max_examples=80)
def test_convolve_and_correlate_match_scipy(case):
    xs, hs, mode, cplx, seed = case
    rng = np.random.default_rng(seed)
    x, h = _draw(xs, cplx, rng), _draw(hs, cplx and seed % 2 == 0, rng)
    fits = all(a >= b for a, b in zip(xs, hs, strict=True)) or all(a <= b for a, b in zip(xs, hs, strict=True))
    for ours, theirs in ((ss.convolve, scipy.signal.convolve), (ss.correlate, scipy.signal.correlate)):
        if mode == "valid" and not fits:
            with pytest.raises(ValueError):
                theirs(x, h, mode=mode)
            with pytest.raises(ss.ShapeError):
                ours(x, h, mode=mode)
            continue
        expected = theirs(x, h, mode=mode, method="direct")
        got = ours(x, h, mode=mode)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * (1 + np.abs(expected).max()))


@pytest.mark.parametrize("method", ["direct", "fft", "im2col"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_even_kernels_every_method(mode, method):
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((9, 10)), rng.standard_normal((4, 2))
    for ours, theirs in ((ss.convolve, scipy.signal.convolve), (ss.correlate, scipy.signal.correlate)):
        np.testing.assert_allclose(ours(x, h, mode=mode, method=method), theirs(x, h, mode=mode), atol=1e-10)


def test_1d_long_signal_matches_numpy_and_oaconvolve():
    rng = np.random.default_rng(2)
    x, h = rng.standard_normal(5000), rng.standard_normal(300)
    np.testing.assert_allclose(ss.convolve(x, h), np.convolve(x, h), atol=1e-9)
    np.testing.assert_allclose(ss.convolve(x, h, method="oa"), scipy.signal.oaconvolve(x, h), atol=1e-9)


def test_dtypes():
    x32 = np.ones(8, dtype=np.float32)
    assert ss.convolve(x32, np.ones(3, dtype=np.float32)).dtype == np.float32
    ints = ss.convolve(np.arange(6), np.array([1, 2]))
    assert ints.dtype == np.float64
    np.testing.assert_array_equal(ints, np.convolve(np.arange(6), [1, 2]))


def test_bad_arguments():
    with pytest.raises(ss.UnknownNameError, match="mode"):
        ss.convolve(np.ones(4), np.ones(2), mode="middle")
    with pytest.raises(ss.ShapeError, match="same number of axes"):
        ss.convolve(np.ones(4), np.ones((2, 2)))
