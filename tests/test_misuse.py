"""What students and classroom admins actually pass: it works correctly or says so in one sentence.

A corpus of misuse cases, each asserting the right answer or the exact
sentence.  Cheap: no training (cases for the training API live with it), tiny
arrays, one YAMNet load.  Download folders are in test_assets.py (they need its
server on 127.0.0.1).  Cases found by tests/test_fuzz.py (Hypothesis) are named
here too; README_CASES are the cases the README's Troubleshooting table quotes,
and a test compares the two.
"""

import re
import warnings

import numpy as np
import pytest
import scipy.io.wavfile
import soundfile

from yamnet_lesson import LessonError, assets, audio, features, signals
from yamnet_lesson.classes import top_classes
from yamnet_lesson.validation import (
    check_audio,
    check_clips_layout,
    check_examples_per_class,
    check_int,
    check_seed,
    check_waveform,
    pcm_to_float,
)

SECOND = 16_000
REFERENCE, _ = signals.noise_dataset(2, seed=0)  # (15680, 6): one clip per column
PINK = signals.pink_noise(SECOND, seed=3)[:, 0]  # peak 1


def as_int16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] as 16-bit PCM, the way a WAV file stores it."""
    return np.round(np.clip(audio, -1, 32767 / 32768) * 32768).astype(np.int16)


def refusal(call) -> str:
    """The one sentence ``call`` is refused with."""
    with pytest.raises(LessonError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message and message.endswith(".")
    return message


# --------------------------------------------------------------------------- integer PCM


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (np.array([-32768, 0, 16384, 32767], np.int16), [-1, 0, 0.5, 32767 / 32768]),
        (np.array([0, 64, 128, 255], np.uint8), [-1, -0.5, 0, 127 / 128]),
        (np.array([-128, 0, 127], np.int8), [-1, 0, 127 / 128]),
        (np.array([-(2**31), 0, 2**30], np.int32), [-1, 0, 0.5]),
        (np.array([0, 32768, 65535], np.uint16), [-1, 0, 32767 / 32768]),
        (np.array([0, 1, -1], np.int64), [0, 1, -1]),  # no PCM width: plain numbers
        ([0, 1, -1], [0, 1, -1]),  # a list of Python ints, too
    ],
    ids=["int16", "uint8", "int8", "int32", "uint16", "int64-numbers", "list-of-ints"],
)
def test_integer_pcm_is_scaled_to_full_scale(samples, expected):
    got = check_audio(samples)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.array(expected, np.float32))


@pytest.mark.parametrize(
    ("subtype", "dtype"),
    [("PCM_16", np.int16), ("PCM_U8", np.uint8), ("PCM_32", np.int32), ("PCM_24", np.int32)],
)
def test_arrays_from_scipy_wavfile_equal_what_read_audio_reads(tmp_path, subtype, dtype):
    """One scaling: the integer array scipy returns gives exactly read_audio's numbers."""
    path = tmp_path / f"{subtype}.wav"
    soundfile.write(path, PINK * 0.9, SECOND, subtype=subtype)
    rate, raw = scipy.io.wavfile.read(path)
    assert raw.dtype == dtype and rate == SECOND
    from_file, _ = audio.read_audio(path)
    np.testing.assert_array_equal(check_audio(raw), from_file)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: features.log_mel_spectrogram(x),
        lambda x: features.waveform_to_patches(x)[0],
        lambda x: features.pad_for_patches(x),
        lambda x: features.resample(x, 8_000),
        lambda x: signals.power_spectrum(x)[1],
    ],
    ids=["log_mel_spectrogram", "waveform_to_patches", "pad_for_patches", "resample", "psd"],
)
def test_int16_audio_gives_the_same_answer_as_floats(call):
    pcm = as_int16(PINK)
    np.testing.assert_array_equal(call(pcm), call(pcm_to_float(pcm)))


# --------------------------------------------------------------------------- floats beyond [-1, 1]


def test_int16_samples_stored_as_floats_are_refused():
    assert refusal(lambda: features.log_mel_spectrogram(as_int16(PINK).astype(np.float64))) == (
        "signals reaches 32,768, far outside [-1, 1], like integer samples stored as floats; "
        "pass the integer array itself (it is scaled for you) or divide 16-bit samples by 32768."
    )


def test_int16_samples_upcast_to_int64_are_refused():
    assert refusal(lambda: check_audio(as_int16(PINK).astype(np.int64))).startswith(
        "audio reaches 32,768, far outside [-1, 1], like integer samples stored as floats;"
    )


def test_unscaled_float_noise_is_refused():
    loud = np.array([0.0, 3.0, -1.0] * 200)
    assert refusal(lambda: features.log_mel_spectrogram(loud)) == (
        "signals reaches 3, beyond the [-1, 1] YAMNet hears in; divide it by its peak first: "
        "signals / np.abs(signals).max()."
    )


def test_a_little_beyond_full_scale_is_used_as_it_is_with_a_warning():
    hot = np.array([0.0, 1.5, -1.0] * 200, np.float32)
    with pytest.warns(UserWarning) as warned:
        got = check_audio(hot)
    assert [str(w.message) for w in warned] == [
        "audio peaks at 1.5, beyond [-1, 1]; it is used as it is (divide it by "
        "np.abs(audio).max() if it should fit in [-1, 1])."
    ]
    assert warned[0].filename == __file__  # pointed at the caller's line, not the package
    np.testing.assert_array_equal(got, hot)


