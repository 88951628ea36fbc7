"""Spectrograms: signals on time × frequency, one channel per audio channel.

:func:`signalspace.analysis.spectrogram` makes them (librosa's STFT): axis
``time`` (frame centres, s) and axis ``frequency`` (FFT bins, Hz).  The adapter
names the kind, its axes and its picture; it reads and writes no files of its
own (``ss.save(S, "S.nc")`` keeps a spectrogram in netCDF).
"""

from __future__ import annotations

from ._audio_signal import LAYOUTS
from .base import DomainAdapter

__all__ = ["KIND", "SpectrogramAdapter"]

KIND = "spectrogram"


class SpectrogramAdapter(DomainAdapter):
    """The ``"spectrogram"`` adapter: time × frequency, drawn as a spectrogram."""

    kind = KIND
    description = "short-time Fourier transform of audio: time × frequency"
    axis_names = ("time", "frequency")
    layouts = LAYOUTS  # the channels of the audio it was computed from
    dimensionality = "2-D time × frequency"
    typical_channels = (1, 2)
    picture = "spectrogram"
