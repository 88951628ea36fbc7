"""Docstring fragments written once and filled into every function that takes the same parameter.

scipy.ndimage's ``docfiller`` idea: a docstring holds ``%(padding)s`` on a line of
its own, and :func:`docfiller` replaces it by the fragment, indented like the
placeholder.  Padding and boundary mean the same for :class:`~signalspace.Conv`,
the Toeplitz builders and :func:`~signalspace.ops.linear.parameter_count`, so they
are described here once (the geometry behind them:
:mod:`signalspace.ops.geometry`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["FRAGMENTS", "docfiller"]

T = TypeVar("T", bound=Callable[..., Any] | type)

#: name -> the text of a numpydoc parameter (first line, then its description indented by 4).
FRAGMENTS: dict[str, str] = {
    "padding": """\
padding : {"valid", "same", "full"}, int or sequence of (before, after)
    Samples added before and after the input along each axis.  With
    ``reach = dilation * (k - 1)``: "valid" pads nothing, "full" pads
    ``(reach, reach)`` and "same" ``(reach // 2, reach - reach // 2)``: an
    even kernel gets its extra pad sample *after* the input (PyTorch and
    TensorFlow's convention; ``scipy.ndimage.correlate`` equals it with
    ``origin=-1`` on such axes).  An int pads that much on both sides of
    every axis.""",
    "boundary": """\
boundary : str or sequence of str, default "constant"
    Values of the padding, one mode for every axis or one per axis, with
    scipy.ndimage's meanings: "constant" (``cval``), "reflect"
    (``dcba|abcd|dcba``), "mirror" (``dcb|abcd|cba``), "nearest"
    (``aaaa|abcd|dddd``), "wrap" (``abcd|abcd|abcd``).""",
    "stride_dilation": """\
stride, dilation : int or sequence of int, default 1
    Per axis or one for all, >= 1.""",
    "channel_axis": """\
channel_axis : int or None, optional
    For an array: the axis that holds channels (scikit-image's name and
    meaning; ``channel_axis=0`` reads librosa's ``(c, n)``), or None for an
    array without one.  By default the last axis (unless ``axes`` names it)
    when the array has more axes than the kernel has spatial axes, none
    when it has exactly as many; a default channel axis more than 8 times longer than every
    spatial axis (``(2, 22050)`` under a 1-D kernel) is refused as
    transposed, with an error naming ``channel_axis``.""",
    "axes": """\
axes : sequence of int, optional
    For an array: the axes the kernel runs along, in the kernel's order
    (scipy.ndimage's ``axes``).  The axes that are neither these nor the
    channel axis are carried through untouched (a batch); an array with
    more axes than the kernel's spatial axes and a channel axis needs it.
    Signals and DataArrays name their axes instead (``dims=``).""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)%\((?P<name>\w+)\)s[ ]*$", re.MULTILINE)


def docfiller(obj: T) -> T:
    """Fill the ``%(name)s`` lines of ``obj.__doc__`` with :data:`FRAGMENTS`, indented like each placeholder.

    Examples
    --------
    >>> @docfiller
    ... def shift(x, padding="same"):
    ...     '''Shift x.
    ...
    ...     Parameters
    ...     ----------
    ...     %(padding)s
    ...     '''
    >>> shift.__doc__.splitlines()[4].strip()
    'padding : {"valid", "same", "full"}, int or sequence of (before, after)'
    """

    def fill(match: re.Match[str]) -> str:
        return textwrap.indent(FRAGMENTS[match["name"]], match["indent"])

    if obj.__doc__:
        obj.__doc__ = _PLACEHOLDER.sub(fill, obj.__doc__)
    return obj
