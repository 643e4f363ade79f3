"""Transfer learning: the reference workflow's figures, the three modes, bad calls."""

import json
import subprocess
import sys

import numpy as np
import pytest

from yamnet_lesson import LessonError, signals
from yamnet_lesson._tensorflow import keras
from yamnet_lesson.progress import ProgressTable
from yamnet_lesson.training import (
    _ENGINES,
    clip_patches,
    fine_tune,
    run_reference,
    split_reference,
)
from yamnet_lesson.yamnet import build_yamnet, folded_weights


@pytest.fixture(scope="module")
def data():
    audio, labels = signals.noise_dataset(100, seed=0)
    return split_reference(audio, labels, 5, verbose=False)


def test_split_prints_the_reference_counts(capsys):
    audio, labels = signals.noise_dataset(100, seed=0)
    train_audio, train_labels, val_audio, val_labels = split_reference(audio, labels, 5)
    assert capsys.readouterr().out.splitlines() == [
        "Number of samples per noise color in train set = 5",
        "Number of samples per noise color in validation set = 95",
    ]
    assert train_audio.shape == (15_680, 15) and val_audio.shape == (15_680, 285)
    np.testing.assert_array_equal(train_audio[:, :5], audio[:, :5])  # the FIRST K of each colour
    np.testing.assert_array_equal(train_audio[:, 5:10], audio[:, 100:105])
    assert list(train_labels[::5]) == ["white", "brown", "pink"]


def test_reference_reaches_100_percent_and_prints_the_table(data, capsys):
    train_audio, train_labels, val_audio, val_labels = data
    result = fine_tune(
        train_audio, train_labels, val_audio, val_labels, callbacks=[ProgressTable()]
    )
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if "%" in line]
    assert [int(r.split("|")[2]) for r in rows] == [1, 30]
    assert rows[-1].split("|")[5].strip() == "100.00%"
    assert result.validation_accuracy == 1.0
    assert result.class_names == ["white", "brown", "pink"]
    assert len(result.epoch_history["val_accuracy"]) == 30
    assert len(result.iteration_history["loss"]) == 30  # 15 patches: one mini-batch per epoch
    assert result.epoch_history["val_loss"][-1] < result.epoch_history["val_loss"][0]
    assert list(result.predict(val_audio)) == list(val_labels)
    probabilities = result.predict_proba(val_audio[:, :3])
    assert probabilities.shape == (3, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_reused_engine_gives_the_same_results_as_a_fresh_one(data):
    train_audio, train_labels, val_audio, val_labels = data
    _ENGINES.clear()
    fresh = fine_tune(train_audio, train_labels, val_audio, val_labels, epochs=3, seed=4)
    other = fine_tune(train_audio, train_labels, val_audio, val_labels, epochs=2, seed=9)
    reused = fine_tune(train_audio, train_labels, val_audio, val_labels, epochs=3, seed=4)
    np.testing.assert_allclose(
        reused.epoch_history["val_loss"], fresh.epoch_history["val_loss"], rtol=1e-5
    )
    assert other.epoch_history["val_loss"][0] != fresh.epoch_history["val_loss"][0]
    # each result keeps its own trained network
    np.testing.assert_allclose(
        fresh.predict_proba(val_audio[:, :4]), reused.predict_proba(val_audio[:, :4]), rtol=1e-4
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_other_seeds_reach_99_percent(seed):
    assert run_reference(5, seed=seed, verbose=False)["validation_accuracy"] >= 0.99


def test_k1_reaches_95_percent():
    summary = run_reference(1, verbose=False)
    assert summary["n_train"] == 3 and summary["n_validation"] == 297
    assert summary["validation_accuracy"] >= 0.95


def test_head_mode_trains_only_the_new_layer(data):
    assert run_reference(5, mode="head", verbose=False)["validation_accuracy"] >= 0.99
    train_audio, train_labels, _, _ = data
    keras.utils.set_random_seed(0)  # as fine_tune(seed=0) does before building its network
    start = folded_weights(build_yamnet(3))  # pretrained body, the new layer's first weights
    head = fine_tune(train_audio, train_labels, mode="head", epochs=3).model.get_weights()
    tuned = fine_tune(train_audio, train_labels, epochs=3).model.get_weights()
    for before, after in zip(start[:-2], head[:-2], strict=True):
        np.testing.assert_array_equal(after, before)  # YAMNet itself untouched
    assert not np.array_equal(head[-2], start[-2])  # the new layer learned
    assert not np.array_equal(tuned[0], start[0])  # while fine-tuning changes YAMNet too


def test_scratch_mode_predicts_with_statistics_of_its_training_data(data):
    """From scratch, batch norm predicts with statistics measured on the training data.

    (Left with one mini-batch's running statistics, the network called every
    signal one colour, even its own training examples.)
    """
    train_audio, train_labels, val_audio, val_labels = data
    result = fine_tune(train_audio, train_labels, val_audio, val_labels, mode="scratch")
    assert list(result.predict(train_audio)) == list(train_labels)
    assert result.validation_accuracy >= 0.9  # 97.2 %: noise colours are an easy task
    assert result.epoch_history["val_accuracy"][0] < 0.9  # ... learned, not given


def test_with_one_example_scratch_is_far_below_pretrained():
    pretrained = run_reference(1, verbose=False)["validation_accuracy"]
    scratch = run_reference(1, mode="scratch", verbose=False)["validation_accuracy"]
    assert pretrained == 1.0 and scratch < 0.8  # 70.4 % with seed 0


def test_clips_of_any_length_and_rate_become_patches():
    clips = [
        np.zeros(4_000, np.float32),
        np.ones(16_000 * 2, np.float32) * 0.1,
        np.zeros(15_680, np.float32),
    ]
    patches, index = clip_patches(clips)
    assert patches.shape[1:] == (96, 64)
    assert list(np.bincount(index)) == [1, 3, 1]  # short padded; 2 s -> 3 patches
    eight_khz, _ = clip_patches([np.zeros(8_000, np.float32)], sample_rate=8_000)
    assert eight_khz.shape == (1, 96, 64)
    short_44k, index = clip_patches([np.zeros(22_050, np.float32)] * 3, sample_rate=44_100)
    assert short_44k.shape == (3, 96, 64) and list(index) == [0, 1, 2]  # 0.5 s each, padded


def test_real_recordings_with_different_lengths_train(shared_dir):
    from yamnet_lesson.audio import load_fsdd

    clips, digits, rate = load_fsdd("jackson")  # 8 kHz, 0.3 to 0.8 s long
    keep = np.isin(digits, ["0", "1"])
    zeros_ones, labels = [c for c, k in zip(clips, keep, strict=True) if k], digits[keep]
    result = fine_tune(
        zeros_ones[::5],
        labels[::5],
        zeros_ones[1::5],
        labels[1::5],
        mode="head",
        learning_rate=1e-2,
        sample_rate=rate,
    )
    assert len(labels[::5]) == 20 and result.epoch_history["train_accuracy"][-1] == 1.0
    assert result.validation_accuracy >= 0.75  # other recordings of "zero" and "one" (0.85)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a, lab: fine_tune(a, ["white"] * a.shape[1]), "only one class"),
        (lambda a, lab: fine_tune(a, lab[:-1]), "labels but there are"),
        (lambda a, lab: fine_tune(a, lab, epochs=0), "epochs must be"),
        (lambda a, lab: fine_tune(a, lab, mode="magic"), "mode must be one of"),
        (lambda a, lab: fine_tune(a, lab, a, ["green"] * a.shape[1]), "never seen in training"),
        (lambda a, lab: fine_tune(a, lab, a), "both validation_audio and validation_labels"),
        (lambda a, lab: split_reference(a, lab, 4), "K .* must be between 1 and 2"),
        (lambda a, lab: fine_tune(a, lab, seed=-1), "seed must be at least 0"),
        (lambda a, lab: fine_tune(a, lab, learning_rate="0.1"), "learning_rate must be a number"),
        (lambda a, lab: fine_tune(a, lab, learning_rate=float("nan")), "must be a positive"),
        (lambda a, lab: fine_tune(a[:, :0], lab[:0]), "audio holds no signals"),
    ],
)
def test_bad_calls_get_a_clear_error(call, message):
    audio, labels = signals.noise_dataset(3, seed=0)
    with pytest.raises(LessonError, match=message):
        call(audio, labels)


