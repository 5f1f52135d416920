"""nbgrader's notebook conventions: cell metadata, solution regions, hidden tests.

An instructor notebook follows nbgrader's schema version 3, so an instructor
can hand it to nbgrader unchanged. Every graded or protected cell carries
``metadata.nbgrader`` with ``grade``, ``solution``, ``locked``, a unique
``grade_id`` and, for test cells, ``points``. Code between ``### BEGIN
SOLUTION`` and ``### END SOLUTION`` is the instructor's answer; code between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is graded but never
shown to students.

The builders (`prompt`, `given`, `solution`, `test`, `exercise_notebook`)
write that format with nbformat; the readers (`role_of`, `grade_id_of`,
`points_of`) and the region tools (`clear_solution_regions`,
`remove_hidden_tests`) read it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SCHEMA_VERSION = 3
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
# What nbgrader puts in place of a solution region in Python code.
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
# nbgrader finds its markers anywhere in a line, so we do too.
_SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
_HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
GRADE_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")

# Roles a cell can play, read from its nbgrader metadata.
ANSWER = "answer"  # the student writes here (solution cell)
TEST = "test"  # autograded: passes when it raises nothing (grade cell)
LOCKED = "locked"  # read-only: prompts and given code
MANUAL = "manual"  # an answer graded by a person (solution and grade)


class ExerciseFormatError(ValueError):
    """An instructor notebook that breaks nbgrader's conventions."""


def nbgrader_metadata(
    grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None
) -> dict:
    """The ``metadata.nbgrader`` dictionary of one cell (schema version 3)."""
    if not GRADE_ID_PATTERN.match(grade_id) or len(grade_id) > 64:
        raise ExerciseFormatError(
            f"grade_id {grade_id!r} must be 1-64 letters, digits, '_' or '-' (nbgrader's rule)"
        )
    metadata = {
        "schema_version": SCHEMA_VERSION,
        "grade": grade,
        "solution": solution,
        "locked": locked,
        "grade_id": grade_id,
        "task": False,
    }
    if grade:
        if points is None or points < 0:
            raise ExerciseFormatError(f"grade cell {grade_id!r} needs points >= 0, got {points!r}")
        metadata["points"] = points
    return metadata


def _cell(cell: NotebookNode, grade_id: str, metadata: dict) -> NotebookNode:
    cell.id = grade_id  # a stable id keeps every build byte-identical
    cell.metadata = {"nbgrader": metadata}
    return cell


def prompt(text: str, grade_id: str) -> NotebookNode:
    """A locked markdown cell: instructions the student reads but cannot change."""
    metadata = nbgrader_metadata(grade_id, grade=False, solution=False, locked=True)
    return _cell(new_markdown_cell(text.strip("\n")), grade_id, metadata)


def given(code: str, grade_id: str) -> NotebookNode:
    """A locked code cell: code the student runs as it is (imports, data, helpers)."""
    metadata = nbgrader_metadata(grade_id, grade=False, solution=False, locked=True)
    return _cell(new_code_cell(code.strip("\n")), grade_id, metadata)


def solution(code: str, grade_id: str) -> NotebookNode:
    """An answer cell; mark the instructor's answer with BEGIN/END SOLUTION lines."""
    if BEGIN_SOLUTION not in code:
        raise ExerciseFormatError(f"answer cell {grade_id!r} has no {BEGIN_SOLUTION!r} region")
    metadata = nbgrader_metadata(grade_id, grade=False, solution=True, locked=False)
    return _cell(new_code_cell(code.strip("\n")), grade_id, metadata)


def test(code: str, grade_id: str, points: float) -> NotebookNode:
    """An autograded test cell worth ``points``; it passes when it raises nothing."""
    metadata = nbgrader_metadata(grade_id, grade=True, solution=False, locked=True, points=points)
    return _cell(new_code_cell(code.strip("\n")), grade_id, metadata)


test.__test__ = False  # a builder, not a pytest test function


def exercise_notebook(name: str, cells: Iterable[NotebookNode]) -> NotebookNode:
    """An instructor notebook for exercise ``name``, checked against nbgrader's rules."""
    notebook = new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            # Lets the grader find this exercise's extra checks (see catalogue).
            "autodiff_lab": {"exercise": name},
        },
    )
    notebook.cells = list(cells)  # after new_notebook, whose validation would rename twin ids
    problems = format_problems(notebook)
    if problems:
        raise ExerciseFormatError(f"exercise {name!r}: " + "; ".join(problems))
    return notebook


