"""Hostile-input corpus, the I/O layer: absurd arguments, odd paths and odd arrays give a named error or the
right result, never a raw traceback or a silent change.

One table-driven test per class of input.
"""

import importlib.util
import os

import numpy as np
import pytest
import soundfile as sf

import signalspace as ss


@pytest.fixture
def files(tmp_path):
    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros((2**17, 2)), 8000, subtype="FLOAT")
    nc = tmp_path / "a.nc"
    ss.save(ss.Signal(np.arange(4.0), ss.Domain.from_shape((4,))), nc)
    png = tmp_path / "a.png"
    ss.save(ss.image.from_array(np.zeros((4, 4), np.uint8)), png)
    return {"wav": wav, "nc": nc, "png": png, "dir": tmp_path}


def tone(n=100):
    return ss.audio.from_array(np.zeros(n, dtype=np.float32), sr=8000)


# ------------------------------------------------------------------- absurd numbers in read arguments
ABSURD_READS = {  # name: (file, keywords, error, message)
    "offset=1e308": ("wav", {"offset": 1e308}, ss.InvalidParameterError, "offset 1e.308 s is past the end"),
    "offset=1e308, lazily": ("wav", {"offset": 1e308, "chunks": 100}, ss.InvalidParameterError, "past the end"),
    "offset=nan": ("wav", {"offset": float("nan")}, ss.InvalidParameterError, "offset must be finite"),
    "offset=-1": ("wav", {"offset": -1}, ss.InvalidParameterError, "offset must be >= 0"),
    "duration=-1": ("wav", {"duration": -1}, ss.InvalidParameterError, "duration must be > 0"),
    "sr=1e12": ("wav", {"sr": 1e12}, ss.InvalidParameterError, "by a factor 1.25e.08; load resamples by at most"),
    "sr=1e-12": ("wav", {"sr": 1e-12}, ss.InvalidParameterError, "by a factor 1.25e-16"),
    "sr=0.5 (no sample left)": ("wav", {"sr": 0.5, "duration": 0.01}, ss.InvalidParameterError, "leaves no sample"),
    "sr=inf": ("wav", {"sr": float("inf")}, ss.InvalidParameterError, "sr must be finite"),
    "sr with an integer dtype": ("wav", {"sr": 16000, "dtype": "int16"}, ss.InvalidParameterError,
                                 "needs a float dtype"),
    "dtype=float16": ("wav", {"dtype": "float16"}, ss.InvalidParameterError, "dtype must be one of"),
    "chunks=0": ("wav", {"chunks": 0}, ss.InvalidParameterError, "chunks must be an integer >= 1"),
    "chunks=True": ("wav", {"chunks": True}, ss.InvalidTypeError, "chunks must be a number of frames"),
    "netCDF chunks='x'": ("nc", {"chunks": "x"}, ss.FileFormatError, "chunks must be"),
    "image spacing=0": ("png", {"spacing": 0}, ss.InvalidParameterError, "spacing must be > 0"),
    "image layout='cmyk'": ("png", {"layout": "cmyk"}, ss.UnknownNameError, "layout must be one of"),
}


@pytest.mark.parametrize(("which", "keywords", "error", "match"), ABSURD_READS.values(), ids=ABSURD_READS.keys())
def test_absurd_read_arguments_are_named_errors(files, which, keywords, error, match):
    if "chunks" in keywords:
        pytest.importorskip("dask")
    with pytest.raises(error, match=match):
        ss.load(files[which], **keywords)


EXTREME_BUT_FINE = {  # name: (file, keywords, expected frames)
    "duration=1e308 reads to the end": ("wav", {"duration": 1e308}, 2**17),
    "chunks=10**30 is one chunk": ("wav", {"chunks": 10**30}, 2**17),
    "offset just before the end": ("wav", {"offset": (2**17 - 1) / 8000}, 1),
    "sr at the largest factor down": ("wav", {"sr": 8000 / 2**16, "dtype": "float64"}, 2),
}


@pytest.mark.parametrize(("which", "keywords", "frames"), EXTREME_BUT_FINE.values(), ids=EXTREME_BUT_FINE.keys())
def test_extreme_but_valid_read_arguments_work(files, which, keywords, frames):
    if "chunks" in keywords:
        pytest.importorskip("dask")
    assert ss.load(files[which], **keywords).shape[0] == frames


