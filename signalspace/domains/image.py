"""Images: 2-D signals on (row, col) pixel axes, gray to hyperspectral, via scikit-image.

A :class:`~signalspace.Signal` of kind ``"image"`` has axes ``("row", "col")``
(unit ``"px"`` unless a physical ``spacing`` is given) and channels last, as
scikit-image's ``channel_axis=-1``.  Layouts: ``gray`` (one channel),
``rgb`` (R, G, B), ``rgba`` (R, G, B, A) and ``hyperspectral`` (bands
``b0, b1...`` with their wavelengths in nm in ``channels.coords``).

Files are read with ``skimage.io.imread`` and written with
``skimage.io.imsave``.  :func:`sample` serves the test images that
scikit-image ships inside its package (:data:`SAMPLES`); it never downloads.

Examples
--------
>>> import signalspace as ss
>>> img = ss.image.sample("astronaut")
>>> img.shape, img.channels.layout, img.domain.names
((512, 512, 3), 'rgb', ('row', 'col'))
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import FileFormatError, InvalidParameterError, InvalidTypeError, ShapeError, UnknownNameError
from .._io import as_path, atomic_path, existing_file
from .._validation import describe, finite_float, per_axis
from ..domain import Axis, Channels, Domain
from ..signal import Signal, is_lazy
from .base import DomainAdapter

__all__ = ["EXTENSIONS", "KIND", "LAYOUTS", "SAMPLES", "ImageAdapter", "from_array", "load", "sample", "save"]

KIND = "image"

#: Channel layouts: name -> channel names (hyperspectral bands are named b0, b1... per image).
LAYOUTS: dict[str, tuple[str, ...]] = {
    "gray": ("gray",),
    "rgb": ("R", "G", "B"),
    "rgba": ("R", "G", "B", "A"),
    "hyperspectral": (),
}

#: Extensions this adapter claims.
EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp")

#: Sample images bundled inside the scikit-image package: name -> file in ``skimage.data``'s directory.
#: Only these are served; the other ``skimage.data`` names need a download and are refused.
SAMPLES: dict[str, str] = {
    "astronaut": "astronaut.png",
    "brick": "brick.png",
    "camera": "camera.png",
    "cell": "cell.png",
    "checkerboard": "chessboard_GRAY.png",
    "chelsea": "chelsea.png",
    "clock": "clock_motion.png",
    "coffee": "coffee.png",
    "coins": "coins.png",
    "colorwheel": "color.png",
    "grass": "grass.png",
    "gravel": "gravel.png",
    "horse": "horse.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "immunohistochemistry": "ihc.png",
    "logo": "logo.png",
    "microaneurysms": "microaneurysms.png",
    "moon": "moon.png",
    "page": "page.png",
    "retina": "retina.jpg",
    "rocket": "rocket.jpg",
    "shepp_logan_phantom": "phantom.png",
    "text": "text.png",
}

_LOSSLESS_8BIT = {".png", ".bmp", ".gif", ".webp"}
_TIFF = {".tif", ".tiff"}


def _check_wavelengths(wavelengths: Any, c: int) -> tuple[float, ...]:
    if isinstance(wavelengths, (str, bytes)) or not isinstance(wavelengths, (Sequence, np.ndarray)):
        raise InvalidTypeError(f"wavelengths must be a sequence of numbers (nm), got {describe(wavelengths)}")
    values = tuple(finite_float(w, f"wavelengths[{i}]", positive=True) for i, w in enumerate(wavelengths))
    if len(values) != c:
        raise ShapeError(f"wavelengths must give one value per channel ({c}), got {len(values)}")
    return values


def _channels(layout: Any, c: int, wavelengths: Any) -> Channels:
    waves = None if wavelengths is None else _check_wavelengths(wavelengths, c)
    if layout is None:
        if waves is not None and c not in (1, 3, 4):
            layout = "hyperspectral"
        else:
            layout = {1: "gray", 3: "rgb", 4: "rgba"}.get(c, "hyperspectral" if waves is not None else None)
    if isinstance(layout, Channels):
        channels = layout
        if waves is not None:
            raise InvalidParameterError("give wavelengths inside the Channels (coords) or as wavelengths=, not both")
    elif layout is None:
        channels = Channels.generic(c, prefix="c")
    elif isinstance(layout, str):
        if layout not in LAYOUTS:
            raise UnknownNameError(
                f"layout must be one of {', '.join(map(repr, LAYOUTS))} (or a Channels), got {layout!r}"
            )
        if layout == "hyperspectral":
            if waves is None:
                raise InvalidParameterError("layout 'hyperspectral' needs wavelengths= (one per band, in nm), got none")
            names: tuple[str, ...] = tuple(f"b{i}" for i in range(c))
        else:
            names = LAYOUTS[layout]
        if len(names) != c:
            raise ShapeError(f"layout {layout!r} has {len(names)} channels {list(names)}, but the image has {c}")
        coords = {} if waves is None else {"wavelength": waves}
        units = {} if waves is None else {"wavelength": "nm"}
        return Channels(names, layout=layout, coords=coords, units=units)
    else:
        raise InvalidTypeError(f"layout must be a layout name, a Channels or None, got {describe(layout)}")
    if len(channels) != c:
        raise ShapeError(f"channels name {len(channels)} channels {list(channels.names)}, but the image has {c}")
    return channels


def from_array(
    arr: Any,
    channel_axis: int | None = -1,
    spacing: float | Sequence[float] | None = None,
    layout: str | Channels | None = None,
    wavelengths: Sequence[float] | None = None,
    *,
    unit: str | None = None,
) -> Signal:
    """An image Signal from an array.

    Parameters
    ----------
    arr : array_like
        ``(rows, cols)`` for one channel, or 3-D with the channels on
        ``channel_axis``.  Copied (dask arrays stay lazy).
    channel_axis : int or None, default -1
        Axis of a 3-D ``arr`` holding the channels (scikit-image's
        convention); None means ``arr`` is a 2-D single-channel image.
    spacing : float or (float, float), optional
        Physical size of a pixel along (row, col); default 1 pixel.
    layout : str or Channels, optional
        ``"gray"``, ``"rgb"``, ``"rgba"``, ``"hyperspectral"``; by default
        inferred from the channel count (1, 3, 4; other counts are
        hyperspectral when ``wavelengths`` is given, else ``c0, c1...``).
    wavelengths : sequence of float, optional
        Centre wavelength of each channel in nm (stored in ``channels.coords``).
    unit : str, optional
        Unit of the axes: ``"px"`` by default, ``""`` when ``spacing`` is given
        without a unit.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> cube = np.zeros((5, 4, 3))
    >>> x = ss.image.from_array(cube, wavelengths=[450, 550, 650], layout="hyperspectral", spacing=0.5, unit="mm")
    >>> x.channels.coords["wavelength"], x.domain["col"].step, x.domain["col"].unit
    ((450.0, 550.0, 650.0), 0.5, 'mm')
    >>> ss.image.from_array(np.zeros((3, 8, 6)), channel_axis=0).channels.names
    ('R', 'G', 'B')
    """
    lazy = is_lazy(arr)
    array = arr if lazy else np.asarray(arr)
    if array.size == 0:
        raise ShapeError(f"arr must contain pixels, got an empty array of shape {tuple(array.shape)}")
    if channel_axis is None or array.ndim == 2:
        if array.ndim != 2:
            raise ShapeError(f"arr must be 2-D (rows, cols) when channel_axis is None, got shape {tuple(array.shape)}")
        pixels = array[..., np.newaxis]
    else:
        if array.ndim != 3:
            raise ShapeError(
                f"arr must have shape (rows, cols) or 3 axes with channels on channel_axis={channel_axis}, "
                f"got shape {tuple(array.shape)}"
            )
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, (int, np.integer)):
            raise InvalidTypeError(f"channel_axis must be an integer or None, got {describe(channel_axis)}")
        if not -3 <= channel_axis < 3:
            raise InvalidParameterError(f"channel_axis must be in -3..2 for a 3-D array, got {channel_axis}")
        pixels = (
            np.moveaxis(array, int(channel_axis), -1)
            if not lazy
            else array.transpose(*[i for i in range(3) if i != int(channel_axis) % 3], int(channel_axis) % 3)
        )
    rows, cols, c = pixels.shape
    steps = (
        (1.0, 1.0)
        if spacing is None
        else per_axis(spacing, 2, "spacing", lambda v, n: finite_float(v, n, positive=True))
    )
    if unit is None:
        unit = "px" if spacing is None else ""
    elif not isinstance(unit, str):
        raise InvalidTypeError(f"unit must be a string, got {describe(unit)}")
    channels = _channels(layout, c, wavelengths)
    domain = Domain((Axis("row", rows, step=steps[0], unit=unit), Axis("col", cols, step=steps[1], unit=unit)), KIND)
    values = pixels if lazy else np.array(pixels, copy=True, order="C")
    return Signal(values, domain, channels)


def load(
    path: str | os.PathLike[str],
    *,
    spacing: float | Sequence[float] | None = None,
    layout: str | Channels | None = None,
    wavelengths: Sequence[float] | None = None,
) -> Signal:
    """Read an image file with ``skimage.io.imread``.

    Parameters
    ----------
    path : str or os.PathLike
        PNG, JPEG, TIFF, BMP... (whatever imageio reads).  A 3-D array from
        the file is read as ``(rows, cols, channels)``.
    spacing, layout, wavelengths
        As in :func:`from_array`.

    Raises
    ------
    FileFormatError
        Missing, unreadable or corrupt file, or one that is not a 2-D image.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import signalspace as ss
    >>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
    >>> ss.image.save(ss.image.from_array(np.full((4, 5), 7, dtype=np.uint8)), path)
    >>> x = ss.image.load(path)
    >>> x.shape, x.channels.layout, int(x.values.max())
    ((4, 5, 1), 'gray', 7)
    """
    p = existing_file(path)
    from skimage import io

    try:
        if p.suffix.lower() not in _TIFF:
            # identify the file with Pillow first: imageio leaks an open file when no plug-in recognizes it
            from PIL import Image

            with Image.open(p):
                pass
        arr = io.imread(str(p))
    except Exception as exc:  # imageio/PIL/tifffile raise many types
        raise FileFormatError(f"cannot read image file {str(p)!r}: {exc}") from exc
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise FileFormatError(
            f"image file {str(p)!r} holds an array of shape {arr.shape}, not a 2-D image (rows, cols[, channels])"
        )
    signal = from_array(arr, spacing=spacing, layout=layout, wavelengths=wavelengths)
    return signal.replace(attrs={"source": str(p)})


def save(signal: Signal, path: str | os.PathLike[str]) -> None:
    """Write an image Signal with ``skimage.io.imsave``, atomically.

    Conversions are explicit: PNG/BMP/GIF/WEBP and JPEG store 8-bit pixels
    (PNG also 16-bit); float values must lie in [0, 1] and are converted with
    ``skimage.util.img_as_ubyte``, booleans become 0/255.  TIFF stores the
    values unchanged (any dtype, any channel count).  PNG and the others need
    1, 3 or 4 channels.  JPEG is lossy (imageio's default quality).

    Parameters
    ----------
    signal : Signal
        Two axes (row, col).
    path : str or os.PathLike
        Destination; the format comes from the extension.

    Raises
    ------
    InvalidParameterError
        Float values outside [0, 1], or a channel count the format cannot store.
    FileFormatError
        Unknown extension or a write error (no file is left behind).

    Examples
    --------
    >>> import os, tempfile
    >>> import signalspace as ss
    >>> path = os.path.join(tempfile.mkdtemp(), "coins.png")
    >>> ss.image.save(ss.image.sample("coins"), path)
    >>> ss.image.load(path).shape
    (303, 384, 1)
    """
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    if signal.ndim != 2:
        raise ShapeError(f"signal must have 2 axes (row, col) to be saved as an image, got {signal.domain.names}")
    target = as_path(path)
    ext = target.suffix.lower()
    if ext not in EXTENSIONS:
        raise FileFormatError(
            f"cannot tell the image format of path {str(target)!r}; use one of {', '.join(EXTENSIONS)}"
        )
    data = np.asarray(signal)
    c = data.shape[-1]
    if ext not in _TIFF:
        if c not in (1, 3, 4):
            raise InvalidParameterError(
                f"a {ext} file stores 1, 3 or 4 channels; the signal has {c} {list(signal.channels.names)[:6]}: "
                "save it as .tif instead"
            )
        data = _to_storable(data, ext)
    if c == 1:
        data = data[..., 0]
    from skimage import io

    with atomic_path(target) as tmp:
        try:
            io.imsave(str(tmp), data, check_contrast=False)
        except (InvalidParameterError, FileFormatError):
            raise
        except Exception as exc:
            raise FileFormatError(f"cannot write image file {str(target)!r}: {exc}") from exc


def _to_storable(data: np.ndarray, ext: str) -> np.ndarray:
    from skimage.util import img_as_ubyte

    if data.dtype == np.uint8 or (data.dtype == np.uint16 and ext == ".png"):
        return data
    if data.dtype == bool:
        return img_as_ubyte(data)
    if data.dtype.kind == "f":
        if not np.isfinite(data).all() or data.min() < 0 or data.max() > 1:
            raise InvalidParameterError(
                f"float pixel values must lie in [0, 1] to be saved as {ext} (8-bit); got range "
                f"[{np.nanmin(data)}, {np.nanmax(data)}]: rescale them or save as .tif"
            )
        return img_as_ubyte(data)
    if data.dtype.kind in "iu":
        lo, hi = int(data.min()), int(data.max())
        if lo < 0 or hi > 255:
            raise InvalidParameterError(
                f"integer pixel values must lie in 0..255 to be saved as {ext}, got range [{lo}, {hi}]"
            )
        return data.astype(np.uint8)
    raise InvalidTypeError(f"cannot save pixels of dtype {data.dtype} as {ext}")


def _data_dir() -> str:
    import skimage.data

    return os.path.dirname(skimage.data.__file__)


def sample(name: str) -> Signal:
    """One of the sample images bundled inside scikit-image (never downloaded).

    Parameters
    ----------
    name : str
        A key of :data:`SAMPLES` (``"astronaut"``, ``"camera"``, ``"coins"``...).

    Raises
    ------
    UnknownNameError
        For any other name (including ``skimage.data`` images that need a
        download); the message lists the available names.

    Examples
    --------
    >>> import signalspace as ss
    >>> ss.image.sample("camera").shape
    (512, 512, 1)
    >>> ss.image.sample("cat")
    Traceback (most recent call last):
    ...
    signalspace._errors.UnknownNameError: sample name must be one of ...; got 'cat' ...
    """
    if not isinstance(name, str) or name not in SAMPLES:
        raise UnknownNameError(
            f"sample name must be one of {', '.join(SAMPLES)}; got {describe(name)} "
            "(only the images bundled inside scikit-image are served, nothing is downloaded)"
        )
    path = os.path.join(_data_dir(), SAMPLES[name])
    if not os.path.isfile(path):  # a trimmed scikit-image install: refuse rather than download
        raise FileFormatError(f"sample {name!r} is not bundled in this scikit-image install (no file {path!r})")
    import skimage.data

    arr = getattr(skimage.data, name)()
    return from_array(arr).replace(attrs={"source": f"skimage.data.{name}"})


def _can_open(path: Any) -> bool:
    try:
        p = as_path(path)
        if p.suffix.lower() not in EXTENSIONS or not p.is_file():
            return False
        if p.suffix.lower() in _TIFF:
            # tifffile (what load() and save() use for TIFF) reads float and multi-band files Pillow cannot
            import tifffile

            with tifffile.TiffFile(p) as tif:  # parses the header and the first page only
                return len(tif.pages) > 0
        from PIL import Image

        with Image.open(p):  # reads the header only; a truncated body is reported by load()
            return True
    except Exception:
        return False


class ImageAdapter(DomainAdapter):
    """The ``"image"`` adapter: the module functions behind the adapter interface."""

    kind = KIND
    description = "pictures: rows × cols of pixels, gray to hyperspectral"
    axis_names = ("row", "col")
    layouts = LAYOUTS
    dimensionality = "2-D rows × cols"
    typical_channels = (1, 3, 4, 20)
    extensions = EXTENSIONS
    picture = "image"

    def can_open(self, path: str | os.PathLike[str]) -> bool:
        """True for an existing TIFF that tifffile parses, or PNG/JPEG/... file whose header Pillow recognizes."""
        return _can_open(path)

    def load(self, path: str | os.PathLike[str], **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.image.load`."""
        return load(path, **kwargs)

    def save(self, signal: Signal, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """See :func:`signalspace.domains.image.save`."""
        save(signal, path, **kwargs)

    def from_array(self, values: Any, *args: Any, **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.image.from_array`."""
        return from_array(values, *args, **kwargs)

    def example(self) -> Signal:
        """A 16 × 24 RGB gradient (uint8)."""
        rows, cols = np.mgrid[0:16, 0:24]
        rgb = np.stack([rows * 16, cols * 10, (rows + cols) * 6], axis=-1).astype(np.uint8)
        return from_array(rgb)
