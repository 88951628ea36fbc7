"""Inverse problems on the operators: regularized least squares, and Wiener deconvolution for periodic convolutions.

:func:`lstsq` solves ::

    minimize  ||A x - b||² + damp² ||L x||²      (optionally subject to x >= 0)

for any operator ``A`` of the package (a :meth:`Conv.operator
<signalspace.ops.conv.Conv.operator>` to deconvolve a signal, a
:meth:`Conv.kernel_operator <signalspace.ops.conv.Conv.kernel_operator>` to
learn a kernel, a product of them...), a scipy LinearOperator, a sparse or a
dense matrix.  ``L`` is the identity (ridge) unless a ``regularizer`` is given
(Tikhonov).  The iterations are scipy's: :func:`scipy.sparse.linalg.lsqr`,
:func:`~scipy.sparse.linalg.lsmr`, :func:`~scipy.sparse.linalg.cg` on the
normal equations, or :func:`scipy.optimize.minimize` with L-BFGS-B for the
non-negative problem.  The result is a :class:`Solution`: the solution shaped
like the model, the iteration count, the history of the residual norm.

:func:`wiener` is the closed form of the same problem when ``A`` is circulant,
a stride-1 convolution with the "wrap" boundary whose output has the shape of
its input: the Fourier transform diagonalizes it (one ``c_out x c_in`` matrix
per frequency with channels), and the regularized inverse is one division (one
small solve) per frequency.  With ``L`` the identity, ``wiener(conv, y,
balance=lam)`` equals ``lstsq(conv.operator(shape), y, damp=sqrt(lam)).x``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .._errors import InvalidParameterError, InvalidTypeError, ShapeError
from .._validation import describe, finite_float, one_of, positive_int
from ..domain import Channels, Domain
from ..signal import Signal
from .base import LinearOperator
from .engines.base import WORKERS
from .engines.blas import blas_threads
from .kernel import AUTO

__all__ = ["GRAM_CHECK_MACS", "METHODS", "Progress", "Solution", "lstsq", "wiener"]

#: The iterations :func:`lstsq` runs (``"l-bfgs-b"`` is the one that handles ``nonnegative=True``).
METHODS = ("lsqr", "lsmr", "cg", "l-bfgs-b")

#: Without regularization, :func:`lstsq` checks the rank of a kernel operator's Gram matrix when computing it
#: costs at most this many multiply-adds (a 3 x 3 x 3 kernel on a 256 x 256 image: 5e7, about 10 ms).
GRAM_CHECK_MACS = 2 * 10**8


class Progress(NamedTuple):
    """What :func:`lstsq` passes to its ``callback`` after each iteration.

    ``x`` and ``residual_norm`` (``||A x - b||``) are those of the current iterate for
    "cg" and "l-bfgs-b"; scipy's lsqr and lsmr keep their iterate to themselves, so
    there ``x`` is None and ``residual_norm`` NaN (the iteration count still advances).
    """

    iteration: int
    x: np.ndarray | None
    residual_norm: float


class Solution(NamedTuple):
    """The result of :func:`lstsq`.

    ``x`` is shaped like the operator's model.  ``residuals`` is the history of
    ``||A x_k - b||``, from the starting point (``k = 0``) to the solution; with
    lsqr and lsmr, which expose no iterates, it holds the first and the last
    only.  ``residual_norm`` is ``||A x - b||`` of the returned ``x``, computed
    exactly; ``converged`` says whether the tolerance was met within ``maxiter``,
    ``reason`` is the solver's own account of why it stopped.
    """

    x: np.ndarray
    iterations: int
    residual_norm: float
    residuals: np.ndarray
    converged: bool
    reason: str
    method: str


# --------------------------------------------------------------------------- operands
class _Problem(NamedTuple):
    forward: Callable[[np.ndarray], np.ndarray]  # raveled model -> raveled data
    adjoint: Callable[[np.ndarray], np.ndarray]  # raveled data -> raveled model
    model_shape: tuple[int, ...]
    data_shape: tuple[int, ...]
    dtype: np.dtype
    operator: Any  # the operator as given (for gram_diagonal)


class _Options(NamedTuple):
    """The checked options of one :func:`lstsq` call, as its solvers take them."""

    damp: float
    regularizer: _Problem | None
    x0: np.ndarray | None
    tol: float
    maxiter: int | None
    condition_limit: float
    callback: Callable[[Progress], Any] | None
    method: str
    nonnegative: bool


class _Run(NamedTuple):
    """What a solver returns: the solution, its iterations, the residual history (last entry replaced by the exact
    final residual), whether it converged and why it stopped."""

    x: np.ndarray
    iterations: int
    history: list[float]
    converged: bool
    reason: str


def _as_problem(A: Any, name: str) -> _Problem:
    """The operator's forward/adjoint on raveled vectors, its shapes and dtype."""
    if isinstance(A, LinearOperator):
        def forward(v: np.ndarray) -> np.ndarray:
            return np.asarray(A.forward(v.reshape(A.model_shape))).ravel()

        def adjoint(v: np.ndarray) -> np.ndarray:
            return np.asarray(A.adjoint(v.reshape(A.data_shape))).ravel()

        return _Problem(forward, adjoint, A.model_shape, A.data_shape, np.dtype(A.dtype), A)
    if hasattr(A, "kernel_operator") and hasattr(A, "operator"):
        raise InvalidTypeError(
            f"{name} must be an operator with fixed shapes, got a Conv; pass conv.operator(input_shape) to solve "
            "for the signal, or conv.kernel_operator(x) to solve for the kernel"
        )
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator as ScipyOperator
    from scipy.sparse.linalg import aslinearoperator

    if isinstance(A, ScipyOperator) or sp.issparse(A):
        op = aslinearoperator(A)
    elif isinstance(A, np.ndarray) and A.ndim == 2 and A.dtype.kind in "biufc":
        op = aslinearoperator(A if A.dtype.kind in "fc" else A.astype(np.float64))
    else:
        raise InvalidTypeError(
            f"{name} must be a signalspace LinearOperator (conv.operator(...), conv.kernel_operator(...)), a scipy "
            f"LinearOperator, a sparse matrix or a 2-D numeric ndarray, got {describe(A)}"
        )
    m, n = op.shape

    def matvec(v: np.ndarray) -> np.ndarray:
        return np.asarray(op.matvec(v)).ravel()

    def rmatvec(v: np.ndarray) -> np.ndarray:
        return np.asarray(op.rmatvec(v)).ravel()

    dtype = np.dtype(op.dtype) if op.dtype is not None else np.dtype(np.float64)
    return _Problem(matvec, rmatvec, (n,), (m,), dtype, op)


