"""Pitch kernels and the piano bank, against numpy/scipy/librosa references."""

import librosa
import numpy as np
import pytest
import scipy.signal
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import signalspace as ss
from signalspace.analysis import piano_bank, pitch_kernel

SR = 22050


@settings(max_examples=200)
@given(
    midi=st.integers(21, 108),
    sr=st.sampled_from([16000, 22050, 44100]),
    duration=st.floats(0.05, 0.5),
    window=st.sampled_from(["hann", "hamming", "blackman", None]),
    harmonics=st.integers(1, 4),
)
def test_kernel_peaks_at_the_note(midi, sr, duration, window, harmonics):
    name = librosa.midi_to_note(midi, unicode=False)
    hz = librosa.note_to_hz(name)
    # a windowed kernel of fewer than ~3 periods has no sharp peak: its pitch is not resolved
    assume(duration * hz >= 3)
    k = pitch_kernel(name, sr=sr, duration=duration, window=window, harmonics=harmonics)
    assert k.shape == (round(duration * sr), 1)
    assert np.isclose(np.linalg.norm(k.values), 1.0)
    n_fft = 1 << int(np.ceil(np.log2(8 * k.shape[0])))
    spectrum = np.abs(np.fft.rfft(k.values[:, 0], n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    # the fundamental (amplitude 1, the largest partial) is the peak, within one FFT bin plus what the other
    # partials' sidelobes can pull it by (a small fraction of the main lobe, 1 / duration Hz for a boxcar)
    assert abs(freqs[spectrum.argmax()] - hz) <= sr / n_fft + 0.15 / duration + 1e-9


def test_kernel_from_hz_equals_kernel_from_name():
    a = pitch_kernel("Ab6", sr=SR, duration=0.4)
    b = pitch_kernel(librosa.note_to_hz("Ab6"), sr=SR, duration=0.4)
    np.testing.assert_allclose(a.values, b.values)
    # the name given is echoed (channel and attrs["note"]); attrs["key"] is the sharp spelling used by
    # piano_bank, piano_roll and detect_notes (librosa's midi_to_note)
    assert a.channels.names == ("Ab6",) and a.attrs["note"] == "Ab6"
    assert a.attrs["key"] == b.attrs["key"] == b.attrs["note"] == librosa.midi_to_note(92, unicode=False)
    assert b.channels.names == (b.attrs["key"],)
    bank = piano_bank(SR, fmin="Ab6", n_keys=2)
    assert bank.notes == (a.attrs["key"], "A6")
    t = np.arange(round(0.4 * SR)) / SR
    bare = np.sin(2 * np.pi * librosa.note_to_hz("Ab6") * t)  # the lecture's notebook kernel
    np.testing.assert_allclose(pitch_kernel("Ab6", sr=SR, duration=0.4, window=None).values[:, 0],
                               bare / np.linalg.norm(bare))


def test_bank_is_one_conv_equal_to_scipy(rng):
    bank = piano_bank(SR, fmin="A4", n_keys=6)
    assert bank.kernels.shape[1:] == (1, 6) and bank.notes[0] == "A4"
    x = rng.standard_normal(3000)
    out = bank(x, sr=SR)
    assert out.nchannels == 6 and out.channels.names == bank.notes
    L = bank.kernels.shape[0]
    for j in range(6):
        full = scipy.signal.correlate(x, bank.kernels[:, 0, j], mode="full")
        start = L - 1 - (L - 1) // 2
        np.testing.assert_allclose(out.values[:, j], full[start : start + x.size], atol=1e-10)
    np.testing.assert_allclose(bank.conv()(x[:, None]), out.values, atol=1e-10)


@pytest.mark.parametrize("scale", ["norm", "amplitude"])
def test_quadrature_bank_kernels_are_windowed_complex_exponentials(scale):
    bank = piano_bank(SR, fmin="C4", n_keys=5, quadrature=True, scale=scale)
    real = piano_bank(SR, fmin="C4", n_keys=5)
    assert bank.quadrature and not real.quadrature and bank.kernels.dtype == np.complex128
    L = bank.kernels.shape[0]
    periods = 2 / (2 ** (1 / 12) - 1)  # one semitone to the first zero of the Hann response
    for j, n in enumerate(bank.lengths):
        hz = librosa.midi_to_hz(60 + j)
        assert n % 2 == 1 and periods * SR / hz <= n <= periods * SR / hz + 3  # odd, at least that long
        w = scipy.signal.get_window("hann", n, fftbins=False)
        expected = w * np.exp(2j * np.pi * hz * np.arange(n) / SR)
        expected *= 1 / np.linalg.norm(expected) if scale == "norm" else 2 / w.sum()
        offset = (L - n) // 2
        np.testing.assert_allclose(bank.kernels[offset : offset + n, 0, j], expected, atol=1e-12)
        assert not np.any(bank.kernels[:offset, 0, j]) and not np.any(bank.kernels[offset + n :, 0, j])
        # the real bank's kernel is the sine (imaginary) part: pitch_kernel's windowed sine
        sine = pitch_kernel(float(hz), SR, n / SR).values[:, 0]
        np.testing.assert_allclose(real.kernels[offset : offset + n, 0, j], sine, atol=1e-12)
        np.testing.assert_allclose(sine, expected.imag / np.linalg.norm(expected.imag), atol=1e-12)


def test_quadrature_bank_is_one_complex_conv_equal_to_scipy_and_its_envelope(rng):
    bank = piano_bank(SR, fmin="A4", n_keys=6, quadrature=True, scale="amplitude")
    x = rng.standard_normal(3000)
    out = bank(x, sr=SR)
    assert out.values.dtype == np.complex128 and out.channels.names == bank.notes
    L = bank.kernels.shape[0]
    start = L - 1 - (L - 1) // 2
    for j in range(6):
        # Conv correlates without conjugating; scipy.signal.correlate conjugates its second argument
        full = scipy.signal.correlate(x, np.conj(bank.kernels[:, 0, j]), mode="full")
        np.testing.assert_allclose(out.values[:, j], full[start : start + x.size], atol=1e-10)
    pairs = bank.conv(pairs=True)(x[:, None])
    assert pairs.dtype == np.float64 and pairs.shape == (x.size, 12)
    np.testing.assert_allclose(pairs[:, 0::2], out.values.real, atol=1e-10)
    np.testing.assert_allclose(pairs[:, 1::2], out.values.imag, atol=1e-10)
    np.testing.assert_allclose(bank.envelope(x, sr=SR).values, np.abs(out.values), atol=1e-10)


def test_bank_options_are_checked():
    with pytest.raises(ss.UnknownNameError, match="scale"):
        piano_bank(SR, fmin="A4", n_keys=2, scale="peak")
    with pytest.raises(ss.InvalidTypeError, match="quadrature"):
        piano_bank(SR, fmin="A4", n_keys=2, quadrature="yes")
    with pytest.raises(ss.InvalidParameterError, match="pairs=True needs a quadrature bank"):
        piano_bank(SR, fmin="A4", n_keys=2).conv(pairs=True)
    with pytest.raises(ss.InvalidParameterError, match="window 'foo'"):
        piano_bank(SR, fmin="A4", n_keys=2, window="foo")


def test_kernel_longer_than_signal_and_other_errors():
    bank = piano_bank(SR, fmin="A4", n_keys=2, duration=0.5)
    with pytest.raises(ss.ShapeError, match="kernel has 11025 samples"):
        bank(np.zeros(100), sr=SR)
    with pytest.raises(ss.InvalidParameterError, match="Nyquist"):
        pitch_kernel("C8", sr=8000)
    with pytest.raises(ss.InvalidParameterError, match="duration"):
        pitch_kernel("A4", sr=SR, duration=0.0)
