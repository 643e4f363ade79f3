"""One exception type and the few checks every public helper runs at its boundary.

Every problem a student or teacher can fix themselves (a slider out of range, an
unreadable file, a missing model) raises :class:`LessonError` with one sentence
that says what is wrong and what to do.  Notebooks show only that sentence
(see :func:`yamnet_lesson.notebook.setup`), never a traceback wall.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LessonError", "check_audio", "check_int", "check_positive", "check_waveform"]


class LessonError(ValueError):
    """A problem the user can fix: the message says what happened and what to do."""


def check_int(value: Any, name: str, low: int, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` if ``low <= value <= high``; else raise LessonError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise LessonError(f"{name} must be a whole number, got {value!r}.")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise LessonError(f"{name} must be {bounds}, got {value}.")
    return int(value)


def check_positive(value: Any, name: str) -> float:
    """Return ``value`` as a ``float`` if it is a finite number above 0; else raise LessonError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise LessonError(f"{name} must be a number, got {value!r}.")
    if not (np.isfinite(value) and value > 0):
        raise LessonError(f"{name} must be a positive number, got {value}.")
    return float(value)


def check_audio(audio: Any, name: str = "audio", *, min_samples: int = 1) -> np.ndarray:
    """Return ``audio`` as a float32 array of shape ``(samples,)`` or ``(samples, signals)``.

    Raises :class:`LessonError` if it is empty, not numeric, has more than two
    dimensions, is shorter than ``min_samples`` or holds NaN or infinite values.
    """
    try:
        array = np.asarray(audio, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise LessonError(f"{name} must be an array of numbers ({error}).") from None
    if array.ndim not in (1, 2):
        raise LessonError(
            f"{name} must be 1-D (samples,) or 2-D (samples, signals), got shape {array.shape}."
        )
    if array.ndim == 2 and array.shape[1] == 0:
        raise LessonError(f"{name} holds no signals (shape {array.shape}).")
    if array.shape[0] < min_samples or array.size == 0:
        raise LessonError(
            f"{name} has {array.shape[0]} samples; at least {min_samples} are needed."
        )
    if not np.all(np.isfinite(array)):
        raise LessonError(f"{name} contains NaN or infinite values; clean or re-record it.")
    return array


def check_waveform(waveform: Any) -> np.ndarray:
    """Return one 1-D float32 waveform ``(samples,)`` for YAMNet; else raise LessonError."""
    array = check_audio(waveform, "waveform")
    if array.ndim != 1:
        raise LessonError(
            f"YAMNet takes one 1-D waveform at 16 kHz, got shape {array.shape}; "
            "pass one column at a time."
        )
    return array