def _vector(value: Any, shape: tuple[int, ...], name: str, what: str) -> np.ndarray:
    """``value`` (an array of ``shape`` or raveled, or a Signal's values) as a raveled float/complex copy."""
    if isinstance(value, Signal):
        value = value.values
    try:
        arr = np.asarray(value)
    except Exception:
        raise InvalidTypeError(f"{name} must be an array, got {describe(value)}") from None
    if arr.dtype.kind not in "biufc":
        raise InvalidTypeError(f"{name} must be numeric, got {describe(value)}")
    if arr.shape != shape and not (arr.ndim == 1 and arr.size == math.prod(shape)):
        raise ShapeError(f"{name} must have the operator's {what} {shape} (or be raveled), got shape {arr.shape}")
    arr = arr.astype(np.result_type(arr.dtype, np.float64)).ravel()
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite, but it contains NaN or infinity")
    return arr


# --------------------------------------------------------------------------- lstsq
def lstsq(
    A: Any,
    b: Any,
    *,
    damp: float = 0.0,
    regularizer: Any = None,
    nonnegative: bool = False,
    method: str | None = None,
    x0: Any = None,
    tol: float = 1e-8,
    maxiter: int | None = None,
    condition_limit: float = 1e8,
    callback: Callable[[Progress], Any] | None = None,
) -> Solution:
    """Regularized least squares: minimize ``||A x - b||² + damp² ||L x||²``, optionally with ``x >= 0``.

    Parameters
    ----------
    A : LinearOperator, scipy LinearOperator, sparse matrix or 2-D ndarray
        E.g. ``conv.operator(x_shape)`` (solve for the signal: deconvolution) or
        ``conv.kernel_operator(x)`` (solve for the kernel: learning it).
    b : array_like or Signal
        The data, shaped like ``A``'s data (or raveled).
    damp : float, default 0
        Weight of the regularization (ridge / Tikhonov), >= 0.
    regularizer : LinearOperator, scipy LinearOperator, sparse matrix or ndarray, optional
        ``L``; default the identity (ridge).  E.g. a gradient or a Laplacian as a
        :meth:`Conv.operator <signalspace.ops.conv.Conv.operator>` favours smooth
        solutions.  Its model must be ``A``'s.
    nonnegative : bool, default False
        Constrain ``x >= 0`` (real problems; runs L-BFGS-B with bounds).
    method : {"lsqr", "lsmr", "cg", "l-bfgs-b"}, optional
        Default "lsqr", or "l-bfgs-b" when ``nonnegative``.  "cg" runs
        :func:`scipy.sparse.linalg.cg` on the normal equations ``(AᴴA + damp² LᴴL) x = Aᴴ b``.
    x0 : array_like, optional
        Starting point, shaped like the model (default zeros).
    tol : float, default 1e-8
        Relative tolerance, passed as each solver's own: lsqr/lsmr's ``atol`` and
        ``btol``, cg's ``rtol`` (on the normal equations), L-BFGS-B's projected
        gradient relative to ``||Aᴴ b||``.
    maxiter : int, optional
        Most iterations (default: the solver's).
    condition_limit : float, default 1e8
        lsqr and lsmr stop when their estimate of the condition number exceeds
        it; :func:`lstsq` then raises (the system is singular or nearly so).
    callback : callable, optional
        Called with a :class:`Progress` after each iteration.

    Returns
    -------
    Solution
        ``x`` (model shape), ``iterations``, ``residual_norm``, ``residuals``
        (history), ``converged``, ``reason``, ``method``.

    Raises
    ------
    InvalidParameterError
        The system is singular without regularization: more unknowns than data,
        unknowns the data do not see (zero columns, found cheaply on a kernel
        operator), or lsqr/lsmr's condition estimate beyond ``condition_limit``.
        The message says what to pass.  Also for bad options.
    ShapeError
        ``b``, ``x0`` or the regularizer do not match ``A``.

    Examples
    --------
    Deblurring a 1-D signal: the blur is a Conv, the unknown its input.

    >>> import numpy as np
    >>> import signalspace as ss
    >>> blur = ss.Conv(np.array([0.2, 0.6, 0.2]), padding="same")
    >>> x = np.zeros(32); x[8], x[20] = 1.0, -2.0
    >>> fit = ss.ops.lstsq(blur.operator(x.shape), blur(x), tol=1e-12)
    >>> bool(np.allclose(fit.x, x)), fit.method, fit.converged
    (True, 'lsqr', True)
    >>> ridge = ss.ops.lstsq(blur.operator(x.shape), blur(x), damp=0.1)   # shrunk towards 0
    >>> bool(np.linalg.norm(ridge.x) < np.linalg.norm(x))
    True

    Learning a kernel from data and output (a determined, noiseless system):

    >>> rng = np.random.default_rng(0)
    >>> data, kernel = rng.standard_normal(200), np.array([1.0, -2.0, 0.5])
    >>> fit = ss.ops.lstsq(ss.Conv(kernel).kernel_operator(data), ss.Conv(kernel)(data), tol=1e-12)
    >>> np.round(fit.x, 10)
    array([ 1. , -2. ,  0.5])

    Without regularization an underdetermined system is refused:

    >>> ss.ops.lstsq(np.ones((2, 3)), np.ones(2))
    Traceback (most recent call last):
    ...
    signalspace._errors.InvalidParameterError: A has 3 unknowns but only 2 data values: without regularization ...
    """
    problem = _as_problem(A, "A")
    bv = _vector(b, problem.data_shape, "b", "data_shape")
    damp = finite_float(damp, "damp")
    if damp < 0:
        raise InvalidParameterError(f"damp must be >= 0, got {damp}")
    if not isinstance(nonnegative, (bool, np.bool_)):
        raise InvalidTypeError(f"nonnegative must be True or False, got {describe(nonnegative)}")
    if method is None:
        method = "l-bfgs-b" if nonnegative else "lsqr"
    one_of(method, "method", METHODS)
    if nonnegative and method != "l-bfgs-b":
        raise InvalidParameterError(f"nonnegative=True runs method='l-bfgs-b' (bounds); got method={method!r}")
    tol = finite_float(tol, "tol", positive=True)
    if maxiter is not None:
        maxiter = positive_int(maxiter, "maxiter")
    condition_limit = finite_float(condition_limit, "condition_limit", positive=True)
    if callback is not None and not callable(callback):
        raise InvalidTypeError(f"callback must be callable or None, got {describe(callback)}")
    n = math.prod(problem.model_shape)
    x0v = None if x0 is None else _vector(x0, problem.model_shape, "x0", "model_shape")
    reg = None
    if regularizer is not None:
        reg = _as_problem(regularizer, "regularizer")
        if math.prod(reg.model_shape) != n or (isinstance(regularizer, LinearOperator)
                                                 and reg.model_shape != problem.model_shape):
            raise ShapeError(
                f"regularizer must act on A's model (shape {problem.model_shape}), got an operator on "
                f"{reg.model_shape}"
            )
    complex_ = problem.dtype.kind == "c" or bv.dtype.kind == "c" or (x0v is not None and x0v.dtype.kind == "c")
    if method == "l-bfgs-b" and complex_:
        raise InvalidParameterError("method='l-bfgs-b' (and nonnegative=True) needs a real problem; A or b is complex")
    if damp == 0 and regularizer is not None:
        raise InvalidParameterError("regularizer is given but damp is 0, so it has no effect; pass damp > 0")
    if damp == 0:
        _check_determined(problem, n, condition_limit)
    runner = {"lsqr": _run_lsqr, "lsmr": _run_lsqr, "cg": _run_cg, "l-bfgs-b": _run_lbfgsb}[method]
    # One BLAS thread for the solvers' vector operations: on a busy machine a threaded dot product of 65 536
    # samples waits for a time slice (15 ms instead of 8 us); the operators' FFTs keep their own workers.
    with blas_threads(1):
        run = runner(problem, bv, _Options(damp, reg, x0v, tol, maxiter, condition_limit, callback, method,
                                           nonnegative))
    residual = float(np.linalg.norm(problem.forward(run.x) - bv))
    history = np.asarray([*run.history[:-1], residual])  # the last entry, exact
    return Solution(run.x.reshape(problem.model_shape), run.iterations, residual, history, run.converged, run.reason,
                    method)


