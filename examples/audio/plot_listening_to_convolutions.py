"""
Listening to convolutions
=========================

A convolution is a *running scalar product*: at every instant it measures how
well the signal aligns with the kernel.  Take a kernel that is a short tone at
one pitch, and the convolution lights up exactly where the melody plays that
pitch.  This is the lecture's notebook (NYU Deep Learning, "listening to
kernels"), made reproducible and taken one step further: with one kernel per
piano key, the same operation transcribes the melody.

Everything is synthesized, so nothing is downloaded: a four-note melody in the
style of a computer's shutdown sound (A♭6, E♭6, A♭5, B♭5), 70 641 samples at
22 050 Hz, like the clip in the lecture.
"""

# %%
# The melody
# ----------
# :func:`signalspace.analysis.synthesize` makes piano-like tones: partials at
# integer multiples of the pitch with amplitudes 1/h, a fast attack and a decay
# that is faster for the higher partials.  The notes overlap a little, as they
# ring on.  The sum of the tones peaks near 1.9; ``synthesize`` scales it to a
# peak of 0.9 (its ``peak=`` argument), below the full scale [-1, 1] of a 16-bit
# WAV, so the file holds the melody unclipped (``ss.audio.save`` refuses
# samples a PCM file would clip rather than clipping them silently).
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss

OUT = Path(os.environ.get("SIGNALSPACE_OUT", "out"))
OUT.mkdir(parents=True, exist_ok=True)

sr = 22050
melody = ["Ab6", "Eb6", "Ab5", "Bb5"]
x = ss.analysis.synthesize(
    melody,
    durations=[0.45, 0.45, 0.5, 1.6],
    onsets=[0.05, 0.4, 0.75, 1.15],
    velocity=[0.8, 0.7, 0.7, 0.9],
    decay=0.8,
    sr=sr,
    length=70641,
    snr_db=40,
    seed=0,
)
print(f"x has {x.shape[0]} samples at {sr / 1000} kHz: {x.shape[0] / sr:.1f} s, peak {np.abs(x.values).max():.2f}")
ss.audio.save(x, OUT / "melody.wav")

# %%
# Waveform and spectrogram
# ------------------------
# The waveform alone does not tell the notes apart; a short-time Fourier
# transform (a spectrogram: a Signal on a time × frequency domain) does.  The
# two panels share the time axis, and the spectrogram's colour bar is attached
# to both panels, so both keep the same width and an instant sits at the same
# horizontal position in each.
S = ss.analysis.spectrogram(x, n_fft=2048, hop_length=512, scale="db", ref=np.max)
fig, (ax_wave, ax_spec) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, layout="constrained")
ss.plot.waveform(x, ax=ax_wave)
ax_wave.set_title("x(t) and its spectrogram")
ax_wave.set_xlabel("")  # the shared time axis is labelled once, below
ss.plot.spectrogram(S, ax=ax_spec, colorbar=False)
ax_spec.set_ylim(0, 4000)
# one colour bar for the lower panel, attached to both axes: constrained layout narrows both alike
fig.colorbar(ax_spec.images[0], ax=[ax_wave, ax_spec], label="dB", shrink=0.48, anchor=(0.0, 0.0))
fig.savefig(OUT / "waveform_and_spectrogram.png")

# %%
# Reading the pitches off the spectrogram
# ---------------------------------------
# Where the spectrogram's energy (below 2 kHz, where the fundamentals are) is
# largest gives each note's pitch.  We look in the middle of each note and take
# the strongest frequency bin, refined by a parabola through its neighbours.
magnitude = ss.analysis.spectrogram(x, n_fft=4096, hop_length=512)
freqs = magnitude.domain["frequency"].coords
read_hz = []
for start in (0.05, 0.4, 0.75, 1.15):
    frame = np.asarray(magnitude.sel(time=start + 0.15, method="nearest"))[:, 0]
    frame = np.where(freqs < 2000, frame, 0)
    b = int(frame.argmax())
    a, c = np.log(frame[b - 1 : b + 2] + 1e-12)[[0, 2]]
    m = np.log(frame[b] + 1e-12)
    shift = 0.5 * (a - c) / (a - 2 * m + c)
    read_hz.append(float((b + shift) * freqs[1]))
for name, hz in zip(melody, read_hz, strict=True):
    print(f"{name}: {ss.analysis.note_hz(name):7.1f} Hz from the name, {hz:7.1f} Hz read off the spectrogram "
          f"-> {ss.analysis.note_name(hz)}")

