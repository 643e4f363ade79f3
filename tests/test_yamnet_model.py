"""YAMNet's Keras model: layout, weight loading from both official formats, refusals.

The float ``yamnet.h5`` is not available here, so the test writes one in exactly
the published Keras-2 ``save_weights`` layout, with random values, and checks
that every tensor lands in its place: the model's output equals a plain NumPy
forward pass of the same weights.
"""

from pathlib import Path

import h5py
import numpy as np
import pytest

from yamnet_lesson import LessonError, assets
from yamnet_lesson.yamnet import (
    LAYERS,
    build_yamnet,
    conv_layer_names,
    tflite_weights,
)

# --------------------------------------------------------------------------- TF Lite


@pytest.fixture(scope="module")
def tflite_path() -> Path:
    return assets.find_file(assets.YAMNET_TFLITE)


@pytest.fixture(scope="module")
def pretrained(tflite_path):
    return build_yamnet(weights=tflite_path)


def test_layout_matches_the_published_network(pretrained):
    names = [layer.name for layer in pretrained.layers]
    assert names[:6] == [
        "log_mel_patch",
        "reshape",
        "layer1_conv",
        "layer1_conv_relu",  # batch norm is folded into the TF Lite file's convolutions
        "layer2_depthwise_conv",
        "layer2_depthwise_conv_relu",
    ]
    assert names[-3:] == ["embedding", "logits", "predictions"]
    assert len(conv_layer_names()) == 27 and len(LAYERS) == 14
    assert pretrained.get_layer("embedding").output.shape == (None, 1024)
    assert pretrained.output.shape == (None, 521)
    assert pretrained.count_params() == 3_729_481  # 3.2 M body + 1024 x 521 + 521 head
    assert not [layer for layer in pretrained.layers if "_bn" in layer.name]
    strides = [pretrained.get_layer(f"layer{i}_depthwise_conv").strides[0] for i in range(2, 15)]
    assert strides == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


def test_tflite_weights_are_dequantised_and_folded(tflite_path, pretrained):
    weights = tflite_weights(tflite_path)
    kernel = weights["layer1_conv"][0]
    assert kernel.shape == (3, 3, 1, 32) and kernel.dtype == np.float32
    assert 0.01 < np.abs(kernel).max() < 10  # real-valued, not raw int8 codes
    kernel, bias = weights["layer5_pointwise_conv"]  # batch norm folded in: a bias
    assert kernel.shape == (1, 1, 128, 256) and bias.shape == (256,)
    assert np.abs(bias).max() > 0
    np.testing.assert_array_equal(
        pretrained.get_layer("logits").get_weights()[0], weights["logits"][0]
    )


def test_new_head_keeps_the_pretrained_body(tflite_path, pretrained):
    three = build_yamnet(3, weights=tflite_path)
    for name in conv_layer_names():
        for a, b in zip(
            three.get_layer(name).get_weights(),
            pretrained.get_layer(name).get_weights(),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
    assert three.get_layer("logits").units == 3
    probabilities = three.predict(np.zeros((2, 96, 64), np.float32), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)  # softmax


def test_random_weights_only_when_asked_and_missing_files_refused(tmp_path):
    assert build_yamnet(3, weights=None).count_params() > 3_000_000
    with pytest.raises(LessonError, match="no_such_file.tflite"):
        build_yamnet(weights=tmp_path / "no_such_file.tflite")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"num_classes": 0}, "num_classes must be at least 2"),
        ({"weights": "yamnet_class_map.csv"}, "weights must be Google's YAMNet TF Lite file"),
    ],
)
def test_bad_build_arguments_are_refused_clearly(arguments, message):
    with pytest.raises(LessonError, match=message):
        build_yamnet(**arguments)


def test_a_changed_official_file_is_refused(tflite_path, tmp_path):
    changed = tmp_path / tflite_path.name
    changed.write_bytes(tflite_path.read_bytes() + b"x")
    with pytest.raises(LessonError, match="SHA-256 differs"):
        build_yamnet(weights=changed)
    with pytest.raises(LessonError, match="SHA-256 differs"):
        build_yamnet(weights=tmp_path)  # a folder holding it


def test_a_file_that_is_not_yamnet_is_refused(tmp_path):
    fake = tmp_path / "fake.tflite"
    fake.write_bytes(b"not a flatbuffer" * 100)
    with pytest.raises(LessonError, match="fake.tflite"):
        build_yamnet(weights=fake)


# --------------------------------------------------------------------------- yamnet.h5


def published_layers(num_classes: int = 521):
    """(published layer name, [(weight name, shape)]) in the published code's order."""
    layers, channels = [], 1
    for i, spec in enumerate(LAYERS, start=1):
        convs = (
            [
                (f"layer{i}/depthwise_conv", (3, 3, channels, 1), channels),
                (f"layer{i}/pointwise_conv", (1, 1, channels, spec.filters), spec.filters),
            ]
            if spec.separable
            else [(f"layer{i}/conv", (3, 3, channels, spec.filters), spec.filters)]
        )
        for name, shape, out in convs:
            layers.append((name, [("kernel", shape)]))
            layers.append(
                (
                    f"{name}/bn",
                    [("beta", (out,)), ("moving_mean", (out,)), ("moving_variance", (out,))],
                )
            )
        channels = spec.filters
    layers.append(("dense", [("kernel", (1024, num_classes)), ("bias", (num_classes,))]))
    return layers