def _check_determined(problem: _Problem, n: int, condition_limit: float) -> None:
    """Refuse what is cheaply seen to be singular without regularization: more unknowns than data; for a kernel
    operator, a rank-deficient or too ill-conditioned Gram matrix (small kernels) or zero columns (large ones)."""
    m = math.prod(problem.data_shape)
    advice = "pass damp > 0 (ridge, with a regularizer: Tikhonov)"
    if n > m:
        raise InvalidParameterError(
            f"A has {n} unknowns but only {m} data values: without regularization the least-squares solution is "
            f"not unique (a singular system); {advice}, or give more data (a longer signal, more examples)"
        )
    operator = problem.operator
    if hasattr(operator, "gram") and hasattr(operator, "gram_cost") and operator.gram_cost() <= GRAM_CHECK_MACS:
        eig = np.linalg.eigvalsh(operator.gram())
        largest = float(eig[-1]) if eig.size else 0.0
        tiny = max(largest, np.finfo(np.float64).tiny) * eig.size * np.finfo(np.float64).eps * 16
        rank = int(np.count_nonzero(eig > tiny))
        if rank < eig.size:
            raise InvalidParameterError(
                f"the data determine only {rank} of the {eig.size} kernel weights per output channel (the data's "
                f"matrix has rank {rank}: windows of x that are linearly dependent, e.g. a constant or too short x): "
                f"without regularization the system is singular; {advice}, or use richer data"
            )
        if largest / max(float(eig[0]), np.finfo(np.float64).tiny) > condition_limit**2:
            raise InvalidParameterError(
                f"the system is nearly singular: the condition number of the data's matrix is "
                f"{math.sqrt(largest / float(eig[0])):.3g}, beyond condition_limit={condition_limit:g}; {advice}, "
                "or raise condition_limit to accept an ill-conditioned solution"
            )
        return
    gram_diagonal = getattr(operator, "gram_diagonal", None)
    if gram_diagonal is not None:
        diagonal = np.asarray(gram_diagonal()).ravel()
        blind = int(np.count_nonzero(diagonal <= np.finfo(np.float64).tiny))
        if blind:
            raise InvalidParameterError(
                f"{blind} of the {n} unknowns have no effect on the data (zero columns of A: kernel taps that read "
                f"only zeros of x): without regularization they are undetermined (a singular system); {advice}, or "
                "use data that is non-zero where those taps read"
            )


