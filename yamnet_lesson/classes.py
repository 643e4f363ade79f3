"""YAMNet's 521 AudioSet classes: reading the class map and picking the top classes."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ._validation import LessonError

__all__ = ["read_class_names", "top_classes"]


def read_class_names(csv_path: str | Path) -> list[str]:
    """Display names from the official class map CSV (``index,mid,display_name``), in order."""
    with open(csv_path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    if not rows or "display_name" not in rows[0]:
        raise LessonError(
            f"{Path(csv_path).name} is not YAMNet's class map (index,mid,display_name)."
        )
    return [row["display_name"] for row in rows]


def top_classes(scores: np.ndarray, class_names: list[str], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` classes with the highest mean score over patches: ``[(name, score), ...]``.

    ``scores`` is ``(patches, classes)`` or ``(classes,)``.
    """
    mean = np.asarray(scores, dtype=np.float64).reshape(-1, len(class_names)).mean(axis=0)
    best = np.argsort(mean)[::-1][:k]
    return [(class_names[i], float(mean[i])) for i in best]
