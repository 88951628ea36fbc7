"""Pitch kernels and the 88-key piano bank: matched filters for notes.

The lecture's idea made into a tool: the correlation of a signal with a
windowed sinusoid at a note's pitch (a *pitch kernel*) lights up where that
note plays, and a bank of 88 such kernels (A0..C8) is one multichannel
:class:`~signalspace.ops.conv.Conv`, 1 -> 88 channels.

One kernel definition serves everything: ``w(t) * exp(2j*pi*f*t)`` for
``t = 0, 1/sr, ...`` with ``w`` a symmetric window (Hann by default).  Its
imaginary part, the windowed sine, is :func:`pitch_kernel` and the kernel of a
real :func:`piano_bank`; the whole complex kernel (cosine + 1j * sine) is the
kernel of a quadrature bank (``piano_bank(..., quadrature=True)``), whose
output magnitude is each key's envelope (:mod:`~signalspace.analysis.pianoroll`
is made of these).

Note names: names the library makes (:attr:`PianoBank.notes`, piano-roll
channels, ``attrs["key"]`` of a pitch kernel) are librosa's ASCII names with
sharps (``"G#6"``); a name you give is echoed as you wrote it
(``pitch_kernel("Ab6")`` is a channel named ``"Ab6"``, with
``attrs["note"] == "Ab6"`` and ``attrs["key"] == "G#6"``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import describe, finite_float, one_of, positive_int
from ..domain import Axis, Channels, Domain
from ..domains.audio import audio_samples
from ..ops.conv import Conv
from ..signal import Signal
from .synth import note_hz, note_name

__all__ = ["BANK_SCALES", "N_KEYS", "PianoBank", "piano_bank", "pitch_kernel"]

N_KEYS = 88
_MIDI_A0 = 21


def _key_midis(fmin: str | float, n_keys: int) -> np.ndarray:
    import librosa

    first = round(float(librosa.hz_to_midi(note_hz(fmin, "fmin"))))
    return np.arange(first, first + n_keys)


def _midi_hz(midi: Any) -> np.ndarray:
    import librosa

    return np.asarray(librosa.midi_to_hz(np.asarray(midi, dtype=float)), dtype=float)


def _midi_name(midi: int) -> str:
    import librosa

    return str(librosa.midi_to_note(int(midi), unicode=False))


def _window(window: Any, n: int) -> np.ndarray:
    import librosa

    if window is None:
        return np.ones(n)
    try:
        return np.asarray(librosa.filters.get_window(window, n, fftbins=False), dtype=np.float64)
    except Exception as exc:
        raise InvalidParameterError(f"window {window!r} is not a window librosa/scipy knows: {exc}") from None


def _harmonic_amplitudes(harmonics: int | Sequence[float]) -> np.ndarray:
    if isinstance(harmonics, Sequence) and not isinstance(harmonics, str):
        amps = np.array([finite_float(a, f"harmonics[{i}]") for i, a in enumerate(harmonics)])
        if amps.size == 0 or not np.any(amps):
            raise InvalidParameterError(f"harmonics must contain a non-zero amplitude, got {list(harmonics)}")
        return amps
    n = positive_int(harmonics, "harmonics")
    return 1.0 / np.arange(1, n + 1)


def _tone(hz: float, sr: float, n: int, amps: np.ndarray, window: Any, analytic: bool) -> np.ndarray:
    """The one pitch-kernel definition of this module, unscaled.

    ``w(t) * sum_h amps[h-1] * exp(2j*pi*h*hz*t)`` for ``t = arange(n) / sr``
    (partials at or above Nyquist left out), ``w`` the symmetric ``window`` of
    ``n`` samples.  ``analytic=False`` returns its imaginary part, the windowed
    sine of the lecture's notebook; the real part is the matching cosine.
    """
    t = np.arange(n) / sr
    wave = np.zeros(n, dtype=np.complex128 if analytic else np.float64)
    for h, a in enumerate(amps, start=1):
        if h * hz < sr / 2:
            phase = 2 * np.pi * h * hz * t
            wave += a * (np.exp(1j * phase) if analytic else np.sin(phase))
    return wave * _window(window, n)


#: How :func:`piano_bank` scales its kernels.
BANK_SCALES = ("norm", "amplitude")


def _scaled(values: np.ndarray, window: Any, scale: str) -> np.ndarray:
    """``values`` with unit Euclidean norm (``"norm"``) or so that a unit sinusoid at the pitch gives 1."""
    if scale == "norm":
        norm = np.linalg.norm(values)
        return values / norm if norm > 0 else values
    # correlating w * exp(2j pi f t) with cos(2 pi f t + phi) gives about sum(w) / 2 in magnitude
    return values * (2.0 / _window(window, values.size).sum())


def pitch_kernel(
    note: str | float,
    sr: float,
    duration: float = 0.4,
    *,
    harmonics: int | Sequence[float] = 1,
    window: Any = "hann",
    normalize: bool = True,
) -> Signal:
    """A windowed sinusoid at a note's pitch (optionally with harmonics): a kernel for matched filtering.

    Parameters
    ----------
    note : str or float
        A note name (``"Ab6"``, ``"G#4"``, through :func:`librosa.note_to_hz`) or a frequency in Hz.
    sr : float
        Sample rate in Hz (> 0).
    duration : float, default 0.4
        Length in seconds; the kernel has ``round(duration * sr)`` samples.
    harmonics : int or sequence of float, default 1
        Number of partials ``h * f0`` with amplitudes ``1 / h``, or the amplitudes
        themselves.  Partials at or above Nyquist are left out.
    window : str, tuple, array or None, default "hann"
        Any window :func:`librosa.filters.get_window` knows (symmetric); ``None``
        or ``"boxcar"`` gives the bare sinusoid of the lecture's notebook.
    normalize : bool, default True
        Scale to unit Euclidean norm, so that correlating with it measures
        alignment (a cosine similarity up to the signal's norm).

    Returns
    -------
    Signal
        A one-channel ``"audio"`` Signal (time axis at ``1 / sr`` from 0 s):
        ``w(t) * sum_h a_h sin(2 pi h f0 t)``, the imaginary part of the kernel a
        quadrature :func:`piano_bank` uses.  The channel is named after the
        note as given (``"Ab6"`` stays ``"Ab6"``; a frequency gets the nearest
        key's name); ``attrs`` hold ``note`` (the same name), ``key`` (the
        nearest key's name with sharps, ``"G#6"``: the spelling of
        :func:`piano_bank`, :func:`piano_roll` and :func:`detect_notes`),
        ``hz`` and ``sr``.

    Raises
    ------
    UnknownNameError
        For a note name librosa cannot read.
    InvalidParameterError
        For ``sr <= 0``, ``duration`` shorter than one sample, or a pitch at
        or above the Nyquist frequency.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> k = ss.analysis.pitch_kernel("A4", sr=8000, duration=0.1)
    >>> k.shape, k.channels.names, round(float(np.linalg.norm(k.values)), 6)
    ((800, 1), ('A4',), 1.0)
    >>> spectrum = np.abs(np.fft.rfft(k.values[:, 0], 8000))
    >>> int(spectrum.argmax())
    440
    >>> k = ss.analysis.pitch_kernel("Ab6", sr=22050)
    >>> k.channels.names, k.attrs["note"], k.attrs["key"]
    (('Ab6',), 'Ab6', 'G#6')
    """
    sr = finite_float(sr, "sr", positive=True)
    duration = finite_float(duration, "duration", positive=True)
    hz = note_hz(note, "note")
    if hz >= sr / 2:
        raise InvalidParameterError(f"note {note!r} ({hz:.1f} Hz) is at or above the Nyquist frequency {sr / 2} Hz")
    n = round(duration * sr)
    if n < 1:
        raise InvalidParameterError(f"duration {duration} s is shorter than one sample at sr={sr} Hz")
    values = _tone(hz, sr, n, _harmonic_amplitudes(harmonics), window, analytic=False)
    if normalize:
        values = _scaled(values, window, "norm")
    key = note_name(hz)
    label = note.strip() if isinstance(note, str) else key
    domain = Domain((Axis("time", n, step=1 / sr, unit="s"),), kind="audio")
    return Signal(values, domain, Channels((label,)), {"hz": hz, "note": label, "key": key, "sr": sr})


def _key_length(hz: float, sr: float, resolution: float) -> int:
    """Odd kernel length (samples) whose Hann main lobe ends ``resolution`` semitones away."""
    periods = 2.0 / (2.0 ** (resolution / 12.0) - 1.0)
    return 2 * math.ceil(periods * sr / hz / 2) + 1


def _pairs(kernels: np.ndarray) -> np.ndarray:
    """Complex kernels ``(L, 1, m)`` as real ones ``(L, 1, 2m)``: real and imaginary part of each, interleaved."""
    out = np.empty((*kernels.shape[:-1], 2 * kernels.shape[-1]))
    out[..., 0::2] = kernels.real
    out[..., 1::2] = kernels.imag
    return out


@dataclass(frozen=True, eq=False)
class PianoBank:
    """The pitch kernels of consecutive piano keys, as one multichannel convolution.

    ``kernels`` has shape ``(L, 1, n_keys)`` (the ``spatial + (c_in, c_out)``
    convention): kernel ``j`` is key ``j``'s kernel (``lengths[j]`` samples)
    centred, zero-padded, in ``L`` samples.  It is real (the windowed sine of
    :func:`pitch_kernel`) or, for a quadrature bank, complex (cosine + 1j *
    sine, whose magnitude response is the key's envelope).  :meth:`conv`
    returns the :class:`~signalspace.ops.conv.Conv` that maps a mono signal to
    ``n_keys`` channels (or ``2 * n_keys`` real ones, cosine and sine per key).
    Made by :func:`piano_bank`.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> bank = ss.analysis.piano_bank(sr=8000, fmin="A3", n_keys=24, quadrature=True, scale="amplitude")
    >>> bank
    PianoBank(24 keys A3..G#5, sr=8000 Hz, quadrature, kernels (1225, 1, 24) complex128)
    >>> tone = np.cos(2 * np.pi * 440.0 * np.arange(4000) / 8000)
    >>> env = bank.envelope(tone)
    >>> env.channels.names[int(env.values[2000].argmax())]
    'A4'
    >>> bank.conv(pairs=True).kernel.shape  # one real Conv, 1 -> 48 channels (cosine, sine per key)
    (1225, 1, 48)
    """

    kernels: np.ndarray
    notes: tuple[str, ...]
    hz: np.ndarray
    midi: np.ndarray
    sr: float
    lengths: np.ndarray

    def __repr__(self) -> str:
        kind = "quadrature" if self.quadrature else "real"
        return (
            f"PianoBank({len(self.notes)} keys {self.notes[0]}..{self.notes[-1]}, sr={self.sr:g} Hz, {kind}, "
            f"kernels {self.kernels.shape} {self.kernels.dtype})"
        )

    @property
    def quadrature(self) -> bool:
        """True for complex (cosine + 1j * sine) kernels."""
        return self.kernels.dtype.kind == "c"

    @functools.cached_property
    def _real_pairs(self) -> np.ndarray:
        return _pairs(self.kernels)

    def conv(self, *, pairs: bool = False, **options: Any) -> Any:
        """The bank as ``Conv(kernels, padding="same", **options)`` (1 -> n_keys channels).

        With ``pairs=True`` (quadrature banks only) the Conv is real, from 1 to
        ``2 * n_keys`` channels: the real (cosine) and imaginary (sine) part of
        each key's kernel, interleaved; ``hypot`` of each pair is the envelope.
        On real audio it computes the same numbers as the complex Conv, at half
        the cost.
        """
        kernels = self.kernels
        if pairs:
            if not self.quadrature:
                raise InvalidParameterError(
                    "pairs=True needs a quadrature bank (piano_bank(..., quadrature=True)); this bank is single-phase"
                )
            kernels = self._real_pairs
        options.setdefault("padding", "same")
        options.setdefault("ndim", 1)  # (taps, 1, keys): one spatial axis (time), a channel matrix
        return Conv(kernels, **options)

    def _shared_conv(self, **options: Any) -> Any:
        """:meth:`conv` with ``pairs=True``, made once per set of (hashable) options and kept with the engine
        choices it caches: for the piano roll, which asks for it on every block.  Not to be modified."""
        key = tuple(sorted(options.items()))
        if key not in self._convs:
            self._convs[key] = self.conv(pairs=True, **options)
        return self._convs[key]

    @functools.cached_property
    def _convs(self) -> dict[tuple, Any]:
        return {}

    def _samples(self, x: Signal | np.ndarray, sr: float | None) -> tuple[np.ndarray, Domain]:
        samples, rate, _, origin = audio_samples(x, self.sr if sr is None and not isinstance(x, Signal) else sr)
        if not np.isclose(rate, self.sr):
            raise InvalidParameterError(f"x has sample rate {rate} Hz but the bank was built for {self.sr} Hz")
        if samples.shape[1] != 1:
            raise ShapeError(f"a piano bank takes mono audio, got {samples.shape[1]} channels; select one")
        _check_kernel_fits(samples.shape[0], self.kernels.shape[0])
        domain = Domain((Axis("time", samples.shape[0], step=1 / rate, origin=origin, unit="s"),), kind="audio")
        return samples, domain

    def __call__(self, x: Signal | np.ndarray, sr: float | None = None) -> Signal:
        """Correlate mono audio with every key's kernel: time x ``n_keys`` channels (complex if quadrature)."""
        samples, domain = self._samples(x, sr)
        return Signal(self.conv()(samples), domain, _key_channels(self.midi, self.hz))

    def envelope(self, x: Signal | np.ndarray, sr: float | None = None) -> Signal:
        """``|bank(x)|`` of a quadrature bank: each key's envelope, computed with the real ``conv(pairs=True)``."""
        samples, domain = self._samples(x, sr)
        y = self.conv(pairs=True)(samples)
        return Signal(np.hypot(y[:, 0::2], y[:, 1::2]), domain, _key_channels(self.midi, self.hz))


def _check_kernel_fits(n: int, length: int) -> None:
    if n == 0:
        raise InvalidParameterError("x is empty (0 samples)")
    if length > n:
        raise ShapeError(
            f"the kernel has {length} samples but the signal only {n}; use a shorter kernel (duration) "
            "or a longer signal"
        )


def _key_channels(midi: np.ndarray, hz: np.ndarray, prefix: str = "") -> Channels:
    return Channels(
        tuple(prefix + _midi_name(m) for m in midi),
        coords={"midi": [int(m) for m in midi], "hz": [float(f) for f in hz]},
        units={"hz": "Hz"},
    )


def _build_bank(
    midi: np.ndarray,
    sr: float,
    lengths: np.ndarray,
    amps: np.ndarray,
    window: Any,
    quadrature: bool,
    scale: str,
) -> PianoBank:
    """The bank of keys ``midi`` at ``sr`` with kernels of ``lengths`` samples (inputs already validated)."""
    hz = _midi_hz(midi)
    length = int(lengths.max())
    kernels = np.zeros((length, 1, midi.size), dtype=np.complex128 if quadrature else np.float64)
    for j, (f, n) in enumerate(zip(hz, lengths, strict=True)):
        k = _scaled(_tone(float(f), sr, int(n), amps, window, analytic=quadrature), window, scale)
        offset = (length - k.size) // 2
        kernels[offset : offset + k.size, 0, j] = k
    return PianoBank(kernels, tuple(_midi_name(m) for m in midi), hz, midi, sr, np.asarray(lengths, dtype=int))


def piano_bank(
    sr: float,
    *,
    fmin: str | float = "A0",
    n_keys: int = N_KEYS,
    duration: float | None = None,
    resolution: float = 1.0,
    harmonics: int | Sequence[float] = 1,
    window: Any = "hann",
    quadrature: bool = False,
    scale: str = "norm",
) -> PianoBank:
    """Pitch kernels for ``n_keys`` consecutive keys from ``fmin`` (by default the piano's 88, A0..C8).

    Parameters
    ----------
    sr : float
        Sample rate in Hz.
    fmin : str or float, default "A0"
        Lowest key.
    n_keys : int, default 88
        Number of keys (semitones).
    duration : float, optional
        Length of every kernel in seconds; by default each key's kernel spans
        ``2 / (2**(resolution/12) - 1)`` periods (about 34 for one semitone) and
        all are zero-padded, centred, to the longest.
    resolution : float, default 1.0
        Semitones between a key and the first zero of its kernel's response.
    harmonics, window
        As in :func:`pitch_kernel`.
    quadrature : bool, default False
        False: real kernels, the windowed sines of :func:`pitch_kernel`.  True:
        complex kernels ``w(t) * exp(2j pi f t)`` (cosine + 1j * sine, the sine
        being the real bank's kernel), whose output magnitude is the key's
        envelope; :func:`piano_roll` is made of these.
    scale : {"norm", "amplitude"}, default "norm"
        ``"norm"``: each kernel has unit Euclidean norm (as :func:`pitch_kernel`).
        ``"amplitude"``: a unit-amplitude sinusoid at a key's pitch gives an
        output of magnitude 1 in that key (the envelope for a quadrature bank,
        the oscillation's amplitude otherwise; with ``harmonics`` a sequence,
        the fundamental's amplitude).

    Returns
    -------
    PianoBank
        Kernels of shape ``(L, 1, n_keys)``; ``notes`` are the keys' names
        with sharps (``"G#4"``, as in :func:`piano_roll` and
        :func:`detect_notes`), whatever spelling ``fmin`` has.  Keys at or
        above Nyquist are an error.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> bank = ss.analysis.piano_bank(sr=8000, fmin="A3", n_keys=12)
    >>> bank.kernels.shape[1:], bank.notes[:3]
    ((1, 12), ('A3', 'A#3', 'B3'))

    A quadrature bank measures envelopes: a unit sinusoid at A4 gives 1 in key A4.

    >>> bank = ss.analysis.piano_bank(sr=8000, fmin="A3", n_keys=24, quadrature=True, scale="amplitude")
    >>> tone = np.cos(2 * np.pi * 440.0 * np.arange(8000) / 8000 + 0.3)
    >>> env = bank.envelope(tone)
    >>> env.channels.names[int(env.values[4000].argmax())], round(float(env.values[4000].max()), 3)
    ('A4', 1.0)
    >>> bool(np.allclose(np.abs(bank(tone).values), env.values))
    True
    """
    sr = finite_float(sr, "sr", positive=True)
    n_keys = positive_int(n_keys, "n_keys")
    resolution = finite_float(resolution, "resolution", positive=True)
    if not isinstance(quadrature, bool):
        raise InvalidTypeError(f"quadrature must be True or False, got {describe(quadrature)}")
    one_of(scale, "scale", BANK_SCALES)
    amps = _harmonic_amplitudes(harmonics)
    midi = _key_midis(fmin, n_keys)
    hz = _midi_hz(midi)
    if hz[-1] >= sr / 2:
        raise InvalidParameterError(
            f"the top key {_midi_name(midi[-1])} ({hz[-1]:.1f} Hz) is at or above the Nyquist frequency "
            f"{sr / 2} Hz of sr={sr}; use fewer keys or a higher sample rate"
        )
    if duration is None:
        lengths = np.array([_key_length(f, sr, resolution) for f in hz])
    else:
        duration = finite_float(duration, "duration", positive=True)
        lengths = np.full(n_keys, max(1, round(duration * sr)))
    return _build_bank(midi, sr, lengths, amps, window, quadrature, scale)
