"""Where Google's official YAMNet files come from, and how they are fetched safely.

Each file is looked for, in this order:

1. a path you pass (the file itself, or a folder holding it);
2. the folder named by the environment variable ``YAMNET_LESSON_MODEL_DIR``
   (how tests and offline classrooms point the lesson at a local copy);
3. the lesson's cache folder (``YAMNET_LESSON_CACHE_DIR``, or the user cache);
4. the official download URL, or ``<YAMNET_LESSON_DOWNLOAD_URL>/<file name>``
   where that setting names a mirror (a classroom server, a test server on
   127.0.0.1).  Downloads are checked against the published SHA-256 and
   written atomically (by ``pooch``): a wrong or cut-off file never lands in
   the cache.

A file whose SHA-256 is published is used only if it matches.  Nothing is ever
replaced by random weights: if a file cannot be found, a
:class:`~yamnet_lesson.LessonError` says which file, from where, and where to
put it.  A setting (``YAMNET_LESSON_MODEL_DIR``, ``YAMNET_LESSON_FSDD_DIR``,
``YAMNET_LESSON_CACHE_DIR``) that names a file or a missing folder is named,
with what it points at, in a warning and in the final message.

Downloading into a folder (:func:`download`, :func:`fetch_fsdd`,
:func:`download_all`, ``python -m yamnet_lesson download --to DIR``) never
deletes, overwrites or trusts a file it did not write in this run: a file
already there is used only if it matches the published SHA-256 (or, for the
spoken-digit archive, the size and SHA-256 the lesson records); anything else
is left alone and either refused with a sentence or fetched afresh under a
temporary name.  Every file and folder appears only once it is complete.
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

from .validation import LessonError, check_path, warn_at_caller

__all__ = [
    "CACHE_DIR_ENV",
    "DOWNLOAD_URL_ENV",
    "FSDD_DIR_ENV",
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
FSDD_DIR_ENV = "YAMNET_LESSON_FSDD_DIR"
DOWNLOAD_URL_ENV = "YAMNET_LESSON_DOWNLOAD_URL"


@dataclass(frozen=True)
class RemoteFile:
    """A file the lesson needs.

    ``description`` is a noun phrase that reads well inside a sentence
    ("Could not find <description> (<name>) ...").  ``sha256`` is None where
    no checksum is published.  ``recorded`` is ``(size in bytes, SHA-256)`` of
    a copy known to be right where nothing is published: a file found with
    exactly these is trusted, but downloads are not held to them (the server
    may rebuild the file).
    """

    name: str
    url: str
    sha256: str | None
    description: str
    recorded: tuple[int, str] | None = None


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
    # GitHub's archive of tag v1.0.10 (commit d6938f9b) as recorded by a public audit of
    # that release; it could not be re-measured here (no internet).  A wrong record costs
    # only a fresh download: an archive found in a folder is used only if it matches.
    recorded=(16_419_872, "c680098f5d2355ba7cc4bd8b0ca9e0a24c00ebe3b4c552208889a4d28d4fbc2b"),
)


# ---------------------------------------------------------------------------
# The cache folder
# ---------------------------------------------------------------------------


def setting(env: str) -> Path | None:
    """The path an environment variable names (``~`` expanded), or None if it is unset or empty."""
    value = os.environ.get(env, "").strip()
    return Path(value).expanduser() if value else None


def source_of(remote: RemoteFile, url: str | None = None) -> str:
    """Where ``remote`` is downloaded from: ``url`` if given, else
    ``<$YAMNET_LESSON_DOWNLOAD_URL>/<remote.name>`` if that setting names a mirror,
    else the official location ``remote.url``."""
    if url:
        return url
    mirror = os.environ.get(DOWNLOAD_URL_ENV, "").strip()
    return f"{mirror.rstrip('/')}/{remote.name}" if mirror else remote.url


def setting_problem(env: str, expected: str) -> str | None:
    """What is wrong with the folder ``$env`` names, as the start of a sentence; None if fine.

    ``expected`` says what the folder should hold, e.g. "the folder holding
    recordings/".  E.g. "YAMNET_LESSON_MODEL_DIR is set to /data/x.tflite, which
    is a file, not a folder (set it to the folder holding it, /data)".
    """
    path = setting(env)
    if path is None or path.is_dir():
        return None
    if path.exists():
        return (
            f"{env} is set to {path}, which is a file, not a folder (set it to {expected}, "
            f"e.g. {path.parent})"
        )
    return f"{env} is set to {path}, which does not exist (set it to {expected})"


def _write_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be created or written in (a short reason), or None if it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileExistsError:
        return "it is a file, not a folder"
    except NotADirectoryError:
        in_the_way = next((p for p in folder.parents if p.is_file()), None)
        if in_the_way is not None:
            return f"{in_the_way} is a file, so no folder can be made there"
        return "a file is in the way"
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def cache_dir() -> Path:
    """The lesson's cache folder, created if needed (a missing folder is made, like any cache).

    ``$YAMNET_LESSON_CACHE_DIR`` if set, else the user cache (e.g.
    ``~/.cache/yamnet_lesson``).  If that folder cannot be written (or is a
    file), a folder in the system's temporary directory is used instead, with
    a warning that names the setting and what it points at.
    """
    chosen = setting(CACHE_DIR_ENV)
    folder = chosen or Path(pooch.os_cache("yamnet_lesson")).expanduser()
    problem = _write_problem(folder)
    if problem is None:
        return folder
    fallback = Path(tempfile.gettempdir()) / "yamnet_lesson_cache"
    if _write_problem(fallback) is not None:  # e.g. another user's folder of that name
        fallback = Path(tempfile.mkdtemp(prefix="yamnet_lesson_cache_"))
    where = (
        f"{CACHE_DIR_ENV} is set to {folder}"
        if chosen
        else f"Cannot write to the cache folder {folder}"
    )
    warn_at_caller(
        f"{where} ({problem}); using {fallback} instead (set {CACHE_DIR_ENV} to a folder you "
        "can write to)."
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


def _known_copy(path: Path, remote: RemoteFile) -> bool:
    """True if ``path`` is a file that can be trusted without downloading it again.

    It must match the published SHA-256, or, where none is published, the size
    and SHA-256 the lesson records; a file with neither is never trusted.
    """
    if not path.is_file():
        return False
    if remote.sha256 is not None:
        return _verified(path, remote)
    if remote.recorded is None:
        return False
    size, sha256 = remote.recorded
    stat = path.stat()
    return stat.st_size == size and _sha256(path.resolve(), size, stat.st_mtime_ns) == sha256


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

    A file of that name already in ``folder`` is returned if it can be trusted
    (see :func:`_known_copy`); any other is left alone and refused, never
    overwritten.  Raises :class:`LessonError` if the transfer fails or the
    checksum does not match; in both cases nothing is left in ``folder``.
    """
    source = source_of(remote, url)
    folder = check_path(folder, "folder")
    target = folder / remote.name
    if _known_copy(target, remote):
        return target
    if target.exists() or target.is_symlink():
        raise LessonError(
            f"{target} is already there but is not {remote.description} as the lesson knows it; "
            "nothing was changed: move it away and try again."
        )
    try:
        return _fetch(remote, folder, source)
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
        return _explicit(remote, check_path(path))
    model_dir = setting(MODEL_DIR_ENV)
    bad_setting = setting_problem(MODEL_DIR_ENV, "the folder holding YAMNet's files")
    if bad_setting:
        warn_at_caller(f"{bad_setting}; it is ignored.")
    elif model_dir is not None:
        candidate = model_dir / remote.name
        if _verified(candidate, remote):
            return candidate
        if candidate.is_file():
            warn_at_caller(
                f"{candidate} (from {MODEL_DIR_ENV}) is not {remote.description}: its SHA-256 "
                "differs from the published one, so it is ignored."
            )
    folder = cache_dir()
    cached = folder / remote.name
    if _verified(cached, remote):
        return cached
    if cached.is_file():
        warnings.warn(f"{cached} is damaged (checksum mismatch); fetching it again.", stacklevel=2)
        cached.unlink(missing_ok=True)
    source = source_of(remote, url)
    problem = f"Could not find {remote.description} ({remote.name}) on this computer"
    if not download:
        problem += " (downloading was switched off)"
    else:
        try:
            return _fetch(remote, folder, source)
        except _FetchError as error:
            problem += f", nor download it from {source} ({error})"
    if bad_setting:
        fix = f"{bad_setting}, or put the file in {folder}"
    elif model_dir is not None and (model_dir / remote.name).is_file():
        fix = (
            f"{MODEL_DIR_ENV} is set to {model_dir}, whose {remote.name} is damaged or another "
            f"file (its SHA-256 differs from the published one): copy the file there again, or "
            f"put it in {folder}"
        )
    elif model_dir is not None:
        fix = (
            f"{MODEL_DIR_ENV} is set to {model_dir}, which holds no {remote.name}: put the file "
            f"there or in {folder}"
        )
    else:
        fix = f"Put the file in {folder} or set {MODEL_DIR_ENV} to a folder holding it"
    raise LessonError(
        f"{problem}. {fix} (python -m yamnet_lesson download --to DIR fetches it on a machine "
        "with internet)."
    )


