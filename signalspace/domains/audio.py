"""Audio: 1-D signals on a time axis, mono to 7.1, read and written with soundfile.

A :class:`~signalspace.Signal` of kind ``"audio"`` has one axis ``"time"``
whose step is ``1 / sample_rate`` seconds (unit ``"s"``) and one channel per
loudspeaker: mono ``(M,)``, stereo ``(L, R)``, 5.1 ``(FL, FR, FC, LFE, SL, SR)``
and 7.1 ``(FL, FR, FC, LFE, BL, BR, SL, SR)``.  Values are channels last,
``(n, c)``; :func:`from_array` and :func:`to_librosa` convert from and to
librosa's ``(n,)`` / ``(c, n)``.

Files go through soundfile (libsndfile: WAV, FLAC, OGG and the other formats
of ``soundfile.available_formats()``); resampling goes through
``librosa.resample`` and happens only when the requested rate differs from
the file's.  soundfile and librosa are imported when first needed.

Examples
--------
>>> import numpy as np
>>> import signalspace as ss
>>> y = np.zeros((2, 4410), dtype=np.float32)          # librosa's (c, n)
>>> x = ss.audio.from_array(y, sr=44100)
>>> x.domain["time"].unit, x.channels.names, ss.audio.sample_rate(x)
('s', ('L', 'R'), 44100)
>>> ss.audio.to_librosa(x).shape
(2, 4410)
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .._errors import (
    FileFormatError,
    FileIntegrityWarning,
    InvalidParameterError,
    InvalidTypeError,
    ShapeError,
    SignalspaceError,
    UnknownNameError,
)
from .._io import as_path, atomic_path, existing_file, os_path, signals_deferred
from .._validation import describe, finite_float, unmasked
from ..domain import Axis, Channels, Domain
from ..signal import Signal, is_lazy
from .base import DomainAdapter, forward

__all__ = [
    "EXTENSIONS",
    "KIND",
    "LAYOUTS",
    "AudioAdapter",
    "from_array",
    "load",
    "sample_rate",
    "save",
    "to_librosa",
]

KIND = "audio"

#: Channel layouts: name -> channel names, in file (WAVE_FORMAT_EXTENSIBLE) order.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "mono": ("M",),
    "stereo": ("L", "R"),
    "5.1": ("FL", "FR", "FC", "LFE", "SL", "SR"),
    "7.1": ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
}

#: Extensions this adapter claims first (any format libsndfile reads is accepted).
EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".caf", ".w64", ".rf64", ".mp3")

#: Sample types a file can be read as (soundfile's ``dtype``); shared with the lazy reader.
_DTYPES = ("float32", "float64", "int16", "int32")

#: Subtypes that store floating-point samples or feed a floating-point codec: samples beyond [-1, 1]
#: survive a write.  Every other subtype (PCM_16, PCM_24, FLAC's PCM, ULAW, ADPCM...) is fixed-point:
#: libsndfile clips float samples to full scale without a word, so :func:`save` refuses them.
_FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE", "VORBIS", "OPUS", "MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"})

#: Major formats whose seek is not sample-exact in libsndfile 1.2: a seek followed by a read differs from
#: the same frames of a whole read (measured with soundfile on synthesized melodies: MP3 by up to 0.6 almost
#: everywhere; OGG/Vorbis by up to 1.0 from some positions of some streams; OGG/Opus by 1e-8 to 4e-7).
#: Chunked (lazy) reads seek once per chunk, so they are refused for these.  Every other subtype that
#: reports itself seekable (PCM, FLOAT, FLAC, ALAC, IMA/MS ADPCM...) read back exactly in the same sweep.
_INEXACT_SEEK = frozenset({"MP3", "OGG"})

#: Largest factor by which ``load(sr=...)`` changes a file's sample rate, up or down.
MAX_RESAMPLE_FACTOR = 2**16

#: Frames written per call by :func:`save` (a signal stops a save between two blocks).
WRITE_BLOCK_FRAMES = 2**18

#: What libsndfile logs for a chunk that declares more bytes than the file holds: "data : 32000 (should be 15978)".
_SHORT = re.compile(r"\(should be \d+\)")

#: What libsndfile writes in its log (``SoundFile.extra_info``) when an Ogg stream was cut short.
_CUT_STREAM = ("File ended unexpectedly", "Junk after the last page")


# ----------------------------------------------------------------- helpers
def _check_sr(sr: Any, name: str = "sr") -> float:
    return finite_float(sr, name, positive=True)


def _channels(layout: Any, c: int) -> Channels:
    if layout is None:
        for name, names in LAYOUTS.items():
            if len(names) == c:
                return Channels(names, layout=name)
        return Channels.generic(c, prefix="ch")
    if isinstance(layout, Channels):
        channels = layout
    elif isinstance(layout, str):
        if layout not in LAYOUTS:
            raise UnknownNameError(
                f"layout must be one of {', '.join(map(repr, LAYOUTS))} (or a Channels), got {layout!r}"
            )
        channels = Channels(LAYOUTS[layout], layout=layout)
    else:
        raise InvalidTypeError(f"layout must be a layout name, a Channels or None, got {describe(layout)}")
    if len(channels) != c:
        raise ShapeError(
            f"layout {channels.layout or list(channels.names)!r} has {len(channels)} channels "
            f"{list(channels.names)}, but the audio has {c}"
        )
    return channels


def _time_axis(n: int, sr: float, origin: float = 0.0) -> Axis:
    return Axis("time", n, step=1.0 / sr, origin=origin, unit="s")


def _domain(n: int, sr: float, origin: float = 0.0) -> Domain:
    return Domain((_time_axis(n, sr, origin),), kind=KIND)


def sample_rate(signal: Signal) -> float | int:
    """Sample rate in Hz of a 1-D signal on a time axis (``1 / step``).

    Returned as an ``int`` when it is one (to 1e-9 relative), which is what
    soundfile and most audio code expect.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> ss.audio.sample_rate(ss.audio.from_array(np.zeros(10), sr=22050))
    22050
    """
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    if signal.ndim != 1:
        raise ShapeError(
            f"signal must have one (time) axis to have a sample rate, got {signal.ndim} axes {signal.domain.names}"
        )
    rate = 1.0 / signal.domain.axes[0].step
    nearest = round(rate)
    if nearest > 0 and abs(rate - nearest) <= 1e-9 * abs(rate):
        return int(nearest)
    return rate


# --------------------------------------------------------------- public API
def from_array(
    y: Any, sr: float, layout: str | Channels | None = None, *, channels_last: bool = False, offset: float = 0.0
) -> Signal:
    """An audio Signal from a librosa-style array.

    Parameters
    ----------
    y : array_like
        ``(n,)`` mono, or ``(c, n)`` as librosa returns multi-channel audio;
        with ``channels_last=True``, ``(n, c)`` as soundfile returns it.
        The data are copied: the Signal never shares memory with ``y``
        (dask arrays stay lazy).
    sr : float
        Sample rate in Hz, > 0.
    layout : str or Channels, optional
        ``"mono"``, ``"stereo"``, ``"5.1"``, ``"7.1"`` or explicit Channels.
        By default the layout with ``c`` channels, else channels ``ch0, ch1...``.
    channels_last : bool, default False
        Read a 2-D ``y`` as ``(n, c)`` instead of ``(c, n)``.
    offset : float, default 0.0
        Time of the first sample in seconds.

    Returns
    -------
    Signal
        Kind ``"audio"``, values ``(n, c)``.

    Raises
    ------
    ShapeError
        When ``y`` is empty, has more than 2 axes, has more channels than
        samples (likely an ``(n, c)`` array: pass ``channels_last=True``) or
        does not match ``layout``.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.audio.from_array(np.zeros(6 * 100).reshape(6, 100), sr=48000)
    >>> x.shape, x.channels.layout
    ((100, 6), '5.1')
    >>> ss.audio.from_array(np.zeros((100, 2)), sr=8000, channels_last=True).channels.names
    ('L', 'R')
    """
    rate = _check_sr(sr)
    origin = finite_float(offset, "offset")
    if not isinstance(channels_last, bool):
        raise InvalidTypeError(f"channels_last must be True or False, got {describe(channels_last)}")
    lazy = is_lazy(y)
    array = y if lazy else np.asarray(unmasked(y, "y"))
    if array.ndim not in (1, 2):
        raise ShapeError(
            f"y must have shape (n,) or (c, n){' / (n, c)' if channels_last else ''}, got shape {tuple(array.shape)}"
        )
    if array.size == 0:
        raise ShapeError(f"y must contain samples, got an empty array of shape {tuple(array.shape)}")
    if array.ndim == 1:
        frames = array[:, np.newaxis]
    else:
        frames = array if channels_last else array.T
    n, c = frames.shape
    if c > n and c > 8 and layout is None:
        raise ShapeError(
            f"y of shape {tuple(array.shape)} would give {c} channels of {n} samples; "
            f"{'is it (c, n)? pass channels_last=False' if channels_last else 'is it (n, c)? pass channels_last=True'}"
            " or give layout= to confirm"
        )
    channels = _channels(layout, c)
    values = frames if lazy else np.array(frames, copy=True, order="C")
    return Signal(values, _domain(n, rate, origin), channels)


def to_librosa(signal: Signal) -> np.ndarray:
    """The samples in librosa's layout: ``(n,)`` for one channel, ``(c, n)`` otherwise.

    Returns a new C-contiguous numpy array (a dask signal is computed).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.audio.from_array(np.arange(6.0).reshape(2, 3), sr=10)
    >>> ss.audio.to_librosa(x)
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    sample_rate(signal)  # checks it is a 1-D signal
    values = np.asarray(signal)
    if values.shape[-1] == 1:
        return np.array(values[:, 0], copy=True)
    return np.array(values.T, order="C", copy=True)


