"""Where Google's official YAMNet files come from, and how they are fetched safely.

Each file is looked for, in this order:

1. a path you pass (the file itself, or a folder holding it);
2. the folder named by the environment variable ``YAMNET_LESSON_MODEL_DIR``
   (how tests and offline classrooms point the lesson at a local copy);
3. the lesson's cache folder (``YAMNET_LESSON_CACHE_DIR``, or the user cache);
4. the official download URL.  Downloads are checked against the published
   SHA-256 and written atomically (by ``pooch``): a wrong or cut-off file never
   lands in the cache.

A file whose SHA-256 is published is used only if it matches.  Nothing is ever
replaced by random weights: if a file cannot be found, a
:class:`~yamnet_lesson.LessonError` says which file, from where, and where to
put it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import warnings
import zipfile
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
    "YAMNET_HUB_HANDLE",
    "YAMNET_TFLITE",
    "RemoteFile",
    "cache_dir",
    "describe",
    "download",
    "download_all",
    "fetch_fsdd",
    "find_file",
]

pooch.get_logger().setLevel("WARNING")  # no "Downloading data from ..." lines in notebooks

MODEL_DIR_ENV = "YAMNET_LESSON_MODEL_DIR"
CACHE_DIR_ENV = "YAMNET_LESSON_CACHE_DIR"


@dataclass(frozen=True)
class RemoteFile:
    """A file the lesson needs.

    ``description`` is a noun phrase that reads well inside a sentence
    ("Could not find <description> (<name>) ...").  ``sha256`` is None where
    no checksum is published.
    """

    name: str
    url: str
    sha256: str | None
    description: str


YAMNET_TFLITE = RemoteFile(
    "lite-model_yamnet_classification_tflite_1.tflite",
    "https://storage.googleapis.com/download.tensorflow.org/models/tflite/task_library/"
    "audio_classification/rpi/lite-model_yamnet_classification_tflite_1.tflite",
    "10c95ea3eb9a7bb4cb8bddf6feb023250381008177ac162ce169694d05c317de",
    "Google's official YAMNet TF Lite file",
)
YAMNET_CLASS_MAP = RemoteFile(
    "yamnet_class_map.csv",
    "https://raw.githubusercontent.com/tensorflow/models/master/research/audioset/yamnet/"
    "yamnet_class_map.csv",
    "cdf24d193e196d9e95912a2667051ae203e92a2ba09449218ccb40ef787c6df2",
    "YAMNet's official class map of the 521 AudioSet classes",
)
YAMNET_HUB_HANDLE = "https://tfhub.dev/google/yamnet/1"
FSDD_ARCHIVE = RemoteFile(
    "free-spoken-digit-dataset-1.0.10.zip",
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.zip",
    None,  # the project publishes no checksum
    "the Free Spoken Digit Dataset archive (release 1.0.10)",
)


# ---------------------------------------------------------------------------
# The cache folder
# ---------------------------------------------------------------------------


def _writable(folder: Path) -> bool:
    """True if ``folder`` exists (or can be created) and a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return False
    return True


def cache_dir() -> Path:
    """The lesson's cache folder, created if needed.

    ``$YAMNET_LESSON_CACHE_DIR`` if set, else the user cache (e.g.
    ``~/.cache/yamnet_lesson``).  If that folder cannot be written, a folder in
    the system's temporary directory is used instead, with a warning.
    """
    folder = Path(os.environ.get(CACHE_DIR_ENV) or pooch.os_cache("yamnet_lesson")).expanduser()
    if _writable(folder):
        return folder
    fallback = Path(tempfile.gettempdir()) / "yamnet_lesson_cache"
    if not _writable(fallback):  # e.g. another user's folder of that name
        fallback = Path(tempfile.mkdtemp(prefix="yamnet_lesson_cache_"))
    warnings.warn(
        f"Cannot write to the cache folder {folder}; using {fallback} instead "
        f"(set {CACHE_DIR_ENV} to a folder you can write to).",
        stacklevel=2,
    )
    return fallback


