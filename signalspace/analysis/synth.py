"""Piano-like test melodies: note names in, an audio Signal out.

The tones are additive: partials ``h = 1, 2, ...`` at ``h * f0`` (below the
Nyquist frequency) with amplitudes ``1 / h``, a short linear attack, an
exponential decay that is faster for higher partials (as on a piano), and a
short raised-cosine release at the end of each note.  Optional white noise is
added at a given signal-to-noise ratio.  The sum is then scaled to a peak of
0.9 (``peak=``), so that the melody can be written to a PCM file as it is.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, UnknownNameError
from .._validation import describe, finite_float, positive_int
from ..domains.audio import from_array
from ..signal import Signal

__all__ = ["note_hz", "note_name", "synthesize"]


def note_hz(note: str | float, name: str = "note") -> float:
    """Frequency in Hz of a note name (librosa's spelling: ``"Ab6"``, ``"G#4"``, ``"C♯3"``) or a number.

    Raises :class:`~signalspace.UnknownNameError` for a name librosa cannot read
    and :class:`~signalspace.InvalidParameterError` for a frequency <= 0.

    Examples
    --------
    >>> from signalspace.analysis import note_hz
    >>> round(note_hz("A4"), 3), round(note_hz("Ab6"), 1)
    (440.0, 1661.2)
    """
    if isinstance(note, str):
        import librosa

        text = note.strip()
        try:
            hz = float(librosa.note_to_hz(text))
        except Exception:
            raise UnknownNameError(
                f"{name} {note!r} is not a note name; expected a pitch class A-G, an optional accidental "
                "(#, b, ♯, ♭) and an octave number, e.g. 'A4', 'Ab6', 'C#3'"
            ) from None
        if not text or not text[-1].isdigit():
            raise UnknownNameError(f"{name} {note!r} has no octave number; write e.g. {text + '4'!r}")
        return hz
    if isinstance(note, bool) or not isinstance(note, numbers.Real):
        raise InvalidTypeError(f"{name} must be a note name or a frequency in Hz, got {describe(note)}")
    return finite_float(note, f"{name} (Hz)", positive=True)


def note_name(hz: float) -> str:
    """Nearest equal-tempered note name of a frequency, with sharps (``"G#6"``).

    Examples
    --------
    >>> from signalspace.analysis import note_name
    >>> note_name(1661.0), note_name(440.0)
    ('G#6', 'A4')
    """
    import librosa

    return str(librosa.hz_to_note(float(hz), unicode=False))


def _items(notes: Any) -> list[tuple[Any, ...]]:
    if isinstance(notes, (str, numbers.Real)):
        notes = [notes]
    if not isinstance(notes, Sequence) or isinstance(notes, str):
        raise InvalidTypeError(f"notes must be a sequence of note names, frequencies or chords, got {describe(notes)}")
    items = []
    for item in notes:
        if isinstance(item, (str, numbers.Real)):
            items.append((item,))
        elif isinstance(item, Sequence) and len(item) > 0:
            items.append(tuple(item))
        else:
            raise InvalidTypeError(
                f"each item of notes must be a note, a frequency or a non-empty chord (list), got {describe(item)}"
            )
    return items


def _per_item(value: Any, n: int, name: str, positive: bool = True) -> np.ndarray:
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != n:
            raise InvalidParameterError(f"{name} must be one value or {n} values (one per item), got {len(value)}")
        return np.array([finite_float(v, f"{name}[{i}]", positive=positive) for i, v in enumerate(value)])
    return np.full(n, finite_float(value, name, positive=positive))


def synthesize(
    notes: Sequence[Any],
    durations: float | Sequence[float] = 0.5,
    *,
    sr: float = 22050,
    onsets: Sequence[float] | None = None,
    velocity: float | Sequence[float] = 1.0,
    n_harmonics: int = 8,
    decay: float = 1.0,
    attack: float = 0.005,
    release: float = 0.03,
    snr_db: float | None = None,
    length: int | None = None,
    seed: int | None = None,
    peak: float | None = 0.9,
) -> Signal:
    """Synthesize a piano-like melody (a mono audio Signal).

    Parameters
    ----------
    notes : sequence
        One item per event: a note name (``"Ab6"``), a frequency in Hz, or a
        list of them (a chord, all notes starting together).
    durations : float or sequence of float, default 0.5
        Duration of each event in seconds.
    sr : float, default 22050
        Sample rate in Hz.
    onsets : sequence of float, optional
        Start time of each event; by default each event starts when the
        previous one ends.
    velocity : float or sequence of float, default 1.0
        Amplitude of each event's fundamental, before the scaling to ``peak``
        (so only the ratios between events matter unless ``peak=None``).
    n_harmonics : int, default 8
        Number of partials (amplitude ``1 / h``; those at or above Nyquist are left out).
    decay : float, default 1.0
        Time constant in seconds of the fundamental's exponential decay;
        partial ``h`` decays ``(1 + (h - 1) / 2)`` times faster.
    attack, release : float
        Linear attack and raised-cosine release times in seconds.
    snr_db : float, optional
        Add white Gaussian noise at this signal-to-noise ratio (dB, over the
        whole signal).
    length : int, optional
        Number of samples of the result (pads with silence or cuts); by
        default the end of the last event.
    seed : int, optional
        Seed of the noise generator.
    peak : float or None, default 0.9
        Scale the result (tones plus noise) so that its largest absolute
        sample is ``peak``; 0.9 leaves headroom below the full scale [-1, 1]
        of PCM files, so :func:`signalspace.audio.save` writes it unclipped.
        ``None`` returns the unscaled sum, whose peak grows with the number
        of overlapping notes and partials (it often exceeds 1).  A silent
        result is never scaled.

    Returns
    -------
    Signal
        A mono ``"audio"`` Signal; ``attrs["score"]`` lists the events as
        ``(onset_s, offset_s, note_name, hz, velocity)`` tuples (velocity as
        given), and ``attrs["gain"]`` is the factor the sum was scaled by
        (1.0 with ``peak=None``).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.analysis.synthesize(["A4", ["C5", "E5"]], durations=0.25, sr=8000)
    >>> x.shape, x.attrs["score"][1][2], float(np.abs(x.values).max())
    ((4000, 1), 'C5', 0.9)
    >>> raw = ss.analysis.synthesize(["A4", ["C5", "E5"]], durations=0.25, sr=8000, peak=None)
    >>> float(np.abs(raw.values).max()) > 1, np.allclose(raw.values * x.attrs["gain"], x.values)
    (True, True)
    """
    sr = finite_float(sr, "sr", positive=True)
    items = _items(notes)
    n_items = len(items)
    durations_s = _per_item(durations, n_items, "durations")
    velocities = _per_item(velocity, n_items, "velocity", positive=False)
    if onsets is None:
        starts = np.concatenate([[0.0], np.cumsum(durations_s)[:-1]]) if n_items else np.zeros(0)
    else:
        starts = _per_item(list(onsets), n_items, "onsets", positive=False)
        if np.any(starts < 0):
            raise InvalidParameterError(f"onsets must be >= 0, got {starts.tolist()}")
    n_harmonics = positive_int(n_harmonics, "n_harmonics")
    target_peak = None if peak is None else finite_float(peak, "peak", positive=True)
    decay = finite_float(decay, "decay", positive=True)
    attack = finite_float(attack, "attack", positive=True)
    release = finite_float(release, "release", positive=True)
    end = float(np.max(starts + durations_s)) if n_items else 0.0
    total = round(end * sr) if length is None else positive_int(length, "length")
    if total < 1:
        raise InvalidParameterError("the melody is empty: give at least one note or a length")
    out = np.zeros(total)
    score = []
    for item, start, dur, vel in zip(items, starts, durations_s, velocities, strict=True):
        i0 = round(start * sr)
        n = round(dur * sr)
        if n < 1 or i0 >= total:
            continue
        n = min(n, total - i0)
        t = np.arange(n) / sr
        envelope = np.minimum(1.0, t / attack)
        tail = min(round(release * sr), n)
        if tail > 0:
            envelope[n - tail :] *= 0.5 * (1 + np.cos(np.pi * np.arange(1, tail + 1) / tail))
        for note in item:
            hz = note_hz(note, "note")
            tone = np.zeros(n)
            for h in range(1, n_harmonics + 1):
                if h * hz >= sr / 2:
                    break
                rate = (1 + (h - 1) / 2) / decay
                tone += np.sin(2 * np.pi * h * hz * t) * np.exp(-rate * t) / h
            out[i0 : i0 + n] += vel * envelope * tone
            score.append((i0 / sr, (i0 + n) / sr, note_name(hz), hz, float(vel)))
    if snr_db is not None:
        snr_db = finite_float(snr_db, "snr_db")
        power = float(np.mean(out**2))
        if power > 0:
            rng = np.random.default_rng(seed)
            out = out + rng.standard_normal(total) * np.sqrt(power / 10 ** (snr_db / 10))
    gain = 1.0
    largest = float(np.max(np.abs(out)))
    if target_peak is not None and largest > 0:
        gain = target_peak / largest
        out *= gain
    signal = from_array(out, sr, layout="mono")
    return signal.replace(attrs={**signal.attrs, "score": tuple(score), "gain": gain})
