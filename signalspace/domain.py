"""Where a signal lives: regularly sampled axes, their product, and the channels.

A signal is a function x: Ω → ℝᶜ sampled on a grid.  :class:`Axis` is one
regularly sampled coordinate, :class:`Domain` is the product of axes (Ω) and
:class:`Channels` names the c values at each point.  All three are immutable
and compare by value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError, UnknownNameError
from ._validation import describe, finite_float, positive_int

__all__ = ["CHANNEL_DIM", "Axis", "Channels", "Domain"]

#: Name of the channel dimension in xarray objects; no axis may use it.
CHANNEL_DIM = "channel"


def _no_nul(text: str, what: str) -> None:
    """Refuse a NUL character in a name: numpy strings and netCDF cut text at it (two names would collide)."""
    if "\x00" in text:
        raise InvalidParameterError(
            f"{what} must not contain a NUL character ('\\x00'): numpy and netCDF cut text there; got {text!r}"
        )


@dataclass(frozen=True)
class Axis:
    """One regularly sampled axis: ``coords = origin + step * arange(size)``.

    Parameters
    ----------
    name : str
        Axis name, e.g. ``"time"``, ``"row"``, ``"px"``.
    size : int
        Number of samples, >= 1.
    step : float, default 1.0
        Spacing between samples (finite, non-zero), in ``unit``.
    origin : float, default 0.0
        Coordinate of the first sample.
    unit : str, default ""
        Physical unit of the coordinates, e.g. ``"s"``.

    Examples
    --------
    >>> from signalspace import Axis
    >>> t = Axis("time", 4, step=0.5, unit="s")
    >>> t.coords
    array([0. , 0.5, 1. , 1.5])
    >>> t.extent
    (0.0, 1.5)
    """

    name: str
    size: int
    step: float = 1.0
    origin: float = 0.0
    unit: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidTypeError(f"Axis name must be a non-empty string, got {describe(self.name)}")
        if self.name == CHANNEL_DIM:
            raise InvalidParameterError(
                f"Axis name {CHANNEL_DIM!r} is reserved for the channel dimension; choose another name"
            )
        _no_nul(self.name, "Axis name")
        if not isinstance(self.unit, str):
            raise InvalidTypeError(f"Axis unit must be a string, got {describe(self.unit)}")
        _no_nul(self.unit, f"Axis {self.name!r} unit")
        object.__setattr__(self, "size", positive_int(self.size, f"Axis {self.name!r} size"))
        object.__setattr__(
            self, "step", finite_float(self.step, f"Axis {self.name!r} step", nonzero=True)
        )
        object.__setattr__(self, "origin", finite_float(self.origin, f"Axis {self.name!r} origin"))

    @property
    def coords(self) -> np.ndarray:
        """Coordinates of the samples (float64 array of length ``size``)."""
        return self.origin + self.step * np.arange(self.size, dtype=np.float64)

    @property
    def extent(self) -> tuple[float, float]:
        """Coordinates of the first and last sample."""
        return (self.origin, self.origin + self.step * (self.size - 1))

    def index(self, coord: float, *, method: str | None = None, tolerance: float | None = None) -> int:
        """Index of the sample at ``coord``: exact by default, or the nearest one, as xarray's ``sel``.

        Parameters
        ----------
        coord : float
            A coordinate, in the axis' unit.
        method : {None, "nearest"}
            None: ``coord`` must be a sample's coordinate (to rounding: a billionth of its
            position); ``"nearest"``: the nearest sample, the first or last one beyond the extent.
        tolerance : float, optional
            With ``method="nearest"``: the largest distance accepted between ``coord`` and the
            sample (default: any).

        Raises
        ------
        InvalidParameterError
            When no sample fits (the message gives the axis' samples).

        Examples
        --------
        >>> from signalspace import Axis
        >>> t = Axis("time", 10, step=0.1, unit="s")
        >>> t.index(0.3), t.index(0.33, method="nearest"), t.index(5.0, method="nearest")
        (3, 3, 9)
        >>> t.index(0.33)
        Traceback (most recent call last):
        ...
        signalspace._errors.InvalidParameterError: coordinate 0.33 is not a sample of axis 'time' (samples from \
0 to 0.9 s every 0.1); pass method="nearest" for the nearest one
        """
        coord = finite_float(coord, f"coordinate on axis {self.name!r}")
        if method not in (None, "nearest"):
            raise InvalidParameterError(f"method must be None (exact) or 'nearest', got {method!r}")
        if tolerance is not None:
            if method is None:
                raise InvalidParameterError("tolerance needs method='nearest' (an exact match has no tolerance)")
            tolerance = finite_float(tolerance, "tolerance")
            if tolerance < 0:
                raise InvalidParameterError(f"tolerance must be >= 0, got {tolerance}")
        position = (coord - self.origin) / self.step
        lo, hi = sorted(self.extent)
        unit = f" {self.unit}" if self.unit else ""
        samples = f"(samples from {lo:g} to {hi:g}{unit} every {abs(self.step):g})"
        if method is None:
            nearest = round(position)
            if not (0 <= nearest < self.size) or abs(position - nearest) > 1e-9 * max(1.0, abs(position)):
                raise InvalidParameterError(
                    f"coordinate {coord!r} is not a sample of axis {self.name!r} {samples}; pass method=\"nearest\" "
                    "for the nearest one"
                )
            return int(nearest)
        nearest = int(min(max(round(position), 0), self.size - 1))
        distance = abs(coord - (self.origin + self.step * nearest))
        if tolerance is not None and distance > tolerance * (1 + 1e-9) + 1e-12 * abs(self.step):
            raise InvalidParameterError(
                f"coordinate {coord!r} is {distance:g}{unit} from the nearest sample of axis {self.name!r} "
                f"{samples}, more than tolerance={tolerance:g}"
            )
        return nearest

    def slice(self, start: int, stop: int, stride: int = 1) -> Axis:
        """The sub-axis of samples ``start:stop:stride`` (normalized Python slice bounds)."""
        size = len(range(start, stop, stride))
        if size < 1:
            raise InvalidParameterError(
                f"slice {start}:{stop}:{stride} of axis {self.name!r} (size {self.size}) is empty"
            )
        return replace(self, size=size, step=self.step * stride, origin=self.origin + self.step * start)

    def with_size(self, size: int) -> Axis:
        """The same sampling with a different number of samples."""
        return replace(self, size=size)


@dataclass(frozen=True)
class Domain:
    """The product of regularly sampled axes: the grid Ω a signal lives on.

    Parameters
    ----------
    axes : sequence of Axis
        The axes, in array order.  Names must be unique.
    kind : str, default "generic"
        Which adapter this domain belongs to (``"audio"``, ``"image"``,
        ``"phasespace"``, or a registered plug-in).

    Examples
    --------
    >>> from signalspace import Axis, Domain
    >>> d = Domain([Axis("row", 3), Axis("col", 4)], kind="image")
    >>> d.shape, d.ndim, d.names
    ((3, 4), 2, ('row', 'col'))
    >>> d["col"].size
    4
    >>> Domain.from_shape((3, 4)).names
    ('x0', 'x1')
    """

    axes: tuple[Axis, ...]
    kind: str = "generic"

    def __post_init__(self) -> None:
        if isinstance(self.axes, Axis) or not isinstance(self.axes, Iterable):
            raise InvalidTypeError(f"Domain axes must be a sequence of Axis, got {describe(self.axes)}")
        axes = tuple(self.axes)
        for i, axis in enumerate(axes):
            if not isinstance(axis, Axis):
                raise InvalidTypeError(f"Domain axes[{i}] must be an Axis, got {describe(axis)}")
        names = [a.name for a in axes]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise InvalidParameterError(f"Domain axis names must be unique; repeated: {duplicated}")
        if not isinstance(self.kind, str) or not self.kind:
            raise InvalidTypeError(f"Domain kind must be a non-empty string, got {describe(self.kind)}")
        _no_nul(self.kind, "Domain kind")
        object.__setattr__(self, "axes", axes)

    @classmethod
    def from_shape(
        cls, shape: Sequence[int], *, names: Sequence[str] | None = None, kind: str = "generic"
    ) -> Domain:
        """A unit-spaced domain of the given shape (axes ``x0, x1, ...`` unless named)."""
        shape = tuple(shape)
        if names is None:
            names = [f"x{i}" for i in range(len(shape))]
        if len(names) != len(shape):
            raise InvalidParameterError(
                f"names must have one entry per axis ({len(shape)}), got {len(names)}: {list(names)}"
            )
        return cls(tuple(Axis(n, s) for n, s in zip(names, shape, strict=True)), kind=kind)

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.axes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of samples along each axis."""
        return tuple(a.size for a in self.axes)

    @property
    def size(self) -> int:
        """Total number of grid points."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def names(self) -> tuple[str, ...]:
        """Axis names in array order."""
        return tuple(a.name for a in self.axes)

    @property
    def steps(self) -> tuple[float, ...]:
        """Sample spacing of each axis."""
        return tuple(a.step for a in self.axes)

    @property
    def origins(self) -> tuple[float, ...]:
        """Coordinate of the first sample of each axis."""
        return tuple(a.origin for a in self.axes)

    @property
    def units(self) -> tuple[str, ...]:
        """Unit of each axis."""
        return tuple(a.unit for a in self.axes)

    def axis_index(self, key: str | int) -> int:
        """Position of an axis given by name or (possibly negative) index."""
        if isinstance(key, str):
            try:
                return self.names.index(key)
            except ValueError:
                raise UnknownNameError(
                    f"axis {key!r} is not in this {self.kind} domain; its axes are {list(self.names)}"
                ) from None
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise InvalidTypeError(f"axis must be a name or an integer, got {describe(key)}")
        if not -self.ndim <= key < self.ndim:
            raise InvalidParameterError(
                f"axis index {key} is out of range for a domain with {self.ndim} axes"
            )
        return int(key) % self.ndim

    def __getitem__(self, key: str | int) -> Axis:
        return self.axes[self.axis_index(key)]

    def __iter__(self):
        return iter(self.axes)

    def __len__(self) -> int:
        return self.ndim

    def replace_axis(self, key: str | int, axis: Axis) -> Domain:
        """A copy with one axis replaced."""
        axes = list(self.axes)
        axes[self.axis_index(key)] = axis
        return Domain(tuple(axes), kind=self.kind)

    def with_axes(self, axes: Sequence[Axis]) -> Domain:
        """A copy of the same kind with new axes."""
        return Domain(tuple(axes), kind=self.kind)

    def coords(self, key: str | int) -> np.ndarray:
        """Coordinates of one axis."""
        return self[key].coords

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{a.name}={a.size}" + (f"@{a.step:g}{_unit_suffix(a.unit)}" if a.step != 1 or a.unit else "")
            for a in self.axes
        )
        return f"Domain({self.kind}: {parts or 'a point'})"


def _unit_suffix(unit: str) -> str:
    """``"s"`` -> ``"s"``; units that would read as part of the number (``"1/GeV"``) get a space."""
    return f" {unit}" if unit and not unit[0].isalpha() else unit


def _freeze_coords(coords: Mapping[str, Sequence[Any]] | None, n: int) -> Mapping[str, tuple]:
    frozen: dict[str, tuple] = {}
    for key, values in (coords or {}).items():
        if not isinstance(key, str):
            raise InvalidTypeError(f"Channels coords keys must be strings, got {describe(key)}")
        _no_nul(key, "Channels coords key")
        if not isinstance(values, np.ndarray) and isinstance(values, Iterable):
            values = list(values)
            for i, v in enumerate(values):
                if isinstance(v, str):
                    _no_nul(v, f"Channels coords[{key!r}][{i}]")
        array = np.asarray(values)
        if array.ndim != 1:
            raise InvalidTypeError(
                f"Channels coords[{key!r}] must be a sequence of one value per channel ({n}), got {describe(values)}"
            )
        values = tuple(array.tolist())
        if len(values) != n:
            raise InvalidParameterError(
                f"Channels coords[{key!r}] must have one value per channel ({n}), got {len(values)}"
            )
        frozen[key] = values
    return MappingProxyType(frozen)


@dataclass(frozen=True, eq=False)
class Channels:
    """The c values a signal has at each point of its domain.

    Parameters
    ----------
    names : sequence of str
        One unique name per channel, e.g. ``("L", "R")`` or ``("R", "G", "B")``.
    layout : str, optional
        Name of the layout these channels follow (``"stereo"``, ``"rgb"``,
        ``"hyperspectral"``...), when an adapter knows it.
    coords : mapping of str to sequence, optional
        Per-channel metadata, one value per channel, e.g.
        ``{"wavelength": (450, 550, 650)}``.
    units : mapping of str to str, optional
        Units of the ``coords`` entries, e.g. ``{"wavelength": "nm"}``.

    Examples
    --------
    >>> from signalspace import Channels
    >>> ch = Channels(("L", "R"), layout="stereo")
    >>> len(ch), ch.index("R")
    (2, 1)
    >>> Channels.generic(3).names
    ('c0', 'c1', 'c2')
    """

    names: tuple[str, ...]
    layout: str | None = None
    coords: Mapping[str, tuple] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.names, str) or not isinstance(self.names, Iterable):
            raise InvalidTypeError(f"Channels names must be a sequence of strings, got {describe(self.names)}")
        names = tuple(self.names)
        if not names:
            raise InvalidParameterError("Channels names must name at least one channel, got none")
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name:
                raise InvalidTypeError(f"Channels names[{i}] must be a non-empty string, got {describe(name)}")
            _no_nul(name, f"Channels names[{i}]")
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise InvalidParameterError(f"Channels names must be unique; repeated: {duplicated}")
        if self.layout is not None and not isinstance(self.layout, str):
            raise InvalidTypeError(f"Channels layout must be a string or None, got {describe(self.layout)}")
        if self.layout is not None:
            _no_nul(self.layout, "Channels layout")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "coords", _freeze_coords(self.coords, len(names)))
        units = dict(self.units or {})
        for key, unit in units.items():
            if not isinstance(unit, str):
                raise InvalidTypeError(f"Channels units[{key!r}] must be a string, got {describe(unit)}")
            _no_nul(unit, f"Channels units[{key!r}]")
        unknown = sorted(set(units) - set(self.coords))
        if unknown:
            raise InvalidParameterError(f"Channels units name coords that do not exist: {unknown}")
        object.__setattr__(self, "units", MappingProxyType(units))

    @classmethod
    def generic(cls, n: int, prefix: str = "c") -> Channels:
        """``n`` channels named ``c0, c1, ...``."""
        n = positive_int(n, "number of channels")
        return cls(tuple(f"{prefix}{i}" for i in range(n)))

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self):
        return iter(self.names)

    def index(self, name: str) -> int:
        """Position of a channel by name."""
        try:
            return self.names.index(name)
        except ValueError:
            raise UnknownNameError(f"channel {name!r} does not exist; channels are {list(self.names)}") from None

    def select(self, key: int | slice | Sequence[int]) -> Channels:
        """The channels at the given positions, with their per-channel coords."""
        idx = np.arange(len(self))[key]
        idx = np.atleast_1d(idx).tolist()
        layout = self.layout if idx == list(range(len(self))) else None
        coords = {k: [v[i] for i in idx] for k, v in self.coords.items()}
        units = {k: u for k, u in self.units.items()}
        return Channels(tuple(self.names[i] for i in idx), layout=layout, coords=coords, units=units)

    def _key(self) -> tuple:
        return (self.names, self.layout, tuple(sorted(self.coords.items())), tuple(sorted(self.units.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Channels) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = f", layout={self.layout!r}" if self.layout else ""
        if self.coords:
            extra += f", coords={dict(self.coords)!r}"
        return f"Channels({list(self.names)!r}{extra})"
