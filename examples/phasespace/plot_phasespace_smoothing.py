"""
Smoothing a field on relativistic phase space
=============================================

The lecture's last example of a domain is special relativity: a point of
phase space is an event in space-time ``(t, x, y, z)`` together with a
four-momentum ``(E, px, py, pz)``, so the domain is ℝ⁴ × ℝ⁴, eight axes.  With
one channel the signal is, for instance, the Hamiltonian ``H(p) = sqrt(|p|² +
m²)`` (natural units, c = 1).

Nothing in :class:`signalspace.Conv` is specific to one, two or three axes: a
kernel with eight spatial axes smooths an 8-D field exactly as a 3-tap kernel
smooths a sound.  On an 8-point-per-axis grid the field has 8⁸ = 16 777 216
samples (64 MiB in float32), and the example still runs in a few seconds.
"""

# %%
# The grid and the Hamiltonian
# ----------------------------
# :func:`signalspace.phasespace.grid` builds the 8-axis domain: space-time in
# 1/GeV on [−2, 2], energy and momentum in GeV on [−2, 2] (energy on [0, 3]).
# :func:`signalspace.phasespace.hamiltonian` evaluates ``H`` on every sample by
# broadcasting, in float32.  ``H.plot()`` draws 2-D slices through the centre
# of the grid, one panel per pair of axes.
import os
import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage as ndi

import signalspace as ss

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)

ps = ss.phasespace.grid(
    spacetime=8, momentum=8, spacetime_extent=2.0, momentum_extent=[(0.0, 3.0), (-2, 2), (-2, 2), (-2, 2)]
)
print(ps, f"{ps.size:,} samples")
H = ss.phasespace.hamiltonian(ps, mass=1.0)  # float32, one channel "H"
print(H)

panels = H.plot(pairs=[("px", "py"), ("px", "pz"), ("x", "px")])
panels[0].figure.suptitle("free-particle Hamiltonian H = √(|p|² + m²), m = 1 GeV", fontsize="medium")
panels[0].figure.savefig(os.path.join(OUT, "phasespace_hamiltonian.png"), dpi=100)

# %%
# A noisy field: particles on their mass shell
# --------------------------------------------
# A bunch of particles of mass 1 GeV leaves the origin at ``t = 0``.  Its
# density in phase space is concentrated near the mass shell ``E = H(p)`` and,
# in space, around the position ``v t`` reached with velocity ``v = p / E``.
# We "measure" it with noise.  Every term is built by broadcasting the axis
# coordinates, so no loop runs over the 16.8 M samples.
t, xs, ys, zs, E, px, py, pz = (
    ps[name].coords.astype(np.float32).reshape([-1 if k == i else 1 for k in range(8)])
    for i, name in enumerate(ps.names)
)
energy = np.sqrt(px**2 + py**2 + pz**2 + 1.0)
shell = np.exp(-0.5 * ((E - energy) / 0.4) ** 2)
distance2 = (xs - px / energy * t) ** 2 + (ys - py / energy * t) ** 2 + (zs - pz / energy * t) ** 2
density = shell * np.exp(-0.5 * distance2 / 0.8**2)
noisy_values = (density + 0.15 * rng.standard_normal(ps.shape, dtype=np.float32))[..., None]
field = ss.Signal(noisy_values, ps, ss.Channels(("density",)))
print(field, field.dtype)

# %%
# Separable smoothing: one 3-tap filter per axis
# ----------------------------------------------
# The binomial filter ``[1, 2, 1] / 4`` on every axis is an 8-D kernel of
# 3⁸ = 6 561 taps, the outer product of eight 1-D filters.  ``Conv`` detects
# that the kernel is separable and runs eight 1-D passes (the field has eight
# axes, so the bare 8-axis kernel is read as eight spatial axes, the same on
# every channel).  ``padding="same"`` keeps the grid,
# ``boundary="nearest"`` repeats the edge samples.  The reference is
# :func:`scipy.ndimage.correlate1d` applied axis after axis.
b = np.array([1.0, 2.0, 1.0], dtype=np.float32) / 4
separable_kernel = b
for _ in range(7):
    separable_kernel = np.multiply.outer(separable_kernel, b)
