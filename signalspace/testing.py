"""Test helpers for operator and adapter authors: the adjoint dot test and the adapter conformance check.

:func:`dottest` checks ``<A x, y> == <x, Aᴴ y>`` on random vectors, for any
object with ``forward``/``adjoint`` (a :class:`~signalspace.ops.base.LinearOperator`,
a :class:`~signalspace.Conv` with a model shape, or a scipy LinearOperator).

:func:`check_adapter` exercises the contract every domain adapter must keep:
metadata of the right types (a ``picture`` among :data:`signalspace.plot.PICTURES`),
``can_open`` that never raises, unsupported operations that raise
:class:`~signalspace.domains.AdapterNotSupportedError`, ``example()`` /
``from_array`` building Signals of the adapter's kind with its axis names,
inputs left untouched, and (when the adapter reads and writes files) a save →
load round trip that keeps the domain, the channel names and the values, and a
failed save that leaves no file behind.  Run both in your own tests.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError, SignalspaceError
from ._validation import describe
from .domains.base import AdapterNotSupportedError, DomainAdapter
from .plot import PICTURES
from .signal import Signal

__all__ = ["AdapterConformanceError", "check_adapter", "dottest"]


def _bind(op: Any, model_shape: Sequence[int] | None) -> tuple[Any, Any, tuple[int, ...], tuple[int, ...]]:
    """Return (forward, adjoint, model_shape, data_shape) for ``op``."""
    if hasattr(op, "matvec") and hasattr(op, "rmatvec") and hasattr(op, "shape") and not hasattr(op, "model_shape"):
        m, n = op.shape
        return op.matvec, op.rmatvec, (n,), (m,)
    if hasattr(op, "operator") and callable(op.operator) and not hasattr(op, "model_shape"):
        if model_shape is None:
            raise InvalidParameterError(f"model_shape is needed to dot-test {type(op).__name__}, got None")
        op = op.operator(tuple(model_shape))
    if not (hasattr(op, "forward") and hasattr(op, "adjoint") and hasattr(op, "model_shape")):
        raise InvalidTypeError(
            f"op must have forward, adjoint and model_shape (or be a Conv or scipy LinearOperator), got {describe(op)}"
        )
    shape = tuple(op.model_shape) if model_shape is None else tuple(int(n) for n in model_shape)
    if shape != tuple(op.model_shape):
        raise InvalidParameterError(f"model_shape {shape} differs from the operator's {tuple(op.model_shape)}")
    return op.forward, op.adjoint, shape, tuple(op.data_shape)


def dottest(
    op: Any,
    model_shape: Sequence[int] | None = None,
    *,
    complex: bool = False,
    rtol: float | None = None,
    rng: Any = None,
    dtype: Any = None,
) -> tuple[complex, complex]:
    """Dot test: check ``<A x, y> == <x, Aᴴ y>`` for random ``x`` and ``y``.

    Parameters
    ----------
    op : LinearOperator, Conv or scipy.sparse.linalg.LinearOperator
        The operator.  A :class:`~signalspace.Conv` needs ``model_shape``.
    model_shape : sequence of int, optional
        Shape of ``x`` (default ``op.model_shape``).
    complex : bool, default False
        Draw complex ``x`` and ``y``.
    rtol : float, optional
        Relative tolerance; default 1e-10 in double precision, 1e-4 in single.
    rng : numpy Generator or seed, optional
    dtype : dtype, optional
        Real dtype of the random vectors (default float64).

    Returns
    -------
    (yy, xx) : complex
        ``<A x, y>`` and ``<x, Aᴴ y>`` (``<u, v> = sum(u * conj(v))``).

    Raises
    ------
    AssertionError
        With both inner products, when they differ by more than ``rtol``.

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> from signalspace.testing import dottest
    >>> yy, xx = dottest(ss.Conv(np.ones(3), stride=2), (10,), complex=True, rng=0)
    >>> bool(np.isclose(yy, xx))
    True
    """
    forward, adjoint, mshape, dshape = _bind(op, model_shape)
    rng = np.random.default_rng(rng)
    real = np.dtype(np.float64 if dtype is None else dtype)
    if rtol is None:
        rtol = 1e-4 if real.itemsize <= 4 else 1e-10

    def draw(shape: tuple[int, ...]) -> np.ndarray:
        v = rng.standard_normal(shape).astype(real)
        if complex:
            v = v + 1j * rng.standard_normal(shape).astype(real)
        return v

    x, y = draw(mshape), draw(dshape)
    ax = np.asarray(forward(x)).reshape(-1)
    ahy = np.asarray(adjoint(y)).reshape(-1)
    if ax.size != y.size or ahy.size != x.size:
        raise AssertionError(
            f"dottest: shapes disagree: A x has {ax.size} entries (data {dshape}), Aᴴ y has {ahy.size} (model {mshape})"
        )
    yy = _as_complex(np.vdot(y.reshape(-1), ax))  # <A x, y>
    xx = _as_complex(np.vdot(ahy, x.reshape(-1)))  # <x, Aᴴ y>
    scale = max(abs(yy), abs(xx), np.linalg.norm(ax) * np.linalg.norm(y), 1e-300)
    if abs(yy - xx) > rtol * scale:
        raise AssertionError(
            f"dottest failed: <A x, y> = {yy!r} but <x, Aᴴ y> = {xx!r} "
            f"(difference {abs(yy - xx):.3e} > rtol {rtol:g} × {scale:.3e})"
        )
    return yy, xx


def _as_complex(value: Any) -> complex:
    return complex(np.asarray(value).item())


# --------------------------------------------------------------------------- adapters
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
    if adapter.picture is not None and adapter.picture not in PICTURES:
        raise _fail(adapter, f"picture must be None or one of {sorted(PICTURES)}, got {adapter.picture!r}")


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
    >>> from signalspace.testing import check_adapter
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
