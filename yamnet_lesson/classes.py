"""YAMNet's 521 AudioSet classes: reading the class map and picking the top classes.

Shared by the lesson's own model (:mod:`yamnet_lesson.yamnet`) and the TF Hub
one (:mod:`yamnet_lesson.hub`), so both name classes and rank them the same way.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ._validation import LessonError, check_int

__all__ = ["read_class_names", "top_classes"]


def read_class_names(csv_path: str | Path) -> list[str]:
    """Display names from the official class map CSV (``index,mid,display_name``), in order."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LessonError(f"The class map {csv_path} could not be read ({error}).") from None
    if not rows or "display_name" not in rows[0]:
        raise LessonError(
            f"{Path(csv_path).name} is not YAMNet's class map (index,mid,display_name)."
        )
    return [row["display_name"] for row in rows]


def top_classes(scores: np.ndarray, class_names: list[str], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` classes with the highest mean score over patches: ``[(name, score), ...]``.

    ``scores`` is ``(patches, classes)`` or ``(classes,)``.
    """
    k = check_int(
        k, "k", 1, len(class_names), impossible="class_names is empty; pass the model's names."
    )
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim not in (1, 2) or scores.shape[-1] != len(class_names) or scores.size == 0:
        raise LessonError(
            f"scores must have shape (patches, {len(class_names)}), got {scores.shape}."
        )
    mean = scores.reshape(-1, len(class_names)).mean(axis=0)
    best = np.argsort(mean)[::-1][:k]
    return [(class_names[i], float(mean[i])) for i in best]
