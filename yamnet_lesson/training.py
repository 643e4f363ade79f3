"""Transfer learning: train a network with a new output layer on a few examples.

YAMNet was trained to tell 521 sound classes apart.  Its last layer maps a
1024-number *embedding* of each 0.96 s patch to those 521 scores.  To teach it
three noise colours we keep everything up to the embedding, put a fresh
3-way layer on top (notebook 4 does it in five lines of Keras) and train:

* ``mode="finetune"`` -- the whole network learns, starting from Google's weights
  (what the reference workflow does);
* ``mode="head"``     -- YAMNet stays frozen; only the layers after the embedding learn.
  A new dense layer and a softmax on a frozen embedding *are* a (multinomial)
  logistic regression, so it is trained like one: with scikit-learn's default
  penalty on large weights and, by default, to convergence (see :func:`fine_tune`);
* ``mode="scratch"``  -- the same network and training, but starting from random
  weights: the control experiment that shows what pretraining buys.

:func:`fine_tune` is the training loop, written the way you would write it by
hand.  What makes it fast enough to run live (traced steps, batch norm folded
into the convolutions, cached features) lives in :mod:`yamnet_lesson._fast`
and changes no result: ``tests/test_fast.py`` checks it against Keras's own
``model.fit``.
"""

from __future__ import annotations

import itertools
import math
import numbers
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _fast, features
from ._tensorflow import keras, tf
from .features import SAMPLE_RATE
from .validation import (
    Interrupted,
    LessonError,
    check_int,
    check_labels,
    check_mode,
    check_positive,
    check_seed,
)

__all__ = ["FineTuneResult", "fine_tune", "training_step"]

_INTERRUPT_STOPS = ContextVar("interrupt_stops", default=False)


@contextmanager
def interrupt_stops() -> Iterator[None]:
    """Within this block, Ctrl-C during :func:`fine_tune` raises :class:`Interrupted`.

    By default an interruption ends training early and :func:`fine_tune`
    returns what the network learned so far (Kernel > Interrupt in a
    notebook).  A caller that keeps nothing of a partly trained network (the
    reference workflow, the command line) stops instead.
    """
    token = _INTERRUPT_STOPS.set(True)
    try:
        yield
    finally:
        _INTERRUPT_STOPS.reset(token)


# ---------------------------------------------------------------------------
# One training step, and the loop
# ---------------------------------------------------------------------------


def training_step(
    network: Any, optimizer: Any, patches: Any, targets: Any, l2: Any = None
) -> tuple[Any, Any]:
    """One step of gradient descent on one mini-batch: what Keras's ``fit`` does per batch.

    Returns the mini-batch's loss and its class probabilities (both computed
    before the step).  The loss is the mean cross-entropy, plus, if ``l2`` is
    given, ``l2`` times the sum of the squared kernel weights: a penalty on
    large weights, what Keras adds for ``kernel_regularizer=L2(l2)``.  Only
    trainable weights change; a frozen batch norm (``trainable=False``) also
    keeps normalising with its stored statistics, as Keras does.
    """
    cross_entropy = keras.losses.SparseCategoricalCrossentropy()  # the mean over the batch
    variables = network.trainable_variables
    with tf.GradientTape() as tape:
        probabilities = network(patches, training=True)
        loss = cross_entropy(targets, probabilities)
        if l2 is not None:
            loss += l2 * sum(tf.reduce_sum(w**2) for w in variables if "kernel" in w.name)
    gradients = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(gradients, variables, strict=True))
    return loss, probabilities


