"""Exercises that answer back: one printed line says right, or what is off and a hint.

After trying an exercise, a student runs, in the notebook::

    yl.exercises.check("4.1", one_each)

and reads one line: ``Exercise 4.1: right. ...`` or ``Exercise 4.1: not yet. ...``
followed by a hint.  A check never prints the solution (the collapsed
solution cells still hold it).  Everything runs here, offline, with no grading
server and no widget, so it works the same in JupyterLab, Binder and Colab.

Where the right answer depends on the student's own run (a seed, a machine,
YAMNet's scores), the check computes it from the objects passed in as keywords
(``scores=scores``, ``labels=labels``, ...), never from a stored number.

Mistakes in the *call* (an exercise that has no check, a keyword missing or
unknown) raise :class:`~yamnet_lesson.validation.LessonError` with one sentence
that shows the call to make, as every helper of the lesson does.  An *answer*
of the wrong kind (a list where a number is asked for) is a wrong answer, not
an error: it gets a printed hint like any other.

:data:`EXERCISES` lists what each exercise expects; :func:`verdict` returns
the line instead of printing it (for tests, and for teachers who collect
answers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import features, signals
from .validation import LessonError

__all__ = ["EXERCISES", "Exercise", "Verdict", "check", "verdict"]

N_PER_COLOUR = 100
"""Signals per colour in the lesson's data set (``signals.noise_dataset(100, seed=0)``)."""

REFERENCE_K = 5
"""Training examples per colour in the reference workflow."""


class Verdict(NamedTuple):
    """What a check says: ``right`` and the one line it prints."""

    right: bool
    line: str


@dataclass(frozen=True)
class Exercise:
    """One exercise that answers back.

    ``answer`` says in words what to pass as the answer; ``needs`` names the
    keywords the check needs to compute the right answer from the student's
    own objects, and ``call`` is the line the notebook shows under the
    exercise.
    """

    number: str
    answer: str
    call: str
    needs: tuple[str, ...]
    judge: Callable[[Any, dict[str, Any]], Verdict]
    optional: tuple[str, ...] = ()


# ---------------------------------------------------------------------------
# Small helpers: right / not yet, and reading what students pass
# ---------------------------------------------------------------------------


def _right(text: str) -> Verdict:
    return Verdict(True, f"right. {text}")


