"""The adapter registry: built-ins, register_domain, real entry points, ss.load dispatch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
import warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import soundfile as sf

import signalspace as ss
from signalspace.domains import AdapterNotSupportedError, DomainAdapter, registry
from signalspace.testing import AdapterConformanceError, check_adapter


@pytest.fixture(autouse=True)
def _clean_registry():
    before = dict(registry._registered)
    registry.refresh()
    yield
    registry._registered.clear()
    registry._registered.update(before)
    registry.refresh()


class Sonar(DomainAdapter):
    kind = "sonar"
    axis_names = ("range", "bearing")
    layouts: ClassVar[dict] = {"single": ("echo",)}
    dimensionality = "2-D range × bearing"


def _plugin(tmp_path, monkeypatch, body: str, value: str | None = None, name: str = "fake") -> str:
    """Install a real distribution (dist-info + module) on sys.path; return its module name."""
    module = f"fakeplugin_{uuid.uuid4().hex[:8]}"
    dist = tmp_path / "fakeplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplugin\nVersion: 0.1\n")
    target = value or f"{module}:FakeAdapter"
    (dist / "entry_points.txt").write_text(f"[signalspace.domains]\n{name} = {target}\n")
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, module, raising=False)
    return module


GOOD_PLUGIN = """
    import numpy as np
    import signalspace as ss
    from signalspace.domains import DomainAdapter

    class FakeAdapter(DomainAdapter):
        kind = "fake"
        axis_names = ("depth",)
        layouts = {"zne": ("Z", "N", "E")}
        dimensionality = "1-D depth"

        def from_array(self, values):
            d = ss.Domain([ss.Axis("depth", len(values), unit="m")], kind="fake")
            return ss.Signal(np.array(values, copy=True), d, self.channels("zne"))
