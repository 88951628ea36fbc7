"""
From a dense layer to a Toeplitz matrix
=======================================

A fully connected layer on a 3-sample input with 4 outputs is a 4 × 3 matrix:
12 weights ``w_ij``.  Audio is not 3 samples long but ``duration × sample
rate`` (3.2 s at 22.05 kHz is 70 641 samples), and a dense matrix that wide
cannot be trained.  Two properties of natural signals shrink it:

* **locality**: an output only looks at nearby samples, so the weights far
  from the diagonal are zero and each row keeps a window of 3;
* **stationarity**: the same motif may appear anywhere, so every row uses the
  *same* 3 weights ``a_1, a_2, a_3``, shifted one step further each row
  (weight sharing).

What is left is a **Toeplitz** matrix (every descending diagonal constant):
a convolution with a 3-tap kernel, 3 parameters whatever the input length.
To get more parameters back we use several kernels, one output channel each.
"""

# %%
# Four matrices, from 12 weights to 3
# -----------------------------------
# The lecture's dense layer is 4 × 3.  To give locality room, the input grows to
# 6 samples while the layer keeps 4 outputs (each output reads a window of 3:
# a "valid" convolution).  Dense, that is 4 × 6 = 24 weights; local, 4 rows of
# 3 = 12; local and shared, 3.  :func:`signalspace.ops.linear.parameter_count`
# counts them for any kernel and input shape.
import os

import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss
from signalspace.ops.structure import matrix_structure

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)

a = np.array([1.0, 2.0, -1.5])  # the kernel a = (a_1, a_2, a_3)
n = 6  # input samples
m = n - len(a) + 1  # outputs of a "valid" convolution: 4

W_small = rng.normal(size=(4, 3))  # the lecture's fully connected layer, 12 weights
W_dense = rng.normal(size=(m, n))  # the same layer on a longer input, 24 weights
band = np.zeros((m, n), dtype=bool)  # locality: row i reads inputs i, i+1, i+2
for i in range(m):
    band[i, i : i + len(a)] = True
W_local = np.where(band, rng.normal(size=(m, n)), 0.0)  # 12 weights, each row its own
T = ss.toeplitz(a, n, format="dense")  # stationarity: the same 3 weights on every row

counts = ss.ops.linear.parameter_count(a, n)
print(f"4 x 3 fully connected layer: {W_small.size} weights")
print(f"on {n} inputs, 4 outputs: dense {counts.dense}, local {counts.local}, local + shared {counts.shared}")
assert (counts.dense, counts.local, counts.shared) == (W_dense.size, int(band.sum()), len(a))

# %%
# The matrix pictures
# -------------------
# :func:`signalspace.plot.matrix` colours each entry by value (white is an
# exact zero).  The labels name the free weights: ``w_ij`` are all different,
# ``a_k`` repeat along the diagonals.


def label_entries(ax, M, names):
    vmax = np.abs(M).max()
    for (i, j), name in np.ndenumerate(names):
        if name:  # white text on the dark (large) entries, black on the light ones
            color = "white" if abs(M[i, j]) > 0.55 * vmax else "black"
            ax.text(j, i, name, ha="center", va="center", fontsize=7, color=color)


w_names_small = np.array([[f"$w_{{{i + 1}{j + 1}}}$" for j in range(3)] for i in range(4)])
w_names = np.array([[f"$w_{{{i + 1}{j + 1}}}$" for j in range(n)] for i in range(m)])
a_names = np.array([[f"$a_{j - i + 1}$" if band[i, j] else "" for j in range(n)] for i in range(m)])

fig, axes = plt.subplots(
    1, 4, figsize=(8, 2.2), layout="constrained", gridspec_kw={"width_ratios": [3, 6, 6, 6]}
)
panels = [
    (W_small, w_names_small, f"dense 4 × 3\n{W_small.size} weights"),
    (W_dense, w_names, f"dense 4 × {n}\n{counts.dense} weights"),
    (W_local, np.where(band, w_names, ""), f"local (band)\n{counts.local} weights"),
    (T, a_names, f"local + shared (Toeplitz)\n{counts.shared} weights"),
]
for ax, (M, names, title) in zip(axes, panels, strict=True):
    ss.plot.matrix(M, ax=ax)
    label_entries(ax, M, names)
    ax.set_title(title, fontsize="small")
    ax.set_xticks(range(M.shape[1]), [str(j + 1) for j in range(M.shape[1])], fontsize="x-small")
    ax.set_yticks(range(M.shape[0]), [str(i + 1) for i in range(M.shape[0])], fontsize="x-small")
    ax.set_xlabel("input sample j", fontsize="small")
axes[0].set_ylabel("output i", fontsize="small")
fig.savefig(os.path.join(OUT, "dense_to_toeplitz_matrices.png"), dpi=110)