def _off(what: str, hint: str) -> Verdict:
    return Verdict(False, f"not yet. {what} Hint: {hint}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _as_strings(value: Any) -> list[str] | None:
    """A sequence of strings as a list, or None if it is something else."""
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
        return None
    items = (
        list(np.asarray(value, dtype=object).ravel())
        if isinstance(value, np.ndarray)
        else list(value)
    )
    if not all(isinstance(item, (str, np.str_)) for item in items):
        return None
    return [str(item) for item in items]


def _class_names(given: dict[str, Any]) -> list[str]:
    names = given.get("class_names")
    if names is None:
        model = given.get("yamnet", given.get("classifier"))
        names = getattr(model, "class_names", None)
    return [str(name) for name in names] if names is not None else []


def _is_result(value: Any) -> bool:
    """A :class:`~yamnet_lesson.training.FineTuneResult` (duck-typed: no TensorFlow import)."""
    return all(hasattr(value, name) for name in ("mode", "validation_accuracy", "model"))


class _Run(NamedTuple):
    mode: str
    k: int | None
    accuracy: float
    seconds: float


def _run(answer: Any) -> _Run | None:
    """What a training run was: from a FineTuneResult or a ``run_reference`` summary."""
    if isinstance(answer, dict) and {"mode", "k", "validation_accuracy"} <= set(answer):
        return _Run(
            str(answer["mode"]),
            int(answer["k"]),
            float(answer["validation_accuracy"]),
            float(answer.get("train_seconds", math.nan)),
        )
    if _is_result(answer):
        probabilities = getattr(answer, "validation_probabilities", None)
        k = None
        if probabilities is not None and len(answer.class_names):
            k = N_PER_COLOUR - len(probabilities) // len(answer.class_names)
        return _Run(
            str(answer.mode), k, float(answer.validation_accuracy), float(answer.train_seconds)
        )
    return None


_RUN_HINT = (
    "pass what training returned: the result of yl.fine_tune(...) or the summary "
    "yl.run_reference(...) returns, so the check can see how it was trained."
)


def _training_run(answer: Any, k: int, mode: str, mode_hint: str) -> Verdict | _Run:
    run = _run(answer)
    if run is None:
        what = "a number" if _is_number(answer) else f"a {type(answer).__name__}"
        return _off(f"This is {what}, not a training run.", _RUN_HINT)
    if run.k is None or math.isnan(run.accuracy):
        return _off(
            "This run was never validated, so it has no accuracy.",
            "pass the validation audio and labels to fine_tune as well.",
        )
    if run.mode != mode:
        return _off(f"This run used mode {run.mode!r}.", mode_hint)
    if run.k != k:
        return _off(
            f"This run trained on {run.k} example{'s' * (run.k != 1)} per colour.",
            f"split with k={k} (yl.split_reference(audio, labels, k={k})) before training.",
        )
    return run


# ---------------------------------------------------------------------------
# Notebook 1
# ---------------------------------------------------------------------------


def _ex_1_1(answer: Any, given: dict[str, Any]) -> Verdict:
    if isinstance(answer, tuple) and len(answer) == 4:  # all that split_reference returned
        answer = answer[1]
    labels = _as_strings(answer)
    if labels is None:
        return _off(
            "That is not a list of colour names.",
            "pass the training labels, the second thing yl.split_reference returns.",
        )
    counts = {colour: labels.count(colour) for colour in signals.NOISE_COLORS}
    if set(labels) - set(signals.NOISE_COLORS):
        return _off("Some labels are not colours.", "pass the labels split_reference returns.")
    if set(counts.values()) == {N_PER_COLOUR}:
        return _off(
            "These are all 300 labels.",
            "split them first with yl.split_reference(audio_1, labels_1, k=K) and pass its "
            "training labels.",
        )
    if set(counts.values()) == {N_PER_COLOUR - REFERENCE_K}:
        return _off(
            "These are the validation labels.",
            "the training labels are the second thing split_reference returns, not the fourth.",
        )
    if len(set(counts.values())) > 1:
        return _off(
            "The colours are not equally many.",
            "let yl.split_reference make the split: it takes the first K of each colour.",
        )
    if counts["white"] != REFERENCE_K:
        return _off(
            f"Each colour trains on {counts['white']} signals.",
            f"use the notebook's K = {REFERENCE_K} (k=K) to compare with seed 0's split.",
        )
    return _right(
        f"{REFERENCE_K} of each colour train, as with seed 0. Did the signals themselves change?"
    )


def _ex_1_2(answer: Any, given: dict[str, Any]) -> Verdict:
    largest = N_PER_COLOUR - 1
    if not _is_number(answer) or float(answer) != int(answer):
        return _off("Answer with a whole number.", "the largest k that yl.split_reference accepts.")
    k = int(answer)
    if k < 1:
        return _off(f"k = {k} trains on nothing.", "K counts training examples per colour.")
    if k > largest:
        return _off(
            f"split_reference refuses k = {k}.",
            "read its sentence: what would be left of each colour to validate on?",
        )
    if k < largest:
        return _off(f"k = {k} works, but it is not the largest.", "try larger ones yourself.")
    return _right("Now say why at least one signal per colour must stay out of training.")


# ---------------------------------------------------------------------------
# Notebook 2
# ---------------------------------------------------------------------------


def _data(given: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    if "audio" in given and "labels" in given:
        return np.asarray(given["audio"]), np.asarray(given["labels"])
    return signals.noise_dataset(n_per_color=N_PER_COLOUR, seed=0)


def _slopes(audio: np.ndarray, labels: np.ndarray, low: float, high: float) -> dict[str, float]:
    return {
        colour: signals.spectral_slope(audio[:, labels == colour], f_low=low, f_high=high)
        for colour in signals.NOISE_COLORS
    }


def _ex_2_1(answer: Any, given: dict[str, Any]) -> Verdict:
    audio, labels = _data(given)
    wide = _slopes(audio, labels, 100, 5_000)
    high = _slopes(audio, labels, 1_000, 7_000)
    change = {colour: abs(high[colour] - wide[colour]) for colour in wide}
    most = max(change, key=change.__getitem__)
    if isinstance(answer, dict):  # the measured slopes, one per colour
        if set(answer) != set(signals.NOISE_COLORS) or not all(map(_is_number, answer.values())):
            return _off("A dict of slopes has one number per colour.", "white, brown and pink.")
        if all(abs(answer[c] - wide[c]) < 0.5 for c in wide):
            return _off(
                "These are the slopes between 100 Hz and 5 kHz.",
                "measure between f_low=1_000 and f_high=7_000.",
            )
        if not all(abs(answer[c] - high[c]) < 0.5 for c in high):
            return _off(
                "Your slopes differ from the ones measured between 1 and 7 kHz.",
                "signals.spectral_slope(audio[:, labels == colour], f_low=1_000, f_high=7_000).",
            )
        return _right("Those are the slopes. Which colour changed most, and why?")
    if not isinstance(answer, str) or answer not in signals.NOISE_COLORS:
        return _off("Answer with one colour name.", "'white', 'brown' or 'pink'.")
    if answer != most:
        return _off(
            f"{answer.capitalize()} noise's slope changes by only {change[answer]:.1f} dB/decade.",
            "measure all three between 1 and 7 kHz and compare with notebook 2's slopes.",
        )
    return _right("Now explain why, from how that noise is made (notebook 1).")


def _librosa_shape() -> tuple[int, int]:
    """Shape of ``librosa.feature.melspectrogram(y, sr=16_000, hop_length=320)`` for one signal."""
    import inspect

    import librosa

    n_mels = inspect.signature(librosa.filters.mel).parameters["n_mels"].default
    n_samples = round(signals.SIGNAL_SECONDS * signals.SAMPLE_RATE)
    return int(n_mels), 1 + n_samples // 320  # centred frames: librosa pads both ends


def _ex_2_2(answer: Any, given: dict[str, Any]) -> Verdict:
    shape = getattr(answer, "shape", answer)
    if not isinstance(shape, tuple) or len(shape) != 2 or not all(map(_is_number, shape)):
        return _off("That is not a 2-D shape.", "pass the array librosa returned, or its .shape.")
    shape = (int(shape[0]), int(shape[1]))
    bands, frames = _librosa_shape()
    if shape == (bands, frames):
        return _right("Now say why YAMNet cannot take this picture.")
    if shape == (frames, bands):
        return _off("Rows and columns are swapped.", "librosa returns (mel bands, frames).")
    if shape == (features.PATCH_FRAMES, features.N_MELS):
        return _off("That is YAMNet's own patch.", "compute it with librosa, hop_length=320.")
    if shape[0] == features.N_MELS:
        return _off(
            f"{features.N_MELS} bands is YAMNet's choice, not librosa's.",
            "keep librosa's defaults except hop_length.",
        )
    if shape[0] == bands and shape[1] == frames - 1:
        return _off(
            "One frame short.", "librosa centres its frames (center=True): count the padding."
        )
    if shape[0] == bands:
        return _off(
            f"{shape[1]} frames is not what a 320-sample hop gives.",
            "pass hop_length=320, and the signal as it is (15,680 samples).",
        )
    return _off(f"{shape} is not what librosa returns here.", "print by_hand.shape.")


def _ex_2_3(answer: Any, given: dict[str, Any]) -> Verdict:
    weights = features.mel_filter_bank()
    try:
        values = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return _off("That is not an array of numbers.", "one number per mel band.")
    if values.shape == weights.shape:
        return _off(
            "That is the whole filter bank.", "add up each triangle's weights: one row each."
        )
    if values.shape == (weights.shape[1],):
        return _off("That is one number per FFT bin.", "sum along axis=1, one number per band.")
    if values.shape != (weights.shape[0],):
        return _off(f"Shape {values.shape}: there are 64 mel bands.", "one number per band.")
    if np.allclose(values, weights.max(axis=1)):
        return _off("Those are the triangles' peaks.", "add up all the weights (sum, not max).")
    if not np.allclose(values, weights.sum(axis=1), rtol=1e-3, atol=1e-6):
        return _off(
            "These are not the sums of the triangles' weights.",
            "features.mel_filter_bank().sum(axis=1).",
        )
    ratio = values[-1] / values[0]
    return _right(
        f"The top band collects {ratio:.0f} times what the bottom one does. "
        "Why does that brighten white noise at the top?"
    )


# ---------------------------------------------------------------------------
# Notebook 3
# ---------------------------------------------------------------------------


def _ex_3_1(answer: Any, given: dict[str, Any]) -> Verdict:
    names = _class_names(given)
    music = [name for name in names if "music" in name.lower()]
    case_sensitive = [name for name in names if "Music" in name]
    found = _as_strings(answer)
    if found is not None:
        strangers = [name for name in found if name not in names]
        if strangers:
            return _off(
                f"{strangers[0]!r} is not one of YAMNet's classes.", "pick from yamnet.class_names."
            )
        wrong = [name for name in found if "music" not in name.lower()]
        if wrong:
            return _off(
                f"{wrong[0]!r} does not contain the word.", "keep only names with 'music' in them."
            )
        count = len(set(found))
    elif _is_number(answer) and float(answer) == int(answer):
        count = int(answer)
    else:
        return _off("Answer with a number, or the list of names.", "len(music) counts a list.")
    if count == len(music):
        return _right("Which of them would you call music, and which a musical instrument?")
    if count == len(case_sensitive):
        return _off(
            f"{count} is the count of names with a capital 'Music'.",
            "'Pop music' has a small m: lower-case each name before looking.",
        )
    if count < len(music):
        return _off(f"{count} is too few.", "look for the word in any case, anywhere in the name.")
    return _off(f"{count} is too many.", "count each class once.")


def _ex_3_2(answer: Any, given: dict[str, Any]) -> Verdict:
    names = np.asarray(_class_names(given))
    scores = np.asarray(given["scores"], dtype=float)
    labels = np.asarray(given["labels"])
    if scores.ndim != 2 or scores.shape != (len(labels), len(names)):
        raise LessonError(
            "check('3.2', ...) needs scores of shape (signals, classes), with one label per "
            "signal: pass scores=scores, labels=labels, yamnet=yamnet."
        )
    if isinstance(answer, (list, tuple)) and answer and all(isinstance(a, tuple) for a in answer):
        answer = [a[0] for a in answer]  # what yamnet.top_classes returns: (name, score) pairs
    found = _as_strings(answer)
    if found is None and isinstance(answer, (list, tuple, np.ndarray)):
        indices = np.asarray(answer)
        if indices.dtype.kind in "iu" and indices.ndim == 1 and np.all(indices < len(names)):
            found = list(names[indices])
    if found is None:
        return _off(
            "Answer with a list of class names.", "yamnet.class_names[index] names an index."
        )
    brown = scores[labels == "brown"]
    mean = brown.mean(axis=0)
    best = list(names[np.argsort(mean)[::-1][:5]])
    if len(found) != 5:
        return _off(f"That is {len(found)} classes.", "the five best, best first.")
    if found == best:
        return _right("Would you call those classes a rumble?")
    if set(found) == set(best):
        return _off("The right five, but not best first.", "sort by mean score, highest first.")
    if found == list(names[np.argsort(mean)[:5]]) or set(found) == set(names[np.argsort(mean)[:5]]):
        return _off(
            "These are the five lowest scores.",
            "np.argsort sorts from smallest: reverse it, [::-1].",
        )
    if set(found) == set(names[np.argsort(scores.mean(axis=0))[::-1][:5]]):
        return _off(
            "These are the best classes over all 300 signals.",
            "keep only the brown ones: scores[labels == 'brown'].",
        )
    if set(found) == set(names[np.argsort(brown.max(axis=0))[::-1][:5]]):
        return _off(
            "These are ranked by the highest score.", "rank by the mean over the brown signals."
        )
    return _off(
        "These are not the five best by mean score over the brown signals.",
        "average scores[labels == 'brown'] over the signals (axis=0), then sort.",
    )


def _ex_3_4(answer: Any, given: dict[str, Any]) -> Verdict:
    from .classes import sound_events

    names = _class_names(given)
    scores = np.asarray(given["scores"], dtype=float)
    seconds = len(np.asarray(given["clip"])) / signals.SAMPLE_RATE
    expected = sound_events(scores, names, threshold=0.6, duration=seconds)
    if not isinstance(answer, (list, tuple)) or not all(
        all(hasattr(e, part) for part in ("name", "start", "end")) for e in answer
    ):
        return _off("Answer with the list of events.", "the list yl.classes.sound_events returns.")

    def key(events: Sequence[Any]) -> list[tuple[str, float, float]]:
        return [(str(e.name), round(float(e.start), 3), round(float(e.end), 3)) for e in events]

    if key(answer) == key(expected):
        return _right("Which sounds dropped out, and why was YAMNet less sure of them?")
    if answer and float(answer[-1].end) > seconds + 1e-6:
        return _off(
            f"Your last event ends at {float(answer[-1].end):.2f} s, after the {seconds:g} s clip.",
            "pass duration, the clip's length in seconds (len(clip) / 16_000).",
        )
    if answer and min(float(getattr(e, "score", 1.0)) for e in answer) < 0.6:
        return _off("Some events are less sure than 0.6.", "pass threshold=0.6.")
    if [e.name for e in answer] == [e.name for e in expected]:
        return _off(
            "The right sounds, at other times.", "use the scores of this clip, yamnet(clip)[0]."
        )
    return _off(
        "These are not the events of this clip above 0.6.",
        "score the clip with yamnet(clip), then sound_events(..., threshold=0.6, duration=...).",
    )


# ---------------------------------------------------------------------------
# Notebook 4
# ---------------------------------------------------------------------------


def _ex_4_1(answer: Any, given: dict[str, Any]) -> Verdict:
    run = _training_run(
        answer, 1, "finetune", "exercise 1 fine-tunes the whole network (mode 'finetune')."
    )
    if isinstance(run, Verdict):
        return run
    return _right(
        f"One example per colour, {100 * run.accuracy:.1f} % of the validation signals. "
        "Why is one clear example enough here?"
    )


def _new_layer_only(answer: Any, said: Callable[[Any], str]) -> Verdict:
    """Right for a reference run (K = 5) that trained the new layer alone, saying ``said(run)``."""
    run = _training_run(answer, REFERENCE_K, "head", "train only the new layer: mode='head'.")
    return run if isinstance(run, Verdict) else _right(said(run))


def _ex_4_2(answer: Any, given: dict[str, Any]) -> Verdict:
    return _new_layer_only(
        answer,
        lambda run: f"Only the new layer: {100 * run.accuracy:.1f} % in {run.seconds:.2f} s of "
        "training. Compare both numbers with the whole network's.",
    )


def _ex_4_3(answer: Any, given: dict[str, Any]) -> Verdict:
    runs = list(answer) if isinstance(answer, (list, tuple)) else [answer]
    seen: dict[int, float] = {}
    for item in runs:
        run = _run(item)
        if run is None:
            return _off("This is not a training run.", _RUN_HINT)
        if run.mode != "scratch":
            return _off(
                f"A run used mode {run.mode!r}: it started from Google's weights.",
                "mode='scratch' starts from random ones.",
            )
        if run.k is None or math.isnan(run.accuracy):
            return _off("A run was never validated.", "pass the validation audio and labels too.")
        seen[run.k] = run.accuracy
    missing = [k for k in (REFERENCE_K, 1) if k not in seen]
    if missing:
        return _off(
            f"From scratch at K = {', '.join(map(str, sorted(seen)))}; "
            "the exercise asks for K = 5 and K = 1.",
            f"add a run with k={missing[0]} and pass both, e.g. [run_5, run_1].",
        )
    return _right(
        f"From scratch: {100 * seen[REFERENCE_K]:.1f} % at K = 5, {100 * seen[1]:.1f} % at K = 1. "
        "What does pretraining buy?"
    )


def _layers_after_embedding(model: Any) -> list[Any] | None:
    layers = list(getattr(model, "layers", []))
    names = [layer.name for layer in layers]
    if "embedding" not in names:
        return None
    return layers[names.index("embedding") + 1 :]


def _activation(layer: Any) -> str:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation))


