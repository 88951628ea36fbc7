"""
A linear layer as alignment
===========================

A layer of a neural network computes ``z = A x`` (biases left out) before its
non-linearity.  The lecture reads this product two ways:

* **by rows**: ``z_i = a_i · x`` measures how well the input ``x`` *aligns*
  with the direction of row ``a_i``.  In two dimensions, with ``α_i`` the angle
  of ``a_i`` and ``ξ`` the angle of ``x`` (both from the first axis)::

      z_i = |a_i| |x| cos(ξ − α_i)

  largest when ``x`` points along ``a_i`` (ξ = α_i), zero when it is
  perpendicular, most negative when it points the other way (ξ − α_i = π).
  A layer projects its input on the orientations its rows define.

* **by columns**: ``z = x_1 A[:, 1] + x_2 A[:, 2] + ...``: the output is a
  weighted sum of the columns of ``A``, with the inputs as weights.

:func:`signalspace.ops.linear.alignment` and
:func:`signalspace.ops.linear.column_combination` compute both readings.
"""

# %%
# A layer with three rows in two dimensions
# -----------------------------------------
# Each row of ``A`` is a direction in the input plane.  We build the rows from
# their angles ``α_i`` and lengths ``|a_i|`` so the picture is easy to read, and
# pick an input ``x`` at angle ``ξ = 40°``.
import os

import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)

alpha = np.radians([15.0, 100.0, 215.0])  # directions of the rows
lengths = np.array([1.0, 0.8, 1.2])  # |a_i|
A = lengths[:, None] * np.stack([np.cos(alpha), np.sin(alpha)], axis=1)  # 3 x 2

xi, x_norm = np.radians(40.0), 1.5
x = x_norm * np.array([np.cos(xi), np.sin(xi)])

print("A =\n", np.round(A, 3))
print("x =", np.round(x, 3))

# %%
# Scalar products are alignments
# ------------------------------
# ``alignment`` returns the products ``a_i · x`` (which are ``A @ x``), the
# norms, the cosines and the angles between ``x`` and each row.  The lecture's
# formula ``|a_i| |x| cos(ξ − α_i)`` gives the same numbers.
al = ss.ops.linear.alignment(A, x)
formula = lengths * x_norm * np.cos(xi - alpha)
assert np.allclose(al.products, A @ x)
assert np.allclose(al.products, formula)

print(f"{'row':>3} {'alpha':>7} {'|a_i|':>6} {'angle to x':>10} {'cos':>7} {'z_i':>7}")
for i in range(len(A)):
    print(
        f"{i + 1:>3} {np.degrees(alpha[i]):6.1f}° {al.row_norms[i]:6.2f} {np.degrees(al.angles[i]):9.1f}° "
        f"{al.cosines[i]:7.3f} {al.products[i]:7.3f}"
    )

