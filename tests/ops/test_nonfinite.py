"""NaN and infinity give the same result whatever engine runs: the direct definition's (zero taps skipped)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_engines import build, configs

import signalspace as ss
from signalspace.ops import engines
from signalspace.ops.engines.nonfinite import SCATTER_PAIRS, has_nonfinite


def same_nonfinite(got, expected, tol, name):
    """Same non-finite footprint (NaN where NaN, +-inf where +-inf, for real dtypes), close finite values."""
    bad = ~np.isfinite(expected)
    np.testing.assert_array_equal(~np.isfinite(got), bad, err_msg=f"{name}: non-finite footprint")
    if got.dtype.kind != "c":
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{name}: NaN footprint")
        np.testing.assert_array_equal(got[np.isinf(got)], expected[np.isinf(got)], err_msg=f"{name}: inf signs")
    scale = 1 + np.abs(expected[~bad]).max(initial=0)
    np.testing.assert_allclose(got[~bad], expected[~bad], rtol=tol, atol=tol * scale, err_msg=name)


@st.composite
def with_nonfinite(draw, max_dims=3):
    cfg = draw(configs(max_dims=max_dims))
    spots = draw(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([np.nan, np.inf, -np.inf])),
                          min_size=1, max_size=4))
    zero_taps = draw(st.lists(st.integers(0, 10**6), max_size=3))
    return cfg, spots, zero_taps


@given(with_nonfinite())
@settings(max_examples=60)
def test_every_engine_gives_the_direct_nan_and_inf_footprint(case):
    cfg, spots, zero_taps = case
    conv, x = build(cfg)
    assume(conv is not None)
    a = conv.kernel.copy()
    spatial = a if conv.depthwise else a.reshape((*a.shape[: conv.ndim], -1))
    for z in zero_taps:  # zero taps are skipped by the direct definition: a NaN read only through them is not read
        spatial.reshape((-1, *spatial.shape[conv.ndim :]))[z % np.prod(spatial.shape[: conv.ndim])] = 0
    conv = ss.Conv(a, stride=conv.stride, dilation=conv.dilation, padding=conv.padding, boundary=conv.boundary,
                   ndim=conv.ndim)
    for where, value in spots:
        x.flat[where % x.size] = value
    plan = conv.plan(x.shape[:-1], x.shape[-1], 1, x.dtype)
    tol = 2e-4 if plan.dtype == np.float32 else 1e-9
    expected = engines.forward(x[None], plan, "direct")[0]
    y = np.random.default_rng(1).standard_normal(expected.shape).astype(plan.dtype)
    for where, value in spots:
        y.flat[where % y.size] = value
    expected_back = engines.adjoint(y[None], plan, "direct")[0]
    for name in engines.applicable(plan):
        same_nonfinite(engines.forward(x[None], plan, name)[0], expected, tol, name)
        same_nonfinite(engines.adjoint(y[None], plan, name)[0], expected_back, tol, f"{name} adjoint")


@pytest.mark.parametrize(("shape", "kernel", "nan_at", "footprint"), [
    ((20_000,), np.hanning(64), (7777,), 62),          # the FFT/overlap-add blocks gave 512 NaN outputs
    ((512, 512), np.ones((31, 31)), (100, 200), 961),  # the FFT gave 65 536 (the whole image)
])
def test_one_nan_spoils_only_the_outputs_whose_window_reads_it(shape, kernel, nan_at, footprint):
    x = np.random.default_rng(0).standard_normal(shape)
    x[nan_at] = np.nan
    for method in ("auto", *engines.applicable(ss.Conv(kernel, padding="same").plan(shape, 1, 1, x.dtype))):
        y = ss.Conv(kernel, padding="same", method=method)(x)
        assert int(np.isnan(y).sum()) == footprint, method


def test_a_single_inf_stays_an_inf_of_the_kernels_sign():
    x = np.zeros(2000)
    x[500] = np.inf
    kernel = np.hanning(64) - 0.25  # taps of both signs and, at the ends, zeros skipped
    for method in engines.applicable(ss.Conv(kernel).plan((2000,), 1, 1, x.dtype)):
        y = ss.Conv(kernel, method=method)(x)
        reads = np.arange(500 - 63, 501)
        assert not np.isnan(y).any(), method
        np.testing.assert_array_equal(np.isposinf(y[reads]), kernel[500 - reads] > 0, err_msg=method)
        np.testing.assert_array_equal(np.isneginf(y[reads]), kernel[500 - reads] < 0, err_msg=method)


def test_finite_inputs_are_detected_cheaply():
    x = np.ones(1000)
    assert not has_nonfinite(x)
    x[3] = -np.inf
    assert has_nonfinite(x)
    assert not has_nonfinite(np.arange(5))  # integers hold no NaN
    assert not has_nonfinite(np.full(4, 1e308))  # a small array is checked with a mask
    assert has_nonfinite(np.full(5000, 1e308))  # a large one by its sum, which overflows: nothing to fix then
    x = np.full(6, 1e307)
    np.testing.assert_array_equal(ss.Conv(np.ones(3), method="im2col")(x), ss.Conv(np.ones(3), method="direct")(x))


@pytest.mark.parametrize(("shape", "kernel", "region"), [
    ((2**16,), np.hanning(64) - 0.3, (slice(None, None, 2),)),          # half the samples: 2 M products
    ((192, 192), np.ones((31, 31)), (slice(40, 80), slice(100, 140))),  # a NaN block: 1.5 M products
])
def test_many_nonfinite_samples_take_the_tiles_and_still_match_direct(shape, kernel, region):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    x[region] = rng.choice([np.nan, np.inf, -np.inf], size=x[region].shape)
    plan = ss.Conv(kernel, padding="same", boundary="reflect").plan(shape, 1, 1, x.dtype)
    assert np.count_nonzero(~np.isfinite(x)) * np.count_nonzero(kernel) > SCATTER_PAIRS
    expected = engines.forward(x[..., None][None], plan, "direct")[0]
    y = np.where(np.isfinite(expected), rng.standard_normal(expected.shape), expected)
    expected_back = engines.adjoint(y[None], plan, "direct")[0]
    for name in engines.applicable(plan):
        same_nonfinite(engines.forward(x[..., None][None], plan, name)[0], expected, 1e-9, name)
        same_nonfinite(engines.adjoint(y[None], plan, name)[0], expected_back, 1e-9, f"{name} adjoint")