def fine_tune(
    train_audio: Any,
    train_labels: Sequence[Any],
    validation_audio: Any = None,
    validation_labels: Sequence[Any] | None = None,
    *,
    network: Any = None,
    mode: str = "finetune",
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    validation_frequency: int = 50,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    callbacks: Any = None,
    shuffle: bool = True,
) -> FineTuneResult:
    """Train ``network`` (by default YAMNet with a new output layer) with Adam.

    Parameters
    ----------
    train_audio, validation_audio
        A ``(samples, clips)`` array (one clip per column, as the lesson's
        signals are), or a list of 1-D waveforms of any lengths.
    train_labels, validation_labels
        One label per clip, of any type (str, int, ...).  Classes are ordered
        as they first appear in ``train_labels``.
    network
        A Keras model from ``(batch, 96, 64)`` log-mel patches to one
        probability per class (notebook 4 builds one).  It is trained in place:
        afterwards it *is* the trained network.  Default: ``build_yamnet`` with
        a new output layer for the classes (seeded by ``seed``).
    mode
        ``"finetune"``: every trainable weight learns (:func:`build_yamnet`
        freezes batch norm, which keeps Google's statistics);
        ``"head"``: only the layers after YAMNet's ``embedding`` learn, with
        a penalty on large weights (see below);
        ``"scratch"``: every weight is first set at random (seeded) and batch
        norm unfrozen, then all learn.
    epochs, batch_size, learning_rate
        Passes over the training data, patches per mini-batch, Adam's step
        size.  Left out: the reference's 30 epochs, mini-batches of 128 and
        1e-3, except in ``mode="head"``, which trains the new layer to
        convergence.  There a new dense layer and a softmax learn from
        embeddings computed once -- a (multinomial) logistic regression -- so
        steps are cheap: by default each step takes *all* the training
        patches, the step size is 3e-2 and :data:`HEAD_STEPS` (300) steps run.
        Measured on the spoken digits (500 clips a split, three splits): over
        the last 100 of those steps the training loss changes by less than
        1 %, and four times as many steps lower it by at most 1.5 % more and
        move test accuracy by about one point (``benchmarks/fsdd.py`` reports
        the training time).  ``epochs``, ``batch_size`` or ``learning_rate``
        given are always what runs.
        In ``mode="head"`` the loss also holds the penalty scikit-learn's
        ``LogisticRegression`` has by default (``C=1``): the sum of the
        squared weights of the new layer(s) over ``2 n``, for ``n`` training
        patches.  Trained to convergence, the new layer is then that logistic
        regression, fitted on the same embeddings (``benchmarks/fsdd.py``
        compares the two).
    validation_frequency
        Validate at iteration 1, every this many iterations and at the last, as
        the reference's tool counts (its default: 50).  1 validates after every
        iteration (a live curve, and slower).
    seed
        Seeds the shuffling, the default network's new layer and, for
        ``"scratch"``, every weight.
    sample_rate
        Rate of all the audio in Hz; other rates than 16 kHz are resampled.
    callbacks
        A Keras callback or a list of them, e.g.
        :class:`yamnet_lesson.progress.ProgressTable`.  ``on_train_batch_end``
        gets ``iteration``, ``epoch``, ``loss``, ``accuracy``, ``seconds``,
        ``learning_rate`` and, when validated, ``val_loss`` and ``val_accuracy``;
        ``on_epoch_end`` the epoch's mean ``loss`` and ``accuracy`` (and the
        validation of its last iteration, if any).  ``params`` hold ``epochs``,
        ``steps`` (per epoch) and ``classes``.  They see the trained weights
        in ``network`` once training has ended.

    Returns
    -------
    FineTuneResult
    """
    mode, epochs, batch_size, learning_rate, validation_frequency, seed, sample_rate = (
        _check_settings(
            mode, epochs, batch_size, learning_rate, validation_frequency, seed, sample_rate
        )
    )
    callbacks = _as_list(callbacks)  # before any work, as the settings
    x_train, y_train, classes, validation = _patches_and_targets(
        train_audio, train_labels, validation_audio, validation_labels, sample_rate
    )
    if network is None:
        network = _yamnet_with_new_head(len(classes), mode, seed)
    elif mode == "scratch":
        _start_from_random_weights(network, seed)
    _check_network(network, classes)
    epochs, batch_size, learning_rate, l2 = _settings_for(
        mode, len(x_train), epochs, batch_size, learning_rate
    )
    run = _fast.TracedTraining(network, mode, learning_rate, training_step, l2)
    x_train = run.inputs(x_train)  # "head": YAMNet's embeddings, computed once
    if validation is not None:
        validation = (run.inputs(validation[0]), *validation[1:])

    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    last_iteration = epochs * steps_per_epoch
    history = _History()
    callbacks = keras.callbacks.CallbackList(
        callbacks,
        model=network,
        epochs=epochs,
        steps=steps_per_epoch,
        classes=len(classes),
        verbose=0,
    )
    rng = np.random.default_rng(seed)
    start, iteration, interrupted, last_validation = time.perf_counter(), 0, False, None
    callbacks.on_train_begin()
    try:
        for epoch in range(1, epochs + 1):
            callbacks.on_epoch_begin(epoch - 1)
            order = rng.permutation(len(x_train)) if shuffle else np.arange(len(x_train))
            for step in range(steps_per_epoch):
                batch = order[step * batch_size : (step + 1) * batch_size]
                loss, probabilities = run.train(x_train[batch], y_train[batch])
                iteration += 1
                logs = {
                    "iteration": iteration,
                    "epoch": epoch,
                    "loss": loss,
                    "accuracy": float(np.mean(probabilities.argmax(1) == y_train[batch])),
                    "learning_rate": learning_rate,
                }
                due = iteration in (1, last_iteration) or iteration % validation_frequency == 0
                if validation is not None and due:
                    metrics, last_validation = _validate(run, mode, x_train, batch_size, validation)
                    logs.update(metrics)
                logs["seconds"] = time.perf_counter() - start
                history.add(logs, len(batch))
                callbacks.on_train_batch_end(step, logs)
            callbacks.on_epoch_end(epoch - 1, history.end_epoch())
    except KeyboardInterrupt:
        if _INTERRUPT_STOPS.get():
            raise Interrupted(
                f"training, after {iteration} of {last_iteration} iterations",
                "the partly trained network was not kept and nothing was written",
            ) from None
        interrupted = True
        print(f"Interrupted after {iteration} iterations; the network keeps what it learned.")
        metrics, last_validation = _validate(run, mode, x_train, batch_size, validation)
        history.add_validation(metrics)
    run.finish(x_train, batch_size)  # from scratch: batch norm's statistics; then the weights
    result = FineTuneResult(
        network, classes, mode, sample_rate, history.epochs, history.iterations,
        train_seconds=time.perf_counter() - start, interrupted=interrupted,
        validation_probabilities=last_validation,
    )  # fmt: skip
    callbacks.on_train_end({"interrupted": interrupted})
    del run, x_train, validation  # the run's copies: the result keeps the network
    _fast.give_back_memory()
    return result