def _run_lsqr(problem: _Problem, b: np.ndarray, options: _Options) -> _Run:
    """scipy's lsqr or lsmr; a regularizer stacks ``damp * L`` under ``A``."""
    from scipy.sparse.linalg import LinearOperator as ScipyOperator
    from scipy.sparse.linalg import lsmr, lsqr

    damp, reg, x0, tol, maxiter, condition_limit, callback, method, _ = options
    m, n = math.prod(problem.data_shape), math.prod(problem.model_shape)
    dtype = np.result_type(problem.dtype, b.dtype, np.float64)
    calls = [0]

    # scipy's lsqr/lsmr damp x - x0 when started from x0, not x: a ridge with x0 is stacked like a regularizer
    stacked = reg is not None or (x0 is not None and damp > 0)
    reg_forward = (lambda v: v) if reg is None else reg.forward
    reg_adjoint = (lambda v: v) if reg is None else reg.adjoint

    def rmatvec_counted(v: np.ndarray) -> np.ndarray:
        calls[0] += 1  # one adjoint to start, then one per iteration
        out = problem.adjoint(v[:m]) + damp * reg_adjoint(v[m:]) if stacked else problem.adjoint(v)
        if callback is not None and calls[0] > 1:
            callback(Progress(calls[0] - 1, None, math.nan))
        return out

    if not stacked:
        op = ScipyOperator((m, n), matvec=problem.forward, rmatvec=rmatvec_counted, dtype=dtype)
        rhs, solver_damp = b, damp
    else:
        k = n if reg is None else math.prod(reg.data_shape)
        op = ScipyOperator((m + k, n), dtype=dtype, rmatvec=rmatvec_counted,
                           matvec=lambda v: np.concatenate([problem.forward(v), damp * reg_forward(v)]))
        rhs, solver_damp = np.concatenate([b, np.zeros(k, dtype=b.dtype)]), 0.0
    start = b if x0 is None else b - problem.forward(x0)
    history = [float(np.linalg.norm(start))]
    if method == "lsqr":
        out = lsqr(op, rhs, damp=solver_damp, atol=tol, btol=tol, conlim=condition_limit, iter_lim=maxiter, x0=x0)
        x, istop, iterations = out[0], out[1], out[2]
    else:
        out = lsmr(op, rhs, damp=solver_damp, atol=tol, btol=tol, conlim=condition_limit, maxiter=maxiter, x0=x0)
        x, istop, iterations = out[0], out[1], out[2]
    reasons = {
        0: "x = 0 is the exact solution", 1: "A x = b is solved to the tolerance",
        2: "the least-squares problem is solved to the tolerance", 3: "the condition estimate exceeded the limit",
        4: "A x = b is solved to machine precision", 5: "the least-squares problem is solved to machine precision",
        6: "the condition estimate exceeded machine precision's limit", 7: "the iteration limit was reached",
    }
    if istop in (3, 6):
        raise InvalidParameterError(
            f"the system is singular or nearly so: {method}'s estimate of the condition number exceeded "
            f"condition_limit={condition_limit:g} after {iterations} iterations; pass damp > 0 (ridge) or a "
            "regularizer, or raise condition_limit to accept an ill-conditioned solution"
        )
    history.append(math.nan)  # the final residual, computed by lstsq
    return _Run(x, int(iterations), history, istop in (0, 1, 2, 4, 5), reasons.get(istop, f"istop={istop}"))