smooth_sep = ss.Conv(separable_kernel, padding="same", boundary="nearest")
start = time.perf_counter()
smoothed = smooth_sep(field)
seconds_sep = time.perf_counter() - start
reference = np.asarray(field)[..., 0]
for axis in range(8):
    reference = ndi.correlate1d(reference, b, axis=axis, mode="nearest")
assert np.allclose(smoothed.values[..., 0], reference, atol=1e-5)
print(f"separable kernel {separable_kernel.shape}: engine {smooth_sep.engine(field, np.float32)!r}, "
      f"{seconds_sep:.2f} s")

# %%
# A general kernel: the 8-D ball
# ------------------------------
# A kernel that is not an outer product cannot be split into passes.  Here it
# averages over the 8-D ball ``|Δ|² ≤ 2`` (in samples): the centre, its 16
# neighbours along the axes and the 112 diagonal neighbours in each plane,
# 129 taps inside a 3⁸ box.  ``Conv`` picks another engine for it; the
# reference is :func:`scipy.ndimage.correlate`.
offsets = np.indices((3,) * 8) - 1
ball = ((offsets**2).sum(axis=0) <= 2).astype(np.float32)
ball /= ball.sum()
smooth_ball = ss.Conv(ball, padding="same", boundary="nearest")
start = time.perf_counter()
smoothed_ball = smooth_ball(field)
seconds_ball = time.perf_counter() - start
assert np.allclose(smoothed_ball.values[..., 0], ndi.correlate(np.asarray(field)[..., 0], ball, mode="nearest"),
                   atol=1e-5)
print(f"ball kernel, {int(np.count_nonzero(ball))} taps: engine {smooth_ball.engine(field, np.float32)!r}, "
      f"{seconds_ball:.2f} s")
print(f"error std (against the noiseless density): noisy {np.std(noisy_values[..., 0] - density):.3f}, separable "
      f"{np.std(smoothed.values[..., 0] - density):.3f}, ball {np.std(smoothed_ball.values[..., 0] - density):.3f}")

# %%
# Slices: the field, then smoothed
# --------------------------------
# A slice fixes six axes and shows the other two.  We fix ``t`` at a late time
# (sample 6 of 8, ``t ≈ 1.43 /GeV``) and the other axes at their central
# sample (index 4: with 8 samples the centre falls between two, at +0.29).  In
# ``(x, px)`` the particles have moved, so position and momentum are
# correlated; in ``(px, E)`` the mass shell ``E = √(px² + …)`` is a curved
# ridge.  The smoothed fields keep these shapes without the noise.
pairs = [("x", "px"), ("px", "E"), ("x", "y")]
rows = [("noisy field", field), ("separable [1, 2, 1]⁸", smoothed), ("8-D ball (129 taps)", smoothed_ball)]
fig = plt.figure(figsize=(8, 7.6), layout="constrained")
subfigs = fig.subfigures(len(rows), 1)
index = {"t": 6}  # a late time: the bunch has spread
for subfig, (title, signal) in zip(subfigs, rows, strict=True):
    ax = subfig.subplots(1, 1)
    for panel in signal.plot(ax=ax, pairs=pairs, index=index, colorbar=False):
        panel.set_title(f"slice at t = {ps['t'].coords[index['t']]:.2f} /GeV", fontsize="x-small")
    subfig.suptitle(title, fontsize="medium")
fig.savefig(os.path.join(OUT, "phasespace_slices.png"), dpi=90)

# %%
# Projections: summing over the other six axes
# --------------------------------------------
# ``mode="projection"`` sums over the axes not shown: the marginal densities.
# In ``(t, x)`` the bunch is narrowest at ``t = 0`` and spreads as it flies
# apart; in ``(x, px)`` faster particles are farther out; in ``(px, E)`` no
# particle sits below the mass shell ``E = √(px² + m²)`` (the marginal grows
# with ``E`` because more momenta ``(py, pz)`` share a larger energy).
panels = smoothed.plot(mode="projection", pairs=[("t", "x"), ("x", "px"), ("px", "py"), ("px", "E")])
panels[0].figure.suptitle("separably smoothed field: projections (sum over the other axes)", fontsize="medium")
panels[0].figure.savefig(os.path.join(OUT, "phasespace_projections.png"), dpi=100)
