"""Google's YAMNet as a Keras model, with its official pretrained weights.

YAMNet is a MobileNet-v1: one ordinary 3 x 3 convolution followed by 13
*depthwise-separable* convolutions (a 3 x 3 filter per channel, then a 1 x 1
convolution mixing channels), each followed by batch normalisation and a ReLU.
Global average pooling turns the last feature map into a 1024-number
**embedding**; one dense layer, ``logits``, maps it to the 521 AudioSet classes.

The layer layout and names follow Google's published Keras code
(``research/audioset/yamnet/yamnet.py`` in the tensorflow/models repository),
with ``/`` written as ``_`` because Keras 3 does not allow ``/`` in names.

Weights come from one of Google's official files:

* the TF Lite "classification" file (the default): int8 weights with
  per-channel scales and int32 biases, batch norm already folded into them,
  ReLU6 fused into its convolutions.  We dequantise them into convolutions
  with a bias and no batch-norm layer: that is the network the file holds;
* the float ``yamnet.h5`` of the published Keras code (plain ReLU, batch norm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from . import assets, features
from ._tensorflow import keras, silenced_stderr, tf
from .classes import read_class_names, top_classes
from .validation import LessonError, check_int, check_path

__all__ = [
    "LAYERS",
    "Yamnet",
    "build_yamnet",
    "in_batches",
    "load_yamnet",
    "tflite_weights",
]

N_CLASSES = 521
BN_EPSILON = 1e-4  # the published code's batch norm: centre (beta), no scale (gamma)


@dataclass(frozen=True)
class LayerSpec:
    """One of YAMNet's 14 layers: a full or a depthwise-separable 3 x 3 convolution."""

    separable: bool
    stride: int
    filters: int


LAYERS = (
    LayerSpec(False, 2, 32),
    LayerSpec(True, 1, 64),
    LayerSpec(True, 2, 128),
    LayerSpec(True, 1, 128),
    LayerSpec(True, 2, 256),
    LayerSpec(True, 1, 256),
    LayerSpec(True, 2, 512),
    *[LayerSpec(True, 1, 512)] * 5,
    LayerSpec(True, 2, 1024),
    LayerSpec(True, 1, 1024),
)
"""YAMNet's layers in order (kernels 3 x 3, "same" padding), as published."""


