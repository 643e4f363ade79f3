"""Finding and downloading the official files, against a real HTTP server on 127.0.0.1."""

import dataclasses
import hashlib
import http.server
import os
import shutil
import threading
import zipfile
from pathlib import Path

import pytest

from yamnet_lesson import LessonError, assets

PAYLOAD = os.urandom(200_000)
GOOD = assets.RemoteFile("weights.bin", "", hashlib.sha256(PAYLOAD).hexdigest(), "the test weights")
UNCHECKED = assets.RemoteFile("weights.bin", "", None, "the test weights (no checksum)")
OFFLINE = "http://127.0.0.1:9/weights.bin"  # the discard port: nothing listens there


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the files of a folder; ``/cut/<file>`` promises the whole file, sends a third."""

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        if self.path.startswith("/cut/"):
            body = (Path(self.directory) / self.path.removeprefix("/cut/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(2)  # hang up mid-transfer
        else:
            super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(base_url, folder)``: an HTTP server on 127.0.0.1 serving ``folder``."""
    served = tmp_path_factory.mktemp("served")
    (served / "weights.bin").write_bytes(PAYLOAD)
    (served / "tampered").mkdir()
    (served / "tampered" / "weights.bin").write_bytes(PAYLOAD[:-1] + b"x")

    def handler(*args, **kwargs):
        return Handler(*args, directory=str(served), **kwargs)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def url(server):
    return server[0]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    monkeypatch.delenv(assets.DOWNLOAD_URL_ENV, raising=False)
    return folder


