"""Room in memory for the next notebook: what a Binder session has, and making room.

On mybinder.org a whole session (the Jupyter server and the kernel of every open
notebook) has about 2 GB. A student who opens the lesson's notebooks one after the
other and never closes a tab keeps every earlier kernel alive, and a kernel that has
loaded TensorFlow holds most of a gigabyte even when idle: the kernel that fine-tunes
YAMNet would die at the limit.

So each notebook's first cell (``yl.notebook.setup()``) calls :func:`make_room`: if
the memory left is less than this notebook will need, it shuts down the *idle*
kernels of the *other lesson notebooks*, least recently used first, through the
Jupyter server this kernel belongs to (found the way Jupyter records its running
servers: the ``jpserver-*.json`` files in its runtime folder), and says which. Their
tabs stay open; running their cells again starts them afresh. It never touches a
busy kernel or one that is not a lesson notebook's, and where no Jupyter server owns
this kernel (nbval, ``jupyter nbconvert``, VS Code) it does nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

__all__ = ["NOTEBOOK_PEAK_BYTES", "free_memory", "make_room", "memory_limit"]

MB = 2**20  # the MB of the README's figures
GB = 2**30  # the GB of mybinder.org's "2 GB"

NOTEBOOK_PEAK_BYTES = {
    "01_building_the_data": 320 * MB,  # measured 274 MB: NumPy, Matplotlib, no TensorFlow
    "02_seeing_the_difference": 560 * MB,  # 520 MB: librosa, LiteRT's official YAMNet
    "03_the_pretrained_network": 1_260 * MB,  # 1,197 MB: TensorFlow and the Keras YAMNet
    "04_transfer_learning": 1_640 * MB,  # 1,568 MB: fine-tuning, the trainer
    "05_experiments_and_real_sounds": 2_030 * MB,  # 1,945 MB: digits, bands the networks use
    "06_take_it_home": 1_620 * MB,  # 1,531 MB: fine-tuning, export, LiteRT
}
"""The most memory each lesson notebook's kernel takes (resident), rounded up about 4 %
from its peak in a whole Binder session (``python tools/binder_session.py``, 2 GiB,
notebooks 1 to 6) in a freshly installed environment, as CI and Binder have it
(``tests/test_binder.py`` checks each against a real run). Resident memory counts
TensorFlow's shared libraries in every kernel that maps them, while the session's
memory counts them once, so these figures plan with room to spare."""

MARGIN_BYTES = 100 * MB
"""Room kept beyond a notebook's peak: the server and the kernels' memory move a little."""

_CGROUP_ROOTS = (Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup"))


# ------------------------------------------------------------------------ how much is there
def _own_cgroup() -> Path | None:
    """The memory cgroup folder of this process (cgroup v1 or v2), or None."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(",") and (_CGROUP_ROOTS[0] / "memory.stat").exists():
                return _CGROUP_ROOTS[0] / path.lstrip("/")
            if controllers == "" and (_CGROUP_ROOTS[1] / "cgroup.controllers").exists():
                return _CGROUP_ROOTS[1] / path.lstrip("/")
    return None


def _read_int(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):  # absent, or "max" (no limit)
        return int(path.read_text().split()[0])
    return None


def _cgroup_limit_and_use() -> tuple[int, int] | None:
    """``(limit, in use)`` of the tightest memory cgroup around this process; in use
    leaves out the page cache the kernel can drop (inactive files)."""
    folder, found = _own_cgroup(), None
    while folder is not None and folder.is_dir():
        limit = _read_int(folder / "memory.limit_in_bytes") or _read_int(folder / "memory.max")
        usage = _read_int(folder / "memory.usage_in_bytes") or _read_int(folder / "memory.current")
        if limit and usage is not None and limit < psutil.virtual_memory().total:
            stat = {}
            with contextlib.suppress(OSError):
                pairs = (line.split() for line in (folder / "memory.stat").read_text().splitlines())
                stat = {key: int(value) for key, value in pairs}
            inactive = stat.get("total_inactive_file", stat.get("inactive_file", 0))
            if found is None or limit - (usage - inactive) < found[0] - found[1]:
                found = (limit, usage - inactive)
        if folder in _CGROUP_ROOTS:
            break
        folder = folder.parent
    return found


def _mem_limit_env() -> int | None:
    with contextlib.suppress(ValueError):
        limit = int(os.environ.get("MEM_LIMIT", ""))
        return limit if limit > 0 else None  # 0: no limit set
    return None


def _users_resident_bytes() -> int:
    """Resident memory of all this user's processes (how JupyterHub counts ``MEM_LIMIT``)."""
    user, total = psutil.Process().username(), 0
    for process in psutil.process_iter(["username", "memory_info"]):
        if process.info["username"] == user and process.info["memory_info"] is not None:
            total += process.info["memory_info"].rss
    return total


