"""BLAS threads set per call: the engines' GEMMs run on one thread unless one GEMM is large.

OpenBLAS splits a GEMM over its threads (above ``m * n * k = 2**18``) and its
threads busy-wait between calls.  On a machine whose other core is taken, many
cache-sized GEMMs in a row then wait for a time slice at every split: 3 -> 16
channels, 512², k = 3, flat im2col with one GEMM per tile took 57.7 ms with two
BLAS threads and 8.1 ms with one (7x); k = 7: 175 ms against 41 ms.  A single
large GEMM amortizes the synchronisation, so it gets every core.
:func:`blas_threads` sets the count for the calls inside it with
:mod:`threadpoolctl` (one controller, built on first use: setting a limit then
costs about 26 us; ``threadpool_limits`` rescans the loaded libraries each time,
390 us).

The limit is process-wide (it is OpenBLAS's setting): when calls overlap in
several threads (the dask executor), the first one in sets it and the last one
out restores the original, so no thread leaves BLAS limited for the others.
Nested calls keep the outer limit too: inside a block that asked for one
thread (``lstsq``, the kernel gradient, the transcription's factorisation), an
engine's large GEMM also runs on one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from .base import WORKERS

__all__ = ["PARALLEL_GEMM_MNK", "blas_threads", "gemm_threads"]

#: ``m * n * k`` from which one GEMM gets every core (about 30 ms on one core of the development machine):
#: the default of the engines' ``parallel_gemm_mnk`` fields.
PARALLEL_GEMM_MNK = 2**27

_LOCK = threading.Lock()
_ACTIVE: list[Any] = []  # the limiter in force, once per overlapping call


@cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def gemm_threads(mnk: float, parallel_mnk: float = PARALLEL_GEMM_MNK) -> int:
    """BLAS threads for GEMMs of ``m * n * k = mnk``: every core from ``parallel_mnk`` on, else one.

    Examples
    --------
    >>> gemm_threads(512 * 27 * 16)
    1
    """
    return WORKERS if mnk >= parallel_mnk else 1


@contextmanager
def blas_threads(threads: int) -> Iterator[None]:
    """Context in which the BLAS libraries numpy uses run on ``threads`` threads.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     float(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
    4.0
    """
    with _LOCK:
        if not _ACTIVE:
            _ACTIVE.append(_controller().limit(limits=threads, user_api="blas"))
        else:
            _ACTIVE.append(_ACTIVE[0])
    try:
        yield
    finally:
        with _LOCK:
            limiter = _ACTIVE.pop()
            if not _ACTIVE:
                limiter.restore_original_limits()