# %%
# The picture: rows, input, and the projections of ``x``
# -------------------------------------------------------
# Left: the rows (coloured arrows, their lines dashed) and the input (black).
# The dotted segment drops ``x`` onto each row's line; the shaded segment is
# the projection, whose signed length along ``a_i`` is ``|x| cos(ξ − α_i)``
# (negative for ``a_3``: ``x`` points away from it), and ``z_i`` is that
# length times ``|a_i|``.
# Right: each ``z_i`` as the input turns around the circle (``ξ`` from 0 to
# 360°, ``|x|`` fixed).  Each curve is a cosine peaking where ``x`` points
# along its row; the dots are the current input.
colors = ["tab:blue", "tab:orange", "tab:green"]
fig, (ax, ax2) = plt.subplots(1, 2, figsize=(8, 3.9), layout="constrained", gridspec_kw={"width_ratios": [1, 1.25]})
for i, c in enumerate(colors):
    ax.annotate("", xy=A[i], xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": c, "lw": 2})
    ax.text(*(A[i] * 1.15), f"$a_{i + 1}$", color=c, ha="center", va="center")
    u = A[i] / al.row_norms[i]
    foot = (x @ u) * u  # orthogonal projection of x on the line of a_i
    ax.plot(*np.stack([-2 * u, 2 * u]).T, "--", color=c, lw=0.6, alpha=0.6)  # the line of a_i
    ax.plot(*np.stack([x, foot]).T, ":", color=c, lw=1)
    ax.plot(*np.stack([(0, 0), foot]).T, "-", color=c, lw=5, alpha=0.25)
ax.annotate("", xy=x, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": "black", "lw": 2})
ax.text(*(x * 1.08), "$x$", ha="left", va="bottom")
t = np.linspace(0, xi, 30)
ax.plot(0.35 * np.cos(t), 0.35 * np.sin(t), color="black", lw=0.8)
ax.text(0.42 * np.cos(xi / 2), 0.42 * np.sin(xi / 2), "ξ", fontsize="small")
ax.axhline(0, color="0.8", lw=0.8, zorder=0)
ax.axvline(0, color="0.8", lw=0.8, zorder=0)
ax.set_aspect("equal")
ax.set_xlim(-1.6, 1.6)
ax.set_ylim(-1.1, 1.6)
ax.set_xlabel("$x_1$ (input component 1)")
ax.set_ylabel("$x_2$ (input component 2)")
ax.set_title("rows of A and the input x", fontsize="medium")

sweep = np.linspace(0, 2 * np.pi, 361)
X = x_norm * np.stack([np.cos(sweep), np.sin(sweep)])  # 2 x 361 inputs on a circle
Z = A @ X
for i, c in enumerate(colors):
    ax2.plot(np.degrees(sweep), Z[i], color=c, label=f"$z_{i + 1}$, α={np.degrees(alpha[i]):.0f}°")
    ax2.plot(np.degrees(xi), al.products[i], "o", color=c)
    ax2.axvline(np.degrees(alpha[i]), color=c, lw=0.8, ls="--")
ax2.axvline(np.degrees(xi), color="black", lw=1)
ax2.axhline(0, color="0.8", lw=0.8, zorder=0)
ax2.set_xlim(0, 360)
ax2.set_xticks(range(0, 361, 90))
ax2.set_xlabel("input angle ξ (degrees)")
ax2.set_ylabel("$z_i = |a_i||x|\\cos(ξ-α_i)$")
ax2.set_title("outputs as x turns (|x| = 1.5)", fontsize="medium")
ax2.set_ylim(-2.0, 2.6)
ax2.legend(fontsize="x-small", loc="upper center", ncol=3, handlelength=1.2, columnspacing=0.8)
fig.savefig(os.path.join(OUT, "linear_layer_alignment.png"), dpi=100)

# %%
# The same product, column by column
# ----------------------------------
# ``column_combination`` splits ``z`` into the columns of ``A`` scaled by the
# entries of ``x``: ``z = x_1 A[:, 1] + x_2 A[:, 2]``.  Each output bar below
# is the stack of the two contributions; the black dot is their sum ``z_i``.
# The input does not *choose* directions here: it *mixes* the columns.
cc = ss.ops.linear.column_combination(A, x)
assert np.allclose(cc.z, A @ x)
assert np.allclose(cc.weighted_columns.sum(axis=1), cc.z)

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
rows = np.arange(1, len(A) + 1)
pos_base = np.zeros(len(A))
neg_base = np.zeros(len(A))
for j, (c, hatch) in enumerate(zip(["tab:purple", "tab:olive"], ["", "//"], strict=True)):
    part = cc.weighted_columns[:, j]
    base = np.where(part >= 0, pos_base, neg_base)
    ax.bar(rows, part, bottom=base, width=0.5, color=c, hatch=hatch, edgecolor="white",
           label=f"$x_{j + 1} A_{{:,{j + 1}}}$  ($x_{j + 1}$ = {x[j]:.2f})")
    pos_base += np.clip(part, 0, None)
    neg_base += np.clip(part, None, 0)
ax.plot(rows, cc.z, "o", color="black", label="$z = A x$")
ax.axhline(0, color="0.5", lw=0.8)
ax.set_xticks(rows, [f"$z_{i}$" for i in rows])
ax.set_xlabel("output component")
ax.set_ylabel("value")
ax.set_title("z as a weighted sum of the columns of A", fontsize="medium")
ax.legend(fontsize="small", loc="upper right")
fig.savefig(os.path.join(OUT, "linear_layer_columns.png"), dpi=100)
