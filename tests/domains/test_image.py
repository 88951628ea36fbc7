"""Image adapter against scikit-image, with real files in tmp_path."""

from __future__ import annotations

import os

import numpy as np
import pytest
import skimage.data
import tifffile
from hypothesis import assume, given
from hypothesis import strategies as st
from skimage import io
from skimage.util import img_as_float, img_as_ubyte

import signalspace as ss

DATA_DIR = os.path.dirname(skimage.data.__file__)


# ------------------------------------------------------------------ samples
@pytest.mark.parametrize("name", sorted(ss.image.SAMPLES))
def test_every_sample_is_bundled_and_equals_skimage(name):
    assert os.path.isfile(os.path.join(DATA_DIR, ss.image.SAMPLES[name]))  # no download possible
    img = ss.image.sample(name)
    ref = getattr(skimage.data, name)()
    expected = ref if ref.ndim == 3 else ref[..., np.newaxis]
    np.testing.assert_array_equal(img.values, expected)
    assert img.kind == "image" and img.domain.names == ("row", "col")
    assert img.channels.layout == {1: "gray", 3: "rgb", 4: "rgba"}[expected.shape[-1]]


def test_known_shapes_of_some_samples():
    assert ss.image.sample("astronaut").channels.names == ("R", "G", "B")
    assert ss.image.sample("logo").channels.names == ("R", "G", "B", "A")
    assert ss.image.sample("coins").shape == (303, 384, 1)


@pytest.mark.parametrize("name", ["cat", "eagle", "cells3d", "brain", "data_dir", "download_all", "", 3])
def test_non_bundled_or_unknown_samples_are_refused(name):
    with pytest.raises(ss.UnknownNameError) as info:
        ss.image.sample(name)
    message = str(info.value)
    assert "astronaut" in message and "camera" in message and "nothing is downloaded" in message
    assert repr(name) in message


# ---------------------------------------------------------------- from_array
@given(
    rows=st.integers(1, 12),
    cols=st.integers(1, 12),
    c=st.integers(1, 6),
    channel_axis=st.sampled_from([0, 1, 2, -1, -3]),
    dtype=st.sampled_from([np.uint8, np.float32, np.float64, np.uint16]),
)
def test_from_array_moves_the_channel_axis_like_numpy(rows, cols, c, channel_axis, dtype):
    rng = np.random.default_rng(rows * 100 + cols * 10 + c)
    pixels = (rng.random((rows, cols, c)) * 200).astype(dtype)  # channels last
    arr = np.moveaxis(pixels, -1, channel_axis)
    before = arr.copy()
    waves = list(np.linspace(400, 700, c)) if c not in (1, 3, 4) else None
    x = ss.image.from_array(arr, channel_axis=channel_axis, wavelengths=waves)
    np.testing.assert_array_equal(x.values, pixels)
    assert np.array_equal(arr, before) and not np.shares_memory(x.values, arr)
    assert x.domain.shape == (rows, cols) and x.domain.units == ("px", "px")
    if waves is not None:
        assert x.channels.layout == "hyperspectral"
        assert x.channels.names == tuple(f"b{i}" for i in range(c))
        np.testing.assert_allclose(x.channels.coords["wavelength"], waves)
        assert x.channels.units["wavelength"] == "nm"


def test_gray_2d_and_spacing():
    arr = np.arange(12.0).reshape(3, 4)
    x = ss.image.from_array(arr, spacing=(0.5, 0.25), unit="mm")
    assert x.shape == (3, 4, 1) and x.channels.names == ("gray",)
    np.testing.assert_array_equal(x.domain["col"].coords, np.arange(4) * 0.25)
    assert x.domain["row"].step == 0.5 and x.domain.units == ("mm", "mm")
    assert ss.image.from_array(arr, channel_axis=None).channels.layout == "gray"
    assert ss.image.from_array(arr, spacing=2.0).domain.steps == (2.0, 2.0)


