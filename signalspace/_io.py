"""File helpers shared by the adapters: path checks and safe saves.

How every save works (netCDF, zarr, audio, images, the CLI's outputs):

1. **A temporary file beside the target.**  The data go to
   ``.<name>.ss-<host>-<pid>-<random><suffix>`` in the target's directory (same
   file system; the same extension, so that writers which pick the format from
   the suffix see the right one).  A zarr store is a temporary *directory*
   named the same way.
2. **Symlinks are written through.**  When the target is a symbolic link, the
   file it points to is replaced and the link stays.
3. **Durable, then atomic.**  When the writer is done, the temporary file is
   flushed to disk (``fsync``), given the target's permissions (or the umask's
   for a new file) and renamed onto the target with :func:`os.replace` (atomic
   on POSIX and Windows); the directory is then flushed too.  An existing zarr
   store is first moved aside, then removed.
4. **Nothing partial on failure.**  If anything fails, the temporary file is
   removed and the target is left as it was.
5. **Signals.**  Writers run their long parts inside :func:`signals_deferred`:
   SIGINT (Ctrl-C) and SIGTERM received meanwhile are held until the next
   chunk boundary (or the end of a single write), the save is abandoned, its
   temporary file removed, and then the signal takes its usual course
   (``KeyboardInterrupt``, or the process ends).  :func:`atomic_path` itself
   holds them while it creates the temporary file and while it flushes and
   renames it, so a signal never leaves a temporary file behind.  An interrupted save never
   waits on a lock the interruption left taken (xarray's ``close()`` did).
6. **Leftovers of killed saves.**  A process killed outright (SIGKILL, power
   loss) cannot clean up; its temporary file keeps its recognisable name.  The
   next save to the same target removes every such file whose writing process
   (same host, that pid) no longer runs.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._errors import FileFormatError, InvalidTypeError
from ._validation import describe

__all__ = [
    "SaveInterrupted",
    "as_path",
    "atomic_path",
    "checked_between_tasks",
    "existing_file",
    "os_path",
    "signals_deferred",
    "stale_temporaries",
    "utf8_alias",
]

#: The signals a save holds back until it can stop cleanly.
DEFERRED_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s)


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
    if not isinstance(text, str):
        raise InvalidTypeError(f"{name} must be a str or os.PathLike of str, got {describe(path)}")
    if not text:
        raise InvalidTypeError(f"{name} must be a non-empty path, got ''")
    if "\x00" in text:
        raise FileFormatError(f"{name} {text!r} contains a NUL character, which no file name can hold")
    return Path(text)


def existing_file(path: Any, name: str = "path") -> Path:
    """Return ``path`` as a Path after checking it is an existing regular file.

    Raises :class:`~signalspace.FileFormatError` naming the path otherwise.
    """
    p = as_path(path, name)
    try:
        if not p.exists():
            raise FileFormatError(f"{name} {str(p)!r} does not exist")
        if not p.is_file():
            raise FileFormatError(f"{name} {str(p)!r} is not a regular file")
    except OSError as exc:  # a name too long for the file system, a loop of links...
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(f"{name} {_shown(p)} cannot be used: {exc.strerror or exc}") from None
    return p


def _shown(p: Path) -> str:
    text = repr(str(p))
    return text if len(text) <= 200 else f"{text[:120]}...{text[-60:]} ({len(str(p))} characters)"


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a file name with bytes that are not UTF-8 (held as surrogates by Python)
        return False
    return True


def os_path(path: Path) -> str | bytes:
    r"""``path`` for C libraries that encode names as UTF-8 (libsndfile): the bytes of a name that is not UTF-8.

    Examples
    --------
    >>> from pathlib import Path
    >>> from signalspace._io import os_path
    >>> os_path(Path("café.wav")), os_path(Path("caf\udce9.wav"))
    ('café.wav', b'caf\xe9.wav')
    """
    text = str(path)
    return text if _utf8(text) or os.name != "posix" else os.fsencode(text)


_ALIASES: list[str] = []  # folders of UTF-8 aliases, removed when the process ends


def utf8_alias(path: Path) -> Path:
    """``path``, or a UTF-8 named symbolic link to it for libraries that cannot open other names (netCDF4).

    The link lives in a private temporary folder removed when the process
    exits (lazy readers may reopen the file by name until then).
    """
    if _utf8(str(path)) or os.name != "posix":
        return path
    import atexit

    if not _ALIASES:
        atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _ALIASES])
    folder = tempfile.mkdtemp(prefix="signalspace-alias-")
    _ALIASES.append(folder)
    alias = Path(folder) / ("file" + (path.suffix if _utf8(path.suffix) else ""))
    alias.symlink_to(path.resolve())
    return alias


# ------------------------------------------------------------------------------------------ signals
class SaveInterrupted(BaseException):
    """Raised inside a save when SIGINT/SIGTERM arrived; :func:`atomic_path` cleans up, then delivers the signal."""

    def __init__(self, signum: int, handler: Any) -> None:
        super().__init__(f"save interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.handler = handler

    def deliver(self, target: Path) -> None:
        """Let the signal take the course it would have taken without the save."""
        handler = self.handler
        if handler is signal.default_int_handler:
            raise KeyboardInterrupt
        if handler in (signal.SIG_DFL, None):
            signal.signal(self.signum, signal.SIG_DFL)  # already restored; the default action ends the process
            signal.raise_signal(self.signum)
        elif callable(handler):
            handler(self.signum, None)
        raise FileFormatError(
            f"cannot write {str(target)!r}: the save was interrupted by {signal.Signals(self.signum).name} "
            "and nothing was written"
        )


class _Deferral:
    """The process-wide state of :func:`signals_deferred` (main thread only; nested saves share it)."""

    depth = 0
    previous: dict[int, Any] = {}  # noqa: RUF012 - process-wide on purpose
    pending: list[int] = []  # noqa: RUF012

    @classmethod
    def record(cls, signum: int, frame: Any) -> None:
        cls.pending.append(signum)

    @classmethod
    def check(cls) -> None:
        """Raise :class:`SaveInterrupted` if a deferred signal arrived (a safe point of a writer)."""
        if cls.pending:
            signum = cls.pending[0]
            raise SaveInterrupted(signum, cls.previous.get(signum))


def _no_check() -> None:
    return None


@contextlib.contextmanager
def signals_deferred() -> Iterator[Callable[[], None]]:
    """Hold SIGINT/SIGTERM during a write; yield a ``check()`` to call at safe points (chunk boundaries).

    ``check()`` raises :class:`SaveInterrupted` as soon as a signal came; the
    end of the block raises it too.  Use inside :func:`atomic_path`, which
    removes the temporary file and then delivers the signal.  Outside the main
    thread (where Python never delivers signals) this does nothing.  Signals
    that were ignored (``SIG_IGN``) stay ignored.

    Examples
    --------
    >>> import os, tempfile
    >>> from signalspace._io import atomic_path, signals_deferred
    >>> target = os.path.join(tempfile.mkdtemp(), "blocks.bin")
    >>> with atomic_path(target) as tmp, signals_deferred() as check, open(tmp, "wb") as f:
    ...     for block in range(3):
    ...         check()                      # stops here when Ctrl-C was pressed
    ...         _ = f.write(bytes(10))
    >>> os.path.getsize(target)
    30
    """
    if threading.current_thread() is not threading.main_thread():
        yield _no_check
        return
    if _Deferral.depth == 0:
        _Deferral.pending.clear()
        _Deferral.previous = {}
        for signum in DEFERRED_SIGNALS:
            handler = signal.getsignal(signum)
            if handler is not signal.SIG_IGN:
                _Deferral.previous[signum] = handler
                signal.signal(signum, _Deferral.record)
    _Deferral.depth += 1
    try:
        yield _Deferral.check
        _Deferral.check()
    finally:
        _Deferral.depth -= 1
        if _Deferral.depth == 0:
            for signum, handler in _Deferral.previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


@contextlib.contextmanager
def checked_between_tasks(check: Callable[[], None], collections: Sequence[Any] = ()) -> Iterator[None]:
    """Call ``check`` before each dask task scheduled from this thread (a safe point between chunks).

    When ``collections`` would run on dask's threaded scheduler, they run on a
    thread pool of their own that is shut down (its running tasks finished) when
    the block exits, also on an interruption: no task of a save still writes
    after the save gave up (netCDF4 would even re-create the removed temporary
    file).  Does nothing when ``check`` is the no-op of :func:`signals_deferred`
    outside the main thread, or when dask was never imported (no dask work can
    run).  Tasks of a ``dask.distributed`` cluster are not seen (they run elsewhere).
    """
    if check is _no_check or sys.modules.get("dask") is None:
        yield
        return
    import dask
    import dask.base
    import dask.threaded
    from dask.callbacks import Callback

    owner = threading.get_ident()

    def pretask(key: Any, dsk: Any, state: Any) -> None:
        if threading.get_ident() == owner:
            check()

    with contextlib.ExitStack() as stack:
        if collections and dask.base.get_scheduler(collections=list(collections)) is dask.threaded.get:
            executor = getattr(dask.threaded, "ContextAwareThreadPoolExecutor", ThreadPoolExecutor)
            pool = executor(dask.threaded.CPU_COUNT)
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            stack.enter_context(dask.config.set(pool=pool))
        stack.enter_context(Callback(pretask=pretask))
        yield


# ------------------------------------------------------------------------------------------ temporaries
@functools.cache
def _host_key() -> str:
    """8 hex digits naming this machine in temporary names (a pid means something only on its own host)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "surrogateescape")).hexdigest()[:8]


