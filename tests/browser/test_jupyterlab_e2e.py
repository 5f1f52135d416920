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
checks.

On a laptop (1366×768, the file browser open) it serves a fresh clone as
`make lab` does: the printed URL opens START-HERE; every lesson's saved
outputs render before any cell runs, untrusted; after running, the current
node stays in view at every step of lessons 05 and 16, no widget is wider than
its output area, the picture never jumps, and TrainingStepper's caption and
picture name the same iteration while it plays. The clone holds what is
committed: commit before running this test. Screenshots of each stage go to
``test-artifacts/`` at the repository root.

``python tests/browser/test_jupyterlab_e2e.py`` rewrites the demo notebook.
"""

from __future__ import annotations

import base64
import os
import re
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


def start_lab(tmp_path: Path, root: Path, *extra: str):
    """A JupyterLab server on a free port serving ``root``, everything else it writes
    kept under tmp_path; yields (url builder, server log)."""
    jupyter = Path(sys.executable).parent / "jupyter"
    if not jupyter.exists():
        pytest.skip(f"no jupyter next to {sys.executable}; install the 'lab' extra")
    home = tmp_path / "home"
    config = tmp_path / "config"
    for folder in (root, home, config / "labconfig"):
        folder.mkdir(parents=True, exist_ok=True)
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
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),  # a fresh one: no notebook is trusted
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
        *extra,
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
        yield (lambda name: f"{base}/lab/tree/{name}?token={token}"), log
    finally:
        _stop(server)


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server holding the demo notebook, lesson 04 and an exercise."""
    root = tmp_path / "root"
    root.mkdir()
    for notebook in (NOTEBOOK, LESSON, EXERCISE):
        shutil.copy(notebook, root / notebook.name)
    for url, _log in start_lab(tmp_path, root):
        yield url


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
            # The graph of d: an <img> of its SVG (a data: URL) in the first code cell's
            # output, the HTML a display of a Value carries; check it drew.
            graph = page.wait_for_selector(
                '.jp-OutputArea-output img[src^="data:image/svg+xml;base64,"]'
            )
            page.wait_for_function("(image) => image.complete && image.naturalWidth > 0", arg=graph)
            source = graph.get_attribute("src").split(",", 1)[1]
            svg = base64.b64decode(source).decode("utf-8")
            assert svg.startswith("<svg")
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
                "() => (document.querySelector('.autodiff-graph')?.innerText ?? '')"
                ".includes('1.0 × -1.7')",
                timeout=WAIT_MS,
            )
            stepper = page.locator(".autodiff-stepper")
            stepper.scroll_into_view_if_needed()
            page.screenshot(path=ARTIFACTS / "e2e-3-next.png", full_page=True)
            stepper.screenshot(path=ARTIFACTS / "e2e-4-stepper.png")
            page.locator(".widget-button.autodiff-previous").click()
            page.wait_for_function(
                "() => (document.querySelector('.autodiff-caption')?.innerText ?? '')"
                ".includes('step 0 of')",
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
    // Right after page.goto the app may not exist yet: wait for it, do not throw.
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = widget && widget.context && widget.context.path === path
        && widget.sessionContext.session && widget.sessionContext.session.kernel;
    return Boolean(kernel) && kernel.status === 'idle';
}"""


# Open With › Notebook (no kernel), JupyterLab's own menu entry for reading a notebook.
NO_KERNEL = {
    "factory": "Notebook",
    "kernelPreference": {"shouldStart": False, "shouldReuse": False},
}

OPENED_TO_READ = """(path) => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    return Boolean(widget && widget.context && widget.context.path === path
        && widget.context.isReady);
}"""


def open_notebook(page, name: str, kernel: bool = True) -> None:
    """Open a notebook in the running JupyterLab, make it current and wait for its kernel
    (or, with ``kernel=False``, open it to read, as Open With › Notebook (no kernel) does)."""
    page.evaluate(
        "([path, how]) => window.jupyterapp.commands.execute("
        "'docmanager:open', {path, ...how}).then(() => true)",
        [name, {} if kernel else NO_KERNEL],
    )
    page.wait_for_function(OPENED if kernel else OPENED_TO_READ, arg=name, timeout=WAIT_MS)
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


def press_next(page, handle, next_button, caption) -> None:
    """Press Next ▶ and wait until the stepper shows the next step's caption."""
    before = caption.inner_text()
    next_button.click()
    page.wait_for_function(
        # While the widget redraws, the caption may be missing for a moment: wait, not throw.
        "([element, old]) => {"
        " const caption = element.querySelector('.autodiff-caption');"
        " return caption !== null && caption.innerText !== old; }",
        arg=[handle, before],
        timeout=WAIT_MS,
    )


