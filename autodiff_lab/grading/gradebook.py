"""The grades JSON that ``autodiff-lab grade --json`` writes, read back for exports and feedback.

`load_grades` checks the few fields that exports and feedback pages read, so a
file that is not a grades report is refused with a reason instead of giving
an empty gradebook.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class ExportError(ValueError):
    """A grades file that cannot be exported; the message says why."""


def load_grades(path: str | os.PathLike) -> dict:
    """The grades report at ``path``, checked."""
    try:
        grades = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExportError(f"cannot read the grades {path}: {error}") from None
    if not isinstance(grades, dict) or not isinstance(grades.get("submissions"), list):
        raise ExportError(f"{path} is not a grades report of `autodiff-lab grade --json`")
    for entry in grades["submissions"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("tests"), list):
            raise ExportError(f"{path}: a submission without its tests")
    return grades


def assignment_name(grades: dict, override: str | None = None) -> str:
    """The assignment's name: given, else the report's, else the source's file name."""
    if override:
        return override
    return grades.get("assignment") or Path(str(grades.get("source", "assignment"))).stem


def max_total(grades: dict) -> float:
    """The assignment's maximum score."""
    if grades.get("max_total"):
        return float(grades["max_total"])
    return max((float(entry.get("max_total", 0)) for entry in grades["submissions"]), default=0)


def number(value: float) -> str:
    """A score as a gradebook reads it: 3, 2.5."""
    return f"{float(value):g}"
