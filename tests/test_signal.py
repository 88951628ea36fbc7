"""Signal: shape checks, indexing by position and coordinate, arithmetic, dask, copies."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import signalspace as ss


def make_signal(shape=(6, 5), c=2, kind="generic"):
    axes = [ss.Axis(f"a{i}", n, step=0.5 * (i + 1), origin=float(i), unit="m") for i, n in enumerate(shape)]
    values = np.arange(np.prod(shape) * c, dtype=float).reshape(*shape, c)
    return ss.Signal(values, ss.Domain(axes, kind=kind), ss.Channels(tuple(f"k{j}" for j in range(c))))


def test_bare_domain_shaped_array_means_one_channel():
    d = ss.Domain.from_shape((4, 3))
    x = ss.Signal(np.ones((4, 3)), d)
    assert x.shape == (4, 3, 1) and x.nchannels == 1 and x.channels.names == ("c0",)


@pytest.mark.parametrize(
    ("values", "error", "fragment"),
    [
        (np.ones((4, 2, 2)), ss.ShapeError, r"domain.shape \+ \(channels,\) = \(4, 3\)"),
        (np.ones((4, 3, 0)), ss.ShapeError, "at least one channel"),
        (np.array([["a"] * 3] * 4), ss.InvalidTypeError, "numeric dtype"),
        (np.ones((4, 3, 2)), ss.ShapeError, "channels names 3 channels"),
    ],
)
def test_bad_values_raise_clear_errors(values, error, fragment):
    channels = ss.Channels(("x", "y", "z")) if values.shape[-1] == 2 and values.ndim == 3 else None
    with pytest.raises(error, match=fragment):
        ss.Signal(values, ss.Domain.from_shape((4, 3)), channels)


def test_domain_must_be_a_domain():
    with pytest.raises(ss.InvalidTypeError, match=r"domain must be a signalspace\.Domain"):
        ss.Signal(np.ones(3), (3,))


@given(data=st.data())
def test_indexing_matches_numpy_and_coordinates(data):
    shape = data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    x = make_signal(tuple(shape), c=3)
    key = tuple(
        data.draw(st.integers(-n, n - 1) | st.builds(slice, st.none() | st.integers(-n, n), st.none()
                                                      | st.integers(-n, n), st.none() | st.sampled_from([1, 2, -1])))
        for n in shape
    )
    expected = x.values[key]
    if expected.size == 0:
        with pytest.raises(ss.InvalidParameterError, match="empty"):
            x[key]
        return
    y = x[key]
    np.testing.assert_array_equal(y.values, expected)
    kept = [i for i, k in enumerate(key) if isinstance(k, slice)]
    assert y.domain.names == tuple(x.domain.names[i] for i in kept)
    for axis_out, i in zip(y.domain.axes, kept, strict=True):
        np.testing.assert_allclose(axis_out.coords, x.domain.axes[i].coords[key[i]])


def test_channel_indexing_by_name_position_and_list():
    x = make_signal(c=3)
    np.testing.assert_array_equal(x[..., "k2"].values, x.values[..., 2:3])
    assert x.channel(1).channels.names == ("k1",)
    assert x[..., ["k2", 0]].channels.names == ("k2", "k0")
    with pytest.raises(ss.UnknownNameError):
        x[..., "nope"]
    with pytest.raises(ss.InvalidTypeError, match="integer or a slice"):
        x[np.array([0, 1])]
    with pytest.raises(ss.InvalidParameterError, match="too many indices"):
        x[0, 0, 0, 0]


def test_sel_by_coordinate_and_inclusive_range():
    x = make_signal((10, 4))
    coords = x.domain["a0"].coords
    y = x.sel(a0=coords[3])
    np.testing.assert_array_equal(y.values, x.values[3])
    z = x.sel(a0=slice(coords[2], coords[5]), a1=slice(None, x.domain["a1"].coords[1]))
    np.testing.assert_array_equal(z.values, x.values[2:6, :2])
    np.testing.assert_allclose(z.domain["a0"].coords, coords[2:6])
    with pytest.raises(ss.InvalidParameterError, match="not a sample of axis"):
        x.sel(a0=1e6)
    with pytest.raises(ss.InvalidParameterError, match="selects no sample"):
        x.sel(a0=slice(1e5, 1e6))


@given(hnp.arrays(np.float64, (5, 3, 2), elements=st.floats(-1e3, 1e3)))
def test_arithmetic_and_ufuncs_act_on_values(values):
    x = ss.Signal(values, ss.Domain.from_shape((5, 3)))
    np.testing.assert_array_equal((x + 2 * x).values, values + 2 * values)
    np.testing.assert_array_equal(np.abs(-x).values, np.abs(values))
    np.testing.assert_array_equal((x * np.ones(2)).values, values)  # broadcasting over channels is fine
    assert (x - x).domain == x.domain


def test_arithmetic_refuses_mismatched_domains_channels_and_broadcasts():
    x = make_signal((4, 3))
    other = ss.Signal(np.ones((4, 3, 2)), ss.Domain.from_shape((4, 3)))
    with pytest.raises(ss.DomainMismatchError, match="different domains"):
        x + other
    renamed = x.replace(channels=ss.Channels(("p", "q")))
    with pytest.raises(ss.DomainMismatchError, match="different channels"):
        x + renamed
    with pytest.raises(ss.ShapeError, match="broadcast"):
        x + np.ones((7, 4, 3, 2))


def test_inputs_are_never_modified_and_copy_is_deep():
    values = np.arange(12.0).reshape(4, 3)
    before = values.copy()
    x = ss.Signal(values, ss.Domain.from_shape((4,)))
    y = (x * 3).astype(np.float32)
    x[1:]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(values, before)
    z = x.copy()
    assert not np.shares_memory(z.values, values)
    assert z.identical(x)


def test_dask_values_stay_lazy():
    da = pytest.importorskip("dask.array")
    lazy = da.arange(24.0, chunks=5).reshape(6, 4)
    x = ss.Signal(lazy, ss.Domain.from_shape((6, 4)))
    for y in (x + 1, np.sqrt(x), x[1:4], x.sel(x0=slice(1, 3)), x.astype(np.float32)):
        assert y.is_lazy
    np.testing.assert_array_equal(np.asarray(x[1:4] * 2), np.arange(24.0).reshape(6, 4)[1:4, :, None] * 2)
    assert not x.compute().is_lazy


def test_iteration_walks_the_first_axis_and_stops():
    x = make_signal((3, 2), c=2)
    parts = list(x)
    assert len(parts) == 3
    for i, part in enumerate(parts):
        np.testing.assert_array_equal(part.values, x.values[i])
    with pytest.raises(IndexError):
        x[3]
    with pytest.raises(ss.IndexOutOfRangeError, match="out of range for axis 'a0'"):
        x[-4]


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda x: x.sel(a0="a"), ss.InvalidTypeError, "coordinate on axis 'a0' must be a real number"),
        (lambda x: x.astype("no-such-dtype"), ss.InvalidTypeError, "dtype must be a numpy dtype"),
        (lambda x: np.add.reduce(x), ss.InvalidTypeError, r"add\.reduce of a Signal"),
        (lambda x: np.sum(x, out=np.zeros(1)), ss.InvalidParameterError, "out= is not supported"),
        (lambda x: x.mean("time"), ss.UnknownNameError, r"dims \['time'\] are not in"),
        (lambda x: x.mean("a0", axis=0), ss.InvalidParameterError, "not both"),
        (lambda x: x.sum(axis=5), ss.InvalidParameterError, "axis 5"),
        (lambda x: x.sel(a0=0.26), ss.InvalidParameterError, 'method="nearest"'),
        (lambda x: x.item(), ss.ShapeError, "one value"),
        (lambda x: np.add(x, 1, out=np.zeros(x.shape)), ss.InvalidParameterError, "out= is not supported"),
        (lambda x: ss.Channels(("a", "b"), coords={"wl": 5}), ss.InvalidTypeError, r"coords\['wl'\]"),
    ],
)
def test_misuse_gets_a_clear_error(call, error, fragment):
    x = make_signal((4, 3))
    with pytest.raises(error, match=fragment):
        call(x)


def test_numpy_reductions_call_the_signal_methods_like_xarray():
    x = make_signal((4, 3))
    for function in (np.sum, np.mean, np.std, np.max, np.min):
        result = function(x)
        assert isinstance(result, ss.Signal) and result.shape == (1,) and result.domain.ndim == 0
        assert result.item() == pytest.approx(function(x.values))
    np.testing.assert_allclose(np.mean(x, axis=0).values, x.values.mean(axis=0))
    assert np.asarray(x).sum() == x.values.sum()


def test_sel_range_bounds_must_be_numbers():
    x = make_signal((4, 3))
    with pytest.raises(ss.InvalidTypeError, match="sel a0 start"):
        x.sel(a0=slice("a", None))


def test_repr_keeps_units_apart_from_numbers():
    d = ss.Domain([ss.Axis("t", 4, step=4 / 3, unit="1/GeV"), ss.Axis("time", 2, step=0.5, unit="s")])
    assert "t=4@1.33333 1/GeV" in repr(d) and "time=2@0.5s" in repr(d)


# ----------------------------------------------------------------------------- xarray's basics
def test_dims_sizes_coords_and_len_are_those_of_the_dataarray():
    x = make_signal((4, 3), c=2)
    da = x.to_xarray()
    assert x.dims == da.dims == ("a0", "a1", "channel")
    assert dict(x.sizes) == dict(da.sizes) and len(x) == len(da) == 4
    for name, values in x.coords.items():
        np.testing.assert_array_equal(values, da.coords[name].values)
    assert set(x.coords) == set(da.coords)


@given(data=st.data())
def test_reductions_equal_xarrays_on_the_same_data(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    x = make_signal(shape, c=data.draw(st.integers(1, 3)))
    values = x.values.copy()
    values.flat[data.draw(st.integers(0, values.size - 1))] = np.nan  # skipped by default, as xarray does
    x = x.replace(values=values)
    da = x.to_xarray()
    dims = data.draw(st.lists(st.sampled_from(x.dims), min_size=1, max_size=len(x.dims), unique=True))
    name = data.draw(st.sampled_from(["sum", "mean", "std", "max", "min"]))
    skipna = data.draw(st.sampled_from([None, True, False]))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices, as in xarray
        ours = getattr(x, name)(dims, skipna=skipna)
        theirs = getattr(da, name)(dims, skipna=skipna)
    if "channel" in dims:
        theirs = theirs.expand_dims("channel", axis=-1)
    np.testing.assert_allclose(ours.values, theirs.values, equal_nan=True)
    assert ours.domain.names == tuple(d for d in x.domain.names if d not in dims)
    back = ss.Signal.from_xarray(ours.to_xarray())
    assert back.identical(ours)


def test_reductions_stay_lazy_on_dask():
    da = pytest.importorskip("dask.array")
    values = np.arange(24.0).reshape(4, 3, 2)
    x = ss.Signal(da.from_array(values, chunks=2), ss.Domain.from_shape((4, 3)))
    for name in ("sum", "mean", "std", "max", "min"):
        lazy = getattr(x, name)("x0")
        assert lazy.is_lazy and lazy.domain.names == ("x1",)
        np.testing.assert_allclose(lazy.compute().values, getattr(np, name)(values, axis=0))
    assert x.mean(["x0", "channel"]).is_lazy


def test_isel_and_sel_keep_the_selected_coordinate():
    d = ss.Domain([ss.Axis("time", 10, step=0.25, origin=1.0, unit="s"), ss.Axis("freq", 4, step=100.0, unit="Hz")])
    x = ss.Signal(np.arange(80.0).reshape(10, 4, 2), d, ss.Channels(("L", "R")))
    row = x.isel(time=3)
    assert row.scalar_coords["time"] == ss.Axis("time", 1, step=0.25, origin=1.75, unit="s")
    assert "time=1.75 s" in repr(row) and float(row.coords["time"]) == 1.75
    assert x.sel(time=1.75).identical(row) and x[3].identical(row)
    assert x.sel(time=1.8, method="nearest").identical(row)
    point = row.isel(freq=-1)
    assert point.domain.ndim == 0 and set(point.scalar_coords) == {"time", "freq"}
    assert (2 * row + row).scalar_coords == row.scalar_coords  # arithmetic keeps them
    assert "time" not in (row + x.isel(time=4)).scalar_coords  # operands that disagree drop it, as xarray
    assert ss.Conv(np.ones(2))(row).scalar_coords == row.scalar_coords
    assert x.sel(channel="R").channels.names == ("R",) and x.isel(channel=0).channels.names == ("L",)
    with pytest.raises(ss.InvalidParameterError, match="name of an axis"):
        ss.Signal(np.ones(3), ss.Domain.from_shape((3,)), scalar_coords=[ss.Axis("x0", 1)])
    with pytest.raises(ss.InvalidTypeError, match="one-sample"):
        ss.Signal(np.ones(3), ss.Domain.from_shape((3,)), scalar_coords=[ss.Axis("t", 2)])


def test_a_slice_is_titled_by_its_scalar_coordinates():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = ss.Domain([ss.Axis("time", 5, step=0.5, unit="s"), ss.Axis("y", 6), ss.Axis("x", 7)])
    frame = ss.Signal(np.random.default_rng(0).random((5, 6, 7)), d).isel(time=2)
    assert frame.plot().get_title() == "time=1 s"
    volume = ss.Signal(np.random.default_rng(0).random((5, 6, 7, 3)), ss.Domain.from_shape((5, 6, 7, 3)))
    titles = [panel.get_title() for panel in volume.isel(x3=1).plot().flat]
    assert all(title.startswith("slice at x3=1") for title in titles)
    plt.close("all")
