"""The piano roll: 88 keys of note energy over time, computed the way a constant-Q transform is.

Each key's value at a frame is the envelope of its pitch kernel's response
(:func:`~signalspace.analysis.pitch.piano_bank` with ``quadrature=True`` and
``scale="amplitude"``): a unit-amplitude sinusoid at the key's pitch gives 1.
The keys of each octave form one bank at the signal's rate decimated by a power
of two (librosa's soxr resampler, 2:1 per octave, while the factor divides the
hop), run as one strided "same" correlation that outputs one value per frame
(:meth:`~signalspace.analysis.pitch.PianoBank.conv` with ``pairs=True``: a
cosine and a sine channel per key).  Key ``k``'s kernel is
``2 / (2**(resolution/12) - 1)`` periods long, so that its neighbours
``resolution`` semitones away fall on the first zero of its frequency response.

One cascade serves audio in memory and audio read in chunks: :func:`_feature_block`
computes any run of frames from the samples it needs (the run plus a halo each
side), and the in-memory roll is that function on the whole signal.  Beside the
roll it can compute a SuperFlux onset novelty (:class:`SuperFlux`) from the same
samples, which the note detector uses for onset times.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.fft

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import finite_float, positive_int
from ..domain import Axis, Channels, Domain
from ..domains.audio import audio_samples, check_samples_first, pcm_to_float
from ..domains.pianoroll import KIND as ROLL_KIND
from ..signal import Signal, is_lazy
from .pitch import (
    _MIDI_A0,
    N_KEYS,
    PianoBank,
    _build_bank,
    _key_channels,
    _key_length,
    _key_midis,
    _midi_hz,
    _midi_name,
)

__all__ = ["SuperFlux", "piano_roll"]


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


def _key_seconds(plan: tuple[_Level, ...], sr: float) -> np.ndarray:
    """Length in seconds of each key's kernel (the time over which its envelope averages)."""
    n_keys = sum(level.keys.size for level in plan)
    seconds = np.zeros(n_keys)
    for level in plan:
        seconds[level.keys] = level.bank.lengths * level.factor / sr
    return seconds


def _key_responses(plan: tuple[_Level, ...], sr: float, freqs: np.ndarray) -> np.ndarray:
    """``R[i, k]``: envelope of key ``k`` for a steady unit sinusoid at ``freqs[i]`` Hz.

    The magnitude of each key's kernel's frequency response (a unit sinusoid at
    the key's own pitch gives 1).  Frequencies a level's decimation removes (at
    or above 0.45 times its rate) give 0 there.
    """
    freqs = np.asarray(freqs, dtype=float)
    n_keys = sum(level.keys.size for level in plan)
    response = np.zeros((freqs.size, n_keys))
    for level in plan:
        rate = sr / level.factor
        kernels = level.bank.kernels[:, 0, :]
        phase = np.exp(-2j * np.pi * np.outer(freqs, np.arange(kernels.shape[0])) / rate)
        # a real sinusoid is half a complex exponential at +f (the other half, at -f, falls outside the bank)
        block = 0.5 * np.abs(phase @ kernels)
        block[freqs >= 0.45 * rate] = 0.0
        response[:, level.keys] = block
    return response


