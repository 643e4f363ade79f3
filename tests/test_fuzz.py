"""Every public function that takes user data, fed what nobody listed (Hypothesis).

The property, for each: the function returns a correct result (the same as for
a simple reference input where one exists: the same samples as clean,
contiguous float32) or raises :class:`LessonError` with one sentence -- never
another exception, a NaN result, or a file written outside the place it was
told to write.  Inputs: arrays of every dtype, shape, memory layout and value
(NaN, inf, huge, empty, int, bool, object, complex, text), paths of every kind
(a folder, a missing file, ``~``, a name that is not UTF-8, a file of another
format, a truncated or empty file, a name too long for the file system),
numbers of every sign and type, labels of every hashable type.

Example counts come from the Hypothesis profile conftest.py loads: a few,
always the same, in the everyday run; many more, freshly drawn, with --full.
What trains or loads YAMNet runs a handful of examples on one model per module.
Anything these tests find becomes a named case in tests/test_misuse.py.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from yamnet_lesson import LessonError, audio, classes, features, signals
from yamnet_lesson.validation import (
    check_examples_per_class,
    check_int,
    check_positive,
    check_seed,
)

SECOND = 16_000
PINK = signals.pink_noise(20_000, seed=3)[:, 0] * 0.5
FIXTURES = [HealthCheck.function_scoped_fixture]  # fixtures here are set up once per test


def few(n: int) -> settings:
    """``n`` examples in the everyday run, 4 n with --full: for what loads or trains YAMNet."""
    full = settings().max_examples > 100  # the profile conftest.py loaded
    return settings(max_examples=4 * n if full else n, suppress_health_check=FIXTURES)


FEW = few(6)


# --------------------------------------------------------------------------- the property


def one_sentence(error: LessonError) -> str:
    message = str(error)
    assert message and "\n" not in message, f"not one line: {message!r}"
    assert message.endswith((".", ".)")), f"not a sentence: {message!r}"
    assert len(message) < 700, f"a wall of text: {message!r}"
    return message


def outcome(call):
    """``call()``'s result, or None if it raised LessonError with one sentence.

    Any other exception fails the test (Hypothesis then shrinks the input)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # warnings are allowed: a little beyond [-1, 1]
        try:
            return call()
        except LessonError as error:
            one_sentence(error)
            return None


def no_nan(result) -> None:
    """No NaN or infinity anywhere in ``result`` (arrays, tuples, lists, numbers)."""
    if isinstance(result, (tuple, list)):
        for item in result:
            no_nan(item)
    elif isinstance(result, np.ndarray) and result.dtype.kind in "fc":
        assert np.all(np.isfinite(result)), "a NaN or infinite result"
    elif isinstance(result, float):
        assert math.isfinite(result), "a NaN or infinite result"


# --------------------------------------------------------------------------- strategies

DTYPES = st.sampled_from(
    [
        np.float16, np.float32, np.float64, np.longdouble,
        np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
        np.bool_, np.complex64, np.complex128,
    ]
)  # fmt: skip


@st.composite
def arrays(draw, min_side: int = 0, max_side: int = 40):
    """Arrays of any dtype, 0 to 3 dimensions, any values, any memory layout."""
    dtype = np.dtype(draw(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=max_side))
    array = draw(hnp.arrays(dtype, shape))
    return draw(layouts(array))


@st.composite
def long_audio(draw):
    """Arrays long enough to be heard: (samples,) or (samples, 1 to 3), mostly plausible."""
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64, np.int16, np.int32, np.uint8])))
    n = draw(st.integers(300, 20_000))
    columns = draw(st.sampled_from([None, 1, 2, 3]))
    shape = (n,) if columns is None else (n, columns)
    if dtype.kind == "f":
        base = draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 3.0, 1e30, np.nan, np.inf]))
        fill = st.just(base)
        elements = st.floats(-1, 1, width=32) | st.sampled_from([base, -base])
    else:
        info = np.iinfo(dtype)
        fill = st.integers(info.min, info.max)
        elements = fill
    array = draw(hnp.arrays(dtype, shape, elements=elements, fill=fill))
    if dtype.kind == "f" and base == 0.0:  # mostly quiet noise with a few drawn samples
        array = array + (PINK[: array.shape[0]] * 0.1).reshape((-1,) + (1,) * (array.ndim - 1))
        array = array.astype(dtype)
    return draw(layouts(array))


