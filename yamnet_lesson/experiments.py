"""The reference workflow and the lesson's experiments, built on :func:`fine_tune`.

* :func:`split_reference` -- the reference's split (defined in :mod:`.signals`, which
  needs no TensorFlow: notebook 1 splits without loading it);
* :func:`train_on_split`  -- that split, fine-tuned (what the interactive trainer runs);
* :func:`run_reference`   -- the whole reference workflow, start to finish;
* :func:`accuracy_vs_k`   -- validation accuracy against K, per mode and seed
  (notebook 5), with a cache so a class need not wait for it;
* :func:`digit_split`     -- the spoken digits: train on one speaker, test on the
  other (a new voice), or both speakers on both sides (known voices), each
  speaker's takes of a digit on one side (:func:`digit_split_files`);
* :func:`digits_accuracy` -- test accuracy on those splits per mode and seed,
  next to the plain tools: Keras ``model.fit`` of the same network and
  scikit-learn's ``LogisticRegression`` on YAMNet's embeddings.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import _fast
from .signals import split_reference
from .training import FineTuneResult, fine_tune, interrupt_stops
from .validation import Interrupted, LessonError, check_int, check_mode, check_path, check_seed

__all__ = [
    "DIGIT_SPLITS",
    "accuracy_vs_k",
    "digit_split",
    "digit_split_files",
    "digits_accuracy",
    "run_reference",
    "split_reference",
    "train_on_split",
]


def train_on_split(
    audio: np.ndarray,
    labels: Sequence[Any],
    k: int,
    *,
    mode: str = "finetune",
    epochs: int = 30,
    seed: int = 0,
    validation_frequency: int = 50,
    callbacks: Any = None,
    verbose: bool = False,
) -> tuple[FineTuneResult, np.ndarray]:
    """Split like the reference (:func:`split_reference`) and :func:`fine_tune` on it.

    Returns the trained :class:`~yamnet_lesson.training.FineTuneResult` and
    the validation labels (what its predictions are compared with).
    """
    train_audio, train_labels, val_audio, val_labels = split_reference(
        audio, labels, k, verbose=verbose
    )
    result = fine_tune(
        train_audio, train_labels, val_audio, val_labels,
        mode=mode, epochs=epochs, seed=seed,
        validation_frequency=validation_frequency, callbacks=callbacks,
    )  # fmt: skip
    return result, val_labels


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
    written are under ``"exported"``.  Interrupted (Ctrl-C, Kernel >
    Interrupt) while it trains or exports, it raises
    :class:`~yamnet_lesson.validation.Interrupted` saying what was kept:
    a partly trained network is no reference, so nothing is exported.
    """
    from .progress import ProgressTable
    from .signals import noise_dataset

    check_mode(mode)  # the settings first: a mistake is reported before any work
    check_int(epochs, "epochs", 1)
    check_int(validation_frequency, "validation_frequency", 1)
    check_seed(seed)
    if export_to is not None:
        from .export import prepare_folder

        export_to = prepare_folder(export_to)  # a bad folder is reported before training
    if mode != "scratch":  # so is a missing model: found, or downloaded verified, before any work
        from . import assets

        assets.find_file(assets.YAMNET_TFLITE)
    start = time.perf_counter()
    audio, labels = noise_dataset(100, seed=seed)
    with interrupt_stops():  # a partly trained reference is no reference: stop, keep nothing
        result, val_labels = train_on_split(
            audio,
            labels,
            k,
            mode=mode,
            epochs=epochs,
            seed=seed,
            validation_frequency=validation_frequency,
            callbacks=ProgressTable() if verbose else None,
            verbose=verbose,
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
        "n_train": len(labels) - len(val_labels),
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

        try:
            paths = export_result(result, export_to, verbose=verbose)
        except KeyboardInterrupt:
            raise Interrupted(
                f"the export to {export_to}",
                "the files written there so far may be incomplete: run the command again",
            ) from None
        summary["exported"] = {kind: str(path) for kind, path in paths.items()}
    return summary


def accuracy_vs_k(
    ks: Sequence[int] = (1, 2, 5, 10, 20),
    modes: Sequence[str] = ("finetune", "scratch"),
    seeds: Sequence[int] = (0, 1, 2),
    *,
    epochs: int = 30,
    cache: str | Path | None = None,
) -> dict[str, dict[int, list[float]]]:
    """Validation accuracy for each mode, K and seed: ``{mode: {k: [accuracy per seed]}}``.

    Each run is the reference workflow (:func:`run_reference`) with that K,
    mode and seed; only the final validation counts.  With ``cache`` (a JSON
    file) every run's accuracy is kept under its settings (``"finetune K=1
    seed=0 epochs=30"``): runs found there are read back, the others computed
    and added, so no call loses what another computed.
    """
    remembered = _Results(cache)
    results: dict[str, dict[int, list[float]]] = {m: {} for m in modes}
    for mode in modes:
        for k in ks:
            for seed in seeds:
                accuracy = remembered.get(
                    f"{mode} K={k} seed={seed} epochs={epochs}",
                    lambda k=k, seed=seed, mode=mode: run_reference(
                        k, epochs=epochs, seed=seed, mode=mode, validation_frequency=epochs,
                        verbose=False,
                    )["validation_accuracy"],
                )  # fmt: skip
                results[mode].setdefault(k, []).append(accuracy)
    _fast.give_back_memory(caches=True)  # the runs are over: their patches are not needed
    return results


class _Results:
    """Results by key, kept in a JSON file (or nowhere): read back, or computed and saved.

    Each new result is saved as soon as it is computed (and printed if
    ``verbose``), so an interrupted call resumes where it stopped, and no call
    loses what another computed.
    """

    def __init__(self, path: str | Path | None, *, verbose: bool = False) -> None:
        self.path, self.verbose = None if path is None else check_path(path, "cache"), verbose
        exists = self.path is not None and self.path.is_file()
        self.stored: dict[str, Any] = json.loads(self.path.read_text()) if exists else {}

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The result under ``key``; ``compute()`` gives (and saves) it when there is none."""
        if key not in self.stored:
            self.stored[key] = compute()
            if self.verbose:
                print(key, self.stored[key], flush=True)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_text(json.dumps(self.stored, indent=1, sort_keys=True))
        return self.stored[key]


# ---------------------------------------------------------------------------
# Real sounds: the spoken digits
# ---------------------------------------------------------------------------

DIGIT_SPLITS = ("jackson->nicolas", "nicolas->jackson", "known voices")
DIGIT_METHODS = ("finetune", "head", "scratch", "keras_fit", "logistic_regression")
NEW_VOICE_SPLITS = ("jackson->nicolas", "nicolas->jackson")


def digit_split_files(name: str = "jackson->nicolas") -> tuple[list[Path], list[Path]]:
    """The recordings each spoken-digit split trains and tests on: ``(train, test)`` paths.

    File names are ``{digit}_{speaker}_{take}.wav``.  What each split keeps apart:

    * ``"jackson->nicolas"`` (a **new voice**): every take of jackson trains,
      every take of nicolas tests; no test speaker is heard in training.
      ``"nicolas->jackson"`` the other way round.
    * ``"known voices"``: both speakers train and both test, but each
      speaker's 50 takes of one digit stay on one side: jackson's takes of
      0, 2, 4, 6, 8 and nicolas's of 1, 3, 5, 7, 9 train (500 clips), the
      other speaker's takes of each digit test (500).  The test voices are
      known (heard saying other digits), no take of a test clip's digit by
      its speaker is in training, so no near-duplicate take is either.

    Returns
    -------
    train, test : list of Path
        Sorted by digit, speaker and take.
    """
    if name not in DIGIT_SPLITS:
        raise LessonError(f"name must be one of {DIGIT_SPLITS}, got {name!r}.")
    from .audio import fsdd_dir

    def key(path: Path) -> tuple[int, str, int]:
        digit, speaker, take = path.stem.split("_")
        return int(digit), speaker, int(take)

    folder = fsdd_dir() / "recordings"
    recordings = sorted(
        (p for who in ("jackson", "nicolas") for p in folder.glob(f"*_{who}_*.wav")), key=key
    )
    if not recordings:
        raise LessonError(f"no recordings of jackson or nicolas in {folder}.")
    if name in NEW_VOICE_SPLITS:
        first = name.split("->")[0]
        trains = [key(p)[1] == first for p in recordings]
    else:  # known voices: (speaker, digit) groups alternate between the sides
        trains = [(key(p)[1] == "jackson") == (key(p)[0] % 2 == 0) for p in recordings]
    return (
        [p for p, t in zip(recordings, trains, strict=True) if t],
        [p for p, t in zip(recordings, trains, strict=True) if not t],
    )


def digit_split(name: str = "jackson->nicolas") -> tuple[list, np.ndarray, list, np.ndarray, int]:
    """Spoken digits (Free Spoken Digit Dataset) to train and to test on.

    ``"jackson->nicolas"``: jackson's 500 clips train, nicolas's 500 test (a new
    voice); ``"nicolas->jackson"`` the other way round; ``"known voices"``:
    both speakers on both sides, each speaker's takes of one digit on one side
    (:func:`digit_split_files` says which).

    Returns
    -------
    train_clips, train_digits, test_clips, test_digits, sample_rate
        Clips are 1-D waveforms (about 0.5 s at 8 kHz), digits the labels
        ``"0"`` to ``"9"``, ``sample_rate`` in Hz.
    """
    from .audio import read_audio

    sides = []
    rates = set()
    for paths in digit_split_files(name):
        clips = []
        for path in paths:
            waveform, rate = read_audio(path)
            clips.append(waveform)
            rates.add(rate)
        sides += [clips, np.array([p.stem.split("_")[0] for p in paths])]
    if len(rates) != 1:
        raise LessonError(f"the spoken digits have different sampling rates {sorted(rates)}.")
    train, train_digits, test, test_digits = sides
    return train, train_digits, test, test_digits, rates.pop()


def digits_accuracy(
    splits: Sequence[str] = DIGIT_SPLITS,
    methods: Sequence[str] = DIGIT_METHODS,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    epochs: int = 30,
    cache: str | Path | None = None,
    verbose: bool = False,
) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Test accuracy on the spoken digits: ``{split: {method: {"accuracy": [...], ...}}}``.

    Methods (each trains on the split's training clips, seeded, and is scored
    per clip on its test clips):

    * ``"finetune"``, ``"scratch"``: :func:`fine_tune` in that mode, ``epochs``
      epochs of the reference's settings;
    * ``"head"``: :func:`fine_tune` with ``mode="head"`` and its defaults (the
      new layer trained to convergence);
    * ``"keras_fit"``: the plain tool for ``"finetune"``: :func:`build_yamnet`
      with a new layer (seeded), ``compile(Adam(1e-3), sparse cross-entropy)``
      and ``fit(batch_size=128, epochs=epochs)``;
    * ``"logistic_regression"``: the plain tool for ``"head"``: scikit-learn's
      ``LogisticRegression()`` (its default ``C=1``) on YAMNet's embeddings of
      the patches, each clip's probabilities the mean of its patches' (as
      :func:`fine_tune`'s prediction does).  It has no seed: one value.

    Each list holds one value per seed (one for ``"logistic_regression"``),
    under ``"accuracy"`` (a fraction) and ``"train_seconds"``.  With ``cache``
    (a JSON file) every result is saved as soon as it is computed, and read
    back instead of recomputed when asked for again with the same settings.
    """
    unknown = sorted(set(splits) - set(DIGIT_SPLITS)) + sorted(set(methods) - set(DIGIT_METHODS))
    if unknown:
        raise LessonError(
            f"unknown splits or methods {unknown}; choose from {DIGIT_SPLITS} and {DIGIT_METHODS}."
        )
    remembered = _Results(cache, verbose=verbose)
    split_data = functools.lru_cache(maxsize=1)(digit_split)  # loaded when a run needs it
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    for split in splits:
        results[split] = {}
        for method in methods:
            runs = [None] if method == "logistic_regression" else list(seeds)
            results[split][method] = {"accuracy": [], "train_seconds": []}
            for seed in runs:
                length = "auto" if method in ("head", "logistic_regression") else epochs
                got = remembered.get(
                    f"{split} | {method} | seed {seed} | epochs {length}",
                    lambda sp=split, m=method, sd=seed: _digits_run(m, split_data(sp), sd, epochs),
                )
                for name in ("accuracy", "train_seconds"):
                    results[split][method][name].append(got[name])
    _fast.give_back_memory(caches=True)  # the runs are over: their patches are not needed
    return results


def _digits_run(method: str, data: tuple, seed: int | None, epochs: int) -> dict[str, float]:
    """One method, one seed: ``{"accuracy": fraction of test clips right, "train_seconds"}``."""
    from . import _fast, features

    train, train_digits, test, test_digits, sample_rate = data
    if method in ("finetune", "head", "scratch"):
        result = fine_tune(
            train,
            train_digits,
            mode=method,
            epochs=None if method == "head" else epochs,
            seed=seed,
            sample_rate=sample_rate,
        )
        accuracy = float(np.mean(result.predict(test, sample_rate) == test_digits))
        return {"accuracy": accuracy, "train_seconds": round(result.train_seconds, 2)}
    classes = list(dict.fromkeys(np.asarray(train_digits).tolist()))
    x_train, train_clips = _fast.cached_patches(train, sample_rate)
    x_test, test_clips = _fast.cached_patches(test, sample_rate)
    y_train = np.array([classes.index(d) for d in train_digits])[train_clips]
    if method == "keras_fit":
        probabilities, seconds = _keras_fit(x_train, y_train, x_test, len(classes), seed, epochs)
    else:
        probabilities, seconds = _logistic_regression(x_train, y_train, x_test)
    predicted = np.asarray(classes)[features.clip_average(probabilities, test_clips).argmax(axis=1)]
    accuracy = float(np.mean(predicted == test_digits))
    return {"accuracy": accuracy, "train_seconds": round(seconds, 2)}


def _keras_fit(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    num_classes: int,
    seed: int,
    epochs: int,
) -> tuple[np.ndarray, float]:
    """Plain Keras: YAMNet with a new seeded layer, compile and fit.

    Returns the test patches' probabilities and the seconds that fit took.
    """
    from ._tensorflow import keras
    from .yamnet import build_yamnet

    keras.utils.set_random_seed(seed)
    network = build_yamnet(num_classes)
    network.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    start = time.perf_counter()
    network.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - start
    return network.predict(x_test, batch_size=96, verbose=0), seconds


def _logistic_regression(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray
) -> tuple[np.ndarray, float]:
    """scikit-learn's LogisticRegression (default C=1) on YAMNet's embeddings of the patches.

    Returns the test patches' probabilities and the seconds that fit took
    (the embeddings not counted, as :func:`fine_tune` does not count them).
    """
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from .yamnet import load_yamnet

    yamnet = load_yamnet()
    train_embeddings, test_embeddings = (yamnet.predict_patches(x)[1] for x in (x_train, x_test))
    # one BLAS thread: on a busy machine, BLAS threads waiting for each other
    # made this fit take 17 s instead of 0.3 s
    with threadpool_limits(1):
        start = time.perf_counter()
        model = LogisticRegression(max_iter=10_000).fit(train_embeddings, y_train)
        seconds = time.perf_counter() - start
        return model.predict_proba(test_embeddings), seconds
