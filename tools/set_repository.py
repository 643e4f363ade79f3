"""Point the lesson's badges and links at one GitHub repository: yours, after a fork.

    python tools/set_repository.py https://github.com/YOU/yamnet_lesson [--branch main]
    python tools/set_repository.py --check   # only say which links disagree (exit 1 if any)

The address is written once, as ``Repository`` in ``pyproject.toml``'s
``[project.urls]``.  This command writes it there and into every place that
names it: the README's Binder and Colab badges, each notebook's "Open in
Colab" link (``--branch``: the branch Colab opens, default ``main``) and each
notebook's Colab set-up cell (which pip-installs the lesson from the address).
``tests/test_repository.py`` checks that they all agree.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = REPO / "pyproject.toml"
README = REPO / "README.md"
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

NAME = r"[A-Za-z0-9_.-]+"
ADDRESS = re.compile(rf"^https://github\.com/({NAME})/({NAME}?)(?:\.git)?/?$")
PROJECT_URL = re.compile(rf'^(Repository = ")https://github\.com/({NAME}/{NAME})(")$', re.M)
# Each place that names the repository: (what it is, pattern with the owner/name as group 2).
LINKS = {
    "Binder badge": re.compile(rf"(https://mybinder\.org/v2/gh/)({NAME}/{NAME})"),
    "Colab link": re.compile(rf"(https://colab\.research\.google\.com/github/)({NAME}/{NAME})"),
    "pip install from git": re.compile(rf"(git\+https://github\.com/)({NAME}/{NAME})"),
}
COLAB_BRANCH = re.compile(
    rf"(https://colab\.research\.google\.com/github/{NAME}/{NAME}/blob/)({NAME})(/)"
)


class AddressError(ValueError):
    """An address that is not a GitHub repository's."""


def owner_and_name(address: str) -> str:
    """``https://github.com/OWNER/NAME`` (``.git`` or a final ``/`` allowed) -> ``OWNER/NAME``."""
    match = ADDRESS.match(address.strip())
    if not match:
        raise AddressError(
            f"{address!r} is not a GitHub repository's address: give it as "
            "https://github.com/OWNER/NAME (Binder and Colab open notebooks from GitHub)."
        )
    return f"{match[1]}/{match[2]}"


def project_repository() -> str:
    """``OWNER/NAME`` of the ``Repository`` address in pyproject.toml's ``[project.urls]``."""
    match = PROJECT_URL.search(PYPROJECT.read_text())
    if not match:
        raise AddressError("pyproject.toml has no Repository = \"https://github.com/...\" line.")
    return match[2]


def files() -> list[Path]:
    """The README and the notebooks: every file whose links name the repository."""
    return [README, *NOTEBOOKS]


def links(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, OWNER/NAME)`` for each badge, link and install line in ``text``."""
    for kind, pattern in LINKS.items():
        for match in pattern.finditer(text):
            yield kind, match[2]


def rewrite(text: str, repository: str, branch: str | None = None) -> str:
    """``text`` with every link pointing at ``repository`` (and Colab at ``branch``, if given)."""
    for pattern in LINKS.values():
        text = pattern.sub(lambda m: m[1] + repository, text)
    if branch is not None:
        text = COLAB_BRANCH.sub(lambda m: m[1] + branch + m[3], text)
    return text


def disagreements() -> list[str]:
    """One line per link that does not name pyproject.toml's repository."""
    expected = project_repository()
    found = []
    for path in files():
        for kind, named in links(path.read_text()):
            if named != expected:
                found.append(f"{path.relative_to(REPO)}: {kind} names {named}, not {expected}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/set_repository.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("address", nargs="?", help="https://github.com/OWNER/NAME")
    parser.add_argument("--branch", default="main", help="the branch Colab opens (default main)")
    parser.add_argument("--check", action="store_true", help="only report disagreeing links")
    args = parser.parse_args(argv)
    if args.check or args.address is None:
        problems = disagreements()
        for line in problems:
            print(line)
        if not problems:
            print(f"Every badge and link names https://github.com/{project_repository()}.")
        return 1 if problems else 0
    try:
        repository = owner_and_name(args.address)
    except AddressError as error:
        print(f"set_repository: {error}", file=sys.stderr)
        return 2
    if not re.fullmatch(NAME, args.branch):
        print(f"set_repository: {args.branch!r} is not a branch name.", file=sys.stderr)
        return 2
    text = PYPROJECT.read_text()
    address = f"https://github.com/{repository}"
    PYPROJECT.write_text(PROJECT_URL.sub(lambda m: m[1] + address + m[3], text))
    changed = 0
    for path in files():
        before = path.read_text()
        after = rewrite(before, repository, args.branch)
        if after != before:
            path.write_text(after)
            changed += 1
    print(
        f"The lesson now points at https://github.com/{repository} (Colab opens branch "
        f"{args.branch}): pyproject.toml and {changed} other file(s) changed. Commit and push."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
