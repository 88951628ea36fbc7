"""Relativistic phase space ℝ⁴ × ℝ⁴: space-time (t, x, y, z) × four-momentum (E, px, py, pz).

The lecture's special-relativity example of a domain with many axes.  A
:class:`~signalspace.Domain` of kind ``"phasespace"`` has eight regularly
sampled axes, in this order: ``t, x, y, z`` (space-time) and
``E, px, py, pz`` (four-momentum).

Units are natural units, **c = 1** (and ħ = 1 for the default unit names):
time and length share one unit (``"1/GeV"``), energy and momentum share
another (``"GeV"``).  The metric is Minkowski's with signature (+, −, −, −),
exposed as :data:`METRIC` ``= diag(+1, -1, -1, -1)``, so that
``p·p = E² − |p|² = m²`` for a particle of mass m.

Nothing here loops over samples: fields are built by broadcasting the axis
coordinates, so the Hamiltonian on an 8⁸ grid (16.8 M samples) builds in a fraction of a second (64 MiB in float32).

Examples
--------
>>> import signalspace as ss
>>> ps = ss.phasespace.grid(spacetime=(8, 8, 8, 8), momentum=(8, 8, 8, 8))
>>> ps.names, ps.size
(('t', 'x', 'y', 'z', 'E', 'px', 'py', 'pz'), 16777216)
>>> H = ss.phasespace.hamiltonian(ps, mass=1.0)
>>> H.shape[-1], H.dtype
(1, dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .._errors import DomainMismatchError, InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import as_shape, check_budget, describe, finite_float, nbytes, unmasked
from ..domain import Axis, Channels, Domain
from ..signal import Signal, is_lazy
from .base import DomainAdapter

__all__ = [
    "AXES",
    "KIND",
    "METRIC",
    "MOMENTUM_AXES",
    "SPACETIME_AXES",
    "PhasespaceAdapter",
    "from_array",
    "grid",
    "hamiltonian",
    "minkowski_dot",
    "on_shell",
]

KIND = "phasespace"
SPACETIME_AXES: tuple[str, ...] = ("t", "x", "y", "z")
MOMENTUM_AXES: tuple[str, ...] = ("E", "px", "py", "pz")
AXES: tuple[str, ...] = SPACETIME_AXES + MOMENTUM_AXES

#: The Minkowski metric η = diag(+1, −1, −1, −1) (signature (+, −, −, −), c = 1); read-only.
METRIC: np.ndarray = np.diag([1.0, -1.0, -1.0, -1.0])
METRIC.setflags(write=False)

def _extents(value: Any, name: str) -> tuple[tuple[float, float], ...]:
    """Scalar L -> [-L, L] on every axis; (lo, hi) -> every axis; 4 pairs -> per axis."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        half = finite_float(value, name, positive=True)
        return ((-half, half),) * 4
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidTypeError(
            f"{name} must be a half-width L, a (lo, hi) pair or 4 (lo, hi) pairs, got {describe(value)}"
        )
    if len(value) == 2 and all(not isinstance(v, Sequence) for v in value):
        pairs = (tuple(value),) * 4
    elif len(value) == 4 and all(isinstance(v, Sequence) and len(v) == 2 for v in value):
        pairs = tuple(tuple(v) for v in value)
    else:
        raise InvalidParameterError(
            f"{name} must be a half-width L, a (lo, hi) pair or 4 (lo, hi) pairs, got {describe(value)}"
        )
    out = []
    for i, (lo, hi) in enumerate(pairs):
        lo_f, hi_f = finite_float(lo, f"{name}[{i}][0]"), finite_float(hi, f"{name}[{i}][1]")
        if not hi_f > lo_f:
            raise InvalidParameterError(f"{name}[{i}] must have lo < hi, got ({lo_f}, {hi_f})")
        out.append((lo_f, hi_f))
    return tuple(out)


def _axis(name: str, size: int, lo: float, hi: float, unit: str) -> Axis:
    if size == 1:
        return Axis(name, 1, step=hi - lo, origin=(lo + hi) / 2, unit=unit)
    return Axis(name, size, step=(hi - lo) / (size - 1), origin=lo, unit=unit)


