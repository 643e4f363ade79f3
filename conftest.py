"""Test configuration for tests/ and the notebooks.

Finds ../shared through one setting, and chooses between the two test runs:
``python -m pytest`` (the everyday run: every test but those marked ``slow``,
which are skipped with the reason "runs with --full") and
``python -m pytest --full`` (everything; what .ci/run runs).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_selection.py runs pytest on small test files

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent
SHARED = REPO.parent / "shared"

if "YAMNET_LESSON_MODEL_DIR" not in os.environ and (SHARED / "models" / "yamnet").is_dir():
    os.environ["YAMNET_LESSON_MODEL_DIR"] = str(SHARED / "models" / "yamnet")


FULL_OPTION = "--full"
SLOW_REASON = "runs with --full"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        FULL_OPTION,
        action="store_true",
        default=False,
        help="also run the tests marked slow (every seed, the slow training variants, "
        "the browser test); .ci/run uses it",
    )


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they leave out
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everyday run: skip (not deselect) the slow tests, so the summary counts them.

    A selection of slow tests only (``-m slow``, ``tests/test_browser.py``) would
    silently skip everything: that is refused with a sentence naming ``--full``.
    """
    if config.getoption(FULL_OPTION):
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    skipped = 0
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
            skipped += 1
    if items and skipped == len(items):
        raise pytest.UsageError(
            f"all {skipped} tests selected are marked slow and the everyday run skips them; "
            f"add {FULL_OPTION} to run them."
        )


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ../shared folder of real models and data; CI always has it."""
    model_dir = os.environ.get("YAMNET_LESSON_MODEL_DIR")
    parents = Path(model_dir).resolve().parents if model_dir else []
    root = parents[1] if len(parents) >= 2 else SHARED  # shared/models/yamnet -> shared
    if not (root / "audio").is_dir():
        pytest.fail(
            f"../shared (Google's YAMNet files and test audio) was not found at {root}; "
            "set YAMNET_LESSON_MODEL_DIR=/path/to/shared/models/yamnet."
        )
    return root
