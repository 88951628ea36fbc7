"""Pictures of signals and of convolution matrices: matplotlib views that return their Axes and never show.

:func:`plot` draws any :class:`~signalspace.Signal` the way its kind asks for
(the kind's adapter names the picture, see :mod:`signalspace.domains`):

============================ ==============================================================
picture                      what it draws
============================ ==============================================================
:func:`waveform`             one line per channel against a 1-D axis (audio)
:func:`image`                a 2-D signal with its true pixel aspect: gray, RGB(A), false
                             colour or a grid of bands (images)
:func:`spectrogram`          time × frequency in dB with a colour bar
:func:`pianoroll`            time × MIDI key in dB, one panel per audio channel, notes on top
:func:`slices`               3 or more axes: 2-D slices through a point, or projections
:func:`matrix`               a (block-)Toeplitz matrix with its block boundaries
============================ ==============================================================

Every function returns the matplotlib ``Axes`` it drew on (or a numpy array of
``Axes`` for a grid of panels) and never calls ``show``: the caller (a script,
a notebook, sphinx-gallery) decides what to do with the figure.  matplotlib is
imported the first time a figure is made, never by ``import signalspace``.
Figures created here are at most :data:`MAX_WIDTH` inches wide.
"""

from __future__ import annotations

from ._common import MAX_WIDTH
from ._dispatch import PICTURES, Picture, plot, plot_by_ndim
from ._image import image, to_unit_range
from ._matrix import matrix
from ._pianoroll import pianoroll
from ._slices import slices
from ._spectrogram import spectrogram
from ._waveform import waveform

__all__ = [
    "MAX_WIDTH",
    "PICTURES",
    "Picture",
    "image",
    "matrix",
    "pianoroll",
    "plot",
    "plot_by_ndim",
    "slices",
    "spectrogram",
    "to_unit_range",
    "waveform",
]
