"""Conformance checks that authors of domain adapters run against their adapter.

``check_adapter(adapter)`` exercises the contract every adapter must keep:
metadata of the right types, ``can_open`` that never raises, unsupported
operations that raise :class:`~signalspace.domains.AdapterNotSupportedError`,
``example()`` / ``from_array`` building Signals of the adapter's kind with its
axis names, inputs left untouched, and (when the adapter reads and writes
files) a save → load round trip that keeps the domain, the channel names and
the values, and a failed save that leaves no file behind.

Examples
--------
>>> import signalspace as ss
>>> from signalspace.domains.conformance import check_adapter
>>> report = check_adapter(ss.domains.get("audio"))
>>> report["round_trip"]
'passed'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import SignalspaceError
from ..signal import Signal
from .base import AdapterNotSupportedError, DomainAdapter

__all__ = ["AdapterConformanceError", "check_adapter"]


class AdapterConformanceError(AssertionError):
    """An adapter breaks the adapter contract; the message says which rule and how."""


def _fail(adapter: DomainAdapter, rule: str) -> AdapterConformanceError:
    return AdapterConformanceError(f"adapter {adapter!r} breaks the adapter contract: {rule}")


def _check_metadata(adapter: DomainAdapter) -> None:
    if not isinstance(adapter.kind, str) or not adapter.kind:
        raise _fail(adapter, "kind must be a non-empty string")
    if not isinstance(adapter.description, str) or not isinstance(adapter.dimensionality, str):
        raise _fail(adapter, "description and dimensionality must be strings")
    names = adapter.axis_names
    if not isinstance(names, tuple) or not all(isinstance(n, str) and n for n in names):
        raise _fail(adapter, f"axis_names must be a tuple of non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        raise _fail(adapter, f"axis_names must be unique, got {names!r}")
    if not isinstance(adapter.layouts, Mapping):
        raise _fail(adapter, f"layouts must be a mapping, got {type(adapter.layouts).__name__}")
    for layout, channel_names in adapter.layouts.items():
        if not isinstance(layout, str) or not isinstance(channel_names, tuple):
            raise _fail(adapter, f"layouts must map str to a tuple of channel names; bad entry {layout!r}")
        if len(set(channel_names)) != len(channel_names) or not all(isinstance(c, str) for c in channel_names):
            raise _fail(adapter, f"layout {layout!r} must list unique channel names, got {channel_names!r}")
    if not all(isinstance(c, int) and c >= 1 for c in adapter.typical_channels):
        raise _fail(adapter, f"typical_channels must be positive ints, got {adapter.typical_channels!r}")
    if not all(isinstance(e, str) and e.startswith(".") and e == e.lower() for e in adapter.extensions):
        raise _fail(adapter, f"extensions must be lower-case strings starting with '.', got {adapter.extensions!r}")


def _check_signal(adapter: DomainAdapter, signal: Any, where: str) -> None:
    if not isinstance(signal, Signal):
        raise _fail(adapter, f"{where} must return a signalspace.Signal, got {type(signal).__name__}")
    if signal.domain.kind != adapter.kind:
        raise _fail(adapter, f"{where} returned a signal of kind {signal.domain.kind!r}, not {adapter.kind!r}")
    if adapter.axis_names and signal.domain.names != adapter.axis_names:
        raise _fail(adapter, f"{where} returned axes {signal.domain.names}, not axis_names {adapter.axis_names}")


def check_adapter(
    adapter: DomainAdapter | type[DomainAdapter], *, tmp_dir: str | os.PathLike[str] | None = None
) -> dict:
    """Run the adapter contract checks; raise :class:`AdapterConformanceError` on the first broken rule.

    Parameters
    ----------
    adapter : DomainAdapter instance or subclass
        The adapter to check.  File round trips use ``adapter.example()`` and
        the first entry of ``adapter.extensions``.
    tmp_dir : path, optional
        Where to write test files (default: a fresh temporary directory).

    Returns
    -------
    dict
        Check name -> ``"passed"`` or ``"skipped (reason)"``.

    Examples
    --------
    >>> import signalspace as ss
    >>> from signalspace.domains.conformance import check_adapter
    >>> results = check_adapter(ss.domains.get("audio"))
    >>> sorted(set(results.values())) == ["passed"] or results
    True
    """
    if isinstance(adapter, type) and issubclass(adapter, DomainAdapter):
        adapter = adapter()
    if not isinstance(adapter, DomainAdapter):
        raise AdapterConformanceError(f"not a DomainAdapter: {adapter!r}")
    report: dict[str, str] = {}
    _check_metadata(adapter)
    report["metadata"] = "passed"

    # unsupported operations raise the dedicated error, not AttributeError/NotImplementedError
    for op, call in (
        ("load", lambda: adapter.load("no-such-file.bin")),
        ("save", lambda: adapter.save(None, "no-such-file.bin")),  # type: ignore[arg-type]
        ("from_array", lambda: adapter.from_array(np.zeros(1))),
        ("example", adapter.example),
    ):
        if adapter.supports(op):
            continue
        try:
            call()
        except AdapterNotSupportedError:
            continue
        raise _fail(adapter, f"{op}() is not overridden but did not raise AdapterNotSupportedError")
    report["unsupported"] = "passed"

    with tempfile.TemporaryDirectory(dir=tmp_dir) as tmp:
        junk = os.path.join(tmp, "junk" + (adapter.extensions[0] if adapter.extensions else ".bin"))
        with open(junk, "wb") as fh:
            fh.write(b"\x00not a real file\xff" * 8)
        for probe in (junk, os.path.join(tmp, "missing.bin"), tmp):
            try:
                claimed = adapter.can_open(probe)
            except Exception as exc:
                raise _fail(adapter, f"can_open({probe!r}) raised {exc!r}; it must return False") from exc
            if claimed is not False:
                raise _fail(adapter, f"can_open({probe!r}) returned {claimed!r} for a junk/missing path")
        report["can_open"] = "passed"

        if not adapter.supports("example"):
            report["example"] = report["round_trip"] = "skipped (no example())"
            return report
        example = adapter.example()
        _check_signal(adapter, example, "example()")
        report["example"] = "passed"

        if not (adapter.supports("save") and adapter.supports("load") and adapter.extensions):
            report["round_trip"] = "skipped (adapter does not both load and save files)"
            return report
        before = np.array(example.values, copy=True)
        path = os.path.join(tmp, "example" + adapter.extensions[0])
        adapter.save(example, path)
        if not np.array_equal(np.asarray(example.values), before):
            raise _fail(adapter, "save() modified the signal's values")
        leftovers = set(os.listdir(tmp)) - {os.path.basename(path), os.path.basename(junk)}
        if leftovers:
            raise _fail(adapter, f"save() left extra files behind: {sorted(leftovers)}")
        if not adapter.can_open(path):
            raise _fail(adapter, f"can_open() does not claim a file its own save() wrote ({path})")
        back = adapter.load(path)
        _check_signal(adapter, back, "load()")
        if back.domain.shape != example.domain.shape or back.channels.names != example.channels.names:
            raise _fail(
                adapter,
                f"save/load changed the signal: {example!r} came back as {back!r}",
            )
        if not np.allclose(np.asarray(back, dtype=np.float64), np.asarray(example, dtype=np.float64), atol=1e-2):
            raise _fail(adapter, "save/load changed the values by more than 1e-2")
        report["round_trip"] = "passed"

        bad = os.path.join(tmp, "no-such-dir", "x" + adapter.extensions[0])
        try:
            adapter.save(example, bad)
        except SignalspaceError:
            pass
        except Exception as exc:
            raise _fail(adapter, f"a failing save raised {exc!r}, not a SignalspaceError") from exc
        else:
            raise _fail(adapter, f"save() into a missing directory did not fail ({bad})")
        report["failed_save"] = "passed"
    return report
