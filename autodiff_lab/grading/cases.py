"""The vocabulary of the check catalogue: cases, parts, probes and how numbers are compared.

The catalogue (`catalogue`) describes every exercise in these terms; `check`
runs its parts in a student's notebook and `probes` runs its probes for the
grader. Both import the catalogue, and the catalogue imports only this
module, so the three never import one another in a circle.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np


class WrongAnswer(Exception):
    """Raised by a case's ``run`` when the student's result is wrong in a way numbers can't say."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Case:
    """One visible test: run the student's code, compare numbers, explain a mismatch.

    ``run(namespace)`` returns a number or a sequence of numbers; ``expected``
    is the same (or a function of no arguments returning it), or None when
    ``run`` itself raises `WrongAnswer` on a wrong result; ``labels`` name
    the numbers. ``hint(actual, expected)`` may return advice for a wrong
    answer; ``diagnose(namespace)`` may name the cause by experiments of its
    own on the student's code (it wins over ``hint``); ``error_hints`` maps an
    exception type to advice.
    """

    description: str
    run: Callable[[Mapping[str, Any]], Any]
    expected: Any
    labels: Sequence[str] = ()
    hint: Callable[[list[float], list[float]], str | None] | None = None
    error_hints: Mapping[type, str] = field(default_factory=dict)
    tolerance: float = 1e-9
    diagnose: Callable[[Mapping[str, Any]], str | None] | None = None


@dataclass(frozen=True)
class Part:
    """A named group of cases: what ``check(name)`` runs."""

    name: str
    exercise: str
    summary: str
    needs: Sequence[str]
    cases: Callable[[], list[Case]]


@dataclass(frozen=True)
class Probe:
    """Confirms test cell ``grade_id``: ``measure`` (in the kernel) must match the referee's."""

    grade_id: str
    sample: Callable[[random.Random], Any]
    measure: Callable[[Mapping[str, Any], Any], Any]
    tolerance: float = 1e-6


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
    return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)


def show(number: float) -> str:
    """Six significant digits, so messages stay short and stable."""
    if number == 0:
        return "0"  # also turns -0.0 into 0
    return f"{number:.6g}"
