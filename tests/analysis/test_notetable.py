"""The note table: CSV, text and pandas."""

import csv

import pytest

import signalspace as ss
from signalspace.analysis import NoteEvent, NoteTable


def test_table_csv_round_trip(tmp_path):
    table = NoteTable([NoteEvent(0.1, 0.5, "A4", 440.0, 0.9, "L"), NoteEvent(0.5, 0.9, "C#5", 554.37, 0.5, "R")])
    path = tmp_path / "notes.csv"
    text = table.to_csv(path)
    assert path.read_text() == text
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["note"] for r in rows] == ["A4", "C#5"] and float(rows[1]["onset"]) == 0.5


def test_table_csv_bad_path_is_named_and_leaves_nothing(tmp_path):
    table = NoteTable([NoteEvent(0.1, 0.5, "A4", 440.0, 0.9, "M")])
    with pytest.raises(ss.InvalidTypeError, match=r"path must be a str or os\.PathLike"):
        table.to_csv(5)
    with pytest.raises(ss.FileFormatError, match="nonexistent"):
        table.to_csv(tmp_path / "nonexistent" / "n.csv")
    with pytest.raises(ss.FileFormatError, match="directory"):
        table.to_csv(tmp_path)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "n.csv").write_text("old")
    table.to_csv(tmp_path / "n.csv")  # replaces the old file, leaves no temporary file
    assert [p.name for p in tmp_path.iterdir()] == ["n.csv"] and (tmp_path / "n.csv").read_text() == table.to_csv()


def test_table_text_and_pandas():
    table = NoteTable([NoteEvent(0.1, 0.5, "A4", 440.0, 0.9, "L"), NoteEvent(0.5, 0.9, "C#5", 554.37, 0.5, "R")])
    assert str(NoteTable()) == "(no notes)"
    assert "C#5" in str(table) and str(table).count("\n") == 2
    frame = table.to_pandas()
    assert list(frame.columns) == list(NoteTable.columns)
    assert frame["note"].tolist() == ["A4", "C#5"] and frame["onset"].tolist() == [0.1, 0.5]
    assert NoteTable().to_pandas().shape == (0, len(NoteTable.columns))
