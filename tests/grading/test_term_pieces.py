"""The pieces of a term, without a kernel: course folders, rosters, exports, feedback pages."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile

import nbformat
import pytest
from term import CANVAS, EXAMPLE, NBGRADER

from autodiff_lab.cli import main
from autodiff_lab.course_files import course_root
from autodiff_lab.grading import catalogue, referee
from autodiff_lab.grading.build import CHECKS_CELL_ID, build_course, verify
from autodiff_lab.grading.check import run_checks
from autodiff_lab.grading.course import CourseError, load_course
from autodiff_lab.grading.execution import Job, Limits, job_from_line, job_to_line
from autodiff_lab.grading.export import canvas_csv, moodle_csv, nbgrader_csv, split_name
from autodiff_lab.grading.feedback_pages import general_reason, page, write_feedback
from autodiff_lab.grading.gradebook import ExportError, load_grades
from autodiff_lab.grading.reports import json_text
from autodiff_lab.grading.results import SubmissionResult, TestOutcome, missing
from autodiff_lab.grading.roster import (
    RosterError,
    nbgrader_layout,
    pattern_layout,
    read_roster,
    summary,
)
from autodiff_lab.grading.sandbox import COURSE_DATA, SandboxSpec, bwrap_arguments, package_view


@pytest.fixture
def course(tmp_path):
    """The example course copied and built; its exercise forgotten again afterwards."""
    folder = tmp_path / "course"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    loaded = load_course(folder)
    build_course(loaded)
    yield loaded
    loaded.unload()


def test_a_course_exercise_is_known_by_name_only_while_loaded(course):
    assert "slopes" in catalogue.exercises() and "slopes" not in catalogue.EXERCISES
    assert referee.reference("slopes", "cube", [2.0]) == [12.0]
    assert catalogue.engine_view("slopes") == ((), {})
    course.unload()
    assert "slopes" not in catalogue.exercises()
    with pytest.raises(KeyError):
        referee.module("slopes")
    course.load()


def test_the_build_writes_a_source_whose_first_code_cell_carries_the_checks(course):
    source = nbformat.read(course.source_dir / "slopes.ipynb", as_version=4)
    code = [cell for cell in source.cells if cell.cell_type == "code"]
    assert code[0].metadata["nbgrader"]["grade_id"] == CHECKS_CELL_ID
    assert code[0].metadata["nbgrader"]["locked"] and code[0].metadata["jupyter"]
    assert "def reference" not in code[0].source  # the referee stays with the grader
    assert build_course(course, check=True)[0].status == "unchanged"
    (course.folder / "catalogue" / "slopes_cases.py").write_text("stale", encoding="utf-8")
    assert {r.status for r in build_course(course, check=True)} == {"unchanged", "differs"}


def test_the_checks_cell_registers_the_exercise_in_a_fresh_namespace(course):
    source = nbformat.read(course.source_dir / "slopes.ipynb", as_version=4)
    course.unload()  # as in a student's kernel: nothing known but what the notebook says
    namespace: dict = {}
    for cell in source.cells:
        if cell.cell_type == "code" and "check(" not in cell.source:
            exec(cell.source.replace("3 * x ** 2", "3 * x"), namespace)
    report = run_checks("cube_slope", namespace)
    assert not report.passed and "the power rule" in report.text()
    assert run_checks("square_slope", namespace).passed


def test_the_build_verifies_the_solution_the_stub_and_each_mistake(course):
    assert verify(course) == []
    definition = course.definitions / "slopes.py"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(
        text.replace("    return 2 * x\n", "    return 2 * x + 1\n").replace(
            '("power rule",)', '("the chain rule",)'
        ),
        encoding="utf-8",
    )
    build_course(course)
    problems = verify(course)
    assert "slopes: the solution fails square_slope's fixed cases" in problems
    assert "slopes: the solution fails square_slope's hidden tests" in problems
    assert any("does not say 'the chain rule'" in problem for problem in problems)
    assert main(["build", "--course", str(course.folder)]) == 1


def test_a_course_part_may_not_take_a_name_of_ours(course):
    text = course.exercises()[0].catalogue_text().replace('"cube_slope",\n', '"tanh",\n', 1)
    with pytest.raises(ValueError, match="taken by .*value_class"):
        catalogue.use_exercise("clash", text)
    with pytest.raises(ValueError, match="package's own"):
        catalogue.use_exercise("value_class", text)


def test_a_course_folder_without_a_referee_is_refused(tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(EXAMPLE, folder)
    (folder / "referee" / "slopes.py").unlink()
    with pytest.raises(CourseError, match="no referee"):
        load_course(folder)
    assert main(["build", "--course", str(tmp_path / "nowhere")]) == 2


def test_the_wheels_course_data_is_hidden_from_every_sandbox(tmp_path, monkeypatch):
    package = tmp_path / "autodiff_lab"
    (package / "grading" / "referee").mkdir(parents=True)
    (package / COURSE_DATA).mkdir()
    monkeypatch.setattr("autodiff_lab.grading.sandbox.package_folder", lambda: package)
    for engine in (None, ()):
        options = package_view(engine, "")
        hidden = [options[i + 1] for i, option in enumerate(options) if option == "--tmpfs"]
        assert str(package / COURSE_DATA) in hidden and str(package / "grading/referee") in hidden


def test_a_course_kept_inside_a_readable_root_is_hidden_all_the_same(tmp_path, monkeypatch):
    inside = tmp_path / "venv" / "my-course" / "referee"
    inside.mkdir(parents=True)
    outside = tmp_path / "elsewhere" / "referee"
    outside.mkdir(parents=True)
    monkeypatch.setattr(
        "autodiff_lab.grading.sandbox.readable_roots", lambda: [str(tmp_path / "venv")]
    )
    spec = SandboxSpec(
        uid=1, memory_mb=64, processes=8, disk_mb=8, hide=(str(inside), str(outside))
    )
    arguments = bwrap_arguments(spec, as_root=False)
    hidden = [arguments[i + 1] for i, option in enumerate(arguments) if option == "--tmpfs"]
    assert str(inside) in hidden and str(outside) not in hidden  # outside: never bound at all
    line = job_to_line(Job(0, "{}", "/x", Limits(), (), (), sandbox=spec))
    assert job_from_line(line).sandbox == spec


def test_the_checkout_is_the_course_root_of_an_editable_install():
    root = course_root()
    assert (root / "START-HERE.ipynb").is_file() and (root / "exercises" / "source").is_dir()


def test_copied_out_exercises_release_as_ours(tmp_path, capsys):
    assert main(["exercises", str(tmp_path / "mine")]) == 0
    assert main(["exercises", str(tmp_path / "mine")]) == 2  # nothing overwritten silently
    assert "--force" in capsys.readouterr().err
    assert main(["release", "--course", str(tmp_path / "mine")]) == 0
    ours = course_root() / "exercises" / "release"
    for path in ours.glob("*.ipynb"):
        copied = tmp_path / "mine" / "release" / path.name
        assert copied.read_bytes() == path.read_bytes(), path.name
    assert main(["lessons", str(tmp_path / "lessons")]) == 0
    lessons = sorted(path.name for path in (tmp_path / "lessons" / "notebooks").glob("*.ipynb"))
    assert lessons == sorted(path.name for path in (course_root() / "notebooks").glob("*.ipynb"))
    assert len(lessons) >= 16


# -- students ----------------------------------------------------------------------------------


def test_a_roster_needs_its_columns_and_unique_ids(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Student_ID,Name,Email\nx1,A B,a@b\n\nx2,C D,c@d\n", encoding="utf-8")
    students = read_roster(path)
    assert [s.student_id for s in students] == ["x1", "x2"] and students[0].section == ""
    path.write_text("student_id,name\nx1,A\n", encoding="utf-8")
    with pytest.raises(RosterError, match="email"):
        read_roster(path)
    path.write_text("student_id,name,email\nx1,A,a\nx1,B,b\n", encoding="utf-8")
    with pytest.raises(RosterError, match="twice"):
        read_roster(path)


def test_layouts_find_each_students_file_and_who_is_missing(tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("student_id,name,email,section\na,A,a@x,1\nb,B,b@x,2\n", "utf-8")
    roster = read_roster(roster_file)
    (tmp_path / "submitted" / "a" / "hw1").mkdir(parents=True)
    (tmp_path / "submitted" / "a" / "hw1" / "hw1.ipynb").write_text("{}")
    (tmp_path / "submitted" / "z" / "hw1").mkdir(parents=True)
    (tmp_path / "submitted" / "z" / "hw1" / "hw1.ipynb").write_text("{}")
    found = nbgrader_layout(tmp_path / "submitted", "hw1", "hw1.ipynb", roster)
    assert [(e.student.student_id, e.path is not None, e.on_roster) for e in found] == [
        ("a", True, True),
        ("b", False, True),
        ("z", True, False),
    ]
    files = [tmp_path / "hw1_b.ipynb", tmp_path / "notes.ipynb"]
    matched = pattern_layout(files, "hw1_{student_id}.ipynb", roster)
    assert [(e.student.student_id, e.path) for e in matched] == [
        ("a", None),
        ("b", files[0]),
        ("", files[1]),
    ]
    with pytest.raises(RosterError, match="student_id"):
        pattern_layout(files, "hw1.ipynb", roster)


def test_the_summary_counts_full_marks_and_zeros():
    assert summary([3, 0, 1, 0, 0], 3) == {
        "count": 5,
        "mean": 0.8,
        "max_total": 3,
        "full_marks": 1,
        "zero": 3,
    }
    assert summary([], 3)["mean"] == 0.0


# -- exports and feedback ----------------------------------------------------------------------


def _grades(tmp_path):
    wrong = SubmissionResult(
        "s/b.ipynb",
        1.0,
        3.0,
        "failed: cube_tests (its check failed (CheckFailed); on the grader's inputs, "
        "cube_slope at x = 1: cube_slope(1) was 3, expected 3.5)",
        [
            TestOutcome("square_tests", 1, 1, "passed"),
            TestOutcome("cube_tests", 2, 0, "failed", "on the grader's inputs, <b>x</b>"),
        ],
        student_id="b",
        name="Hopper, Grace",
        email="=cmd@x",
        section="B",
        modified="2026-12-01T10:00:00+00:00",
    )
    absent = missing([("square_tests", 1), ("cube_tests", 2)], "c")
    absent.name = "Kurt Gödel"
    path = tmp_path / "grades.json"
    tests = [("square_tests", 1.0), ("cube_tests", 2.0)]
    path.write_text(json_text([wrong, absent], "hw.ipynb", tests, "hw1"), encoding="utf-8")
    return load_grades(path)


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_canvas_moodle_and_nbgrader_columns(tmp_path):
    grades = _grades(tmp_path)
    canvas = _rows(canvas_csv(grades, "hw1"))
    assert canvas[0] == [*CANVAS, "hw1"] and canvas[1] == ["Points Possible", "", "", "", "", "3"]
    assert canvas[2] == ["Hopper, Grace", "", "b", "", "B", "1"]
    assert canvas[3][2:] == ["c", "", "", "0"]
    moodle = _rows(moodle_csv(grades, "hw1"))
    assert moodle[0] == ["ID number", "Email address", "hw1", "Feedback"]
    assert moodle[1][1] == "'=cmd@x"  # a spreadsheet would run it: neutralised
    assert moodle[1][3].startswith("1 of 3 (square_tests 1/1, cube_tests 0/2). failed:")
    nbgrader = _rows(nbgrader_csv(grades, "hw1"))
    assert nbgrader[0] == NBGRADER
    assert nbgrader[1][:7] == [
        "hw1",
        "",
        "2026-12-01T10:00:00+00:00",
        "b",
        "Hopper",
        "Grace",
        "'=cmd@x",
    ]
    assert nbgrader[2][2:6] == ["", "c", "Gödel", "Kurt"] and nbgrader[2][7:] == [
        "0.0",
        "0.0",
        "0.0",
        "3.0",
    ]
    assert split_name("Ada King Lovelace") == ("Ada King", "Lovelace")


def test_exports_refuse_rows_without_a_student_and_files_that_are_no_report(tmp_path):
    anonymous = SubmissionResult("a.ipynb", 0.0, 1.0, "", [TestOutcome("t", 1, 0, "failed")])
    path = tmp_path / "grades.json"
    path.write_text(json_text([anonymous], "hw.ipynb", ["t"]), encoding="utf-8")
    assert main(["export", str(path), "--format", "canvas", "--out", str(tmp_path / "c.csv")]) == 2
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ExportError, match="not a grades report"):
        load_grades(path)


def test_a_pages_note_keeps_what_the_table_does_not_say():
    assert general_reason("failed: a (x; y), b (z)") == ""
    assert general_reason("the kernel died; failed: a (x; y); flagged: imports") == (
        "the kernel died; flagged: imports"
    )
    assert general_reason("not graded: no submission") == "not graded: no submission"


def test_a_feedback_page_escapes_and_shows_only_the_graders_words(tmp_path):
    grades = _grades(tmp_path)
    text = page(grades["submissions"][0], "hw1", {"cube_tests": "the slope of x³"})
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text
    assert "the slope of x³" in text and "default-src 'none'" in text
    assert "<b>1</b> of 3" in text
    written = write_feedback(tmp_path / "grades.json", tmp_path / "pages")
    assert [path.name for path in written] == ["b.html", "c.html"]
    assert "no submission" in written[1].read_text(encoding="utf-8")


def test_the_gradescope_bundle_needs_its_source(tmp_path):
    grades = tmp_path / "grades.json"
    grades.write_text(json.dumps({"source": str(tmp_path / "gone.ipynb"), "submissions": []}))
    out = tmp_path / "autograder.zip"
    assert main(["export", str(grades), "--format", "gradescope", "--out", str(out)]) == 2
    source = tmp_path / "hw.ipynb"
    source.write_text("{}")
    grades.write_text(json.dumps({"source": str(source), "submissions": []}))
    assert main(["export", str(grades), "--format", "gradescope", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as bundle:
        setup = bundle.read("setup.sh").decode()
        run = bundle.read("run_autograder").decode()
    assert "bubblewrap" in setup and "numpy" in setup
    assert run.strip().endswith("-m autodiff_lab.grading.gradescope --source exercise/hw.ipynb")
