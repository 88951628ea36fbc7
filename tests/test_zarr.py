"""Signals in zarr stores: lossless like netCDF, lazy on request, never a store that loads half-written."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import signalspace as ss

pytest.importorskip("zarr")
da = pytest.importorskip("dask.array")


def rich_signal(n=6, c=3, dtype=np.float64):
    axes = [ss.Axis("time", n, step=1 / 22050, origin=0.25, unit="days since 2000-01-01")]
    values = (np.random.default_rng(0).standard_normal((n, c)) * 100).astype(dtype)
    coords = {"wavelength": np.linspace(400, 700, c), "label": [f"L{i}" * (i + 1) for i in range(c)]}
    channels = ss.Channels(tuple(f"band {i}" for i in range(c)), layout="hyperspectral", coords=coords,
                           units={"wavelength": "nm"})
    attrs = {"scale_factor": 2.0, "_FillValue": 0.0, "pair": (1, None), "band": np.arange(3, dtype=np.int16)}
    return ss.Signal(values, ss.Domain(axes, kind="image"), channels, attrs=attrs)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int8", "uint16", "int64", "uint64", "bool",
                                   "complex64", "complex128"])
def test_round_trip_is_exact_eagerly_and_lazily(tmp_path, dtype):
    x = rich_signal(dtype=dtype)
    path = tmp_path / "x.zarr"
    ss.save(x, path)
    assert ss.load(path).identical(x)
    lazy = ss.load(path, chunks={})
    assert lazy.is_lazy and lazy.compute().identical(x)


@settings(max_examples=10)
@given(n=st.integers(1, 40), c=st.integers(1, 3), chunk=st.integers(1, 40), kind=st.sampled_from(["audio", "generic"]))
def test_dask_signals_keep_their_values_and_chunks_become_regular(tmp_path_factory, n, c, chunk, kind):
    values = np.random.default_rng(n).standard_normal((n, c))
    # irregular chunks, as a strided or cropped dask computation leaves them: zarr needs regular ones
    lazy = da.from_array(values, chunks=(chunk, c))[::1]
    lazy = da.concatenate([lazy[: n // 2], lazy[n // 2 :]]) if n > 1 else lazy
    x = ss.Signal(lazy, ss.Domain.from_shape((n,), kind=kind))
    path = tmp_path_factory.mktemp("z") / "x.zarr"
    ss.save(x, path)
    y = ss.load(path, chunks={})
    assert y.is_lazy and y.compute().identical(x.compute())


def test_a_failed_write_leaves_the_previous_store_and_no_temporary(tmp_path):
    path = tmp_path / "x.zarr"
    ss.save(rich_signal(), path)

    def explode(block):
        raise RuntimeError("disk on fire")

    bad = ss.Signal(da.ones((64, 2), chunks=8).map_blocks(explode, dtype=float), ss.Domain.from_shape((64,)))
    with pytest.raises((ss.FileFormatError, RuntimeError), match="disk on fire"):
        ss.save(bad, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.zarr"]
    assert ss.load(path).identical(rich_signal())


def test_ctrl_c_stops_a_zarr_save_at_a_chunk_and_removes_the_temporary_store(tmp_path):
    path = tmp_path / "x.zarr"
    ss.save(rich_signal(), path)

    def slow(block):
        time.sleep(0.02)
        return block

    x = ss.Signal(da.zeros((200 * 64, 1), chunks=(64, 1)).map_blocks(slow, dtype=float), ss.Domain.from_shape((12800,)))

    def interrupt_when_writing():
        while len(os.listdir(tmp_path)) < 2:
            time.sleep(0.002)
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_writing, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ss.save(x, path)
    assert time.monotonic() - started < 3  # 200 chunks of 20 ms on 2 threads: it stopped early
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.zarr"]
    assert ss.load(path).identical(rich_signal())


def test_a_store_signalspace_did_not_finish_is_refused(tmp_path):
    path = tmp_path / "x.zarr"
    ss.save(rich_signal(), path)
    meta = path / "zarr.json"  # as if a copy of the store stopped before the completion mark
    doc = json.loads(meta.read_text())
    del doc["attributes"]["signalspace_complete"]
    meta.write_text(json.dumps(doc))
    with pytest.raises(ss.FileFormatError, match="incomplete: signalspace began writing it but never marked it"):
        ss.load(path)


def test_what_is_not_a_store_is_refused_and_never_overwritten(tmp_path):
    folder = tmp_path / "photos.zarr"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(b"precious")
    with pytest.raises(ss.FileFormatError, match="is not a zarr store"):
        ss.load(folder)
    with pytest.raises(ss.FileFormatError, match="exists and is not a zarr store"):
        ss.save(rich_signal(), folder)
    assert (folder / "holiday.jpg").read_bytes() == b"precious"
    afile = tmp_path / "file.zarr"
    afile.write_bytes(b"x")
    with pytest.raises(ss.FileFormatError, match="is not a zarr store"):
        ss.load(afile)
    with pytest.raises(ss.FileFormatError, match="not a zarr store"):
        ss.save(rich_signal(), afile)
    with pytest.raises(ss.InvalidParameterError, match=r"load_zarr\(\) got an unexpected keyword .*chunks"):
        ss.load(tmp_path / "x.zarr", engine="zarr")
