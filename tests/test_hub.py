"""The TF Hub code path, through ``tensorflow_hub.load`` of a local SavedModel handle.

The test exports Google's real weights as a SavedModel with TF Hub YAMNet's
signature -- ``model(waveform) -> (scores, embeddings, log_mel_spectrogram)``
and ``model.class_map_path()`` -- then loads it exactly as the lesson loads
TF Hub's YAMNet when online.
"""

import numpy as np
import pytest

from yamnet_lesson import LessonError, assets, features, signals
from yamnet_lesson._tensorflow import keras, tf
from yamnet_lesson.hub import load_from_hub
from yamnet_lesson.yamnet import build_yamnet, load_yamnet


class HubStyleYamnet(tf.Module):
    """YAMNet with TF Hub's interface, its front end written in TensorFlow ops."""

    def __init__(self, class_map_path):
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
        patches = tf.signal.frame(log_mel, 96, 48, axis=0)
        scores, embeddings = self.network(patches, training=False)
        return scores, embeddings, log_mel

    @tf.function(input_signature=[])
    def class_map_path(self):
        return self.class_map.asset_path


@pytest.fixture(scope="module")
def handle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hub") / "yamnet_savedmodel"
    tf.saved_model.save(HubStyleYamnet(assets.find_file(assets.YAMNET_CLASS_MAP)), str(folder))
    return str(folder)


def test_hub_path_gives_googles_answers(handle):
    hub_model = load_from_hub(handle)
    assert "tensorflow_hub.load" in hub_model.source and handle in hub_model.source
    assert len(hub_model.class_names) == 521 and hub_model.class_names[0] == "Speech"
    pink = signals.pink_noise(16_000, 1, seed=0)[:, 0]
    scores, embeddings, log_mel = hub_model(pink)
    assert scores.shape == (2, 521) and embeddings.shape == (2, 1024) and log_mel.shape[1] == 64
    assert hub_model.top_classes(scores, k=1)[0][0] == "Pink noise"
    ours, _, our_log_mel = load_yamnet()(pink)
    np.testing.assert_allclose(log_mel, our_log_mel, atol=0.02)
    assert np.abs(scores - ours).mean() < 0.002


def test_load_yamnet_with_source_hub_uses_the_handle(handle):
    model = load_yamnet(handle, source="hub")
    assert "TF Hub" in model.source


def test_a_bad_handle_is_one_clear_message(tmp_path):
    with pytest.raises(LessonError, match="could not be loaded from TF Hub"):
        load_from_hub(str(tmp_path / "no_such_model"))
