"""Audio adapter against soundfile and librosa, with real files in tmp_path."""

from __future__ import annotations

import os

import librosa
import numpy as np
import pytest
import soundfile as sf
from hypothesis import assume, given
from hypothesis import strategies as st

import signalspace as ss
from signalspace._io import atomic_path


def _sine(sr: int, n: int, freqs=(440.0, 660.0)) -> np.ndarray:
    t = np.arange(n) / sr
    return np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in freqs], axis=-1)  # (n, c) as soundfile


@pytest.fixture
def stereo_wav(tmp_path):
    path = tmp_path / "sine.wav"
    sf.write(path, _sine(8000, 4000), 8000, subtype="PCM_16")
    return path


# ------------------------------------------------------------------ reading
@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "int32"])
def test_load_equals_soundfile(stereo_wav, dtype):
    x = ss.audio.load(stereo_wav, dtype=dtype)
    ref, sr = sf.read(stereo_wav, dtype=dtype, always_2d=True)
    assert x.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.values, ref)
    assert x.kind == "audio"
    assert x.channels.names == ("L", "R") and x.channels.layout == "stereo"
    axis = x.domain["time"]
    assert axis.unit == "s" and axis.step == 1 / sr and axis.size == ref.shape[0]
    assert ss.audio.sample_rate(x) == sr and isinstance(ss.audio.sample_rate(x), int)
    assert x.attrs["subtype"] == "PCM_16" and x.attrs["format"] == "WAV"


@pytest.mark.parametrize("ext", ["flac", "ogg"])
def test_load_other_formats(tmp_path, ext):
    path = tmp_path / f"sine.{ext}"
    sf.write(path, _sine(16000, 3200), 16000)
    x = ss.audio.load(path)
    np.testing.assert_array_equal(x.values, sf.read(path, dtype="float32", always_2d=True)[0])
    assert ss.audio.sample_rate(x) == 16000