@st.composite
def layouts(draw, array: np.ndarray):
    """The same values in another memory layout: C, Fortran, strided, read-only, a list."""
    kind = draw(st.sampled_from(["c", "fortran", "strided", "readonly", "list", "big-endian"]))
    if kind == "fortran":
        return np.asfortranarray(array)
    if kind == "strided" and array.ndim:
        doubled = np.repeat(array, 2, axis=0)
        return doubled[::2]
    if kind == "readonly":
        array = array.copy()
        array.flags.writeable = False
        return array
    if kind == "list" and array.dtype.kind in "fiub" and array.ndim == 1:
        return array.tolist()  # one waveform (a list of lists is a list of clips)
    if kind == "big-endian" and array.dtype.kind in "fiuc" and array.dtype.itemsize > 1:
        return array.astype(array.dtype.newbyteorder(">"))
    return array


def reference(value) -> np.ndarray:
    """The same samples as clean, native, contiguous float32 (integer PCM scaled)."""
    array = np.asarray(value)
    array = array.astype(array.dtype.newbyteorder("="))
    if array.dtype.kind in "iu" and array.dtype.itemsize <= 4:
        half = 2.0 ** (8 * array.dtype.itemsize - 1)
        scaled = array.astype(np.float32)
        if array.dtype.kind == "u":
            scaled -= np.float32(half)
        return np.ascontiguousarray(scaled * np.float32(1 / half))
    return np.ascontiguousarray(array, dtype=np.float32)


