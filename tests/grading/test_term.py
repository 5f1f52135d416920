"""A whole term from this checkout: author, build, release, grade five students, export, feedback.

See `term` for the steps and the checks; `test_term_wheel.py` runs the same term
from the built wheel in a clean virtual environment. The course's referee stays
with the grader: a submission that reads it by its path earns nothing in the
sandbox, and the same file graded without one shows what it would have earned.
"""

from __future__ import annotations

import copy
import csv
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from term import TERM_UID_OFFSET, check_term, readable, run, run_term

pytestmark = [
    pytest.mark.slow,  # sandboxed batches and a Gradescope run: a minute or two
    pytest.mark.skipif(
        shutil.which("bwrap") is None,
        reason="bubblewrap is not installed (apt-get install bubblewrap)",
    ),
]
COMMAND = [sys.executable, "-m", "autodiff_lab.cli"]


@pytest.fixture(scope="module")
def term():
    # Not pytest's tmp_path: as root the sandbox's own user must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="adl-term-"))
    try:
        yield run_term(COMMAND, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_whole_term_from_the_checkout(term):
    check_term(term)


def test_the_course_referee_is_out_of_the_sandboxes_reach(term):
    folder = term["folder"]
    referee = folder / "course" / "referee" / "slopes.py"
    notebook = nbformat.read(folder / "course" / "release" / "slopes.ipynb", as_version=4)
    answers = {
        "square_answer": (
            "import importlib.util\n"
            f"spec = importlib.util.spec_from_file_location('stolen', {str(referee)!r})\n"
            "stolen = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(stolen)\n"
            "def square_slope(x):\n"
            "    return stolen.reference('square', [x])[0]"
        ),
        "cube_answer": (
            "from autodiff_lab.grading.referee.slopes import reference\n"
            "def cube_slope(x):\n"
            "    return reference('cube', [x])[0]"
        ),
    }
    thief = copy.deepcopy(notebook)
    for cell in thief.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = answers.get(grade_id, cell.source)
    (folder / "thief").mkdir()
    nbformat.write(thief, folder / "thief" / "slopes.ipynb")
    readable(folder)
    totals = {}
    for name, extra in (("sandboxed", []), ("unsandboxed", ["--unsafe-no-sandbox"])):
        done = run(
            [*COMMAND, "grade", *TERM_UID_OFFSET, "--course", "course"]
            + ["--source", "course/source/slopes.ipynb"]
            + ["thief/slopes.ipynb", "--out", f"{name}.csv", "--quiet", *extra],
            folder,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (row,) = csv.DictReader((folder / f"{name}.csv").open(newline="", encoding="utf-8"))
        totals[name] = (float(row["total"]), row["reason"])
    assert totals["sandboxed"][0] == 0, totals
    assert "square_tests" in totals["sandboxed"][1] and "cube_tests" in totals["sandboxed"][1]
    # Without the sandbox the file is readable and the stolen square part earns its point
    # (the cube part's import fails either way: the course is never part of the package).
    assert totals["unsandboxed"][0] == 1, totals
