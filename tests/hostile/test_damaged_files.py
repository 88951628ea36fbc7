"""Hostile-input corpus, damaged files: every cut or corrupt file is refused or flagged, never read as valid data.

One table-driven test per class: files cut short, files with corrupt headers, compressed audio cut short
(read, with a warning giving decoded vs declared length).
"""

import struct

import numpy as np
import pytest
import soundfile as sf
import tifffile
import xarray as xr

import signalspace as ss


def _netcdf(tmp_path, fmt, engine="netcdf4", n=20_000):
    path = tmp_path / f"x-{fmt}.nc"
    x = ss.Signal(np.arange(float(n)), ss.Domain.from_shape((n,)))
    ss.save(x, path, format=fmt, engine=engine)
    return path


def _record_netcdf(tmp_path, fmt):
    path = tmp_path / f"rec-{fmt}.nc"
    xr.DataArray(np.ones((50, 3), "f4"), dims=("t", "y")).to_netcdf(path, format=fmt, unlimited_dims=["t"])
    return path


def _tiff(tmp_path, compression=None):
    path = tmp_path / "x.tif"
    tifffile.imwrite(path, (np.arange(64 * 48) % 251).astype(np.uint8).reshape(64, 48), compression=compression)
    return path


def _audio(tmp_path, ext, subtype=None, rate=22050, seconds=5):
    path = tmp_path / f"x.{ext}"
    t = np.arange(rate * seconds) / rate
    sf.write(path, (0.3 * np.sin(2 * np.pi * 440 * t * (1 + t / 40))).astype(np.float32), rate, subtype=subtype)
    return path


def cut(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)] if isinstance(keep, float) else data[:keep])
    return path


def patch(path, offset, raw):
    data = bytearray(path.read_bytes())
    data[offset : offset + len(raw)] = raw
    path.write_bytes(bytes(data))
    return path


def tiff_tag_value_offset(path, code):
    with tifffile.TiffFile(path) as tif:
        return tif.pages[0].tags[code].valueoffset


# ---------------------------------------------------------------------------------------- cut short: refused
CUT_FILES = {  # name: (make the file, what the error says)
    "netCDF3 classic, 4000 bytes cut": (lambda p: cut(_netcdf(p, "NETCDF3_CLASSIC"), -4000), "(4000 missing)"),
    "netCDF3 64-bit offset (scipy), 4000 bytes cut": (
        lambda p: cut(_netcdf(p, "NETCDF3_64BIT", "scipy"), -4000), "is truncated: its header places data"),
    "netCDF3 64-bit data (CDF-5), 8 bytes cut": (lambda p: cut(_netcdf(p, "NETCDF3_64BIT_DATA"), -8), "(8 missing)"),
    "netCDF3 record variables, 1 record cut": (
        lambda p: cut(_record_netcdf(p, "NETCDF3_CLASSIC"), -12), "(12 missing)"),
    "netCDF3 cut inside its header": (
        lambda p: cut(_netcdf(p, "NETCDF3_CLASSIC"), 40), r"truncated.*(header ends after|40-byte file)"),
    "netCDF4 (HDF5), 4000 bytes cut": (lambda p: cut(_netcdf(p, "NETCDF4"), -4000), "cannot read netCDF.*HDF error"),
    "TIFF, pixels cut": (lambda p: cut(_tiff(p), -100), "failed to read 3072 bytes, got 2972"),
    "TIFF (deflate), pixels cut": (lambda p: cut(_tiff(p, "zlib"), 0.8), "truncated stream"),
    "PNG, cut in half": (
        lambda p: (ss.image.save(ss.image.sample("coins"), p / "x.png"), cut(p / "x.png", 0.5))[1], "is truncated"),
    "WAV, cut in half": (lambda p: cut(_audio(p, "wav"), 0.5), r"truncated.*should be 110264"),
    "FLAC, cut in half": (lambda p: cut(_audio(p, "flac"), 0.5), "flac decoder lost sync"),
    "OGG/Vorbis, cut to a third (no whole page left)": (lambda p: cut(_audio(p, "ogg"), 0.3), "file is malformed"),
}


