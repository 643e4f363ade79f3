"""The TF Hub code path, through ``tensorflow_hub.load`` of a local SavedModel handle.

The test exports Google's real weights as a SavedModel with TF Hub YAMNet's
signature -- ``model(waveform) -> (scores, embeddings, log_mel_spectrogram)``
and ``model.class_map_path()`` -- then loads it exactly as the lesson loads
TF Hub's YAMNet when online.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

from yamnet_lesson import LessonError, assets, features, signals
from yamnet_lesson._tensorflow import keras, tf
from yamnet_lesson.hub import HubYamnet, load_from_hub
from yamnet_lesson.yamnet import build_yamnet, load_yamnet


class HubStyleYamnet(tf.Module):
    """YAMNet with TF Hub's interface, its front end written in TensorFlow ops.

    (The lesson's front end in :mod:`yamnet_lesson.features` is NumPy, which a
    SavedModel cannot hold; the test checks this one gives the same log-mel.)
    """

    def __init__(self, class_map_path: Path) -> None:
        super().__init__()
        network = build_yamnet()
        self.network = keras.Model(
            network.inputs, [network.output, network.get_layer("embedding").output]
        )
        self.mel_matrix = tf.constant(features.mel_filter_bank().T)  # (257, 64)
        self.class_map = tf.saved_model.Asset(str(class_map_path))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, waveform):
        n = tf.shape(waveform)[0]
        extra = tf.maximum(n - features.PATCH_SAMPLES, 0)
        hops = (extra + features.PATCH_HOP_SAMPLES - 1) // features.PATCH_HOP_SAMPLES
        target = features.PATCH_SAMPLES + hops * features.PATCH_HOP_SAMPLES
        padded = tf.pad(waveform, [[0, target - n]])  # YAMNet's padding rule
        stft = tf.signal.stft(padded, 400, 160, 512, window_fn=tf.signal.hann_window)
        log_mel = tf.math.log(tf.matmul(tf.abs(stft), self.mel_matrix) + 0.001)
        patches = tf.signal.frame(log_mel, features.PATCH_FRAMES, features.PATCH_HOP_FRAMES, axis=0)
        scores, embeddings = self.network(patches, training=False)
        return scores, embeddings, log_mel

    @tf.function(input_signature=[])
    def class_map_path(self):
        return self.class_map.asset_path


@pytest.fixture(scope="module")
def handle(tmp_path_factory) -> str:
    """A local SavedModel folder with TF Hub YAMNet's signature, from the real weights."""
    work = tmp_path_factory.mktemp("hub")
    csv_copy = work / "yamnet_class_map.csv"
    shutil.copy(assets.find_file(assets.YAMNET_CLASS_MAP, download=False), csv_copy)
    export = work / "yamnet_savedmodel"
    tf.saved_model.save(HubStyleYamnet(csv_copy), str(export))
    csv_copy.unlink()  # the export must carry its own copy, as TF Hub's does
    return str(export)


@pytest.fixture(scope="module")
def hub_model(handle) -> HubYamnet:
    return load_from_hub(handle)


def test_hub_model_names_its_source_and_classes(hub_model, handle):
    assert "tensorflow_hub.load" in hub_model.source and handle in hub_model.source
    class_map = Path(hub_model.module.class_map_path().numpy().decode("utf-8"))
    assert class_map.is_relative_to(handle)  # read from the SavedModel's assets
    assert len(hub_model.class_names) == 521
    assert hub_model.class_names[:2] == ["Speech", "Child speech, kid speaking"]
    assert hub_model.class_names[-1] == "Field recording"


