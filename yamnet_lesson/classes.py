"""YAMNet's 521 AudioSet classes: reading the class map, the top classes, the sound events.

Shared by the lesson's own model (:mod:`yamnet_lesson.yamnet`) and the TF Hub
one (:mod:`yamnet_lesson.hub`), so both name classes and rank them the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import features
from .validation import (
    LessonError,
    _short_repr,
    check_int,
    check_path,
    check_positive,
    shown_path,
)

__all__ = [
    "EVENT_THRESHOLD",
    "SoundEvent",
    "read_class_names",
    "sound_events",
    "top_classes",
    "window_edges",
]

EVENT_THRESHOLD = 0.2
"""Default score a window's best class needs before :func:`sound_events` counts it."""


def read_class_names(csv_path: str | Path) -> list[str]:
    """Display names from the official class map CSV (``index,mid,display_name``), in order."""
    csv_path = check_path(csv_path, "csv_path")
    shown = shown_path(csv_path)
    if csv_path.is_dir():
        raise LessonError(f"{shown} is a folder, not the class map; pass the CSV file in it.")
    try:
        with open(csv_path, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise LessonError(f"The class map {shown} could not be read ({reason}).") from None
    except (UnicodeDecodeError, csv.Error):
        raise LessonError(
            f"{shown_path(csv_path.name)} is not YAMNet's class map (a UTF-8 CSV file)."
        ) from None
    if not rows or "display_name" not in rows[0]:
        raise LessonError(
            f"{shown_path(csv_path.name)} is not YAMNet's class map (index,mid,display_name)."
        )
    return [row["display_name"] for row in rows]


def top_classes(
    scores: np.ndarray, class_names: list[str], top: int = 3
) -> list[tuple[str, float]]:
    """The ``top`` classes with the highest mean score over patches: ``[(name, score), ...]``.

    ``scores`` is ``(patches, classes)`` or ``(classes,)``.
    """
    class_names = _checked_names(class_names)
    top = check_int(
        top, "top", 1, len(class_names), impossible="class_names is empty; pass the model's names."
    )
    scores = _checked_scores(scores, class_names, allow_1d=True)
    mean = scores.reshape(-1, len(class_names)).mean(axis=0)
    best = np.argsort(mean)[::-1][:top]
    return [(class_names[i], float(mean[i])) for i in best]


def _checked_names(class_names: Any) -> list[str]:
    """``class_names`` as a list (one name per class; a 1-D array too); else LessonError."""
    if isinstance(class_names, np.ndarray) and class_names.ndim == 1:
        return class_names.tolist()
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence):
        raise LessonError(
            "class_names must be a list of the model's class names, got "
            f"{_short_repr(class_names)}."
        )
    return list(class_names)


def _checked_scores(scores: Any, class_names: list[str], *, allow_1d: bool) -> np.ndarray:
    """``scores`` as float64, shape ``(patches, classes)`` (or ``(classes,)``); else LessonError.

    Scores are the model's outputs: real, finite numbers.
    """
    expected = f"scores must be the model's scores, shape (patches, {len(class_names)})"
    try:
        array = np.asarray(scores)
        if array.dtype.kind not in "iuf":  # complex, text, objects, True/False
            raise TypeError
        array = array.astype(np.float64)
    except (TypeError, ValueError):
        raise LessonError(f"{expected}, got {_short_repr(scores)}.") from None
    shapes_ok = array.ndim == 2 or (allow_1d and array.ndim == 1)
    if not shapes_ok or array.shape[-1] != len(class_names) or array.size == 0:
        raise LessonError(f"{expected}, got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise LessonError("scores contains NaN or infinite values; pass the model's scores.")
    return array


class SoundEvent(NamedTuple):
    """A sound YAMNet hears: class ``name`` from ``start`` to ``end`` (seconds).

    ``score`` is the class's mean score over the event's windows (0-1).
    """

    name: str
    start: float
    end: float
    score: float

    def __str__(self) -> str:
        return f"{self.start:5.2f} - {self.end:5.2f} s  {self.name} (mean score {self.score:.2f})"


def window_edges(n_windows: int, duration: float | None = None) -> np.ndarray:
    """Where each of YAMNet's windows "owns" the clip: ``n_windows + 1`` times in seconds.

    Window ``i`` hears 0.975 s from ``0.48 i`` s, so consecutive windows
    overlap.  Each moment of the clip is given to the window whose centre
    (``0.48 i + 0.4875`` s) is nearest: window ``i`` owns
    ``[edges[i], edges[i + 1])``.  The first window owns the clip from 0, the
    last until the end of what it hears, or until ``duration`` (the clip's
    length in seconds) if that is shorter; no window owns time after ``duration``.
    """
    n_windows = check_int(n_windows, "n_windows", 1, 2**24)  # 2**24: 93 days of sound
    hop = features.PATCH_HOP_SAMPLES / features.SAMPLE_RATE
    half = features.PATCH_SAMPLES / features.SAMPLE_RATE / 2
    edges = hop * np.arange(n_windows + 1) + half - hop / 2  # midpoints between centres
    edges[0] = 0.0
    edges[-1] = hop * (n_windows - 1) + 2 * half
    if duration is not None:  # no window owns time after the clip's end (only padding)
        edges = np.minimum(edges, check_positive(duration, "duration"))
    return edges


def sound_events(
    scores: np.ndarray,
    class_names: list[str],
    *,
    threshold: float = EVENT_THRESHOLD,
    duration: float | None = None,
) -> list[SoundEvent]:
    """The sounds YAMNet hears over time, with their start and end times.

    Like MATLAB's ``classifySound`` (simplified): each window's best class is
    taken if its score is at least ``threshold``; consecutive windows with the
    same best class are merged into one :class:`SoundEvent`.  A window whose
    best score is below ``threshold`` belongs to no event, and breaks one.

    ``scores`` has shape ``(windows, classes)``, one row every 0.48 s, as
    YAMNet returns them; ``duration`` is the clip's length in seconds (the
    last event ends there, not at the end of the zero-padded last window).
    Times come from :func:`window_edges`, so they are accurate to about a
    quarter of a second.

    The threshold: YAMNet's scores are independent sigmoids, one per class
    (several can be high at once and they need not add up to 1), so a score
    is "how sure YAMNet is that this sound is present".  ``EVENT_THRESHOLD``
    (0.2) keeps windows where YAMNet is at least a little sure of its best
    class; raise it to keep only confident detections.
    """
    class_names = _checked_names(class_names)
    scores = _checked_scores(scores, class_names, allow_1d=False)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float, np.integer, np.floating))
        or not 0.0 <= threshold <= 1.0
    ):
        raise LessonError(
            f"threshold must be a number between 0 and 1, got {_short_repr(threshold)}."
        )
    edges = window_edges(scores.shape[0], duration)
    best = scores.argmax(axis=1)
    sure = scores.max(axis=1) >= threshold
    events: list[SoundEvent] = []
    start = 0
    for i in range(1, scores.shape[0] + 1):
        if i < scores.shape[0] and best[i] == best[start] and sure[i] == sure[start]:
            continue
        if sure[start] and edges[start] < edges[i]:  # not windows past the clip's end
            score = float(scores[start:i, best[start]].mean())
            name = class_names[best[start]]
            events.append(SoundEvent(name, float(edges[start]), float(edges[i]), score))
        start = i
    return events