# ---------------------------------------------------------------------------
# Checking files
# ---------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file; size and modification time make the cached answer safe to reuse."""
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
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns) == remote.sha256


def describe(path: str | Path, remote: RemoteFile = YAMNET_TFLITE) -> str:
    """One sentence saying which file was loaded, for ``model.source``.

    E.g. "Google's official YAMNet TF Lite file /data/lite-model_....tflite (sha256 verified)".
    """
    path = Path(path)
    if remote.sha256 is None:
        check = "no published sha256 to check"
    elif _verified(path, remote):
        check = "sha256 verified"
    else:
        check = "sha256 does NOT match the official file"
    return f"{remote.description} {path} ({check})"


# ---------------------------------------------------------------------------
# Downloading
# ---------------------------------------------------------------------------


class _FetchError(Exception):
    """A download failed; the message is a short reason such as 'Connection refused'."""


def _reason(error: BaseException) -> str:
    """A short, readable reason for a failed transfer, found in the chain of causes.

    E.g. 'Connection refused', 'HTTP 404 Not Found', 'Name or service not known',
    'the connection closed after 66,666 of 200,000 bytes'.
    """
    stack, seen = [error], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, http.client.IncompleteRead):
            partial = current.partial if isinstance(current.partial, int) else len(current.partial)
            if isinstance(current.expected, int):
                total = f"{partial + current.expected:,}"
                return f"the connection closed after {partial:,} of {total} bytes"
            return f"the connection closed after {partial:,} bytes"
        if isinstance(current, urllib.error.HTTPError):
            return f"HTTP {current.code} {current.reason}"
        response = getattr(current, "response", None)
        if getattr(response, "status_code", None):
            return f"HTTP {response.status_code} {response.reason}"
        if "Timeout" in type(current).__name__ or isinstance(current, TimeoutError):
            return "the server did not answer in time"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        links = (current.__cause__, current.__context__, getattr(current, "reason", None))
        stack.extend(e for e in (*links, *current.args) if isinstance(e, BaseException))
    text = str(error).splitlines()[0].rstrip(".") if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _fetch(remote: RemoteFile, folder: Path, source: str) -> Path:
    """Download ``source`` to ``folder/remote.name`` with pooch; raise _FetchError on failure.

    pooch writes to a temporary file in ``folder`` and moves it into place only
    once the transfer is complete and the checksum (where known) matches, so a
    failed download leaves nothing behind.
    """
    known_hash = f"sha256:{remote.sha256}" if remote.sha256 else None
    try:
        fetched = pooch.retrieve(
            source, known_hash=known_hash, fname=remote.name, path=folder, progressbar=False
        )
    except ValueError as error:
        if remote.sha256 and "does not match the known hash" in str(error):
            raise _FetchError(
                "its SHA-256 does not match the published one, so it was not kept"
            ) from None
        raise _FetchError(_reason(error)) from None
    except Exception as error:  # network, HTTP status, a cut-off transfer, a full disk
        raise _FetchError(_reason(error)) from None
    return Path(fetched)


def download(remote: RemoteFile, folder: str | Path, *, url: str | None = None) -> Path:
    """Download ``remote`` (from ``url`` if given) into ``folder``, verified; return its path.

    Raises :class:`LessonError` if the transfer fails or the checksum does not
    match; in both cases nothing is left in ``folder``.
    """
    source = url or remote.url
    try:
        return _fetch(remote, Path(folder), source)
    except _FetchError as error:
        raise LessonError(
            f"{remote.name} could not be downloaded from {source} ({error})."
        ) from None


# ---------------------------------------------------------------------------
# Finding a file
# ---------------------------------------------------------------------------


def _explicit(remote: RemoteFile, path: Path) -> Path:
    """The file at ``path`` (or ``path/remote.name`` for a folder), checked."""
    candidate = path / remote.name if path.is_dir() else path
    if not candidate.is_file():
        where = f"{path} holds no {remote.name}" if path.is_dir() else f"{path} does not exist"
        raise LessonError(f"{where}; check the path to {remote.description}.")
    if not _verified(candidate, remote):
        raise LessonError(
            f"{candidate} is not {remote.description}: its SHA-256 differs from the published "
            f"one. Download it again from {remote.url}."
        )
    return candidate


