"""Student versions of instructor notebooks, made the way nbgrader makes them.

``release_notebook`` replaces every solution region with ``# YOUR CODE HERE``
and ``raise NotImplementedError()``, removes hidden tests, clears outputs and
execution counts, and locks cells as nbgrader's ``LockCells`` does; the
nbgrader metadata stays, so the grader can match answers back by grade_id.
The result depends only on the source, byte for byte.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .files import write_atomically
from .notebook_format import (
    ANSWER,
    CODE_STUB,
    LOCKED,
    MANUAL,
    TEST,
    ExerciseFormatError,
    clear_solution_regions,
    dumps,
    format_problems,
    remove_hidden_tests,
    role_of,
)

DEFAULT_SOURCE_DIR = Path("exercises/source")
DEFAULT_RELEASE_DIR = Path("exercises/release")


def release_notebook(
    source: NotebookNode, *, keep_hidden_tests: bool = False, keep_solutions: bool = False
) -> NotebookNode:
    """The student version of an instructor notebook (the source is not changed).

    The grader builds its runs from ``keep_hidden_tests=True`` (the hidden tests run
    and count, the solutions do not enter); ``keep_solutions=True`` too gives the
    source itself, outputs cleared and cells locked.
    """
    problems = format_problems(source)
    if problems:
        raise ExerciseFormatError("; ".join(problems))
    student = copy.deepcopy(source)
    for cell in student.cells:
        role = role_of(cell)
        if role in (ANSWER, MANUAL) and not keep_solutions:
            cleared = clear_solution_regions(cell.source)
            if cleared == cell.source:  # no region: nbgrader replaces the whole cell
                cleared = CODE_STUB if cell.cell_type == "code" else "YOUR ANSWER HERE"
            cell.source = cleared
        elif role == TEST and not keep_hidden_tests:
            cell.source = remove_hidden_tests(cell.source)
        _lock(cell, role)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return student


def _lock(cell: NotebookNode, role: str | None) -> None:
    """Jupyter's own flags, set the way nbgrader's LockCells sets them."""
    if role in (ANSWER, MANUAL):
        cell.metadata["deletable"] = False
    elif role in (TEST, LOCKED):
        cell.metadata["deletable"] = False
        cell.metadata["editable"] = False


def release_text(source_path: str | os.PathLike) -> str:
    """The student version of one source file, as the text to save."""
    source = nbformat.read(os.fspath(source_path), as_version=nbformat.NO_CONVERT)
    return dumps(release_notebook(source))


@dataclass(frozen=True)
class ReleaseResult:
    """What `release` did (or, with ``check=True``, would do) to one file."""

    source: Path
    target: Path
    status: str  # "unchanged", "written", "created", "differs" or "missing"


def release(
    sources: list[Path] | None = None,
    release_dir: Path = DEFAULT_RELEASE_DIR,
    *,
    check: bool = False,
) -> list[ReleaseResult]:
    """Write (or with ``check=True`` only compare) the student version of each source.

    ``sources`` defaults to every notebook in ``exercises/source``.
    """
    if sources is None:
        sources = sorted(DEFAULT_SOURCE_DIR.glob("*.ipynb"))
    results = []
    for source in sources:
        target = Path(release_dir) / Path(source).name
        text = release_text(source)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            status = "unchanged"
        elif check:
            status = "missing" if current is None else "differs"
        else:
            write_atomically(target, text)
            status = "created" if current is None else "written"
        results.append(ReleaseResult(Path(source), target, status))
    return results
