"""The engines that run a :class:`~signalspace.ops.conv.Conv`, their registry, and the automatic choice.

Every engine computes the same strided, dilated cross-correlation and its exact
adjoint (see :mod:`~signalspace.ops.engines.base`); it is one module here
holding a class that follows the :class:`~signalspace.ops.engines.base.Engine`
protocol (``name``, ``applicable``, ``cost``, ``forward``, ``adjoint``).
``method="auto"`` takes the applicable engine with the smallest estimated cost
(:func:`choose`, cached on the plan); the constants of the estimates are one
table, :mod:`~signalspace.ops.engines.costs`.  The engines, the cost model and
how to refit it are described in the documentation page *Engines and their
cost model*.

Adding an engine: write its module, then list its instance in :data:`BUILTINS`
(or call :func:`register` from your own code).
"""

from __future__ import annotations

import math

import numpy as np

from ..._errors import InvalidParameterError, InvalidTypeError, UnknownNameError
from ..._validation import check_budget, describe
from . import direct, fft, im2col, ndimage, nonfinite, numpy1d, oa, planar, separable
from .base import Engine, Plan
from .costs import COSTS, CostTable

__all__ = [
    "BUILTINS", "COSTS", "CostTable", "Engine", "Plan", "adjoint", "applicable", "choose", "engines", "estimate",
    "forward", "get", "memory", "methods", "register", "unregister",
]

#: The built-in engines, in the order the automatic choice breaks ties.
BUILTINS: tuple[Engine, ...] = (direct.ENGINE, im2col.ENGINE, fft.ENGINE, numpy1d.ENGINE, ndimage.ENGINE, oa.ENGINE,
                                separable.ENGINE, planar.ENGINE)

_ENGINES: dict[str, Engine] = {}
_generation = [0]  # bumped by (un)register: plans cache their choice per generation


def register(engine: Engine, *, replace: bool = False) -> Engine:
    """Add ``engine`` under ``engine.name``; the automatic choice considers it from now on.

    Returns the engine.  Replacing a registered name needs ``replace=True``.

    Examples
    --------
    An engine that runs like ``direct`` but says it is slow (so ``auto`` never takes it):

    >>> import signalspace as ss
    >>> from signalspace.ops.engines.direct import Direct
    >>> class SlowDirect(Direct):
    ...     name = "slow-direct"
    ...     def cost(self, plan, costs):
    ...         return 1.0
    >>> _ = register(SlowDirect())
    >>> ss.Conv(np.ones(3), method="slow-direct")(np.arange(5.0))
    array([3., 6., 9.])
    >>> ss.Conv(np.ones(3)).engine((5,)) != "slow-direct"
    True
    >>> unregister("slow-direct")
    """
    if not isinstance(engine, Engine):
        raise InvalidTypeError(
            "engine must have name, applicable, cost, forward and adjoint (the Engine protocol), "
            f"got {describe(engine)}"
        )
    name = engine.name
    if not isinstance(name, str) or not name or name == "auto":
        raise InvalidParameterError(f"engine.name must be a non-empty string other than 'auto', got {name!r}")
    if name in _ENGINES and not replace:
        raise InvalidParameterError(f"an engine named {name!r} is already registered; pass replace=True")
    _ENGINES[name] = engine
    _generation[0] += 1
    return engine


def unregister(name: str) -> None:
    """Remove the engine registered under ``name``."""
    get(name)
    del _ENGINES[name]
    _generation[0] += 1


def engines() -> dict[str, Engine]:
    """The registered engines by name, in the order the automatic choice breaks ties (a copy)."""
    return dict(_ENGINES)


def methods() -> tuple[str, ...]:
    """The names ``Conv`` accepts as ``method``: ``"auto"`` and every registered engine's name.

    Examples
    --------
    >>> methods()
    ('auto', 'direct', 'im2col', 'fft', 'numpy1d', 'ndimage', 'oa', 'separable', 'planar')
    """
    return ("auto", *_ENGINES)


def get(name: str) -> Engine:
    """The engine registered under ``name``."""
    try:
        return _ENGINES[name]
    except (KeyError, TypeError):
        raise UnknownNameError(f"method must be one of {', '.join(map(repr, methods()))}; got {name!r}") from None


def applicable(plan: Plan) -> list[str]:
    """Names of the engines that can run ``plan``."""
    return [name for name, engine in _ENGINES.items() if engine.applicable(plan)]


def estimate(plan: Plan, name: str, costs: CostTable = COSTS) -> float:
    """Estimated seconds of engine ``name`` on ``plan``."""
    return get(name).cost(plan, costs)


def choose(plan: Plan) -> str:
    """The applicable engine with the smallest estimated time (cached on the plan).

    Examples
    --------
    >>> import signalspace as ss
    >>> plan = ss.Conv(np.ones((3, 3))).plan((64, 64), 1, 1, np.float64)
    >>> choose(plan) in applicable(plan)
    True
    """
    return plan.cached(("choice", _generation[0]), lambda: min(applicable(plan), key=lambda name: estimate(plan, name)))


def _resolve(plan: Plan, method: str) -> Engine:
    if method == "auto":
        return _ENGINES[choose(plan)]
    engine = get(method)
    if not engine.applicable(plan):
        raise InvalidParameterError(
            f"method {method!r} does not apply to this convolution (applicable: {applicable(plan)})"
        )
    return engine


def memory(plan: Plan, engine: Engine) -> int:
    """Bytes a run of ``engine`` on ``plan`` allocates: the padded input and the output, twice (the copies an
    engine makes), and what the engine says it needs besides (its optional ``workspace(plan)``: the transforms
    of ``fft``)."""
    g = plan.geometry
    c_out = plan.c_in if plan.depthwise else plan.c_out
    arrays = (math.prod(g.padded_shape) * plan.c_in + math.prod(g.output_shape) * c_out) * plan.batch
    workspace = getattr(engine, "workspace", None)
    return 2 * arrays * plan.dtype.itemsize + (int(workspace(plan)) if workspace is not None else 0)


def _checked(plan: Plan, method: str, what: str) -> Engine:
    """The engine of ``method``, after checking its memory against the budget (:func:`signalspace.memory_budget`)."""
    engine = _resolve(plan, method)
    g = plan.geometry
    check_budget(
        plan.cached(("memory", engine.name), lambda: memory(plan, engine)), None,
        lambda: f"the {what} of a convolution ({engine.name}) of an input {g.input_shape} padded to "
        f"{g.padded_shape} into {g.output_shape}",
        None, "work in chunks (a dask array, e.g. ss.load(path, chunks=...)) or check padding and dilation",
    )
    return engine


def forward(x: np.ndarray, plan: Plan, method: str = "auto") -> np.ndarray:
    """Run the forward correlation of ``plan`` on ``x`` (batch, spatial..., c_in) with engine ``method``.

    NaN and infinity give the result of the direct definition whatever the
    engine (:mod:`~signalspace.ops.engines.nonfinite`); a run that would need
    more memory than the budget is refused before it starts.
    """
    return nonfinite.forward(_checked(plan, method, "forward"), x, plan)


def adjoint(y: np.ndarray, plan: Plan, method: str = "auto") -> np.ndarray:
    """Run the adjoint of ``plan`` on ``y`` (batch, out_spatial..., c_out) with engine ``method`` (NaN and
    infinity as the direct definition gives them; the memory budget checked first)."""
    return nonfinite.adjoint(_checked(plan, method, "adjoint"), y, plan)


for _engine in BUILTINS:
    register(_engine)
