"""The lesson as students meet it: JupyterLab in a real (headless) browser.

Starts JupyterLab on 127.0.0.1, opens the transfer-learning notebook in
Debian's Chromium (driven by Playwright), runs all cells, moves the K slider,
presses Train and checks that the accuracy chart appears and updates, and
that no widget shows an error.  Screenshots land in ``artifacts/``.

Needs /usr/bin/chromium (``apt-get install chromium``; ``.ci/run`` installs it).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "artifacts"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail("CI must have /usr/bin/chromium for the browser test (see .ci/run).")
    pytest.skip("Chromium is not installed: apt-get install chromium", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")


# every cell rendered (not only those on screen), and no "Jupyter news?" toast
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter_home")
    # serve a copy, so that the browser's autosave never touches the stored notebooks
    root = home / "lesson"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    settings = home / "settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--allow-root",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start within 60 s")
    yield base, token
    server.terminate()
    server.wait(timeout=20)


@pytest.mark.slow  # runs with --full (CI); everyday: the trainer driven headless (test_widgets)
def test_trainer_works_in_a_real_browser(lab):
    base, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/lab/tree/notebooks/04_transfer_learning.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
        )
        page.locator(".jp-Notebook .jp-Cell").first.click()  # the notebook has the focus
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        train = page.locator("button.jupyter-button", has_text=re.compile(r"^\s*Train\s*$"))
        train.wait_for(state="attached", timeout=240_000)  # all cells have run
        page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=240_000
        )
        train.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "browser_1_trainer.png")

        readout = page.locator(".widget-readout").first
        assert readout.inner_text().strip() == "5"
        page.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        assert readout.inner_text().strip() == "3"
        page.get_by_role("button", name="fine-tune the whole network").click()

        train.click()
        chart = page.locator(".widget-output img").first
        chart.wait_for(timeout=120_000)
        seen = set()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            seen.add(chart.get_attribute("src"))
            if "Validation accuracy" in page.locator(".widget-html").first.inner_text():
                break
            time.sleep(0.3)
        seen.add(chart.get_attribute("src"))
        status = page.locator(".widget-html").first.inner_text()
        page.wait_for_timeout(1000)
        page.locator(".widget-output img").last.scroll_into_view_if_needed()
        page.screenshot(path=ARTIFACTS / "browser_2_trained.png", full_page=False)
        text = page.inner_text("body")
        browser.close()

    assert "Validation accuracy" in status and "of 291" in status
    assert len(seen) >= 3, "the chart was not redrawn while training ran"
    assert "Error displaying widget" not in text and "model not found" not in text
