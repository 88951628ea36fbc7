"""Atomic writes: the target appears whole or not at all."""

import os

import pytest

import signalspace as ss
from signalspace._io import atomic_path


def test_success_moves_the_file_into_place_with_default_permissions(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".txt"
        tmp.write_text("done")
    assert target.read_text() == "done"
    assert os.listdir(tmp_path) == ["a.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failure_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError, match="boom"), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its permissions


@pytest.mark.parametrize("where", ["missing-dir", "is-dir"])
def test_bad_destinations_are_refused_before_writing(tmp_path, where):
    target = tmp_path / "nope" / "a.txt" if where == "missing-dir" else tmp_path
    with pytest.raises(ss.FileFormatError, match="cannot write path"), atomic_path(target):
        pass
