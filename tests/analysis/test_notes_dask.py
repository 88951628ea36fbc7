"""Piano rolls and note detection of dask-backed (long) audio: equal to the in-memory path, and lazy."""

import librosa
import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

import signalspace as ss
from signalspace._errors import InvalidParameterError, InvalidTypeError, ShapeError
from signalspace.analysis import detect_notes, piano_roll, synthesize

dask = pytest.importorskip("dask")  # an optional extra: these tests need it
da = pytest.importorskip("dask.array")

SR = 22050


def assert_roll_equal(lazy_roll, ref_roll, audio):
    """Same domain, channels and attrs; values equal to 1e-6 of the roll's or the audio's largest value.

    Envelopes are in the audio's amplitude units (a unit sinusoid gives 1), and soxr's "HQ"
    resampler rounds like float32 relative to the audio it decimates, differently for
    different block starts: when no key is lit, the audio's peak sets the scale.
    """
    assert lazy_roll.is_lazy and not ref_roll.is_lazy
    assert lazy_roll.domain == ref_roll.domain
    assert lazy_roll.channels == ref_roll.channels
    assert lazy_roll.attrs == ref_roll.attrs
    got, ref = lazy_roll.values.compute(), ref_roll.values
    assert got.shape == ref.shape and got.dtype == ref.dtype
    scale = max(float(np.abs(ref).max()), float(np.abs(np.asarray(audio)).max()), 1e-12)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6 * scale)


def lazy(x, chunks):
    """The same Signal with its values as a dask array of ``chunks`` frames."""
    return x.replace(values=da.from_array(np.asarray(x.values), chunks=(chunks, -1)))


@pytest.fixture(scope="module")
def melody():
    """7 s of stereo piano notes over the whole keyboard, with noise: longer than two halos of the 88 keys."""
    rng = np.random.default_rng(7)
    left = synthesize(["A1", "C4", "E5", "G6", "C3", "B2", "F7", "D4"], durations=0.875, sr=SR)
    right = synthesize([["C2", "G4"], "A5", "D3", ["E6", "B4"], "F2", "C7", "A0"], durations=1.0, sr=SR)
    n = min(left.shape[0], right.shape[0])
    values = np.concatenate([left.values[:n], right.values[:n]], axis=1)
    values = values + 0.02 * rng.standard_normal(values.shape)
    domain = ss.Domain((ss.Axis("time", n, step=1 / SR, origin=0.25, unit="s"),), kind="audio")
    return ss.Signal(values, domain, ss.Channels(("L", "R")))


@pytest.mark.parametrize("chunks", [3000, 40_000, 100_000, 1_000_000])
def test_lazy_88_key_roll_equals_in_memory(melody, chunks):
    ref = piano_roll(melody)
    roll = piano_roll(lazy(melody, chunks))
    if chunks < melody.shape[0] // 2:
        assert roll.values.numblocks[0] > 1  # really computed in pieces
    assert_roll_equal(roll, ref, melody)


def test_lazy_detection_finds_the_same_notes(melody):
    ref = detect_notes(melody)
    assert len(ref) >= 10
    for chunks in (5000, 70_000):
        got = detect_notes(lazy(melody, chunks))
        assert [(e.note, e.channel) for e in got] == [(e.note, e.channel) for e in ref]
        for a, b in zip(got, ref, strict=True):
            assert a.onset == pytest.approx(b.onset, abs=1e-6) and a.offset == pytest.approx(b.offset, abs=1e-6)
            assert a.strength == pytest.approx(b.strength, rel=1e-6)


