"""The autograder on honest, broken and hostile submissions, through the command line.

One batch of value_class submissions is graded once (two at a time, short
limits) and each test reads its own row. Kernels are real: each submission
runs in its own limited kernel, as in a course.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import builders
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autodiff_lab.cli import main
from autodiff_lab.grading.autograder import (
    GradeOptions,
    Progress,
    SubmissionResult,
    TestOutcome,
    grade,
    write_reports,
)
from autodiff_lab.grading.notebook_format import grade_id_of
from autodiff_lab.grading.submission import SubmissionError, assemble, parse_submission

# The sandbox needs bubblewrap; in CI this skip fails the run (see conftest.py).
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)

EXERCISE = "value_class"
TEST_IDS = ["exp_tests", "tanh_tests", "division_tests", "backward_tests"]
CELL_TIMEOUT = 4
IGNORE_INTERRUPTS = (
    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
)


def _kernel_submissions() -> dict[str, nbformat.NotebookNode]:
    solved = builders.solved(EXERCISE)

    def after(grade_id, code, base=solved):
        return builders.submission(EXERCISE, base=base, extra_after={grade_id: [code]})

    return {
        "solution": solved,
        "stub": builders.submission(EXERCISE),
        "syntax_error": builders.submission(
            EXERCISE, {"value_answer": "class Value(ValueBase)\n    pass"}
        ),
        "infinite_loop": after("exp_tests", "while True:\n    pass"),
        "ignores_interrupt": after("exp_tests", IGNORE_INTERRUPTS),
        "memory_bomb": after("value_answer", "hog = bytearray(8 * 1024**3)"),
        "sys_exit": after("exp_tests", "import sys\nsys.exit()"),
        "os_exit": after("exp_tests", "import os\nos._exit(1)"),
        "kernel_crash": after("tanh_tests", "import os\nos.kill(os.getpid(), 9)"),
        "huge_output": after("value_answer", "print('x' * 30_000_000)"),
        "edited_tests": builders.submission(
            EXERCISE,
            replace_tests={"exp_tests": "pass", "tanh_tests": "assert True"},
            drop=("division_tests", "backward_tests"),
        ),
        "deleted_tests_solved": builders.submission(
            EXERCISE, base=solved, drop=("tanh_tests", "backward_tests")
        ),
        "subverts_tests": builders.submission(
            EXERCISE,
            extra_after={
                "value_answer": [
                    "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"
                ]
            },
        ),
        "helper_cell": builders.submission(
            EXERCISE,
            {"value_answer": solved.cells[3].source.replace("math.tanh(", "my_tanh(")},
            extra_after={"value_base": ["def my_tanh(x):\n    return math.tanh(x)"]},
        ),
        "writes_files": after(
            "value_answer",
            "import os\nopen('escape.txt', 'w').write(os.getcwd())\n"
            "open(os.path.join('..', '..', 'escape.txt'), 'w').write('up')",
        ),
        "other_exercise": builders.submission("softmax_jacobian"),
        "wrong_division": builders.submission(
            EXERCISE,
            {
                "value_answer": solved.cells[3].source.replace(
                    "-self.data / other", "self.data / other"
                )
            },
            base=solved,
        ),
    }


def _broken_files(folder: Path) -> dict[str, Path]:
    """Files that are not notebooks, or not valid ones: their brokenness is the point."""
    stub_text = nbformat.writes(builders.submission(EXERCISE))
    invalid = new_notebook(cells=[new_code_cell("x = 1")])
    del invalid.cells[0]["source"]
    contents = {
        "empty": b"",
        "empty_object": b"{}",
        "truncated": stub_text[:700].encode(),
        "binary": bytes(range(256)) * 4,
        "json_list": b"[1, 2, 3]",
        "invalid_notebook": json.dumps(invalid).encode(),
    }
    paths = {}
    for name, content in contents.items():
        paths[name] = folder / f"{name}.ipynb"
        paths[name].write_bytes(content)
    return paths


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade every kind of submission once, through `autodiff-lab grade`."""
    folder = tmp_path_factory.mktemp("submissions")
    paths = {
        name: builders.save(nb, folder / f"{name}.ipynb")
        for name, nb in _kernel_submissions().items()
    }
    paths.update(_broken_files(folder))
    before = _digests(folder)
    results = tmp_path_factory.mktemp("results")
    csv_path, json_path = results / "grades.csv", results / "grades.json"
    source = builders.SOURCES / f"{EXERCISE}.ipynb"
    exit_code = main(
        builders.grade_argv(source, paths.values(), csv_path, json_path, 2, CELL_TIMEOUT)
    )
    with open(csv_path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    report = json.loads(json_path.read_text(encoding="utf-8"))
    by_name = {Path(row[0]).stem: dict(zip(rows[0], row)) for row in rows[1:]}
    details = {Path(s["submission"]).stem: s for s in report["submissions"]}
    return {
        "exit_code": exit_code,
        "header": rows[0],
        "rows": rows[1:],
        "paths": paths,
        "csv": by_name,
        "json": details,
        "before": before,
        "after": _digests(folder),
    }


def row(batch, name):
    return batch["csv"][name]


def scores(batch, name):
    return {grade_id: float(row(batch, name)[grade_id]) for grade_id in TEST_IDS}


def status(batch, name):
    return {test["grade_id"]: test["status"] for test in batch["json"][name]["tests"]}


# -- the report --------------------------------------------------------------------------------


def test_the_csv_has_one_row_per_submission_in_order_and_a_column_per_grade_id(batch):
    assert batch["exit_code"] == 0
    identity = ["student_id", "name", "email", "section", "modified", "graded_at"]
    per_part = [column for grade_id in TEST_IDS for column in (grade_id, f"{grade_id} max")]
    assert batch["header"] == [
        "submission",
        *identity,
        *per_part,
        "total",
        "total max",
        "reason",
    ]
    assert [Path(r[0]).stem for r in batch["rows"]] == list(batch["paths"])
    for values in batch["csv"].values():
        total = sum(float(values[grade_id]) for grade_id in TEST_IDS)
        assert float(values["total"]) == total
        maximum = sum(float(values[f"{grade_id} max"]) for grade_id in TEST_IDS)
        assert float(values["total max"]) == maximum == 8
        assert values["modified"].endswith("+00:00") and values["graded_at"] >= values["modified"]


def test_submissions_are_never_modified_and_nothing_is_written_beside_them(batch):
    assert batch["after"] == batch["before"]


# -- honest work -------------------------------------------------------------------------------


def test_the_solution_gets_full_marks(batch):
    assert scores(batch, "solution") == {
        "exp_tests": 1,
        "tanh_tests": 2,
        "division_tests": 2,
        "backward_tests": 3,
    }
    assert row(batch, "solution")["total"] == "8" and row(batch, "solution")["reason"] == ""


def test_the_released_stub_gets_zero_with_feedback(batch):
    assert row(batch, "stub")["total"] == "0"
    reason = row(batch, "stub")["reason"]
    assert reason.startswith("failed: exp_tests (not written yet (NotImplementedError))")
    for grade_id in ("tanh_tests", "division_tests", "backward_tests"):
        assert f"{grade_id} (not written yet (NotImplementedError))" in reason
    feedback = batch["json"]["stub"]["tests"][1]["feedback"]
    assert feedback == "not written yet (NotImplementedError)"  # the grader's words only


def test_a_failed_part_names_its_case_expected_against_got_in_the_graders_words(batch):
    assert scores(batch, "wrong_division") == {
        "exp_tests": 1,
        "tanh_tests": 2,
        "division_tests": 0,
        "backward_tests": 3,
    }
    (division,) = [t for t in batch["json"]["wrong_division"]["tests"] if t["status"] == "failed"]
    feedback = division["feedback"]
    assert feedback.startswith("its check failed (CheckFailed); on the grader's inputs, ")
    assert "d/db was" in feedback and ", expected " in feedback and "minus sign" in feedback
    assert "division_tests (its check failed" in row(batch, "wrong_division")["reason"]


def test_a_students_own_helper_cell_is_kept(batch):
    assert row(batch, "helper_cell")["total"] == "8"


def test_code_that_writes_files_runs_in_a_private_folder(batch):
    assert row(batch, "writes_files")["total"] == "8"  # it ran, and wrote nowhere we can see


# -- broken work -------------------------------------------------------------------------------


def test_a_syntax_error_scores_zero_and_says_so(batch):
    assert row(batch, "syntax_error")["total"] == "0"
    assert "value_answer raised SyntaxError (line 1)" in row(batch, "syntax_error")["reason"]


def test_an_infinite_loop_is_interrupted_and_the_rest_still_runs(batch):
    assert row(batch, "infinite_loop")["total"] == "8"
    assert (
        f"ran over the {CELL_TIMEOUT} s limit and was interrupted"
        in row(batch, "infinite_loop")["reason"]
    )


def test_a_loop_that_ignores_interrupts_keeps_what_ran_before(batch):
    assert scores(batch, "ignores_interrupt") == {
        "exp_tests": 1,
        "tanh_tests": 0,
        "division_tests": 0,
        "backward_tests": 0,
    }
    assert "ignored the interrupt" in row(batch, "ignores_interrupt")["reason"]
    assert status(batch, "ignores_interrupt")["backward_tests"] == "not run"


def test_a_memory_bomb_meets_the_limit_and_grading_goes_on(batch):
    assert row(batch, "memory_bomb")["total"] == "8"
    assert "ran out of memory (MemoryError)" in row(batch, "memory_bomb")["reason"]


def test_sys_exit_is_caught(batch):
    assert row(batch, "sys_exit")["total"] == "8"
    assert "called sys.exit()" in row(batch, "sys_exit")["reason"]


@pytest.mark.parametrize("name, points", [("os_exit", 1), ("kernel_crash", 3)])
def test_a_dead_kernel_keeps_the_points_scored_before(batch, name, points):
    assert row(batch, name)["total"] == str(points)
    assert "the kernel died during your cell" in row(batch, name)["reason"]
    assert status(batch, name)["backward_tests"] == "not run"


def test_huge_output_is_cut(batch):
    assert row(batch, "huge_output")["total"] == "8"
    assert "was cut at 100000 characters" in row(batch, "huge_output")["reason"]


def test_editing_or_deleting_test_cells_gains_nothing(batch):
    assert row(batch, "edited_tests")["total"] == "0"
    assert row(batch, "deleted_tests_solved")["total"] == "8"  # the tests came back and passed


def test_subverting_tests_at_run_time_is_caught_by_the_graders_own_check(batch):
    assert row(batch, "subverts_tests")["total"] == "0"
    assert "not confirmed by the grader's own check" in row(batch, "subverts_tests")["reason"]
    assert set(status(batch, "subverts_tests").values()) == {"not confirmed"}


def test_a_notebook_for_another_exercise_is_refused_before_running(batch):
    reason = row(batch, "other_exercise")["reason"]
    assert reason.startswith("not graded: none of this exercise's answer cells")
    assert set(status(batch, "other_exercise").values()) == {"not run"}


@pytest.mark.parametrize(
    "name, phrase",
    [
        ("empty", "the file is empty (0 bytes)"),
        ("empty_object", "an empty JSON object ({}), not a notebook"),
        ("truncated", "not valid JSON"),
        ("binary", "not a text file"),
        ("json_list", "a list rather than a notebook"),
        ("invalid_notebook", "not a valid notebook"),
    ],
)
def test_files_that_are_not_notebooks_get_a_readable_reason(batch, name, phrase):
    assert row(batch, name)["total"] == "0"
    assert phrase in row(batch, name)["reason"]


# -- the hard deadline -------------------------------------------------------------------------


def _kernels_alive(scratch: Path) -> list[int]:
    """Kernels (and their sandboxes) whose private folders are under ``scratch``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(scratch).encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc to find kernels")
def test_the_hard_deadline_kills_worker_and_kernel_and_fails_closed(tmp_path):
    stubborn = builders.submission(
        EXERCISE, base=builders.solved(EXERCISE), extra_after={"exp_tests": [IGNORE_INTERRUPTS]}
    )
    path = builders.save(stubborn, tmp_path / "stubborn.ipynb")
    scratch = Path(tempfile.mkdtemp(prefix="deadline-", dir="/tmp"))  # short: sockets live there
    options = GradeOptions(
        jobs=1, cell_timeout=120, memory_mb=768, deadline=12, scratch_dir=str(scratch)
    )
    (result,) = grade(builders.SOURCES / f"{EXERCISE}.ipynb", [path], options)
    # exp_tests passed in the notebook, but its confirmation never came: no point.
    assert result.scores == {
        "exp_tests": 0,
        "tanh_tests": 0,
        "division_tests": 0,
        "backward_tests": 0,
    }
    assert "stopped at the hard deadline of 12 s" in result.reason
    assert _kernels_alive(scratch) == []
    shutil.rmtree(scratch)


# -- pieces ------------------------------------------------------------------------------------


def test_reports_are_written_atomically(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    target.write_text("old results\n")
    result = SubmissionResult("a.ipynb", 1.0, 1.0, "", [TestOutcome("t", 1.0, 1.0, "passed")])

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        write_reports([result], ["t"], target)
    assert target.read_text() == "old results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]  # no half-written leftovers
    monkeypatch.undo()
    write_reports([result], ["t"], target)
    assert target.read_text() == (
        "submission,student_id,name,email,section,modified,graded_at,t,t max,total,total max,"
        "reason\na.ipynb,,,,,,,1,1,1,1,\n"
    )


def test_rebuilding_takes_tests_from_the_source_and_answers_from_the_student():
    source = builders.source(EXERCISE)
    student = builders.submission(
        EXERCISE,
        {"value_answer": "class Value(ValueBase):\n    pass  # mine"},
        replace_tests={"tanh_tests": "pass"},
        extra_after={"value_answer": ["helper = 1"]},
    )
    student.cells[1].source = "ValueBase = None"  # an edited locked cell
    rebuilt = assemble(source, student).notebook
    by_id = {grade_id_of(cell): cell for cell in rebuilt.cells if grade_id_of(cell)}
    assert by_id["value_answer"].source.endswith("pass  # mine")
    source_tanh = next(cell for cell in source.cells if grade_id_of(cell) == "tanh_tests")
    assert by_id["tanh_tests"].source == source_tanh.source  # the source's test, hidden tests too
    assert by_id["value_base"].source == source.cells[1].source
    text = nbformat.writes(rebuilt)
    assert "math.tanh(self.data)" not in text  # the instructor's solution never runs
    assert "BEGIN SOLUTION" not in text  # nor does any of its solution
    position = [cell.source for cell in rebuilt.cells].index("helper = 1")
    assert grade_id_of(rebuilt.cells[position - 1]) == "value_answer"


def test_a_missing_or_doubled_answer_is_noted():
    source = builders.source("wengert_list")
    student = builders.submission("wengert_list", drop=("tangent_answer",))
    student.cells.append(
        nbformat.v4.new_code_cell("x = 1", metadata=dict(student.cells[3].metadata))
    )
    assembly = assemble(source, student)
    assert "answer cell tangent_answer is missing; graded as left blank" in assembly.notes
    assert "answer cell primal_answer appears twice; the first one was used" in assembly.notes


def test_checks_happen_before_nbformat_sees_the_bytes():
    for raw, phrase in [(b"   \n", "only blank space"), (b'{"cells": 3}', "no 'cells' list")]:
        with pytest.raises(SubmissionError, match=phrase):
            parse_submission(raw)


def test_the_progress_bar_is_plain_text():
    stream = io.StringIO()
    bar = Progress(2, stream, width=10)
    bar.advance("a/first.ipynb")
    bar.advance("second.ipynb")
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("grading [#####.....] 1/2")
    assert lines[1].startswith("grading [##########] 2/2") and lines[1].endswith("second.ipynb")