@pytest.mark.parametrize(("make", "match"), CUT_FILES.values(), ids=CUT_FILES.keys())
def test_files_cut_short_are_refused(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(ss.FileFormatError, match=match) as info:
        ss.load(path)
    assert str(path) in str(info.value)


# ---------------------------------------------------------------------------------------- corrupt headers: refused
CORRUPT_FILES = {  # name: (make the file, what the error says)
    # BitsPerSample 8 -> 1: tifffile would read a boolean image of the same shape
    "TIFF bits per sample flipped to 1": (
        lambda p: patch(_tiff(p), tiff_tag_value_offset(_tiff(p), 258), b"\x01\x00"),
        "of 1 samples at 1 bits take 384"),
    "TIFF strip byte count halved": (
        lambda p: patch(_tiff(p), tiff_tag_value_offset(_tiff(p), 279), struct.pack("<I", 64 * 48 // 2)),
        "stores 1536 bytes of uncompressed pixels"),
    "TIFF bits per sample of an unknown type": (
        lambda p: patch(_tiff(p), tiff_tag_value_offset(_tiff(p), 258) - 6, b"\xc8\x00"), "is corrupt"),
    "netCDF3 variable count beyond the file": (
        lambda p: _classic_count_patched(p, 10**8), r"counts 100000000 list entries, more than the \d+-byte file"),
    "netCDF3 unknown list tag": (
        lambda p: patch(_netcdf(p, "NETCDF3_CLASSIC"), 8, b"\x00\x00\x00\x07"),
        r"corrupt \(or truncated\) header: expected list tag"),
}


def _classic_count_patched(tmp_path, count):
    path = _netcdf(tmp_path, "NETCDF3_CLASSIC", n=10)
    data = path.read_bytes()
    at = data.index(b"\x00\x00\x00\x0b")  # NC_VARIABLE, then the number of variables
    return patch(path, at + 4, struct.pack(">I", count))


@pytest.mark.parametrize(("make", "match"), CORRUPT_FILES.values(), ids=CORRUPT_FILES.keys())
def test_files_with_corrupt_headers_are_refused(tmp_path, make, match):
    path = make(tmp_path)
    with pytest.raises(ss.FileFormatError, match=match) as info:
        ss.load(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------- compressed audio cut short: read, with a warning
CUT_AUDIO = {  # (ext, subtype, rate, seconds, part kept, what the warning says)
    "MP3 cut in half": ("mp3", None, 22050, 5, 0.5, r"decoded \d+ frames from frame 0, its header declares 110250"),
    "MP3 cut to 90 %": ("mp3", None, 22050, 5, 0.9, r"decoded \d+ frames from frame 0, its header declares 110250"),
    "OGG/Vorbis cut to 90 %": ("ogg", None, 22050, 20, 0.9, "ends without its last page"),
    "OGG/Opus cut in half": ("ogg", "OPUS", 48000, 5, 0.5, "ends without its last page"),
}


@pytest.mark.parametrize(("ext", "subtype", "rate", "seconds", "keep", "match"), CUT_AUDIO.values(),
                         ids=CUT_AUDIO.keys())
def test_compressed_audio_cut_short_is_read_with_a_warning(tmp_path, ext, subtype, rate, seconds, keep, match):
    path = cut(_audio(tmp_path, ext, subtype, rate, seconds), keep)
    with pytest.warns(ss.FileIntegrityWarning, match=match):
        x = ss.load(path)
    assert 0 < x.shape[0] < rate * seconds


def test_intact_files_of_the_same_kinds_load_without_a_warning(tmp_path):
    # the other side of the tables above: nothing is flagged on a whole file (warnings are errors here)
    paths = [_netcdf(tmp_path, f) for f in ("NETCDF3_CLASSIC", "NETCDF3_64BIT_DATA", "NETCDF4")]
    paths += [_record_netcdf(tmp_path, "NETCDF3_CLASSIC"), _tiff(tmp_path), _audio(tmp_path, "mp3"),
              _audio(tmp_path, "ogg"), _audio(tmp_path, "ogg", "OPUS", 48000)]
    for path in paths:
        assert ss.load(path).shape[0] > 0


@pytest.mark.parametrize(("fmt", "engine"), [("NETCDF3_CLASSIC", "netcdf4"), ("NETCDF3_64BIT", "scipy"),
                                             ("NETCDF3_64BIT_DATA", "netcdf4")])
def test_every_cut_of_a_classic_netcdf_file_beyond_its_padding_is_seen(tmp_path, fmt, engine):
    import io

    from signalspace._netcdf_classic import _Corrupt, _Truncated, expected_size

    path = tmp_path / "mixed.nc"
    ds = xr.Dataset({"fixed": (("x", "y"), np.ones((7, 3), "f4")), "r1": ("t", np.arange(5, dtype="i2")),
                     "r2": (("t", "y"), np.ones((5, 3), "i1")), "r3": ("t", np.zeros(5))}, attrs={"note": "abc"})
    ds.to_netcdf(path, format=fmt, engine=engine, unlimited_dims=["t"])
    data = path.read_bytes()
    assert expected_size(io.BytesIO(data), len(data)) <= len(data)
    for size in range(4, len(data) - 3):  # the last 1..3 bytes may be padding
        try:
            needed = expected_size(io.BytesIO(data[:size]), size)
        except (_Truncated, _Corrupt):
            continue
        assert needed > size, size
