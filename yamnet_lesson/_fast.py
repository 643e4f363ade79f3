"""Speed devices for :func:`yamnet_lesson.fine_tune`: each saves time and changes no result.

What the lesson teaches -- the network, the training step, the loop -- is in
:mod:`yamnet_lesson.training`.  This module only makes it fast enough to run
live on a laptop or a Binder session:

* **Traced steps, reused.**  Turning a Keras network and its training step
  into a TensorFlow graph ("tracing") takes seconds.  It is done once per
  network *shape* per process, on a private twin of the network: each run
  (each press of Train) copies its network's weights into the twin, trains the
  twin, and copies the trained weights back into its network.
* **Batch norm folded into the convolutions** to predict.  In inference mode
  ``(x - mean) / sqrt(variance + epsilon) + beta`` is a fixed scale and shift
  per channel, which the convolution before it can apply itself: one
  operation less after each of YAMNet's 27 convolutions, for networks that
  have batch norm (trained from scratch, or from ``yamnet.h5``).  Google's TF
  Lite file comes folded already.  Training never folds: the gradients with
  respect to a scaled kernel are not the same, so Adam's steps would differ.
* **Adam traced lean.**  Keras's Adam builds its update for each weight
  through several layers of Python and recomputes its step-size factor for
  every weight; :class:`LeanAdam` does the same arithmetic, in the same
  order, with TensorFlow operations on the raw variables and that factor
  computed once per step: the same numbers bit for bit, traced in about half
  the time (a fresh process saves about half a second).
* **Log-mel patches cached.**  The same clips give the same patches, so moving
  a slider back and forth does not compute features again.
* **One batched pass** for validation and prediction, in batches of 96 patches
  (YAMNet's activations for 96 patches take about 100 MB).  Occlusion
  (:func:`predict_variants`) loads the weights once for all its masked copies.
* **Seeding that keeps the traced steps.**  ``keras.utils.set_random_seed``
  also calls ``tf.random.set_seed``, which empties TensorFlow's kernel cache:
  the next call of every traced step optimises its graph again (about half a
  second per press of Train).  Keras draws new weights from Python's
  ``random`` module, so :func:`seed_new_weights` seeds that (and NumPy) alone:
  the same weights.
* **Memory given back** after each run (:func:`give_back_memory`): freed
  memory goes back to the C library's heap, which keeps it for reuse by this
  process alone; on a 2 GB Binder session the other notebooks' kernels need
  it.  ``malloc_trim`` hands the free pages back to the system.
* **Embeddings once** in ``mode="head"``: the frozen body gives the same
  embeddings at every epoch, so only the new layer runs in the loop; and the
  same patches through the same body weights give the same embeddings, so
  they are remembered across runs too (another seed, another number of epochs).

``tests/test_fast.py`` trains the same network on the same data with the same
seed and settings with plain Keras ``model.fit`` and gets the same accuracy and
loss at every epoch.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import features
from ._tensorflow import keras, tf
from .validation import LessonError, peak_checked
from .yamnet import in_batches

__all__ = [
    "TracedTraining",
    "cached_patches",
    "give_back_memory",
    "predict_patches",
    "predict_variants",
    "seed_new_weights",
]

# --------------------------------------------------------------------------- patches

_PATCHES: dict[str, tuple[np.ndarray, np.ndarray]] = {}
_EMBEDDINGS: dict[str, np.ndarray] = {}


def _remembered(store: dict[str, Any], parts: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, or what it gave before for the same ``parts`` (arrays); the last 8 kept."""
    digest = hashlib.sha1()
    for part in parts:
        digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(b"|")
    key = digest.hexdigest()
    if key not in store:
        if len(store) >= 8:
            store.pop(next(iter(store)))
        store[key] = compute()
    return store[key]