def test_full_scale_floats_pass_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_audio(REFERENCE).shape == REFERENCE.shape  # peaks exactly 1


# --------------------------------------------------------------------------- not audio at all

NOT_AUDIO = {
    "objects": (
        np.array([0.5, {}], dtype=object),
        "signals must be an array of numbers, got an array of object values.",
    ),
    "ragged-list": (
        [[0.1, 0.2], [0.3]],
        "signals must be an array of numbers (clips of different lengths go in a list of 1-D "
        "arrays, where a helper takes one).",
    ),
    "booleans": (
        np.ones(500, bool),
        "signals holds True/False values, not sound; pass samples as numbers.",
    ),
    "complex": (
        np.ones(500, complex),
        "signals holds complex numbers; pass the real signal (e.g. np.real(signals)).",
    ),
    "text": (
        "not audio",
        "signals holds text, not samples; pass an array of numbers (read_audio reads a file).",
    ),
    "empty": (np.array([]), "signals is empty (shape (0,)); pass at least one sample."),
    "no-columns": (np.zeros((500, 0)), "signals holds no signals (shape (500, 0))."),
    "no-rows": (np.zeros((0, 5)), "signals is empty (shape (0, 5)); pass at least one sample."),
    "three-d": (
        np.zeros((2, 2, 2)),
        "signals must be 1-D (samples,) or 2-D (samples, signals), got shape (2, 2, 2).",
    ),
    "nan": (
        np.array([0.0, np.nan] * 300),
        "signals contains NaN or infinite values; clean or re-record it.",
    ),
    "inf": (
        np.array([0.0, -np.inf] * 300),
        "signals contains NaN or infinite values; clean or re-record it.",
    ),
    "too-short": (
        np.zeros(100),
        "signals are 100 samples long at 16 kHz; at least 400 (25 ms) are needed for one frame.",
    ),
}


@pytest.mark.parametrize(("bad", "message"), NOT_AUDIO.values(), ids=NOT_AUDIO.keys())
def test_what_is_not_audio_gets_one_sentence(bad, message):
    assert refusal(lambda: features.log_mel_spectrogram(bad)) == message


# --------------------------------------------------------------------------- transposed clips


def test_transposed_clips_are_refused_before_any_feature_work(monkeypatch):
    def no_feature_work(*args, **kwargs):
        raise AssertionError("feature work started before the layout check")

    monkeypatch.setattr(features, "_resample", no_feature_work)
    monkeypatch.setattr(features, "_log_mel", no_feature_work)
    assert refusal(lambda: features.log_mel_spectrogram(REFERENCE.T)) == (
        "signals has shape (6, 15680), which reads as 15,680 clips of only 6 samples each, so "
        "it looks transposed: pass signals.T to put one clip per column (samples, signals)."
    )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: features.log_mel_spectrogram(np.zeros((2, SECOND))), "signals"),  # stereo
        (lambda: features.log_mel_spectrogram(np.zeros((50, 4_000)), 8_000), "signals"),
        (lambda: features.resample(np.zeros((300, 15_680)), 8_000), "signals"),
        (lambda: signals.power_spectrum(REFERENCE.T), "audio"),
        (lambda: check_audio(as_int16(REFERENCE).T), "audio"),
        (lambda: check_clips_layout(REFERENCE.T.tolist()), "audio"),
        (lambda: check_clips_layout(np.broadcast_to(np.float32(0), (5_000, 15_680))), "audio"),
    ],
    ids=["channels-first", "8kHz", "resample", "power_spectrum", "int16", "nested-list", "5000"],
)
def test_every_entry_point_refuses_transposed_clips(call, name):
    assert f"so it looks transposed: pass {name}.T to put one clip per column" in refusal(call)


@pytest.mark.parametrize(
    ("shape", "rate"),
    [
        ((15_680, 300), 16_000),
        ((15_680, 2), 16_000),
        ((100, 2), 16_000),  # two very short clips (refused later: too short for a frame)
        ((16_000, 20_000), 16_000),
        ((4_000, 50), 8_000),
        ((2_000, 3_000), 8_000),  # 3,000 spoken digits cut to 0.25 s
        ((1_000, 1_000), 16_000),  # square: taken as it is
    ],
)
def test_clips_in_columns_are_not_taken_for_transposed(shape, rate):
    check_clips_layout(np.broadcast_to(np.float32(0), shape), sample_rate=rate)  # no error


# --------------------------------------------------------------------------- clips for predict


@pytest.mark.parametrize("path", ["my_sound.wav", __import__("pathlib").Path("my_sound.wav")])
def test_a_file_name_where_clips_belong_gets_the_call_that_reads_it(path):
    """``result.predict("my_sound.wav")``: was a TypeError (Path) or 'audio[0] holds text'."""
    assert refusal(lambda: features.clip_patches(path)) == (
        "audio is a file name, not samples; read the file first: "
        "waveform, sample_rate = yl.audio.read_audio('my_sound.wav')."
    )


