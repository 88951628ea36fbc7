"""Saves under real signals: Ctrl-C and SIGTERM stop a save promptly and leave nothing; killed saves are cleaned up.

The many-run count (0 hangs in 50 interrupted saves) is ``benchmarks/interrupted_saves.py``; these tests
interrupt a few saves of each writer for real, in subprocesses and in this process.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import signalspace as ss
from signalspace import _io

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
pytest.importorskip("dask.array")  # the saves interrupted here are long dask computations

CHILD = r"""
import sys, time
import numpy as np
import dask.array as da
import signalspace as ss
target, kind = sys.argv[1], sys.argv[2]
def slow(block):
    time.sleep(0.05)
    return block
values = da.zeros((64 * 2**14, 2), chunks=(2**14, 2)).map_blocks(slow, dtype=float)
if kind == "numpy":
    values = np.random.default_rng(0).standard_normal((4 * 2**20, 2)) * 0.1   # 64 MiB: written in chunks
x = ss.audio.from_array(values, sr=8000, channel_axis=-1)
print("ready", flush=True)
ss.save(x, target, **({"subtype": "FLOAT"} if target.endswith(".wav") else {}))
print("saved", flush=True)
"""


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def start_save(target, kind):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(target), kind], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if proc.stdout.readline() != "ready\n":
        raise AssertionError(proc.communicate())
    deadline = time.monotonic() + 60
    while not temporaries(target.parent):  # the save has started writing
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(proc.communicate())
        time.sleep(0.005)
    return proc


@pytest.mark.parametrize(("name", "kind", "signum"), [
    ("take.nc", "numpy", signal.SIGINT),   # the case that hung: xarray's close() waiting on a lock
    ("take.nc", "dask", signal.SIGTERM),
    ("take.wav", "dask", signal.SIGINT),   # streamed: the next chunk is being computed meanwhile
])
def test_a_signal_stops_a_save_promptly_leaving_the_old_file_and_no_temporary(tmp_path, name, kind, signum):
    target = tmp_path / name
    target.write_bytes(b"the previous take")
    proc = start_save(target, kind)
    time.sleep(0.1)
    proc.send_signal(signum)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=30)  # a hang fails here
    assert time.monotonic() - sent < 10
    out += err
    assert proc.returncode == -signum, out  # the signal took its usual course (KeyboardInterrupt re-raises SIGINT)
    assert "saved" not in out
    assert temporaries(tmp_path) == [] and target.read_bytes() == b"the previous take"


def test_the_next_save_removes_what_a_killed_save_left(tmp_path):
    target = tmp_path / "take.nc"
    proc = start_save(target, "dask")
    proc.kill()
    proc.communicate()
    [left] = temporaries(tmp_path)
    assert left.startswith(".take.nc.ss-") and str(proc.pid) in left
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a temporary of a running process is somebody's save in progress: it stays
        busy = tmp_path / f".take.nc.ss-{_io._host_key()}-{alive.pid}-x.nc"
        busy.write_bytes(b"in progress")
        other = tmp_path / ".other.nc.ss-00000000-1-x.nc"  # another target's, another host's: not ours to judge
        other.write_bytes(b"")
        x = ss.Signal(np.arange(4.0), ss.Domain.from_shape((4,)))
        ss.save(x, target)
        assert temporaries(tmp_path) == sorted([busy.name, other.name])
        assert ss.load(target).identical(x)
    finally:
        alive.kill()
        alive.wait()


def test_ctrl_c_in_this_process_interrupts_a_streamed_save_at_a_chunk(tmp_path):
    da = pytest.importorskip("dask.array")

    def slow(block):
        time.sleep(0.02)
        return block

    x = ss.audio.from_array(da.zeros((200 * 256, 1), chunks=(256, 1)).map_blocks(slow, dtype=float), sr=8000,
                            channel_axis=-1)
    target = tmp_path / "x.flac"

    def interrupt_when_writing():
        while not temporaries(tmp_path):
            time.sleep(0.002)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_writing, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ss.save(x, target)
    assert time.monotonic() - started < 3  # 200 chunks of 20 ms: it did not wait for the whole save
    assert temporaries(tmp_path) == [] and not target.exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the usual handler is back


def test_a_save_through_a_symbolic_link_replaces_the_file_and_keeps_the_link(tmp_path):
    real = tmp_path / "data" / "take.wav"
    real.parent.mkdir()
    link = tmp_path / "latest.wav"
    link.symlink_to(real)  # dangling at first: the save creates the file it points to
    for value in (0.25, 0.5):
        x = ss.audio.from_array(np.full(100, value, dtype=np.float32), sr=8000)
        ss.save(x, link)
        assert link.is_symlink() and os.readlink(link) == str(real)
        assert float(ss.load(real).values[0, 0]) == value
    assert sorted(p.name for p in real.parent.iterdir()) == ["take.wav"]
