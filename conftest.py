"""Collection rules shared by the test suite and the doctests of the package (pytest's rootdir conftest).

dask is an optional extra (``pip install -e ".[dask]"``).  Without it, the
doctests whose examples use dask are skipped, like the test modules that need
it (they call ``pytest.importorskip``), so ``pip install -e ".[test]"`` followed
by ``pytest`` passes; ``python3 dev.py test`` installs the extra and runs them all.
"""

from __future__ import annotations

import importlib.util

import pytest

HAS_DASK = importlib.util.find_spec("dask") is not None


def _needs_dask(source: str) -> bool:
    """An example that names dask, a dask array (``da.``) or the lazy readers' ``chunks=``."""
    return "dask" in source or "da." in source or "chunks=" in source


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_DASK:
        return
    skip = pytest.mark.skip(reason="uses dask, an optional extra (pip install -e '.[dask]')")
    for item in items:
        test = getattr(item, "dtest", None)  # a doctest item
        if test is not None and any(_needs_dask(example.source) for example in test.examples):
            item.add_marker(skip)