# ---------------------------------------------------------------------------
# Everything at once, for a classroom without internet
# ---------------------------------------------------------------------------


def recordings_folder(folder: Path) -> Path | None:
    """``folder`` if it holds ``recordings/``, else the unpacked release archive inside it that
    does (e.g. ``folder/free-spoken-digit-dataset-1.0.10``), else None."""
    for found in [folder / "recordings", *sorted(folder.glob("*/recordings"))]:
        if found.is_dir():
            return found.parent
    return None


def download_all(dest: str | Path, *, base_url: str | None = None) -> list[Path]:
    """Fetch everything the lesson needs into ``dest``; return the paths.

    YAMNet's TF Lite file and class map (checksums verified; files already
    there and verified are kept), and the Free Spoken Digit Dataset (unpacked
    into ``dest/fsdd``, see :func:`fetch_fsdd`).  ``base_url`` replaces the
    official locations: ``<base_url>/<file name>`` (a mirror, or a test server
    on 127.0.0.1).  A file in ``dest`` that has an official file's name but
    not its checksum is refused before anything is fetched, and left alone.
    If a download fails, files already complete stay in ``dest``, and the
    folders this call created are removed again where they are empty.
    """
    dest = check_path(dest, "dest")
    if dest.exists() and not dest.is_dir():
        raise LessonError(f"{dest} is a file; give a folder to download into.")
    models = (YAMNET_TFLITE, YAMNET_CLASS_MAP)
    for remote in models:  # refuse before fetching anything, so that nothing changes
        target = dest / remote.name
        if (target.exists() or target.is_symlink()) and not _known_copy(target, remote):
            raise LessonError(
                f"{target} is already there but is not {remote.description} (its SHA-256 "
                "differs); nothing was changed: move it away and run the command again."
            )
    created = [folder for folder in (dest, *dest.parents) if not folder.exists()]
    dest.mkdir(parents=True, exist_ok=True)

    def url_of(remote: RemoteFile) -> str | None:
        return f"{base_url.rstrip('/')}/{remote.name}" if base_url else None

    try:
        paths = [download(remote, dest, url=url_of(remote)) for remote in models]
        fsdd = dest / "fsdd"
        if recordings_folder(fsdd) is None:
            fetch_fsdd(dest, url=url_of(FSDD_ARCHIVE))
    except BaseException:  # a failed download or Ctrl-C: no empty folder of ours is left
        for folder in created:  # innermost first; a folder that holds anything stays
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    paths.append(fsdd)
    return paths