def _ex_4_4(answer: Any, given: dict[str, Any]) -> Verdict:
    model = answer.model if _is_result(answer) else answer
    after = _layers_after_embedding(model)
    if after is None:
        return _off(
            "This has no layer named 'embedding'.", "build on yl.build_yamnet()'s embedding output."
        )
    dense = [layer for layer in after if type(layer).__name__ == "Dense"]
    softmax = bool(after) and (
        type(after[-1]).__name__ == "Softmax" or _activation(after[-1]) == "softmax"
    )
    if not dense:
        return _off(
            "No new layer after the embedding.", "add Dense(32, activation='relu'), then Dense(3)."
        )
    if int(dense[-1].units) != 3:
        return _off(
            f"The last layer has {dense[-1].units} outputs.",
            "the hidden layer goes between the embedding and the 3-way layer.",
        )
    if len(dense) == 1:
        return _off(
            "There is no hidden layer.", "put Dense(32, activation='relu') before Dense(3)."
        )
    hidden = dense[-2]
    if _activation(hidden) in ("linear", "None"):
        return _off(
            "The hidden layer has no activation.",
            "two Dense layers with no relu between them are one linear layer: activation='relu'.",
        )
    if int(hidden.units) != 32:
        return _off(f"The hidden layer has {hidden.units} units.", "the exercise asks for 32.")
    if not softmax:
        return _off("The network does not end with a softmax.", "end with keras.layers.Softmax().")
    if not _is_result(answer):
        return _right("The network is built. Now train it with mode='head' and pass the result.")
    if answer.mode != "head":
        return _off(
            f"Trained with mode {answer.mode!r}.", "train only the new layers: mode='head'."
        )
    accuracy = float(answer.validation_accuracy)
    if math.isnan(accuracy):
        return _off("This run was never validated.", "pass the validation audio and labels too.")
    return _right(f"{100 * accuracy:.1f} % with a hidden layer. When would a deeper head help?")


