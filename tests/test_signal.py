"""Signal: shape checks, indexing by position and coordinate, arithmetic, dask, copies."""

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
        (lambda x: np.sum(x), ss.InvalidTypeError, r"add\.reduce of a Signal"),
        (lambda x: np.add(x, 1, out=np.zeros(x.shape)), ss.InvalidParameterError, "out= is not supported"),
        (lambda x: ss.Channels(("a", "b"), coords={"wl": 5}), ss.InvalidTypeError, r"coords\['wl'\]"),
    ],
)
def test_misuse_gets_a_clear_error(call, error, fragment):
    x = make_signal((4, 3))
    with pytest.raises(error, match=fragment):
        call(x)


def test_numpy_reductions_work_on_the_values():
    x = make_signal((4, 3))
    assert np.mean(x) == pytest.approx(x.values.mean())
    assert np.asarray(x).sum() == x.values.sum()


def test_sel_range_bounds_must_be_numbers():
    x = make_signal((4, 3))
    with pytest.raises(ss.InvalidTypeError, match="sel a0 start"):
        x.sel(a0=slice("a", None))


def test_repr_keeps_units_apart_from_numbers():
    d = ss.Domain([ss.Axis("t", 4, step=4 / 3, unit="1/GeV"), ss.Axis("time", 2, step=0.5, unit="s")])
    assert "t=4@1.33333 1/GeV" in repr(d) and "time=2@0.5s" in repr(d)