# %%
# The Toeplitz matrix *is* the convolution
# ----------------------------------------
# ``ss.Conv(a)`` computes the running scalar product
# ``y_i = a_1 x_i + a_2 x_{i+1} + a_3 x_{i+2}`` (the first output is
# ``a_1 x_1 + a_2 x_2 + a_3 x_3``, as in the lecture).  Its matrix,
# ``Conv.to_matrix``, is the Toeplitz matrix above, and multiplying by it gives
# the convolution, entry for entry.
conv = ss.Conv(a)
x = rng.normal(size=n)
M = conv.to_matrix((n,), format="dense")
assert np.array_equal(M, T)
assert np.allclose(M @ x, conv(x))
assert np.isclose(conv(x)[0], a[0] * x[0] + a[1] * x[1] + a[2] * x[2])
print("M @ x      =", np.round(M @ x, 4))
print("Conv(a)(x) =", np.round(conv(x), 4))

# %%
# At audio length
# ---------------
# On 3.2 s of audio at 22.05 kHz the dense layer would need about 5 · 10⁹
# weights (40 GB in float64); the Toeplitz matrix, stored by diagonals
# (``format="dia"``), keeps 3 diagonals, and applying it is still the
# convolution.
sr = 22050
n_audio = 70641  # the lecture's clip: 70 641 samples, 3.2 s at 22.05 kHz
big = ss.toeplitz(a, n_audio, format="dia")
x_audio = rng.normal(size=n_audio)
assert np.allclose(big @ x_audio, conv(x_audio))
audio_counts = ss.ops.linear.parameter_count(a, n_audio)
print(f"{n_audio} samples ({n_audio / sr:.2f} s at {sr} Hz) -> {big.shape[0]} outputs")
print(f"dense {audio_counts.dense:.3e} weights ({audio_counts.dense * 8 / 1e9:.0f} GB in float64), "
      f"local {audio_counts.local}, shared {audio_counts.shared}; stored diagonals: {big.offsets.tolist()}")

# %%
# How the three counts grow with the input length: the dense layer
# quadratically, the local one linearly, the shared one not at all.
lengths = np.unique(np.logspace(np.log10(4), np.log10(n_audio), 25).astype(int))
table = np.array([ss.ops.linear.parameter_count(a, int(k)) for k in lengths])
fig, ax = plt.subplots(figsize=(6, 3.3), layout="constrained")
for col, label, style in zip(table.T, ["dense", "local", "local + shared (conv)"], ["-", "--", "-."], strict=True):
    ax.loglog(lengths, col, style, label=label)
ax.axvline(n_audio, color="0.6", lw=0.8)
ax.text(n_audio, 10, " 3.2 s at\n 22.05 kHz", fontsize="x-small", ha="right", va="bottom")
ax.set_xlabel("input length n (samples)")
ax.set_ylabel("weights")
ax.set_title("parameters of a layer with a 3-sample window", fontsize="medium")
ax.legend(fontsize="small")
fig.savefig(os.path.join(OUT, "dense_to_toeplitz_counts.png"), dpi=100)

# %%
# Several kernels, several output channels
# ----------------------------------------
# Three parameters are too few, so a convolutional layer uses several kernels
# ``a⁽¹⁾, a⁽²⁾, a⁽³⁾``, each a Toeplitz matrix of its own, each producing one
# output channel.  In signalspace they are one kernel of shape
# ``(3, c_in=1, c_out=3)`` (``ndim=1``: one spatial axis, then the channels).
# The matrix of the layer orders its rows as
# (output sample, output channel), so the three Toeplitz matrices are
# interleaved, with 3 × 1 blocks (outlined) of one tap of each kernel.  Sorting
# the rows by channel stacks the three Toeplitz matrices.
kernels = np.stack([a, [1.0, 0.0, -1.0], [0.5, 1.0, 0.5]], axis=1)  # (3 taps, 3 kernels)
layer = ss.Conv(kernels[:, None, :], channel_names=("a1", "a2", "a3"), ndim=1)
L = layer.to_matrix((n, 1))  # input: 6 samples, 1 channel
xs = rng.normal(size=(n, 1))
assert np.allclose(L @ xs.ravel(), layer(xs).ravel())
by_channel = L.toarray().reshape(m, 3, n).transpose(1, 0, 2).reshape(3 * m, n)
stacked = np.vstack([ss.toeplitz(kernels[:, o], n, format="dense") for o in range(3)])
assert np.array_equal(by_channel, stacked)
print(f"3 kernels: matrix {L.shape}, {ss.ops.linear.parameter_count(layer, (n, 1)).shared} weights")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7, 4.4), layout="constrained")
ss.plot.matrix(L, ax=ax1, structure=matrix_structure(layer, (n, 1)))
ax1.set_title("rows: (sample, channel)", fontsize="small")
ss.plot.matrix(by_channel, ax=ax2)
for r in (m, 2 * m):
    ax2.axhline(r - 0.5, color="tab:red", lw=1.5)
for k in range(3):
    ax2.text(n - 0.4, k * m + (m - 1) / 2, f" $a^{{({k + 1})}}$", va="center", fontsize="small")
ax2.set_title("rows sorted by channel: 3 Toeplitz", fontsize="small")
for ax in (ax1, ax2):
    ax.set_xlabel("input sample")
    ax.set_ylabel("matrix row")
fig.savefig(os.path.join(OUT, "dense_to_toeplitz_channels.png"), dpi=100)
