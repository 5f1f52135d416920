"""What a ``check`` shows: one row per case (✓/✗, expected, got), then each hint once.

A `CheckReport` renders itself as an HTML table in Jupyter (``_repr_html_``)
and as aligned text elsewhere (``text()``). A failed strict check raises
`CheckFailed` (or `NotWritten` for an untouched stub), which IPython shows
as one short line instead of a traceback through this package.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

PASS_MARK = "✓"
FAIL_MARK = "✗"
_WIDEST = (1, 44, 34, 34)  # text columns wrap at these widths (mark, case, expected, got)


@dataclass
class CaseResult:
    """One case's row: what was tried, the numbers expected and got, and why it failed."""

    description: str
    passed: bool
    expected: str = ""
    got: str = ""
    note: str = ""  # a line under the row, e.g. where the student's code raised
    hint: str = ""
    exception: str = ""  # the name of the exception the student's code raised, if any


@dataclass
class CheckReport:
    """The outcome of one ``check``: a result per case."""

    part: str
    summary: str
    results: list[CaseResult]
    in_test_cell: bool = False  # shown by a strict check, which a grader scores

    @property
    def passed(self) -> bool:
        """True when there were cases and every one passed."""
        return bool(self.results) and all(result.passed for result in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        """The cases that failed, in order."""
        return [result for result in self.results if not result.passed]

    @property
    def hints(self) -> list[str]:
        """Each distinct hint once, in the order the cases gave them."""
        return list(dict.fromkeys(r.hint for r in self.failures if r.hint))

    @property
    def title(self) -> str:
        """The report's heading: the part checked, and its summary if it has one."""
        return f'check("{self.part}"): {self.summary}' if self.summary else f'check("{self.part}")'

    def verdict(self) -> str:
        """One sentence: how many of the part's checks passed."""
        total, passed = len(self.results), len(self.results) - len(self.failures)
        if self.passed:
            return (
                f"The check of {self.part!r} passed."
                if total == 1
                else f"All {total} checks of {self.part!r} passed."
            )
        line = f"{passed} of {total} checks of {self.part!r} passed."
        if self.in_test_cell:
            line += " A grader marks this test cell as failed until they all pass."
        return line

    def notes(self) -> list[str]:
        """Each result's note, blank where an earlier row already showed the same one."""
        seen: set[str] = set()
        notes = []
        for result in self.results:
            notes.append("" if result.note in seen else result.note)
            seen.add(result.note)
        return notes

    def first_student_line(self) -> str:
        """Where the student's code first raised, if it did ('in tanh(), line 3: ...')."""
        for result in self.failures:
            if result.note.startswith("in your code, "):
                return result.note.removeprefix("in your code, ")
        return ""

    # -- text ------------------------------------------------------------------------------

    def text(self) -> str:
        """The report as aligned text, for a terminal or a grader's log."""
        rows = [("", "case", "expected", "got")]
        rows += [
            (PASS_MARK if r.passed else FAIL_MARK, r.description, r.expected, r.got)
            for r in self.results
        ]
        widths = [min(max(len(row[i]) for row in rows), _WIDEST[i]) for i in range(4)]
        lines = [self.title]
        for row, note in zip(rows, ["", *self.notes()]):
            wrapped = [_wrap(cell, width) for cell, width in zip(row, widths)]
            for depth in range(max(len(cell) for cell in wrapped)):
                parts = [cell[depth] if depth < len(cell) else "" for cell in wrapped]
                lines.append("  ".join(p.ljust(w) for p, w in zip(parts, widths)).rstrip())
            lines.extend(" " * (widths[0] + 2) + line for line in note.split("\n") if line)
        lines.extend(f"Hint: {hint}" for hint in self.hints)
        lines.append(self.verdict())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text())

    # -- HTML ------------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        cell = "padding:2px 10px;text-align:left;vertical-align:top"
        body = []
        for result, note in zip(self.results, self.notes()):
            mark, colour = (PASS_MARK, "#1a7f37") if result.passed else (FAIL_MARK, "#cf222e")
            note = f'<div style="font-size:90%;opacity:.8">{_html(note)}</div>' if note else ""
            body.append(
                f'<tr><td style="{cell};color:{colour};font-weight:bold">{mark}</td>'
                f'<td style="{cell}">{_html(result.description)}{note}</td>'
                f'<td style="{cell}">{_numbers_html(result.expected)}</td>'
                f'<td style="{cell}">{_numbers_html(result.got)}</td></tr>'
            )
        head = "".join(
            f'<th style="{cell}">{name}</th>' for name in ("", "case", "expected", "got")
        )
        hints = "".join(
            f'<div style="margin:4px 0"><b>Hint:</b> {_html(hint)}</div>' for hint in self.hints
        )
        colour = "#1a7f37" if self.passed else "#cf222e"
        return (
            f'<div class="autodiff-lab-check"><div><code>{_html(self.title)}</code></div>'
            f'<table style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{hints}"
            f'<div style="color:{colour}">{_html(self.verdict())}</div></div>'
        )


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``: broken after ", " if it can, else at spaces."""
    words = [
        word
        for piece in re.split(r"(?<=, )", text)
        for word in ([piece] if len(piece) <= width else re.split(r"(?<= )", piece))
    ]
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + len(word.rstrip()) <= width:
            lines[-1] += word
        else:
            lines.append(word)
    return [line.rstrip() for line in lines] or [""]


def _numbers_html(text: str) -> str:
    """A list of 'label = number' items that may wrap between items, never inside one."""
    if " = " not in text:  # a message, not numbers: wrap it like prose
        return _html(text)
    items = text.split(", ")
    return ", ".join(f'<span style="white-space:nowrap">{_html(item)}</span>' for item in items)


def _html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


# ---------------------------------------------------------------------------
# What a failed strict check raises


class _ShortTraceback:
    """IPython shows an exception with ``_render_traceback_`` by these lines alone."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class CheckFailed(_ShortTraceback, AssertionError):
    """A strict check found a wrong answer (an AssertionError, as graders expect)."""


class NotWritten(_ShortTraceback, NotImplementedError):
    """A strict check ran an untouched stub."""


# The name nbgrader's stubs raise, so graders and feedback read "NotImplementedError".
NotWritten.__name__ = NotWritten.__qualname__ = "NotImplementedError"


def failure_for(report: CheckReport) -> AssertionError | NotImplementedError:
    """The exception a failed strict check raises: one line, pointing at the student's code."""
    if all(failure.exception == "NotImplementedError" for failure in report.failures):
        return NotWritten(f"{report.part!r} is not written yet (see the lines above)")
    count = len(report.failures)
    message = (
        f"{count} check{'s' if count > 1 else ''} of {report.part!r} failed (see the lines above)"
    )
    where = report.first_student_line()
    if where:
        message += f"; your code raised an error {'' if where.startswith('in ') else 'at '}{where}"
    return CheckFailed(message)
