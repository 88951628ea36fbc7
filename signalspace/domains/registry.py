"""Finding domain adapters: built-ins, entry points and notebook registrations.

Modelled on xarray's backend plugins.  Three sources, in this order of
precedence:

1. adapters registered at run time with :func:`register_domain` (notebooks);
2. the built-ins (audio, image, phasespace, and the spectrogram and pianoroll kinds
   that :mod:`signalspace.analysis` makes), named by module path in
   :data:`BUILTINS` and imported only when the registry is first asked;
3. entry points in the group ``"signalspace.domains"`` of installed
   distributions (packages), whose value points at an adapter class or instance.

Discovery of 2 and 3 runs once and is cached (:func:`refresh` clears the
cache, e.g. after installing a plug-in or in tests).  A plug-in that fails to
import, or points at something that is not an adapter, produces a
:class:`RuntimeWarning` naming it and is skipped: it never breaks
``import signalspace`` nor :func:`available`.
"""

from __future__ import annotations

import functools
import importlib
import os
import warnings
from importlib.metadata import entry_points
from typing import Any

from .._errors import FileFormatError, InvalidParameterError, InvalidTypeError, UnknownNameError
from .._io import as_path, existing_file
from .._netcdf import NETCDF_SUFFIXES, load_netcdf, save_netcdf
from .._validation import describe
from .._zarr import ZARR_SUFFIXES, load_zarr, save_zarr
from ..signal import Signal
from .base import DomainAdapter, forward

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "adapters",
    "available",
    "get",
    "load",
    "refresh",
    "register_domain",
    "save",
    "unregister_domain",
]

#: Entry-point group third-party packages use to provide adapters.
ENTRY_POINT_GROUP = "signalspace.domains"

#: Built-in adapters: kind -> "module:attribute", loaded lazily like entry points.
BUILTINS: dict[str, str] = {
    "audio": "signalspace.domains.audio:AudioAdapter",
    "image": "signalspace.domains.image:ImageAdapter",
    "phasespace": "signalspace.domains.phasespace:PhasespaceAdapter",
    "spectrogram": "signalspace.domains.spectrogram:SpectrogramAdapter",
    "pianoroll": "signalspace.domains.pianoroll:PianoRollAdapter",
}

_registered: dict[str, DomainAdapter] = {}


def _as_adapter(obj: Any, origin: str) -> DomainAdapter:
    """An adapter instance from a class or an instance, or InvalidTypeError."""
    if isinstance(obj, type) and issubclass(obj, DomainAdapter):
        obj = obj()
    if not isinstance(obj, DomainAdapter):
        raise InvalidTypeError(
            f"{origin} must be a signalspace DomainAdapter subclass or instance, got {describe(obj)}"
        )
    if not isinstance(obj.kind, str) or not obj.kind:
        raise InvalidTypeError(f"{origin} has no kind: set the class attribute `kind` to a non-empty string")
    return obj


def _load_target(target: str) -> Any:
    module_name, _, attribute = target.partition(":")
    obj = importlib.import_module(module_name)
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj


def _warn(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=3)


@functools.cache
def _discovered() -> dict[str, DomainAdapter]:
    found: dict[str, DomainAdapter] = {}
    for kind, target in BUILTINS.items():
        try:
            found[kind] = _as_adapter(_load_target(target), f"built-in adapter {target!r}")
        except Exception as exc:  # a broken install must not break the registry
            _warn(f"signalspace built-in domain adapter {kind!r} ({target}) failed to load: {exc!r}")
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        where = f"entry point {ep.name!r} = {ep.value!r}" + (
            f" of distribution {ep.dist.name!r}" if getattr(ep, "dist", None) is not None else ""
        )
        if ep.name in found:
            if ep.name in BUILTINS or ep.value != _origin(found[ep.name]):
                _warn(f"signalspace domain plug-in {where} ignored: kind {ep.name!r} is already provided")
            continue
        try:
            adapter = _as_adapter(ep.load(), where)
        except Exception as exc:
            _warn(f"signalspace domain plug-in {where} failed to load and is skipped: {exc!r}")
            continue
        if adapter.kind != ep.name:
            _warn(
                f"signalspace domain plug-in {where} is skipped: its adapter's kind is {adapter.kind!r}, "
                f"not the entry-point name {ep.name!r}"
            )
            continue
        found[ep.name] = adapter
    return found


