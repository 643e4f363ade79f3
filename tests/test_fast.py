"""The speed devices of ``yamnet_lesson._fast`` change no result.

The reference: the same network, data, seed and settings trained by plain
Keras ``model.fit``.  ``fine_tune`` must give the same accuracy and loss at
every epoch (float32 rounding apart), and the same trained weights.
"""

import numpy as np
import pytest

from yamnet_lesson import _fast, features, fine_tune, signals
from yamnet_lesson._tensorflow import keras
from yamnet_lesson.experiments import split_reference
from yamnet_lesson.yamnet import build_yamnet

CLASSES = ["white", "brown", "pink"]
SETTINGS = {"epochs": 3, "batch_size": 8, "shuffle": False}  # 15 patches: 2 mini-batches an epoch


@pytest.fixture(scope="module")
def data():
    audio, labels = signals.noise_dataset(20, seed=0)
    train_audio, train_labels, val_audio, val_labels = split_reference(
        audio, labels, 5, verbose=False
    )
    x_train, _ = features.clip_patches(train_audio)
    x_val, _ = features.clip_patches(val_audio)
    y_train = np.array([CLASSES.index(c) for c in train_labels])
    y_val = np.array([CLASSES.index(c) for c in val_labels])
    return train_audio, train_labels, val_audio, val_labels, x_train, y_train, x_val, y_val


def twins(weights):
    """Two networks with the same starting weights: one for fine_tune, one for model.fit."""
    keras.utils.set_random_seed(1)
    ours = build_yamnet(3, weights=weights)
    theirs = keras.models.clone_model(ours)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def plain_fit(network, x_train, y_train, x_val, y_val, learning_rate=1e-3):
    network.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return network.fit(
        x_train, y_train, validation_data=(x_val, y_val), verbose=0, **SETTINGS
    ).history


@pytest.mark.parametrize("mode", ["finetune", "head"])
def test_fine_tune_trains_exactly_like_keras_fit(data, mode):
    train_audio, train_labels, val_audio, val_labels, x_train, y_train, x_val, y_val = data
    ours, theirs = twins("auto")
    learning_rate = 1e-3
    if mode == "head":  # what "head" means in plain Keras: everything before the new layer frozen,
        for layer in theirs.layers:
            layer.trainable = layer.name in ("logits", "predictions")
        # scikit-learn's penalty for C=1 on the new layer's weights, and head's step size
        theirs.get_layer("logits").kernel.regularizer = keras.regularizers.L2(1 / (2 * 15))
        learning_rate = 3e-2
    expected = plain_fit(theirs, x_train, y_train, x_val, y_val, learning_rate)
    result = fine_tune(
        train_audio,
        train_labels,
        val_audio,
        val_labels,
        network=ours,
        mode=mode,
        validation_frequency=2,  # validated at the end of every epoch, as fit does
        **SETTINGS,
    )
    got = result.epoch_history
    np.testing.assert_allclose(got["train_loss"], expected["loss"], rtol=2e-5)
    np.testing.assert_allclose(got["train_accuracy"], expected["accuracy"], rtol=1e-6)
    if mode != "head":  # Keras's val_loss holds the penalty too; fine_tune's is cross-entropy
        np.testing.assert_allclose(got["val_loss"], expected["val_loss"], rtol=2e-5)
    np.testing.assert_allclose(got["val_accuracy"], expected["val_accuracy"], rtol=1e-6)
    assert len(set(np.round(got["val_loss"], 5))) == 3  # it learned: the curve moves
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert result.model is ours  # the network given is the network trained


