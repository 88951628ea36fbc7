"""Note transcription: real sampled instruments scored with mir_eval, generated notes, the mix, errors and cost."""

import dataclasses
import time
from pathlib import Path

import independent_notes
import librosa
import mir_eval
import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

import signalspace as ss
from signalspace.analysis import DetectionParams, NoteEvent, NoteTable, detect_notes, synthesize
from signalspace.analysis.transcription import transcribe

SR = 22050
DATA = Path(__file__).resolve().parents[1] / "data" / "transcription"


def note_f1(table: NoteTable, reference: np.ndarray) -> float:
    """The field's score: mir_eval note F1, onsets within 50 ms, pitch within 50 cents, offsets ignored."""
    if not table:
        return 0.0
    est_intervals = np.array([(e.onset, max(e.offset, e.onset + 1e-3)) for e in table])
    _, _, f1, _ = mir_eval.transcription.precision_recall_f1_overlap(
        reference[:, :2], librosa.midi_to_hz(reference[:, 2]), est_intervals, np.array([e.hz for e in table]),
        onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None,
    )
    return f1


# ------------------------------------------------------------------ real sampled instruments (tests/data)
# floors a little below what the detector measures (guitar 1.00, violin 0.80, clarinet 1.00, piano chords 0.98,
# string chords 0.83); benchmarks/bench_transcription.py scores the whole set beside pyin and basic-pitch
FLOORS = {
    "mono_01_guitar": 0.9,
    "mono_02_violin": 0.7,
    "mono_06_clarinet": 0.9,
    "chords_00_piano": 0.9,
    "chords_02_strings": 0.7,
}


@pytest.mark.parametrize("piece", sorted(FLOORS))
def test_real_instruments_reach_their_f1_floor(piece):
    x = ss.audio.load(DATA / f"{piece}.flac")
    reference = np.loadtxt(DATA / f"{piece}.csv", delimiter=",", skiprows=1, ndmin=2)
    table = detect_notes(x)
    assert note_f1(table, reference) >= FLOORS[piece], str(table)


# ------------------------------------------------------------------ generated notes
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_clean_melody_is_found(seed):
    # from E2 up: below, keys' kernels last most of a second and semitone steps blur (docs/transcription.rst)
    rng = np.random.default_rng(seed)
    midis = rng.choice(np.arange(40, 109), size=6, replace=False)
    names = [librosa.midi_to_note(int(m), unicode=False) for m in midis]
    durations = rng.uniform(0.2, 0.6, size=6)
    onsets = np.concatenate([[0.05], 0.05 + np.cumsum(durations)[:-1]])
    x = synthesize(names, list(durations), sr=SR, onsets=list(onsets), length=int((onsets[-1] + 0.8) * SR))
    found = detect_notes(x)
    assert [e.note for e in found] == names
    np.testing.assert_allclose([e.onset for e in found], onsets, atol=0.05)
    assert all(e.channel == "M" for e in found)


REVIEW_NOTES = ["C3", "G3", "E4", "C5", "A2", "F4"]
H = np.arange(1, 11)


def _numpy_notes(names, amps, *, onsets=None, durations=0.5, gains=None, inharmonicity=0.0, seed=0, snr_db=10.0):
    """Notes from ``independent_notes.tone`` (numpy sinusoids, random phases and envelopes), 10 dB SNR."""
    rng = np.random.default_rng(seed)
    gains = np.ones(len(names)) if gains is None else gains
    durations = np.broadcast_to(np.asarray(durations, dtype=float), (len(names),))
    onsets = np.concatenate([[0.05], 0.05 + np.cumsum(durations)[:-1]]) if onsets is None else np.asarray(onsets)
    out = np.zeros(round((float(np.max(onsets + durations)) + 0.3) * SR))
    for name, onset, duration, gain in zip(names, onsets, durations, gains, strict=True):
        i0, n = round(onset * SR), round(duration * SR)
        amps = gain * np.asarray(amps)
        out[i0 : i0 + n] += independent_notes.tone(rng, librosa.note_to_midi(name), n, SR, amps, inharmonicity)
    out += rng.standard_normal(out.size) * np.sqrt(np.mean(out**2) / 10 ** (snr_db / 10))
    return out / np.abs(out).max(), onsets


