"""``signalspace info FILE``: a file's kind, domain, axes, channels, duration (audio) and size.

The file is read with the adapter that claims it (:func:`signalspace.load`).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..domains.registry import load

__all__ = ["add_parser", "info_command"]


def info_command(args: argparse.Namespace) -> int:
    """Print what ``signalspace info FILE`` shows; returns the exit code."""
    signal = load(args.file)
    domain, channels = signal.domain, signal.channels
    print(f"file:     {args.file}")
    print(f"kind:     {domain.kind}")
    print(f"domain:   {domain!r}")
    for axis in domain.axes:
        lo, hi = axis.extent
        unit = f" {axis.unit}" if axis.unit else ""
        line = f"  {axis.name}: {axis.size} samples, step {axis.step:g}{unit}, from {lo:g} to {hi:g}{unit}"
        if axis.unit == "s" and axis.step > 0:
            line += f" (sample rate {1 / axis.step:g} Hz)"
        print(line)
    layout = f", layout {channels.layout}" if channels.layout else ""
    print(f"channels: {len(channels)} {list(channels.names)}{layout}")
    for key, values in channels.coords.items():
        unit = channels.units.get(key, "")
        print(f"  {key}: {list(values)} {unit}".rstrip())
    if domain.kind == "audio" or (domain.ndim == 1 and domain.axes[0].unit == "s"):
        axis = domain.axes[0]
        print(f"duration: {axis.size * abs(axis.step):.6g} s")
    shape = " × ".join(str(n) for n in signal.shape)
    nbytes = signal.domain.size * signal.nchannels * signal.dtype.itemsize
    print(f"size:     {shape} = {signal.domain.size * signal.nchannels} values, {signal.dtype}, {nbytes} bytes")
    return 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``info`` sub-command to an ``argparse`` sub-parsers object; returns its parser."""
    info = subparsers.add_parser("info", help="print a file's domain, channels, duration or size")
    info.add_argument("file", help="a file an adapter can read (WAV, FLAC, OGG, PNG...)")
    info.set_defaults(func=info_command)
    return info