def _validate(
    run: Any, mode: str, x_train: np.ndarray, batch_size: int, validation: Any
) -> tuple[dict[str, float], np.ndarray | None]:
    """Validation accuracy and loss, and each clip's probabilities (mean of its patches').

    From scratch, batch norm first gets the statistics of the training data
    (see ``_fast.TracedTraining.measure_statistics``): the network must
    predict with fixed statistics, and must not peek at the validation set.
    """
    if mode == "scratch":
        run.measure_statistics(x_train, batch_size)
    if validation is None:
        return {}, None
    x_val, clips, targets = validation
    probabilities = features.clip_average(run.probabilities(x_val), clips)
    accuracy, loss = _accuracy_and_loss(probabilities, targets)
    return {"val_accuracy": accuracy, "val_loss": loss}, probabilities


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def _yamnet_with_new_head(num_classes: int, mode: str, seed: int) -> Any:
    """YAMNet (Google's weights, or random ones from scratch) with a new seeded output layer."""
    from .yamnet import build_yamnet

    _fast.seed_new_weights(seed)  # keras.utils.set_random_seed, minus a cache flush
    return build_yamnet(num_classes, weights=None if mode == "scratch" else "auto")


def _start_from_random_weights(network: Any, seed: int) -> None:
    """Replace every weight of ``network`` by a fresh random one, as if newly built.

    Batch norm is unfrozen: with random weights there are no statistics to keep.
    """
    _fast.seed_new_weights(seed)
    network.set_weights(keras.models.clone_model(network).get_weights())
    for layer in network.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = True


def _check_network(network: Any, classes: list[Any]) -> None:
    """A network fine_tune can train: log-mel patches in, one probability per class out."""
    if not isinstance(network, keras.Model):
        raise LessonError(f"network must be a Keras model, got {type(network).__name__}.")
    inputs = getattr(network, "inputs", None)  # None: a model never built on an input
    if not inputs or len(inputs) != 1 or tuple(inputs[0].shape[1:]) != (96, 64):
        shape = tuple(inputs[0].shape) if inputs else "not defined yet"
        raise LessonError(
            f"network must take (batch, 96, 64) log-mel patches, built on keras.Input((96, 64)) "
            f"or from yl.build_yamnet() (notebook 4 shows how); its input is {shape}."
        )
    outputs = network.outputs[0].shape[-1]
    if outputs != len(classes):
        raise LessonError(
            f"network has {outputs} outputs but the labels hold {len(classes)} classes "
            f"({', '.join(map(str, classes))}); replace its last layer with one of "
            f"{len(classes)} outputs (notebook 4 shows how)."
        )
    probabilities = np.asarray(network(np.zeros((1, 96, 64), np.float32), training=False))
    if np.any(probabilities < 0) or abs(float(probabilities.sum()) - 1) > 1e-3:
        raise LessonError(
            "network's outputs must be probabilities that sum to 1; end it with a softmax "
            "layer (keras.layers.Softmax())."
        )


# ---------------------------------------------------------------------------
# Settings, data, labels, accuracy
# ---------------------------------------------------------------------------


