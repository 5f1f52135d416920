"""The documentation site, built offline as `make docs` builds it, in Debian's Chromium:
the home page, the API page for `grad` and lesson 05 with its drawings, and nothing
fetched from the network. Screenshots of the home page and lesson 05 go to
test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_jupyterlab_e2e import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # a Sphinx build of the whole site, then a browser


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


def test_the_site_fetches_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']https?://""", text), page.relative_to(site)


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
            drawings = page.locator("div.cell_output svg")  # inline, not <img>
            assert drawings.count() >= 3
            assert page.locator("div.cell_output img[src^='data:image/svg']").count() == 0
            assert drawings.first.bounding_box()["width"] > 100  # drawn, not an empty box
            stepper = page.locator("[class^=autodiff-stepper]").first  # a stepper's still
            assert "Backward pass: step 0 of" in stepper.inner_text()
            assert stepper.locator("svg g.node").count() >= 3
            assert page.locator("math").count() >= 1  # the lesson's formulas, as MathML
            # Wide drawings scroll in their own box: the page fits a 1366-pixel screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= 1366
            page.screenshot(path=ARTIFACTS / "docs-lesson-05.png", full_page=True)
        finally:
            browser.close()
    assert all(url.startswith(("file://", "data:")) for url in requests), requests
