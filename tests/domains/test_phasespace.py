"""Phase space ℝ⁴ × ℝ⁴: grids, the Minkowski metric, the free-particle Hamiltonian."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import signalspace as ss
from signalspace.domains import AdapterNotSupportedError

AXES = ("t", "x", "y", "z", "E", "px", "py", "pz")


def _reference_h(domain, mass):
    """sqrt(|p|² + m²) on the full grid with numpy.meshgrid (independent of the broadcasting code)."""
    grids = np.meshgrid(*[np.linspace(a.extent[0], a.extent[1], a.size) for a in domain.axes], indexing="ij")
    px, py, pz = grids[5], grids[6], grids[7]
    return np.sqrt(px**2 + py**2 + pz**2 + mass**2)


def test_grid_axes_units_and_coords():
    d = ss.phasespace.grid(spacetime=(2, 3, 4, 5), momentum=(6, 7, 8, 9), spacetime_extent=2.0, momentum_extent=(0, 3))
    assert d.kind == "phasespace" and d.names == AXES
    assert d.shape == (2, 3, 4, 5, 6, 7, 8, 9)
    assert d.units == ("1/GeV",) * 4 + ("GeV",) * 4
    for axis in d.axes[:4]:
        np.testing.assert_allclose(axis.coords, np.linspace(-2, 2, axis.size))
    for axis in d.axes[4:]:
        np.testing.assert_allclose(axis.coords, np.linspace(0, 3, axis.size))


def test_per_axis_extents_and_single_sample_axes():
    extents = [(0, 1), (-1, 1), (-2, 2), (-3, 3)]
    d = ss.phasespace.grid(spacetime=1, momentum=(5, 5, 5, 5), momentum_extent=extents, spacetime_unit="fm")
    for (lo, hi), axis in zip(extents, d.axes[4:], strict=True):
        np.testing.assert_allclose(axis.coords, np.linspace(lo, hi, 5))
    assert d.shape[:4] == (1, 1, 1, 1)
    assert all(a.coords[0] == 0.0 for a in d.axes[:4])  # centre of [-1, 1]
    assert d["t"].unit == "fm"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spacetime": 0}, ss.InvalidParameterError, "spacetime must be an integer >= 1"),
        ({"spacetime": (8, 8, 8)}, ss.InvalidParameterError, "4 sizes"),
        ({"momentum": (8, 8, 8, -1)}, ss.InvalidParameterError, r"momentum\[3\]"),
        ({"momentum": True}, ss.InvalidTypeError, "momentum must be an integer or a sequence"),
        ({"spacetime_extent": 0}, ss.InvalidParameterError, "spacetime_extent must be > 0"),
        ({"spacetime_extent": float("nan")}, ss.InvalidParameterError, "finite"),
        ({"momentum_extent": (2, 1)}, ss.InvalidParameterError, r"lo < hi"),
        ({"momentum_extent": (1, 2, 3)}, ss.InvalidParameterError, "momentum_extent must be"),
        ({"momentum_extent": "wide"}, ss.InvalidTypeError, "momentum_extent must be"),
        ({"momentum_unit": 1}, ss.InvalidTypeError, "momentum_unit"),
    ],
)
def test_grid_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.phasespace.grid(**kwargs)


def test_metric_is_exposed_and_read_only():
    np.testing.assert_array_equal(ss.phasespace.METRIC, np.diag([1.0, -1.0, -1.0, -1.0]))
    with pytest.raises(ValueError, match="read-only"):
        ss.phasespace.METRIC[0, 0] = -1.0


@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_minkowski_dot_matches_the_formula(shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((*shapes.input_shapes[0], 4))
    b = rng.standard_normal((*shapes.input_shapes[1], 4))
    expected = a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]
    np.testing.assert_allclose(ss.phasespace.minkowski_dot(a, b), expected, rtol=1e-12, atol=1e-12)


@given(rapidity=st.floats(-3, 3), seed=st.integers(0, 2**16))
def test_minkowski_dot_is_lorentz_invariant(rapidity, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, 5, 4))
    ch, sh = np.cosh(rapidity), np.sinh(rapidity)
    boost = np.array([[ch, -sh, 0, 0], [-sh, ch, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])  # along x
    before = ss.phasespace.minkowski_dot(a, b)
    after = ss.phasespace.minkowski_dot(a @ boost.T, b @ boost.T)
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-9 * ch * ch)


def test_minkowski_dot_errors():
    with pytest.raises(ss.ShapeError, match="last axis of length 4"):
        ss.phasespace.minkowski_dot(np.zeros(3), np.zeros(4))
    with pytest.raises(ss.ShapeError, match="broadcast"):
        ss.phasespace.minkowski_dot(np.zeros((2, 4)), np.zeros((3, 4)))
    with pytest.raises(ss.InvalidTypeError, match="real-valued"):
        ss.phasespace.minkowski_dot(np.zeros(4, complex), np.zeros(4))


def test_hamiltonian_on_the_8d_grid_of_16_8_million_samples(rng):
    d = ss.phasespace.grid(spacetime=(8, 8, 8, 8), momentum=(8, 8, 8, 8), momentum_extent=(-2, 2))
    assert d.size == 8**8 == 16_777_216
    H = ss.phasespace.hamiltonian(d, mass=0.5, dtype=np.float32)
    assert H.shape == (*d.shape, 1) and H.dtype == np.float32 and H.channels.names == ("H",)
    assert H.values.nbytes == 64 * 2**20
    p = np.linspace(-2, 2, 8)
    for index in rng.integers(0, 8, size=(25, 8)):
        expected = np.sqrt(p[index[5]] ** 2 + p[index[6]] ** 2 + p[index[7]] ** 2 + 0.25)
        assert H.values[(*index, 0)] == pytest.approx(expected, rel=1e-6)
    # H is a function of the momentum only: constant along t, x, y, z and E
    np.testing.assert_array_equal(H.values[3, 1, 4, 1, 5], H.values[0, 0, 0, 0, 0])
    # mass-shell invariant: E = H gives p·p = m² (natural units, c = 1)
    idx = tuple(rng.integers(0, 8, size=8))
    four_p = np.array([H.values[(*idx, 0)], p[idx[5]], p[idx[6]], p[idx[7]]], dtype=np.float64)
    assert ss.phasespace.minkowski_dot(four_p, four_p) == pytest.approx(0.25, rel=1e-5)


@given(
    sizes=st.lists(st.integers(1, 4), min_size=8, max_size=8),
    mass=st.floats(0, 5),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_hamiltonian_matches_meshgrid_reference(sizes, mass, dtype):
    d = ss.phasespace.grid(spacetime=sizes[:4], momentum=sizes[4:], momentum_extent=(-1.5, 2.5))
    H = ss.phasespace.hamiltonian(d, mass=mass, dtype=dtype)
    assert H.dtype == dtype and H.attrs["mass"] == mass
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(H.values[..., 0], _reference_h(d, mass), rtol=rtol)
    assert ss.phasespace.hamiltonian(H, mass=mass, dtype=dtype).identical(H)  # a Signal gives its domain


def test_hamiltonian_errors():
    d = ss.phasespace.grid(2, 2)
    with pytest.raises(ss.InvalidParameterError, match="mass must be >= 0"):
        ss.phasespace.hamiltonian(d, mass=-1)
    with pytest.raises(ss.InvalidParameterError, match="mass must be finite"):
        ss.phasespace.hamiltonian(d, mass=float("nan"))
    with pytest.raises(ss.InvalidParameterError, match="float dtype"):
        ss.phasespace.hamiltonian(d, dtype=np.int32)
    with pytest.raises(ss.MemoryBudgetError, match="max_bytes"):
        ss.phasespace.hamiltonian(d, max_bytes=100)
    with pytest.raises(ss.DomainMismatchError, match="momentum axes"):
        ss.phasespace.hamiltonian(ss.Domain.from_shape((3, 3)))
    with pytest.raises(ss.InvalidTypeError, match="Domain"):
        ss.phasespace.hamiltonian(np.zeros((2,) * 8))


def test_on_shell_matches_reference():
    d = ss.phasespace.grid(spacetime=1, momentum=(41, 5, 5, 5), momentum_extent=[(0, 4), (-1, 1), (-1, 1), (-1, 1)])
    mask = ss.phasespace.on_shell(d, mass=1.0)
    energies = np.meshgrid(*[a.coords for a in d.axes], indexing="ij")[4]
    expected = np.abs(energies - _reference_h(d, 1.0)) <= 0.05
    np.testing.assert_array_equal(mask.values[..., 0], expected)
    assert mask.dtype == bool and expected.any()


def test_from_array_and_adapter():
    field = np.arange(2.0**8).reshape((2,) * 8)
    before = field.copy()
    x = ss.phasespace.from_array(field, momentum_extent=(0, 1))
    assert x.domain.names == AXES and x.shape == (2,) * 8 + (1,)
    assert np.array_equal(field, before) and not np.shares_memory(x.values, field)
    np.testing.assert_array_equal(x.domain["pz"].coords, [0.0, 1.0])
    back = ss.Signal.from_xarray(x.to_xarray())
    assert back.identical(x)
    with pytest.raises(ss.ShapeError, match="nt, nx"):
        ss.phasespace.from_array(np.zeros((2, 2, 2)))
    adapter = ss.domains.get("phasespace")
    assert adapter.from_array(field).domain == x.domain.with_axes(ss.phasespace.grid(2, 2).axes)
    with pytest.raises(AdapterNotSupportedError, match="'phasespace' adapter does not support load"):
        adapter.load("anything.h5")