def _soundfile():
    import soundfile

    return soundfile


def _open_error(path: os.PathLike[str] | str, exc: Exception) -> FileFormatError:
    return FileFormatError(f"cannot read audio file {str(path)!r}: {exc}")


class _AudioFile(NamedTuple):
    """What :func:`_checked_file` learned about a file and the frames a read asked for."""

    path: Path
    rate: int
    format: str
    subtype: str
    channels: int
    seekable: bool
    start: int  #: first frame to read (``offset`` in frames)
    frames: int  #: number of frames to read (>= 1), up to the end of the file
    damage: str  #: what libsndfile said about a stream cut short ("" when nothing)


@contextlib.contextmanager
def _checked_file(
    path: Any, *, mono: Any, offset: Any, duration: Any, dtype: Any
) -> Iterator[tuple[Any, _AudioFile]]:
    """Check the read arguments, open ``path`` with soundfile and yield ``(SoundFile, _AudioFile)``.

    The one place where both readers (eager :func:`load` and the lazy
    ``_audio_stream.load_lazy``) validate ``dtype``/``mono``/``offset``/``duration``,
    detect a truncated file, turn ``offset``/``duration`` into frames and wrap
    libsndfile's errors (also those raised by the caller's reads in the block)
    into :class:`~signalspace.FileFormatError`.
    """
    p = existing_file(path)
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise InvalidParameterError(f"dtype must be one of {', '.join(map(repr, _DTYPES))}, got {describe(dtype)}")
    if not isinstance(mono, bool):
        raise InvalidTypeError(f"mono must be True or False, got {describe(mono)}")
    start_s = finite_float(offset, "offset")
    if start_s < 0:
        raise InvalidParameterError(f"offset must be >= 0 seconds, got {start_s}")
    length_s = None if duration is None else finite_float(duration, "duration", positive=True)
    sf = _soundfile()
    try:
        with sf.SoundFile(os_path(p)) as f:
            # libsndfile reads a truncated file silently but logs "data : 32000 (should be 15978)"
            # ("*** 'data' chunk should be an even number of bytes" is about a missing pad byte: no data lost)
            complaints = [line.strip() for line in (f.extra_info or "").splitlines() if _SHORT.search(line)]
            if complaints:
                raise FileFormatError(
                    f"audio file {str(p)!r} is truncated or corrupt: its header declares more data than the file "
                    f"holds (libsndfile: {'; '.join(complaints)})"
                )
            # Ogg streams cut short: libsndfile decodes the whole pages and logs what it found after them
            damage = "; ".join(
                line.strip() for line in (f.extra_info or "").splitlines() if any(c in line for c in _CUT_STREAM)
            )
            rate, total = f.samplerate, f.frames
            if total <= 0:
                cut = f" and looks truncated (libsndfile: {damage})" if damage else ""
                raise FileFormatError(f"audio file {str(p)!r} holds no samples{cut}")
            if start_s * rate >= total or round(start_s * rate) >= total:  # compared as floats: 1e308 s is no int
                raise InvalidParameterError(
                    f"offset {start_s} s is past the end of {str(p)!r} ({total / rate:.6g} s long)"
                )
            start = round(start_s * rate)
            left = total - start
            frames = left if length_s is None or length_s * rate >= left else max(1, round(length_s * rate))
            yield f, _AudioFile(p, rate, f.format, f.subtype, f.channels, f.seekable(), start, frames, damage)
    except SignalspaceError:
        raise
    except (RuntimeError, OSError, ValueError, TypeError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise _open_error(p, exc) from exc


def _check_resampling(info: _AudioFile, target: float | None, dtype: str) -> None:
    """Refuse a resampling ``load`` cannot do: an integer dtype, a factor beyond :data:`MAX_RESAMPLE_FACTOR`."""
    if target is None or target == info.rate:
        return
    if not dtype.startswith("float"):
        raise InvalidParameterError(
            f"resampling from {info.rate} Hz to sr={target} needs a float dtype, got dtype={dtype!r}"
        )
    factor = target / info.rate
    if not 1 / MAX_RESAMPLE_FACTOR <= factor <= MAX_RESAMPLE_FACTOR:
        raise InvalidParameterError(
            f"sr={target:g} would resample {str(info.path)!r} from {info.rate} Hz by a factor {factor:.3g}; "
            f"load resamples by at most {MAX_RESAMPLE_FACTOR} either way (libsoxr does not finish far beyond): "
            "pick a rate closer to the file's"
        )
    if info.frames * factor < 1:
        raise InvalidParameterError(
            f"sr={target:g} leaves no sample of the {info.frames} frames read at {info.rate} Hz from {str(info.path)!r}"
        )


def _warn_if_cut(info: _AudioFile, decoded: int) -> None:
    """A :class:`~signalspace.FileIntegrityWarning` when fewer frames decoded than declared, or the stream was cut."""
    if decoded < info.frames:
        what = f"decoded {decoded} frames from frame {info.start}, its header declares {info.frames}"
    elif info.damage:
        what = f"its stream ends without its last page, {decoded} frames decoded (libsndfile: {info.damage})"
    else:
        return
    warnings.warn(
        f"audio file {str(info.path)!r} looks truncated: {what}; the signal holds what could be decoded",
        FileIntegrityWarning,
        stacklevel=3,
    )


def _probe(path: Any, *, mono: Any, offset: Any, duration: Any, dtype: Any) -> _AudioFile:
    """What :func:`_checked_file` learns, without reading samples (the lazy reader's entry)."""
    with _checked_file(path, mono=mono, offset=offset, duration=duration, dtype=dtype) as (_, info):
        return info


def _mix_mono(data: np.ndarray) -> np.ndarray:
    """Average ``(n, c)`` frames into one channel in float64, as librosa's ``to_mono``; integers are rounded."""
    if data.shape[1] == 1:
        return data
    mixed = data.mean(axis=1, dtype=np.float64, keepdims=True)
    return (np.round(mixed) if data.dtype.kind == "i" else mixed).astype(data.dtype)


def _writable_rate(signal: Any, name: str = "signal") -> int:
    """The integer sample rate of a Signal that can be written to a file, or the error saying why not."""
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"{name} must be a signalspace.Signal, got {describe(signal)}")
    rate = sample_rate(signal)
    if not isinstance(rate, int):
        raise InvalidParameterError(
            f"{name}'s sample rate must be a whole number of Hz to be written to a file, got {rate}"
        )
    if signal.dtype.kind not in "if":
        raise InvalidTypeError(f"{name} values must be integer or float to be written, got dtype {signal.dtype}")
    return rate


