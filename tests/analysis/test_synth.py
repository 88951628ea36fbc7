"""synthesize(): the tones against numpy's formula, and the peak normalization that makes them writable."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

import signalspace as ss
from signalspace.analysis import synthesize

SR = 8000


def _one_partial(hz, n, velocity, decay, attack, release):
    """The documented tone with one partial, written out with numpy."""
    t = np.arange(n) / SR
    envelope = np.minimum(1.0, t / attack)
    tail = round(release * SR)
    envelope[n - tail :] *= 0.5 * (1 + np.cos(np.pi * np.arange(1, tail + 1) / tail))
    return velocity * envelope * np.sin(2 * np.pi * hz * t) * np.exp(-t / decay)


def test_raw_tone_is_the_documented_formula_and_peak_scales_it():
    kwargs = {"sr": SR, "n_harmonics": 1, "velocity": 0.7, "decay": 0.5, "attack": 0.01, "release": 0.05}
    raw = synthesize([440.0], 0.5, peak=None, **kwargs)
    expected = _one_partial(440.0, 4000, 0.7, 0.5, 0.01, 0.05)
    np.testing.assert_allclose(raw.values[:, 0], expected, rtol=0, atol=1e-12)
    assert raw.attrs["gain"] == 1.0
    scaled = synthesize([440.0], 0.5, **kwargs)  # default peak=0.9
    np.testing.assert_allclose(scaled.values[:, 0], 0.9 * expected / np.abs(expected).max(), rtol=1e-12)
    assert scaled.attrs["gain"] == pytest.approx(0.9 / np.abs(expected).max())


@settings(max_examples=20)
@given(
    notes=st.lists(st.sampled_from(["A2", "C4", "E5", "Ab6", "G#3", ("C4", "E4", "G4")]), min_size=1, max_size=4),
    velocity=st.floats(0.05, 3.0),
    peak=st.one_of(st.none(), st.floats(0.01, 1.0)),
    snr_db=st.one_of(st.none(), st.floats(0, 40)),
)
def test_peak_is_exact_and_the_shape_is_the_raw_sum(notes, velocity, peak, snr_db):
    notes = [list(n) if isinstance(n, tuple) else n for n in notes]
    kwargs = {"sr": SR, "velocity": velocity, "snr_db": snr_db, "seed": 7}
    x = synthesize(notes, 0.2, peak=peak, **kwargs)
    raw = synthesize(notes, 0.2, peak=None, **kwargs)
    top = np.abs(raw.values).max()
    if peak is None:
        np.testing.assert_array_equal(x.values, raw.values)
    else:
        assert np.abs(x.values).max() == pytest.approx(peak, rel=1e-12)
        np.testing.assert_allclose(x.values, raw.values * (peak / top), rtol=1e-12, atol=1e-15)
        assert x.attrs["gain"] == pytest.approx(peak / top, rel=1e-12)


def test_default_output_survives_a_pcm16_file(tmp_path):
    # three overlapping chords sum far beyond full scale before the normalization
    chords = [["C4", "E4", "G4", "C5"], ["F4", "A4", "C5"], ["G4", "B4", "D5", "F5"]]
    x = synthesize(chords, 0.3, sr=SR, onsets=[0.0, 0.1, 0.2], velocity=1.5)
    assert np.abs(synthesize(chords, 0.3, sr=SR, onsets=[0.0, 0.1, 0.2], velocity=1.5, peak=None).values).max() > 2
    ss.audio.save(x, tmp_path / "chords.wav")  # PCM_16: refused if it would clip
    back, rate = sf.read(tmp_path / "chords.wav", always_2d=True)
    assert rate == SR
    np.testing.assert_allclose(back, x.values, rtol=0, atol=2.0**-15)


def test_silence_is_never_scaled():
    x = synthesize(["A4"], 0.1, sr=SR, onsets=[1.0], length=100)  # the note starts after the end
    assert x.attrs["gain"] == 1.0
    np.testing.assert_array_equal(x.values, np.zeros((100, 1)))


@pytest.mark.parametrize("peak", [0, -0.5, float("nan"), float("inf")])
def test_bad_peak_is_refused(peak):
    with pytest.raises(ss.InvalidParameterError, match="peak"):
        synthesize(["A4"], sr=SR, peak=peak)


def test_peak_of_wrong_type_is_refused():
    with pytest.raises((ss.InvalidTypeError, ss.InvalidParameterError), match="peak"):
        synthesize(["A4"], sr=SR, peak="loud")
