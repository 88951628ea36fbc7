"""ss.plot: every dispatch path draws the data it was given, labelled, ≤ 8 inches wide, never shown.

References are independent: numpy indexing/reductions for the pixels, librosa's dB conversion
for spectrograms, scikit-image's img_as_float for 8-bit colour.
"""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes

import signalspace as ss


@pytest.fixture(autouse=True)
def _no_show(monkeypatch):
    """Fail if anything calls plt.show; close every figure after the test."""

    def forbidden(*args, **kwargs):
        raise AssertionError("ss.plot must never call plt.show")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


def _width(ax) -> float:
    return float(ax.figure.get_size_inches()[0])


def _expected_extent(axis):
    lo, hi = axis.origin, axis.origin + axis.step * (axis.size - 1)
    return lo - axis.step / 2, hi + axis.step / 2


def audio_signal(n=500, c=2, sr=1000.0):
    rng = np.random.default_rng(0)
    d = ss.Domain([ss.Axis("time", n, step=1 / sr, unit="s")], kind="audio")
    names = ("L", "R") if c == 2 else tuple(f"ch{i}" for i in range(c))
    return ss.Signal(rng.standard_normal((n, c)), d, ss.Channels(names))


def image_signal(values, kind="image", layout=None, names=None, coords=None, units=None, row_step=1.0, col_step=1.0):
    rows, cols = values.shape[:2]
    d = ss.Domain(
        [ss.Axis("row", rows, step=row_step, origin=3.0, unit="px"), ss.Axis("col", cols, step=col_step, unit="px")],
        kind=kind,
    )
    c = values.shape[2] if values.ndim == 3 else 1
    channels = ss.Channels(names or tuple(f"b{i}" for i in range(c)), layout=layout, coords=coords, units=units)
    return ss.Signal(values, d, channels)


def phasespace_signal(n=4, mass=1.0):
    names = ("t", "x", "y", "z", "E", "px", "py", "pz")
    axes = [ss.Axis(name, n, step=0.5, origin=-1.0, unit="1") for name in names]
    d = ss.Domain(axes, kind="phasespace")
    g = [a.coords for a in axes]
    px, py, pz = np.meshgrid(g[5], g[6], g[7], indexing="ij")
    h = np.sqrt(px**2 + py**2 + pz**2 + mass**2)
    values = np.broadcast_to(h, (n,) * 5 + h.shape[-3:]).copy()
    values = values * (1.0 + np.arange(n)[:, None, None, None, None, None, None, None])  # varies with t too
    return ss.Signal(values, d)


# --------------------------------------------------------------------------- 1-D
def test_waveform_one_line_per_channel_with_time_axis():
    x = audio_signal(c=2)
    ax = ss.plot.plot(x)
    assert isinstance(ax, Axes)
    assert len(ax.lines) == 2
    assert ax.get_xlabel() == "time (s)"
    t = np.arange(500) / 1000.0
    for k, line in enumerate(ax.lines):
        np.testing.assert_allclose(line.get_xdata(), t)
        np.testing.assert_array_equal(line.get_ydata(), x.values[:, k])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["L", "R"]
    assert ax.get_xlim() == pytest.approx((0.0, t[-1]))
    assert _width(ax) <= 8


def test_waveform_generic_kind_and_given_axes():
    d = ss.Domain([ss.Axis("depth", 50, step=2.0, unit="m")])
    x = ss.Signal(np.arange(50.0), d)
    _fig, given_ax = plt.subplots()
    ax = ss.plot.plot(x, ax=given_ax)
    assert ax is given_ax
    assert len(ax.lines) == 1 and ax.get_legend() is None
    assert ax.get_xlabel() == "depth (m)"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), 2.0 * np.arange(50))


def test_waveform_long_signal_is_an_envelope_that_keeps_extremes():
    x = audio_signal(n=50_001, c=3)
    ax = ss.plot.waveform(x, max_points=1000)
    assert len(ax.lines) == 3
    for k, line in enumerate(ax.lines):
        y = np.asarray(line.get_ydata())
        assert y.size <= 1000
        assert y.max() == x.values[:, k].max() and y.min() == x.values[:, k].min()


def test_waveform_stack_labels_channels():
    x = audio_signal(c=6)
    ax = ss.plot.waveform(x, stack=True, channels=["ch0", 2, "ch5"])
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ch0", "ch2", "ch5"]