"""


def test_builtins_are_listed_and_typed():
    kinds = ss.domains.available()
    assert {"audio", "image", "phasespace"} <= set(kinds)
    assert list(kinds) == sorted(kinds)
    audio = ss.domains.get("audio")
    assert isinstance(audio, DomainAdapter)
    assert audio.axis_names == ("time",)
    assert audio.layouts["stereo"] == ("L", "R")
    assert audio.dimensionality == "1-D time"
    assert ss.domains.get("image").axis_names == ("row", "col")
    assert len(ss.domains.get("phasespace").axis_names) == 8


def test_unknown_kind_lists_known_ones():
    with pytest.raises(ss.UnknownNameError) as info:
        ss.domains.get("sonar")
    message = str(info.value)
    assert "'sonar'" in message
    for kind in ("audio", "image", "phasespace"):
        assert repr(kind) in message
    with pytest.raises(ss.InvalidTypeError, match="kind must be a string"):
        ss.domains.get(3)


def test_register_instance_and_class_then_unregister():
    assert ss.register_domain(Sonar) is Sonar  # works as a decorator
    assert "sonar" in ss.domains.available()
    assert isinstance(ss.domains.get("sonar"), Sonar)
    with pytest.raises(ss.InvalidParameterError, match=r"already registered.*replace=True"):
        ss.register_domain(Sonar())
    other = Sonar()
    ss.register_domain(other, replace=True)
    assert ss.domains.get("sonar") is other
    ss.domains.unregister_domain("sonar")
    assert "sonar" not in ss.domains.available()
    with pytest.raises(ss.UnknownNameError, match="sonar"):
        ss.domains.unregister_domain("sonar")


def test_registered_adapter_overrides_a_builtin_only_with_replace():
    class MyAudio(DomainAdapter):
        kind = "audio"

    with pytest.raises(ss.InvalidParameterError, match="'audio'"):
        ss.register_domain(MyAudio)
    ss.register_domain(MyAudio, replace=True)
    assert isinstance(ss.domains.get("audio"), MyAudio)
    ss.domains.unregister_domain("audio")
    assert type(ss.domains.get("audio")).__name__ == "AudioAdapter"


@pytest.mark.parametrize("bad", [object(), 3, "audio", DomainAdapter])
def test_register_rejects_non_adapters(bad):
    with pytest.raises(ss.InvalidTypeError, match="adapter"):
        ss.register_domain(bad)


def test_unsupported_operations_raise_clear_errors():
    sonar = Sonar()
    with pytest.raises(AdapterNotSupportedError, match=r"'sonar' adapter does not support load\(\)"):
        sonar.load("x.bin")
    with pytest.raises(AdapterNotSupportedError, match="save"):
        sonar.save(None, "x.bin")
    with pytest.raises(AdapterNotSupportedError, match="from_array"):
        sonar.from_array(np.zeros(3))
    assert sonar.can_open("x.bin") is False
    assert issubclass(AdapterNotSupportedError, ss.SignalspaceError)
    with pytest.raises(ss.UnknownNameError, match="'single'"):
        sonar.channels("quad")


def test_entry_point_plugin_is_discovered(tmp_path, monkeypatch):
    module = _plugin(tmp_path, monkeypatch, GOOD_PLUGIN)
    ss.domains.refresh()
    assert "fake" in ss.domains.available()
    fake = ss.domains.get("fake")
    assert type(fake).__module__ == module
    x = fake.from_array(np.zeros((5, 3)))
    assert x.kind == "fake" and x.channels.names == ("Z", "N", "E")
    check_adapter(fake)


def test_discovery_is_cached_until_refresh(tmp_path, monkeypatch):
    assert "fake" not in ss.domains.available()
    _plugin(tmp_path, monkeypatch, GOOD_PLUGIN)
    assert "fake" not in ss.domains.available()  # cached: the new distribution is not seen yet
    ss.domains.refresh()
    assert "fake" in ss.domains.available()


@pytest.mark.parametrize(
    ("body", "value", "name", "reason"),
    [
        ("raise ImportError('missing dependency frobnicate')\n", None, "fake", "frobnicate"),
        ("FakeAdapter = 42\n", None, "fake", "DomainAdapter"),
        (GOOD_PLUGIN, None, "other", "kind is 'fake', not the entry-point name 'other'"),
        (GOOD_PLUGIN, "no_such_module_xyz:Thing", "fake", "no_such_module_xyz"),
    ],
    ids=["import-error", "wrong-type", "kind-mismatch", "missing-module"],
)
def test_broken_plugin_warns_and_is_skipped(tmp_path, monkeypatch, body, value, name, reason):
    _plugin(tmp_path, monkeypatch, body, value=value, name=name)
    ss.domains.refresh()
    with pytest.warns(RuntimeWarning) as record:
        kinds = ss.domains.available()
    messages = " ".join(str(w.message) for w in record)
    assert repr(name) in messages and "fakeplugin" in messages
    assert reason in messages
    assert name not in kinds
    assert {"audio", "image", "phasespace"} <= set(kinds)
    with warnings.catch_warnings():  # cached: no second warning
        warnings.simplefilter("error")
        ss.domains.available()


def test_plugin_cannot_shadow_a_builtin(tmp_path, monkeypatch):
    _plugin(tmp_path, monkeypatch, GOOD_PLUGIN.replace('kind = "fake"', 'kind = "audio"'), name="audio")
    ss.domains.refresh()
    with pytest.warns(RuntimeWarning, match="'audio' is already provided"):
        adapter = ss.domains.get("audio")
    assert type(adapter).__name__ == "AudioAdapter"


def test_broken_plugin_never_breaks_import(tmp_path):
    dist = tmp_path / "brokenplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[signalspace.domains]\nbroken = brokenplugin_mod:Adapter\n")
    (tmp_path / "brokenplugin_mod.py").write_text("raise RuntimeError('boom at import')\n")
    code = (
        "import sys, signalspace as ss\n"
        "heavy = [m for m in ('librosa', 'skimage', 'soundfile', 'matplotlib', 'xarray', 'dask') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print(ss.domains.available())\n"
        "heavy = [m for m in ('librosa', 'skimage', 'soundfile', 'matplotlib', 'xarray', 'dask') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "'audio', 'image', 'phasespace'" in result.stdout
    assert "broken" in result.stderr and "boom at import" in result.stderr


def test_load_dispatches_on_the_file(tmp_path, rng):
    wav = tmp_path / "tone.wav"
    sf.write(wav, rng.uniform(-0.5, 0.5, (300, 2)), 8000, subtype="FLOAT")
    png = tmp_path / "pic.png"
    from skimage import io

    io.imsave(png, rng.integers(0, 256, (6, 7, 3), dtype=np.uint8), check_contrast=False)
    x = ss.load(wav)
    assert x.kind == "audio" and x.shape == (300, 2)
    np.testing.assert_array_equal(x.values, sf.read(wav, dtype="float32")[0])
    y = ss.load(str(png))
    assert y.kind == "image" and y.shape == (6, 7, 3)
    np.testing.assert_array_equal(y.values, io.imread(png))
    # kind= forces an adapter and passes keywords on
    z = ss.load(wav, kind="audio", mono=True)
    assert z.shape == (300, 1)


def test_load_refuses_unknown_and_missing_files(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a signal")
    with pytest.raises(ss.FileFormatError, match=r"no domain adapter can open .*notes\.txt.*audio"):
        ss.load(junk)
    with pytest.raises(ss.FileFormatError, match="does not exist"):
        ss.load(tmp_path / "missing.wav")
    with pytest.raises(ss.InvalidTypeError, match="path"):
        ss.load(42)
    with pytest.raises(ss.UnknownNameError, match="unknown domain kind 'sonar'"):
        ss.load(junk, kind="sonar")


def test_load_uses_registered_adapter_first(tmp_path):
    path = tmp_path / "scan.sonar"
    path.write_bytes(b"SONAR" + bytes(12))

    class SonarFile(Sonar):
        extensions = (".sonar",)

        def can_open(self, p):
            return str(p).endswith(".sonar")

        def load(self, p):
            raw = np.frombuffer(Path(p).read_bytes()[5:], dtype=np.uint8).reshape(3, 4).copy()
            d = ss.Domain([ss.Axis("range", 3), ss.Axis("bearing", 4)], kind="sonar")
            return ss.Signal(raw, d, self.channels("single"))

    ss.register_domain(SonarFile)
    x = ss.load(path)
    assert x.kind == "sonar" and x.shape == (3, 4, 1)
    assert not np.any(x.values)


def test_conformance_passes_for_builtins_and_catches_a_bad_adapter(tmp_path):
    for kind in ("audio", "image", "phasespace"):
        report = check_adapter(ss.domains.get(kind), tmp_dir=tmp_path)
        assert report["metadata"] == report["example"] == "passed"
    for kind in ("spectrogram", "pianoroll"):  # kinds analysis makes: no files, no example of their own
        report = check_adapter(ss.domains.get(kind), tmp_dir=tmp_path)
        assert report["metadata"] == "passed" and report["round_trip"].startswith("skipped")
    assert check_adapter(ss.domains.get("audio"), tmp_dir=tmp_path)["round_trip"] == "passed"

    class Raises(Sonar):
        def can_open(self, p):
            raise OSError("cannot stat")

    with pytest.raises(AdapterConformanceError, match="can_open"):
        check_adapter(Raises)

    class BadAxes(Sonar):
        axis_names: ClassVar = ["range"]  # a list: breaks the contract on purpose

    with pytest.raises(AdapterConformanceError, match="axis_names"):
        check_adapter(BadAxes())

    class WrongKind(Sonar):
        def example(self):
            return ss.Signal(np.zeros((2, 2)), ss.Domain.from_shape((2, 2), names=("range", "bearing")))

    with pytest.raises(AdapterConformanceError, match="kind 'generic'"):
        check_adapter(WrongKind)

    class UnknownPicture(Sonar):
        picture = "hologram"

    with pytest.raises(AdapterConformanceError, match="picture"):
        check_adapter(UnknownPicture)


def test_load_surfaces_the_error_of_the_adapter_that_claims_the_extension(tmp_path, rng):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(ss.FileFormatError) as direct:
        ss.audio.load(junk)
    assert "No 'data' chunk marker" in str(direct.value)  # libsndfile's own diagnosis
    with pytest.raises(ss.FileFormatError) as dispatched:
        ss.load(junk)
    assert str(dispatched.value) == str(direct.value)
    noise = tmp_path / "noise.flac"
    noise.write_bytes(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    with pytest.raises(ss.FileFormatError, match=r"cannot read audio file .*noise\.flac"):
        ss.load(noise)
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(ss.FileFormatError, match=r"cannot read image file .*picture\.png"):
        ss.load(picture)
    # keywords reach the claiming adapter too
    with pytest.raises(ss.InvalidParameterError, match="dtype must be one of"):
        ss.load(junk, dtype="uint8")


def test_registered_adapter_that_claims_an_extension_explains_its_refusal(tmp_path):
    path = tmp_path / "scan.sonar"
    path.write_bytes(b"NOT A SONAR FILE")

    class SonarFile(Sonar):
        extensions = (".sonar",)

        def can_open(self, p):
            return Path(p).read_bytes().startswith(b"SONAR")

        def load(self, p):
            raise ss.FileFormatError(f"{p}: missing SONAR magic bytes")

    ss.register_domain(SonarFile)
    with pytest.raises(ss.FileFormatError, match="missing SONAR magic bytes"):
        ss.load(path)
    other = tmp_path / "scan.echo"  # nobody's extension: the generic message
    other.write_bytes(b"NOT A SONAR FILE")
    with pytest.raises(ss.FileFormatError, match=r"no domain adapter can open .*scan\.echo"):
        ss.load(other)