def _run_cg(problem: _Problem, b: np.ndarray, options: _Options) -> _Run:
    """scipy's cg on ``(AᴴA + damp² LᴴL) x = Aᴴ b``; ``||A x_k - b||`` tracked without extra operator calls.

    cg calls the normal operator once per iteration, on its search direction ``p``, then moves ``x`` along ``p``:
    keeping ``A p`` from that call, ``A x_k = A x_{k-1} + alpha A p`` with ``alpha`` read off the step (checked
    to be along ``p``; otherwise ``A x_k`` is computed).
    """
    from scipy.sparse.linalg import LinearOperator as ScipyOperator
    from scipy.sparse.linalg import cg

    damp, reg, x0, tol, maxiter, _, callback, _, _ = options
    n = math.prod(problem.model_shape)
    dtype = np.result_type(problem.dtype, b.dtype, np.float64)
    last: dict[str, Any] = {}

    def normal(v: np.ndarray) -> np.ndarray:
        av = problem.forward(v)
        last["p"], last["Ap"] = v.copy(), av
        out = problem.adjoint(av)
        if damp:
            out = out + damp**2 * (reg.adjoint(reg.forward(v)) if reg is not None else v)
        return out

    x_start = np.zeros(n, dtype=dtype) if x0 is None else x0.astype(dtype)
    state = {"x": x_start.copy(), "Ax": problem.forward(x_start) if x0 is not None else np.zeros_like(b, dtype=dtype)}
    history = [float(np.linalg.norm(state["Ax"] - b))]
    iterations = [0]

    def track(xk: np.ndarray) -> None:
        iterations[0] += 1
        step = xk - state["x"]
        p = last.get("p")
        alpha = np.vdot(p, step) / np.vdot(p, p) if p is not None and np.vdot(p, p) else 0.0
        if p is not None and np.linalg.norm(step - alpha * p) <= 1e-10 * (np.linalg.norm(step) + 1e-300):
            ax = state["Ax"] + alpha * last["Ap"]
        else:  # pragma: no cover - a cg that moves other than along its last direction
            ax = problem.forward(xk)
        state["x"], state["Ax"] = xk.copy(), ax
        residual = float(np.linalg.norm(ax - b))
        history.append(residual)
        if callback is not None:
            callback(Progress(iterations[0], xk.reshape(problem.model_shape).copy(), residual))

    op = ScipyOperator((n, n), matvec=normal, rmatvec=normal, dtype=dtype)
    rhs = problem.adjoint(b)
    x, info = cg(op, rhs, x0=x_start, rtol=tol, atol=0.0, maxiter=maxiter, callback=track)
    reason = "the normal equations are solved to the tolerance" if info == 0 else "the iteration limit was reached"
    return _Run(x, iterations[0], history, info == 0, reason)


