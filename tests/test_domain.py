"""Axis, Domain and Channels: construction, coordinates, validation, immutability."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import signalspace as ss

steps = st.floats(min_value=1e-3, max_value=1e3) | st.floats(min_value=-1e3, max_value=-1e-3)


@given(size=st.integers(1, 200), step=steps, origin=st.floats(-1e3, 1e3))
def test_axis_coords_are_origin_plus_step_times_index(size, step, origin):
    axis = ss.Axis("t", size, step=step, origin=origin)
    np.testing.assert_allclose(axis.coords, origin + step * np.arange(size))
    assert axis.extent == (axis.coords[0], pytest.approx(axis.coords[-1]))
    i = size // 2
    assert axis.index(axis.coords[i]) == i


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"size": 0}, "size must be an integer >= 1"),
        ({"size": 2.5}, "size must be an integer"),
        ({"size": 3, "step": 0.0}, "step must be non-zero"),
        ({"size": 3, "step": math.nan}, "step must be finite"),
        ({"size": 3, "origin": math.inf}, "origin must be finite"),
    ],
)
def test_axis_rejects_bad_sampling_naming_the_argument(kwargs, fragment):
    with pytest.raises(ss.SignalspaceError, match=fragment):
        ss.Axis("t", **kwargs)


def test_axis_name_channel_is_reserved():
    with pytest.raises(ss.InvalidParameterError, match="reserved"):
        ss.Axis("channel", 3)


def test_axis_index_outside_raises():
    axis = ss.Axis("t", 10, step=0.1)
    with pytest.raises(ss.InvalidParameterError, match="not a sample of axis 't'"):
        axis.index(2.0)


def test_axis_index_is_exact_unless_nearest_is_asked_like_xarray_sel():
    import xarray as xr

    axis = ss.Axis("t", 10, step=0.1, origin=-0.2)
    da = xr.DataArray(np.arange(10.0), dims=("t",), coords={"t": axis.coords})
    for coord in (-0.2, 0.1, axis.coords[7]):
        assert axis.index(coord) == int(da.sel(t=coord, method="nearest").values)
    with pytest.raises(ss.InvalidParameterError, match='method="nearest"'):
        axis.index(0.1234567)
    for coord in (0.1234567, -5.0, 99.0, 0.049):
        assert axis.index(coord, method="nearest") == int(da.sel(t=coord, method="nearest").values)
    assert axis.index(0.11, method="nearest", tolerance=0.02) == 3
    with pytest.raises(ss.InvalidParameterError, match=r"tolerance=0\.005"):
        axis.index(0.11, method="nearest", tolerance=0.005)
    with pytest.raises(KeyError):
        da.sel(t=0.11, method="nearest", tolerance=0.005)  # xarray refuses it too
    with pytest.raises(ss.InvalidParameterError, match="tolerance needs method"):
        axis.index(0.1, tolerance=0.01)
    with pytest.raises(ss.InvalidParameterError, match="method must be"):
        axis.index(0.1, method="pad")


def test_axis_slice_keeps_coordinates():
    axis = ss.Axis("t", 10, step=0.5, origin=1.0, unit="s")
    sub = axis.slice(*slice(2, 9, 3).indices(10))
    np.testing.assert_allclose(sub.coords, axis.coords[2:9:3])
    rev = axis.slice(*slice(None, None, -1).indices(10))
    np.testing.assert_allclose(rev.coords, axis.coords[::-1])


def test_domain_shape_names_lookup_and_equality():
    d = ss.Domain([ss.Axis("row", 3), ss.Axis("col", 4, step=2.0)], kind="image")
    assert d.shape == (3, 4) and d.ndim == 2 and d.size == 12
    assert d["col"].step == 2.0 and d[-1] is d["col"] and d.axis_index("row") == 0
    assert d == ss.Domain((ss.Axis("row", 3), ss.Axis("col", 4, step=2.0)), kind="image")
    assert d != ss.Domain([ss.Axis("row", 3), ss.Axis("col", 4, step=2.0)], kind="generic")
    assert hash(d) == hash(ss.Domain([ss.Axis("row", 3), ss.Axis("col", 4, step=2.0)], kind="image"))


def test_domain_errors_name_the_problem():
    with pytest.raises(ss.InvalidParameterError, match="unique"):
        ss.Domain([ss.Axis("a", 2), ss.Axis("a", 3)])
    with pytest.raises(ss.InvalidTypeError, match=r"axes\[1\] must be an Axis"):
        ss.Domain([ss.Axis("a", 2), 3])
    with pytest.raises(ss.UnknownNameError, match=r"axes are \['a'\]"):
        ss.Domain([ss.Axis("a", 2)])["b"]


def test_domain_axis_channel_immutable():
    d = ss.Domain.from_shape((2, 3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.kind = "image"
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.axes[0].size = 5
    ch = ss.Channels(("a", "b"), coords={"w": [1, 2]})
    with pytest.raises(TypeError):
        ch.coords["w"] = (3, 4)


def test_channels_metadata_selection_and_errors():
    ch = ss.Channels(("b1", "b2", "b3"), layout="hyperspectral", coords={"wavelength": [450, 550, 650]},
                     units={"wavelength": "nm"})
    assert ch.index("b2") == 1
    sub = ch.select([2, 0])
    assert sub.names == ("b3", "b1") and sub.coords["wavelength"] == (650, 450) and sub.layout is None
    assert ch.select(slice(None)) == ch
    with pytest.raises(ss.InvalidParameterError, match="unique"):
        ss.Channels(("a", "a"))
    with pytest.raises(ss.InvalidParameterError, match="one value per channel"):
        ss.Channels(("a", "b"), coords={"w": [1]})
    with pytest.raises(ss.InvalidParameterError, match="at least one"):
        ss.Channels(())
    with pytest.raises(ss.UnknownNameError, match="channels are"):
        ch.index("nope")