@pytest.mark.parametrize(
    ("law", "amps", "inharmonicity"),
    [
        ("1/sqrt(h)", H**-0.5, 0.0),
        ("flat", np.ones(10), 0.0),
        ("1/h**2", H**-2.0, 0.0),
        ("1/h, inharmonic", 1 / H, 3e-4),
        ("2nd partial strongest", np.array([0.5, 1.0, 0.7, 0.5, 0.35, 0.25, 0.2, 0.15, 0.1, 0.1]), 1e-4),
        ("odd partials (clarinet)", np.where(H % 2 == 1, H**-0.5, 0.02), 0.0),
    ],
)
def test_partials_are_not_notes_whatever_their_amplitudes(law, amps, inharmonicity):
    x, onsets = _numpy_notes(REVIEW_NOTES, amps, inharmonicity=inharmonicity)
    found = detect_notes(x, sr=SR)
    assert [e.note for e in found] == REVIEW_NOTES, (law, str(found))  # sorted by onset: the notes one after another
    np.testing.assert_allclose([e.onset for e in found], onsets, atol=0.05)


def test_a_note_at_a_partials_pitch_that_starts_later_is_found():
    # C4 starts 0.5 s into C3 (sounding on its 2nd partial's frequency): a new onset, not a partial
    x, _ = _numpy_notes(["C3", "C4"], H**-0.5, onsets=[0.05, 0.55], durations=[1.2, 0.6], gains=[1, 2])
    found = [e for e in detect_notes(x, sr=SR) if e.note in ("C3", "C4")]
    assert [e.note for e in found] == ["C3", "C4"]
    np.testing.assert_allclose([e.onset for e in found], [0.05, 0.55], atol=0.05)


def test_a_chord_of_notes_that_are_not_partials_of_each_other_is_found():
    x, _ = _numpy_notes(["C4", "E4", "G4", "B4"], H**-0.7, onsets=[0.05] * 4, durations=[1.0] * 4)
    assert sorted(e.note for e in detect_notes(x, sr=SR)) == ["B4", "C4", "E4", "G4"]


def test_a_repeated_note_is_two_notes():
    x, _ = _numpy_notes(["A4", "A4", "A4"], H**-1.0, onsets=[0.05, 0.45, 0.85], durations=[0.4, 0.4, 0.6])
    found = detect_notes(x, sr=SR)
    assert [e.note for e in found] == ["A4"] * 3
    np.testing.assert_allclose([e.onset for e in found], [0.05, 0.45, 0.85], atol=0.05)


@pytest.mark.parametrize("law", independent_notes.LAWS)
def test_random_numpy_melodies_precision_and_recall(law):
    # the benchmark's independent setting in small (benchmarks/bench_notes.py runs 80 melodies per setting)
    rng = np.random.default_rng(11)
    n_ref = n_det = n_ok = 0
    for _ in range(4):
        y, reference = independent_notes.melody(rng, law=law, n_events=8)
        detected = [(e.note, e.onset) for e in detect_notes(y, sr=SR)]
        used = set()
        for name, onset in reference:
            hits = [i for i, (n, o) in enumerate(detected) if n == name and abs(o - onset) <= 0.05 and i not in used]
            if hits:
                used.add(hits[0])
        n_ref, n_det, n_ok = n_ref + len(reference), n_det + len(detected), n_ok + len(used)
    assert n_ok / n_ref >= 0.9 and n_ok / n_det >= 0.9, (law, n_ref, n_det, n_ok)


# ------------------------------------------------------------------ the mix and the channels
def test_stereo_with_the_same_melody_gives_each_note_once():
    mono = np.asarray(synthesize(["C4", "E5", "G3"], 0.4, sr=SR))[:, 0]
    x = ss.audio.from_array(np.stack([mono, 0.7 * mono]), SR, layout="stereo")
    found = detect_notes(x)
    assert [e.note for e in found] == ["C4", "E5", "G3"] and {e.channel for e in found} == {"mix"}
    per_channel = detect_notes(x, per_channel=True)
    assert [(e.channel, e.note) for e in per_channel] == [(c, n) for c in "LR" for n in ("C4", "E5", "G3")]


