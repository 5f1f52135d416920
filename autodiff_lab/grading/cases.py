"""The case format: one set of cases per exercise, behind the self-check, the probes and nbgrader.

An exercise's cases are declared once, in its definition
(``exercises/definitions/<name>.py``): for each graded part, the fixed inputs
that teach, and how many more the grader draws. Three things read them:

* the student's ``check`` runs each fixed case and compares with the expected
  numbers stored beside the catalogue (``catalogue/<name>.json``, written by
  ``exercises/build_sources.py``);
* the nbgrader hidden tests are the same check on inputs drawn once when the
  source notebook is built, with their expected numbers written into it;
* the grader's probes run the same measures on inputs drawn for each
  submission and compare with references computed in the grader's process.

A case is a `Measure` (the code that runs the student's objects on some
inputs and returns numbers, kernel side) and its inputs. The measures live in
`catalogue` and may be imported in a sandbox; the references and samplers live
in `referee`, which a sandbox never shows. Comparisons (`compare`) are the
same everywhere, so the three agree by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np


class WrongAnswer(Exception):
    """Raised by a measure when the student's result is wrong in a way numbers can't say."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Measure:
    """How to run the student's objects on one kind of input and read numbers back.

    ``run(namespace, inputs)`` returns a number or a (nested) sequence or array of
    them, or raises `WrongAnswer`. ``describe(inputs)`` is the case's row title,
    ``labels(inputs)`` names its numbers. ``hint(actual, expected)`` may give
    advice for a wrong answer; ``diagnose(namespace)`` may name the cause by
    experiments of its own on the student's code (it wins over ``hint``), and
    ``error_hints`` maps an exception type to advice. None of them may compute a
    right answer: they run in the sandbox.
    """

    run: Callable[[Mapping[str, Any], Any], Any]
    describe: Callable[[Any], str]
    labels: Callable[[Any], Sequence[str]] = lambda inputs: ()
    tolerance: float = 1e-9
    hint: Callable[[list[float], list[float]], str | None] | None = None
    error_hints: Mapping[type, str] = field(default_factory=dict)
    diagnose: Callable[[Mapping[str, Any]], str | None] | None = None


@dataclass(frozen=True)
class Part:
    """A graded part: what ``check(name)`` runs, and test cell ``grade_id`` scores."""

    name: str
    grade_id: str
    summary: str
    needs: Sequence[str]  # names the student's notebook must define first
    measures: Mapping[str, Measure]


@dataclass(frozen=True)
class Case:
    """One case: a measure, its inputs, the numbers expected, and known wrong answers."""

    part: str
    measure: str
    inputs: Any
    expected: list[float]
    description: str = ""
    labels: Sequence[str] = ()
    mistakes: Sequence[tuple[str, list[float]]] = ()  # (hint, what that mistake gives)

    def to_json(self) -> list:
        return [self.measure, self.inputs, self.expected, list(self.mistakes)]

    @classmethod
    def from_json(cls, part: Part, data) -> Case:
        """A case from ``[measure, inputs, expected, mistakes]``; its words from the measure."""
        name, inputs, expected, *rest = data
        measure = part.measures[name]
        return cls(
            part.name,
            name,
            inputs,
            [float(value) for value in expected],
            measure.describe(inputs),
            tuple(measure.labels(inputs)),
            tuple((hint, list(values)) for hint, values in (rest[0] if rest else ())),
        )


def numbers(result, what: str) -> list[float]:
    """A flat list of floats from a number, sequence or array of numbers."""
    if isinstance(result, Real) and not isinstance(result, bool):
        return [float(result)]
    if isinstance(result, np.ndarray):
        if result.dtype.kind in "fiu":
            return [float(number) for number in result.ravel()]
        return [n for item in result.ravel() for n in numbers(item, what)]
    if isinstance(result, (list, tuple)):
        return [n for item in result for n in numbers(item, what)]
    raise WrongAnswer(f"{what} should be a number, got {describe_type(result)}")


def describe_type(thing) -> str:
    name = type(thing).__name__
    if hasattr(thing, "data") and isinstance(getattr(thing, "data", None), Real):
        return f"a {name} (use .data for its number)"
    return f"{'an' if name[:1] in 'aeiouAEIOU' else 'a'} {name}"


def close(actual: float, expected: float, tolerance: float) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    if math.isnan(actual) or math.isinf(actual):
        return False
    return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)


def compare(actual: Sequence[float], expected: Sequence[float], tolerance: float) -> list[int]:
    """The indices where ``actual`` differs from ``expected``; every index if the counts differ."""
    if len(actual) != len(expected):
        return list(range(max(len(actual), len(expected))))
    return [i for i, (a, e) in enumerate(zip(actual, expected)) if not close(a, e, tolerance)]


def show(number: float) -> str:
    """Six significant digits, so messages stay short and stable."""
    if number == 0:
        return "0"  # also turns -0.0 into 0
    return f"{number:.6g}"


def plain(value):
    """``value`` as JSON-friendly data: arrays become nested lists, numpy numbers floats."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value
