"""The domain adapter base class.

An adapter is the small piece of code that knows one kind of data: it names
the axes and the channel layouts, builds :class:`~signalspace.Signal` objects
from arrays, reads and writes files, and says which files it can open.  It
contains no maths: operators never look at adapters.

Only the methods an adapter supports need overriding; the others raise
:class:`AdapterNotSupportedError` with a message that names the adapter and the
operation.  Register an adapter with :func:`signalspace.register_domain` (in a
notebook) or with an entry point in the group ``"signalspace.domains"`` (in a
package)::

    [project.entry-points."signalspace.domains"]
    seismic = "mypkg.seismic:SeismicAdapter"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .._errors import AdapterNotSupportedError, InvalidParameterError, InvalidTypeError, UnknownNameError
from .._validation import describe
from ..domain import Channels

if TYPE_CHECKING:  # pragma: no cover
    from os import PathLike

    from ..signal import Signal

__all__ = ["AdapterNotSupportedError", "DomainAdapter", "forward"]


def forward(func: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, after checking the arguments fit ``func``'s signature.

    ``ss.load`` and ``ss.save`` pass their keywords on to an adapter; a keyword the
    reader does not take becomes an :class:`~signalspace.InvalidParameterError`
    naming the function and the keywords it takes (instead of Python's bare
    ``TypeError``).

    Examples
    --------
    >>> import signalspace as ss
    >>> from signalspace.domains.base import forward
    >>> forward(ss.audio.from_array, [0.0, 1.0], sr=8000).shape
    (2, 1)
    >>> forward(ss.audio.from_array, [0.0, 1.0], sr=8000, rate=8000)
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidParameterError: ...from_array() got an unexpected keyword argument 'rate'; it takes y...
    """
    import inspect

    signature = inspect.signature(func)
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        takes = [
            name for name, p in signature.parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in ("path", "signal")
        ]
        message = str(exc)
        raise InvalidParameterError(
            f"{func.__module__}.{func.__qualname__}() {message[message.find('got'):] if 'got' in message else message}"
            f"; it takes {', '.join(takes) or 'no options'}"
        ) from None
    return func(*args, **kwargs)


class DomainAdapter:
    """Base class of domain adapters.

    Subclasses set the class attributes and override the methods they
    support.  Adapters are stateless; the registry holds one instance per kind.

    Attributes
    ----------
    kind : str
        The name the adapter is registered under; also ``Domain.kind`` of the
        signals it builds.
    description : str
        One line for listings.
    axis_names : tuple of str
        Names of the domain axes, in array order.
    layouts : mapping of str to tuple of str
        Channel layout name -> channel names (an empty tuple means "any number
        of channels, named by the adapter", e.g. hyperspectral bands).
    dimensionality : str
        A short text for overview tables, e.g. ``"1-D time"``.
    typical_channels : tuple of int
        Typical channel counts, e.g. ``(1, 2, 6)`` for audio.
    extensions : tuple of str
        File extensions (lower case, with the dot) the adapter reads and writes.
    picture : str or None
        How :func:`signalspace.plot.plot` draws the adapter's signals: the
        name of one of :data:`signalspace.plot.PICTURES` (``"waveform"``,
        ``"image"``, ``"spectrogram"``, ``"slices"``, ``"pianoroll"``), used
        when it takes the signal's number of axes.  An adapter that overrides
        :meth:`plot` draws its signals itself instead; with neither, the
        number of axes decides.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> from signalspace.domains.base import DomainAdapter
    >>> class Seismic(DomainAdapter):
    ...     kind = "seismic"
    ...     axis_names = ("depth",)
    ...     layouts = {"zne": ("Z", "N", "E")}
    ...     def from_array(self, values, layout="zne"):
    ...         domain = ss.Domain([ss.Axis("depth", len(values), unit="m")], kind=self.kind)
    ...         return ss.Signal(np.array(values, copy=True), domain, self.channels(layout))
    >>> Seismic().from_array(np.zeros((5, 3))).channels.names
    ('Z', 'N', 'E')
    >>> Seismic().load("x.segy")
    Traceback (most recent call last):
    ...
    signalspace._errors.AdapterNotSupportedError: the 'seismic' adapter does not support load(); ...
    """

    kind: ClassVar[str] = ""
    description: ClassVar[str] = ""
    axis_names: ClassVar[tuple[str, ...]] = ()
    layouts: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    dimensionality: ClassVar[str] = ""
    typical_channels: ClassVar[tuple[int, ...]] = ()
    extensions: ClassVar[tuple[str, ...]] = ()
    picture: ClassVar[str | None] = None

    # ------------------------------------------------------------ operations
    def can_open(self, path: str | PathLike[str]) -> bool:
        """True when this adapter can read ``path``; never raises (default: False)."""
        return False

    def load(self, path: str | PathLike[str], **kwargs: Any) -> Signal:
        """Read a file into a Signal."""
        raise self._unsupported("load()", "it reads no files")

    def save(self, signal: Signal, path: str | PathLike[str], **kwargs: Any) -> None:
        """Write a Signal to a file (atomically)."""
        raise self._unsupported("save()", "it writes no files")

    def from_array(self, values: Any, *args: Any, **kwargs: Any) -> Signal:
        """Build a Signal of this kind from an array."""
        raise self._unsupported("from_array()", "it builds no signals from arrays")

    def example(self) -> Signal:
        """A small Signal of this kind, used by conformance checks and demos."""
        raise self._unsupported("example()", "it provides no example signal")

    def plot(self, signal: Signal, ax: Any = None, **kw: Any) -> Any:
        """Draw a Signal of this kind: return the matplotlib Axes (or an array of them), never show.

        Override it for a picture of your own (:func:`signalspace.plot.plot`
        calls it); the built-in adapters name a picture instead (``picture``).
        """
        raise self._unsupported("plot()", "it names a picture or none (see `picture`)")

    # --------------------------------------------------------------- helpers
    def channels(self, layout: str | Channels) -> Channels:
        """The :class:`~signalspace.Channels` of a named layout (a Channels passes through)."""
        if isinstance(layout, Channels):
            return layout
        if not isinstance(layout, str):
            raise InvalidTypeError(f"layout must be a layout name or a Channels, got {describe(layout)}")
        names = self.layouts.get(layout)
        if names is None:
            raise UnknownNameError(
                f"layout {layout!r} is not a {self.kind} layout; known layouts: {', '.join(map(repr, self.layouts))}"
            )
        if not names:
            raise UnknownNameError(
                f"layout {layout!r} of {self.kind} has no fixed channel names; build its Channels explicitly"
            )
        return Channels(names, layout=layout)

    def layout_for(self, nchannels: int) -> str | None:
        """The first layout with ``nchannels`` named channels, or None."""
        for name, names in self.layouts.items():
            if len(names) == nchannels:
                return name
        return None

    def supports(self, operation: str) -> bool:
        """True when the adapter overrides ``operation`` (``"load"``, ``"save"``, ``"from_array"``...)."""
        method = getattr(type(self), operation, None)
        return method is not None and method is not getattr(DomainAdapter, operation, None)

    def _unsupported(self, operation: str, why: str) -> AdapterNotSupportedError:
        supported = [op for op in ("load", "save", "from_array", "can_open", "example", "plot") if self.supports(op)]
        return AdapterNotSupportedError(
            f"the {self.kind!r} adapter does not support {operation}; {why} "
            f"(it supports: {', '.join(supported) or 'nothing beyond its metadata'})"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} kind={self.kind!r}: {self.dimensionality or self.description}>"
