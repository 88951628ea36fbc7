"""Conv: reference equality through the public API, properties, Signal/xarray geometry, dtypes, errors."""


import numpy as np
import pytest
import scipy.ndimage
import xarray as xr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import NP_PAD, expected_pads, reference

import signalspace as ss
from signalspace.ops.base import LinearOperator
from signalspace.ops.geometry import ConvGeometry
from signalspace.testing import dottest

METHODS = ["auto", "direct", "im2col", "fft"]


@st.composite
def public_cases(draw):
    nd = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(2, 7 if nd < 3 else 4), min_size=nd, max_size=nd)))
    ks = tuple(draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    stride = draw(st.integers(1, 2))
    dilation = draw(st.integers(1, 2))
    boundary = draw(st.sampled_from(list(NP_PAD)))
    padding = draw(st.sampled_from(["valid", "same", "full"]))
    flip = draw(st.booleans())
    depthwise = draw(st.booleans())
    batch = draw(st.sampled_from([(), (2,)]))
    cval = draw(st.sampled_from([0.0, 1.5]))
    method = draw(st.sampled_from(METHODS))
    return nd, shape, ks, stride, dilation, boundary, padding, flip, depthwise, batch, cval, method, draw(
        st.integers(0, 2**31)
    )


def fits(conv, shape) -> bool:
    """True when the kernel (with dilation) fits the padded input; a drawn case where it does not tests nothing."""
    try:
        conv.geometry(shape)
    except ss.ShapeError:
        return False
    return True


@given(public_cases())
@settings(max_examples=60)
def test_conv_equals_reference(case):
    nd, shape, ks, stride, dilation, boundary, padding, flip, depthwise, batch, cval, method, seed = case
    rng = np.random.default_rng(seed)
    c_in, c_out = 2, 3
    a = rng.standard_normal(ks if depthwise else (*ks, c_in, c_out))
    x = rng.standard_normal((*batch, *shape, c_in))
    conv = ss.Conv(a, stride=stride, dilation=dilation, padding=padding, boundary=boundary, cval=cval,
                   flip=flip, method=method, ndim=nd)
    assume(fits(conv, shape))
    pads = expected_pads(padding, ks, dilation)  # the documented formulas, not conv.geometry(...)
    corr = a[tuple(slice(None, None, -1) for _ in range(nd))] if flip else a
    axes = tuple(range(len(batch), len(batch) + nd))  # leading axes are carried through only when told
    y = conv(x, axes=axes)
    for b in np.ndindex(*batch):
        expected = reference(x[b], corr, stride, dilation, pads, boundary, depthwise, cval)
        np.testing.assert_allclose(y[b], expected, atol=1e-9)
    if cval == 0:
        dottest(conv.operator(x.shape, axes=axes), complex=True, rng=seed)


def test_same_3x3_matches_ndimage_for_every_boundary():
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((20, 17)), rng.standard_normal((3, 3))
    for boundary in NP_PAD:
        for method in ["auto", "direct", "ndimage", "fft", "im2col"]:
            got = ss.Conv(k, padding="same", boundary=boundary, cval=0.5, method=method)(x)
            expected = scipy.ndimage.correlate(x, k, mode=boundary, cval=0.5)
            np.testing.assert_allclose(got, expected, atol=1e-10, err_msg=f"{boundary} {method}")


def test_dot_test_complex_strided_dilated_every_boundary():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 2, 2, 2)) + 1j * rng.standard_normal((3, 2, 2, 2))
    for boundary in NP_PAD:
        conv = ss.Conv(a, stride=(2, 3), dilation=(2, 1), padding="full", boundary=boundary)
        dottest(conv.operator((3, 11, 6, 2), axes=(1, 2)), complex=True, rng=2)


def test_stationarity_with_wrap():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((12, 10, 2))
    conv = ss.Conv(rng.standard_normal((3, 4, 2, 3)), padding="same", boundary="wrap", ndim=2)
    shift = (5, -3)
    np.testing.assert_allclose(conv(np.roll(x, shift, axis=(0, 1))), np.roll(conv(x), shift, axis=(0, 1)), atol=1e-12)


