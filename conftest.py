"""Collection rules shared by the test suite and the doctests of the package (pytest's rootdir conftest).

dask and zarr are optional extras (``pip install -e ".[dask,zarr]"``).  Without
them, the doctests whose examples use them are skipped, like the test modules that need
it (they call ``pytest.importorskip``), so ``pip install -e ".[test]"`` followed
by ``pytest`` passes; ``python3 dev.py test`` installs the extra and runs them all.
"""

from __future__ import annotations

import importlib.util

import pytest

HAS_DASK = importlib.util.find_spec("dask") is not None
HAS_ZARR = importlib.util.find_spec("zarr") is not None


def _needs_dask(source: str) -> bool:
    """An example that names dask, a dask array (``da.``) or the lazy readers' ``chunks=``."""
    return "dask" in source or "da." in source or "chunks=" in source


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_DASK and HAS_ZARR:
        return
    skip_dask = pytest.mark.skip(reason="uses dask, an optional extra (pip install -e '.[dask]')")
    skip_zarr = pytest.mark.skip(reason="uses zarr, an optional extra (pip install -e '.[zarr]')")
    for item in items:
        test = getattr(item, "dtest", None)  # a doctest item
        if test is None:
            continue
        if not HAS_DASK and any(_needs_dask(example.source) for example in test.examples):
            item.add_marker(skip_dask)
        if not HAS_ZARR and any(".zarr" in example.source for example in test.examples):
            item.add_marker(skip_zarr)
