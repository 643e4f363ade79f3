"""Export: the TF Lite file runs in LiteRT and agrees with the trained network; bad folders."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from yamnet_lesson import LessonError, assets, features, signals
from yamnet_lesson._tensorflow import keras
from yamnet_lesson.experiments import split_reference
from yamnet_lesson.export import (
    _tflite_bytes,
    export_classifier,
    load_exported,
    prepare_folder,
)
from yamnet_lesson.training import fine_tune
from yamnet_lesson.yamnet import build_yamnet

# the reference settings, as notebook 6 trains and exports them
EPOCHS = {"finetune": 10, "head": 30}  # 10 epochs already give 100 % (notebook 5)


def _interpreter(flatbuffer: bytes):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    return interpreter


@pytest.fixture(scope="module")
def data():
    audio, labels = signals.noise_dataset(100, seed=0)
    return split_reference(audio, labels, 5, verbose=False)


@pytest.fixture(scope="module")
def trained_and_exported(data, tmp_path_factory):
    """mode -> (result, paths): each mode trained and exported once per test module."""
    done = {}

    def get(mode: str):
        if mode not in done:
            result = fine_tune(*data, mode=mode, epochs=EPOCHS[mode], seed=0)
            assert result.validation_accuracy == 1.0  # the lesson's accuracy
            folder = tmp_path_factory.mktemp(f"export_{mode}")
            done[mode] = result, export_classifier(result.model, result.class_names, folder)
        return done[mode]

    return get


@pytest.fixture(params=list(EPOCHS))
def exported(request, trained_and_exported):
    return trained_and_exported(request.param)


# ---------------------------------------------------------------------------
# The front end inside the file
# ---------------------------------------------------------------------------


def _windows(clips: dict[str, Path] | None) -> dict[str, np.ndarray]:
    """Noises, a tone, near-silence, silence and (from the test clips, where here) a meow."""
    from yamnet_lesson.audio import read_audio

    t = np.arange(features.PATCH_SAMPLES) / features.SAMPLE_RATE
    windows = {
        colour: getattr(signals, f"{colour}_noise")(features.PATCH_SAMPLES, seed=3)[:, 0]
        for colour in ("white", "brown", "pink")
    }
    windows["1 kHz tone"] = 0.5 * np.sin(2 * np.pi * 1000 * t)
    windows["very quiet"] = 1e-4 * np.random.default_rng(0).standard_normal(t.size)
    windows["silence"] = np.zeros(t.size)
    if clips is not None:
        waveform, rate = read_audio(clips["meow_16k.wav"])
        start = 3 * features.PATCH_HOP_SAMPLES  # 1.44 s in, while the cat is heard
        windows["meow"] = features.resample(waveform, rate)[start : start + features.PATCH_SAMPLES]
    return {name: np.asarray(w, dtype=np.float32) for name, w in windows.items()}


def test_front_end_in_litert_equals_the_lessons_log_mel(request):
    try:
        clips = request.getfixturevalue("test_clips")
    except pytest.skip.Exception:
        clips = None  # test_parity's test_a_real_recording_is_recognised says so, skipped
    # Export a network that passes the patch through unchanged: the file then
    # returns what its front end computed, run by LiteRT's own kernels.
    passthrough = keras.Sequential(
        [keras.Input((features.PATCH_FRAMES, features.N_MELS)), keras.layers.Identity()]
    )
    interpreter = _interpreter(_tflite_bytes(passthrough))
    (source,), (target,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert tuple(target["shape"]) == (1, features.PATCH_FRAMES, features.N_MELS)
    for name, window in _windows(clips).items():
        interpreter.set_tensor(source["index"], window)
        interpreter.invoke()
        in_file = interpreter.get_tensor(target["index"])[0]
        expected = features.log_mel_spectrogram(window)
        assert expected.shape == (96, 64)
        # float32 rounding: at most 0.001 in log units, typically 100 times less
        np.testing.assert_allclose(in_file, expected, atol=1e-3, rtol=0, err_msg=name)
        assert np.median(np.abs(in_file - expected)) < 1e-4, name


# ---------------------------------------------------------------------------
# The exported file
# ---------------------------------------------------------------------------


def test_file_takes_what_googles_yamnet_takes(exported):
    official = load_exported(assets.find_file(assets.YAMNET_TFLITE))
    ours = load_exported(exported[1]["tflite"])
    (official_input,), (our_input,) = (c.interpreter.get_input_details() for c in (official, ours))
    assert tuple(our_input["shape"]) == tuple(official_input["shape"]) == (15_600,)
    assert our_input["dtype"] == official_input["dtype"] == np.float32
    (our_output,) = ours.interpreter.get_output_details()
    assert tuple(our_output["shape"]) == (1, 3) and our_output["dtype"] == np.float32


def test_litert_agrees_with_predict_proba_on_the_validation_clips(exported, data):
    result, paths = exported
    _, _, val_audio, val_labels = data
    classifier = load_exported(paths["tflite"])
    in_litert = classifier.predict_proba(val_audio)
    in_keras = result.predict_proba(val_audio)
    assert in_litert.shape == in_keras.shape == (285, 3)
    agreement = np.mean(np.argmax(in_litert, 1) == np.argmax(in_keras, 1))
    assert agreement >= 0.99
    accuracy = np.mean(classifier.predict(val_audio) == val_labels)
    assert accuracy == result.validation_accuracy == 1.0
    np.testing.assert_allclose(in_litert.sum(axis=1), 1, atol=1e-5)  # probabilities
    np.testing.assert_allclose(in_litert, in_keras, atol=1e-4)  # float32, same network


def test_the_file_is_the_same_size_whichever_mode_trained_it(trained_and_exported):
    # the file holds the architecture and the weights: training changes values, not sizes
    sizes = {mode: trained_and_exported(mode)[1]["tflite"].stat().st_size for mode in EPOCHS}
    assert abs(sizes["finetune"] - sizes["head"]) < 1_000
    assert 12e6 < sizes["head"] < 14e6  # float32: 3.2 million weights x 4 bytes


def test_class_names_file_and_keras_file(exported, data):
    result, paths = exported
    assert paths["labels"].read_text(encoding="utf-8").splitlines() == result.class_names
    assert load_exported(paths["tflite"]).class_names == result.class_names
    patches = features.patches(features.log_mel_spectrogram(data[2][:, 0]))
    reloaded = keras.models.load_model(paths["keras"])
    np.testing.assert_allclose(
        reloaded.predict(patches, verbose=0), result.model.predict(patches, verbose=0), atol=1e-6
    )


def test_clips_of_any_length_and_rate_are_classified_window_by_window(exported):
    classifier = load_exported(exported[1]["tflite"])
    pink = signals.pink_noise(3 * 16_000, seed=7)[:, 0]
    starts, probabilities = classifier.classify_windows(pink)
    # 3 s at 16 kHz: windows within the clip, 0.48 s apart -> at 0, 0.48, ... 1.92 s
    np.testing.assert_allclose(starts, 0.48 * np.arange(5))
    assert probabilities.shape == (5, 3)
    assert set(np.asarray(classifier.class_names)[probabilities.argmax(1)]) == {"pink"}
    yamnet_like, _ = classifier.classify_windows(pink, whole_hops=True)  # the end padded too
    np.testing.assert_allclose(yamnet_like, 0.48 * np.arange(6))
    short = classifier.classify_windows(pink[:4_000])  # 0.25 s: padded to one window
    assert short[1].shape == (1, 3)
    at_44k = features.resample(pink, 16_000, 44_100)  # as a recording would be; resampled back
    with pytest.warns(UserWarning, match="peaks at 1.0"):  # resampling overshoots full scale
        assert classifier.predict([at_44k], sample_rate=44_100)[0] == "pink"


def test_a_full_scale_recording_at_another_rate_gets_no_warning_about_its_peak(exported):
    """Resampling a clip that reaches full scale overshoots it; the file is not to blame."""
    classifier = load_exported(exported[1]["tflite"])
    t = np.arange(3 * 44_100) / 44_100
    noise = 0.3 * np.random.default_rng(0).standard_normal(t.size)
    clipped = np.clip(3 * np.sin(2 * np.pi * 440 * t) + noise, -1, 1)  # loud, clipped
    assert np.abs(features.resample(clipped, 44_100)).max() > 1.05
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        starts, _ = classifier.classify_windows(clipped, 44_100)
    assert len(starts) == 5
    with warnings.catch_warnings(record=True) as caught:  # a clip that is too loud itself
        warnings.simplefilter("always")
        classifier.predict([1.5 * clipped], 44_100)
    assert [str(w.message).split(" peaks")[0] for w in caught] == ["audio[0]"]  # once


def test_the_colour_changing_clip_is_heard_in_order(trained_and_exported):
    # notebook 6's clip that changes colour every 1.5 s, and its exercise 1
    clip = np.concatenate(
        [getattr(signals, f"{c}_noise")(24_000, seed=7)[:, 0] for c in ("white", "brown", "pink")]
    )
    heard = {}
    for mode in EPOCHS:
        classifier = load_exported(trained_and_exported(mode)[1]["tflite"])
        _, probabilities = classifier.classify_windows(clip)
        heard[mode] = np.asarray(classifier.class_names)[probabilities.argmax(1)]
    for mode in EPOCHS:
        assert heard[mode][0] == "white" and heard[mode][-1] == "pink" and "brown" in heard[mode]


def test_a_student_built_network_exports_too(tmp_path):
    # a new head on the embedding, written with the Keras API (batch norm not folded)
    pretrained = build_yamnet()
    logits = keras.layers.Dense(2, name="new_head")(pretrained.get_layer("embedding").output)
    model = keras.Model(pretrained.input, keras.layers.Softmax()(logits))
    paths = export_classifier(model, ["quiet", "loud"], tmp_path, name="mine")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mine.keras",
        "mine.tflite",
        "mine_labels.txt",
    ]
    classifier = load_exported(paths["tflite"])
    clips = signals.white_noise(features.PATCH_SAMPLES, 4, seed=1)
    patches = np.stack([features.log_mel_spectrogram(c) for c in clips.T])
    np.testing.assert_allclose(
        classifier.predict_proba(clips), model.predict(patches, verbose=0), atol=1e-4
    )


def test_integer_class_names_come_back_as_text_and_the_student_is_told(tmp_path):
    """Comparing the file's '0' with a label 0 would silently count nothing right."""
    patches = keras.Input((features.PATCH_FRAMES, features.N_MELS))
    probabilities = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(patches))
    model = keras.Model(patches, probabilities)
    with pytest.warns(UserWarning, match=r"predicts '0', not 0: compare its answers with the"):
        paths = export_classifier(model, [0, 1, 2], tmp_path)
    classifier = load_exported(paths["tflite"])
    assert classifier.class_names == ["0", "1", "2"]
    assert classifier.predict(signals.white_noise(features.PATCH_SAMPLES, 2, seed=0))[0] in "012"


