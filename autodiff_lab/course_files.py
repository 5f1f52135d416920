"""The course that ships with the package: lessons, START-HERE and the exercises' sources.

A wheel carries them as package data under ``autodiff_lab/course/`` (setup.py
copies them in when it builds); a checkout of the repository has them at its
root. `course_root` finds whichever there is, and the two copy-out commands
write them into a folder of the user's:

* ``autodiff-lab lessons DIR``: ``START-HERE.ipynb``, ``notebooks/*.ipynb`` and
  the student notebooks ``exercises/release/*.ipynb`` (START-HERE links to both);
* ``autodiff-lab exercises DIR``: ``source/*.ipynb`` (the instructor notebooks,
  with solutions and hidden tests), ``definitions/*.py`` and ``README.md``: a
  course folder that ``autodiff-lab build``, ``release`` and ``grade --course DIR``
  work on.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

PACKAGED = "course"  # autodiff_lab/course/ in a wheel

# (folder in the course, file pattern, folder it goes to) for each command.
LESSONS = (
    (".", "START-HERE.ipynb", "."),
    ("notebooks", "*.ipynb", "notebooks"),
    ("exercises/release", "*.ipynb", "exercises/release"),
)
EXERCISES = (
    ("exercises/source", "*.ipynb", "source"),
    ("exercises/definitions", "*.py", "definitions"),
    ("exercises", "README.md", "."),
)


class CourseFilesError(OSError):
    """The course's files cannot be found or copied; the message says why."""


def course_root() -> Path:
    """The folder holding ``START-HERE.ipynb``, ``notebooks/`` and ``exercises/``."""
    package = Path(__file__).resolve().parent
    for candidate in (package / PACKAGED, package.parent):
        if (candidate / "START-HERE.ipynb").is_file() and (candidate / "exercises").is_dir():
            return candidate
    raise CourseFilesError(
        "this installation of autodiff-lab holds no course files (neither a wheel's "
        f"{package / PACKAGED} nor a checkout of the repository)"
    )


def _copy(plan, target: str | os.PathLike, overwrite: bool) -> list[Path]:
    root = course_root()
    target = Path(target)
    pairs = [
        (path, target / destination / path.name)
        for folder, pattern, destination in plan
        for path in sorted((root / folder).glob(pattern))
        if path.is_file()
    ]
    if not pairs:
        raise CourseFilesError(f"no course files found under {root}")
    taken = [str(to) for _, to in pairs if to.exists()]
    if taken and not overwrite:
        raise CourseFilesError(
            f"{len(taken)} file(s) are already there, such as {taken[0]}; "
            "choose an empty folder, or --force to overwrite them"
        )
    for origin, to in pairs:
        to.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, to)
    return [to for _, to in pairs]


def copy_lessons(target: str | os.PathLike, overwrite: bool = False) -> list[Path]:
    """Copy START-HERE, the lessons and the student notebooks into ``target``."""
    return _copy(LESSONS, target, overwrite)


def copy_exercises(target: str | os.PathLike, overwrite: bool = False) -> list[Path]:
    """Copy the instructor sources and definitions into ``target``, as a course folder."""
    return _copy(EXERCISES, target, overwrite)
