"""Spectrograms as Signals: librosa's STFT on a 2-D (time, frequency) Domain.

The spectrogram of a c-channel audio signal is a c-channel signal on the
product of two regular axes: ``time`` (frame centres, in s, as
:func:`librosa.frames_to_time` places them) and ``frequency`` (the FFT bins,
in Hz, as :func:`librosa.fft_frequencies`).  It can be sliced by coordinate,
plotted and convolved like any other signal.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import describe, finite_float, one_of, positive_int
from ..domain import Axis, Channels, Domain
from ..signal import Signal

__all__ = ["SCALES", "spectrogram"]

#: What a spectrogram's values can be.
SCALES = ("magnitude", "power", "db", "power_db", "complex")

#: Padding modes of ``spectrogram(..., center=True)``: the :func:`numpy.pad` modes :func:`librosa.stft` takes.
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")

#: Domain kind of spectrogram signals.
SPECTROGRAM_KIND = "spectrogram"


def audio_samples(x: Any, sr: float | None, name: str = "x") -> tuple[np.ndarray, float, Channels, float]:
    """Samples ``(n, c)``, sample rate, channels and start time of an audio-like input.

    ``x`` is a Signal on one (time) axis, whose step is ``1 / sr``, or an array
    of shape ``(n,)`` or ``(n, c)`` together with ``sr``.  Never copies more than
    a conversion to a float array needs.  Integer samples are PCM and scaled to
    [-1, 1) as :func:`signalspace.audio.load` (soundfile) reads them
    (:func:`pcm_to_float`).  NaN or infinite samples are an
    :class:`~signalspace.InvalidParameterError` naming the first one.
    """
    if isinstance(x, Signal):
        if x.ndim != 1:
            raise ShapeError(
                f"{name} must be a signal on one (time) axis, got a signal on {x.ndim} axes {x.domain!r}"
            )
        axis = x.domain.axes[0]
        signal_sr = 1.0 / axis.step
        if signal_sr <= 0:
            raise InvalidParameterError(
                f"{name} has a time axis with negative step {axis.step}; a sample rate must be > 0"
            )
        if sr is not None:
            given = finite_float(sr, "sr", positive=True)
            if not np.isclose(given, signal_sr, rtol=1e-9):
                raise InvalidParameterError(
                    f"sr={given} disagrees with the sample rate of {name} ({signal_sr} Hz, "
                    f"from its time step {axis.step} s); leave sr out for a Signal"
                )
        values = np.asarray(x)
        if values.dtype.kind == "c":
            raise InvalidTypeError(f"{name} must be real audio, got complex values ({values.dtype})")
        values = _finite(pcm_to_float(values), name)
        return values, signal_sr, x.channels, axis.origin
    if sr is None:
        raise InvalidParameterError(f"sr (the sample rate in Hz) is required when {name} is an array, got None")
    sr = finite_float(sr, "sr", positive=True)
    try:
        values = np.asarray(x)
    except Exception as exc:
        raise InvalidTypeError(f"{name} must be a Signal or an array, got {describe(x)}: {exc}") from None
    if values.dtype.kind not in "biuf":
        raise InvalidTypeError(f"{name} must be real audio samples, got {describe(values)}")
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.ndim != 2:
        raise ShapeError(f"{name} must have shape (n,) or (n, channels), got shape {values.shape}")
    if values.shape[1] == 0:
        raise ShapeError(f"{name} must have at least one channel, got shape {values.shape}")
    return _finite(pcm_to_float(values), name), sr, Channels.generic(values.shape[1]), 0.0


def pcm_to_float(values: Any) -> Any:
    """Samples as float64; integer PCM scaled to [-1, 1) the way soundfile reads PCM files.

    Signed ``b`` bits: ``v / 2**(b - 1)`` (int16 ``-32768 .. 32767`` becomes ``-1 .. 32767/32768``);
    unsigned (8-bit WAV style): ``(v - 2**(b - 1)) / 2**(b - 1)``.  Floats and booleans are only
    converted.  Works on numpy and dask arrays (lazily for dask).

    Examples
    --------
    >>> import numpy as np
    >>> from signalspace.analysis.spectral import pcm_to_float
    >>> pcm_to_float(np.array([-32768, 0, 16384], dtype=np.int16)).tolist()
    [-1.0, 0.0, 0.5]
    >>> pcm_to_float(np.array([0, 128, 255], dtype=np.uint8)).tolist()
    [-1.0, 0.0, 0.9921875]
    """
    kind = values.dtype.kind
    if kind in "iu":
        half = float(2 ** (8 * values.dtype.itemsize - 1))
        values = values.astype(np.float64)
        return (values - half if kind == "u" else values) / half
    return values.astype(np.float64, copy=False)


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` (n, c) if all finite, else an error naming the first bad sample."""
    finite = np.isfinite(values)
    if not finite.all():
        i, c = np.argwhere(~finite)[0]
        raise InvalidParameterError(
            f"{name} must contain finite audio samples, got {values[i, c]} at sample {i} of channel {c}"
        )
    return values


