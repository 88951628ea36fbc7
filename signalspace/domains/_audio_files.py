"""Audio files through soundfile: open and check a read, check samples before a write, choose the format.

Shared by the eager reader and writer (:mod:`signalspace.domains.audio`) and
the lazy ones (:mod:`signalspace.domains._audio_stream`), so both validate the
same way.  soundfile is imported when first needed.
"""

from __future__ import annotations

import contextlib
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
    SignalspaceError,
    UnknownNameError,
)
from .._io import existing_file, os_path
from .._validation import describe, finite_float
from ..signal import Signal
from ._audio_signal import sample_rate

__all__ = [
    "DTYPES", "FLOAT_SUBTYPES", "INEXACT_SEEK", "MAX_RESAMPLE_FACTOR", "AudioFile", "check_resampling", "check_samples",
    "check_written_length", "checked_file", "mix_mono", "probe", "resolve_format", "soundfile_module", "warn_if_cut",
    "writable_rate",
]

#: Sample types a file can be read as (soundfile's ``dtype``); shared with the lazy reader.
DTYPES = ("float32", "float64", "int16", "int32")

#: Subtypes that store floating-point samples or feed a floating-point codec: samples beyond [-1, 1]
#: survive a write.  Every other subtype (PCM_16, PCM_24, FLAC's PCM, ULAW, ADPCM...) is fixed-point:
#: libsndfile clips float samples to full scale without a word, so :func:`save` refuses them.
FLOAT_SUBTYPES = frozenset({"FLOAT", "DOUBLE", "VORBIS", "OPUS", "MPEG_LAYER_I", "MPEG_LAYER_II", "MPEG_LAYER_III"})

#: Major formats whose seek is not sample-exact in libsndfile 1.2: a seek followed by a read differs from
#: the same frames of a whole read (measured with soundfile on synthesized melodies: MP3 by up to 0.6 almost
#: everywhere; OGG/Vorbis by up to 1.0 from some positions of some streams; OGG/Opus by 1e-8 to 4e-7).
#: Chunked (lazy) reads seek once per chunk, so they are refused for these.  Every other subtype that
#: reports itself seekable (PCM, FLOAT, FLAC, ALAC, IMA/MS ADPCM...) read back exactly in the same sweep.
INEXACT_SEEK = frozenset({"MP3", "OGG"})

#: Largest factor by which ``load(sr=...)`` changes a file's sample rate, up or down.
MAX_RESAMPLE_FACTOR = 2**16

#: What libsndfile logs for a chunk that declares more bytes than the file holds: "data : 32000 (should be 15978)".
_SHORT = re.compile(r"\(should be \d+\)")

#: What libsndfile writes in its log (``SoundFile.extra_info``) when an Ogg stream was cut short.
_CUT_STREAM = ("File ended unexpectedly", "Junk after the last page")


def soundfile_module():
    import soundfile

    return soundfile


def open_error(path: os.PathLike[str] | str, exc: Exception) -> FileFormatError:
    return FileFormatError(f"cannot read audio file {str(path)!r}: {exc}")


class AudioFile(NamedTuple):
    """What :func:`checked_file` learned about a file and the frames a read asked for."""

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
def checked_file(
    path: Any, *, mono: Any, offset: Any, duration: Any, dtype: Any
) -> Iterator[tuple[Any, AudioFile]]:
    """Check the read arguments, open ``path`` with soundfile and yield ``(SoundFile, AudioFile)``.

    The one place where both readers (eager :func:`load` and the lazy
    ``_audio_stream.load_lazy``) validate ``dtype``/``mono``/``offset``/``duration``,
    detect a truncated file, turn ``offset``/``duration`` into frames and wrap
    libsndfile's errors (also those raised by the caller's reads in the block)
    into :class:`~signalspace.FileFormatError`.
    """
    p = existing_file(path)
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise InvalidParameterError(f"dtype must be one of {', '.join(map(repr, DTYPES))}, got {describe(dtype)}")
    if not isinstance(mono, bool):
        raise InvalidTypeError(f"mono must be True or False, got {describe(mono)}")
    start_s = finite_float(offset, "offset")
    if start_s < 0:
        raise InvalidParameterError(f"offset must be >= 0 seconds, got {start_s}")
    length_s = None if duration is None else finite_float(duration, "duration", positive=True)
    sf = soundfile_module()
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
            yield f, AudioFile(p, rate, f.format, f.subtype, f.channels, f.seekable(), start, frames, damage)
    except SignalspaceError:
        raise
    except (RuntimeError, OSError, ValueError, TypeError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise open_error(p, exc) from exc


def check_resampling(info: AudioFile, target: float | None, dtype: str) -> None:
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


def warn_if_cut(info: AudioFile, decoded: int) -> None:
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


def probe(path: Any, *, mono: Any, offset: Any, duration: Any, dtype: Any) -> AudioFile:
    """What :func:`checked_file` learns, without reading samples (the lazy reader's entry)."""
    with checked_file(path, mono=mono, offset=offset, duration=duration, dtype=dtype) as (_, info):
        return info


def mix_mono(data: np.ndarray) -> np.ndarray:
    """Average ``(n, c)`` frames into one channel in float64, as librosa's ``to_mono``; integers are rounded."""
    if data.shape[1] == 1:
        return data
    mixed = data.mean(axis=1, dtype=np.float64, keepdims=True)
    return (np.round(mixed) if data.dtype.kind == "i" else mixed).astype(data.dtype)


def writable_rate(signal: Any, name: str = "signal") -> int:
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


def check_samples(
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
    if subtype in FLOAT_SUBTYPES or data.size == 0:
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


def check_written_length(tmp: Path, frames: int, target: Path) -> None:
    """Refuse a written file whose header gives another length than was written.

    libsndfile's AIFF reader counts the pad byte of an odd-length 8-bit sound chunk as one more frame.
    """
    found = soundfile_module().info(os_path(tmp)).frames
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
    sf = soundfile_module()
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
