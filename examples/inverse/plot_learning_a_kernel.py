"""
Learning a kernel
=================

The lecture builds a convolutional layer by locality and stationarity and then
says that its kernel is *learned*.  A convolution is linear in its kernel too:

.. math::

   y = A(a)\\,x = X(x)\\,a,

where :math:`X(x)` is the (block-)Toeplitz matrix built from the *data*.  So
given an input and the output of an unknown filter, the kernel is the solution
of a linear least-squares problem — no gradient descent, no learning rate: the
kernel that training would converge to, solved for exactly.

:meth:`Conv.kernel_operator <signalspace.ops.conv.Conv.kernel_operator>` is
:math:`X(x)` as an operator (its adjoint is the kernel gradient a training loop
computes), and :func:`signalspace.ops.lstsq` solves with it.
"""

# %%
# An unknown filter on a photograph
# ---------------------------------
# Two filters we pretend not to know: an oriented edge detector (the derivative
# of a Gaussian across a 30° direction, 5 × 5) and a motion blur along a 20°
# line (9 × 9).  We filter the camera man with each ("same" padding, mirrored
# border) and keep only the image and the two results.
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)
t_start = time.perf_counter()

image = ss.image.sample("camera").values[::2, ::2, 0].astype(np.float64) / 255  # 256 x 256

r = np.arange(-2, 3.0)
rows, cols = np.meshgrid(r, r, indexing="ij")
u = np.cos(np.radians(30)) * rows + np.sin(np.radians(30)) * cols
edge = -u * np.exp(-(rows**2 + cols**2) / 2.0)
edge /= np.abs(edge).sum()

blur = np.zeros((9, 9))
for t in np.linspace(-4, 4, 33):  # a line segment through the centre, drawn with bilinear weights
    rr, cc = 4 - t * np.sin(np.radians(20)), 4 + t * np.cos(np.radians(20))
    r0, c0 = int(np.floor(rr)), int(np.floor(cc))
    for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
        if 0 <= r0 + dr < 9 and 0 <= c0 + dc < 9:
            blur[r0 + dr, c0 + dc] += (1 - abs(rr - r0 - dr)) * (1 - abs(cc - c0 - dc))
blur /= blur.sum()

options = {"padding": "same", "boundary": "mirror"}
truths = {"edge (5 × 5)": edge, "motion blur (9 × 9)": blur}
outputs = {name: ss.Conv(kernel, **options)(image) for name, kernel in truths.items()}

# %%
# Solving for the kernel
# ----------------------
# A Conv with the same options and a kernel of the right shape (its values are
# not used) gives the data's operator: ``X @ a`` is the convolution of the image
# with any kernel ``a``.  65 536 equations, 25 or 81 unknowns: the least-squares
# solution is the kernel, to rounding.  With 1 % noise on the output it is still
# within a few percent.
learned, noisy_learned = {}, {}
for name, kernel in truths.items():
    X = ss.Conv(np.zeros_like(kernel), **options).kernel_operator(image)
    fit = ss.ops.lstsq(X, outputs[name], tol=1e-12)
    learned[name] = fit.x
    noise = 0.01 * np.std(outputs[name]) * rng.standard_normal(image.shape)
    noisy_learned[name] = ss.ops.lstsq(X, outputs[name] + noise, tol=1e-10).x
    error = np.abs(fit.x - kernel).max() / np.abs(kernel).max()
    noisy = np.abs(noisy_learned[name] - kernel).max() / np.abs(kernel).max()
    print(f"{name}: {fit.iterations} lsqr iterations, largest error {error:.1e} (noiseless), "
          f"{noisy:.1e} (1 % noise), relative to the largest weight")

fig, axes = plt.subplots(2, 4, figsize=(8.5, 4.6), layout="constrained")
for row, (name, kernel) in zip(axes, truths.items(), strict=True):
    row[0].imshow(outputs[name], cmap="gray")
    row[0].set_title(f"camera ⋆ {name.split(' (')[0]}", fontsize="small")
    vmax = np.abs(kernel).max()
    for ax, shown, title in zip(row[1:], (kernel, learned[name], noisy_learned[name]),
                                ("true kernel", "learned", "learned, 1 % noise"), strict=True):
        ax.imshow(shown, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"{title}\n{name}", fontsize="small")
    for ax in row:
        ax.set_xticks([])
        ax.set_yticks([])
