"""The test session's own downloads, against a real HTTP server on 127.0.0.1.

As a contributor's fresh clone with internet: no setting names a local copy and
the cache is empty, so the session (``conftest.py``) downloads YAMNet's files
and the spoken digits as it starts, and the test clips when a test first needs
them, each verified by the lesson's own download.  Here the one download setting,
``YAMNET_LESSON_DOWNLOAD_URL``, points every download at a server on 127.0.0.1
that serves the real files (reached through the settings, as every test reaches
them): the files must arrive verified and the session go on to pass a test that
uses them all.
A damaged file served instead must stop the session at once with one sentence,
and leave nothing in the cache.
"""

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from conftest import TEST_CLIPS
from yamnet_lesson import assets

REPO = Path(__file__).resolve().parents[1]
MODEL_FILES = (assets.YAMNET_TFLITE, assets.YAMNET_CLASS_MAP)
# The test the fresh clone's session runs: it needs every kind of download (and no TensorFlow).
FETCHED = "tests/test_session_download.py::test_the_session_gives_verified_files"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def mirror(tmp_path_factory, test_clips, fsdd):
    """``(url, folder)``: a server on 127.0.0.1 serving the real files under the lesson's names.

    YAMNet's files (from the model setting or the cache), the two test clips, and the
    spoken digits as the dataset's release archive (a zip of the folder the lesson found).
    """
    served = tmp_path_factory.mktemp("mirror")
    for remote in MODEL_FILES:
        shutil.copy(assets.find_file(remote, download=False), served / remote.name)
    for name, path in test_clips.items():
        shutil.copy(path, served / name)
    top = "free-spoken-digit-dataset-1.0.10"
    with zipfile.ZipFile(served / assets.FSDD_ARCHIVE.name, "w") as archive:
        for recording in sorted((fsdd / "recordings").glob("*.wav")):
            archive.write(recording, f"{top}/recordings/{recording.name}")
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: Quiet(*a, directory=str(served), **k)
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    httpd.shutdown()
    httpd.server_close()


def fresh_clone_session(
    tmp_path: Path, mirror_url: str, *tests: str, ci: bool = False, **settings: str
):
    """``python -m pytest TESTS`` as on a fresh clone: no local copies, an empty cache, and
    every download from ``mirror_url`` (no other network: the proxies lead nowhere).
    ``settings``: environment variables to set on top (e.g. a local copy of the model)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YAMNET_LESSON_")}
    env.pop("CI", None)
    env.update(
        HOME=str(tmp_path / "home"),
        YAMNET_LESSON_MODEL_DIR="",  # set to nothing: conftest.py leaves ../shared out
        YAMNET_LESSON_FSDD_DIR="",
        YAMNET_LESSON_TEST_AUDIO_DIR="",
        YAMNET_LESSON_CACHE_DIR=str(tmp_path / "cache"),
        YAMNET_LESSON_DOWNLOAD_URL=mirror_url,
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        NO_PROXY="127.0.0.1",
    )
    env.update(settings)
    if ci:
        env["CI"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", *tests, "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_session_gives_verified_files(test_clips, fsdd):
    """What every session gives the tests (here, and in the fresh clone's session below):
    YAMNet's files and the clip with their published or recorded SHA-256, the spoken digits."""
    for remote in MODEL_FILES:
        assert sha256(assets.find_file(remote, download=False)) == remote.sha256
    for remote in TEST_CLIPS:
        assert sha256(test_clips[remote.name]) == remote.sha256
    assert len(list((fsdd / "recordings").glob("*_jackson_*.wav"))) >= 20


@pytest.mark.slow  # a pytest session in a subprocess: 10-25 s each
def test_a_fresh_clone_downloads_what_the_tests_need_verified_and_runs_them(tmp_path, mirror):
    url, served = mirror
    result = fresh_clone_session(tmp_path, url, FETCHED, ci=True)  # CI: nothing may skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout and "skipped" not in result.stdout, result.stdout
    cache = tmp_path / "cache"
    for remote in MODEL_FILES:  # the published SHA-256
        assert sha256(cache / remote.name) == remote.sha256
    for remote in TEST_CLIPS:
        clip = cache / "test-audio" / remote.name
        assert sha256(clip) == remote.sha256 == sha256(served / remote.name)
    recordings = cache / "fsdd" / "free-spoken-digit-dataset-1.0.10" / "recordings"
    assert len(list(recordings.glob("*.wav"))) == 1000
    assert not list(cache.rglob(".*")), "no temporary file is left"


@pytest.mark.slow  # a pytest session in a subprocess: 10-25 s each
def test_a_damaged_model_file_served_stops_the_session_with_one_sentence(tmp_path, mirror):
    url, served = mirror
    damaged = tmp_path / "damaged"
    shutil.copytree(served, damaged)
    tflite = damaged / assets.YAMNET_TFLITE.name
    content = bytearray(tflite.read_bytes())
    content[len(content) // 2] ^= 0xFF  # one byte changed
    tflite.write_bytes(bytes(content))
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: Quiet(*a, directory=str(damaged), **k)
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        damaged_url = f"http://127.0.0.1:{httpd.server_address[1]}"
        result = fresh_clone_session(tmp_path, damaged_url, FETCHED)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR: The tests need Google's official YAMNet TF Lite file")
    assert "its SHA-256 does not match the published one, so it was not kept" in lines[0]
    assert f"downloaded from {damaged_url} (YAMNET_LESSON_DOWNLOAD_URL)" in lines[0]
    assert "passed" not in result.stdout and "failed" not in result.stdout
    cache = tmp_path / "cache"
    assert not (cache / assets.YAMNET_TFLITE.name).exists()  # never kept
    assert sha256(cache / assets.YAMNET_CLASS_MAP.name) == assets.YAMNET_CLASS_MAP.sha256


@pytest.mark.slow  # a pytest session in a subprocess: 10-25 s each
def test_offline_without_the_clips_with_ci_set_their_tests_are_errors_saying_why(tmp_path, fsdd):
    """The model and the digits are here, the clips are not and cannot be fetched: with CI set
    the tests that need them are errors with the reason (without CI, skips with the same
    reason: the one ``absent`` of conftest.py, as for the spoken digits)."""
    model = assets.find_file(assets.YAMNET_TFLITE, download=False).parent
    result = fresh_clone_session(
        tmp_path,
        "http://127.0.0.1:9",  # nothing listens there
        FETCHED,
        ci=True,
        YAMNET_LESSON_MODEL_DIR=str(model),
        YAMNET_LESSON_FSDD_DIR=str(fsdd),
    )
    why = (
        "a test recording is not here (meow_16k.wav could not be downloaded from "
        "http://127.0.0.1:9/meow_16k.wav (Connection refused)): run the tests once with "
        "internet, or set YAMNET_LESSON_TEST_AUDIO_DIR to a folder holding meow_16k.wav "
        "(CI is set: data the tests need must be there)"
    )
    assert why in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 1 and "1 error" in result.stdout