@dataclass(frozen=True)
class SuperFlux:
    """The SuperFlux onset novelty (Böck and Widmer, DAFx 2013) as librosa computes it, frame-exact in blocks.

    ``novelty[t]`` is the mean over mel bands of the positive difference
    between the log-mel spectrum ``lag`` frames apart, the earlier one
    maximum-filtered over ``max_size`` bands (so that vibrato does not make
    onsets).  As in :func:`librosa.onset.onset_strength`, frame ``t``'s
    difference is placed ``n_fft // (2 * hop)`` frames after the spectrum frame
    it ends at, so that the novelty starts to rise at the onset; unlike it, the
    dB scale is not clipped relative to the loudest frame (``top_db=None``),
    which would make a block's values depend on the block.  The first
    ``lag + n_fft // (2 * hop)`` frames are 0, as in librosa (the silence
    before the signal is no reference for a difference).

    Examples
    --------
    >>> from signalspace.analysis import SuperFlux
    >>> SuperFlux().shift(hop_length=256), SuperFlux(lag=1).halo(hop_length=256)
    (4, 2304)
    >>> SuperFlux(lag=0)
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidParameterError: SuperFlux.lag must be an integer >= 1, got 0
    """

    n_fft: int = 2048
    n_mels: int = 128
    lag: int = 2
    max_size: int = 3

    def __post_init__(self) -> None:
        for name in ("n_fft", "n_mels", "lag", "max_size"):
            positive_int(getattr(self, name), f"SuperFlux.{name}")
        if self.n_fft < 16:
            raise InvalidParameterError(f"SuperFlux.n_fft must be at least 16 samples, got {self.n_fft}")

    def shift(self, hop_length: int) -> int:
        """Frames between a difference's later spectrum frame and the novelty frame it is placed at."""
        return self.n_fft // (2 * hop_length)

    def halo(self, hop_length: int) -> int:
        """Samples before the first frame that the novelty of a run of frames reads."""
        return (self.shift(hop_length) + self.lag) * hop_length + self.n_fft // 2

    def block(self, signal: np.ndarray, sr: float, hop_length: int, f0: int, f1: int, s0: int, n: int) -> np.ndarray:
        """Novelty frames ``f0 .. f1`` of the whole signal (``n`` samples), from ``signal`` = samples ``s0 ..``."""
        import librosa

        shift = self.shift(hop_length)
        first = f0 - shift - self.lag  # first spectrum frame (centred at first * hop)
        count = f1 - f0 + self.lag
        g0 = first * hop_length - self.n_fft // 2
        g1 = (first + count - 1) * hop_length + self.n_fft // 2
        segment = np.zeros(g1 - g0, dtype=np.float32)  # zeros outside the signal, as librosa's centred frames pad
        lo, hi = max(g0, 0, s0), min(g1, n, s0 + signal.shape[0])
        if hi > lo:
            segment[lo - g0 : hi - g0] = signal[lo - s0 : hi - s0]
        # librosa.stft's frames, in float32 with scipy.fft (librosa's window is float64 and doubles the cost)
        frames = np.lib.stride_tricks.sliding_window_view(segment, self.n_fft)[::hop_length]
        window, basis = _window(self.n_fft), _mel_basis(float(sr), self.n_fft, self.n_mels)
        mel = np.empty((self.n_mels, frames.shape[0]), dtype=np.float32)
        for i in range(0, frames.shape[0], 512):  # 4 MiB of frames at a time: the transform stays in cache
            spectrum = scipy.fft.rfft(frames[i : i + 512] * window, axis=1)
            mel[:, i : i + 512] = basis @ (spectrum.real**2 + spectrum.imag**2).T  # sparse filters
        db = librosa.power_to_db(mel, ref=1.0, top_db=None)
        novelty = np.asarray(  # float32 spectra: novelty to about 1e-5 of its peak, at a quarter of float64's cost
            librosa.onset.onset_strength(S=db, lag=self.lag, max_size=self.max_size, center=False)[self.lag :]
        )
        novelty[: max(0, shift + self.lag - f0)] = 0.0  # as librosa: no difference before lag + shift frames
        return novelty


@functools.lru_cache(maxsize=8)
def _mel_basis(sr: float, n_fft: int, n_mels: int) -> Any:
    """librosa's mel filterbank as a sparse matrix (each frequency bin feeds at most two filters)."""
    import librosa
    import scipy.sparse

    return scipy.sparse.csr_array(librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, dtype=np.float32))


@functools.lru_cache(maxsize=8)
def _window(n_fft: int) -> np.ndarray:
    """librosa.stft's default window (periodic Hann), float32."""
    import librosa

    return librosa.filters.get_window("hann", n_fft, fftbins=True).astype(np.float32)