def leftovers(folder: Path) -> list[str]:
    """Everything in ``folder``, temporary files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_download_lands_in_the_cache(url, cache):
    path = assets.find_file(GOOD, url=f"{url}/weights.bin")
    assert path == cache / "weights.bin" and path.read_bytes() == PAYLOAD
    assert leftovers(cache) == ["weights.bin"]  # no temporary file beside it
    # found in the cache the second time, without the server
    assert assets.find_file(GOOD, url=OFFLINE) == path


@pytest.mark.parametrize(
    ("remote", "route", "reason"),
    [
        (GOOD, "tampered/weights.bin", "SHA-256 does not match"),
        (GOOD, "cut/weights.bin", "connection closed after 66,666 of 200,000 bytes"),
        (UNCHECKED, "cut/weights.bin", "connection closed after 66,666 of 200,000 bytes"),
        (GOOD, "missing/weights.bin", "HTTP 404"),
    ],
    ids=["wrong-checksum", "cut-off", "cut-off-no-checksum", "not-found"],
)
def test_a_bad_transfer_is_refused_and_leaves_nothing(url, cache, remote, route, reason):
    with pytest.raises(LessonError, match=reason) as error:
        assets.find_file(remote, url=f"{url}/{route}")
    assert f"{url}/{route}" in str(error.value)
    assert leftovers(cache) == []  # neither the file nor pooch's temporary file


def test_download_into_a_folder_says_what_failed(url, tmp_path):
    """``assets.download`` (used for the spoken digits) refuses the same way."""
    with pytest.raises(LessonError, match="could not be downloaded from .*SHA-256"):
        assets.download(GOOD, tmp_path, url=f"{url}/tampered/weights.bin")
    assert leftovers(tmp_path) == []
    assert assets.download(GOOD, tmp_path, url=f"{url}/weights.bin").read_bytes() == PAYLOAD


def test_offline_with_nothing_cached_gives_one_clear_message(cache):
    with pytest.raises(LessonError) as error:
        assets.find_file(GOOD, url=OFFLINE)
    text = str(error.value)
    assert text.startswith("Could not find the test weights (weights.bin) on this computer")
    assert f"nor download it from {OFFLINE} (Connection refused)" in text
    assert f"Put the file in {cache} or set {assets.MODEL_DIR_ENV}" in text
    assert "python -m yamnet_lesson download --to DIR" in text
    assert leftovers(cache) == []


def test_no_download_when_switched_off(url, cache):
    with pytest.raises(LessonError, match=r"\(downloading was switched off\)\. Put the file in"):
        assets.find_file(GOOD, download=False, url=f"{url}/weights.bin")
    assert leftovers(cache) == []


def test_order_explicit_then_model_dir_then_cache(tmp_path, cache, monkeypatch, url):
    for folder in ("explicit", "model_dir"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "weights.bin").write_bytes(PAYLOAD)
    assets.find_file(GOOD, url=f"{url}/weights.bin")  # fills the cache
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(tmp_path / "model_dir"))
    explicit = tmp_path / "explicit" / "weights.bin"
    assert assets.find_file(GOOD, tmp_path / "explicit") == explicit  # a folder holding it
    assert assets.find_file(GOOD, explicit) == explicit  # the file itself
    assert assets.find_file(GOOD) == tmp_path / "model_dir" / "weights.bin"
    monkeypatch.delenv(assets.MODEL_DIR_ENV)
    assert assets.find_file(GOOD) == cache / "weights.bin"


def test_a_wrong_file_in_the_model_dir_is_skipped_with_a_warning(tmp_path, cache, monkeypatch, url):
    (tmp_path / "weights.bin").write_bytes(b"not the weights")
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(tmp_path))
    with pytest.warns(UserWarning, match="is not the test weights.*ignored"):
        path = assets.find_file(GOOD, url=f"{url}/weights.bin")
    assert path == cache / "weights.bin"


def test_a_damaged_copy_in_the_model_dir_offline_is_called_damaged_not_missing(
    tmp_path, cache, monkeypatch
):
    """A half-copied USB stick: the sentence says the file there is damaged, not absent."""
    (tmp_path / "weights.bin").write_bytes(PAYLOAD[:1000])
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(tmp_path))
    with pytest.warns(UserWarning, match="ignored"), pytest.raises(LessonError) as error:
        assets.find_file(GOOD, url=OFFLINE)
    text = str(error.value)
    assert f"{tmp_path}, whose weights.bin is damaged or another file" in text
    assert "copy the file there again" in text and "holds no" not in text


def test_a_damaged_cached_file_is_fetched_again(url, cache):
    cache.mkdir()
    (cache / "weights.bin").write_bytes(PAYLOAD[:1000])
    with pytest.warns(UserWarning, match="damaged"):
        path = assets.find_file(GOOD, url=f"{url}/weights.bin")
    assert path.read_bytes() == PAYLOAD and leftovers(cache) == ["weights.bin"]


def test_a_damaged_cached_file_offline_gets_the_clear_message(cache):
    cache.mkdir()
    (cache / "weights.bin").write_bytes(PAYLOAD[:1000])  # tampered or cut short
    with pytest.warns(UserWarning, match="damaged"), pytest.raises(LessonError) as error:
        assets.find_file(GOOD, url=OFFLINE)
    assert "Could not find the test weights (weights.bin)" in str(error.value)
    assert leftovers(cache) == []  # the damaged file is gone, nothing half-written


def test_a_wrong_or_missing_explicit_file_is_refused(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"something else")
    with pytest.raises(LessonError, match="is not the test weights: its SHA-256 differs"):
        assets.find_file(GOOD, tmp_path)
    missing = tmp_path / "nowhere.bin"
    with pytest.raises(LessonError, match=f"{missing} does not exist"):
        assets.find_file(GOOD, missing)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LessonError, match="empty holds no weights.bin"):
        assets.find_file(GOOD, tmp_path / "empty")


def _can_write_in(folder: Path) -> bool:
    try:
        (folder / "probe").write_bytes(b"")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


@pytest.mark.parametrize("how", ["read-only-folder", "file-in-the-way"])
def test_unwritable_cache_falls_back_to_a_temporary_folder(tmp_path, monkeypatch, how):
    if how == "read-only-folder":
        blocked = tmp_path / "cache"
        blocked.mkdir()
        blocked.chmod(0o500)
        if _can_write_in(blocked):
            blocked.chmod(0o700)
            pytest.skip("chmod 0o500 does not stop this user from writing (running as root?)")
        monkeypatch.setenv(assets.CACHE_DIR_ENV, str(blocked))
    else:  # works for root too: a folder cannot be made inside a file
        (tmp_path / "blocked").write_text("a file where the cache folder should be")
        blocked = tmp_path / "blocked" / "cache"
        monkeypatch.setenv(assets.CACHE_DIR_ENV, str(blocked))
    reason = "Permission denied" if how == "read-only-folder" else f"{blocked.parent} is a file"
    try:
        with pytest.warns(UserWarning) as warned:
            folder = assets.cache_dir()
    finally:
        if how == "read-only-folder":
            blocked.chmod(0o700)
    assert str(warned[0].message).startswith(
        f"{assets.CACHE_DIR_ENV} is set to {blocked} ({reason}"
    )
    assert f"using {folder} instead" in str(warned[0].message)
    assert folder != blocked and folder.is_dir() and os.access(folder, os.W_OK)


def test_the_real_files_are_found_without_network(tmp_path, monkeypatch):
    model_dir = assets.find_file(assets.YAMNET_TFLITE, download=False).parent  # the session's
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(model_dir))
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        assert assets.find_file(remote, download=False) == model_dir / remote.name
    tflite = model_dir / assets.YAMNET_TFLITE.name
    assert assets.describe(tflite) == (
        f"Google's official YAMNet TF Lite file {tflite} (sha256 verified)"
    )
    assert not (tmp_path / "empty_cache" / assets.YAMNET_TFLITE.name).exists()


TOP = "free-spoken-digit-dataset-1.0.10"  # the release archive's one top folder


def write_fsdd_zip(path: Path, writer, top: str = TOP, n: int = 20) -> Path:
    """A small stand-in for the release archive: ``n`` recordings of jackson under ``top``
    (written by ``writer``, the ``recordings_writer`` fixture)."""
    recordings = writer(path.parent / f"{path.stem}-recordings", "jackson", n)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for wav in recordings:
            archive.write(wav, f"{top}/recordings/{wav.name}")
        shutil.rmtree(recordings[0].parent)
    return path


@pytest.fixture
def lesson_server(server, recordings_writer):
    """The server, also serving YAMNet's real files and a small spoken-digit archive."""
    url, served = server
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        shutil.copy(assets.find_file(remote, download=False), served)
    write_fsdd_zip(served / assets.FSDD_ARCHIVE.name, recordings_writer)
    return url, served