# --------------------------------------------------------------------------- 2-D
def test_gray_image_extent_aspect_and_pixels():
    rng = np.random.default_rng(1)
    values = rng.random((6, 9))
    x = image_signal(values, row_step=0.5, col_step=2.0)
    ax = ss.plot.plot(x)
    (im,) = ax.images
    np.testing.assert_array_equal(im.get_array(), values)
    assert im.get_cmap().name == "gray"
    rows, cols = x.domain.axes
    c_lo, c_hi = _expected_extent(cols)
    r_lo, r_hi = _expected_extent(rows)
    assert im.get_extent() == pytest.approx([c_lo, c_hi, r_hi, r_lo])
    assert ax.get_aspect() == 1.0  # both axes in px: physical aspect, from the extent
    assert ax.get_xlabel() == "col (px)" and ax.get_ylabel() == "row (px)"
    assert _width(ax) <= 8


def test_rgb_uint8_is_scaled_like_skimage():
    from skimage.util import img_as_float

    rng = np.random.default_rng(2)
    values = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    x = image_signal(values, layout="rgb", names=("R", "G", "B"))
    ax = ss.plot.plot(x)
    np.testing.assert_allclose(ax.images[0].get_array(), img_as_float(values))


@pytest.mark.parametrize("normalize", ["auto", "clip", "minmax"])
def test_rgba_float_out_of_range_is_normalized_without_warning(normalize):
    rng = np.random.default_rng(3)
    values = rng.normal(0.5, 1.0, (4, 5, 4))
    x = image_signal(values, layout="rgba", names=("R", "G", "B", "A"))
    ax = ss.plot.image(x, normalize=normalize)  # warnings are errors: matplotlib's clipping warning would fail
    shown = np.asarray(ax.images[0].get_array())
    if normalize == "clip":
        np.testing.assert_allclose(shown, np.clip(values, 0, 1))
    elif normalize == "auto":
        np.testing.assert_allclose(shown, (values - values.min()) / (values.max() - values.min()))
    else:
        lo, hi = values.min(axis=(0, 1)), values.max(axis=(0, 1))
        np.testing.assert_allclose(shown, (values - lo) / (hi - lo))
    assert shown.min() >= 0 and shown.max() <= 1


def test_hyperspectral_false_colour_uses_bands_nearest_rgb_wavelengths():
    rng = np.random.default_rng(4)
    wl = np.linspace(400, 700, 13)
    values = rng.random((6, 6, 13))
    x = image_signal(values, layout="hyperspectral", coords={"wavelength": wl}, units={"wavelength": "nm"})
    ax = ss.plot.plot(x)
    picks = [int(np.argmin(np.abs(wl - target))) for target in (650, 550, 450)]
    ref = values[..., picks]
    ref = (ref - ref.min(axis=(0, 1))) / (ref.max(axis=(0, 1)) - ref.min(axis=(0, 1)))
    np.testing.assert_allclose(ax.images[0].get_array(), ref)
    assert "R=b" + str(picks[0]) in ax.get_title()


def test_multichannel_band_grid_one_panel_per_band():
    rng = np.random.default_rng(5)
    values = rng.random((4, 6, 5))
    x = image_signal(values, kind="generic")
    panels = ss.plot.plot(x)
    assert len(panels) == 5
    for k, panel in enumerate(panels):
        np.testing.assert_array_equal(panel.images[0].get_array(), values[..., k])
        assert panel.get_title().startswith(f"b{k}")
    assert _width(panels[0]) <= 8


def test_band_grid_takes_the_place_of_a_given_axes():
    x = image_signal(np.random.default_rng(6).random((4, 4, 3)), kind="generic")
    fig, (left, right) = plt.subplots(1, 2)
    panels = ss.plot.image(x, ax=right, mode="bands")
    assert len(panels) == 3 and all(p.figure is fig for p in panels)
    assert right not in fig.axes and left in fig.axes


def test_false_colour_with_chosen_bands_and_channel_selection():
    rng = np.random.default_rng(7)
    values = rng.random((3, 4, 6))
    x = image_signal(values, kind="generic")
    ax = ss.plot.image(x, mode="false_color", bands=("b5", 0, 2))
    assert ax.get_title() == "false colour: R=b5, G=b0, B=b2"
    ax2 = ss.plot.image(x, channel="b3")
    np.testing.assert_array_equal(ax2.images[0].get_array(), values[..., 3])
    assert ax2.images[0].get_cmap().name == "viridis"  # a generic 2-D signal is data, not a photograph