# ---------------------------------------------------------------------------
# Notebook 5
# ---------------------------------------------------------------------------


def _ex_5_1(answer: Any, given: dict[str, Any]) -> Verdict:
    results = given["results"]
    try:
        read = [float(a) for a in results["finetune"][1]]
        scratch = [float(a) for a in results["scratch"][1]]
    except (KeyError, TypeError, IndexError) as error:
        raise LessonError(
            "check('5.1', ...) needs the notebook's results: pass results=results."
        ) from error
    if not isinstance(answer, (list, tuple, np.ndarray)) or not all(map(_is_number, answer)):
        return _off(
            "Answer with the list of accuracies at K = 1.",
            "results['finetune'][1], plus your fourth seed's ['validation_accuracy'].",
        )
    values = [float(a) for a in answer]
    if any(value > 1 for value in values):
        return _off(
            "Accuracies above 1: these look like percentages.",
            "use fractions, as run_reference gives them.",
        )
    if np.allclose(values[: len(scratch)], scratch):
        return _off(
            "These are the from-scratch runs.",
            "the question is about the pretrained network: results['finetune'][1].",
        )
    if len(values) < len(read) + 1:
        return _off(
            f"{len(values)} seeds.", "add a fourth: yl.run_reference(1, seed=3, verbose=False)."
        )
    if not np.allclose(values[: len(read)], read):
        return _off(
            "The first values are not the notebook's seeds.", "start from results['finetune'][1]."
        )
    lowest = min(values)
    return _right(
        f"Lowest of your {len(values)} seeds: {100 * lowest:.1f} %. Does that answer 'always'?"
    )


