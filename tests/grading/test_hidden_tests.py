"""An instructor's own hidden tests are never silently ignored: they run and count, or the
grader refuses the source and says why.

The committed sources' test cells are exactly what their cases generate, so the
grader knows them. An instructor who adds a hidden test of their own gets it
run in every submission's sandbox, ANDed with the probes, its text never in a
report; and a hidden test that cannot pass in the sandbox (it needs a module
the sandbox does not show) is found before any student is graded, by running
the source's own solution first.
"""

from __future__ import annotations

import csv
import shutil

import builders
import nbformat
import pytest

from autodiff_lab.cli import main
from autodiff_lab.grading.autograder import own_tests
from autodiff_lab.grading.catalogue import EXERCISES
from autodiff_lab.grading.notebook_format import END_HIDDEN_TESTS, grade_id_of

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)

OWN_TEST = 'assert primal_trace(1.0, 2.0)[0] == 2.0, "ONE-TIMES-TWO-BY-THE-INSTRUCTOR"'


def with_hidden(line: str, path) -> str:
    """wengert_list's source with ``line`` added to primal_tests' hidden tests, saved."""
    source = builders.source("wengert_list")
    for cell in source.cells:
        if grade_id_of(cell) == "primal_tests":
            cell.source = cell.source.replace(END_HIDDEN_TESTS, f"{line}\n{END_HIDDEN_TESTS}")
    nbformat.write(source, path)
    return str(path)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_committed_sources_have_no_tests_the_grader_did_not_write(exercise):
    assert own_tests(builders.source(exercise)) == []


def test_an_instructors_own_hidden_test_runs_and_counts_and_stays_hidden(tmp_path):
    source = with_hidden(OWN_TEST, tmp_path / "source.ipynb")
    assert own_tests(nbformat.read(source, as_version=4)) == ["primal_tests"]
    solved = builders.save(builders.solved("wengert_list"), tmp_path / "solved.ipynb")
    answers = {
        grade_id_of(cell): cell.source
        for cell in builders.solved("wengert_list").cells
        if grade_id_of(cell) in ("primal_answer", "tangent_answer", "adjoint_answer")
    }
    # Right everywhere but at (1, 2): only the instructor's own test looks there.
    answers["primal_answer"] += "\n\n_right = primal_trace\n\n\ndef primal_trace(x1, x2):\n"
    answers["primal_answer"] += (
        "    return [0.0, 0.0, 0.0] if (x1, x2) == (1.0, 2.0) else _right(x1, x2)"
    )
    sly = builders.save(builders.submission("wengert_list", answers), tmp_path / "sly.ipynb")
    out = tmp_path / "grades.csv"
    json_path = tmp_path / "grades.json"
    assert main(builders.grade_argv(source, [solved, sly], out, json_path, 2, 10)) == 0
    rows = {row["submission"].rsplit("/", 1)[-1]: row for row in csv.DictReader(out.open())}
    assert rows["solved.ipynb"]["total"] == "5"
    assert (rows["sly.ipynb"]["primal_tests"], rows["sly.ipynb"]["total"]) == ("0", "4")
    for text in (out.read_text(), json_path.read_text()):
        assert "ONE-TIMES-TWO" not in text


def test_a_hidden_test_the_sandbox_cannot_run_is_refused_before_grading(tmp_path, capsys):
    source = with_hidden("import torch", tmp_path / "source.ipynb")
    solved = builders.save(builders.solved("wengert_list"), tmp_path / "solved.ipynb")
    out = tmp_path / "grades.csv"
    argv = builders.grade_argv(source, [solved], out, tmp_path / "grades.json", 1, 10)
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "the source's own solution fails" in error and "primal_tests" in error
    assert "ModuleNotFoundError" in error and "Traceback" not in error
    assert not out.exists()