# --------------------------------------------------------------------------- spectrogram
def _stft_signal(scale):
    import librosa

    sr = 8000
    t = np.arange(8000) / sr
    y = np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 1500 * t)
    S = np.abs(librosa.stft(y, n_fft=256, hop_length=64))  # (freq, frames)
    if scale == "power":
        S = S**2
    elif scale == "db":
        S = librosa.amplitude_to_db(S, ref=np.max)
    d = ss.Domain(
        [
            ss.Axis("time", S.shape[1], step=64 / sr, unit="s"),
            ss.Axis("frequency", S.shape[0], step=sr / 256, unit="Hz"),
        ],
        kind="spectrogram",
    )
    return ss.Signal(S.T, d, attrs={"scale": scale}), S


@pytest.mark.parametrize("scale", ["magnitude", "power", "db"])
def test_spectrogram_labels_extent_and_db_like_librosa(scale):
    import librosa

    x, S = _stft_signal(scale)
    ax = ss.plot.plot(x)
    (im,) = ax.images
    if scale == "magnitude":
        ref = librosa.amplitude_to_db(S, ref=np.max, top_db=80.0)
    elif scale == "power":
        ref = librosa.power_to_db(S, ref=np.max, top_db=80.0)
    else:
        ref = S
    np.testing.assert_allclose(im.get_array(), ref, rtol=1e-6, atol=1e-6)
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "frequency (Hz)"
    t_lo, t_hi = _expected_extent(x.domain["time"])
    f_lo, f_hi = _expected_extent(x.domain["frequency"])
    assert im.get_extent() == pytest.approx([t_lo, t_hi, f_lo, f_hi])
    colorbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert len(colorbar_axes) == 1 and colorbar_axes[0].get_ylabel() == "dB"
    assert _width(ax) <= 8


def test_spectrogram_frequency_first_and_per_channel_panels():
    x, S = _stft_signal("db")
    swapped = ss.Signal(
        np.stack([S, S - 10], axis=-1),
        ss.Domain([x.domain["frequency"], x.domain["time"]], kind="spectrogram"),
        ss.Channels(("L", "R")),
        attrs={"scale": "db"},
    )
    panels = ss.plot.plot(swapped, yscale="log")
    assert len(panels) == 2
    np.testing.assert_allclose(panels[1].images[0].get_array(), S - 10)
    assert [p.get_title() for p in panels] == ["L", "R"]
    assert panels[0].get_yscale() == "log"
    assert _width(panels[0]) <= 8


# --------------------------------------------------------------------------- N-D
def test_three_axes_slice_grid_through_centre():
    rng = np.random.default_rng(8)
    values = rng.random((5, 6, 7))
    d = ss.Domain([ss.Axis("z", 5, unit="mm"), ss.Axis("y", 6, step=0.5, unit="mm"), ss.Axis("x", 7, unit="mm")])
    x = ss.Signal(values, d)
    panels = ss.plot.plot(x)
    assert len(panels) == 3
    labels = [(p.get_xlabel(), p.get_ylabel()) for p in panels]
    assert labels == [("z (mm)", "y (mm)"), ("z (mm)", "x (mm)"), ("y (mm)", "x (mm)")]
    np.testing.assert_array_equal(panels[0].images[0].get_array(), values[:, :, 3].T)
    np.testing.assert_array_equal(panels[1].images[0].get_array(), values[:, 3, :].T)
    np.testing.assert_array_equal(panels[2].images[0].get_array(), values[2, :, :].T)
    y_lo, y_hi = _expected_extent(d["y"])
    x_lo, x_hi = _expected_extent(d["x"])
    assert panels[2].images[0].get_extent() == pytest.approx([y_lo, y_hi, x_lo, x_hi])