def test_per_channel_keeps_different_melodies_apart():
    left = np.asarray(synthesize(["C4", "E5", "G3"], 0.4, sr=SR))[:, 0]
    right = np.asarray(synthesize(["A5", "D4", "F#6"], 0.4, sr=SR))[:, 0]
    x = ss.audio.from_array(np.stack([left, right]), SR, layout="stereo")
    found = detect_notes(x, per_channel=True)
    assert [e.note for e in found if e.channel == "L"] == ["C4", "E5", "G3"]
    assert [e.note for e in found if e.channel == "R"] == ["A5", "D4", "F#6"]
    mix = detect_notes(x)  # the mix holds both melodies, each note once
    assert sorted(e.note for e in mix) == sorted(["C4", "E5", "G3", "A5", "D4", "F#6"])


def test_transcribe_returns_the_roll_the_notes_were_found_in():
    x = synthesize(["A4", "C6"], 0.4, sr=SR)
    table, roll = transcribe(x)
    assert [e.note for e in table] == ["A4", "C6"]
    assert roll.domain.kind == "pianoroll" and roll.nchannels == 88 and roll.attrs["hop_length"] == 256
    frame = int(0.2 / roll.domain["time"].step)
    assert roll.channels.names[int(roll.values[frame].argmax())] == "A4"  # A4 sounds 0.2 s in: its key is lit


# ------------------------------------------------------------------ spelling, options, errors
def test_note_names_follow_a_key_signature():
    x = synthesize(["Eb4", "Bb4"], 0.4, sr=SR)
    assert [e.note for e in detect_notes(x)] == ["D#4", "A#4"]
    assert [e.note for e in detect_notes(x, key="Eb:maj")] == ["Eb4", "Bb4"]
    with pytest.raises(ss.InvalidParameterError, match="key 'H:maj'"):
        detect_notes(x, key="H:maj")


def test_detection_params_are_validated_and_frozen():
    params = DetectionParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.floor_db = 0.0
    assert dataclasses.replace(params, floor_db=-40.0).floor_db == -40.0
    for field, bad, error in [
        ("stay_on", 1.0, ss.InvalidParameterError),
        ("hop_length", 0, ss.InvalidParameterError),
        ("hop_length", 256.0, ss.InvalidTypeError),
        ("sparsity", -1.0, ss.InvalidParameterError),
        ("floor_db", np.nan, ss.InvalidParameterError),
        ("slope_db", "6", ss.InvalidTypeError),
        ("onset", None, ss.InvalidTypeError),
        ("floor_db", 10.0, ss.InvalidParameterError),
        ("fundamental_db", 1.0, ss.InvalidParameterError),
        ("onset_reference", 0.0, ss.InvalidParameterError),
        ("silence_level", 0.0, ss.InvalidParameterError),
    ]:
        with pytest.raises(error, match=f"DetectionParams.{field}"):
            DetectionParams(**{field: bad})
    with pytest.raises(ss.InvalidTypeError, match="params must be a DetectionParams"):
        detect_notes(np.zeros(SR), sr=SR, params={"floor_db": -40})
    with pytest.raises(ss.InvalidTypeError, match="per_channel"):
        detect_notes(np.zeros(SR), sr=SR, per_channel="yes")


def test_silent_and_empty_audio_give_no_notes():
    assert detect_notes(np.zeros(SR), sr=SR) == []
    assert detect_notes(np.zeros((0, 2)), sr=SR) == []
    assert detect_notes(1e-9 * np.random.default_rng(0).standard_normal(SR), sr=SR) == []


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_audio_is_named(bad):
    x = np.zeros((SR, 2))
    x[500, 1] = bad
    with pytest.raises(ss.InvalidParameterError, match=r"finite audio samples.*sample 500 of channel 1"):
        detect_notes(x, sr=SR)
    with pytest.raises(ss.InvalidParameterError, match="finite audio samples"):
        detect_notes(np.full(SR, bad), sr=SR)


