"""plot(): draw a signal the way its kind asks for.

The adapter of the signal's kind (:mod:`signalspace.domains`) decides, so the
adapter registry is the one place a kind is described: an adapter that
overrides ``plot`` draws its signals itself; otherwise its ``picture`` names
one of :data:`PICTURES`.  A kind without adapter or picture, or a picture that
does not take the signal's number of axes, is drawn by that number
(:func:`plot_by_ndim`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .._errors import InvalidTypeError
from .._validation import describe
from ..domains.registry import adapters
from ..signal import Signal
from ._common import scalar_coords_text
from ._image import image
from ._pianoroll import pianoroll
from ._slices import slices
from ._spectrogram import spectrogram
from ._waveform import waveform

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["PICTURES", "Picture", "plot", "plot_by_ndim"]


class Picture(NamedTuple):
    """A kind of picture and the numbers of axes it draws."""

    draw: Callable[..., Any]  #: ``draw(signal, ax=None, **kw)``, returns the Axes (or an array of them)
    min_ndim: int
    max_ndim: int | None  #: None: no upper limit

    def takes(self, ndim: int) -> bool:
        """True when the picture draws signals on ``ndim`` axes."""
        return ndim >= self.min_ndim and (self.max_ndim is None or ndim <= self.max_ndim)


#: The pictures an adapter can name with its ``picture`` attribute.
PICTURES: dict[str, Picture] = {
    "waveform": Picture(waveform, 1, 1),
    "image": Picture(image, 2, 2),
    "spectrogram": Picture(spectrogram, 2, 2),
    "slices": Picture(slices, 2, None),
    "pianoroll": Picture(pianoroll, 1, 1),
}


def plot_by_ndim(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    """The choice by number of axes: 1 → :func:`waveform`, 2 → :func:`image`, 3 or more → :func:`slices`."""
    if signal.ndim == 1:
        return waveform(signal, ax=ax, **kw)
    if signal.ndim == 2:
        return image(signal, ax=ax, **kw)
    return slices(signal, ax=ax, **kw)


def plot(signal: Signal, ax: Axes | None = None, **kw: Any) -> Any:
    """Draw a signal the way its kind asks for.

    The adapter of ``signal.kind`` decides (see the module docstring): audio
    is a :func:`waveform`, an image an :func:`image`, phase space
    :func:`slices`, a spectrogram a :func:`spectrogram`, a piano roll a
    :func:`pianoroll`; a signal of another kind is drawn by its number of axes
    (:func:`plot_by_ndim`).

    Parameters
    ----------
    signal : Signal
        What to draw (dask values are computed, only the part that is drawn).
    ax : matplotlib Axes, optional
        Where to draw.  A new figure (at most :data:`MAX_WIDTH` inches wide) is
        made when omitted.  Pictures made of several panels replace ``ax`` by a
        grid of panels in the same place of its figure.
    **kw
        Passed to the picture (see :func:`waveform`, :func:`image`,
        :func:`spectrogram`, :func:`slices`, :func:`pianoroll`).

    Returns
    -------
    matplotlib Axes or ndarray of Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import signalspace as ss
    >>> d = ss.Domain([ss.Axis("time", 100, step=1e-3, unit="s")], kind="audio")
    >>> x = ss.Signal(np.sin(np.linspace(0, 6, 200)).reshape(100, 2), d, ss.Channels(("L", "R")))
    >>> ax = ss.plot.plot(x)
    >>> len(ax.lines), ax.get_xlabel()
    (2, 'time (s)')
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    adapter = adapters().get(signal.kind)
    if adapter is not None and adapter.supports("plot"):
        return _titled(adapter.plot(signal, ax=ax, **kw), signal)
    picture = PICTURES.get(adapter.picture) if adapter is not None and adapter.picture else None
    if picture is not None and picture.takes(signal.ndim):
        return _titled(picture.draw(signal, ax=ax, **kw), signal)
    return _titled(plot_by_ndim(signal, ax=ax, **kw), signal)


def _titled(drawn: Any, signal: Signal) -> Any:
    """Say where a slice was taken (the signal's scalar coordinates) in a title the picture left empty."""
    text = scalar_coords_text(signal)
    if not text:
        return drawn
    if isinstance(drawn, np.ndarray) and drawn.size and hasattr(drawn.flat[0], "figure"):
        figure = drawn.flat[0].figure
        if figure.get_suptitle() == "" and not any(text in a.get_title() for a in drawn.flat):
            figure.suptitle(text, fontsize="small")
    elif hasattr(drawn, "get_title") and drawn.get_title() == "":
        drawn.set_title(text, fontsize="small")
    return drawn