def test_what_read_audio_returns_where_clips_belong_gets_one_sentence():
    """``result.predict(read_audio(path))``, or a list of such pairs: was a ValueError."""
    pair = (PINK, 16_000)
    assert refusal(lambda: features.clip_patches(pair)) == (
        "audio is a (waveform, sample_rate) pair, as read_audio returns it; pass the waveform, "
        "and its rate as the sample_rate argument."
    )
    assert "audio holds (waveform, sample_rate) pairs" in refusal(
        lambda: features.clip_patches([pair, (PINK[:8_000], 8_000)])
    )


def test_a_list_of_numbers_is_one_clip_not_many_clips_of_one_sample():
    """``result.predict(list(waveform))``: was refused as 'audio[0] ... got shape ()'."""
    as_list, _ = features.clip_patches(PINK.tolist())
    as_array, clip_index = features.clip_patches(PINK)
    np.testing.assert_array_equal(as_list, as_array)
    assert clip_index.tolist() == [0]  # one clip of 1 s: one patch


@pytest.mark.parametrize("rate", [16_000, 8_000])
def test_a_clip_a_little_too_loud_gets_one_warning_under_its_own_name(rate):
    """Not one per helper it passes through ("audio[0]", then "waveform", then "signals")."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        features.clip_patches([1.5 * PINK], rate)
    assert [str(w.message).split(" peaks")[0] for w in caught] == ["audio[0]"]


# --------------------------------------------------------------------------- one waveform


def test_one_column_or_row_is_one_waveform():
    for shaped in (PINK[:, None], PINK[None, :], as_int16(PINK)[None, :]):
        np.testing.assert_array_equal(check_waveform(shaped), pcm_to_float(shaped).ravel())


def test_several_columns_are_not_one_waveform():
    assert refusal(lambda: features.waveform_to_patches(np.zeros((SECOND, 2)))) == (
        "YAMNet takes one 1-D waveform at 16 kHz, got shape (16000, 2); pass one clip at a "
        "time, e.g. waveform[:, 0] for the first column."
    )


@pytest.fixture(scope="module")
def yamnet():
    from yamnet_lesson.yamnet import load_yamnet

    return load_yamnet()


def test_yamnet_hears_int16_pink_noise_as_pink_noise(yamnet):
    scores_float, _, _ = yamnet(PINK)
    scores_int16, _, _ = yamnet(as_int16(PINK))
    top_float = [name for name, _ in yamnet.top_classes(scores_float, top=3)]
    assert "Pink noise" in top_float
    assert [name for name, _ in yamnet.top_classes(scores_int16, top=3)] == top_float
    np.testing.assert_allclose(scores_int16, scores_float, atol=1e-3)


def test_the_official_model_scales_int16_too():
    from yamnet_lesson.official import official_yamnet

    model = official_yamnet()
    window = PINK[: features.PATCH_SAMPLES]
    scores_float, _ = model(window)
    scores_int16, _ = model(as_int16(window))
    np.testing.assert_allclose(scores_int16, scores_float, atol=1e-2)
    assert np.argmax(scores_int16) == np.argmax(scores_float)


# --------------------------------------------------------------------------- seeds


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        (
            2**32,
            "seed must be at most 4,294,967,295 (2**32 - 1, the largest seed NumPy and "
            "Keras take), got 4294967296.",
        ),
        (-1, "seed must be a whole number from 0 to 4,294,967,295 (2**32 - 1), got -1."),
        (1.0, "seed must be a whole number from 0 to 4,294,967,295 (2**32 - 1), got 1.0."),
        (True, "seed must be a whole number from 0 to 4,294,967,295 (2**32 - 1), got True."),
    ],
    ids=["2**32", "negative", "float", "bool"],
)
def test_bad_seeds_get_one_sentence(seed, message):
    assert refusal(lambda: signals.white_noise(10, seed=seed)) == message
    assert refusal(lambda: signals.noise_dataset(1, seed=seed)) == message


def test_every_seed_numpy_and_keras_take_works():
    from yamnet_lesson._tensorflow import keras

    for seed in (0, np.int64(7), np.uint32(2**32 - 1), 2**32 - 1):
        checked = check_seed(seed)
        assert type(checked) is int and checked == seed
        keras.utils.set_random_seed(checked)  # Keras takes it (it refuses NumPy integers)
    audio_, _ = signals.noise_dataset(1, seed=2**32 - 1)  # pink noise's seed + 1 wraps to 0
    np.testing.assert_array_equal(audio_[:, 2], signals.pink_noise(15_680, seed=0)[:, 0])


def test_the_command_line_refuses_a_seed_of_2_to_the_32_in_one_line(capsys):
    from yamnet_lesson.__main__ import main

    with pytest.raises(SystemExit) as stop:
        main(["reference", "--seed", str(2**32)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "error: seed must be at most 4,294,967,295 (2**32 - 1, the largest seed NumPy and "
        "Keras take), got 4294967296."
    )


# --------------------------------------------------------------------------- ranges that exist


def test_a_class_with_one_example_is_named():
    assert refusal(lambda: check_examples_per_class(1, ["a", "a", "b"])) == (
        "each class needs at least 2 examples (one to train, one to validate); class 'b' has 1."
    )


def test_k_too_large_names_the_class_that_limits_it():
    labels = np.array([3, 3, 3, 7, 7, 7, 7])  # integer labels, named as they are
    assert check_examples_per_class(2, labels) == 2
    assert refusal(lambda: check_examples_per_class(3, labels)) == (
        "K (training examples per class) must be between 1 and 2, got 3: class 3 has 3 "
        "examples and one must be left to validate."
    )


def test_an_empty_range_is_never_named_as_one():
    message = refusal(lambda: check_int(3, "k", 1, 0))
    assert "between 1 and 0" not in message
    assert message == (
        "no k is possible here: it would need to be at least 1 and at most 0; change the other "
        "settings first."
    )
    assert refusal(lambda: top_classes(np.zeros((1, 0)), [], 1)) == (
        "class_names is empty; pass the model's names."
    )


# --------------------------------------------------------------------------- settings


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No model folder, no spoken-digit folder, an empty cache and no network."""
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    monkeypatch.delenv(audio.FSDD_ENV, raising=False)
    return tmp_path


