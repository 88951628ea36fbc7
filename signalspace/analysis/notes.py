"""Pitch kernels, the 88-key piano bank, piano rolls and note detection by matched filtering.

The lecture's idea made into a tool: the correlation of a signal with a
windowed sinusoid at a note's pitch (a *pitch kernel*) lights up where that
note plays.  A bank of 88 such kernels (A0..C8) turns mono audio into 88
channels of note energy, a *piano roll*; thresholding each key's envelope with
hysteresis, and discarding what other notes' partials and the kernels' leakage
explain, gives the notes.

One kernel definition serves everything: ``w(t) * exp(2j*pi*f*t)`` for
``t = 0, 1/sr, ...`` with ``w`` a symmetric window (Hann by default).  Its
imaginary part, the windowed sine, is :func:`pitch_kernel` and the kernel of a
real :func:`piano_bank`; the whole complex kernel (cosine + 1j * sine) is the
kernel of a quadrature bank (``piano_bank(..., quadrature=True)``), whose
output magnitude is each key's envelope.

The piano roll is made of quadrature banks, computed the way a constant-Q
transform is: the keys of each octave form a bank at the signal's rate
decimated by a power of two (librosa's soxr resampler), run as one strided
"same" correlation (:meth:`PianoBank.conv` with ``pairs=True``: a cosine and a
sine channel per key) that outputs one value per frame.  Key ``k``'s kernel
is ``2 / (2**(resolution/12) - 1)`` periods long, so that its neighbours
``resolution`` semitones away fall on the first zero of its frequency
response, and scaled (``scale="amplitude"``) so that a unit-amplitude
sinusoid at the key's pitch gives an envelope of 1.

Note names: names the library makes (:attr:`PianoBank.notes`, piano-roll
channels, :attr:`NoteEvent.note`, ``attrs["key"]`` of a pitch kernel) are
librosa's ASCII names with sharps (``"G#6"``); a name you give is echoed as you
wrote it (``pitch_kernel("Ab6")`` is a channel named ``"Ab6"``, with
``attrs["note"] == "Ab6"`` and ``attrs["key"] == "G#6"``).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import math
import os
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields
from typing import Any

import numpy as np

from .._errors import FileFormatError, InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import describe, finite_float, one_of, positive_int
from ..domain import Axis, Channels, Domain
from ..domains.audio import audio_samples, pcm_to_float
from ..signal import Signal
from .synth import note_hz, note_name

__all__ = [
    "N_KEYS",
    "NoteEvent",
    "NoteTable",
    "PianoBank",
    "detect_notes",
    "piano_bank",
    "piano_roll",
    "pitch_kernel",
]

#: Number of piano keys, A0 (MIDI 21) to C8 (MIDI 108).
N_KEYS = 88
_MIDI_A0 = 21
#: Domain kind of piano rolls.
ROLL_KIND = "pianoroll"


def _key_midis(fmin: str | float, n_keys: int) -> np.ndarray:
    import librosa

    first = round(float(librosa.hz_to_midi(note_hz(fmin, "fmin"))))
    return np.arange(first, first + n_keys)


def _midi_hz(midi: np.ndarray) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69) / 12)


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
        from ..ops.conv import Conv

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


# --------------------------------------------------------------------------- piano roll
@dataclass(frozen=True)
class _Level:
    factor: int  # decimation factor
    keys: np.ndarray  # indices into the roll's keys
    bank: PianoBank  # quadrature bank of these keys at sr / factor, scale="amplitude"


@functools.lru_cache(maxsize=16)
def _plan(sr: float, hop_length: int, first_midi: int, n_keys: int, resolution: float) -> tuple[_Level, ...]:
    """Multirate plan: octave groups of 12 keys from the top, each a quadrature bank at a decimated rate."""
    midi = np.arange(first_midi, first_midi + n_keys)
    hz = _midi_hz(midi)
    levels = []
    factor = 1
    top = n_keys
    while top > 0:
        keys = np.arange(max(0, top - 12), top)
        rate = sr / factor
        lengths = np.array([_key_length(f, rate, resolution) for f in hz[keys]])
        bank = _build_bank(midi[keys], rate, lengths, np.ones(1), "hann", quadrature=True, scale="amplitude")
        levels.append(_Level(factor, keys, bank))
        top -= 12
        # decimate further while the next octave stays well below the new Nyquist and the hop divides
        if top > 0 and hz[top - 1] < 0.2 * sr / (2 * factor) and hop_length % (2 * factor) == 0:
            factor *= 2
    return tuple(levels)


def _roll_mono(samples: np.ndarray, sr: float, hop_length: int, plan: tuple[_Level, ...], n_keys: int) -> np.ndarray:
    import librosa

    n = samples.shape[0]
    frames = -(-n // hop_length)
    out = np.zeros((frames, n_keys))
    signal = samples
    factor = 1
    for level in plan:
        while factor < level.factor:
            signal = librosa.resample(signal, orig_sr=2, target_sr=1, res_type="soxr_hq")
            factor *= 2
        if signal.shape[0] == 0:
            continue
        y = level.bank.conv(pairs=True, stride=hop_length // factor)(signal[:, np.newaxis])
        env = np.hypot(y[:, 0::2], y[:, 1::2])
        m = min(frames, env.shape[0])
        out[:m, level.keys] = env[:m]
    return out


# --------------------------------------------------------------------------- chunked (dask) piano roll
@functools.lru_cache(maxsize=1)
def _resample_reach() -> int:
    """Input samples on each side that one 2:1 ``soxr_hq`` decimation reads, with a margin of 2.

    Measured once from the resampler's impulse response (taps above 1e-7 of the
    peak, about the precision of soxr's "HQ" arithmetic).
    """
    import librosa

    n = 8192
    impulse = np.zeros(n + 1)
    impulse[n // 2] = 1.0
    response = np.abs(librosa.resample(impulse, orig_sr=2, target_sr=1, res_type="soxr_hq"))
    taps = np.flatnonzero(response > 1e-7 * response.max()) - n // 4
    return 2 * 2 * int(np.abs(taps).max() + 1)


def _roll_halo(plan: tuple[_Level, ...]) -> int:
    """Samples of context each side of a run of frames so that chunked frames equal the in-memory ones.

    A level decimated ``F`` times reads ``(L - 1) / 2 + 1`` decimated samples each
    side of a frame (``F`` samples each), which are exact once the cascade of
    2:1 resamplers before it saw ``reach * (F - 1)`` samples more.  Rounded up
    to a multiple of the largest decimation factor, so chunk starts keep every
    level's sample grid.
    """
    reach = _resample_reach()
    top = max(level.factor for level in plan)
    halo = max(
        level.factor * ((level.bank.kernels.shape[0] - 1) // 2 + 2) + reach * (level.factor - 1) for level in plan
    )
    return -(-halo // top) * top


def _roll_block(
    block: np.ndarray, hop_length: int, plan: tuple[_Level, ...], n_keys: int, f0: int, f1: int, s0: int, n: int
) -> np.ndarray:
    """Frames ``f0 .. f1`` of the piano roll of every channel, from samples ``s0 .. s0 + len(block)`` of ``n``.

    ``block`` covers the frames plus :func:`_roll_halo` samples each side (less
    at the ends of the signal) and ``s0`` is a multiple of every decimation
    factor; the result equals rows ``f0 .. f1`` of :func:`_roll_mono` per channel.
    """
    import librosa

    block = np.asarray(block, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(block))
    if bad.size:
        i, c = bad[0]
        raise InvalidParameterError(
            f"x must contain finite audio samples, got {block[i, c]} at sample {s0 + i} of channel {c}"
        )
    out = np.zeros((f1 - f0, block.shape[1] * n_keys))
    for c in range(block.shape[1]):
        signal = block[:, c]
        factor = 1
        for level in plan:
            while factor < level.factor:
                signal = librosa.resample(signal, orig_sr=2, target_sr=1, res_type="soxr_hq")
                factor *= 2
            stride = hop_length // factor
            length = level.bank.kernels.shape[0]
            centre = (length - 1) // 2
            total = -(-n // factor)  # samples of the whole signal at this level (each 2:1 step rounds up)
            first = s0 // factor  # global index of signal[0]
            g0 = f0 * stride - centre
            g1 = (f1 - 1) * stride - centre + length
            segment = np.zeros(g1 - g0)  # the zero padding of a "same" correlation outside the signal
            lo, hi = max(g0, 0, first), min(g1, total, first + signal.shape[0])
            if hi > lo:
                segment[lo - g0 : hi - g0] = signal[lo - first : hi - first]
            y = level.bank.conv(pairs=True, stride=stride, padding="valid")(segment[:, np.newaxis])
            out[:, c * n_keys + level.keys] = np.hypot(y[:, 0::2], y[:, 1::2])
    return out


def _roll_dask(values: Any, hop_length: int, plan: tuple[_Level, ...], n_keys: int) -> Any:
    """The piano roll of dask audio ``(n, c)``: runs of frames computed from their samples plus a halo.

    Frame runs follow the input's chunks (cut at the first frame of each
    chunk), merged so that each spans at least the halo; each run is one task
    that reads its samples and ``halo`` more each side.
    """
    import dask.array as da

    n, c = int(values.shape[0]), int(values.shape[1])
    frames = -(-n // hop_length)
    halo = _roll_halo(plan)
    bounds = np.cumsum(values.chunks[0])[:-1]
    cuts = sorted({0, frames} | {int(-(-b // hop_length)) for b in bounds if 0 < -(-b // hop_length) < frames})
    runs = []
    start = 0
    for cut in cuts[1:]:
        if (cut - start) * hop_length >= halo or cut == frames:
            runs.append((start, cut))
            start = cut
    if len(runs) > 1 and (runs[-1][1] - runs[-1][0]) * hop_length < halo:  # a short last run joins the previous
        runs[-2:] = [(runs[-2][0], runs[-1][1])]
    if len(values.chunks[1]) > 1:
        values = values.rechunk({1: -1})
    pieces = []
    for f0, f1 in runs:
        s0 = max(0, f0 * hop_length - halo)
        s1 = min(n, f1 * hop_length + halo)
        piece = values[s0:s1].rechunk({0: -1})
        func = functools.partial(_roll_block, hop_length=hop_length, plan=plan, n_keys=n_keys, f0=f0, f1=f1, s0=s0, n=n)
        pieces.append(
            piece.map_blocks(func, chunks=((f1 - f0,), (c * n_keys,)), dtype=np.float64, meta=np.empty((0, 0)))
        )
    return pieces[0] if len(pieces) == 1 else da.concatenate(pieces, axis=0)


def _lazy_audio(x: Any, sr: float | None) -> tuple[Any, float, Channels, float] | None:
    """Like :func:`~signalspace.analysis.spectral.audio_samples` for dask audio, without computing; None otherwise.

    Returns the dask values ``(n, c)``, the sample rate, the channels and the
    start time of a dask-backed audio Signal (or of a dask array given with ``sr``).
    """
    from ..signal import is_lazy

    if isinstance(x, Signal):
        if not x.is_lazy:
            return None
        if x.ndim != 1:
            raise ShapeError(f"x must be a signal on one (time) axis, got a signal on {x.ndim} axes {x.domain!r}")
        axis = x.domain.axes[0]
        rate = 1.0 / axis.step
        if rate <= 0:
            raise InvalidParameterError(f"x has a time axis with negative step {axis.step}; a sample rate must be > 0")
        if sr is not None and not np.isclose(finite_float(sr, "sr", positive=True), rate, rtol=1e-9):
            raise InvalidParameterError(
                f"sr={sr} disagrees with the sample rate of x ({rate} Hz, from its time step {axis.step} s); "
                "leave sr out for a Signal"
            )
        values, channels, origin = x.values, x.channels, axis.origin
    elif is_lazy(x) and hasattr(x, "chunks"):
        if sr is None:
            raise InvalidParameterError("sr (the sample rate in Hz) is required when x is an array, got None")
        rate = finite_float(sr, "sr", positive=True)
        values = x[:, np.newaxis] if x.ndim == 1 else x
        if values.ndim != 2 or values.shape[1] == 0:
            raise ShapeError(f"x must have shape (n,) or (n, channels), got shape {tuple(x.shape)}")
        channels, origin = Channels.generic(values.shape[1]), 0.0
    else:
        return None
    if values.dtype.kind not in "biuf":
        raise InvalidTypeError(f"x must be real audio samples, got a dask array of {values.dtype}")
    return pcm_to_float(values), rate, channels, origin


def _roll_keys(fmin: str | float, n_keys: int | None, sr: float) -> np.ndarray:
    """MIDI numbers of a roll's keys: ``n_keys`` from ``fmin``, or by default those up to C8 below ``0.45 * sr``."""
    if n_keys is not None:
        return _key_midis(fmin, positive_int(n_keys, "n_keys"))
    first = int(_key_midis(fmin, 1)[0])
    top = _MIDI_A0 + N_KEYS - 1
    midi = np.arange(first, max(top, first) + 1)
    midi = midi[_midi_hz(midi) < 0.45 * sr]
    if midi.size == 0:
        raise InvalidParameterError(
            f"fmin {fmin!r} ({_midi_hz(np.array([first]))[0]:.1f} Hz) is at or above 0.45 * sr = {0.45 * sr} Hz; "
            "use a lower fmin or a higher sample rate"
        )
    return midi


