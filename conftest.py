"""Test configuration for tests/ and the notebooks: find ../shared through one setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent
SHARED = REPO.parent / "shared"

if "YAMNET_LESSON_MODEL_DIR" not in os.environ and (SHARED / "models" / "yamnet").is_dir():
    os.environ["YAMNET_LESSON_MODEL_DIR"] = str(SHARED / "models" / "yamnet")


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