def test_offset_and_duration_match_soundfile(stereo_wav):
    x = ss.audio.load(stereo_wav, offset=0.1, duration=0.25)
    ref, _ = sf.read(stereo_wav, start=800, frames=2000, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(x.values, ref)
    assert x.domain["time"].origin == pytest.approx(0.1)
    # the time coordinates say where the samples sit in the file
    full = ss.audio.load(stereo_wav)
    np.testing.assert_array_equal(full.sel(time=slice(0.1, 0.1 + 1999 / 8000)).values, x.values)


def test_mono_is_librosa_to_mono(stereo_wav):
    x = ss.audio.load(stereo_wav, mono=True)
    y, _ = librosa.load(stereo_wav, sr=None, mono=True)
    assert x.channels.names == ("M",) and x.channels.layout == "mono"
    np.testing.assert_allclose(x.values[:, 0], y, rtol=0, atol=1e-7)


def test_resample_only_when_rate_differs(stereo_wav):
    same = ss.audio.load(stereo_wav, sr=8000)
    np.testing.assert_array_equal(same.values, sf.read(stereo_wav, dtype="float32", always_2d=True)[0])
    x = ss.audio.load(stereo_wav, sr=4000)
    y, _ = librosa.load(stereo_wav, sr=4000, mono=False)  # (c, n), soxr_hq like ours
    assert ss.audio.sample_rate(x) == 4000
    np.testing.assert_allclose(ss.audio.to_librosa(x), y, atol=1e-6)
    with pytest.raises(ss.InvalidParameterError, match="float dtype"):
        ss.audio.load(stereo_wav, sr=4000, dtype="int16")


# ------------------------------------------------------------------ writing
def test_pcm16_round_trip_is_bit_exact(tmp_path, rng):
    pcm = rng.integers(-32768, 32768, size=(2, 1000), dtype=np.int16)
    x = ss.audio.from_array(pcm, sr=22050)
    path = tmp_path / "pcm.wav"
    ss.audio.save(x, path, subtype="PCM_16")
    assert sf.info(path).subtype == "PCM_16"
    back = ss.audio.load(path, dtype="int16")
    np.testing.assert_array_equal(ss.audio.to_librosa(back), pcm)
    as_float = ss.audio.load(path, dtype="float64")
    np.testing.assert_array_equal(ss.audio.to_librosa(as_float), pcm / 32768.0)
    # and saving the float version back to PCM_16 gives the same integers
    again = tmp_path / "again.wav"
    ss.audio.save(as_float, again)  # subtype taken from attrs: PCM_16
    np.testing.assert_array_equal(sf.read(again, dtype="int16")[0].T, pcm)


@pytest.mark.parametrize(("ext", "subtype"), [("wav", "FLOAT"), ("flac", "PCM_24"), ("wav", "PCM_24")])
def test_save_keeps_subtype(tmp_path, ext, subtype):
    src = tmp_path / f"src.{ext}"
    sf.write(src, _sine(8000, 500), 8000, subtype=subtype)
    x = ss.audio.load(src, dtype="float64")
    out = tmp_path / f"out.{ext}"
    ss.audio.save(x, out)
    assert sf.info(out).subtype == subtype
    np.testing.assert_array_equal(sf.read(out)[0], sf.read(src)[0])


def test_failed_save_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "take.flac"
    target.write_bytes(b"previous take")
    nine = ss.audio.from_array(np.zeros((9, 100)), sr=8000)  # FLAC stores at most 8 channels
    with pytest.raises(ss.FileFormatError, match=r"take\.flac"):
        ss.audio.save(nine, target)
    assert target.read_bytes() == b"previous take"
    assert sorted(os.listdir(tmp_path)) == ["take.flac"]
    fast = ss.audio.from_array(np.zeros(100), sr=1_000_000)  # FLAC refuses this rate
    with pytest.raises(ss.FileFormatError):
        ss.audio.save(fast, tmp_path / "fast.flac")
    assert sorted(os.listdir(tmp_path)) == ["take.flac"]


def test_atomic_path_cleans_up_on_error(tmp_path):
    target = tmp_path / "x.txt"
    with pytest.raises(ZeroDivisionError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        _ = 1 / 0
    assert os.listdir(tmp_path) == []
    with pytest.raises(ss.FileFormatError, match="does not exist"), atomic_path(tmp_path / "nodir" / "x.txt"):
        pass


def test_save_rejects_bad_requests(tmp_path):
    x = ss.audio.from_array(np.zeros((2, 50)), sr=8000)
    with pytest.raises(ss.UnknownNameError, match=r"subtype must be one of .*PCM_16"):
        ss.audio.save(x, tmp_path / "a.wav", subtype="PCM_99")
    with pytest.raises(ss.FileFormatError, match="extension"):
        ss.audio.save(x, tmp_path / "a.xyz")
    with pytest.raises(ss.InvalidParameterError, match="whole number"):
        ss.audio.save(ss.audio.from_array(np.zeros(10), sr=100.5), tmp_path / "b.wav")
    with pytest.raises(ss.InvalidParameterError, match="NaN"):
        ss.audio.save(ss.audio.from_array(np.full(10, np.nan), sr=8000), tmp_path / "c.wav")
    img = ss.image.from_array(np.zeros((3, 4)))
    with pytest.raises(ss.ShapeError, match="one \\(time\\) axis"):
        ss.audio.save(img, tmp_path / "d.wav")
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------- corrupt files
def test_truncated_wav_is_refused(stereo_wav, tmp_path):
    data = stereo_wav.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ss.FileFormatError, match=r"cut\.wav.*truncated"):
        ss.audio.load(cut)
    with pytest.raises(ss.FileFormatError, match=r"cut\.wav"):
        ss.load(cut)


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg"])
def test_garbage_and_cut_files_raise_file_format_error(tmp_path, rng, ext):
    garbage = tmp_path / f"garbage.{ext}"
    garbage.write_bytes(rng.integers(0, 256, 2000, dtype=np.uint8).tobytes())
    with pytest.raises(ss.FileFormatError, match=f"garbage\\.{ext}"):
        ss.audio.load(garbage)
    good = tmp_path / f"good.{ext}"
    sf.write(good, _sine(8000, 8000), 8000)
    cut = tmp_path / f"cut.{ext}"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(ss.FileFormatError, match=f"cut\\.{ext}"):
        ss.audio.load(cut)
    assert not ss.domains.get("audio").can_open(garbage)


def test_load_argument_errors(stereo_wav, tmp_path):
    with pytest.raises(ss.FileFormatError, match="does not exist"):
        ss.audio.load(tmp_path / "nope.wav")
    with pytest.raises(ss.InvalidParameterError, match="sr must be > 0"):
        ss.audio.load(stereo_wav, sr=0)
    with pytest.raises(ss.InvalidParameterError, match="offset must be >= 0"):
        ss.audio.load(stereo_wav, offset=-1)
    with pytest.raises(ss.InvalidParameterError, match="past the end"):
        ss.audio.load(stereo_wav, offset=10.0)
    with pytest.raises(ss.InvalidParameterError, match="duration must be > 0"):
        ss.audio.load(stereo_wav, duration=0)
    with pytest.raises(ss.InvalidParameterError, match="dtype must be one of"):
        ss.audio.load(stereo_wav, dtype="uint8")


# ---------------------------------------------------------------- from_array
@given(
    c=st.integers(1, 8),
    n=st.integers(9, 300),
    soundfile_layout=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64, np.int16]),
    sr=st.sampled_from([8000, 22050, 44100, 48000, 11025.5]),
)
def test_from_array_to_librosa_round_trip(c, n, soundfile_layout, dtype, sr):
    rng = np.random.default_rng(c * 1000 + n)
    librosa_layout = (rng.standard_normal((c, n)) * 1000).astype(dtype)
    y = librosa_layout[0] if c == 1 else librosa_layout
    given_array = y.T if (soundfile_layout and c > 1) else y
    before = given_array.copy()
    channel_axis = None if c == 1 else -1 if soundfile_layout else 0
    x = ss.audio.from_array(given_array, sr=sr, channel_axis=channel_axis)
    assert x.shape == (n, c)
    assert np.array_equal(given_array, before)
    assert not np.shares_memory(x.values, given_array)
    np.testing.assert_array_equal(x.values, librosa_layout.T)
    back = ss.audio.to_librosa(x)
    np.testing.assert_array_equal(back, y)
    assert not np.shares_memory(back, x.values)
    assert ss.audio.sample_rate(x) == sr
    expected_layout = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(c)
    assert x.channels.layout == expected_layout
    if expected_layout:
        assert x.channels.names == ss.audio.LAYOUTS[expected_layout]
    # librosa agrees on the duration
    assert librosa.get_duration(y=y, sr=sr) == pytest.approx(n / sr)


