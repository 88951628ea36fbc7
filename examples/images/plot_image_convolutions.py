"""
Convolutions on images
======================

An image is a signal on a 2-D domain (rows × columns of pixels) with 1
(gray), 3 (RGB) or more channels.  The operator that filtered sounds,
:class:`signalspace.Conv`, filters images unchanged: the kernel just has two
spatial axes, shaped ``(rows, cols)`` for the same filter on every channel or
``(rows, cols, c_in, c_out)`` for a layer that mixes channels.

We find edges, blur a colour picture, apply an RGB → 16-channel layer with
random kernels (what the first layer of an image network computes), and write
a convolution on a small image as its *doubly block-Toeplitz* matrix.
"""

# %%
# Edges: two kernels, two output channels
# ---------------------------------------
# The Sobel kernels estimate the derivative of the brightness down the rows and
# across the columns.  Stacked as a ``(3, 3, 1, 2)`` kernel they form one layer
# with two named output channels.  ``padding="same"`` keeps the image size and
# ``boundary="nearest"`` repeats the border pixels.  The result agrees with
# :func:`scipy.ndimage.correlate`, the field's reference.
import os

import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage as ndi
from skimage.transform import resize

import signalspace as ss
from signalspace.ops.structure import matrix_structure

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)

camera = ss.image.sample("camera").astype(np.float32) / 255  # 512 x 512, one channel
print(camera)

sobel_rows = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])  # d/drow
sobel = np.stack([sobel_rows, sobel_rows.T], axis=-1)[:, :, None, :]  # (3, 3, c_in=1, c_out=2)
edges = ss.Conv(sobel, padding="same", boundary="nearest", channel_names=("d/drow", "d/dcol"))(camera)
reference = ndi.correlate(np.asarray(camera)[..., 0], sobel_rows, mode="nearest")
assert np.allclose(edges.values[..., 0], reference, atol=1e-5)
magnitude = np.hypot(edges.values[..., 0], edges.values[..., 1])
print(edges.channels.names, edges.shape)

fig, axes = plt.subplots(1, 3, figsize=(8, 2.9), layout="constrained")
camera.plot(ax=axes[0])
axes[0].set_title("camera (gray)", fontsize="small")
v = float(np.percentile(np.abs(edges.values), 99))  # symmetric colour range: white is 0
for k, ax in enumerate(axes[1:]):
    edges.plot(ax=ax, channel=k, cmap="RdBu_r", vmin=-v, vmax=v, colorbar=False)
    ax.set_title(f"Sobel {edges.channels.names[k]}", fontsize="small")
for ax in axes[1:]:
    ax.set_ylabel("")
fig.savefig(os.path.join(OUT, "image_edges.png"), dpi=100)

# %%
# The gradient magnitude ``sqrt(d/drow² + d/dcol²)`` is large on the outlines
# whatever their direction.
fig, ax = plt.subplots(figsize=(4, 3.6), layout="constrained")
im = ax.imshow(magnitude, cmap="magma", extent=(-0.5, 511.5, 511.5, -0.5))
fig.colorbar(im, ax=ax, label="gradient magnitude (1/px)")
ax.set_xlabel("col (px)")
ax.set_ylabel("row (px)")
ax.set_title("edge strength", fontsize="small")
fig.savefig(os.path.join(OUT, "image_edge_magnitude.png"), dpi=100)

# %%
# Blur: one kernel on every colour channel
# ----------------------------------------
# A bare 2-D kernel is applied to each channel on its own (*depthwise*): the
# blurred astronaut keeps its three channels, their names and its RGB layout.
astronaut = ss.image.sample("astronaut").astype(np.float32) / 255  # 512 x 512 x RGB
r = np.arange(-6, 7)
g1 = np.exp(-(r**2) / (2 * 3.0**2))
gauss = np.outer(g1, g1) / np.outer(g1, g1).sum()  # 13 x 13 Gaussian, sigma = 3 px
blur = ss.Conv(gauss, padding="same", boundary="reflect")
blurred = blur(astronaut)
print(blurred.channels, "engine:", blur.engine(astronaut.shape, np.float32))