def test_download_all_for_an_offline_classroom(lesson_server, tmp_path, monkeypatch):
    """Serve the real files from 127.0.0.1 and fetch them as a teacher would."""
    url, served = lesson_server
    room = tmp_path / "room"
    paths = assets.download_all(room, base_url=url)
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        assert (room / remote.name).read_bytes() == (served / remote.name).read_bytes()
    assert paths[-1] == room / "fsdd" and not (room / assets.FSDD_ARCHIVE.name).exists()
    # a second run keeps what is there and needs no network
    assert assets.download_all(room, base_url="http://127.0.0.1:9") == paths
    # the lesson finds the unpacked recordings through the one setting the README gives
    from yamnet_lesson.audio import fsdd_dir, load_fsdd

    monkeypatch.setenv("YAMNET_LESSON_FSDD_DIR", str(room / "fsdd"))
    assert fsdd_dir(download=False).name == "free-spoken-digit-dataset-1.0.10"
    clips, digits, rate = load_fsdd("jackson")
    assert len(clips) == 20 and rate == 8_000 and set(digits) <= set("0123456789")


def test_the_download_setting_names_a_mirror_for_every_file(lesson_server, cache, monkeypatch):
    """YAMNET_LESSON_DOWNLOAD_URL: every file comes from <mirror>/<its name>, verified."""
    url, served = lesson_server
    monkeypatch.setenv(assets.DOWNLOAD_URL_ENV, f"{url}/")
    name = assets.YAMNET_CLASS_MAP.name
    assert assets.source_of(assets.YAMNET_CLASS_MAP) == f"{url}/{name}"
    assert assets.source_of(assets.YAMNET_CLASS_MAP, "http://x/y.csv") == "http://x/y.csv"
    path = assets.find_file(assets.YAMNET_CLASS_MAP)
    assert path == cache / name and path.read_bytes() == (served / name).read_bytes()
    room = cache.parent / "room"
    paths = assets.download_all(room)  # no base_url: the setting
    assert [p.name for p in paths] == [assets.YAMNET_TFLITE.name, name, "fsdd"]
    monkeypatch.setenv(assets.DOWNLOAD_URL_ENV, "http://127.0.0.1:9")
    with pytest.raises(LessonError, match=r"from http://127\.0\.0\.1:9/lite-model_yamnet"):
        assets.find_file(assets.YAMNET_TFLITE)  # not in the cache: the mirror is named
    monkeypatch.delenv(assets.DOWNLOAD_URL_ENV)
    assert assets.source_of(assets.YAMNET_TFLITE) == assets.YAMNET_TFLITE.url