def _patches_and_targets(
    train_audio: Any,
    train_labels: Sequence[Any],
    validation_audio: Any,
    validation_labels: Sequence[Any] | None,
    sample_rate: int,
) -> tuple[np.ndarray, np.ndarray, list[Any], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """Log-mel patches and class indices for training, and the validation set if given.

    Returns ``x_train`` ``(patches, 96, 64)``, ``y_train`` ``(patches,)`` (each
    patch gets its clip's class), the class list, and ``validation``: None or
    ``(x_val, val_clips, val_targets)`` -- patches, each patch's clip, each
    clip's class (validation is scored per clip).
    """
    if isinstance(validation_audio, numbers.Number):  # fine_tune(audio, labels, 5): epochs?
        raise LessonError(
            f"validation_audio is {validation_audio}, a single number; settings are given by "
            f"name, e.g. fine_tune(train_audio, train_labels, epochs={validation_audio})."
        )
    if (validation_audio is None) != (validation_labels is None):
        raise LessonError("give both validation_audio and validation_labels, or neither.")
    x_train, train_clips = _fast.cached_patches(train_audio, sample_rate, "train_audio")
    classes, train_targets = _encode(train_labels, train_clips, "train_labels")
    y_train = train_targets[train_clips]  # each patch gets its clip's label
    validation = None
    if validation_audio is not None:
        x_val, val_clips = _fast.cached_patches(validation_audio, sample_rate, "validation_audio")
        val_targets = _encode(validation_labels, val_clips, "validation_labels", classes)[1]
        validation = (x_val, val_clips, val_targets)
    return x_train, y_train, classes, validation


def _check_settings(
    mode: str,
    epochs: int | None,
    batch_size: int | None,
    learning_rate: float | None,
    validation_frequency: int,
    seed: int,
    sample_rate: int,
) -> tuple[str, int | None, int | None, float | None, int, int, int]:
    return (
        check_mode(mode),
        None if epochs is None else check_int(epochs, "epochs", 1),
        None if batch_size is None else check_int(batch_size, "batch_size", 1),
        # Adam moves each weight by about learning_rate a step: above 1 the weights overflow
        None if learning_rate is None else check_positive(learning_rate, "learning_rate", 1),
        check_int(validation_frequency, "validation_frequency", 1),
        check_seed(seed),
        features.check_rate(sample_rate),
    )


# mode="head" by default: full-batch steps of 3e-2, this many (see fine_tune's docstring)
HEAD_STEPS = 300


def _settings_for(
    mode: str,
    n_patches: int,
    epochs: int | None,
    batch_size: int | None,
    learning_rate: float | None,
) -> tuple[int, int, float, float | None]:
    """Epochs, batch size, learning rate and L2 penalty: the reference's or, for "head", its own.

    Settings given are kept; those left out (None) are filled in as
    :func:`fine_tune`'s docstring says.  The penalty is None (none) but in
    mode "head": ``1 / (2 n_patches)``, scikit-learn's default ``C=1``.
    """
    if mode != "head":
        return (
            30 if epochs is None else epochs,
            128 if batch_size is None else batch_size,
            1e-3 if learning_rate is None else learning_rate,
            None,
        )
    batch_size = n_patches if batch_size is None else batch_size
    if epochs is None:
        epochs = math.ceil(HEAD_STEPS / math.ceil(n_patches / batch_size))
    return epochs, batch_size, 3e-2 if learning_rate is None else learning_rate, 0.5 / n_patches


def _as_list(callbacks: Any) -> list[Any]:
    """``None``, one callback or several -> a list."""
    if callbacks is None:
        return []
    one = isinstance(callbacks, keras.callbacks.Callback | str)  # a string is one (wrong) item
    listed = [callbacks] if one else callbacks
    try:
        listed = list(listed)
    except TypeError:
        listed = [listed]
    for item in listed:
        if not isinstance(item, keras.callbacks.Callback):
            raise LessonError(
                f"callbacks must be Keras callbacks such as ProgressTable() (with the "
                f"parentheses), got {item!r}."
            )
    return listed


def _encode(
    labels: Any, clip_index: np.ndarray, name: str, classes: list[Any] | None = None
) -> tuple[list[Any], np.ndarray]:
    """Class list (in order of first appearance) and each clip's class index."""
    n_clips = int(clip_index.max()) + 1
    values = check_labels(labels, name).tolist()
    if len(values) != n_clips:
        raise LessonError(
            f"{name} has {np.size(values)} labels but there are {n_clips} clips; "
            "give one label per clip."
        )
    if classes is None:
        classes = list(dict.fromkeys(values))
        if len(classes) < 2:
            raise LessonError(
                f"{name} holds only one class ({classes[0]!r}); a classifier needs at least two."
            )
    lookup = {c: i for i, c in enumerate(classes)}
    unknown = sorted({str(v) for v in values if v not in lookup})
    if unknown:
        kinds = {type(v).__name__ for v in values}, {type(c).__name__ for c in classes}
        hint = (
            f" ({name} holds {', '.join(sorted(kinds[0]))} labels, the training labels "
            f"{', '.join(sorted(kinds[1]))}: use the same kind)"
            if kinds[0].isdisjoint(kinds[1])
            else ""
        )
        raise LessonError(
            f"{name} contains {unknown}, never seen in training (classes: {classes}){hint}; "
            f"add training examples of {'it' if len(unknown) == 1 else 'them'} or drop those "
            "clips."
        )
    return classes, np.array([lookup[v] for v in values], dtype=np.int32)


def _accuracy_and_loss(probabilities: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    """Fraction correct and mean cross-entropy (as Keras computes it) against class indices."""
    picked = probabilities[np.arange(len(targets)), targets] / probabilities.sum(axis=1)
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == targets))
    return accuracy, float(np.mean(-np.log(np.clip(picked, 1e-7, 1 - 1e-7))))


