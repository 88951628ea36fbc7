"""
Hearing a room
==============

A room is a linear, time-invariant system: what a microphone records is the
dry sound convolved with the room's *impulse response* ``h`` — the direct
sound, a few early reflections off the walls, then a reverberant tail that
decays exponentially.  Given a dry recording and its reverberant version, ``h``
is the solution of a least-squares problem in the kernel (thousands of taps);
given ``h``, the dry sound is the solution of one in the signal.  The same
:class:`~signalspace.Conv` gives both operators:

* ``Conv(...).kernel_operator(dry)``: ``h -> dry * h``, to hear the room;
* ``Conv(h, ...).operator(shape)``: ``x -> x * h``, to take it away again.

Everything is synthesized (nothing is downloaded): a melody from
:func:`signalspace.analysis.synthesize` and a room whose reverberation time
(RT60: the time for the sound to decay by 60 dB) is 0.25 s.
"""

# %%
# A dry melody and a room
# -----------------------
# 3 s at 16 kHz.  The room: the direct sound, four reflections in the first
# 15 ms, and a tail of Gaussian noise whose envelope decays by 60 dB in 0.25 s
# (4 000 taps).  The microphone adds noise 50 dB below the reverberant sound.
import os
import time

import matplotlib.pyplot as plt
import numpy as np

import signalspace as ss

OUT = os.environ.get("SIGNALSPACE_OUT", "out")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)
t_start = time.perf_counter()

sr = 16000
melody = ["C5", "E5", "G5", ["C5", "E5", "G5"], "A4", "F5", "D5", ["G4", "B4", "D5", "F5"]]
dry = ss.analysis.synthesize(melody, durations=0.35, onsets=np.arange(8) * 0.36, n_harmonics=12, decay=0.5,
                             sr=sr, length=3 * sr, snr_db=40, seed=0)
x = dry.values[:, 0]

taps, rt60 = 4000, 0.25
t = np.arange(taps) / sr
h = rng.standard_normal(taps) * np.exp(-t * 3 * np.log(10) / rt60) * 0.12 * (t > 0.004)  # -60 dB at rt60
h[0] = 1.0
for delay, gain in ((0.0031, 0.6), (0.0057, -0.45), (0.0094, 0.35), (0.0142, 0.3)):
    h[round(delay * sr)] += gain

room = ss.Conv(h, padding="full", flip=True)  # the true convolution, every sample of the tail kept
clean = room(x)
wet = clean + 10 ** (-50 / 20) * np.std(clean) * rng.standard_normal(clean.shape)
print(f"dry: {x.size} samples, reverberant: {wet.size} samples ({taps - 1} of tail), room: {taps} taps")

# %%
# Hearing the room: the closed form, roles swapped
# ------------------------------------------------
# Padded with the tail's length, the dry sound makes the reverberant one by a
# *circular* convolution — and a convolution is symmetric in its two factors:
# the dry sound can be the kernel and the impulse response the signal.  So
# :func:`signalspace.ops.wiener`, the closed form for the signal of a circular
# convolution, gives the impulse response over all 51 999 samples in
# milliseconds; we keep the first 4 000.  The balance, 60 dB below the dry
# sound's mean power per frequency, stops the division at the frequencies the
# melody never plays.
n = x.size
as_kernel = ss.Conv(x, padding=[(n - 1, 0)], boundary="wrap", flip=True)  # h -> x ⊛ h, circular, 51 999 samples
t0 = time.perf_counter()
h_closed = ss.ops.wiener(as_kernel, wet, balance=1e-6 * np.sum(x**2))[:taps]
t_closed = time.perf_counter() - t0


def misalignment(estimate):
    return 20 * np.log10(np.linalg.norm(estimate - h) / np.linalg.norm(h))


print(f"closed form: {t_closed * 1e3:.0f} ms, misalignment {misalignment(h_closed):.1f} dB")

# %%
# Hearing the room: least squares in the kernel
# ---------------------------------------------
# The exact model has 4 000 unknowns:
# ``X = Conv(<4000 taps>, padding="full", flip=True).kernel_operator(dry)`` maps
# any impulse response to the reverberant sound it would make.  LSQR solves it;
# its adjoint, the correlation of the dry sound with a residual, runs on the FFT
# engine.  A melody excites its notes' frequencies far more than the others, so
# LSQR converges slowly from zero; started from the closed form it refines it
# in 50 iterations.
X = ss.Conv(np.zeros(taps), padding="full", flip=True).kernel_operator(x)
t0 = time.perf_counter()
fit = ss.ops.lstsq(X, wet, x0=h_closed, tol=1e-10, maxiter=50)
t_refined = time.perf_counter() - t0
cold = ss.ops.lstsq(X, wet, tol=1e-10, maxiter=50)
h_est = fit.x
print(f"least squares: 50 LSQR iterations in {t_refined:.2f} s; misalignment against the true response "
      f"{misalignment(h_est):.1f} dB when started from the closed form, {misalignment(cold.x):.1f} dB when started "
      "from zero")

