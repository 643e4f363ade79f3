"""YAMNet from TensorFlow Hub: the same interface as the lesson's own model.

``tensorflow_hub.load`` returns a TensorFlow SavedModel object that is called
directly on a waveform, as in Google's YAMNet tutorial.  (``hub.KerasLayer``
is a Keras 2 layer and does not mix with the Keras 3 models of this lesson.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tensorflow import tf
from ._validation import LessonError, check_audio
from .classes import read_class_names, top_classes

__all__ = ["HubYamnet", "load_from_hub"]


class HubYamnet:
    """A TF Hub YAMNet: ``scores, embeddings, log_mel = model(waveform)`` as NumPy arrays."""

    def __init__(self, module: Any, handle: str) -> None:
        self.module = module
        self.class_names = read_class_names(module.class_map_path().numpy().decode("utf-8"))
        self.source = f"TF Hub YAMNet, loaded with tensorflow_hub.load({handle!r})"

    def __call__(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        waveform = check_audio(waveform, "waveform")
        if waveform.ndim != 1:
            raise LessonError(f"YAMNet takes one 1-D waveform at 16 kHz, got {waveform.shape}.")
        scores, embeddings, log_mel = self.module(tf.constant(waveform))
        return scores.numpy(), embeddings.numpy(), log_mel.numpy()

    def top_classes(self, scores: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` classes with the highest mean score over patches, with their scores."""
        return top_classes(scores, self.class_names, k)

    def __repr__(self) -> str:
        return f"<YAMNet: {self.source}>"


def load_from_hub(handle: str) -> HubYamnet:
    """``tensorflow_hub.load(handle)`` wrapped as a :class:`HubYamnet`.

    ``handle`` is a TF Hub URL or a local SavedModel folder.  Failing to load
    (offline, wrong handle) raises :class:`LessonError`.
    """
    import tensorflow_hub as hub

    try:
        module = hub.load(handle)
    except Exception as error:  # offline, bad handle, not a SavedModel: all the same to a student
        raise LessonError(
            f"YAMNet could not be loaded from TF Hub ({handle}): {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}"
        ) from None
    return HubYamnet(module, handle)
