"""Chunked convolution with dask: equal to the in-memory path for every geometry and chunking.

References: the in-memory :class:`Conv` (itself tested against scipy), scipy.ndimage
directly for the boundary modes, and the adjoint dot test.  Dask graphs are
computed with the synchronous scheduler to keep the tests fast and deterministic.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal
import xarray as xr
from hypothesis import assume, given
from hypothesis import strategies as st

import signalspace as ss
from signalspace import parallel
from signalspace.ops.geometry import BOUNDARIES

dask = pytest.importorskip("dask")  # an optional extra: these tests need it
da = pytest.importorskip("dask.array")


@pytest.fixture(autouse=True)
def _sync_scheduler():
    with dask.config.set(scheduler="synchronous"):
        yield


def _close(actual, expected, rtol=1e-6):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@st.composite
def conv_cases(draw):
    nd = draw(st.integers(1, 3))
    max_n = {1: 40, 2: 12, 3: 6}[nd]
    shape = tuple(draw(st.integers(1, max_n)) for _ in range(nd))
    ksize = tuple(draw(st.integers(1, 5 if nd < 3 else 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "full"]),
            st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=nd, max_size=nd),
        )
    )
    boundary = draw(st.one_of(st.sampled_from(BOUNDARIES), st.lists(st.sampled_from(BOUNDARIES), min_size=nd,
                                                                     max_size=nd)))
    cval = draw(st.sampled_from([0.0, 1.5]))
    depthwise = draw(st.booleans())
    c_in = draw(st.integers(1, 3))
    c_out = draw(st.integers(1, 3))
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=1)))
    chunks = tuple(draw(st.integers(1, n)) for n in shape)
    batch_chunks = tuple(draw(st.integers(1, b)) for b in batch)
    channel_chunk = draw(st.integers(1, c_in))
    flip = draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    return dict(shape=shape, ksize=ksize, stride=stride, dilation=dilation, padding=padding, boundary=boundary,
                cval=cval, depthwise=depthwise, c_in=c_in, c_out=c_out, batch=batch, chunks=chunks,
                batch_chunks=batch_chunks, channel_chunk=channel_chunk, flip=flip, seed=seed)


def _build(case):
    rng = np.random.default_rng(case["seed"])
    kshape = case["ksize"] if case["depthwise"] else (*case["ksize"], case["c_in"], case["c_out"])
    kernel = rng.standard_normal(kshape)
    try:
        conv = ss.Conv(kernel, stride=case["stride"], dilation=case["dilation"], padding=case["padding"],
                       boundary=case["boundary"], cval=case["cval"], flip=case["flip"], ndim=len(case["shape"]))
        geometry = conv.geometry(case["shape"])
    except ss.ShapeError:
        return None
    x = rng.standard_normal((*case["batch"], *case["shape"], case["c_in"]))
    chunks = (*case["batch_chunks"], *case["chunks"], case["channel_chunk"])
    return conv, geometry, x, chunks, rng


def _axes(case):
    """The spatial axes: after the batch axis, if any (carried through only when named)."""
    return tuple(range(len(case["batch"]), len(case["batch"]) + len(case["shape"])))


@given(conv_cases())
def test_conv_dask_equals_in_memory(case):
    built = _build(case)
    assume(built is not None)
    conv, _geometry, x, chunks, _ = built
    lazy = parallel.conv_dask(conv, da.from_array(x, chunks=chunks), axes=_axes(case))
    assert isinstance(lazy, da.Array)
    expected = conv(x, axes=_axes(case))
    _close(lazy.compute(), expected)
    # stride phase: every output chunk except the last starts where ceil((pad + chunk start) / stride) says
    assert lazy.shape == expected.shape


@given(conv_cases())
def test_conv_adjoint_dask_equals_in_memory(case):
    built = _build(case)
    assume(built is not None)
    conv, geometry, x, _chunks, rng = built
    c_out = x.shape[-1] if conv.depthwise else conv.c_out
    y = rng.standard_normal((*case["batch"], *geometry.output_shape, c_out))
    y_chunks = (*case["batch_chunks"], *(min(c, n) for c, n in zip(case["chunks"], geometry.output_shape,
                                                                   strict=True)), -1)
    lazy = parallel.conv_adjoint_dask(conv, da.from_array(y, chunks=y_chunks), input_shape=case["shape"],
                                      axes=_axes(case))
    assert isinstance(lazy, da.Array)
    _close(lazy.compute(), conv.adjoint(y, input_shape=case["shape"], axes=_axes(case)))


@given(conv_cases())
def test_dask_dot_test(case):
    """<A x, y> == <x, Aᴴ y> with both sides computed chunkwise (cval 0: the linear part)."""
    case = {**case, "cval": 0.0}
    built = _build(case)
    assume(built is not None)
    conv, geometry, x, chunks, rng = built
    ax = parallel.conv_dask(conv, da.from_array(x, chunks=chunks), axes=_axes(case)).compute()
    y = rng.standard_normal(ax.shape)
    y_chunks = (*case["batch_chunks"], *(min(c, n) for c, n in zip(case["chunks"], geometry.output_shape,
                                                                   strict=True)), -1)
    aty = parallel.conv_adjoint_dask(conv, da.from_array(y, chunks=y_chunks), input_shape=case["shape"],
                                     axes=_axes(case)).compute()
    lhs, rhs = np.vdot(ax, y), np.vdot(x, aty)
    assert abs(lhs - rhs) <= 1e-9 * max(1.0, abs(lhs), np.linalg.norm(ax) * np.linalg.norm(y))


@pytest.mark.parametrize("boundary", ["reflect", "mirror", "nearest", "wrap", "constant"])
@pytest.mark.parametrize("chunk", [3, 7, 64])
def test_against_scipy_ndimage(boundary, chunk):
    """2-D 'same' correlation of each channel equals scipy.ndimage.correlate with the same mode."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((17, 23, 2))
    k = rng.standard_normal((5, 5))
    conv = ss.Conv(k, padding="same", boundary=boundary, cval=0.25)
    y = parallel.conv_dask(conv, da.from_array(x, chunks=(chunk, chunk, 1))).compute()
    expected = np.stack([ndi.correlate(x[..., c], k, mode=boundary, cval=0.25) for c in range(2)], axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


def test_long_kernel_small_chunks_against_scipy_signal():
    """1-D convolution with a kernel much longer than the chunks equals scipy.signal.oaconvolve."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 2)).astype(np.float32)
    h = rng.standard_normal(301).astype(np.float32)
    conv = ss.Conv(h, padding="same", flip=True)
    y = parallel.conv_dask(conv, da.from_array(x, chunks=(64, 2))).compute()
    expected = np.stack([scipy.signal.oaconvolve(x[:, c], h, mode="same") for c in range(2)], axis=-1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_stride_phase_does_not_depend_on_chunks():
    """Strided output is identical whatever the chunking (odd chunk sizes vs stride 3, padding before 2)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((101, 1))
    conv = ss.Conv(rng.standard_normal(5), stride=3, padding="same", boundary="mirror")
    results = [parallel.conv_dask(conv, da.from_array(x, chunks=(c, 1))).compute() for c in (1, 2, 5, 13, 101)]
    expected = x[:, 0]
    expected = np.pad(expected, (2, 2), mode="reflect")  # ndimage 'mirror' == numpy 'reflect'
    windows = np.lib.stride_tricks.sliding_window_view(expected, 5)[::3]
    reference = windows @ conv.kernel
    for r in results:
        np.testing.assert_allclose(r[:, 0], reference, rtol=1e-12, atol=1e-12)


def test_signal_stays_lazy_through_indexing_arithmetic_conv_and_xarray(tmp_path):
    rng = np.random.default_rng(2)
    values = rng.standard_normal((4000, 2)).astype(np.float32)
    x = ss.audio.from_array(da.from_array(values, chunks=(512, 2)), sr=8000, channel_axis=-1)
    assert x.is_lazy
    z = (2 * x[100:3900] + 1.0)
    assert z.is_lazy
    conv = ss.Conv(np.hanning(65).astype(np.float32), padding="same")
    lazy = parallel.conv_dask(conv, z.values)
    y = z.replace(values=lazy)
    assert y.is_lazy
    arr = y.to_xarray()
    assert isinstance(arr.data, da.Array)
    back = ss.Signal.from_xarray(arr)
    assert back.is_lazy and back.domain == z.domain
    expected = conv(2 * values[100:3900] + 1.0)
    np.testing.assert_allclose(back.compute().values, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    # netCDF streaming: the dataset is written from the lazy array, nothing computed before
    path = tmp_path / "y.nc"
    delayed = arr.to_dataset(name="y").to_netcdf(path, compute=False)
    assert not path.exists() or xr.open_dataset(path)["y"].isnull().all()
    delayed.compute()
    with xr.open_dataset(path) as ds:
        np.testing.assert_allclose(ds["y"].values, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_conv_dask_keeps_graph_lazy():
    """Building the graph reads no chunk: a source that raises when computed does not raise at build time."""

    def boom(block):
        raise RuntimeError("computed")

    source = da.ones((100, 1), chunks=(10, 1)).map_blocks(boom, dtype=float)
    conv = ss.Conv(np.ones(3), padding="same", boundary="reflect")
    y = parallel.conv_dask(conv, source)
    adj = parallel.conv_adjoint_dask(conv, source)
    with pytest.raises(RuntimeError, match="computed"):
        y.compute()
    with pytest.raises(RuntimeError, match="computed"):
        adj.compute()


def test_bad_input_errors():
    conv = ss.Conv(np.ones((3, 2, 4)), ndim=1)
    with pytest.raises(ss.InvalidTypeError, match="values must be a dask array"):
        parallel.conv_dask(conv, np.ones((10, 2)))
    with pytest.raises(ss.InvalidTypeError, match="conv must be a signalspace Conv"):
        parallel.conv_dask(np.ones(3), da.ones((10, 2)))
    with pytest.raises(ss.ShapeError, match="c_in = 2"):
        parallel.conv_dask(conv, da.ones((10, 3)))
    with pytest.raises(ss.ShapeError, match="c_out = 4"):
        parallel.conv_adjoint_dask(conv, da.ones((8, 3)))
    with pytest.raises(ss.ShapeError):
        parallel.conv_dask(ss.Conv(np.ones(30)), da.ones((10, 1)))
    with pytest.raises(ss.InvalidParameterError, match="minimum"):
        with parallel.progress(minimum=-1):
            pass


def test_progress_local_bar_and_compute():
    out = io.StringIO()
    conv = ss.Conv(np.ones(5), padding="same")
    x = da.from_array(np.arange(200.0).reshape(200, 1), chunks=(20, 1))
    assert not parallel.progress_active()
    with dask.config.set(scheduler="threads"), parallel.progress(minimum=0, out=out):
        assert parallel.progress_active()
        (y,) = parallel.compute(parallel.conv_dask(conv, x))
    assert not parallel.progress_active()
    assert "100%" in out.getvalue()
    np.testing.assert_allclose(y[:, 0], np.convolve(np.arange(200.0), np.ones(5), mode="same"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dask_and_memory_agree_with_large_cval(dtype):
    """Both paths put cval only where the padding is: interior samples equal the cval = 0 result."""
    from reference import reference

    rng = np.random.default_rng(21)
    x = rng.standard_normal((40, 30, 2)).astype(dtype)
    k = rng.standard_normal((5, 4)).astype(dtype)
    conv = ss.Conv(k, padding="same", boundary=("constant", "reflect"), cval=1e4)
    memory = conv(x)
    lazy = parallel.conv_dask(conv, da.from_array(x, chunks=(7, 9, 1))).compute()
    expected = reference(x.astype(np.float64), k.astype(np.float64), 1, 1, [(2, 2), (1, 2)], ["constant", "reflect"],
                         True, 1e4)
    tol = 1e-3 if dtype == np.float32 else 1e-9
    for got in (memory, lazy):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)
    interior = ss.Conv(k, padding="same", boundary=("constant", "reflect"))(x)[2:-2]
    np.testing.assert_array_equal(memory[2:-2], interior)
