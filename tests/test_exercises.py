"""yl.exercises.check: a right answer passes, typical wrong answers get their own hint.

Every registered exercise has a right answer and at least one typical wrong one
below (a test fails if an exercise is added without them).  Runs that would
need YAMNet (scores, training) are stood in for by small objects with the same
attributes, so the whole file takes seconds.
"""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import yamnet_lesson as yl
from yamnet_lesson import exercises, features, signals
from yamnet_lesson.classes import sound_events
from yamnet_lesson.validation import LessonError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# --- stand-ins for the notebooks' objects -----------------------------------

NAMES = ["Speech", "Music", "Pop music", "Musical instrument", "Static", "Pink noise", "Silence"]
YAMNET = SimpleNamespace(class_names=NAMES)


def brown_scores() -> tuple[np.ndarray, np.ndarray]:
    """Scores (signals, classes): brown's best five by mean differ from all signals' best five."""
    labels = np.array(["white"] * 4 + ["brown"] * 4)
    scores = np.zeros((8, len(NAMES)))
    scores[:4, 4] = 0.9  # white: Static, and Speech: the best over all signals differ from brown's
    scores[:4, 0] = 0.95
    scores[4:] = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.05])
    scores[4, 6] = 0.99  # one brown signal very sure of Silence: the highest, not the best mean
    return scores, labels


def over_time() -> tuple[np.ndarray, np.ndarray]:
    """Four windows (speech, speech, unsure static, silence) for a 2 s clip."""
    scores = np.zeros((4, len(NAMES)))
    scores[0, 0] = scores[1, 0] = 0.9
    scores[2, 4] = 0.3
    scores[3, 6] = 0.8
    return scores, np.zeros(2 * signals.SAMPLE_RATE)


FRONT_END = [
    "RESHAPE",
    "GATHER",
    "MUL",
    "PAD",
    "RFFT2D",
    "COMPLEX_ABS",
    "FULLY_CONNECTED",
    "ADD",
    "LOG",
]
TFLITE = {"tflite": "classifier.tflite"}


def run(mode: str, k: int, accuracy: float = 1.0, model=None, **extra) -> SimpleNamespace:
    """A stand-in for FineTuneResult: K shows in the number of validation clips."""
    return SimpleNamespace(
        mode=mode,
        class_names=["white", "brown", "pink"],
        validation_accuracy=accuracy,
        validation_probabilities=np.full((3 * (100 - k), 3), 1 / 3),
        train_seconds=0.5,
        model=model,
        **extra,
    )


def curve(accuracies: list[float]) -> SimpleNamespace:
    epochs = list(range(1, len(accuracies) + 1))
    return SimpleNamespace(epoch_history={"epoch": epochs, "val_accuracy": accuracies})


@pytest.fixture(scope="module")
def heads():
    """Small networks with an 'embedding' layer and different heads (Keras, no YAMNet)."""
    from yamnet_lesson import keras

    def build(*layers):
        inputs = keras.Input((8,))
        x = keras.layers.Dense(16, name="embedding")(inputs)
        for layer in layers:
            x = layer(x)
        return keras.Model(inputs, x)

    dense, softmax = keras.layers.Dense, keras.layers.Softmax
    return {
        "right": build(dense(32, activation="relu"), dense(3), softmax()),
        "no hidden": build(dense(3), softmax()),
        "linear hidden": build(dense(32), dense(3), softmax()),
        "16 units": build(dense(16, activation="relu"), dense(3), softmax()),
        "hidden last": build(dense(3), dense(32, activation="relu")),
        "no softmax": build(dense(32, activation="relu"), dense(3)),
    }


def small_audio() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    audio = rng.uniform(-0.5, 0.5, (1_000, 6))
    labels = np.array(["white", "brown", "pink"] * 2)
    return audio, labels


def normalised(audio: np.ndarray, labels: np.ndarray) -> np.ndarray:
    louder = audio.copy()
    brown = labels == "brown"
    louder[:, brown] /= np.abs(louder[:, brown]).max(axis=0)
    return louder


# --- every exercise: (answer, keywords) right, and typical wrong ones with a word of their hint