_NAME_MAX = 255  # bytes in a file name on the usual file systems
_TEMP_EXTRA = 48  # ".ss-<8 hex>-<pid>-<8 random>" and a suffix, at most


def _temp_prefix(target: Path) -> str:
    """``.<name>.ss-``; a hash stands for a name that is not UTF-8 (writers cannot open it) or too long."""
    name = target.name
    if not _utf8(name) or len(os.fsencode(name)) + _TEMP_EXTRA > _NAME_MAX:
        name = "h" + hashlib.sha256(os.fsencode(name)).hexdigest()[:24]
    return f".{name}.ss-"


def _temp_suffix(target: Path) -> str:
    suffix = target.suffix
    return suffix if _utf8(suffix) and len(suffix) <= 16 else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # another user's process, or an answer we cannot read: keep its file
        return True
    return True


def stale_temporaries(target: Path) -> list[Path]:
    """Temporary files (or stores) of saves to ``target`` whose writer died: same host, that pid gone.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from signalspace._io import stale_temporaries
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / f".x.wav.ss-{_host_key()}-999999999-abc.wav").write_bytes(b"half a take")
    11
    >>> [p.name for p in stale_temporaries(folder / "x.wav")]   # no process 999999999
    ['.x.wav.ss-...-999999999-abc.wav']
    """
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return []
    pattern = re.compile(re.escape(_temp_prefix(target)) + r"([0-9a-f]{8})-(\d+)-")
    found = []
    try:
        entries = list(os.scandir(target.parent if str(target.parent) else "."))
    except OSError:
        return []
    for entry in entries:
        match = pattern.match(entry.name)
        if match and match.group(1) == _host_key():
            pid = int(match.group(2))
            if pid != os.getpid() and not _alive(pid):
                found.append(Path(entry.path))
    return found


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()


