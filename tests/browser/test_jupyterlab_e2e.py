"""End to end: JupyterLab in Debian's Chromium runs notebooks and steps their widgets.

Starts a private JupyterLab server (temporary root, config, data and runtime
folders, a random token) holding ``stepper_demo.ipynb``, lesson 04 and an
exercise. Through Playwright it runs the demo and checks that the graph SVG
and the BackwardStepper rendered; it presses Next ▶ through every step and
checks, in the real browser, that no node moves, that every text fits its
box, and that edge labels are at least the body font size and lie on no
other edge or label. It does the same for the ForwardStepper of lesson 04,
and opens an exercise. Outside JupyterLab, Chromium also lays out every step
of larger steppers, lesson 16's ArrayBackwardStepper among them, with the same
checks. Screenshots of each stage go to ``test-artifacts/``
at the repository root.

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
REPOSITORY = HERE.parents[1]
ARTIFACTS = REPOSITORY / "test-artifacts"
LESSON = REPOSITORY / "notebooks" / "04_forward_mode.ipynb"
EXERCISE = REPOSITORY / "exercises" / "release" / "dual_numbers.ipynb"
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
    for notebook in (NOTEBOOK, LESSON, EXERCISE):
        shutil.copy(notebook, root / notebook.name)
    # No "news" prompt over the notebook.
    (config / "labconfig" / "page_config.json").write_text(
        '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}'
    )
    # Every cell in the page, not only those in view, so the test can find a lesson's stepper.
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    environment = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
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
        yield lambda name: f"{base}/lab/tree/{name}?token={token}"
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

# Scroll the cell whose source holds the text into view; true once its stepper has drawn.
SHOW_STEPPER_CELL = """(text) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const cell = notebook.widgets.find(
        (widget) => widget.model.sharedModel.getSource().includes(text));
    if (!cell) return false;
    cell.node.scrollIntoView({block: 'start'});
    return Boolean(cell.node.querySelector('.autodiff-stepper .autodiff-graph svg'));
}"""


@pytest.fixture
def playwright_api():
    """Playwright's sync API, if it and Debian's Chromium are installed."""
    api = pytest.importorskip(
        "playwright.sync_api", reason="playwright.sync_api is missing: pip install -e '.[browser]'"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    return api


@pytest.mark.slow
def test_stepper_runs_and_steps_in_jupyterlab(playwright_api, lab):
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("e2e-*.png"):  # no screenshot of an earlier run left behind
        old.unlink()
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            page.goto(lab(NOTEBOOK.name), timeout=WAIT_MS)
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
            assert "∂L/∂a += ∂L/∂d · ∂d/∂a = 1.0 · -1.7 = -1.7" in second_caption
            assert "step 1 of 2" in page.inner_text(".autodiff-caption")
            page.wait_for_function(
                "() => document.querySelector('.autodiff-graph').innerText.includes('1.0 × -1.7')",
                timeout=WAIT_MS,
            )
            stepper = page.locator(".autodiff-stepper")
            stepper.scroll_into_view_if_needed()
            page.screenshot(path=ARTIFACTS / "e2e-3-next.png", full_page=True)
            stepper.screenshot(path=ARTIFACTS / "e2e-4-stepper.png")
            page.locator(".widget-button.autodiff-previous").click()
            page.wait_for_function(
                "() => document.querySelector('.autodiff-caption').innerText.includes('step 0 of')",
                timeout=WAIT_MS,
            )
            step_through(page, stepper, "e2e-5-backward")

            # A lesson: run it all, then step through its forward stepper.
            open_notebook(page, LESSON.name)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            panel = page.evaluate("window.jupyterapp.shell.currentWidget.id")
            page.wait_for_function(SHOW_STEPPER_CELL, arg="ForwardStepper(f_graph", timeout=WAIT_MS)
            lesson_stepper = page.locator(f"[id='{panel}'] .autodiff-stepper").first
            lesson_stepper.wait_for(timeout=WAIT_MS)
            page.wait_for_function(KERNEL_IDLE, timeout=WAIT_MS)
            lesson_stepper.scroll_into_view_if_needed()
            assert (
                lesson_stepper.locator(".autodiff-caption")
                .inner_text()
                .startswith("Forward pass: step 0")
            )
            step_through(page, lesson_stepper, "e2e-6-lesson-forward")

            # An exercise: it opens, with its kernel, and shows its title.
            open_notebook(page, EXERCISE.name)
            panel = page.evaluate("window.jupyterapp.shell.currentWidget.id")
            shown = page.locator(f"[id='{panel}'] .jp-Notebook")
            assert "dual numbers" in shown.inner_text().lower()
            page.screenshot(path=ARTIFACTS / "e2e-7-exercise.png")
        except Exception:
            page.screenshot(path=ARTIFACTS / "e2e-failed.png", full_page=True)
            raise
        finally:
            browser.close()


OPENED = """(path) => {
    const widget = window.jupyterapp.shell.currentWidget;
    const kernel = widget && widget.context && widget.context.path === path
        && widget.sessionContext.session && widget.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}"""


def open_notebook(page, name: str) -> None:
    """Open a notebook in the running JupyterLab, make it current and wait for its kernel."""
    page.evaluate(
        "(path) => window.jupyterapp.commands.execute('docmanager:open', {path}).then(() => true)",
        name,
    )
    page.wait_for_function(OPENED, arg=name, timeout=WAIT_MS)
    page.evaluate(
        "() => window.jupyterapp.shell.activateById(window.jupyterapp.shell.currentWidget.id)"
    )


# Geometry of the stepper's picture as the browser draws it, in CSS pixels:
# every node's shapes, the texts inside it, each edge label and points along
# each edge, the label font size and the notebook's body font size.
GEOMETRY = """(stepper) => {
    const svg = stepper.querySelector('.autodiff-graph svg');
    const box = (element) => {
        const r = element.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    };
    const origin = svg.getBoundingClientRect();
    const nodes = {}, texts = {};
    for (const group of svg.querySelectorAll('g.node')) {
        const name = group.querySelector('title').textContent;
        const shapes = [...group.querySelectorAll('polygon, ellipse, rect, path')].map(box);
        nodes[name] = [
            Math.min(...shapes.map((b) => b[0])) - origin.left,
            Math.min(...shapes.map((b) => b[1])) - origin.top,
            Math.max(...shapes.map((b) => b[2])) - origin.left,
            Math.max(...shapes.map((b) => b[3])) - origin.top,
        ].map((v) => Math.round(v * 10) / 10);
        texts[name] = [...group.querySelectorAll('text')]
            .filter((t) => t.textContent.trim())
            .map((t) => box(t).map((v, i) => v - (i % 2 ? origin.top : origin.left)));
    }
    const edges = [...svg.querySelectorAll('g.edge')].map((group) => {
        const path = group.querySelector('path');
        const points = [];
        if (path) {
            const length = path.getTotalLength();
            const matrix = path.getScreenCTM();
            for (let k = 0; k <= 40; k++) {
                const p = path.getPointAtLength((length * k) / 40).matrixTransform(matrix);
                points.push([p.x - origin.left, p.y - origin.top]);
            }
        }
        const labels = [...group.querySelectorAll('text')]
            .filter((t) => t.textContent.trim())
            .map((t) => ({
                text: t.textContent,
                box: box(t).map((v, i) => v - (i % 2 ? origin.top : origin.left)),
                size: t.getBoundingClientRect().height,
                fontSize: parseFloat(t.getAttribute('font-size')) *
                    (origin.width / svg.viewBox.baseVal.width),
            }));
        return {points, labels};
    });
    const body = parseFloat(getComputedStyle(document.body)
        .getPropertyValue('--jp-content-font-size1')) || 14;
    return {nodes, texts, edges, body};
}"""


def _inside(point, box, margin=1.0) -> bool:
    return (
        box[0] + margin < point[0] < box[2] - margin
        and box[1] + margin < point[1] < box[3] - margin
    )


def _overlap(first, second, margin=1.0) -> bool:
    return not (
        first[2] - margin <= second[0]
        or second[2] - margin <= first[0]
        or first[3] - margin <= second[1]
        or second[3] - margin <= first[1]
    )


def check_picture(geometry: dict, where: str) -> None:
    """Texts fit their boxes; edge labels are readable and clear of other edges and labels."""
    for name, boxes in geometry["texts"].items():
        node = geometry["nodes"][name]
        for text in boxes:
            assert node[0] - 1 <= text[0] and text[2] <= node[2] + 1, (
                f"{where}: text spills out of {name}"
            )
    labels = [
        (index, label) for index, edge in enumerate(geometry["edges"]) for label in edge["labels"]
    ]
    for index, label in labels:
        assert label["fontSize"] >= geometry["body"] - 0.5, (
            f"{where}: edge label {label['text']!r} is {label['fontSize']:.1f}px, "
            f"below the body font size {geometry['body']}px"
        )
        for other, edge in enumerate(geometry["edges"]):
            if other != index:
                assert not any(_inside(p, label["box"]) for p in edge["points"]), (
                    f"{where}: edge label {label['text']!r} sits on another edge"
                )
        for other_index, other in labels:
            if other_index != index:
                assert not _overlap(label["box"], other["box"]), (
                    f"{where}: edge labels {label['text']!r} and {other['text']!r} overlap"
                )
        for name, node in geometry["nodes"].items():
            assert not _overlap(label["box"], node), f"{where}: {label['text']!r} covers {name}"


def step_through(page, stepper, prefix: str) -> None:
    """Press Next ▶ to the last step; no node may move, and every picture must read well."""
    next_button = stepper.locator(".widget-button.autodiff-next")
    caption = stepper.locator(".autodiff-caption")
    handle = stepper.element_handle()
    first = page.evaluate(GEOMETRY, handle)
    check_picture(first, f"{prefix} step 0")
    steps = 0
    while not next_button.is_disabled():
        before = caption.inner_text()
        next_button.click()
        page.wait_for_function(
            "([element, old]) => element.querySelector('.autodiff-caption').innerText !== old",
            arg=[handle, before],
            timeout=WAIT_MS,
        )
        steps += 1
        geometry = page.evaluate(GEOMETRY, handle)
        assert geometry["nodes"] == first["nodes"], f"{prefix}: a node moved at step {steps}"
        check_picture(geometry, f"{prefix} step {steps}")
        if steps <= 3:
            stepper.screenshot(path=ARTIFACTS / f"{prefix}-step{steps}.png")
    assert steps >= 2


if __name__ == "__main__":
    nbformat.write(demo_notebook(), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")


# ---------------------------------------------------------------------------
# Larger stepper pictures, every step, in Chromium without JupyterLab


def _stepper_graphs():
    """Graphs from the lessons: lesson 02's nested function, lesson 07's neuron, an MLP."""
    from autodiff_lab import Value
    from autodiff_lab import math as am
    from autodiff_lab.nn import MLP

    x = Value(0.5, label="x")
    yield "nested", x, am.sin((2 * x**2 + x + 1) ** 2) ** 3
    x1, x2 = Value(1.0, label="x1"), Value(2.0, label="x2")
    w1, w2, b = Value(0.5, label="w1"), Value(-0.5, label="w2"), Value(0.1, label="b")
    yield "neuron", w1, (w1 * x1 + w2 * x2 + b).relu()
    model = MLP(2, [2, 1], seed=0)
    yield "mlp", model.parameters()[0], (model([1.0, -1.0]) - 1.0) ** 2


def _array_graph():
    """Lesson 16's network on a small batch: one node per array operation."""
    import numpy

    import autodiff_lab.numpy as anp
    from autodiff_lab import label_array, trace_arrays

    rng = numpy.random.default_rng(0)
    onehot = numpy.eye(10)[rng.integers(0, 10, 100)]

    def loss(X, W1, b1, W2, b2):
        H = label_array(anp.tanh(X @ W1 + b1), "H")
        log_p = label_array(anp.log_softmax(H @ W2 + b2, axis=1), "log_p")
        return label_array(-anp.sum(onehot * log_p) / len(X), "L")

    shapes = {"X": (100, 64), "W1": (64, 32), "b1": (32,), "W2": (32, 10), "b2": (10,)}
    return trace_arrays(loss, **{name: rng.normal(size=shape) for name, shape in shapes.items()})


