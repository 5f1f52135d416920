"""Student self-checks: ``check("tanh")`` runs one part's visible tests and explains.

Inside an exercise notebook a student calls ``check("tanh")``. The check finds
the student's objects (``Value``, ``softmax``, ...) in the notebook's
namespace, runs each case of that part and shows one compact report (see
`report`): a ✓/✗ row per case with the numbers expected and got, then each
distinct hint once. An exception from the student's code never escapes as a
bare traceback: the check names it and shows the student's line that raised it.

Test cells call ``check(part, strict=True)``. When graded (nbgrader sets
``NBGRADER_EXECUTION``, our grader sets ``AUTODIFF_LAB_GRADING``) or outside
IPython, a failed strict check raises, so the cell is marked as failed. In a
student's own kernel it only shows the report, so Run All goes on to the
next part and the student sees every part's status.
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import sysconfig
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from .cases import Case, Measure, Part, WrongAnswer, compare, numbers, show
from .catalogue import fixed_cases, part_index
from .report import CaseResult, CheckFailed, CheckReport, failure_for

# Set in the environment of a kernel whose test cells are being graded.
GRADING_VARIABLES = ("NBGRADER_EXECUTION", "AUTODIFF_LAB_GRADING")
_SHOWN_NUMBERS = 3  # a row lists at most this many numbers
SAME = "the same"  # what a passed case got


def _graded_at_start() -> bool:
    """Whether this process grades notebooks; read once, before any student code runs."""
    return any(os.environ.get(name) for name in GRADING_VARIABLES)


GRADED = _graded_at_start()


def part_names() -> list[str]:
    """Every name ``check`` accepts."""
    return sorted(part_index())


def run_checks(
    name: str, namespace: Mapping[str, Any], hidden: Sequence | None = None
) -> CheckReport:
    """Run part ``name`` against the objects in ``namespace``; never raises for student errors.

    ``hidden`` replaces the part's fixed cases with others, each ``[measure, inputs,
    expected]`` (an nbgrader hidden test).
    """
    index = part_index()
    if name not in index:
        raise KeyError(
            f"there is no check called {name!r}; the checks are: {', '.join(sorted(index))}"
        )
    exercise, part = index[name]
    missing = [needed for needed in part.needs if needed not in namespace]
    if missing:
        names = " and ".join(f"`{needed}`" for needed in missing)
        got = f"{names} {'is' if len(missing) == 1 else 'are'} not defined yet"
        hint = (
            "Run the cell that defines it (and the cells above it) first; if that cell shows "
            "an error, fix it and run it again."
        )
        result = CaseResult(part.summary, False, got=got, hint=hint)
        return CheckReport(name, part.summary, [result])
    if hidden is None:
        cases = fixed_cases(exercise).get(name, [])
    else:
        cases = [Case.from_json(part, case) for case in hidden]
    return CheckReport(name, part.summary, [run_case(part, case, namespace) for case in cases])


def check(
    name: str,
    namespace: Mapping[str, Any] | None = None,
    *,
    strict: bool = False,
    hidden: Sequence | None = None,
) -> None:
    """Check part ``name`` of an exercise and show the report.

    The student's objects are looked up in ``namespace``, by default the
    namespace of the code that called ``check`` (the notebook). With
    ``strict=True`` (test cells) a failed case also raises when graded or
    outside IPython, so graders mark the cell as failed. ``hidden`` holds
    other cases to run instead of the fixed ones (see `run_checks`).
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    stops = strict and (GRADED or _shell() is None)
    try:
        report = run_checks(name, namespace, hidden)
    except KeyError as error:
        print(error.args[0])
        if strict:  # a typo in a test cell is the author's mistake: always say so loudly
            raise CheckFailed(error.args[0]) from None
        return
    report.in_test_cell = strict
    _show(report)
    if stops and not report.passed:
        raise failure_for(report)