@functools.cache
def _umask() -> int:
    # reading the umask means setting it, so do it once (not from every saving thread)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _default_mode(directory: bool = False) -> int:
    """The permissions ``open()`` (or ``mkdir()``) would give a new file (directory) under the umask."""
    return (0o777 if directory else 0o666) & ~_umask()


def _fsync(path: Path) -> None:
    """Flush a file, or every file and folder of a directory tree, to disk."""
    if path.is_dir():
        for folder, _, files in os.walk(path):
            for name in files:
                _fsync_one(os.path.join(folder, name))
            _fsync_one(folder)
    else:
        _fsync_one(path)


def _fsync_one(path: str | Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # e.g. a directory on Windows: nothing to flush that way
    try:
        os.fsync(fd)
    except OSError:  # file systems that cannot fsync (some network mounts) or a directory fd on some OSes
        pass
    finally:
        os.close(fd)


def _resolved_target(path: Any, name: str) -> Path:
    """The file to replace: ``path``, or the file a symbolic link at ``path`` points to (the link stays)."""
    target = as_path(path, name)
    try:
        if target.is_symlink():
            target = Path(os.path.realpath(target))
    except OSError as exc:
        raise FileFormatError(f"cannot write {name} {_shown(target)}: {exc.strerror or exc}") from None
    return target


@contextlib.contextmanager
def atomic_path(path: Any, name: str = "path", *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path`` (see the module docstring).

    The temporary file has the same suffix as ``path`` (writers that pick the
    format from the extension see the right one).  If the block raises, the
    temporary file is deleted and the exception propagates; ``path`` is not
    touched.  With ``directory=True`` the temporary path is an empty
    directory (a zarr store), and an existing ``path`` must be a directory too.

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
    target = _resolved_target(path, name)
    where = target.parent if str(target.parent) else Path(".")
    try:
        if not where.is_dir():
            raise FileFormatError(f"cannot write {name} {_shown(target)}: directory {str(where)!r} does not exist")
        if target.is_dir() and not directory:
            raise FileFormatError(f"cannot write {name} {_shown(target)}: it is a directory")
        if target.exists() and directory and not target.is_dir():
            raise FileFormatError(f"cannot write {name} {_shown(target)}: it exists and is not a directory")
    except OSError as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(f"cannot write {name} {_shown(target)}: {exc.strerror or exc}") from None
    for leftover in stale_temporaries(target):
        _remove(leftover)
    prefix = f"{_temp_prefix(target)}{_host_key()}-{os.getpid()}-"
    tmp: Path | None = None
    try:
        with signals_deferred():  # the temporary file exists only inside the try that removes it
            tmp = _create_temporary(target, where, prefix, directory, name)
        yield tmp
        with signals_deferred() as check:  # flushing a large file or store takes time: a signal waits for it
            try:
                _fsync(tmp)
                check()  # interrupted while flushing: the target is not replaced
                mode = (target.stat().st_mode & 0o7777) if target.exists() else _default_mode(directory)
                os.chmod(tmp, mode)
                if directory and target.exists():
                    _replace_directory(tmp, target, prefix)
                else:
                    os.replace(tmp, target)
                _fsync_one(where)
            except OSError as exc:
                raise FileFormatError(f"cannot write {name} {_shown(target)}: {exc.strerror or exc}") from exc
    except SaveInterrupted as interrupted:  # after the rename, the signal is delivered with the target whole
        if tmp is not None:
            _remove(tmp)
        interrupted.deliver(target)
    except BaseException:
        if tmp is not None:
            _remove(tmp)
        raise


def _create_temporary(target: Path, where: Path, prefix: str, directory: bool, name: str) -> Path:
    try:
        if directory:
            return Path(tempfile.mkdtemp(prefix=prefix, suffix=_temp_suffix(target), dir=where))
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=_temp_suffix(target), dir=where)
        os.close(fd)
        return Path(tmp_name)
    except OSError as exc:
        raise FileFormatError(f"cannot write {name} {_shown(target)}: {exc.strerror or exc}") from exc


def _replace_directory(tmp: Path, target: Path, prefix: str) -> None:
    """Put directory ``tmp`` in place of directory ``target``: move the old one aside, rename, remove the old."""
    aside = Path(tempfile.mkdtemp(prefix=prefix, suffix=".old", dir=target.parent))
    os.replace(target, aside / target.name)  # a rename: the old store keeps a recognisable stale name until removed
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(aside / target.name, target)  # put the old store back
        _remove(aside)
        raise
    _remove(aside)