def test_the_official_file_loads_with_its_own_label_list():
    official = load_exported(assets.find_file(assets.YAMNET_TFLITE))
    assert len(official.class_names) == 521 and official.class_names[0] == "Speech"
    scores = official(signals.pink_noise(features.PATCH_SAMPLES, seed=0)[:, 0])
    top3 = np.asarray(official.class_names)[np.argsort(scores)[::-1][:3]]
    assert "Pink noise" in top3


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


def _one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and message.count(". ") == 0


def test_a_file_in_the_way_is_refused_in_one_sentence(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    for folder in (blocker, blocker / "export"):
        with pytest.raises(LessonError, match="notes.txt is a file, not a folder") as error:
            prepare_folder(folder)
        assert _one_sentence(str(error.value))
    assert blocker.read_text() == "not a folder"  # left alone


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_nobody_can_create_is_refused_in_one_sentence():
    with pytest.raises(LessonError, match="cannot create or write to the folder") as error:
        prepare_folder("/proc/yamnet_lesson_export")  # refused even for root
    assert _one_sentence(str(error.value))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_refused_in_one_sentence(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(LessonError, match="choose a folder you can write to"):
            prepare_folder(tmp_path / "export")
    finally:
        tmp_path.chmod(0o700)


def test_bad_models_and_names_are_refused(tmp_path):
    with pytest.raises(LessonError, match="one per output"):
        export_classifier(build_yamnet(3, weights=None), ["white", "pink"], tmp_path)
    with pytest.raises(LessonError, match="log-mel patches"):
        export_classifier(
            keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)]), "ab", tmp_path
        )
    with pytest.raises(LessonError, match="does not exist"):
        load_exported(tmp_path / "missing.tflite")


