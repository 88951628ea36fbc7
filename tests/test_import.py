"""import signalspace stays light: the heavy libraries load only when used."""

import subprocess
import sys

import signalspace as ss

HEAVY = ["librosa", "skimage", "matplotlib", "xarray", "dask", "numba", "soundfile"]


def test_import_does_not_pull_heavy_dependencies():
    code = (
        "import sys, signalspace\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import signalspace imported {out.stdout.strip()}"


def test_public_names_resolve():
    for name in ss.__all__:
        assert getattr(ss, name) is not None, name


def test_errors_are_also_builtin_exceptions():
    assert issubclass(ss.InvalidParameterError, ValueError)
    assert issubclass(ss.InvalidTypeError, TypeError)
    assert issubclass(ss.FileFormatError, OSError)
    assert str(ss.UnknownNameError("kind 'x' is unknown")) == "kind 'x' is unknown"
