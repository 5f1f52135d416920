"""Students, not files: a roster, and the two ways submissions are laid out.

* nbgrader's ``submitted/<student_id>/<assignment>/<notebook>.ipynb``
  (`nbgrader_layout`): the student id is the folder's name;
* a flat folder of files named by a pattern such as ``hw1_{student_id}.ipynb``
  (`pattern_layout`).

A roster is a CSV with a header row holding ``student_id``, ``name`` and
``email``, and optionally ``section`` (other columns are ignored); every
roster student with no submission gets an entry of their own, so the batch's
report has a row saying so. A file that names no roster student is still
graded, and its row says so.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

ROSTER_COLUMNS = ("student_id", "name", "email")
OPTIONAL_COLUMNS = ("section",)
NOT_ON_ROSTER = "not on the roster"


class RosterError(ValueError):
    """A roster or a layout that cannot be read; the message says why."""


@dataclass(frozen=True)
class Student:
    """One student of the roster (or one found only by a submission's name)."""

    student_id: str
    name: str = ""
    email: str = ""
    section: str = ""


@dataclass(frozen=True)
class Submitted:
    """A student's submission: ``path`` None when the student handed nothing in."""

    student: Student
    path: Path | None
    on_roster: bool = True


def read_roster(path: str | os.PathLike) -> list[Student]:
    """The students of a roster CSV (see the module's docstring), in the file's order."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.reader(stream))
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(f"cannot read the roster {path}: {error}") from None
    if not rows:
        raise RosterError(f"the roster {path} is empty")
    header = [column.strip().lower() for column in rows[0]]
    missing = [column for column in ROSTER_COLUMNS if column not in header]
    if missing:
        raise RosterError(
            f"the roster {path} lacks the column(s) {', '.join(missing)} in its first row "
            f"(it needs {', '.join(ROSTER_COLUMNS)}, and may have section)"
        )
    where = {
        column: header.index(column)
        for column in (*ROSTER_COLUMNS, *OPTIONAL_COLUMNS)
        if column in header
    }
    students: list[Student] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {
            column: row[index].strip() if index < len(row) else ""
            for column, index in where.items()
        }
        if not values["student_id"]:
            raise RosterError(f"the roster {path}, line {number}: no student_id")
        if values["student_id"] in seen:
            raise RosterError(f"the roster {path}: student {values['student_id']} appears twice")
        seen.add(values["student_id"])
        students.append(Student(**values))
    return students


def nbgrader_layout(
    submitted: str | os.PathLike,
    assignment: str,
    notebook: str,
    roster: list[Student] | None = None,
) -> list[Submitted]:
    """Each student's ``submitted/<student_id>/<assignment>/<notebook>``, roster order first,
    then folders of students not on the roster (sorted); a roster student without the file
    gets ``path=None``."""
    root = Path(submitted)
    if not root.is_dir():
        raise RosterError(f"the submitted folder {submitted} does not exist")
    found: dict[str, Path] = {}
    for folder in sorted(root.iterdir()):
        if not folder.is_dir() or folder.is_symlink():
            continue
        path = folder / assignment / notebook
        if path.exists() or path.is_symlink():  # a link is graded as refused, with a row
            found[folder.name] = path
    return _join(found, roster)


def pattern_layout(
    files: list[Path], pattern: str, roster: list[Student] | None = None
) -> list[Submitted]:
    """Files named by ``pattern`` (with ``{student_id}`` in it), matched to the roster."""
    if pattern.count("{student_id}") != 1:
        raise RosterError(f"the file-name pattern needs {{student_id}} once, got {pattern!r}")
    before, after = pattern.split("{student_id}")
    regex = re.compile(re.escape(before) + r"(?P<id>.+?)" + re.escape(after) + r"\Z")
    found: dict[str, Path] = {}
    unmatched: list[Path] = []
    for path in files:
        match = regex.match(path.name)
        if match and match["id"] not in found:
            found[match["id"]] = path
        else:
            unmatched.append(path)
    joined = _join(found, roster)
    return joined + [Submitted(Student(""), path, on_roster=False) for path in unmatched]


def _join(found: dict[str, Path], roster: list[Student] | None) -> list[Submitted]:
    if roster is None:
        return [Submitted(Student(student_id), path) for student_id, path in found.items()]
    listed = [Submitted(student, found.get(student.student_id)) for student in roster]
    known = {student.student_id for student in roster}
    extra = [
        Submitted(Student(student_id), path, on_roster=False)
        for student_id, path in found.items()
        if student_id not in known
    ]
    return listed + extra


def summary(totals: list[float], max_total: float) -> dict:
    """count, mean, how many got full marks and how many got zero (missing ones count 0)."""
    count = len(totals)
    return {
        "count": count,
        "mean": round(sum(totals) / count, 4) if count else 0.0,
        "max_total": max_total,
        "full_marks": sum(1 for total in totals if max_total > 0 and total >= max_total),
        "zero": sum(1 for total in totals if total == 0),
    }


def summary_line(numbers: dict, missing: int = 0) -> str:
    """One line for the end of a batch."""
    return (
        f"summary: {numbers['count']} student(s)"
        + (f" ({missing} without a submission)" if missing else "")
        + f", mean {numbers['mean']:g} of {numbers['max_total']:g}, "
        f"{numbers['full_marks']} with full marks, {numbers['zero']} with zero"
    )