def conv_layer_names() -> list[str]:
    """Names of the 27 convolution layers, in order (each has a ``<name>_bn`` after it)."""
    names = []
    for i, spec in enumerate(LAYERS, start=1):
        names += (
            [f"layer{i}_depthwise_conv", f"layer{i}_pointwise_conv"]
            if spec.separable
            else [f"layer{i}_conv"]
        )
    return names


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def _conv_relu(x: Any, conv: Any, activation: str, batch_norm: bool) -> Any:
    """Convolution -> batch norm (if any) -> ReLU (or ReLU6), as in the published code."""
    x = conv(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(
            name=f"{conv.name}_bn", center=True, scale=False, epsilon=BN_EPSILON
        )(x)
    return keras.layers.ReLU(
        max_value=6.0 if activation == "relu6" else None, name=f"{conv.name}_relu"
    )(x)


def _architecture(
    num_classes: int, activation: str, output_activation: str, batch_norm: bool
) -> Any:
    """YAMNet's layers with untrained weights (see :func:`build_yamnet`).

    ``batch_norm``: a batch-norm layer after each convolution (the published
    code's layout); without, each convolution has a bias (the TF Lite file's).
    """
    patch = keras.Input((features.PATCH_FRAMES, features.N_MELS), name="log_mel_patch")
    x = keras.layers.Reshape((features.PATCH_FRAMES, features.N_MELS, 1), name="reshape")(patch)
    same = {"padding": "same", "use_bias": not batch_norm}  # batch norm adds its own shift
    for i, spec in enumerate(LAYERS, start=1):
        if spec.separable:
            depthwise = keras.layers.DepthwiseConv2D(
                3, spec.stride, name=f"layer{i}_depthwise_conv", **same
            )
            x = _conv_relu(x, depthwise, activation, batch_norm)
            pointwise = keras.layers.Conv2D(
                spec.filters, 1, name=f"layer{i}_pointwise_conv", **same
            )
            x = _conv_relu(x, pointwise, activation, batch_norm)
        else:
            conv = keras.layers.Conv2D(spec.filters, 3, spec.stride, name=f"layer{i}_conv", **same)
            x = _conv_relu(x, conv, activation, batch_norm)
    embedding = keras.layers.GlobalAveragePooling2D(name="embedding")(x)
    logits = keras.layers.Dense(num_classes, name="logits")(embedding)
    scores = keras.layers.Activation(output_activation, name="predictions")(logits)
    return keras.Model(patch, scores, name="yamnet")


# ---------------------------------------------------------------------------
# Official weights: the TF Lite file
# ---------------------------------------------------------------------------


def _dequantize(values: np.ndarray, quantization: dict[str, Any]) -> np.ndarray:
    """int8/int32 -> float32: ``(q - zero_point) * scale``, per channel where stored so."""

    def along_channels(numbers: np.ndarray) -> np.ndarray:
        shape = [1] * values.ndim
        if numbers.size > 1:
            shape[quantization["quantized_dimension"]] = numbers.size
        return numbers.astype(np.float64).reshape(shape)

    zero_point = along_channels(quantization["zero_points"])
    real = (values.astype(np.float64) - zero_point) * along_channels(quantization["scales"])
    return real.astype(np.float32)


def tflite_weights(path: str | Path) -> dict[str, list[np.ndarray]]:
    """Read and dequantise the official TF Lite file's weights, keyed by our layer names.

    ``path`` is Google's YAMNet TF Lite file or a folder holding it; like every
    loader of the lesson it is verified first (its SHA-256 against the
    published one), and any other file is refused with one sentence.
    Returns, for each convolution, ``[kernel, bias]`` in Keras layout (batch
    norm is folded into them); ``logits``: ``[kernel (1024, 521), bias (521,)]``.
    """
    return _tflite_weights(assets.find_file(assets.YAMNET_TFLITE, check_path(path)))


@lru_cache(maxsize=2)
def _tflite_weights(path: Path) -> dict[str, list[np.ndarray]]:
    """:func:`tflite_weights` of a file already verified."""
    from ai_edge_litert.interpreter import Interpreter

    try:
        with silenced_stderr():  # "INFO: Created TensorFlow Lite XNNPACK delegate"
            interpreter = Interpreter(model_path=str(path))
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as error:
        raise LessonError(
            f"{Path(path).name} is not a readable TF Lite file ({error}); delete it and "
            "let the lesson download it again."
        ) from None
    tensors = {d["name"]: d for d in interpreter.get_tensor_details()}

    def value(name: str, *, starts_with: bool = False) -> np.ndarray:
        # TF Lite names a depthwise kernel after every op it was fused with, so
        # those are found by the start of their name.
        found = (
            [n for n in tensors if n.startswith(name) and "Relu6" not in n]
            if starts_with
            else [name]
            if name in tensors
            else []
        )
        if len(found) != 1:
            raise LessonError(f"{Path(path).name} has no tensor {name!r}: not the official YAMNet.")
        detail = tensors[found[0]]
        return _dequantize(
            interpreter.get_tensor(detail["index"]), detail["quantization_parameters"]
        )

    weights: dict[str, list[np.ndarray]] = {}
    for tflite_layer, name in enumerate(conv_layer_names(), start=1):
        prefix = f"tower0/network/layer{tflite_layer}"
        if "depthwise" in name:
            bias_name = f"{prefix}/sepconv/BatchNorm/FusedBatchNormV3"
            kernel = value(f"{bias_name};", starts_with=True)  # (1, 3, 3, C)
        else:
            bias_name = f"{prefix}/conv/BatchNorm/FusedBatchNormV3"
            kernel = value(f"{prefix}/conv/Conv2D")  # (out, kh, kw, in)
        # Keras: (kh, kw, in, out) / (kh, kw, C, 1)
        weights[name] = [kernel.transpose(1, 2, 3, 0), value(bias_name)]
    weights["logits"] = [
        value("tower0/network/layer29/fc/MatMul").T,
        value("network/layer29/fc/biases"),
    ]
    return weights


# ---------------------------------------------------------------------------
# Official weights: the float Keras file yamnet.h5
# ---------------------------------------------------------------------------

_H5_WEIGHT_ORDER = {
    "conv": ("kernel",),
    "bn": ("beta", "moving_mean", "moving_variance"),
    "logits": ("kernel", "bias"),
}


def _h5_layer_name(keras_name: str) -> str:
    """Our layer name -> the published one: layer2_depthwise_conv_bn -> layer2/depthwise_conv/bn.

    The published code leaves its output layer unnamed, so Keras called it "dense".
    """
    if keras_name == "logits":
        return "dense"
    match = re.fullmatch(r"(layer\d+)_(conv|depthwise_conv|pointwise_conv)(_bn)?", keras_name)
    if match is None:
        raise ValueError(f"not a YAMNet layer name: {keras_name}")
    return f"{match[1]}/{match[2]}" + ("/bn" if match[3] else "")


def h5_weights(path: str | Path, layer_names: list[str]) -> dict[str, list[np.ndarray]]:
    """Read the float ``yamnet.h5`` (Keras 2 ``save_weights`` layout) for the given layers.

    Each published layer group holds a ``weight_names`` attribute listing its
    datasets (e.g. ``layer1/conv/kernel:0``).  A missing layer or weight is
    refused with a :class:`LessonError` naming it.
    """
    import h5py

    weights: dict[str, list[np.ndarray]] = {}
    with h5py.File(path, "r") as file:
        root = file.get("model_weights", file)
        stored = [
            n.decode() if isinstance(n, bytes) else n for n in root.attrs.get("layer_names", [])
        ]
        for name in layer_names:
            published = _h5_layer_name(name)
            if published not in stored:
                raise LessonError(f"{Path(path).name} has no layer {published!r} (our {name!r}).")
            group = root[published]
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            kind = "logits" if name == "logits" else ("bn" if name.endswith("_bn") else "conv")
            arrays = []
            for weight in _H5_WEIGHT_ORDER[kind]:
                match = [n for n in names if n.rsplit("/", 1)[-1].split(":")[0] == weight]
                if not match:
                    raise LessonError(f"{Path(path).name}: layer {published!r} has no {weight!r}.")
                arrays.append(np.asarray(group[match[0]], dtype=np.float32))
            weights[name] = arrays
    return weights


# ---------------------------------------------------------------------------
# build_yamnet
# ---------------------------------------------------------------------------


def _set_weights(model: Any, weights: dict[str, list[np.ndarray]], source: str) -> None:
    for name, arrays in weights.items():
        layer = model.get_layer(name)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        got = [tuple(a.shape) for a in arrays]
        if expected != got:
            raise LessonError(f"{source}: layer {name!r} has shapes {got}, expected {expected}.")
        layer.set_weights(arrays)


def build_yamnet(num_classes: int = N_CLASSES, weights: str | Path | None = "auto") -> Any:
    """YAMNet as a Keras model: ``(batch, 96, 64)`` log-mel patches -> class scores.

    Parameters
    ----------
    num_classes
        521 keeps Google's output layer (sigmoid scores: several classes can be
        true at once).  Any other number puts a new, randomly initialised
        ``logits`` layer with a softmax on top (exactly one class per clip):
        the network :func:`yamnet_lesson.fine_tune` builds when it is given none.
    weights
        ``"auto"``: the official TF Lite file, found by :func:`assets.find_file`
        (explicit folder, ``$YAMNET_LESSON_MODEL_DIR``, cache, download);
        a path to that ``.tflite`` file (its SHA-256 checked) or a folder
        holding it, or a path to the float ``yamnet.h5``;
        ``None``: random weights (only when asked for: training from scratch).

    The activations are those the weights were made with: ReLU6 for the TF
    Lite file (and for random weights, so that a network trained from scratch
    is the same network), plain ReLU for ``yamnet.h5``.  With the TF Lite
    file each convolution has a bias and no batch norm follows it: Google
    folded batch norm into the weights.  Otherwise a batch norm follows each
    convolution (named ``<convolution>_bn``): with ``yamnet.h5`` it is frozen
    (``trainable=False``), so it keeps normalising with the statistics Google
    measured on AudioSet even while the network is fine-tuned -- a few
    examples are far too few to measure better ones (Keras's advice for
    fine-tuning); with random weights it learns.  Layers are named
    ``layer1_conv``, ``layer2_depthwise_conv``, ``layer2_pointwise_conv``, ...
    (each with ``_relu``), then ``embedding`` (1024), ``logits`` and
    ``predictions``.
    """
    num_classes = check_int(num_classes, "num_classes", 2)
    path = None if weights is None else _weights_file(weights)
    is_h5 = path is not None and path.suffix == ".h5"
    is_tflite = path is not None and not is_h5
    model = _architecture(
        num_classes,
        "relu" if is_h5 else "relu6",
        "sigmoid" if num_classes == N_CLASSES else "softmax",
        batch_norm=not is_tflite,
    )
    if path is None:
        return model
    if is_tflite:
        layer_names = conv_layer_names()
    else:
        layer_names = [n for c in conv_layer_names() for n in (c, f"{c}_bn")]
    if num_classes == N_CLASSES:
        layer_names.append("logits")
    if is_h5:
        loaded = h5_weights(path, layer_names)
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # Google's statistics stay (see above)
    else:
        loaded = {k: v for k, v in _tflite_weights(path).items() if k in layer_names}
    _set_weights(model, loaded, path.name)
    return model


def _weights_file(weights: str | Path) -> Path:
    """The weights file ``build_yamnet`` was given: the official TF Lite file (checked) or an h5."""
    if isinstance(weights, str) and weights == "auto":
        return assets.find_file(assets.YAMNET_TFLITE)
    path = check_path(weights, "weights")
    if path.is_dir() or path.suffix == ".tflite":  # Google's file, its SHA-256 verified
        return assets.find_file(assets.YAMNET_TFLITE, path)
    if path.suffix != ".h5":
        raise LessonError(
            f"weights must be Google's YAMNet TF Lite file ({assets.YAMNET_TFLITE.name}), "
            f"a folder holding it, or yamnet.h5; got {path.name}."
        )
    if not path.is_file():
        raise LessonError(f"YAMNet weights file {path} does not exist.")
    return path


def in_batches(forward: Any, patches: np.ndarray, batch_size: int = 96) -> list[Any]:
    """Call ``forward`` on ``patches`` in nearly equal batches of at most ``batch_size``.

    Memory, not speed, sets the batch size: YAMNet's activations for 96 patches
    take about 100 MB, for 300 patches about 250 MB, at nearly the same speed.
    Returns the list of per-batch outputs, as NumPy arrays (or tuples of them).
    """
    n_batches = max(1, -(-len(patches) // batch_size))
    outputs = []
    for batch in np.array_split(patches, n_batches):
        out = forward(batch)
        outputs.append(
            tuple(np.asarray(o) for o in out) if isinstance(out, (tuple, list)) else np.asarray(out)
        )
    return outputs


# ---------------------------------------------------------------------------
# The pretrained model, called like TF Hub's YAMNet
# ---------------------------------------------------------------------------


class Yamnet:
    """Google's pretrained YAMNet, called like the TF Hub model.

    ``scores, embeddings, log_mel = yamnet(waveform)`` for a 1-D float32
    waveform at 16 kHz in [-1, 1] (integer PCM such as int16 is scaled to
    [-1, 1] first, as :func:`~yamnet_lesson.validation.check_audio` does):

    * ``scores``: ``(patches, 521)``, one row per 0.96 s patch, patches every 0.48 s from 0;
    * ``embeddings``: ``(patches, 1024)``;
    * ``log_mel``: ``(frames, 64)``, the log-mel spectrogram of the (padded) clip.

    Attributes: ``class_names`` (521 AudioSet display names), ``source`` (which
    file was loaded) and ``keras_model``.
    """

    def __init__(self, keras_model: Any, class_names: list[str], source: str) -> None:
        self.keras_model = keras_model
        self.class_names = class_names
        self.source = source
        both = keras.Model(
            keras_model.inputs, [keras_model.output, keras_model.get_layer("embedding").output]
        )
        signature = [tf.TensorSpec([None, features.PATCH_FRAMES, features.N_MELS], tf.float32)]
        self._forward = tf.function(lambda x: both(x, training=False), input_signature=signature)

    def predict_patches(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores ``(n, 521)`` and embeddings ``(n, 1024)`` of ``(n, 96, 64)`` log-mel patches."""
        patches = np.asarray(patches, dtype=np.float32)
        if patches.ndim != 3 or patches.shape[1:] != (features.PATCH_FRAMES, features.N_MELS):
            raise LessonError(f"patches must have shape (n, 96, 64), got {patches.shape}.")
        scores, embeddings = zip(*in_batches(self._forward, patches), strict=True)
        return np.concatenate(scores), np.concatenate(embeddings)

    def __call__(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # waveform_to_patches checks the waveform (integer PCM scaled to [-1, 1])
        patches, log_mel = features.waveform_to_patches(waveform)
        scores, embeddings = self.predict_patches(patches)
        return scores, embeddings, log_mel

    def top_classes(self, scores: np.ndarray, top: int = 3) -> list[tuple[str, float]]:
        """The ``top`` classes with the highest mean score over patches, with their scores."""
        return top_classes(scores, self.class_names, top)

    def __repr__(self) -> str:
        return f"<YAMNet: {self.source}>"


_LOADED: dict[tuple[str, str], Any] = {}


def load_yamnet(path: str | Path | None = None, *, source: str = "auto") -> Any:
    """Google's pretrained YAMNet (521 classes), ready to call on a waveform.

    Parameters
    ----------
    path
        A folder holding the official files, or the TF Lite file itself.
        Without it the files are looked for in ``$YAMNET_LESSON_MODEL_DIR``,
        then the lesson's cache, then downloaded (checksums verified).
    source
        ``"files"``: the official TF Lite file and class map (as above);
        ``"hub"``: ``tensorflow_hub.load`` of YAMNet's TF Hub handle (or of
        ``path``, a handle or local SavedModel folder);
        ``"auto"``: the files if they can be found or downloaded, else TF Hub
        (only without ``path``: a path given is used or reported, never replaced).

    The model is loaded once per process; later calls return the same object.
    ``model.source`` says which one was loaded.
    """
    if source not in ("auto", "files", "hub"):
        raise LessonError(f"source must be 'auto', 'files' or 'hub', got {source!r}.")
    key = (source, str(path))
    if key not in _LOADED:
        if source == "hub":
            from .hub import load_from_hub

            _LOADED[key] = load_from_hub(str(path) if path else assets.YAMNET_HUB_HANDLE)
        else:
            try:
                _LOADED[key] = _load_files(path)
            except LessonError as files_error:
                if source == "files" or path is not None:  # a path given is never swapped
                    raise
                from .hub import load_from_hub

                try:
                    _LOADED[key] = load_from_hub(assets.YAMNET_HUB_HANDLE)
                except LessonError:
                    raise files_error from None
    return _LOADED[key]


def _load_files(path: str | Path | None) -> Yamnet:
    path = None if path is None else check_path(path)
    folder = path.parent if path is not None and path.is_file() else path
    tflite = assets.find_file(assets.YAMNET_TFLITE, path)
    class_map = assets.find_file(assets.YAMNET_CLASS_MAP, folder)
    return Yamnet(
        build_yamnet(N_CLASSES, tflite), read_class_names(class_map), assets.describe(tflite)
    )
