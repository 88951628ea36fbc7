"""Piano-like notes built directly with numpy, independent of :func:`signalspace.analysis.synthesize`.

Used by the note-detection tests and by ``benchmarks/bench_notes.py`` so that the detector is not only checked on
data from the library's own synthesizer (whose partials have amplitude ``1 / h``).  Everything here differs from
``synthesize``: the partial amplitudes (a random law ``h ** -alpha`` with ``alpha`` between 0, flat, and 2, or a
law whose 2nd partial is the strongest, as in many real pianos), slight inharmonicity
(``f_h = h f0 sqrt(1 + B h**2)``), random phases, per-partial decay rates and envelopes (ADSR or exponential).
"""

from __future__ import annotations

import librosa
import numpy as np

LAWS = ("random", "second")


def partial_amplitudes(rng: np.random.Generator, law: str, n: int) -> np.ndarray:
    """Amplitudes of partials 1..n: ``h ** -alpha`` (alpha uniform in [0, 2]) or with the 2nd partial strongest."""
    h = np.arange(1, n + 1)
    if law == "random":
        amps = h ** -rng.uniform(0.0, 2.0)
    elif law == "second":
        amps = h ** -rng.uniform(0.3, 1.2)
        amps[0] = rng.uniform(0.3, 0.7)  # the fundamental weaker than the 2nd partial (which is 2**-alpha < 1)
        amps[1] = 1.0
    else:
        raise ValueError(law)
    return amps * rng.uniform(0.8, 1.2, n)  # each note's partials scatter around the instrument's law


def envelope(rng: np.random.Generator, n: int, sr: float) -> np.ndarray:
    """ADSR (linear attack and decay, sustain level, linear release) or exponential decay with a short attack."""
    t = np.arange(n) / sr
    if rng.random() < 0.5:
        attack, decay, release = rng.uniform(0.002, 0.01), rng.uniform(0.03, 0.15), rng.uniform(0.01, 0.05)
        sustain = rng.uniform(0.4, 0.8)
        env = np.interp(t, [0, attack, attack + decay, t[-1] + 1 / sr], [0, 1, sustain, sustain])
    else:
        attack, release = rng.uniform(0.001, 0.008), rng.uniform(0.01, 0.05)
        env = np.minimum(1.0, t / attack) * np.exp(-t / rng.uniform(0.3, 1.5))
    duration = n / sr
    return env * np.clip((duration - t) / release, 0.0, 1.0)


def tone(rng: np.random.Generator, midi: int, n: int, sr: float, amps: np.ndarray, inharmonicity: float) -> np.ndarray:
    """One note of ``n`` samples: inharmonic partials with random phases, each decaying at its own rate."""
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12)
    t = np.arange(n) / sr
    y = np.zeros(n)
    for h, a in enumerate(amps, start=1):
        f = h * f0 * np.sqrt(1 + inharmonicity * h * h)
        if f >= 0.45 * sr:
            break
        y += a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) * np.exp(-t * rng.uniform(0.0, 1.5) * (h - 1))
    return y * envelope(rng, n, sr)


def melody(
    rng: np.random.Generator,
    *,
    law: str = "random",
    chords: bool = False,
    sr: float = 22050,
    n_events: int | None = None,
    midi_range: tuple[int, int] = (36, 108),
    durations: tuple[float, float] = (0.1, 1.0),
    snr_db: float | None = 10.0,
) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """A random melody (events one after the other, chords of 2-3 notes with probability 1/2 if ``chords``).

    Returns the samples (peak 0.9, white noise at ``snr_db`` over the whole signal) and the reference
    ``(note name, onset)`` pairs.  One partial law per melody (an instrument), scattered per note.
    """
    n_events = int(rng.integers(4, 17)) if n_events is None else n_events
    n_partials = int(rng.integers(8, 13))
    law_amps = partial_amplitudes(rng, law, n_partials)
    inharmonicity = rng.uniform(0.0, 3e-4)
    lengths = [round(rng.uniform(*durations) * sr) for _ in range(n_events)]
    lead = round(0.05 * sr)
    out = np.zeros(lead + sum(lengths) + round(0.3 * sr))
    reference = []
    start = lead
    for n in lengths:
        size = int(rng.integers(2, 4)) if chords and rng.random() < 0.5 else 1
        for m in rng.choice(np.arange(midi_range[0], midi_range[1] + 1), size=size, replace=False):
            amps = law_amps * rng.uniform(0.8, 1.2, n_partials)
            out[start : start + n] += rng.uniform(0.6, 1.0) * tone(rng, int(m), n, sr, amps, inharmonicity)
            reference.append((str(librosa.midi_to_note(int(m), unicode=False)), start / sr))
        start += n
    if snr_db is not None:
        out += rng.standard_normal(out.size) * np.sqrt(np.mean(out**2) / 10 ** (snr_db / 10))
    return 0.9 * out / np.abs(out).max(), reference
