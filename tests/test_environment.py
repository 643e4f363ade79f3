"""Each version pinned once: environment.yml pins what the lesson runs on (install.sh, CI and
Binder use it); pyproject.toml's "dev" extra pins the developers' tools, which install.sh adds
and Binder's image leaves out. install.sh's choice of Python is checked with stand-in
interpreters."""

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def pip_section() -> dict[str, str]:
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "conda-forge" in environment["channels"]
    assert "python=3.11" in environment["dependencies"]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    pins = {}
    for line in pip:
        name, _, version = line.partition("==")
        assert version, f"{line!r} is not pinned with =="
        pins[name.lower()] = version
    return pins


def test_every_package_dependency_is_pinned_in_environment_yml():
    pins = pip_section()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ ]", requirement)[0].lower()
        assert name in pins, f"{name} is a dependency but not pinned in environment.yml"


def dev_extra() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in project["optional-dependencies"]["dev"]:
        name, _, version = line.partition("==")
        assert version, f"{line!r} in the dev extra is not pinned with =="
        pins[name.lower()] = version
    return pins


def test_the_tested_stack_is_pinned():
    pins = pip_section()
    assert pins["tensorflow"].startswith("2.21")
    for package in ("tensorflow-hub", "librosa", "matplotlib", "ipywidgets", "jupyterlab"):
        assert package in pins
    assert "ai-edge-litert" in pins


def test_binder_image_leaves_the_developers_tools_out_and_each_version_is_pinned_once():
    runtime, dev = pip_section(), dev_extra()
    for tool in ("nbval", "pytest", "ruff", "playwright", "hypothesis", "pyyaml", "pytest-xdist"):
        assert tool in dev and tool not in runtime, tool
    assert not set(runtime) & set(dev), "a package pinned in both lists"


def test_install_ci_and_binder_install_from_environment_yml():
    install = (REPO / "install.sh").read_text()
    assert "environment.yml" in install and "pip install --quiet -r" in install
    assert 'pip install --quiet -e ".[dev]"' in install  # the tools, from the dev extra
    run = (REPO / ".ci" / "run").read_text()
    assert "bash install.sh" in run and "YAMNET_LESSON_MODEL_DIR" in run
    assert "python -m pytest --full" in run  # the full suite on 3.11 ...
    assert re.search(r"python_of 3\.1[23]\)", run) and "\n  python -m pytest -n 2\n" in run  # and
    post_build = (REPO / "postBuild").read_text()  # the everyday one on a second Python
    assert "pip install --no-deps -e ." in post_build and "yamnet_lesson download" in post_build
    assert "[dev]" not in post_build


def fake_python(folder: Path, name: str, version: str | None) -> None:
    """An executable answering install.sh's two questions like Python ``version`` would;
    ``None``: one that fails, as a pyenv shim of a version pyenv has not selected does."""
    path = folder / name
    if version is None:
        path.write_text("#!/bin/sh\nexit 127\n")
    else:
        path.write_text(
            f'#!/bin/sh\ncase "$*" in *executable*) echo "{path}" ;; *) echo {version} ;; esac\n'
        )
    path.chmod(0o755)