def model_dir_message(offline, monkeypatch, value):
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(value))
    with pytest.warns(UserWarning) as warned:
        message = refusal(lambda: assets.find_file(assets.YAMNET_CLASS_MAP, download=False))
    return [str(w.message) for w in warned], message


def test_a_model_dir_that_is_a_file_is_named(offline, monkeypatch):
    file = offline / assets.YAMNET_TFLITE.name
    file.write_bytes(b"x")
    warned, message = model_dir_message(offline, monkeypatch, file)
    problem = (
        f"{assets.MODEL_DIR_ENV} is set to {file}, which is a file, not a folder (set it to the "
        f"folder holding YAMNet's files, e.g. {offline})"
    )
    assert warned == [f"{problem}; it is ignored."]
    assert message == (
        f"Could not find YAMNet's official class map of the 521 AudioSet classes "
        f"(yamnet_class_map.csv) on this computer (downloading was switched off). {problem}, or "
        f"put the file in {offline / 'cache'} (python -m yamnet_lesson download --to DIR fetches "
        "it on a machine with internet)."
    )


def test_a_missing_model_dir_is_named(offline, monkeypatch):
    missing = offline / "no_such_folder"
    warned, message = model_dir_message(offline, monkeypatch, missing)
    problem = (
        f"{assets.MODEL_DIR_ENV} is set to {missing}, which does not exist (set it to the "
        "folder holding YAMNet's files)"
    )
    assert warned == [f"{problem}; it is ignored."]
    assert f"(downloading was switched off). {problem}, or put the file in" in message


def test_a_model_dir_without_the_file_is_named(offline, monkeypatch):
    empty = offline / "empty"
    empty.mkdir()
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(empty))
    message = refusal(lambda: assets.find_file(assets.YAMNET_CLASS_MAP, download=False))
    assert (
        f"{assets.MODEL_DIR_ENV} is set to {empty}, which holds no yamnet_class_map.csv: put "
        f"the file there or in {offline / 'cache'} (python -m yamnet_lesson download"
    ) in message


@pytest.mark.parametrize("what", ["missing", "file", "no-recordings"])
def test_an_fsdd_dir_that_holds_no_recordings_is_named(offline, monkeypatch, what):
    target = offline / "digits"
    if what == "file":
        target.write_text("not a folder")
    elif what == "no-recordings":
        target.mkdir()
    monkeypatch.setenv(audio.FSDD_ENV, str(target))
    expected = "the folder holding recordings/"
    problem = {
        "missing": f"{audio.FSDD_ENV} is set to {target}, which does not exist (set it to "
        f"{expected})",
        "file": f"{audio.FSDD_ENV} is set to {target}, which is a file, not a folder (set it to "
        f"{expected}, e.g. {offline})",
        "no-recordings": f"{audio.FSDD_ENV} is set to {target}, which holds no recordings/ "
        f"(set it to {expected})",
    }[what]
    with pytest.warns(UserWarning) as warned:
        message = refusal(lambda: audio.fsdd_dir(download=False))
    assert [str(w.message) for w in warned] == [f"{problem}; it is ignored."]
    assert message == (
        "The spoken-digit recordings were not found: download the Free Spoken Digit Dataset "
        f"from {audio.FSDD_HOME}; {problem}."
    )


def test_a_cache_dir_that_is_a_file_is_named(offline, monkeypatch):
    file = offline / "cache_file"
    file.write_text("not a folder")
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(file))
    with pytest.warns(UserWarning) as warned:
        folder = assets.cache_dir()
    assert str(warned[0].message) == (
        f"{assets.CACHE_DIR_ENV} is set to {file} (it is a file, not a folder); using {folder} "
        f"instead (set {assets.CACHE_DIR_ENV} to a folder you can write to)."
    )
    assert folder.is_dir() and file.read_text() == "not a folder"


