"""Colab's stack, emulated as far as this machine allows (full suite only).

A virtual environment on Python 3.12 holds exactly the stack Colab announced
(TensorFlow 2.19, Keras 3.10, NumPy 2.0.2, ipywidgets 7.7.1) and what Colab ships
beside it that the lesson's ranges would otherwise replace (tf-keras 2.19, which
tensorflow-hub needs, and librosa 0.11: librosa 1.0 needs NumPy 2.1).  The lesson
is installed into it as the notebooks' Colab set-up cell installs it
(``pip install -q "yamnet_lesson @ <address>"``, here the working tree), and
must leave that stack as it found it.  Then, in that environment, the reference
workflow reaches 100 % and the trainer's tests (``tests/test_widgets.py``) pass on
ipywidgets 7.  What only a real Colab session shows (its widget manager drawing
the trainer, its kernel, its download speed) is said in the README.

The environment is cached in ``.colab-venv/`` (ignored by git), rebuilt when
the stack below changes: measured 225 s with the build (pip cache warm), 44 s cached.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".colab-venv"
PYTHON = "3.12"  # Colab's
STACK = [
    "tensorflow==2.19.0",
    "keras==3.10.0",
    "numpy==2.0.2",
    "ipywidgets==7.7.1",
    "tf-keras==2.19.0",
    "librosa==0.11.0",
]
TEST_TOOLS = ["pytest==9.2.0"]  # to run tests/test_widgets.py in there; not Colab's
pytestmark = pytest.mark.slow


def python_312() -> str:
    """python3.12 on PATH if it runs, else pyenv's newest 3.12 (as .ci/run finds Pythons)."""
    found = shutil.which(f"python{PYTHON}")
    if found and subprocess.run([found, "-c", ""], capture_output=True).returncode == 0:
        return found
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(root.glob(f"versions/{PYTHON}.*/bin/python{PYTHON}"))
    if not candidates:
        pytest.fail(f"no Python {PYTHON} here (neither python{PYTHON} nor pyenv's): install one.")
    return str(candidates[-1])


def pip(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", *args],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def installed() -> dict[str, str]:
    listed = json.loads(pip("list", "--format=json").stdout)
    return {item["name"].lower().replace("_", "-"): item["version"] for item in listed}


@pytest.fixture(scope="module")
def colab_venv() -> Path:
    """The cached environment with Colab's stack, and the lesson installed as on Colab."""
    marker = VENV / "colab-stack.txt"
    wanted = "\n".join([f"python {PYTHON}", *STACK, *TEST_TOOLS])
    if not marker.is_file() or marker.read_text() != wanted:
        subprocess.run([python_312(), "-m", "venv", "--clear", str(VENV)], check=True)
        pip("install", "-q", "--upgrade", "pip")
        pip("install", "-q", *STACK, *TEST_TOOLS)
        marker.write_text(wanted)
    before = installed()
    pip("uninstall", "-q", "-y", "yamnet_lesson")
    pip("install", "-q", f"yamnet_lesson @ file://{REPO}")  # the Colab cell, from here
    after = installed()
    for pin in STACK:
        name, version = pin.split("==")
        assert after[name] == before[name] == version, f"installing the lesson changed {name}"
    assert after["yamnet-lesson"] == "0.1.0"
    return VENV


def run_in(venv: Path, *args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    result = subprocess.run(
        [str(venv / "bin" / "python"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


REFERENCE = """
import json, warnings
from pathlib import Path
import yamnet_lesson as yl
from yamnet_lesson import versions
assert "site-packages" in Path(yl.__file__).parts, yl.__file__  # the installed lesson
with warnings.catch_warnings():
    warnings.simplefilter("error")
    assert versions.check_versions()  # Colab's versions count as tested
summary = yl.run_reference(5, epochs=30, seed=0, verbose=False)
print(json.dumps({"validation_accuracy": summary["validation_accuracy"]}))
"""


def test_the_reference_workflow_reaches_100_percent_on_colabs_stack(colab_venv, tmp_path):
    out = run_in(colab_venv, "-c", REFERENCE, cwd=tmp_path)
    assert json.loads(out.strip().splitlines()[-1]) == {"validation_accuracy": 1.0}


def test_the_trainer_works_with_ipywidgets_7(colab_venv, tmp_path):
    """tests/test_widgets.py, run in the Colab environment against the installed lesson."""
    tests = tmp_path / "tests"
    tests.mkdir()
    shutil.copy(REPO / "tests" / "test_widgets.py", tests)
    version = "import ipywidgets; assert ipywidgets.__version__ == '7.7.1'"
    run_in(colab_venv, "-c", version, cwd=tmp_path)
    out = run_in(colab_venv, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
                 cwd=tmp_path)  # fmt: skip
    assert " passed" in out and "failed" not in out
