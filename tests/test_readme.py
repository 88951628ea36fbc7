"""The README's tour runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README has no python block"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    out = capsys.readouterr().out
    assert "Domain(audio: time=35280" in out and "stereo" in out
    # the tour's melody: the left channel plays the lecture's four notes
    detect_notes = namespace["ss"].analysis.detect_notes
    assert [e.note for e in detect_notes(namespace["x"], per_channel=True) if e.channel == "L"] == [
        "G#6", "D#6", "G#5", "A#5"]
