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


# ------------------------------------------------------------------ a process cluster under memory pressure
def _source(tmp_path, frames=2**17):
    import soundfile as sf

    path = tmp_path / "source.wav"
    x = 0.3 * np.random.default_rng(3).standard_normal((frames, 2)).astype(np.float32)
    sf.write(path, x, 8000, subtype="FLOAT")
    return path, x


def test_chunked_conv_and_streamed_save_pass_30_times_on_a_process_cluster_under_memory_pressure(tmp_path):
    # The audit saw `KeyError: ('concatenate-soundfile-getitem-...', 1, 0)` in 10 of 67 such runs (7 of 15 under
    # memory pressure): save_streaming optimized each group of slices on its own, so a block shared by two groups
    # in flight had two different task definitions under one key (dask/dask#9888).
    import dask
    import soundfile as sf

    from signalspace.domains._audio_stream import load_lazy, save_streaming

    source, x = _source(tmp_path, frames=2**19)
    h = np.hanning(2205).astype(np.float32)  # a halo of 2204 frames: each chunk reads the next one too
    conv = ss.Conv(h, padding="same", flip=True)
    expected = conv(x)
    pressure = {"distributed.worker.memory.target": 1e-4, "distributed.worker.memory.spill": 1e-4,
                "distributed.worker.memory.pause": False, "distributed.worker.memory.terminate": False}
    with (
        dask.config.set(pressure),  # every result is spilled to disk as soon as it is made
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, memory_limit="300MB", dashboard_address=":0",
            host="127.0.0.1", local_directory=str(tmp_path),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        for run in range(30):
            lazy = load_lazy(source, chunks=2**16)  # 8 chunks
            y = lazy.replace(values=parallel.conv_dask(conv, lazy.values))
            target = tmp_path / f"out{run}.wav"
            save_streaming(y, target, subtype="FLOAT")  # 2 blocks at once: the 2 workers' threads
            np.testing.assert_allclose(sf.read(target, dtype="float32")[0], expected, rtol=1e-5,
                                       atol=1e-5 * np.abs(expected).max(), err_msg=f"run {run}")


def _slow_save_over(target, client_address):
    """A streamed save of a slow dask computation over ``target`` (what a lost cluster must leave untouched)."""
    import time

    def slow(block):
        time.sleep(0.1)
        return block

    values = da.zeros((400 * 512, 1), chunks=(512, 1), dtype=np.float32).map_blocks(slow, dtype=np.float32)
    with distributed.Client(client_address, timeout="30s") as client:
        client.wait_for_workers(1, timeout=60)
        ss.save(ss.audio.from_array(values, sr=8000, channel_axis=-1), target, subtype="FLOAT")


@pytest.mark.parametrize("lost", ["worker", "scheduler"])
def test_a_lost_worker_or_scheduler_is_a_named_error_and_the_target_stays(tmp_path, lost):
    import os
    import subprocess
    import sys
    import threading
    import time

    import dask

    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0")
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(tmp_path / "scheduler.json")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        for _ in range(60):
            if (tmp_path / "scheduler.json").exists():
                break
            time.sleep(0.25)
        import json

        address = json.loads((tmp_path / "scheduler.json").read_text())["address"]
        workers = [subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
             "--no-dashboard", "--local-directory", str(tmp_path)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)]
        target = tmp_path / "take.wav"
        ss.save(ss.audio.from_array(np.full(10, 0.5, np.float32), sr=8000), target)
        before = target.read_bytes()
        victim = workers[0] if lost == "worker" else scheduler
        threading.Timer(3.0, victim.kill).start()
        # a task running on the killed worker fails (KilledWorker); one waiting for a worker is given up after the
        # no-worker timeout (2 s here): either way a named error, never a wait without end
        with dask.config.set({"signalspace.no-worker-timeout": 2}), pytest.raises(
            ss.ClusterError, match=r"(lost what the computation needed|had no worker for 2 s).*Nothing was written"
        ):
            _slow_save_over(target, address)
        assert target.read_bytes() == before and sorted(p.name for p in tmp_path.glob("*.wav")) == ["take.wav"]
    finally:
        for proc in (*workers, scheduler):
            proc.kill()
            proc.wait()
