"""The versions this lesson is tested with, and a friendly check of what is installed."""

from __future__ import annotations

import warnings
from importlib.metadata import PackageNotFoundError, version

__all__ = ["TESTED", "check_versions", "report"]

TESTED = {
    "tensorflow": "2.21",
    "keras": "3.",
    "tensorflow-hub": "0.16",
    "librosa": "0.11",
    "ipywidgets": "8.1",
    "jupyterlab": "4.",
}
"""Package -> tested version prefix (the exact pins are in environment.yml)."""


def _installed(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def report() -> list[str]:
    """One line per package: installed version and whether it is the tested one."""
    lines = []
    for package, prefix in TESTED.items():
        found = _installed(package)
        status = "ok" if found and found.startswith(prefix) else f"tested with {prefix}x"
        lines.append(f"{package} {found or 'not installed'} ({status})")
    return lines


def check_versions() -> bool:
    """Warn (once, in one sentence per package) about versions the lesson was not tested with."""
    ok = True
    for package, prefix in TESTED.items():
        found = _installed(package)
        if package == "jupyterlab" and found is None:
            continue  # a plain Jupyter or VS Code kernel is fine
        if not (found and found.startswith(prefix)):
            ok = False
            warnings.warn(
                f"{package} {found or 'is not installed'}: this lesson is tested with "
                f"{prefix}x (see environment.yml); some cells may behave differently.",
                stacklevel=2,
            )
    return ok
