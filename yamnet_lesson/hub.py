"""YAMNet from TensorFlow Hub: the same interface as the lesson's own model.

``tensorflow_hub.load`` returns a TensorFlow SavedModel object that is called
directly on a waveform, as in Google's YAMNet tutorial.  (``hub.KerasLayer``
is a Keras 2 layer and does not mix with the Keras 3 models of this lesson.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._tensorflow import tf
from .assets import YAMNET_HUB_HANDLE, _reason
from .classes import read_class_names, top_classes
from .validation import LessonError, check_waveform

__all__ = ["HubYamnet", "load_from_hub"]


class HubYamnet:
    """A TF Hub YAMNet: ``scores, embeddings, log_mel = model(waveform)`` as NumPy arrays.

    * ``scores``: ``(patches, 521)``; ``embeddings``: ``(patches, 1024)``;
      ``log_mel``: ``(frames, 64)``.
    * ``class_names``: the 521 AudioSet display names; ``source``: where it came from.
    """

    def __init__(self, module: Any, handle: str) -> None:
        self.module = module
        self.class_names = read_class_names(module.class_map_path().numpy().decode("utf-8"))
        self.source = f"TF Hub YAMNet, loaded with tensorflow_hub.load({handle!r})"

    def __call__(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        waveform = check_waveform(waveform)
        scores, embeddings, log_mel = self.module(tf.constant(waveform))
        return scores.numpy(), embeddings.numpy(), log_mel.numpy()

    def top_classes(self, scores: np.ndarray, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` classes with the highest mean score over patches, with their scores."""
        return top_classes(scores, self.class_names, top)

    def __repr__(self) -> str:
        return f"<YAMNet: {self.source}>"


def load_from_hub(handle: str = YAMNET_HUB_HANDLE) -> HubYamnet:
    """``tensorflow_hub.load(handle)`` wrapped as a :class:`HubYamnet`.

    ``handle`` is a TF Hub URL or a local SavedModel folder.  Failing to load
    (offline, wrong handle, not YAMNet) raises :class:`LessonError`.
    """
    import tensorflow_hub as hub

    try:
        module = hub.load(handle)
    except Exception as error:  # offline, bad handle, not a SavedModel: all the same to a student
        raise LessonError(
            f"YAMNet could not be loaded from TF Hub ({handle}): {_reason(error)}. Check the "
            f"handle ({YAMNET_HUB_HANDLE} is YAMNet's) and the internet connection, or use "
            "the official files: load_yamnet(source='files')."
        ) from None
    if not callable(getattr(module, "class_map_path", None)):
        raise LessonError(
            f"{handle} loaded, but it is not YAMNet: it has no class_map_path(). "
            f"Check the handle ({YAMNET_HUB_HANDLE} is YAMNet's)."
        )
    return HubYamnet(module, handle)