def _check_samples(
    data: np.ndarray, subtype: str | None, target: Path, *, first: int = 0, name: str = "signal"
) -> None:
    """Refuse samples a write would corrupt: NaN/inf anywhere, floats beyond [-1, 1] for a fixed-point subtype,
    integers with more significant bits than a PCM subtype keeps (int32 1 in PCM_16 is written as 0).

    ``first`` is the frame index of ``data[0]`` in the whole signal (for streamed blocks).
    """
    if data.dtype.kind in "iu":
        _check_integer_bits(data, subtype, target, first, name)
        return
    if data.dtype.kind != "f":
        return
    finite = np.isfinite(data)
    if not finite.all():
        bad = first + int(np.flatnonzero(~finite.all(axis=1))[0])
        raise InvalidParameterError(
            f"{name} holds NaN or infinite samples (first at frame {bad}); cannot write {str(target)!r}"
        )
    if subtype in _FLOAT_SUBTYPES or data.size == 0:
        return
    magnitude = np.abs(data).max(axis=1)
    peak = float(magnitude.max())
    if peak > 1.0:
        where = first + int(magnitude.argmax())
        raise InvalidParameterError(
            f"{name} peaks at {peak:.6g} (frame {where}), outside the full scale [-1, 1] of subtype {subtype!r}: "
            f"writing {str(target)!r} would clip it. Normalize it first (e.g. x * (0.9 / {peak:.6g})), or keep the "
            "values with a floating-point subtype (subtype='FLOAT' for WAV/AIFF/CAF)"
        )