def memory_limit() -> int:
    """Bytes this session may use: the least of the computer's memory, the container's
    limit (Linux cgroups, as on mybinder.org) and ``MEM_LIMIT`` (set by JupyterHub)."""
    limits = [psutil.virtual_memory().total, _mem_limit_env()]
    cgroup = _cgroup_limit_and_use()
    limits.append(cgroup[0] if cgroup else None)
    return min(limit for limit in limits if limit)


def free_memory() -> int:
    """Bytes this session can still take before :func:`memory_limit`, under every limit
    that applies: the container's (its own count), ``MEM_LIMIT`` (this user's processes'
    resident memory) and the computer's (its available memory)."""
    memory = psutil.virtual_memory()
    free = [memory.available]
    if cgroup := _cgroup_limit_and_use():
        free.append(cgroup[0] - cgroup[1])
    if mem_limit := _mem_limit_env():
        free.append(mem_limit - _users_resident_bytes())
    return min(free)


# ------------------------------------------------------------- the server this kernel is in
def _kernel_id() -> str | None:
    """This kernel's id, from its connection file's name (``kernel-<id>.json``)."""
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).stem
    except Exception:  # not an ipykernel, or not started by a kernel manager
        return None
    return name.removeprefix("kernel-") if name.startswith("kernel-") else None


def _request(server: dict, method: str, path: str) -> Any:
    url = server["url"].rstrip("/") + "/" + path
    request = urllib.request.Request(url, method=method)
    if server.get("token"):
        request.add_header("Authorization", f"token {server['token']}")
    with urllib.request.urlopen(request, timeout=3) as response:
        text = response.read()
    return json.loads(text) if text else None


def _own_server(kernel_id: str) -> tuple[dict, list[dict]] | None:
    """The running Jupyter server whose sessions include this kernel, and those sessions."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        info_files = sorted(Path(jupyter_runtime_dir()).glob("jpserver-*.json"))
    except Exception:
        return None
    for info_file in info_files:
        with contextlib.suppress(Exception):  # unreadable, a stopped server, refused
            server = json.loads(info_file.read_text())
            if not psutil.pid_exists(server["pid"]):
                continue
            sessions = _request(server, "GET", "api/sessions")
            if any(s["kernel"]["id"] == kernel_id for s in sessions):
                return server, sessions
    return None


def _lesson_notebook(session: dict) -> str | None:
    """The lesson notebook a session is (its name without ``.ipynb``), or None."""
    name = Path(session.get("path") or "").stem
    return name if name in NOTEBOOK_PEAK_BYTES else None


def _kernel_process_gone(kernel_id: str, seconds: float = 10) -> None:
    """Wait until no process is the kernel ``kernel_id`` (its memory is then free)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = False
        for process in psutil.process_iter(["cmdline"]):
            if any(kernel_id in part for part in process.info["cmdline"] or []):
                alive = True
                break
        if not alive:
            return
        time.sleep(0.2)


def _need(name: str | None) -> int:
    """Bytes this kernel may still take: its notebook's peak (the largest lesson notebook's
    when unknown) less what it holds now, plus :data:`MARGIN_BYTES`."""
    peak = NOTEBOOK_PEAK_BYTES.get(name or "", max(NOTEBOOK_PEAK_BYTES.values()))
    return peak - psutil.Process().memory_info().rss + MARGIN_BYTES


def make_room() -> tuple[list[str], int]:
    """Shut down idle kernels of other lesson notebooks until this notebook's peak fits.

    Acts only when this kernel is a lesson notebook's, run by a Jupyter server found in
    Jupyter's runtime folder. Returns the names of the notebooks whose kernels were shut
    down (least recently used first) and the bytes this kernel may still need.
    """
    kernel_id = _kernel_id()
    found = _own_server(kernel_id) if kernel_id else None
    if found is None:
        return [], _need(None)
    server, sessions = found
    me = next(s for s in sessions if s["kernel"]["id"] == kernel_id)
    name = _lesson_notebook(me)
    need = _need(name)
    if name is None:
        return [], need
    idle = [
        s
        for s in sessions
        if s["kernel"]["id"] != kernel_id
        and _lesson_notebook(s)
        and s["kernel"].get("execution_state") == "idle"
    ]
    idle.sort(key=lambda s: s["kernel"].get("last_activity") or "")
    stopped = []
    for session in idle:
        if free_memory() >= need:
            break
        with contextlib.suppress(Exception):  # gone meanwhile, or refused: leave it
            _request(server, "DELETE", f"api/sessions/{session['id']}")
            _kernel_process_gone(session["kernel"]["id"])
            stopped.append(_lesson_notebook(session))
    return stopped, need
