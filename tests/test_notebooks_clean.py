"""Stored notebooks are clean: no errors, no absolute paths, no outputs from another machine.

Only cells marked ``# NBVAL_CHECK_OUTPUT`` keep their (plain-text) outputs: those
are what nbval compares.  Every notebook opens with learning objectives and a
time estimate, and ends with a summary.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(home|root|work|tmp|Users|usr|opt|mnt)/")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    notebook = json.loads(path.read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for index, cell in enumerate(notebook["cells"]):
        text = "".join(cell["source"])
        assert not ABSOLUTE_PATH.search(text), f"cell {index} holds an absolute path"
        if cell["cell_type"] != "code":
            continue
        checked = "NBVAL_CHECK_OUTPUT" in text
        for output in cell["outputs"]:
            assert checked, f"cell {index} stores outputs but is not checked by nbval"
            assert output["output_type"] == "stream", f"cell {index} stores {output['output_type']}"
            assert not ABSOLUTE_PATH.search("".join(output["text"])), f"cell {index} output path"
        if not checked:
            assert cell["execution_count"] is None, f"cell {index} keeps an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_objectives_and_time_and_ends_with_summary(path):
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    assert "Learning objectives" in first and "minutes" in first
    last_markdown = next(c for c in reversed(cells) if c["cell_type"] == "markdown")
    assert "## Summary" in "".join(last_markdown["source"])