def test_load_yamnet_offline_with_nothing_says_what_to_do(tmp_path, monkeypatch):
    """What a notebook's first model cell shows in an offline room without the files."""
    import yamnet_lesson.yamnet as yamnet_module

    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    monkeypatch.setattr(yamnet_module, "_LOADED", {})
    monkeypatch.setattr(
        assets,
        "YAMNET_TFLITE",
        assets.RemoteFile(
            assets.YAMNET_TFLITE.name,
            "http://127.0.0.1:9/yamnet.tflite",
            assets.YAMNET_TFLITE.sha256,
            assets.YAMNET_TFLITE.description,
        ),
    )
    monkeypatch.setattr(assets, "YAMNET_HUB_HANDLE", str(tmp_path / "no_hub_here"))
    with pytest.raises(LessonError) as error:
        yamnet_module.load_yamnet()
    message = str(error.value)
    assert assets.YAMNET_TFLITE.name in message and assets.MODEL_DIR_ENV in message
    assert "python -m yamnet_lesson download" in message


# --------------------------------------------------------------------------- download --to DIR:
# nothing it did not write in this run is deleted, overwritten or trusted


def test_an_archive_found_in_the_folder_is_left_alone_and_fetched_afresh(lesson_server, tmp_path):
    url, _ = lesson_server
    room = tmp_path / "room"
    room.mkdir()
    mine = room / assets.FSDD_ARCHIVE.name
    mine.write_bytes(b"my own file, which happens to have this name")
    with pytest.warns(UserWarning) as warned:
        assets.download_all(room, base_url=url)
    assert str(warned[0].message) == (
        f"{mine} is not the archive the lesson expects (its size or SHA-256 differs); it is left "
        "alone and a fresh copy is downloaded."
    )
    assert mine.read_bytes() == b"my own file, which happens to have this name"
    assert len(list((room / "fsdd" / TOP / "recordings").glob("*.wav"))) == 20
    assert leftovers(room) == sorted(
        [assets.YAMNET_TFLITE.name, assets.YAMNET_CLASS_MAP.name, "fsdd", mine.name]
    )


def test_a_partial_archive_offline_is_kept_and_not_blamed_on_the_url(
    lesson_server, tmp_path, recordings_writer
):
    room = tmp_path / "room"
    room.mkdir()
    whole = write_fsdd_zip(tmp_path / "whole.zip", recordings_writer)
    partial = room / assets.FSDD_ARCHIVE.name
    partial.write_bytes(whole.read_bytes()[:50_000])
    source = f"http://127.0.0.1:9/{assets.FSDD_ARCHIVE.name}"
    with pytest.warns(UserWarning, match="left alone"), pytest.raises(LessonError) as error:
        assets.fetch_fsdd(room, url=source)
    assert str(error.value) == (
        f"{assets.FSDD_ARCHIVE.name} could not be downloaded from {source} (Connection refused). "
        f"(the {partial.name} already in {room} is not the expected archive, so it was not used)."
    )
    assert leftovers(room) == [partial.name] and partial.stat().st_size == 50_000


