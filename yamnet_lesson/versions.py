"""The versions this lesson is tested with, and a friendly check of what is installed."""

from __future__ import annotations

import warnings
from importlib.metadata import PackageNotFoundError, version

__all__ = ["TESTED", "check_versions", "report"]

TESTED: dict[str, str | tuple[str, ...]] = {
    "tensorflow": ("2.21", "2.19"),  # 2.19: Colab's (tests/test_colab.py)
    "keras": "3.",
    "tensorflow-hub": "0.16",
    "librosa": "0.11",
    "ipywidgets": ("8.1", "7.7"),  # 7.7: Colab's
    "jupyterlab": "4.",
}
"""Package -> tested version prefix, or prefixes (the exact pins are in environment.yml;
the second ones are Colab's stack)."""


def _tested(found: str | None, prefixes: str | tuple[str, ...]) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return found is not None and found.startswith(prefixes)


def _named(prefixes: str | tuple[str, ...]) -> str:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return " or ".join(f"{prefix}x" for prefix in prefixes)


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
        status = "ok" if _tested(found, prefix) else f"tested with {_named(prefix)}"
        lines.append(f"{package} {found or 'not installed'} ({status})")
    return lines


def check_versions() -> bool:
    """Warn (once, in one sentence per package) about versions the lesson was not tested with."""
    ok = True
    for package, prefix in TESTED.items():
        found = _installed(package)
        if package == "jupyterlab" and found is None:
            continue  # a plain Jupyter or VS Code kernel is fine
        if not _tested(found, prefix):
            ok = False
            warnings.warn(
                f"{package} {found or 'is not installed'}: this lesson is tested with "
                f"{_named(prefix)} (see environment.yml); some cells may behave differently.",
                stacklevel=2,
            )
    return ok
