"""Notebook set-up: one call at the top of every notebook.

``setup()`` checks the installed versions, makes figures readable, shows a
:class:`~yamnet_lesson.LessonError` as one clear sentence instead of a
traceback wall (the cell still counts as failed, so "Run all" stops there),
and makes room in memory: on mybinder.org (about 2 GB for everything) the idle
kernels of earlier lesson notebooks are shut down when this one would not fit
beside them (:mod:`yamnet_lesson.memory`), and it says so; when other kernels
still hold the memory this one needs, it says what to do.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from pathlib import Path
from typing import Any

import matplotlib as mpl
import psutil

from . import memory
from .validation import LessonError
from .versions import check_versions

__all__ = ["memory_advice", "setup"]


def _show_lesson_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
    message = f"\x1b[1;31m{etype.__name__}:\x1b[0m {value}"
    shell._showtraceback(etype, value, [message])  # an error output holding one sentence
    return None


def _other_kernels() -> list[tuple[int, int]]:
    """``(pid, resident bytes)`` of this user's other Jupyter (ipykernel) kernels."""
    me, user = os.getpid(), psutil.Process().username()
    found = []
    for process in psutil.process_iter(["pid", "username", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        is_kernel = any(Path(part).stem in ("ipykernel", "ipykernel_launcher") for part in cmdline)
        if process.info["pid"] == me or process.info["username"] != user or not is_kernel:
            continue
        with contextlib.suppress(psutil.Error):  # ended meanwhile, or not ours to read
            found.append((process.info["pid"], process.memory_info().rss))
    return found


def _names(notebooks: list[str]) -> str:
    *first, last = notebooks
    return f"{', '.join(first)} and {last}" if first else last


def stopped_message(stopped: list[str]) -> str:
    """The line saying which notebooks' kernels :func:`memory.make_room` shut down."""
    one = len(stopped) == 1
    return (
        f"Memory: to make room for this notebook, the lesson shut down the idle "
        f"{'kernel' if one else 'kernels'} of {_names(stopped)} (this session has "
        f"{memory.memory_limit() / memory.GB:.1f} GB in all); "
        + (
            "its tab stays open: to go back to it, run its cells again from the top."
            if one
            else "their tabs stay open: to go back to one, run its cells again from the top."
        )
    )


def memory_advice(need: int) -> str | None:
    """A sentence asking to shut other kernels down, if they leave less than ``need`` bytes
    (a lesson notebook's peak) under :func:`memory.memory_limit`; None if all is well."""
    others = _other_kernels()
    if not others or memory.free_memory() >= need:
        return None
    held, limit = sum(rss for _, rss in others), memory.memory_limit()
    kernels = "kernel holds" if len(others) == 1 else "kernels hold"
    return (
        f"Memory: this session has {limit / memory.GB:.1f} GB and {len(others)} other notebook "
        f"{kernels} {held / memory.GB:.1f} GB of it; this notebook needs up to "
        f"{need / memory.GB:.1f} GB, so its kernel could die halfway. Shut "
        "the others down first (JupyterLab: the Running Terminals and Kernels panel in the "
        "left sidebar, or Kernel > Shut Down Kernel in their tabs)."
    )


def setup() -> None:
    """Check versions and memory, set figure defaults and turn LessonErrors into one-line
    messages."""
    check_versions()
    mpl.rcParams.update({"figure.dpi": 100, "axes.titlesize": 11, "figure.max_open_warning": 0})
    stopped, need = memory.make_room()  # other lesson notebooks' idle kernels, if short
    if stopped:
        print(textwrap.fill(stopped_message(stopped), 90))  # JupyterLab breaks lines mid-word
    advice = memory_advice(need)
    if advice:
        print(textwrap.fill(advice, 90))
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to configure
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((LessonError,), _show_lesson_error)
