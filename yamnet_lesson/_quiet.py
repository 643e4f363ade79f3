"""Silence what C++ libraries print at start-up, without importing any of them.

TensorFlow and LiteRT write lines such as "Created TensorFlow Lite XNNPACK
delegate" straight to the process's standard error, below Python. This module
needs neither library, so that code which only runs LiteRT (notebook 6, YAMNet's
official TF Lite file) need not load TensorFlow's 700 MB to stay quiet.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["silenced_stderr"]


@contextmanager
def silenced_stderr() -> Iterator[None]:
    """Send the process's standard error (file descriptor 2) to /dev/null for a moment.

    For TensorFlow's and LiteRT's start-up lines, which C++ code writes there
    directly.  Python errors raised inside still propagate normally.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