# ------------------------------------------------------------------- paths the OS refuses
BAD_PATHS = {  # name: (path relative to the folder, error, message)
    "5 000-character name": ("a" * 5000 + ".wav", ss.FileFormatError, r"\(5\d{3} characters\).*File name too long"),
    "300-character name": ("a" * 300 + ".wav", ss.FileFormatError, "too long"),
    "NUL in the name": ("a\x00b.wav", ss.FileFormatError, "NUL character"),
    "a folder": (".", ss.FileFormatError, "is not a regular file"),
    "a missing file": ("missing.wav", ss.FileFormatError, "does not exist"),
    "an empty name": ("", ss.InvalidTypeError, "non-empty path"),
}


@pytest.mark.parametrize(("name", "error", "match"), BAD_PATHS.values(), ids=BAD_PATHS.keys())
def test_paths_the_os_refuses_are_named_errors_on_load_and_save(files, name, error, match):
    path = os.path.join(files["dir"], name) if name else ""
    with pytest.raises(error, match=match):
        ss.load(path)
    if name not in (".", "missing.wav"):
        with pytest.raises(error, match=match if name else "non-empty path"):
            ss.save(tone(), path)
    assert sorted(p.name for p in files["dir"].iterdir()) == ["a.nc", "a.png", "a.wav"]


def test_names_as_long_as_the_file_system_allows_save_and_load(tmp_path):
    for ext in ("wav", "nc", "png"):
        path = tmp_path / ("n" * (255 - 1 - len(ext)) + "." + ext)  # 255 bytes: the temporary name is shortened
        x = tone() if ext != "png" else ss.image.from_array(np.zeros((3, 3), np.uint8))
        ss.save(x, path)
        assert ss.load(path).shape == x.shape
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------------- unknown keywords
UNKNOWN_KEYWORDS = {  # name: (call, message)
    "load a WAV": (lambda f: ss.load(f["wav"], rate=8000), r"audio\.load\(\) got an unexpected keyword .*'rate'.*sr"),
    "load a netCDF file": (lambda f: ss.load(f["nc"], engine="h5"), r"load_netcdf\(\) got .*'engine'.*chunks"),
    "load a PNG": (lambda f: ss.load(f["png"], mode="L"), r"image\.load\(\) got .*'mode'.*spacing"),
    "save a WAV": (lambda f: ss.save(tone(), f["wav"], bits=16), r"audio\.save\(\) got .*'bits'.*subtype"),
    "save a PNG": (lambda f: ss.save(ss.image.from_array(np.zeros((2, 2))), f["png"], quality=9), "'quality'"),
    "save a netCDF file": (lambda f: ss.save(tone(), f["nc"], compression="zlib"), "unexpected keyword"),
}


@pytest.mark.parametrize(("call", "match"), UNKNOWN_KEYWORDS.values(), ids=UNKNOWN_KEYWORDS.keys())
def test_unknown_keywords_are_named_errors_listing_the_known_ones(files, call, match):
    with pytest.raises(ss.SignalspaceError, match=match):
        call(files)


# ------------------------------------------------------------------- names that are not UTF-8
@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin", reason="needs a file system of bytes")
@pytest.mark.parametrize(("ext", "make", "lazy"), [
    ("wav", tone, {"chunks": 64}), ("flac", tone, {"chunks": 64}), ("nc", tone, {"chunks": {}}),
    ("png", lambda: ss.image.from_array(np.arange(9, dtype=np.uint8).reshape(3, 3)), None),
])
def test_file_names_that_are_not_utf8_save_and_load(tmp_path, ext, make, lazy):
    path = os.path.join(tmp_path, f"caf\udce9-{ext}.{ext}")  # the byte 0xe9 alone: Latin-1, not UTF-8
    x = make()
    ss.save(x, path)
    assert os.listdir(tmp_path) == [os.path.basename(path)]
    assert np.array_equal(ss.load(path).values, x.values)
    if lazy is not None and importlib.util.find_spec("dask") is not None:
        assert np.array_equal(ss.load(path, **lazy).compute().values, x.values)


# ------------------------------------------------------------------- shapes a reader must not guess
def test_a_wav_with_1024_channels_loads_with_its_channels_last(tmp_path):
    path = tmp_path / "many.wav"
    data = np.random.default_rng(0).uniform(-1, 1, (100, 1024)).astype(np.float32)
    sf.write(path, data, 8000, subtype="FLOAT")
    lazily = [ss.load(path, chunks=30).compute()] if importlib.util.find_spec("dask") is not None else []
    for x in (ss.load(path), *lazily):
        assert x.shape == (100, 1024) and x.channels.names[-1] == "ch1023"
        np.testing.assert_array_equal(x.values, data)


