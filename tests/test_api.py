"""The public API promise: what docs/api.rst lists is reachable from ``import signalspace`` alone, lazily, and no
public name is both a function and a module."""

import importlib
import importlib.util
import re
import subprocess
import sys
import types
from pathlib import Path

import signalspace as ss

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
PACKAGES = ["signalspace", "signalspace.ops", "signalspace.domains", "signalspace.analysis", "signalspace.plot",
            "signalspace.cli"]


def documented_names() -> list[str]:
    """Every entry of the autosummary tables of docs/api.rst (relative to ``signalspace``)."""
    names, inside = [], False
    for line in API.read_text(encoding="utf-8").splitlines():
        if line.startswith(".. autosummary::"):
            inside = True
        elif inside and re.fullmatch(r"   [A-Za-z_][\w.]*", line):
            names.append(line.strip())
        elif inside and line and not line.startswith("   "):
            inside = False
    return names


def test_every_documented_name_is_reachable_after_import_signalspace():
    names = documented_names()
    assert len(names) > 60 and "ops.matrices.conv_matrix" in names
    code = (
        "import functools, signalspace\n"
        f"for name in {names!r}:\n"
        "    functools.reduce(getattr, name.split('.'), signalspace)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # a fresh interpreter: nothing imported by hand


def test_no_public_name_is_both_a_function_and_a_module():
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for name in getattr(package, "__all__", dir(package)):
            if name.startswith("_") or importlib.util.find_spec(f"{package_name}.{name}") is None:
                continue
            value = getattr(package, name)
            assert isinstance(value, types.ModuleType), f"{package_name}.{name} is a module and also {value!r}"


def test_every_subpackage_lists_its_modules_as_attributes():
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        folder = Path(package.__file__).parent
        for path in folder.glob("*.py"):
            if path.stem.startswith("_"):
                continue
            assert isinstance(getattr(package, path.stem), types.ModuleType), f"{package_name}.{path.stem}"
    assert ss.ops.engines.fft.ENGINE.name == "fft"
