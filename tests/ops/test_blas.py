"""BLAS threads set per call: limited inside, restored after, also when calls overlap in several threads."""

import threading

import numpy as np
from threadpoolctl import threadpool_info

from signalspace.ops.engines.blas import blas_threads, gemm_threads


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_limit_inside_and_restored_after():
    before = _blas_threads()
    with blas_threads(1):
        assert all(n == 1 for n in _blas_threads())
        with blas_threads(1):
            assert all(n == 1 for n in _blas_threads())
        assert all(n == 1 for n in _blas_threads())  # the inner call does not restore while the outer runs
    assert _blas_threads() == before


def test_overlapping_calls_in_threads_leave_the_original_count():
    before = _blas_threads()
    a = np.ones((60, 60))

    def work() -> None:
        for _ in range(100):
            with blas_threads(1):
                a @ a

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _blas_threads() == before


def test_gemm_threads_one_below_the_threshold():
    assert gemm_threads(10, parallel_mnk=100) == 1
    assert gemm_threads(100, parallel_mnk=100) >= 1