def test_clips_of_a_few_milliseconds_are_warned_about_once():
    """``audio[:100]`` meant as ``audio[:, :100]``: 6 clips of 6 ms trained silently before."""
    with pytest.warns(UserWarning) as warned:
        features.clip_patches(REFERENCE[:100])
    assert [str(w.message) for w in warned] == [
        "audio holds a clip of only 100 samples (6 ms at 16,000 Hz); YAMNet hears 0.975 s at "
        "a time, so it is mostly the silence it is padded with. To keep some of the signals of "
        "a (samples, signals) array, slice its columns: audio[:, :k]."
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 50 ms and more: a short sound, not a slip
        features.clip_patches([PINK, PINK[:400]], sample_rate=8_000)
        features.clip_patches(REFERENCE[:800])


# --------------------------------------------------------------------------- issue 24


def test_read_audio_calls_a_folder_a_folder(tmp_path):
    assert refusal(lambda: audio.read_audio(tmp_path)) == (
        f"{tmp_path} is a folder, not a sound file; pass the path of one file in it."
    )


def test_read_audio_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    soundfile.write(tmp_path / "clip.wav", PINK * 0.5, SECOND)
    waveform, rate = audio.read_audio("~/clip.wav")
    assert rate == SECOND and waveform.shape == PINK.shape


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), "10", True])
def test_read_audio_checks_max_seconds(tmp_path, bad):
    soundfile.write(tmp_path / "clip.wav", PINK * 0.5, SECOND)
    assert refusal(lambda: audio.read_audio(tmp_path / "clip.wav", max_seconds=bad)).startswith(
        "max_seconds must be a number above 0, got"
    )


def test_tflite_weights_refuses_a_file_with_one_byte_flipped(tmp_path):
    from yamnet_lesson.yamnet import tflite_weights

    original = assets.find_file(assets.YAMNET_TFLITE).read_bytes()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0xFF
    path = tmp_path / assets.YAMNET_TFLITE.name
    path.write_bytes(bytes(flipped))
    assert "its SHA-256 differs from the published one" in refusal(lambda: tflite_weights(path))


