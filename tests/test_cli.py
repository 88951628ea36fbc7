"""The signalspace command: info and gallery, in-process and through the installed console script."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile

from signalspace import cli

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "signalspace"

PLOTTING_EXAMPLE = '''\
"""
A sine
======

Draws one figure and writes a text file next to it.
"""

# %%
import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

assert matplotlib.get_backend().lower() == "agg", matplotlib.get_backend()
out = Path(os.environ["SIGNALSPACE_OUT"])
fig, ax = plt.subplots(figsize=(4, 2))
ax.plot(np.sin(np.linspace(0, 6, 50)))
(out / "sine.txt").write_text("written")
'''

FAILING_EXAMPLE = '''\
"""
Broken
======
"""
raise RuntimeError("this example is broken on purpose")
'''


@pytest.fixture
def examples(tmp_path):
    root = tmp_path / "examples"
    (root / "basics").mkdir(parents=True)
    (root / "broken").mkdir()
    (root / "basics" / "plot_sine.py").write_text(PLOTTING_EXAMPLE)
    (root / "broken" / "plot_broken.py").write_text(FAILING_EXAMPLE)
    (root / "basics" / "helper.py").write_text("x = 1\n")  # not an example: no plot_ prefix
    return root


@pytest.fixture
def wav(tmp_path):
    path = tmp_path / "tone.wav"
    sr = 8000
    y = 0.5 * np.sin(2 * np.pi * 440 * np.arange(12_000) / sr)
    soundfile.write(path, np.stack([y, -y], axis=1), sr, subtype="PCM_16")
    return path


def test_info_prints_domain_channels_and_duration(wav, capsys):
    assert cli.main(["info", str(wav)]) == 0
    out = capsys.readouterr().out
    ref = soundfile.info(str(wav))
    assert "kind:     audio" in out
    assert f"time: {ref.frames} samples" in out
    assert f"sample rate {ref.samplerate:g} Hz" in out
    assert f"channels: {ref.channels} ['L', 'R']" in out
    assert f"duration: {ref.duration:.6g} s" in out
    assert f"{ref.frames} × {ref.channels} = {ref.frames * ref.channels} values" in out


def test_info_on_an_image_reports_its_shape_and_channels(tmp_path, capsys):
    from skimage import io

    path = tmp_path / "picture.png"
    io.imsave(path, np.random.default_rng(0).integers(0, 256, (12, 17, 3), dtype=np.uint8), check_contrast=False)
    assert cli.main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    rows, cols, c = io.imread(path).shape
    assert f"{rows} samples" in out and f"{cols} samples" in out
    assert f"channels: {c} " in out
    assert f"{rows} × {cols} × {c} = {rows * cols * c} values, uint8" in out
    assert "duration" not in out


def test_info_on_a_corrupt_or_missing_file_exits_2_naming_it(tmp_path, capsys):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    assert cli.main(["info", str(bad)]) == 2
    assert "broken.wav" in capsys.readouterr().err
    assert cli.main(["info", str(tmp_path / "missing.flac")]) == 2
    assert "missing.flac" in capsys.readouterr().err


def test_gallery_lists_examples_with_titles(examples, capsys):
    assert cli.main(["gallery", "--list", "--examples", str(examples)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["basics/plot_sine", "broken/plot_broken"]
    assert lines[0].endswith("A sine") and lines[1].endswith("Broken")


def test_gallery_runs_one_example_and_writes_its_figures(examples, tmp_path, capsys):
    out = tmp_path / "figures"
    assert cli.main(["gallery", "--examples", str(examples), "--run", "sine", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert str(out) in printed and "basics/plot_sine: ok" in printed
    assert (out / "sine.txt").read_text() == "written"  # the example wrote into SIGNALSPACE_OUT
    figure = out / "plot_sine_fig01.png"  # the runner saved the figure it left open
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (out / "plot_sine_fig02.png").exists()


def test_gallery_run_all_reports_failures(examples, tmp_path, capsys):
    code = cli.main(["gallery", "--examples", str(examples), "--run", "all", "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 1
    assert "basics/plot_sine: ok" in captured.out
    assert "broken/plot_broken: FAILED" in captured.out
    assert "broken on purpose" in captured.err


def test_gallery_unknown_name_lists_the_known_ones(examples, capsys):
    assert cli.main(["gallery", "--examples", str(examples), "--run", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "basics/plot_sine" in err


def test_default_examples_folder_is_the_repository_one(monkeypatch):
    monkeypatch.delenv(cli.EXAMPLES_ENV, raising=False)
    assert cli.default_examples_dir() == REPO / "examples"


def test_no_subcommand_prints_help(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "info" in out and "gallery" in out


def test_notes_subcommand_is_wired_when_available():
    pytest.importorskip("signalspace.analysis.cli_notes")
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert "notes" in subparsers.choices


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed in this environment")
def test_console_script(wav, examples, tmp_path):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    run = [str(SCRIPT)]
    result = subprocess.run([*run, "info", str(wav)], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "channels: 2 ['L', 'R']" in result.stdout
    result = subprocess.run(
        [*run, "gallery", "--examples", str(examples), "--run", "plot_sine", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "plot_sine_fig01.png").exists()
    result = subprocess.run([*run, "info"], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 2 and "file" in result.stderr  # argparse: missing argument
    assert textwrap.dedent(result.stderr).startswith("usage: signalspace info")
