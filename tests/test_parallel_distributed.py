"""A chunked Conv through a real dask.distributed LocalCluster (2 worker processes on loopback).

The same code with no cluster runs on dask's default (threaded) scheduler; both
are compared with scipy.signal.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

import signalspace as ss
from signalspace import parallel

da = pytest.importorskip("dask.array")  # an optional extra: these tests need it
distributed = pytest.importorskip("distributed")


def _pipeline(x: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    conv = ss.Conv(h, padding="same", boundary="reflect", flip=True)
    lazy = da.from_array(x, chunks=(700, 2))
    y = parallel.conv_dask(conv, lazy)
    back = parallel.conv_adjoint_dask(conv, y)
    return parallel.compute(y, back)


def test_local_cluster_processes_equals_default_scheduler(tmp_path):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5000, 2))
    h = rng.standard_normal(129)
    y_default, back_default = _pipeline(x, h)
    padded = np.pad(x, ((64, 64), (0, 0)), mode="symmetric")  # ndimage 'reflect' == numpy 'symmetric'
    expected = np.stack([scipy.signal.convolve(padded[:, c], h, mode="valid") for c in range(2)], axis=-1)
    np.testing.assert_allclose(y_default, expected, rtol=1e-10, atol=1e-10)

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1",
            local_directory=str(tmp_path),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert parallel.current_client() is client
        client.wait_for_workers(2, timeout=60)
        assert len(client.scheduler_info()["workers"]) == 2
        with parallel.progress():
            y_cluster, back_cluster = _pipeline(x, h)
        # the tasks ran in the worker processes (the scheduler may give them all to one worker)
        processing = client.run(lambda dask_worker: dask_worker.state.executed_count)
        assert sum(processing.values()) > 0
    assert parallel.current_client() is None
    np.testing.assert_allclose(y_cluster, y_default, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back_cluster, back_default, rtol=1e-12, atol=1e-12)