def test_phase_space_8d_slices_and_projections():
    x = phasespace_signal(n=4)
    panels = ss.plot.plot(x)
    labels = [(p.get_xlabel(), p.get_ylabel()) for p in panels]
    assert labels == [("t (1)", "x (1)"), ("x (1)", "y (1)"), ("x (1)", "px (1)"), ("y (1)", "py (1)"),
                      ("z (1)", "pz (1)"), ("t (1)", "E (1)")]
    v = x.values[..., 0]
    # (x, px) panel: every other axis at index 2
    np.testing.assert_array_equal(panels[2].images[0].get_array(), v[2, :, 2, 2, 2, :, 2, 2].T)
    assert _width(panels[0]) <= 8

    proj = ss.plot.plot(x, mode="projection", reduce="max", pairs=[("px", "py"), ("pz", "t")])
    np.testing.assert_allclose(proj[0].images[0].get_array(), v.max(axis=(0, 1, 2, 3, 4, 7)).T)
    np.testing.assert_allclose(proj[1].images[0].get_array(), v.max(axis=(1, 2, 3, 4, 5, 6)))  # (t, pz) -> pz across
    assert (proj[1].get_xlabel(), proj[1].get_ylabel()) == ("pz (1)", "t (1)")


def test_slices_at_chosen_index_of_a_lazy_signal():
    da = pytest.importorskip("dask.array")
    values = np.random.default_rng(9).random((4, 5, 6, 2))
    x = ss.Signal(da.from_array(values, chunks=2), ss.Domain.from_shape((4, 5, 6)))
    panels = ss.plot.slices(x, pairs=[("x1", "x2")], index={"x0": 1}, channel="c1")
    np.testing.assert_array_equal(panels[0].images[0].get_array(), values[1, :, :, 1].T)
    assert x.is_lazy  # drawing computes a copy, the signal stays lazy


@settings(max_examples=8, deadline=None)
@given(
    shape=st.lists(st.integers(2, 4), min_size=3, max_size=5),
    reduce=st.sampled_from(["sum", "max", "mean"]),
    data=st.data(),
)
def test_projection_equals_numpy_reduction(shape, reduce, data):
    ndim = len(shape)
    a, b = data.draw(st.lists(st.integers(0, ndim - 1), min_size=2, max_size=2, unique=True))
    values = np.random.default_rng(sum(shape)).random(shape)
    x = ss.Signal(values, ss.Domain.from_shape(shape))
    (panel,) = ss.plot.slices(x, pairs=[(a, b)], mode="projection", reduce=reduce, colorbar=False)
    others = tuple(d for d in range(ndim) if d not in (a, b))
    ref = getattr(np, reduce)(values, axis=others)  # axes (min, max)
    ref = ref.T if a < b else ref  # picture: rows are b
    np.testing.assert_allclose(panel.images[0].get_array(), ref)
    plt.close("all")


# --------------------------------------------------------------------------- registry and errors
def test_the_adapter_of_a_kind_says_how_it_is_drawn():
    """One registry describes a kind: its adapter either draws the kind itself (plot) or names a picture; a picture
    that does not take the signal's number of axes, or a kind without adapter, is drawn by the number of axes."""
    calls = []

    class VideoTest(ss.domains.DomainAdapter):
        kind = "video-test"
        axis_names = ("time", "row", "col")

        def plot(self, signal, ax=None, **kw):
            calls.append(signal.kind)
            return ss.plot.slices(signal, ax=ax, pairs=[("row", "col")], **kw)

    class Sheets(ss.domains.DomainAdapter):
        kind = "sheets-test"
        picture = "image"

    ss.register_domain(VideoTest)
    ss.register_domain(Sheets)
    try:
        d = ss.Domain([ss.Axis("time", 3), ss.Axis("row", 4), ss.Axis("col", 5)], kind="video-test")
        panels = ss.plot.plot(ss.Signal(np.zeros((3, 4, 5)), d))
        assert calls == ["video-test"] and len(panels) == 1
        sheet = ss.Signal(np.zeros((4, 5)), ss.Domain.from_shape((4, 5), kind="sheets-test"))
        assert ss.plot.plot(sheet).images  # the named picture
        stack = ss.Signal(np.zeros((2, 4, 5)), ss.Domain.from_shape((2, 4, 5), kind="sheets-test"))
        assert len(ss.plot.plot(stack)) == 3  # "image" does not take 3 axes: slices, by the number of axes
    finally:
        ss.domains.unregister_domain("video-test")
        ss.domains.unregister_domain("sheets-test")
    plt.close("all")
    built_in = {kind: ss.domains.get(kind).picture for kind in ("audio", "image", "phasespace", "spectrogram",
                                                                 "pianoroll")}
    assert built_in == {"audio": "waveform", "image": "image", "phasespace": "slices", "spectrogram": "spectrogram",
                        "pianoroll": "pianoroll"}
    assert set(built_in.values()) <= set(ss.plot.PICTURES)


