"""A mybinder.org session on this machine: one Jupyter server inside a memory cgroup.

mybinder.org runs a student's Jupyter server in a container whose memory is limited
(2 GiB in all) by a Linux cgroup. Here, as root, we make such a cgroup, start a
Jupyter server inside it and do what JupyterLab does when a student opens notebooks
one after the other and never closes a tab: for each notebook, open a session
through the server's REST API (``POST /api/sessions``), then run its code cells one by
one over the kernel's websocket (``/api/kernels/<id>/channels``), top to bottom. No
session is ever closed by us.

    python tools/binder_session.py                    # notebooks 01-06, 2 GiB, JSON out
    python tools/binder_session.py --limit-gib 1.5 04 05 04

Each notebook's result says whether every cell ran (``ok``), which cell failed and
why (an error, or the kernel died), the time, the kernel's peak resident memory
(sampled every 50 ms) and the cgroup's view after the last cell. ``tests/test_binder.py``
asserts on it; ``benchmarks/run.py --notebooks`` reports it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
import websocket  # websocket-client, which jupyter_server itself depends on

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
GIB = 2**30
MIB = 2**20


def notebook_path(name: str) -> Path:
    """``"04"`` or a file name -> the lesson notebook's path."""
    matches = sorted(NOTEBOOKS.glob(f"{name}*.ipynb"))
    if len(matches) != 1:
        raise SystemExit(f"no single lesson notebook starts with {name!r}")
    return matches[0]


# ------------------------------------------------------------------ the memory cgroup
class MemoryCgroup:
    """A fresh memory cgroup (v1 or v2) with a limit; processes started in it stay in it."""

    V1 = Path("/sys/fs/cgroup/memory")
    V2 = Path("/sys/fs/cgroup")

    def __init__(self, limit_bytes: int) -> None:
        name = f"yamnet_lesson_binder_{os.getpid()}_{secrets.token_hex(3)}"
        if (self.V1 / "memory.limit_in_bytes").is_file():
            self.version, self.path = 1, self.V1 / name
            self.path.mkdir()
            (self.path / "memory.limit_in_bytes").write_text(str(limit_bytes))
        else:
            self.version, self.path = 2, self.V2 / name
            self.path.mkdir()
            (self.path / "memory.max").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):
                (self.path / "memory.swap.max").write_text("0")
        self.limit = limit_bytes

    @staticmethod
    def why_not() -> str | None:
        """Why a memory cgroup cannot be made here, or None if it can."""
        if os.geteuid() != 0:
            return "making a memory cgroup needs root"
        if (MemoryCgroup.V1 / "memory.limit_in_bytes").is_file():
            writable = os.access(MemoryCgroup.V1, os.W_OK)
            return None if writable else "the cgroup v1 memory hierarchy is read-only"
        controllers = MemoryCgroup.V2 / "cgroup.subtree_control"
        if controllers.is_file() and "memory" in controllers.read_text().split():
            return None if os.access(MemoryCgroup.V2, os.W_OK) else "cgroup v2 is read-only"
        return "no cgroup memory controller is available to this process"

    def _read(self, v1: str, v2: str) -> int:
        return int((self.path / (v1 if self.version == 1 else v2)).read_text().split()[0])

    def stat(self) -> dict[str, int]:
        pairs = (line.split() for line in (self.path / "memory.stat").read_text().splitlines())
        return {key: int(value) for key, value in pairs}

    def usage(self) -> int:
        return self._read("memory.usage_in_bytes", "memory.current")

    def peak(self) -> int:
        return self._read("memory.max_usage_in_bytes", "memory.peak")

    def anonymous(self) -> int:
        """Memory that only freeing can give back (no page cache): processes' own data."""
        stat = self.stat()
        return stat["total_rss"] if self.version == 1 else stat["anon"]

    def oom_kills(self) -> int:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in (self.path / name).read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def enter_command(self, command: list[str]) -> list[str]:
        """``command`` run by a shell that first moves itself into this cgroup."""
        procs = self.path / "cgroup.procs"
        return ["/bin/sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh", *command]

    def remove(self) -> None:
        procs = self.path / "cgroup.procs"
        for _ in range(50):
            pids = [int(p) for p in procs.read_text().split()]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            time.sleep(0.1)
        with contextlib.suppress(OSError):
            self.path.rmdir()


