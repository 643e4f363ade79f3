"""Transfer learning: give YAMNet a new output layer and fine-tune it on a few examples.

YAMNet was trained to tell 521 sound classes apart.  Its last layer maps a
1024-number *embedding* of each 0.96 s patch to those 521 scores.  To teach it
three noise colours we keep everything up to the embedding, put a fresh
3-way layer on top and train:

* ``mode="finetune"`` -- the whole network learns, starting from Google's weights
  (what the reference workflow does);
* ``mode="head"``     -- YAMNet stays frozen; only the new layer learns, from
  embeddings computed once (near-instant);
* ``mode="scratch"``  -- the same network and training, but starting from random
  weights: the control experiment that shows what pretraining buys.

Clips of any length become one or more 96 x 64 patches (0.48 s apart); a clip's
prediction is the average of its patches' class probabilities.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import features
from ._validation import LessonError, check_audio, check_int, check_positive

__all__ = [
    "MODES",
    "FineTuneResult",
    "accuracy_vs_k",
    "clip_patches",
    "fine_tune",
    "run_reference",
    "split_reference",
]

MODES = ("finetune", "head", "scratch")


# ---------------------------------------------------------------------------
# Data: the reference split and clips -> patches
# ---------------------------------------------------------------------------


def split_reference(
    audio: np.ndarray, labels: Sequence[str], k: int = 5, *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split like the reference: the first ``k`` signals of each colour train, the rest validate.

    Parameters
    ----------
    audio : array, shape ``(samples, signals)``
        One signal per column, as :func:`yamnet_lesson.signals.noise_dataset` returns it.
    labels : sequence of str, length ``signals``
    k : int
        Training examples per class (1 up to one less than the smallest class).

    Returns
    -------
    train_audio, train_labels, validation_audio, validation_labels
        Audio keeps the ``(samples, signals)`` layout; labels are str arrays.
    """
    audio = check_audio(audio, "audio")
    labels = np.asarray(labels)
    if audio.ndim != 2 or audio.shape[1] != labels.shape[0]:
        raise LessonError(
            f"audio must be (samples, signals) with one label per column; got audio {audio.shape} "
            f"and {labels.shape[0]} labels."
        )
    classes = list(dict.fromkeys(labels.tolist()))
    smallest = min(int(np.sum(labels == c)) for c in classes)
    k = check_int(k, "K (training examples per class)", 1, smallest - 1)
    is_train = np.zeros(labels.shape[0], dtype=bool)
    for name in classes:
        is_train[np.flatnonzero(labels == name)[:k]] = True
    if verbose:
        print(f"Number of samples per noise color in train set = {k}")
        print(f"Number of samples per noise color in validation set = {smallest - k}")
    return audio[:, is_train], labels[is_train], audio[:, ~is_train], labels[~is_train]


def _as_clips(audio: Any, name: str) -> list[np.ndarray]:
    """A 2-D ``(samples, signals)`` array, a list of 1-D waveforms, or one 1-D waveform."""
    if isinstance(audio, np.ndarray) and audio.dtype != object:
        array = check_audio(audio, name)
        return [array] if array.ndim == 1 else list(array.T)
    clips = [check_audio(clip, f"{name}[{i}]") for i, clip in enumerate(audio)]
    for i, clip in enumerate(clips):
        if clip.ndim != 1:
            raise LessonError(f"{name}[{i}] must be a 1-D waveform, got shape {clip.shape}.")
    if not clips:
        raise LessonError(f"{name} holds no clips.")
    return clips


