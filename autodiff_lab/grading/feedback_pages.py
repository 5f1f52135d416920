"""One HTML feedback page per student, from the grades JSON: like nbgrader's generate_feedback,
but holding only the grader's own words.

    autodiff-lab feedback grades.json --out feedback/

A page shows the student, the total, and per graded part its points, its
maximum and, for a part that lost points, the grader's message: the case on
the grader's inputs, the number expected against the number got, and the
usual mistake it matches. Nothing of the notebook reaches it: no solution, no
hidden test, nothing the student's code printed. Every text is escaped, and
the page loads nothing (its Content-Security-Policy allows no script, image or
connection), so it can be mailed or uploaded as it is.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

from .files import write_atomically
from .gradebook import assignment_name, load_grades, number

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 52em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
.who { color: #555; margin-top: 0; }
.total { font-size: 1.2em; margin: 1em 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.45em 0.6em; }
td { border-bottom: 1px solid #ddd; }
td:first-child { min-width: 10em; }
th { background: #f4f4f4; }
td.points { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.full td.points { color: #1a7f37; }
tr.lost td.points { color: #b42318; }
.note { color: #555; margin-top: 1.5em; }
"""

STATUS_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "timeout": "ran out of time",
    "not run": "not run",
    "not confirmed": "not confirmed by the grader's own check",
}


def page(entry: dict, assignment: str, summaries: dict[str, str]) -> str:
    """The feedback page of one student (``entry``: one submission of the grades JSON)."""
    who = entry.get("name") or entry.get("student_id") or Path(entry.get("submission", "")).name
    ident = entry.get("student_id", "")
    rows = []
    for test in entry["tests"]:
        full = test["score"] >= test["points"]
        message = "" if test["status"] == "passed" else test.get("feedback", "")
        status = STATUS_WORDS.get(test["status"], "not graded")
        summary = summaries.get(test["grade_id"], "")
        rows.append(
            f'<tr class="{"full" if full else "lost"}">'
            f"<td><b>{html.escape(test['grade_id'])}</b>"
            + (f"<br>{html.escape(summary)}" if summary else "")
            + f'</td><td class="points">{number(test["score"])} / {number(test["points"])}</td>'
            f"<td>{html.escape(status)}</td><td>{html.escape(message)}</td></tr>"
        )
    reason = general_reason(entry.get("reason", ""))
    total = f"<b>{number(entry.get('total', 0))}</b> of {number(entry.get('max_total', 0))}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(assignment)}: feedback for {html.escape(who)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{html.escape(assignment)}</h1>
<p class="who">{html.escape(who)}{f" ({html.escape(ident)})" if ident and ident != who else ""}</p>
<p class="total">Score: {total}</p>
<table>
<thead><tr><th>part</th><th>points</th><th>result</th><th>the grader's message</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{f'<p class="note">{html.escape(reason)}</p>' if reason else ""}
<p class="note">Each part was checked on inputs the grader chose for your notebook; a message
names the case, the number expected and the number your code gave.</p>
</body>
</html>
"""


# Sentences of a row's reason that repeat the per-part messages of the table.
PER_PART = ("failed: ", "not confirmed by the grader's own check: ")


def general_reason(reason: str) -> str:
    """What a row's reason says beyond the table: not graded, flagged, no sandbox, a crash.

    The per-part sentences come after the general notes and before the flags (see
    `results.score`), so the reason is cut where the first of them starts."""
    starts = [
        index
        for prefix in PER_PART
        for index in (reason.find(prefix), reason.find(f"; {prefix}"))
        if index >= 0
    ]
    if not starts:
        return reason
    cut = min(starts)
    head = reason[:cut].rstrip("; ")
    flags = reason.find("; flagged: ", cut)
    tail = reason[flags + 2 :] if flags >= 0 else ""
    return "; ".join(part for part in (head, tail) if part)


def file_name(entry: dict, taken: set[str]) -> str:
    """A safe, unique file name for a student's page."""
    stem = entry.get("student_id") or Path(entry.get("submission", "") or "submission").stem
    stem = re.sub(r"[^A-Za-z0-9_.@-]+", "_", stem).strip("._") or "submission"
    name, count = f"{stem}.html", 1
    while name in taken:
        count += 1
        name = f"{stem}-{count}.html"
    taken.add(name)
    return name


def write_feedback(grades_path: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """Write one page per student of the grades report into ``out``; returns the files."""
    grades = load_grades(grades_path)
    assignment = assignment_name(grades)
    summaries = {
        part.get("grade_id", ""): part.get("summary", "")
        for part in grades.get("parts", [])
        if isinstance(part, dict)
    }
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for entry in grades["submissions"]:
        path = folder / file_name(entry, taken)
        write_atomically(path, page(entry, assignment, summaries))
        written.append(path)
    return written
