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

from .validation import (
    LessonError,
    check_audio,
    check_path,
    check_positive,
    shown_path,
    warn_at_caller,
)

__all__ = [
    "MAX_SECONDS",
    "UPLOAD_ACCEPT",
    "UPLOAD_FORMATS",
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

UPLOAD_FORMATS = ("WAV", "FLAC", "OGG", "MP3")
"""The sound files every upload widget of the lesson accepts and names (libsndfile reads them)."""

UPLOAD_ACCEPT = ",".join(f".{name.lower()}" for name in UPLOAD_FORMATS)
"""``FileUpload(accept=...)`` for :data:`UPLOAD_FORMATS`: ``".wav,.flac,.ogg,.mp3"``."""


def read_audio(path: str | Path, *, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Read a sound file as ``(waveform, sample_rate)``.

    Returns a 1-D float32 waveform in [-1, 1] (channels averaged to mono) and
    the file's sampling rate in Hz.  Integer formats (8, 16, 24, 32 bit) are
    scaled to [-1, 1] by libsndfile, dividing by 2 ** (bits - 1): the scaling
    :func:`~yamnet_lesson.validation.pcm_to_float` gives integer arrays, so a
    file and ``scipy.io.wavfile.read`` of it give the same numbers.  Files
    longer than ``max_seconds`` are cut, with a note.
    """
    path = check_path(path)
    max_seconds = check_positive(max_seconds, "max_seconds")
    shown = shown_path(path)
    try:
        if path.is_dir():
            raise LessonError(
                f"{shown} is a folder, not a sound file; pass the path of one file in it."
            )
        if not path.exists():
            raise LessonError(f"{shown} does not exist; check the file name and folder.")
        if not path.is_file():
            raise LessonError(f"{shown} is not a regular file; pass the path of a sound file.")
        size = path.stat().st_size
    except OSError as error:  # e.g. a name too long for the file system, no permission
        raise LessonError(
            f"{shown} cannot be opened ({error.strerror or type(error).__name__}); "
            "check the file name and folder."
        ) from None
    if size == 0:
        raise LessonError(
            f"{shown_path(path.name)} is empty (0 bytes); record or copy the file again."
        )
    return _decode(str(path), shown_path(path.name), max_seconds)


def read_audio_bytes(
    content: bytes, name: str = "the file", *, max_seconds: float = MAX_SECONDS
) -> tuple[np.ndarray, int]:
    """Like :func:`read_audio`, for a file's bytes (e.g. from an ipywidgets ``FileUpload``).

    ``name`` is the file's name, used in messages only.  Returns
    ``(waveform (samples,) float32 in [-1, 1], sample_rate in Hz)``.
    """
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise LessonError(
            f"content must be the file's bytes (bytes, bytearray or memoryview), got "
            f"{type(content).__name__}; read_audio reads a file from its path."
        )
    name = shown_path(name) if isinstance(name, (str, bytes, os.PathLike)) else "the file"
    max_seconds = check_positive(max_seconds, "max_seconds")
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
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as error:
        raise _not_audio(name, error) from None
    wanted = max_seconds * info.samplerate  # may be inf, or above any length
    frames = info.frames if wanted >= info.frames else int(wanted)
    if frames == 0 and info.frames > 0:
        raise LessonError(
            f"max_seconds={max_seconds:g} keeps no sample of {name} (one sample lasts "
            f"{1 / info.samplerate:.3g} s at {info.samplerate} Hz); pass a longer time."
        )
    try:
        data, sample_rate = soundfile.read(source, frames=frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as error:
        raise _not_audio(name, error) from None
    if frames < info.frames:
        print(f"Note: {name} is {info.duration:.3g} s long; using its first {max_seconds:.3g} s.")
    if data.shape[0] == 0:
        raise LessonError(f"{name} holds no samples; record or copy the file again.")
    waveform = check_audio(data.mean(axis=1), name)
    return waveform, int(sample_rate)


def _not_audio(name: str, error: Exception) -> LessonError:
    reason = getattr(error, "error_string", None) or str(error)  # without the object's repr
    return LessonError(
        f"{name} could not be read as audio ({reason.rstrip('.')}); save it as a WAV file "
        "and retry."
    )


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


FSDD_HOME = "https://github.com/Jakobovski/free-spoken-digit-dataset"
FSDD_ENV = "YAMNET_LESSON_FSDD_DIR"


def fsdd_dir(*, download: bool = True, url: str | None = None) -> Path:
    """The Free Spoken Digit Dataset folder (the one holding ``recordings/``).

    Looked for in ``$YAMNET_LESSON_FSDD_DIR`` (or the release archive unpacked
    inside it), then the lesson's cache; otherwise the dataset's release
    archive is downloaded from its public home on GitHub (about 16 MB) and
    unpacked into the cache.  Nowhere else: no folder beside the project or
    near ``$YAMNET_LESSON_MODEL_DIR`` is searched.  A setting that names no such
    folder is named in a warning (and in the message if the recordings cannot
    be had at all).
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
    folders = [assets.cache_dir() / "fsdd"]
    if chosen is not None and not problem:
        folders.insert(0, chosen)
    for folder in folders:
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
    digits: str = "012",
    speaker: str = "jackson",
    *,
    gap_seconds: float = 0.1,
    download: bool = True,
) -> np.ndarray:
    """Spoken digits from the Free Spoken Digit Dataset, one after another, at 16 kHz.

    ``digits`` is read out in order ("012": zero, one, two), using each
    digit's first recording by ``speaker``, with ``gap_seconds`` of silence
    after each.  The default, 1.96 s, fits whole in the 2 s that
    :func:`yamnet_lesson.signals.demo_clip` gives speech ("0123" would not).
    Returns a float32 waveform of shape ``(samples,)`` resampled to 16 kHz
    (about 0.5 s per digit).  The dataset is found or fetched as
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