def cases():
    scores, labels = brown_scores()
    means = scores[labels == "brown"].mean(axis=0)
    best = [NAMES[i] for i in np.argsort(means)[::-1][:5]]
    window_scores, clip = over_time()
    events = sound_events(window_scores, NAMES, threshold=0.6, duration=2.0)
    weights = features.mel_filter_bank()
    audio, small_labels = small_audio()
    louder = normalised(audio, small_labels)
    all_at_once = audio.copy()
    all_at_once[:, small_labels == "brown"] /= np.abs(audio[:, small_labels == "brown"]).max()
    signed = audio.copy()
    signed[:, small_labels == "brown"] /= audio[:, small_labels == "brown"].max(axis=0)
    everything = audio / np.abs(audio).max(axis=0)
    results = {"finetune": {1: [1.0, 1.0, 1.0]}, "scratch": {1: [0.68, 0.451, 0.596]}}
    probabilities = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])
    classifier = SimpleNamespace(class_names=["white", "brown", "pink"])
    train_5 = np.repeat(np.array(signals.NOISE_COLORS), 5)
    return {
        "1.1": (
            (train_5, {}),
            [
                (np.repeat(np.array(signals.NOISE_COLORS), 100), {}, "all 300"),
                (np.repeat(np.array(signals.NOISE_COLORS), 95), {}, "validation labels"),
                (np.repeat(np.array(signals.NOISE_COLORS), 3), {}, "K = 5"),
                (np.zeros((10, 15)), {}, "training labels"),
            ],
        ),
        "1.2": ((99, {}), [(100, {}, "refuses"), (98, {}, "not the largest"), ("99", {}, "whole")]),
        "2.1": (
            ("brown", {}),
            [("pink", {}, "only"), ("white", {}, "only"), ("grey", {}, "one colour name")],
        ),
        "2.2": (
            ((128, 50), {}),
            [
                ((50, 128), {}, "swapped"),
                ((64, 50), {}, "not librosa's"),
                ((128, 49), {}, "One frame short"),
                ((128, 31), {}, "320-sample hop"),
                ((96, 64), {}, "YAMNet's own patch"),
            ],
        ),
        "2.3": (
            (weights.sum(axis=1), {}),
            [
                (weights.sum(axis=0), {}, "FFT bin"),
                (weights, {}, "whole filter bank"),
                (weights.max(axis=1), {}, "peaks"),
            ],
        ),
        "3.1": (
            (3, {"yamnet": YAMNET}),
            [
                (2, {"yamnet": YAMNET}, "capital"),
                (["Music", "Speech"], {"yamnet": YAMNET}, "does not contain"),
                (5, {"yamnet": YAMNET}, "too many"),
            ],
        ),
        "3.2": (
            (best, {"scores": scores, "labels": labels, "yamnet": YAMNET}),
            [
                (best[::-1], {"scores": scores, "labels": labels, "yamnet": YAMNET}, "best first"),
                (
                    [NAMES[i] for i in np.argsort(means)[:5]],
                    {"scores": scores, "labels": labels, "yamnet": YAMNET},
                    "lowest",
                ),
                (
                    [NAMES[i] for i in np.argsort(scores.mean(axis=0))[::-1][:5]],
                    {"scores": scores, "labels": labels, "yamnet": YAMNET},
                    "all 300",
                ),
                (best[:3], {"scores": scores, "labels": labels, "yamnet": YAMNET}, "five"),
            ],
        ),
        "3.4": (
            (events, {"scores": window_scores, "clip": clip, "yamnet": YAMNET}),
            [
                (
                    sound_events(window_scores, NAMES, threshold=0.6),
                    {"scores": window_scores, "clip": clip, "yamnet": YAMNET},
                    "after the 2 s clip",
                ),
                (
                    sound_events(window_scores, NAMES, threshold=0.2, duration=2.0),
                    {"scores": window_scores, "clip": clip, "yamnet": YAMNET},
                    "threshold=0.6",
                ),
            ],
        ),
        "4.1": (
            (run("finetune", 1, 0.98), {}),
            [
                (run("finetune", 5), {}, "k=1"),
                (run("head", 1), {}, "finetune"),
                (0.98, {}, "not a training run"),
                (run("finetune", 1, float("nan")), {}, "never validated"),
            ],
        ),
        "4.2": (
            (run("head", 5), {}),
            [(run("finetune", 5), {}, "mode='head'"), (run("head", 1), {}, "k=5")],
        ),
        "4.3": (
            ([run("scratch", 5, 0.97), run("scratch", 1, 0.68)], {}),
            [
                (run("scratch", 5, 0.97), {}, "K = 5 and K = 1"),
                ([run("finetune", 5), run("scratch", 1)], {}, "random"),
            ],
        ),
        "4.4": (
            (("head", "right"), {}),
            [
                (("head", "no hidden"), {}, "no hidden layer"),
                (("head", "linear hidden"), {}, "no activation"),
                (("head", "16 units"), {}, "asks for 32"),
                (("head", "hidden last"), {}, "last layer"),
                (("head", "no softmax"), {}, "softmax"),
                (("finetune", "right"), {}, "mode='head'"),
            ],
        ),
        "5.1": (
            ([1.0, 1.0, 1.0, 0.99], {"results": results}),
            [
                ([0.68, 0.451, 0.596, 0.5], {"results": results}, "from-scratch"),
                ([1.0, 1.0, 1.0], {"results": results}, "fourth"),
                ([100, 100, 100, 100], {"results": results}, "percentages"),
            ],
        ),
        "5.2": (
            (4, {"result": curve([0.3, 0.6, 0.972, 1.0, 1.0, 0.674, 1.0])}),
            [
                (5, {"result": curve([0.3, 0.6, 0.972, 1.0, 1.0, 0.674, 1.0])}, "fewer do too"),
                (3, {"result": curve([0.3, 0.6, 0.972, 1.0, 1.0, 0.674, 1.0])}, "count from 1"),
                (6, {"result": curve([0.3, 0.6, 0.972, 1.0, 1.0, 0.674, 1.0])}, "67.4 %"),
                (4, {"result": curve([float("nan")] * 6 + [1.0])}, "validation_frequency=1"),
            ],
        ),
        "5.3": (
            (louder, {"audio": audio, "labels": small_labels}),
            [
                (all_at_once, {"audio": audio, "labels": small_labels}, "own peak"),
                (signed, {"audio": audio, "labels": small_labels}, "np.abs"),
                (everything, {"audio": audio, "labels": small_labels}, "only the brown"),
            ],
        ),
        "6.1": (
            (run("head", 5), {}),
            [(run("finetune", 5), {}, "mode='head'")],
        ),
        "6.2": (
            (15_600, {}),
            [(15_200, {}, "starts"), (15_760, {}, "hops"), (16_000, {}, "one second")],
        ),
        "6.4": (
            (
                ["RESHAPE", "GATHER", "MUL", "RFFT2D", "COMPLEX_ABS", "FULLY_CONNECTED", "LOG"],
                TFLITE,
            ),
            [
                (["RFFT2D", "COMPLEX_ABS", "FULLY_CONNECTED", "LOG", "CONV_2D"], TFLITE, "network"),
                (["RFFT2D", "COMPLEX_ABS", "FULLY_CONNECTED"], TFLITE, "logarithm"),
                (["COMPLEX_ABS", "FULLY_CONNECTED", "LOG"], TFLITE, "spectrum"),
                (["RFFT2D", "COMPLEX_ABS", "LOG"], TFLITE, "multiplies"),
                (["RFFT2D", "COMPLEX_ABS", "FULLY_CONNECTED", "LOG", "SOFTMAX"], TFLITE, "SOFTMAX"),
                ("RFFT2D LOG", TFLITE, "list"),
            ],
        ),
        "6.3": (
            ("brown", {"probabilities": probabilities, "classifier": classifier}),
            [("white", {"probabilities": probabilities, "classifier": classifier}, "average")],
        ),
    }