def test_locality():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((30, 1))
    conv = ss.Conv(rng.standard_normal(5), dilation=2, padding="same")  # reach 8, window [i-4, i+4]
    x2 = x.copy()
    x2[20:] += 100.0
    y, y2 = conv(x), conv(x2)
    np.testing.assert_array_equal(y[:16], y2[:16])  # outputs whose windows end before sample 20
    assert np.all(y[16:] != y2[16:])


def test_linearity():
    rng = np.random.default_rng(4)
    conv = ss.Conv(rng.standard_normal((3, 3, 2, 2)), stride=2, padding="same", boundary="reflect", ndim=2)
    x1, x2 = rng.standard_normal((9, 9, 2)), rng.standard_normal((9, 9, 2))
    np.testing.assert_allclose(conv(2 * x1 - 3 * x2), 2 * conv(x1) - 3 * conv(x2), atol=1e-12)


def test_dtypes_and_inputs_not_modified():
    x32 = np.ones((6, 6), dtype=np.float32)
    assert ss.Conv(np.ones((3, 3)))(x32).dtype == np.float32
    assert ss.Conv(np.ones((3, 3)) * 1j)(x32).dtype == np.complex64
    xi = np.full((6,), 2**62, dtype=np.int64)
    y = ss.Conv(np.ones(2, dtype=np.int64))(xi)
    assert y.dtype == np.float64 and np.allclose(y, 2.0**63)
    x = np.arange(10.0)
    before = x.copy()
    ss.Conv(np.ones(3), padding="same", cval=2.0)(x)
    np.testing.assert_array_equal(x, before)


def test_signal_output_domain():
    d = ss.Domain([ss.Axis("time", 100, step=0.01, origin=1.0, unit="s")], kind="audio")
    x = ss.Signal(np.ones((100, 2)), d, ss.Channels(("L", "R")))
    y = ss.Conv(np.ones(5) / 5, stride=2, padding="same")(x)
    axis = y.domain["time"]
    assert axis.step == pytest.approx(0.02) and axis.size == 50 and axis.origin == pytest.approx(1.0)
    assert y.channels.names == ("L", "R") and y.domain.kind == "audio"
    valid = ss.Conv(np.ones(5), padding="valid")(x).domain["time"]
    assert valid.origin == pytest.approx(1.02) and valid.size == 96  # the window centre
    mixed = ss.Conv(np.ones((5, 2, 3)), channel_names=("a", "b", "c"))(x)
    assert mixed.channels.names == ("a", "b", "c")
    assert ss.Conv(np.ones((5, 2, 3)))(x).channels.names == ("c0", "c1", "c2")
    back = ss.Conv(np.ones(5) / 5, stride=2, padding="same").adjoint(y, input_shape=(100,))
    assert back.domain == d


def test_dataarray_in_dataarray_out():
    rng = np.random.default_rng(5)
    values = rng.standard_normal((3, 10, 8))
    da = xr.DataArray(values, dims=("batch", "y", "x"),
                      coords={"y": np.arange(10) * 0.5, "x": 2.0 + np.arange(8), "batch": ["a", "b", "c"]},
                      attrs={"title": "t"})
    conv = ss.Conv(rng.standard_normal((3, 3)), dims=("y", "x"), stride=(2, 1))
    out = conv(da)
    assert out.dims == ("batch", "y", "x") and out.attrs == {"title": "t"}
    assert list(out.coords["batch"].values) == ["a", "b", "c"]
    np.testing.assert_allclose(out.coords["y"].values, 0.5 + np.arange(4) * 1.0)
    np.testing.assert_allclose(out.coords["x"].values, 3.0 + np.arange(6))
    np.testing.assert_allclose(out.values, conv(values, axes=(1, 2), channel_axis=None))
    k = xr.DataArray(np.ones((3, 1, 2, 4)), dims=("x", "y", "c_in", "c_out"))
    da2 = xr.DataArray(np.ones((6, 5, 2)), dims=("x", "y", "channel"))
    out2 = ss.Conv(k)(da2)
    assert out2.dims == ("x", "y", "channel") and out2.shape == (4, 5, 4)


