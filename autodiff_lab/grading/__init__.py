"""Exercises: nbgrader-style notebooks, student self-checks and an autograder.

* ``check("tanh")`` in an exercise notebook runs that part's visible tests on
  the student's objects and explains any failure (`check`).
* ``release`` makes student versions of instructor notebooks (`release`).
* ``grade`` runs submissions in sandboxed kernels and scores them by grade_id
  (`autograder`). It loads nbclient, so it is imported only when used.
"""

from __future__ import annotations

from .check import CheckReport, check, part_names, run_checks
from .release import release, release_notebook

__all__ = [
    "CheckReport",
    "GradeOptions",
    "SubmissionResult",
    "check",
    "grade",
    "part_names",
    "release",
    "release_notebook",
    "run_checks",
]


def __getattr__(name: str):
    if name in ("grade", "GradeOptions", "SubmissionResult"):
        from . import autograder

        return getattr(autograder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
