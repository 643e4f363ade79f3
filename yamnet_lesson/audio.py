"""Reading sound files for the lesson: the example clips and a student's own recordings.

:func:`read_audio` turns any readable WAV/FLAC/OGG file into a mono float32
waveform in [-1, 1] and its sampling rate, or raises one clear
:class:`~yamnet_lesson.LessonError` saying what is wrong with the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile

from .validation import LessonError, check_audio, check_positive, warn_at_caller

__all__ = [
    "MAX_SECONDS",
    "example_audio_dir",
    "fsdd_dir",
    "load_fsdd",
    "read_audio",
    "read_audio_bytes",
    "read_upload",
    "spoken_digits",
    "uploaded_files",
]

MAX_SECONDS = 600.0
"""Longer files are cut to their first 10 minutes (with a note), to keep memory small."""


def read_audio(path: str | Path, *, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Read a sound file as ``(waveform, sample_rate)``.

    Returns a 1-D float32 waveform in [-1, 1] (channels averaged to mono) and
    the file's sampling rate in Hz.  Integer formats (8, 16, 24, 32 bit) are
    scaled to [-1, 1] by libsndfile, dividing by 2 ** (bits - 1): the scaling
    :func:`~yamnet_lesson.validation.pcm_to_float` gives integer arrays, so a
    file and ``scipy.io.wavfile.read`` of it give the same numbers.  Files
    longer than ``max_seconds`` are cut, with a note.
    """
    path = Path(path)
    if not path.is_file():
        raise LessonError(f"{path} does not exist; check the file name and folder.")
    if path.stat().st_size == 0:
        raise LessonError(f"{path.name} is empty (0 bytes); record or copy the file again.")
    return _decode(str(path), path.name, max_seconds)


def read_audio_bytes(
    content: bytes, name: str = "the file", *, max_seconds: float = MAX_SECONDS
) -> tuple[np.ndarray, int]:
    """Like :func:`read_audio`, for a file's bytes (e.g. from an ipywidgets ``FileUpload``).

    ``name`` is the file's name, used in messages only.  Returns
    ``(waveform (samples,) float32 in [-1, 1], sample_rate in Hz)``.
    """
    content = bytes(content)
    if not content:
        raise LessonError(f"{name} is empty (0 bytes); record or copy the file again.")
    return _decode(io.BytesIO(content), name, max_seconds)