def find_file(
    remote: RemoteFile,
    path: str | Path | None = None,
    *,
    download: bool = True,
    url: str | None = None,
) -> Path:
    """Find (or fetch) one of the official files; see the module docstring for the order.

    ``path`` is the file itself or a folder holding it; ``download=False``
    never touches the network; ``url`` replaces ``remote.url`` (a mirror, or a
    test server).  A cached file whose checksum does not match is deleted and
    fetched again.  Raises :class:`LessonError` if the file cannot be had.
    """
    if path is not None:
        return _explicit(remote, Path(path))
    if os.environ.get(MODEL_DIR_ENV):
        candidate = Path(os.environ[MODEL_DIR_ENV]) / remote.name
        if _verified(candidate, remote):
            return candidate
        if candidate.is_file():
            warnings.warn(
                f"{candidate} (from {MODEL_DIR_ENV}) is not {remote.description}: its SHA-256 "
                "differs from the published one, so it is ignored.",
                stacklevel=2,
            )
    folder = cache_dir()
    cached = folder / remote.name
    if _verified(cached, remote):
        return cached
    if cached.is_file():
        warnings.warn(f"{cached} is damaged (checksum mismatch); fetching it again.", stacklevel=2)
        cached.unlink(missing_ok=True)
    source = url or remote.url
    problem = f"Could not find {remote.description} ({remote.name}) on this computer"
    if not download:
        problem += " (downloading was switched off)"
    else:
        try:
            return _fetch(remote, folder, source)
        except _FetchError as error:
            problem += f", nor download it from {source} ({error})"
    raise LessonError(
        f"{problem}. Put the file in {folder} or set {MODEL_DIR_ENV} to a folder holding it "
        "(python -m yamnet_lesson download --to DIR fetches it on a machine with internet)."
    )


# ---------------------------------------------------------------------------
# Everything at once, for a classroom without internet
# ---------------------------------------------------------------------------


def download_all(dest: str | Path, *, base_url: str | None = None) -> list[Path]:
    """Fetch everything the lesson needs into ``dest``; return the paths.

    YAMNet's TF Lite file and class map (checksums verified; files already
    there and verified are kept), and the Free Spoken Digit Dataset (unpacked
    into ``dest/fsdd``).  ``base_url`` replaces the official locations:
    ``<base_url>/<file name>`` (a mirror, or a test server on 127.0.0.1).
    """
    dest = Path(dest)

    def url_of(remote: RemoteFile) -> str | None:
        return f"{base_url.rstrip('/')}/{remote.name}" if base_url else None

    paths: list[Path] = []
    for remote in (YAMNET_TFLITE, YAMNET_CLASS_MAP):
        target = dest / remote.name
        paths.append(
            target if _verified(target, remote) else download(remote, dest, url=url_of(remote))
        )
    fsdd = dest / "fsdd"
    if not any(fsdd.glob("*/recordings")):
        fetch_fsdd(dest, url=url_of(FSDD_ARCHIVE))
    paths.append(fsdd)
    return paths


def fetch_fsdd(folder: str | Path, *, url: str | None = None) -> Path:
    """Download the Free Spoken Digit Dataset's release archive and unpack it.

    The archive is fetched into ``folder`` (from ``url`` if given), unpacked
    into ``folder/fsdd`` (about 10 MB) and deleted; returns ``folder/fsdd``.
    Raises :class:`LessonError` if the download fails or is not a zip archive.
    """
    folder = Path(folder)
    archive = download(FSDD_ARCHIVE, folder, url=url)
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(folder / "fsdd")
    except zipfile.BadZipFile:
        raise LessonError(
            f"{FSDD_ARCHIVE.name} from {url or FSDD_ARCHIVE.url} is not a zip archive; "
            "try again later or download it by hand."
        ) from None
    finally:
        archive.unlink(missing_ok=True)
    return folder / "fsdd"