def fetch_fsdd(folder: str | Path, *, url: str | None = None) -> Path:
    """Download the Free Spoken Digit Dataset's release archive and unpack it into ``folder/fsdd``.

    An archive already in ``folder`` (``free-spoken-digit-dataset-1.0.10.zip``)
    is used, and kept, only if its size and SHA-256 are those the lesson
    records; otherwise it is left alone and a fresh copy is downloaded (from
    ``url`` if given) into a temporary folder inside ``folder``, unpacked
    there (each member's CRC checked), moved into ``folder/fsdd`` only once
    complete, and deleted.  Returns ``folder/fsdd``.  Raises
    :class:`LessonError` if the download fails or is not the dataset; then
    ``folder`` is as it was.
    """
    folder = check_path(folder, "folder")
    fsdd = folder / "fsdd"
    if recordings_folder(fsdd) is not None:
        return fsdd
    if fsdd.exists() and not fsdd.is_dir():
        raise LessonError(f"{fsdd} is a file where the dataset's folder should go; move it away.")
    folder.mkdir(parents=True, exist_ok=True)
    found = folder / FSDD_ARCHIVE.name
    source = source_of(FSDD_ARCHIVE, url)
    with tempfile.TemporaryDirectory(prefix=".fsdd-download-", dir=folder) as scratch:
        work = Path(scratch)
        if _known_copy(found, FSDD_ARCHIVE):
            archive, origin = found, str(found)
        else:
            if found.exists():
                warn_at_caller(
                    f"{found} is not the archive the lesson expects (its size or SHA-256 "
                    "differs); it is left alone and a fresh copy is downloaded."
                )
            try:
                archive, origin = download(FSDD_ARCHIVE, work, url=url), source
            except LessonError as error:
                if found.exists():
                    raise LessonError(
                        f"{error} (the {found.name} already in {folder} is not the expected "
                        "archive, so it was not used)."
                    ) from None
                raise
        unpacked = work / "unpacked"
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(unpacked)  # member names are sanitised; CRCs are checked
        except (zipfile.BadZipFile, EOFError) as error:
            raise LessonError(
                f"{FSDD_ARCHIVE.name} from {origin} is not a whole zip archive ({error}); try "
                "again later or download it by hand."
            ) from None
        except OSError as error:
            raise LessonError(
                f"{FSDD_ARCHIVE.name} could not be unpacked in {folder} ({error.strerror}); "
                "free some disk space and try again."
            ) from None
        if recordings_folder(unpacked) is None:
            raise LessonError(
                f"{FSDD_ARCHIVE.name} from {origin} holds no recordings/ folder, so it is not "
                "the Free Spoken Digit Dataset; check the address."
            )
        fsdd.mkdir(exist_ok=True)
        members = sorted(unpacked.iterdir())
        for member in members:  # check all first: move nothing if anything is in the way
            if (fsdd / member.name).exists():
                raise LessonError(
                    f"{fsdd / member.name} is already there but holds no recordings/; nothing "
                    "was changed: move it away and try again."
                )
        for member in members:
            member.rename(fsdd / member.name)  # same file system: appears whole, at once
    return fsdd
