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
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

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


def release_notebook(source: NotebookNode) -> NotebookNode:
    """The student version of an instructor notebook (the source is not changed)."""
    problems = format_problems(source)
    if problems:
        raise ExerciseFormatError("; ".join(problems))
    student = copy.deepcopy(source)
    for cell in student.cells:
        role = role_of(cell)
        if role in (ANSWER, MANUAL):
            cleared = clear_solution_regions(cell.source)
            if cleared == cell.source:  # no region: nbgrader replaces the whole cell
                cleared = CODE_STUB if cell.cell_type == "code" else "YOUR ANSWER HERE"
            cell.source = cleared
        elif role == TEST:
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


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _file_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual ones (mkstemp's are 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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