def decay_curve(ir):
    """Schroeder's backward integration of the energy, in dB: the room's decay."""
    energy = np.cumsum(ir[::-1] ** 2)[::-1]
    return 10 * np.log10(energy / energy[0] + 1e-30)


def rt60_of(ir):
    """The reverberation time from the -5 to -25 dB part of the decay curve (T20, times 3)."""
    curve = decay_curve(ir)
    first, last = np.argmax(curve < -5), np.argmax(curve < -25)
    slope = np.polyfit(np.arange(first, last) / sr, curve[first:last], 1)[0]
    return -60 / slope


print(f"RT60: {rt60_of(h):.3f} s true, {rt60_of(h_est):.3f} s estimated")

fig, axes = plt.subplots(3, 1, figsize=(8, 7), layout="constrained")
ms = 1000 * t
axes[0].plot(ms[:400], h[:400], label="true", lw=1.5)
axes[0].plot(ms[:400], h_est[:400], "--", label="estimated (least squares)", lw=1)
axes[0].set_title("The first 25 ms: direct sound and early reflections", fontsize="small")
axes[0].legend(fontsize="small")
axes[1].plot(ms, h, lw=0.5, label="true")
axes[1].plot(ms, h_closed - h, lw=0.5, label=f"closed form − true ({misalignment(h_closed):.1f} dB)")
axes[1].plot(ms, h_est - h, lw=0.5, label=f"least squares − true ({misalignment(h_est):.1f} dB)")
axes[1].set_ylim(-0.15, 0.15)
axes[1].set_title("The whole response and the errors", fontsize="small")
axes[1].legend(fontsize="small")
axes[2].plot(ms, decay_curve(h), label=f"true, RT60 {rt60_of(h):.3f} s")
axes[2].plot(ms, decay_curve(h_est), "--", label=f"estimated, RT60 {rt60_of(h_est):.3f} s")
axes[2].set_ylim(-70, 2)
axes[2].set_ylabel("energy left [dB]")
axes[2].set_title("Decay curves (Schroeder integration)", fontsize="small")
axes[2].legend(fontsize="small")
for ax in axes:
    ax.set_xlabel("time [ms]")
fig.savefig(os.path.join(OUT, "room_impulse_response.png"), dpi=100)

# %%
# Taking the room away: least squares in the signal
# -------------------------------------------------
# With the estimated ``h`` the reverberant sound is ``Conv(h_est)(dry)``; its
# operator on 48 000 samples, inverted by LSQR with a small ridge, gives the
# dry sound back.  The same problem, written as a *circular* convolution of
# the dry sound padded with the tail's length, is one Wiener division per
# frequency (:func:`signalspace.ops.wiener`).
A = ss.Conv(h_est, padding="full", flip=True).operator(x.shape)
t0 = time.perf_counter()
dereverberated = ss.ops.lstsq(A, wet, damp=0.01, tol=1e-6, maxiter=300).x
t_lsqr = time.perf_counter() - t0
periodic = ss.Conv(h_est, padding=[(taps - 1, 0)], boundary="wrap", flip=True)  # circular, output = input length
t0 = time.perf_counter()
wiener = ss.ops.wiener(periodic, wet, 1e-4)[: x.size]
t_wiener = time.perf_counter() - t0


def snr_db(estimate):
    return 10 * np.log10(np.sum(x**2) / np.sum((estimate - x) ** 2))


reverberant_part = wet[: x.size]
print(f"SNR against the dry sound: reverberant {snr_db(reverberant_part):.1f} dB, "
      f"dereverberated by LSQR {snr_db(dereverberated):.1f} dB ({t_lsqr:.2f} s), "
      f"by Wiener {snr_db(wiener):.1f} dB ({t_wiener * 1e3:.0f} ms)")

fig, axes = plt.subplots(3, 1, figsize=(8, 6.5), sharex=True, sharey=True, layout="constrained")
for ax, (label, signal) in zip(axes, (("dry", x), ("reverberant", reverberant_part),
                                      ("dereverberated (LSQR, estimated room)", dereverberated)), strict=True):
    S = ss.analysis.spectrogram(ss.audio.from_array(signal, sr), n_fft=1024, hop_length=256, scale="db",
                                ref=np.max)
    ss.plot.spectrogram(S, ax=ax, colorbar=False)
    ax.set_ylim(0, 4000)
    ax.set_title(label, fontsize="small", loc="left")
    ax.set_xlabel("")
axes[-1].set_xlabel("time [s]")
fig.savefig(os.path.join(OUT, "dereverberation.png"), dpi=100)

# %%
# Listen: the four WAVs, each scaled to a peak of 0.9.
for name, signal in (("dry", x), ("reverberant", wet), ("dereverberated", dereverberated),
                     ("room_impulse_response_estimated", h_est)):
    ss.audio.save(ss.audio.from_array(0.9 * signal / np.abs(signal).max(), sr), os.path.join(OUT, f"{name}.wav"))
print(f"ran in {time.perf_counter() - t_start:.1f} s; figures and sounds in {OUT}")
