"""End to end: JupyterLab in Debian's Chromium runs the demo notebook and steps a widget.

Starts a private JupyterLab server (temporary root, config, data and runtime
folders, a random token), opens ``stepper_demo.ipynb`` through Playwright,
runs every cell, checks that the graph SVG and the BackwardStepper rendered,
presses Next ▶ in the page and checks that the caption moved on. Screenshots
of each stage go to ``test-artifacts/`` at the repository root.

``python tests/browser/test_jupyterlab_e2e.py`` rewrites the demo notebook.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "stepper_demo.ipynb"
ARTIFACTS = HERE.parents[1] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
WAIT_MS = 60_000  # the longest any one stage may take
SERVER_START_S = 60

GRAPH_CELL = """\
from autodiff_lab import Value
from autodiff_lab.widgets import BackwardStepper

a = Value(2.2, label="a")
b = Value(-1.8, label="b")
c = Value(0.1, label="c")
d = a * (b + c)
d.label = "d"
d"""

STEPPER_CELL = """\
stepper = BackwardStepper(d)
stepper"""


def demo_notebook() -> nbformat.NotebookNode:
    """The notebook the browser opens: the graph of d = a·(b + c), then its stepper."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "# Stepper demo\n\nOpened by `tests/browser/test_jupyterlab_e2e.py`: the graph of "
            "d = a·(b + c), then a stepper through its backward pass."
        ),
        nbformat.v4.new_code_cell(GRAPH_CELL),
        nbformat.v4.new_code_cell(STEPPER_CELL),
    ]
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"stepper-demo-{index}"  # stable ids: rewriting changes nothing
    return notebook


def test_demo_notebook_is_up_to_date():
    saved = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(saved)
    assert [cell.source for cell in saved.cells] == [cell.source for cell in demo_notebook().cells]


# ---------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"jupyter lab did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a free port, everything it writes kept under tmp_path."""
    jupyter = Path(sys.executable).parent / "jupyter"
    if not jupyter.exists():
        pytest.skip(f"no jupyter next to {sys.executable}; install the 'lab' extra")
    root = tmp_path / "root"
    home = tmp_path / "home"
    config = tmp_path / "config"
    for folder in (root, home, config / "labconfig"):
        folder.mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
    # No "news" prompt over the notebook.
    (config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    environment = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    port = free_port()
    token = secrets.token_hex(16)
    log = tmp_path / "jupyter.log"
    command = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={token}",
        "--ServerApp.root_dir=" + str(root),
        "--LabApp.expose_app_in_browser=True",
        "--allow-root",
    ]
    with open(log, "wb") as log_file:
        # Its own process group, so the kernels it starts go down with it.
        server = subprocess.Popen(
            command,
            cwd=root,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/api/status?token={token}", server, log)
        yield f"{base}/lab/tree/{NOTEBOOK.name}?token={token}"
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
    try:  # kernels left in the group after the server itself exited
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------
# The browser

KERNEL_IDLE = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}"""

CAPTION = ".autodiff-caption .autodiff-caption-text"


@pytest.fixture
def playwright_api():
    """Playwright's sync API, if it and Debian's Chromium are installed."""
    api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    return api


def test_stepper_runs_and_steps_in_jupyterlab(playwright_api, lab):
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            page.goto(lab, timeout=WAIT_MS)
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)
            page.screenshot(path=ARTIFACTS / "e2e-1-opened.png")

            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            # The graph of d: SVG in the output of the first code cell.
            # JupyterLab shows SVG output as an <img> with a data: URL; check it drew.
            graph = page.wait_for_selector(".jp-OutputArea-output.jp-RenderedSVG img")
            page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=graph)
            svg = urllib.parse.unquote(graph.get_attribute("src"))
            assert svg.startswith("data:image/svg+xml,") and "<svg" in svg
            assert "data " in svg and "3.74" in svg  # d's data (dot writes − as &#45;)
            # The stepper: its buttons, caption and its own graph.
            page.wait_for_selector(".widget-button.autodiff-next")
            page.wait_for_selector(".autodiff-graph svg")
            page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)
            next_button = page.locator(".widget-button.autodiff-next")
            assert next_button.inner_text().strip() == "Next ▶"
            assert page.locator(".widget-button.autodiff-previous").is_disabled()
            first_caption = page.inner_text(CAPTION)
            assert "∂L/∂d = 1.0" in first_caption
            assert page.locator(".autodiff-graph").inner_text().count("grad ?") == 4
            page.screenshot(path=ARTIFACTS / "e2e-2-ran.png", full_page=True)

            next_button.click()
            page.wait_for_function(
                "(old) => { const caption = document.querySelector("
                f"'{CAPTION}'); return caption && caption.innerText !== old; }}",
                arg=first_caption,
                timeout=WAIT_MS,
            )
            second_caption = page.inner_text(CAPTION)
            assert "∂L/∂a += ∂L/∂d · ∂d/∂a = 1.0 · −1.7 = −1.7" in second_caption
            assert "step 1 of 2" in page.inner_text(".autodiff-caption")
            page.wait_for_function(
                "() => document.querySelector('.autodiff-graph').innerText.includes('1.0 × −1.7')",
                timeout=WAIT_MS,
            )
            stepper = page.locator(".autodiff-stepper")
            stepper.scroll_into_view_if_needed()
            page.screenshot(path=ARTIFACTS / "e2e-3-next.png", full_page=True)
            stepper.screenshot(path=ARTIFACTS / "e2e-4-stepper.png")
        finally:
            browser.close()


if __name__ == "__main__":
    nbformat.write(demo_notebook(), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
