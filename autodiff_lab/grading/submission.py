"""Reading a submitted notebook safely, and rebuilding it around the instructor's cells.

`load_submission` checks the file step by step (a regular file and not a
link, not empty, not too big, JSON, not nested too deeply, an object, a
notebook with not too many cells, valid) and raises `SubmissionError` with a
reason a person can act on. `assemble` rebuilds the notebook to run: every
locked and test cell comes from the instructor's source (the test cells with
their hidden tests, which run and count), the answers and any extra cells come
from the student, matched by grade_id. The solutions never enter the
student's run, so no trick in the kernel can read them.
"""

from __future__ import annotations

import json
import os
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from .notebook_format import ANSWER, MANUAL, grade_id_of, role_of
from .release import release_notebook

MAX_SUBMISSION_BYTES = 20 * 2**20
MAX_CELLS = 400
MAX_NESTING = 64  # JSON depth; a notebook needs about 6
ANSWER_ROLES = (ANSWER, MANUAL)


class SubmissionError(ValueError):
    """A submission that cannot be graded; the message says why, for a person."""


def load_submission(path: str | os.PathLike, max_bytes: int = MAX_SUBMISSION_BYTES) -> NotebookNode:
    """The submitted notebook, or `SubmissionError` saying what is wrong with the file."""
    return read_submission(path, max_bytes)[0]


def read_submission(
    path: str | os.PathLike, max_bytes: int = MAX_SUBMISSION_BYTES
) -> tuple[NotebookNode, bytes]:
    """The notebook and the exact bytes it was read from (opened once, links refused)."""
    path = Path(path)
    if path.is_symlink():
        raise SubmissionError("a symbolic link, which the grader does not follow")
    if not path.exists():
        raise SubmissionError("the file does not exist")
    if not path.is_file():
        raise SubmissionError("not a file")
    try:
        handle = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError as error:
        raise SubmissionError(f"the file cannot be opened ({error.strerror})") from None
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise SubmissionError("not a regular file")
        raw = stream.read(max_bytes + 1)
    if not raw:
        raise SubmissionError("the file is empty (0 bytes)")
    if len(raw) > max_bytes:
        raise SubmissionError(f"the file is over the {max_bytes // 2**20} MB limit")
    return parse_submission(raw), raw