def test_surround_layouts():
    x = ss.audio.from_array(np.zeros((6, 10)), sr=48000)
    assert x.channels.names == ("FL", "FR", "FC", "LFE", "SL", "SR")
    y = ss.audio.from_array(np.zeros((8, 10)), sr=48000, layout="7.1")
    assert y.channels.names == ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR")
    z = ss.audio.from_array(np.zeros((3, 10)), sr=48000)
    assert z.channels.names == ("ch0", "ch1", "ch2") and z.channels.layout is None
    custom = ss.Channels(("near", "far"))
    assert ss.audio.from_array(np.zeros((2, 10)), sr=100, layout=custom).channels == custom


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sr": 0}, ss.InvalidParameterError, "sr must be > 0"),
        ({"sr": -8000}, ss.InvalidParameterError, "sr must be > 0"),
        ({"sr": float("nan")}, ss.InvalidParameterError, "sr must be finite"),
        ({"sr": float("inf")}, ss.InvalidParameterError, "sr must be finite"),
        ({"sr": True}, ss.InvalidTypeError, "sr must be a real number"),
        ({"sr": "44100"}, ss.InvalidTypeError, "sr must be a real number"),
        ({"sr": 8000, "layout": "quad"}, ss.UnknownNameError, "layout must be one of 'mono', 'stereo'"),
        ({"sr": 8000, "layout": "5.1"}, ss.ShapeError, "5.1.*6 channels.*has 2"),
        ({"sr": 8000, "layout": 2}, ss.InvalidTypeError, "layout must be"),
    ],
)
def test_from_array_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.audio.from_array(np.zeros((2, 100)), **kwargs)