_PATCH_CACHE: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def clip_patches(audio: Any, sample_rate: int = 16_000) -> tuple[np.ndarray, np.ndarray]:
    """Turn clips into YAMNet patches.

    Returns ``(patches, clip_index)``: float32 ``(n_patches, 96, 64)`` log-mel patches
    and, for each patch, the index of the clip it came from.  Results are cached
    (by content), so moving a slider back and forth does not recompute features.
    """
    clips = _as_clips(audio, "audio")
    digest = hashlib.sha1(str(sample_rate).encode())
    for clip in clips:
        digest.update(clip.tobytes())
        digest.update(b"|")
    key = digest.hexdigest()
    if key not in _PATCH_CACHE:
        equal_length = len({clip.shape[0] for clip in clips}) == 1
        at_16k = sample_rate == features.SAMPLE_RATE
        if at_16k and equal_length and clips[0].shape[0] >= features.PATCH_SAMPLES:
            # fast path: one batched log-mel for all clips (the reference data set)
            log_mel = features.log_mel_spectrogram(np.stack(clips, axis=1), sample_rate)
            per_clip = [features.patches(m) for m in log_mel]
        else:
            per_clip = [
                features.waveform_to_patches(c, sample_rate, whole_hops=False)[0] for c in clips
            ]
        index = np.repeat(np.arange(len(clips)), [p.shape[0] for p in per_clip])
        if len(_PATCH_CACHE) >= 8:
            _PATCH_CACHE.pop(next(iter(_PATCH_CACHE)))
        _PATCH_CACHE[key] = (np.concatenate(per_clip), index)
    return _PATCH_CACHE[key]


def _clip_average(probabilities: np.ndarray, clip_index: np.ndarray) -> np.ndarray:
    """Average patch probabilities per clip: ``(n_patches, C)`` -> ``(n_clips, C)``."""
    n_clips = int(clip_index.max()) + 1
    sums = np.zeros((n_clips, probabilities.shape[1]))
    np.add.at(sums, clip_index, probabilities)
    return sums / np.bincount(clip_index, minlength=n_clips)[:, None]


def _accuracy_and_loss(probabilities: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """Fraction correct and mean cross-entropy of ``(n, C)`` probabilities against class indices."""
    picked = probabilities[np.arange(len(targets)), targets]
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == targets))
    return accuracy, float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0))))


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


@dataclass
class FineTuneResult:
    """What :func:`fine_tune` returns.

    Attributes
    ----------
    model : keras.Model
        The trained network: ``(batch, 96, 64)`` log-mel patches -> class probabilities.
    class_names : list of str
        Output order of the probabilities.
    mode : str
        ``"finetune"``, ``"head"`` or ``"scratch"``.
    sample_rate : int
        Rate (Hz) that :meth:`predict` assumes for the audio it is given.
    epoch_history : dict of lists
        Per epoch: ``epoch``, ``train_loss``, ``train_accuracy``, ``val_loss``,
        ``val_accuracy`` (NaN without validation data), ``seconds``.
    iteration_history : dict of lists
        Per mini-batch: ``iteration``, ``epoch``, ``loss``, ``accuracy``, ``seconds``.
    train_seconds : float
        Time spent training, validation included (features excluded).
    interrupted : bool
        True if training was stopped early (Kernel > Interrupt); the model keeps
        what it learned until then.
    """

    model: Any
    class_names: list[str]
    mode: str
    sample_rate: int
    epoch_history: dict[str, list[float]] = field(default_factory=dict)
    iteration_history: dict[str, list[float]] = field(default_factory=dict)
    train_seconds: float = 0.0
    interrupted: bool = False

    @property
    def validation_accuracy(self) -> float:
        """Validation accuracy after the last epoch (a fraction; NaN without validation)."""
        values = self.epoch_history.get("val_accuracy", [])
        return float(values[-1]) if values else float("nan")

    def predict_proba(self, audio: Any) -> np.ndarray:
        """Class probabilities per clip, shape ``(clips, classes)`` (patch average)."""
        patches, clip_index = clip_patches(audio, self.sample_rate)
        return _clip_average(_batched(_forward_with(self.model), patches), clip_index)

    def predict(self, audio: Any) -> np.ndarray:
        """Predicted class name per clip, a str array of shape ``(clips,)``."""
        return np.asarray(self.class_names)[np.argmax(self.predict_proba(audio), axis=1)]