def _ex_5_2(answer: Any, given: dict[str, Any]) -> Verdict:
    history = getattr(given["result"], "epoch_history", None) or {}
    epochs = [int(e) for e in history.get("epoch", [])]
    accuracy = [float(a) for a in history.get("val_accuracy", [])]
    measured = {e: a for e, a in zip(epochs, accuracy, strict=True) if not math.isnan(a)}
    if len(measured) < len(epochs) or not epochs:
        return _off(
            "Your run was not validated after every epoch.",
            "pass validation_frequency=1 to fine_tune, and the result as result=.",
        )
    if not _is_number(answer) or float(answer) != int(answer):
        return _off("Answer with a number of epochs.", "read result.epoch_history['val_accuracy'].")
    n = int(answer)
    full = [e for e, a in measured.items() if a == 1.0]
    if not full:
        return _off(
            "Your run never reached 100 % in its epochs.", "train for more epochs (epochs=10)."
        )
    first = full[0]
    if n == first:
        return _right("Is the curve still at 100 % after that epoch? Read the whole curve.")
    if n == first - 1:
        return _off(
            f"After {n} epochs it is at {100 * measured.get(n, math.nan):.1f} %.",
            "epochs count from 1: read epoch_history['epoch'].",
        )
    if n not in measured:
        return _off(f"Your run has no epoch {n}.", f"it ran {max(epochs)} epochs.")
    if measured[n] < 1.0:
        return _off(
            f"After {n} epochs validation accuracy is {100 * measured[n]:.1f} %.",
            "find the first 100 %.",
        )
    return _off(
        f"{n} epochs reach 100 %, but fewer do too.",
        "look at the earlier epochs: the curve swings.",
    )