def _origin(adapter: DomainAdapter) -> str:
    cls = type(adapter)
    return f"{cls.__module__}:{cls.__qualname__}"


def refresh() -> None:
    """Forget the cached discovery; the next call looks at entry points again.

    Adapters registered with :func:`register_domain` are kept.

    Examples
    --------
    >>> from signalspace.domains import registry
    >>> registry.refresh()
    >>> "audio" in registry.available()
    True
    """
    _discovered.cache_clear()


def adapters() -> dict[str, DomainAdapter]:
    """All adapters by kind: registered ones first, then built-ins, then plug-ins.

    Examples
    --------
    >>> from signalspace.domains import adapters
    >>> adapters()["audio"].axis_names
    ('time',)
    """
    merged = dict(_registered)
    for kind, adapter in _discovered().items():
        merged.setdefault(kind, adapter)
    return merged


def available() -> tuple[str, ...]:
    """The kinds of all known adapters, sorted.

    Examples
    --------
    >>> import signalspace as ss
    >>> {"audio", "image", "phasespace"} <= set(ss.domains.available())
    True
    """
    return tuple(sorted(adapters()))


def get(kind: str) -> DomainAdapter:
    """The adapter registered under ``kind``.

    Raises
    ------
    UnknownNameError
        When no adapter has that kind; the message lists the known kinds.

    Examples
    --------
    >>> import signalspace as ss
    >>> ss.domains.get("audio").axis_names
    ('time',)
    >>> ss.domains.get("sonar")
    Traceback (most recent call last):
    ...
    signalspace._errors.UnknownNameError: unknown domain kind 'sonar'; known kinds: 'audio', 'image', 'phasespace'...
    """
    if not isinstance(kind, str):
        raise InvalidTypeError(f"kind must be a string, got {describe(kind)}")
    found = adapters()
    try:
        return found[kind]
    except KeyError:
        raise UnknownNameError(
            f"unknown domain kind {kind!r}; known kinds: {', '.join(map(repr, sorted(found)))} "
            f"(add one with signalspace.register_domain or an entry point in group {ENTRY_POINT_GROUP!r})"
        ) from None


def register_domain(adapter: DomainAdapter | type[DomainAdapter], *, replace: bool = False) -> Any:
    """Register an adapter (class or instance) for this session.

    Returns its argument unchanged, so it also works as a class decorator.

    Parameters
    ----------
    adapter : DomainAdapter subclass or instance
        Its ``kind`` is the name it is registered under.
    replace : bool, default False
        Allow replacing an adapter of the same kind (built-ins included);
        otherwise that raises :class:`~signalspace.InvalidParameterError`.

    Examples
    --------
    >>> import signalspace as ss
    >>> from signalspace.domains import DomainAdapter
    >>> @ss.register_domain
    ... class Sonar(DomainAdapter):
    ...     kind = "sonar"
    ...     axis_names = ("range", "bearing")
    >>> ss.domains.get("sonar").axis_names
    ('range', 'bearing')
    >>> ss.domains.unregister_domain("sonar")
    """
    instance = _as_adapter(adapter, "adapter")
    if not isinstance(replace, bool):
        raise InvalidTypeError(f"replace must be True or False, got {describe(replace)}")
    if not replace and instance.kind in adapters():
        raise InvalidParameterError(
            f"a domain adapter of kind {instance.kind!r} is already registered "
            f"({adapters()[instance.kind]!r}); pass replace=True to replace it"
        )
    _registered[instance.kind] = instance
    return adapter


def unregister_domain(kind: str) -> None:
    """Remove an adapter added with :func:`register_domain` (built-ins and plug-ins come back).

    Examples
    --------
    >>> import signalspace as ss
    >>> class Seismic(ss.domains.DomainAdapter):
    ...     kind = "seismic"
    ...     axis_names = ("time", "station")
    >>> _ = ss.register_domain(Seismic)
    >>> "seismic" in ss.domains.available()
    True
    >>> ss.domains.unregister_domain("seismic")
    >>> "seismic" in ss.domains.available()
    False
    """
    if kind not in _registered:
        raise UnknownNameError(
            f"no adapter of kind {kind!r} was registered with register_domain; "
            f"registered: {', '.join(map(repr, sorted(_registered))) or 'none'}"
        )
    del _registered[kind]


