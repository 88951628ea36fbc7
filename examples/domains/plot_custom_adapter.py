"""
Writing your own domain adapter: video
======================================

signalspace knows audio, images and phase space through small **adapters**.
A new kind of data needs only a new adapter: the operators never look at it.
Here we add video, a signal on time × rows × cols with RGB channels, in five
steps:

1. subclass :class:`~signalspace.domains.DomainAdapter` (axes, layouts,
   metadata, ``from_array``, ``example``, file ``load``/``save``, and how
   to draw it);
2. register it, in the script with :func:`signalspace.register_domain`, or in
   a package with an entry point;
3. run the conformance checks that every adapter must pass;
4. convolve a video with the same :class:`signalspace.Conv`, a 3-D kernel over
   time × rows × cols;
5. draw it: :func:`signalspace.plot.plot` asks the adapter.
"""

# %%
# 1. The adapter
# --------------
# Class attributes describe the kind; methods build signals, read and write
# files (here NumPy's ``.npz``, with the frame rate stored beside the pixels)
# and draw the kind.  ``save`` writes to a temporary file and renames it, so a
# failed save leaves nothing behind, and reports failures as a
# :class:`signalspace.SignalspaceError`.  ``plot`` draws a few frames, one
# panel each; it takes ``(signal, ax=None, **kw)``, returns its Axes and never
# calls ``show`` (an adapter may instead name one of the built-in pictures:
# ``picture = "slices"``).
import importlib.metadata
import os
import shutil
import sys
import tempfile
import types
import zipfile
from typing import ClassVar

import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss
from signalspace.domains import DomainAdapter
from signalspace.testing import check_adapter

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)


class VideoAdapter(DomainAdapter):
    """Videos: frames over time, rows × cols of pixels, gray or RGB."""

    kind = "video"
    description = "moving pictures: frames over time"
    axis_names = ("time", "row", "col")
    layouts: ClassVar[dict[str, tuple[str, ...]]] = {"gray": ("gray",), "rgb": ("R", "G", "B")}
    dimensionality = "3-D time × rows × cols"
    typical_channels = (1, 3)
    extensions = (".npz",)

    def from_array(self, values, fps=25.0, layout="rgb"):
        values = np.array(values, copy=True)  # never keep a reference to the caller's array
        if values.ndim == 3:
            values = values[..., None]
        if values.ndim != 4:
            raise ss.ShapeError(f"values must have shape (frames, rows, cols[, channels]), got {values.shape}")
        if not fps > 0:
            raise ss.InvalidParameterError(f"fps must be > 0 frames per second, got {fps!r}")
        n, rows, cols = values.shape[:3]
        domain = ss.Domain(
            [ss.Axis("time", n, step=1 / fps, unit="s"), ss.Axis("row", rows, unit="px"),
             ss.Axis("col", cols, unit="px")],
            kind=self.kind,
        )
        return ss.Signal(values, domain, self.channels(layout))

    def example(self):
        """12 frames of a red square crossing a dark blue background, 32 × 48 px."""
        frames = np.zeros((12, 32, 48, 3), dtype=np.float32)
        frames[..., 2] = 0.3
        for i in range(12):
            frames[i, 10:20, 3 * i : 3 * i + 10] = (1.0, 0.2, 0.1)
        return self.from_array(frames, fps=12.0)

    def can_open(self, path):
        try:
            with np.load(path) as data:
                return {"frames", "fps", "channels"} <= set(data.files)
        except Exception:  # can_open never raises
            return False

    def load(self, path, **kwargs):
        try:
            with np.load(path) as data:
                names = tuple(str(c) for c in data["channels"])
                layout = next((k for k, v in self.layouts.items() if v == names), None)
                return self.from_array(data["frames"], fps=float(data["fps"]), layout=layout or ss.Channels(names))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ss.FileFormatError(f"path {str(path)!r} is not a video .npz file: {exc}") from exc

    def save(self, signal, path, **kwargs):
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ss.FileFormatError(f"path {path!r}: folder {folder!r} does not exist")
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, frames=np.asarray(signal), fps=1 / signal.domain["time"].step,
                         channels=np.array(signal.channels.names))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def plot(self, signal, ax=None, frames=4, **kw):
        n = signal.domain.shape[0]
        picks = np.linspace(0, n - 1, min(frames, n)).round().astype(int)
        if ax is None:
            _, axes = plt.subplots(1, len(picks), figsize=(8, 2.0), layout="constrained")
        else:  # split the given Axes into one panel per frame
            fig, spec = ax.figure, ax.get_subplotspec().subgridspec(1, len(picks))
            ax.remove()
            axes = [fig.add_subplot(spec[0, k]) for k in range(len(picks))]
        axes = np.atleast_1d(axes)
        for panel, i in zip(axes, picks, strict=True):
            ss.plot.image(signal[i], ax=panel, **kw)  # one frame is a 2-D signal
            panel.set_title(f"t = {signal.domain['time'].coords[i]:.3f} s", fontsize="small")
            panel.tick_params(labelsize="x-small")
        for panel in axes[1:]:
            panel.set_ylabel("")
        return axes


