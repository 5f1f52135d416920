"""Exercises from an instructor's course folder: where each exercise's modules come from.

A course folder holds exercises written outside the package, laid out as the
package's own are:

    COURSE/
      definitions/<name>.py       the cells, CASES and MISTAKES (exercises/definitions/ format)
      catalogue/<name>.py         kernel side: PARTS, ENGINE, EXPORTS (safe to show a student)
      referee/<name>.py           grader side: sample, reference, mistakes (never in a sandbox)
      catalogue/<name>_cases.py   written by `autodiff-lab build --course COURSE`
      source/<name>.ipynb         written by `autodiff-lab build --course COURSE`
      release/<name>.ipynb        written by `autodiff-lab release --course COURSE`

A definition without a catalogue module of its own is one of the package's
exercises (``autodiff-lab exercises DIR`` copies them out that way): its
modules are the package's. `ExerciseModules` names, for one exercise, where
its catalogue, cases and referee come from; `load_course` registers a
folder's own exercises with `catalogue.use_exercise` and `referee.use_referee`,
so everything that reads an exercise by name (build, check, probes, grading)
finds them. The referee is loaded in the grader's process only; the sandbox
never sees the course folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import catalogue, referee

DEFINITIONS = "definitions"
CATALOGUE = "catalogue"
REFEREE = "referee"
SOURCE = "source"
RELEASE = "release"


class CourseError(ValueError):
    """A course folder that cannot be used; the message says why."""


@dataclass(frozen=True)
class ExerciseModules:
    """Where one exercise's modules come from: the package (``folder`` None) or a course folder."""

    name: str
    folder: Path | None = None

    @property
    def own(self) -> bool:
        """True for an exercise of the course's own (its modules are files in the folder)."""
        return self.folder is not None and self.catalogue_path.is_file()

    @property
    def catalogue_path(self) -> Path:
        """The kernel side's file (only for a course's own exercise)."""
        return self._in(CATALOGUE, f"{self.name}.py")

    @property
    def cases_path(self) -> Path:
        """The stored fixed cases' file (only for a course's own exercise)."""
        return self._in(CATALOGUE, f"{self.name}_cases.py")

    @property
    def referee_path(self) -> Path:
        """The grader side's file (only for a course's own exercise)."""
        return self._in(REFEREE, f"{self.name}.py")

    def _in(self, *parts: str) -> Path:
        if self.folder is None:
            raise ValueError(f"{self.name!r} is the package's own exercise: its modules are in it")
        return self.folder.joinpath(*parts)

    def catalogue_text(self) -> str:
        """The text of the catalogue module (a course's own exercise)."""
        return self.catalogue_path.read_text(encoding="utf-8")

    def cases_text(self) -> str:
        """The text of the stored fixed cases, or "" before the first build."""
        path = self.cases_path
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def register(self, with_cases: bool = True) -> None:
        """Make this exercise known by name in this process (kernel side and grader side);
        ``with_cases=False`` leaves its stored cases out (a build writes them anew)."""
        if not self.own:
            return
        if not self.referee_path.is_file():
            raise CourseError(
                f"exercise {self.name!r} has {self.catalogue_path} but no referee "
                f"({self.referee_path}): the grader needs its references"
            )
        origin = os.fspath(self.catalogue_path)
        try:
            cases = self.cases_text() if with_cases else ""
            catalogue.use_exercise(self.name, self.catalogue_text(), cases, origin)
            referee.use_referee(self.name, self.referee_path)
        except Exception as error:  # noqa: BLE001 - an instructor's file: say which and why
            raise CourseError(
                f"exercise {self.name!r} of {self.folder}: {type(error).__name__}: {error}"
            ) from None


@dataclass(frozen=True)
class Course:
    """A course folder and its exercises."""

    folder: Path

    @property
    def definitions(self) -> Path:
        """The folder of the exercises' definitions."""
        return self.folder / DEFINITIONS

    @property
    def source_dir(self) -> Path:
        """Where the built instructor notebooks go."""
        return self.folder / SOURCE

    @property
    def release_dir(self) -> Path:
        """Where the student notebooks go."""
        return self.folder / RELEASE

    def exercises(self) -> list[ExerciseModules]:
        """Every exercise of the folder: its own (catalogue modules), then the package's it holds
        definitions or sources of, by name."""
        own = sorted(
            path.stem
            for path in (self.folder / CATALOGUE).glob("*.py")
            if not path.stem.endswith("_cases") and not path.stem.startswith("_")
        )
        named = {path.stem for path in self.definitions.glob("*.py")}
        named |= {path.stem for path in self.source_dir.glob("*.ipynb")}
        package = sorted(name for name in named - set(own) if name in catalogue.EXERCISES)
        return [ExerciseModules(name, self.folder) for name in own] + [
            ExerciseModules(name) for name in package
        ]

    def load(self) -> Course:
        """Register the course's own exercises in this process; returns the course."""
        for exercise in self.exercises():
            exercise.register()
        return self

    def unload(self) -> None:
        """Forget the course's own exercises in this process again."""
        for exercise in self.exercises():
            if exercise.own:
                catalogue.forget_exercise(exercise.name)
                referee.forget_referee(exercise.name)


def load_course(folder: str | os.PathLike) -> Course:
    """The course in ``folder``, its own exercises registered (see the module's docstring)."""
    path = Path(folder).resolve()
    if not path.is_dir():
        raise CourseError(f"the course folder {folder} does not exist")
    if not (path / DEFINITIONS).is_dir() and not (path / SOURCE).is_dir():
        raise CourseError(
            f"{folder} holds neither {DEFINITIONS}/ nor {SOURCE}/: not a course folder "
            "(see exercises/README.md, 'Your own exercises')"
        )
    return Course(path).load()
