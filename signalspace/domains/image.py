"""Images: 2-D signals on (row, col) pixel axes, gray to hyperspectral, via scikit-image.

A :class:`~signalspace.Signal` of kind ``"image"`` has axes ``("row", "col")``
(unit ``"px"`` unless a physical ``spacing`` is given) and channels last, as
scikit-image's ``channel_axis=-1``.  Layouts: ``gray`` (one channel),
``rgb`` (R, G, B), ``rgba`` (R, G, B, A) and ``hyperspectral`` (bands
``b0, b1...`` with their wavelengths in nm in ``channels.coords``).

Files are read with ``skimage.io.imread`` and written with
``skimage.io.imsave``; TIFF (any dtype, any number of channels) directly with
tifffile, which scikit-image uses for it, telling it where the channels are.  :func:`sample` serves the test images that
scikit-image ships inside its package (:data:`SAMPLES`); it never downloads.

Examples
--------
>>> import signalspace as ss
>>> img = ss.image.sample("astronaut")
>>> img.shape, img.channels.layout, img.domain.names
((512, 512, 3), 'rgb', ('row', 'col'))
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._errors import FileFormatError, InvalidParameterError, InvalidTypeError, ShapeError, UnknownNameError
from .._io import as_path, atomic_path, existing_file, signals_deferred
from .._validation import check_budget, describe, finite_float, nbytes, per_axis, unmasked
from ..domain import Axis, Channels, Domain
from ..signal import Signal, is_lazy
from .base import DomainAdapter, forward

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
#: Formats whose writers may change an image (GIF's palette quantizes colours, WebP has no gray mode, BMP drops
#: alpha): a save reads the file back and refuses it unless it is exactly what was meant.  JPEG is lossy by design.
_VERIFIED = {".gif", ".webp", ".bmp"}
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
    array = arr if lazy else np.asarray(unmasked(arr, "arr"))
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
    _check_pixels_budget(p, p.suffix.lower())
    try:
        arr = _read_pixels(p, p.suffix.lower())
    except Exception as exc:  # imageio/PIL/tifffile raise many types
        raise FileFormatError(f"cannot read image file {str(p)!r}: {exc}") from exc
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise FileFormatError(
            f"image file {str(p)!r} holds an array of shape {arr.shape}, not a 2-D image (rows, cols[, channels])"
        )
    signal = from_array(arr, spacing=spacing, layout=layout, wavelengths=wavelengths)
    return signal.replace(attrs={"source": str(p)})


def _check_pixels_budget(path: Any, ext: str) -> None:
    """Refuse, from the header alone, an image whose pixels need more than the memory budget (a PNG of 80 KB can
    declare 9 000 x 9 000 pixels).  A header the decoders cannot parse is left to :func:`load` to report."""
    try:
        if ext in _TIFF:
            import tifffile

            with tifffile.TiffFile(path) as tif:
                series = tif.series[0]
                shape, dtype = series.shape, series.dtype
        else:
            from PIL import Image

            with Image.open(path) as im:
                bands = len(im.getbands()) if im.mode not in ("P", "PA") else 4  # palettes decode to RGB(A)
                bits = 16 if im.mode.startswith("I;16") else 32 if im.mode in ("I", "F") else 8
                shape, dtype = (getattr(im, "n_frames", 1), im.height, im.width, bands), np.dtype(f"u{bits // 8}")
    except Exception:
        return
    check_budget(nbytes(shape, dtype), None, f"the {' x '.join(map(str, shape))} {dtype} pixels of {str(path)!r}",
                 None, "downscale it with another tool first")


def _read_pixels(path: Any, ext: str) -> np.ndarray:
    """The pixel array of an image file (TIFF through tifffile, with its complaints; others through imageio)."""
    if ext in _TIFF:
        import tifffile  # directly: imageio's TIFF reader swaps the axes of some 2-channel images

        with _tifffile_complaints() as complaints:
            arr = tifffile.imread(path)
            _check_tiff_strips(path)
        if complaints:
            raise FileFormatError(f"the file is corrupt (tifffile: {'; '.join(dict.fromkeys(complaints))})")
        return arr
    # identify the file with Pillow first: imageio leaks an open file when no plug-in recognizes it
    from PIL import Image
    from skimage import io

    with Image.open(path):
        pass
    arr = io.imread(str(path))
    if ext == ".gif":  # frames first, also for a still image
        if arr.shape[0] != 1:
            raise FileFormatError(f"the GIF is an animation of {arr.shape[0]} frames, not one image")
        arr = arr[0]
    return arr


@contextlib.contextmanager
def _tifffile_complaints() -> Iterator[list[str]]:
    """Collect what tifffile logs (its way of reporting a damaged file it still reads) in this thread."""
    thread = threading.get_ident()
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == thread:
                found.append(record.getMessage())

    logger = logging.getLogger("tifffile")
    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _check_tiff_strips(path: Any) -> None:
    """Refuse an uncompressed TIFF whose data byte counts disagree with its size and bit depth.

    A flipped BitsPerSample (8 -> 1) otherwise reads as a boolean image of the same shape.
    """
    import tifffile

    with tifffile.TiffFile(path) as tif:
        for page in tif.pages:
            if page.compression != 1 or page.is_tiled or (page.bitspersample < 8 and page.samplesperpixel > 1):
                continue  # compressed, tiled, or packed bits of several samples: writers round those rows differently
            rows, cols, samples, bits = page.imagelength, page.imagewidth, page.samplesperpixel, page.bitspersample
            if page.planarconfig == 1:
                expected = rows * -(-cols * samples * bits // 8)
            else:
                expected = samples * rows * -(-cols * bits // 8)
            stored = int(sum(page.databytecounts))
            if stored != expected:
                raise FileFormatError(
                    f"the file is corrupt: page {page.index} stores {stored} bytes of uncompressed pixels, but "
                    f"{rows}x{cols} pixels of {samples} samples at {bits} bits take {expected}"
                )


def save(signal: Signal, path: str | os.PathLike[str]) -> None:
    """Write an image Signal with ``skimage.io.imsave``, atomically.

    Conversions are explicit: PNG/BMP/GIF/WEBP and JPEG store 8-bit pixels
    (PNG also 16-bit); float values must lie in [0, 1] and are converted with
    ``skimage.util.img_as_ubyte``, booleans become 0/255.  TIFF stores the
    values unchanged (any dtype, any channel count).  PNG and the others need
    1, 3 or 4 channels.  JPEG is lossy (imageio's default quality); WebP is
    written lossless.  GIF, WebP and BMP files are read back before they
    replace the target: an image they cannot hold exactly (more than 256
    colours in a GIF, gray in WebP, alpha in BMP) is refused, never changed.

    Parameters
    ----------
    signal : Signal
        Two axes (row, col).
    path : str or os.PathLike
        Destination; the format comes from the extension.

    Raises
    ------
    InvalidParameterError
        Float values outside [0, 1], a channel count the format cannot store, or
        an image a GIF, WebP or BMP file would change.
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

    with atomic_path(target) as tmp, signals_deferred():  # one write: a signal is acted on when it ends
        try:
            if ext in _TIFF:
                _write_tiff(tmp, data, signal.channels.layout)
            elif ext == ".webp":
                import imageio.v3 as iio

                iio.imwrite(tmp, data, lossless=True, exact=True)  # Pillow's default WebP is lossy
            else:
                io.imsave(str(tmp), data, check_contrast=False)
            if ext in _VERIFIED:
                _verify(tmp, ext, data)
        except (InvalidParameterError, FileFormatError):
            raise
        except Exception as exc:
            raise FileFormatError(f"cannot write image file {str(target)!r}: {exc}") from exc


def _verify(path: Any, ext: str, data: np.ndarray) -> None:
    """Refuse a write that does not read back as ``data`` (see :data:`_VERIFIED`)."""
    back = _read_pixels(path, ext)
    if back.shape != data.shape or back.dtype != data.dtype or not np.array_equal(back, data):
        raise InvalidParameterError(
            f"a {ext} file cannot hold this image exactly: it reads back with shape {back.shape} and dtype "
            f"{back.dtype}{'' if back.shape != data.shape else ', other values'} instead of {data.shape} "
            f"{data.dtype}; save it as .png (8 or 16 bits) or .tif (any dtype) instead"
        )


def _write_tiff(path: Any, data: np.ndarray, layout: str | None) -> None:
    """tifffile with the channels said, not guessed (a 4-pixel-wide gray image is not RGBA, 2 channels not 2 pages)."""
    import tifffile

    if data.dtype == bool and data.ndim == 3:
        raise InvalidParameterError(
            f"a TIFF of {data.shape[-1]} boolean channels does not read back as written (tifffile packs the bits of "
            "several samples differently from how it reads them); save signal.astype(np.uint8), or as .nc/.zarr"
        )
    rgb = layout in ("rgb", "rgba") and data.ndim == 3
    tifffile.imwrite(path, data, photometric="rgb" if rgb else "minisblack",
                     planarconfig="contig" if data.ndim == 3 else None)


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
        return forward(load, path, **kwargs)

    def save(self, signal: Signal, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """See :func:`signalspace.domains.image.save`."""
        forward(save, signal, path, **kwargs)

    def from_array(self, values: Any, *args: Any, **kwargs: Any) -> Signal:
        """See :func:`signalspace.domains.image.from_array`."""
        return from_array(values, *args, **kwargs)

    def example(self) -> Signal:
        """A 16 × 24 RGB gradient (uint8)."""
        rows, cols = np.mgrid[0:16, 0:24]
        rgb = np.stack([rows * 16, cols * 10, (rows + cols) * 6], axis=-1).astype(np.uint8)
        return from_array(rgb)
