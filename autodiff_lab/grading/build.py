"""Build instructor notebooks from exercise definitions: the package's, or a course folder's.

For each definition (``NAME``, ``cells()``, ``CASES``; see exercises/README.md)
the build writes the instructor notebook (``source/<name>.ipynb``: test cells
with their hidden tests) and, for a course's own exercise, the stored fixed
cases (``catalogue/<name>_cases.py``). A course's own exercise also gets a
first locked code cell that hands its catalogue and fixed cases to the
kernel (`catalogue.use_exercise`), so the released notebook carries its own
checks: the student's ``check`` and the grader's probes find them by name
without the course folder, and since the grader takes locked cells from the
source, a student cannot change them. The referee never enters a notebook.

    autodiff-lab build --course COURSE [--check]

After writing, `verify` runs each of the course's own exercises in this
process, as the package's tests run ours: every part must pass on the
solution (its fixed cases and its hidden tests), fail on the student's stub,
and each mistake of ``MISTAKES`` must fail exactly the parts it names and say
what it promises. An exercise that does not is reported, so an instructor
learns it before a student does.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import catalogue, referee
from .authoring import fixed_cases_text, mistaken_answers
from .check import run_checks
from .course import Course, CourseError, ExerciseModules
from .files import write_atomically
from .notebook_format import (
    ANSWER,
    TEST,
    dumps,
    exercise_notebook,
    given,
    grade_id_of,
    role_of,
)
from .release import release_notebook

CHECKS_CELL_ID = "exercise_checks"


@dataclass(frozen=True)
class BuildResult:
    """What `build_course` did (or, with ``check=True``, would do) to one file."""

    target: Path
    status: str  # "unchanged", "written", "created", "differs" or "missing"


def load_definition(path: Path):
    """The definition module at ``path`` (it may import the course's registered referee)."""
    spec = importlib.util.spec_from_file_location(f"exercise_definition_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CourseError(f"cannot load the definition {path}")
    definition = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(definition)
    except Exception as error:
        raise CourseError(f"the definition {path}: {type(error).__name__}: {error}") from error
    for needed in ("NAME", "cells"):
        if not hasattr(definition, needed):
            raise CourseError(f"the definition {path} defines no {needed}")
    if definition.NAME != path.stem:
        raise CourseError(f"the definition {path} names its exercise {definition.NAME!r}")
    return definition


def checks_cell(name: str, catalogue_text: str, cases_text: str) -> NotebookNode:
    """The locked cell that registers a course exercise's checks in the kernel."""
    code = (
        "# This exercise's checks (its catalogue and fixed cases), written by autodiff-lab build.\n"
        "from autodiff_lab.grading.catalogue import use_exercise\n"
        "\n"
        f"use_exercise({name!r}, {catalogue_text!r}, {cases_text!r})"
    )
    cell = given(code, CHECKS_CELL_ID)
    cell.metadata["jupyter"] = {"source_hidden": True}  # long and not for reading
    return cell


def with_checks_cell(cells: list[NotebookNode], cell: NotebookNode) -> list[NotebookNode]:
    """``cells`` with ``cell`` before the first code cell."""
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    return [*cells[:first_code], cell, *cells[first_code:]]


def built_texts(course: Course) -> dict[Path, str]:
    """Path -> text of every file built from the course's definitions."""
    texts: dict[Path, str] = {}
    by_name = {exercise.name: exercise for exercise in course.exercises()}
    definitions = sorted(course.definitions.glob("*.py"))
    if not definitions:
        raise CourseError(f"no definitions in {course.definitions}/")
    for path in definitions:
        exercise = by_name.get(path.stem)
        if exercise is None:
            raise CourseError(
                f"{path} defines no exercise of the package, and the course has no "
                f"catalogue/{path.stem}.py and referee/{path.stem}.py for it"
            )
        texts.update(_exercise_texts(course, exercise, path))
    return texts


def _exercise_texts(course: Course, exercise: ExerciseModules, path: Path) -> dict[Path, str]:
    texts = {}
    exercise.register(with_cases=False)
    definition = load_definition(path)
    cells = list(definition.cells())
    if exercise.own:
        cases_text = fixed_cases_text(exercise.name, getattr(definition, "CASES", {}))
        catalogue.use_exercise(
            exercise.name, exercise.catalogue_text(), cases_text, os.fspath(exercise.catalogue_path)
        )
        texts[exercise.cases_path] = cases_text
        cells = with_checks_cell(
            cells, checks_cell(exercise.name, exercise.catalogue_text(), cases_text)
        )
    notebook = exercise_notebook(exercise.name, cells)
    if not any(role_of(cell) == TEST for cell in notebook.cells):
        raise CourseError(f"the definition {path} has no test cell (authoring.test_cell)")
    if not any(role_of(cell) == ANSWER for cell in notebook.cells):
        raise CourseError(f"the definition {path} has no answer cell (notebook_format.solution)")
    texts[course.source_dir / f"{exercise.name}.ipynb"] = dumps(notebook)
    return texts


def build_course(course: Course, *, check: bool = False) -> list[BuildResult]:
    """Write (or with ``check=True`` only compare) every file built from the definitions."""
    results = []
    for target, text in built_texts(course).items():
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            status = "unchanged"
        elif check:
            status = "missing" if current is None else "differs"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, text)
            status = "created" if current is None else "written"
        results.append(BuildResult(target, status))
    return results


# -- verifying a course's own exercises ---------------------------------------------------------


def _namespace(notebook: NotebookNode, answers: dict[str, str] | None = None) -> dict:
    """Run a notebook's code cells but its tests in one fresh namespace (the instructor's
    own code, in this process); ``answers`` replace answer cells by grade_id."""
    namespace: dict = {"__name__": "__main__"}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or role_of(cell) == TEST:
            continue
        text = (answers or {}).get(grade_id_of(cell), cell.source)
        try:
            exec(compile(text, f"<cell {index}>", "exec"), namespace)
        except Exception:  # noqa: BLE001 - a stub or a mistake may raise; the checks say so
            pass
    return namespace


def verify(course: Course) -> list[str]:
    """What is wrong with the course's own exercises (empty if nothing): see the module."""
    problems = []
    for exercise in course.exercises():
        if not exercise.own:
            continue
        path = course.source_dir / f"{exercise.name}.ipynb"
        if not path.is_file():
            continue
        source = nbformat.read(path, as_version=4)
        definition = load_definition(course.definitions / f"{exercise.name}.py")
        problems += _verify_exercise(exercise.name, source, definition)
    return problems


def _verify_exercise(name: str, source: NotebookNode, definition) -> list[str]:
    problems = []
    parts = catalogue.parts(name)
    solved = _namespace(source)
    for part in parts:
        if not run_checks(part.name, solved).passed:
            problems.append(f"{name}: the solution fails {part.name}'s fixed cases")
        hidden = referee.hidden_cases(name, part.grade_id)
        if hidden and not run_checks(part.name, solved, hidden).passed:
            problems.append(f"{name}: the solution fails {part.name}'s hidden tests")
    stub = _namespace(release_notebook(source))
    for part in parts:
        if run_checks(part.name, stub).passed:
            problems.append(f"{name}: the student's stub passes {part.name}")
    for title, mistake in getattr(definition, "MISTAKES", {}).items():
        try:
            answers = mistaken_answers(source, mistake)
        except (ValueError, KeyError) as error:
            problems.append(f"{name}: mistake {title!r}: {error}")
            continue
        wrong = _namespace(source, answers)
        for part in parts:
            report = run_checks(part.name, wrong)
            if part.name in mistake.fails:
                text = report.text()
                if report.passed:
                    problems.append(f"{name}: mistake {title!r} passes {part.name}")
                missing = [phrase for phrase in mistake.shows if phrase not in text]
                if missing and not report.passed:
                    problems.append(
                        f"{name}: mistake {title!r}: {part.name}'s check does not say "
                        + ", ".join(repr(phrase) for phrase in missing)
                    )
            elif not report.passed:
                problems.append(f"{name}: mistake {title!r} also fails {part.name}")
    return problems