# %%
# Four pitch kernels
# ------------------
# One 0.4 s tone per pitch, as in the lecture (there: bare sinusoids; here
# Hann-windowed, which keeps each kernel's spectrum narrow).  We build them from
# the frequencies read off the spectrogram, and check they equal, to within the
# reading error, the kernels built from the note names.
kernels = [ss.analysis.pitch_kernel(hz, sr=sr, duration=0.4) for hz in read_hz]
by_name = [ss.analysis.pitch_kernel(name, sr=sr, duration=0.4) for name in melody]
for name, k_read, k_name in zip(melody, kernels, by_name, strict=True):
    cosine = float(np.dot(k_read.values[:, 0], k_name.values[:, 0]))
    print(f"kernel {name}: cosine similarity read vs named = {cosine:.3f}")

# %%
# The spectrogram of the concatenated pitches next to the original's: the
# "pitched" reconstruction has the same four lines.
xx_values = np.concatenate([k.values[:, 0] for k in by_name])
xx = ss.audio.from_array(0.9 * xx_values / np.abs(xx_values).max(), sr)  # normalized to 0.9 before writing
ss.audio.save(xx, OUT / "concatenated_pitches.wav")
SS = ss.analysis.spectrogram(xx, n_fft=2048, hop_length=512, scale="db", ref=np.max)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), sharey=True, layout="constrained")
ss.plot.spectrogram(S.sel(time=slice(0, 1.6)), ax=axes[0], colorbar=False)
axes[0].set_title("X(t), original")
ss.plot.spectrogram(SS, ax=axes[1], colorbar=False)
axes[1].set_title("X̂(t), concatenated pitch kernels")
for ax in axes:
    ax.set_ylim(0, 2000)
axes[1].set_ylabel("")
fig.savefig(OUT / "spectrogram_vs_pitches.png")

# %%
# Each kernel's spectrum: one narrow peak at its pitch.
fig, ax = plt.subplots(figsize=(8, 3.5), layout="constrained")
n_fft = 1 << 15
f = np.fft.rfftfreq(n_fft, 1 / sr)
for name, k in zip(melody, by_name, strict=True):
    spectrum = np.abs(np.fft.rfft(k.values[:, 0], n_fft))
    ax.plot(f, 20 * np.log10(spectrum / spectrum.max() + 1e-6), label=f"{name} ({k.attrs['hz']:.0f} Hz)")
ax.set_xlim(600, 2000)
ax.set_ylim(-80, 3)
ax.set_xlabel("frequency [Hz]")
ax.set_ylabel("|FFT| [dB]")
ax.legend()
ax.set_title("Spectra of the four pitch kernels")
fig.savefig(OUT / "kernel_spectra.png")

# %%
# Convolving
# ----------
# One :class:`~signalspace.ops.conv.Conv` with a kernel of shape
# ``(samples, 1, 4)`` maps the mono melody to four channels, one per pitch:
# the running scalar product with each tone ("same" padding keeps the time
# axis).  Each output is loud only while its note plays.  We write each one as
# a WAV, normalized to a peak of 0.9 first (the raw outputs are scalar
# products, far beyond a WAV's full scale): listen to them.
bank = np.stack([k.values[:, 0] for k in kernels], axis=-1)[:, np.newaxis, :]
conv = ss.Conv(bank, padding="same", channel_names=melody)
y = conv(x)
fig, axes = plt.subplots(4, 1, figsize=(8, 7), sharex=True, sharey=True, layout="constrained")
t = y.domain["time"].coords
for i, (name, ax) in enumerate(zip(melody, axes, strict=True)):
    ax.plot(t, y.values[:, i], lw=0.5)
    ax.set_title(f"x ⋆ a({name})", loc="left", fontsize=10)
    out = y.values[:, i] / (np.abs(y.values[:, i]).max() + 1e-12)
    ss.audio.save(ss.audio.from_array(0.9 * out, sr), OUT / f"convolution_{name}.wav")
axes[-1].set_xlabel("time [s]")
fig.savefig(OUT / "convolutions.png")

# %%
# All 88 keys
# -----------
# With one kernel per piano key, the envelopes of the outputs form a piano
# roll.  Explaining each of its frames as a sum of harmonic notes (whose
# partials' strengths are learned from the recording), and following each
# key through time with a two-state hidden Markov model, gives the notes: see
# "Note transcription" in the documentation for the method and its scores on
# real sampled instruments.
roll = ss.analysis.piano_roll(x)
notes = ss.analysis.detect_notes(x, key="Ab:maj")  # spelled as the melody is written, in A-flat major
ax = ss.plot.plot(roll, notes=notes)  # the "pianoroll" drawer: dB image, detected notes in cyan
ax.set_title("Piano roll: envelope of 88 matched filters [dB], detected notes", loc="left", fontsize=10)
fig = ax.figure
fig.savefig(OUT / "piano_roll.png")
print(notes)
notes.to_csv(OUT / "notes.csv")
print(f"figures and sounds written to {OUT.resolve()}")