def test_hub_path_gives_the_same_answers_as_the_lessons_model(hub_model):
    pink = signals.pink_noise(16_000, 1, seed=0)[:, 0]
    scores, embeddings, log_mel = hub_model(pink)
    assert all(isinstance(a, np.ndarray) for a in (scores, embeddings, log_mel))
    assert scores.shape == (2, 521) and embeddings.shape == (2, 1024)
    assert log_mel.shape == (144, 64)  # 1 s padded to 0.975 + 0.48 s: 144 frames of 10 ms
    assert hub_model.top_classes(scores, top=1)[0][0] == "Pink noise"
    ours = load_yamnet()
    hub_top = [name for name, _ in hub_model.top_classes(scores, top=3)]
    assert hub_top == [name for name, _ in ours.top_classes(ours(pink)[0], top=3)]
    # same numbers (they agree to ~1e-6), for 1 s and for 2.5 s (5 patches, padded)
    for clip in (pink, signals.pink_noise(40_000, 1, seed=1)[:, 0]):
        for theirs, mine in zip(hub_model(clip), ours(clip), strict=True):
            assert theirs.shape == mine.shape
            np.testing.assert_allclose(theirs, mine, rtol=0, atol=1e-4)


def test_hub_model_refuses_bad_input(hub_model):
    with pytest.raises(LessonError, match="1-D waveform"):
        hub_model(np.zeros((16_000, 2), np.float32))
    with pytest.raises(LessonError, match="top must be between 1 and 521"):
        hub_model.top_classes(np.zeros((2, 521)), top=0)


def test_load_yamnet_with_source_hub_uses_the_handle(handle):
    model = load_yamnet(handle, source="hub")
    assert isinstance(model, HubYamnet) and "TF Hub" in model.source


def test_a_bad_handle_is_one_clear_message(tmp_path):
    missing = tmp_path / "no_such_model"
    with pytest.raises(LessonError, match="could not be loaded from TF Hub") as error:
        load_from_hub(str(missing))
    assert str(missing) in str(error.value) and assets.YAMNET_HUB_HANDLE in str(error.value)


def test_a_savedmodel_that_is_not_yamnet_is_refused(tmp_path):
    class NotYamnet(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, waveform):
            return waveform

    tf.saved_model.save(NotYamnet(), str(tmp_path / "other"))
    with pytest.raises(LessonError, match="not YAMNet"):
        load_from_hub(str(tmp_path / "other"))


@pytest.fixture
def no_official_files(tmp_path, monkeypatch):
    """An offline machine without the official files: empty cache, no model folder."""
    import yamnet_lesson.yamnet as yamnet_module

    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    monkeypatch.setattr(yamnet_module, "_LOADED", {})
    unreachable = assets.RemoteFile(
        assets.YAMNET_TFLITE.name,
        "http://127.0.0.1:9/yamnet.tflite",
        assets.YAMNET_TFLITE.sha256,
        assets.YAMNET_TFLITE.description,
    )
    monkeypatch.setattr(assets, "YAMNET_TFLITE", unreachable)


def test_auto_falls_back_to_tf_hub_only_without_a_path(no_official_files, handle, monkeypatch):
    monkeypatch.setattr(assets, "YAMNET_HUB_HANDLE", handle)
    assert isinstance(load_yamnet(), HubYamnet)  # nothing given, files unreachable: TF Hub
    with pytest.raises(LessonError, match="yamnett does not exist"):  # a path is never swapped
        load_yamnet(Path(handle).parent / "yamnett")


def test_check_says_the_notebooks_need_the_tflite_file_when_only_tf_hub_answered(
    no_official_files, handle, monkeypatch, capsys
):
    """TF Hub's YAMNet passes the pink-noise check, but build_yamnet needs Google's file."""
    from yamnet_lesson.__main__ import main

    monkeypatch.setattr(assets, "YAMNET_HUB_HANDLE", handle)
    with pytest.raises(SystemExit) as stop:
        main(["check"])
    assert stop.value.code == 1
    out = capsys.readouterr().out
    assert "YAMNet: TF Hub YAMNet" in out
    assert "OK: 'Pink noise' is among the top 3." in out
    assert "PROBLEM: notebooks 2 and 4 to 6 build YAMNet from Google's TF Lite file." in out
    assert assets.YAMNET_TFLITE.name in out  # the sentence names the file to fetch
