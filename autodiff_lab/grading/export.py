"""Grades out to a gradebook: Canvas, Moodle, nbgrader's CSV, or a Gradescope autograder.

    autodiff-lab export grades.json --format canvas|moodle|nbgrader|gradescope --out FILE

Each format's columns are the ones its own documentation gives (cited at each
writer). Every row is one student of the grades report; a roster student
without a submission scores 0, as in nbgrader's own export. Text cells that a
spreadsheet would read as a formula start with a quote (see `reports`).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from .files import write_atomically
from .gradebook import ExportError, assignment_name, load_grades, max_total, number
from .reports import spreadsheet_safe

FORMATS = ("canvas", "moodle", "nbgrader", "gradescope")

# Canvas's Gradebook import (Instructure's Canvas Instructor Guide, "How do I import grades in
# the Gradebook?", and as a university's guide spells it out, Ohio State's "Import a CSV file
# into Carmen Grades", https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/
# calculating-final-grades/import-csv-file-carmen-grades): the columns Student, ID, SIS User
# ID, SIS Login ID and Section, then one column per assignment (a new name creates a new
# assignment); the second row of Canvas's own export, "Points Possible", gives each maximum.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"

# Moodle's grade import from a CSV file (https://docs.moodle.org/en/Grade_import; the code is
# moodle/moodle grade/import/csv): a header row, then one row per student; on upload the
# teacher maps a column identifying the user ("Map from") to the user's email address or ID
# number ("Map to"), a column to the grade item, and optionally a column to its feedback.
# The names are Moodle's own in its grade export, so the mapping page pairs them up.
MOODLE_COLUMNS = ("ID number", "Email address")
MOODLE_FEEDBACK = "Feedback"

# nbgrader's `nbgrader export` (jupyter/nbgrader, nbgrader/plugins/export.py, CsvExportPlugin):
# these columns in this order, one row per student and assignment, 0 for no submission.
NBGRADER_COLUMNS = (
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
)


def export(grades_path, form: str, out, assignment: str | None = None) -> str:
    """Write ``grades_path`` in format ``form`` to ``out``; returns what was written, in words."""
    if form not in FORMATS:
        raise ExportError(f"no export format {form!r}; the formats are {', '.join(FORMATS)}")
    grades = load_grades(grades_path)
    name = assignment_name(grades, assignment)
    if form == "gradescope":
        return write_bundle(grades, Path(out))
    writer = {"canvas": canvas_csv, "moodle": moodle_csv, "nbgrader": nbgrader_csv}[form]
    write_atomically(Path(out), writer(grades, name))
    return f"{len(grades['submissions'])} student(s), {form}'s columns"


def _students(grades: dict) -> list[dict]:
    entries = grades["submissions"]
    unnamed = [entry for entry in entries if not entry.get("student_id")]
    if unnamed:
        raise ExportError(
            f"{len(unnamed)} row(s) name no student (such as {unnamed[0].get('submission')!r}): "
            "grade with --submitted (nbgrader's layout) or --roster and --pattern, so every "
            "row has a student id to put in the gradebook"
        )
    return entries


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def canvas_csv(grades: dict, assignment: str) -> str:
    """The Canvas Gradebook import file: students by SIS User ID, one assignment column."""
    rows = [[*CANVAS_COLUMNS, assignment]]
    rows.append([CANVAS_POINTS_ROW, "", "", "", "", number(max_total(grades))])
    for entry in _students(grades):
        rows.append(
            [
                spreadsheet_safe(entry.get("name", "")),
                "",  # Canvas's own user id, which only Canvas knows
                spreadsheet_safe(entry["student_id"]),
                "",
                spreadsheet_safe(entry.get("section", "")),
                number(entry.get("total", 0)),
            ]
        )
    return _csv(rows)


def feedback_text(entry: dict) -> str:
    """A short feedback line from the grader's own words: the score, each part, the reason."""
    parts = ", ".join(
        f"{test['grade_id']} {number(test['score'])}/{number(test['points'])}"
        for test in entry["tests"]
    )
    text = f"{number(entry.get('total', 0))} of {number(entry.get('max_total', 0))}"
    text += f" ({parts})" if parts and entry.get("submitted", True) else ""
    reason = entry.get("reason", "")
    return f"{text}. {reason}" if reason else text


def moodle_csv(grades: dict, assignment: str) -> str:
    """The Moodle grade import file: ID number and email, the grade, the feedback."""
    rows = [[*MOODLE_COLUMNS, assignment, MOODLE_FEEDBACK]]
    for entry in _students(grades):
        rows.append(
            [
                spreadsheet_safe(entry["student_id"]),
                spreadsheet_safe(entry.get("email", "")),
                number(entry.get("total", 0)),
                spreadsheet_safe(feedback_text(entry)),
            ]
        )
    return _csv(rows)


def split_name(name: str) -> tuple[str, str]:
    """(first name, last name) of "First Middle Last" or "Last, First"."""
    name = " ".join(str(name).split())
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (last, "")


