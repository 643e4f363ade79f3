"""Notebook set-up: one call at the top of every notebook.

``setup()`` checks the installed versions, makes figures readable, shows a
:class:`~yamnet_lesson.LessonError` as one clear sentence instead of a
traceback wall (the cell still counts as failed, so "Run all" stops there),
and says so when the kernels of other notebooks hold the memory this one
will need (on mybinder.org, about 2 GB for everything).
"""

from __future__ import annotations

import contextlib
import os
import textwrap
from pathlib import Path
from typing import Any

import matplotlib as mpl
import psutil

from .validation import LessonError
from .versions import check_versions

__all__ = ["KERNEL_PEAK_BYTES", "memory_advice", "memory_limit", "setup"]

KERNEL_PEAK_BYTES = 1_600 * 2**20
"""The most memory a lesson notebook's kernel takes, rounded up: notebook 5's peak is 1,581 MB
(the README's figures, in MB of 2**20 bytes, the unit used here throughout)."""

_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def _show_lesson_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset=None):
    message = f"\x1b[1;31m{etype.__name__}:\x1b[0m {value}"
    shell._showtraceback(etype, value, [message])  # an error output holding one sentence
    return None


def memory_limit() -> int:
    """Bytes this session may use: the least of the computer's memory, the container's
    limit (Linux cgroups, as on mybinder.org) and ``MEM_LIMIT`` (set by JupyterHub)."""
    limits = [psutil.virtual_memory().total]
    for path in _CGROUP_LIMITS:
        with contextlib.suppress(OSError, ValueError):  # absent, or "max" (no limit)
            limits.append(int(Path(path).read_text().strip()))
    with contextlib.suppress(ValueError):
        limits.append(int(os.environ.get("MEM_LIMIT", "")))
    return min(limit for limit in limits if limit > 0)  # 0: no limit set


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


def memory_advice() -> str | None:
    """A sentence asking to shut other kernels down, if they leave less than a notebook's peak
    (:data:`KERNEL_PEAK_BYTES`) under :func:`memory_limit`; None if all is well."""
    others = _other_kernels()
    held, limit = sum(rss for _, rss in others), memory_limit()
    if not others or held + KERNEL_PEAK_BYTES <= limit:
        return None
    kernels = "kernel holds" if len(others) == 1 else "kernels hold"
    gb = 2**30  # the GB of mybinder.org's "2 GB" and of the README's figures
    return (
        f"Memory: this session has {limit / gb:.1f} GB and {len(others)} other notebook "
        f"{kernels} {held / gb:.1f} GB of it; the lesson's notebooks need up to "
        f"{KERNEL_PEAK_BYTES / gb:.1f} GB each, so this one's kernel could die halfway. Shut "
        "the others down first (JupyterLab: the Running Terminals and Kernels panel in the "
        "left sidebar, or Kernel > Shut Down Kernel in their tabs)."
    )


def setup() -> None:
    """Check versions and memory, set figure defaults and turn LessonErrors into one-line
    messages."""
    check_versions()
    mpl.rcParams.update({"figure.dpi": 100, "axes.titlesize": 11, "figure.max_open_warning": 0})
    advice = memory_advice()
    if advice:
        print(textwrap.fill(advice, 90))  # JupyterLab would break its lines mid-word
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to configure
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((LessonError,), _show_lesson_error)
