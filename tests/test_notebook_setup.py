"""The notebooks' first call: ``yl.notebook.setup()`` and its memory advice."""

from jupyter_client.manager import start_new_kernel

from yamnet_lesson import notebook


def test_other_kernels_holding_the_memory_are_named_with_what_to_do(monkeypatch, capsys):
    """A real second kernel (as notebook 1's, still running on mybinder.org) is found;
    the advice comes exactly when it leaves less than a notebook's peak under the limit."""
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        pid = manager.provisioner.pid
        others = dict(notebook._other_kernels())
        assert pid in others and others[pid] > 10_000_000  # a Python process: tens of MB
        held, margin = sum(others.values()), 50_000_000  # kernels' memory moves a little
        monkeypatch.setenv("MEM_LIMIT", str(held + notebook.KERNEL_PEAK_BYTES + margin))
        assert notebook.memory_advice() is None
        assert notebook.memory_limit() == held + notebook.KERNEL_PEAK_BYTES + margin
        monkeypatch.setenv("MEM_LIMIT", str(2 * 2**30))  # mybinder.org's "2 GB"
        monkeypatch.setattr(notebook, "KERNEL_PEAK_BYTES", 2 * 2**30 - held + margin)
        notebook.setup()
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith(f"Memory: this session has 2.0 GB and {len(others)} other ")
        assert max(map(len, lines)) <= 90  # wrapped between words
        advice = " ".join(lines)
        assert "Shut the others down first" in advice and "Running Terminals and Kernels" in advice
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert pid not in dict(notebook._other_kernels())


def test_no_memory_limit_setting_means_the_computers_memory(monkeypatch):
    monkeypatch.setenv("MEM_LIMIT", "not a number")
    limit = notebook.memory_limit()
    assert 0 < limit <= notebook.psutil.virtual_memory().total
    monkeypatch.setenv("MEM_LIMIT", "0")
    assert notebook.memory_limit() == limit
    monkeypatch.setenv("MEM_LIMIT", str(limit - 1))
    assert notebook.memory_limit() == limit - 1