def test_librosas_channels_first_layout_is_refused_not_read_as_thousands_of_channels():
    y = np.asarray(synthesize(["A4"], 0.5, sr=SR))[:, 0]
    with pytest.raises(ss.ShapeError, match=r"librosa's \(c, n\)\? Pass x.T"):
        detect_notes(np.stack([y, y]), sr=SR)
    with pytest.raises(ss.ShapeError, match="channel_axis=0"):
        ss.analysis.piano_roll(np.stack([y, y]), sr=SR)
    assert [e.note for e in detect_notes(ss.audio.from_array(np.stack([y, y]), SR))] == ["A4"]


@pytest.mark.parametrize("sr", [0, -1.0])
def test_bad_sample_rate(sr):
    with pytest.raises(ss.InvalidParameterError, match="sr"):
        detect_notes(np.zeros(100), sr=sr)


@pytest.mark.parametrize("name", ["H2", "A", "", "C#x"])
def test_unknown_note_name_for_the_lowest_key(name):
    with pytest.raises(ss.UnknownNameError, match="fmin"):
        detect_notes(np.zeros(SR), sr=SR, fmin=name)


def test_inputs_are_not_modified():
    x = synthesize(["A4"], 0.3, sr=SR)
    before = np.asarray(x).copy()
    detect_notes(x)
    np.testing.assert_array_equal(np.asarray(x), before)


def test_integer_pcm_gives_the_notes_of_audio_load(tmp_path):
    x = 0.8 * np.asarray(synthesize(["C4", "G5"], 0.4, sr=SR))[:, 0]
    path = tmp_path / "pcm.wav"
    soundfile.write(path, x, SR, subtype="PCM_16")
    pcm, _ = soundfile.read(path, dtype="int16")
    raw, floats = detect_notes(pcm, sr=SR), detect_notes(ss.audio.load(path))
    assert [(e.note, e.onset) for e in raw] == [(e.note, e.onset) for e in floats]
    np.testing.assert_allclose([e.strength for e in raw], [e.strength for e in floats], rtol=1e-6)


def test_low_sample_rates_use_the_keys_below_the_limit():
    x = synthesize(["C4", "A5", "E6"], 0.4, sr=8000)
    assert [e.note for e in detect_notes(x)] == ["C4", "A5", "E6"]
    with pytest.raises(ss.InvalidParameterError, match=r"n_keys=88 .* at most n_keys=\d+"):
        detect_notes(x, n_keys=88)


# ------------------------------------------------------------------ cost grows with the audio, not faster
def _best_times(fns, repeat=5):
    """Best time of each callable, repetitions interleaved (a load spike on the shared machine hits one run)."""
    best = [np.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def test_cost_is_linear_in_the_length_of_the_audio():
    # a ratio within one run (generous: the figure itself is measured in benchmarks/bench_transcription.py)
    rng = np.random.default_rng(5)
    names = [librosa.midi_to_note(int(m), unicode=False) for m in rng.integers(40, 90, 48)]
    long = np.asarray(synthesize(names, list(rng.uniform(0.15, 0.5, 48)), sr=SR, snr_db=20.0, seed=1))[:, 0]
    short = long[: long.size // 8]
    detect_notes(short, sr=SR)  # warm the caches (templates, kernels)
    long_time, short_time = _best_times([lambda: detect_notes(long, sr=SR), lambda: detect_notes(short, sr=SR)])
    assert long_time / short_time <= 10.0, (long_time, short_time)


def test_note_event_fields():
    (e,) = detect_notes(synthesize(["A4"], 0.5, sr=SR))
    assert isinstance(e, NoteEvent) and e.note == "A4" and e.hz == pytest.approx(440.0) and e.channel == "M"
    assert 0 <= e.onset < 0.05 and 0.4 < e.offset < 0.7


@pytest.mark.parametrize("amplitude", [1.0, 0.1, 0.01])
def test_strength_is_the_fundamentals_amplitude(amplitude):
    t = np.arange(SR) / SR
    tone = amplitude * np.sin(2 * np.pi * 440.0 * t) * np.minimum(1.0, (1.0 - t) / 0.05)
    (e,) = detect_notes(tone, sr=SR)
    assert e.note == "A4" and e.strength == pytest.approx(amplitude, rel=0.05)
