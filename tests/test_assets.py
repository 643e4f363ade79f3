"""Finding and downloading the official files, against a real HTTP server on 127.0.0.1."""

import hashlib
import http.server
import os
import threading
import warnings
from pathlib import Path

import pytest

from yamnet_lesson import LessonError, assets

PAYLOAD = os.urandom(200_000)
GOOD = assets.RemoteFile("weights.bin", "", hashlib.sha256(PAYLOAD).hexdigest(), "Test weights")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server API)
        if self.path == "/weights.bin":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path == "/cut/weights.bin":  # promises everything, sends a third, hangs up
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
            self.wfile.flush()
            self.connection.shutdown(2)
        elif self.path == "/tampered/weights.bin":
            body = PAYLOAD[:-1] + b"x"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(folder))
    monkeypatch.delenv(assets.MODEL_DIR_ENV, raising=False)
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_download_lands_in_the_cache(server, cache):
    path = assets.find_file(GOOD, url=f"{server}/weights.bin")
    assert path == cache / "weights.bin" and path.read_bytes() == PAYLOAD
    # found in the cache the second time, without the server
    assert assets.find_file(GOOD, url="http://127.0.0.1:9/weights.bin") == path


@pytest.mark.parametrize(("route", "message"), [("tampered", "checksum"), ("cut", "could not be")])
def test_a_bad_transfer_is_refused_and_leaves_nothing(server, cache, route, message):
    with pytest.raises(LessonError, match=message):
        assets.download(GOOD, cache, url=f"{server}/{route}/weights.bin")
    assert leftovers(cache) == []


def test_offline_with_nothing_cached_gives_one_clear_message(cache):
    with pytest.raises(LessonError) as error:
        assets.find_file(GOOD, url="http://127.0.0.1:9/weights.bin")  # nothing listens there
    text = str(error.value)
    assert "weights.bin" in text and str(cache) in text and assets.MODEL_DIR_ENV in text
    assert "python -m yamnet_lesson download" in text
    assert leftovers(cache) == []


def test_order_explicit_then_model_dir_then_cache(tmp_path, cache, monkeypatch, server):
    for folder in ("explicit", "model_dir"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "weights.bin").write_bytes(PAYLOAD)
    assets.find_file(GOOD, url=f"{server}/weights.bin")  # fills the cache
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(tmp_path / "model_dir"))
    assert assets.find_file(GOOD, tmp_path / "explicit") == tmp_path / "explicit" / "weights.bin"
    assert assets.find_file(GOOD) == tmp_path / "model_dir" / "weights.bin"
    monkeypatch.delenv(assets.MODEL_DIR_ENV)
    assert assets.find_file(GOOD) == cache / "weights.bin"


def test_a_damaged_cached_file_is_fetched_again(server, cache):
    cache.mkdir()
    (cache / "weights.bin").write_bytes(PAYLOAD[:1000])
    with pytest.warns(UserWarning, match="damaged"):
        path = assets.find_file(GOOD, url=f"{server}/weights.bin")
    assert path.read_bytes() == PAYLOAD


def test_a_wrong_explicit_file_is_refused(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"something else")
    with pytest.raises(LessonError, match="not the official"):
        assets.find_file(GOOD, tmp_path)
    with pytest.raises(LessonError, match="does not exist"):
        assets.find_file(GOOD, tmp_path / "nowhere.bin")


def test_unwritable_cache_falls_back_to_a_temporary_folder(tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")  # cannot mkdir inside it
    monkeypatch.setenv(assets.CACHE_DIR_ENV, str(blocked / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = assets.cache_dir()
    assert folder != blocked / "cache" and folder.is_dir()
    assert any("Cannot write to the cache folder" in str(w.message) for w in caught)


def test_the_real_files_are_found_without_network(shared_dir, monkeypatch):
    monkeypatch.setenv(assets.MODEL_DIR_ENV, str(shared_dir / "models" / "yamnet"))
    path = assets.find_file(assets.YAMNET_TFLITE, url="http://127.0.0.1:9/unused")
    assert path.parent == shared_dir / "models" / "yamnet"


def test_download_all_for_an_offline_classroom(tmp_path, shared_dir, monkeypatch):
    """Serve the real files from 127.0.0.1 and fetch them as a teacher would."""
    import shutil
    import zipfile

    served = tmp_path / "served"
    served.mkdir()
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        shutil.copy(shared_dir / "models" / "yamnet" / remote.name, served)
    recordings = sorted((shared_dir / "datasets" / "fsdd-dev" / "recordings").glob("*_jackson_*"))
    with zipfile.ZipFile(served / assets.FSDD_ARCHIVE.name, "w") as archive:
        for path in recordings[:20]:
            archive.write(path, f"free-spoken-digit-dataset-1.0.10/recordings/{path.name}")

    class Files(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    room = tmp_path / "room"
    try:
        paths = assets.download_all(room, base_url=f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
    for remote in (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP):
        assert (room / remote.name).read_bytes() == (served / remote.name).read_bytes()
    assert paths[-1] == room / "fsdd" and not (room / assets.FSDD_ARCHIVE.name).exists()
    # the lesson finds the unpacked recordings through the one setting the README gives
    from yamnet_lesson.audio import fsdd_dir, load_fsdd

    monkeypatch.setenv("YAMNET_LESSON_FSDD_DIR", str(room / "fsdd"))
    assert fsdd_dir(download=False).name == "free-spoken-digit-dataset-1.0.10"
    clips, digits, rate = load_fsdd("jackson")
    assert len(clips) == 20 and rate == 8_000 and set(digits) <= set("0123456789")


def test_a_damaged_cached_file_offline_gets_the_clear_message(cache):
    cache.mkdir()
    (cache / "weights.bin").write_bytes(PAYLOAD[:1000])  # tampered or cut short
    with pytest.warns(UserWarning, match="damaged"), pytest.raises(LessonError, match="not found"):
        assets.find_file(GOOD, url="http://127.0.0.1:9/weights.bin")
    assert leftovers(cache) == []  # the damaged file is gone, nothing half-written


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
