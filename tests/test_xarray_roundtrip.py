"""Signal <-> xarray.DataArray, in memory and through a netCDF file written by xarray."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import signalspace as ss


def rich_signal(shape=(5, 4), c=3, dtype=np.float64):
    axes = [ss.Axis("time", shape[0], step=1 / 22050, origin=0.25, unit="s")]
    if len(shape) > 1:
        axes.append(ss.Axis("band", shape[1], step=-2.5, origin=100.0, unit="Hz"))
    values = np.random.default_rng(0).standard_normal((*shape, c)).astype(dtype)
    channels = ss.Channels(tuple(f"b{i}" for i in range(c)), layout="hyperspectral",
                           coords={"wavelength": np.linspace(400, 700, c)}, units={"wavelength": "nm"})
    return ss.Signal(values, ss.Domain(axes, kind="image"), channels, attrs={"source": "test", "gain": 2.0})


def test_to_xarray_labels_dims_coords_units_and_kind():
    x = rich_signal()
    da = x.to_xarray()
    assert da.dims == ("time", "band", "channel")
    assert da["time"].attrs["units"] == "s" and da["band"].attrs["step"] == -2.5
    assert list(da["channel"].values) == ["b0", "b1", "b2"]
    assert da["wavelength"].dims == ("channel",) and da["wavelength"].attrs["units"] == "nm"
    assert da.attrs["signalspace_kind"] == "image" and da.attrs["source"] == "test"


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=2), c=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64, np.complex128, np.int16]))
def test_round_trip_in_memory_is_exact(shape, c, dtype):
    x = rich_signal(tuple(shape), c, dtype)
    assert ss.Signal.from_xarray(x.to_xarray()).identical(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_round_trip_through_netcdf_is_exact(tmp_path, dtype):
    x = rich_signal(dtype=dtype)
    path = tmp_path / "signal.nc"
    x.to_xarray().to_netcdf(path)
    y = ss.Signal.from_xarray(xr.load_dataarray(path))
    assert y.domain == x.domain and y.channels == x.channels and y.kind == "image"
    assert y.identical(x)


def test_foreign_dataarray_without_channel_dim_or_attrs():
    da = xr.DataArray(np.ones((3, 4)), dims=("y", "x"), coords={"y": [1.0, 1.5, 2.0]}, name="density")
    x = ss.Signal.from_xarray(da)
    assert x.domain["y"].step == 0.5 and x.domain["y"].origin == 1.0
    assert x.domain["x"].step == 1.0 and x.channels.names == ("density",) and x.kind == "generic"


def test_irregular_coordinates_are_refused():
    da = xr.DataArray(np.ones(3), dims=("t",), coords={"t": [0.0, 1.0, 3.0]})
    with pytest.raises(ss.InvalidParameterError, match="not regularly spaced"):
        ss.Signal.from_xarray(da)
    with pytest.raises(ss.InvalidTypeError, match=r"xarray\.DataArray"):
        ss.Signal.from_xarray(np.ones(3))


def test_dask_backed_round_trip_stays_lazy():
    dask_array = pytest.importorskip("dask.array")
    x = ss.Signal(dask_array.ones((6, 2), chunks=3), ss.Domain.from_shape((6,)))
    da = x.to_xarray()
    assert da.chunks is not None
    assert ss.Signal.from_xarray(da).is_lazy


def test_metadata_netcdf_cannot_hold_natively_round_trips(tmp_path):
    attrs = {"flag": True, "nothing": None, "pair": (1, "a"), "nested": ((0.5, "C4"), (1.0, "E4")),
             "table": {"k": [1, 2]}, "z": 1 + 2j, "n": np.int64(3), "band": np.array([1.0, 2.5, 4.0])}
    x = ss.Signal(np.ones((4, 2)), ss.Domain.from_shape((4,)), attrs=attrs)
    path = tmp_path / "attrs.nc"
    ss.save(x, path)
    for y in (ss.load(path), ss.Signal.from_xarray(xr.load_dataarray(path))):
        assert y.identical(x)
    assert y.attrs["pair"] == (1, "a") and y.attrs["flag"] is True and y.attrs["nothing"] is None


def test_unstorable_metadata_is_refused_by_name(tmp_path):
    x = ss.Signal(np.ones(3), ss.Domain.from_shape((3,)), attrs={"f": object()})
    assert x.to_xarray().attrs["f"] is x.attrs["f"]  # in memory, attrs are copied as they are
    with pytest.raises(ss.InvalidTypeError, match=r"attrs\['f'\] cannot be stored"):
        ss.save(x, tmp_path / "x.nc")


@pytest.mark.parametrize("make", ["synthesize", "spectrogram", "piano_roll"])
def test_signals_signalspace_produces_survive_netcdf(tmp_path, make):
    melody = ss.analysis.synthesize(["C4", "E4"], 0.25, sr=22050)
    signal = {"synthesize": lambda: melody, "spectrogram": lambda: ss.analysis.spectrogram(melody, n_fft=256),
              "piano_roll": lambda: ss.analysis.piano_roll(melody)}[make]()
    path = tmp_path / f"{make}.nc"
    ss.save(signal, path)
    assert ss.load(path).identical(signal)
    assert ss.Signal.from_xarray(xr.load_dataarray(path)).identical(signal)


def test_save_and_load_netcdf_for_any_kind(tmp_path):
    for x in (rich_signal(), ss.phasespace.hamiltonian(ss.phasespace.grid(spacetime=(2, 2, 2, 2),
                                                                         momentum=(3, 3, 3, 3)), mass=1.0)):
        path = tmp_path / f"{x.kind}.nc"
        ss.save(x, path)
        assert ss.load(path).identical(x)


def test_load_netcdf_lazily_with_chunks(tmp_path):
    pytest.importorskip("dask", reason="chunks= reads with dask, an optional extra")
    x = rich_signal()
    ss.save(x, tmp_path / "x.nc")
    lazy = ss.load(tmp_path / "x.nc", chunks={})
    assert lazy.is_lazy and lazy.compute().identical(x)


def test_failed_netcdf_save_leaves_nothing(tmp_path):
    dask_array = pytest.importorskip("dask.array")
    path = tmp_path / "x.nc"
    ss.save(rich_signal(), path)
    before = path.read_bytes()

    def explode(block):
        raise RuntimeError("disk on fire")

    bad = ss.Signal(dask_array.ones((6, 2), chunks=3).map_blocks(explode, dtype=float), ss.Domain.from_shape((6,)))
    with pytest.raises((ss.FileFormatError, RuntimeError), match="disk on fire"):
        ss.save(bad, path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["x.nc"]
    with pytest.raises(ss.InvalidTypeError, match=r"signalspace\.Signal"):
        ss.save(np.ones(3), tmp_path / "y.nc")


def test_coordinates_a_signal_cannot_hold_are_refused_or_dropped_on_request():
    da = xr.DataArray(np.ones((3, 4)), dims=("x", "y"),
                      coords={"lat": (("x", "y"), np.arange(12.0).reshape(3, 4)), "when": "today", "level": 5})
    with pytest.raises(ss.InvalidParameterError, match=r"\['lat', 'when'\]"):
        ss.Signal.from_xarray(da)
    kept = ss.Signal.from_xarray(da, drop_coords=True)
    assert kept.shape == (3, 4, 1) and kept.scalar_coords["level"].origin == 5.0  # a numeric scalar coordinate


def test_scalar_coordinates_round_trip_and_equal_xarrays_selection(tmp_path):
    x = rich_signal((5, 4), c=3)
    row = x.isel(band=2)
    da = x.to_xarray()
    theirs = da.isel(band=2)
    ours = row.to_xarray()
    assert float(ours.coords["band"]) == float(theirs.coords["band"]) == 95.0
    assert ours.coords["band"].attrs["units"] == "Hz"
    np.testing.assert_array_equal(ours.values, theirs.values)
    # back from xarray's own selection, and through a netCDF file
    assert ss.Signal.from_xarray(theirs).scalar_coords == row.scalar_coords
    assert ss.Signal.from_xarray(ours).identical(row)
    path = tmp_path / "row.nc"
    ours.to_netcdf(path)
    assert ss.Signal.from_xarray(xr.load_dataarray(path)).identical(row)
    # sel with method="nearest" picks what xarray picks
    t = float(x.domain["time"].coords[3]) + 1e-5
    assert ss.Signal.from_xarray(da.sel(time=t, method="nearest")).identical(x.sel(time=t, method="nearest"))
    # a channel picked by xarray names the one channel left
    assert ss.Signal.from_xarray(da.sel(channel="b1")).channels.names == ("b1",)


def test_reduced_signals_round_trip_and_equal_xarrays_reductions(tmp_path):
    x = rich_signal((5, 4), c=3).isel(time=1)
    da = x.to_xarray()
    for name, dims in (("mean", "band"), ("std", ["band", "channel"]), ("max", "channel"), ("sum", None)):
        ours = getattr(x, name)(dims)
        theirs = getattr(da, name)(dims)
        np.testing.assert_allclose(np.squeeze(ours.values), np.squeeze(theirs.values))
        assert float(ours.to_xarray().coords["time"]) == float(theirs.coords["time"])  # the scalar coordinate stays
        path = tmp_path / f"{name}.nc"
        ours.to_xarray().to_netcdf(path)
        assert ss.Signal.from_xarray(xr.load_dataarray(path)).identical(ours)