def _interrupt_reference(when_training: bool):
    """``python -m yamnet_lesson reference`` with a real SIGINT: (status, stderr)."""
    import os
    import re
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    command = [sys.executable, "-m", "yamnet_lesson", "reference", "--epochs", "60"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    if when_training:  # after the table's first row (iteration 1)
        line = "x"
        while line and not re.match(r"^\|\s+\d", line):
            line = process.stdout.readline()
        time.sleep(0.3)
    else:
        time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    return process.returncode, err


@pytest.mark.parametrize(
    "when_training",
    [False, pytest.param(True, marks=pytest.mark.slow)],  # training: 8 s, the full suite
    ids=["start-up", "training"],
)
def test_ctrl_c_in_the_reference_command_exits_130_with_one_line(when_training):
    status, err = _interrupt_reference(when_training)
    assert status == 130 and "Traceback" not in err
    (line,) = err.strip().splitlines()
    if when_training:
        assert re.match(
            r"Interrupted during training, after \d+ of 60 iterations; the partly trained "
            r"network was not kept and nothing was written\.$",
            line,
        )
    else:
        assert line.startswith("Interrupted during start-up") and "nothing was" in line


# --------------------------------------------------------------------------- found by fuzzing
# Each case below was found by hand (issue 24) or by tests/test_fuzz.py; before the fix it
# raised another exception, returned NaN or a wrong answer, or was refused too late.


def test_read_audio_bytes_refuses_an_int_instead_of_reading_zero_bytes():
    """``read_audio_bytes(5)``: ``bytes(5)`` is five zero bytes; it was decoded as such."""
    assert refusal(lambda: audio.read_audio_bytes(5)) == (
        "content must be the file's bytes (bytes, bytearray or memoryview), got int; "
        "read_audio reads a file from its path."
    )


@pytest.mark.parametrize("bad", [float("inf"), 10**400], ids=["inf", "10**400"])
def test_an_infinite_max_seconds_is_refused_not_overflowed(bad):
    """``max_seconds=float('inf')`` overflowed to an int (OverflowError)."""
    wav = _wav_bytes(PINK * 0.5)
    message = refusal(lambda: audio.read_audio_bytes(wav, max_seconds=bad))
    assert message.startswith("max_seconds must be a number above 0, got ")


@pytest.mark.parametrize(
    "call",
    [audio.read_audio, lambda p: __import__("yamnet_lesson").classes.read_class_names(p)],
    ids=["read_audio", "read_class_names"],
)
def test_a_file_name_too_long_for_the_file_system_gets_one_short_sentence(tmp_path, call):
    """Was a raw OSError ("File name too long"); the sentence then named the whole path.

    A path of 6,000 characters made a 6,000-character "sentence": paths are cut in the middle.
    """
    message = refusal(lambda: call(tmp_path / ("x" * 300 + ".wav")))
    assert message.endswith(
        "x.wav is too long for the file system (a name of 304 bytes, more than the 255 a file "
        "name can have); choose a shorter name."
    )
    assert "..." in message and len(message) < 300
    message = refusal(lambda: call(str(tmp_path) + "/x" * 3_000))
    assert message.endswith("more than the 4,096 a path can have); choose a shorter name.")
    assert len(message) < 300


def _wav_bytes(samples: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, SECOND, format="WAV")
    return buffer.getvalue()


def test_spectral_slope_of_too_few_frequencies_is_refused():
    """At 1 Hz no frequency lies in 100-5000 Hz: np.polyfit raised TypeError."""
    assert refusal(lambda: signals.spectral_slope(PINK, 1)).startswith(
        "the spectrum has 0 frequencies from f_low=100 to f_high=5000 Hz"
    )
    assert refusal(lambda: signals.spectral_slope(PINK, f_low=5_000, f_high=100)) == (
        "f_high must be above f_low, got f_low=5000 Hz and f_high=100 Hz."
    )


def test_spectral_slope_of_silence_is_refused_not_nan():
    """Silence has no power: its slope in dB was NaN (with a RuntimeWarning)."""
    assert refusal(lambda: signals.spectral_slope(np.zeros(SECOND))) == (
        "audio is silent somewhere between 100 and 5000 Hz (zero power), so its spectrum has "
        "no slope in decibels; pass a signal with sound there."
    )


def test_top_classes_refuses_nan_scores_and_names_that_are_no_list():
    """NaN scores were ranked and returned as NaN; ``None`` as names was a TypeError."""
    names = ["a", "b", "c"]
    assert refusal(lambda: top_classes(np.full((2, 3), np.nan), names)) == (
        "scores contains NaN or infinite values; pass the model's scores."
    )
    assert refusal(lambda: top_classes(np.ones((2, 3)), None)) == (
        "class_names must be a list of the model's class names, got None."
    )


def test_sound_events_refuse_a_threshold_as_text_and_end_with_the_clip():
    """``threshold="0.5"`` was a TypeError; a short duration gave events after the clip's end
    (a 1 s clip had one from 1.69 s to 1.69 s)."""
    from yamnet_lesson.classes import sound_events

    names = ["a", "b", "c"]
    assert refusal(lambda: sound_events(np.ones((2, 3)), names, threshold="0.5")) == (
        "threshold must be a number between 0 and 1, got '0.5'."
    )
    scores = np.zeros((4, 3))
    scores[2:, 1] = 1  # "b" heard in windows 2 and 3, which begin after a clip of 1 s
    assert sound_events(scores, names, duration=1.0) == []


@pytest.mark.parametrize(
    "labels",
    [[1, "a", 1, "a"], ["a", ("b", 1), "a", ("b", 1)], ["", b"\x80", "", b"\x80"]],
    ids=["int-and-str", "str-and-tuple", "str-and-bytes"],
)
def test_labels_of_mixed_types_are_kept_as_they_are(labels):
    """``[1, "a"]`` became the strings "1", "a"; str with tuples or bytes raised ValueError."""
    from yamnet_lesson.training import _encode

    train_audio, train_labels, _, val_labels = signals.split_reference(
        REFERENCE[:, :4], labels, 1, verbose=False
    )
    assert train_labels.tolist() == labels[:2] and val_labels.tolist() == labels[2:]
    classes, codes = _encode(labels, np.arange(4), "train_labels")
    assert classes == labels[:2] and codes.tolist() == [0, 1, 0, 1]


def test_a_nan_label_is_refused():
    """NaN equals no label: its clips were 'never seen in training', a misleading sentence."""
    labels = ["a", float("nan"), "a", float("nan")]
    assert refusal(lambda: signals.split_reference(REFERENCE[:, :4], labels, 1)) == (
        "labels[1] is NaN, which equals no label (not even another NaN); name that class, "
        "e.g. 'unknown'."
    )


@pytest.mark.parametrize(
    ("args", "start"),
    [
        ((REFERENCE.T, ["white"] * 6), "audio has shape (6, 15680), which reads as 15,680 clips"),
        ((REFERENCE, ["white"] * 5), "audio must be (samples, signals) with one label per column"),
        ((REFERENCE, ["a", "b"] * 3, -1), "seed must be a whole number from 0 to"),
        ((REFERENCE, ["a"] * 5 + ["b"]), "each class needs at least 2 examples"),
    ],
    ids=["transposed", "labels", "seed", "one-example"],
)
def test_the_trainer_refuses_bad_data_when_made(args, start):
    """It was refused only when Train was pressed, as 'Cannot train: ...' under the widgets."""
    from yamnet_lesson.widgets import InteractiveTrainer

    clips, labels, *seed = args
    assert refusal(
        lambda: InteractiveTrainer(clips, labels, seed=seed[0] if seed else 0)
    ).startswith(start)


def test_generators_refuse_more_samples_than_memory_holds():
    """``white_noise(10**12)`` was a MemoryError (or filled the memory of a 2 GB session)."""
    assert refusal(lambda: signals.white_noise(10**12)) == (
        "n_samples x n_signals must be at most 134,217,728 (512 MB of float32 audio), got "
        "1,000,000,000,000."
    )


def test_demo_clip_keeps_to_full_scale_and_takes_every_seed():
    """``level=1e300`` gave a clip of inf; the largest seed was refused as 2**32 (seed + 1)."""
    assert refusal(lambda: signals.demo_clip(level=1e300)) == (
        "level must be a number above 0 and at most 1, got 1e+300."
    )
    clip, _ = signals.demo_clip(seed=2**32 - 1, segment_seconds=0.1)
    assert clip.shape == (8_000,) and np.all(np.isfinite(clip))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-(2**63) - 1, "x must be a number above 0, got -9223372036854775809."),
        (np.float32(128.23528), "x must be a number above 0 and at most 128.235, got 128.23528."),
    ],
    ids=["int-below-int64", "float32-just-above"],
)
def test_check_positive_compares_the_number_it_returns(value, message):
    """A Python int beyond int64 was a TypeError; float32 just above ``high`` was let through."""
    from yamnet_lesson.validation import check_positive

    assert refusal(lambda: check_positive(value, "x", 128.23526994077156 if "128" in message
                                          else None)) == message  # fmt: skip


