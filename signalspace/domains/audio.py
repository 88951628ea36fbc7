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

from .._errors import FileFormatError, InvalidParameterError, InvalidTypeError, ShapeError, UnknownNameError
from .._io import as_path, atomic_path, existing_file
from .._validation import describe, finite_float
from ..domain import Axis, Channels, Domain
from ..signal import Signal, is_lazy
from .base import DomainAdapter

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

_DTYPES = ("float32", "float64", "int16", "int32")


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
    array = y if lazy else np.asarray(y)
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
        :mod:`signalspace.domains._audio_stream`.  No resampling then.

    Returns
    -------
    Signal
        Kind ``"audio"``; ``attrs`` holds ``source``, ``format`` and ``subtype``
        (the sample rate is the time axis' ``1 / step``: see :func:`sample_rate`).

    Raises
    ------
    FileFormatError
        Missing, unreadable, corrupt or truncated file (libsndfile reports a
        data chunk longer than the file).
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
    p = existing_file(path)
    if chunks is not None:
        if sr is not None:
            raise InvalidParameterError(f"sr={sr!r} (resampling) is not available with chunks={chunks!r}")
        from ._audio_stream import load_lazy

        return load_lazy(p, chunks=chunks, mono=mono, offset=offset, duration=duration, dtype=dtype)
    if dtype not in _DTYPES:
        raise InvalidParameterError(f"dtype must be one of {', '.join(map(repr, _DTYPES))}, got {describe(dtype)}")
    if not isinstance(mono, bool):
        raise InvalidTypeError(f"mono must be True or False, got {describe(mono)}")
    start_s = finite_float(offset, "offset")
    if start_s < 0:
        raise InvalidParameterError(f"offset must be >= 0 seconds, got {start_s}")
    length_s = None if duration is None else finite_float(duration, "duration", positive=True)
    target = None if sr is None else _check_sr(sr)
    sf = _soundfile()
    try:
        with sf.SoundFile(str(p)) as f:
            # libsndfile reads a truncated file silently but logs "data : 32000 (should be 15978)"
            complaints = [line.strip() for line in (f.extra_info or "").splitlines() if "should be" in line]
            if complaints:
                raise FileFormatError(
                    f"audio file {str(p)!r} is truncated or corrupt: its header declares more data than the file "
                    f"holds (libsndfile: {'; '.join(complaints)})"
                )
            file_sr, fmt, subtype, total = f.samplerate, f.format, f.subtype, f.frames
            start = round(start_s * file_sr)
            if start >= total and total > 0:
                raise InvalidParameterError(
                    f"offset {start_s} s is past the end of {str(p)!r} ({total / file_sr:.6g} s long)"
                )
            frames = -1 if length_s is None else max(1, round(length_s * file_sr))
            if start:
                f.seek(start)
            data = f.read(frames=frames, dtype=dtype, always_2d=True)
    except FileFormatError:
        raise
    except InvalidParameterError:
        raise
    except (RuntimeError, OSError, ValueError, TypeError) as exc:  # soundfile's LibsndfileError is a RuntimeError
        raise _open_error(p, exc) from exc
    if data.shape[0] == 0:
        raise FileFormatError(f"audio file {str(p)!r} holds no samples")
    rate: float = file_sr
    if mono and data.shape[1] > 1:
        mixed = data.mean(axis=1, dtype=np.float64, keepdims=True)
        data = (np.round(mixed) if data.dtype.kind == "i" else mixed).astype(data.dtype)
    if target is not None and target != file_sr:
        if data.dtype.kind != "f":
            raise InvalidParameterError(
                f"resampling from {file_sr} Hz to sr={target} needs a float dtype, got dtype={dtype!r}"
            )
        import librosa

        data = librosa.resample(data.T, orig_sr=file_sr, target_sr=target, res_type=res_type, axis=-1).T
        rate = target
    layout = "mono" if mono else None
    signal = from_array(data, rate, layout=layout, channels_last=True, offset=start / file_sr)
    attrs = {
        "source": str(p),
        "format": fmt,
        "subtype": subtype,
    }
    return signal.replace(attrs=attrs)


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
        else soundfile's default for the format (PCM_16 for WAV).
    format : str, optional
        libsndfile major format (``"WAV"``, ``"FLAC"``...).

    Notes
    -----
    A signal with dask values is streamed to the file chunk by chunk
    (:func:`signalspace.domains._audio_stream.save_streaming`), also atomically.

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
    """
    rate = sample_rate(signal)
    if not isinstance(rate, int):
        raise InvalidParameterError(
            f"signal's sample rate must be a whole number of Hz to be written to a file, got {rate}"
        )
    if signal.is_lazy:  # dask values: computed and written chunk by chunk
        from ._audio_stream import save_streaming

        save_streaming(signal, path, subtype, format=format)
        return
    target = as_path(path)
    format, subtype = resolve_format(target, format, subtype, signal.attrs.get("subtype"))
    sf = _soundfile()
    data = np.asarray(signal)
    if data.dtype.kind not in "if":
        raise InvalidTypeError(f"signal values must be integer or float to be written, got dtype {data.dtype}")
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        raise InvalidParameterError(f"signal holds NaN or infinite samples; cannot write {str(target)!r}")
    with atomic_path(target) as tmp:
        try:
            sf.write(str(tmp), data, rate, subtype=subtype, format=format)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise FileFormatError(f"cannot write audio file {str(target)!r}: {exc}") from exc


def resolve_format(target: Any, format: str | None, subtype: str | None, own: Any) -> tuple[str, str | None]:
    """The soundfile (format, subtype) to write ``target`` with.

    The format comes from ``format`` or the file extension; the subtype from
    ``subtype``, else the signal's own (``own``, from ``attrs["subtype"]``) when
    the format accepts it, else soundfile's default (None).
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
        if isinstance(own, str) and sf.check_format(format, own):
            subtype = own
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
        _soundfile().info(str(p))
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
        return load(path, **kwargs)

    def save(self, signal: Signal, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """See :func:`signalspace.domains.audio.save`."""
        save(signal, path, **kwargs)

    def from_array(self, values: Any, *args: Any, **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.audio.from_array`."""
        return from_array(values, *args, **kwargs)

    def example(self) -> Signal:
        """Half a second of a stereo A4/E5 pair at 8 kHz (float32)."""
        t = np.arange(4000) / 8000.0
        y = np.stack([np.sin(2 * math.pi * 440 * t), np.sin(2 * math.pi * 659.25 * t)]).astype(np.float32) * 0.5
        return from_array(y, 8000, layout="stereo")