def piano_roll(
    x: Signal | np.ndarray,
    *,
    sr: float | None = None,
    hop_length: int = 512,
    fmin: str | float = "A0",
    n_keys: int | None = None,
    resolution: float = 1.0,
) -> Signal:
    """Note energy per piano key over time: the envelope of each key's matched filter.

    Parameters
    ----------
    x : Signal or array_like
        Audio (Signal on a time axis, or ``(n,)``/``(n, c)`` samples with ``sr``);
        integer samples are PCM, scaled to [-1, 1) as :func:`signalspace.audio.load`
        reads them, so envelopes are in the same units whatever the sample type.
        Dask-backed audio (``ss.audio.load(path, chunks=...)``, or a dask
        array) gives a lazy roll, computed chunk by chunk: see Notes.
    sr : float, optional
        Sample rate for arrays.
    hop_length : int, default 512
        Samples between frames (frame ``t`` is centred at ``t * hop_length / sr``,
        as librosa places CQT/STFT frames).  Octaves are decimated while the
        decimation factor divides ``hop_length``.
    fmin : str or float, default "A0"
        Lowest key.
    n_keys : int, optional
        Number of keys.  By default the keys from ``fmin`` up to C8 (the piano's
        88 from A0) that lie below ``0.45 * sr``: at 8 kHz, A0..A7 (85 keys).
        An explicit ``n_keys`` whose top key is at or above ``0.45 * sr`` is an
        error.
    resolution : float, default 1.0
        Semitones to the first zero of each key's response (smaller is sharper
        in pitch and longer in time).

    Returns
    -------
    Signal
        Values ``(frames, c * n_keys)`` on a ``"pianoroll"`` time Domain; channel
        names are the key names (``"A0"`` ... ``"C8"``), prefixed by the audio
        channel's name and ``":"`` for multichannel audio (``"L:A4"``).  The
        channels carry ``midi`` and ``hz`` coordinates.  A unit-amplitude sinusoid
        at a key's pitch has envelope 1 in that key.  For dask-backed audio the
        values are a dask array (nothing is read or computed until they are).

    Notes
    -----
    Long audio never has to fit in memory: for dask-backed input every run of
    frames is one task that reads its samples plus a halo each side (the
    longest kernel's half-length at its decimated rate, plus what the cascade
    of 2:1 resamplers before it reads), decimates and correlates that block
    alone, and keeps its own frames.  Runs start on frame boundaries (multiples
    of ``hop_length``, hence of every level's decimation factor), so every
    level's samples and frames line up with the in-memory computation's; runs
    follow the input's chunks, merged up to at least a halo (about 2.75 s at
    22.05 kHz for the 88 keys) so that small chunks do not multiply the reads.
    The result equals the in-memory roll to about 1e-7 of the audio's peak
    amplitude (envelopes are in amplitude units; soxr's "HQ" resampler rounds
    like float32 arithmetic, differently for different block starts).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.analysis.synthesize(["A4", "E5"], durations=0.5, sr=22050)
    >>> roll = ss.analysis.piano_roll(x)
    >>> roll.nchannels, roll.channels.names[48]
    (88, 'A4')
    >>> [roll.channels.names[k] for k in roll.values[[10, 30]].argmax(axis=1)]
    ['A4', 'E5']

    Dask-backed audio gives a lazy roll with the same values:

    >>> import dask.array as da
    >>> lazy = ss.analysis.piano_roll(x.replace(values=da.from_array(x.values, chunks=(4096, 1))))
    >>> lazy.is_lazy, bool(np.allclose(lazy.values.compute(), roll.values, atol=1e-6))
    (True, True)
    """
    lazy = _lazy_audio(x, sr)
    if lazy is None:
        samples, sr, channels, origin = audio_samples(x, sr)
    else:
        samples, sr, channels, origin = lazy
    hop_length = positive_int(hop_length, "hop_length")
    resolution = finite_float(resolution, "resolution", positive=True)
    if samples.shape[0] == 0:
        raise InvalidParameterError("x is empty (0 samples); a piano roll needs audio")
    midi = _roll_keys(fmin, n_keys, sr)
    n_keys = midi.size
    hz = _midi_hz(midi)
    if hz[-1] >= 0.45 * sr:
        raise InvalidParameterError(
            f"n_keys={n_keys} puts the top key {_midi_name(midi[-1])} ({hz[-1]:.1f} Hz) too close to the Nyquist "
            f"frequency {sr / 2} Hz of sr={sr} (keys must be below 0.45 * sr); use at most "
            f"n_keys={int(np.sum(hz < 0.45 * sr))}, leave n_keys out, or a higher sample rate"
        )
    plan = _plan(float(sr), hop_length, int(midi[0]), n_keys, float(resolution))
    if lazy is None:
        rolls = [_roll_mono(samples[:, c], sr, hop_length, plan, n_keys) for c in range(samples.shape[1])]
        values = np.concatenate(rolls, axis=1)
    else:
        values = _roll_dask(samples, hop_length, plan, n_keys)
    if samples.shape[1] == 1:
        names = _key_channels(midi, hz)
    else:
        base = _key_channels(midi, hz)
        names = Channels(
            tuple(f"{ch}:{key}" for ch in channels.names for key in base.names),
            coords={
                "midi": [int(m) for _ in channels.names for m in midi],
                "hz": [float(f) for _ in channels.names for f in hz],
                "source": [ch for ch in channels.names for _ in midi],
            },
            units={"hz": "Hz"},
        )
    domain = Domain((Axis("time", values.shape[0], step=hop_length / sr, origin=origin, unit="s"),), kind=ROLL_KIND)
    attrs = {"sr": sr, "hop_length": hop_length, "resolution": resolution, "n_keys": n_keys,
             "fmin_midi": int(midi[0]), "source_channels": tuple(channels.names)}
    return Signal(values, domain, names, attrs)


