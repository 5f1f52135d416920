"""The batch's reports: a CSV row and a JSON entry per submission, written atomically.

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

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_text(results: list[SubmissionResult], grade_ids: list[str]) -> str:
    """One row per submission: submission, one column per grade_id, total, reason."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *grade_ids, "total", "reason"])
    for result in results:
        scores = result.scores
        writer.writerow(
            [
                spreadsheet_safe(result.submission),
                *(_number(scores.get(grade_id, 0.0)) for grade_id in grade_ids),
                _number(result.total),
                spreadsheet_safe(result.reason),
            ]
        )
    return buffer.getvalue()


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP: prefix a single quote)."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def json_text(results: list[SubmissionResult], source: str) -> str:
    payload = {
        "source": source,
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
) -> None:
    """Write the CSV (and JSON) atomically: a reader sees the old file or the new one."""
    write_atomically(Path(csv_path), csv_text(results, grade_ids))
    if json_path is not None:
        write_atomically(Path(json_path), json_text(results, source))


def _number(value: float) -> str:
    return f"{value:g}"
