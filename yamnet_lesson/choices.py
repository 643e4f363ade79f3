"""What a student chooses when training, named once: the modes, and the ranges of K and epochs.

Used by :func:`yamnet_lesson.fine_tune`, the interactive trainer, the command
line and the figures, so that all of them say the same thing.
"""

from __future__ import annotations

__all__ = ["EPOCH_RANGE", "K_RANGE", "MODES", "MODE_LABELS"]

MODE_LABELS = {
    "finetune": "fine-tune the whole network",
    "head": "train only the new layer",
    "scratch": "train from scratch",
}
"""Each training mode of :func:`yamnet_lesson.fine_tune`, in words."""

MODES = tuple(MODE_LABELS)
"""``("finetune", "head", "scratch")``."""

K_RANGE = (1, 95)
"""The trainer's K (training examples per class): with 100 signals a colour, at
least 5 of each always stay to validate.  (:func:`split_reference` itself allows
K up to one less than the smallest class.)"""

EPOCH_RANGE = (1, 60)
"""The trainer's epochs: up to twice the reference's 30."""
