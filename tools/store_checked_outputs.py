"""Run notebooks and store only the outputs nbval compares.

    python tools/store_checked_outputs.py notebooks/04_transfer_learning.ipynb [...]

Each notebook is executed in a fresh kernel (from its own folder, as nbval
does).  Cells tagged ``nbval-check-output`` keep their printed output (and
execution count): it is what nbval compares on every test run.  Every other cell is stored without
outputs or execution counts, so the repository holds no pictures, times or
paths from this machine (``tests/test_notebooks_clean.py`` checks it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECKED = "nbval-check-output"


def store(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    ).execute()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if CHECKED in cell.metadata.get("tags", []):
            cell.outputs = [o for o in cell.outputs if o.output_type == "stream"]
            # the execution count stays: nbval skips a stored output without one
        else:
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)
    nbformat.write(notebook, path)
    print(f"stored {path}")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        store(Path(name))