def cached_patches(
    audio: Any, sample_rate: int, name: str = "audio"
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`features.clip_patches`, remembered for the last 8 sets of clips (by content).

    ``name``: what error messages call ``audio`` (the caller's argument name).
    """
    clips = features.as_clips(audio, name, sample_rate)  # checked before any feature work
    with peak_checked():  # as_clips has checked them: one warning per clip at most
        return _remembered(
            _PATCHES,
            [np.array(sample_rate), *clips],
            lambda: features.clip_patches(clips, sample_rate),
        )


# --------------------------------------------------------------------------- memory


def _glibc() -> Any:
    """The C library if it can give free heap pages back (glibc's ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    try:
        library = ctypes.CDLL(name)
        return library if hasattr(library, "malloc_trim") else None
    except OSError:  # not Linux or glibc: macOS, Windows, musl
        return None


_LIBC = _glibc()


def give_back_memory(*, caches: bool = False) -> None:
    """Hand memory this process no longer uses back to the system; changes no result.

    ``caches=True`` also forgets the remembered patches and embeddings (for a
    batch of runs that is over: the next run computes them again).  Then
    Python's cycle collector frees what only cycles kept, and glibc's
    ``malloc_trim(0)`` returns the heap's free pages.
    """
    if caches:
        _PATCHES.clear()
        _EMBEDDINGS.clear()
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# --------------------------------------------------------------------------- seeding


def seed_new_weights(seed: int) -> None:
    """The same new weights as after ``keras.utils.set_random_seed(seed)``, caches kept.

    Keras gives each new layer's initialiser a seed drawn from Python's
    ``random`` module; NumPy's global generator is seeded too, as Keras does.
    TensorFlow's global seed is left alone: setting it empties the kernel
    cache, and nothing here draws from TensorFlow's own random operations.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- the global generator, as Keras seeds it


# --------------------------------------------------------------------------- folding


def _fold_pairs(network: Any) -> dict[str, str] | None:
    """``{convolution: batch norm}`` for every batch norm, if all can be folded; else None.

    A batch norm folds into the convolution before it when it normalises that
    convolution's output alone, per channel, with a shift (``center``) and no
    learned scale, and the convolution has no bias of its own.
    """
    pairs = {}
    for layer in network.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        conv = layer.input._keras_history[0]
        plain_conv = isinstance(conv, keras.layers.Conv2D | keras.layers.DepthwiseConv2D)
        if (
            not plain_conv
            or conv.use_bias
            or getattr(conv, "depth_multiplier", 1) != 1
            or len(conv._outbound_nodes) != 1
            or layer.axis not in (-1, 3, [3], [-1])
            or layer.scale
            or not layer.center
        ):
            return None
        pairs[conv.name] = layer.name
    return pairs


def _channel_shape(conv: Any) -> tuple[int, ...]:
    # kernels are (kh, kw, in, out); depthwise kernels (kh, kw, channels, 1)
    return (1, 1, -1, 1) if isinstance(conv, keras.layers.DepthwiseConv2D) else (1, 1, 1, -1)


class _FoldedAway(keras.layers.Layer):
    """Where a batch norm was: its work is done by the convolution before it."""

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        return inputs


def _folded_copy(network: Any, pairs: dict[str, str]) -> Any:
    """A network of the same shape with every batch norm merged into its convolution."""

    def copy_layer(layer: Any) -> Any:
        config = layer.get_config()
        if layer.name in pairs:
            return layer.__class__.from_config({**config, "use_bias": True})
        if layer.name in pairs.values():
            return _FoldedAway(name=layer.name)
        return layer.__class__.from_config(config)

    return keras.models.clone_model(network, clone_function=copy_layer)


# --------------------------------------------------------------------------- twins


def _shape_key(network: Any) -> str:
    config = dict(network.get_config())
    config.pop("name", None)  # the network's own name changes nothing
    return hashlib.sha1(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


class _Twin:
    """A private copy of one network shape, with its traced functions.

    ``pairs``: the batch norms merged into convolutions (see :func:`_folded_copy`),
    or None for an exact copy (the one that trains).
    """

    def __init__(self, network: Any, pairs: dict[str, str] | None) -> None:
        self.pairs = pairs
        if pairs is None:
            self.network = keras.models.clone_model(network)
            for layer in self.network.layers:  # see TracedTraining.measure_statistics
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.momentum = 0.0
        else:
            self.network = _folded_copy(network, pairs)
        patch = tf.TensorSpec([None, *network.inputs[0].shape[1:]], tf.float32)
        # autograph=False: no Python control flow to convert, so tracing is quicker
        self.forward = tf.function(
            lambda x: self.network(x, training=False), input_signature=[patch], autograph=False
        )
        self.batch_statistics = tf.function(
            lambda x: self.network(x, training=True), input_signature=[patch], autograph=False
        )
        self._body: Any = None
        self.body_weights: list[Any] = []  # mode "head": the frozen body's, to key embeddings
        self._steps: dict[str, tuple[Any, Any]] = {}
        self.l2 = tf.Variable(0.0, trainable=False)  # mode "head"'s penalty, set per run

    # weights in and out ------------------------------------------------------

    def load(self, network: Any) -> None:
        """Give the twin ``network``'s weights (folded where the twin is)."""
        if self.pairs is None:
            self.network.set_weights(network.get_weights())
            return
        for layer in network.layers:
            if not layer.weights or layer.name in self.pairs.values():
                continue
            twin = self.network.get_layer(layer.name)
            if layer.name in self.pairs:
                (kernel,) = layer.get_weights()
                norm = network.get_layer(self.pairs[layer.name])
                scale = 1.0 / np.sqrt(norm.moving_variance.numpy() + norm.epsilon)
                shift = norm.beta.numpy() - norm.moving_mean.numpy() * scale
                twin.set_weights([kernel * scale.reshape(_channel_shape(layer)), shift])
            else:
                twin.set_weights(layer.get_weights())

    def save(self, network: Any) -> None:
        """Write the twin's (trained) weights back into ``network`` (never folded)."""
        network.set_weights(self.network.get_weights())

    # the frozen body and the new layer, for mode="head" ---------------------

    def body_and_head(self) -> tuple[Any, Any]:
        """Everything up to YAMNet's embedding (traced), and the layers after it."""
        if self._body is None:
            try:
                embedding = self.network.get_layer("embedding").output
            except ValueError:
                raise LessonError(
                    "mode='head' trains the layers after YAMNet's 'embedding' layer, and "
                    "this network has no layer of that name; build it from build_yamnet()."
                ) from None
            body = keras.Model(self.network.inputs, embedding)
            spec = tf.TensorSpec(self.network.inputs[0].shape, tf.float32)
            self._body = tf.function(
                lambda x: body(x, training=False), input_signature=[spec], autograph=False
            )
            self.body_weights = body.weights
            self._head = keras.Model(embedding, self.network.output)
        return self._body, self._head

    def step(self, mode: str, training_step: Callable[..., Any]) -> tuple[Any, Any]:
        """The traced training step of ``mode`` and its optimiser (one of each per mode)."""
        if mode not in self._steps:
            model = self.body_and_head()[1] if mode == "head" else self.network
            optimizer = LeanAdam()
            optimizer.build(model.trainable_variables)
            inputs = tf.TensorSpec(model.input.shape, tf.float32)
            targets = tf.TensorSpec([None], tf.int32)
            l2 = self.l2 if mode == "head" else None
            traced = tf.function(
                lambda x, y: training_step(model, optimizer, x, y, l2),
                input_signature=[inputs, targets],
                autograph=False,
            )
            self._steps[mode] = (traced, optimizer)
        return self._steps[mode]


class LeanAdam(keras.optimizers.Adam):
    """Keras's Adam (default settings), its update written with plain TensorFlow operations.

    For each weight ``w`` with gradient ``g``, at step ``t``, exactly as
    ``keras.optimizers.Adam.update_step`` computes it::

        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        w -= m * alpha / (sqrt(v) + epsilon)

    ``tests/test_fast.py`` checks that the weights after several steps equal
    Keras's Adam's bit for bit.
    """

    def _backend_update_step(
        self, grads: Any, trainable_variables: Any, learning_rate: Any
    ) -> None:
        step = tf.cast(self.iterations + 1, tf.float32)
        beta_1_power = tf.pow(tf.cast(self.beta_1, tf.float32), step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, tf.float32), step)
        alpha = tf.cast(learning_rate, tf.float32) * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        for gradient, variable in zip(grads, trainable_variables, strict=True):
            index = self._get_variable_index(variable)
            m, v = self._momentums[index].value, self._velocities[index].value
            gradient = tf.cast(gradient, tf.float32)
            m.assign_add((gradient - m) * (1 - self.beta_1))
            v.assign_add((tf.square(gradient) - v) * (1 - self.beta_2))
            variable.value.assign_sub(m * alpha / (tf.sqrt(v) + self.epsilon))


_TWINS: dict[tuple[str, bool], _Twin] = {}


def _twin(network: Any, *, fold: bool) -> _Twin:
    pairs = (_fold_pairs(network) or None) if fold else None  # nothing to fold: the same twin
    key = (_shape_key(network), pairs is not None)
    if key not in _TWINS:
        _TWINS[key] = _Twin(network, pairs)
    return _TWINS[key]


def predict_patches(network: Any, patches: np.ndarray) -> np.ndarray:
    """``network(patches, training=False)`` in batches, through its folded twin: ``(n, C)``."""
    twin = _twin(network, fold=True)
    twin.load(network)
    return np.concatenate(in_batches(twin.forward, patches))


def predict_variants(network: Any, variants: Iterable[np.ndarray]) -> list[np.ndarray]:
    """:func:`predict_patches` of each set of patches in ``variants``, the weights loaded once.

    Occlusion (``FineTuneResult.band_importance``) predicts the same patches
    many times, each with another part masked: loading (and folding) the
    weights once instead of per variant saves that time, and each variant
    goes through the same batches as :func:`predict_patches` would send it,
    so its probabilities are the same numbers.  ``variants`` may be a
    generator: it is consumed one set at a time, so only one masked copy of
    the patches need exist at once.  Returns one ``(n, C)`` array per variant.
    """
    twin = _twin(network, fold=True)
    twin.load(network)
    return [np.concatenate(in_batches(twin.forward, patches)) for patches in variants]


# --------------------------------------------------------------------------- training


class TracedTraining:
    """One run of :func:`yamnet_lesson.fine_tune`, on the traced twin of ``network``.

    ``training_step(model, optimizer, patches, targets, l2)`` is the step
    written out in :mod:`yamnet_lesson.training`; it is traced here.  ``l2``:
    the weight of the penalty on the new layer's weights in mode "head".
    """

    def __init__(
        self,
        network: Any,
        mode: str,
        learning_rate: float,
        training_step: Callable[..., Any],
        l2: float | None = None,
    ) -> None:
        self.network, self.mode = network, mode
        self.twin = _twin(network, fold=False)  # the network as it is (see _fold_pairs)
        self.twin.load(network)
        self.step, optimizer = self.twin.step(mode, training_step)
        for variable in optimizer.variables:  # a fresh Adam: no momentum from the last run
            variable.assign(np.zeros(variable.shape, variable.dtype))
        optimizer.learning_rate = learning_rate
        self.twin.l2.assign(0.0 if l2 is None else l2)  # used by mode "head" only
        self.statistics_current = False  # from scratch: measured since the last step?

    def inputs(self, patches: np.ndarray) -> np.ndarray:
        """What the training step takes: patches, or in mode "head" their embeddings.

        Embeddings are remembered by the patches and the body's weights (see
        :func:`_remembered`): a second run on the same clips does not compute
        them again, unless the body has changed (fine-tuned in between).
        """
        if self.mode != "head":
            return patches
        body, _ = self.twin.body_and_head()
        return _remembered(
            _EMBEDDINGS,
            [patches, *(w.numpy() for w in self.twin.body_weights)],
            lambda: np.concatenate(in_batches(body, patches)),
        )

    def train(self, inputs: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
        """One traced training step: the mini-batch's loss and probabilities (before the step)."""
        loss, probabilities = self.step(inputs, targets.astype(np.int32))
        self.statistics_current = False
        return float(loss), probabilities.numpy()

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, C)`` of ``inputs`` at the current weights, batched."""
        forward = self.twin.body_and_head()[1] if self.mode == "head" else self.twin.forward
        return np.concatenate(in_batches(forward, inputs))

    def measure_statistics(self, patches: np.ndarray, batch_size: int) -> None:
        """From scratch: give batch norm the statistics of the training data.

        Batch norm normalises each training mini-batch by the batch's own mean
        and variance.  To predict (one clip at a time, or a validation set it
        must not peek at) it needs fixed ones: like MATLAB's "population"
        setting, the training patches pass through once more in mini-batches
        and batch norm keeps the average of their statistics.  (The twin's batch
        norms have momentum 0, so each pass leaves that batch's statistics.)
        Measured once per state of the weights: again without a step between
        (the last iteration validated, then training ends), it would give the
        same statistics.
        """
        if self.statistics_current:
            return
        layers = [
            layer
            for layer in self.twin.network.layers
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        statistics = [v for layer in layers for v in (layer.moving_mean, layer.moving_variance)]
        chunks = np.array_split(patches, -(-len(patches) // batch_size))
        totals = [np.zeros(v.shape, np.float64) for v in statistics]
        for chunk in chunks:
            self.twin.batch_statistics(chunk)
            for total, variable in zip(totals, statistics, strict=True):
                total += variable.numpy()
        for total, variable in zip(totals, statistics, strict=True):
            variable.assign((total / len(chunks)).astype(np.float32))
        self.statistics_current = True

    def finish(self, patches: np.ndarray, batch_size: int) -> None:
        """Copy the trained weights into the network that was given to fine_tune.

        From scratch, batch norm first gets the training data's statistics (see
        :meth:`measure_statistics`), whether or not the last iteration was
        validated: the network predicts the same with or without validation.
        """
        if self.mode == "scratch":
            self.measure_statistics(patches, batch_size)
        self.twin.save(self.network)