@pytest.mark.slow  # everyday: the same traced step against fit (fine-tune and head modes above)
def test_from_scratch_trains_like_keras_fit_and_predicts_with_training_statistics(data):
    """Training is Keras's; only the statistics batch norm predicts with are measured on purpose.

    (Keras's moving averages after six steps are still near their starting
    values, so ``fit`` validates at chance; fine_tune gives batch norm the
    statistics of the training data instead, as MATLAB does.)
    """
    train_audio, train_labels, val_audio, val_labels, x_train, y_train, x_val, y_val = data
    ours, theirs = twins(None)
    expected = plain_fit(theirs, x_train, y_train, x_val, y_val)
    keras.utils.set_random_seed(1)
    result = fine_tune(
        train_audio, train_labels, val_audio, val_labels, mode="scratch", seed=1, **SETTINGS
    )
    got = result.epoch_history
    np.testing.assert_allclose(got["train_loss"], expected["loss"], rtol=2e-5)
    np.testing.assert_allclose(got["train_accuracy"], expected["accuracy"], rtol=1e-6)
    for name in ("layer1_conv", "layer14_pointwise_conv", "logits"):
        for a, b in zip(
            result.model.get_layer(name).get_weights(),
            theirs.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_allclose(a, b, atol=1e-5)


def test_folded_prediction_equals_the_network_with_batch_norm(data):
    """Folding batch norm into the convolutions changes no prediction (non-trivial statistics)."""
    *_, x_val, _ = data
    network = build_yamnet(3, weights=None)
    rng = np.random.default_rng(0)
    for layer in network.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            beta, mean, variance = layer.get_weights()
            layer.set_weights(
                [
                    rng.normal(0, 0.1, beta.shape),
                    rng.normal(0, 0.1, mean.shape),
                    rng.uniform(0.1, 2, variance.shape),
                ]
            )
    expected = np.asarray(network(x_val, training=False))
    assert expected.std() > 0.01  # not a comparison of two constants
    twin = _fast._twin(network, fold=True)
    assert not [layer for layer in twin.network.layers if "BatchNorm" in type(layer).__name__]
    np.testing.assert_allclose(_fast.predict_patches(network, x_val), expected, atol=1e-5)


def test_traced_steps_are_reused_and_change_nothing(data):
    """A run on a new network of the same shape reuses the traced steps, with the same results."""
    train_audio, train_labels, val_audio, val_labels, *_ = data
    _fast._TWINS.clear()

    def run(seed):
        return fine_tune(
            train_audio, train_labels, val_audio, val_labels, epochs=3, seed=seed,
            validation_frequency=1,
        )  # fmt: skip

    first = run(4)
    twins_after_first = len(_fast._TWINS)
    other = run(9)
    again = run(4)
    assert len(_fast._TWINS) == twins_after_first == 1  # three networks, one traced twin
    np.testing.assert_allclose(
        again.iteration_history["val_loss"], first.iteration_history["val_loss"], rtol=1e-5
    )
    assert other.iteration_history["val_loss"][0] != first.iteration_history["val_loss"][0]
    # each result keeps its own trained network
    np.testing.assert_allclose(
        first.predict_proba(val_audio[:, :4]), again.predict_proba(val_audio[:, :4]), rtol=1e-4
    )
    assert first.model is not again.model


def test_cached_patches_are_the_features(data):
    train_audio, *_ = data
    patches, index = _fast.cached_patches(train_audio, 16_000)
    expected, expected_index = features.clip_patches(train_audio)
    np.testing.assert_array_equal(patches, expected)
    np.testing.assert_array_equal(index, expected_index)
    assert _fast.cached_patches(train_audio.copy(), 16_000)[0] is patches  # by content
    assert _fast.cached_patches(train_audio, 8_000)[0] is not patches  # the rate counts


def test_head_embeddings_are_remembered_until_the_body_changes(data):
    train_audio, train_labels, *_ = data
    network = build_yamnet(3)
    fine_tune(train_audio, train_labels, network=network, mode="head", epochs=1)
    first = _fast.TracedTraining(network, "head", 1e-3, lambda *a: None, 0.0)
    patches, _ = _fast.cached_patches(train_audio, 16_000)
    embeddings = first.inputs(patches)
    assert first.inputs(patches.copy()) is embeddings  # by content: not computed again
    body = first.twin.body_and_head()[0]
    np.testing.assert_array_equal(embeddings, body(patches))
    fine_tune(train_audio, train_labels, network=network, epochs=1)  # the body learns
    changed = _fast.TracedTraining(network, "head", 1e-3, lambda *a: None, 0.0).inputs(patches)
    assert changed is not embeddings and not np.array_equal(changed, embeddings)


def test_lean_adam_steps_exactly_like_keras_adam():
    """The traced twin's Adam: Keras's arithmetic bit for bit, over steps and a changed rate."""
    import tensorflow as tf

    def trained(optimizer_class):
        keras.utils.set_random_seed(3)
        network = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)]
        )
        optimizer = optimizer_class()
        optimizer.build(network.trainable_variables)
        rng = np.random.default_rng(0)
        for step in range(6):
            if step == 3:
                optimizer.learning_rate = 3e-2  # as fine_tune sets it for each run
            x = rng.normal(size=(5, 8)).astype("float32")
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(network(x) ** 2)
            gradients = tape.gradient(loss, network.trainable_variables)
            optimizer.apply_gradients(zip(gradients, network.trainable_variables, strict=True))
        return [w.numpy() for w in network.trainable_variables + optimizer.variables]

    expected, got = trained(keras.optimizers.Adam), trained(_fast.LeanAdam)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(expected, trained(lambda: keras.optimizers.Adam(2e-3)), strict=True)
    )
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)


def test_seeding_gives_keras_weights_and_leaves_tensorflow_seed_alone():
    """seed_new_weights: the weights keras.utils.set_random_seed gives, TF's seed untouched."""
    import tensorflow as tf

    def built(seed_with, seed):
        seed_with(seed)
        network = build_yamnet(3, weights=None)
        return [w.numpy() for w in network.weights] + [np.random.rand(3)]  # noqa: NPY002

    expected = built(keras.utils.set_random_seed, 4)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(expected, built(keras.utils.set_random_seed, 5), strict=True)
    )
    tf.random.set_seed(123)
    got = built(_fast.seed_new_weights, 4)
    for a, b in zip(expected, got, strict=True):
        np.testing.assert_array_equal(a, b)
    assert tf.compat.v1.random.get_seed(None)[0] == 123  # so its kernel cache was kept


@pytest.mark.skipif(_fast._LIBC is None, reason="no glibc malloc_trim here (not Linux/glibc)")
def test_freed_memory_goes_back_to_the_system():
    psutil = pytest.importorskip("psutil")
    process = psutil.Process()
    blocks = [bytearray(1000) for _ in range(100_000)]  # ~100 MB in the C heap, not mmap'd
    sentinel = bytearray(1000)  # allocated last: the heap's top stays in use
    before = process.memory_info().rss
    del blocks
    freed_but_kept = process.memory_info().rss
    _fast.give_back_memory()
    after = process.memory_info().rss
    assert freed_but_kept > before - 20e6  # glibc keeps what Python freed ...
    assert after < freed_but_kept - 50e6  # ... until it is asked to give it back
    del sentinel


def test_giving_memory_back_with_caches_forgets_patches_and_changes_nothing(data):
    train_audio = data[0]
    first, _ = _fast.cached_patches(train_audio, 16_000)
    assert _fast._PATCHES
    _fast.give_back_memory(caches=True)
    assert not _fast._PATCHES and not _fast._EMBEDDINGS
    again, _ = _fast.cached_patches(train_audio, 16_000)
    np.testing.assert_array_equal(first, again)
