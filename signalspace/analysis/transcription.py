"""Note transcription: the piano bank's activations explained by harmonic templates, segmented by an HMM.

The lecture's core stays: every key's matched filter (the 88-key piano roll of
:mod:`~signalspace.analysis.pianoroll`) is the evidence.  Around it, the
field's standard parts decide which keys are notes:

1. **Features.**  One pass over the samples (chunk by chunk for dask audio)
   computes the piano roll ``E`` (frames x keys) and the SuperFlux onset
   novelty (:class:`~signalspace.analysis.pianoroll.SuperFlux`).
2. **Harmonic templates.**  A note at key ``n`` with partials ``h f_n`` of
   amplitudes ``a_h(n)`` puts ``W[n] = sum_h a_h(n) R(h f_n)`` into the roll,
   ``R`` being the keys' measured responses to a sinusoid.  Nothing else is
   assumed of the instrument: ``a_h`` starts as ``h ** -prior_decay`` and is
   learned from the recording (step 6).  Templates have unit norm.
3. **Activations.**  ``A = argmin KL(E | A W) + sparsity * |A|_1`` with
   ``A >= 0`` (non-negative matrix factorisation with fixed templates, solved
   by multiplicative updates): each frame of the roll explained as a sum of
   notes, so the partials of one note are not notes of their own.  Frames are
   independent, so the cost is linear in time.
4. **Segmentation.**  Per key, a two-state hidden Markov model (off, on)
   decoded by Viterbi (:func:`librosa.sequence.viterbi_binary`).  The
   probability that a key sounds is logistic in its activation's level in dB
   relative to the recording's loudest activation and relative to the
   loudest note around it (within ``relative_window``).
5. **Onsets.**  Peaks of the novelty, each moved back to where its rise
   starts, are the candidate onset times.  A segment's onset is the first candidate within its key's own rise;
   a segment is split where a later candidate makes its key rise by
   ``reattack_ratio`` (a repeated note).
6. **Harmonic fusion and learning.**  A segment that starts with a lower
   note (within ``fusion_window``) at a partial's interval of it is that
   note's partial: the auditory rule of common onset and harmonicity.  The
   remaining notes whose fundamental is audible (``fundamental_db``) show what
   the instrument's partials are like: ``a_h`` per register (bands of
   ``profile_band`` semitones, interpolated) is fitted to the roll over their
   frames by non-negative least squares, drawn towards the prior and smooth
   across registers; steps 3 to 6 then run again with the learned templates
   (the factorisation warm-started from the previous round's activations).

Every number the method depends on is a field of :class:`DetectionParams`;
intermediate records are named types (:class:`Segment`).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError
from .._validation import describe
from ..domain import Channels
from ..domains.audio import audio_samples
from ..ops.engines.blas import blas_threads
from ..signal import Signal
from .notes import NoteEvent, NoteTable
from .pianoroll import (
    SuperFlux,
    _Features,
    _features,
    _key_responses,
    _key_seconds,
    _lazy_audio,
    _plan,
    _roll_midis,
    _roll_signal,
)
from .pitch import _midi_hz

__all__ = ["DetectionParams", "Segment", "detect_notes", "transcribe"]


@dataclass(frozen=True)
class DetectionParams:
    """Every tunable of :func:`detect_notes`, named and documented.  Frozen: use :func:`dataclasses.replace`.

    Attributes
    ----------
    hop_length : int, default 256
        Samples between frames of the roll and the onset novelty (11.6 ms at 22.05 kHz).
    resolution : float, default 1.0
        Semitones between a key and the first zero of its kernel's response (:func:`piano_roll`).
    n_partials : int, default 10
        Partials ``h = 1 .. n_partials`` in a note's template.
    prior_decay : float, default 0.5
        Prior partial amplitudes ``h ** -prior_decay`` (before learning; 0 is flat, 1 is ``1/h``).
    sparsity : float, default 1.0
        L1 weight of the activations, in units of the roll's mean: larger explains the roll with fewer notes.
    iterations : int, default 20
        Multiplicative updates of the activations per factorisation.
    floor_db : float, default -30.0
        Level (dB relative to the recording's loudest activation) at which a key is on with probability 1/2.
    silence_db : float, default -70.0
        Frames whose loudest key is this far (dB) below the recording's loudest are silence: no activation is
        computed for them (at ``floor_db`` - 40 dB, a key's on-probability is below 1e-3).
    silence_level : float, default 1e-6
        A channel whose loudest key envelope stays below this (the roll's units: a unit sinusoid gives 1, so
        about -120 dB of full scale) is silent: no notes.
    relative_db : float, default -15.0
        Level relative to the loudest activation within ``relative_window`` at which a key is on with
        probability 1/2 (a note much weaker than the notes around it is what their partials leave over).
    relative_window : float, default 0.1
        Seconds over which the loudest activation around a frame is taken.
    slope_db : float, default 6.0
        dB over which the on-probability goes from 1/2 to about 0.73 (the logistic's scale).
    stay_on, stay_off : float, default 0.98
        Probability that a key stays on (off) from one frame to the next (the HMM's self-transitions).
    min_duration : float, default 0.05
        Shorter segments (seconds) are not notes.
    onset : SuperFlux
        The onset novelty's settings.
    onset_prominence : float, default 0.1
        Prominence (relative to the novelty's ``onset_reference`` percentile) of a novelty peak that is a
        candidate onset.
    onset_reference : float, default 99.0
        Percentile of the novelty that prominences are measured against (not its maximum, so that one
        exceptional onset does not hide the others).
    rise_fraction : float, default 0.1
        Where a rise starts: the first frame before a peak from which the curve stays above this fraction of
        the peak (novelty peaks: the onset candidates; a key's envelope: where a note's onset is searched
        from, corrected by half the key's kernel, by which a centred kernel sees a note early).
    onset_tolerance : float, default 0.05
        Seconds of slack on both ends of that search window.
    reattack_ratio : float, default 1.5
        A candidate onset inside a segment after which its key's envelope grows by this factor splits it.
    dip_ratio : float, default 2.0
        A note's onset is not placed before a fall of its key's envelope by this factor on the way to its peak
        (a note that starts on another note's decaying partial rises again from that partial's level).
    attack_time : float, default 0.15
        Seconds by which a note's onset may precede the frames where its activation first shows it (a bowed
        or blown note swells before the factorisation attributes it; the roll, which also holds other notes'
        partials, is searched no further back than this plus the key's kernel reach).
    fusion_window : float, default 0.06
        Seconds within which a higher segment that starts with a lower note at a partial's interval is fused
        with it (a partial, not a note).
    fundamental_db : float, default -25.0
        A note teaches the instrument's partials only if its fundamental is at most this many dB below its
        strongest partial (a note with no fundamental may be a sub-octave error).
    profile_band : int, default 12
        Semitones between the registers whose partial amplitudes are learned separately.
    profile_prior : float, default 0.1
        Weight of the prior in the partial-amplitude fit (relative to the data's scale).
    profile_smoothness : float, default 0.1
        Weight of the difference between neighbouring registers' amplitudes in that fit.
    learning_passes : int, default 1
        Rounds of learning the templates and decoding again (0: the prior templates only).
    relearn_iterations : int, default 10
        Multiplicative updates of the factorisation after a learning round, started from the previous round's
        activations (a warm start: the templates changed little, so half the updates suffice).

    Examples
    --------
    >>> from dataclasses import replace
    >>> from signalspace.analysis import DetectionParams
    >>> params = replace(DetectionParams(), floor_db=-40.0)
    >>> params.floor_db, params.hop_length
    (-40.0, 256)
    >>> DetectionParams(stay_on=1.5)
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidParameterError: DetectionParams.stay_on must be in (0, 1), got 1.5
    """

    hop_length: int = 256
    resolution: float = 1.0
    n_partials: int = 10
    prior_decay: float = 0.5
    sparsity: float = 1.0
    iterations: int = 20
    floor_db: float = -30.0
    silence_db: float = -70.0
    silence_level: float = 1e-6
    relative_db: float = -15.0
    relative_window: float = 0.1
    slope_db: float = 6.0
    stay_on: float = 0.98
    stay_off: float = 0.98
    min_duration: float = 0.05
    onset: SuperFlux = field(default_factory=SuperFlux)
    onset_prominence: float = 0.1
    onset_reference: float = 99.0
    rise_fraction: float = 0.1
    onset_tolerance: float = 0.05
    reattack_ratio: float = 1.5
    attack_time: float = 0.15
    dip_ratio: float = 2.0
    fusion_window: float = 0.06
    fundamental_db: float = -25.0
    profile_band: int = 12
    profile_prior: float = 0.1
    profile_smoothness: float = 0.1
    learning_passes: int = 1
    relearn_iterations: int = 10

    def __post_init__(self) -> None:
        positive_ints = ("hop_length", "n_partials", "iterations", "relearn_iterations", "profile_band")
        positive = ("resolution", "relative_window", "slope_db", "reattack_ratio", "dip_ratio", "silence_level")
        non_negative = (
            "prior_decay", "sparsity", "min_duration", "onset_prominence", "onset_tolerance", "attack_time",
            "fusion_window", "profile_prior", "profile_smoothness",
        )
        for f in fields(self):
            value = getattr(self, f.name)
            where = f"DetectionParams.{f.name}"
            if f.name == "onset":
                if not isinstance(value, SuperFlux):
                    raise InvalidTypeError(f"{where} must be a SuperFlux, got {describe(value)}")
                continue
            if f.name in positive_ints or f.name == "learning_passes":
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                    raise InvalidTypeError(f"{where} must be an int, got {describe(value)}")
                if value < (0 if f.name == "learning_passes" else 1):
                    raise InvalidParameterError(f"{where} must be >= {0 if f.name == 'learning_passes' else 1}, "
                                                f"got {value}")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise InvalidTypeError(f"{where} must be a real number, got {describe(value)}")
            if not np.isfinite(value):
                raise InvalidParameterError(f"{where} must be finite, got {value}")
            if f.name in ("stay_on", "stay_off", "rise_fraction") and not 0 < value < 1:
                raise InvalidParameterError(f"{where} must be in (0, 1), got {value}")
            if f.name in ("floor_db", "silence_db", "relative_db", "fundamental_db") and value > 0:
                raise InvalidParameterError(f"{where} is a level below a reference and must be <= 0 dB, got {value}")
            if f.name == "onset_reference" and not 0 < value <= 100:
                raise InvalidParameterError(f"{where} must be a percentile in (0, 100], got {value}")
            if f.name in positive and value <= 0:
                raise InvalidParameterError(f"{where} must be > 0, got {value}")
            if f.name in non_negative and value < 0:
                raise InvalidParameterError(f"{where} must be >= 0, got {value}")


@dataclass(frozen=True)
class Segment:
    """A run of frames during which one key sounds: a note candidate.

    ``key`` indexes the roll's keys; ``start`` (the onset frame) and ``stop``
    are frame indices (``stop`` exclusive); ``peak`` is the key's largest
    envelope near the onset, in the roll's units.
    """

    key: int
    start: int
    stop: int
    peak: float


# --------------------------------------------------------------------------- templates
@functools.lru_cache(maxsize=8)
def _partial_responses(sr: float, hop_length: int, first_midi: int, n_keys: int, resolution: float,
                       n_partials: int) -> np.ndarray:
    """``T[h - 1, n, k]``: envelope of key ``k`` for a unit sinusoid at partial ``h`` of note ``n``."""
    plan = _plan(sr, hop_length, first_midi, n_keys, resolution)
    f0 = _midi_hz(np.arange(first_midi, first_midi + n_keys))
    freqs = np.arange(1, n_partials + 1)[:, None] * f0[None, :]
    responses = _key_responses(plan, sr, freqs.ravel())
    return responses.reshape(n_partials, n_keys, n_keys)


@functools.lru_cache(maxsize=8)
def _response_products(sr: float, hop_length: int, first_midi: int, n_keys: int, resolution: float,
                       n_partials: int) -> np.ndarray:
    """``P[h, g, m, n] = sum_k T[h, n, k] T[g, m, k]`` of :func:`_partial_responses` (the template fit's Gram),
    laid out for :func:`_learned_amplitudes` (contiguous where it is weighted and multiplied)."""
    responses = _partial_responses(sr, hop_length, first_midi, n_keys, resolution, n_partials)
    return np.ascontiguousarray(np.einsum("hnk,gmk->hgmn", responses, responses, optimize=True))


def _registers(n_keys: int, band: int) -> np.ndarray:
    """``w[n, b]``: weight of register ``b`` in note ``n`` (linear interpolation between register centres)."""
    centres = np.arange(0, n_keys + band, band, dtype=float)
    distance = np.abs(np.arange(n_keys)[:, None] - centres[None, :]) / band
    weights = np.maximum(0.0, 1.0 - distance)
    return weights / weights.sum(axis=1, keepdims=True)


def _templates(responses: np.ndarray, amplitudes: np.ndarray) -> np.ndarray:
    """Unit-norm templates ``W[n, k] = sum_h amplitudes[h, n] * responses[h, n, k]``."""
    w = np.einsum("hn,hnk->nk", amplitudes, responses)
    return w / np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-12)


def _activations(roll: np.ndarray, templates: np.ndarray, params: DetectionParams, scale: float,
                 start: np.ndarray | None = None) -> np.ndarray:
    """Non-negative ``A`` with ``roll ~ A @ templates`` (KL divergence plus an L1 penalty), in float32.

    Frames are independent given the templates: they are solved in blocks, and
    frames whose loudest key is below ``silence_db`` get no activation at all.
    From ``start`` (the previous round's ``A``), ``relearn_iterations`` updates;
    else ``iterations`` from a flat start.
    """
    eps = np.float32(1e-9)
    w = templates.astype(np.float32)
    denominator = w.sum(axis=1)[None, :] + np.float32(params.sparsity * scale) + eps
    out = np.zeros((roll.shape[0], w.shape[0]), dtype=np.float32)
    audible = np.flatnonzero(roll.max(axis=1) > 10 ** (params.silence_db / 20))
    block = 4096
    with blas_threads(1):  # (4096 x 88) @ (88 x 88): threads cost more than they give
        for i in range(0, audible.size, block):
            rows = audible[i : i + block]
            e = roll[rows].astype(np.float32)
            if start is None:
                a = np.full((rows.size, w.shape[0]), np.float32(scale) + eps, dtype=np.float32)
            else:
                a = start[rows] + eps
            for _ in range(params.iterations if start is None else params.relearn_iterations):
                a *= ((e / (a @ w + eps)) @ w.T) / denominator
            out[rows] = a
    return out


def _learned_amplitudes(
    roll: np.ndarray, activations: np.ndarray, responses: np.ndarray, products: np.ndarray, prior: np.ndarray,
    params: DetectionParams,
) -> np.ndarray:
    """Partial amplitudes ``(n_partials, n_keys)`` per register, fitted by NNLS to ``roll ~ activations x templates``.

    The templates are linear in the amplitudes ``a[h, b]`` (partial ``h``,
    register ``b``), so least squares needs only ``activations.T @
    activations`` and ``activations.T @ roll``: one pass over the frames.
    """
    from scipy.optimize import nnls

    n_partials, n_keys, _ = responses.shape
    w = _registers(n_keys, params.profile_band)
    n_bands = w.shape[1]
    gram_a = activations.T @ activations  # (n, n')
    cross = activations.T @ roll  # (n, k)
    # column (h, b) of the design is vec((A * w[:, b]) @ responses[h]); products: responses @ responses.T per pair
    # gram[h, b, g, c] = sum_nm w[n, b] w[m, c] gram_a[n, m] products[h, g, m, n], as two matrix products (einsum's
    # path for it was four times slower)
    weighted = products * gram_a.T  # (h, g, m, n)
    gram = np.matmul(np.matmul(weighted, w).transpose(0, 1, 3, 2), w)  # (h, g, b, c)
    gram = gram.transpose(0, 2, 1, 3).reshape(n_partials * n_bands, -1)
    rhs = np.einsum("nb,hnk,nk->hb", w, responses, cross, optimize=True).ravel()
    scale = max(float(np.trace(gram)) / gram.shape[0], 1e-300)
    diff = np.zeros((n_partials * (n_bands - 1), n_partials * n_bands))
    rows = np.arange(diff.shape[0])
    cols = (rows // (n_bands - 1)) * n_bands + rows % (n_bands - 1)
    diff[rows, cols], diff[rows, cols + 1] = 1.0, -1.0
    gram = gram + scale * (params.profile_prior * np.eye(gram.shape[0]) + params.profile_smoothness * diff.T @ diff)
    rhs = rhs + scale * params.profile_prior * np.repeat(prior, n_bands)
    chol = np.linalg.cholesky(gram)
    amplitudes, _ = nnls(chol.T, np.linalg.solve(chol, rhs))
    return amplitudes.reshape(n_partials, n_bands) @ w.T


# --------------------------------------------------------------------------- segmentation
def _segments(activations: np.ndarray, params: DetectionParams, dt: float) -> list[Segment]:
    """Runs of frames where each key's two-state HMM is on (Viterbi), at least ``min_duration`` long."""
    import librosa
    from scipy import ndimage

    loudest = ndimage.maximum_filter1d(activations.max(axis=1), size=max(1, round(params.relative_window / dt)) | 1)
    loudest_db = 20 * np.log10(loudest[:, None] + 1e-12)
    transition = librosa.sequence.transition_loop(2, [params.stay_off, params.stay_on])
    shortest = params.min_duration / dt
    segments = []
    # keys per call: 8 MiB of probabilities at most (librosa's Viterbi makes float64 copies of a few times that)
    group = max(1, 2**20 // max(activations.shape[0], 1))
    for first in range(0, activations.shape[1], group):
        level = 20 * np.log10(activations[:, first : first + group] + 1e-12)
        probability = 1 / (1 + np.exp(-(level - params.floor_db) / params.slope_db))
        probability /= 1 + np.exp(-(level - loudest_db - params.relative_db) / params.slope_db)
        sounding = np.flatnonzero(probability.max(axis=0) >= 0.5)  # the others never sound
        if sounding.size == 0:
            continue
        # one HMM per key, given as a batch of one-state problems: librosa validates once and runs its Viterbi
        # per key (as keys of one call it validates and splits per key: twice the time on short pieces)
        states = librosa.sequence.viterbi_binary(probability[:, sounding].T[:, None, :], transition)[:, 0, :]
        edges = np.diff(np.pad(states.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        for k, row in zip(first + sounding, edges, strict=True):
            for start, stop in zip(np.flatnonzero(row == 1), np.flatnonzero(row == -1), strict=True):
                if stop - start >= shortest:
                    segments.append(Segment(int(k), int(start), int(stop), float(activations[start:stop, k].max())))
    return segments


def _onset_candidates(novelty: np.ndarray, params: DetectionParams) -> np.ndarray:
    """Frames where onsets start: novelty peaks moved back to the start of their rise.

    A peak's prominence is measured against the novelty's ``onset_reference``
    percentile, not its maximum, so that one exceptional onset does not hide
    the others.  The start of a
    peak's rise is the first frame of the run before it where the novelty is at
    least ``rise_fraction`` of the peak (:func:`librosa.onset.onset_backtrack`
    goes back to the previous local minimum instead, which a slow ramp of
    near-zero values can put tens of milliseconds earlier).
    """
    from scipy.signal import find_peaks

    top = float(np.percentile(novelty, params.onset_reference)) if novelty.size else 0.0
    if top <= 0:
        return np.zeros(0, dtype=int)
    peaks, properties = find_peaks(novelty / top, prominence=params.onset_prominence)
    starts = []
    for peak, prominence in zip(peaks, properties["prominences"] * top, strict=True):
        # the rise starts where the novelty first exceeds its floor around the peak by rise_fraction of the rise
        threshold = novelty[peak] - (1 - params.rise_fraction) * prominence
        t = int(peak)
        while t > 0 and novelty[t - 1] >= threshold:
            t -= 1
        starts.append(t)
    return np.unique(np.array(starts, dtype=int))


def _place_onsets(
    segments: list[Segment], roll: np.ndarray, candidates: np.ndarray, lead: np.ndarray, params: DetectionParams,
    dt: float, activations: np.ndarray, templates: np.ndarray,
) -> list[Segment]:
    """Split segments at re-attacks and move each one's start to its onset (see the module docstring, step 5)."""
    tolerance = round(params.onset_tolerance / dt)
    attack = round(params.attack_time / dt)
    shortest = max(1, round(params.min_duration / dt))
    placed = []
    by_key: dict[int, list[Segment]] = {}
    for s in segments:
        by_key.setdefault(s.key, []).append(s)
    for k, runs in by_key.items():
        env = roll[:, k]
        # the share of key k's envelope that its own note explains (the factorisation's soft mask): a rise of
        # the key that another note's partial explains is not this note's onset
        def own_share(first: int, last: int, k: int = k) -> float:
            window = activations[first:last]
            return float((window[:, k] * templates[k, k] / (window @ templates[:, k] + 1e-12)).max(initial=0.0))

        reach = max(1, round(lead[k] / dt))
        pieces = []
        for s in sorted(runs, key=lambda s: s.start):
            cuts = [s.start]
            inside = _between(candidates, s.start + reach + 1, s.stop - shortest - 1)
            for c in inside:
                before = env[max(c - tolerance, 0)]
                after = env[c : min(c + reach + tolerance, s.stop)].max()
                if after >= params.reattack_ratio * max(before, 1e-12) and c - cuts[-1] >= shortest:
                    cuts.append(int(c))
            cuts.append(s.stop)
            pieces.extend(itertools.pairwise(cuts))
        previous = 0
        for start, stop in pieces:
            window = env[start : min(stop, start + reach + tolerance)]
            if window.size == 0:
                continue
            # the activations say when the note sounds; the roll, which also holds other notes' partials,
            # places its onset within an attack and the kernel's reach before that
            previous = max(previous, start - reach - tolerance - attack)
            top = start + int(window.argmax())
            peak = float(env[top])
            # the note's rise, back from its peak: where it is at half the peak (a centred kernel's envelope of a
            # sudden onset is at exactly half there: not a tunable), then where it starts (rise_fraction); the
            # start is searched only while the envelope keeps falling (a note that starts on another note's
            # partial rises from that partial's level, not from zero)
            t = top
            while t > previous and env[t - 1] >= 0.5 * peak:
                t -= 1
            half = t
            while t > previous and env[t - 1] >= params.rise_fraction * peak:
                t -= 1
            low = max(previous, t + reach // 2 - tolerance)
            near = _between(candidates, low, half + tolerance)
            # not an onset before a re-attack: from the onset to the peak the envelope rises as one note, never
            # falling by dip_ratio below what it reached (a note on another note's partial rises again from
            # that partial's decay)
            near = np.array([c for c in near if _one_rise(env[c : top + 1], params.dip_ratio)
                             and own_share(c, c + reach + tolerance + 1) >= 0.5], dtype=int)
            if near.size:
                onset = int(near[0])
            elif t == 0 and env[0] >= 0.5 * peak:  # sounding when the recording starts
                onset = 0
            else:
                onset = _rise_start(env, max(t, half - reach - tolerance), top, reach)
            placed.append(Segment(k, onset, stop, peak))
            previous = stop
    return placed


def _between(sorted_frames: np.ndarray, first: int, last: int) -> np.ndarray:
    """The frames ``first <= f <= last`` of a sorted array (a slice: no pass over the whole array)."""
    return sorted_frames[np.searchsorted(sorted_frames, first) : np.searchsorted(sorted_frames, last, side="right")]


def _one_rise(env: np.ndarray, ratio: float) -> bool:
    """Whether ``env`` never falls below ``1 / ratio`` of its running maximum."""
    return env.size == 0 or bool(np.all(env * ratio >= np.maximum.accumulate(env)))


def _rise_start(env: np.ndarray, first: int, top: int, reach: int) -> int:
    """Where a key's note starts, from the steepest rise of its envelope between frames ``first`` and ``top``.

    The tangent at the steepest rise, extrapolated back to zero, meets the
    axis half a kernel's reach before the onset, both for a sudden onset (the
    envelope is then the kernel's window integrated) and for a linear swell;
    not before ``first``.
    """
    rise = env[first : top + 1]
    if rise.size < 2:
        return top
    slopes = np.diff(rise)
    i = int(slopes.argmax())
    slope = float(slopes[i])
    if slope <= 0:
        return first
    zero = first + i + 0.5 - 0.5 * float(rise[i] + rise[i + 1]) / slope
    return max(first, round(zero + 0.5 * reach))


def _partial_intervals(n_partials: int) -> frozenset[int]:
    """Semitones from a fundamental to its partials 2 .. n_partials, rounded."""
    return frozenset(round(12 * float(np.log2(h))) for h in range(2, n_partials + 1))


def _fuse(segments: list[Segment], params: DetectionParams, dt: float) -> tuple[list[Segment], list[Segment]]:
    """Notes and partials: from low to high, a segment starting with a lower note at a partial's interval fuses."""
    intervals = _partial_intervals(params.n_partials)
    window = params.fusion_window / dt
    notes: list[Segment] = []
    partials: list[Segment] = []
    starts: dict[int, list[int]] = {}  # per key, the notes' starts in order (segments come sorted by key, start)
    found: dict[int, list[Segment]] = {}
    for s in sorted(segments, key=lambda s: (s.key, s.start)):
        fused = False
        for d in intervals:
            lower = starts.get(s.key - d, [])
            first = bisect.bisect_left(lower, s.start - window)
            last = bisect.bisect_right(lower, s.start + window)
            if any(n.stop > s.start for n in found.get(s.key - d, [])[first:last]):
                fused = True
                break
        if fused:
            partials.append(s)
        else:
            notes.append(s)
            starts.setdefault(s.key, []).append(s.start)
            found.setdefault(s.key, []).append(s)
    return notes, partials


# --------------------------------------------------------------------------- the pipeline
def _transcribe(roll: np.ndarray, novelty: np.ndarray, spec: _Features, first_midi: int, params: DetectionParams,
                dt: float) -> list[Segment]:
    """The notes of one channel's roll ``(frames, keys)`` and novelty ``(frames,)``."""
    n_keys = roll.shape[1]
    peak = float(roll.max()) if roll.size else 0.0
    if not np.isfinite(peak) or peak <= params.silence_level:
        return []
    roll = roll / peak
    scale = float(roll.mean())
    key = (spec.sr, spec.hop_length, first_midi, n_keys, params.resolution, params.n_partials)
    responses, products = _partial_responses(*key), _response_products(*key)
    prior = np.arange(1, params.n_partials + 1, dtype=float) ** -params.prior_decay
    amplitudes = np.repeat(prior[:, None], n_keys, axis=1)
    lead = 0.5 * _key_seconds(spec.plan, spec.sr)
    candidates = _onset_candidates(novelty, params)
    raw = None  # the previous round's activations, in the roll's scale
    for learning in range(params.learning_passes + 1):
        templates = _templates(responses, amplitudes)
        raw = _activations(roll, templates, params, scale, start=raw)
        activations = raw / max(float(raw.max()), 1e-12)
        segments = _place_onsets(
            _segments(activations, params, dt), roll, candidates, lead, params, dt, activations, templates
        )
        # a note is heard at its fundamental: a key whose activation comes only from what would be its partials
        # (a chord's notes read as partials of a note below them) is not a note, and must not fuse them
        threshold = 10 ** (params.fundamental_db / 20)
        segments = [s for s in segments if _fundamental_level(s, roll, params) >= threshold]
        notes, _ = _fuse(segments, params, dt)
        if learning == params.learning_passes:
            return [dataclasses.replace(s, peak=s.peak * peak) for s in notes]  # the roll's own units again
        amplitudes = _learned_amplitudes(
            roll, _teaching(notes, activations) / _template_norms(responses, amplitudes)[None, :],
            responses, products, prior, params,
        )
    raise AssertionError("unreachable")


def _template_norms(responses: np.ndarray, amplitudes: np.ndarray) -> np.ndarray:
    return np.maximum(np.linalg.norm(np.einsum("hn,hnk->nk", amplitudes, responses), axis=1), 1e-12)


def _fundamental_level(s: Segment, roll: np.ndarray, params: DetectionParams) -> float:
    """Median over the segment of its key's envelope relative to the strongest of its partials' keys."""
    n_keys = roll.shape[1]
    keys = [s.key] + [s.key + d for d in sorted(_partial_intervals(params.n_partials)) if s.key + d < n_keys]
    frames = roll[s.start : s.stop]
    if frames.shape[0] == 0:
        return 0.0
    return float(np.median(frames[:, s.key] / np.maximum(frames[:, keys].max(axis=1), 1e-12)))


def _teaching(notes: list[Segment], activations: np.ndarray) -> np.ndarray:
    """The activations of ``notes``, zero elsewhere (what learning looks at)."""
    mask = np.zeros_like(activations)
    for s in notes:
        mask[s.start : s.stop, s.key] = 1.0
    return activations * mask


def detect_notes(
    x: Signal | np.ndarray,
    *,
    sr: float | None = None,
    params: DetectionParams | None = None,
    per_channel: bool = False,
    fmin: str | float = "A0",
    n_keys: int | None = None,
    key: str | None = None,
) -> NoteTable:
    """Transcribe the notes of an audio signal (see the module docstring for the method).

    Parameters
    ----------
    x : Signal or array_like
        Audio: a Signal on a time axis, or ``(n,)`` / ``(n, c)`` samples with
        ``sr``.  Integer samples are PCM, scaled to [-1, 1) as
        :func:`signalspace.audio.load` reads them.  Dask-backed audio
        (``ss.audio.load(path, chunks=...)``) is read chunk by chunk: the
        samples are never all in memory, only the features (89 float32 values
        per frame, about 0.11 GB per hour at the default hop); inside
        :func:`signalspace.parallel.progress` a progress bar shows, on a
        ``dask.distributed`` client the features are computed on the cluster.
    sr : float, optional
        Sample rate in Hz, for arrays.
    params : DetectionParams, optional
        The method's tunables (defaults: ``DetectionParams()``).
    per_channel : bool, default False
        False: one transcription of the mix (the mean of the channels), as a
        listener hears it, with ``channel`` set to ``"mix"`` for multichannel
        audio (the channel's name for mono).  True: each channel on its own.
    fmin, n_keys
        The keys considered, as in :func:`~signalspace.analysis.piano_roll` (by
        default the piano's keys below ``0.45 * sr``).
    key : str, optional
        A key signature (``"Eb:maj"``, ``"F#:min"``) for spelling note names, as
        :func:`librosa.midi_to_note` does; by default sharps (``"G#4"``).

    Returns
    -------
    NoteTable
        One :class:`NoteEvent` per note, sorted by channel, onset, then pitch.
        ``strength`` is the key's envelope peak near the onset (about the
        amplitude of the note's fundamental).  Silent or empty audio gives an
        empty table.

    Examples
    --------
    >>> import signalspace as ss
    >>> x = ss.analysis.synthesize(["C4", "E4", "G4", "C5"], durations=0.3, sr=22050)
    >>> [(e.note, round(e.onset, 1)) for e in ss.analysis.detect_notes(x)]
    [('C4', 0.0), ('E4', 0.3), ('G4', 0.6), ('C5', 0.9)]
    >>> [e.note for e in ss.analysis.detect_notes(x, key="Db:maj")][:2]
    ['C4', 'E4']
    """
    return _run(x, sr, params, per_channel, fmin, n_keys, key, with_roll=False)[0]


def transcribe(
    x: Signal | np.ndarray,
    *,
    sr: float | None = None,
    params: DetectionParams | None = None,
    per_channel: bool = False,
    fmin: str | float = "A0",
    n_keys: int | None = None,
    key: str | None = None,
) -> tuple[NoteTable, Signal | None]:
    """:func:`detect_notes` and the piano roll it worked on (None for empty audio), computed once.

    The roll is in memory (computed chunk by chunk for dask audio) at the
    detection's hop, with one set of keys per transcribed channel (the mix, or
    every channel with ``per_channel=True``).

    Examples
    --------
    >>> import signalspace as ss
    >>> from signalspace.analysis.transcription import transcribe
    >>> table, roll = transcribe(ss.analysis.synthesize(["A4"], durations=0.5, sr=22050))
    >>> [e.note for e in table], roll.attrs["hop_length"], roll.nchannels
    (['A4'], 256, 88)
    """
    return _run(x, sr, params, per_channel, fmin, n_keys, key, with_roll=True)


def _run(
    x: Signal | np.ndarray, sr: float | None, params: DetectionParams | None, per_channel: bool,
    fmin: str | float, n_keys: int | None, key: str | None, *, with_roll: bool,
) -> tuple[NoteTable, Signal | None]:
    """:func:`transcribe`'s work; the roll Signal (a copy of the features' keys) only ``with_roll``."""
    params = DetectionParams() if params is None else params
    if not isinstance(params, DetectionParams):
        raise InvalidTypeError(f"params must be a DetectionParams, got {describe(params)}")
    if not isinstance(per_channel, bool):
        raise InvalidTypeError(f"per_channel must be True or False, got {describe(per_channel)}")
    spelling = _spelling(key)
    lazy = _lazy_audio(x, sr)
    samples, rate, channels, origin = audio_samples(x, sr) if lazy is None else lazy
    midi = _roll_midis(fmin, n_keys, params.resolution, rate)
    if samples.shape[0] == 0:
        return NoteTable(), None
    if not per_channel and samples.shape[1] > 1:
        samples = samples.mean(axis=1, keepdims=True)
        channels = Channels(("mix",))
    plan = _plan(float(rate), params.hop_length, int(midi[0]), midi.size, float(params.resolution))
    spec = _Features(float(rate), params.hop_length, plan, params.onset, np.float32)
    features = _computed(_features(samples, spec))
    dt = params.hop_length / rate
    events = []
    for c, name in enumerate(channels.names):
        block = features[:, c * spec.width : (c + 1) * spec.width]
        for s in _transcribe(block[:, : midi.size], block[:, midi.size], spec, int(midi[0]), params, dt):
            m = int(midi[s.key])
            events.append(
                NoteEvent(origin + s.start * dt, origin + s.stop * dt, spelling(m), float(_midi_hz(m)), s.peak, name)
            )
    order = {name: i for i, name in enumerate(channels.names)}
    events.sort(key=lambda e: (order[e.channel], e.onset, e.hz))
    roll = _roll_signal(features, spec, midi, channels, origin, params.resolution) if with_roll else None
    return NoteTable(events), roll


def _computed(values: Any) -> np.ndarray:
    if hasattr(values, "chunks"):
        from ..parallel import compute  # dask is optional: imported only for dask audio

        (values,) = compute(values)
    return np.asarray(values)


def _spelling(key: str | None) -> Any:
    """MIDI number -> note name, with sharps or in a key signature's spelling."""
    if key is not None and not isinstance(key, str):
        raise InvalidTypeError(f"key must be a key signature like 'Eb:maj', got {describe(key)}")
    names = _note_names(key or "C:maj")
    return lambda m: names[m]


@functools.lru_cache(maxsize=32)
def _note_names(key: str) -> tuple[str, ...]:
    """The names of MIDI numbers 0..127 in a key signature's spelling (librosa names them one by one: cached)."""
    import librosa

    try:
        return tuple(str(n) for n in librosa.midi_to_note(np.arange(128), key=key, unicode=False))
    except Exception:
        raise InvalidParameterError(
            f"key {key!r} is not a key signature librosa knows; expected e.g. 'C:maj', 'Eb:maj', 'F#:min'"
        ) from None
