"""Take the classifier home: one TF Lite file that runs wherever Google's YAMNet runs.

A fine-tuned network (:attr:`FineTuneResult.model`) takes log-mel *patches*,
which only this package knows how to draw.  :func:`export_classifier` puts the
drawing inside the file, as Google's own YAMNet TF Lite file does, so that the
exported file takes exactly what Google's takes -- 15,600 float32 samples
(0.975 s at 16 kHz, values in -1..1) -- and returns the class probabilities
``(1, classes)``.  Any app that runs YAMNet's TF Lite file can run it, with no
Python and no NumPy.

The front end in the file computes :func:`yamnet_lesson.features.log_mel_spectrogram`
with TensorFlow operations that LiteRT runs as built-in kernels:

========================  ==========================================
frames                    96 frames of 400 samples, 160 apart
window                    periodic Hann (400 samples)
spectrum                  512-point real FFT (frames zero-padded), magnitude
mel bands                 ``features.mel_filter_bank()`` stored as a constant
log                       ``log(mel + 0.001)``
========================  ==========================================

Beside the ``.tflite`` file :func:`export_classifier` writes the class names
(one per line, the label-file format LiteRT apps read) and the trained network as
a ``.keras`` file for Python users.  :class:`ExportedClassifier` runs the file
in LiteRT (``ai_edge_litert``) window by window, on clips of any length.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import features
from .validation import LessonError, check_path, check_waveform, peak_checked, warn_at_caller

__all__ = [
    "ExportedClassifier",
    "export_classifier",
    "export_result",
    "load_exported",
    "prepare_folder",
    "tf_log_mel_patch",
]

INPUT_NAME = "waveform"
OUTPUT_NAME = "probabilities"


# ---------------------------------------------------------------------------
# The folder
# ---------------------------------------------------------------------------


def prepare_folder(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` if needed and check that files can be written in it.

    Raises :class:`LessonError` with one sentence if a file stands where the
    folder (or one of its parents) should be, or if the folder cannot be written.
    Returns the folder as an absolute :class:`~pathlib.Path`.
    """
    path = check_path(folder, "folder").absolute()
    blocking = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise LessonError(
            f"cannot export to {path}: {blocking} is a file, not a folder; choose another folder."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise LessonError(
            f"cannot create or write to the folder {path} ({reason}); "
            "choose a folder you can write to."
        ) from None
    return path


# ---------------------------------------------------------------------------
# The front end, as TensorFlow operations
# ---------------------------------------------------------------------------


def tf_log_mel_patch(waveform: Any) -> Any:
    """YAMNet's log-mel patch of one 0.975 s window, in TensorFlow operations.

    ``waveform``: float32 tensor of shape ``(15600,)`` at 16 kHz.  Returns a
    float32 tensor ``(96, 64)`` equal (to float32 rounding) to
    ``features.log_mel_spectrogram(waveform)``.  Built from operations LiteRT
    runs natively (frame, multiply, RFFT2D, complex abs, fully connected, log),
    like the front end inside Google's YAMNet TF Lite file.
    """
    from ._tensorflow import tf

    frames = tf.signal.frame(waveform, features.WINDOW_SAMPLES, features.HOP_SAMPLES)
    window = tf.signal.hann_window(features.WINDOW_SAMPLES, periodic=True)
    # rfft pads each 400-sample frame with zeros to 512; librosa centres the
    # frame in the 512 instead: a shift, which changes the phase, not the magnitude.
    magnitude = tf.abs(tf.signal.rfft(frames * window, [features.N_FFT]))  # (96, 257)
    mel = tf.matmul(magnitude, tf.constant(features.mel_filter_bank().T))  # (96, 64)
    return tf.math.log(mel + features.LOG_OFFSET)


def _tflite_bytes(model: Any) -> bytes:
    """Convert ``model`` (log-mel patches -> probabilities) with the front end in front of it."""
    from ._tensorflow import keras, silenced_stderr, tf

    def classify_window(waveform: Any) -> dict[str, Any]:
        patch = tf_log_mel_patch(waveform)[tf.newaxis]  # (1, 96, 64)
        return {OUTPUT_NAME: model(patch, training=False)}

    # Keras' own export route: variables tracked by an ExportArchive are frozen
    # into constants by the converter (a bare tf.function would leave them as
    # resource variables, which LiteRT reads as uninitialised).
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        "serving_default",
        classify_window,
        [tf.TensorSpec([features.PATCH_SAMPLES], tf.float32, name=INPUT_NAME)],
    )
    tf_logger = logging.getLogger("tensorflow")  # "INFO:tensorflow:Assets written to: /tmp/..."
    level = tf_logger.level
    tf_logger.setLevel(logging.WARNING)
    try:
        with tempfile.TemporaryDirectory() as saved, silenced_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            archive.write_out(saved, verbose=False)
            return tf.lite.TFLiteConverter.from_saved_model(saved).convert()
    finally:
        tf_logger.setLevel(level)