def test_from_array_shape_errors():
    with pytest.raises(ss.ShapeError, match="empty"):
        ss.audio.from_array(np.zeros((2, 0)), sr=8000)
    with pytest.raises(ss.ShapeError, match="empty"):
        ss.audio.from_array([], sr=8000)
    with pytest.raises(ss.ShapeError, match=r"\(n,\) or \(c, n\)"):
        ss.audio.from_array(np.zeros((2, 3, 4)), sr=8000)
    with pytest.raises(ss.ShapeError, match="channel_axis=-1"):
        ss.audio.from_array(np.zeros((44100, 2)), sr=44100)  # soundfile's (n, c) passed as (c, n)
    assert ss.audio.from_array(np.zeros((44100, 2)), sr=44100, channel_axis=0).shape == (2, 44100)  # confirmed
    with pytest.raises(ss.ShapeError, match="say which holds channels"):
        ss.audio.from_array(np.zeros((2, 100)), sr=8000, channel_axis=None)
    with pytest.raises(ss.InvalidParameterError, match="out of range"):
        ss.audio.from_array(np.zeros((2, 100)), sr=8000, channel_axis=2)
    with pytest.raises(ss.InvalidTypeError, match="numeric dtype"):
        ss.audio.from_array(np.array(["a", "b"]), sr=8000)


def test_sample_rate_and_to_librosa_need_one_axis():
    with pytest.raises(ss.ShapeError, match="one \\(time\\) axis"):
        ss.audio.sample_rate(ss.image.from_array(np.zeros((3, 3))))
    with pytest.raises(ss.InvalidTypeError, match="Signal"):
        ss.audio.to_librosa(np.zeros(3))


def test_dask_values_stay_lazy():
    da = pytest.importorskip("dask.array")
    y = da.zeros((2, 1000), chunks=(2, 250))
    x = ss.audio.from_array(y, sr=8000)
    assert x.is_lazy and x.shape == (1000, 2)


def test_chunked_load_and_lazy_save_dispatch_to_streaming(stereo_wav, tmp_path):
    pytest.importorskip("dask.array")
    x = ss.audio.load(stereo_wav, chunks=1000)
    assert x.is_lazy
    np.testing.assert_array_equal(x.compute().values, sf.read(stereo_wav, dtype="float32", always_2d=True)[0])
    out = tmp_path / "lazy.wav"
    ss.audio.save(x, out)
    np.testing.assert_array_equal(sf.read(out, dtype="int16")[0], sf.read(stereo_wav, dtype="int16")[0])
    with pytest.raises(ss.InvalidParameterError, match="chunks"):
        ss.audio.load(stereo_wav, sr=4000, chunks=1000)


# --------------------------------------------------------------- full scale
def _loud(sr: int = 8000, n: int = 800, peak: float = 1.5) -> np.ndarray:
    return peak * _sine(sr, n, freqs=(440.0,)) / 0.5  # (n, 1), |x| up to `peak`