# ---------------------------------------------------------------------------
# Reading the format back


def nbgrader_of(cell) -> dict:
    """The cell's nbgrader metadata, or an empty dict."""
    metadata = cell.get("metadata", {}) if isinstance(cell, dict) else {}
    nbgrader = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return nbgrader if isinstance(nbgrader, dict) else {}


def grade_id_of(cell) -> str | None:
    grade_id = nbgrader_of(cell).get("grade_id")
    return grade_id if isinstance(grade_id, str) and grade_id else None


def role_of(cell) -> str | None:
    """ANSWER, TEST, LOCKED, MANUAL, or None for an ordinary cell."""
    metadata = nbgrader_of(cell)
    if not metadata:
        return None
    grade, answer = bool(metadata.get("grade")), bool(metadata.get("solution"))
    if grade and answer:
        return MANUAL
    if answer:
        return ANSWER
    if grade:
        return TEST
    if metadata.get("locked"):
        return LOCKED
    return None


def points_of(cell) -> float:
    points = nbgrader_of(cell).get("points", 0)
    return float(points) if isinstance(points, (int, float)) and not isinstance(points, bool) else 0


def is_exercise_notebook(notebook: NotebookNode) -> bool:
    return any(role_of(cell) in (ANSWER, TEST) for cell in notebook.cells)


def exercise_name_of(notebook: NotebookNode) -> str | None:
    name = notebook.metadata.get("autodiff_lab", {}).get("exercise")
    return name if isinstance(name, str) else None


def format_problems(notebook: NotebookNode) -> list[str]:
    """What breaks nbgrader's conventions in an instructor notebook (empty if none)."""
    problems = []
    seen: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        role = role_of(cell)
        source = cell.source
        has_solution = any(marker in source for marker in _SOLUTION_MARKERS)
        has_hidden = any(marker in source for marker in _HIDDEN_MARKERS)
        where = f"cell {index}"
        if role is not None:
            grade_id = grade_id_of(cell)
            where = f"cell {index} ({grade_id})"
            if grade_id is None or not GRADE_ID_PATTERN.match(grade_id):
                problems.append(f"{where}: grade_id must match {GRADE_ID_PATTERN.pattern}")
            elif grade_id in seen:
                problems.append(f"{where}: grade_id is used twice")
            seen.add(grade_id or "")
            if nbgrader_of(cell).get("schema_version") != SCHEMA_VERSION:
                problems.append(f"{where}: schema_version must be {SCHEMA_VERSION}")
        if has_solution and role not in (ANSWER, MANUAL):
            problems.append(f"{where}: a solution region outside an answer cell")
        if has_hidden and role != TEST:
            problems.append(f"{where}: hidden tests outside a test cell")
        if role in (TEST, MANUAL) and "points" not in nbgrader_of(cell):
            problems.append(f"{where}: a graded cell needs points")
        if role == TEST and cell.cell_type != "code":
            problems.append(f"{where}: a test cell must be a code cell")
        for markers, kind in ((_SOLUTION_MARKERS, "solution"), (_HIDDEN_MARKERS, "hidden test")):
            try:
                _strip_regions(source, markers, None)
            except ExerciseFormatError as error:
                problems.append(f"{where}: {kind} region: {error}")
    return problems


# ---------------------------------------------------------------------------
# Regions


def _strip_regions(source: str, markers: tuple[str, str], stub: str | None) -> str:
    """Drop each marked region (markers included), putting ``stub`` in its place."""
    begin, end = markers
    kept: list[str] = []
    inside = False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ExerciseFormatError(f"a second {begin!r} before {end!r}")
            inside = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                kept.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif end in line:
            if not inside:
                raise ExerciseFormatError(f"{end!r} without {begin!r}")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise ExerciseFormatError(f"{begin!r} without {end!r}")
    return "\n".join(kept)


def clear_solution_regions(source: str) -> str:
    """Replace each solution region with nbgrader's stub, at the region's indent."""
    return _strip_regions(source, _SOLUTION_MARKERS, CODE_STUB)


def remove_hidden_tests(source: str) -> str:
    """Remove each hidden-test region, markers included."""
    return _strip_regions(source, _HIDDEN_MARKERS, None)


def dumps(notebook: NotebookNode) -> str:
    """The notebook as text, byte-identical for identical notebooks."""
    return nbformat.writes(notebook) + "\n"
