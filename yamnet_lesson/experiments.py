"""The reference workflow and the lesson's experiments, built on :func:`fine_tune`.

* :func:`split_reference` -- the reference's split: the first K of each class train;
* :func:`run_reference`   -- the whole reference workflow, start to finish;
* :func:`accuracy_vs_k`   -- validation accuracy against K, per mode and seed
  (notebook 5), with a cache so a class need not wait for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .training import fine_tune
from .validation import LessonError, check_audio, check_examples_per_class

__all__ = ["accuracy_vs_k", "run_reference", "split_reference"]


def split_reference(
    audio: np.ndarray, labels: Sequence[Any], k: int = 5, *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split like the reference: the first ``k`` signals of each class train, the rest validate.

    Parameters
    ----------
    audio : array, shape ``(samples, signals)``
        One signal per column, as :func:`yamnet_lesson.signals.noise_dataset` returns it.
    labels : sequence, length ``signals``
    k : int
        Training examples per class (1 up to one less than the smallest class).

    Returns
    -------
    train_audio, train_labels, validation_audio, validation_labels
        Audio keeps the ``(samples, signals)`` layout; labels are arrays.
    """
    audio = check_audio(audio, "audio")
    labels = np.asarray(labels)
    if audio.ndim != 2 or labels.ndim != 1 or audio.shape[1] != labels.shape[0]:
        raise LessonError(
            f"audio must be (samples, signals) with one label per column; got audio {audio.shape} "
            f"and {labels.size} labels."
        )
    k = check_examples_per_class(k, labels.tolist())
    classes = list(dict.fromkeys(labels.tolist()))
    smallest = min(int(np.sum(labels == c)) for c in classes)
    is_train = np.zeros(labels.shape[0], dtype=bool)
    for name in classes:
        is_train[np.flatnonzero(labels == name)[:k]] = True
    if verbose:
        print(f"Number of samples per noise color in train set = {k}")
        print(f"Number of samples per noise color in validation set = {smallest - k}")
    return audio[:, is_train], labels[is_train], audio[:, ~is_train], labels[~is_train]


def run_reference(
    k: int = 5,
    *,
    epochs: int = 30,
    seed: int = 0,
    mode: str = "finetune",
    validation_frequency: int = 50,
    export_to: str | Path | None = None,
    verbose: bool = True,
) -> dict[str, Any]:
    """The whole reference workflow, start to finish, without a notebook.

    Generates 100 signals of each colour, keeps the first ``k`` of each to
    train and the rest to validate, fine-tunes YAMNet with the reference
    settings (printing the progress table when ``verbose``) and returns the
    figures that ``python -m yamnet_lesson reference --json`` prints.  The
    trained :class:`~yamnet_lesson.training.FineTuneResult` is under ``"result"``.
    With ``export_to`` (a folder, checked before training) the classifier is
    exported there (:func:`yamnet_lesson.export.export_result`); the paths
    written are under ``"exported"``.
    """
    from . import _fast
    from .progress import ProgressTable
    from .signals import noise_dataset

    if export_to is not None:
        from .export import prepare_folder

        export_to = prepare_folder(export_to)  # a bad folder is reported before training
    start = time.perf_counter()
    audio, labels = noise_dataset(100, seed=seed)
    train_audio, train_labels, val_audio, val_labels = split_reference(
        audio, labels, k, verbose=verbose
    )
    _fast.cached_patches(train_audio, 16_000)  # features first: train_seconds is training alone
    _fast.cached_patches(val_audio, 16_000)
    result = fine_tune(
        train_audio,
        train_labels,
        val_audio,
        val_labels,
        mode=mode,
        epochs=epochs,
        seed=seed,
        validation_frequency=validation_frequency,
        callbacks=ProgressTable() if verbose else None,
    )
    n_correct = round(result.validation_accuracy * len(val_labels))
    if verbose:
        print(
            f"Validation accuracy: {100 * result.validation_accuracy:.2f} % "
            f"({n_correct} of {len(val_labels)}), mode {mode}, K = {k}, {epochs} epochs"
        )
    summary: dict[str, Any] = {
        "validation_accuracy": result.validation_accuracy,
        "n_correct": n_correct,
        "n_train": len(train_labels),
        "n_validation": len(val_labels),
        "train_seconds": round(result.train_seconds, 3),
        "total_seconds": round(time.perf_counter() - start, 3),
        "mode": mode,
        "k": k,
        "epochs": epochs,
        "seed": seed,
        "validation_frequency": validation_frequency,
        "result": result,
    }
    if export_to is not None:
        from .export import export_result

        paths = export_result(result, export_to, verbose=verbose)
        summary["exported"] = {kind: str(path) for kind, path in paths.items()}
    return summary


def accuracy_vs_k(
    ks: Sequence[int] = (1, 2, 5, 10, 20),
    modes: Sequence[str] = ("finetune", "scratch"),
    seeds: Sequence[int] = (0, 1),
    *,
    epochs: int = 30,
    cache: str | Path | None = None,
) -> dict[str, dict[int, list[float]]]:
    """Validation accuracy for each mode, K and seed: ``{mode: {k: [accuracy per seed]}}``.

    Each run is the reference workflow (:func:`run_reference`) with that K,
    mode and seed; only the final validation counts.  With ``cache`` (a JSON
    file) results computed before with the same settings are read back
    instead of recomputed, and new ones saved.
    """
    settings = {"ks": list(ks), "modes": list(modes), "seeds": list(seeds), "epochs": epochs}
    if cache is not None and Path(cache).is_file():
        stored = json.loads(Path(cache).read_text())
        if stored.get("settings") == settings:
            return {
                m: {int(k): v for k, v in by_k.items()} for m, by_k in stored["results"].items()
            }
    results: dict[str, dict[int, list[float]]] = {m: {} for m in modes}
    for mode in modes:
        for k in ks:
            results[mode][k] = [
                run_reference(
                    k, epochs=epochs, seed=s, mode=mode, validation_frequency=epochs, verbose=False
                )["validation_accuracy"]
                for s in seeds
            ]
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        Path(cache).write_text(json.dumps({"settings": settings, "results": results}, indent=1))
    return results
