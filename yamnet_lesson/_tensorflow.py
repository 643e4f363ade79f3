"""Import TensorFlow and Keras once, quietly.

TensorFlow prints start-up lines ("oneDNN custom operations are on", "Could not
find cuda drivers") straight to the process's standard error, below Python,
where ``TF_CPP_MIN_LOG_LEVEL`` does not reach them and where Jupyter shows them
as red text in the first cell that imports it.  We send that stream to
``/dev/null`` for the duration of the import only.
"""

from __future__ import annotations

import os

from ._quiet import silenced_stderr

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _quiet_import() -> tuple[object, object]:
    with silenced_stderr():
        import keras
        import tensorflow
    return tensorflow, keras


tf, keras = _quiet_import()

__all__ = ["keras", "silenced_stderr", "tf"]