def grid(
    spacetime: int | Sequence[int] = (8, 8, 8, 8),
    momentum: int | Sequence[int] = (8, 8, 8, 8),
    spacetime_extent: float | Sequence[Any] = 1.0,
    momentum_extent: float | Sequence[Any] = 1.0,
    *,
    spacetime_unit: str = "1/GeV",
    momentum_unit: str = "GeV",
) -> Domain:
    """A regular grid on phase space ℝ⁴ × ℝ⁴ (axes t, x, y, z, E, px, py, pz).

    Parameters
    ----------
    spacetime, momentum : int or 4 ints
        Samples along (t, x, y, z) and along (E, px, py, pz).
    spacetime_extent, momentum_extent : float, (lo, hi) or 4 (lo, hi) pairs
        Closed coordinate ranges: a number L means [−L, L] on each axis; one
        pair applies to the four axes; four pairs give each axis its own.
        The first and last samples sit on lo and hi (a 1-sample axis sits
        at the centre).
    spacetime_unit, momentum_unit : str
        Unit names (natural units, c = ħ = 1: GeV⁻¹ for time and length, GeV
        for energy and momentum).

    Returns
    -------
    Domain
        Kind ``"phasespace"``, 8 axes.

    Examples
    --------
    >>> import signalspace as ss
    >>> d = ss.phasespace.grid(spacetime=2, momentum=(3, 5, 5, 5), momentum_extent=[(0, 2), *[(-1, 1)] * 3])
    >>> d.shape
    (2, 2, 2, 2, 3, 5, 5, 5)
    >>> d["E"].coords, d["px"].unit
    (array([0., 1., 2.]), 'GeV')
    """
    st_sizes, p_sizes = as_shape(spacetime, "spacetime", ndim=4), as_shape(momentum, "momentum", ndim=4)
    st_ext, p_ext = _extents(spacetime_extent, "spacetime_extent"), _extents(momentum_extent, "momentum_extent")
    for unit, name in ((spacetime_unit, "spacetime_unit"), (momentum_unit, "momentum_unit")):
        if not isinstance(unit, str):
            raise InvalidTypeError(f"{name} must be a string, got {describe(unit)}")
    axes = [
        _axis(n, s, lo, hi, spacetime_unit) for n, s, (lo, hi) in zip(SPACETIME_AXES, st_sizes, st_ext, strict=True)
    ]
    axes += [_axis(n, s, lo, hi, momentum_unit) for n, s, (lo, hi) in zip(MOMENTUM_AXES, p_sizes, p_ext, strict=True)]
    return Domain(tuple(axes), kind=KIND)


def minkowski_dot(a: Any, b: Any) -> np.ndarray:
    """Minkowski inner product ``a·b = a⁰b⁰ − a¹b¹ − a²b² − a³b³`` over the last axis (length 4).

    Leading axes broadcast as in numpy.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> p = np.array([5.0, 3.0, 0.0, 0.0])        # E = 5, |p| = 3
    >>> float(ss.phasespace.minkowski_dot(p, p))  # m² = 25 − 9
    16.0
    """
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    for arr, name in ((a_arr, "a"), (b_arr, "b")):
        if arr.ndim == 0 or arr.shape[-1] != 4:
            raise ShapeError(f"{name} must have a last axis of length 4 (a four-vector), got shape {arr.shape}")
        if arr.dtype.kind not in "biuf":
            raise InvalidTypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    try:
        np.broadcast_shapes(a_arr.shape, b_arr.shape)
    except ValueError:
        raise ShapeError(f"a and b must broadcast, got shapes {a_arr.shape} and {b_arr.shape}") from None
    return np.einsum("...i,ij,...j->...", a_arr, METRIC, b_arr)