fig.savefig(os.path.join(OUT, "learned_image_kernels.png"), dpi=100)

# %%
# A 3 → 8 layer, learned from examples
# ------------------------------------
# The first layer of an image network maps RGB to feature channels: a kernel of
# shape ``(3, 3, 3, 8)``, 216 weights.  Four 64 × 64 crops of the astronaut are
# the examples (a batch axis in front: ``axes=(1, 2)`` names the image axes, the
# first is carried through), the layer's outputs the targets.  The kernel
# operator sums over the batch in its gradient; conjugate gradients on the
# normal equations record the residual of every iteration.
layer = rng.standard_normal((3, 3, 3, 8))
astronaut = ss.image.sample("astronaut").values.astype(np.float64) / 255
corners = [(60, 180), (300, 80), (200, 300), (400, 400)]
examples = np.stack([astronaut[r : r + 64, c : c + 64] for r, c in corners])  # (4, 64, 64, 3)
layer_options = {"padding": "same", "boundary": "reflect", "ndim": 2}
targets = ss.Conv(layer, **layer_options)(examples, axes=(1, 2))  # (4, 64, 64, 8): axis 0 carried
X = ss.Conv(np.zeros(layer.shape), **layer_options).kernel_operator(examples, axes=(1, 2))
fit = ss.ops.lstsq(X, targets, method="cg", tol=1e-12)
print(f"3 -> 8 layer: {X.model_shape} weights from {examples.shape[0]} examples, {fit.iterations} CG iterations, "
      f"largest error {np.abs(fit.x - layer).max():.1e} (weights of size {np.abs(layer).max():.1f})")

# %%
# How much data determines the layer?  Per output channel the 27 weights need 27
# independent windows.  A 5 × 5 crop with "valid" padding has 9 windows, 72
# equations for 216 unknowns: the system is singular, and ``lstsq`` says so
# rather than returning one of its infinitely many solutions.  An 8 × 8 crop (36
# windows, 288 equations) is enough.
for size in (5, 8):
    crop = examples[0, :size, :size]
    small = ss.Conv(np.zeros(layer.shape), ndim=2).kernel_operator(crop)
    try:
        small_fit = ss.ops.lstsq(small, ss.Conv(layer, ndim=2)(crop), tol=1e-12)
        print(f"{size} x {size} crop: largest error {np.abs(small_fit.x - layer).max():.1e}")
    except ss.InvalidParameterError as error:
        print(f"{size} x {size} crop: {error}")

fig = plt.figure(figsize=(8.5, 4.2), layout="constrained")
grid = fig.add_gridspec(2, 9, width_ratios=[1] * 8 + [2.6])
for o in range(8):
    for row, (kernel, label) in enumerate(((layer, "true"), (fit.x, "learned"))):
        ax = fig.add_subplot(grid[row, o])
        w = kernel[..., o]
        shown = np.clip((w - layer[..., o].min()) / np.ptp(layer[..., o]), 0, 1)  # each tap's weights as RGB
        ax.imshow(shown, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if o == 0:
            ax.set_ylabel(label, fontsize="small")
        if row == 0:
            ax.set_title(f"channel {o}", fontsize="x-small")
ax = fig.add_subplot(grid[:, 8])
ax.semilogy(fit.residuals / fit.residuals[0])
ax.set_xlabel("CG iteration")
ax.set_title("‖X a − y‖ / ‖y‖", fontsize="small")
fig.suptitle("A 3 → 8 layer: its 3 × 3 × 3 kernels as RGB patches, true and learned", fontsize="small")
fig.savefig(os.path.join(OUT, "learned_layer.png"), dpi=100)
print(f"ran in {time.perf_counter() - t_start:.1f} s; figures in {OUT}")