def test_an_archive_with_the_recorded_size_and_checksum_is_used_and_kept(
    tmp_path, recordings_writer, monkeypatch
):
    room = tmp_path / "room"
    room.mkdir()
    archive = write_fsdd_zip(room / assets.FSDD_ARCHIVE.name, recordings_writer)
    content = archive.read_bytes()
    recorded = (len(content), hashlib.sha256(content).hexdigest())
    monkeypatch.setattr(
        assets, "FSDD_ARCHIVE", dataclasses.replace(assets.FSDD_ARCHIVE, recorded=recorded)
    )
    folder = assets.fetch_fsdd(room, url="http://127.0.0.1:9/nothing.zip")  # no network needed
    assert len(list((folder / TOP / "recordings").glob("*.wav"))) == 20
    assert archive.read_bytes() == content  # not deleted: this run did not write it
    assert leftovers(room) == [archive.name, "fsdd"]


def test_a_foreign_file_with_an_official_name_stops_the_download_before_it_starts(
    lesson_server, tmp_path
):
    url, _ = lesson_server
    room = tmp_path / "room"
    room.mkdir()
    foreign = room / assets.YAMNET_CLASS_MAP.name
    foreign.write_text("my own class list")
    with pytest.raises(LessonError) as error:
        assets.download_all(room, base_url=url)
    assert str(error.value) == (
        f"{foreign} is already there but is not YAMNet's official class map of the 521 AudioSet "
        "classes (its SHA-256 differs); nothing was changed: move it away and run the command "
        "again."
    )
    assert leftovers(room) == [foreign.name] and foreign.read_text() == "my own class list"


def test_a_folder_in_the_way_of_the_unpacked_archive_is_not_touched(lesson_server, tmp_path):
    url, _ = lesson_server
    room = tmp_path / "room"
    (room / "fsdd" / TOP).mkdir(parents=True)
    (room / "fsdd" / TOP / "notes.txt").write_text("mine")
    with pytest.raises(LessonError) as error:
        assets.fetch_fsdd(room, url=f"{url}/{assets.FSDD_ARCHIVE.name}")
    assert str(error.value) == (
        f"{room / 'fsdd' / TOP} is already there but holds no recordings/; nothing was changed: "
        "move it away and try again."
    )
    assert leftovers(room) == ["fsdd"] and leftovers(room / "fsdd" / TOP) == ["notes.txt"]


@pytest.mark.parametrize("fault", ["cut-off", "no-recordings", "bad-crc"])
def test_a_bad_archive_from_the_server_leaves_the_folder_as_it_was(
    server, tmp_path, recordings_writer, fault
):
    url, served = server
    name = f"{fault}.zip"
    if fault == "no-recordings":
        with zipfile.ZipFile(served / name, "w") as archive:
            archive.writestr("something-else/readme.txt", "hello")
    else:
        whole = write_fsdd_zip(tmp_path / "whole.zip", recordings_writer, n=2)
        content = bytearray(whole.read_bytes())
        content[2_000] ^= 0xFF  # inside the first recording's samples: its CRC no longer matches
        (served / name).write_bytes(bytes(content))
    source = f"{url}/cut/{name}" if fault == "cut-off" else f"{url}/{name}"
    room = tmp_path / "room"
    with pytest.raises(LessonError) as error:
        assets.fetch_fsdd(room, url=source)
    expected = {
        "cut-off": f"{assets.FSDD_ARCHIVE.name} could not be downloaded from {source} (the "
        "connection closed after",
        "no-recordings": f"{assets.FSDD_ARCHIVE.name} from {source} holds no recordings/ "
        "folder, so it is not the Free Spoken Digit Dataset; check the address.",
        "bad-crc": f"{assets.FSDD_ARCHIVE.name} from {source} is not a whole zip archive (Bad "
        "CRC-32 for file",
    }[fault]
    assert str(error.value).startswith(expected)
    assert leftovers(room) == []