def test_command_line_reference_json():
    out = subprocess.run(
        [sys.executable, "-m", "yamnet_lesson", "reference", "--mode", "head", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    summary = json.loads(out.strip().splitlines()[-1])
    assert set(summary) >= {
        "validation_accuracy",
        "n_train",
        "n_validation",
        "train_seconds",
        "total_seconds",
        "mode",
        "k",
        "epochs",
        "seed",
    }
    assert summary["n_validation"] == 285 and summary["mode"] == "head"
    assert "Number of samples per noise color in train set = 5" in out


def test_command_line_check():
    result = subprocess.run(
        [sys.executable, "-m", "yamnet_lesson", "check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Google's official YAMNet" in result.stdout
    assert "OK: 'Pink noise' is among the top 3." in result.stdout
    assert "tensorflow 2.21" in result.stdout


@pytest.mark.parametrize(
    ("option", "message"),
    [("--k=100", "K (training examples per class) must be"), ("--seed=-1", "seed must be")],
)
def test_command_line_error_is_one_line(option, message):
    result = subprocess.run(
        [sys.executable, "-m", "yamnet_lesson", "reference", option],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"error: {message}")
    assert "Traceback" not in result.stderr


def test_predicting_with_several_results_does_not_make_tensorflow_warn(data, caplog):
    """Each result's forward pass is traced once, whatever the batch sizes (no log noise)."""
    train_audio, train_labels, val_audio, _ = data
    results = [
        fine_tune(train_audio, train_labels, mode="head", epochs=1, seed=s) for s in range(4)
    ]
    with caplog.at_level("WARNING", logger="tensorflow"):
        for result in results:
            assert result.predict(val_audio[:, :97]).shape == (97,)  # batches of 49 and 48
    assert "retracing" not in caplog.text