@settings(max_examples=20)
@given(
    config=st.sampled_from([("A3", 24), ("A2", 36), ("A1", 48)]),
    hop=st.sampled_from([64, 128, 256]),
    n=st.integers(1, 30_000),
    chunk=st.integers(50, 8000),
    channels=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_lazy_roll_equals_in_memory_for_any_chunking(config, hop, n, chunk, channels, seed):
    fmin, n_keys = config
    sr = 8000
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sr
    hz = 440 * 2.0 ** (rng.integers(-24, 14, size=(3, channels)) / 12)
    x = sum(np.sin(2 * np.pi * f[None, :] * t[:, None]) for f in hz) + 0.1 * rng.standard_normal((n, channels))
    options = {"sr": sr, "hop_length": hop, "fmin": fmin, "n_keys": n_keys}
    ref = piano_roll(x, **options)
    roll = piano_roll(da.from_array(x, chunks=(chunk, channels)), **options)
    assert_roll_equal(roll, ref, x)


def test_roll_of_a_file_read_lazily_is_lazy_and_equals_the_whole_file_roll(tmp_path, melody):
    path = tmp_path / "long.wav"
    soundfile.write(path, np.asarray(melody.values), SR, subtype="FLOAT")
    x = ss.audio.load(path, chunks=20_000, dtype="float64")
    assert x.is_lazy
    roll = piano_roll(x)
    assert roll.is_lazy and roll.values.numblocks[0] > 1
    whole = ss.audio.load(path, dtype="float64")
    assert_roll_equal(roll, piano_roll(whole), whole.values)


class CountingSource:
    """An array-like over samples that counts the frames read from it, as dask reads them block by block."""

    def __init__(self, values):
        self.values = values
        self.shape, self.dtype, self.ndim = values.shape, values.dtype, values.ndim
        self.reads = []

    def __getitem__(self, key):
        block = self.values[key]
        if block.shape[0]:  # dask also takes empty slices to learn the dtype
            self.reads.append(block.shape[0])
        return block


def test_roll_stays_lazy_until_computed_and_no_task_reads_the_whole_signal(melody):
    source = CountingSource(np.asarray(melody.values))
    x = melody.replace(values=da.from_array(source, chunks=(10_000, -1), lock=False, asarray=False))
    roll = piano_roll(x)
    assert source.reads == []  # building the roll read nothing
    sliced = roll[10:40]
    assert sliced.is_lazy and source.reads == []
    with dask.config.set(scheduler="synchronous"):
        values = sliced.values.compute()
    n = melody.shape[0]
    # frames 10..40 need only the first run of frames and its halo, not the whole signal
    assert 0 < sum(source.reads) < n and max(source.reads) <= 10_000
    scale = max(float(values.max()), float(np.abs(np.asarray(melody)).max()))
    np.testing.assert_allclose(values, piano_roll(melody).values[10:40], rtol=1e-6, atol=1e-6 * scale)


def test_detect_notes_on_lazy_audio_respects_the_time_origin_and_channels(melody):
    got = detect_notes(lazy(melody, 50_000), per_channel=True)
    assert {e.channel for e in got} == {"L", "R"}
    assert min(e.onset for e in got) >= 0.25 - 0.05  # the signal starts at 0.25 s
    assert {e.channel for e in detect_notes(lazy(melody, 50_000))} == {"mix"}


def test_chunked_transcription_of_minutes_of_audio_equals_the_in_memory_one():
    rng = np.random.default_rng(3)
    names = [[str(n) for n in librosa.midi_to_note(rng.choice(np.arange(36, 96), size=rng.integers(1, 4),
                                                                replace=False), unicode=False)]
             for _ in range(400)]
    x = synthesize(names, list(rng.uniform(0.15, 0.6, len(names))), sr=SR, snr_db=30.0, seed=4)
    assert x.shape[0] > 2 * 60 * SR  # minutes, many chunks and runs of frames
    ref = detect_notes(x)
    got = detect_notes(lazy(x, 2**17))
    assert len(ref) > 300
    hop = 256 / SR
    assert [e.note for e in got] == [e.note for e in ref]
    np.testing.assert_allclose([e.onset for e in got], [e.onset for e in ref], atol=hop)


def test_lazy_bad_input_raises_like_the_in_memory_path(melody):
    x = lazy(melody, 50_000)
    with pytest.raises(InvalidParameterError, match="sr=8000"):
        piano_roll(x, sr=8000)
    with pytest.raises(InvalidParameterError, match="sr"):
        piano_roll(da.zeros(1000, chunks=100))
    with pytest.raises(InvalidTypeError, match="complex"):
        piano_roll(da.zeros(1000, chunks=100, dtype=complex), sr=SR)
    with pytest.raises(ShapeError, match="shape"):
        piano_roll(da.zeros((10, 10, 10), chunks=5), sr=SR)
    with pytest.raises(InvalidParameterError, match="hop_length"):
        piano_roll(x, hop_length=0)
    with pytest.raises(InvalidParameterError, match="empty"):
        piano_roll(da.zeros((0, 1), chunks=1), sr=SR)
    assert detect_notes(da.zeros((0, 1), chunks=1), sr=SR) == []
    assert detect_notes(da.zeros((30_000, 1), chunks=7000), sr=SR) == []  # silence: no notes
    bad = np.zeros((30_000, 1))
    bad[21_000] = np.nan
    with pytest.raises(InvalidParameterError, match=r"finite audio samples.*sample 21000"):
        piano_roll(da.from_array(bad, chunks=(7000, 1)), sr=SR).values.compute()