@dataclass(frozen=True)
class _Features:
    """What one pass over the samples computes per channel: the roll's keys, then a novelty column if ``flux``."""

    sr: float
    hop_length: int
    plan: tuple[_Level, ...]
    flux: SuperFlux | None = None
    dtype: Any = np.float64  # of the features (the note detector keeps float32: half the memory of long audio)

    @property
    def n_keys(self) -> int:
        return sum(level.keys.size for level in self.plan)

    @property
    def width(self) -> int:
        """Columns per audio channel."""
        return self.n_keys + (self.flux is not None)

    @functools.cached_property
    def halo(self) -> int:
        """Samples of context each side of a run of frames (see :func:`_roll_halo`)."""
        halo = _roll_halo(self.plan)
        if self.flux is not None:
            top = max(level.factor for level in self.plan)
            halo = max(halo, -(-self.flux.halo(self.hop_length) // top) * top)
        return halo


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
    """Samples of context each side of a run of frames so that its frames equal those of the whole signal.

    A level decimated ``F`` times reads ``(L - 1) / 2 + 1`` decimated samples each
    side of a frame (``F`` samples each), which are exact once the cascade of
    2:1 resamplers before it saw ``reach * (F - 1)`` samples more.  Rounded up
    to a multiple of the largest decimation factor, so run starts keep every
    level's sample grid.
    """
    reach = _resample_reach()
    top = max(level.factor for level in plan)
    halo = max(
        level.factor * ((level.bank.kernels.shape[0] - 1) // 2 + 2) + reach * (level.factor - 1) for level in plan
    )
    return -(-halo // top) * top


def _finite_block(block: np.ndarray, s0: int) -> np.ndarray:
    block = np.asarray(block, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(block))
    if bad.size:
        i, c = bad[0]
        raise InvalidParameterError(
            f"x must contain finite audio samples, got {block[i, c]} at sample {s0 + i} of channel {c}"
        )
    return block


def _feature_block(block: np.ndarray, spec: _Features, f0: int, f1: int, s0: int, n: int) -> np.ndarray:
    """Frames ``f0 .. f1`` of every channel's features, from samples ``s0 .. s0 + len(block)`` of ``n``.

    ``block`` covers the frames plus ``spec.halo`` samples each side (less at
    the ends of the signal) and ``s0`` is a multiple of every decimation
    factor.  The whole signal (``f0 = s0 = 0``, ``f1`` every frame) is the
    in-memory roll; any other run gives the same rows.
    """
    import librosa

    block = _finite_block(block, s0)
    n_keys, hop_length = spec.n_keys, spec.hop_length
    out = np.zeros((f1 - f0, block.shape[1] * spec.width), dtype=spec.dtype)
    for c in range(block.shape[1]):
        signal = block[:, c]
        column = c * spec.width
        if spec.flux is not None:
            out[:, column + n_keys] = spec.flux.block(signal, spec.sr, hop_length, f0, f1, s0, n)
        factor = 1
        for level in spec.plan:
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
            y = level.bank._shared_conv(stride=stride, padding="valid")(segment[:, np.newaxis])
            out[:, column + level.keys] = np.hypot(y[:, 0::2], y[:, 1::2])
    return out


def _features(values: Any, spec: _Features) -> Any:
    """Features ``(frames, c * spec.width)`` of audio ``(n, c)``: in memory for numpy, lazily for dask.

    Dask audio is cut into runs of frames following its chunks (cut at the first
    frame of each chunk), merged so that each spans at least the halo; each run
    is one task that reads its samples and ``halo`` more each side.
    """
    n = int(values.shape[0])
    frames = -(-n // spec.hop_length)
    if not hasattr(values, "chunks"):
        return _feature_block(values, spec, 0, frames, 0, n)
    import dask.array as da

    c = int(values.shape[1])
    halo, hop_length = spec.halo, spec.hop_length
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
        func = functools.partial(_feature_block, spec=spec, f0=f0, f1=f1, s0=s0, n=n)
        pieces.append(
            piece.map_blocks(func, chunks=((f1 - f0,), (c * spec.width,)), dtype=spec.dtype, meta=np.empty((0, 0)))
        )
    return pieces[0] if len(pieces) == 1 else da.concatenate(pieces, axis=0)


def _lazy_audio(x: Any, sr: float | None) -> tuple[Any, float, Channels, float] | None:
    """Like :func:`~signalspace.domains.audio.audio_samples` for dask audio, without computing; None otherwise.

    Returns the dask values ``(n, c)``, the sample rate, the channels and the
    start time of a dask-backed audio Signal (or of a dask array given with ``sr``).
    """
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
        check_samples_first(values.shape)
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
    samples, sr, channels, origin = audio_samples(x, sr) if lazy is None else lazy
    hop_length = positive_int(hop_length, "hop_length")
    resolution = finite_float(resolution, "resolution", positive=True)
    if samples.shape[0] == 0:
        raise InvalidParameterError("x is empty (0 samples); a piano roll needs audio")
    midi = _roll_midis(fmin, n_keys, resolution, sr)
    spec = _Features(float(sr), hop_length, _plan(float(sr), hop_length, int(midi[0]), midi.size, float(resolution)))
    return _roll_signal(_features(samples, spec), spec, midi, channels, origin, resolution)


def _roll_midis(fmin: str | float, n_keys: int | None, resolution: float, sr: float) -> np.ndarray:
    """The keys of a roll, checked against the sample rate."""
    midi = _roll_keys(fmin, n_keys, sr)
    hz = _midi_hz(midi)
    if hz[-1] >= 0.45 * sr:
        raise InvalidParameterError(
            f"n_keys={midi.size} puts the top key {_midi_name(midi[-1])} ({hz[-1]:.1f} Hz) too close to the Nyquist "
            f"frequency {sr / 2} Hz of sr={sr} (keys must be below 0.45 * sr); use at most "
            f"n_keys={int(np.sum(hz < 0.45 * sr))}, leave n_keys out, or a higher sample rate"
        )
    return midi


def _roll_signal(
    values: Any, spec: _Features, midi: np.ndarray, channels: Channels, origin: float, resolution: float
) -> Signal:
    """The roll columns of ``values`` (features of ``spec``) as a ``"pianoroll"`` Signal."""
    n_keys = midi.size
    if spec.flux is not None:
        keep = np.concatenate([c * spec.width + np.arange(n_keys) for c in range(len(channels.names))])
        values = values[:, keep]
    hz = _midi_hz(midi)
    base = _key_channels(midi, hz)
    if len(channels.names) == 1:
        names = base
    else:
        names = Channels(
            tuple(f"{ch}:{key}" for ch in channels.names for key in base.names),
            coords={
                "midi": [int(m) for _ in channels.names for m in midi],
                "hz": [float(f) for _ in channels.names for f in hz],
                "source": [ch for ch in channels.names for _ in midi],
            },
            units={"hz": "Hz"},
        )
    step = spec.hop_length / spec.sr
    domain = Domain((Axis("time", values.shape[0], step=step, origin=origin, unit="s"),), kind=ROLL_KIND)
    attrs = {"sr": spec.sr, "hop_length": spec.hop_length, "resolution": resolution, "n_keys": n_keys,
             "fmin_midi": int(midi[0]), "source_channels": tuple(channels.names)}
    return Signal(values, domain, names, attrs)