def test_fine_tune_refuses_callbacks_before_computing_any_feature(monkeypatch):
    """``callbacks=ProgressTable`` was refused only after YAMNet's features were computed."""
    from yamnet_lesson import _fast, training
    from yamnet_lesson.progress import ProgressTable

    def no_feature_work(*args, **kwargs):
        raise AssertionError("feature work started before the callbacks were checked")

    monkeypatch.setattr(_fast, "cached_patches", no_feature_work)
    assert refusal(
        lambda: training.fine_tune(REFERENCE, ["a", "b"] * 3, callbacks=ProgressTable)
    ).startswith("callbacks must be Keras callbacks such as ProgressTable() (with the parentheses)")


# --------------------------------------------------------------------------- the README's table


def _said(call) -> list[str]:
    """What ``call`` tells the student: the LessonError's sentence and any warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
            said = []
        except LessonError as error:
            said = [str(error)]
    return said + [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _noise_labels(n: int) -> np.ndarray:
    return np.repeat(np.array(["white", "brown", "pink"]), n)


def _network(outputs: int, activation: str | None):
    from yamnet_lesson._tensorflow import keras

    inputs = keras.Input((96, 64))
    x = keras.layers.Dense(outputs, activation=activation)(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, x)


def _fine_tune(*args, **kwargs):
    from yamnet_lesson.training import fine_tune

    return fine_tune(*args, **kwargs)


def _progress_table():
    from yamnet_lesson.progress import ProgressTable

    return ProgressTable


def _trainer(*args, **kwargs):
    from yamnet_lesson.widgets import InteractiveTrainer

    return InteractiveTrainer(*args, **kwargs)


def _nan_file(tmp_path):
    path = tmp_path / "nan.wav"
    soundfile.write(path, np.full(800, np.nan), SECOND, subtype="FLOAT")
    return path


README_CASES = {
    # name in the README's "checked by" column -> (tmp_path -> call whose words it quotes)
    "k-too-large": lambda _: signals.split_reference(
        np.broadcast_to(np.float32(0), (500, 300)), _noise_labels(100), 100, verbose=False
    ),
    "epochs-0": lambda _: _fine_tune(REFERENCE, ["a", "b"] * 3, epochs=0),
    "one-example": lambda _: check_examples_per_class(1, ["a", "a", "b"]),
    "transposed": lambda _: _fine_tune(np.zeros((9, 15_680), np.float32), _noise_labels(3)),
    "short-clips": lambda _: features.clip_patches(REFERENCE[:100]),
    "number-for-validation-audio": lambda _: _fine_tune(REFERENCE, ["a", "b"] * 3, 5),
    "network": lambda _: [
        _said(lambda: _fine_tune(REFERENCE, _noise_labels(2), network=_network(521, "softmax"))),
        _said(lambda: _fine_tune(REFERENCE, _noise_labels(2), network=_network(3, None))),
    ],
    "callbacks-class": lambda _: _fine_tune(REFERENCE, ["a", "b"] * 3, callbacks=_progress_table()),
    "seed-2**32": lambda _: signals.white_noise(10, seed=2**32),
    "trainer-transposed": lambda _: _trainer(REFERENCE.T, _noise_labels(2)),
    "empty-file": lambda _: audio.read_audio_bytes(b"", "notes.wav"),
    "unreadable-upload": lambda _: audio.read_audio_bytes(b"not a sound", "notes.wav"),
    "nan-audio": lambda tmp_path: audio.read_audio(_nan_file(tmp_path)),
    "folder": lambda tmp_path: audio.read_audio(tmp_path),
    "name-too-long": lambda tmp_path: audio.read_audio(tmp_path / ("x" * 300 + ".wav")),
    "int-as-bytes": lambda _: audio.read_audio_bytes(5),
    "max-seconds-inf": lambda _: audio.read_audio_bytes(b"RIFF", max_seconds=float("inf")),
    "slope-of-silence": lambda _: signals.spectral_slope(np.zeros(SECOND)),
    "nan-scores": lambda _: top_classes(np.full((2, 3), np.nan), ["a", "b", "c"]),
    "nan-label": lambda _: signals.split_reference(
        REFERENCE[:, :4], ["a", float("nan")] * 2, 1, verbose=False
    ),
    "too-many-samples": lambda _: signals.white_noise(10**12),
}


def _readme_rows() -> list[tuple[str, str, str]]:
    """The README's Troubleshooting table: (what happens, what the student sees, checked by)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = text.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]  # no header
    cells = [tuple(cell.strip() for cell in row.strip("|").split(" | ")) for row in rows]
    assert cells and all(len(row) == 3 for row in cells), "a row without three cells"
    return cells


def _quote_pattern(quote: str) -> re.Pattern:
    """A quoted message of the README as a pattern: ``...`` stands for anything left out."""
    return re.compile(".*".join(re.escape(part.strip()) for part in quote.split("...")), re.S)


