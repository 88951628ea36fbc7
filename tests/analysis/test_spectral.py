"""spectrogram against librosa: values and coordinates, per channel; bad input."""

import librosa
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import signalspace as ss
from signalspace.analysis import spectrogram


def _audio(values: np.ndarray, sr: float) -> ss.Signal:
    return ss.audio.from_array(values, sr, channel_axis=-1 if values.ndim == 2 else None)


@given(
    n=st.integers(520, 3000),
    n_fft=st.sampled_from([64, 128, 256, 512]),
    hop=st.integers(16, 200),
    center=st.booleans(),
    channels=st.integers(1, 3),
    sr=st.sampled_from([8000, 22050, 44100]),
    seed=st.integers(0, 2**16),
)
def test_magnitude_and_coordinates_equal_librosa(n, n_fft, hop, center, channels, sr, seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, channels))
    S = spectrogram(_audio(y, sr), n_fft=n_fft, hop_length=hop, center=center)
    reference = np.abs(librosa.stft(np.ascontiguousarray(y.T), n_fft=n_fft, hop_length=hop, center=center))
    assert S.domain.kind == "spectrogram"
    assert S.domain.names == ("time", "frequency")
    assert S.shape == (reference.shape[2], reference.shape[1], channels)
    for c in range(channels):
        np.testing.assert_allclose(S.values[:, :, c], reference[c].T, rtol=1e-10, atol=1e-10)
    frames = np.arange(reference.shape[-1])
    times = librosa.frames_to_time(frames, sr=sr, hop_length=hop, n_fft=None if center else n_fft)
    np.testing.assert_allclose(S.domain["time"].coords, times, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(S.domain["frequency"].coords, librosa.fft_frequencies(sr=sr, n_fft=n_fft), rtol=1e-12)
    assert S.domain.units == ("s", "Hz")
    assert S.channels == _audio(y, sr).channels


@pytest.mark.parametrize("scale", ["power", "db", "power_db", "complex"])
def test_scales_equal_librosa_conversions(scale, rng):
    y = rng.standard_normal((4000, 2))
    S = spectrogram(y, sr=16000, n_fft=256, hop_length=64, scale=scale, window="hamming")
    X = librosa.stft(np.ascontiguousarray(y.T), n_fft=256, hop_length=64, window="hamming")
    expected = {
        "power": np.abs(X) ** 2,
        "db": librosa.amplitude_to_db(np.abs(X), ref=1.0, top_db=80.0),
        "power_db": librosa.power_to_db(np.abs(X) ** 2, ref=1.0, top_db=80.0),
        "complex": X,
    }[scale]
    np.testing.assert_allclose(np.moveaxis(S.values, -1, 0).transpose(0, 2, 1), expected, rtol=1e-6, atol=1e-9)


def test_sel_by_frequency_finds_the_tone():
    sr = 22050
    t = np.arange(sr) / sr
    x = _audio(np.sin(2 * np.pi * 1661.0 * t), sr)
    S = spectrogram(x, n_fft=2048, hop_length=512)
    band = S.sel(frequency=slice(1500, 1800), time=0.5, method="nearest")
    peak_hz = band.domain["frequency"].coords[np.argmax(band.values[:, 0])]
    assert abs(peak_hz - 1661.0) <= sr / 2048


def test_input_is_not_modified(rng):
    y = rng.standard_normal(2000)
    before = y.copy()
    spectrogram(y, sr=8000, n_fft=256)
    np.testing.assert_array_equal(y, before)


@pytest.mark.parametrize("sr", [0, -8000.0, float("nan")])
def test_bad_sample_rate(sr):
    with pytest.raises(ss.InvalidParameterError, match="sr"):
        spectrogram(np.zeros(1000), sr=sr)


def test_bad_input_is_named():
    with pytest.raises(ss.InvalidParameterError, match="sr"):
        spectrogram(np.zeros(1000))
    with pytest.raises(ss.InvalidParameterError, match="empty"):
        spectrogram(np.zeros(0), sr=8000)
    with pytest.raises(ss.UnknownNameError, match="scale"):
        spectrogram(np.zeros(1000), sr=8000, scale="loud")
    with pytest.raises(ss.InvalidParameterError, match="n_fft"):
        spectrogram(np.zeros(100), sr=8000, n_fft=256, center=False)
    with pytest.raises(ss.ShapeError, match="x must"):
        spectrogram(np.zeros((10, 10, 2)), sr=8000)
    with pytest.raises(ss.InvalidParameterError, match="disagrees"):
        spectrogram(_audio(np.zeros(1000), 8000), sr=16000)
    with pytest.raises(ss.InvalidParameterError, match=r"window.*'foo'"):
        spectrogram(np.zeros(1000), sr=8000, window="foo")
    with pytest.raises(ss.InvalidParameterError, match="window"):
        spectrogram(np.zeros(1000), sr=8000, n_fft=256, window=np.ones(3))  # not win_length samples
    with pytest.raises(ss.InvalidParameterError, match="window"):
        spectrogram(np.zeros(1000), sr=8000, window=("kaiser",))  # kaiser needs its beta
    with pytest.raises(ss.UnknownNameError, match="pad_mode"):
        spectrogram(np.zeros(1000), sr=8000, pad_mode="wrap")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_named(bad):
    y = np.zeros((1000, 2))
    y[123, 1] = bad
    with pytest.raises(ss.InvalidParameterError, match=r"finite.*sample 123 of channel 1"):
        spectrogram(y, sr=8000)
    with pytest.raises(ss.InvalidParameterError, match=r"x must contain finite"):
        spectrogram(_audio(y, 8000))


@given(
    window=st.sampled_from(["hann", "hamming", ("kaiser", 8.0), ("tukey", 0.3), "boxcar", "array"]),
    pad_mode=st.sampled_from(ss.analysis.spectral.PAD_MODES),
)
def test_every_accepted_window_and_pad_mode_equals_librosa(window, pad_mode):
    y = np.random.default_rng(0).standard_normal(1500)
    if window == "array":
        window = np.random.default_rng(1).random(256)
    S = spectrogram(y, sr=8000, n_fft=256, hop_length=100, window=window, pad_mode=pad_mode)
    reference = np.abs(librosa.stft(y, n_fft=256, hop_length=100, window=window, pad_mode=pad_mode))
    np.testing.assert_allclose(S.values[:, :, 0], reference.T, rtol=1e-10, atol=1e-10)


def test_lazy_audio_is_refused_not_computed_silently(rng):
    da = pytest.importorskip("dask.array")

    y = rng.standard_normal(20000)
    lazy = ss.audio.from_array(da.from_array(y, chunks=5000), 22050)
    with pytest.raises(ss.InvalidTypeError, match=r"dask-backed .*x\.compute\(\) first"):
        spectrogram(lazy)
    with pytest.raises(ss.InvalidTypeError, match="compute"):
        spectrogram(da.from_array(y, chunks=5000), sr=22050)
    np.testing.assert_allclose(spectrogram(lazy.compute()).values, spectrogram(y, sr=22050).values)


@pytest.mark.parametrize("center", [True, False])
def test_n_fft_longer_than_the_audio_is_a_named_error_not_a_librosa_warning(center):
    with pytest.raises(ss.InvalidParameterError, match=r"n_fft=2048 is longer than x \(100 samples\)"):
        spectrogram(np.ones(100), sr=8000, center=center)
    S = spectrogram(np.ones(100), sr=8000, n_fft=100, hop_length=25)  # n_fft == n is fine, as in librosa
    expected = np.abs(librosa.stft(np.ones(100), n_fft=100, hop_length=25))
    np.testing.assert_allclose(S.values[:, :, 0], expected.T)


def test_integer_pcm_is_scaled_like_soundfile(rng):
    pcm = (rng.uniform(-1, 1, 4000) * 32767).astype(np.int16)
    np.testing.assert_allclose(spectrogram(pcm, sr=8000).values, spectrogram(pcm / 32768.0, sr=8000).values)
