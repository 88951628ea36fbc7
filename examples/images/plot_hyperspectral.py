"""
A hyperspectral image
=====================

A colour camera measures 3 channels per pixel; a hyperspectral camera measures
tens of narrow wavelength bands (the lecture's image with c = 20).  The domain
is still 2-D (rows × columns); only the channel count grows, and each channel
carries metadata: its wavelength, kept in ``signal.channels.coords``.

No hyperspectral file ships with scikit-image, so we synthesize one: each pixel
of the astronaut gets a smooth reflectance spectrum built from its R, G and B
values and three broad spectral response curves, sampled in 20 bands from 400
to 780 nm.  Then we convolve it two ways: band by band (depthwise, the
wavelengths are kept) and across bands (a layer that mixes them).
"""

# %%
# Synthesizing 20 bands with their wavelengths
# --------------------------------------------
# ``ss.image.from_array(..., wavelengths=...)`` makes a ``hyperspectral``
# layout: bands ``b0 … b19`` with their wavelength in nm.
import os

import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)

rgb = ss.image.sample("astronaut")[::2, ::2]  # 256 x 256 RGB (every other pixel)
rgb = np.asarray(rgb, dtype=np.float32) / 255

wavelengths = np.linspace(400.0, 780.0, 20)  # band centres, nm
centres, width = {"R": 640.0, "G": 545.0, "B": 450.0}, 55.0
response = np.stack([np.exp(-0.5 * ((wavelengths - c) / width) ** 2) for c in centres.values()])  # 3 x 20
spectra = rgb @ response + 0.03 * rng.standard_normal((*rgb.shape[:2], 20)).astype(np.float32)
cube = ss.image.from_array(np.clip(spectra, 0, None).astype(np.float32), wavelengths=wavelengths)
print(cube)
print(cube.channels.layout, cube.channels.units, cube.channels.coords["wavelength"][:4], "...")

# %%
# False colour and the band grid
# ------------------------------
# ``cube.plot()`` draws a hyperspectral image in false colour: the bands
# nearest to 650, 550 and 450 nm become red, green and blue.  With
# ``mode="bands"`` every band gets a gray panel titled with its wavelength.
ax = cube.plot()
ax.figure.set_size_inches(4.5, 4.5)
ax.figure.savefig(os.path.join(OUT, "hyperspectral_false_colour.png"), dpi=100)

panels = ss.plot.image(cube, mode="bands", max_bands=20, vmin=0, vmax=float(spectra.max()))
fig = panels[0].figure
for p in panels:
    p.set_xlabel("")
    p.set_ylabel("")
    p.tick_params(labelbottom=False, labelleft=False)
fig.suptitle("the 20 bands (row × col, 256 × 256 px each)", fontsize="medium")
fig.savefig(os.path.join(OUT, "hyperspectral_bands.png"), dpi=80)

# %%
# Spectra of single pixels
# ------------------------
# At one pixel the channels form a spectrum: the orange suit reflects long
# wavelengths, a blue patch short ones, a white one all of them.  (The pixels
# are picked from the RGB image: the most orange, the most blue, the
# brightest.)
r_, g_, b_ = np.moveaxis(rgb, -1, 0)
pick = {
    "most orange": r_ - b_,
    "most blue": b_ - (r_ + g_) / 2,
    "brightest": r_ + g_ + b_,
}
pixels = {name: np.unravel_index(np.argmax(score), score.shape) for name, score in pick.items()}
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
for name, (r, c) in pixels.items():
    ax.plot(wavelengths, cube.values[r, c], "o-", ms=3, label=f"{name}: pixel ({r}, {c})")
ax.set_xlabel("wavelength (nm)")
ax.set_ylabel("reflectance (a.u.)")
ax.set_title("one spectrum per pixel: the 20 channels", fontsize="medium")
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.savefig(os.path.join(OUT, "hyperspectral_spectra.png"), dpi=100)