def test_linear_operator_views():
    rng = np.random.default_rng(6)
    conv = ss.Conv(rng.standard_normal((3, 2, 3)), stride=2, padding="same", boundary="nearest", ndim=1)
    op = conv.operator((9, 2))
    assert isinstance(op, LinearOperator) and op.model_shape == (9, 2) and op.data_shape == (5, 3)
    dense = op.todense()
    x = rng.standard_normal((9, 2))
    np.testing.assert_allclose(dense @ x.ravel(), conv(x).ravel(), atol=1e-12)
    np.testing.assert_allclose(op.H.todense(), dense.T, atol=1e-12)
    np.testing.assert_allclose((op.H @ op).todense(), dense.T @ dense, atol=1e-12)
    A = conv.as_linear_operator((9, 2))
    y = rng.standard_normal(15)
    np.testing.assert_allclose(A.rmatvec(y), dense.T @ y, atol=1e-12)
    np.testing.assert_allclose(conv.H(y.reshape(5, 3), (9,)), conv.adjoint(y.reshape(5, 3), (9,)))
    with pytest.raises(ss.ShapeError, match="x must have"):
        op.forward(np.ones(5))


def test_adjoint_needs_input_shape_when_stride_is_ambiguous():
    conv = ss.Conv(np.ones(3), stride=2, padding="same")
    with pytest.raises(ss.InvalidParameterError, match="input_shape"):
        conv.adjoint(np.ones(5))
    assert conv.adjoint(np.ones(5), (10,)).shape == (10,)


@pytest.mark.parametrize(
    ("kwargs", "x", "match", "error"),
    [
        ({"kernel": np.ones(5)}, np.ones(3), "kernel reaches", ss.ShapeError),
        ({"kernel": np.ones((3, 2, 1)), "ndim": 1}, np.ones((8, 3)), "c_in", ss.ShapeError),
        ({"kernel": np.ones(3), "stride": 0}, None, "stride", ss.InvalidParameterError),
        ({"kernel": np.ones(3), "dilation": -1}, None, "dilation", ss.InvalidParameterError),
        ({"kernel": np.array([1.0, np.nan])}, None, "kernel", ss.InvalidParameterError),
        ({"kernel": np.ones(3), "boundary": "periodic"}, None, "boundary", ss.UnknownNameError),
        ({"kernel": np.ones(3), "method": "magic"}, None, "method", ss.UnknownNameError),
        ({"kernel": np.ones(3), "padding": "middle"}, None, "padding", ss.UnknownNameError),
        ({"kernel": np.ones((3, 3, 2, 2))}, np.ones(4), "pass ndim=", ss.ShapeError),
        ({"kernel": np.ones((3, 3, 2, 2)), "ndim": 2}, np.ones(4), "fewer than the kernel's 2", ss.ShapeError),
        ({"kernel": np.ones((2, 2, 2)), "ndim": 2}, None, "kernel", ss.ShapeError),
        ({"kernel": "abc"}, None, "kernel", ss.InvalidTypeError),
    ],
)
def test_bad_input(kwargs, x, match, error):
    with pytest.raises(error, match=match):
        conv = ss.Conv(**kwargs)
        conv(x)