@pytest.mark.slow
def test_every_step_of_larger_steppers_reads_well_in_chromium(playwright_api):
    from autodiff_lab.widgets import ArrayBackwardStepper, BackwardStepper, ForwardStepper
    from autodiff_lab.widgets.steppers import svg_html

    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            steppers = [
                (name, stepper)
                for name, seed, output in _stepper_graphs()
                for stepper in (
                    BackwardStepper(output, prefetch=False),
                    ForwardStepper(output, seed=seed, prefetch=False),
                )
            ]
            steppers.append(("arrays", ArrayBackwardStepper(_array_graph(), prefetch=False)))
            for name, stepper in steppers:
                first = None
                for index in range(len(stepper.state)):
                    stepper.go(index)
                    where = f"{name} {type(stepper).__name__} step {index}"
                    page.set_content(
                        "<html><body style='--jp-content-font-size1: 14px'>"
                        '<div class="autodiff-stepper"><div class="autodiff-graph">'
                        f"{svg_html(stepper.svg)}</div></div></body></html>"
                    )
                    geometry = page.evaluate(GEOMETRY, page.query_selector(".autodiff-stepper"))
                    first = first or geometry["nodes"]
                    assert geometry["nodes"] == first, f"{where}: a node moved"
                    check_picture(geometry, where)
        finally:
            browser.close()