def _ex_5_3(answer: Any, given: dict[str, Any]) -> Verdict:
    audio = np.asarray(given["audio"], dtype=np.float32)  # float32, as the lesson's audio
    labels = np.asarray(given["labels"])
    try:
        louder = np.asarray(answer, dtype=np.float32)
    except (TypeError, ValueError):
        return _off("That is not audio.", "pass the normalised copy of audio (samples, signals).")
    if louder.shape != audio.shape:
        return _off(
            f"Shape {louder.shape}, not the audio's {audio.shape}.", "normalise a copy of audio."
        )
    brown = labels == "brown"
    others = np.flatnonzero(~brown)  # column by column: no copies of the whole data set
    if not all(np.allclose(louder[:, i], audio[:, i]) for i in others):
        return _off(
            "White or pink signals changed too.",
            "normalise only the brown ones: audio[:, labels == 'brown'].",
        )
    peaks = np.abs(louder[:, brown]).max(axis=0)
    if np.allclose(peaks, 1.0, atol=1e-4):
        return _right("Every brown signal peaks at 1. Now train on it: does accuracy change?")
    if np.isclose(peaks.max(), 1.0) and not np.allclose(peaks, peaks.max()):
        return _off(
            "Only the loudest brown signal peaks at 1.",
            "divide each signal by its own peak (axis=0).",
        )
    if np.allclose(louder[:, brown].max(axis=0), 1.0, atol=1e-4):
        return _off(
            "Each signal's largest value is 1, but its peak is larger.",
            "take np.abs first: a peak can be negative.",
        )
    return _off("The brown signals do not peak at 1.", "divide each by np.abs(...).max(axis=0).")


# ---------------------------------------------------------------------------
# Notebook 6
# ---------------------------------------------------------------------------


def _ex_6_1(answer: Any, given: dict[str, Any]) -> Verdict:
    return _new_layer_only(
        answer,
        lambda run: f"Only the new layer, {100 * run.accuracy:.1f} %. "
        "Export it to another folder and compare the files' sizes.",
    )


def _ex_6_2(answer: Any, given: dict[str, Any]) -> Verdict:
    window, hop, frames = features.WINDOW_SAMPLES, features.HOP_SAMPLES, features.PATCH_FRAMES
    if not _is_number(answer) or float(answer) != int(answer):
        return _off("Answer with a number of samples.", "where the last of the 96 frames ends.")
    n = int(answer)
    if n == features.PATCH_SAMPLES:
        return _right("Now say it in seconds at 16 kHz.")
    if n == (frames - 1) * hop:
        return _off(f"{n} is where the last frame starts.", "add the frame's own length.")
    if n in (frames * hop, frames * hop + window):
        return _off(
            f"{frames} frames have {frames - 1} hops between them, not {frames}.", "count the gaps."
        )
    if n == signals.SAMPLE_RATE:
        return _off("That is one second.", "work it out from the frames, not the clip.")
    return _off(
        f"{n} samples is not where the last frame ends.",
        "first frame at 0, then a frame every 160 samples.",
    )