def test_a_window_of_the_wrong_length_is_refused(exported):
    with pytest.raises(LessonError, match="exactly 15600 samples"):
        load_exported(exported[1]["tflite"])(np.zeros(16_000, np.float32))


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "yamnet_lesson", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_command_line_refuses_a_bad_folder_before_training(tmp_path, capsys):
    from yamnet_lesson.__main__ import main

    blocker = tmp_path / "taken"
    blocker.write_text("")
    with pytest.raises(SystemExit) as stop:
        main(["reference", "--mode", "head", "--export", str(blocker / "out")])
    assert stop.value.code == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        f"error: cannot export to {blocker / 'out'}: {blocker} is a file, not a folder; "
        "choose another folder."
    ]
    assert "Validation accuracy" not in out  # it did not train first


@pytest.mark.slow
def test_command_line_exports_the_reference_classifier(tmp_path):
    run = _cli("reference", "--mode", "head", "--export", str(tmp_path / "out"), "--json")
    assert run.returncode == 0, run.stderr
    assert "Validation accuracy: 100.00 %" in run.stdout
    classifier = load_exported(tmp_path / "out")
    assert classifier.class_names == ["white", "brown", "pink"]
    audio, labels = signals.noise_dataset(5, seed=1)
    assert list(classifier.predict(audio)) == list(labels)