fig, axes = plt.subplots(1, 2, figsize=(7, 3.6), layout="constrained")
astronaut.plot(ax=axes[0])
axes[0].set_title("astronaut (RGB)", fontsize="small")
blurred.plot(ax=axes[1])
axes[1].set_title("Gaussian blur, σ = 3 px, on each channel", fontsize="small")
fig.savefig(os.path.join(OUT, "image_blur.png"), dpi=100)

# %%
# An RGB → 16-channel layer
# -------------------------
# The first layer of a convolutional network mixes the colours: each of its 16
# kernels has shape ``(3, 3, 3)`` (rows × cols × input colours), 432 weights in
# all, against 3 · 10¹² for a dense layer between the same two 512 × 512 images
# (``parameter_count`` below).
# Here the kernels are random (seeded) instead of trained; each output channel
# still responds to its own mix of colour and local pattern.  The image has two
# axes, so the 4-axis kernel reads as 2 spatial axes + (3 colours in, 16 out);
# a bare shape does not say that, so ``parameter_count`` is told ``ndim=2``.
kernel16 = rng.normal(size=(3, 3, 3, 16)).astype(np.float32) / np.sqrt(27)
layer = ss.Conv(kernel16, padding="same", boundary="nearest")
features = layer(astronaut[::2, ::2])  # 256 x 256 (every other pixel) x 16 channels
print(features, ss.ops.linear.parameter_count(layer, (512, 512, 3), ndim=2))

panels = ss.plot.image(features, mode="bands", max_bands=16, cmap="gray")
fig = panels[0].figure
for p in panels:
    p.set_xlabel("")
    p.set_ylabel("")
    p.tick_params(labelbottom=False, labelleft=False)
fig.suptitle("16 feature maps of a random RGB → 16 layer (3 × 3 kernels)", fontsize="medium")
fig.savefig(os.path.join(OUT, "image_rgb_to_16.png"), dpi=90)

# %%
# A doubly block-Toeplitz matrix
# ------------------------------
# On an 8 × 8 image (the camera, shrunk) a 3 × 3 "valid" convolution has a
# 6 × 6 output.  Raveling both images row by row turns the convolution into a
# 36 × 64 matrix.  It is made of 6 × 8 blocks (outlined): block ``(i, j)``
# tells how input row ``j`` feeds output row ``i``, so it holds row ``j − i`` of
# the kernel as a Toeplitz matrix, and the blocks repeat along the block
# diagonals: a Toeplitz matrix of Toeplitz blocks.
small = ss.image.from_array(resize(np.asarray(camera)[..., 0], (8, 8), anti_aliasing=True).astype(np.float64))
laplace = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]) + np.array(
    [[0.5, 0.0, -0.5], [0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]]
)  # a kernel with 7 distinct taps, so the picture shows where each one goes
conv = ss.Conv(laplace)
M = conv.to_matrix((8, 8))
out = conv(small)
assert np.allclose(M @ np.asarray(small).ravel(), np.asarray(out).ravel())
structure = matrix_structure(conv, (8, 8))
assert structure.is_toeplitz(M)
print(f"matrix {M.shape}, {M.nnz} non-zeros, blocks {structure.block_sizes()}")

fig = plt.figure(figsize=(8, 4.2), layout="constrained")
grid = fig.add_gridspec(2, 2, width_ratios=[1, 2.4])
ax_in, ax_out, ax_m = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[:, 1])
small.plot(ax=ax_in)
ax_in.set_title("input 8 × 8", fontsize="small")
v = float(np.abs(out.values).max())
out.plot(ax=ax_out, cmap="RdBu_r", vmin=-v, vmax=v, colorbar=False)
ax_out.set_title("output 6 × 6 (valid)", fontsize="small")
ss.plot.matrix(M, ax=ax_m, structure=structure)
ax_m.set_xlabel("input pixel (row-major index)")
ax_m.set_ylabel("output pixel (row-major index)")
fig.savefig(os.path.join(OUT, "image_block_toeplitz.png"), dpi=100)
