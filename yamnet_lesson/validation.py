"""One exception type and the few checks every public helper runs at its boundary.

Every problem a student or teacher can fix themselves (a slider out of range, an
unreadable file, a missing model) raises :class:`LessonError` with one sentence
that says what is wrong and what to do.  Notebooks show only that sentence
(see :func:`yamnet_lesson.notebook.setup`), never a traceback wall.

Audio enters the package through :func:`check_audio` (or :func:`check_waveform`
for one clip), which fixes what it can and refuses what it cannot guess:

* integer PCM (``int8``/``int16``/``int32``, ``uint8``/``uint16``/``uint32``,
  what ``scipy.io.wavfile.read`` returns) is scaled to [-1, 1] by
  :func:`pcm_to_float`, exactly as :func:`yamnet_lesson.audio.read_audio`
  scales files (libsndfile's convention: divide by 2 ** (bits - 1));
* floats are taken as they are when they stay within [-1, 1]; a peak above 1
  but at most :data:`MAX_PEAK` (2, i.e. 6 dB over full scale: what clipping,
  resampling or lossy decoding leave) is used unchanged with a warning; a
  larger peak is refused, because no recording in full-scale units gets
  there: it is integer samples stored as floats, or unscaled noise;
* a 2-D array is ``(samples, signals)``, one clip per column; one that reads
  as many more clips than samples, each far shorter than a YAMNet patch, is
  refused at once as transposed (:func:`check_clips_layout`).
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np

from .choices import MODES

__all__ = [
    "MAX_PEAK",
    "MAX_SEED",
    "Interrupted",
    "LessonError",
    "check_audio",
    "check_clips_layout",
    "check_examples_per_class",
    "check_int",
    "check_labels",
    "check_mode",
    "check_path",
    "check_positive",
    "check_seed",
    "check_waveform",
    "pcm_to_float",
    "peak_checked",
]

MAX_PEAK = 2.0
"""Float audio peaking above this (6 dB over full scale) is refused; above 1 it gets a warning."""

MAX_SEED = 2**32 - 1
"""The largest seed ``keras.utils.set_random_seed`` (and ``np.random.seed``) accepts."""

_PACKAGE = str(Path(__file__).resolve().parent) + os.sep


class LessonError(ValueError):
    """A problem the user can fix: the message says what happened and what to do."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or Kernel > Interrupt) stopped a piece of work that keeps nothing half done.

    ``during`` says what was interrupted ("training, after 3 of 30
    iterations"), ``kept`` what is left of it ("nothing was written"); the
    command line prints them as one line and exits with status 130.
    """

    def __init__(self, during: str, kept: str) -> None:
        super().__init__(f"interrupted during {during}; {kept}")
        self.during, self.kept = during, kept


def warn_at_caller(message: str) -> None:
    """Warn, attributed to the first line outside this package (the student's own call).

    Python then shows a repeated warning once per calling line, however many
    helpers inside the package looked at the same array.
    """
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------


def check_int(
    value: Any, name: str, low: int, high: int | None = None, *, impossible: str | None = None
) -> int:
    """Return ``value`` as an ``int`` if ``low <= value <= high``; else raise LessonError.

    If no value can satisfy the range (``high < low``, e.g. a class with one
    example leaves no room for K), the message says so instead of naming an
    empty range: ``impossible`` if given (the caller knows why), else a
    general sentence.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise LessonError(f"{name} must be a whole number, got {value!r}.")
    if high is not None and high < low:
        raise LessonError(
            impossible
            or f"no {name} is possible here: it would need to be at least {low} "
            f"and at most {high}; change the other settings first."
        )
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise LessonError(f"{name} must be {bounds}, got {value}.")
    return int(value)


def check_positive(value: Any, name: str, high: float | None = None) -> float:
    """Return ``value`` as a ``float`` if it is a finite number above 0 (and at most ``high``).

    Else raise LessonError naming the range accepted.
    """
    bounds = "a number above 0" + ("" if high is None else f" and at most {high:g}")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise LessonError(f"{name} must be {bounds}, got {_short_repr(value)}.")
    try:
        number = float(value)  # compared as the float returned, not in float32
    except OverflowError:  # an int beyond 1.8e308
        number = float("inf") if value > 0 else float("-inf")
    if not (math.isfinite(number) and number > 0 and (high is None or number <= high)):
        try:
            shown = str(value)
        except ValueError:  # an int of more digits than Python prints
            shown = "a number of thousands of digits"
        raise LessonError(f"{name} must be {bounds}, got {shown[:40]}{shown[40:] and '...'}.")
    return number


def _short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, on one line (for messages)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------


def shown_path(path: Any, limit: int = 120) -> str:
    """A path as it can be printed: bytes that are not UTF-8 shown as ``\\xff`` escapes.

    A path longer than ``limit`` characters is cut in its middle (``/tmp/x/.../clip.wav``),
    so that a sentence naming it stays a sentence.
    """
    try:
        text = os.fsencode(path).decode("utf-8", "backslashreplace")
    except (TypeError, ValueError):
        text = str(path)
    if not text.isprintable():  # a newline or tab in a name: shown as \n, \t
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) <= limit:
        return text
    return f"{text[: limit // 2 - 2]}...{text[-(limit // 2 - 1) :]}"


NAME_MAX = 255
"""The most bytes one file or folder name can have (Linux, macOS and Windows alike)."""

PATH_MAX = 4096
"""The most bytes a whole path can have on Linux (macOS: 1024; Windows: 260 by default)."""


def check_path(path: Any, name: str = "path") -> Path:
    """Return a file or folder name as a :class:`~pathlib.Path`, with ``~`` expanded.

    Accepts ``str``, ``bytes`` and ``os.PathLike`` (e.g. ``pathlib.Path``);
    refuses anything else, an empty name and a name holding a NUL character
    with one sentence.  ``~`` (or ``~user``) is expanded as a shell would;
    where no home folder can be determined the name is kept as written.
    """
    if isinstance(path, (bytes, bytearray)):
        path = os.fsdecode(bytes(path))
    if not isinstance(path, (str, os.PathLike)):
        raise LessonError(
            f"{name} must be a file or folder name (a str or pathlib.Path), got "
            f"{type(path).__name__} {_short_repr(path)}."
        )
    try:
        text = os.fsdecode(os.fspath(path))
    except TypeError:  # a PathLike whose __fspath__ returns neither str nor bytes
        raise LessonError(
            f"{name} must be a file or folder name, got {_short_repr(path)}."
        ) from None
    if not text:
        raise LessonError(f"{name} is empty; give a file or folder name.")
    if "\0" in text:
        raise LessonError(f"{name} contains a NUL character (\\0), which no file name can hold.")
    encoded = os.fsencode(text)
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX or len(encoded) > PATH_MAX:
        what = (
            f"a name of {len(longest)} bytes, more than the {NAME_MAX} a file name can have"
            if len(longest) > NAME_MAX
            else f"{len(encoded):,} bytes, more than the {PATH_MAX:,} a path can have"
        )
        raise LessonError(
            f"{name} {shown_path(text)} is too long for the file system ({what}); "
            "choose a shorter name."
        )
    try:
        return Path(text).expanduser()
    except RuntimeError:  # "~someone" without such a user, or no home folder
        return Path(text)


def check_mode(mode: Any) -> str:
    """One of :data:`yamnet_lesson.choices.MODES` (what trains), or the sentence."""
    if mode not in MODES:
        raise LessonError(f"mode must be one of {MODES}, got {mode!r}.")
    return mode


def check_seed(value: Any, name: str = "seed", *, optional: bool = False) -> int | None:
    """Return a random seed as a Python ``int`` from 0 to :data:`MAX_SEED` (2**32 - 1).

    That is the range every seeded tool of the lesson takes: NumPy's
    ``default_rng`` takes any non-negative integer, but ``np.random.seed`` and
    ``keras.utils.set_random_seed`` stop at 2**32 - 1 (and Keras refuses NumPy
    integers, hence the plain ``int``).  ``None`` is returned as is when
    ``optional`` (a fresh, unseeded run).
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise LessonError(
            f"{name} must be a whole number from 0 to {MAX_SEED:,} (2**32 - 1), got {value!r}."
        )
    if value > MAX_SEED:
        raise LessonError(
            f"{name} must be at most {MAX_SEED:,} (2**32 - 1, the largest seed NumPy and Keras "
            f"take), got {value}."
        )
    return int(value)


def check_labels(labels: Any, name: str = "labels") -> np.ndarray:
    """``labels`` as a 1-D array holding each label as it was given; else LessonError.

    Labels may be of any hashable type (str, int, tuples, ...), mixed too: an
    array NumPy would make of them with another type (``[1, "a"]`` as the
    strings ``"1"``, ``"a"``), or could not make (``["a", (0, "b")]``), is
    built as an array of objects instead.  NaN is refused: it equals no
    label, not even another NaN.
    """
    flat = f"{name} must be a flat list of labels, one per clip; got"
    if isinstance(labels, np.ndarray) and labels.ndim != 1:
        got = f"shape {labels.shape}" if labels.ndim else f"the single value {labels.item()!r}"
        raise LessonError(f"{flat} {got}.")
    if isinstance(labels, np.ndarray):
        values = labels.tolist()
    elif isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
        raise LessonError(f"{flat} the single value {_short_repr(labels)}.")
    else:
        values = list(labels)
    for i, value in enumerate(values):
        try:
            hash(value)
        except TypeError:
            raise LessonError(
                f"{name} must be a flat list of labels, one per clip; {name}[{i}] is "
                f"{_short_repr(value)}, which cannot be a label (use str, int or a tuple)."
            ) from None
        if value != value:  # NaN
            raise LessonError(
                f"{name}[{i}] is NaN, which equals no label (not even another NaN); name that "
                "class, e.g. 'unknown'."
            )
    if isinstance(labels, np.ndarray):
        return labels
    try:
        array = np.asarray(values)
        same = array.ndim == 1 and array.dtype != object and array.tolist() == values
        same = same and all(
            type(a) is type(v) or isinstance(v, np.generic)
            for a, v in zip(array.tolist(), values, strict=True)
        )
    except (TypeError, ValueError, UnicodeError):
        same = False
    if not same:
        array = np.empty(len(values), dtype=object)
        for i, value in enumerate(values):  # one by one: tuples stay whole
            array[i] = value
    return array


def check_examples_per_class(
    k: Any, labels: Any, name: str = "K (training examples per class)"
) -> int:
    """Return ``k`` if every class of ``labels`` keeps ``k`` examples to train and one to validate.

    ``labels`` may hold any hashable values.  The message names the class
    that limits K (or leaves no K at all: a class with a single example).
    """
    counts = Counter(x.item() if isinstance(x, np.generic) else x for x in labels)
    if not counts:
        raise LessonError("labels is empty; give one label per clip.")
    rarest, fewest = min(counts.items(), key=lambda item: item[1])
    if fewest < 2:
        raise LessonError(
            "each class needs at least 2 examples (one to train, one to validate); "
            f"class {rarest!r} has {fewest}."
        )
    k = check_int(k, name, 1)
    if k > fewest - 1:
        raise LessonError(
            f"{name} must be between 1 and {fewest - 1}, got {k}: class {rarest!r} has "
            f"{fewest} examples and one must be left to validate."
        )
    return k


# ---------------------------------------------------------------------------
# Audio
# ---------------------------------------------------------------------------


def pcm_to_float(samples: np.ndarray) -> np.ndarray:
    """Integer PCM samples -> float32 in [-1, 1]; float input is returned as float32.

    Signed ``b``-bit integers are divided by ``2 ** (b - 1)`` (int16: 32768),
    unsigned ones are centred first (uint8: ``(x - 128) / 128``): libsndfile's
    convention, so an int16 array from ``scipy.io.wavfile.read`` gives exactly
    the numbers :func:`yamnet_lesson.audio.read_audio` reads from the same
    file.  24-bit WAVs come from ``scipy.io.wavfile.read`` as int32 with the
    samples in the top bits, so they scale right too.  64-bit integers are no
    PCM format: they are taken as plain numbers.
    """
    samples = np.asarray(samples)
    if samples.dtype.kind not in "iu" or samples.dtype.itemsize > 4:
        return samples.astype(np.float32, copy=False)
    half = 2.0 ** (8 * samples.dtype.itemsize - 1)
    scaled = samples.astype(np.float32)
    if samples.dtype.kind == "u":
        scaled -= np.float32(half)
    scaled *= np.float32(1 / half)
    return scaled


def check_clips_layout(audio: Any, name: str = "audio", sample_rate: int = 16_000) -> None:
    """Refuse a 2-D array that looks like ``(signals, samples)`` instead of ``(samples, signals)``.

    The lesson keeps one clip per column.  An array with more than twice as
    many columns as rows, whose rows would last less than half a YAMNet patch
    (0.49 s at ``sample_rate``), reads as many clips far too short to hear: it
    is almost surely transposed (300 clips of 0.98 s as ``(300, 15680)``,
    stereo as ``(2, n)``), so it is refused before any feature work.  Only the
    shape is looked at.
    """
    from .features import PATCH_SAMPLES, SAMPLE_RATE

    shape = np.shape(audio)
    if len(shape) != 2:
        return
    rows, columns = shape
    if 0 < 2 * rows < columns and 2 * rows * SAMPLE_RATE < PATCH_SAMPLES * sample_rate:
        raise LessonError(
            f"{name} has shape {shape}, which reads as {columns:,} clips of only {rows:,} "
            f"samples each, so it looks transposed: pass {name}.T to put one clip per column "
            "(samples, signals)."
        )


def _as_float_audio(audio: Any, name: str) -> np.ndarray:
    """``audio`` as a float32 array, integer PCM scaled; refuse what is not real numbers."""
    try:
        array = np.asarray(audio)
    except (TypeError, ValueError):
        raise LessonError(
            f"{name} must be an array of numbers (clips of different lengths go in a list of "
            "1-D arrays, where a helper takes one)."
        ) from None
    if array.dtype.kind == "b":
        raise LessonError(f"{name} holds True/False values, not sound; pass samples as numbers.")
    if array.dtype.kind == "c":
        raise LessonError(
            f"{name} holds complex numbers; pass the real signal (e.g. np.real({name}))."
        )
    if array.dtype.kind in "iuf":
        return pcm_to_float(array)
    if array.dtype.kind in "US":
        raise LessonError(
            f"{name} holds text, not samples; pass an array of numbers (read_audio reads a file)."
        )
    try:
        return array.astype(np.float32)
    except (TypeError, ValueError):
        raise LessonError(
            f"{name} must be an array of numbers, got an array of {array.dtype} values."
        ) from None


_PEAK_CHECKED = ContextVar("peak_checked", default=False)


@contextmanager
def peak_checked() -> Iterator[None]:
    """Within this block, audio peaking a little beyond [-1, 1] is used without a warning.

    For a helper that has checked (and, if need be, warned about) the
    student's audio once, and then passes it, or what it made of it, to other
    checked helpers: one warning per clip, under the name the student gave.
    Resampling in particular overshoots a clip that reaches full scale (a
    loud or clipped recording) by a few per cent: the file is not to blame.
    """
    token = _PEAK_CHECKED.set(True)
    try:
        yield
    finally:
        _PEAK_CHECKED.reset(token)


def _check_peak(array: np.ndarray, name: str) -> None:
    """Refuse NaN/infinity and floats far beyond [-1, 1]; warn a little beyond (see module doc)."""
    high, low = float(array.max()), float(array.min())  # NaN and inf show up here, no temporaries
    if not (np.isfinite(high) and np.isfinite(low)):
        raise LessonError(f"{name} contains NaN or infinite values; clean or re-record it.")
    peak = max(high, -low)
    if peak <= 1.0 + 1e-6 or (peak <= MAX_PEAK and _PEAK_CHECKED.get()):
        return
    if peak >= 128:
        raise LessonError(
            f"{name} reaches {peak:,.0f}, far outside [-1, 1], like integer samples stored as "
            "floats; pass the integer array itself (it is scaled for you) or divide 16-bit "
            "samples by 32768."
        )
    if peak > MAX_PEAK:
        raise LessonError(
            f"{name} reaches {peak:.3g}, beyond the [-1, 1] YAMNet hears in; divide it by its "
            f"peak first: {name} / np.abs({name}).max()."
        )
    warn_at_caller(
        f"{name} peaks at {peak:.3g}, beyond [-1, 1]; it is used as it is (divide it "
        f"by np.abs({name}).max() if it should fit in [-1, 1])."
    )


def check_audio(
    audio: Any, name: str = "audio", *, min_samples: int = 1, sample_rate: int | None = 16_000
) -> np.ndarray:
    """Return ``audio`` as a float32 array of shape ``(samples,)`` or ``(samples, signals)``.

    Integer PCM is scaled to [-1, 1] (:func:`pcm_to_float`); floats peaking a
    little above 1 (at most :data:`MAX_PEAK`) are used unchanged with a
    warning.  Raises :class:`LessonError` if it is empty, not real numbers,
    has more than two dimensions, looks transposed (checked first, from the
    shape alone, against ``sample_rate``; ``None`` skips that check), is
    shorter than ``min_samples``, holds NaN or infinite values, or floats
    peaking above :data:`MAX_PEAK`.
    """
    shape = np.shape(audio) if isinstance(audio, np.ndarray) else None
    if shape is not None and len(shape) == 2 and sample_rate is not None:
        check_clips_layout(audio, name, sample_rate)  # before any conversion: shape only
    array = _as_float_audio(audio, name)
    if array.ndim not in (1, 2):
        raise LessonError(
            f"{name} must be 1-D (samples,) or 2-D (samples, signals), got shape {array.shape}."
        )
    if array.ndim == 2 and array.shape[1] == 0:
        raise LessonError(f"{name} holds no signals (shape {array.shape}).")
    if shape is None and array.ndim == 2 and sample_rate is not None:
        check_clips_layout(array, name, sample_rate)
    if array.size == 0:
        raise LessonError(f"{name} is empty (shape {array.shape}); pass at least one sample.")
    if array.shape[0] < min_samples:
        raise LessonError(
            f"{name} has {array.shape[0]} samples; at least {min_samples} are needed."
        )
    _check_peak(array, name)
    return array


def check_waveform(waveform: Any, name: str = "waveform") -> np.ndarray:
    """Return one 1-D float32 waveform ``(samples,)`` for YAMNet; else raise LessonError.

    A single row or column (shape ``(n, 1)`` or ``(1, n)``) is one waveform too.
    Scaling and refusals as in :func:`check_audio`.
    """
    array = check_audio(waveform, name, sample_rate=None)
    if array.ndim == 2 and 1 in array.shape:
        return array.reshape(-1)
    if array.ndim == 2:
        raise LessonError(
            f"YAMNet takes one 1-D waveform at 16 kHz, got shape {array.shape}; pass one clip "
            f"at a time, e.g. {name}[:, 0] for the first column."
        )
    return array