def test_wavelengths_survive_the_xarray_round_trip():
    x = ss.image.from_array(np.zeros((2, 3, 5)), wavelengths=[450, 500, 550, 600, 650])
    back = ss.Signal.from_xarray(x.to_xarray())
    assert back.identical(x)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((np.zeros((0, 4)),), {}, ss.ShapeError, "empty"),
        ((np.zeros((2, 3, 4, 5)),), {}, ss.ShapeError, "3 axes"),
        ((np.zeros((2, 3, 3)),), {"channel_axis": None}, ss.ShapeError, "channel_axis is None"),
        ((np.zeros((2, 3, 3)),), {"channel_axis": 3}, ss.InvalidParameterError, "channel_axis must be in"),
        ((np.zeros((2, 3, 3)),), {"channel_axis": 1.0}, ss.InvalidTypeError, "channel_axis must be an integer"),
        ((np.zeros((2, 3, 3)),), {"layout": "rgba"}, ss.ShapeError, "'rgba' has 4 channels"),
        ((np.zeros((2, 3, 3)),), {"layout": "cmyk"}, ss.UnknownNameError, "layout must be one of 'gray'"),
        ((np.zeros((2, 3, 5)),), {"layout": "hyperspectral"}, ss.InvalidParameterError, "needs wavelengths"),
        ((np.zeros((2, 3, 5)),), {"wavelengths": [1, 2]}, ss.ShapeError, "one value per channel"),
        ((np.zeros((2, 3, 2)),), {"wavelengths": [-1, 2]}, ss.InvalidParameterError, r"wavelengths\[0\] must be > 0"),
        ((np.zeros((2, 3)),), {"spacing": 0}, ss.InvalidParameterError, "spacing must be > 0"),
        ((np.zeros((2, 3)),), {"spacing": (1, float("nan"))}, ss.InvalidParameterError, r"spacing\[1\] must be"),
        ((np.zeros((2, 3)),), {"spacing": (1, 2, 3)}, ss.InvalidParameterError, "one per axis"),
    ],
)
def test_from_array_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.image.from_array(*args, **kwargs)


# ---------------------------------------------------------------- save/load
@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 3), (7, 9, 4)])
def test_png_round_trip_uint8_is_exact(tmp_path, rng, shape):
    arr = rng.integers(0, 256, shape, dtype=np.uint8)
    x = ss.image.from_array(arr)
    path = tmp_path / "img.png"
    ss.image.save(x, path)
    np.testing.assert_array_equal(io.imread(path), arr)  # independent reader
    back = ss.image.load(path)
    assert back.identical(x.replace(attrs={"source": str(path)}))


def test_png_uint16_and_tiff_float_round_trips(tmp_path, rng):
    deep = ss.image.from_array(rng.integers(0, 65536, (5, 6), dtype=np.uint16))
    ss.image.save(deep, tmp_path / "deep.png")
    np.testing.assert_array_equal(io.imread(tmp_path / "deep.png"), deep.values[..., 0])
    cube = ss.image.from_array(rng.random((5, 6, 7)).astype(np.float32), wavelengths=range(400, 470, 10))
    ss.image.save(cube, tmp_path / "cube.tif")
    back = ss.image.load(tmp_path / "cube.tif", wavelengths=range(400, 470, 10))
    np.testing.assert_array_equal(back.values, cube.values)
    assert back.channels == cube.channels


def test_float_is_converted_with_img_as_ubyte(tmp_path, rng):
    arr = rng.random((6, 5, 3))
    ss.image.save(ss.image.from_array(arr), tmp_path / "f.png")
    np.testing.assert_array_equal(io.imread(tmp_path / "f.png"), img_as_ubyte(arr))
    mask = rng.random((6, 5)) > 0.5
    ss.image.save(ss.image.from_array(mask), tmp_path / "m.png")
    np.testing.assert_array_equal(io.imread(tmp_path / "m.png"), img_as_ubyte(mask))


def test_jpeg_is_lossy_but_close(tmp_path):
    img = ss.image.sample("chelsea")
    ss.image.save(img, tmp_path / "c.jpg")
    back = ss.image.load(tmp_path / "c.jpg")
    assert back.shape == img.shape
    assert np.abs(back.values.astype(float) - img.values).mean() < 5


def test_save_refusals_leave_no_file(tmp_path):
    with pytest.raises(ss.InvalidParameterError, match=r"\[0, 1\].*got range"):
        ss.image.save(ss.image.from_array(np.full((3, 3), 2.5)), tmp_path / "a.png")
    with pytest.raises(ss.InvalidParameterError, match=r"0\.\.255"):
        ss.image.save(ss.image.from_array(np.full((3, 3), 300, dtype=np.int32)), tmp_path / "b.png")
    five = ss.image.from_array(np.zeros((3, 3, 5), np.uint8), wavelengths=[1, 2, 3, 4, 5])
    with pytest.raises(ss.InvalidParameterError, match=r"1, 3 or 4 channels.*\.tif"):
        ss.image.save(five, tmp_path / "c.png")
    with pytest.raises(ss.FileFormatError, match="image format"):
        ss.image.save(ss.image.from_array(np.zeros((3, 3))), tmp_path / "d.xyz")
    with pytest.raises(ss.ShapeError, match="2 axes"):
        ss.image.save(ss.audio.from_array(np.zeros(10), sr=10), tmp_path / "e.png")
    assert os.listdir(tmp_path) == []