def write_published_h5(
    path: Path, rng: np.random.Generator, *, skip: str = "", reshape: str = ""
) -> dict[str, dict[str, np.ndarray]]:
    """Write random weights in Keras 2's save_weights layout; return them by layer."""
    values: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(path, "w") as file:
        names = ["input_1", "reshape"]  # weightless layers are listed too
        for layer, weights in published_layers():
            if layer == skip:
                continue
            names.append(layer)
            group = file.create_group(layer)
            weight_names = []
            for weight, shape in weights:
                if layer == reshape:
                    shape = (*shape[:-1], shape[-1] + 1)
                if weight == "kernel":
                    fan_in = int(np.prod(shape[:-1])) if "depthwise" not in layer else 9
                    array = rng.normal(0, np.sqrt(2 / fan_in), shape)
                elif weight == "moving_variance":
                    array = rng.uniform(0.5, 1.5, shape)
                else:
                    array = rng.normal(0, 0.1, shape)
                full = f"{layer}/{weight}:0"
                group.create_dataset(full, data=array.astype(np.float32))
                weight_names.append(full.encode())
                values.setdefault(layer, {})[weight] = array.astype(np.float32)
            group.attrs["weight_names"] = weight_names
        file.attrs["layer_names"] = [n.encode() for n in names]
        file.attrs["backend"] = b"tensorflow"
        file.attrs["keras_version"] = b"2.3.0"
    return values


def same_pad(x: np.ndarray, stride: int, kernel: int) -> np.ndarray:
    """TensorFlow's 'same' padding: extra padding goes after."""
    pads = []
    for size in x.shape[1:3]:
        total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, [(0, 0), *pads, (0, 0)])


def numpy_conv(x: np.ndarray, kernel: np.ndarray, stride: int, depthwise: bool) -> np.ndarray:
    k = kernel.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(same_pad(x, stride, k), (k, k), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # (n, h, w, c, k, k)
    if depthwise:
        return np.einsum("nhwcij,ijc->nhwc", windows, kernel[..., 0])
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel)


def numpy_yamnet(patches: np.ndarray, w: dict[str, dict[str, np.ndarray]]) -> np.ndarray:
    x = patches[..., None].astype(np.float64)
    for i, spec in enumerate(LAYERS, start=1):
        steps = (
            [
                (f"layer{i}/depthwise_conv", spec.stride, True),
                (f"layer{i}/pointwise_conv", 1, False),
            ]
            if spec.separable
            else [(f"layer{i}/conv", spec.stride, False)]
        )
        for name, stride, depthwise in steps:
            x = numpy_conv(x, w[name]["kernel"], stride, depthwise)
            bn = w[f"{name}/bn"]
            x = (x - bn["moving_mean"]) / np.sqrt(bn["moving_variance"] + 1e-4) + bn["beta"]
            x = np.maximum(x, 0)  # plain ReLU, as the published code
    embedding = x.mean(axis=(1, 2))
    logits = embedding @ w["dense"]["kernel"] + w["dense"]["bias"]
    return 1 / (1 + np.exp(-logits))


def test_h5_weights_land_in_their_places(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "yamnet.h5"
    values = write_published_h5(path, rng)
    model = build_yamnet(weights=path)
    assert model.get_layer("layer1_conv_relu").max_value is None  # ReLU, not ReLU6
    patches = rng.normal(0, 1, (2, 96, 64)).astype(np.float32)
    expected = numpy_yamnet(patches, values)
    got = model.predict(patches, verbose=0)
    assert expected.std() > 0.01  # the comparison is not between two constants
    np.testing.assert_allclose(got, expected, atol=1e-4)


@pytest.mark.parametrize(
    ("fault", "layer", "message"),
    [
        ("skip", "layer7/pointwise_conv/bn", "no layer 'layer7/pointwise_conv/bn'"),
        ("reshape", "layer3/depthwise_conv", "'layer3_depthwise_conv' has shapes"),
    ],
)
def test_h5_with_a_missing_or_misshaped_layer_is_refused(tmp_path, fault, layer, message):
    path = tmp_path / "yamnet.h5"
    write_published_h5(path, np.random.default_rng(1), **{fault: layer})
    with pytest.raises(LessonError, match=message):
        build_yamnet(weights=path)


def test_h5_batch_norm_keeps_googles_statistics_while_fine_tuning(tmp_path):
    """Batch norm with yamnet.h5 is frozen: a training call normalises with stored statistics."""
    path = tmp_path / "yamnet.h5"
    write_published_h5(path, np.random.default_rng(3))
    model = build_yamnet(3, weights=path)
    norms = [layer for layer in model.layers if layer.name.endswith("_bn")]
    assert len(norms) == 27 and not any(layer.trainable for layer in norms)
    patches = np.random.default_rng(4).normal(0, 1, (4, 96, 64)).astype(np.float32)
    np.testing.assert_allclose(
        np.asarray(model(patches, training=True)), np.asarray(model(patches, training=False))
    )