def _check_integer_bits(data: np.ndarray, subtype: str | None, target: Path, first: int, name: str) -> None:
    """libsndfile scales integers to the subtype's width from their dtype's full scale, dropping the low bits."""
    match = re.fullmatch(r"(?:PCM_[SU]?|DPCM_|DWVW_)(\d+)", subtype or "")
    width = 8 * data.dtype.itemsize
    if match is None or int(match.group(1)) >= width or data.size == 0:
        return
    dropped = (1 << (width - int(match.group(1)))) - 1
    lost = (data.astype(np.int64) & dropped) != 0
    if lost.any():
        where = first + int(np.flatnonzero(lost.any(axis=1))[0])
        raise InvalidParameterError(
            f"{name} holds {data.dtype} samples with more significant bits than subtype {subtype!r} keeps (first at "
            f"frame {where}: {data[where - first].tolist()}); libsndfile would write them scaled from {width} bits "
            f"and drop the low ones. Write subtype='PCM_{width}' (or 'FLOAT'), or convert the values yourself"
        )


def load(
    path: str | os.PathLike[str],
    sr: float | None = None,
    mono: bool = False,
    offset: float = 0.0,
    duration: float | None = None,
    dtype: str = "float32",
    *,
    res_type: str = "soxr_hq",
    chunks: int | str | None = None,
) -> Signal:
    """Read an audio file (WAV, FLAC, OGG... through soundfile).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    sr : float, optional
        Target sample rate.  ``None`` keeps the file's; a different value
        resamples with ``librosa.resample(res_type=res_type)`` (float dtypes only).
    mono : bool, default False
        Average the channels into one ``"M"`` channel (as librosa's ``to_mono``).
    offset : float, default 0.0
        Start reading this many seconds into the file.  The time axis keeps
        that position: its first coordinate is ``offset``.
    duration : float, optional
        Read at most this many seconds.
    dtype : {"float32", "float64", "int16", "int32"}
        Sample type; floats are scaled to [-1, 1) as soundfile does, integers
        are the raw PCM values (a PCM_16 file read with ``"int16"`` is exact).
    res_type : str, default "soxr_hq"
        Resampling method passed to librosa.
    chunks : int or str, optional
        Read lazily: the values become a dask array read block by block
        (frames per chunk, or a dask size such as ``"64MiB"``); see
        :mod:`signalspace.domains._audio_stream`.  No resampling then.  Each
        chunk seeks, so formats whose seek is not sample-exact (MP3, OGG
        Vorbis/Opus) are refused: read those eagerly or convert them to FLAC.

    Returns
    -------
    Signal
        Kind ``"audio"``; ``attrs`` holds ``source``, ``format`` and ``subtype``
        (the sample rate is the time axis' ``1 / step``: see :func:`sample_rate`).

    Raises
    ------
    FileFormatError
        Missing, unreadable, corrupt, empty or truncated file (libsndfile
        reports a data chunk longer than the file); ``chunks=`` on a file that
        cannot seek sample-exactly.
    InvalidParameterError
        Bad ``sr``, ``offset``, ``duration`` or ``dtype``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile
    >>> import signalspace as ss
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> soundfile.write(path, np.zeros((800, 2)), 8000, subtype="PCM_16")
    >>> x = ss.audio.load(path, offset=0.05)
    >>> x.shape, x.domain["time"].origin, x.attrs["subtype"]
    ((400, 2), 0.05, 'PCM_16')
    """
    if chunks is not None:
        if sr is not None:
            raise InvalidParameterError(f"sr={sr!r} (resampling) is not available with chunks={chunks!r}")
        from ._audio_stream import load_lazy

        return load_lazy(path, chunks=chunks, mono=mono, offset=offset, duration=duration, dtype=dtype)
    target = None if sr is None else _check_sr(sr)
    with _checked_file(path, mono=mono, offset=offset, duration=duration, dtype=dtype) as (f, info):
        _check_resampling(info, target, dtype)
        if info.start:
            f.seek(info.start)
        # a whole read (frames=-1) does not trust the header's frame count; a duration reads that many frames
        data = f.read(frames=-1 if duration is None else info.frames, dtype=dtype, always_2d=True)
    p, file_sr, start = info.path, info.rate, info.start
    if data.shape[0] == 0:
        raise FileFormatError(f"audio file {str(p)!r} holds no samples")
    _warn_if_cut(info, data.shape[0])
    rate: float = file_sr
    if mono:
        data = _mix_mono(data)
    if target is not None and target != file_sr:
        import librosa

        data = librosa.resample(data.T, orig_sr=file_sr, target_sr=target, res_type=res_type, axis=-1).T
        rate = target
    # the file says which axis holds the channels: no (c, n) guess, also for 1 024 channels of 100 frames
    channels = _channels("mono" if mono else None, data.shape[1])
    signal = from_array(data, rate, layout=channels, channels_last=True, offset=start / file_sr)
    return signal.replace(attrs={"source": str(p), "format": info.format, "subtype": info.subtype})