# %%
# Band by band: a depthwise blur keeps the wavelengths
# ----------------------------------------------------
# A bare 2-D kernel filters each band on its own.  The output has the same 20
# channels, with the same names and wavelengths.
k = np.exp(-0.5 * (np.arange(-4, 5) / 2.0) ** 2)
blur = ss.Conv(np.outer(k, k) / np.outer(k, k).sum(), padding="same", boundary="reflect")
smooth = blur(cube)
assert smooth.channels == cube.channels
print("after the depthwise blur:", smooth.channels.coords["wavelength"][:3], "...")

# %%
# Across bands: a 1 × 1 layer from 20 bands to R, G, B
# ----------------------------------------------------
# A kernel of shape ``(1, 1, 20, 3)`` looks at one pixel and mixes its 20
# bands into 3 outputs: a linear layer applied at every pixel (weight sharing
# over the image).  With the least-squares inverse of the response curves as
# weights it turns the spectra back into R, G and B.  A ``(5, 5, 20, 3)``
# kernel would mix neighbouring pixels too.
weights = np.linalg.pinv(response)  # 20 x 3: spectra @ weights ≈ rgb
to_rgb = ss.Conv(weights[None, None], channel_names=("R", "G", "B"))
rendered = to_rgb(smooth)
print(rendered)

# %%
# The bands can also be an axis
# -----------------------------
# Wavelength is sampled regularly, so the cube is equally a signal on a 3-D
# domain (row × col × wavelength) with one channel.  A kernel along the new
# axis (``dims=("wavelength",)``: rows and columns are carried through, as
# scipy.ndimage's ``axes=`` does) is then a true convolution across bands, here
# a centred difference: the spectral slope, in 1/nm.  The same numbers come from a 1 × 1 layer
# whose 20 × 18 weight matrix is that difference's Toeplitz matrix: bands as
# channels and bands as an axis are one linear map.
step = float(wavelengths[1] - wavelengths[0])
axes3 = (*cube.domain.axes, ss.Axis("wavelength", 20, step=step, origin=400.0, unit="nm"))
volume = ss.Signal(np.asarray(smooth)[..., None], ss.Domain(axes3, kind="hyperspectral-cube"))
diff = np.array([-1.0, 0.0, 1.0]) / (2 * step)
slope = ss.Conv(diff, dims=("wavelength",))(volume)  # (256, 256, 18, 1): valid along wavelength
as_channels = ss.Conv(ss.toeplitz(diff, 20, format="dense").T[None, None])(smooth)  # (256, 256, 18)
assert np.allclose(np.asarray(slope)[..., 0], np.asarray(as_channels), atol=1e-6)
print("spectral slope on", slope.domain, "- wavelengths", slope.domain["wavelength"].coords[[0, -1]], "nm")

fig, axes = plt.subplots(1, 3, figsize=(8, 2.9), layout="constrained")
smooth.plot(ax=axes[0])
axes[0].set_title("blurred band-wise\n(false colour)", fontsize="small")
rendered.plot(ax=axes[1], normalize="clip")
axes[1].set_title("20 bands → RGB\n(1 × 1 layer)", fontsize="small")
band = slope.domain["wavelength"].index(590.0, method="nearest")
v = float(np.percentile(np.abs(slope.values[:, :, band, 0]), 99))
im = axes[2].imshow(slope.values[:, :, band, 0], cmap="RdBu_r", vmin=-v, vmax=v, extent=(-0.5, 255.5, 255.5, -0.5))
fig.colorbar(im, ax=axes[2], label="slope (1/nm)", shrink=0.8)
axes[2].set_title(f"spectral slope at {slope.domain['wavelength'].coords[band]:.0f} nm\n(kernel along wavelength)",
                  fontsize="small")
axes[2].set_xlabel("col (px)")
for ax in axes[1:]:
    ax.set_ylabel("")
fig.savefig(os.path.join(OUT, "hyperspectral_convolutions.png"), dpi=100)
