"""Note detection: accuracy on synthesized piano melodies, and piano-roll speed against librosa's CQT.

Run alone::

    python benchmarks/bench_notes.py            # accuracy (80 melodies) and speed (3-minute signal)
    python benchmarks/bench_notes.py --quick    # fewer melodies, 30-second signal

Accuracy: random melodies of piano notes C2..C8, 4-16 events of 0.1-1 s, white noise at
10 dB SNR, made two ways: piano-like partials of amplitude 1/h
(:func:`signalspace.analysis.synthesize`), and notes built directly with numpy
(``tests/analysis/independent_notes.py``: partial amplitudes ``h ** -alpha`` with alpha
uniform in [0, 2] (flat to 1/h**2) or with the 2nd partial strongest, 8-12 partials,
slight inharmonicity, random phases, ADSR or exponential envelopes); with chords,
each event is a chord of 2-3 distinct notes with probability 1/2.  A detection is correct
when its note name equals a reference note's and its onset is within 50 ms; reference
and detected notes are matched one to one (closest onsets first).  Targets (on the
``synthesize`` settings; the numpy settings are reported): precision and recall >= 0.95
without chords, >= 0.85 with chords.

Speed: the 88-key piano roll (hop 512) of a 3-minute mono 22.05 kHz signal against
``librosa.cqt`` of the same signal (88 bins from A0, hop 512, and librosa's default
84 bins from C1), both warmed up, best of 3.  Target: ratio <= 2.

``cases()`` returns the speed cases for the benchmark runner: dicts with ``name``,
``ours`` and ``peer`` (zero-argument callables), ``peer_name`` and ``target`` (the
largest acceptable ours/peer time ratio).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))

import independent_notes  # notes built with numpy, not with ss.analysis.synthesize
import run  # benchmarks/run.py: the timing rules every benchmark shares

import signalspace as ss

SR = 22050
MIDI_LO, MIDI_HI = 36, 108  # C2 .. C8
ONSET_TOLERANCE = 0.05


def random_melody(rng: np.random.Generator, chords: bool) -> tuple[list, list[float], list[float]]:
    """Events (note names or chords), durations and velocities of one random melody."""
    import librosa

    n_events = int(rng.integers(4, 17))
    events, durations, velocities = [], [], []
    for _ in range(n_events):
        size = int(rng.integers(2, 4)) if chords and rng.random() < 0.5 else 1
        midis = rng.choice(np.arange(MIDI_LO, MIDI_HI + 1), size=size, replace=False)
        events.append([librosa.midi_to_note(int(m), unicode=False) for m in midis])
        durations.append(float(rng.uniform(0.1, 1.0)))
        velocities.append(float(rng.uniform(0.7, 1.0)))
    return events, durations, velocities


def match(reference: list[tuple[str, float]], detected: list[tuple[str, float]]) -> int:
    """Number of one-to-one matches (same note name, onsets within tolerance), closest first."""
    pairs = sorted(
        (abs(ro - do), i, j)
        for i, (rn, ro) in enumerate(reference)
        for j, (dn, do) in enumerate(detected)
        if rn == dn and abs(ro - do) <= ONSET_TOLERANCE
    )
    used_r, used_d, count = set(), set(), 0
    for _, i, j in pairs:
        if i not in used_r and j not in used_d:
            used_r.add(i)
            used_d.add(j)
            count += 1
    return count


def accuracy(
    n_melodies: int, chords: bool, seed: int = 0, verbose: bool = False, law: str | None = None
) -> dict[str, float]:
    """Precision and recall over ``n_melodies`` random melodies.

    ``law=None``: melodies of :func:`signalspace.analysis.synthesize`; ``law="random"`` or ``"second"``: notes
    built with numpy by ``tests/analysis/independent_notes.py`` (partials ``h ** -alpha``, alpha in [0, 2], or
    the 2nd partial strongest; slight inharmonicity; ADSR or exponential envelopes).
    """
    rng = np.random.default_rng(seed)
    n_ref = n_det = n_ok = 0
    for m in range(n_melodies):
        if law is None:
            events, durations, velocities = random_melody(rng, chords)
            x = ss.analysis.synthesize(
                events, durations, sr=SR, velocity=velocities, snr_db=10.0, seed=int(rng.integers(2**31))
            )
            reference = [(name, onset) for onset, _, name, _, _ in x.attrs["score"]]
        else:
            y, reference = independent_notes.melody(rng, law=law, chords=chords, sr=SR, midi_range=(MIDI_LO, MIDI_HI))
            x = ss.audio.from_array(y, SR)
        detected = [(e.note, e.onset) for e in ss.analysis.detect_notes(x)]
        ok = match(reference, detected)
        if verbose and (ok < len(reference) or ok < len(detected)):
            print(f"melody {m}: missed {sorted(set(reference) - set(detected))[:6]} ...")
            print("   ref", [(n, round(o, 3)) for n, o in reference])
            print("   det", [(n, round(o, 3)) for n, o in detected])
        n_ref += len(reference)
        n_det += len(detected)
        n_ok += ok
    return {
        "melodies": n_melodies,
        "notes": n_ref,
        "detected": n_det,
        "precision": n_ok / max(n_det, 1),
        "recall": n_ok / max(n_ref, 1),
    }


#: Accuracy settings: label, partial law (None: ``synthesize``), chords, target (0: reported, no target).
SETTINGS = (
    ("synthesize (1/h), without chords", None, False, 0.95),
    ("synthesize (1/h), with chords", None, True, 0.85),
    ("numpy, h**-alpha (alpha 0..2), without chords", "random", False, 0.0),
    ("numpy, h**-alpha (alpha 0..2), with chords", "random", True, 0.0),
    ("numpy, 2nd partial strongest, without chords", "second", False, 0.0),
    ("numpy, 2nd partial strongest, with chords", "second", True, 0.0),
)


def _signal(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    events, durations, velocities = [], [], []
    total = 0.0
    while total < seconds:
        events.append(librosa_note(int(rng.integers(MIDI_LO, MIDI_HI + 1))))
        durations.append(float(rng.uniform(0.1, 1.0)))
        velocities.append(float(rng.uniform(0.7, 1.0)))
        total += durations[-1]
    x = ss.analysis.synthesize(
        events, durations, sr=SR, velocity=velocities, snr_db=10.0, seed=2, length=int(seconds * SR)
    )
    return np.asarray(x)[:, 0].astype(np.float32)


def librosa_note(midi: int) -> str:
    import librosa

    return str(librosa.midi_to_note(midi, unicode=False))


def cases(seconds: float = 180.0) -> list[dict]:
    """Speed cases for the benchmark runner (see the module docstring)."""
    import librosa

    y = _signal(seconds)
    x = ss.Signal(
        y, ss.Domain([ss.Axis("time", y.size, step=1 / SR, unit="s")], kind="audio"), ss.Channels(("M",), layout="mono")
    )
    fmin = float(librosa.note_to_hz("A0"))
    label = f"{seconds / 60:g}-min mono {SR / 1000:g} kHz"
    return [
        {
            "name": f"piano_roll 88 keys, {label} vs cqt 88 bins from A0",
            "ours": lambda: ss.analysis.piano_roll(x, hop_length=512),
            "peer": lambda: librosa.cqt(y, sr=SR, hop_length=512, fmin=fmin, n_bins=88),
            "peer_name": "librosa.cqt(fmin=A0, n_bins=88)",
            "target": 2.0,
        },
        {
            "name": f"piano_roll 88 keys, {label} vs cqt default",
            "ours": lambda: ss.analysis.piano_roll(x, hop_length=512),
            "peer": lambda: librosa.cqt(y, sr=SR),
            "peer_name": "librosa.cqt()",
            "target": 2.0,
        },
    ]


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """The runner's best-of-N (warm-up first: caches, numba compilation, FFT plans; gc off while timing)."""
    return run.best_time(fn, (), repeat, budget=600.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 melodies per setting, 30-second speed signal")
    parser.add_argument("--melodies", type=int, default=None, help="melodies per setting (default 80)")
    parser.add_argument("--verbose", action="store_true", help="print the melodies with errors")
    parser.add_argument("--no-speed", action="store_true", help="accuracy only")
    args = parser.parse_args(argv)
    n = args.melodies or (20 if args.quick else 80)
    ok = True
    print(f"accuracy: {n} random melodies per setting, C2-C8, 10 dB SNR, onset tolerance 50 ms")
    for label, law, chords, target in SETTINGS:
        t0 = time.perf_counter()
        r = accuracy(n, chords, seed=(7 if chords else 3) + (0 if law is None else 100), verbose=args.verbose, law=law)
        passed = r["precision"] >= target and r["recall"] >= target
        if target:
            ok &= passed
        verdict = ("ok" if passed else "MISSED") if target else "(reported)"
        print(
            f"  {label:<46} notes {r['notes']:4d}  detected {r['detected']:4d}"
            f"  precision {r['precision']:.3f}  recall {r['recall']:.3f}  target >= {target or '-'}"
            f"  {verdict}  ({time.perf_counter() - t0:.1f} s)"
        )
    if args.no_speed:
        return 0 if ok else 1
    seconds = 30.0 if args.quick else 180.0
    print(f"speed: {seconds:g}-second signal, best of 3 after a warm-up")
    print(f"  {'case':<70} {'ours':>8} {'peer':>8} {'ratio':>6}")
    for case in cases(seconds):
        ours, peer = best_time(case["ours"]), best_time(case["peer"])
        ratio = ours / peer
        passed = ratio <= case["target"]
        ok &= passed
        print(
            f"  {case['name']:<70} {ours:8.3f} {peer:8.3f} {ratio:6.2f}  target <= {case['target']}"
            f"  {'ok' if passed else 'MISSED'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