def save(
    signal: Signal, path: str | os.PathLike[str], subtype: str | None = None, *, format: str | None = None
) -> None:
    """Write an audio Signal with soundfile, atomically (no partial file on failure).

    Parameters
    ----------
    signal : Signal
        One time axis; the sample rate (``1 / step``) must be an integer.
    path : str or os.PathLike
        Destination; the format comes from the extension unless ``format`` is given.
    subtype : str, optional
        libsndfile subtype (``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``...).  By
        default the signal's own ``attrs["subtype"]`` when the format allows it,
        else soundfile's default for the format (PCM_16 for WAV and FLAC).
    format : str, optional
        libsndfile major format (``"WAV"``, ``"FLAC"``...).

    Raises
    ------
    InvalidParameterError
        A sample rate that is not a whole number of Hz; NaN or infinite
        samples; float samples outside [-1, 1] for a fixed-point subtype
        (PCM, FLAC, ULAW...), which libsndfile would clip silently: the
        message gives the peak.  Normalize the signal first, or write a
        floating-point subtype (``"FLOAT"``/``"DOUBLE"``; the lossy OGG and
        MP3 codecs also keep such values).  Nothing is clipped silently and
        no file is written.
    FileFormatError
        Unknown extension or a write error (no partial file is left).

    Notes
    -----
    A signal with dask values is streamed to the file chunk by chunk
    (:func:`signalspace.domains._audio_stream.save_streaming`), also atomically
    and with the same checks, block by block.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.audio.from_array(np.zeros((2, 100), dtype=np.float32), sr=8000)
    >>> path = os.path.join(tempfile.mkdtemp(), "out.flac")
    >>> ss.audio.save(x, path)
    >>> ss.audio.load(path).shape
    (100, 2)
    >>> loud = ss.audio.from_array(np.array([0.5, 1.5, -0.2]), sr=8000)
    >>> ss.audio.save(loud, path)
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidParameterError: signal peaks at 1.5 (frame 1), outside the full scale [-1, 1] ...
    >>> ss.audio.save(loud * (0.9 / 1.5), path)           # normalized: written as PCM_16
    """
    rate = _writable_rate(signal)
    if signal.is_lazy:  # dask values: computed and written chunk by chunk
        from ._audio_stream import save_streaming

        save_streaming(signal, path, subtype, format=format)
        return
    target = as_path(path)
    format, subtype = resolve_format(target, format, subtype, signal.attrs.get("subtype"))
    data = np.asarray(signal)
    _check_samples(data, subtype, target)
    sf = _soundfile()
    with atomic_path(target) as tmp, signals_deferred() as check:
        try:
            with sf.SoundFile(str(tmp), "w", rate, data.shape[1], subtype, format=format) as f:
                for first in range(0, data.shape[0], WRITE_BLOCK_FRAMES):  # Ctrl-C stops between blocks
                    check()
                    f.write(data[first : first + WRITE_BLOCK_FRAMES])
        except (RuntimeError, ValueError, TypeError) as exc:
            raise FileFormatError(f"cannot write audio file {str(target)!r}: {exc}") from exc
        check_written_length(tmp, data.shape[0], target)