# --------------------------------------------------------------------------- detection
def _write_text(path: Any, text: str, name: str) -> None:
    """Write ``text`` (UTF-8, newlines as they are) to ``path`` through :func:`~signalspace._io.atomic_path`.

    OS errors (no permission, disk full) become a FileFormatError naming ``name``.
    """
    from .._io import atomic_path

    try:
        with atomic_path(path, name) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="")
    except FileFormatError:  # atomic_path's own checks (an OSError subclass) already name the path
        raise
    except OSError as exc:
        raise FileFormatError(f"cannot write {name} {str(path)!r}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class NoteEvent:
    """One detected note.

    Attributes
    ----------
    onset, offset : float
        Start and end in seconds.
    note : str
        Note name with sharps (``"G#6"``).
    hz : float
        Equal-tempered frequency of the key.
    strength : float
        Peak envelope of the key's matched filter (about the amplitude of the
        note's fundamental).
    channel : str
        Name of the audio channel it was found in.

    Examples
    --------
    >>> import signalspace as ss
    >>> (e,) = ss.analysis.detect_notes(ss.analysis.synthesize(["A4"], durations=0.5, sr=22050))
    >>> e.note, round(e.hz, 1), round(e.onset, 2), e.channel
    ('A4', 440.0, 0.0, 'M')
    """

    onset: float
    offset: float
    note: str
    hz: float
    strength: float
    channel: str


class NoteTable(list):
    """A list of :class:`NoteEvent` rows (sorted by channel order, then onset) that writes CSV.

    Examples
    --------
    >>> from signalspace.analysis import NoteEvent, NoteTable
    >>> t = NoteTable([NoteEvent(0.1, 0.5, "A4", 440.0, 0.9, "M")])
    >>> print(t.to_csv(), end="")
    onset,offset,note,hz,strength,channel
    0.1000,0.5000,A4,440.00,0.9000,M
    """

    columns = tuple(f.name for f in fields(NoteEvent))

    def rows(self) -> list[tuple]:
        """The events as tuples in :attr:`columns` order."""
        return [astuple(e) for e in self]

    def to_csv(self, path: str | os.PathLike | None = None) -> str:
        """CSV text of the table; also written to ``path`` (atomically: no partial file on failure) when given.

        Raises :class:`~signalspace.InvalidTypeError` for a ``path`` that is not
        a str or os.PathLike, and :class:`~signalspace.FileFormatError` when it
        cannot be written (no such directory, a directory, no permission).
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for e in self:
            writer.writerow(
                [f"{e.onset:.4f}", f"{e.offset:.4f}", e.note, f"{e.hz:.2f}", f"{e.strength:.4f}", e.channel]
            )
        text = buffer.getvalue()
        if path is not None:
            _write_text(path, text, "path")
        return text

    def __str__(self) -> str:
        if not self:
            return "(no notes)"
        lines = [f"{'onset':>8} {'offset':>8}  {'note':<5} {'Hz':>8} {'strength':>9}  channel"]
        for e in self:
            lines.append(
                f"{e.onset:8.3f} {e.offset:8.3f}  {e.note:<5} {e.hz:8.1f} {e.strength:9.4f}  {e.channel}"
            )
        return "\n".join(lines)


@functools.lru_cache(maxsize=16)
def _leak_matrix(sr: float, hop_length: int, first_midi: int, n_keys: int, resolution: float) -> np.ndarray:
    """``M[j, k]``: envelope expected in key ``k`` from a unit sinusoid at key ``j`` (kernel leakage, no partials).

    Computed from the kernels' actual frequency responses (partials above a
    level's passband are removed by the decimation and count as zero).
    """
    plan = _plan(sr, hop_length, first_midi, n_keys, resolution)
    hz = _midi_hz(np.arange(first_midi, first_midi + n_keys))
    partials = hz
    leak = np.zeros((n_keys, n_keys))
    for level in plan:
        rate = sr / level.factor
        length = level.bank.kernels.shape[0]
        m = np.arange(length) - (length - 1) // 2
        phase = np.exp(-2j * np.pi * np.outer(partials, m) / rate)  # (P, L)
        for col, key in enumerate(level.keys):
            kern = level.bank.kernels[:, 0, col]
            # envelope from a unit sinusoid at each partial that switches on or off anywhere under
            # the kernel (the worst case of a steady tone, an onset and an offset)
            partial_sums = np.cumsum(phase * kern[None, :], axis=1)
            total = partial_sums[:, -1:]
            response = 0.5 * np.maximum(np.abs(partial_sums), np.abs(total - partial_sums)).max(axis=1)
            response[(partials >= 0.45 * rate) | (partials >= 0.45 * sr)] = 0.0
            # a short note spreads over neighbouring keys whatever the kernels: partials within two
            # semitones of the key explain at least a third of their amplitude
            distance = np.abs(12 * np.log2(partials / hz[key]))
            response = np.where((distance > 0.5) & (distance <= 2.5), np.maximum(response, 1 / 3), response)
            leak[:, key] = response
    return leak


def _half_max_onset(column: np.ndarray, tp: int, p: float, lo: int) -> float:
    """Frame (fractional) where ``column`` first reaches ``p / 2`` before ``tp`` (not before ``lo``)."""
    i = tp
    while i > lo and column[i] >= 0.5 * p:
        i -= 1
    if column[i] < 0.5 * p and i < tp:
        frac = (0.5 * p - column[i]) / max(column[i + 1] - column[i], 1e-12)
        return i + min(max(frac, 0.0), 1.0)
    return float(i)


def _split_runs(seg: np.ndarray, prominence: float) -> list[tuple[int, int, int]]:
    """Split a run of frames at re-attacks: ``(start, stop, peak)`` per peak of relative prominence."""
    from scipy.signal import find_peaks

    padded = np.concatenate([[0.0], seg, [0.0]])
    peaks, props = find_peaks(padded, prominence=0.0)
    keep = [int(q) - 1 for q, pr in zip(peaks, props["prominences"], strict=True) if pr >= prominence * padded[q]]
    if not keep:
        keep = [int(seg.argmax())]
    bounds = [0]
    for a, b in itertools.pairwise(keep):
        bounds.append(a + int(seg[a:b + 1].argmin()))
    bounds.append(seg.size)
    return [(bounds[i], bounds[i + 1], keep[i]) for i in range(len(keep))]


def _bump_width(column: np.ndarray, t: int) -> int:
    """Frames above half the local maximum reached by climbing from frame ``t``."""
    n = column.size
    while t + 1 < n and column[t + 1] > column[t]:
        t += 1
    while t > 0 and column[t - 1] > column[t]:
        t -= 1
    half = 0.5 * column[t]
    below = np.flatnonzero(column < half)
    left = below[below < t]
    right = below[below > t]
    start = left[-1] + 1 if left.size else 0
    stop = right[0] if right.size else n
    return max(int(stop - start), 1)


#: Harmonic intervals: a candidate this many semitones (or within 2.5 of it) above a co-sounding note may be
#: one of its partials.
_PARTIAL_SPREAD = 2.5


def _partial_intervals(n_harmonics: int) -> np.ndarray:
    """Semitone intervals ``d >= 3`` within :data:`_PARTIAL_SPREAD` of a partial ``12 log2(h)``, ``2 <= h <= H``."""
    if n_harmonics < 2:
        return np.zeros(0, dtype=int)
    positions = 12 * np.log2(np.arange(2, n_harmonics + 1))
    d = np.arange(3, int(positions[-1] + _PARTIAL_SPREAD) + 1)
    return d[np.abs(d[:, None] - positions[None, :]).min(axis=1) <= _PARTIAL_SPREAD]


class _Smoothed:
    """Key envelopes above their noise floor, smoothed along time by a Hann window of another key's kernel.

    A key's envelope is the note's amplitude smoothed by its own kernel's window, so key ``k``'s envelope
    smoothed by key ``j``'s window and key ``j``'s smoothed by ``k``'s have gone through the same two
    windows: what one note's partials put in the two keys then has the same shape, whatever the kernels.
    """

    def __init__(self, env: np.ndarray, floor: np.ndarray, lengths_frames: np.ndarray) -> None:
        self.env = np.maximum(env - floor[None, :], 0.0)
        self.widths = np.maximum(1, np.round(lengths_frames).astype(int)) | 1
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def __call__(self, key: int, by: int) -> np.ndarray:
        from scipy import ndimage

        width = int(self.widths[by])
        out = self._cache.get((key, width))
        if out is None:
            w = np.hanning(width + 2)[1:-1] if width > 1 else np.ones(1)
            out = ndimage.convolve1d(self.env[:, key], w / w.sum(), mode="constant")
            self._cache[(key, width)] = out
        return out


def _detect_mono(
    env: np.ndarray,
    dt: float,
    origin: float,
    hz: np.ndarray,
    midi: np.ndarray,
    leak: np.ndarray,
    lengths_s: np.ndarray,
    channel: str,
    threshold_db: float,
    min_duration: float,
    harmonic_margin: float,
    n_harmonics: int,
) -> list[NoteEvent]:
    from scipy import ndimage

    n_keys = env.shape[1]
    peak = float(env.max()) if env.size else 0.0
    if not np.isfinite(peak) or peak <= 1e-6:
        return []
    # noise floor per key: a low percentile of its envelope; white noise gives every key a floor
    # proportional to 1 / sqrt(kernel duration), so a key busy most of the time borrows the others'
    floor = np.percentile(env, 10, axis=0)
    typical = np.median(floor * np.sqrt(lengths_s)) / np.sqrt(lengths_s)
    floor = np.minimum(floor, 2.0 * typical)
    # for a noise-only (Rayleigh) envelope, 10 x its 10th percentile is 4 x its median
    high = np.maximum(peak * 10 ** (threshold_db / 20), 10.0 * floor)
    low = 0.5 * high
    labels, count = ndimage.label(env >= low, structure=np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]]))
    if count == 0:
        return []
    key_max = env.max(axis=0)
    candidates = []
    for sl in ndimage.find_objects(labels):
        if sl is None:
            continue
        t0, t1, k = sl[0].start, sl[0].stop, sl[1].start
        seg = env[t0:t1, k]
        for a, b, q in _split_runs(seg, 0.25):
            p = float(seg[q])
            if p < high[k]:
                continue
            tp = t0 + q
            onset = _half_max_onset(env[:, k], tp, p, max(0, t0 + a - 1) if a > 0 else 0)
            candidates.append((k, tp, p, onset, float(t0 + b - 1), t0 + a, t0 + b))
    candidates = [
        c for c in candidates
        if not _explained_by_neighbour(env, c[0], c[1], c[2], c[3], leak, key_max, lengths_s, dt, harmonic_margin)
    ]
    smooth = _Smoothed(env, floor, lengths_s / dt)
    intervals = set(_partial_intervals(n_harmonics).tolist())
    # two passes: the candidates no lower candidate's partials can explain by timing alone are surely
    # fundamentals; their partial ratios tell what the instrument's partials are like, so that a chord note
    # at a partial's pitch (louder than the recording's partials there) is kept in the second pass
    fundamentals = [
        c for c in candidates
        if not _explained_as_partial(c, candidates, smooth, intervals, None, lengths_s, dt)
    ]
    typical_ratio = _typical_partial_ratios(fundamentals, smooth, intervals, n_keys)
    events = []
    for c in candidates:
        k, _tp, p, onset_frame, offset_frame, _start, _stop = c
        onset = origin + onset_frame * dt
        offset = origin + offset_frame * dt
        if _explained_as_partial(c, candidates, smooth, intervals, typical_ratio, lengths_s, dt):
            continue
        if offset - onset < min_duration:
            continue
        events.append(NoteEvent(float(onset), float(offset), _midi_name(midi[k]), float(hz[k]), p, channel))
    events.sort(key=lambda e: (e.onset, e.hz))
    return events


def _explained_by_neighbour(
    env: np.ndarray,
    k: int,
    tp: int,
    p: float,
    onset_frame: float,
    leak: np.ndarray,
    key_max: np.ndarray,
    lengths_s: np.ndarray,
    dt: float,
    harmonic_margin: float,
) -> bool:
    """Whether a note on a key within two semitones explains the candidate through the kernels' leakage.

    ``leak[j, k]`` is the envelope a unit sinusoid at key ``j`` gives key ``k`` (the kernels' own
    responses: no assumption about the instrument).
    """
    frames = env.shape[0]
    bound = harmonic_margin * leak[:, k] * key_max * np.maximum(lengths_s / lengths_s[k], 1.0)
    bound[k] = 0.0
    explained = 0.0
    for j in np.flatnonzero(bound > p):
        reach = max(1, round(0.5 * lengths_s[j] / dt))
        # only from the candidate's own onset on: leakage starts with its note, while the decaying tail
        # of an earlier note on key j says nothing about a new note on key k
        a, b = max(0, tp - reach, int(onset_frame)), min(frames, tp + reach + 1)
        window = env[a:b, j]
        tj = int(window.argmax())
        pj = float(window[tj])
        # a note shorter than key j's kernel is under-read by it (but not by shorter kernels):
        # correct by kernel length over the note's apparent width, at most the kernels' ratio
        width = _bump_width(env[:, j], a + tj) * dt
        short = min(max(lengths_s[j] / width, 1.0), max(lengths_s[j] / lengths_s[k], 1.0))
        explained = max(explained, leak[j, k] * pj * short)
    return p < harmonic_margin * explained


def _partial_ratio(smooth: _Smoothed, j: int, k: int, start: int, stop: int) -> tuple[float, float]:
    """How strong key ``k`` is relative to key ``j`` while key ``j``'s note (frames ``start:stop``) is loud.

    Two ratios of the cross-smoothed envelopes (:class:`_Smoothed`): the least-squares one over the frames
    where key ``j``'s is at least 70 % of its maximum (the level of the partials of key ``j``'s note around
    key ``k``), and the largest over the frames where it is at least half its maximum (the most those
    partials can explain, also early on, before the higher partials' faster decay).  Either is more if
    another note sounds on key ``k`` meanwhile; both are 0 when key ``j`` is silent.
    """
    lower = smooth(j, k)[start:stop]
    top = float(lower.max()) if lower.size else 0.0
    if top <= 0:
        return 0.0, 0.0
    upper = smooth(k, j)[start:stop]
    loud = lower >= 0.7 * top
    level = float(np.dot(upper[loud], lower[loud]) / np.dot(lower[loud], lower[loud]))
    loud = lower >= 0.5 * top
    return level, float(np.max(upper[loud] / lower[loud]))


def _typical_partial_ratios(
    candidates: list[tuple], smooth: _Smoothed, intervals: set[int], n_keys: int
) -> dict[int, float]:
    """For each interval ``d``: what the keys ``d`` semitones above the candidates typically hold, relative to them.

    :func:`_partial_ratio` of key ``j + d`` to each candidate's key ``j`` over its frames, the upper quartile
    over the candidates: an estimate, from the recording itself, of how strong its instrument's partials
    around ``d`` semitones are (a chord or melody note there is an outlier, ignored unless most candidates
    have one).
    """
    ratios: dict[int, list[float]] = {}
    for j, _tp, _p, _on, _off, start, stop in candidates:
        for d in intervals:
            if j + d < n_keys:
                ratios.setdefault(d, []).append(_partial_ratio(smooth, j, j + d, start, stop)[0])
    return {d: float(np.percentile(r, 75)) for d, r in ratios.items()}


#: How much louder than the recording's typical partial level (for its interval) a lower note's partial
#: level may be and still explain a candidate (:func:`_explained_as_partial`).
_PARTIAL_LEVEL_MARGIN = 2.0


def _explained_as_partial(
    candidate: tuple,
    candidates: list[tuple],
    smooth: _Smoothed,
    intervals: set[int],
    typical_ratio: dict[int, float] | None,
    lengths_s: np.ndarray,
    dt: float,
) -> bool:
    """Whether lower candidates' partials explain this one: none after it, never below it, at typical levels.

    No law of partial amplitudes is assumed.  Candidate ``c`` (key ``k``, frames ``start:stop``, peak ``p``)
    may be explained by the candidates ``d`` on keys ``j`` whose frames overlap its own, with ``k - j`` near
    a partial's interval ``12 log2(h)``,

    - that do not start after ``c`` (half-maximum onsets, with 60 ms plus a quarter of the difference
      of the two kernels' lengths, by which a short note's onset moves in the longer kernel);
    - whose partial level around key ``k`` (the least-squares :func:`_partial_ratio`) is at most
      :data:`_PARTIAL_LEVEL_MARGIN` times the one typical of the recording for that interval
      (:func:`_typical_partial_ratios`; not checked when ``typical_ratio`` is None): a chord note at a
      partial's pitch adds its own amplitude.

    It is explained when key ``k`` never rises above what those predict (the sum of their envelopes, each
    times its largest :func:`_partial_ratio`, after the cross-smoothing of :class:`_Smoothed`) by more
    than a third of ``p``: a note that starts later, or continues after its lower notes stop, is its own.
    """
    k, _tp, p, onset_k, _off, start, stop = candidate
    # the smoothing spreads neighbouring notes of key k into the run's ends: count only an excess that the
    # unsmoothed envelope shows too
    upper = smooth.env[start:stop, k]
    predicted = np.zeros(stop - start)
    first = stop
    for j, _tp, _p, onset_j, _off, start_j, stop_j in candidates:
        d = k - j
        if d not in intervals or stop_j <= start or start_j >= stop:
            continue
        tolerance = 0.06 + 0.25 * max(lengths_s[j] - lengths_s[k], 0.0)
        if (onset_j - onset_k) * dt > tolerance:
            continue
        level, most = _partial_ratio(smooth, j, k, start_j, stop_j)
        if level <= 0:
            continue
        if typical_ratio is not None and level > _PARTIAL_LEVEL_MARGIN * typical_ratio.get(d, np.inf):
            continue
        first = min(first, max(start_j, start))
        upper = np.minimum(upper, smooth(k, j)[start:stop])
        predicted += most * smooth(j, k)[start:stop]
    # from the first lower note's start: c's frames before it (within the onset tolerance) are the tail of
    # an earlier note on key k, which was a candidate of its own
    return first < stop and bool(np.max((upper - predicted)[first - start :]) <= p / 3)


def detect_notes(
    x: Signal | np.ndarray,
    *,
    sr: float | None = None,
    hop_length: int = 512,
    fmin: str | float = "A0",
    n_keys: int | None = None,
    resolution: float = 1.0,
    threshold_db: float = -25.0,
    min_duration: float = 0.04,
    n_harmonics: int = 10,
    harmonic_margin: float = 1.5,
) -> NoteTable:
    """Detect the notes of each channel of an audio signal.

    Each key's envelope in :func:`piano_roll` is thresholded with hysteresis:
    a note is a run of frames above ``low = high / 2`` that reaches ``high``,
    where ``high`` is the larger of ``threshold_db`` below the loudest
    envelope of the channel and ten times the key's noise floor (the 10th
    percentile of its envelope, about four times the median of pure noise; at most twice what the other keys' floors
    predict for white noise).  Its onset is where the envelope first reaches half its
    peak (the kernels are centred); its offset where it falls below ``low``.
    A candidate is discarded when what other notes put in its key explains it:

    - *leakage*: a note within two semitones, through the kernels' own responses
      (within ``harmonic_margin``);
    - *partials*: no law of partial amplitudes is assumed (real instruments
      differ: flat, ``1/h**2``, a 2nd partial stronger than the fundamental...).
      A candidate near a partial's interval ``12 log2(h)`` (``h <= n_harmonics``)
      above lower notes is one of their partials when it does not start after
      them, its envelope never rises above what theirs predict (times the ratio
      measured between the two keys while the lower note sounds; both envelopes
      smoothed by the other key's kernel window so that they compare), and that
      ratio is not far above the one typical of the recording for that interval
      (measured on the notes no partial explains).  So a note at a partial's
      pitch that starts at another time, outlasts the lower note, or is louder
      than the recording's partials (a chord note) is still found.

    Parameters
    ----------
    x : Signal or array_like
        Audio; multichannel audio is analysed channel by channel.  Integer samples
        are PCM, scaled to [-1, 1) as :func:`signalspace.audio.load` reads them (an
        int16 file read raw and as floats gives the same strengths).  For dask-backed
        audio the piano roll is computed chunk by chunk (:func:`piano_roll`;
        inside :func:`signalspace.parallel.progress` it shows a progress bar, on
        a ``dask.distributed`` client it runs on the cluster), then the detection
        runs in memory on the roll, ``hop_length`` times smaller than the audio.
    sr, hop_length, fmin, n_keys, resolution
        As in :func:`piano_roll` (by default the keys up to C8 below ``0.45 * sr``:
        at 8 kHz, A0..A7).
    threshold_db : float, default -25
        Detection level relative to the channel's loudest envelope.
    min_duration : float, default 0.04
        Shorter detections (seconds) are dropped.
    n_harmonics : int, default 10
        Highest partial considered when deciding what a note explains (intervals
        within 2.5 semitones of ``12 log2(h)``, ``2 <= h <= n_harmonics``).
    harmonic_margin : float, default 1.5
        How much louder than the leakage of a neighbouring key a candidate must be.

    Returns
    -------
    NoteTable
        One :class:`NoteEvent` per note, sorted by channel then onset.  Silent
        (all-zero) or empty audio gives an empty table.

    Examples
    --------
    >>> import signalspace as ss
    >>> x = ss.analysis.synthesize(["C4", "E4", "G4", "C5"], durations=0.3, sr=22050)
    >>> [(e.note, round(e.onset, 1)) for e in ss.analysis.detect_notes(x)]
    [('C4', 0.0), ('E4', 0.3), ('G4', 0.6), ('C5', 0.9)]
    """
    lazy = _lazy_audio(x, sr)
    samples, rate, channels, origin = audio_samples(x, sr) if lazy is None else lazy
    if samples.shape[0] == 0:
        return NoteTable()
    threshold_db = finite_float(threshold_db, "threshold_db")
    min_duration = finite_float(min_duration, "min_duration")
    harmonic_margin = finite_float(harmonic_margin, "harmonic_margin", positive=True)
    n_harmonics = positive_int(n_harmonics, "n_harmonics")
    roll = piano_roll(samples, sr=rate, hop_length=hop_length, fmin=fmin, n_keys=n_keys, resolution=resolution)
    table, _ = _roll_notes(
        roll, channels.names, origin, threshold_db=threshold_db, min_duration=min_duration,
        n_harmonics=n_harmonics, harmonic_margin=harmonic_margin,
    )
    return table


def _roll_notes(
    roll: Signal,
    channel_names: Sequence[str],
    origin: float,
    *,
    threshold_db: float,
    min_duration: float,
    n_harmonics: int,
    harmonic_margin: float,
) -> tuple[NoteTable, Signal]:
    """The notes in a piano roll of :func:`piano_roll` (computed first when lazy), and the in-memory roll.

    ``channel_names`` and ``origin`` are the audio's channel names and start
    time; the options are validated by the caller.
    """
    if roll.is_lazy:
        from ..parallel import compute

        (values,) = compute(roll.values)
        roll = roll.replace(values=np.asarray(values))
    rate, hop_length, resolution = roll.attrs["sr"], roll.attrs["hop_length"], roll.attrs["resolution"]
    n_keys = roll.attrs["n_keys"]
    first = roll.attrs["fmin_midi"]
    midi = np.arange(first, first + n_keys)
    hz = _midi_hz(midi)
    plan = _plan(float(rate), hop_length, first, n_keys, float(resolution))
    lengths_s = np.zeros(n_keys)
    for level in plan:
        lengths_s[level.keys] = level.bank.lengths * level.factor / rate
    leak = _leak_matrix(float(rate), hop_length, first, n_keys, float(resolution))
    dt = hop_length / rate

    table = NoteTable()
    values = np.asarray(roll)
    for c, name in enumerate(channel_names):
        env = values[:, c * n_keys : (c + 1) * n_keys]
        table.extend(
            _detect_mono(
                env, dt, origin, hz, midi, leak, lengths_s, name, threshold_db, min_duration, harmonic_margin,
                n_harmonics,
            )
        )
    return table, roll