def _run_lbfgsb(problem: _Problem, b: np.ndarray, options: _Options) -> _Run:
    """scipy.optimize.minimize with L-BFGS-B on ``½||A x - b||² + ½ damp² ||L x||²`` (bounds ``x >= 0``)."""
    from scipy.optimize import minimize

    damp, reg, x0, tol, maxiter, _, callback, _, nonnegative = options
    n = math.prod(problem.model_shape)
    last: dict[str, Any] = {}

    def objective(v: np.ndarray) -> tuple[float, np.ndarray]:
        r = problem.forward(v) - b
        f = 0.5 * float(np.vdot(r, r).real)
        grad = problem.adjoint(r).real
        if damp:
            lv = reg.forward(v) if reg is not None else v
            f += 0.5 * damp**2 * float(np.vdot(lv, lv).real)
            grad = grad + damp**2 * (reg.adjoint(lv).real if reg is not None else v)
        last["x"], last["r"] = v.copy(), float(np.linalg.norm(r))
        return f, np.asarray(grad, dtype=np.float64)

    start = np.zeros(n) if x0 is None else x0.real.astype(np.float64)
    if nonnegative:
        start = np.maximum(start, 0.0)
    history = [float(np.linalg.norm(problem.forward(start) - b))]

    def track(intermediate_result: Any) -> None:
        xk = intermediate_result.x
        same = "x" in last and np.array_equal(last["x"], xk)
        residual = last["r"] if same else float(np.linalg.norm(problem.forward(xk) - b))
        history.append(residual)
        if callback is not None:
            callback(Progress(len(history) - 1, xk.reshape(problem.model_shape).copy(), residual))

    scale = float(np.abs(problem.adjoint(b)).max()) or 1.0
    options = {"gtol": tol * scale, "ftol": tol**2, "maxcor": 20}
    if maxiter is not None:
        options["maxiter"] = maxiter
    bounds = [(0.0, None)] * n if nonnegative else None
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options, callback=track)
    return _Run(result.x, int(result.nit), history, bool(result.success), str(result.message))