def check_written_length(tmp: Path, frames: int, target: Path) -> None:
    """Refuse a written file whose header gives another length than was written.

    libsndfile's AIFF reader counts the pad byte of an odd-length 8-bit sound chunk as one more frame.
    """
    found = _soundfile().info(os_path(tmp)).frames
    if found != frames:
        raise FileFormatError(
            f"cannot write audio file {str(target)!r}: {frames} frames were written but the file reads back as "
            f"{found} (a limit of libsndfile for this format/subtype); choose another subtype or format"
        )


def resolve_format(target: Any, format: str | None, subtype: str | None, own: Any) -> tuple[str, str | None]:
    """The soundfile (format, subtype) to write ``target`` with.

    The format comes from ``format`` or the file extension; the subtype from
    ``subtype``, else the signal's own (``own``, from ``attrs["subtype"]``) when
    the format accepts it, else soundfile's default for the format
    (``soundfile.default_subtype``; None only for formats without one).
    """
    sf = _soundfile()
    formats = sf.available_formats()
    if format is None:
        format = target.suffix[1:].upper()
        if format not in formats:
            raise FileFormatError(
                f"cannot tell the audio format of path {str(target)!r} from its extension; use one of "
                f"{', '.join('.' + f.lower() for f in formats)} or pass format="
            )
    elif format not in formats:
        raise UnknownNameError(f"format must be one of {', '.join(formats)}, got {format!r}")
    if subtype is None:
        subtype = own if isinstance(own, str) and sf.check_format(format, own) else sf.default_subtype(format)
    elif not isinstance(subtype, str) or not sf.check_format(format, subtype):
        raise UnknownNameError(
            f"subtype must be one of {', '.join(sf.available_subtypes(format))} for format {format}, "
            f"got {describe(subtype)}"
        )
    return format, subtype