def load(path: str | os.PathLike[str], kind: str | None = None, **kwargs: Any) -> Any:
    """Read a file with the adapter that claims it (or the one named by ``kind``).

    netCDF files (``.nc``) and zarr stores (``.zarr`` folders), any kind of
    signal, are read through xarray (:func:`signalspace._netcdf.load_netcdf`,
    :func:`signalspace._zarr.load_zarr`; ``chunks=`` reads lazily).

    Adapters are asked in :func:`adapters` order; the first whose
    ``can_open(path)`` is true reads the file with ``**kwargs``.  When none
    recognizes the file but one lists its extension in ``extensions`` (a
    ``.wav`` that libsndfile rejects), that adapter's ``load`` is called all
    the same, so its own error (``No 'data' chunk marker``...) reaches the
    caller instead of a bare "no adapter".

    Raises
    ------
    FileFormatError
        When the file does not exist, when the adapter that claims its
        extension cannot read it (that adapter's message), or when no adapter
        recognizes it or its extension.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile
    >>> import signalspace as ss
    >>> path = os.path.join(tempfile.mkdtemp(), "beep.wav")
    >>> soundfile.write(path, np.zeros((100, 2)), 8000)
    >>> x = ss.load(path)
    >>> x.kind, x.channels.names, ss.audio.sample_rate(x)
    ('audio', ('L', 'R'), 8000)
    >>> from pathlib import Path
    >>> _ = Path(path).write_bytes(b"RIFF0000WAVEjunk")   # a WAV header and no data
    >>> ss.load(path)
    Traceback (most recent call last):
    ...
    signalspace._errors.FileFormatError: cannot read audio file ...: Error in WAV file. No 'data' chunk marker.
    """
    if kind is None and _suffix(path) in ZARR_SUFFIXES:
        return forward(load_zarr, path, **kwargs)
    p = existing_file(path)
    if kind is None and p.suffix.lower() in NETCDF_SUFFIXES:
        return forward(load_netcdf, p, **kwargs)
    if kind is not None:
        return get(kind).load(p, **kwargs)
    found = adapters()
    for adapter in found.values():
        try:
            claimed = bool(adapter.can_open(p))
        except Exception:  # can_open must not raise; treat a failure as "no"
            claimed = False
        if claimed:
            return adapter.load(p, **kwargs)
    suffix = p.suffix.lower()
    for adapter in found.values():
        extensions = getattr(adapter, "extensions", ())
        if suffix and isinstance(extensions, (tuple, list, set, frozenset)) and suffix in extensions:
            # the adapter owns this extension but did not recognize the file: its load says why
            return adapter.load(p, **kwargs)
    raise FileFormatError(
        f"no domain adapter can open {str(p)!r} (tried: {', '.join(found)}); "
        f"pass kind=... to force one or register an adapter for this format"
    )


def _suffix(path: Any) -> str:
    """The lower-case extension of ``path`` ('' for what is not a path; the readers then say what is wrong)."""
    try:
        return as_path(path).suffix.lower()
    except InvalidTypeError:
        return ""


def save(signal: Any, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write a Signal: netCDF (``.nc``) or zarr (``.zarr``) for any kind, otherwise with its own kind's adapter.

    Every writer is atomic: on failure no partial file is left.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, signalspace as ss
    >>> folder = tempfile.mkdtemp()
    >>> x = ss.audio.from_array(np.zeros((2, 800)), sr=8000)
    >>> ss.save(x, os.path.join(folder, "x.wav")); ss.save(x, os.path.join(folder, "x.nc"))
    >>> ss.load(os.path.join(folder, "x.nc")).identical(x)
    True
    """
    if not isinstance(signal, Signal):
        raise InvalidTypeError(f"signal must be a signalspace.Signal, got {describe(signal)}")
    if _suffix(path) in NETCDF_SUFFIXES:
        save_netcdf(signal, path, **kwargs)
    elif _suffix(path) in ZARR_SUFFIXES:
        save_zarr(signal, path, **kwargs)
    else:
        get(signal.kind).save(signal, path, **kwargs)