def _ex_6_3(answer: Any, given: dict[str, Any]) -> Verdict:
    names = _class_names(given)
    probabilities = np.asarray(given["probabilities"], dtype=float)
    if probabilities.ndim != 2 or probabilities.shape[1] != len(names):
        raise LessonError(
            "check('6.3', ...) needs the window probabilities, shape (windows, classes): "
            "pass probabilities=probabilities, classifier=classifier."
        )
    average = names[int(probabilities.mean(axis=0).argmax())]
    if not isinstance(answer, str) or answer not in names:
        return _off("Answer with one colour name.", f"one of {', '.join(names)}.")
    if answer == average:
        windows = {names[i] for i in probabilities.argmax(axis=1)}
        return _right(f"The windows name {len(windows)} colour(s). What does the average hide?")
    return _off(
        f"{answer} is not the average's answer.",
        "average the windows first: probabilities.mean(axis=0), then its largest.",
    )


PICTURE_STEPS = {
    "RFFT2D": "which operation computes the spectrum of each frame?",
    "COMPLEX_ABS": "the spectrum is complex: which operation takes its magnitude?",
    "FULLY_CONNECTED": "the mel filter bank is a matrix: which operation multiplies by one?",
    "LOG": "the picture is a log-mel picture: which operation takes the logarithm?",
}
"""Steps no log-mel picture is drawn without, each with its hint when missing (exercise 6.4)."""


def _front_end_operations(tflite: Any) -> list[str]:
    """The operation names before the first ``CONV_2D`` of a TF Lite file, in order."""
    import contextlib
    import io

    from ._tensorflow import tf

    listing = io.StringIO()
    with contextlib.redirect_stdout(listing):
        tf.lite.experimental.Analyzer.analyze(model_path=str(tflite))
    names = [
        line.split()[1].split("(")[0]
        for line in listing.getvalue().splitlines()
        if line.strip().startswith("Op#")
    ]
    return names[: names.index("CONV_2D")] if "CONV_2D" in names else names


def _ex_6_4(answer: Any, given: dict[str, Any]) -> Verdict:
    found = _as_strings(answer)
    if found is None:
        return _off("Answer with a list of operation names.", "e.g. ['RESHAPE', ...].")
    found = [name.strip().upper() for name in found]
    if "CONV_2D" in found:
        return _off("CONV_2D is the network itself.", "list only what comes before it.")
    before = _front_end_operations(given["tflite"])
    strangers = [name for name in found if name not in before]
    if strangers:
        return _off(
            f"{strangers[0]} is not among the operations before the first CONV_2D.",
            "copy the names from the listing.",
        )
    for step, hint in PICTURE_STEPS.items():
        if step not in found:
            return _off("A step of the picture is missing.", hint)
    left = len(set(before) - set(found))
    more = f" {left} other kinds of operation come before CONV_2D: what do they do?" if left else ""
    return _right(f"Those draw the picture.{more}")


# ---------------------------------------------------------------------------
# The register
# ---------------------------------------------------------------------------

_CALL = "yl.exercises.check"

