"""In a real kernel: Run All shows every part's status, and graders still see failures.

A student's kernel: no test cell raises, each shows its report as HTML (with
the aligned text as the plain-text fallback). Under nbgrader
(``NBGRADER_EXECUTION``) or our grader (``AUTODIFF_LAB_GRADING``) a failing
test cell raises, and its traceback is one short line, not a walk through
this package's code.
"""

from __future__ import annotations

import builders
import pytest
from nbclient import NotebookClient

from autodiff_lab.grading.catalogue import EXERCISES
from autodiff_lab.grading.notebook_format import TEST, grade_id_of, role_of

pytestmark = pytest.mark.slow

WRONG_DIVISION = {
    "value_answer": builders.source("value_class")
    .cells[3]
    .source.replace("-self.data / other.data**2", "self.data / other.data**2")
}


def run_all(notebook, tmp_path):
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        allow_errors=True,
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    return {grade_id_of(cell): cell for cell in notebook.cells if role_of(cell) == TEST}


def errors(cell) -> list[dict]:
    return [output for output in cell.outputs if output.output_type == "error"]


def test_run_all_in_a_students_kernel_reaches_every_test_cell(tmp_path, monkeypatch):
    for name in ("NBGRADER_EXECUTION", "AUTODIFF_LAB_GRADING"):
        monkeypatch.delenv(name, raising=False)
    notebook = builders.submission(
        "value_class", WRONG_DIVISION, base=builders.solved("value_class")
    )
    cells = run_all(notebook, tmp_path)
    assert list(cells) == ["exp_tests", "tanh_tests", "division_tests", "backward_tests"]
    for grade_id, cell in cells.items():
        assert not errors(cell), grade_id
        (shown,) = [out for out in cell.outputs if out.output_type == "display_data"]
        assert "<table" in shown.data["text/html"] and "✓" in shown.data["text/plain"]
    division = cells["division_tests"].outputs[0].data
    assert "✗" in division["text/html"] and "minus sign in __truediv__" in division["text/html"]
    assert "A grader marks this test cell as failed" in division["text/plain"]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_run_all_on_an_untouched_exercise_shows_every_part_not_written(
    exercise, tmp_path, monkeypatch
):
    for name in ("NBGRADER_EXECUTION", "AUTODIFF_LAB_GRADING"):
        monkeypatch.delenv(name, raising=False)
    notebook = builders.submission(exercise)  # the released notebook, as a student gets it
    cells = run_all(notebook, tmp_path)
    everything = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert not [out for out in everything if out.output_type == "error"]
    for grade_id, cell in cells.items():
        texts = [
            out.data["text/plain"] for out in cell.outputs if out.output_type == "display_data"
        ]
        assert any("not written yet" in text for text in texts), grade_id


@pytest.mark.parametrize("variable", ["NBGRADER_EXECUTION", "AUTODIFF_LAB_GRADING"])
def test_a_graded_run_fails_the_wrong_part_with_a_one_line_traceback(
    tmp_path, monkeypatch, variable
):
    monkeypatch.setenv(variable, "autograde" if variable.startswith("NB") else "1")
    notebook = builders.submission(
        "value_class", WRONG_DIVISION, base=builders.solved("value_class")
    )
    notebook.cells = [c for c in notebook.cells if role_of(c) != TEST or "division" in c.source]
    cells = run_all(notebook, tmp_path)
    (error,) = errors(cells["division_tests"])
    assert error.ename == "CheckFailed"
    assert error.evalue == "2 checks of 'division' failed (see the lines above)"
    assert error.traceback == [f"CheckFailed: {error.evalue}"]
    printed = "".join(out.get("text", "") for out in cells["division_tests"].outputs)
    assert "✗  a / b at a = 3, b = 2" in printed  # graders keep the report as text


def test_a_graded_stub_raises_not_implemented_error_pointing_at_the_students_line(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    notebook = builders.submission("value_class")
    notebook.cells = [c for c in notebook.cells if role_of(c) != TEST or "tanh" in c.source]
    (error,) = errors(run_all(notebook, tmp_path)["tanh_tests"])
    assert error.ename == "NotImplementedError"
    assert error.traceback == [
        "NotImplementedError: 'tanh' is not written yet (see the lines above)"
    ]


def test_a_failing_check_names_the_students_line_in_its_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTODIFF_LAB_GRADING", "1")
    answer = (
        builders.source("value_class")
        .cells[3]
        .source.replace(
            "out = math.tanh(self.data)",
            "out = math.exp(2 * self.data) / (math.exp(2 * self.data) + 1)",
        )
    )
    notebook = builders.submission("value_class", {"value_answer": answer})
    notebook.cells = [c for c in notebook.cells if role_of(c) != TEST or "tanh" in c.source]
    (error,) = errors(run_all(notebook, tmp_path)["tanh_tests"])
    (line,) = error.traceback
    assert "your code raised an error in tanh(), line" in line and "math.exp(2 * self.data)" in line
    assert "autodiff_lab" not in line
