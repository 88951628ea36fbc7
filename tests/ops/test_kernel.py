"""How a kernel's axes are read and meet its input's: named axes, channel_axis, the traps of issue 11.

References: scipy.ndimage.correlate (with ``axes=``), np.convolve, numpy einsum loops, scipy.sparse.kron,
and the adjoint dot test; never the code under test against itself.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.sparse as sp
import xarray as xr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reference import BOUNDARIES

import signalspace as ss
from signalspace.ops.kernel import AUTO, InputLayout, KernelLayout, compute_dtype
from signalspace.testing import dottest


def ndimage_same(x, kernel, positions, boundary, cval=0.0):
    """scipy.ndimage.correlate along ``positions`` (kernel order) with Conv's "same" centring.

    scipy.ndimage pairs the kernel's axes with the *sorted* axes, and centres an even kernel one sample
    later than ``padding="same"`` (origin -1 on axes of odd reach).
    """
    order = np.argsort(positions)
    weights = np.transpose(kernel, order)
    origin = [-1 if (weights.shape[i] - 1) % 2 else 0 for i in range(weights.ndim)]
    return ndi.correlate(x, weights, mode=boundary, cval=cval, origin=origin, axes=tuple(sorted(positions)))


@st.composite
def named_cases(draw):
    ndim = draw(st.integers(1, 5))
    side = {1: 12, 2: 8, 3: 5, 4: 4, 5: 3}[ndim]
    shape = tuple(draw(st.integers(3, side)) for _ in range(ndim))
    names = tuple(f"a{i}" for i in range(ndim))
    subset = draw(st.lists(st.sampled_from(names), min_size=1, max_size=ndim, unique=True))
    ks = tuple(draw(st.integers(1, 3)) for _ in subset)
    channels = draw(st.integers(1, 2))
    boundary = draw(st.sampled_from(BOUNDARIES))
    seed = draw(st.integers(0, 2**31 - 1))
    return shape, names, tuple(subset), ks, channels, boundary, seed


def make_signal(shape, names, channels, rng, dtype=np.float64):
    axes = [ss.Axis(n, s, step=0.5 + i, origin=-1.0 * i) for i, (n, s) in enumerate(zip(names, shape, strict=True))]
    return ss.Signal(rng.standard_normal((*shape, channels)).astype(dtype), ss.Domain(axes))


# ----------------------------------------------------------------------------- named axes
@pytest.mark.parametrize("boundary", BOUNDARIES)
@given(case=named_cases())
@settings(max_examples=10, deadline=None)
def test_conv_along_named_axes_equals_ndimage_with_axes(boundary, case):
    shape, names, subset, ks, channels, _, seed = case
    rng = np.random.default_rng(seed)
    x = make_signal(shape, names, channels, rng)
    kernel = rng.standard_normal(ks)
    conv = ss.Conv(kernel, dims=subset, padding="same", boundary=boundary, cval=0.5)
    y = conv(x)
    positions = [names.index(d) for d in subset]
    expected = ndimage_same(x.values, kernel, positions, boundary, cval=0.5)  # the channel axis is never filtered
    np.testing.assert_allclose(y.values, expected, atol=1e-10)
    assert y.shape == x.shape  # "same", stride 1
    assert all(y.domain[n] == x.domain[n] for n in names if n not in subset)  # carried with their coordinates
    # the DataArray path gives the same numbers and coordinates
    da = conv(x.to_xarray())
    np.testing.assert_allclose(da.values, expected, atol=1e-10)
    assert da.dims == (*names, "channel")


@given(named_cases(), st.integers(1, 2), st.integers(1, 2), st.sampled_from(["valid", "same", "full"]))
@settings(max_examples=30, deadline=None)
def test_named_axes_matrix_equals_operator_and_adjoint_passes_the_dot_test(case, stride, dilation, padding):
    shape, names, subset, ks, channels, boundary, seed = case
    rng = np.random.default_rng(seed)
    x = make_signal(shape, names, channels, rng)
    mixing = rng.integers(0, 2) == 1
    kernel = rng.standard_normal((*ks, channels, 2) if mixing else ks)
    conv = ss.Conv(kernel, dims=subset, stride=stride, dilation=dilation, padding=padding, boundary=boundary)
    try:
        y = conv(x)
    except ss.ShapeError:
        assume(False)  # the dilated kernel does not fit the padded input
    M = conv.to_matrix(x)
    assert sp.issparse(M) and M.shape == (y.values.size, x.values.size)
    np.testing.assert_allclose(M @ x.values.ravel(), y.values.ravel(), atol=1e-10)
    op = conv.operator(x)
    dottest(op, complex=True, rng=seed)
    w = rng.standard_normal(y.shape)
    back = conv.adjoint(y.replace(values=w), domain=x.domain)
    np.testing.assert_allclose(back.values.ravel(), M.T @ w.ravel(), atol=1e-10)
    assert back.domain == x.domain
    # the axes not named are carried through with their coordinates; the named ones follow the geometry
    for axis in x.domain.axes:
        if axis.name not in subset:
            assert y.domain[axis.name] == axis


def test_named_axis_in_the_middle_keeps_coordinates_and_strides_only_that_axis():
    rng = np.random.default_rng(0)
    d = ss.Domain([ss.Axis("freq", 5, step=10.0, unit="Hz"), ss.Axis("time", 40, step=0.01, unit="s"),
                   ss.Axis("trial", 3)])
    x = ss.Signal(rng.standard_normal((5, 40, 3, 2)), d)
    conv = ss.Conv(np.ones(4) / 4, dims=("time",), stride=2, padding="same")
    y = conv(x)
    assert y.domain["freq"] == d["freq"] and y.domain["trial"] == d["trial"]
    assert y.domain["time"].step == pytest.approx(0.02) and y.shape == (5, 20, 3, 2)
    expected = ndi.correlate1d(x.values, np.ones(4) / 4, axis=1, mode="constant", origin=-1)[:, ::2]
    np.testing.assert_allclose(y.values, expected, atol=1e-12)
    M = conv.to_matrix(x)
    np.testing.assert_allclose(M @ x.values.ravel(), y.values.ravel(), atol=1e-12)


def test_carried_leading_axes_make_the_matrix_a_kronecker_product():
    rng = np.random.default_rng(1)
    conv = ss.Conv(rng.standard_normal((3, 2)), padding="same", boundary="reflect")
    single = conv.to_matrix((6, 5))
    M = conv.to_matrix((4, 6, 5), axes=(1, 2), channel_axis=None)
    assert (M != sp.kron(sp.eye_array(4), single)).nnz == 0


def test_named_axes_on_dask_values_equal_in_memory():
    pytest.importorskip("dask")
    import dask.array as da

    rng = np.random.default_rng(2)
    x = make_signal((7, 30, 4), ("a0", "a1", "a2"), 2, rng)
    lazy = x.replace(values=da.from_array(x.values, chunks=(3, 7, 2, 1)))
    conv = ss.Conv(rng.standard_normal(5), dims=("a1",), stride=3, padding="same", boundary="mirror")
    y = conv(lazy)
    assert y.is_lazy and y.domain == conv(x).domain
    np.testing.assert_allclose(y.compute().values, conv(x).values, atol=1e-12)
    back = conv.adjoint(y, input_shape=(30,))
    assert back.is_lazy
    np.testing.assert_allclose(back.compute().values, conv.adjoint(conv(x), input_shape=(30,)).values, atol=1e-12)


def test_dims_must_name_axes_of_the_input():
    x = ss.Signal(np.ones((4, 5)), ss.Domain.from_shape((4, 5), names=("time", "freq")))
    with pytest.raises(ss.UnknownNameError, match=r"no axes \['px'\].*'time', 'freq'"):
        ss.Conv(np.ones(3), dims=("px",))(x)
    with pytest.raises(ss.ShapeError, match=r"kernel of shape \(3, 3\) does not fit 1 spatial axis"):
        ss.Conv(np.ones((3, 3)), dims=("time",))
    with pytest.raises(ss.InvalidParameterError, match="each axis once"):
        ss.Conv(np.ones((3, 3)), dims=("time", "time"))
    with pytest.raises(ss.ShapeError, match="dims="):
        ss.Conv(np.ones(3))(x)  # a 1-D kernel on a 2-D signal: which axis is not guessed
    with pytest.raises(ss.InvalidParameterError, match="dims="):
        ss.Conv(np.ones(3), dims=("time",))(x, axes=(0,))


# ----------------------------------------------------------------------------- the kernel's reading: the traps
def test_3d_bare_kernel_on_a_volume_signal_is_depthwise():
    rng = np.random.default_rng(3)
    volume = ss.Signal(rng.standard_normal((6, 7, 8, 2)), ss.Domain.from_shape((6, 7, 8)))
    kernel = rng.standard_normal((3, 3, 3))
    y = ss.Conv(kernel, padding="same", boundary="nearest")(volume)
    for c in range(2):
        np.testing.assert_allclose(y.values[..., c], ndi.correlate(volume.values[..., c], kernel, mode="nearest"),
                                   atol=1e-10)
    # the same kernel on a 1-D signal with 3 channels reads as (3, c_in=3, c_out=3)
    audio = ss.Signal(rng.standard_normal((20, 3)), ss.Domain.from_shape((20,)))
    mixed = ss.Conv(kernel)(audio)
    expected = sum(np.einsum("nc,co->no", audio.values[k : k + 18], kernel[k]) for k in range(3))
    np.testing.assert_allclose(mixed.values, expected, atol=1e-12)


def test_8d_bare_kernel_on_phase_space_is_depthwise_without_ndim():
    rng = np.random.default_rng(4)
    field = ss.Signal(rng.standard_normal((4,) * 8).astype(np.float32), ss.Domain.from_shape((4,) * 8))
    kernel = np.where(rng.random((3,) * 8) < 0.01, rng.standard_normal((3,) * 8), 0.0).astype(np.float32)
    y = ss.Conv(kernel, padding="same", boundary="wrap")(field)
    expected = ndi.correlate(field.values[..., 0], kernel, mode="wrap")
    np.testing.assert_allclose(y.values[..., 0], expected, atol=1e-4)


def test_a_bare_array_never_decides_how_a_kernel_of_3_or_more_axes_reads():
    video = np.random.default_rng(5).standard_normal((4, 6, 7, 3))  # (frames, rows, cols, colours)
    kernel = np.random.default_rng(6).standard_normal((3, 3, 3))
    with pytest.raises(ss.ShapeError, match=r"3 spatial axes, depthwise, or 1 spatial axis.*pass ndim="):
        ss.Conv(kernel, padding="same")(video)
    # explicit: 3-D depthwise on every colour ...
    y = ss.Conv(kernel, padding="same", ndim=3)(video)
    for c in range(3):
        np.testing.assert_allclose(y[..., c], ndi.correlate(video[..., c], kernel, mode="constant"), atol=1e-10)
    # ... or 1-D along the columns mixing the colours, frames and rows carried through (named with axes=)
    mixed = ss.Conv(kernel, ndim=1)(video, axes=(2,))
    expected = sum(np.einsum("frnc,co->frno", video[:, :, k : k + 5], kernel[k]) for k in range(3))
    np.testing.assert_allclose(mixed, expected, atol=1e-10)
    # axes= alone also says it
    np.testing.assert_allclose(ss.Conv(kernel, padding="same")(video, axes=(0, 1, 2)), y, atol=1e-12)
    with pytest.raises(ss.ShapeError, match="pass ndim="):
        ss.block_toeplitz(kernel, (4, 6, 7, 3))
    with pytest.raises(ss.ShapeError, match="pass ndim="):
        ss.Conv(kernel).to_matrix((4, 6, 7, 3))


def test_leading_axes_are_never_read_silently_as_batch():
    with pytest.raises(ss.ShapeError, match=r"axes=\(\.\.\.\)"):
        ss.Conv(np.ones(3)).adjoint(np.ones((4, 4, 4)))
    with pytest.raises(ss.ShapeError, match=r"axes=\(\.\.\.\)"):
        ss.Conv(np.ones(3))(np.ones((4, 4, 4)))
    # said explicitly: each row of each plane convolved on its own
    x = np.random.default_rng(7).standard_normal((4, 5, 6))
    y = ss.Conv(np.ones(3))(x, axes=(2,), channel_axis=None)
    np.testing.assert_allclose(y, ndi.correlate1d(x, np.ones(3), axis=2, mode="constant")[..., 1:-1], atol=1e-12)


def test_librosa_stereo_with_channel_axis_0_equals_np_convolve_per_channel():
    rng = np.random.default_rng(8)
    stereo = rng.standard_normal((2, 500))  # librosa's (c, n)
    h = rng.standard_normal(31)
    full = ss.Conv(h, padding="full", flip=True)(stereo, channel_axis=0)
    same = ss.convolve(stereo, h, mode="same", channel_axis=0)
    for c in range(2):
        np.testing.assert_allclose(full[c], np.convolve(stereo[c], h), atol=1e-10)
        np.testing.assert_allclose(same[c], np.convolve(stereo[c], h, mode="same"), atol=1e-10)
    np.testing.assert_allclose(ss.correlate(stereo, h, mode="valid", channel_axis=0)[1],
                               np.correlate(stereo[1], h, mode="valid"), atol=1e-10)
    # the audio adapter's layout is the same one: from_array -> Conv -> to_librosa
    signal = ss.audio.from_array(stereo, sr=8000)
    via_signal = ss.audio.to_librosa(ss.Conv(h, padding="full", flip=True)(signal))
    np.testing.assert_allclose(via_signal, full, atol=1e-12)
    np.testing.assert_allclose(ss.audio.to_librosa(ss.audio.from_array(stereo, sr=8000, channel_axis=0)), stereo)


def test_an_array_whose_channel_axis_looks_transposed_is_refused():
    stereo = np.zeros((2, 22050))
    conv = ss.Conv(np.ones(3), padding="same")
    with pytest.raises(ss.ShapeError, match=r"22050 channels of 2 samples.*channel_axis=0"):
        conv(stereo)
    with pytest.raises(ss.ShapeError, match="channel_axis"):
        conv.adjoint(stereo)
    with pytest.raises(ss.ShapeError, match="channel_axis"):
        ss.audio.from_array(np.zeros((22050, 2)), sr=22050)  # soundfile's (n, c) where librosa's is expected
    assert conv(stereo, channel_axis=0).shape == (2, 22050)
    assert conv(stereo, channel_axis=-1).shape == (2, 22050)  # confirmed: 2 samples of 22 050 channels
    with pytest.raises(ss.ShapeError, match="channel_axis"):  # a channel-mixing kernel names channel_axis too
        ss.Conv(np.ones((3, 2, 2)), ndim=1)(stereo)


def test_convolve_and_correlate_follow_one_dtype_rule():
    x32, h64 = np.ones(8, np.float32), np.ones(3)
    assert ss.convolve(x32, h64).dtype == compute_dtype(np.result_type(x32, h64), h64.dtype) == np.float64
    assert ss.convolve(x32, h64.astype(np.float32)).dtype == np.float32
    assert ss.convolve(np.arange(4), np.arange(2)).dtype == np.float64
    assert ss.convolve(x32, np.ones(3, np.complex64)).dtype == np.complex64
    assert ss.Conv(h64)(x32).dtype == np.float32 == compute_dtype(np.float32, np.float64)
    assert ss.toeplitz(np.ones(3, np.float16), 5).dtype == np.float32 == compute_dtype(np.float16, np.float16)


# ----------------------------------------------------------------------------- KernelLayout and InputLayout
@pytest.mark.parametrize(
    ("shape", "kwargs", "expected"),
    [
        ((5,), {}, (1, True)),
        ((3, 3), {}, (2, True)),
        ((3, 3, 3), {}, None),
        ((3, 3, 2, 4), {}, None),
        ((3, 3, 3), {"ndim": 3}, (3, True)),
        ((3, 3, 3), {"ndim": 1}, (1, False)),
        ((3, 3, 2, 4), {"dims": ("y", "x")}, (2, False)),
        ((3, 3, 3), {"per_axis": {"stride": (1, 2, 2)}}, (3, True)),
        ((3, 3, 2, 4), {"per_axis": {"boundary": ("wrap", "reflect")}}, (2, False)),
        ((3, 3, 3), {"per_axis": {"stride": 2, "boundary": "wrap"}}, None),
    ],
)
def test_kernel_layout_rules(shape, kwargs, expected):
    layout = KernelLayout.parse(shape, **kwargs)
    if expected is None:
        assert layout is None
    else:
        assert (layout.ndim, layout.depthwise) == expected


def test_kernel_layout_errors_name_what_was_said():
    with pytest.raises(ss.ShapeError, match=r"ndim=2 gives 2, dims=\('a', 'b', 'c'\) gives 3"):
        KernelLayout.parse((3, 3, 3), ndim=2, dims=("a", "b", "c"))
    with pytest.raises(ss.ShapeError, match=r"\(ndim=2\).*2 axes.*or 4"):
        KernelLayout.parse((3, 3, 3), ndim=2)
    with pytest.raises(ss.InvalidParameterError, match="ndim must be"):
        KernelLayout.parse((3,), ndim=0)
    with pytest.raises(ss.ShapeError, match="does not fit 2 spatial axes"):
        ss.Conv(np.ones((3, 3, 3)))(ss.Signal(np.ones((5, 5)), ss.Domain.from_shape((5, 5))))
    with pytest.raises(ss.ShapeError, match="c_in = 2"):  # read from the Signal: 1-D, 2 -> 3, but 4 channels
        ss.Conv(np.ones((3, 2, 3)))(ss.Signal(np.ones((9, 4)), ss.Domain.from_shape((9,))))


def test_a_conv_waiting_for_its_input_reads_each_rank_once():
    conv = ss.Conv(np.ones((3, 3, 3)), padding="same")
    assert conv.ndim is None and "read from its input" in repr(conv)
    assert conv.resolved(3) is conv.resolved(3) and conv.resolved(3).depthwise
    assert conv.resolved(1).c_out == 3
    with pytest.raises(ss.ShapeError, match="has 3 spatial axes, not 2"):
        conv.resolved(3).resolved(2)
    geometry = conv.geometry((8, 8, 8))  # a spatial shape says how many spatial axes
    assert geometry.output_shape == (8, 8, 8)


@given(st.integers(1, 4), st.data())
@settings(max_examples=40, deadline=None)
def test_input_layout_moves_to_canonical_order_and_back(m, data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=m, max_size=m)))
    nd = data.draw(st.integers(1, m))
    spatial = tuple(data.draw(st.permutations(range(m)))[:nd])
    rest = [a for a in range(m) if a not in spatial]
    channel = data.draw(st.sampled_from([None, *rest]))
    layout = InputLayout.resolve(shape, nd, axes=spatial, channel_axis=channel)
    x = np.arange(int(np.prod(shape))).reshape(shape)
    moved = layout.moved(x)
    assert moved.shape == layout.canonical_shape
    np.testing.assert_array_equal(layout.restored(moved), x)
    np.testing.assert_array_equal(np.asarray(moved).ravel(), layout.permutation())
    assert sorted((*layout.carried, *layout.spatial, *(() if channel is None else (channel,)))) == list(range(m))


def test_input_layout_default_channel_axis():
    assert InputLayout.resolve((10, 3), 1).channel == 1
    assert InputLayout.resolve((10, 3), 2).channel is None
    assert InputLayout.resolve((5, 10, 3), 1, axes=(1,)).channel == 2
    assert InputLayout.resolve((5, 10), 1, axes=(1,)).channel is None  # the last axis is spatial
    assert InputLayout.resolve((5, 10, 3), 1, axes=(1,), channel_axis=None).carried == (0, 2)
    assert InputLayout.resolve((3, 10), 1, channel_axis=0).spatial_shape == (10,)
    assert AUTO is not None and repr(AUTO) == "AUTO"
    with pytest.raises(ss.InvalidParameterError, match="also one of the axes"):
        InputLayout.resolve((5, 10), 1, axes=(1,), channel_axis=1)
    with pytest.raises(ss.InvalidParameterError, match="out of range"):
        InputLayout.resolve((5, 10), 1, channel_axis=2)


def test_dataarray_without_dims_is_convolved_along_all_its_dims_or_refused():
    da = xr.DataArray(np.ones((3, 10)), dims=("trial", "time"))
    with pytest.raises(ss.ShapeError, match="dims="):
        ss.Conv(np.ones(3))(da)  # formerly the last dim silently; now it is named
    out = ss.Conv(np.ones(3), dims=("time",))(da)
    assert out.dims == ("trial", "time") and out.shape == (3, 8)
    assert ss.Conv(np.ones((3, 3, 3)))(xr.DataArray(np.ones((4, 4, 4)), dims=("z", "y", "x"))).shape == (2, 2, 2)
