"""PyTorch as a benchmark peer, measured in the same run as signalspace, without making it a dependency.

torch is either importable by the runner's interpreter or lives in another one (a scratch virtual environment
outside the repository), named by ``run.py --torch-python PATH`` or ``$SIGNALSPACE_TORCH_PYTHON``.  Either way
this file runs as a small server in a child process (``python torch_peer.py``): it builds the convolutions, then
times one call per request and answers the seconds, so the runner can interleave torch's calls with ours (one
process works at a time) and the pipe's latency is not counted.

Protocol: one JSON object per line.  ``{"conv": {"id", "size", "k", "c_in", "c_out", "threads"}}`` sets a 2-D
convolution up (float32, "same", the faster of NCHW and channels-last, answers the layouts it took);
``{"time": {"id", "op"}}`` times one forward (``"fwd"``: ``conv2d``) or adjoint (``"adj"``: ``conv_transpose2d``,
the input gradient) and answers ``{"seconds": s}``; ``{"gemm": {"n", "threads"}}`` times one ``n x n`` float32
matrix product on that many threads; ``{"version": {}}`` answers torch's version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class TorchPeer:
    """Client side: a child process running this file with a torch-enabled interpreter."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen([python, str(HERE / "torch_peer.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.version = self.ask({"version": {}})["version"]

    @classmethod
    def find(cls, python: str | None = None) -> TorchPeer | None:
        """A peer with the interpreter given, ``$SIGNALSPACE_TORCH_PYTHON``, or this one if it imports torch."""
        python = python or os.environ.get("SIGNALSPACE_TORCH_PYTHON")
        if not python:
            import importlib.util

            if importlib.util.find_spec("torch") is None:
                return None
            python = sys.executable
        try:
            return cls(python)
        except (OSError, ValueError, KeyError) as exc:
            print(f"torch peer unavailable ({python}: {exc})", file=sys.stderr)
            return None

    def ask(self, request: dict) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise ValueError("the torch peer process ended")
        return json.loads(answer)

    def conv(self, ident: str, size: int, k: int, c_in: int, c_out: int, threads: int = 2) -> dict:
        """Set a convolution up in the peer; the layouts it took for each op."""
        return self.ask({"conv": {"id": ident, "size": size, "k": k, "c_in": c_in, "c_out": c_out,
                                  "threads": threads}})

    def timer(self, ident: str, op: str) -> RemoteTimer:
        """A callable for the runner: one timed call of the convolution ``ident`` (``op`` "fwd" or "adj")."""
        return RemoteTimer(self, {"time": {"id": ident, "op": op}})

    def gemm_timer(self, n: int, threads: int) -> RemoteTimer:
        """A callable for the runner: one timed ``n x n`` float32 matrix product on ``threads`` threads."""
        return RemoteTimer(self, {"gemm": {"n": n, "threads": threads}})

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


class RemoteTimer:
    """One peer call per call; ``seconds`` holds the time the peer measured (the runner uses it: ``self_timed``)."""

    self_timed = True

    def __init__(self, peer: TorchPeer, request: dict) -> None:
        self.peer, self.request = peer, request
        self.seconds = float("nan")

    def __call__(self, *args: Any) -> None:
        self.seconds = self.peer.ask(self.request)["seconds"]


# ---------------------------------------------------------------- server (runs with torch)
def _serve() -> None:  # pragma: no cover - runs in the peer's interpreter
    import numpy as np
    import torch

    calls: dict[tuple[str, str], Any] = {}
    matrices: dict[int, tuple[Any, Any]] = {}

    def once(fn: Any) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def conv(spec: dict) -> dict:
        torch.set_num_threads(spec["threads"])
        rng = np.random.default_rng(0)
        n, k, c_in, c_out = spec["size"], spec["k"], spec["c_in"], spec["c_out"]
        x = torch.from_numpy(rng.standard_normal((1, c_in, n, n)).astype(np.float32))
        w = torch.from_numpy(rng.standard_normal((c_out, c_in, k, k)).astype(np.float32))
        y = torch.nn.functional.conv2d(x, w, padding="same")
        pad = (k - 1) // 2  # odd k: "same" pads (k - 1) / 2 each side, and conv_transpose2d with it is the adjoint
        taken = {}
        with torch.no_grad():
            for op in ("fwd", "adj"):
                best = None
                for fmt in (torch.contiguous_format, torch.channels_last):
                    xf, wf, yf = (t.contiguous(memory_format=fmt) for t in (x, w, y))
                    if op == "fwd":
                        fn = lambda xf=xf, wf=wf: torch.nn.functional.conv2d(xf, wf, padding="same")  # noqa: E731
                    else:
                        fn = lambda yf=yf, wf=wf: torch.nn.functional.conv_transpose2d(yf, wf, padding=pad)  # noqa: E731
                    fn()
                    t = min(once(fn) for _ in range(3))
                    if best is None or t < best[0]:
                        best = (t, fn, "channels_last" if fmt is torch.channels_last else "NCHW")
                calls[(spec["id"], op)] = best[1]
                taken[op] = best[2]
        return taken

    for line in sys.stdin:
        request = json.loads(line)
        if "conv" in request:
            answer: dict = {"layouts": conv(request["conv"])}
        elif "time" in request:
            spec = request["time"]
            with torch.no_grad():
                answer = {"seconds": once(calls[(spec["id"], spec["op"])])}
        elif "gemm" in request:
            spec = request["gemm"]
            threads = torch.get_num_threads()
            torch.set_num_threads(spec["threads"])
            if spec["n"] not in matrices:
                matrices[spec["n"]] = (torch.randn(spec["n"], spec["n"]), torch.randn(spec["n"], spec["n"]))
            a, b = matrices[spec["n"]]
            answer = {"seconds": once(lambda a=a, b=b: torch.matmul(a, b))}
            torch.set_num_threads(threads)
        elif "version" in request:
            answer = {"version": torch.__version__}
        else:
            answer = {"error": f"unknown request {request}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
