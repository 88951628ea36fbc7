"""
The dimensionality table
========================

The lecture ends with a table: a signal is a function from a domain Ω to c
channels, and datasets differ by both.

* audio: Ω is 1-D (time); c = 1 (mono), 2 (stereo), 6 (Dolby 5.1)...
* images: Ω is 2-D (pixels); c = 1 (gray), 3 (colour), 20 (hyperspectral)...
* special relativity: Ω = ℝ⁴ × ℝ⁴ (space-time × four-momentum); with c = 1
  the signal is a Hamiltonian.

In signalspace each row of that table is a registered **domain adapter**,
and every adapter describes itself: its axes, its channel layouts, its typical
channel counts, and an example signal.  So the table is not typed by hand: it
is read from the registry, and an adapter you add (see the next example) gets
its own row.
"""

# %%
# Reading the registry
# --------------------
# ``ss.domains.available()`` lists the kinds, ``ss.domains.get(kind)`` returns
# the adapter.  From each we take the axis names and units of its example
# signal, and the channel counts of its named layouts (a layout with no fixed
# channel names, such as hyperspectral bands, takes any number).
import os
import textwrap

import matplotlib.pyplot as plt

import signalspace as ss

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)


def describe_axes(adapter):
    """The product of the axes, with units, from the adapter's example signal when it has one."""
    try:
        axes = adapter.example().domain.axes
    except ss.domains.AdapterNotSupportedError:
        return " × ".join(adapter.axis_names)
    groups = []  # consecutive axes sharing a unit: [[unit, names...], ...]
    for axis in axes:
        if groups and groups[-1][0] == axis.unit:
            groups[-1].append(axis.name)
        else:
            groups.append([axis.unit, axis.name])
    return " × ".join(" × ".join(names) + (f" ({unit})" if unit else "") for unit, *names in groups)


def describe_channels(adapter):
    """'count (layout)' for each named layout; 'any' for layouts of free size."""
    parts = []
    for layout, names in adapter.layouts.items():
        count = str(len(names)) if names else "any"
        parts.append(f"{count} ({layout})")
    return ", ".join(parts)


rows = []
for kind in ss.domains.available():
    adapter = ss.domains.get(kind)
    rows.append(
        {
            "kind": kind,
            "domain": adapter.dimensionality,
            "axes": describe_axes(adapter),
            "channels c": describe_channels(adapter),
            "typical c": ", ".join(map(str, adapter.typical_channels)),
        }
    )

header = list(rows[0])
widths = [max(len(h), *(len(r[h]) for r in rows)) for h in header]
print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
for r in rows:
    print("  ".join(r[h].ljust(w) for h, w in zip(header, widths, strict=True)))

# %%
# Checking the lecture's channel counts
# -------------------------------------
# Each count the lecture names must be one the adapter can represent: a layout
# with exactly that many channels, or a layout of free size.
lecture = {"audio": (1, 2, 6), "image": (1, 3, 20), "phasespace": (1,)}
for kind, counts in lecture.items():
    adapter = ss.domains.get(kind)
    sizes = {len(names) for names in adapter.layouts.values() if names}
    free = [layout for layout, names in adapter.layouts.items() if not names]
    for c in counts:
        how = f"layout {adapter.layout_for(c)!r}" if c in sizes else f"free-size layout {free[0]!r}"
        assert c in sizes or free, f"{kind} cannot hold {c} channels"
        print(f"{kind:>10}: c = {c:<2} -> {how}")

# %%
# The table as a figure
# ---------------------
# The same rows, drawn with :meth:`matplotlib.axes.Axes.table` (long cells are
# wrapped to their column's width).
columns = {"kind": 11, "domain": 20, "axes": 24, "channels c": 26, "typical c": 9}  # characters per line
cells = [[textwrap.fill(r[h], width=w, break_long_words=False) for h, w in columns.items()] for r in rows]
lines = [max(c.count("\n") + 1 for c in row) for row in cells]
fig_height = 0.9 + 0.2 * (1 + sum(lines))
fig, ax = plt.subplots(figsize=(8, fig_height))
ax.axis("off")
total = sum(columns.values())
table = ax.table(cellText=cells, colLabels=list(columns), loc="upper center", cellLoc="left", colLoc="left",
                 colWidths=[w / total for w in columns.values()], bbox=[0, 0, 1, 1])
table.auto_set_font_size(False)
table.set_fontsize(8)
unit = 1.0 / (1 + sum(lines))  # axes fraction per text line
for (r, _), cell in table.get_celld().items():
    cell.set_height(unit * (1 if r == 0 else lines[r - 1]))
    if r == 0:
        cell.set_text_props(weight="bold")
        cell.set_facecolor("0.9")
ax.set_title("domains Ω and channels c of the registered adapters", fontsize="medium")
fig.subplots_adjust(left=0.02, right=0.98, top=1 - 0.45 / fig_height, bottom=0.05 / fig_height)
fig.savefig(os.path.join(OUT, "dimensionality_table.png"), dpi=110)
