"""LinearOperator: a linear map between arrays of fixed shapes, with its adjoint.

Modelled on PyLops: the public :meth:`LinearOperator.forward` and
:meth:`LinearOperator.adjoint` check shapes, then call the subclass'
``_forward`` / ``_adjoint``.  ``op.H`` is the adjoint operator (model and data
shapes swapped), ``op @ other`` composes, ``op.todense()`` builds the matrix of
a small operator and ``op.to_scipy()`` views it as a
:class:`scipy.sparse.linalg.LinearOperator` acting on raveled vectors.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._errors import ShapeError
from .._validation import as_shape, check_budget

__all__ = ["FunctionOperator", "LinearOperator"]



class LinearOperator:
    """Base class of linear operators ``A: model (model_shape) -> data (data_shape)``.

    Subclasses set the shapes and dtype in ``__init__`` (call
    ``super().__init__``) and implement ``_forward(x)`` and ``_adjoint(y)`` on
    arrays of exactly ``model_shape`` and ``data_shape``.

    Parameters
    ----------
    model_shape, data_shape : tuple of int
        Shapes of the input (model) and output (data) arrays.
    dtype : dtype
        dtype of the operator's entries (float or complex).

    Examples
    --------
    >>> import numpy as np
    >>> from signalspace.ops.base import FunctionOperator
    >>> M = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> A = FunctionOperator(lambda x: M @ x, lambda y: M.T @ y, (2,), (3,))
    >>> A.forward(np.ones(2))
    array([ 3.,  7., 11.])
    >>> A.H.model_shape, A.H.data_shape
    ((3,), (2,))
    >>> np.array_equal(A.todense(), M)
    True
    >>> (A.H @ A).todense()
    array([[35., 44.],
           [44., 56.]])
    """

    def __init__(self, model_shape: Any, data_shape: Any, dtype: Any = np.float64) -> None:
        self.model_shape = as_shape(model_shape, "model_shape", minimum=0)
        self.data_shape = as_shape(data_shape, "data_shape", minimum=0)
        self.dtype = np.dtype(dtype)

    # ------------------------------------------------------------ to override
    def _forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # ---------------------------------------------------------------- public
    @staticmethod
    def _check(array: Any, shape: tuple[int, ...], name: str, what: str) -> np.ndarray:
        array = np.asarray(array)
        if array.shape != shape:
            if array.ndim == 1 and array.size == math.prod(shape):
                return array.reshape(shape)
            raise ShapeError(f"{name} must have the operator's {what} {shape} (or be raveled), got {array.shape}")
        return array

    def forward(self, x: Any) -> np.ndarray:
        """``A x``: ``x`` of shape :attr:`model_shape` (or raveled) -> array of :attr:`data_shape`."""
        return self._forward(self._check(x, self.model_shape, "x", "model_shape"))

    def adjoint(self, y: Any) -> np.ndarray:
        """``Aᴴ y``: ``y`` of shape :attr:`data_shape` (or raveled) -> array of :attr:`model_shape`."""
        return self._adjoint(self._check(y, self.data_shape, "y", "data_shape"))

    def __call__(self, x: Any) -> np.ndarray:
        return self.forward(x)

    @property
    def shape(self) -> tuple[int, int]:
        """Matrix shape ``(prod(data_shape), prod(model_shape))``."""
        return (math.prod(self.data_shape), math.prod(self.model_shape))

    @property
    def H(self) -> LinearOperator:
        """The adjoint operator (model and data shapes swapped)."""
        return _Adjoint(self)

    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, LinearOperator):
            return _Product(self, other)
        return self.forward(other)

    def todense(self, max_bytes: int | None = None) -> np.ndarray:
        """The operator's matrix, shape :attr:`shape` (columns = images of unit vectors).

        A matrix (with the identity it is computed from) of more than
        ``max_bytes`` bytes (default: the memory budget,
        :func:`signalspace.memory_budget`) raises
        :class:`~signalspace.MemoryBudgetError` before anything is computed.
        """
        m, n = self.shape
        dtype = np.result_type(self.dtype, np.float64)
        check_budget((m * n + n * n) * dtype.itemsize, max_bytes, f"todense of a {m} x {n} {dtype} matrix",
                     "max_bytes", "use to_scipy() or a sparse builder")
        eye = np.eye(n, dtype=dtype)
        columns = [np.asarray(self.forward(eye[j].reshape(self.model_shape))).ravel() for j in range(n)]
        return np.stack(columns, axis=1) if columns else np.zeros((m, 0), dtype=dtype)

    def to_scipy(self) -> Any:
        """A :class:`scipy.sparse.linalg.LinearOperator` on raveled vectors (matvec / rmatvec)."""
        from scipy.sparse.linalg import LinearOperator as ScipyOperator

        def matvec(v: np.ndarray) -> np.ndarray:
            return np.asarray(self.forward(np.asarray(v).reshape(self.model_shape))).ravel()

        def rmatvec(v: np.ndarray) -> np.ndarray:
            return np.asarray(self.adjoint(np.asarray(v).reshape(self.data_shape))).ravel()

        def matmat(v: np.ndarray) -> np.ndarray:
            return np.stack([matvec(v[:, j]) for j in range(v.shape[1])], axis=1)

        def rmatmat(v: np.ndarray) -> np.ndarray:
            return np.stack([rmatvec(v[:, j]) for j in range(v.shape[1])], axis=1)

        return ScipyOperator(
            self.shape, matvec=matvec, rmatvec=rmatvec, matmat=matmat, rmatmat=rmatmat, dtype=self.dtype
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model_shape} -> {self.data_shape}, {self.dtype}>"


class FunctionOperator(LinearOperator):
    """A LinearOperator from two functions (forward and adjoint).

    Examples
    --------
    >>> import numpy as np
    >>> A = FunctionOperator(lambda x: 2 * x, lambda y: 2 * y, (3,), (3,))
    >>> A(np.arange(3.0))
    array([0., 2., 4.])
    """

    def __init__(
        self,
        forward: Callable[[np.ndarray], np.ndarray],
        adjoint: Callable[[np.ndarray], np.ndarray],
        model_shape: Any,
        data_shape: Any,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__(model_shape, data_shape, dtype)
        self._f = forward
        self._a = adjoint

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._f(x)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._a(y)


class _Adjoint(LinearOperator):
    def __init__(self, op: LinearOperator) -> None:
        super().__init__(op.data_shape, op.model_shape, op.dtype)
        self._op = op

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._op._adjoint(x)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._op._forward(y)

    @property
    def H(self) -> LinearOperator:
        return self._op


class _Product(LinearOperator):
    def __init__(self, a: LinearOperator, b: LinearOperator) -> None:
        if a.model_shape != b.data_shape:
            raise ShapeError(
                f"cannot compose: the left operator takes model_shape {a.model_shape} but the right one "
                f"produces data_shape {b.data_shape}"
            )
        super().__init__(b.model_shape, a.data_shape, np.result_type(a.dtype, b.dtype))
        self._a, self._b = a, b

    def _forward(self, x: np.ndarray) -> np.ndarray:
        return self._a._forward(self._b._forward(x))

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._b._adjoint(self._a._adjoint(y))
