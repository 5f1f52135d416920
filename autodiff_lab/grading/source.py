"""The instructor's source notebook, checked before anything runs.

`load_source` refuses a notebook that breaks nbgrader's conventions, that has
no test cells, or that has a test cell the grader cannot confirm with a probe
of its own. `own_tests` names the test cells whose text the grader did not
write from the exercise's cases: an instructor's own hidden tests (or edits),
which run and count like the rest, once the source's own solution has shown
that they pass in the grader's sandbox (see `batch`).
"""

from __future__ import annotations

import os

import nbformat

from .notebook_format import (
    TEST,
    exercise_name_of,
    format_problems,
    grade_id_of,
    points_of,
    role_of,
)
from .referee import has_probe
from .submission import SubmissionError, load_submission


class SourceError(ValueError):
    """The instructor notebook itself is unusable."""


def load_source(path: str | os.PathLike) -> nbformat.NotebookNode:
    """The instructor notebook, checked: graded cells with points, nbgrader's rules kept."""
    try:
        source = load_submission(path)
    except SubmissionError as error:
        raise SourceError(f"the source notebook {path}: {error}") from None
    problems = format_problems(source)
    if problems:
        raise SourceError(f"the source notebook {path}: " + "; ".join(problems))
    if not any(role_of(cell) == TEST for cell in source.cells):
        raise SourceError(f"the source notebook {path} has no test cells to grade")
    exercise = exercise_name_of(source)
    unconfirmable = [
        grade_id for grade_id, _ in test_cells(source) if not has_probe(exercise, grade_id)
    ]
    if unconfirmable:
        raise SourceError(
            f"the source notebook {path}: the grader has no check of its own for "
            f"{', '.join(unconfirmable)} (exercise {exercise!r}), so it could not confirm them; "
            "each test cell needs a part in autodiff_lab/grading/catalogue with its grade_id"
        )
    return source


def test_cells(source) -> list[tuple[str, float]]:
    """(grade_id, points) of each autograded test cell, in notebook order."""
    return [(grade_id_of(cell), points_of(cell)) for cell in source.cells if role_of(cell) == TEST]


test_cells.__test__ = False


def own_tests(source) -> list[str]:
    """grade_ids of test cells whose text is not what the exercise's cases generate."""
    from .authoring import test_source
    from .catalogue import part_for_grade_id

    exercise = exercise_name_of(source)
    own = []
    for cell in source.cells:
        if role_of(cell) != TEST:
            continue
        part = part_for_grade_id(exercise, grade_id_of(cell))
        if part is None or cell.source.strip() != test_source(exercise, part.name).strip():
            own.append(grade_id_of(cell))
    return own
