"""One source of truth: environment.yml pins what the package needs; CI and Binder use it."""

import re
import tomllib
from pathlib import Path

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


def test_the_tested_stack_is_pinned():
    pins = pip_section()
    assert pins["tensorflow"].startswith("2.21")
    for package in (
        "tensorflow-hub",
        "librosa",
        "matplotlib",
        "ipywidgets",
        "jupyterlab",
        "nbval",
        "ai-edge-litert",
    ):
        assert package in pins


def test_ci_and_binder_install_from_environment_yml():
    install = (REPO / ".ci" / "install").read_text()
    assert "environment.yml" in install and "pip install --quiet -r" in install
    run = (REPO / ".ci" / "run").read_text()
    assert "YAMNET_LESSON_MODEL_DIR" in run and "python -m pytest" in run
    post_build = (REPO / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build and "yamnet_lesson download" in post_build


def test_readme_binder_badge_opens_the_first_notebook_in_jupyterlab():
    readme = (REPO / "README.md").read_text()
    match = re.search(
        r"\(https://mybinder\.org/v2/gh/[^/]+/[^/]+/HEAD\?urlpath=lab/tree/(\S+)\)", readme
    )
    assert match, "no Binder badge opening JupyterLab in the README"
    assert match.group(1) == "notebooks/01_building_the_data.ipynb"
    assert (REPO / match.group(1)).is_file()
    assert readme.index(match.group(0)) < readme.index("```bash")  # at the very top