def _check_domain(domain: Any, what: str) -> Domain:
    if isinstance(domain, Signal):
        domain = domain.domain
    if not isinstance(domain, Domain):
        raise InvalidTypeError(f"domain must be a signalspace.Domain (or Signal), got {describe(domain)}")
    missing = [n for n in MOMENTUM_AXES if n not in domain.names]
    if missing:
        raise DomainMismatchError(
            f"{what} needs momentum axes {list(MOMENTUM_AXES)}; the domain has {list(domain.names)}"
        )
    return domain


def _check_budget(domain: Domain, dtype: np.dtype, max_bytes: int | None, what: str) -> None:
    check_budget(nbytes(domain.shape, dtype), max_bytes, f"{what} on {domain!r}", "max_bytes",
                 "use a coarser grid or float32")


def _coords_along(domain: Domain, name: str, dtype: np.dtype) -> np.ndarray:
    """Coordinates of axis ``name`` shaped to broadcast against ``domain.shape``."""
    shape = [1] * domain.ndim
    k = domain.axis_index(name)
    shape[k] = domain.shape[k]
    return domain[name].coords.astype(dtype).reshape(shape)


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InvalidTypeError(f"dtype must be a numpy float dtype, got {describe(dtype)}") from None
    if dt.kind != "f":
        raise InvalidParameterError(f"dtype must be a float dtype (float32 or float64), got {dt}")
    return dt


def hamiltonian(
    domain: Domain | Signal, mass: float = 1.0, *, dtype: Any = np.float32, max_bytes: int | None = None
) -> Signal:
    """Free-particle energy ``H(p) = sqrt(|p|² + m²)`` on every point of a phase-space grid.

    Built by broadcasting the (px, py, pz) coordinates against the full grid:
    no per-sample loop.  H depends on the momentum axes only; the array still
    covers the whole domain (one value per sample).

    Parameters
    ----------
    domain : Domain or Signal
        A phase-space domain (any domain with axes px, py, pz works).
    mass : float, default 1.0
        Rest mass m >= 0 (natural units, same unit as momentum).
    dtype : float dtype, default float32
        float32 halves the memory of large grids (the 8⁸ grid: 64 MiB).
    max_bytes : int, optional
        Refuse to allocate more than this (default: the memory budget,
        :func:`signalspace.memory_budget`): :class:`~signalspace.MemoryBudgetError`.

    Returns
    -------
    Signal
        One channel ``"H"`` with ``attrs["mass"]``.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> d = ss.phasespace.grid(spacetime=1, momentum=(1, 3, 1, 1), momentum_extent=(-3, 3))
    >>> H = ss.phasespace.hamiltonian(d, mass=4.0, dtype=np.float64)
    >>> H.values.ravel()     # |p| = 3 on the edges: sqrt(9 + 16) = 5
    array([5., 4., 5.])
    """
    d = _check_domain(domain, "hamiltonian")
    m = finite_float(mass, "mass")
    if m < 0:
        raise InvalidParameterError(f"mass must be >= 0, got {m}")
    dt = _float_dtype(dtype)
    _check_budget(d, dt, max_bytes, "hamiltonian")
    px, py, pz = (_coords_along(d, n, np.dtype(np.float64)) for n in ("px", "py", "pz"))
    h = np.sqrt(px * px + py * py + pz * pz + m * m)  # small: only the momentum axes have extent
    out = np.empty((*d.shape, 1), dtype=dt)
    out[..., 0] = h
    return Signal(out, d, Channels(("H",)), {"mass": m, "quantity": "free-particle energy sqrt(|p|^2 + m^2)"})


