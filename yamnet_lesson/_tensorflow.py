"""Import TensorFlow and Keras once, quietly.

TensorFlow prints start-up lines ("oneDNN custom operations are on", "Could not
find cuda drivers") straight to the process's standard error, below Python,
where ``TF_CPP_MIN_LOG_LEVEL`` does not reach them and where Jupyter shows them
as red text in the first cell that imports it.  We send that stream to
``/dev/null`` for the duration of the import only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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


def _quiet_import() -> tuple[object, object]:
    with silenced_stderr():
        import keras
        import tensorflow
    return tensorflow, keras


tf, keras = _quiet_import()

__all__ = ["keras", "silenced_stderr", "tf"]