def _shell():
    """The running IPython shell, or None (plain Python, pytest, a script)."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _show(report: CheckReport) -> None:
    shell = _shell()
    if shell is None or GRADED:  # graders keep what a cell printed, as text
        print(report.text())
        return
    from IPython.display import display

    display(report)  # HTML in Jupyter, the aligned text in a terminal IPython


# ---------------------------------------------------------------------------
# Running one case


def run_case(part: Part, case: Case, namespace: Mapping[str, Any]) -> CaseResult:
    measure = part.measures[case.measure]
    expected_text = _pairs(_labels(case), case.expected, range(len(case.expected)))
    try:
        actual = measure.run(namespace, case.inputs)
    except WrongAnswer as error:
        return CaseResult(case.description, False, expected_text, error.message, hint=error.hint)
    except (Exception, SystemExit) as error:  # the student's code: explain, never re-raise
        got, note, hint = explain_exception(error, measure.error_hints)
        return CaseResult(
            case.description, False, expected_text, got, note, hint, type(error).__name__
        )
    try:
        actual_numbers = numbers(actual, "your result")
    except WrongAnswer as error:
        return CaseResult(case.description, False, expected_text, str(error), hint=error.hint)
    if len(actual_numbers) != len(case.expected):
        got = f"{len(actual_numbers)} numbers, not {len(case.expected)}"
        return CaseResult(case.description, False, f"{len(case.expected)} numbers", got)
    wrong = compare(actual_numbers, case.expected, measure.tolerance)
    if not wrong:
        return CaseResult(case.description, True, expected_text, SAME)
    labels = _labels(case)
    return CaseResult(
        case.description,
        False,
        _pairs(labels, case.expected, wrong),
        _pairs(labels, actual_numbers, wrong),
        hint=advice(measure, case, actual_numbers, namespace) or "",
    )


def advice(
    measure: Measure, case: Case, actual: list[float], namespace: Mapping[str, Any] | None
) -> str | None:
    """Why the answer may be wrong: a known mistake it matches, an experiment, a hint."""
    for hint, values in case.mistakes:
        if not compare(actual, values, measure.tolerance):
            return hint
    if namespace is not None and measure.diagnose is not None:
        try:
            found = measure.diagnose(namespace)
        except Exception:  # the experiment itself tripped on the student's code: no diagnosis
            found = None
        if found:
            return found
    if measure.hint is not None:
        try:
            found = measure.hint(actual, case.expected)
        except Exception:
            found = None
        if found:
            return found
    if any(math.isnan(a) for a in actual):
        return "nan means 'not a number': look for inf - inf, inf / inf or 0 / 0 in your code."
    return None


def _labels(case: Case) -> list[str]:
    count = len(case.expected)
    if len(case.labels) == count:
        return list(case.labels)
    return [""] if count == 1 else [f"#{i + 1}" for i in range(count)]


def _pairs(labels: Sequence[str], values: Sequence[float], indices) -> str:
    """'d/da = 0.5, d/db = -0.75', at most a few, then how many more."""
    indices = [i for i in indices if i < len(values) and i < len(labels)]
    shown = [
        f"{labels[i]} = {show(values[i])}" if labels[i] else show(values[i])
        for i in indices[:_SHOWN_NUMBERS]
    ]
    if len(indices) > _SHOWN_NUMBERS:
        shown.append(f"… ({len(indices) - _SHOWN_NUMBERS} more)")
    return ", ".join(shown)


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


def explain_exception(
    error: BaseException, specific: Mapping[type, str] = {}
) -> tuple[str, str, str]:
    """(what happened, where in the student's code, a hint) for an exception of theirs."""
    kind = type(error).__name__
    text = str(error).strip()
    if isinstance(error, SystemExit):
        text = ""
    message = f"raised {kind}" + (f": {text}" if text else "")
    location = _student_line(error)
    where = f"in your code, {location}" if location else ""
    hint = ""
    for table in (specific, _GENERAL_HINTS):
        for exception_type, advice in table.items():
            if isinstance(error, exception_type):
                hint = advice
                break
        if hint:
            break
    return message, where, hint


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
