"""Build student submissions for grading tests, with nbformat (never hand-written JSON)."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from autodiff_lab.grading.notebook_format import ANSWER, TEST, grade_id_of, role_of
from autodiff_lab.grading.release import release_notebook

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "exercises" / "source"
RELEASES = ROOT / "exercises" / "release"


def source(name: str) -> nbformat.NotebookNode:
    return nbformat.read(SOURCES / f"{name}.ipynb", as_version=4)


def solved(name: str) -> nbformat.NotebookNode:
    """A student notebook whose answers are the instructor's (the release with them filled in)."""
    answers = {
        grade_id_of(cell): cell.source for cell in source(name).cells if role_of(cell) == ANSWER
    }
    return submission(name, answers)


def submission(
    name: str,
    answers: dict[str, str] | None = None,
    *,
    extra_after: dict[str, list[str]] | None = None,
    replace_tests: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
    base: nbformat.NotebookNode | None = None,
) -> nbformat.NotebookNode:
    """The released notebook with answers filled in, extra code cells and edits."""
    notebook = copy.deepcopy(base) if base is not None else release_notebook(source(name))
    cells = []
    for cell in notebook.cells:
        grade_id = grade_id_of(cell)
        if grade_id in drop:
            continue
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
        if replace_tests and grade_id in replace_tests:
            cell.source = replace_tests[grade_id]
        cells.append(cell)
        for code in (extra_after or {}).get(grade_id, []):
            cells.append(new_code_cell(code))
    notebook.cells = cells
    return notebook


# As root, the grading modules that count a batch's surviving processes grade under user
# ids from here, and the term tests (term.TERM_UID_OFFSET) from the upper half, so the two
# can run side by side on two test workers without one seeing the other's kernels.
UID_OFFSETS = (0, 900)


def grade_argv(
    source: Path, inputs, csv_path: Path, json_path: Path, jobs: int, timeout: float
) -> list[str]:
    """``autodiff-lab grade`` of ``inputs`` (files or folders), quietly, with the
    tests' memory cap of 768 MB and a cell timeout of ``timeout`` seconds, as root under
    user ids in the lower half of the sandbox range (`UID_OFFSETS`)."""
    return [
        "grade",
        "--uid-offset",
        str(random.randrange(*UID_OFFSETS)),
        "--source",
        str(source),
        *map(str, inputs),
        "--out",
        str(csv_path),
        "--json",
        str(json_path),
        "--jobs",
        str(jobs),
        "--timeout",
        str(timeout),
        "--memory-mb",
        "768",
        "--quiet",
    ]


def save(notebook: nbformat.NotebookNode, path: Path) -> Path:
    nbformat.write(notebook, path)
    return path


def run_in_process(
    notebook: nbformat.NotebookNode, *, until: str | None = None, tests: bool = True
) -> dict:
    """Execute a notebook's code cells in one fresh namespace, stopping before ``until``.

    With ``tests=False`` the test cells are skipped.

    Cells run in order, as a kernel would run them, but in this process: quick for
    tests that check our exercises' code rather than the kernel machinery.
    """
    namespace: dict = {"__name__": "__main__"}
    for index, cell in enumerate(notebook.cells):
        if grade_id_of(cell) == until:
            break
        if cell.cell_type == "code" and (tests or role_of(cell) != TEST):
            exec(compile(cell.source, f"<cell {index} {grade_id_of(cell)}>", "exec"), namespace)
    return namespace


def definition(name: str):
    """The exercise's definition module (exercises/definitions/<name>.py)."""
    import importlib.util

    path = ROOT / "exercises" / "definitions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"definition_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mistakes() -> list[tuple[str, str, object]]:
    """(exercise, name, Mistake) for every wrong answer of every definition's corpus."""
    from autodiff_lab.grading.catalogue import EXERCISES

    return [
        (exercise, name, mistake)
        for exercise in EXERCISES
        for name, mistake in definition(exercise).MISTAKES.items()
    ]


def mistaken(exercise: str, mistake) -> nbformat.NotebookNode:
    """The solved notebook with ``mistake``'s answers in place of the solution's."""
    from autodiff_lab.grading.authoring import mistaken_answers

    answers = mistaken_answers(source(exercise), mistake)
    return submission(exercise, answers, base=solved(exercise))


def run_nbgrader(course: Path, *args: str, timeout: float = 1200):
    """``nbgrader ARGS`` in ``course``, as an instructor runs it (never as a graded kernel)."""
    import os
    import subprocess
    import sys

    bin_dir = Path(sys.executable).parent
    # nbgrader calls `alembic` through PATH, so the environment's bin/ must be on it.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("NBGRADER_EXECUTION", "AUTODIFF_LAB_GRADING"):
        env.pop(name, None)
    return subprocess.run(
        [str(bin_dir / "nbgrader"), *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