_FORWARDS: dict[tuple[str, int], tuple[Any, Any]] = {}


def _forward_with(model: Any) -> Any:
    """A forward pass for ``model``, traced once per network shape and reused for every result.

    Tracing a new function for each trained result would cost a second each
    time and make TensorFlow warn about retracing; instead one twin network per
    shape is traced once and given the result's weights before it runs.
    """
    from ._tensorflow import keras, tf

    key = (model.name, int(model.output.shape[-1]))
    if key not in _FORWARDS:
        twin = keras.models.clone_model(model)
        patch = tf.TensorSpec([None, features.PATCH_FRAMES, features.N_MELS], tf.float32)
        traced = tf.function(lambda x: twin(x, training=False), input_signature=[patch])
        _FORWARDS[key] = (twin, traced)
    twin, traced = _FORWARDS[key]
    twin.set_weights(model.get_weights())
    return traced


def _batched(forward: Any, patches: np.ndarray) -> np.ndarray:
    from .yamnet import in_batches

    return np.concatenate(in_batches(forward, patches))


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def _encode_labels(
    labels: Any, n_clips: int, name: str, classes: list[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    labels = np.asarray(labels).astype(str)
    if labels.ndim != 1 or labels.shape[0] != n_clips:
        raise LessonError(
            f"{name} has {labels.size} labels but there are {n_clips} clips; "
            "give one label per clip."
        )
    if classes is None:
        classes = list(dict.fromkeys(labels.tolist()))
        if len(classes) < 2:
            raise LessonError(
                f"{name} holds only one class ({classes[0]!r}); a classifier needs at least two."
            )
    unknown = sorted(set(labels.tolist()) - set(classes))
    if unknown:
        raise LessonError(
            f"{name} contains {unknown}, never seen in training (classes: {classes}); "
            "add training examples of it or drop those clips."
        )
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup[x] for x in labels], dtype=np.int32), classes