@pytest.mark.parametrize("row", _readme_rows(), ids=lambda row: row[2].strip("`"))
def test_the_readme_table_says_what_the_code_says(row, tmp_path):
    """Each row is a case of README_CASES (its quotes are what the code says) or a named test."""
    what, seen, checked_by = row
    checked_by = checked_by.strip("`")
    quotes = re.findall(r'"([^"]*)"', seen)
    if checked_by.startswith("misuse:"):
        call = README_CASES[checked_by.removeprefix("misuse:")]
        said = _said(lambda: call(tmp_path))
        if not said:  # a case that gathers what several calls said
            said = [message for messages in call(tmp_path) for message in messages]
        assert quotes, f"row {what!r} names a case but quotes no message"
        for quote in quotes:  # the whole message, but for what "..." leaves out
            assert any(_quote_pattern(quote).fullmatch(message) for message in said), (quote, said)
    else:
        path, name = checked_by.split("::")
        from pathlib import Path

        source = (Path(__file__).resolve().parents[1] / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.M), f"{checked_by} is no test"


def test_every_readme_case_is_in_the_readme():
    named = {row[2].strip("`").removeprefix("misuse:") for row in _readme_rows()}
    assert set(README_CASES) <= named, set(README_CASES) - named


def test_window_edges_of_more_windows_than_memory_holds_are_refused():
    """``window_edges(10**12)`` was a MemoryError."""
    from yamnet_lesson.classes import window_edges

    assert refusal(lambda: window_edges(10**12)) == (
        "n_windows must be between 1 and 16777216, got 1000000000000."
    )


def test_a_learning_rate_above_1_is_refused_before_training():
    """``learning_rate=1e30`` trained to NaN weights: every probability was NaN."""
    assert refusal(lambda: _fine_tune(REFERENCE, ["a", "b"] * 3, learning_rate=1e30)) == (
        "learning_rate must be a number above 0 and at most 1, got 1e+30."
    )


def test_a_file_name_with_a_newline_stays_one_line(tmp_path):
    """``read_class_names("map.csv\\n")`` (a name pasted with its line end) broke the sentence."""
    from yamnet_lesson.classes import read_class_names

    assert refusal(lambda: read_class_names(tmp_path / "map.csv\n")) == (
        f"The class map {tmp_path}/map.csv\\n could not be read (No such file or directory)."
    )
    assert refusal(lambda: audio.read_audio(tmp_path / "clip.wav\n")) == (
        f"{tmp_path}/clip.wav\\n does not exist; check the file name and folder."
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda: features.resample(PINK, 3),
        lambda: features.log_mel_spectrogram(PINK, 1),
        lambda: features.clip_patches([PINK], 10**7),
    ],
    ids=["resample", "log_mel_spectrogram", "clip_patches"],
)
def test_a_sample_rate_yamnet_cannot_hear_is_refused(call):
    """At 3 Hz, one second of samples became 1.5 hours at 16 kHz: predict ran for minutes."""
    assert refusal(call).startswith(
        "sample_rate must be a whole number of Hz from 250 to 1,000,000 (YAMNet hears 125 to "
        "7,500 Hz), got "
    )


def test_pink_noise_of_one_sample_is_refused_not_nan():
    """``pink_noise(1)`` (and ``noise_dataset(sample_rate=1, seconds=1)``) was NaN: 0 / 0."""
    message = (
        "n_samples must be at least 2 for pink noise (one sample has no frequency but 0 Hz, "
        "which pink noise leaves out), got 1."
    )
    assert refusal(lambda: signals.pink_noise(1)) == message
    assert refusal(lambda: signals.noise_dataset(1, seconds=1, sample_rate=1)) == message
    assert np.all(np.isfinite(signals.pink_noise(2, 3, seed=0)))


def test_the_exported_file_checks_its_sample_rate_first():
    """``ExportedClassifier.predict_proba(clip, Decimal("Infinity"))`` raised a TypeError
    from inside the clip checks (found by the fuzzing of the exported file, which runs a
    real exported file in tests/test_fuzz.py). Checked first, so no file is needed here."""
    from decimal import Decimal

    from yamnet_lesson.export import ExportedClassifier

    clip = REFERENCE[:, 0]
    for call in (ExportedClassifier.predict_proba, ExportedClassifier.classify_windows):
        assert refusal(lambda call=call: call(None, clip, Decimal("Infinity"))).startswith(
            "sample_rate must be a whole number of Hz from 250 to 1,000,000"
        )


@pytest.mark.parametrize(
    ("to", "said"),
    [
        ("", "--to is empty; give a file or folder name."),
        ("\0", "--to contains a NUL character"),
        ("x" * 300, "is too long for the file system"),
        ("dl\n", "dl\\n"),  # the name shown with its escape: the message stays one line
    ],
    ids=["empty", "nul", "too-long", "newline"],
)
def test_download_to_an_odd_folder_says_one_line(to, said, tmp_path, monkeypatch, capsys):
    """Found by fuzzing ``download --to``: an empty name fell back to the cache, NUL and
    over-long names raised ValueError / OSError tracebacks, a newline split the line."""
    from yamnet_lesson.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("YAMNET_LESSON_DOWNLOAD_URL", "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(SystemExit) as stop:
        main(["download", "--to", to])
    err = capsys.readouterr().err.strip()
    assert stop.value.code not in (0, None) and len(err.splitlines()) == 1, err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / ".cache").exists()