def _check_model(model: Any, class_names: Sequence[str]) -> list[str]:
    names = [str(name) for name in class_names]
    shape = tuple(getattr(model, "input_shape", ()) or ())
    if shape[1:] != (features.PATCH_FRAMES, features.N_MELS):
        raise LessonError(
            f"the model must take log-mel patches of shape (batch, {features.PATCH_FRAMES}, "
            f"{features.N_MELS}), but it takes {shape or type(model).__name__}."
        )
    n_outputs = model.output_shape[-1]
    if len(names) != n_outputs or len(set(names)) != len(names):
        raise LessonError(
            f"need {n_outputs} different class names, one per output of the model, got {names}."
        )
    if any(not name or "\n" in name for name in names):
        raise LessonError(f"class names must be non-empty single lines, got {names}.")
    return names


def export_classifier(
    model: Any,
    class_names: Sequence[str],
    folder: str | os.PathLike[str],
    *,
    name: str = "classifier",
) -> dict[str, Path]:
    """Write a trained classifier as a TF Lite file, its class names and a Keras file.

    Parameters
    ----------
    model : keras.Model
        Log-mel patches ``(batch, 96, 64)`` -> class probabilities ``(batch, C)``,
        e.g. :attr:`FineTuneResult.model`.
    class_names : sequence of str, length ``C``
        Output order of the probabilities.
    folder : path
        Created if needed.  Files already there with the same names are replaced.
    name : str
        Stem of the file names.

    Returns
    -------
    dict with the paths written:

    * ``"tflite"``: ``<name>.tflite``, input float32 ``(15600,)`` (0.975 s at
      16 kHz, in -1..1, as Google's YAMNet TF Lite file), output float32
      ``(1, C)`` probabilities; the front end is inside;
    * ``"labels"``: ``<name>_labels.txt``, one class name per line, in output order;
    * ``"keras"``: ``<name>.keras``, the network itself (log-mel patches in),
      for ``keras.models.load_model``.
    """
    names = _check_model(model, class_names)
    if any(not isinstance(name, str) for name in class_names):  # e.g. integer labels
        warn_at_caller(
            f"the class names {', '.join(names)} are stored as text, so the exported file "
            f"predicts {names[0]!r}, not {class_names[0]!r}: compare its answers with the "
            "labels as text (np.asarray(labels).astype(str))."
        )
    folder = prepare_folder(folder)
    if not name or Path(name).name != name:
        raise LessonError(f"name must be a plain file name without folders, got {name!r}.")
    paths = {
        "tflite": folder / f"{name}.tflite",
        "labels": folder / f"{name}_labels.txt",
        "keras": folder / f"{name}.keras",
    }
    flatbuffer = _tflite_bytes(model)
    paths["tflite"].write_bytes(flatbuffer)
    paths["labels"].write_text("\n".join(names) + "\n", encoding="utf-8")
    model.save(paths["keras"])
    return paths


def export_result(result: Any, folder: str | os.PathLike[str], *, verbose: bool = True) -> dict:
    """Export a :class:`~yamnet_lesson.training.FineTuneResult` (see :func:`export_classifier`).

    With ``verbose`` the written files and the TF Lite file's size are printed.
    """
    paths = export_classifier(result.model, result.class_names, folder)
    if verbose:
        size = paths["tflite"].stat().st_size / 1e6
        print(f"Exported the {result.mode} classifier ({', '.join(map(str, result.class_names))}):")
        print(f"  {paths['tflite']}  (TF Lite, {size:.1f} MB, 15,600 samples at 16 kHz in)")
        print(f"  {paths['labels']}  (class names)")
        print(f"  {paths['keras']}  (Keras network, log-mel patches in)")
    return paths


# ---------------------------------------------------------------------------
# Running the exported file in LiteRT
# ---------------------------------------------------------------------------


