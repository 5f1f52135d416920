"""An instructor's whole term, through the ``autodiff-lab`` command only, in a temporary folder.

`run_term` authors a tiny exercise of the course's own (``course_example/``:
the slopes of x² and x³), builds and releases it, grades five students in
nbgrader's layout with a roster (one full, one empty, one with a wrong part,
one whose file is refused, one who handed nothing in), exports every format
and writes the feedback pages. It runs the command it is given: `test_term.py`
gives it the ``autodiff-lab`` of a wheel installed in a clean venv; the checks
are `check_term`'s.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

EXAMPLE = Path(__file__).resolve().parent / "course_example"
ROSTER = [
    ("s1-full", "Ada Lovelace", "ada@example.edu", "A"),
    ("s2-empty", "Alan Turing", "alan@example.edu", "A"),
    ("s3-wrong", "Grace Hopper", "grace@example.edu", "B"),
    ("s4-refused", "Emmy Noether", "emmy@example.edu", "B"),
    ("s5-missing", "Kurt Gödel", "kurt@example.edu", "B"),
]
CANVAS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NBGRADER = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]


# The term's sandboxes run as root under user ids of their own, in the upper half of the
# sandbox range: the grading modules beside them use the lower half (builders.UID_OFFSETS),
# so a batch's count of its own surviving processes never sees the term's kernels.
TERM_UID_OFFSET = ["--uid-offset", "1500"]


def run(command: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run one command of the term; its exit status and output are the caller's to judge."""
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def _answers(source: nbformat.NotebookNode) -> dict[str, str]:
    """Each answer cell's solution, markers removed: what a student who got it right wrote."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: "\n".join(
            line
            for line in cell.source.split("\n")
            if "### BEGIN" not in line and "### END" not in line
        )
        for cell in source.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def write_submissions(folder: Path, course: Path) -> None:
    """nbgrader's submitted/<student_id>/slopes/slopes.ipynb for four of the five students."""
    released = nbformat.read(course / "release" / "slopes.ipynb", as_version=4)
    solutions = _answers(nbformat.read(course / "source" / "slopes.ipynb", as_version=4))
    for student_id, answers in (
        ("s1-full", solutions),
        ("s2-empty", {}),
        ("s3-wrong", {**solutions, "cube_answer": solutions["cube_answer"].replace("x ** 2", "x")}),
    ):
        notebook = copy.deepcopy(released)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in answers:
                cell.source = answers[grade_id]
        target = folder / "submitted" / student_id / "slopes" / "slopes.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)
    refused = folder / "submitted" / "s4-refused" / "slopes" / "slopes.ipynb"
    refused.parent.mkdir(parents=True)
    refused.write_text('{"cells": [', encoding="utf-8")  # cut off: not a notebook


def readable(folder: Path) -> None:
    """Let the sandbox's own user (as root, another uid) read everything under ``folder``."""
    for path in [folder, *folder.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        path.chmod(mode | stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0))


def run_term(autodiff_lab: list[str], folder: Path, python: str = sys.executable) -> dict:
    """The whole term in ``folder``, each step through ``autodiff_lab`` (the command's argv
    prefix); returns every command's result and where its files went."""
    course = folder / "course"
    shutil.copytree(EXAMPLE, course, ignore=shutil.ignore_patterns("__pycache__"))
    steps: dict[str, subprocess.CompletedProcess] = {}
    steps["build"] = run([*autodiff_lab, "build", "--course", "course"], folder)
    steps["build --check"] = run([*autodiff_lab, "build", "--course", "course", "--check"], folder)
    steps["release"] = run([*autodiff_lab, "release", "--course", "course"], folder)
    write_submissions(folder, course)
    with open(folder / "roster.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student_id", "name", "email", "section"])
        writer.writerows(ROSTER)
    readable(folder)
    steps["grade"] = run(
        [
            *autodiff_lab,
            "grade",
            *TERM_UID_OFFSET,
            "--course",
            "course",
            "--source",
            "course/source/slopes.ipynb",
            "--submitted",
            "submitted",
            "--roster",
            "roster.csv",
            "--out",
            "grades.csv",
            "--json",
            "grades.json",
            "--jobs",
            "2",
            "--quiet",
        ],
        folder,
    )
    for form, name in (
        ("canvas", "canvas.csv"),
        ("moodle", "moodle.csv"),
        ("nbgrader", "nbgrader.csv"),
        ("gradescope", "autograder.zip"),
    ):
        steps[form] = run(
            [*autodiff_lab, "export", "grades.json", "--format", form, "--out", name], folder
        )
    steps["feedback"] = run([*autodiff_lab, "feedback", "grades.json", "--out", "feedback"], folder)
    steps["gradescope run"] = run_gradescope(folder, python)
    return {"folder": folder, "steps": steps}


