"""Audio analysis: spectrograms as Signals, pitch kernels, piano rolls and note transcription.

The lecture's "listening to convolutions" as a tool: :func:`spectrogram`
(librosa's STFT on a (time, frequency) Domain), :func:`pitch_kernel` and
:func:`piano_bank` (matched filters for notes), :func:`piano_roll` (88 keys
of note energy over time), :func:`detect_notes` (a table of notes, tuned by
:class:`DetectionParams`) and :func:`synthesize` (piano-like melodies for
examples and tests).
"""

from __future__ import annotations

from .notes import NoteEvent, NoteTable
from .pianoroll import SuperFlux, piano_roll
from .pitch import N_KEYS, PianoBank, piano_bank, pitch_kernel
from .spectral import SCALES, spectrogram
from .synth import note_hz, note_name, synthesize
from .transcription import DetectionParams, Segment, detect_notes

__all__ = [
    "N_KEYS",
    "SCALES",
    "DetectionParams",
    "NoteEvent",
    "NoteTable",
    "PianoBank",
    "Segment",
    "SuperFlux",
    "detect_notes",
    "note_hz",
    "note_name",
    "piano_bank",
    "piano_roll",
    "pitch_kernel",
    "spectrogram",
    "synthesize",
]