EXERCISES: dict[str, Exercise] = {
    exercise.number: exercise
    for exercise in [
        Exercise(
            "1.1",
            "the training labels of the seed-1 split",
            f'{_CALL}("1.1", train_labels_1)',
            (),
            _ex_1_1,
        ),
        Exercise(
            "1.2",
            "the largest k that split_reference accepts",
            f'{_CALL}("1.2", largest_k)',
            (),
            _ex_1_2,
        ),
        Exercise(
            "2.1",
            "the colour whose slope changes most, or a dict of the three slopes",
            f'{_CALL}("2.1", "white")  # or "brown" or "pink"',
            (),
            _ex_2_1,
            ("audio", "labels"),
        ),
        Exercise(
            "2.2", "librosa's array, or its shape", f'{_CALL}("2.2", by_hand.shape)', (), _ex_2_2
        ),
        Exercise(
            "2.3",
            "the sum of each mel triangle's weights, 64 numbers",
            f'{_CALL}("2.3", sums)',
            (),
            _ex_2_3,
        ),
        Exercise(
            "3.1",
            "your list of classes, or how many there are",
            f'{_CALL}("3.1", music, yamnet=yamnet)',
            ("yamnet",),
            _ex_3_1,
        ),
        Exercise(
            "3.2",
            "the five best class names, best first",
            f'{_CALL}("3.2", five_names, scores=scores, labels=labels, yamnet=yamnet)',
            ("scores", "labels", "yamnet"),
            _ex_3_2,
        ),
        Exercise(
            "3.4",
            "the list of sound events",
            f'{_CALL}("3.4", events, scores=scores_over_time, clip=clip, yamnet=yamnet)',
            ("scores", "clip", "yamnet"),
            _ex_3_4,
        ),
        Exercise(
            "4.1",
            "the trainer's last run, or what yl.run_reference returned",
            f'{_CALL}("4.1", trainer.results[-1])',
            (),
            _ex_4_1,
        ),
        Exercise(
            "4.2",
            "the trainer's last run, or yl.fine_tune's",
            f'{_CALL}("4.2", trainer.results[-1])',
            (),
            _ex_4_2,
        ),
        Exercise(
            "4.3",
            "both from-scratch runs, K = 5 and K = 1, in any order",
            f'{_CALL}("4.3", trainer.results[-2:])',
            (),
            _ex_4_3,
        ),
        Exercise(
            "4.4",
            "what yl.fine_tune returned for your deeper network",
            f'{_CALL}("4.4", run)',
            (),
            _ex_4_4,
        ),
        Exercise(
            "5.1",
            "the pretrained network's accuracies at K = 1, the notebook's seeds and yours",
            f'{_CALL}("5.1", accuracies, results=results)',
            ("results",),
            _ex_5_1,
        ),
        Exercise(
            "5.2",
            "the fewest epochs that reach 100 %",
            f'{_CALL}("5.2", epochs, result=curve)',
            ("result",),
            _ex_5_2,
        ),
        Exercise(
            "5.3",
            "the audio with every brown signal at peak 1",
            f'{_CALL}("5.3", louder, audio=audio, labels=labels)',
            ("audio", "labels"),
            _ex_5_3,
        ),
        Exercise(
            "6.1",
            "what yl.fine_tune returned, new layer only",
            f'{_CALL}("6.1", head)',
            (),
            _ex_6_1,
        ),
        Exercise(
            "6.2",
            "how many samples the file takes",
            f'{_CALL}("6.2", n_samples)',
            (),
            _ex_6_2,
        ),
        Exercise(
            "6.3",
            "the colour of the average over windows",
            f'{_CALL}("6.3", "white", probabilities=probabilities, classifier=classifier)',
            ("probabilities", "classifier"),
            _ex_6_3,
        ),
        Exercise(
            "6.4",
            "your list of the operations' names",
            f'{_CALL}("6.4", names, tflite=paths["tflite"])',
            ("tflite",),
            _ex_6_4,
        ),
    ]
}
"""Every exercise with a check, by number ("notebook.exercise")."""

_NAMES = {"class_names": "yamnet", "yamnet": "class_names", "classifier": "class_names"}


def verdict(exercise: Any, answer: Any, **given: Any) -> Verdict:
    """Judge an answer: ``(right, line)``, the line :func:`check` prints.

    Raises :class:`LessonError` (one sentence, with the call to make) for an
    exercise that has no check and for missing or unknown keywords.
    """
    number = str(exercise).strip()
    if number not in EXERCISES:
        raise LessonError(
            f"There is no check for exercise {exercise!r}; the exercises with one are "
            f"{', '.join(EXERCISES)} (notebook.exercise, as a string)."
        )
    entry = EXERCISES[number]
    allowed = set(entry.needs) | set(entry.optional)
    for name in list(allowed):
        allowed |= {_NAMES[name]} if name in _NAMES else set()
    unknown = sorted(set(given) - allowed)
    missing = [name for name in entry.needs if name not in given and _NAMES.get(name) not in given]
    if unknown or missing:
        problem = f"does not take {unknown[0]}=" if unknown else f"needs {missing[0]}="
        raise LessonError(f"Exercise {number}'s check {problem}: call {entry.call}")
    try:
        judged = entry.judge(answer, given)
    except LessonError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        raise LessonError(
            f"Exercise {number}'s check could not read what it was given "
            f"({type(error).__name__}): call {entry.call}"
        ) from None
    return Verdict(judged.right, f"Exercise {number}: {judged.line}")


def check(exercise: str, answer: Any, **given: Any) -> None:
    """Print one line: is ``answer`` right for ``exercise``, and if not, a hint.

    Parameters
    ----------
    exercise : str
        ``"notebook.exercise"``, e.g. ``"4.1"``; :data:`EXERCISES` lists them.
    answer : any
        What the exercise asks for (a number, a colour, a training run...);
        :data:`EXERCISES` says what, for each.
    **given
        The notebook's own objects the right answer depends on (``scores=``,
        ``labels=``, ``yamnet=``...); each exercise's ``call`` shows them.

    Never prints the solution.  Raises :class:`LessonError` for an exercise
    with no check or a missing keyword.
    """
    print(verdict(exercise, answer, **given).line)