def spectrogram(
    x: Signal | np.ndarray,
    *,
    sr: float | None = None,
    n_fft: int = 2048,
    hop_length: int | None = None,
    win_length: int | None = None,
    window: Any = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    scale: str = "magnitude",
    ref: Any = 1.0,
    amin: float | None = None,
    top_db: float | None = 80.0,
) -> Signal:
    """Short-time Fourier transform of each channel, as a Signal on (time, frequency).

    Parameters
    ----------
    x : Signal or array_like
        Audio: a Signal on one time axis (the sample rate is ``1 / step``), or
        samples of shape ``(n,)`` or ``(n, c)`` with ``sr``.  Integer samples
        are PCM, scaled to [-1, 1) as :func:`signalspace.audio.load` reads them.
        In memory only: dask-backed audio is refused (see Raises).
    sr : float, optional
        Sample rate in Hz; required for arrays, checked against a Signal's.
    n_fft, hop_length, win_length, window, center, pad_mode
        Passed to :func:`librosa.stft` (``hop_length`` defaults to
        ``win_length // 4``, as in librosa).
    scale : {"magnitude", "power", "db", "power_db", "complex"}
        ``|X|``, ``|X|**2``, :func:`librosa.amplitude_to_db` of ``|X|``,
        :func:`librosa.power_to_db` of ``|X|**2``, or the complex STFT.
    ref, amin, top_db
        Passed to the dB conversion (librosa's defaults: ``ref=1.0``,
        ``amin=1e-5`` for amplitude and ``1e-10`` for power, ``top_db=80``).
        The conversion sees all channels at once, as librosa does on a
        ``(c, n)`` array.

    Returns
    -------
    Signal
        Values of shape ``(frames, 1 + n_fft // 2, c)`` on a Domain of kind
        ``"spectrogram"`` with axes ``time`` (s; frame ``t`` at
        ``librosa.frames_to_time(t, sr=sr, hop_length=hop_length)``, plus
        ``n_fft // 2`` samples when ``center=False``, plus the input's start
        time) and ``frequency`` (Hz, ``librosa.fft_frequencies(sr=sr,
        n_fft=n_fft)``).  Channels are the input's.  ``attrs`` record the
        sample rate and the STFT parameters.

    Raises
    ------
    InvalidParameterError
        For a sample rate <= 0, an unknown ``scale``, ``window`` or
        ``pad_mode``, NaN or infinite samples, or audio shorter than ``n_fft``
        (librosa would only warn with ``center=True``).
    InvalidTypeError
        For dask-backed (lazy) audio: the STFT runs in memory and never
        computes a lazy signal silently; call ``x.compute()`` first.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> sr = 8000
    >>> t = np.arange(sr) / sr
    >>> S = ss.analysis.spectrogram(np.sin(2 * np.pi * 1000 * t), sr=sr, n_fft=512, hop_length=128)
    >>> S.domain.names, S.shape
    (('time', 'frequency'), (63, 257, 1))
    >>> float(S.domain["frequency"].coords[S.values[30, :, 0].argmax()])
    1000.0
    """
    import librosa

    from ..signal import is_lazy

    if is_lazy(x.values if isinstance(x, Signal) else x):
        raise InvalidTypeError(
            "x is dask-backed (lazy); spectrogram works in memory and does not compute it silently: "
            "call x.compute() first (or spectrogram a slice of it, x.isel(time=slice(a, b)).compute())"
        )
    samples, sr, channels, origin = audio_samples(x, sr)
    n_fft = positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else positive_int(win_length, "win_length")
    if win_length > n_fft:
        raise InvalidParameterError(f"win_length must be <= n_fft ({n_fft}), got {win_length}")
    hop_length = win_length // 4 if hop_length is None else positive_int(hop_length, "hop_length")
    hop_length = max(hop_length, 1)
    one_of(scale, "scale", SCALES)
    if not isinstance(center, bool):
        raise InvalidTypeError(f"center must be True or False, got {describe(center)}")
    one_of(pad_mode, "pad_mode", PAD_MODES)
    try:
        librosa.filters.get_window(window, win_length, fftbins=True)
    except Exception as exc:  # librosa/scipy raise ValueError, TypeError or ParameterError
        raise InvalidParameterError(
            f"window must be a window name, (name, parameters) tuple or array of win_length={win_length} "
            f"samples that librosa.filters.get_window knows, got {window!r}: {exc}"
        ) from None
    n = samples.shape[0]
    if n == 0:
        raise InvalidParameterError("x is empty (0 samples); a spectrogram needs at least one sample")
    if n < n_fft:
        raise InvalidParameterError(
            f"n_fft={n_fft} is longer than x ({n} samples); use n_fft <= {n} (and win_length <= n_fft)"
        )
    try:
        stft = librosa.stft(
            np.ascontiguousarray(samples.T),
            n_fft=n_fft,
            hop_length=hop_length,
            win_length=win_length,
            window=window,
            center=center,
            pad_mode=pad_mode,
        )
    except (librosa.util.exceptions.ParameterError, ValueError, TypeError) as exc:
        raise InvalidParameterError(f"librosa.stft rejected the parameters: {exc}") from None
    if scale == "complex":
        values = stft
    elif scale == "magnitude":
        values = np.abs(stft)
    elif scale == "power":
        values = np.abs(stft) ** 2
    elif scale == "db":
        values = librosa.amplitude_to_db(np.abs(stft), ref=ref, amin=1e-5 if amin is None else amin, top_db=top_db)
    else:
        values = librosa.power_to_db(np.abs(stft) ** 2, ref=ref, amin=1e-10 if amin is None else amin, top_db=top_db)
    values = np.moveaxis(values, 0, -1).transpose(1, 0, 2)  # (c, f, t) -> (t, f, c)
    frames, bins = values.shape[0], values.shape[1]
    start = origin + (0.0 if center else (n_fft // 2) / sr)
    domain = Domain(
        (
            Axis("time", frames, step=hop_length / sr, origin=start, unit="s"),
            Axis("frequency", bins, step=sr / n_fft, origin=0.0, unit="Hz"),
        ),
        kind=SPECTROGRAM_KIND,
    )
    attrs = {
        "sr": sr,
        "n_fft": n_fft,
        "hop_length": hop_length,
        "win_length": win_length,
        "center": center,
        "scale": scale,
    }
    return Signal(np.ascontiguousarray(values), domain, channels, attrs)
