"""Test helpers for operator and adapter authors: the adjoint dot test.

:func:`dottest` checks ``<A x, y> == <x, Aᴴ y>`` on random vectors, for any
object with ``forward``/``adjoint`` (a :class:`~signalspace.ops.base.LinearOperator`,
a :class:`~signalspace.Conv` with a model shape, or a scipy LinearOperator).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._errors import InvalidParameterError, InvalidTypeError
from ._validation import describe

__all__ = ["dottest"]


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
