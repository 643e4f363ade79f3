"""Memory of each notebook in a whole Binder session, as JSON.

    python benchmarks/binder_memory.py [--limit-gib 2] [01 02 ...]

Runs ``tools/binder_session.py``'s session (one Jupyter server inside a memory
cgroup of ``--limit-gib``, the notebooks opened in order as JupyterLab opens them,
no tab closed; needs root and a cgroup memory controller) and prints, per
notebook: whether every cell ran, its time, its kernel's peak resident memory and
its resident memory after the last cell, and the cgroup's view (peak, in use,
anonymous) after it and its anonymous peak, the set-up cell's *Memory:* line
(which idle kernels the lesson shut down to make room), and the cgroup's
out-of-memory kills. The README's
"Notebooks in a Binder session" table comes from it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import binder_session  # noqa: E402  (tools/ is not a package)


def main() -> None:
    args = sys.argv[1:]
    limit_gib = 2.0
    if args[:1] == ["--limit-gib"]:
        limit_gib, args = float(args[1]), args[2:]
    if why := binder_session.MemoryCgroup.why_not():
        raise SystemExit(f"binder_memory: {why}.")
    names = args or ["01", "02", "03", "04", "05", "06"]
    session = binder_session.run_session(names, round(limit_gib * binder_session.GIB))
    for run in session["runs"]:  # of what the set-up cell printed, the Memory: line, unwrapped
        printed = " ".join(run.pop("printed"))
        run["memory_line"] = printed[printed.find("Memory:") :] if "Memory:" in printed else ""
    print(json.dumps(session, indent=1))


if __name__ == "__main__":
    main()