def step_through(page, stepper, prefix: str) -> None:
    """Press Next ▶ to the last step; no node may move, and every picture must read well."""
    next_button = stepper.locator(".widget-button.autodiff-next")
    caption = stepper.locator(".autodiff-caption")
    handle = stepper.element_handle()
    first = page.evaluate(GEOMETRY, handle)
    check_picture(first, f"{prefix} step 0")
    steps = 0
    while not next_button.is_disabled():
        press_next(page, handle, next_button, caption)
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
    """Graphs from the lessons: lesson 02's nested function, lesson 08's neuron, an MLP."""
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


# ---------------------------------------------------------------------------
# The course on a laptop: 1366×768, the file browser open, a fresh clone


LAPTOP = {"width": 1366, "height": 768}
HIGHLIGHT_FILL = "#ffe9a8"  # the loud colour of the node being processed
MAKEFILE = REPOSITORY / "Makefile"


@pytest.fixture
def clone_lab(tmp_path):
    """JupyterLab on a fresh clone of the repository, started as `make lab` starts it
    (the same default URL), with a fresh data dir: no notebook is trusted."""
    clone = tmp_path / "clone"
    if (REPOSITORY / ".git").exists():
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(REPOSITORY), str(clone)],
            check=True,
            capture_output=True,
        )
    else:  # an unpacked source tree: its files are what a clone would hold
        shutil.copytree(REPOSITORY, clone, ignore=shutil.ignore_patterns(".venv", "test-*"))
    default_url = re.search(r"--LabApp\.default_url=(\S+)", MAKEFILE.read_text()).group(1)
    for url, log in start_lab(tmp_path, clone, f"--LabApp.default_url={default_url}"):
        yield url, log, clone


