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

import math
import os
from typing import Any

import numpy as np

from .._errors import FileFormatError, InvalidParameterError
from .._io import as_path, atomic_path, os_path, signals_deferred
from .._validation import check_budget, nbytes
from ..signal import Signal
from ._audio_files import (
    check_resampling,
    check_samples,
    check_written_length,
    checked_file,
    mix_mono,
    resolve_format,
    soundfile_module,
    warn_if_cut,
    writable_rate,
)
from ._audio_signal import (
    KIND,
    LAYOUTS,
    _channels,
    audio_samples,
    check_samples_first,
    check_sr,
    from_array,
    pcm_to_float,
    sample_rate,
    to_librosa,
)
from ._audio_stream import load_lazy, save_streaming
from .base import DomainAdapter, forward

__all__ = [
    "EXTENSIONS",
    "KIND",
    "LAYOUTS",
    "AudioAdapter",
    "audio_samples",
    "check_samples_first",
    "from_array",
    "load",
    "pcm_to_float",
    "resolve_format",
    "sample_rate",
    "save",
    "to_librosa",
]

#: Extensions this adapter claims first (any format libsndfile reads is accepted).
EXTENSIONS: tuple[str, ...] = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".caf", ".w64", ".rf64", ".mp3")

#: Frames written per call by :func:`save` (a signal stops a save between two blocks).
WRITE_BLOCK_FRAMES = 2**18


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
        return load_lazy(path, chunks=chunks, mono=mono, offset=offset, duration=duration, dtype=dtype)
    target = None if sr is None else check_sr(sr)
    with checked_file(path, mono=mono, offset=offset, duration=duration, dtype=dtype) as (f, info):
        check_resampling(info, target, dtype)
        need = nbytes((info.frames, info.channels), dtype)
        if target is not None and target != info.rate:  # librosa's resampled copy, in float64 while it works
            need += 2 * nbytes((math.ceil(info.frames * target / info.rate), info.channels), np.float64)
        check_budget(need, None, f"reading {info.frames:,} frames x {info.channels} channels of {str(info.path)!r}"
                     + (f" resampled to {target:g} Hz" if target is not None and target != info.rate else ""),
                     None, "read it lazily (chunks=...) or a part of it (offset=, duration=)")
        if info.start:
            f.seek(info.start)
        # a whole read (frames=-1) does not trust the header's frame count; a duration reads that many frames
        data = f.read(frames=-1 if duration is None else info.frames, dtype=dtype, always_2d=True)
    p, file_sr, start = info.path, info.rate, info.start
    if data.shape[0] == 0:
        raise FileFormatError(f"audio file {str(p)!r} holds no samples")
    warn_if_cut(info, data.shape[0])
    rate: float = file_sr
    if mono:
        data = mix_mono(data)
    if target is not None and target != file_sr:
        import librosa

        data = librosa.resample(data.T, orig_sr=file_sr, target_sr=target, res_type=res_type, axis=-1).T
        rate = target
    # the file says which axis holds the channels: no (c, n) guess, also for 1 024 channels of 100 frames
    channels = _channels("mono" if mono else None, data.shape[1])
    signal = from_array(data, rate, layout=channels, channel_axis=-1, offset=start / file_sr)
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
    rate = writable_rate(signal)
    if signal.is_lazy:  # dask values: computed and written chunk by chunk
        save_streaming(signal, path, subtype, format=format)
        return
    target = as_path(path)
    format, subtype = resolve_format(target, format, subtype, signal.attrs.get("subtype"))
    data = np.asarray(signal)
    check_samples(data, subtype, target)
    sf = soundfile_module()
    with atomic_path(target) as tmp, signals_deferred() as check:
        try:
            with sf.SoundFile(str(tmp), "w", rate, data.shape[1], subtype, format=format) as f:
                for first in range(0, data.shape[0], WRITE_BLOCK_FRAMES):  # Ctrl-C stops between blocks
                    check()
                    f.write(data[first : first + WRITE_BLOCK_FRAMES])
        except (RuntimeError, ValueError, TypeError) as exc:
            raise FileFormatError(f"cannot write audio file {str(target)!r}: {exc}") from exc
        check_written_length(tmp, data.shape[0], target)


def _can_open(path: Any) -> bool:
    try:
        p = as_path(path)
        if not p.is_file():
            return False
        soundfile_module().info(os_path(p))
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
    picture = "waveform"

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
