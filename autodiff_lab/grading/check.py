"""Student self-checks: ``check("tanh")`` runs one part's visible tests and explains.

Inside an exercise notebook a student calls ``check("tanh")``. The check finds
the student's objects (``Value``, ``softmax``, ...) in the notebook's
namespace, runs each case of that part, and prints what passed, what number
was expected and what came out, and a hint aimed at the usual mistake. An
exception from the student's code never escapes as a bare traceback: the
check names it, shows the line of the student's code that raised it, and
says what usually causes it.

Test cells call ``check(part, strict=True)``, which also raises
AssertionError when a case fails, so nbgrader (and our grader) score them.
"""

from __future__ import annotations

import inspect
import math
import os
import sysconfig
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

PASS_MARK = "✔"
FAIL_MARK = "✘"


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
    the numbers in messages. ``hint(actual, expected)`` may return advice for
    a wrong answer; ``error_hints`` maps an exception type to advice.
    """

    description: str
    run: Callable[[Mapping[str, Any]], Any]
    expected: Any
    labels: Sequence[str] = ()
    hint: Callable[[list[float], list[float]], str | None] | None = None
    error_hints: Mapping[type, str] = field(default_factory=dict)
    tolerance: float = 1e-9


@dataclass(frozen=True)
class Part:
    """A named group of cases: what ``check(name)`` runs."""

    name: str
    exercise: str
    summary: str
    needs: Sequence[str]
    cases: Callable[[], list[Case]]


@dataclass
class CaseResult:
    description: str
    passed: bool
    message: str = ""  # what went wrong, for a failed case
    hint: str = ""
    exception: str = ""  # the name of the exception the student's code raised, if any


@dataclass
class CheckReport:
    """The outcome of one ``check``: a result per case."""

    part: str
    results: list[CaseResult]

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(result.passed for result in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    def text(self) -> str:
        """The report as a learner reads it."""
        lines = []
        for result in self.results:
            mark = PASS_MARK if result.passed else FAIL_MARK
            lines.append(f"  {mark} {result.description}")
            if result.message:
                lines.extend(f"      {line}" for line in result.message.splitlines())
            if result.hint:
                lines.append(f"      Hint: {result.hint}")
        passed = len(self.results) - len(self.failures)
        if self.passed and len(self.results) == 1:
            lines.append(f"The check of {self.part!r} passed.")
        elif self.passed:
            lines.append(f"All {len(self.results)} checks of {self.part!r} passed.")
        else:
            lines.append(f"{passed} of {len(self.results)} checks of {self.part!r} passed.")
        return "\n".join(lines)


def _parts() -> dict[str, Part]:
    from .catalogue import PARTS  # the catalogue imports this module

    return PARTS


def part_names() -> list[str]:
    """Every name ``check`` accepts."""
    return sorted(_parts())


def run_checks(name: str, namespace: Mapping[str, Any]) -> CheckReport:
    """Run part ``name`` against the objects in ``namespace``; never raises for student errors."""
    parts = _parts()
    if name not in parts:
        raise KeyError(
            f"there is no check called {name!r}; the checks are: {', '.join(sorted(parts))}"
        )
    part = parts[name]
    missing = [needed for needed in part.needs if needed not in namespace]
    if missing:
        names = " and ".join(f"`{needed}`" for needed in missing)
        message = (
            f"{names} {'is' if len(missing) == 1 else 'are'} not defined yet. Run the cell that "
            "defines it (and the cells above it) first; if that cell shows an error, fix it "
            "and run it again."
        )
        return CheckReport(name, [CaseResult(f"{part.summary}: needs {names}", False, message)])
    return CheckReport(name, [_run_case(case, namespace) for case in part.cases()])


def check(name: str, namespace: Mapping[str, Any] | None = None, *, strict: bool = False) -> None:
    """Check part ``name`` of an exercise and print feedback.

    The student's objects are looked up in ``namespace``, by default the
    namespace of the code that called ``check`` (the notebook). With
    ``strict=True`` a failed case also raises AssertionError (test cells use
    this, so graders score them).
    """
    if namespace is None:
        caller = inspect.currentframe().f_back
        namespace = caller.f_globals
    try:
        report = run_checks(name, namespace)
    except KeyError as error:
        print(error.args[0])
        if strict:
            raise AssertionError(error.args[0]) from None
        return
    part = _parts()[name]
    print(f'check("{name}"): {part.summary}')
    print(report.text())
    if strict and not report.passed:
        count = len(report.failures)
        if all(failure.exception == "NotImplementedError" for failure in report.failures):
            # An untouched stub: fail the way nbgrader's stubs do.
            raise NotImplementedError(f"{name!r} is not written yet (see the lines above)")
        raise AssertionError(
            f"{count} check{'s' if count > 1 else ''} of {name!r} failed; "
            "the lines above say which, and why"
        )


# ---------------------------------------------------------------------------
# Running one case


def _run_case(case: Case, namespace: Mapping[str, Any]) -> CaseResult:
    try:
        actual = case.run(namespace)
    except WrongAnswer as error:
        return CaseResult(case.description, False, error.message, error.hint)
    except (Exception, SystemExit) as error:  # the student's code: explain, never re-raise
        message, hint = explain_exception(error, case.error_hints)
        return CaseResult(case.description, False, message, hint, type(error).__name__)
    expected = case.expected() if callable(case.expected) else case.expected
    if expected is None:  # a case that only needs the student's code to run without complaint
        return CaseResult(case.description, True)
    try:
        actual_numbers = numbers(actual, "your result")
    except WrongAnswer as error:
        return CaseResult(case.description, False, str(error))
    expected_numbers = numbers(expected, "expected")
    labels = list(case.labels) or [f"number {i + 1}" for i in range(len(expected_numbers))]
    if len(actual_numbers) != len(expected_numbers):
        message = f"expected {len(expected_numbers)} numbers, got {len(actual_numbers)}"
        return CaseResult(case.description, False, message)
    wrong = [
        f"{label}: expected {show(e)}, got {show(a)}"
        for label, a, e in zip(labels, actual_numbers, expected_numbers)
        if not close(a, e, case.tolerance)
    ]
    if not wrong:
        shown = ", ".join(
            f"{label} = {show(a)}" for label, a in zip(labels, actual_numbers) if label
        )
        description = f"{case.description}: {shown}" if shown else case.description
        return CaseResult(description, True)
    hint = case.hint(actual_numbers, expected_numbers) if case.hint else None
    if hint is None and any(math.isnan(a) for a in actual_numbers):
        hint = "nan means 'not a number': look for inf - inf, inf / inf or 0 / 0 in your code."
    return CaseResult(case.description, False, "\n".join(wrong), hint or "")


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


# ---------------------------------------------------------------------------
# Explaining exceptions from student code

_GENERAL_HINTS: dict[type, str] = {
    NotImplementedError: (
        "This part is not written yet: replace `raise NotImplementedError()` in your answer "
        "cell with your code, run that cell, then run the check again."
    ),
    NameError: (
        "A name is used before it is defined. Check its spelling, and run the cells above "
        "this one (Run > Run All Above) so their definitions exist."
    ),
    AttributeError: (
        "An object lacks the attribute or method named above. If it is one of yours, check "
        "that the method is indented inside the class and that you re-ran the class cell."
    ),
    TypeError: (
        "An operation got a type it does not handle: for example `2 / x` with a Value x needs "
        "`__rtruediv__`, and `math.exp` needs a float (use `x.data`), not a Value."
    ),
    OverflowError: (
        "A number grew too large for a float: math.exp(x) overflows once x exceeds about "
        "709. Rearrange the formula so it never computes exp of a large positive number."
    ),
    ZeroDivisionError: "Something divided by zero; check which denominator can be 0 here.",
    RecursionError: (
        "The code called itself too deeply: a method that calls itself by mistake, or a "
        "recursive graph walk on a long chain (walk it with a loop and a stack instead)."
    ),
    SystemExit: "Your code called sys.exit() or exit(); a notebook should never stop Python.",
    RuntimeError: "Read the message above: it names what went wrong.",
}


def explain_exception(error: BaseException, specific: Mapping[type, str] = {}) -> tuple[str, str]:
    """(what happened, a hint) for an exception raised by the student's code."""
    kind = type(error).__name__
    text = str(error).strip()
    if isinstance(error, SystemExit):
        text = ""
    message = f"your code raised {kind}" + (f": {text}" if text else "")
    location = _student_line(error)
    if location:
        message += f"\nin your code, {location}"
    hint = ""
    for table in (specific, _GENERAL_HINTS):
        for exception_type, advice in table.items():
            if isinstance(error, exception_type):
                hint = advice
                break
        if hint:
            break
    return message, hint


def _library_folders() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    folders = {paths.get("stdlib"), paths.get("purelib"), paths.get("platlib")}
    folders.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # autodiff_lab
    return tuple(os.path.abspath(folder) + os.sep for folder in folders if folder)


def _student_line(error: BaseException) -> str:
    """'line N: source' of the innermost frame that is not library code."""
    folders = _library_folders()
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        filename = os.path.abspath(frame.filename) if frame.filename else ""
        if filename.startswith(folders) or frame.filename.startswith("<frozen"):
            continue
        code = (frame.line or "").strip()
        where = f"in {frame.name}(), " if frame.name not in ("<module>", "<lambda>") else ""
        return f"{where}line {frame.lineno}: {code}" if code else f"{where}line {frame.lineno}"
    return ""
