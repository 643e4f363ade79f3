"""The notebooks' first call: ``yl.notebook.setup()``, its memory advice and making room.

The session-wide behaviour (a Jupyter server in a 2 GiB cgroup, notebooks 1 to 6
opened in turn) is tests/test_binder.py; here each piece is tried on its own, with
real kernels and, for :func:`memory.make_room`, a real Jupyter server.
"""

import sys
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from yamnet_lesson import memory, notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import binder_session  # noqa: E402  (tools/ is not a package)


def test_other_kernels_holding_the_memory_are_named_with_what_to_do(monkeypatch, capsys):
    """A real second kernel (as notebook 1's, still running on mybinder.org) is found;
    the advice comes exactly when the memory left is less than what this notebook needs."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        pid = manager.provisioner.pid
        others = dict(notebook._other_kernels())
        assert pid in others and others[pid] > 10_000_000  # a Python process: tens of MB
        need, margin = 500 * memory.MB, 100 * memory.MB  # processes' memory moves a little
        monkeypatch.setenv("MEM_LIMIT", str(memory._users_resident_bytes() + need + margin))
        assert notebook.memory_advice(need) is None
        monkeypatch.setenv("MEM_LIMIT", str(memory._users_resident_bytes() + need - margin))
        advice = notebook.memory_advice(need)
        assert advice is not None and f"{len(others)} other notebook" in advice
        monkeypatch.setenv("MEM_LIMIT", "1")  # nothing left, whatever else ends meanwhile
        notebook.setup()  # no Jupyter server owns this process: nothing is shut down
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("Memory: this session has ")
        assert max(map(len, lines)) <= 90  # wrapped between words
        advice = " ".join(lines)
        assert "Shut the others down first" in advice and "Running Terminals and Kernels" in advice
        assert "shut down the idle" not in advice
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert pid not in dict(notebook._other_kernels())


def test_no_memory_limit_setting_means_the_computers_memory(monkeypatch):
    monkeypatch.setenv("MEM_LIMIT", "not a number")
    limit = memory.memory_limit()
    assert 0 < limit <= memory.psutil.virtual_memory().total
    monkeypatch.setenv("MEM_LIMIT", "0")
    assert memory.memory_limit() == limit
    monkeypatch.setenv("MEM_LIMIT", str(limit - 1))
    assert memory.memory_limit() == limit - 1


def test_without_a_jupyter_server_make_room_does_nothing():
    """nbval, nbconvert, VS Code and this test run kernels that no server owns."""
    stopped, need = memory.make_room()
    assert stopped == []
    assert (
        need > max(memory.NOTEBOOK_PEAK_BYTES.values()) - memory.psutil.Process().memory_info().rss
    )


def test_every_lesson_notebook_has_its_peak():
    notebooks = sorted(p.stem for p in binder_session.NOTEBOOKS.glob("0*.ipynb"))
    assert notebooks == sorted(memory.NOTEBOOK_PEAK_BYTES)


def _sessions(server):
    return {Path(s["path"]).stem: s for s in server.api("GET", "api/sessions")}


@pytest.mark.slow  # seconds of training or a fresh process; the everyday run stays under 5 minutes
def test_make_room_stops_idle_lesson_kernels_only_and_says_so(monkeypatch):
    """A real Jupyter server with four tabs open: notebook 1 (idle), notebook 2 (busy), a
    notebook that is not the lesson's (idle), then notebook 4, whose set-up cell finds no
    room (MEM_LIMIT below what is in use): only notebook 1's kernel is shut down."""
    monkeypatch.setenv("MEM_LIMIT", "1")  # the server and its kernels inherit it
    server = binder_session.JupyterServer(cgroup=None)
    busy = None
    try:
        first = binder_session.run_notebook(server, binder_session.notebook_path("01"), None,
                                            cells=["x = 1"])  # fmt: skip
        assert first.ok, first.failure
        other = binder_session.NOTEBOOKS / "scratch_not_the_lesson.ipynb"  # never written
        assert binder_session.run_notebook(server, other, None, cells=["x = 1"]).ok
        busy = binder_session.start_cell(
            server, binder_session.notebook_path("02"), "import time; time.sleep(120)"
        )
        deadline = time.monotonic() + 30
        while _sessions(server)["02_seeing_the_difference"]["kernel"]["execution_state"] != "busy":
            assert time.monotonic() < deadline, "notebook 2's kernel never became busy"
            time.sleep(0.2)
        fourth = binder_session.run_notebook(
            server,
            binder_session.notebook_path("04"),
            None,
            cells=["import yamnet_lesson as yl\nyl.notebook.setup()"],
        )
        assert fourth.ok, fourth.failure
        said = " ".join(fourth.printed)
        assert said.startswith(
            "Memory: to make room for this notebook, the lesson shut down the idle kernel of "
            "01_building_the_data (this session has "
        ), said
        assert "its tab stays open: to go back to it, run its cells again from the top" in said
        assert max(map(len, fourth.printed)) <= 90
        open_now = _sessions(server)
        assert "01_building_the_data" not in open_now  # stopped
        assert {
            "02_seeing_the_difference",
            "scratch_not_the_lesson",
            "04_transfer_learning",
        } <= set(open_now)  # busy, not the lesson's, and itself: left alone
        again = binder_session.run_notebook(  # the student runs notebook 1's cell again
            server, binder_session.notebook_path("01"), None, cells=["print(2 + 2)"]
        )
        assert again.ok and "01_building_the_data" in _sessions(server)  # a fresh kernel
    finally:
        if busy is not None:
            busy.close()
        server.stop()


@pytest.mark.parametrize(
    ("stopped", "expected"),
    [
        (["01_building_the_data"], "the idle kernel of 01_building_the_data ("),
        (["01_a", "02_b", "03_c"], "the idle kernels of 01_a, 02_b and 03_c ("),
    ],
)
def test_the_stopped_line_names_every_notebook(stopped, expected):
    line = notebook.stopped_message(stopped)
    assert expected in line
    one = len(stopped) == 1  # "its tab stays open" for one, "their tabs" for several
    assert ("its tab stays open" in line) == one and ("their tabs stay open" in line) != one
