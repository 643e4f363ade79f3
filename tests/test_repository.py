"""One repository address (pyproject.toml's [project.urls]) behind every badge, link and
Colab set-up cell; ``tools/set_repository.py`` points them all at a fork."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "set_repository.py"
_spec = importlib.util.spec_from_file_location("set_repository", TOOL)
set_repository = importlib.util.module_from_spec(_spec)
sys.modules["set_repository"] = set_repository
_spec.loader.exec_module(set_repository)

NOTEBOOKS = set_repository.NOTEBOOKS


def test_every_badge_and_link_names_pyprojects_address():
    assert set_repository.disagreements() == []
    kinds = {kind for path in set_repository.files() for kind, _ in
             set_repository.links(path.read_text())}  # fmt: skip
    assert kinds == {"Binder badge", "Colab link", "pip install from git"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_opens_with_its_own_colab_link_and_the_setup_cell(path):
    cells = json.loads(path.read_text())["cells"]
    first, setup = "".join(cells[0]["source"]), "".join(cells[1]["source"])
    repository = set_repository.project_repository()
    assert first.startswith(
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{repository}/blob/main/notebooks/{path.name})"
    )
    assert "colab" in cells[1]["metadata"]["tags"] and cells[1]["metadata"]["cellView"] == "form"
    assert f'!pip install -q "yamnet_lesson @ git+https://github.com/{repository}"' in setup
    assert "!python -m yamnet_lesson download" in setup


def run_setup_cell(path, monkeypatch, *, colab):
    """The set-up cell as IPython runs it, with the shell commands recorded, not run."""
    from IPython.core.inputtransformer2 import TransformerManager

    source = "".join(json.loads(path.read_text())["cells"][1]["source"])
    commands = []

    class Shell:
        def system(self, command):
            commands.append(command)

    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(TransformerManager().transform_cell(source), {"get_ipython": Shell})
    return commands


def test_the_setup_cell_does_nothing_outside_colab(monkeypatch, capsys):
    assert run_setup_cell(NOTEBOOKS[0], monkeypatch, colab=False) == []
    assert capsys.readouterr() == ("", "")


def test_on_colab_the_setup_cell_installs_the_lesson_and_fetches_yamnet(monkeypatch):
    commands = run_setup_cell(NOTEBOOKS[0], monkeypatch, colab=True)
    address = f"https://github.com/{set_repository.project_repository()}"
    assert commands == [
        f'pip install -q "yamnet_lesson @ git+{address}"',
        "python -m yamnet_lesson download",
    ]


def test_set_repository_points_every_link_at_a_fork(tmp_path, monkeypatch, capsys):
    """On a copy: the fork's address everywhere, the branch in Colab's links; then --check."""
    copies = []
    for path in [set_repository.PYPROJECT, *set_repository.files()]:
        copy = tmp_path / path.relative_to(REPO)
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(path.read_text())
        copies.append(copy)
    monkeypatch.setattr(set_repository, "REPO", tmp_path)
    monkeypatch.setattr(set_repository, "PYPROJECT", copies[0])
    monkeypatch.setattr(set_repository, "README", copies[1])
    monkeypatch.setattr(set_repository, "NOTEBOOKS", copies[2:])
    assert set_repository.main(["https://github.com/a-teacher/noise-lesson.git", "--branch",
                                "autumn"]) == 0  # fmt: skip
    assert 'Repository = "https://github.com/a-teacher/noise-lesson"' in copies[0].read_text()
    for copy in copies[1:]:
        text = copy.read_text()
        assert "yamnet-lesson/yamnet_lesson" not in text
        assert {named for _, named in set_repository.links(text)} == {"a-teacher/noise-lesson"}
        assert not re.search(r"colab\.research\.google\.com/github/[^)]*/blob/main/", text)
    assert set_repository.main(["--check"]) == 0
    copies[1].write_text(copies[1].read_text().replace("a-teacher/noise-lesson/HEAD", "x/y/HEAD"))
    capsys.readouterr()
    assert set_repository.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "README.md: Binder badge names x/y, not a-teacher/noise-lesson" in out


@pytest.mark.parametrize("address", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"])
def test_an_address_that_is_not_a_github_repository_is_refused(address, capsys):
    assert set_repository.main([address]) == 2
    assert "is not a GitHub repository's address" in capsys.readouterr().err
