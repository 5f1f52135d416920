"""A student's feedback page (`autodiff-lab feedback`) in Debian's Chromium: it renders with
nothing fetched, the table fits the window, the lost part's message reads whole. A
screenshot goes to test-artifacts/feedback-page.png."""

from __future__ import annotations

import pytest
from test_jupyterlab_e2e import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

from autodiff_lab.grading.feedback_pages import write_feedback
from autodiff_lab.grading.reports import json_text
from autodiff_lab.grading.results import SubmissionResult, TestOutcome

pytestmark = pytest.mark.slow  # a browser

# What the grader wrote for the wrong part of the whole-term test (tests/grading/term.py).
MESSAGE = (
    "its check failed (CheckFailed); on the grader's inputs, cube_slope at x = -0.044, "
    "2.983, 3.274: cube_slope(-0.044) was -0.132, expected 0.005808 (the power rule: "
    "d/dx x³ = 3x², not 3x.)"
)


def test_a_feedback_page_in_chromium(tmp_path):
    api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: pip install -e '.[browser]'"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    result = SubmissionResult(
        "submitted/s3/slopes/slopes.ipynb",
        1.0,
        3.0,
        f"failed: cube_tests ({MESSAGE})",
        [
            TestOutcome("square_tests", 1, 1, "passed"),
            TestOutcome("cube_tests", 2, 0, "failed", MESSAGE),
        ],
        student_id="s3",
        name="Grace Hopper",
    )
    grades = tmp_path / "grades.json"
    summaries = {"square_tests": "the slope of x²", "cube_tests": "the slope of x³"}
    tests = [("square_tests", 1.0), ("cube_tests", 2.0)]
    grades.write_text(json_text([result], "slopes.ipynb", tests, "slopes", "", summaries))
    (page_path,) = write_feedback(grades, tmp_path / "feedback")
    ARTIFACTS.mkdir(exist_ok=True)
    with api.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 700})
            requests = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_path.as_uri())
            assert page.title() == "slopes: feedback for Grace Hopper"
            assert page.locator("h1").inner_text() == "slopes"
            assert page.locator("p.total").inner_text() == "Score: 1 of 3"
            rows = page.locator("tbody tr")
            assert rows.count() == 2
            lost = rows.nth(1)
            assert lost.get_attribute("class") == "lost"
            cells = lost.locator("td")
            assert cells.nth(1).inner_text() == "0 / 2"
            assert cells.nth(3).inner_text() == MESSAGE  # whole, escaped, readable
            colour = cells.nth(1).evaluate("cell => getComputedStyle(cell).color")
            assert colour == "rgb(180, 35, 24)"  # the lost points in red, the style applied
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1024  # no sideways scrolling
            table = page.locator("table").bounding_box()
            assert table["width"] > 600 and table["height"] > 80
            page.screenshot(path=ARTIFACTS / "feedback-page.png", full_page=True)
            assert requests == [page_path.as_uri()]  # the page itself, nothing else
        finally:
            browser.close()