def _can_open(path: Any) -> bool:
    try:
        p = as_path(path)
        if not p.is_file():
            return False
        _soundfile().info(os_path(p))
        return True
    except Exception:
        return False


class AudioAdapter(DomainAdapter):
    """The ``"audio"`` adapter: the module functions behind the adapter interface."""

    kind = KIND
    description = "sampled sound: a time axis, one channel per loudspeaker"
    axis_names = ("time",)
    layouts = LAYOUTS
    dimensionality = "1-D time"
    typical_channels = (1, 2, 6, 8)
    extensions = EXTENSIONS

    def can_open(self, path: str | os.PathLike[str]) -> bool:
        """True when libsndfile recognizes the file (``soundfile.info`` succeeds)."""
        return _can_open(path)

    def load(self, path: str | os.PathLike[str], **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.audio.load`."""
        return forward(load, path, **kwargs)

    def save(self, signal: Signal, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """See :func:`signalspace.domains.audio.save`."""
        forward(save, signal, path, **kwargs)

    def from_array(self, values: Any, *args: Any, **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.audio.from_array`."""
        return from_array(values, *args, **kwargs)

    def example(self) -> Signal:
        """Half a second of a stereo A4/E5 pair at 8 kHz (float32)."""
        t = np.arange(4000) / 8000.0
        y = np.stack([np.sin(2 * math.pi * 440 * t), np.sin(2 * math.pi * 659.25 * t)]).astype(np.float32) * 0.5
        return from_array(y, 8000, layout="stereo")