CASES = cases()


@pytest.fixture(autouse=True)
def front_end_listing(monkeypatch):
    """Exercise 6.4 reads a TF Lite file's operations; here, those of the lesson's export."""
    monkeypatch.setattr(exercises, "_front_end_operations", lambda path: list(FRONT_END))


def test_every_registered_exercise_has_cases():
    assert set(CASES) == set(exercises.EXERCISES)


def answer_for(answer, heads):
    """4.4's answers name a network in the ``heads`` fixture: (mode, name)."""
    if isinstance(answer, tuple) and len(answer) == 2 and answer[1] in (heads or {}):
        mode, name = answer
        return run(mode, 5, model=heads[name])
    return answer


@pytest.mark.parametrize("number", sorted(CASES))
def test_right_answer_passes(number, request, capsys):
    (answer, given), _ = CASES[number]
    heads = request.getfixturevalue("heads") if number == "4.4" else None
    exercises.check(number, answer_for(answer, heads), **given)
    line = capsys.readouterr().out
    assert line.startswith(f"Exercise {number}: right.") and line.count("\n") == 1, line


@pytest.mark.parametrize(
    "number, index",
    [(number, i) for number, (_, wrong) in sorted(CASES.items()) for i in range(len(wrong))],
)
def test_typical_wrong_answer_gets_its_hint(number, index, request):
    _, wrong = CASES[number]
    answer, given, hint = wrong[index]
    heads = request.getfixturevalue("heads") if number == "4.4" else None
    right, line = exercises.verdict(number, answer_for(answer, heads), **given)
    assert not right and line.startswith(f"Exercise {number}: not yet.") and "Hint:" in line
    assert hint in line, line
    assert "\n" not in line


