"""The signalspace command: info and gallery, in-process and through the installed console script."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile

import signalspace as ss
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


def test_every_subcommand_module_is_wired():
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert set(subparsers.choices) == {"info", "gallery", "notes"}


def test_python_dash_m_runs_the_same_command(wav):
    """``python -m signalspace`` is the ``signalspace`` command: same output, same exit codes."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    version = subprocess.run([sys.executable, "-m", "signalspace", "--version"], capture_output=True, text=True,
                             env=env, check=True)
    assert version.stdout.strip() == f"signalspace {ss.__version__}"
    info = subprocess.run([sys.executable, "-m", "signalspace", "info", str(wav)], capture_output=True, text=True,
                          env=env, check=False)
    assert info.returncode == 0 and "kind:     audio" in info.stdout
    missing = subprocess.run([sys.executable, "-m", "signalspace", "info", "no-such.wav"], capture_output=True,
                             text=True, env=env, check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("signalspace: ")


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


# ------------------------------------------------------------------- notes on long files: lazy, progress, cluster
@pytest.fixture(scope="module")
def melody_wav(tmp_path_factory):
    """3.2 s of stereo piano notes (a different melody per channel, no note at a partial's interval above
    the other channel's) as a float WAV."""
    from signalspace.analysis import synthesize

    sr = 22050
    left = synthesize(["C4", "E5", "A2", "G6"], durations=0.8, sr=sr).values[:, 0]
    right = synthesize(["F3", "B4", "D6", "C#4"], durations=0.8, sr=sr).values[:, 0]
    path = tmp_path_factory.mktemp("notes") / "melody.wav"
    soundfile.write(path, np.stack([left, right], axis=1), sr, subtype="FLOAT")
    return path


def _notes_output(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out, captured.err


def test_notes_chunked_prints_what_the_whole_file_path_prints(melody_wav, tmp_path, capsys):
    pytest.importorskip("dask", reason="--chunks reads lazily with dask, an optional extra")
    whole, _ = _notes_output(["notes", str(melody_wav), "--csv", str(tmp_path / "whole.csv")], capsys)
    assert "8 notes" in whole and "C4" in whole and "D6" in whole
    for chunks in ("5000", "30000"):
        out, err = _notes_output(
            ["notes", str(melody_wav), "--chunks", chunks, "--csv", str(tmp_path / "lazy.csv"),
             "--plot", str(tmp_path / "roll.png")],
            capsys,
        )
        assert out == whole and "Completed" not in err  # no progress bar unless asked
        assert (tmp_path / "lazy.csv").read_text() == (tmp_path / "whole.csv").read_text()
        assert (tmp_path / "roll.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_notes_progress_draws_a_bar_on_stderr_and_keeps_stdout_for_the_notes(melody_wav, capsys):
    pytest.importorskip("dask", reason="--progress reads lazily with dask, an optional extra")
    whole, _ = _notes_output(["notes", str(melody_wav)], capsys)
    out, err = _notes_output(["notes", str(melody_wav), "--progress", "--chunks", "20000"], capsys)
    assert out == whole
    assert "100% Completed" in err
    out, err = _notes_output(["notes", str(melody_wav), "--progress"], capsys)  # default chunk size
    assert out == whole and "100% Completed" in err


def test_notes_on_a_local_cluster_through_its_address(melody_wav, tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    whole, _ = _notes_output(["notes", str(melody_wav)], capsys)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=":0",
        local_directory=str(tmp_path),
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        out, err = _notes_output(["notes", str(melody_wav), "--scheduler", cluster.scheduler_address,
                                  "--chunks", "25000"], capsys)
        assert out == whole
        executed = sum(worker.state.executed_count for worker in cluster.workers.values())
        assert executed > 0  # the chunks were read and rolled by the cluster's worker
        out, err = _notes_output(["notes", str(melody_wav), "--scheduler", cluster.scheduler_address,
                                  "--progress"], capsys)
        assert out == whole and "100% Completed" in err
        assert sum(worker.state.executed_count for worker in cluster.workers.values()) > executed
    from signalspace.parallel import current_client

    assert current_client() is None  # the CLI closed its client


def test_notes_bad_chunks_or_scheduler_exit_2_naming_the_option(melody_wav, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["notes", str(melody_wav), "--chunks", "0"])
    assert exc.value.code == 2 and "--chunks" in capsys.readouterr().err
    pytest.importorskip("distributed", reason="--scheduler needs dask.distributed, an optional extra")
    assert cli.main(["notes", str(melody_wav), "--scheduler", "no-port-here"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "no-port-here" in err


@pytest.mark.parametrize(
    ("option", "name", "message"),
    [
        ("--plot", "missing/p.png", "directory"),
        ("--csv", "missing/n.csv", "directory"),
        ("--plot", "p.xyz", "matplotlib cannot write .xyz"),
        ("--plot", ".", "is a directory"),
    ],
)
def test_notes_unwritable_output_exits_2_with_one_line_naming_the_option(melody_wav, tmp_path, capsys, option, name,
                                                                          message):
    path = tmp_path / name
    assert cli.main(["notes", str(melody_wav), option, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # checked before the notes are computed
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert option in err and message in err
    assert list(tmp_path.iterdir()) == []


def test_notes_failure_leaves_no_output_or_temporary_file(tmp_path, capsys):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file")
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["notes", str(junk), "--csv", str(out / "n.csv"), "--plot", str(out / "n.png")]) == 2
    assert "junk.wav" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_notes_plot_is_8_inches_wide_and_outputs_replace_atomically(melody_wav, tmp_path, capsys):
    import matplotlib
    import matplotlib.pyplot as plt

    (tmp_path / "n.csv").write_text("old")
    out, _ = _notes_output(["notes", str(melody_wav), "--plot", str(tmp_path / "n.png"), "--csv",
                            str(tmp_path / "n.csv")], capsys)
    assert "8 notes" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.csv", "n.png"]
    assert (tmp_path / "n.csv").read_text().startswith("onset,offset,note")
    height, width = plt.imread(tmp_path / "n.png").shape[:2]
    dpi = matplotlib.rcParams["savefig.dpi"]
    dpi = matplotlib.rcParams["figure.dpi"] if dpi == "figure" else dpi
    assert width <= 8 * dpi and height > 0


def test_notes_on_8_khz_audio_uses_the_keys_below_the_limit_and_takes_fmin_and_keys(tmp_path, capsys):
    from signalspace.analysis import synthesize

    sr = 8000
    path = tmp_path / "tel.wav"
    soundfile.write(path, np.asarray(synthesize(["C4", "A5", "E6"], 0.4, sr=sr))[:, 0], sr, subtype="PCM_16")
    out, _ = _notes_output(["notes", str(path), "--csv", str(tmp_path / "n.csv")], capsys)
    # keys below 0.45 * 8000 = 3600 Hz: A0 .. A7 (3520 Hz), as librosa names the MIDI numbers 21 .. 105
    import librosa

    top = librosa.midi_to_note(int(np.floor(librosa.hz_to_midi(0.45 * sr))), unicode=False)
    assert f"keys A0..{top}" in out and "3 notes" in out
    notes = [line.split(",")[2] for line in (tmp_path / "n.csv").read_text().splitlines()[1:]]
    assert notes == ["C4", "A5", "E6"]
    out, _ = _notes_output(["notes", str(path), "--fmin", "C3", "--keys", "36"], capsys)
    assert "keys C3..B5" in out and "E6" not in out.split("notes", 1)[1]
    out, _ = _notes_output(["notes", str(path), "--fmin", "130.8", "--keys", "24"], capsys)
    assert "keys C3..B4" in out
    assert cli.main(["notes", str(path), "--keys", "88"]) == 2  # an explicit number of keys too high is an error
    assert "n_keys=88" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["notes", str(path), "--keys", "0"])


def test_notes_per_channel_floor_and_key_options(melody_wav, tmp_path, capsys):
    _notes_output(["notes", str(melody_wav), "--csv", str(tmp_path / "mix.csv")], capsys)
    rows = (tmp_path / "mix.csv").read_text().splitlines()[1:]
    assert {row.split(",")[-1] for row in rows} == {"mix"}
    _notes_output(["notes", str(melody_wav), "--per-channel", "--csv", str(tmp_path / "lr.csv")], capsys)
    rows = [row.split(",") for row in (tmp_path / "lr.csv").read_text().splitlines()[1:]]
    assert [r[2] for r in rows if r[-1] == "L"] == ["C4", "E5", "A2", "G6"]
    assert [r[2] for r in rows if r[-1] == "R"] == ["F3", "B4", "D6", "C#4"]
    flats, _ = _notes_output(["notes", str(melody_wav), "--per-channel", "--key", "Db:maj"], capsys)
    assert "Db4" in flats and "C#4" not in flats
    quiet, _ = _notes_output(["notes", str(melody_wav), "--floor-db", "0"], capsys)  # nothing is that loud
    assert "0 notes" in quiet
    assert cli.main(["notes", str(melody_wav), "--key", "H:maj"]) == 2
    assert "key 'H:maj'" in capsys.readouterr().err