class _Engine:
    """One network with its compiled train and predict steps, kept for reuse.

    Turning YAMNet's Python code into TensorFlow graphs ("tracing") takes
    seconds.  An engine does it once per process for each mode and number of
    classes; each run then only loads fresh starting weights and resets the
    optimiser, so a second press of Train starts at once.  Results are the same
    as with a freshly built network (tests/test_training.py checks it).
    """

    def __init__(self, mode: str, n_classes: int) -> None:
        from ._tensorflow import keras, tf

        self.mode, self.n_classes = mode, n_classes
        # Fine-tuning keeps batch norm in inference mode: Google's statistics stay
        # (as fine-tuning on little data should) and batch norm is a fixed
        # shift, folded into the convolutions for speed.  From scratch there are
        # no statistics to keep: batch norm normalises each mini-batch by its own
        # statistics while training, and before each validation the statistics
        # it will use are measured on the training data (see measure_statistics).
        self.batch_norm_learns = mode == "scratch"
        self.model = self._network()
        self.body = None
        self.trainable = self.model
        if mode == "head":  # YAMNet frozen: embeddings once, then only the new layer
            self.body = keras.Model(self.model.inputs, self.model.get_layer("embedding").output)
            self.trainable = keras.Sequential(
                [
                    keras.Input((self.body.output.shape[-1],)),
                    self.model.get_layer("logits"),
                    self.model.get_layer("predictions"),
                ]
            )
        batch_norms = [
            layer
            for layer in self.model.layers
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        for layer in batch_norms:  # a training-mode pass stores that batch's own statistics
            layer.momentum = 0.0
        self.statistics = [v for b in batch_norms for v in (b.moving_mean, b.moving_variance)]
        self.optimizer = keras.optimizers.Adam()
        variables = self.trainable.trainable_variables
        self.optimizer.build(variables)
        loss_fn = keras.losses.SparseCategoricalCrossentropy()

        @tf.function(reduce_retracing=True)
        def train_step(x: Any, y: Any) -> tuple[Any, Any]:
            with tf.GradientTape() as tape:
                probabilities = self.trainable(x, training=self.batch_norm_learns)
                loss = loss_fn(y, probabilities)
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return loss, probabilities

        self.train_step = train_step
        self.predict = tf.function(
            lambda x: self.trainable(x, training=False), reduce_retracing=True
        )
        self.normalise_batch = tf.function(
            lambda x: self.model(x, training=True), reduce_retracing=True
        )
        self.embed = (
            tf.function(lambda x: self.body(x, training=False), reduce_retracing=True)
            if self.body is not None
            else None
        )

    def _network(self) -> Any:
        """An untrained network of this engine's shape (ReLU6: Google's TF Lite weights')."""
        from .yamnet import _architecture

        return _architecture(self.n_classes, "relu6", "softmax", folded=not self.batch_norm_learns)

    def start(self, seed: int, learning_rate: float) -> None:
        """Load this run's starting weights (seeded) and reset the optimiser."""
        from ._tensorflow import keras
        from .yamnet import build_yamnet, folded_weights

        keras.utils.set_random_seed(seed)
        if self.mode == "scratch":  # the same network, only starting from random weights
            fresh = build_yamnet(self.n_classes, weights=None, activation="relu6")
            self.model.set_weights(fresh.get_weights())
        else:
            self.model.set_weights(folded_weights(build_yamnet(self.n_classes, weights="auto")))
        for variable in self.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        self.optimizer.learning_rate = learning_rate

    def measure_statistics(self, patches: np.ndarray, batch_size: int) -> None:
        """Give batch norm the statistics of the training data at today's weights.

        From scratch, batch norm normalises every mini-batch by the batch's own
        mean and variance.  To predict (one clip at a time, or a validation set
        it must not peek at) it needs fixed ones: like MATLAB's "population"
        setting, we pass the training patches through once more, in mini-batches,
        and keep the average of their statistics.  Training itself is unchanged.
        """
        chunks = np.array_split(patches, -(-len(patches) // batch_size))
        totals = [np.zeros(v.shape, np.float64) for v in self.statistics]
        for chunk in chunks:
            self.normalise_batch(chunk)  # momentum 0: each layer keeps this chunk's statistics
            for total, variable in zip(totals, self.statistics, strict=True):
                total += variable.numpy()
        for total, variable in zip(totals, self.statistics, strict=True):
            variable.assign((total / len(chunks)).astype(np.float32))

    def trained_copy(self) -> Any:
        """A copy of the trained network, so that the next run cannot change it."""
        copy = self._network()
        copy.set_weights(self.model.get_weights())
        return copy


_ENGINES: dict[tuple[str, int], _Engine] = {}


def _engine(mode: str, n_classes: int) -> _Engine:
    if (mode, n_classes) not in _ENGINES:
        _ENGINES[(mode, n_classes)] = _Engine(mode, n_classes)
    return _ENGINES[(mode, n_classes)]


def fine_tune(
    train_audio: Any,
    train_labels: Sequence[str],
    validation_audio: Any = None,
    validation_labels: Sequence[str] | None = None,
    *,
    mode: str = "finetune",
    epochs: int = 30,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    seed: int = 0,
    sample_rate: int = 16_000,
    callbacks: Iterable[Any] = (),
    shuffle: bool = True,
) -> FineTuneResult:
    """Replace YAMNet's 521-way output layer with a new one and train it (Adam).

    Parameters
    ----------
    train_audio, validation_audio
        A ``(samples, signals)`` array (one clip per column, as the lesson's
        signals are), or a list of 1-D waveforms of any lengths.
    train_labels, validation_labels
        One class name per clip.  Classes are ordered as they first appear.
    mode
        ``"finetune"`` (whole pretrained network), ``"head"`` (only the new layer,
        on frozen embeddings) or ``"scratch"`` (same network, random start).
    epochs, batch_size, learning_rate
        The reference uses 30 epochs, mini-batches of 128 patches and 1e-3.
    seed
        Seeds the new layer, the shuffling and (for ``scratch``) every weight.
    sample_rate
        Rate of the audio in Hz; other rates than 16 kHz are resampled.
    callbacks
        Keras callbacks, e.g. :class:`yamnet_lesson.progress.ProgressTable` or
        :class:`yamnet_lesson.progress.LiveAccuracyChart`.  They receive
        ``on_train_batch_end`` per iteration (logs ``loss``, ``accuracy``,
        ``iteration``, ``epoch``, ``seconds``, ``learning_rate``) and
        ``on_epoch_end`` per epoch (adding ``val_loss`` and ``val_accuracy``);
        ``params`` hold ``epochs``, ``steps`` (per epoch) and ``classes``.

    Returns
    -------
    FineTuneResult
    """
    if mode not in MODES:
        raise LessonError(f"mode must be one of {MODES}, got {mode!r}.")
    epochs = check_int(epochs, "epochs", 1)
    batch_size = check_int(batch_size, "batch_size", 1)
    learning_rate = check_positive(learning_rate, "learning_rate")
    seed = check_int(seed, "seed", 0)
    sample_rate = check_int(sample_rate, "sample_rate", 1)
    train_patches, train_index = clip_patches(train_audio, sample_rate)
    n_train_clips = int(train_index.max()) + 1
    train_targets, classes = _encode_labels(train_labels, n_train_clips, "train_labels")
    has_validation = validation_audio is not None
    if has_validation != (validation_labels is not None):
        raise LessonError("give both validation_audio and validation_labels, or neither.")
    if has_validation:
        val_patches, val_index = clip_patches(validation_audio, sample_rate)
        val_targets, _ = _encode_labels(
            validation_labels, int(val_index.max()) + 1, "validation_labels", classes
        )

    from ._tensorflow import keras

    engine = _engine(mode, len(classes))
    engine.start(seed, learning_rate)
    if engine.embed is not None:  # "head": YAMNet's embeddings are computed once
        train_inputs = _batched(engine.embed, train_patches)
        val_inputs = _batched(engine.embed, val_patches) if has_validation else None
    else:
        train_inputs, val_inputs = train_patches, (val_patches if has_validation else None)
    result = FineTuneResult(model=None, class_names=classes, mode=mode, sample_rate=sample_rate)
    epoch_log: dict[str, list[float]] = {
        k: []
        for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")
    }
    iteration_log: dict[str, list[float]] = {
        k: [] for k in ("iteration", "epoch", "loss", "accuracy", "seconds")
    }
    patch_targets = train_targets[train_index]
    steps = -(-len(train_inputs) // batch_size)
    callback_list = keras.callbacks.CallbackList(
        list(callbacks),
        add_history=False,
        add_progbar=False,
        model=engine.model,
        epochs=epochs,
        steps=steps,
        classes=len(classes),
        verbose=0,
    )
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    iteration = 0
    callback_list.on_train_begin()
    try:
        for epoch in range(1, epochs + 1):
            callback_list.on_epoch_begin(epoch - 1)
            order = rng.permutation(len(train_inputs)) if shuffle else np.arange(len(train_inputs))
            batch_losses, batch_correct = [], 0
            for step in range(steps):
                chosen = order[step * batch_size : (step + 1) * batch_size]
                loss, probabilities = engine.train_step(train_inputs[chosen], patch_targets[chosen])
                iteration += 1
                accuracy = float(np.mean(np.argmax(probabilities, 1) == patch_targets[chosen]))
                batch_losses.append(float(loss) * len(chosen))
                batch_correct += accuracy * len(chosen)
                logs = {
                    "iteration": iteration,
                    "epoch": epoch,
                    "loss": float(loss),
                    "accuracy": accuracy,
                    "seconds": time.perf_counter() - start,
                }
                for key in iteration_log:
                    iteration_log[key].append(logs[key])
                logs["learning_rate"] = learning_rate
                callback_list.on_train_batch_end(step, logs)
            epoch_logs = {
                "epoch": epoch,
                "iteration": iteration,
                "train_loss": sum(batch_losses) / len(train_inputs),
                "train_accuracy": batch_correct / len(train_inputs),
                "val_loss": float("nan"),
                "val_accuracy": float("nan"),
            }
            if engine.batch_norm_learns:
                engine.measure_statistics(train_inputs, batch_size)
            if has_validation:
                clip_probabilities = _clip_average(_batched(engine.predict, val_inputs), val_index)
                epoch_logs["val_accuracy"], epoch_logs["val_loss"] = _accuracy_and_loss(
                    clip_probabilities, val_targets
                )
            epoch_logs["seconds"] = time.perf_counter() - start
            for key in epoch_log:
                epoch_log[key].append(epoch_logs[key])
            callback_list.on_epoch_end(
                epoch - 1,
                {
                    **epoch_logs,
                    "loss": epoch_logs["train_loss"],
                    "accuracy": epoch_logs["train_accuracy"],
                },
            )
    except KeyboardInterrupt:
        result.interrupted = True
        print(
            f"Training interrupted after {iteration} iterations; the model keeps what it learned."
        )
    if result.interrupted and engine.batch_norm_learns:
        engine.measure_statistics(train_inputs, batch_size)  # the model must stay usable
    result.train_seconds = time.perf_counter() - start
    result.epoch_history, result.iteration_history = epoch_log, iteration_log
    result.model = engine.trained_copy()
    callback_list.on_train_end({"interrupted": result.interrupted})
    return result


def run_reference(
    k: int = 5, *, epochs: int = 30, seed: int = 0, mode: str = "finetune", verbose: bool = True
) -> dict[str, Any]:
    """The whole reference workflow, start to finish, without a notebook.

    Generates 100 signals of each colour, keeps the first ``k`` of each to
    train and the rest to validate, fine-tunes YAMNet with the reference
    settings (printing the progress table when ``verbose``) and returns the
    figures that ``python -m yamnet_lesson reference --json`` prints.
    """
    from .progress import ProgressTable
    from .signals import noise_dataset

    start = time.perf_counter()
    audio, labels = noise_dataset(100, seed=seed)
    train_audio, train_labels, val_audio, val_labels = split_reference(
        audio, labels, k, verbose=verbose
    )
    clip_patches(train_audio)  # features first, so that train_seconds is training alone
    clip_patches(val_audio)
    result = fine_tune(
        train_audio,
        train_labels,
        val_audio,
        val_labels,
        mode=mode,
        epochs=epochs,
        seed=seed,
        callbacks=[ProgressTable()] if verbose else (),
    )
    n_correct = round(result.validation_accuracy * len(val_labels))
    if verbose:
        print(
            f"Validation accuracy: {100 * result.validation_accuracy:.2f} % "
            f"({n_correct} of {len(val_labels)}), mode {mode}, K = {k}, {epochs} epochs"
        )
    return {
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
    }


def accuracy_vs_k(
    ks: Sequence[int] = (1, 2, 5, 10, 20),
    modes: Sequence[str] = ("finetune", "scratch"),
    seeds: Sequence[int] = (0, 1),
    *,
    epochs: int = 30,
    cache: str | None = None,
) -> dict[str, dict[int, list[float]]]:
    """Validation accuracy for each mode, K and seed: ``{mode: {k: [accuracy per seed]}}``.

    Each run is the reference workflow (:func:`run_reference`) with that K,
    mode and seed.  With ``cache`` (a JSON file) results computed before with
    the same settings are read back instead of recomputed, and new ones saved.
    """
    import json
    from pathlib import Path

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
                run_reference(k, epochs=epochs, seed=s, mode=mode, verbose=False)[
                    "validation_accuracy"
                ]
                for s in seeds
            ]
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        Path(cache).write_text(json.dumps({"settings": settings, "results": results}, indent=1))
    return results
