"""Reading sound files for the lesson: the example clips and a student's own recordings.

:func:`read_audio` turns any readable WAV/FLAC/OGG file into a mono float32
waveform in [-1, 1] and its sampling rate, or raises one clear
:class:`~yamnet_lesson.LessonError` saying what is wrong with the file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from ._validation import LessonError, check_audio

__all__ = [
    "MAX_SECONDS",
    "example_audio_dir",
    "fsdd_dir",
    "load_fsdd",
    "read_audio",
    "read_upload",
]

MAX_SECONDS = 600.0
"""Longer files are cut to their first 10 minutes (with a note), to keep memory small."""


def read_audio(path: str | Path, *, max_seconds: float = MAX_SECONDS) -> tuple[np.ndarray, int]:
    """Read a sound file as ``(waveform, sample_rate)``.

    Returns a 1-D float32 waveform in [-1, 1] (channels averaged to mono) and
    the file's sampling rate in Hz.  Integer formats (8, 16, 24, 32 bit) are
    scaled to [-1, 1]; files longer than ``max_seconds`` are cut, with a note.
    """
    path = Path(path)
    if not path.is_file():
        raise LessonError(f"{path} does not exist; check the file name and folder.")
    if path.stat().st_size == 0:
        raise LessonError(f"{path.name} is empty (0 bytes); record or copy the file again.")
    try:
        info = soundfile.info(str(path))
        frames = min(info.frames, int(max_seconds * info.samplerate))
        data, rate = soundfile.read(str(path), frames=frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as error:
        raise LessonError(
            f"{path.name} could not be read as audio ({error}); save it as a WAV file and retry."
        ) from None
    if frames < info.frames:
        print(
            f"Note: {path.name} is {info.duration:.0f} s long; using its first {max_seconds:.0f} s."
        )
    if data.shape[0] == 0:
        raise LessonError(f"{path.name} holds no samples; record or copy the file again.")
    waveform = check_audio(data.mean(axis=1), path.name)
    return waveform, int(rate)


def read_upload(upload: Any) -> tuple[np.ndarray, int] | None:
    """The last file given to an ``ipywidgets.FileUpload``, read like :func:`read_audio`.

    ``upload``: the widget or its ``value`` (a sequence of dicts with ``name``
    and ``content``).  Returns ``(waveform, sample_rate)``, or None if no file
    was uploaded yet.
    """
    files = getattr(upload, "value", upload) or ()
    if not files:
        return None
    item = files[-1]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(str(item["name"])).name
        path.write_bytes(bytes(item["content"]))
        return read_audio(path)


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
    lesson's cache; otherwise the dataset's
    release archive is downloaded from its public home on GitHub (about 10 MB)
    and unpacked into the cache.
    """
    from . import assets

    candidates = [Path(os.environ[FSDD_ENV])] if os.environ.get(FSDD_ENV) else []
    candidates += [_shared_folder("datasets/fsdd-dev"), assets.cache_dir() / "fsdd"]
    for folder in filter(None, candidates):
        # the folder itself, or the unpacked release archive inside it
        for found in [folder / "recordings", *sorted(folder.glob("*/recordings"))]:
            if found.is_dir():
                return found.parent
    if not download:
        raise LessonError(
            f"The spoken-digit recordings were not found. Download the Free Spoken Digit Dataset "
            f"from {FSDD_HOME} and set {FSDD_ENV} to the folder holding recordings/."
        )
    try:
        assets.fetch_fsdd(assets.cache_dir(), url=url)
    except LessonError as error:
        raise LessonError(
            f"The spoken-digit recordings could not be fetched ({error}). Download the Free "
            f"Spoken Digit Dataset from {FSDD_HOME} and set {FSDD_ENV} to the folder holding "
            "recordings/."
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