def test_a_hint_never_gives_the_solution():
    """The numbers a solution states never appear in a wrong answer's line."""
    for number, solution in [
        ("1.2", "99"),
        ("6.2", "15600"),
        ("6.2", "15,600"),
        ("2.2", "(128, 50)"),
    ]:
        for answer, given, _ in CASES[number][1]:
            assert solution not in exercises.verdict(number, answer, **given).line


def test_the_network_of_exercise_4_4_alone_is_right_but_asks_for_training(heads):
    right, line = exercises.verdict("4.4", heads["right"])
    assert right and "mode='head'" in line


@pytest.mark.parametrize("exercise", ["9.9", "4.5", 7, "", None])
def test_an_exercise_without_a_check_is_one_sentence(exercise):
    with pytest.raises(LessonError, match=r"no check for exercise .* 1\.1, 1\.2"):
        exercises.check(exercise, 1)


def test_a_missing_or_unknown_keyword_shows_the_call():
    with pytest.raises(LessonError, match=r'needs scores=: call yl\.exercises\.check\("3\.2"'):
        exercises.check("3.2", ["Speech"], yamnet=YAMNET, labels=np.array(["brown"]))
    with pytest.raises(LessonError, match=r"does not take score=: call"):
        exercises.check("6.2", 15_600, score=1)
    scores, labels = brown_scores()  # class_names= does as well as yamnet=
    assert exercises.verdict("3.1", 3, class_names=NAMES).right


def test_reachable_from_the_package_the_notebooks_import():
    assert yl.exercises is exercises and "exercises" in dir(yl)


def test_right_answers_computed_from_the_students_own_objects():
    """The same answer is right for one run and wrong for another: nothing is stored."""
    good = curve([0.5, 1.0, 1.0])
    late = curve([0.5, 0.9, 1.0])
    assert exercises.verdict("5.2", 2, result=good).right
    assert not exercises.verdict("5.2", 2, result=late).right
    audio, labels = signals.noise_dataset(5, seed=3)  # 2.1 from the student's own data
    assert exercises.verdict("2.1", "brown", audio=audio, labels=labels).right


def test_the_lessons_own_answers_pass():
    """The solutions' own figures: librosa's shape, 15,600 samples, the split's K."""
    import librosa

    audio, labels = signals.noise_dataset(3, seed=0)
    by_hand = librosa.feature.melspectrogram(y=audio[:, 0], sr=signals.SAMPLE_RATE, hop_length=320)
    assert exercises.verdict("2.2", by_hand.shape).right
    assert exercises.verdict("2.2", by_hand).right
    big, big_labels = signals.noise_dataset(100, seed=1)
    split = yl.split_reference(big, big_labels, k=5, verbose=False)
    assert exercises.verdict("1.1", split).right
    assert exercises.verdict("1.1", split[1]).right
    with pytest.raises(LessonError):
        yl.split_reference(big, big_labels, k=100, verbose=False)
    yl.split_reference(big, big_labels, k=99, verbose=False)  # 1.2's answer is the largest


def test_notebooks_show_how_to_check_under_each_checkable_exercise():
    """Every notebook: the try-it cell of each registered exercise shows its call."""
    for path in sorted(NOTEBOOKS.glob("0[1-6]_*.ipynb")):
        number = str(int(path.name[:2]))
        cells = json.loads(path.read_text())["cells"]
        tried = {
            re.match(r"# Exercise (\d+)", "".join(c["source"]))[1]: "".join(c["source"])
            for c in cells
            if "exercise" in c.get("metadata", {}).get("tags", [])
        }
        for exercise in (e for e in exercises.EXERCISES if e.startswith(f"{number}.")):
            text = tried[exercise.split(".")[1]]
            assert f'yl.exercises.check("{exercise}"' in text, f"{path.name}: exercise {exercise}"


ODD = [None, "x", 3.5, True, [], {}, (), np.zeros((2, 2, 2)), [None], {"a": 1}, np.array(["a"])]


@pytest.mark.parametrize("number", sorted(CASES))
def test_odd_answers_and_objects_get_a_hint_or_one_sentence(number):
    """Whatever is passed: a 'not yet' line or one LessonError sentence, never another error."""
    (_, given), _ = CASES[number]
    for answer in ODD:
        try:
            right, line = exercises.verdict(number, answer, **given)
        except LessonError as error:
            assert "\n" not in str(error) and f'check("{number}"' in str(error)
        else:
            assert not right and "Hint:" in line, (answer, line)
    for name in given:  # the notebook's objects replaced by odd ones
        for odd in ODD:
            try:
                exercises.verdict(number, CASES[number][0][0], **{**given, name: odd})
            except LessonError as error:
                assert "\n" not in str(error)