def test_bad_input_raises_named_errors():
    x = audio_signal()
    with pytest.raises(ss.InvalidTypeError, match="signal must be"):
        ss.plot.plot(np.zeros(3))
    with pytest.raises(ss.InvalidParameterError, match="channel 5"):
        ss.plot.waveform(x, channels=[5])
    with pytest.raises(ss.UnknownNameError, match="'Q'"):
        ss.plot.waveform(x, channels=["Q"])
    img = image_signal(np.zeros((3, 3, 3)))
    with pytest.raises(ss.UnknownNameError, match="mode"):
        ss.plot.image(img, mode="sepia")
    with pytest.raises(ss.InvalidParameterError, match="3 or 4 channels"):
        ss.plot.image(image_signal(np.zeros((3, 3, 2))), mode="rgb")
    with pytest.raises(ss.InvalidParameterError, match="'time' and a 'frequency'"):
        ss.plot.spectrogram(img)
    cube = ss.Signal(np.zeros((2, 3, 4)), ss.Domain.from_shape((2, 3, 4)))
    with pytest.raises(ss.InvalidParameterError, match=r"index\['x0'\]"):
        ss.plot.slices(cube, index={"x0": 7})
    with pytest.raises(ss.UnknownNameError, match="nope"):
        ss.plot.slices(cube, index={"nope": 0})
    with pytest.raises(ss.InvalidParameterError, match="same axis twice"):
        ss.plot.slices(cube, pairs=[("x0", 0)])
    with pytest.raises(ss.InvalidParameterError, match="1-D"):
        ss.plot.waveform(cube)


def test_importing_plot_does_not_import_matplotlib():
    code = "import sys, signalspace as ss; ss.plot.PICTURES; assert 'matplotlib' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_matrix_draws_into_the_given_axes_and_keeps_figures_narrow():
    from scipy.linalg import toeplitz

    T = toeplitz([1.0, 2.0, 0.0, 0.0], [1.0, 3.0, 0.0, 0.0])
    fig, given_ax = plt.subplots()
    ax = ss.plot.matrix(T, ax=given_ax)
    assert isinstance(ax, Axes) and ax.figure is fig
    big = ss.plot.matrix(np.kron(np.eye(20), T))
    assert isinstance(big, Axes) and _width(big) <= 8


def test_pianoroll_drawer_is_the_picture_of_a_roll_with_its_notes():
    import librosa

    from signalspace.analysis import detect_notes, piano_roll, synthesize

    left = np.asarray(synthesize(["C4", "E5"], 0.3, sr=22050))[:, 0]
    right = np.asarray(synthesize(["A5", "G3", "D4"], 0.2, sr=22050))[:, 0]
    stereo = ss.audio.from_array(np.stack([left, right[: left.size]]), 22050, layout="stereo")
    roll, notes = piano_roll(stereo), detect_notes(stereo)
    assert roll.domain.kind == "pianoroll" and ss.domains.get("pianoroll").picture == "pianoroll"
    axes = ss.plot.plot(roll, notes=notes)
    assert axes.shape == (2,) and axes[0].figure.get_figwidth() <= ss.plot.MAX_WIDTH
    for c, (name, ax) in enumerate(zip(("L", "R"), axes, strict=True)):
        (im,) = ax.get_images()
        env = np.asarray(roll)[:, c * 88 : (c + 1) * 88]
        np.testing.assert_allclose(im.get_array(), 20 * np.log10(env.T / env.max() + 1e-4))
        assert im.get_extent()[2:] == [20.5, 108.5] and ax.get_ylabel() == f"{name}: MIDI key"
        drawn = sorted(round(line.get_ydata()[0]) for line in ax.lines)
        assert drawn == sorted(librosa.note_to_midi(e.note) for e in notes if e.channel == name)
    plt.close("all")
    mono = piano_roll(synthesize(["A4"], 0.3, sr=22050))
    _, ax = plt.subplots()
    assert ss.plot.plot(mono, ax=ax) is ax and not ax.lines
    plt.close("all")
    with pytest.raises(ss.InvalidParameterError, match="'midi' channel coordinate"):
        ss.plot.pianoroll(mono.replace(channels=ss.Channels.generic(88)))