def display_name(path: str | os.PathLike) -> str:
    """A file name that can always be printed and written as UTF-8: odd bytes escaped, and
    a backslash doubled first, so two different names never print the same."""
    text = os.fsdecode(path).replace("\\", "\\\\")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def parse_submission(raw: bytes) -> NotebookNode:
    """Check the bytes of a submission before nbformat sees them."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SubmissionError("not a text file (it is not UTF-8), so not a notebook") from None
    if not text.strip():
        raise SubmissionError("the file holds only blank space")
    if _nesting_depth(text) > MAX_NESTING:
        raise SubmissionError(f"JSON nested more than {MAX_NESTING} levels deep, not a notebook")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "the notebook may have been cut off or edited as text"
        ) from None
    except (ValueError, RecursionError) as error:  # e.g. an integer of 100,000 digits
        raise SubmissionError(f"not a readable notebook ({str(error)[:80]})") from None
    if not isinstance(data, dict):
        raise SubmissionError(f"JSON, but a {type(data).__name__} rather than a notebook")
    if not data:
        raise SubmissionError("an empty JSON object ({}), not a notebook")
    if not isinstance(data.get("cells"), list) or "nbformat" not in data:
        raise SubmissionError("JSON, but not a notebook: it has no 'cells' list or 'nbformat'")
    if data.get("nbformat") != 4:
        raise SubmissionError(
            f"notebook format {str(data.get('nbformat'))[:20]}; expected version 4"
        )
    if len(data["cells"]) > MAX_CELLS:
        raise SubmissionError(
            f"the notebook has {len(data['cells'])} cells, over the limit of {MAX_CELLS}"
        )
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds for bad notebooks
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise SubmissionError(f"not a valid notebook: {first_line[:200]}") from None
    return notebook


def _nesting_depth(text: str) -> int:
    """The deepest bracket nesting outside strings, found without parsing (so without recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for character in text:
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif character in "]}":
            depth -= 1
    return deepest


@dataclass
class Assembly:
    """The notebook to run, and what the rebuild had to do."""

    notebook: NotebookNode
    notes: list[str] = field(default_factory=list)


def answer_ids(source: NotebookNode) -> list[str]:
    return [grade_id_of(cell) for cell in source.cells if role_of(cell) in ANSWER_ROLES]


def check_same_exercise(source: NotebookNode, submission: NotebookNode) -> None:
    """Refuse a notebook that shares none of the source's answer cells."""
    expected = set(answer_ids(source))
    found = {grade_id_of(cell) for cell in submission.cells} & expected
    if expected and not found:
        raise SubmissionError(
            "none of this exercise's answer cells are in the notebook "
            f"(looked for {', '.join(sorted(expected))}): a different exercise, or the "
            "cells' metadata was lost by copying them into a new notebook"
        )


def graded_skeleton(source: NotebookNode, keep_solutions: bool = False) -> NotebookNode:
    """The source as the grader runs it: no solutions (unless asked), hidden tests kept."""
    return release_notebook(source, keep_hidden_tests=True, keep_solutions=keep_solutions)


def assemble(source: NotebookNode, submission: NotebookNode) -> Assembly:
    """Rebuild ``submission`` on the graded skeleton of ``source``, by grade_id: locked and
    test cells (hidden tests included) from the source, answers and extra cells from the
    student. The solutions never enter."""
    check_same_exercise(source, submission)
    source = graded_skeleton(source)
    stubs = {grade_id_of(cell): cell for cell in source.cells}
    source_ids = {grade_id_of(cell) for cell in source.cells} - {None}
    answers = set(answer_ids(source))
    notes: list[str] = []
    student_answers: dict[str, NotebookNode] = {}
    extras_after: dict[str | None, list[NotebookNode]] = defaultdict(list)
    last_known: str | None = None
    for cell in submission.cells:
        grade_id = grade_id_of(cell)
        if grade_id in source_ids:
            if grade_id in answers:
                if grade_id in student_answers:
                    notes.append(f"answer cell {grade_id} appears twice; the first one was used")
                    continue
                student_answers[grade_id] = cell
            last_known = grade_id  # locked and test cells anchor extras but are not kept
        else:
            extras_after[last_known].append(_plain_copy(cell))

    cells = list(extras_after[None])
    for cell in source.cells:
        grade_id = grade_id_of(cell)
        if grade_id in answers:
            if grade_id in student_answers:
                cell = _answer_from(student_answers[grade_id], cell)
            else:
                notes.append(f"answer cell {grade_id} is missing; graded as left blank")
                cell = stubs[grade_id]
        cells.append(_fresh(cell))
        cells.extend(extras_after.get(grade_id, []) if grade_id else [])
    for index, cell in enumerate(cells):
        cell.id = f"cell-{index}"
    notebook = new_notebook(cells=cells, metadata=source.metadata)
    return Assembly(notebook, notes)


def _answer_from(student_cell: NotebookNode, source_cell: NotebookNode) -> NotebookNode:
    """The student's text in the source's cell (type and metadata from the source)."""
    fresh = _fresh(source_cell)
    fresh.source = _text(student_cell.get("source", ""))
    return fresh


def _fresh(cell: NotebookNode) -> NotebookNode:
    """A clean copy of a cell: source, type and nbgrader metadata, no outputs."""
    metadata = {"nbgrader": dict(cell.metadata["nbgrader"])} if "nbgrader" in cell.metadata else {}
    if cell.cell_type == "code":
        return new_code_cell(cell.source, metadata=metadata)
    if cell.cell_type == "markdown":
        return new_markdown_cell(cell.source, metadata=metadata)
    return new_raw_cell(cell.source, metadata=metadata)


def _plain_copy(cell: NotebookNode) -> NotebookNode:
    """A student's own cell, stripped of metadata (tags such as skip-execution included)."""
    source = _text(cell.get("source", ""))
    if cell.get("cell_type") == "code":
        return new_code_cell(source)
    if cell.get("cell_type") == "markdown":
        return new_markdown_cell(source)
    return new_raw_cell(source)


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)
