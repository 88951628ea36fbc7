"""The piano roll, its key responses and the SuperFlux onset novelty, against numpy/scipy/librosa references."""

import librosa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import signalspace as ss
from signalspace.analysis import SuperFlux, piano_bank, piano_roll, synthesize
from signalspace.analysis.pianoroll import _Features, _features, _key_responses, _plan

SR = 22050


def test_piano_roll_is_built_from_the_quadrature_bank(rng):
    # the top octave of the roll runs at the full rate: its frames are the bank's envelope every hop_length samples
    x = rng.standard_normal(SR // 2)
    roll = piano_roll(x, sr=SR)
    top = piano_bank(SR, fmin=roll.channels.names[76], n_keys=12, quadrature=True, scale="amplitude")
    assert top.notes == roll.channels.names[76:]
    np.testing.assert_allclose(roll.values[:, 76:], top.envelope(x, sr=SR).values[::512], atol=1e-10)


def test_piano_roll_envelope_is_one_for_a_unit_sinusoid():
    t = np.arange(2 * SR) / SR
    for midi in (33, 60, 100):
        hz = librosa.midi_to_hz(midi)
        roll = piano_roll(np.cos(2 * np.pi * hz * t + 0.3), sr=SR)
        middle = roll.values[roll.shape[0] // 2]
        assert roll.channels.names[int(middle.argmax())] == librosa.midi_to_note(midi, unicode=False)
        assert abs(middle.max() - 1.0) < 0.02
        np.testing.assert_allclose(roll.domain["time"].coords[:5], librosa.frames_to_time(range(5), sr=SR))


def test_key_responses_are_the_roll_of_a_steady_sinusoid():
    # what the templates of note detection are built from: the roll of a unit sinusoid, away from its ends
    plan = _plan(float(SR), 256, 21, 88, 1.0)
    t = np.arange(3 * SR) / SR
    freqs = np.array([55.0, 261.63, 440.0 * 2 ** (0.5 / 12), 1234.5, 4000.0])
    expected = _key_responses(plan, float(SR), freqs)
    for f, row in zip(freqs, expected, strict=True):
        roll = piano_roll(np.cos(2 * np.pi * f * t + 0.7), sr=SR, hop_length=256)
        middle = roll.values[roll.shape[0] // 2]
        np.testing.assert_allclose(middle, row, atol=2e-3)
    assert expected[2, 48] == pytest.approx(expected[2, 49], rel=0.05)  # half a semitone: shared by two keys
    assert np.all(_key_responses(plan, float(SR), [0.46 * SR]) == 0.0)  # above what every level keeps


@settings(max_examples=10, deadline=None)
@given(
    hop=st.sampled_from([128, 256, 512]),
    n_fft=st.sampled_from([1024, 2048]),
    lag=st.integers(1, 3),
    max_size=st.sampled_from([1, 3, 5]),
    seed=st.integers(0, 2**16),
)
def test_superflux_equals_librosa_onset_strength(hop, n_fft, lag, max_size, seed):
    rng = np.random.default_rng(seed)
    y = 0.05 * rng.standard_normal(SR)  # noise keeps every band far above librosa's 80 dB clipping
    y[SR // 3 :] += np.sin(2 * np.pi * rng.uniform(100, 2000) * np.arange(SR - SR // 3) / SR)
    flux = SuperFlux(n_fft=n_fft, lag=lag, max_size=max_size)
    frames = -(-y.size // hop)
    ours = flux.block(y, SR, hop, 0, frames, 0, y.size)
    ref = librosa.onset.onset_strength(y=y, sr=SR, hop_length=hop, n_fft=n_fft, lag=lag, max_size=max_size)
    n = min(ours.size, ref.size)
    np.testing.assert_allclose(ours[:n], ref[:n], rtol=1e-4, atol=1e-4 * float(ref.max()))


@settings(max_examples=10, deadline=None)
@given(f0=st.integers(1, 60), f1=st.integers(61, 200), seed=st.integers(0, 2**16))
def test_features_of_a_run_of_frames_equal_those_of_the_whole_signal(f0, f1, seed):
    # the block function is the one cascade: any run of frames, computed from its samples plus the halo,
    # equals the same rows of the whole signal's features (roll and novelty)
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((200 * 256, 1))
    spec = _Features(float(SR), 256, _plan(float(SR), 256, 21, 88, 1.0), SuperFlux())
    whole = _features(y, spec)
    from signalspace.analysis.pianoroll import _feature_block

    s0 = max(0, f0 * 256 - spec.halo)
    s1 = min(y.shape[0], f1 * 256 + spec.halo)
    part = _feature_block(y[s0:s1], spec, f0, f1, s0, y.shape[0])
    np.testing.assert_allclose(part, whole[f0:f1], rtol=1e-5, atol=1e-5 * float(np.abs(whole).max()))


def test_roll_of_multichannel_audio_names_channels_and_keys():
    left = np.asarray(synthesize(["C4", "E5", "G3"], 0.4, sr=SR))[:, 0]
    right = np.asarray(synthesize(["A5", "D4", "F#6"], 0.4, sr=SR))[:, 0]
    roll = piano_roll(ss.audio.from_array(np.stack([left, right]), SR, layout="stereo"))
    assert roll.nchannels == 2 * 88 and roll.channels.names[88] == "R:A0"
    assert roll.channels.coords["source"][0] == "L" and roll.domain.kind == "pianoroll"


def test_integer_pcm_roll_is_the_scaled_float_roll():
    x = 0.8 * np.asarray(synthesize(["C4", "G5"], 0.4, sr=SR))[:, 0]
    pcm = np.round(x * 32767).astype(np.int16)
    np.testing.assert_allclose(piano_roll(pcm, sr=SR).values, piano_roll(pcm / 32768.0, sr=SR).values, atol=1e-12)
    unsigned = (np.round(x * 127) + 128).astype(np.uint8)  # 8-bit WAV style
    np.testing.assert_allclose(piano_roll(unsigned, sr=SR).values,
                               piano_roll((unsigned.astype(float) - 128) / 128, sr=SR).values, atol=1e-12)


def test_low_sample_rates_use_the_keys_below_the_limit():
    for sr in (8000, 11025):
        roll = piano_roll(synthesize(["C4", "A5", "E6"], 0.4, sr=sr))
        top = min(108, int(np.floor(librosa.hz_to_midi(0.45 * sr - 1e-9))))
        assert roll.channels.names[0] == "A0" and roll.channels.coords["midi"][-1] == top
    x = synthesize(["A4"], 0.3, sr=8000)
    assert piano_roll(x, fmin="C2").channels.names[0] == "C2"
    with pytest.raises(ss.InvalidParameterError, match=r"n_keys=88 .* at most n_keys=\d+"):
        piano_roll(x, n_keys=88)
    with pytest.raises(ss.InvalidParameterError, match="fmin"):
        piano_roll(x, fmin="C8")
    assert piano_roll(synthesize(["A4"], 0.3, sr=SR)).nchannels == 88  # the piano's 88 at usual rates


def test_roll_errors_are_named():
    with pytest.raises(ss.InvalidParameterError, match="empty"):
        piano_roll(np.zeros(0), sr=SR)
    with pytest.raises(ss.InvalidParameterError, match="sr"):
        piano_roll(np.zeros(100), sr=0)
    x = np.zeros((SR, 2))
    x[500, 1] = np.nan
    with pytest.raises(ss.InvalidParameterError, match=r"finite audio samples.*sample 500 of channel 1"):
        piano_roll(x, sr=SR)


@pytest.mark.parametrize(
    ("options", "error"),
    [({"lag": 0}, ss.InvalidParameterError), ({"max_size": 0}, ss.InvalidParameterError),
     ({"n_fft": 3}, ss.InvalidParameterError), ({"n_fft": 2.5}, ss.InvalidTypeError),
     ({"n_mels": 0}, ss.InvalidParameterError)],
)
def test_superflux_options_are_checked(options, error):
    with pytest.raises(error, match=f"SuperFlux.{next(iter(options))}"):
        SuperFlux(**options)