def _decode(source: str | BinaryIO, name: str, max_seconds: float) -> tuple[np.ndarray, int]:
    """Decode ``source`` (a path or an open binary file) with soundfile; see read_audio."""
    try:
        info = soundfile.info(source)
        if not isinstance(source, str):
            source.seek(0)
        frames = min(info.frames, int(max_seconds * info.samplerate))
        data, sample_rate = soundfile.read(source, frames=frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as error:
        reason = getattr(error, "error_string", None) or str(error)  # without the object's repr
        raise LessonError(
            f"{name} could not be read as audio ({reason.rstrip('.')}); save it as a WAV file "
            "and retry."
        ) from None
    if frames < info.frames:
        print(f"Note: {name} is {info.duration:.0f} s long; using its first {max_seconds:.0f} s.")
    if data.shape[0] == 0:
        raise LessonError(f"{name} holds no samples; record or copy the file again.")
    waveform = check_audio(data.mean(axis=1), name)
    return waveform, int(sample_rate)


def read_upload(upload: Any) -> tuple[np.ndarray, int] | None:
    """The last file given to an ``ipywidgets.FileUpload``, read like :func:`read_audio`.

    ``upload``: the widget or its ``value`` (see :func:`uploaded_files`).
    Returns ``(waveform, sample_rate)``, or None if no file was uploaded yet.
    """
    files = uploaded_files(getattr(upload, "value", upload))
    if not files:
        return None
    name, content = files[-1]
    return read_audio_bytes(content, Path(name).name)


def uploaded_files(value: Any) -> list[tuple[str, bytes]]:
    """``(file name, content)`` of each file in an ``ipywidgets.FileUpload``'s ``value``.

    ipywidgets 8 gives a sequence of dicts with ``name`` and ``content``;
    ipywidgets 7 (Colab's) a dict of file name -> ``{"metadata", "content"}``.
    Both give the same list, in the order the files were chosen.
    """
    if isinstance(value, Mapping):  # ipywidgets 7
        return [
            (str(item.get("metadata", {}).get("name", name)), bytes(item["content"]))
            for name, item in value.items()
        ]
    return [(str(item.get("name", "the file")), bytes(item["content"])) for item in value or ()]


def _shared_folder(relative: str) -> Path | None:
    """``shared/<relative>`` next to ``$YAMNET_LESSON_MODEL_DIR`` or beside the repository."""
    candidates = [Path(__file__).resolve().parents[2] / "shared"]
    model_dir = os.environ.get("YAMNET_LESSON_MODEL_DIR")
    parents = Path(model_dir).resolve().parents if model_dir else []
    if len(parents) >= 2:  # shared/models/yamnet -> shared
        candidates.insert(0, parents[1])
    for root in candidates:
        if (root / relative).is_dir():
            return root / relative
    return None


def example_audio_dir() -> Path | None:
    """The folder of example clips (``shared/audio`` beside the project), or None if absent."""
    return _shared_folder("audio")


FSDD_HOME = "https://github.com/Jakobovski/free-spoken-digit-dataset"
FSDD_ENV = "YAMNET_LESSON_FSDD_DIR"


def fsdd_dir(*, download: bool = True, url: str | None = None) -> Path:
    """The Free Spoken Digit Dataset folder (the one holding ``recordings/``).

    Looked for in ``$YAMNET_LESSON_FSDD_DIR`` (or the release archive unpacked
    inside it), then ``shared/datasets/fsdd-dev`` beside the project, then the
    lesson's cache; otherwise the dataset's release archive is downloaded from
    its public home on GitHub (about 16 MB) and unpacked into the cache.  A
    setting that names no such folder is named in a warning (and in the
    message if the recordings cannot be had at all).
    """
    from . import assets

    expected = "the folder holding recordings/"
    chosen = assets.setting(FSDD_ENV)
    problem = assets.setting_problem(FSDD_ENV, expected)
    if problem is None and chosen is not None and assets.recordings_folder(chosen) is None:
        problem = (
            f"{FSDD_ENV} is set to {chosen}, which holds no recordings/ (set it to {expected})"
        )
    if problem:
        warn_at_caller(f"{problem}; it is ignored.")
    candidates = [None if problem else chosen, _shared_folder("datasets/fsdd-dev")]
    for folder in [*filter(None, candidates), assets.cache_dir() / "fsdd"]:
        found = assets.recordings_folder(folder)
        if found is not None:
            return found
    fix = problem or f"set {FSDD_ENV} to {expected}"
    if not download:
        raise LessonError(
            "The spoken-digit recordings were not found: download the Free Spoken Digit Dataset "
            f"from {FSDD_HOME}; {fix}."
        )
    try:
        assets.fetch_fsdd(assets.cache_dir(), url=url)
    except LessonError as error:
        reason = str(error).rstrip(".")
        raise LessonError(
            f"The spoken-digit recordings could not be fetched ({reason}): download the Free "
            f"Spoken Digit Dataset from {FSDD_HOME}; {fix}."
        ) from None
    return fsdd_dir(download=False)


def load_fsdd(speaker: str) -> tuple[list[np.ndarray], np.ndarray, int]:
    """All recordings of one speaker: ``(waveforms, digit labels as str, sample_rate)``.

    Recordings are 8 kHz mono and about half a second long; files are named
    ``<digit>_<speaker>_<index>.wav``.
    """
    recordings = sorted(
        (fsdd_dir() / "recordings").glob(f"*_{speaker}_*.wav"),
        key=lambda p: (int(p.stem.split("_")[0]), int(p.stem.split("_")[2])),
    )
    if not recordings:
        raise LessonError(f"no recordings of speaker {speaker!r}; try 'jackson' or 'nicolas'.")
    waveforms, rates = zip(*(read_audio(path) for path in recordings), strict=True)
    if len(set(rates)) != 1:
        raise LessonError(f"recordings of {speaker!r} have different sampling rates {set(rates)}.")
    labels = np.array([p.stem.split("_")[0] for p in recordings])
    return list(waveforms), labels, rates[0]


def spoken_digits(
    digits: str = "0123",
    speaker: str = "jackson",
    *,
    gap_seconds: float = 0.1,
    download: bool = True,
) -> np.ndarray:
    """Spoken digits from the Free Spoken Digit Dataset, one after another, at 16 kHz.

    ``digits`` is read out in order ("0123": zero, one, two, three), using each
    digit's first recording by ``speaker``, with ``gap_seconds`` of silence
    after each.  Returns a float32 waveform of shape ``(samples,)`` resampled
    to 16 kHz (about 0.5 s per digit).  The dataset is found or fetched as
    :func:`fsdd_dir` does (``download=False`` never touches the network);
    raises :class:`LessonError` if it cannot be had.
    """
    from .features import SAMPLE_RATE, resample

    if not digits or not digits.isdigit():
        raise LessonError(f"digits must be a string of digits such as '0123', got {digits!r}.")
    folder = fsdd_dir(download=download) / "recordings"
    gap = np.zeros(round(check_positive(gap_seconds, "gap_seconds") * SAMPLE_RATE), np.float32)
    pieces = []
    for digit in digits:
        path = folder / f"{digit}_{speaker}_0.wav"
        if not path.is_file():
            raise LessonError(
                f"no recording {path.name} in {folder}; try speaker 'jackson' or 'nicolas'."
            )
        waveform, sample_rate = read_audio(path)
        pieces += [resample(waveform, sample_rate), gap]
    return np.concatenate(pieces)