def nbgrader_csv(grades: dict, assignment: str) -> str:
    """The columns and rows that ``nbgrader export`` writes for one assignment."""
    rows = [list(NBGRADER_COLUMNS)]
    maximum = max_total(grades)
    for entry in _students(grades):
        first, last = split_name(entry.get("name", ""))
        score = float(entry.get("total", 0))
        rows.append(
            [
                assignment,
                "",  # the due date, which nbgrader's database holds and we do not
                entry.get("modified", "") if entry.get("submitted", True) else "",
                spreadsheet_safe(entry["student_id"]),
                spreadsheet_safe(last),
                spreadsheet_safe(first),
                spreadsheet_safe(entry.get("email", "")),
                str(score),
                str(0.0),
                str(score),
                str(float(maximum)),
            ]
        )
    return _csv(rows)


# -- Gradescope ---------------------------------------------------------------------------------

# Gradescope's autograder specification (https://gradescope-autograders.readthedocs.io/en/latest/
# specs/): a zip with setup.sh (run once, as root, when the image is built) and run_autograder
# (run for each submission, in /autograder, the submission in /autograder/submission), which
# must write /autograder/results/results.json: "score", "output", "visibility", and "tests",
# each with "name", "score", "max_score", "output" and "visibility".
GRADESCOPE_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install {requirements}
"""

GRADESCOPE_RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes /autograder/results/results.json.
cd /autograder/source
export PYTHONPATH=/autograder/source
exec /autograder/venv/bin/python -m autodiff_lab.grading.gradescope {arguments}
"""

GRADESCOPE_README = """What this autograder is, and what it guarantees
==============================================

Made by `autodiff-lab export --format gradescope` for {assignment}. Upload the zip as
the assignment's autograder ("Configure Autograder", Ubuntu base image). Students
submit their notebook ({notebook}); the autograder grades it as `autodiff-lab grade`
does and writes one test per graded part, with the grader's own message for a
part that lost points, never a solution or a hidden test.

Inside: setup.sh (installs Python, bubblewrap and autodiff-lab's dependencies),
run_autograder, autodiff_lab/ (the grader, as installed where the bundle was
made, without the course's notebooks), exercise/{notebook} (the instructor
notebook, with its hidden tests) and, for an exercise of your own, course/ (its
catalogue and referee).

Guaranteed: each submission runs in a fresh container that Gradescope throws
away, so one student's code never sees another's submission; the solutions and
the referee never enter the student's kernel when the container lets bubblewrap
make its sandbox (user namespaces allowed), and then every guarantee of
exercises/README.md ("Threat model") holds inside the container as well.

Not guaranteed: Gradescope's containers usually run as root without user
namespaces, and then bubblewrap cannot start; the autograder then grades without
a sandbox (results say "graded WITHOUT a sandbox"), with the container as the
only boundary. A submission could then read the instructor notebook (with its
hidden tests) and the referee, and, being root beside the grader, forge its own
results.json. Honest mistakes are graded exactly; a determined forger is not
stopped. Timing, memory and CPU are Gradescope's settings, not ours.
"""


def _requirements() -> str:
    """autodiff-lab's own dependencies, as pip arguments."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        found = [item for item in requires("autodiff-lab") or [] if "extra ==" not in item]
    except PackageNotFoundError:
        found = []
    found = [item.split(";")[0].strip() for item in found] or ["numpy", "nbformat", "nbclient"]
    return " ".join(f"'{item}'" for item in found)


def write_bundle(grades: dict, out: Path) -> str:
    """The Gradescope autograder zip for the exercise the grades report was graded on."""
    import zipfile

    from .sandbox import COURSE_DATA, package_folder

    source = Path(str(grades.get("source", "")))
    if not source.is_file():
        raise ExportError(
            f"the report's source notebook {source} is not there: the bundle must hold it"
        )
    course = Path(grades["course"]) if grades.get("course") else None
    arguments = f"--source exercise/{source.name}" + (" --course course" if course else "")
    files: dict[str, bytes] = {
        "setup.sh": GRADESCOPE_SETUP.format(requirements=_requirements()).encode(),
        "run_autograder": GRADESCOPE_RUN.format(arguments=arguments).encode(),
        "README.txt": GRADESCOPE_README.format(
            assignment=assignment_name(grades), notebook=source.name
        ).encode(),
        f"exercise/{source.name}": source.read_bytes(),
    }
    package = package_folder()
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and "__pycache__" not in relative.parts:
            if relative.parts[0] != COURSE_DATA:  # the lessons and sources stay out
                files[f"autodiff_lab/{relative.as_posix()}"] = path.read_bytes()
    if course is not None:
        for folder in ("catalogue", "referee", "definitions"):
            for path in sorted((course / folder).glob("*.py")):
                files[f"course/{folder}/{path.name}"] = path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    write_atomically_bytes(out, buffer.getvalue())
    return f"a Gradescope autograder of {len(files)} file(s) for {source.name}"


def write_atomically_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it."""
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_bytes(data)
    os.replace(temporary, path)
