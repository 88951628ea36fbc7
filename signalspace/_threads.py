"""One BLAS thread for a block of code, cheaply enough to use on every operator call.

On a machine whose cores are busy, OpenBLAS' threaded level-1 and skinny level-3 calls wait for a time slice to
synchronize their threads: a dot product of 65 536 samples measured 134 us threaded and 7 us on one thread
(15 ms under heavy load).  :func:`one_blas_thread` limits numpy's BLAS to one thread with a
:class:`threadpoolctl.ThreadpoolController` made once (6 us per use, against 0.5 ms for
:func:`threadpoolctl.threadpool_limits`, which looks the libraries up every time).
"""

from __future__ import annotations

from typing import Any

__all__ = ["one_blas_thread"]

_CONTROLLER: list[Any] = []


def one_blas_thread() -> Any:
    """A context manager running its block with one BLAS thread (the libraries loaded at first use).

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     float(np.dot(np.ones(4), np.ones(4)))
    4.0
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")