# ------------------------------------------------------------------ the Jupyter server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """``jupyter server`` on 127.0.0.1 with a token, as Binder starts it (inside a cgroup)."""

    def __init__(self, cgroup: MemoryCgroup | None, root: Path = REPO) -> None:
        self.token, self.port = secrets.token_hex(16), free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.runtime = Path(tempfile.mkdtemp(prefix="binder-runtime-"))
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(self.runtime),  # where the kernels look for servers
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--ServerApp.port={self.port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.open_browser=False",
            "--ServerApp.port_retries=0",
        ]
        if os.geteuid() == 0:  # CI and this project's machines run as root
            command.append("--ServerApp.allow_root=True")
        if cgroup is not None:
            command = cgroup.enter_command(command)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                self.api("GET", "api/status")
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Jupyter server did not start:\n{self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def open_notebook(self, path: Path) -> dict:
        """What JupyterLab does when a notebook's tab opens: a session with a new kernel."""
        return self.api(
            "POST",
            "api/sessions",
            {
                "path": str(path.relative_to(REPO)),
                "name": path.name,
                "type": "notebook",
                "kernel": {"name": "python3"},
            },
        )

    def session_of(self, path: Path) -> dict | None:
        relative = str(path.relative_to(REPO))
        return next((s for s in self.api("GET", "api/sessions") if s["path"] == relative), None)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.runtime, ignore_errors=True)
        self.log.close()


# ------------------------------------------------------------------ running a notebook
@dataclass
class NotebookRun:
    notebook: str
    ok: bool = False
    cells_run: int = 0
    cells: int = 0
    failure: str = ""
    seconds: float = 0.0
    kernel_peak_rss_mib: int = 0
    kernel_rss_after_mib: int = 0
    cgroup_peak_mib: int = 0
    cgroup_usage_after_mib: int = 0
    cgroup_anonymous_after_mib: int = 0
    cgroup_anonymous_peak_mib: int = 0  # sampled with the kernel's: page cache left out
    printed: list[str] = field(default_factory=list)  # lines the set-up cell printed


