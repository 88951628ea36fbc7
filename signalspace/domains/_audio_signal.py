"""Audio Signals from arrays and back: layouts, sample rate, librosa's layout, audio-like input.

The part of the audio adapter that needs no files (:mod:`signalspace.domains.audio`
re-exports it): :func:`from_array` builds an audio Signal from librosa's
``(n,)`` / ``(c, n)`` layout, :func:`to_librosa` goes back, :func:`sample_rate`
reads ``1 / step``, and :func:`audio_samples` accepts what analysis functions
take as audio (a Signal on a time axis, or an array with a sample rate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError, UnknownNameError
from .._validation import describe, finite_float, looks_transposed, unmasked
from ..domain import Axis, Channels, Domain
from ..ops.kernel import AUTO, InputLayout
from ..signal import Signal, is_lazy

__all__ = [
    "KIND", "LAYOUTS", "audio_samples", "check_samples_first", "from_array", "pcm_to_float", "sample_rate",
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


def check_sr(sr: Any, name: str = "sr") -> float:
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
    y: Any, sr: float, layout: str | Channels | None = None, *, channel_axis: Any = AUTO, offset: float = 0.0
) -> Signal:
    """An audio Signal from an array in librosa's ``(c, n)`` layout, or with its channels elsewhere.

    Parameters
    ----------
    y : array_like
        ``(n,)`` mono, or 2-D with the channels on ``channel_axis``: ``(c, n)`` as
        librosa returns multi-channel audio (``channel_axis=0``, the default),
        ``(n, c)`` as soundfile does (``channel_axis=-1``).  The data are copied:
        the Signal never shares memory with ``y`` (dask arrays stay lazy).
    sr : float
        Sample rate in Hz, > 0.
    layout : str or Channels, optional
        ``"mono"``, ``"stereo"``, ``"5.1"``, ``"7.1"`` or explicit Channels.
        By default the layout with ``c`` channels, else channels ``ch0, ch1...``.
    channel_axis : int or None, optional
        The axis of a 2-D ``y`` that holds the channels (scikit-image's name, as
        for :class:`~signalspace.Conv` on arrays), None for a 1-D ``y``.  By
        default 0 (librosa's layout), refused when that reads more than 8 times
        as many channels as samples (an ``(n, c)`` array: pass ``channel_axis=-1``).
    offset : float, default 0.0
        Time of the first sample in seconds.

    Returns
    -------
    Signal
        Kind ``"audio"``, values ``(n, c)``.

    Raises
    ------
    ShapeError
        When ``y`` is empty, has more than 2 axes, looks transposed (see
        ``channel_axis``) or does not match ``layout``.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> x = ss.audio.from_array(np.zeros(6 * 100).reshape(6, 100), sr=48000)
    >>> x.shape, x.channels.layout
    ((100, 6), '5.1')
    >>> ss.audio.from_array(np.zeros((100, 2)), sr=8000, channel_axis=-1).channels.names
    ('L', 'R')
    """
    rate = check_sr(sr)
    origin = finite_float(offset, "offset")
    lazy = is_lazy(y)
    array = y if lazy else np.asarray(unmasked(y, "y"))
    if array.ndim not in (1, 2):
        raise ShapeError(
            f"y must have shape (n,) or (c, n) (or (n, c) with channel_axis=-1), got shape {tuple(array.shape)}"
        )
    if array.size == 0:
        raise ShapeError(f"y must contain samples, got an empty array of shape {tuple(array.shape)}")
    if array.ndim == 1:
        if channel_axis is not AUTO and channel_axis is not None:
            raise ShapeError(f"y of shape {tuple(array.shape)} has no channel axis, got channel_axis={channel_axis!r}")
        frames = array[:, np.newaxis]
    else:
        if channel_axis is None:
            raise ShapeError(f"y of shape {tuple(array.shape)} has 2 axes: say which holds channels (channel_axis=0 "
                             "for librosa's (c, n), -1 for (n, c))")
        axis = InputLayout.resolve(array.shape, 1, channel_axis=0 if channel_axis is AUTO else channel_axis,
                                   name="y").channel
        frames = array.T if axis == 0 else array
    n, c = frames.shape
    if channel_axis is AUTO and layout is None and looks_transposed(c, (n,)):
        raise ShapeError(
            f"y of shape {tuple(array.shape)} read as librosa's (c, n) would give {c} channels of {n} samples; is it "
            f"(n, c)? Pass channel_axis=-1 (or channel_axis=0, or layout=, to confirm)"
        )
    channels = _channels(layout, c)
    values = frames if lazy else np.array(frames, copy=True, order="C")
    return Signal(values, _domain(n, rate, origin), channels)


def to_librosa(signal: Signal) -> np.ndarray:
    """The samples in librosa's layout: ``(n,)`` for one channel, ``(c, n)`` otherwise (``channel_axis=0``).

    The inverse of :func:`from_array`; ``Conv(h)(to_librosa(x), channel_axis=0)`` is
    ``to_librosa(Conv(h)(x))``.

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


def audio_samples(x: Any, sr: float | None, name: str = "x") -> tuple[np.ndarray, float, Channels, float]:
    """Samples ``(n, c)``, sample rate, channels and start time of an audio-like input.

    ``x`` is a Signal on one (time) axis, whose step is ``1 / sr``, or an array
    of shape ``(n,)`` or ``(n, c)`` together with ``sr``.  Never copies more than
    a conversion to a float array needs.  Integer samples are PCM and scaled to
    [-1, 1) as :func:`signalspace.audio.load` (soundfile) reads them
    (:func:`pcm_to_float`).  NaN or infinite samples are an
    :class:`~signalspace.InvalidParameterError` naming the first one.
    """
    if isinstance(x, Signal):
        if x.ndim != 1:
            raise ShapeError(
                f"{name} must be a signal on one (time) axis, got a signal on {x.ndim} axes {x.domain!r}"
            )
        axis = x.domain.axes[0]
        signal_sr = 1.0 / axis.step
        if signal_sr <= 0:
            raise InvalidParameterError(
                f"{name} has a time axis with negative step {axis.step}; a sample rate must be > 0"
            )
        if sr is not None:
            given = finite_float(sr, "sr", positive=True)
            if not np.isclose(given, signal_sr, rtol=1e-9):
                raise InvalidParameterError(
                    f"sr={given} disagrees with the sample rate of {name} ({signal_sr} Hz, "
                    f"from its time step {axis.step} s); leave sr out for a Signal"
                )
        values = np.asarray(x)
        if values.dtype.kind == "c":
            raise InvalidTypeError(f"{name} must be real audio, got complex values ({values.dtype})")
        values = _finite(pcm_to_float(values), name)
        return values, signal_sr, x.channels, axis.origin
    if sr is None:
        raise InvalidParameterError(f"sr (the sample rate in Hz) is required when {name} is an array, got None")
    sr = finite_float(sr, "sr", positive=True)
    try:
        values = np.asarray(x)
    except Exception as exc:
        raise InvalidTypeError(f"{name} must be a Signal or an array, got {describe(x)}: {exc}") from None
    if values.dtype.kind not in "biuf":
        raise InvalidTypeError(f"{name} must be real audio samples, got {describe(values)}")
    if values.ndim == 1:
        values = values[:, np.newaxis]
    if values.ndim != 2:
        raise ShapeError(f"{name} must have shape (n,) or (n, channels), got shape {values.shape}")
    if values.shape[1] == 0:
        raise ShapeError(f"{name} must have at least one channel, got shape {values.shape}")
    check_samples_first(values.shape, name)
    return _finite(pcm_to_float(values), name), sr, Channels.generic(values.shape[1]), 0.0


def check_samples_first(shape: tuple[int, ...], name: str = "x") -> None:
    """Refuse a bare ``(n, c)`` array that looks like librosa's ``(c, n)`` (the rule of :func:`from_array`).

    Examples
    --------
    >>> check_samples_first((22050, 2))
    >>> check_samples_first((2, 22050))
    Traceback (most recent call last):
    ...
    signalspace._errors.ShapeError: x of shape (2, 22050) read as (n, c) would be 22050 channels of 2 samples; ...
    """
    n, c = shape
    if n > 0 and looks_transposed(c, (n,)):  # no samples: an empty signal, whatever its channels
        raise ShapeError(
            f"{name} of shape {tuple(shape)} read as (n, c) would be {c} channels of {n} samples; is it librosa's "
            f"(c, n)? Pass {name}.T, or a Signal made by ss.audio.from_array({name}, sr) (channel_axis=0)"
        )


def pcm_to_float(values: Any) -> Any:
    """Samples as float64; integer PCM scaled to [-1, 1) the way soundfile reads PCM files.

    Signed ``b`` bits: ``v / 2**(b - 1)`` (int16 ``-32768 .. 32767`` becomes ``-1 .. 32767/32768``);
    unsigned (8-bit WAV style): ``(v - 2**(b - 1)) / 2**(b - 1)``.  Floats and booleans are only
    converted.  Works on numpy and dask arrays (lazily for dask).

    Examples
    --------
    >>> import numpy as np
    >>> from signalspace.domains.audio import pcm_to_float
    >>> pcm_to_float(np.array([-32768, 0, 16384], dtype=np.int16)).tolist()
    [-1.0, 0.0, 0.5]
    >>> pcm_to_float(np.array([0, 128, 255], dtype=np.uint8)).tolist()
    [-1.0, 0.0, 0.9921875]
    """
    kind = values.dtype.kind
    if kind in "iu":
        half = float(2 ** (8 * values.dtype.itemsize - 1))
        values = values.astype(np.float64)
        return (values - half if kind == "u" else values) / half
    return values.astype(np.float64, copy=False)


def _finite(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` (n, c) if all finite, else an error naming the first bad sample."""
    finite = np.isfinite(values)
    if not finite.all():
        i, c = np.argwhere(~finite)[0]
        raise InvalidParameterError(
            f"{name} must contain finite audio samples, got {values[i, c]} at sample {i} of channel {c}"
        )
    return values
