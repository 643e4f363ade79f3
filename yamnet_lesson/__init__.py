"""yamnet_lesson: helpers for the lesson "Transfer learning with pretrained audio networks".

The notebooks import this package so that each of them reads as a lesson and
not as a pile of code.  Every helper is a plain function on NumPy arrays:

* :mod:`yamnet_lesson.signals`  -- white, brown and pink noise;
* :mod:`yamnet_lesson.features` -- the log-mel spectrogram YAMNet was trained on;
* :mod:`yamnet_lesson.yamnet`   -- Google's YAMNet with its official weights;
* :mod:`yamnet_lesson.training` -- the training loop: fine-tune a network with a new output layer;
* :mod:`yamnet_lesson.experiments` -- the reference workflow and the experiments of notebook 5;
* :mod:`yamnet_lesson.listen`   -- what YAMNet hears over time in a clip, or an uploaded file.
* :mod:`yamnet_lesson.export`   -- the fine-tuned classifier as a TF Lite file.
* :mod:`yamnet_lesson.exercises` -- says whether an exercise's answer is right, with a hint.

TensorFlow takes seconds to import, so the modules that need it are imported
only when one of their functions is first used.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's log lines out of notebooks


def _interrupted_at_start_up(signum: int, frame: Any) -> None:
    """Ctrl-C while Python starts ``python -m yamnet_lesson``: one line, status 130.

    Installed only for the command line (below), before the package's own
    imports take their second; :func:`yamnet_lesson.__main__.main` puts
    Python's usual handler back once it can say what an interruption stopped.
    """
    print(
        "Interrupted during start-up, before any work began; nothing was changed.",
        file=sys.stderr,
        flush=True,
    )
    raise SystemExit(130)


# "-m" is sys.argv[0] while ``python -m yamnet_lesson`` imports this package.
_ARGV = getattr(sys, "argv", None) or [""]
if _ARGV[0] == "-m" or os.path.basename(_ARGV[0]) == "yamnet-lesson":
    with contextlib.suppress(ValueError):  # ValueError: not the main thread; leave Python's
        signal.signal(signal.SIGINT, _interrupted_at_start_up)

from . import features, signals  # noqa: E402
from .validation import LessonError  # noqa: E402

__version__ = "0.1.0"

# public name -> module that defines it (imported on first use)
_LAZY = {
    "build_yamnet": "yamnet",
    "load_yamnet": "yamnet",
    "fine_tune": "training",
    "split_reference": "signals",
    "run_reference": "experiments",
}

__all__ = ["LessonError", "features", "signals", *_LAZY]


_SUBMODULES = (
    "assets",
    "audio",
    "choices",
    "classes",
    "exercises",
    "experiments",
    "export",
    "listen",
    "memory",
    "notebook",
    "official",
    "plots",
    "progress",
    "training",
    "versions",
    "widgets",
    "yamnet",
)


def __dir__() -> list[str]:
    """Names for tab completion, the lazily imported ones included."""
    return sorted({*globals(), *_LAZY, *_SUBMODULES, "keras"})


def __getattr__(name: str) -> Any:
    if name == "keras":  # Keras 3, imported with TensorFlow's start-up messages kept quiet
        from ._tensorflow import keras

        return keras
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'yamnet_lesson' has no attribute {name!r}")