ODD_VALUES = st.sampled_from(
    [None, "5", b"5", [], (), {}, {1}, object(), 1j, np.nan, -np.inf, Path("x"), np.array([3])]
)
NUMBERS = (
    st.integers(-(2**70), 2**70)
    | st.integers(-3, 70_000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.integers(-5, 5).map(np.int64)
    | st.integers(0, 255).map(np.uint8)
    | st.floats(-1e6, 1e6).map(np.float32)
    | st.fractions(-10, 10)
    | st.decimals(allow_nan=True)
    | ODD_VALUES
)
LABELS = st.one_of(
    st.text(max_size=5),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.tuples(st.integers(0, 2), st.text(max_size=2)),
    st.frozensets(st.integers(0, 2), max_size=2),
    st.binary(max_size=3),
    st.integers(0, 3).map(np.int64),
    st.sampled_from(["white", "brown", "pink"]),
)


# --------------------------------------------------------------------------- validation


@given(value=NUMBERS, low=st.integers(-5, 5), high=st.none() | st.integers(-5, 10))
def test_check_int_returns_an_int_in_range_or_one_sentence(value, low, high):
    got = outcome(lambda: check_int(value, "n", low, high))
    if got is not None:
        assert type(got) is int and got == value and low <= got
        assert high is None or got <= high


@given(value=NUMBERS, high=st.none() | st.floats(0.5, 1e3))
def test_check_positive_returns_a_finite_positive_float_or_one_sentence(value, high):
    got = outcome(lambda: check_positive(value, "x", high))
    if got is not None:
        assert type(got) is float and math.isfinite(got) and got > 0
        assert high is None or got <= high


@given(value=NUMBERS)
def test_check_seed_returns_a_seed_numpy_and_keras_take_or_one_sentence(value):
    got = outcome(lambda: check_seed(value))
    if got is not None:
        assert type(got) is int and 0 <= got <= 2**32 - 1
        np.random.RandomState(got)


@given(k=NUMBERS, labels=st.lists(LABELS, max_size=12))
def test_check_examples_per_class_names_a_k_every_class_allows(k, labels):
    got = outcome(lambda: check_examples_per_class(k, labels))
    if got is not None:
        counts = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        assert 1 <= got <= min(counts.values()) - 1


# --------------------------------------------------------------------------- features, signals

FEATURE_CALLS = {
    "log_mel_spectrogram": lambda x, rate: features.log_mel_spectrogram(x, rate),
    "resample": lambda x, rate: features.resample(x, rate),
    "pad_for_patches": lambda x, rate: features.pad_for_patches(x),
    "waveform_to_patches": lambda x, rate: features.waveform_to_patches(x, rate),
    "clip_patches": lambda x, rate: features.clip_patches(x, rate),
    "power_spectrum": lambda x, rate: signals.power_spectrum(x, rate),
    "spectral_slope": lambda x, rate: signals.spectral_slope(x, rate),
}
RATES = st.sampled_from([16_000, 8_000, 44_100]) | NUMBERS


@pytest.mark.parametrize("name", FEATURE_CALLS)
@given(data=st.data())
def test_audio_helpers_answer_as_for_clean_float32_or_one_sentence(name, data):
    call = FEATURE_CALLS[name]
    samples = data.draw(arrays() | long_audio(), label="samples")
    rate = data.draw(RATES, label="sample_rate")
    got = outcome(lambda: call(samples, rate))
    if got is None:
        return
    no_nan(got)
    expected = outcome(lambda: call(reference(samples), rate))
    assert expected is not None, "refused as clean float32 but answered as given"
    for a, b in zip(
        got if isinstance(got, tuple) else [got],
        expected if isinstance(expected, tuple) else [expected],
        strict=True,
    ):  # noqa: E501
        np.testing.assert_array_equal(a, b)


@given(
    n_samples=NUMBERS,
    n_signals=st.integers(-1, 4) | NUMBERS,
    seed=st.none() | NUMBERS,
    make=st.sampled_from([signals.white_noise, signals.brown_noise, signals.pink_noise]),
)
def test_noise_generators_give_full_scale_float32_or_one_sentence(make, n_samples, n_signals, seed):
    got = outcome(lambda: make(n_samples, n_signals, seed=seed))
    if got is not None:
        assert got.dtype == np.float32 and got.shape == (n_samples, n_signals)
        no_nan(got)
        assert np.abs(got).max() <= 1


@given(n=NUMBERS, seconds=NUMBERS, rate=RATES, seed=NUMBERS)
def test_noise_dataset_or_one_sentence(n, seconds, rate, seed):
    got = outcome(lambda: signals.noise_dataset(n, seconds=seconds, sample_rate=rate, seed=seed))
    if got is not None:
        audio_, labels = got
        assert audio_.shape[1] == 3 * int(n) == labels.shape[0]
        no_nan(audio_)


@given(
    speech=st.none() | arrays() | long_audio(),
    seconds=NUMBERS | st.floats(0.01, 3),
    level=NUMBERS | st.floats(0.01, 1),
    seed=NUMBERS,
)
def test_demo_clip_stays_within_its_level_or_one_sentence(speech, seconds, level, seed):
    got = outcome(
        lambda: signals.demo_clip(speech, segment_seconds=seconds, level=level, seed=seed)
    )
    if got is not None:
        clip, segments = got
        no_nan(clip)
        assert clip.dtype == np.float32 and np.abs(clip).max() <= level * (1 + 1e-6)
        assert len(segments) == 5 and segments[-1].end == pytest.approx(len(clip) / SECOND)


@given(n_samples=NUMBERS, rate=RATES)
def test_siren_or_one_sentence(n_samples, rate):
    got = outcome(lambda: signals.siren(n_samples, rate))
    if got is not None:
        assert got.shape == (n_samples,)
        no_nan(got)


@given(data=st.data())
def test_split_reference_keeps_k_of_each_label_of_any_type(data):
    labels = data.draw(st.lists(LABELS, min_size=0, max_size=10) | ODD_VALUES, label="labels")
    n = len(labels) if isinstance(labels, list) else data.draw(st.integers(0, 4))
    clips = data.draw(st.sampled_from([np.zeros((500, n), np.float32)]) | arrays(), label="audio")
    k = data.draw(st.integers(0, 4) | NUMBERS, label="k")
    got = outcome(lambda: signals.split_reference(clips, labels, k, verbose=False))
    if got is not None:
        train_audio, train_labels, val_audio, val_labels = got
        assert train_audio.shape[1] == len(train_labels) and val_audio.shape[1] == len(val_labels)
        assert len(train_labels) + len(val_labels) == len(labels)


# --------------------------------------------------------------------------- classes


@given(
    scores=arrays(max_side=6) | hnp.arrays(np.float32, (4, 3), elements=st.floats(0, 1, width=32)),
    names=st.sampled_from([["a", "b", "c"], [], "abc", None, ["a"], ("a", "b", "c")]),
    top=NUMBERS | st.integers(1, 3),
)
def test_top_classes_are_the_highest_mean_scores_or_one_sentence(scores, names, top):
    got = outcome(lambda: classes.top_classes(scores, names, top))
    if got is not None:
        mean = np.asarray(scores, np.float64).reshape(-1, len(names)).mean(axis=0)
        assert [score for _, score in got] == sorted(mean, reverse=True)[:top]
        no_nan([score for _, score in got])


@given(
    scores=arrays(max_side=6) | hnp.arrays(np.float32, (4, 3), elements=st.floats(0, 1, width=32)),
    threshold=NUMBERS | st.floats(0, 1),
    duration=st.none() | NUMBERS,
)
def test_sound_events_are_within_the_clip_or_one_sentence(scores, threshold, duration):
    got = outcome(lambda: classes.sound_events(scores, ["a", "b", "c"], threshold=threshold,
                                               duration=duration))  # fmt: skip
    if got is not None:
        end = math.inf if duration is None else float(duration)
        for event in got:
            assert 0 <= event.start < event.end <= end and math.isfinite(event.score)


@given(n=NUMBERS, duration=st.none() | NUMBERS)
def test_window_edges_rise_or_one_sentence(n, duration):
    got = outcome(lambda: classes.window_edges(n, duration))
    if got is not None:
        no_nan(got)
        assert got.shape == (int(n) + 1,) and np.all(np.diff(got) >= 0)


# --------------------------------------------------------------------------- paths and files


def _wav_bytes(samples: np.ndarray, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    import io

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, SECOND, subtype=subtype, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A folder of files of every kind, with HOME pointed at it (for ``~``)."""
    root = tmp_path_factory.mktemp("fuzz_paths")
    wav = _wav_bytes(PINK)
    (root / "clip.wav").write_bytes(wav)
    (root / "clip.flac").write_bytes(_wav_bytes(PINK, "PCM_16", "FLAC"))
    (root / "float.wav").write_bytes(_wav_bytes(PINK * 1.7, "FLOAT"))
    (root / "nan.wav").write_bytes(_wav_bytes(np.full(800, np.nan), "FLOAT"))
    (root / "loud.wav").write_bytes(_wav_bytes(PINK * 1000, "DOUBLE"))
    (root / "empty.wav").write_bytes(b"")
    (root / "header.wav").write_bytes(wav[:30])
    (root / "cut.wav").write_bytes(wav[: len(wav) // 2 + 1])  # an odd byte cut off a sample
    (root / "text.wav").write_text("not a sound\n")
    (root / "notes.txt").write_text("index,mid,display_name\n0,/m/x,Speech\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (root / "folder").mkdir()
    (root / "folder" / "clip.wav").write_bytes(wav)
    (root / "unreadable.wav").write_bytes(wav)
    (root / "unreadable.wav").chmod(0)
    os.symlink(root / "missing.wav", root / "dangling.wav")
    with contextlib.suppress(OSError, UnicodeError):  # a file system of UTF-8 names only
        (root / os.fsdecode(b"\xff\xfe.wav")).write_bytes(wav)
    return root


def path_kinds(root: Path):
    """Every kind of path a student types (as str, Path or bytes), or something else."""
    names = [
        "clip.wav", "clip.flac", "float.wav", "nan.wav", "loud.wav", "empty.wav", "header.wav",
        "cut.wav", "text.wav", "notes.txt", "image.png", "folder", "folder/", "unreadable.wav",
        "dangling.wav", "missing.wav", "folder/clip.wav", "clip.wav/inside.wav",
        os.fsdecode(b"\xff\xfe.wav"), "x" * 300 + ".wav", "x/" * 3000 + "y.wav", "nul\0.wav",
        "", ".", "..",
    ]  # fmt: skip
    in_root = st.sampled_from(names).map(lambda name: str(root / name) if name else name)
    home = st.sampled_from(["~/clip.wav", "~/folder", "~/missing.wav", "~nobody_here/clip.wav"])
    drawn = st.text(max_size=20).map(lambda name: str(root / "drawn" / name))
    as_type = st.sampled_from([str, Path, os.fsencode])
    paths = st.builds(lambda p, kind: kind(p), in_root | home | drawn, as_type)
    return paths | ODD_VALUES | st.integers() | st.just(root)


def files_in(root: Path) -> dict[str, float]:
    return {str(p): p.lstat().st_mtime_ns for p in root.rglob("*") if p.name != "dangling.wav"}


@pytest.fixture
def home(place, monkeypatch):
    monkeypatch.setenv("HOME", str(place))
    monkeypatch.chdir(place)
    return place


@settings(suppress_health_check=FIXTURES)
@given(data=st.data())
def test_read_audio_reads_what_soundfile_reads_or_one_sentence(home, data, capsys):
    path = data.draw(path_kinds(home), label="path")
    max_seconds = data.draw(st.just(600.0) | NUMBERS | st.floats(0, 2), label="max_seconds")
    before = files_in(home)
    got = outcome(lambda: audio.read_audio(path, max_seconds=max_seconds))
    assert files_in(home) == before, "read_audio wrote or removed a file"
    capsys.readouterr()
    if got is not None:
        waveform, rate = got
        expected, expected_rate = soundfile.read(
            os.path.expanduser(os.fsdecode(path)), dtype="float32", always_2d=True
        )
        n = min(expected.shape[0], int(float(max_seconds) * expected_rate))
        assert rate == expected_rate and waveform.dtype == np.float32
        np.testing.assert_array_equal(waveform, expected[:n].mean(axis=1))
        no_nan(waveform)


@given(
    content=st.binary(max_size=200)
    | st.sampled_from([_wav_bytes(PINK), _wav_bytes(PINK)[:44], _wav_bytes(PINK)[:1001]])
    | st.builds(bytearray, st.binary(max_size=10))
    | NUMBERS
    | st.text(max_size=10),
    name=st.text(max_size=10) | st.binary(max_size=5) | ODD_VALUES,
    max_seconds=st.just(600.0) | NUMBERS,
)
def test_read_audio_bytes_reads_audio_or_one_sentence(content, name, max_seconds, capsys):
    got = outcome(lambda: audio.read_audio_bytes(content, name, max_seconds=max_seconds))
    capsys.readouterr()
    if got is not None:
        waveform, rate = got
        assert isinstance(content, (bytes, bytearray)) and rate > 0
        no_nan(waveform)


@settings(suppress_health_check=FIXTURES)
@given(data=st.data())
def test_read_class_names_or_one_sentence(home, data):
    path = data.draw(path_kinds(home), label="path")
    got = outcome(lambda: classes.read_class_names(path))
    if got is not None:
        assert all(isinstance(name, str) for name in got)


# --------------------------------------------------------------------------- YAMNet's loaders


@FEW
@given(data=st.data())
def test_yamnet_loaders_load_google_s_file_or_one_sentence(home, data):
    from yamnet_lesson import assets, export, official, yamnet

    loader = data.draw(
        st.sampled_from(
            [yamnet.tflite_weights, official.official_yamnet, yamnet.load_yamnet,
             lambda p: yamnet.build_yamnet(3, p), export.load_exported]
        ),
        label="loader",
    )  # fmt: skip
    path = data.draw(path_kinds(home), label="path")
    assume(path is not None)  # None: "find Google's file", as the other tests do
    before = files_in(home)
    got = outcome(lambda: loader(path))
    assert files_in(home) == before
    assert got is None, f"loaded YAMNet from {path!r}, which holds no YAMNet file"
    assert assets.find_file(assets.YAMNET_TFLITE).is_file()


@FEW
@given(num_classes=NUMBERS | st.integers(-2, 6), weights=st.sampled_from([None, "auto", "nope"]))
def test_build_yamnet_has_num_classes_outputs_or_one_sentence(num_classes, weights):
    from yamnet_lesson.yamnet import build_yamnet

    assume(not (isinstance(num_classes, int) and num_classes > 600))  # a big model: slow
    got = outcome(lambda: build_yamnet(num_classes, weights))
    if got is not None:
        assert got.output_shape == (None, num_classes)


@pytest.fixture(scope="module")
def yamnet_model():
    from yamnet_lesson.yamnet import load_yamnet

    return load_yamnet()


@FEW
@given(samples=arrays() | long_audio(), top=NUMBERS | st.integers(1, 5))
def test_yamnet_hears_any_waveform_or_says_one_sentence(yamnet_model, samples, top):
    got = outcome(lambda: yamnet_model(samples))
    if got is None:
        return
    no_nan(got)
    heard = outcome(lambda: yamnet_model.top_classes(got[0], top))
    if heard is not None:
        assert len(heard) == top and all(0 <= score <= 1 for _, score in heard)


# --------------------------------------------------------------------------- training


@pytest.fixture(scope="module")
def fitted():
    """One small classifier (mode "head", a few steps) for predict and export."""
    from yamnet_lesson.training import fine_tune

    data, labels = signals.noise_dataset(3, seed=0)
    return fine_tune(data, labels, mode="head", epochs=3, seed=0)


@few(10)
@given(samples=arrays() | long_audio(), rate=st.none() | RATES)
def test_predict_answers_as_for_clean_float32_or_one_sentence(fitted, samples, rate):
    answers_as_for_clean_float32(fitted, samples, rate, rtol=1e-5)


def answers_as_for_clean_float32(model, samples, rate, rtol: float) -> None:
    """``model.predict_proba`` / ``predict``: probabilities summing to 1 (within ``rtol``), the
    same as for the samples as clean float32, names among its classes; or one sentence."""
    probabilities = outcome(lambda: model.predict_proba(samples, rate))
    if probabilities is None:
        return
    no_nan(probabilities)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=rtol)
    clean = reference(samples) if not isinstance(samples, list) else samples
    expected = outcome(lambda: model.predict_proba(clean, rate))
    np.testing.assert_array_equal(probabilities, expected)
    assert set(outcome(lambda: model.predict(samples, rate))) <= set(model.class_names)


SETTINGS = {
    "epochs": NUMBERS,
    "batch_size": NUMBERS,
    "learning_rate": NUMBERS,
    "validation_frequency": NUMBERS,
    "seed": NUMBERS,
    "sample_rate": NUMBERS,
    "mode": st.text(max_size=8) | ODD_VALUES | st.sampled_from(["head", "HEAD", " head"]),
    "callbacks": ODD_VALUES | st.text(max_size=3),
}


@given(
    name=st.sampled_from(sorted(SETTINGS)),
    data=st.data(),
)
def test_fine_tune_refuses_a_bad_setting_before_any_work(name, data, monkeypatch):
    """Settings are checked at the boundary; what passes is what trains (not trained here)."""
    from yamnet_lesson import training

    value = data.draw(SETTINGS[name], label=name)

    class Started(Exception):
        pass

    def no_work(*args, **kwargs):
        raise Started

    with monkeypatch.context() as patch:
        patch.setattr(training._fast, "cached_patches", no_work)
        patch.setattr(training, "_yamnet_with_new_head", no_work)
        train, labels = np.zeros((16_000, 4), np.float32), ["a", "b", "a", "b"]
        with contextlib.suppress(Started):
            outcome(lambda: training.fine_tune(train, labels, **{name: value}))


@given(labels=st.lists(LABELS, min_size=4, max_size=4) | ODD_VALUES | st.text(max_size=4))
def test_fine_tune_takes_labels_of_any_hashable_type_or_one_sentence(labels, monkeypatch):
    """Labels are encoded by first appearance, each kept as it is (checked without training)."""
    from yamnet_lesson import training

    got = outcome(lambda: training._encode(labels, np.arange(4), "train_labels"))
    if got is not None:
        names, codes = got
        assert [names[c] for c in codes] == list(labels)


@few(3)
@given(data=st.data())
def test_export_writes_only_into_its_folder_or_says_one_sentence(fitted, home, data):
    kinds = st.sampled_from(["clip.wav", "clip.wav/below", "nul\0", "x" * 300, "", 5, None])
    folder = data.draw(kinds.map(lambda n: str(home / n) if isinstance(n, str) and n else n))
    before = files_in(home)
    got = outcome(lambda: fitted.export(folder))
    assert files_in(home) == before
    assert got is None


@pytest.fixture(scope="module")
def exported(fitted, tmp_path_factory):
    """``fitted`` exported once and loaded back in LiteRT (what notebook 6 runs)."""
    from yamnet_lesson.export import load_exported

    paths = fitted.export(tmp_path_factory.mktemp("exported") / "classifier")
    return load_exported(paths["tflite"])


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
@few(6)
@given(samples=arrays() | long_audio(), rate=st.none() | RATES)
def test_the_exported_file_answers_as_for_clean_float32_or_one_sentence(exported, samples, rate):
    rate = 16_000 if rate is None else rate  # the exported file has no training rate
    answers_as_for_clean_float32(exported, samples, rate, rtol=1e-4)


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
@few(6)
@given(samples=arrays() | long_audio(), rate=st.none() | RATES, whole=st.booleans())
def test_the_exported_file_classifies_windows_within_the_clip_or_one_sentence(
    exported, samples, rate, whole
):
    rate = 16_000 if rate is None else rate
    got = outcome(lambda: exported.classify_windows(samples, rate, whole_hops=whole))
    if got is None:
        return
    starts, probabilities = got
    no_nan(probabilities)
    assert len(starts) == len(probabilities) >= 1 and np.all(np.diff(starts) > 0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-4)


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
@few(3)
@given(samples=arrays() | long_audio(), rate=st.none() | RATES, threshold=NUMBERS, top=NUMBERS)
def test_what_yamnet_hears_gives_events_within_the_clip_or_one_sentence(
    yamnet_model, samples, rate, threshold, top
):
    import matplotlib.pyplot as plt

    from yamnet_lesson.listen import what_yamnet_hears

    rate = 16_000 if rate is None else rate
    got = outcome(
        lambda: what_yamnet_hears(yamnet_model, samples, rate, threshold=threshold, top=top)
    )
    if got is None:
        return
    events, fig = got
    plt.close(fig)
    seconds = np.asarray(samples).shape[0] / rate
    assert all(0 <= e.start <= e.end <= seconds + 1e-6 for e in events), (events, seconds)


# --------------------------------------------------------------------------- the trainer


@given(
    clips=st.sampled_from([np.zeros((15_680, 6), np.float32)]) | arrays(max_side=8),
    labels=st.lists(LABELS, max_size=6) | ODD_VALUES,
    seed=NUMBERS,
)
def test_the_trainer_refuses_bad_data_when_made_not_when_train_is_pressed(clips, labels, seed):
    from yamnet_lesson.widgets import InteractiveTrainer

    trainer = outcome(lambda: InteractiveTrainer(clips, labels, seed=seed))
    if trainer is not None:
        assert np.asarray(trainer.audio).shape[1] == len(trainer.labels)
        assert 0 <= trainer.seed < 2**32


# --------------------------------------------------------------------------- the command line

ARGUMENT = (
    st.text(max_size=6)
    | st.integers(-(2**40), 2**40).map(str)
    | st.floats().map(str)
    | st.sampled_from(["5", "0", "-1", "1e3", "nan", "inf", "4294967296", "", "~", "head"])
)
OPTIONS = ["--k", "--epochs", "--seed", "--mode", "--validation-frequency", "--export"]


@settings(suppress_health_check=FIXTURES)
@given(data=st.data())
def test_the_command_line_answers_in_one_line(data, home, monkeypatch, capsys):
    """``reference`` with any arguments: one error line and status 2, or training starts."""
    from yamnet_lesson import experiments
    from yamnet_lesson.__main__ import main

    pairs = data.draw(st.lists(st.tuples(st.sampled_from(OPTIONS), ARGUMENT), max_size=3))
    argv = ["reference", *(x for pair in pairs for x in pair)]

    class Started(Exception):
        pass

    def no_training(*args, **kwargs):
        raise Started

    monkeypatch.setattr(experiments, "train_on_split", no_training)
    monkeypatch.setattr(signals, "noise_dataset", no_training)
    before = files_in(home)
    try:
        main(argv)
    except Started:
        created = set(files_in(home)) - set(before)
        export = dict(pairs).get("--export")
        assert export is not None or not created, created
        return
    except SystemExit as stop:
        assert stop.code == 2
    finally:
        err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("error:", "python -m yamnet_lesson"))


@settings(suppress_health_check=FIXTURES, max_examples=min(settings().max_examples, 40))
@given(
    to=st.sampled_from(["", "\0", "x" * 300, "a_file", "new/folder", "~/dl", "."])
    | st.text(max_size=12)
)
def test_download_to_any_folder_offline_answers_in_one_line(to, home, monkeypatch, capsys):
    """``download --to`` with any folder, where nothing answers (a closed port on
    127.0.0.1 stands for no internet): one error line and status 1, no traceback,
    no folder left behind that was not there before."""
    from yamnet_lesson.__main__ import main

    monkeypatch.setenv("YAMNET_LESSON_DOWNLOAD_URL", "http://127.0.0.1:9")  # nothing listens
    (home / "a_file").write_bytes(b"not a folder")
    before = files_in(home)
    with pytest.raises(SystemExit) as stop:
        main(["download", "--to", to])
    err = capsys.readouterr().err
    assert stop.value.code not in (0, None), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert set(files_in(home)) <= set(before), set(files_in(home)) - set(before)