@pytest.mark.parametrize(("ext", "subtype"), [("wav", None), ("wav", "PCM_24"), ("flac", None), ("wav", "ULAW")])
def test_save_refuses_float_beyond_full_scale_for_fixed_point(tmp_path, ext, subtype):
    data = _loud()
    # libsndfile itself clips these samples without a word: the reason for the refusal
    clipped = tmp_path / f"by_soundfile.{ext}"
    sf.write(clipped, data, 8000, subtype=subtype)
    assert np.abs(sf.read(clipped)[0]).max() <= 1.0 < np.abs(data).max()
    clipped.unlink()
    target = tmp_path / f"loud.{ext}"
    peak = float(np.abs(data).max())
    frame = int(np.abs(data[:, 0]).argmax())
    with pytest.raises(ss.InvalidParameterError, match=rf"peaks at {peak:.6g} \(frame {frame}\).*[Nn]ormalize"):
        ss.audio.save(ss.audio.from_array(data, sr=8000, channel_axis=-1), target, subtype=subtype)
    assert os.listdir(tmp_path) == []
    # normalized, the same samples are written (to within the subtype's quantization)
    ok = ss.audio.from_array(0.9 * data / peak, sr=8000, channel_axis=-1)
    ss.audio.save(ok, target, subtype=subtype)
    np.testing.assert_allclose(sf.read(target, always_2d=True)[0], ok.values, atol=0.05 if subtype == "ULAW" else 1e-4)


@pytest.mark.parametrize(("ext", "subtype"), [("wav", "FLOAT"), ("wav", "DOUBLE"), ("ogg", "VORBIS")])
def test_float_subtypes_keep_samples_beyond_full_scale(tmp_path, ext, subtype):
    data = _loud(peak=1.5)
    target = tmp_path / f"loud.{ext}"
    ss.audio.save(ss.audio.from_array(data, sr=8000, channel_axis=-1), target, subtype=subtype)
    back = sf.read(target, always_2d=True)[0]
    assert np.abs(back).max() > 1.4  # not clipped at 1
    if subtype != "VORBIS":
        np.testing.assert_allclose(back, data, rtol=1e-7 if subtype == "FLOAT" else 0)


def test_full_scale_and_integer_samples_are_written(tmp_path):
    edge = ss.audio.from_array(np.array([1.0, -1.0, 0.25, 0.0]), sr=8000)
    ss.audio.save(edge, tmp_path / "edge.wav")  # exactly full scale is not clipping
    np.testing.assert_allclose(sf.read(tmp_path / "edge.wav")[0], [1.0, -1.0, 0.25, 0.0], atol=2.0**-15)
    pcm = ss.audio.from_array(np.array([32767, -32768, 5], dtype=np.int16), sr=8000)
    ss.audio.save(pcm, tmp_path / "pcm.wav")  # integers are raw PCM values, never refused
    np.testing.assert_array_equal(sf.read(tmp_path / "pcm.wav", dtype="int16")[0], [32767, -32768, 5])


def test_lazy_save_refuses_beyond_full_scale_naming_the_frame(tmp_path):
    da = pytest.importorskip("dask.array")
    values = np.zeros((3000, 2))
    values[2222, 1] = -1.75
    x = ss.audio.from_array(da.from_array(values, chunks=(500, 2)), sr=8000, channel_axis=-1)
    with pytest.raises(ss.InvalidParameterError, match=r"peaks at 1\.75 \(frame 2222\)"):
        ss.audio.save(x, tmp_path / "lazy.flac")
    assert os.listdir(tmp_path) == []
    ss.audio.save(x, tmp_path / "lazy.wav", subtype="FLOAT")
    np.testing.assert_array_equal(sf.read(tmp_path / "lazy.wav")[0], values)


def test_reviewer_melody_round_trips_unclipped(tmp_path):
    # the review's reproducer: synthesize() used to peak at ~1.9 and PCM_16 clipped it by 0.65
    x = ss.analysis.synthesize(["Ab6", "Eb6", "Ab5", "Bb5"], 0.4)
    ss.audio.save(x, tmp_path / "m.wav")
    back = ss.audio.load(tmp_path / "m.wav", dtype="float64")
    assert np.abs(back.values - x.values).max() <= 2.0**-15
    raw = ss.analysis.synthesize(["Ab6", "Eb6", "Ab5", "Bb5"], 0.4, peak=None)
    with pytest.raises(ss.InvalidParameterError, match="peaks at"):
        ss.audio.save(raw, tmp_path / "raw.wav")