class _History:
    """Per iteration and per epoch: losses, accuracies, validation, time."""

    ITERATION_KEYS = ("iteration", "epoch", "loss", "accuracy", "val_loss", "val_accuracy")
    EPOCH_KEYS = ("epoch", "iteration", "train_loss", "train_accuracy", "val_loss", "val_accuracy")

    def __init__(self) -> None:
        self.iterations: dict[str, list[float]] = {k: [] for k in (*self.ITERATION_KEYS, "seconds")}
        self.epochs: dict[str, list[float]] = {k: [] for k in (*self.EPOCH_KEYS, "seconds")}
        self._loss_sum, self._correct, self._seen = 0.0, 0.0, 0

    def add(self, logs: dict[str, float], batch_size: int) -> None:
        for key, values in self.iterations.items():
            values.append(float(logs.get(key, math.nan)))
        self._loss_sum += logs["loss"] * batch_size
        self._correct += logs["accuracy"] * batch_size
        self._seen += batch_size

    def add_validation(self, logs: dict[str, float]) -> None:
        """Validation measured after the last iteration (after an interruption)."""
        for key in ("val_loss", "val_accuracy"):
            if key in logs and self.iterations["iteration"]:
                self.iterations[key][-1] = logs[key]

    def end_epoch(self) -> dict[str, float]:
        """This epoch's means (as Keras's fit reports them) and its last iteration's validation."""
        last = {k: v[-1] for k, v in self.iterations.items()}
        logs = {
            "epoch": last["epoch"],
            "iteration": last["iteration"],
            "train_loss": self._loss_sum / self._seen,
            "train_accuracy": self._correct / self._seen,
            "val_loss": last["val_loss"],
            "val_accuracy": last["val_accuracy"],
            "seconds": last["seconds"],
        }
        for key, values in self.epochs.items():
            values.append(logs[key])
        self._loss_sum, self._correct, self._seen = 0.0, 0.0, 0
        keras_logs = {"loss": logs["train_loss"], "accuracy": logs["train_accuracy"], **logs}
        return {k: v for k, v in keras_logs.items() if not (k.startswith("val") and math.isnan(v))}


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------


def _donors(n: int, seed: int) -> np.ndarray:
    """Which patch fills each of ``n`` patches' masked part: a random cycle through all of
    them (seeded), so that each patch gives once and none fills itself (a permutation
    would leave about one patch in its own place, and with two patches, half the time
    both: nothing masked, no drop)."""
    order = np.random.default_rng(seed).permutation(n)
    donors = np.empty(n, dtype=np.intp)
    donors[order] = np.roll(order, 1)
    return donors