# ----------------------------------------------------------------------------- cval (affine Conv)
@pytest.mark.parametrize("method", ["auto", "direct", "ndimage", "fft", "im2col", "numpy1d"])
def test_large_cval_keeps_interior_exact_float32(method):
    """cval is added only where windows read the padding: interior samples equal the cval=0 result."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal(64).astype(np.float32)
    k = rng.standard_normal(5).astype(np.float32)
    for cval in (1e3, 1e5):
        got = ss.Conv(k, padding="same", cval=cval, method=method)(x)
        expected = scipy.ndimage.correlate(x.astype(np.float64), k.astype(np.float64), mode="constant", cval=cval)
        np.testing.assert_allclose(got[2:-2], expected[2:-2], rtol=1e-5, atol=1e-5)  # as accurate as cval = 0
        np.testing.assert_allclose(got[[0, 1, -2, -1]], expected[[0, 1, -2, -1]], rtol=1e-5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, complex(np.nan, 0)])
def test_non_finite_cval_is_refused(bad):
    with pytest.raises(ss.InvalidParameterError, match="cval must be finite"):
        ss.Conv(np.ones(3), padding="same", cval=bad)
    with pytest.raises(ss.InvalidParameterError, match="cval"):
        ConvGeometry.create((5,), (3,), padding="same", cval=bad)


def test_complex_cval_promotes_to_complex():
    """A complex cval makes the computation complex (as numpy would), in memory and on dask alike."""
    da = pytest.importorskip("dask.array")

    x = np.arange(6.0)
    conv = ss.Conv(np.ones(3), padding="same", cval=1j)
    y = conv(x)
    assert y.dtype == np.complex128
    expected = reference(x[:, None].astype(complex), np.ones(3), 1, 1, [(1, 1)], ["constant"], True, 1j)[:, 0]
    np.testing.assert_allclose(y, expected)
    assert conv(x.astype(np.float32)).dtype == np.complex64
    np.testing.assert_allclose(conv(da.from_array(x, chunks=2)).compute(), y)
    # a complex cval with a zero imaginary part is real
    assert ss.Conv(np.ones(3), padding="same", cval=2 + 0j)(x).dtype == np.float64


@given(public_cases())
@settings(max_examples=30)
def test_affine_conv_is_matrix_plus_offset(case):
    """conv(x) = M x + conv(0): to_matrix and operator() are the linear part, offset() the constant part."""
    nd, shape, ks, stride, dilation, boundary, padding, flip, depthwise, _batch, cval, _method, seed = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(ks if depthwise else (*ks, 2, 3))
    conv = ss.Conv(a, stride=stride, dilation=dilation, padding=padding, boundary=boundary, cval=cval + 0.5,
                   flip=flip, ndim=nd)
    assume(fits(conv, shape))
    x = rng.standard_normal((*shape, 2))
    offset = conv.offset(x.shape)
    np.testing.assert_allclose(offset, conv(np.zeros_like(x)), atol=1e-12)
    M = conv.to_matrix(x.shape)
    np.testing.assert_allclose(conv(x).ravel(), M @ x.ravel() + offset.ravel(), atol=1e-9)
    np.testing.assert_allclose(conv.operator(x.shape).forward(x).ravel(), M @ x.ravel(), atol=1e-9)
    dottest(conv.operator(x.shape), complex=True, rng=seed)  # the operator of an affine Conv is linear


def test_operator_of_affine_conv_is_its_linear_part():
    conv = ss.Conv(np.ones(3), padding="same", cval=5.0)
    op = conv.operator((6,))
    x = np.arange(6.0)
    np.testing.assert_allclose(op.forward(x), ss.Conv(np.ones(3), padding="same")(x))
    np.testing.assert_allclose(op.todense(), conv.to_matrix((6,), format="dense"))


# ----------------------------------------------------------------------------- even kernels, "same"
@given(st.integers(1, 3), st.integers(1, 7), st.integers(1, 2), st.integers(0, 2**31))
@settings(max_examples=40)
def test_even_and_odd_kernels_same_equal_ndimage_with_origin(nd, k, dilation, seed):
    """'same' pads (r // 2, r - r // 2): ndimage.correlate with origin -1 on axes of odd reach, 0 otherwise."""
    rng = np.random.default_rng(seed)
    ks = tuple(int(v) for v in rng.integers(1, k + 1, nd))
    shape = tuple(int(v) for v in rng.integers(max(ks) * dilation, max(ks) * dilation + 5, nd))
    a = rng.standard_normal(ks)
    x = rng.standard_normal(shape)
    got = ss.Conv(a, padding="same", dilation=dilation, ndim=nd)(x)
    dilated = np.zeros(tuple((n - 1) * dilation + 1 for n in ks))
    dilated[tuple(slice(None, None, dilation) for _ in ks)] = a
    origin = [-1 if (dilation * (n - 1)) % 2 else 0 for n in ks]
    expected = scipy.ndimage.correlate(x, dilated, mode="constant", origin=origin)
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_same_padding_puts_the_extra_sample_after():
    """The reviewer's example, against the documented convention (and scipy's, one sample apart)."""
    x = np.arange(6.0)
    got = ss.Conv([1.0, 2, 3, 4], padding="same")(x)
    # pads (1, 2): y[i] = x[i-1] + 2 x[i] + 3 x[i+1] + 4 x[i+2]
    xp = np.concatenate([[0.0], x, [0.0, 0.0]])
    np.testing.assert_allclose(got, [xp[i] + 2 * xp[i + 1] + 3 * xp[i + 2] + 4 * xp[i + 3] for i in range(6)])
    np.testing.assert_allclose(got[:-1], scipy.ndimage.correlate(x, [1.0, 2, 3, 4], mode="constant")[1:])


# ----------------------------------------------------------------------------- xarray coordinates
def test_dataarray_irregular_coordinate_is_refused():
    da = xr.DataArray(np.ones((6, 4)), dims=("y", "x"), coords={"y": [0, 1, 5, 6, 7, 8.0]})
    with pytest.raises(ss.InvalidParameterError, match=r"'y'.*regularly spaced"):
        ss.Conv(np.ones(3), dims=("y",))(da)


@pytest.mark.parametrize(
    "coord",
    [np.array(["a", "b", "c", "d", "e", "f"]), np.arange("2024-01-01", "2024-01-07", dtype="datetime64[D]"),
     np.arange(6) * np.timedelta64(1, "s")],
)
def test_dataarray_non_numeric_coordinate_is_refused(coord):
    da = xr.DataArray(np.ones(6), dims=("t",), coords={"t": coord})
    with pytest.raises(ss.InvalidTypeError, match="'t'"):
        ss.Conv(np.ones(3))(da)


def test_dataarray_coordinates_follow_signal_output_domain():
    """The DataArray path and the Signal path give the same output coordinates (one computation)."""
    rng = np.random.default_rng(12)
    d = ss.Domain([ss.Axis("y", 11, step=0.25, origin=-1.0), ss.Axis("x", 9, step=2.0, origin=3.0)])
    x = ss.Signal(rng.standard_normal((11, 9, 1)), d)
    for padding in ("valid", "same", "full"):
        conv = ss.Conv(rng.standard_normal((4, 3)), stride=(2, 3), padding=padding)
        y = conv(x)
        out = conv(x.to_xarray())
        np.testing.assert_allclose(out.coords["y"].values, y.domain["y"].coords)
        np.testing.assert_allclose(out.coords["x"].values, y.domain["x"].coords)
        np.testing.assert_allclose(out.values, y.values)
        assert out.coords["y"].attrs["step"] == pytest.approx(y.domain["y"].step)


# ----------------------------------------------------------------------------- threads
def test_caches_are_thread_safe():
    """Many threads, one Conv, more input shapes than its caches hold, a tiny switch interval (the race)."""
    import sys
    import threading

    conv = ss.Conv(np.ones((3, 3)) / 9, padding="same", boundary="reflect")
    rng = np.random.default_rng(13)
    shapes = [tuple(int(v) for v in rng.integers(4, 12, 2)) for _ in range(120)]
    expected = {s: scipy.ndimage.correlate(np.ones(s), np.ones((3, 3)) / 9, mode="reflect") for s in set(shapes)}
    errors = []

    def work(offset):
        try:
            for s in shapes[offset:] + shapes[:offset]:
                np.testing.assert_allclose(conv(np.ones(s)), expected[s], atol=1e-12)
        except Exception as error:  # reported below
            errors.append(error)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(17 * i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors, errors[:3]
    assert len(conv._plans) <= 8 and len(conv._geometries) <= 8


def test_numpy_integers_are_accepted_for_padding_like_stride():
    k = np.ones(3)
    a = ss.Conv(k, padding=np.int64(1), stride=np.int64(2))(np.arange(8.0))
    b = ss.Conv(k, padding=1, stride=2)(np.arange(8.0))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.engine("abc"),
        lambda c: c.adjoint(np.ones((6, 1)), input_shape="ab"),
        lambda c: c.geometry((8.5,)),
        lambda c: c.operator((0,)),
    ],
)
def test_shapes_given_as_arguments_are_checked(call):
    with pytest.raises(ss.SignalspaceError, match="input_s"):
        call(ss.Conv(np.ones(3)))


def test_adjoint_domain_must_be_a_domain():
    conv = ss.Conv(np.ones(3))
    y = conv(ss.Signal(np.ones(8), ss.Domain.from_shape((8,))))
    with pytest.raises(ss.InvalidTypeError, match=r"domain must be a signalspace\.Domain"):
        conv.adjoint(y, domain="x")