def on_shell(
    domain: Domain | Signal, mass: float = 1.0, *, tolerance: float | None = None, max_bytes: int | None = None
) -> Signal:
    """Boolean mask of the grid points on the mass shell ``E = sqrt(|p|² + m²)``.

    Parameters
    ----------
    domain : Domain or Signal
        A domain with axes E, px, py, pz.
    mass : float, default 1.0
        Rest mass m >= 0.
    tolerance : float, optional
        Largest accepted ``|E − sqrt(|p|² + m²)|``; default half the E step.

    Examples
    --------
    >>> import signalspace as ss
    >>> d = ss.phasespace.grid(spacetime=1, momentum=(3, 1, 1, 1), momentum_extent=[(0, 2), (0, 1), (0, 1), (0, 1)])
    >>> ss.phasespace.on_shell(d, mass=1.0).values.ravel()     # E in {0, 1, 2}, p = 0.5 each: H ≈ 1.32
    array([False,  True, False])
    """
    d = _check_domain(domain, "on_shell")
    if "E" not in d.names:
        raise DomainMismatchError(f"on_shell needs an energy axis 'E'; the domain has {list(d.names)}")
    m = finite_float(mass, "mass")
    if m < 0:
        raise InvalidParameterError(f"mass must be >= 0, got {m}")
    tol = abs(d["E"].step) / 2 if tolerance is None else finite_float(tolerance, "tolerance", positive=True)
    _check_budget(d, np.dtype(bool), max_bytes, "on_shell")
    f64 = np.dtype(np.float64)
    e = _coords_along(d, "E", f64)
    px, py, pz = (_coords_along(d, n, f64) for n in ("px", "py", "pz"))
    mask = np.empty((*d.shape, 1), dtype=bool)
    mask[..., 0] = np.abs(e - np.sqrt(px * px + py * py + pz * pz + m * m)) <= tol
    return Signal(mask, d, Channels(("on_shell",)), {"mass": m, "tolerance": tol})


def from_array(
    values: Any,
    spacetime_extent: float | Sequence[Any] = 1.0,
    momentum_extent: float | Sequence[Any] = 1.0,
    channels: Channels | Sequence[str] | None = None,
    *,
    spacetime_unit: str = "1/GeV",
    momentum_unit: str = "GeV",
) -> Signal:
    """A phase-space Signal from a user's field of shape ``(nt, nx, ny, nz, nE, npx, npy, npz[, c])``.

    The grid is :func:`grid` with the array's sizes and the given extents.
    The values are copied (dask arrays stay lazy).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> f = ss.phasespace.from_array(np.zeros((2,) * 8 + (3,)), channels=["u", "v", "w"])
    >>> f.domain.kind, f.channels.names
    ('phasespace', ('u', 'v', 'w'))
    """
    lazy = is_lazy(values)
    array = values if lazy else np.asarray(unmasked(values, "values"))
    if array.ndim not in (8, 9) or array.size == 0:
        raise ShapeError(
            f"values must have shape (nt, nx, ny, nz, nE, npx, npy, npz) or that plus a channel axis, "
            f"got shape {tuple(array.shape)}"
        )
    d = grid(
        tuple(array.shape[:4]),
        tuple(array.shape[4:8]),
        spacetime_extent,
        momentum_extent,
        spacetime_unit=spacetime_unit,
        momentum_unit=momentum_unit,
    )
    if channels is not None and not isinstance(channels, Channels):
        if isinstance(channels, str) or not isinstance(channels, Sequence):
            raise InvalidTypeError(f"channels must be a Channels or a sequence of names, got {describe(channels)}")
        channels = Channels(tuple(channels))
    data = array if lazy else np.array(array, copy=True)
    return Signal(data, d, channels)


class PhasespaceAdapter(DomainAdapter):
    """The ``"phasespace"`` adapter: grids and fields on ℝ⁴ × ℝ⁴ (no file format of its own)."""

    kind = KIND
    description = "relativistic phase space: space-time × four-momentum, natural units (c = 1)"
    axis_names = AXES
    layouts: ClassVar[dict[str, tuple[str, ...]]] = {"scalar": ("H",)}
    dimensionality = "8-D (t, x, y, z) × (E, px, py, pz)"
    typical_channels = (1,)
    extensions = ()
    picture = "slices"

    def from_array(self, values: Any, *args: Any, **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.phasespace.from_array`."""
        return from_array(values, *args, **kwargs)

    def example(self) -> Signal:
        """The free-particle Hamiltonian (m = 1) on a 2⁸ grid."""
        return hamiltonian(grid(2, 2), mass=1.0)
