"""Building an exercise from its one set of cases: the test cells and the stored fixed cases.

An exercise's definition (``exercises/definitions/<name>.py``) declares, for
each part, its fixed cases as ``(measure, inputs)`` pairs (``CASES``), and
writes each test cell with `test_cell`. From them:

* `test_cell` writes the cell that runs the part's check, and below it, as
  nbgrader hidden tests, the same check on cases the grader draws once, with
  the numbers its references give;
* `fixed_cases_text` writes ``catalogue/<name>_cases.py``: the fixed cases with
  their expected numbers and the numbers of known mistakes, which the student's
  ``check`` reads (it cannot compute them: it may run in a sandbox).

This module runs where the definitions do, never in a sandbox: it calls `referee`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import referee
from .cases import plain
from .catalogue import part_index
from .notebook_format import BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, grade_id_of, test


def test_cell(exercise: str, part_name: str, points: float):
    """The test cell of ``part_name``: its check, then the check on hidden cases."""
    found, part = part_index()[part_name]
    if found != exercise:
        raise ValueError(f"part {part_name!r} belongs to {found!r}, not {exercise!r}")
    return test(test_source(exercise, part_name), part.grade_id, points)


test_cell.__test__ = False  # a builder, not a pytest test function


def test_source(exercise: str, part_name: str) -> str:
    _, part = part_index()[part_name]
    hidden = referee.hidden_cases(exercise, part.grade_id)
    lines = ",\n".join(f"    {literal(case)}" for case in hidden)
    return (
        f'check("{part_name}", strict=True)\n'
        f"{BEGIN_HIDDEN_TESTS}\n"
        f'check("{part_name}", strict=True, hidden=[\n{lines},\n])\n'
        f"{END_HIDDEN_TESTS}"
    )


test_source.__test__ = False


def literal(value) -> str:
    """``value`` (numbers, strings, None, lists, dicts) as Python source reading back the same."""
    value = plain(value)
    json.dumps(value, allow_nan=False)  # refuses NaN and infinity, which repr cannot spell
    return repr(value)


def fixed_cases(exercise: str, cases: Mapping[str, Sequence[tuple[str, object]]]) -> dict:
    """{part: [[measure, inputs, expected, mistakes], ...]} for the stored fixed cases."""
    index = part_index()
    stored = {}
    for part_name, pairs in cases.items():
        found, part = index[part_name]
        if found != exercise:
            raise ValueError(f"part {part_name!r} belongs to {found!r}, not {exercise!r}")
        stored[part_name] = []
        for measure, inputs in pairs:
            if measure not in part.measures:
                raise ValueError(f"part {part_name!r} has no measure {measure!r}")
            inputs = plain(inputs)
            expected = referee.reference(exercise, measure, inputs)
            wrong = [
                [hint, values]
                for hint, values in referee.mistakes(exercise, measure, inputs)
                if values != expected
            ]
            stored[part_name].append([measure, inputs, expected, wrong])
    return stored


def fixed_cases_text(exercise: str, cases: Mapping[str, Sequence[tuple[str, object]]]) -> str:
    """The text of ``catalogue/<exercise>_cases.py``."""
    parts = [
        f"  {json.dumps(name)}: [\n"
        + ",\n".join(f"    {json.dumps(case, ensure_ascii=False)}" for case in stored)
        + "\n  ]"
        for name, stored in fixed_cases(exercise, cases).items()
    ]
    data = "{\n" + ",\n".join(parts) + "\n}"
    return (
        f'"""The fixed cases of `{exercise}`, with the numbers expected: written by\n'
        'exercises/build_sources.py from the exercise\'s definition. Do not edit."""\n\n'
        "# ruff: noqa: E501\n\n"
        f'CASES = r"""\n{data}\n"""\n'
    )


# -- the wrong-answer corpus ------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A wrong answer the exercise's cases must catch, and what its check then says.

    ``answers`` maps an answer cell's grade_id to its wrong text, or to ``(old, new)``
    edits of the solution's text; ``fails`` names the parts it gets wrong (every
    other part passes: one mistake costs points once); ``shows`` are phrases the
    self-check's report of those parts must contain.
    """

    answers: Mapping[str, str | Sequence[tuple[str, str]]]
    fails: tuple[str, ...]
    shows: tuple[str, ...] = ()


def mistaken_answers(source, mistake: Mistake) -> dict[str, str]:
    """The text of each answer cell that ``mistake`` changes, from the source's solution."""
    solutions = {grade_id_of(cell): cell.source for cell in source.cells}
    texts = {}
    for grade_id, change in mistake.answers.items():
        if isinstance(change, str):
            texts[grade_id] = change
            continue
        text = _without_markers(solutions[grade_id])
        for old, new in change:
            if old not in text:
                raise ValueError(f"{grade_id}: {old!r} is not in the solution")
            text = text.replace(old, new)
        texts[grade_id] = text
    return texts


def _without_markers(text: str) -> str:
    kept = [line for line in text.split("\n") if "### BEGIN" not in line and "### END" not in line]
    return "\n".join(kept)
