"""The batch's reports: a CSV row and a JSON entry per submission, written atomically.

A row names the student (id, name, email, section, where known), the file, its
modification time and when it was graded, the points and maximum of each part,
the total and its maximum, and the reason for anything lost. The JSON adds
each test's feedback, the assignment's parts and the batch's summary, which
`autodiff-lab export` and the feedback files read.

Only the grader's own words reach them (see `feedback`), and a text cell that a
spreadsheet would run as a formula starts with a single quote (OWASP's advice).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import asdict
from pathlib import Path

from .files import write_atomically
from .results import SubmissionResult
from .roster import summary, summary_line

IDENTITY_COLUMNS = ("student_id", "name", "email", "section")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def part_points(results: list[SubmissionResult], grade_ids) -> list[tuple[str, float]]:
    """(grade_id, maximum) of each part: from ``grade_ids`` if it holds pairs, else the results."""
    pairs = []
    for item in grade_ids:
        if isinstance(item, (tuple, list)):
            pairs.append((str(item[0]), float(item[1])))
            continue
        points = next(
            (test.points for result in results for test in result.tests if test.grade_id == item),
            0.0,
        )
        pairs.append((str(item), float(points)))
    return pairs


def csv_text(results: list[SubmissionResult], grade_ids) -> str:
    """One row per submission (see the module's docstring); ``grade_ids`` are the parts, as
    names or as (grade_id, points) pairs."""
    parts = part_points(results, grade_ids)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["submission", *IDENTITY_COLUMNS, "modified", "graded_at"]
    for grade_id, _ in parts:
        header += [grade_id, f"{grade_id} max"]
    writer.writerow([*header, "total", "total max", "reason"])
    for result in results:
        scores = result.scores
        row = [spreadsheet_safe(result.submission)]
        row += [spreadsheet_safe(getattr(result, column)) for column in IDENTITY_COLUMNS]
        row += [result.modified, result.graded_at]
        for grade_id, points in parts:
            row += [_number(scores.get(grade_id, 0.0)), _number(points)]
        row += [_number(result.total), _number(result.max_total), spreadsheet_safe(result.reason)]
        writer.writerow(row)
    return buffer.getvalue()


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP: prefix a single quote)."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_summary_line(results: list[SubmissionResult], grade_ids=()) -> str:
    """The batch's one summary line: count, mean, full marks, zeros."""
    parts = part_points(results, grade_ids)
    max_total = sum(points for _, points in parts)
    numbers = summary([result.total for result in results], max_total)
    return summary_line(numbers, sum(1 for result in results if not result.submitted))


def json_text(
    results: list[SubmissionResult],
    source: str,
    grade_ids=(),
    assignment: str = "",
    course: str = "",
    summaries: dict | None = None,
) -> str:
    """The whole batch as JSON: the source, the assignment and its parts, every submission
    with its tests' feedback, and the summary."""
    parts = part_points(results, grade_ids)
    max_total = sum(points for _, points in parts) or max(
        (result.max_total for result in results), default=0.0
    )
    payload = {
        "source": source,
        "assignment": assignment,
        "course": course,
        "parts": [
            {"grade_id": grade_id, "points": points, "summary": (summaries or {}).get(grade_id, "")}
            for grade_id, points in parts
        ],
        "max_total": max_total,
        "summary": summary([result.total for result in results], max_total),
        "submissions": [
            {
                **{key: value for key, value in asdict(result).items() if key != "tests"},
                "tests": [asdict(test) for test in result.tests],
            }
            for result in results
        ],
    }
    return json.dumps(payload, indent=1, ensure_ascii=False) + "\n"


def write_reports(
    results: list[SubmissionResult],
    grade_ids: list[str],
    csv_path: str | os.PathLike,
    json_path: str | os.PathLike | None = None,
    source: str = "",
    assignment: str = "",
    course: str = "",
    summaries: dict | None = None,
) -> None:
    """Write the CSV (and JSON) atomically: a reader sees the old file or the new one."""
    write_atomically(Path(csv_path), csv_text(results, grade_ids))
    if json_path is not None:
        text = json_text(results, source, grade_ids, assignment, course, summaries)
        write_atomically(Path(json_path), text)


def _number(value: float) -> str:
    return f"{value:g}"
