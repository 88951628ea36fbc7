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

from .._errors import InvalidParameterError, InvalidTypeError
from .._validation import check_budget, describe, one_of, positive_int
from ..domain import Axis, Domain
from ..domains.audio import audio_samples
from ..domains.spectrogram import KIND
from ..signal import Signal, is_lazy

__all__ = ["SCALES", "spectrogram"]

#: What a spectrogram's values can be.
SCALES = ("magnitude", "power", "db", "power_db", "complex")

#: Padding modes of ``spectrogram(..., center=True)``: the :func:`numpy.pad` modes :func:`librosa.stft` takes.
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")

#: Domain kind of spectrogram signals (their adapter: :mod:`signalspace.domains.spectrogram`).
SPECTROGRAM_KIND = KIND


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
    frames = 1 + (n if center else n - n_fft) // hop_length
    bins = 1 + n_fft // 2
    complex_bytes = 2 * max(samples.dtype.itemsize, 4)
    # librosa's STFT (and its frame buffer), then |S| and the scaled result
    check_budget(3 * frames * bins * samples.shape[1] * complex_bytes, None,
                 f"a spectrogram of {frames:,} frames x {bins:,} bins x {samples.shape[1]} channels", None,
                 "use a larger hop_length or a smaller n_fft, or take it slice by slice (x.isel(time=...))")
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