# %%
# 2. Registering it
# -----------------
# In a script or a notebook, :func:`signalspace.register_domain` adds it for
# the session; from then on ``ss.domains.get("video")`` finds it, and the
# dimensionality table of the previous example would get a row for it.
ss.register_domain(VideoAdapter)
print(ss.domains.available())
print(ss.domains.get("video"))

# %%
# A package declares it once in its ``pyproject.toml`` instead, and every
# program that imports signalspace finds it (discovery is cached; a plug-in
# that fails to import only produces a warning):
ENTRY_POINT = """
[project.entry-points."signalspace.domains"]
video = "mypackage.video:VideoAdapter"
"""
print(ENTRY_POINT)

# %%
# The same discovery, for real: an installed distribution is a ``*.dist-info``
# folder on ``sys.path`` with an ``entry_points.txt``.  We write one into a
# temporary folder.  A package would ship the module ``videoplugin`` too; here
# the class lives in this script, so we hand it to Python's import system under
# that name.  Then the registry finds "video" through the entry point alone.
ss.domains.unregister_domain("video")  # forget the notebook registration first
site = tempfile.mkdtemp()
dist_info = os.path.join(site, "videoplugin-1.0.dist-info")
os.makedirs(dist_info)
with open(os.path.join(dist_info, "METADATA"), "w") as fh:
    fh.write("Metadata-Version: 2.1\nName: videoplugin\nVersion: 1.0\n")
with open(os.path.join(dist_info, "entry_points.txt"), "w") as fh:
    fh.write('[signalspace.domains]\nvideo = videoplugin:VideoAdapter\n')
plugin_module = types.ModuleType("videoplugin")
plugin_module.VideoAdapter = VideoAdapter
sys.modules["videoplugin"] = plugin_module
sys.path.insert(0, site)
ss.domains.refresh()  # discovery is cached: look again
print(importlib.metadata.version("videoplugin"), ss.domains.available())
assert isinstance(ss.domains.get("video"), VideoAdapter)
sys.path.remove(site)  # the discovered adapter stays in the registry's cache; the folder is no longer needed

# %%
# 3. The conformance checks
# -------------------------
# :func:`~signalspace.testing.check_adapter` runs the contract
# every adapter keeps: metadata types, ``can_open`` never raising, signals of
# the right kind and axes, a save → load round trip, and a failed save that
# leaves no file.  It raises on the first broken rule and otherwise reports
# what it checked.
report = check_adapter(ss.domains.get("video"))
for check, result in report.items():
    print(f"{check:>12}: {result}")
assert all(result == "passed" for result in report.values())

# %%
# 4. The same convolution, in three dimensions
# --------------------------------------------
# A kernel with 3 spatial axes filters time × rows × cols.  Here, per colour
# channel (a bare kernel with as many axes as the video has: depthwise, the
# same on every channel): a temporal difference (frame minus the
# previous frame) times a small spatial blur, which lights up what moves.  The
# output is still a ``"video"`` signal: 'valid' padding removes one frame, and
# the output's time axis starts half a frame later, between the two frames it
# compares.
video = ss.domains.get("video").example()
spatial = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
motion_kernel = np.stack([-spatial, spatial])  # (2 frames, 3 rows, 3 cols)
motion = ss.Conv(motion_kernel, padding=[(0, 0), (1, 1), (1, 1)])(video)
print(video.domain, "->", motion.domain)
assert motion.kind == "video" and motion.domain["time"].origin == video.domain["time"].step / 2

# %%
# 5. Drawing it
# -------------
# :func:`signalspace.plot.plot` (and ``Signal.plot``) asks the adapter of the
# signal's kind: the video adapter's ``plot`` shows a few frames, where a kind
# without a picture of its own would be drawn as 2-D slices of its 3 axes.
fig = plt.figure(figsize=(8, 4.2), layout="constrained")
top, bottom = fig.subfigures(2, 1)
video.plot(ax=top.subplots())
top.suptitle("the example video (RGB)", fontsize="medium")
moving = ss.Signal(np.abs(np.asarray(motion)).sum(axis=-1), motion.domain, ss.Channels(("motion",)))
moving.plot(ax=bottom.subplots(), cmap="magma", colorbar=False)
bottom.suptitle("|temporal difference| summed over R, G, B: where the square moves", fontsize="medium")
fig.savefig(os.path.join(OUT, "custom_adapter_video.png"), dpi=100)

# %%
# Clean up: the plug-in's module and folder; the registry forgets "video" at
# its next look.
del sys.modules["videoplugin"]
shutil.rmtree(site)
ss.domains.refresh()
assert "video" not in ss.domains.available()
