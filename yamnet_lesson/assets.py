"""Where Google's official YAMNet files come from, and how they are fetched safely.

Each file is looked for, in this order:

1. a path you pass (the file itself, or a folder holding it);
2. the folder named by the environment variable ``YAMNET_LESSON_MODEL_DIR``
   (how tests and offline classrooms point the lesson at a local copy);
3. the lesson's cache folder (``YAMNET_LESSON_CACHE_DIR``, or the user cache);
4. the official download URL.  Downloads are checked against the published
   SHA-256 and written atomically (by ``pooch``): a wrong or cut-off file never
   lands in the cache.

Nothing is ever replaced by random weights: if a file cannot be found, a
:class:`~yamnet_lesson.LessonError` says which file, from where, and where to
put it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pooch

from ._validation import LessonError

__all__ = [
    "CACHE_DIR_ENV",
    "FSDD_ARCHIVE",
    "MODEL_DIR_ENV",
    "YAMNET_CLASS_MAP",
    "YAMNET_H5",
    "YAMNET_HUB_HANDLE",
    "YAMNET_TFLITE",
    "RemoteFile",
    "cache_dir",
    "describe",
    "download",
    "download_all",
    "find_file",
]

pooch.get_logger().setLevel("WARNING")  # no "Downloading data from ..." lines in notebooks

MODEL_DIR_ENV = "YAMNET_LESSON_MODEL_DIR"
CACHE_DIR_ENV = "YAMNET_LESSON_CACHE_DIR"


@dataclass(frozen=True)
class RemoteFile:
    """A file the lesson needs: its name, official URL and SHA-256 (None if unpublished)."""

    name: str
    url: str
    sha256: str | None
    description: str


YAMNET_TFLITE = RemoteFile(
    "lite-model_yamnet_classification_tflite_1.tflite",
    "https://storage.googleapis.com/download.tensorflow.org/models/tflite/task_library/"
    "audio_classification/rpi/lite-model_yamnet_classification_tflite_1.tflite",
    "10c95ea3eb9a7bb4cb8bddf6feb023250381008177ac162ce169694d05c317de",
    "YAMNet's official weights (TF Lite)",
)
YAMNET_CLASS_MAP = RemoteFile(
    "yamnet_class_map.csv",
    "https://raw.githubusercontent.com/tensorflow/models/master/research/audioset/yamnet/"
    "yamnet_class_map.csv",
    "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2",
    "YAMNet's class map (521 AudioSet class names)",
)
YAMNET_H5 = RemoteFile(
    "yamnet.h5",
    "https://storage.googleapis.com/audioset/yamnet.h5",
    None,
    "YAMNet's float Keras weights",
)
YAMNET_HUB_HANDLE = "https://tfhub.dev/google/yamnet/1"
FSDD_ARCHIVE = RemoteFile(
    "free-spoken-digit-dataset-1.0.10.zip",
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.zip",
    None,  # the project publishes no checksum
    "The Free Spoken Digit Dataset (release 1.0.10)",
)


def cache_dir() -> Path:
    """The lesson's cache folder, created if needed.

    ``$YAMNET_LESSON_CACHE_DIR`` if set, else the user cache (e.g.
    ``~/.cache/yamnet_lesson``).  If that folder cannot be written, a folder in
    the system's temporary directory is used instead, with a warning.
    """
    folder = Path(os.environ.get(CACHE_DIR_ENV) or pooch.os_cache("yamnet_lesson"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return folder
    except OSError:
        fallback = Path(tempfile.gettempdir()) / "yamnet_lesson_cache"
        fallback.mkdir(parents=True, exist_ok=True)
        warnings.warn(
            f"Cannot write to the cache folder {folder}; using {fallback} instead "
            f"(set {CACHE_DIR_ENV} to choose another folder).",
            stacklevel=2,
        )
        return fallback


@lru_cache(maxsize=32)
def _sha256(path: Path, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, remote: RemoteFile) -> bool:
    """True if ``path`` is a file whose SHA-256 matches (or no checksum is published)."""
    if not path.is_file():
        return False
    if remote.sha256 is None:
        return True
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime) == remote.sha256


def download(remote: RemoteFile, folder: str | Path, *, url: str | None = None) -> Path:
    """Download ``remote`` into ``folder``, verified and atomically; return its path.

    Raises :class:`LessonError` if the transfer fails or the checksum does not
    match; in both cases nothing is left in ``folder``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    source = url or remote.url
    known_hash = f"sha256:{remote.sha256}" if remote.sha256 else None
    try:
        fetched = pooch.retrieve(
            source, known_hash=known_hash, fname=remote.name, path=folder, progressbar=False
        )
    except ValueError as error:  # pooch: checksum mismatch (the file was not kept)
        raise LessonError(
            f"The download of {remote.name} from {source} was refused: its checksum does not "
            f"match the published one ({error.args[0].splitlines()[0]})."
        ) from None
    except Exception as error:  # network, HTTP or a cut-off transfer
        raise LessonError(
            f"{remote.name} could not be downloaded from {source} ({type(error).__name__}: "
            f"{error})."
        ) from None
    return Path(fetched)