# --------------------------------------------------------------------------- wiener
def _circulant_columns(conv: Any, spatial: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """First columns of the circulant blocks of a wrap / same / stride-1 ``conv`` on ``spatial``.

    ``conv(x)[i] = sum_k a[k] x[(i - pb + k d) mod n]``, so the column of input 0 is
    ``c[(pb - k d) mod n] += a[k]``: shape ``spatial`` (depthwise) or ``spatial + (c_in, c_out)``.
    """
    g = conv.geometry(spatial)
    a = np.asarray(conv.correlation_kernel).astype(dtype, copy=False)
    nd = g.ndim
    c = np.zeros(spatial + a.shape[nd:], dtype=dtype)
    index = np.ix_(*[(pb - np.arange(k) * d) % n for (pb, _), k, d, n in
                     zip(g.pad, g.kernel_shape, g.dilation, spatial, strict=True)])
    np.add.at(c, index, a)  # a kernel reaching past the period folds onto itself
    return c


def wiener(
    conv: Any, y: Any, balance: Any, *, regularizer: Any = None, input_shape: Any = None, channel_axis: Any = AUTO,
    axes: Any = None,
) -> Any:
    """Wiener (regularized) deconvolution of a periodic convolution: ``argmin ||conv(x) - y||² + ||√balance · L x||²``.

    In the Fourier domain a "wrap" convolution is a product, ``Y(f) = H(f) X(f)``
    (``H(f)`` a ``c_out x c_in`` matrix with channels), so the minimizer is, per frequency, ::

        X(f) = (H(f)ᴴ H(f) + balance(f) |R(f)|²)⁻¹ H(f)ᴴ Y(f)

    with ``R`` the spectrum of the regularizer (1: ridge) — the closed form of
    :func:`lstsq` on this operator.  ``balance`` may vary with frequency: the
    noise-to-signal power ratio is the Wiener filter's.

    Parameters
    ----------
    conv : Conv
        Boundary "wrap" on every axis, stride 1, and an output the size of its
        input ("same" padding, or any padding of ``reach`` samples per axis), so
        that it is circulant.  Any dimension, dilation, ``flip``, depthwise or
        ``c_in -> c_out`` kernel.
    y : array_like or Signal
        The observation, shaped like an output of ``conv`` (batch axes allowed).
        A Signal gives a Signal on the input domain.
    balance : float or array_like
        >= 0: a number, or one per frequency, shaped like the spatial grid (FFT
        order, as :func:`numpy.fft.fftfreq`; a real problem reads the half it
        needs).  0 only when the convolution is invertible.
    regularizer : array_like, optional
        A spatial kernel ``r`` (no channel axes) whose "wrap"/"same" convolution
        is ``L``, e.g. a Laplacian (scikit-image's choice); default the identity.
    input_shape : sequence of int, optional
        Unused for stride 1 (the input has the output's shape); accepted for symmetry with ``Conv.adjoint``.
    channel_axis, axes : optional
        Where the channels and the axes to deconvolve along sit in an array ``y``, as for
        :meth:`Conv.adjoint <signalspace.ops.conv.Conv.adjoint>` (a Signal's axes are named).

    Returns
    -------
    ndarray or Signal
        The estimate, shaped like an input of ``conv``.

    Raises
    ------
    InvalidParameterError
        ``conv`` is not circulant, ``balance`` is negative, or the problem is
        singular (``balance`` 0 where ``H(f)`` is not invertible).

    Examples
    --------
    >>> import numpy as np
    >>> import signalspace as ss
    >>> blur = ss.Conv(np.array([0.2, 0.6, 0.2]), padding="same", boundary="wrap")
    >>> x = np.zeros(16); x[3], x[9] = 1.0, -2.0
    >>> bool(np.allclose(ss.ops.wiener(blur, blur(x), balance=0.0), x))     # invertible: exact
    True
    >>> smooth = ss.ops.wiener(blur, blur(x), balance=0.01)               # the ridge solution, in closed form
    >>> fit = ss.ops.lstsq(blur.operator(x.shape), blur(x), damp=0.1, tol=1e-12)
    >>> bool(np.allclose(smooth, fit.x))
    True
    """
    if not (hasattr(conv, "meet") and hasattr(conv, "correlation_kernel")):
        raise InvalidTypeError(f"conv must be a Conv, got {describe(conv)}")
    signal = y if isinstance(y, Signal) else None
    values = np.asarray(signal.values if signal is not None else y)
    if values.dtype.kind not in "biufc":
        raise InvalidTypeError(f"y must be numeric, got {describe(y)}")
    names: tuple[str, ...] = ()
    if signal is not None:  # the axes to deconvolve along are named, as Conv.adjoint reads a Signal
        if channel_axis is not AUTO or axes is not None:
            raise InvalidParameterError("channel_axis and axes are for arrays; a Signal's axes are named (dims=)")
        conv, names = conv._on_axes(signal.domain.names, "y")
        positions = tuple(signal.domain.axis_index(n) for n in names)
        conv, layout = conv.meet(values.shape, channel_axis=signal.ndim, axes=positions, output=True, name="y")
    else:
        conv, layout = conv.meet(values.shape, channel_axis=channel_axis, axes=axes, output=True, name="y")
    if any(b != "wrap" for b in conv.boundary) or any(s != 1 for s in conv.stride):
        raise InvalidParameterError(
            f"wiener needs a circulant convolution: boundary 'wrap' and stride 1 on every axis, got boundary "
            f"{conv.boundary} and stride {conv.stride}; use lstsq(conv.operator(shape), y, damp=...) otherwise"
        )
    spatial = layout.spatial_shape
    if input_shape is not None and tuple(input_shape) != spatial:
        raise ShapeError(f"input_shape must be y's spatial shape {spatial} (stride 1), got {tuple(input_shape)}")
    g = conv.geometry(spatial)
    if g.output_shape != spatial:
        raise InvalidParameterError(
            f"wiener needs a convolution whose output has its input's shape (padding 'same', or pads that add up "
            f"to the kernel's reach {g.reach} per axis); padding {conv.padding!r} gives {g.output_shape} from "
            f"{spatial}"
        )
    if not np.all(np.isfinite(values)):
        raise InvalidParameterError("y must be finite, but it contains NaN or infinity")
    real = values.dtype.kind != "c" and np.asarray(conv.correlation_kernel).dtype.kind != "c"
    dtype = np.dtype(np.float64 if real else np.complex128)
    nd = g.ndim
    lam = _balance(balance, spatial, real)

    from scipy import fft as sfft

    transform = sfft.rfftn if real else sfft.fftn
    columns = _circulant_columns(conv, spatial, dtype)
    yb = layout.moved(values).astype(dtype, copy=False)  # (batch..., spatial..., c_out)
    fourier_axes = tuple(range(yb.ndim - 1 - nd, yb.ndim - 1))
    H = transform(columns, axes=tuple(range(nd)), workers=WORKERS)  # (F...) or (F..., c_in, c_out)
    penalty = lam if regularizer is None else lam * _regularizer_power(regularizer, conv, spatial, real)
    Y = transform(yb, axes=fourier_axes, workers=WORKERS)  # (batch..., F..., c_out)
    if conv.depthwise:  # every channel on its own: one division per frequency
        power = np.abs(H) ** 2
        _check_invertible(power[..., None, None], penalty)
        X = (np.conj(H) / (power + penalty))[..., None] * Y
    else:  # y_o = sum_c H[c, o] x_c: per frequency, (HᴴH + penalty) x = Hᴴ y with H (c_out, c_in)
        H = np.swapaxes(H, -1, -2)
        Hh = np.conj(np.swapaxes(H, -1, -2))  # (F..., c_in, c_out)
        gram = Hh @ H
        _check_invertible(gram, penalty)
        rhs = Hh @ Y[..., None]  # (batch..., F..., c_in, 1)
        system = gram + penalty[..., None, None] * np.eye(gram.shape[-1])
        X = np.linalg.solve(system, rhs)[..., 0]  # batch axes broadcast over the systems
    inverse = sfft.irfftn if real else sfft.ifftn
    kw = {"s": spatial} if real else {}
    x = inverse(X, axes=fourier_axes, workers=WORKERS, **kw)
    x = np.ascontiguousarray(layout.with_sizes(spatial, x.shape[-1]).restored(x))
    if signal is None:
        return x
    sub = g.input_domain(Domain(tuple(signal.domain[n] for n in names), kind=signal.domain.kind))
    new = {axis.name: axis for axis in sub.axes}
    domain = signal.domain.with_axes([new.get(axis.name, axis) for axis in signal.domain.axes])
    channels = signal.channels if conv.depthwise else Channels.generic(x.shape[-1])
    return signal.replace(values=x, domain=domain, channels=channels)


def _balance(balance: Any, spatial: tuple[int, ...], real: bool) -> np.ndarray:
    """``balance`` as an array over the (half, for real data) frequency grid, checked >= 0 and finite."""
    if isinstance(balance, numbers.Real) and not isinstance(balance, bool):
        value = finite_float(balance, "balance")
        if value < 0:
            raise InvalidParameterError(f"balance must be >= 0, got {value}")
        lam = np.full(spatial, value)
    else:
        try:
            lam = np.asarray(balance, dtype=np.float64)
        except (TypeError, ValueError):
            raise InvalidTypeError(f"balance must be a number or an array of numbers, got {describe(balance)}") \
                from None
        if lam.shape != spatial:
            raise ShapeError(f"balance must be a number or an array of the spatial shape {spatial} (one value per "
                             f"frequency, FFT order), got shape {lam.shape}")
        if not np.all(np.isfinite(lam)) or np.any(lam < 0):
            raise InvalidParameterError("balance must be finite and >= 0 at every frequency")
    return lam[..., : spatial[-1] // 2 + 1] if real else lam


def _regularizer_power(regularizer: Any, conv: Any, spatial: tuple[int, ...], real: bool) -> np.ndarray:
    """``|R(f)|²`` of the regularizer kernel's wrap/same convolution on ``spatial``."""
    from scipy import fft as sfft

    r = np.asarray(regularizer)
    if r.dtype.kind not in "biufc" or r.ndim != len(spatial):
        raise ShapeError(f"regularizer must be a numeric spatial kernel with {len(spatial)} axes, got {describe(r)}")
    if not np.all(np.isfinite(r)):
        raise InvalidParameterError("regularizer must be finite, but it contains NaN or infinity")
    reg = type(conv)(r, padding="same", boundary="wrap", ndim=len(spatial))
    column = _circulant_columns(reg, spatial, np.dtype(np.complex128 if r.dtype.kind == "c" else np.float64))
    spectrum = (sfft.rfftn if real and column.dtype.kind != "c" else sfft.fftn)(column)
    if real and column.dtype.kind == "c":
        spectrum = spectrum[..., : spatial[-1] // 2 + 1]
    return np.abs(spectrum) ** 2


def _check_invertible(gram: np.ndarray, penalty: np.ndarray) -> None:
    """Refuse a system singular at some frequency: ``HᴴH + penalty`` with a (near-)zero eigenvalue."""
    if gram.shape[-1] == 1:
        smallest = gram[..., 0, 0].real + penalty
        largest = float(np.max(gram[..., 0, 0].real + penalty)) if smallest.size else 0.0
    else:
        eig = np.linalg.eigvalsh(gram)
        smallest = eig[..., 0] + penalty
        largest = float(np.max(eig[..., -1] + penalty)) if eig.size else 0.0
    tiny = largest * gram.shape[-1] * np.finfo(np.float64).eps * 16
    singular = int(np.count_nonzero(smallest <= tiny))
    if singular or largest == 0:
        raise InvalidParameterError(
            f"the convolution is not invertible at {singular} frequencies (zeros of the kernel's spectrum, or fewer "
            "output than input channels) and balance is 0 there: pass balance > 0"
        )
