"""The README's test command on a fresh clone, offline, with nothing there: it stops at once
with one sentence naming what is missing and the command that gets it (with CI set too)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("ci", [pytest.param(False, marks=pytest.mark.slow), True])  # one everyday
def test_offline_with_nothing_the_run_stops_at_once_with_one_sentence(tmp_path, ci):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YAMNET_LESSON_")}
    env.pop("CI", None)
    env.update(
        HOME=str(tmp_path / "home"),
        YAMNET_LESSON_MODEL_DIR="",  # set to nothing: conftest.py leaves ../shared out
        YAMNET_LESSON_FSDD_DIR="",
        YAMNET_LESSON_TEST_AUDIO_DIR="",
        YAMNET_LESSON_CACHE_DIR=str(tmp_path / "empty_cache"),
        HTTPS_PROXY="http://127.0.0.1:9",  # no internet, even on a machine that has it
        HTTP_PROXY="http://127.0.0.1:9",
    )
    if ci:
        env["CI"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_signals.py", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 4, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("ERROR: The tests need Google's official")
    assert f"python -m yamnet_lesson download --to {tmp_path / 'empty_cache'}" in lines[0]
    assert "set YAMNET_LESSON_MODEL_DIR to a folder holding them." in lines[0]
    assert "passed" not in result.stdout and "failed" not in result.stdout
