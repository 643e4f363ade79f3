"""Notebook set-up: one call at the top of every notebook.

``setup()`` checks the installed versions, makes figures readable and shows a
:class:`~yamnet_lesson.LessonError` as one clear sentence instead of a
traceback wall (the cell still counts as failed, so "Run all" stops there).
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl

from .validation import LessonError
from .versions import check_versions

__all__ = ["setup"]


def _show_lesson_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
    message = f"\x1b[1;31m{etype.__name__}:\x1b[0m {value}"
    shell._showtraceback(etype, value, [message])  # an error output holding one sentence
    return None


def setup() -> None:
    """Check versions, set figure defaults and turn LessonErrors into one-line messages."""
    check_versions()
    mpl.rcParams.update({"figure.dpi": 100, "axes.titlesize": 11, "figure.max_open_warning": 0})
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to configure
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((LessonError,), _show_lesson_error)