def _message(session: str, code: str, msg_type: str = "execute_request") -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "username": "student",
            "session": session,
            "version": "5.3",
            "date": "",
        },
        "parent_header": {},
        "metadata": {},
        "content": {}
        if msg_type != "execute_request"
        else {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


def _wait_until_ready(ws: Any, session: str, seconds: float = 120) -> None:
    """Ask for the kernel's info until it answers, as JupyterLab does before it runs a cell:
    a request sent while the kernel is still starting can be lost."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        request = _message(session, "", "kernel_info_request")
        ws.send(json.dumps(request))
        ws.settimeout(1)
        try:
            while True:
                message = json.loads(ws.recv())
                parent = message.get("parent_header", {}).get("msg_id")
                if parent == request["header"]["msg_id"] and message["header"].get("msg_type") == (
                    "kernel_info_reply"
                ):
                    return
        except websocket.WebSocketTimeoutException:
            continue
        finally:
            ws.settimeout(None)
    raise websocket.WebSocketTimeoutException(f"the kernel did not answer in {seconds:.0f} s")


def _kernel_pid(kernel_id: str, server: JupyterServer) -> int | None:
    """The kernel's process: the child of the server whose command line names its id."""
    for child in psutil.Process(server.process.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if any(kernel_id in part for part in child.cmdline()):
                return child.pid
    return None


def _connect(server: JupyterServer, kernel_id: str, timeout: float) -> tuple[Any, str]:
    """A websocket to the kernel's channels, as a notebook tab holds one, and its session id."""
    client_session = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={client_session}",
        header=[f"Authorization: token {server.token}"],
        timeout=timeout,
    )
    return ws, client_session


def start_cell(server: JupyterServer, path: Path, code: str) -> Any:
    """Open ``path`` and start ``code`` in its kernel without waiting for it (a busy kernel).
    Returns the websocket: close it when done."""
    session = server.session_of(path) or server.open_notebook(path)
    ws, client_session = _connect(server, session["kernel"]["id"], 60)
    _wait_until_ready(ws, client_session)
    ws.send(json.dumps(_message(client_session, code)))
    return ws


def run_notebook(
    server: JupyterServer,
    path: Path,
    cgroup: MemoryCgroup | None,
    cell_timeout: float = 300,
    cells: list[str] | None = None,
) -> NotebookRun:
    """Open ``path`` (or reuse its open session, as a tab does) and run every code cell
    (or ``cells``, code of our own, in its kernel)."""
    run = NotebookRun(path.stem)
    if cells is None:
        notebook = nbformat.read(path, as_version=4)
        cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    run.cells = len(cells)
    start = time.monotonic()
    session = server.session_of(path) or server.open_notebook(path)
    kernel_id = session["kernel"]["id"]
    ws, client_session = _connect(server, kernel_id, cell_timeout)
    pid = None
    peak = {"rss": 0, "anonymous": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with contextlib.suppress(psutil.Error, TypeError):
                peak["rss"] = max(peak["rss"], psutil.Process(pid).memory_info().rss)
            if cgroup is not None:
                with contextlib.suppress(OSError, KeyError, ValueError):
                    peak["anonymous"] = max(peak["anonymous"], cgroup.anonymous())
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    try:
        for _ in range(100):  # the kernel process appears a moment after the session
            pid = _kernel_pid(kernel_id, server)
            if pid:
                break
            time.sleep(0.1)
        watcher.start()
        _wait_until_ready(ws, client_session)
        ws.settimeout(cell_timeout)
        for index, code in enumerate(cells):
            print(f"binder_session: {path.stem} cell {index}", file=sys.stderr, flush=True)
            request = _message(client_session, code)
            ws.send(json.dumps(request))
            reply, idle = None, False  # the reply (shell) and idle (iopub) come in either order
            while reply is None or not idle:
                try:
                    message = json.loads(ws.recv())
                except (websocket.WebSocketException, OSError) as error:
                    run.failure = f"cell {index}: connection lost ({error})"
                    return run
                parent = message.get("parent_header", {}).get("msg_id")
                kind = message["header"]["msg_type"]
                content = message.get("content", {})
                if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                    run.failure = f"cell {index}: the kernel died ({content['execution_state']})"
                    return run
                if parent != request["header"]["msg_id"]:
                    continue
                if "notebook.setup()" in code and kind == "stream":  # the Memory: lines
                    run.printed.extend(content.get("text", "").splitlines())
                if kind == "execute_reply":
                    reply = content
                idle = idle or (kind == "status" and content["execution_state"] == "idle")
            if reply.get("status") != "ok":
                run.failure = (
                    f"cell {index}: {reply.get('ename', reply.get('status'))}: "
                    f"{reply.get('evalue', '')}"[:300]
                )
                return run
            run.cells_run = index + 1
        run.ok = True
        return run
    except websocket.WebSocketTimeoutException:
        run.failure = f"cell {run.cells_run}: no answer in {cell_timeout:.0f} s"
        return run
    finally:
        done.set()
        run.seconds = round(time.monotonic() - start, 1)
        ws.close()
        time.sleep(0.3)  # let the kernel settle before the 'after' readings
        with contextlib.suppress(psutil.Error, TypeError):
            run.kernel_rss_after_mib = round(psutil.Process(pid).memory_info().rss / MIB)
        run.kernel_peak_rss_mib = round(peak["rss"] / MIB)
        if cgroup is not None:
            run.cgroup_peak_mib = round(cgroup.peak() / MIB)
            run.cgroup_usage_after_mib = round(cgroup.usage() / MIB)
            run.cgroup_anonymous_after_mib = round(cgroup.anonymous() / MIB)
            run.cgroup_anonymous_peak_mib = round(peak["anonymous"] / MIB)


def run_session(
    names: list[str], limit_bytes: int | None, cell_timeout: float = 300
) -> dict[str, Any]:
    """One server (in a cgroup of ``limit_bytes`` if given), the notebooks in order, no tab
    closed. Returns the runs and the cgroup's out-of-memory kills."""
    cgroup = MemoryCgroup(limit_bytes) if limit_bytes else None
    server = None
    try:
        server = JupyterServer(cgroup)
        runs = [run_notebook(server, notebook_path(n), cgroup, cell_timeout) for n in names]
        return {
            "limit_mib": round(limit_bytes / MIB) if limit_bytes else None,
            "runs": [asdict(r) for r in runs],
            "oom_kills": cgroup.oom_kills() if cgroup else 0,
            "sessions_open_at_end": [s["path"] for s in server.api("GET", "api/sessions")],
        }
    finally:
        if server is not None:
            server.stop()
        if cgroup is not None:
            cgroup.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", default=["01", "02", "03", "04", "05", "06"])
    parser.add_argument("--limit-gib", type=float, default=2.0, help="0: no cgroup")
    args = parser.parse_args()
    limit = round(args.limit_gib * GIB) if args.limit_gib else None
    if limit and (why := MemoryCgroup.why_not()):
        raise SystemExit(f"binder_session: {why}; run with --limit-gib 0 for no limit.")
    print(json.dumps(run_session(args.notebooks, limit), indent=1))


if __name__ == "__main__":
    main()