def find_file(
    remote: RemoteFile,
    path: str | Path | None = None,
    *,
    download_missing: bool = True,
    url: str | None = None,
) -> Path:
    """Find (or fetch) one of the official files; see the module docstring for the order.

    A file with a published checksum is used only if it matches.  A cached
    file that does not match is deleted and fetched again.
    """
    if path is not None:
        candidate = Path(path)
        candidate = candidate / remote.name if candidate.is_dir() else candidate
        if not candidate.is_file():
            raise LessonError(f"{candidate} does not exist; check the path to {remote.name}.")
        if not _verified(candidate, remote):
            raise LessonError(
                f"{candidate} is not the official {remote.name} (SHA-256 differs); "
                f"download it again from {remote.url}."
            )
        return candidate
    if os.environ.get(MODEL_DIR_ENV):
        candidate = Path(os.environ[MODEL_DIR_ENV]) / remote.name
        if _verified(candidate, remote):
            return candidate
    folder = cache_dir()
    cached = folder / remote.name
    if cached.is_file() and not _verified(cached, remote):
        warnings.warn(f"{cached} is damaged (checksum mismatch); fetching it again.", stacklevel=2)
        cached.unlink()
    if _verified(cached, remote):
        return cached
    reason = "downloads are switched off"
    if download_missing:
        try:
            return download(remote, folder, url=url)
        except LessonError as error:
            reason = str(error)
    raise LessonError(
        f"{remote.description} ({remote.name}) were not found. {reason} "
        f"Put the file in {folder}, or set {MODEL_DIR_ENV} to a folder holding it "
        "(python -m yamnet_lesson download --to DIR fetches it on a machine with internet)."
    )


def describe(path: str | Path) -> str:
    """One sentence saying which file was loaded, for ``model.source``."""
    return f"Google's official YAMNet, TF Lite file {Path(path).name} in {Path(path).parent}"


def download_all(dest: str | Path, *, base_url: str | None = None) -> list[Path]:
    """Fetch everything the lesson needs into ``dest``, for a classroom without internet.

    YAMNet's TF Lite file and class map (checksums verified), and the Free
    Spoken Digit Dataset (unpacked into ``dest/fsdd``).  ``base_url`` replaces
    the official locations (tests serve the files from 127.0.0.1).
    """
    import zipfile

    dest = Path(dest)
    paths = []
    for remote in (YAMNET_TFLITE, YAMNET_CLASS_MAP, FSDD_ARCHIVE):
        url = f"{base_url.rstrip('/')}/{remote.name}" if base_url else None
        target = dest / remote.name
        paths.append(target if _verified(target, remote) else download(remote, dest, url=url))
    with zipfile.ZipFile(paths[-1]) as zipped:
        zipped.extractall(dest / "fsdd")
    paths[-1].unlink()
    paths[-1] = dest / "fsdd"
    return paths