# The saved outputs of the current notebook as JupyterLab shows them: which MIME type
# each display picked, whether its images loaded, and whether it is wider than its area.
SHOWN_OUTPUTS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return [...panel.node.querySelectorAll('.jp-OutputArea-output')].map((output) => ({
        mime: output.getAttribute('data-mime-type'),
        text: output.innerText.slice(0, 3000),
        images: [...output.querySelectorAll('img')].map((image) =>
            image.complete && image.naturalWidth > 0),
        overflow: output.scrollWidth - output.clientWidth,
    }));
}"""

# Where the node being processed is, against what can be seen: the picture's box, the
# notebook's scrolling area and the window. Also the picture's top, to see it never jumps.
CURRENT_NODE = """([stepper, fill]) => {
    const box = stepper.querySelector('.autodiff-picture-box');
    const highlighted = [...box.querySelectorAll('g.node')].filter((group) =>
        !group.querySelector('title').textContent.endsWith('op') &&
        [...group.querySelectorAll('*')].some((e) =>
            (e.getAttribute('fill') || '').toLowerCase() === fill));
    const rect = (element) => {
        const r = element.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    };
    const scroller = stepper.closest('.jp-WindowedPanel-outer') ||
        stepper.closest('.jp-Notebook');
    const output = stepper.closest('.jp-OutputArea-output');
    return {
        nodes: highlighted.map(rect),
        box: rect(box),
        area: rect(scroller),
        window: [0, 0, window.innerWidth, window.innerHeight],
        top: box.getBoundingClientRect().top - stepper.getBoundingClientRect().top,
        widget: stepper.getBoundingClientRect().width,
        output: output.getBoundingClientRect().width,
    };
}"""

SCROLL_TO_CELL = """(text) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const cell = notebook.widgets.find(
        (widget) => widget.model.sharedModel.getSource().includes(text));
    if (!cell) return false;
    cell.node.scrollIntoView({block: 'start'});
    return true;
}"""


CLOSE_AND_SHUT_DOWN = """async () => {
    const widget = window.jupyterapp.shell.currentWidget;
    await widget.sessionContext.shutdown();
    widget.context.model.dirty = false;  // nothing to save: close without asking
    widget.close();
}"""


def saved_display_outputs(notebook: Path) -> list[set[str]]:
    """The MIME types of each display output a notebook was saved with, in order."""
    saved = nbformat.read(notebook, as_version=4)
    return [
        set(output.get("data", {}))
        for cell in saved.cells
        for output in cell.get("outputs", [])
        if output.output_type in ("display_data", "execute_result")
    ]


def check_saved_outputs_render(page, clone: Path, lesson: str) -> None:
    """Before any cell runs, every saved drawing and widget shows as a picture, never as
    its text form (an untrusted notebook shows SVG and widgets as plain text). The lesson
    is opened to read, without a kernel: what shows is what was saved."""
    open_notebook(page, lesson, kernel=False)
    expected = saved_display_outputs(clone / lesson)
    page.wait_for_function(
        """(count) => {
            const area = window.jupyterapp.shell.currentWidget.node;
            const outputs = [...area.querySelectorAll('.jp-OutputArea-output')].filter(
                (o) => !(o.getAttribute('data-mime-type') || '').startsWith(
                    'application/vnd.jupyter.std'));
            return outputs.length >= count &&
                [...area.querySelectorAll('.jp-OutputArea-output img')].every((i) => i.complete);
        }""",
        arg=len(expected),
        timeout=WAIT_MS,
    )
    streams = ("application/vnd.jupyter.stdout", "application/vnd.jupyter.stderr")
    shown = [output for output in page.evaluate(SHOWN_OUTPUTS) if output["mime"] not in streams]
    assert len(shown) == len(expected), f"{lesson}: {len(shown)} shown, {len(expected)} saved"
    for number, (output, kinds) in enumerate(zip(shown, expected)):
        where = f"{lesson}, display output {number}"
        if {"text/html", "image/png"} & kinds:
            assert output["mime"] in ("text/html", "image/png"), f"{where}: shown as {output}"
            assert all(output["images"]), f"{where}: an image did not load"
        if "image/svg+xml" in kinds:
            assert output["images"], f"{where}: a drawing shows no picture"
        if "application/vnd.jupyter.widget-view+json" in kinds:  # its still copy, not its repr
            assert "Run this cell" in output["text"] or output["images"], where
        assert "<svg" not in output["text"] and "%3" not in output["text"], where
        assert output["overflow"] <= 1, f"{where}: {output['overflow']} px wider than its area"


def _within(inner, outer, slack=1.0) -> bool:
    """Box ``inner`` lies inside box ``outer`` (both [left, top, right, bottom])."""
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def check_stepper_keeps_node_in_view(page, stepper, where: str, prefix: str) -> int:
    """Step through to the end; at every step the highlighted node must be inside the
    picture's box and on screen, the widget no wider than its output, and the picture
    must not move down or up. Returns the number of steps."""
    stepper.evaluate("(element) => element.scrollIntoView({block: 'start'})")
    handle = stepper.element_handle()
    next_button = stepper.locator(".widget-button.autodiff-next")
    caption = stepper.locator(".autodiff-caption")
    first_top = None
    step = 0
    while True:
        seen = page.evaluate(CURRENT_NODE, [handle, HIGHLIGHT_FILL])
        label = f"{where} step {step}"
        assert len(seen["nodes"]) == 1, f"{label}: {len(seen['nodes'])} highlighted nodes"
        node = seen["nodes"][0]
        assert _within(node, seen["box"]), f"{label}: the node {node} is outside the picture"
        assert _within(node, seen["area"]) and _within(node, seen["window"]), (
            f"{label}: the node {node} is off screen ({seen['area']})"
        )
        assert seen["widget"] <= seen["output"] + 1, f"{label}: the widget is wider than its area"
        first_top = seen["top"] if first_top is None else first_top
        assert abs(seen["top"] - first_top) <= 1, (
            f"{label}: the picture moved by {seen['top'] - first_top} px"
        )
        if step in (0, 1, 6):
            page.screenshot(path=ARTIFACTS / f"{prefix}-step{step}.png")
        if next_button.is_disabled():
            return step
        press_next(page, handle, next_button, caption)
        step += 1


def run_all_and_find(page, source_text: str):
    """Run the current notebook and return the stepper in the cell whose source holds the text."""
    panel = page.evaluate("window.jupyterapp.shell.currentWidget.id")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(KERNEL_IDLE, timeout=5 * WAIT_MS)
    page.wait_for_function(SCROLL_TO_CELL, arg=source_text, timeout=WAIT_MS)
    cell = page.locator(f"[id='{panel}'] .jp-CodeCell").filter(has_text=source_text).first
    stepper = cell.locator(".autodiff-stepper").first
    stepper.wait_for(timeout=WAIT_MS)
    return stepper


ITERATIONS = """(stepper) => {
    const caption = stepper.querySelector('.autodiff-caption').innerText;
    const image = stepper.querySelector('.autodiff-picture-box img');
    const shown = caption.match(/iteration (\\d+):/);
    const drawn = image && image.alt.match(/iteration (\\d+)/);
    return [shown && shown[1], drawn && drawn[1], image ? image.getBoundingClientRect().width : 0,
            stepper.closest('.jp-OutputArea-output').getBoundingClientRect().width];
}"""


@pytest.mark.slow
def test_the_course_on_a_laptop_before_and_after_running(playwright_api, clone_lab):
    """1366×768 with the file browser open, on a fresh clone's saved outputs: every saved
    output renders before anything runs; then the steppers of lessons 05 and 16 keep the
    current node in view at every step, no widget is wider than its output area, and
    TrainingStepper's caption and picture name the same iteration while it plays."""
    url, log, clone = clone_lab
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("laptop-*.png"):
        old.unlink()
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport=LAPTOP)
        page.set_default_timeout(WAIT_MS)
        try:
            # The URL the server prints, as `make lab` starts it, opens START-HERE.
            printed = printed_url(log)  # it hides a token it did not make as "token=..."
            assert printed and printed.group(2) == "/lab/tree/START-HERE.ipynb", printed
            token = urllib.parse.parse_qs(urllib.parse.urlsplit(url("x")).query)["token"][0]
            page.goto(f"{printed.group(1)}{printed.group(2)}?token={token}", timeout=WAIT_MS)
            page.wait_for_function(OPENED, arg="START-HERE.ipynb", timeout=WAIT_MS)
            assert page.locator(".jp-FileBrowser").first.is_visible()  # the file browser is open
            page.screenshot(path=ARTIFACTS / "laptop-0-start-here.png")

            # Read first, run later: every lesson's saved outputs, untrusted, before running.
            look_at = {"05": "BackwardStepper(d)", "13": "draw_graph(term", "16": "matmul_paths("}
            for lesson in sorted(path.name for path in (clone / "notebooks").glob("*.ipynb")):
                check_saved_outputs_render(page, clone, f"notebooks/{lesson}")
                if lesson[:2] in look_at:
                    page.evaluate(SCROLL_TO_CELL, look_at[lesson[:2]])
                    page.screenshot(path=ARTIFACTS / f"laptop-1-saved-{lesson[:2]}.png")
                page.evaluate(CLOSE_AND_SHUT_DOWN)  # one notebook open at a time

            # Lesson 05, run: both backward steppers, every step.
            open_notebook(page, "notebooks/05_reverse_mode.ipynb")
            for source, name in (("BackwardStepper(d)", "d"), ("BackwardStepper(g)", "g")):
                stepper = (
                    run_all_and_find(page, source) if name == "d" else find_stepper(page, source)
                )
                steps = check_stepper_keeps_node_in_view(
                    page, stepper, f"lesson 05 {source}", f"laptop-2-lesson05-{name}"
                )
                assert steps >= 2

            # Lesson 16, run: the array stepper, about 3,600 px of graph in a laptop's width.
            open_notebook(page, "notebooks/16_from_scalars_to_arrays.ipynb")
            stepper = run_all_and_find(page, "ArrayBackwardStepper(graph)")
            steps = check_stepper_keeps_node_in_view(
                page, stepper, "lesson 16 ArrayBackwardStepper", "laptop-3-lesson16"
            )
            assert steps == 10

            # Lesson 13, run: TrainingStepper plays; caption and picture agree throughout.
            open_notebook(page, "notebooks/13_xor_every_gradient.ipynb")
            stepper = run_all_and_find(page, "TrainingStepper(model")
            stepper.evaluate("(element) => element.scrollIntoView({block: 'start'})")
            handle = stepper.element_handle()
            stepper.locator(".widget-play button").first.click()  # Play
            seen = set()
            for _ in range(16):
                shown, drawn, width, area = page.evaluate(ITERATIONS, handle)
                assert shown == drawn, f"caption says iteration {shown}, picture shows {drawn}"
                assert 0 < width <= area + 1, f"the training picture is {width} px in {area} px"
                seen.add(shown)
                page.wait_for_timeout(400)
            page.screenshot(path=ARTIFACTS / "laptop-4-lesson13-training.png")
            assert len(seen) >= 3, f"Play showed only iterations {sorted(seen)}"
        except Exception:
            page.screenshot(path=ARTIFACTS / "laptop-failed.png", full_page=True)
            raise
        finally:
            browser.close()


def printed_url(log: Path):
    """The URL the server printed for the user (it prints it once it is ready)."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+)(/\S*)\?token=", log.read_text())
        if found:
            return found
        time.sleep(0.25)
    return None


def find_stepper(page, source_text: str):
    """The stepper of an already run cell whose source holds the text, scrolled into view."""
    panel = page.evaluate("window.jupyterapp.shell.currentWidget.id")
    page.wait_for_function(SCROLL_TO_CELL, arg=source_text, timeout=WAIT_MS)
    cell = page.locator(f"[id='{panel}'] .jp-CodeCell").filter(has_text=source_text).first
    return cell.locator(".autodiff-stepper").first
