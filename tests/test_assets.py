"""Finding and downloading the official files, against a real HTTP server on 127.0.0.1."""

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


def test_the_real_files_are_found_without_network(shared_dir, tmp_path, monkeypatch):
    model_dir = shared_dir / "models" / "yamnet"
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(model_dir))
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(tmp_path / "empty_cache"))
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        assert assets.find_file(remote, download=False) == model_dir / remote.name
    tflite = model_dir / assets.YAMNET_TFLITE.name
    assert assets.describe(tflite) == (
        f"Google's official YAMNet TF Lite file {tflite} (sha256 verified)"
    )
    assert not (tmp_path / "empty_cache" / assets.YAMNET_TFLITE.name).exists()


def test_download_all_for_an_offline_classroom(server, tmp_path, shared_dir, monkeypatch):
    """Serve the real files from 127.0.0.1 and fetch them as a teacher would."""
    url, served = server
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        shutil.copy(shared_dir / "models" / "yamnet" / remote.name, served)
    recordings = sorted((shared_dir / "datasets" / "fsdd-dev" / "recordings").glob("*_jackson_*"))
    with zipfile.ZipFile(served / assets.FSDD_ARCHIVE.name, "w") as archive:
        for path in recordings[:20]:
            archive.write(path, f"free-spoken-digit-dataset-1.0.10/recordings/{path.name}")

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
