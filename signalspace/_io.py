"""File helpers shared by the adapters: path checks and atomic writes.

A save never leaves a partial file behind: the data go to a temporary file in
the destination's directory (same file system, same extension so that format
detection by suffix keeps working), which then replaces the destination with
:func:`os.replace` (atomic on POSIX and Windows).  On any failure the temporary
file is removed and the destination is left as it was.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._errors import FileFormatError, InvalidTypeError
from ._validation import describe

__all__ = ["as_path", "atomic_path", "existing_file"]


def as_path(path: Any, name: str = "path") -> Path:
    """Return ``path`` (str or os.PathLike) as a :class:`~pathlib.Path`, or raise naming ``name``.

    Examples
    --------
    >>> from signalspace._io import as_path
    >>> as_path("melody.wav").suffix
    '.wav'
    """
    if isinstance(path, (bytes, bytearray)) or not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"{name} must be a str or os.PathLike, got {describe(path)}")
    text = os.fspath(path)
    if not text:
        raise InvalidTypeError(f"{name} must be a non-empty path, got ''")
    return Path(text)


def existing_file(path: Any, name: str = "path") -> Path:
    """Return ``path`` as a Path after checking it is an existing regular file.

    Raises :class:`~signalspace.FileFormatError` naming the path otherwise.
    """
    p = as_path(path, name)
    if not p.exists():
        raise FileFormatError(f"{name} {str(p)!r} does not exist")
    if not p.is_file():
        raise FileFormatError(f"{name} {str(p)!r} is not a regular file")
    return p


@functools.cache
def _default_mode() -> int:
    # the permissions open() would give a new file under the current umask; reading the umask means
    # setting it, so do it once (not from every saving thread)
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: Any, name: str = "path") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary file has the same suffix as ``path`` (writers that pick the
    format from the extension see the right one).  If the block raises, the
    temporary file is deleted and the exception propagates; ``path`` is not
    touched.

    Examples
    --------
    >>> import os, tempfile
    >>> from signalspace._io import atomic_path
    >>> target = os.path.join(tempfile.mkdtemp(), "note.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> from pathlib import Path
    >>> Path(target).read_text()
    'hello'
    """
    target = as_path(path, name)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileFormatError(f"cannot write {name} {str(target)!r}: directory {str(directory)!r} does not exist")
    if target.is_dir():
        raise FileFormatError(f"cannot write {name} {str(target)!r}: it is a directory")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=directory)
    except OSError as exc:
        raise FileFormatError(f"cannot write {name} {str(target)!r}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            mode = (target.stat().st_mode & 0o7777) if target.exists() else _default_mode()
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except OSError as exc:
            raise FileFormatError(f"cannot write {name} {str(target)!r}: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
