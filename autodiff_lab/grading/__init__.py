"""Exercises: nbgrader-style notebooks, student self-checks and an autograder.

* ``check("tanh")`` in an exercise notebook runs that part's visible tests on
  the student's objects and explains any failure (`check`).
* ``release`` makes student versions of instructor notebooks (`release`).
* ``grade`` runs submissions in limited kernels and scores them by grade_id
  (`autograder`).
"""

from __future__ import annotations

from .check import CheckReport, check, part_names, run_checks

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


# Loaded on first use: `check` runs in every student notebook and should start fast,
# while nbformat (for release) and nbclient (for grading) take a second or more to import.
_LAZY = {
    "grade": "autograder",
    "GradeOptions": "autograder",
    "SubmissionResult": "autograder",
    "release": "release",
    "release_notebook": "release",
}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