def _embedded_labels(path: Path) -> list[str] | None:
    """Class names zipped into a TF Lite file as metadata (as in Google's YAMNet file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            texts = [n for n in archive.namelist() if n.endswith(".txt")]
            if len(texts) == 1:
                return archive.read(texts[0]).decode("utf-8").splitlines()
    except (zipfile.BadZipFile, OSError, UnicodeDecodeError):
        pass
    return None


class ExportedClassifier:
    """An exported TF Lite classifier running in LiteRT.

    ``classifier(window)`` -> probabilities ``(C,)`` of one 15,600-sample window;
    :meth:`classify_windows` and :meth:`predict_proba` handle clips of any
    length and rate.  ``class_names`` come from the file's metadata if it has
    any, else from ``<name>_labels.txt`` beside it.
    """

    def __init__(self, path: str | os.PathLike[str], class_names: Sequence[str] | None = None):
        from ai_edge_litert.interpreter import Interpreter

        from ._quiet import silenced_stderr

        self.path = check_path(path)
        if self.path.is_dir():
            raise LessonError(
                f"{self.path} is a folder, not a .tflite file; load_exported finds the one in it."
            )
        if not self.path.is_file():
            raise LessonError(f"{self.path} does not exist; export the classifier first.")
        try:
            with silenced_stderr():  # "INFO: Created TensorFlow Lite XNNPACK delegate"
                self.interpreter = Interpreter(model_path=str(self.path))
                self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as error:
            raise LessonError(
                f"{self.path.name} is not a readable TF Lite file ({error}); export it again."
            ) from None
        (input_detail,) = self.interpreter.get_input_details()
        (output_detail,) = self.interpreter.get_output_details()
        if tuple(input_detail["shape"]) != (features.PATCH_SAMPLES,):
            raise LessonError(
                f"{self.path.name} takes input of shape {tuple(input_detail['shape'])}, not one "
                f"window of {features.PATCH_SAMPLES} samples: not an exported lesson classifier."
            )
        self._input, self._output = input_detail["index"], output_detail["index"]
        n_classes = int(output_detail["shape"][-1])
        if class_names is None:
            class_names = _embedded_labels(self.path)
        if class_names is None:
            labels = self.path.with_name(f"{self.path.stem}_labels.txt")
            if not labels.is_file():
                raise LessonError(
                    f"no class names for {self.path.name}: {labels.name} is not beside it; "
                    "copy it there or pass class_names."
                )
            class_names = labels.read_text(encoding="utf-8").splitlines()
        self.class_names = [str(n) for n in class_names]
        if len(self.class_names) != n_classes:
            raise LessonError(
                f"{self.path.name} has {n_classes} outputs but {len(self.class_names)} class "
                "names were found; export the classifier again."
            )

    def __call__(self, window: np.ndarray) -> np.ndarray:
        """Probabilities ``(C,)`` of one 16 kHz window of exactly 15,600 samples."""
        window = check_waveform(window)
        if window.shape != (features.PATCH_SAMPLES,):
            raise LessonError(
                f"the file takes exactly {features.PATCH_SAMPLES} samples (0.975 s at 16 kHz), "
                f"got {window.shape[0]}; use classify_windows for longer clips."
            )
        self.interpreter.set_tensor(self._input, window)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output)[0].copy()

    def classify_windows(
        self,
        waveform: np.ndarray,
        sample_rate: int = features.SAMPLE_RATE,
        *,
        whole_hops: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Classify a clip of any length, 0.975 s window by window, 0.48 s apart (as YAMNet).

        The clip (1-D, any rate) is resampled to 16 kHz.  By default every
        window lies within the clip, as :meth:`FineTuneResult.predict` cuts
        them: a tail shorter than a hop is left out, and a clip shorter than
        one window is padded to one.  ``whole_hops=True`` pads the end as
        YAMNet does (:func:`yamnet_lesson.features.pad_for_patches`), so the
        tail is heard too -- in a last window that is partly silence.
        Returns ``(starts, probabilities)``: each window's start in seconds
        ``(windows,)`` and its class probabilities ``(windows, C)``.
        """
        sample_rate = features.check_rate(sample_rate)
        waveform = check_waveform(waveform)
        with peak_checked():  # checked once, here: resampling may overshoot a full-scale clip
            audio = features.resample(waveform, sample_rate)
            padded = features.pad_for_patches(audio, whole_hops=whole_hops)
            n_windows = 1 + (padded.shape[0] - features.PATCH_SAMPLES) // features.PATCH_HOP_SAMPLES
            starts = np.arange(n_windows) * features.PATCH_HOP_SAMPLES
            probabilities = np.stack(
                [self(padded[start : start + features.PATCH_SAMPLES]) for start in starts]
            )
        return starts / features.SAMPLE_RATE, probabilities

    def predict_proba(self, audio: Any, sample_rate: int = features.SAMPLE_RATE) -> np.ndarray:
        """Class probabilities per clip ``(clips, C)``: the mean over its windows.

        ``audio``: ``(samples, clips)`` or a list of 1-D clips, as
        :meth:`FineTuneResult.predict_proba` takes it, and windowed as it does
        (a tail shorter than a hop is left out), so the two can be compared.
        """
        sample_rate = features.check_rate(sample_rate)
        clips = features.as_clips(audio, sample_rate=sample_rate)
        with peak_checked():  # as_clips has checked them: one warning per clip at most
            windows = [self.classify_windows(clip, sample_rate)[1] for clip in clips]
        return np.stack([probabilities.mean(axis=0) for probabilities in windows])

    def predict(self, audio: Any, sample_rate: int = features.SAMPLE_RATE) -> np.ndarray:
        """Predicted class name per clip, a str array ``(clips,)``."""
        return np.asarray(self.class_names)[np.argmax(self.predict_proba(audio, sample_rate), 1)]

    def __repr__(self) -> str:
        return f"<ExportedClassifier {self.path.name}: {', '.join(self.class_names)}>"


def load_exported(path: str | os.PathLike[str]) -> ExportedClassifier:
    """Load an exported ``.tflite`` classifier (or a folder holding one) into LiteRT."""
    path = check_path(path)
    if path.is_dir():
        found = sorted(path.glob("*.tflite"))
        if len(found) != 1:
            raise LessonError(f"{path} holds {len(found)} .tflite files; pass the one you mean.")
        path = found[0]
    return ExportedClassifier(path)