# ------------------------------------------------------------------- masked arrays
_MASKED = np.ma.masked_array(np.arange(4.0), mask=[False, True, False, False])
MASKED = {  # name: build from a masked array
    "Signal": lambda m: ss.Signal(m, ss.Domain.from_shape((4,))),
    "audio.from_array": lambda m: ss.audio.from_array(m, sr=8000),
    "image.from_array": lambda m: ss.image.from_array(np.ma.resize(m, (2, 2))),
    "phasespace.from_array": lambda m: ss.phasespace.from_array(np.ma.resize(m, (1,) * 7 + (4,))),
}


@pytest.mark.parametrize("build", MASKED.values(), ids=MASKED.keys())
def test_masked_arrays_are_refused_unless_filled_explicitly(build):
    with pytest.raises(ss.InvalidTypeError, match=r"masked array hiding 1 of 4 values.*filled\(np\.nan\)"):
        build(_MASKED)
    filled = build(_MASKED.filled(np.nan))
    assert np.isnan(np.asarray(filled)).sum() == 1
    unmasked = build(np.ma.masked_array(np.arange(4.0), mask=False))  # a mask that hides nothing is no loss
    assert np.array_equal(np.asarray(unmasked).ravel(), np.arange(4.0))


# ------------------------------------------------------------------- what netCDF formats cannot hold natively
@pytest.mark.parametrize("fmt", ["NETCDF4", "NETCDF3_64BIT"])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32", "uint64", "int64", "bool", "float16", "complex64",
                                   "complex128"])
def test_every_dtype_round_trips_exactly_through_netcdf(tmp_path, fmt, dtype):
    values = np.random.default_rng(1).integers(0, 2, (5, 2)).astype(dtype) * np.array(1, dtype)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * values[::-1]
    x = ss.Signal(values, ss.Domain.from_shape((5,)))
    path = tmp_path / "x.nc"
    ss.save(x, path, format=fmt)
    assert ss.load(path).identical(x)
    if importlib.util.find_spec("dask") is not None:
        assert ss.load(path, chunks={}).compute().identical(x)


def test_netcdf_write_options_that_name_no_variable_are_named_errors(tmp_path):
    with pytest.raises(ss.FileFormatError, match="cannot write netCDF file"):
        ss.save(tone(), tmp_path / "x.nc", encoding={"nope": {"zlib": True}})
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- optional dependencies that are missing
WITHOUT_DASK = r"""
import sys
sys.modules["dask"] = sys.modules["distributed"] = sys.modules["zarr"] = None  # as if none were installed
import numpy as np
import signalspace as ss
from signalspace.cli import main
wav, nc = sys.argv[1], sys.argv[2]
calls = {
    "audio": lambda: ss.load(wav, chunks=1000),
    "netcdf": lambda: ss.load(nc, chunks={}),
    "compute": lambda: ss.parallel.compute(np.ones(3)),
    "progress": lambda: ss.parallel.progress().__enter__(),
    "zarr": lambda: ss.save(ss.load(nc), nc + ".zarr"),
}
for name, call in calls.items():
    try:
        call()
        print(name, "no error")
    except ss.MissingDependencyError as exc:
        print(name, "named:", exc)
for flags in (["--chunks", "1000"], ["--scheduler", "tcp://127.0.0.1:9"]):
    print("cli", main(["notes", wav, *flags]))
ss.save(ss.load(nc), nc + ".copy.nc")  # in memory: dask is not needed
print(ss.load(wav).shape)
"""


def test_lazy_reads_and_the_cli_without_dask_are_named_errors(files):
    """Without dask, distributed or zarr, what needs them says so and how to install them; what does not, works."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", WITHOUT_DASK, str(files["wav"]), str(files["nc"])],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    for name in ("audio", "netcdf", "compute", "progress", "zarr"):
        line = next(line for line in lines if line.startswith(name + " "))
        extra = "zarr" if name == "zarr" else "dask"
        assert "named:" in line and f"pip install 'signalspace[{extra}]'" in line, line
    assert lines.count("cli 2") == 2, run.stdout
    assert "needs dask" in run.stderr and "--scheduler needs distributed" in run.stderr
    assert lines[-1] == "(131072, 2)"