def run_gradescope(folder: Path, python: str) -> subprocess.CompletedProcess:
    """The Gradescope bundle as Gradescope runs it, with /autograder moved into ``folder``:
    the zip unpacked into source/, the wrong student's notebook in submission/, and
    run_autograder's command with the bundle's own copy of the grader on PYTHONPATH."""
    root = folder / "autograder"
    bundle = folder / "autograder.zip"
    if not bundle.exists():
        return subprocess.CompletedProcess([], 1, "", "no bundle")
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    shutil.copy(folder / "submitted" / "s3-wrong" / "slopes" / "slopes.ipynb", root / "submission")
    readable(root)
    script = (root / "source" / "run_autograder").read_text(encoding="utf-8")
    command = script.strip().splitlines()[-1].split()
    assert command[:2] == ["exec", "/autograder/venv/bin/python"], script
    environment = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PYTHONPATH": str(root / "source"),
    }
    return subprocess.run(
        [python, *command[2:]],
        cwd=root / "source",
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def read_csv(path: Path) -> list[list[str]]:
    """A CSV file's rows, header first."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def check_term(term: dict) -> None:
    """Every step of the term did what the documentation says (raises AssertionError)."""
    folder, steps = term["folder"], term["steps"]
    for name, done in steps.items():
        assert done.returncode == 0, f"{name}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
    assert "created" in steps["build"].stdout and steps["build --check"].stdout == ""
    assert (folder / "course" / "catalogue" / "slopes_cases.py").is_file()
    check_release(folder)
    check_grades(folder, steps["grade"].stderr)
    check_exports(folder)
    check_gradescope(folder)
    check_feedback(folder)


def check_release(folder: Path) -> None:
    """The student notebook: stubs for answers, no hidden tests, the checks' cell kept."""
    released = (folder / "course" / "release" / "slopes.ipynb").read_text(encoding="utf-8")
    assert "raise NotImplementedError()" in released
    assert "BEGIN HIDDEN TESTS" not in released and "hidden=[" not in released
    assert "3 * x ** 2" not in released and "use_exercise" in released
    referee = (folder / "course" / "referee" / "slopes.py").read_text(encoding="utf-8")
    assert "def reference" not in released and referee.splitlines()[0] not in released


def by_student(rows: list[list[str]], column: str) -> dict[str, dict[str, str]]:
    """Rows (after the header) keyed by ``column``."""
    header = rows[0]
    return {row[header.index(column)]: dict(zip(header, row)) for row in rows[1:]}


def check_grades(folder: Path, stderr: str) -> None:
    """One row per roster student with ids, per-part points and maxima, times, reasons."""
    rows = read_csv(folder / "grades.csv")
    header = rows[0]
    assert header[:7] == [
        "submission",
        "student_id",
        "name",
        "email",
        "section",
        "modified",
        "graded_at",
    ]
    assert header[7:] == [
        "square_tests",
        "square_tests max",
        "cube_tests",
        "cube_tests max",
        "total",
        "total max",
        "reason",
    ]
    students = by_student(rows, "student_id")
    assert list(students) == [student_id for student_id, *_ in ROSTER]
    expected = {"s1-full": 3, "s2-empty": 0, "s3-wrong": 1, "s4-refused": 0, "s5-missing": 0}
    for student_id, total in expected.items():
        row = students[student_id]
        assert float(row["total"]) == total, row
        assert row["total max"] == "3" and row["square_tests max"] == "1"
        assert row["cube_tests max"] == "2" and row["graded_at"].endswith("+00:00")
    assert students["s3-wrong"]["square_tests"] == "1" and students["s3-wrong"]["cube_tests"] == "0"
    assert students["s3-wrong"]["email"] == "grace@example.edu"
    assert students["s3-wrong"]["section"] == "B"
    assert students["s4-refused"]["reason"].startswith("not graded: not valid JSON")
    assert students["s5-missing"]["reason"] == "not graded: no submission"
    assert students["s5-missing"]["modified"] == "" and students["s5-missing"]["submission"] == ""
    assert students["s1-full"]["modified"].endswith("+00:00")
    assert stderr.strip().splitlines()[-1] == (
        "summary: 5 student(s) (1 without a submission), mean 0.8 of 3, "
        "1 with full marks, 3 with zero"
    )
    report = json.loads((folder / "grades.json").read_text(encoding="utf-8"))
    assert report["summary"] == {
        "count": 5,
        "mean": 0.8,
        "max_total": 3.0,
        "full_marks": 1,
        "zero": 3,
    }
    assert [part["grade_id"] for part in report["parts"]] == ["square_tests", "cube_tests"]


def check_exports(folder: Path) -> None:
    """Each gradebook file read back against its documented columns."""
    canvas = read_csv(folder / "canvas.csv")
    assert canvas[0] == [*CANVAS, "slopes"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "3"]
    rows = {row[2]: row for row in canvas[2:]}  # by SIS User ID
    assert list(rows) == [student_id for student_id, *_ in ROSTER]
    assert rows["s3-wrong"] == ["Grace Hopper", "", "s3-wrong", "", "B", "1"]
    assert rows["s1-full"][5] == "3" and rows["s5-missing"][5] == "0"

    moodle = read_csv(folder / "moodle.csv")
    assert moodle[0] == ["ID number", "Email address", "slopes", "Feedback"]
    rows = {row[0]: row for row in moodle[1:]}
    assert rows["s3-wrong"][1:3] == ["grace@example.edu", "1"]
    assert "cube_tests 0/2" in rows["s3-wrong"][3] and "cube_slope(" in rows["s3-wrong"][3]
    assert rows["s5-missing"][3] == "0 of 3. not graded: no submission"

    nbgrader = read_csv(folder / "nbgrader.csv")
    assert nbgrader[0] == NBGRADER
    rows = by_student(nbgrader, "student_id")
    assert rows["s3-wrong"]["first_name"] == "Grace" and rows["s3-wrong"]["last_name"] == "Hopper"
    assert rows["s3-wrong"]["score"] == "1.0" and rows["s3-wrong"]["max_score"] == "3.0"
    assert rows["s5-missing"]["timestamp"] == "" and rows["s5-missing"]["raw_score"] == "0.0"
    assert rows["s1-full"]["assignment"] == "slopes" and rows["s1-full"]["timestamp"]


def check_gradescope(folder: Path) -> None:
    """The bundle's files, and results.json with Gradescope's fields from running it."""
    with zipfile.ZipFile(folder / "autograder.zip") as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    for needed in (
        "setup.sh",
        "run_autograder",
        "README.txt",
        "exercise/slopes.ipynb",
        "course/catalogue/slopes.py",
        "course/referee/slopes.py",
        "autodiff_lab/grading/gradescope.py",
    ):
        assert needed in names, needed
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any(name.startswith("autodiff_lab/course/") for name in names)
    results = json.loads(
        (folder / "autograder" / "results" / "results.json").read_text(encoding="utf-8")
    )
    assert set(results) == {"score", "output", "visibility", "tests"}
    assert results["score"] == 1.0
    assert [set(test) for test in results["tests"]] == [
        {"name", "score", "max_score", "output", "visibility"}
    ] * 2
    square, cube = results["tests"]
    assert square["name"].startswith("square_tests") and square["score"] == square["max_score"]
    assert cube["score"] == 0 and cube["max_score"] == 2
    assert "cube_slope(" in cube["output"] and "expected" in cube["output"]


def hidden_texts(folder: Path) -> list[str]:
    """Every line of the source's hidden tests and solutions: none may reach a student."""
    source = nbformat.read(folder / "course" / "source" / "slopes.ipynb", as_version=4)
    lines = []
    for cell in source.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "### BEGIN" in line:
                inside = True
                continue
            if "### END" in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return [line for line in lines if len(line) >= 6]  # "])," could be anywhere


def check_feedback(folder: Path) -> None:
    """One page per student; the wrong part's page names the case, and holds no hidden text."""
    pages = {
        path.stem: path.read_text(encoding="utf-8") for path in (folder / "feedback").iterdir()
    }
    assert sorted(pages) == sorted(student_id for student_id, *_ in ROSTER)
    wrong = pages["s3-wrong"]
    assert "Grace Hopper" in wrong and "<b>1</b> of 3" in wrong
    assert "on the grader&#x27;s inputs, cube_slope at x = " in wrong
    assert "was " in wrong and "expected" in wrong and "the power rule" in wrong
    secrets = hidden_texts(folder)
    assert any("hidden=[" in line for line in secrets) and any("3 * x" in s for s in secrets)
    for text in pages.values():
        for secret in secrets:
            assert secret not in text, secret
        assert "use_exercise" not in text and "NotImplementedError()" not in text
    assert "no submission" in pages["s5-missing"]
