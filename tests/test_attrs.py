"""User attributes in files: exact round trips, nothing a CF reader reinterprets, bounded decoding."""

import importlib.util
import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import signalspace as ss
from signalspace import _attrs

# ------------------------------------------------------------------ what the codec accepts, drawn at random
_dtypes = st.one_of(hnp.boolean_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
                    hnp.floating_dtypes(), hnp.complex_number_dtypes())
_arrays = _dtypes.flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
_numpy_scalars = _dtypes.flatmap(hnp.from_dtype).map(lambda v: v if isinstance(v, np.generic) else np.asarray(v)[()])
_keys = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
                  st.binary(max_size=4))
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(), st.binary(max_size=16),
    st.complex_numbers(allow_nan=True, allow_infinity=True), _numpy_scalars, _arrays,
)
_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(_keys, inner, max_size=4),
        st.frozensets(_keys, max_size=4),
        st.sets(_keys, max_size=4),
    ),
    max_leaves=12,
)
_attr_maps = st.dictionaries(st.text(max_size=12), _values, max_size=5)


def same(a, b) -> bool:
    """Equal values of the same type, bit for bit for numbers (NaN == NaN, 0.0 != -0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return a.dtype == b.dtype and np.shape(a) == np.shape(b) and np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(va, vb)
                                        for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True))
    return a == b


@given(_attr_maps)
def test_every_accepted_attribute_round_trips_exactly_through_the_codec(attrs):
    assert same(_attrs.decode(_attrs.encode(attrs)), attrs)


@settings(max_examples=15)
@given(attrs=_attr_maps, suffix=st.sampled_from([".nc", ".zarr"] if importlib.util.find_spec("zarr") else [".nc"]))
def test_every_accepted_attribute_round_trips_exactly_through_netcdf_and_zarr(tmp_path_factory, attrs, suffix):
    path = tmp_path_factory.mktemp("attrs") / f"x{suffix}"
    x = ss.Signal(np.arange(3.0), ss.Domain.from_shape((3,)), attrs=attrs)
    ss.save(x, path)
    assert same(dict(ss.load(path).attrs), attrs)


# ------------------------------------------------------------------ no reader reinterprets a user attribute
@pytest.mark.parametrize("attrs", [
    {"scale_factor": 2.0}, {"add_offset": 1.0}, {"_FillValue": 3.0}, {"missing_value": 3.0},
    {"units": "days since 2000-01-01"}, {"calendar": "noleap", "units": "hours since 1970-01-01"},
    {"valid_range": np.array([0.0, 1.0])}, {"dtype": "bool"}, {"_Unsigned": "true"}, {"coordinates": "x0"},
    {"signalspace_literal_attrs": "['a']"}, {"a/b": 1, " a": 2, "": 3, "\x00": "\x00x"},
])
def test_cf_named_attributes_change_nothing_for_signalspace_or_xarray(tmp_path, attrs):
    values = np.array([0.0, 3.0, 6.0])
    x = ss.Signal(values, ss.Domain.from_shape((3,)), attrs=attrs)
    path = tmp_path / "x.nc"
    ss.save(x, path)
    y = ss.load(path)
    assert y.identical(x) and same(dict(y.attrs), attrs)
    foreign = xr.load_dataarray(path)  # xarray's own reader, with all of CF decoding on
    np.testing.assert_array_equal(foreign.values[:, 0], values)
    assert ss.Signal.from_xarray(foreign).identical(x)


def test_time_like_axis_units_stay_text_through_netcdf(tmp_path):
    axis = ss.Axis("t", 4, step=0.5, origin=10.0, unit="days since 2000-01-01")
    x = ss.Signal(np.arange(4.0), ss.Domain([axis]), ss.Channels(("v",), coords={"w": [1.0]}, units={"w": "seconds"}))
    path = tmp_path / "x.nc"
    ss.save(x, path)
    assert ss.load(path).identical(x)


def test_reserved_attribute_names_are_refused_on_save(tmp_path):
    for key in sorted(_attrs.RESERVED):
        x = ss.Signal(np.zeros(2), ss.Domain.from_shape((2,)), attrs={key: "mine"})
        with pytest.raises(ss.InvalidParameterError, match=f"'{key}'.*reserved"):
            ss.save(x, tmp_path / "x.nc")
        assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("text", ["c\x00", "\x00", "a\x00b"])
def test_nul_in_names_is_refused_never_cut(text):
    with pytest.raises(ss.InvalidParameterError, match="NUL"):
        ss.Channels(("a", text))
    with pytest.raises(ss.InvalidParameterError, match="NUL"):
        ss.Axis(text, 3)
    with pytest.raises(ss.InvalidParameterError, match="NUL"):
        ss.Axis("t", 3, unit=text)
    with pytest.raises(ss.InvalidParameterError, match="NUL"):
        ss.Channels(("a", "b"), coords={"label": ["x", text]})
    with pytest.raises(ss.InvalidParameterError, match="NUL"):
        ss.Domain.from_shape((2,), kind=text)


# ------------------------------------------------------------------ what the codec refuses, by name
class Color(int):
    pass


@pytest.mark.parametrize(("attrs", "error", "match"), [
    ({"f": object()}, ss.InvalidTypeError, r"attrs\['f'\] cannot be stored"),
    ({"d": {"k": [1, np.datetime64("2000-01-01")]}}, ss.InvalidTypeError, r"attrs\['d'\]\['k'\]\[1\]"),
    ({"s": np.array(["a", "b"])}, ss.InvalidTypeError, r"attrs\['s'\].*dtype <U1"),
    ({"sub": Color(3)}, ss.InvalidTypeError, r"attrs\['sub'\].*Color"),
    ({"big": 10**5000}, ss.InvalidParameterError, "cannot be stored"),
    ({"huge": "x" * (5 * 2**20)}, ss.InvalidParameterError, "over the 4194304-byte limit"),
])
def test_unstorable_attributes_are_refused_with_their_path(tmp_path, attrs, error, match):
    x = ss.Signal(np.zeros(2), ss.Domain.from_shape((2,)), attrs=attrs)
    with pytest.raises(error, match=match):
        ss.save(x, tmp_path / "x.nc")
    assert not list(tmp_path.iterdir())


def test_self_containing_or_too_deep_values_are_refused():
    loop: list = []
    loop.append(loop)
    deep: list = []
    for _ in range(40):
        deep = [deep]
    for value in (loop, deep):
        with pytest.raises(ss.InvalidParameterError, match="more than 32 deep"):
            _attrs.encode({"v": value})
    _attrs.encode({"v": deep[0][0][0][0][0][0][0][0][0]})  # 31 levels: fine


# ------------------------------------------------------------------ hostile texts: a named error, nothing evaluated
_NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(("text", "match"), [
    (5, "must be a JSON string"),
    (None, "must be a JSON string"),
    (np.array([1, 2]), "must be a JSON string"),
    ("x" * (_attrs.LIMITS.max_bytes + 1), "over the 4194304-byte limit"),
    (_NESTED, "nests 100000 levels deep"),
    ('{"dict": [["a", ' + "[" * 200 + "]" * 200 + "]]}", "nests 203 levels deep"),
    ("__import__('os').system('echo hacked')", "not a valid signalspace encoding"),
    ("9**9**9**9", "not a valid signalspace encoding"),
    ('f"{1}"', "not a valid signalspace encoding"),
    ("[[1]]", r"expected a \{'dict'"),
    ('{"dict": [["a", NaN]]}', "bare NaN"),
    ('{"dict": [["a", 1], ["a", 2]]}', "appears twice"),
    ('{"dict": [[["k"], 1]]}', "must be hashable"),
    ('{"dict": [["a", {"eval": "1"}]]}', "unknown tag 'eval'"),
    ('{"dict": [["a", {"float": "1e400"}]]}', "'float' must be"),
    ('{"dict": [["a", {"bytes": "!!"}]]}', "invalid base64"),
    ('{"dict": [["a", {"array": {"dtype": "|O", "shape": [1], "data": ""}}]]}', "dtype must be"),
    ('{"dict": [["a", {"array": {"dtype": "<f8", "shape": [10000000000], "data": ""}}]]}', "needs 80000000000 bytes"),
    ('{"dict": [["a", {"array": {"dtype": "<f8", "shape": [-1], "data": ""}}]]}', "non-negative"),
    ('{"dict": [["a", {"set": [[1]]}]]}', "unhashable"),
    ('{"dict": [["a", 1' + "0" * 5000 + "]]}", "not a valid signalspace encoding"),
])
def test_hostile_encoded_attributes_raise_a_named_error(text, match):
    with pytest.raises(ss.InvalidParameterError, match=match):
        _attrs.decode(text)


def test_a_hostile_attribute_in_a_file_is_a_file_format_error_naming_the_file(tmp_path):
    path = tmp_path / "x.nc"
    ss.save(ss.Signal(np.zeros(2), ss.Domain.from_shape((2,))), path)
    for text in ('{"dict": [["a", {"eval": "1"}]]}', _NESTED, "x" * (_attrs.LIMITS.max_bytes + 1)):
        da = xr.load_dataarray(path)
        da.attrs["signalspace_attrs"] = text
        da.to_netcdf(path)
        with pytest.raises(ss.FileFormatError, match=r"cannot read netCDF file .*x\.nc.*signalspace_attrs"):
            ss.load(path)
