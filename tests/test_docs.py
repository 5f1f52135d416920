"""The documentation site: every public name has a docstring and a page, and the site
builds offline and shows, in Chromium, the home page, the page for `grad` and lesson 05
with its drawings. Screenshots of the home page and lesson 05 go to test-artifacts/.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.pycode import ModuleAnalyzer

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def build_docs():
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "tools" / "build_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = build_docs()


def documented_names() -> list[tuple[str, str]]:
    """(module, name) for every name the API reference lists."""
    return [
        (module, name) for module in TOOL.DOCUMENTED_MODULES for name in TOOL.public_names(module)
    ]


def missing_docstrings(module_name: str, name: str) -> list[str]:
    """The public name and the public members of a public class that have no docstring."""
    module = importlib.import_module(module_name)
    value = getattr(module, name)
    if not (callable(value) or inspect.isclass(value)):  # a constant: a `#:` comment above it
        found = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        return [] if any(key[1] == name for key in found) else [f"{module_name}.{name}"]
    missing = [] if (inspect.getdoc(value) or "").strip() else [f"{module_name}.{name}"]
    if inspect.isclass(value):
        for member in TOOL.public_members(value):
            raw = inspect.getattr_static(value, member)
            doc = (
                raw.__doc__ if isinstance(raw, property) else inspect.getdoc(getattr(value, member))
            )
            if not (doc or "").strip():
                missing.append(f"{module_name}.{name}.{member}")
    return missing


def test_every_public_name_and_method_has_a_docstring():
    names = documented_names()
    assert ("autodiff_lab", "grad") in names and (
        "autodiff_lab.widgets",
        "BackwardStepper",
    ) in names
    assert len(names) > 100
    missing = [entry for module, name in names for entry in missing_docstrings(module, name)]
    assert missing == []


def test_the_docstring_check_finds_a_name_without_one(monkeypatch):
    import autodiff_lab

    monkeypatch.setattr(autodiff_lab.Value.exp, "__doc__", None)
    assert missing_docstrings("autodiff_lab", "Value") == ["autodiff_lab.Value.exp"]
    monkeypatch.setattr(autodiff_lab.grad, "__doc__", "  ")
    assert missing_docstrings("autodiff_lab", "grad") == ["autodiff_lab.grad"]


def test_the_api_reference_lists_every_name_of_the_package():
    page = TOOL.api_page()
    import autodiff_lab

    for name in autodiff_lab.__all__:
        if not inspect.ismodule(getattr(autodiff_lab, name)):
            assert re.search(rf"^   {name}$", page, flags=re.M), name
    for module in ("math", "nn", "widgets", "numpy", "datasets"):
        assert f".. automodule:: autodiff_lab.{module}" in page


def test_a_lesson_widget_becomes_its_first_step_and_a_drawing_inline_svg():
    import nbformat

    saved = nbformat.read(ROOT / "notebooks" / "05_reverse_mode.ipynb", as_version=4)
    static = TOOL.static_lesson(saved)
    outputs = [output for cell in static.cells for output in cell.get("outputs", [])]
    assert not any(TOOL.WIDGET_VIEW in output.get("data", {}) for output in outputs)
    assert "widgets" not in static.metadata
    pictures = [
        o.data["text/html"]
        for o in outputs
        if "autodiff-stepper" in o.get("data", {}).get("text/html", "")
    ]
    assert pictures and all("step 0 of" in picture and "<svg" in picture for picture in pictures)
    assert all("disabled" in picture for picture in pictures)  # nothing to click on a static page
    drawings = [o.data["text/html"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert drawings and all(d.startswith('<div class="drawing"><svg') for d in drawings)
    assert "widgets" in saved.metadata  # the saved lesson itself is untouched


# ---------------------------------------------------------------------------
# The built site, in a browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built offline into a temporary folder, as `make docs` builds it."""
    out = tmp_path_factory.mktemp("docs")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_docs.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out / "html"


@pytest.mark.slow
def test_the_site_fetches_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), page.relative_to(site)


@pytest.mark.slow
def test_the_site_in_chromium(site):
    api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    with api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            requests = []
            page.on("request", lambda request: requests.append(request.url))

            page.goto((site / "index.html").as_uri())
            assert "autodiff-lab" in page.title()
            for link in ("Getting started", "The lessons", "API reference", "For instructors"):
                assert page.locator("div.body a", has_text=link).count() >= 1, link
            page.screenshot(path=ARTIFACTS / "docs-home.png")

            page.goto((site / "api" / "autodiff_lab.grad.html").as_uri())
            signature = page.locator("dt.sig").first.inner_text()
            assert signature.startswith("grad(") and "argnums" in signature
            assert "by reverse mode" in page.locator("dd").first.inner_text()

            page.goto((site / "lessons" / "05_reverse_mode.html").as_uri())
            assert page.locator("h1").first.inner_text().startswith("Lesson 5")
            drawings = page.locator("div.drawing svg")
            assert drawings.count() >= 2
            assert drawings.first.bounding_box()["width"] > 100  # drawn, not an empty box
            stepper = page.locator(".autodiff-stepper").first
            assert "Backward pass: step 0 of" in stepper.inner_text()
            assert stepper.locator(".autodiff-graph svg g.node").count() >= 3
            assert page.locator("math").count() >= 1  # the lesson's formulas, as MathML
            page.screenshot(path=ARTIFACTS / "docs-lesson-05.png", full_page=True)
        finally:
            browser.close()
    assert all(url.startswith(("file://", "data:")) for url in requests), requests