@dataclass
class FineTuneResult:
    """What :func:`fine_tune` returns.

    Attributes
    ----------
    model : keras.Model
        The trained network (the one given to :func:`fine_tune`, trained in
        place): ``(batch, 96, 64)`` log-mel patches -> class probabilities.
    class_names : list
        The classes in output order, as the labels gave them (str, int, ...).
    mode : str
        ``"finetune"``, ``"head"`` or ``"scratch"``.
    sample_rate : int
        Rate (Hz) of the training audio; :meth:`predict` assumes it by default.
    epoch_history : dict of lists
        Per epoch: ``epoch``, ``iteration`` (the epoch's last), ``train_loss``,
        ``train_accuracy`` (means over the epoch's mini-batches), ``val_loss``
        and ``val_accuracy`` (NaN unless validated at the epoch's last
        iteration), ``seconds``.
    iteration_history : dict of lists
        Per iteration (mini-batch): ``iteration``, ``epoch``, ``loss``,
        ``accuracy``, ``val_loss`` and ``val_accuracy`` (NaN where not
        validated), ``seconds``.
    train_seconds : float
        Time spent training, validation included (features excluded).
    interrupted : bool
        True if training was stopped early (Kernel > Interrupt); the network
        keeps what it learned until then.
    validation_probabilities : array, shape ``(clips, classes)``, or None
        Each validation clip's class probabilities at the last validation
        (the end of training, or the interruption); None without validation.
    """

    model: Any
    class_names: list[Any]
    mode: str
    sample_rate: int
    epoch_history: dict[str, list[float]] = field(default_factory=dict)
    iteration_history: dict[str, list[float]] = field(default_factory=dict)
    train_seconds: float = 0.0
    interrupted: bool = False
    validation_probabilities: np.ndarray | None = None

    def __repr__(self) -> str:  # one line, not the histories and arrays
        iterations = len(self.iteration_history.get("iteration", []))
        accuracy = self.validation_accuracy
        validated = "" if math.isnan(accuracy) else f", validation accuracy {100 * accuracy:.1f} %"
        stopped = ", interrupted" if self.interrupted else ""
        return (
            f"FineTuneResult(mode={self.mode!r}, classes={self.class_names!r}, "
            f"{iterations} iteration{'s' * (iterations != 1)} in {self.train_seconds:.1f} s"
            f"{validated}{stopped})"
        )

    @property
    def validation_accuracy(self) -> float:
        """The last validation accuracy measured (a fraction; NaN without validation)."""
        return self._last_measured("val_accuracy")

    @property
    def validation_loss(self) -> float:
        """The last validation loss measured (mean cross-entropy; NaN without validation)."""
        return self._last_measured("val_loss")

    def _last_measured(self, key: str) -> float:
        values = [v for v in self.iteration_history.get(key, []) if not math.isnan(v)]
        return float(values[-1]) if values else math.nan

    @property
    def validation_predictions(self) -> np.ndarray | None:
        """Each validation clip's most probable class at the last validation, in the labels'
        own type, shape ``(clips,)``; None without validation."""
        if self.validation_probabilities is None:
            return None
        return self._most_probable(self.validation_probabilities)

    def predict_proba(self, audio: Any, sample_rate: int | None = None) -> np.ndarray:
        """Class probabilities per clip, shape ``(clips, classes)`` (the mean over its patches).

        ``sample_rate`` (Hz): the rate of ``audio``, by default the training rate.
        """
        if sample_rate is None:
            sample_rate = self.sample_rate
        patches, clip_index = _fast.cached_patches(audio, features.check_rate(sample_rate))
        return features.clip_average(_fast.predict_patches(self.model, patches), clip_index)

    def predict(self, audio: Any, sample_rate: int | None = None) -> np.ndarray:
        """The most probable class per clip, shape ``(clips,)``, in the labels' own type.

        ``sample_rate`` (Hz): the rate of ``audio``, by default the training rate.
        """
        return self._most_probable(self.predict_proba(audio, sample_rate))

    def _most_probable(self, probabilities: np.ndarray) -> np.ndarray:
        """The class of highest probability per row, in the labels' own type."""
        names = np.asarray(self.class_names)
        if names.shape != (len(self.class_names),):  # e.g. tuples as labels: keep them whole
            names = np.empty(len(self.class_names), dtype=object)
            for i, name in enumerate(self.class_names):
                names[i] = name
        return names[np.argmax(probabilities, axis=1)]

    def band_importance(
        self,
        audio: Any,
        labels: Sequence[Any],
        groups: int = 8,
        *,
        fill: str = "shuffle",
        per_clip: bool = False,
        seed: int = 0,
        sample_rate: int | None = None,
    ) -> np.ndarray:
        """What the network listens to: how much it needs each group of mel bands (occlusion).

        The 64 mel bands are cut into ``groups`` groups of neighbouring bands,
        low to high frequency.  For each group in turn, those bands are masked
        in every patch of every clip, the masked patches go through the
        trained network exactly as in :meth:`predict_proba`, and the result is
        how much the probability of each clip's true class dropped.  A large
        drop: the network needs those frequencies to be right; about zero: it
        does without them; below zero: with them masked it is *more* sure of
        the true class (what they held pointed elsewhere).

        Parameters
        ----------
        audio
            Clips, as :meth:`predict_proba` takes them (a ``(samples, clips)``
            array or a list of 1-D waveforms).
        labels
            The true class of each clip, one per clip, among :attr:`class_names`.
        groups : int
            How many groups of mel bands, 1 to 64; they hold equal numbers of
            bands where 64 allows (8 groups: 8 bands each).
            :func:`yamnet_lesson.features.mel_band_groups` gives each group's
            bands and its edges in Hz.
        fill : ``"shuffle"``, ``"mean"``, ``"silence"`` or ``"floor"``
            What masked values become.  ``"shuffle"`` (default): those bands of
            a patch drawn at random (``seed``) from all the patches given -- a
            random cycle through them, so each patch gives its bands once and
            never to itself (needs two patches or more).  A clip loses what *it* holds there while
            the bands keep a texture and a level the network knows: the masked
            part is "any of these sounds", not a hole (the marginalising
            occlusion of Zintgraf et al. 2017, "Visualizing deep neural network
            decisions: prediction difference analysis").  ``"mean"``: each band's mean over all the
            patches given, flat in time.  ``"silence"``: ``log(0.001)`` =
            -6.91, what YAMNet's log-mel holds where a sound has no energy (a
            filter taking those frequencies out).  ``"floor"``: each patch's own
            lowest value.  The last three leave a flat band or a notch, a clue
            of its own that no training clip had, and the networks react to
            it: on the noise colours, a notch anywhere turns the fine-tuned
            seed-0 network's pink into another colour, so with ``"silence"``
            every group looks alike (``python benchmarks/importance.py --fills
            shuffle mean silence floor`` compares them).
            An occlusion map depends on what fills the hole: compare two.
        per_clip : bool
            False (default): the mean over the clips; True: each clip's own drop.
        seed : int
            Seeds the draw of ``fill="shuffle"`` (the same seed, the same numbers).
        sample_rate : int
            Rate of ``audio`` in Hz; by default the training rate.

        Returns
        -------
        importance : float array, shape ``(groups,)``, or ``(clips, groups)`` if ``per_clip``
            Mean true-class probability with nothing masked minus with group
            ``g`` masked (probabilities 0 to 1, so values lie between -1 and 1),
            lowest frequencies first.

        Notes
        -----
        This is occlusion (Zeiler & Fergus 2014, "Visualizing and understanding
        convolutional networks"), over frequency.  It measures what *this
        trained network* uses, not where the classes differ: where two groups
        carry the same clue, masking either leaves the other to decide, so
        neither looks important (mask both, with fewer groups, to see it).
        It costs ``groups + 1`` passes of the clips through the network.
        """
        return self._occlusion(
            audio, labels, groups, "frequency", fill, per_clip, seed, sample_rate
        )

    def time_importance(
        self,
        audio: Any,
        labels: Sequence[Any],
        groups: int = 8,
        *,
        fill: str = "shuffle",
        per_clip: bool = False,
        seed: int = 0,
        sample_rate: int | None = None,
    ) -> np.ndarray:
        """When the network listens: how much it needs each stretch of time (occlusion).

        As :meth:`band_importance`, over time instead of frequency: the
        frames each clip is seen through (see below) are cut into ``groups``
        equal stretches, first to last, and each stretch in turn is masked in
        every band.  A frame that two overlapping patches share (patches start
        every 0.48 s and last 0.96 s) is masked in both, so a stretch is
        masked in the clip as a whole.

        Parameters
        ----------
        audio, labels, fill, per_clip, seed, sample_rate
            As in :meth:`band_importance` (``"shuffle"`` takes the same frames
            of a patch drawn at random, each patch its own draw, so frames that
            overlapping patches share may be filled differently in each;
            ``"mean"`` each band's mean).
        groups : int
            How many stretches, 1 to 96 (a patch's frames).  A clip of ``P``
            patches is seen through ``96 + 48 (P - 1)`` frames of 10 ms (the
            tail after its last whole patch is not; a clip shorter than a patch
            is padded with silence to one); stretch ``g`` of a clip of ``T``
            frames holds frames ``np.array_split(np.arange(T), groups)[g]``.
            Clips of one length share their stretches: with 8 groups, one patch
            of 0.96 s gives stretches of 12 frames, 0.12 s each.

        Returns
        -------
        importance : float array, shape ``(groups,)``, or ``(clips, groups)`` if ``per_clip``
            The drop in mean true-class probability when stretch ``g`` is
            masked, earliest first.  For one long recording, give it as the
            only clip (with ``groups`` about its length in 0.48 s hops) to see
            when in it the network heard its class.
        """
        return self._occlusion(audio, labels, groups, "time", fill, per_clip, seed, sample_rate)

    def _occlusion(
        self,
        audio: Any,
        labels: Sequence[Any],
        groups: int,
        axis: str,
        fill: str,
        per_clip: bool,
        seed: int,
        sample_rate: int | None,
    ) -> np.ndarray:
        """Drop in true-class probability per clip (or its mean) with each group masked."""
        most = features.N_MELS if axis == "frequency" else features.PATCH_FRAMES
        groups = check_int(groups, "groups", 1, most)
        fills = ("shuffle", "mean", "silence", "floor")
        if fill not in fills:
            raise LessonError(f"fill must be one of {fills}, got {fill!r}.")
        seed = check_seed(seed)
        if not isinstance(per_clip, bool | np.bool_):
            raise LessonError(f"per_clip must be True or False, got {per_clip!r}.")
        rate = self.sample_rate if sample_rate is None else sample_rate
        patches, clip_index = _fast.cached_patches(audio, check_int(rate, "sample_rate", 1))
        if fill == "shuffle" and len(patches) < 2:  # nothing else to draw from: no drop at all
            raise LessonError(
                "fill='shuffle' fills the masked bands from the other patches given, and this "
                "audio makes one patch (0.96 s); pass more clips, or fill='mean'."
            )
        targets = _encode(labels, clip_index, "labels", self.class_names)[1]
        masks = _band_masks(groups) if axis == "frequency" else _time_masks(clip_index, groups)
        fillers = {  # what masked values become (see band_importance's fill)
            "shuffle": lambda: patches[_donors(len(patches), seed)],
            "mean": lambda: patches.mean(axis=(0, 1), keepdims=True),
            "silence": lambda: np.float32(np.log(features.LOG_OFFSET)),
            "floor": lambda: patches.min(axis=(1, 2), keepdims=True),
        }
        value = fillers[fill]()
        masked = (np.where(mask, value, patches) for mask in masks)  # one copy at a time
        clear, *occluded = _fast.predict_variants(self.model, itertools.chain([patches], masked))

        def true_class(per_patch: np.ndarray) -> np.ndarray:
            probabilities = features.clip_average(per_patch, clip_index)
            return probabilities[np.arange(len(targets)), targets]

        drops = np.stack([true_class(clear) - true_class(p) for p in occluded], axis=1)
        return drops if per_clip else drops.mean(axis=0)

    def export(self, folder: Any) -> dict[str, Any]:
        """Write the classifier for use outside Python (:func:`yamnet_lesson.export.export_result`).

        ``folder`` gets ``classifier.tflite`` (a waveform of 15,600 samples at
        16 kHz in, class probabilities out; the log-mel front end inside),
        ``classifier_labels.txt`` and ``classifier.keras``.  Returns their paths.
        """
        from .export import export_result

        return export_result(self, folder)