def run_install(folder: Path, *arguments: str, python: str | None = None):
    env = {"PATH": str(folder), "HOME": "/home/student"}  # only the fake Pythons: bash's builtins
    # do the rest
    if python:
        env["PYTHON"] = python
    return subprocess.run(
        ["/bin/bash", str(REPO / "install.sh"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("found", "chosen"),
    [
        ({"python3.11": "3.11", "python3.13": "3.13", "python3": "3.13"}, "python3.11"),
        ({"python3.11": None, "python3.13": "3.13", "python3": "3.12"}, "python3.13"),
        ({"python3.12": "3.12", "python3": "3.10"}, "python3.12"),
        ({"python3": "3.13"}, "python3"),
    ],
)
def test_install_uses_the_first_python_from_3_11_to_3_13(tmp_path, found, chosen):
    for name, version in found.items():
        fake_python(tmp_path, name, version)
    result = run_install(tmp_path, "--check")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"install.sh would use {tmp_path / chosen} (Python {found[chosen]}).\n"


def test_install_without_a_fitting_python_says_what_it_needs(tmp_path):
    fake_python(tmp_path, "python3", "3.10")
    fake_python(tmp_path, "python3.14", "3.14")
    fake_python(tmp_path, "python3.12", None)
    result = run_install(tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message and message.endswith(".")
    assert "needs Python 3.11, 3.12 or 3.13" in message
    assert "PYTHON=/path/to/python3.12 bash install.sh" in message
    assert "(skipped: python3.12 (it does not run), python3 (Python 3.10))" in message


def test_install_takes_python_from_the_environment_and_checks_it(tmp_path):
    fake_python(tmp_path, "python3.11", "3.11")
    fake_python(tmp_path, "mine", "3.12")
    fake_python(tmp_path, "old", "3.10")
    chosen = run_install(tmp_path, "--check", python=str(tmp_path / "mine"))
    assert chosen.stdout == f"install.sh would use {tmp_path / 'mine'} (Python 3.12).\n"
    refused = run_install(tmp_path, "--check", python=str(tmp_path / "old"))
    assert refused.returncode == 1
    assert f"PYTHON={tmp_path / 'old'} is Python 3.10, but the lesson needs" in refused.stderr
    missing = run_install(tmp_path, "--check", python="no-such-python")
    assert "PYTHON=no-such-python is not a Python that runs" in missing.stderr


def pyenv_shim(folder: Path, name: str, said: str) -> Path:
    """A stand-in for a pyenv shim that runs no Python: what pyenv prints, and status 127."""
    path = folder / name
    quoted = said.replace("'", "'\\''")  # printf: a builtin, as the test's PATH holds no cat
    path.write_text(f"#!/bin/sh\nprintf '%s' '{quoted}' >&2\nexit 127\n")
    path.chmod(0o755)
    return path


UNSELECTED = """pyenv: python3.12: command not found

The `python3.12' command exists in these Python versions:
  3.12.1

Note: See 'pyenv help global' for tips on allowing multiple
      Python versions to be found at the same time.
"""  # pyenv 2.4's pyenv-which, for a version installed but not selected


def test_install_names_a_pyenv_shim_of_a_version_pyenv_has_not_selected(tmp_path):
    shim = pyenv_shim(tmp_path, "python3.12", UNSELECTED)
    result = run_install(tmp_path, "--check", python=str(shim))
    assert result.returncode == 1 and result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message and "not a Python that runs" not in message
    assert message == (
        f"install.sh: PYTHON={shim} is a pyenv shim for a Python version pyenv has not selected "
        "(pyenv: python3.12: command not found; python3.12 exists in 3.12.1): run 'pyenv shell "
        "3.12.1' first, or name the interpreter itself, "
        "PYTHON=/home/student/.pyenv/versions/3.12.1/bin/python3.12."
    )
    not_installed = pyenv_shim(
        tmp_path,
        "python3",
        "pyenv: version `3.12.9' is not installed (set by /home/student/.python-version)\n",
    )
    result = run_install(tmp_path, "--check", python=str(not_installed))
    assert result.returncode == 1
    assert (
        f"PYTHON={not_installed} is a pyenv shim, and the version pyenv has selected is not "
        "installed (pyenv: version `3.12.9' is not installed (set by "
        "/home/student/.python-version)): run 'pyenv install 3.12.9' or" in result.stderr
    )


def test_install_says_in_one_line_which_pythons_on_path_it_skipped_and_why(tmp_path):
    pyenv_shim(tmp_path, "python3.11", UNSELECTED.replace("python3.12", "python3.11"))
    fake_python(tmp_path, "python3.12", "3.10")  # a wrongly named one
    fake_python(tmp_path, "python3.13", "3.13")
    result = run_install(tmp_path, "--check")
    assert result.returncode == 0
    assert result.stdout == f"install.sh would use {tmp_path / 'python3.13'} (Python 3.13).\n"
    assert result.stderr == (
        "install.sh: skipped python3.11 (a pyenv shim of a version pyenv has not selected), "
        "python3.12 (Python 3.10); using python3.13.\n"
    )
    (tmp_path / "python3.11").unlink()
    (tmp_path / "python3.12").unlink()
    assert run_install(tmp_path, "--check").stderr == ""  # nothing skipped: nothing said


def test_install_never_clears_a_folder_that_is_not_a_virtual_environment(tmp_path):
    fake_python(tmp_path, "python3.12", "3.12")
    target = tmp_path / "notes"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    result = subprocess.run(
        ["/bin/bash", str(REPO / "install.sh"), str(target)],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "PYTHON": str(tmp_path / "python3.12")},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "notes exists and is not a virtual environment" in result.stderr
    assert (target / "keep.txt").read_text() == "mine"


def test_readme_binder_badge_opens_the_first_notebook_in_jupyterlab():
    readme = (REPO / "README.md").read_text()
    match = re.search(
        r"\(https://mybinder\.org/v2/gh/[^/]+/[^/]+/HEAD\?urlpath=lab/tree/(\S+)\)", readme
    )
    assert match, "no Binder badge opening JupyterLab in the README"
    assert match.group(1) == "notebooks/01_building_the_data.ipynb"
    assert (REPO / match.group(1)).is_file()
    assert readme.index(match.group(0)) < readme.index("```bash")  # at the very top
