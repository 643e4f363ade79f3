"""Google's own YAMNet, run exactly as shipped: the official TF Lite file in LiteRT.

This is the yardstick.  The lesson's Keras YAMNet (:mod:`yamnet_lesson.yamnet`)
and its log-mel features (:mod:`yamnet_lesson.features`) are compared against
what this interpreter computes for the same 0.975 s window.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import assets
from ._quiet import silenced_stderr
from .features import PATCH_SAMPLES
from .validation import LessonError, check_waveform

__all__ = ["OfficialYamnet", "official_yamnet"]


class OfficialYamnet:
    """The official TF Lite YAMNet: one 15,600-sample window in, 521 scores out.

    It also exposes the graph's own ``log_mel_spectrogram`` tensor, so the
    lesson's features can be checked against Google's, and ``mel_matrix``,
    the graph's mel weights ``(64 bands, 257 FFT bins)`` (those of TensorFlow's
    ``tf.signal.linear_to_mel_weight_matrix``).
    """

    def __init__(self, path: str | Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = assets.find_file(assets.YAMNET_TFLITE, path)  # verified, as every loader does

        with warnings.catch_warnings(), silenced_stderr():
            warnings.simplefilter("ignore")  # "preserve_all_tensors is for debugging"
            self.interpreter = Interpreter(
                model_path=str(path), experimental_preserve_all_tensors=True
            )
            self.interpreter.allocate_tensors()
        self.path = Path(path)
        details = {d["name"]: d["index"] for d in self.interpreter.get_tensor_details()}
        self._input = self.interpreter.get_input_details()[0]["index"]
        self._scores = self.interpreter.get_output_details()[0]["index"]
        self._log_mel = details["log_mel_spectrogram"]
        self.mel_matrix = self.interpreter.get_tensor(details["mel_spectrogram"]).copy()

    def __call__(self, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(scores (521,), log_mel (96, 64))`` for one 16 kHz window of 15,600 samples.

        Integer PCM (e.g. int16) is scaled to [-1, 1] first, as everywhere in the lesson.
        """
        window = check_waveform(window, "window")
        if window.shape != (PATCH_SAMPLES,):
            raise LessonError(
                f"the official model takes exactly {PATCH_SAMPLES} samples (0.975 s at 16 kHz), "
                f"got shape {window.shape}."
            )
        self.interpreter.set_tensor(self._input, window)
        self.interpreter.invoke()
        scores = self.interpreter.get_tensor(self._scores)[0].copy()
        return scores, self.interpreter.get_tensor(self._log_mel).copy()


@lru_cache(maxsize=2)
def official_yamnet(path: str | Path | None = None) -> OfficialYamnet:
    """The official TF Lite YAMNet, found like every model file (see ``yamnet_lesson.assets``)."""
    return OfficialYamnet(assets.find_file(assets.YAMNET_TFLITE, path))