# -------------------------------------------------- one validation, two readers
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dtype": "uint8"}, ss.InvalidParameterError, "dtype must be one of"),
        ({"mono": 1}, ss.InvalidTypeError, "mono must be True or False"),
        ({"offset": -1}, ss.InvalidParameterError, "offset must be >= 0"),
        ({"offset": float("nan")}, ss.InvalidParameterError, "offset"),
        ({"offset": 10.0}, ss.InvalidParameterError, "past the end"),
        ({"duration": 0}, ss.InvalidParameterError, "duration must be > 0"),
    ],
)
def test_eager_and_lazy_reads_refuse_the_same_arguments_alike(stereo_wav, kwargs, error, match):
    pytest.importorskip("dask.array")
    with pytest.raises(error, match=match) as eager:
        ss.audio.load(stereo_wav, **kwargs)
    with pytest.raises(error, match=match) as lazy:
        ss.audio.load(stereo_wav, chunks=500, **kwargs)
    assert str(eager.value) == str(lazy.value)


def test_eager_and_lazy_reads_agree_on_offset_duration_mono(stereo_wav):
    pytest.importorskip("dask.array")
    for kwargs in ({}, {"offset": 0.1}, {"duration": 0.2}, {"offset": 0.3, "duration": 10.0, "mono": True}):
        eager = ss.audio.load(stereo_wav, **kwargs)
        lazy = ss.audio.load(stereo_wav, chunks=333, **kwargs)
        assert lazy.is_lazy
        assert lazy.compute().identical(eager), kwargs


@given(dtype=st.sampled_from(["int16", "int32"]), subtype=st.sampled_from(["PCM_U8", "PCM_16", "PCM_24", "PCM_32",
                                                                           "FLOAT"]),
       shift=st.integers(0, 24), n=st.integers(1, 9))
def test_integer_samples_come_back_exactly_or_are_refused(tmp_path_factory, dtype, subtype, shift, n):
    # libsndfile scales integers from their dtype's full scale to the subtype's width: low bits would vanish
    bits = 8 * np.dtype(dtype).itemsize
    assume(shift < bits - 1)
    values = (np.random.default_rng(n).integers(-4, 4, n) * 2**shift).astype(dtype)
    path = tmp_path_factory.mktemp("pcm") / "x.wav"
    x = ss.audio.from_array(values, sr=8000)
    kept = int(subtype.split("_")[1].lstrip("SU")) if subtype.startswith("PCM") else 32
    refused = None
    try:
        ss.save(x, path, subtype=subtype)
    except ss.InvalidParameterError as exc:
        refused = exc
    low_bits = (values.astype(np.int64) % 2 ** max(0, bits - kept)) != 0
    assert (refused is not None) == (bool(low_bits.any()) and kept < bits)
    if refused is None:  # odd-length data chunks (3 frames of PCM_24) load too: no pad byte is no truncation
        np.testing.assert_array_equal(ss.load(path, dtype=dtype).values[:, 0], values)


@pytest.mark.parametrize("lazy", [False, True])
def test_a_file_that_would_read_back_longer_is_refused(tmp_path, lazy):
    # libsndfile's AIFF reader counts the pad byte of an odd 8-bit sound chunk as a frame: 3 frames come back as 4
    values = np.array([-2, 3, 5], np.int16) * 256
    x = ss.audio.from_array(values, sr=8000)
    if lazy:
        da = pytest.importorskip("dask.array")
        x = x.replace(values=da.from_array(x.values, chunks=2))
    with pytest.raises(ss.FileFormatError, match="3 frames were written but the file reads back as 4"):
        ss.save(x, tmp_path / "x.aiff", subtype="PCM_S8")
    assert list(tmp_path.iterdir()) == []
    ss.save(x, tmp_path / "x.aiff", subtype="PCM_16")
    np.testing.assert_array_equal(ss.load(tmp_path / "x.aiff", dtype="int16").values[:, 0], values)