def test_corrupt_and_truncated_images(tmp_path, rng):
    good = tmp_path / "good.png"
    io.imsave(good, rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), check_contrast=False)
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ss.FileFormatError, match=r"cut\.png"):
        ss.image.load(cut)
    with pytest.raises(ss.FileFormatError, match=r"cut\.png"):
        ss.load(cut)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(rng.integers(0, 256, 500, dtype=np.uint8).tobytes())
    with pytest.raises(ss.FileFormatError, match=r"garbage\.png"):
        ss.image.load(garbage)
    adapter = ss.domains.get("image")
    assert adapter.can_open(good) and not adapter.can_open(garbage)
    assert not adapter.can_open(tmp_path / "missing.png")


@pytest.mark.parametrize("ext", [".tif", ".tiff"])
def test_load_opens_the_tiffs_image_save_writes(tmp_path, rng, ext):
    # float64 and multi-band TIFFs (which Pillow cannot open) through ss.load, not only ss.image.load
    bands = [400, 450, 500, 550, 600]
    cube = ss.image.from_array(rng.random((8, 9, 5)), wavelengths=bands)
    ss.image.save(cube, tmp_path / f"h{ext}")
    gray = ss.image.from_array(img_as_float(ss.image.sample("camera").values[:32, :40, 0]))
    ss.image.save(gray, tmp_path / f"b{ext}")
    for path, signal in ((tmp_path / f"h{ext}", cube), (tmp_path / f"b{ext}", gray)):
        assert ss.domains.get("image").can_open(path)
        back = ss.load(path)
        assert back.kind == "image"
        np.testing.assert_array_equal(back.values, signal.values)
        np.testing.assert_array_equal(back.values, np.atleast_3d(tifffile.imread(path)))
    # a file with a TIFF name that tifffile cannot parse is not claimed, and ss.load says why
    junk = tmp_path / f"junk{ext}"
    junk.write_bytes(b"II*\x00" + rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
    assert not ss.domains.get("image").can_open(junk)
    with pytest.raises(ss.FileFormatError, match=rf"^(cannot read )?image file .*junk\{ext}"):
        ss.load(junk)


_DTYPES = ["uint8", "uint16", "int8", "int32", "float16", "float32", "float64", "complex64", "bool"]


@given(rows=st.integers(1, 6), cols=st.integers(1, 6), c=st.integers(1, 8), dtype=st.sampled_from(_DTYPES))
def test_tiff_round_trip_is_exact_for_any_small_shape_and_dtype(tmp_path_factory, rows, cols, c, dtype):
    # widths of 3 or 4 once read as RGB(A) samples, 2 channels as 2 pages: the channels are said, never guessed
    assume(not (dtype == "bool" and c > 1))  # refused: tifffile does not read back packed bits of several samples
    x = ss.image.from_array(np.random.default_rng(rows * cols * c).random((rows, cols, c)).astype(dtype))
    path = tmp_path_factory.mktemp("tif") / "x.tif"
    ss.save(x, path)
    assert ss.load(path).identical(x.replace(attrs={"source": str(path)}))


@given(rows=st.integers(1, 5), cols=st.integers(1, 5), c=st.sampled_from([1, 3, 4]),
       ext=st.sampled_from([".png", ".bmp", ".gif", ".webp"]), levels=st.sampled_from([2, 256]))
def test_8bit_formats_give_back_exactly_what_was_saved_or_refuse_it(tmp_path_factory, rows, cols, c, ext, levels):
    # GIF quantizes colours, WebP has no gray mode and was lossy by default, BMP drops alpha: never silently
    pixels = np.random.default_rng(rows * cols * c).integers(0, levels, (rows, cols, c)).astype(np.uint8)
    x = ss.image.from_array(pixels)
    path = tmp_path_factory.mktemp("img") / f"x{ext}"
    refused = None
    try:
        ss.save(x, path)
    except ss.InvalidParameterError as exc:
        refused = exc
    if refused is not None:
        assert "cannot hold this image exactly" in str(refused) and not path.exists()
    else:
        assert np.array_equal(ss.load(path).values, pixels)
    if ext == ".png":
        assert refused is None