def _band_masks(groups: int) -> list[np.ndarray]:
    """One mask per group of mel bands, shape ``(1, 1, 64)``: True where that group's bands are."""
    masks = []
    for bands in features.mel_band_groups(groups)[0]:
        mask = np.zeros((1, 1, features.N_MELS), dtype=bool)
        mask[..., bands] = True
        masks.append(mask)
    return masks


def _time_masks(clip_index: np.ndarray, groups: int) -> list[np.ndarray]:
    """One mask per stretch of each clip's time, shape ``(patches, 96, 1)``.

    Patch ``p`` of a clip holds the clip's frames ``48 p`` to ``48 p + 95``; a
    clip of ``P`` patches is seen through ``T = 96 + 48 (P - 1)`` frames, cut
    into stretches as ``np.array_split(np.arange(T), groups)`` cuts them.
    """
    patch = np.arange(len(clip_index)) - np.searchsorted(clip_index, clip_index)  # within its clip
    frames = features.PATCH_HOP_FRAMES * patch[:, None] + np.arange(features.PATCH_FRAMES)
    n_patches = np.bincount(clip_index)
    total = features.PATCH_FRAMES + features.PATCH_HOP_FRAMES * (n_patches - 1)  # per clip
    size, extra = total // groups, total % groups
    masks = []
    for g in range(groups):
        start = (g * size + np.minimum(g, extra))[clip_index, None]
        stop = ((g + 1) * size + np.minimum(g + 1, extra))[clip_index, None]
        masks.append(((frames >= start) & (frames < stop))[:, :, None])
    return masks
