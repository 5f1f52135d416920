"""The grader's side of every exercise: the inputs it draws, the references, and its verdicts.

This package is never shown to a sandboxed kernel (an empty folder is mounted
over it), so code in a submission cannot call it to fake a probe's answer.
Each module ``referee/<exercise>.py`` gives:

* ``sample(grade_id, rng)``: the cases a probe runs, each ``(measure, inputs)``;
* ``reference(measure, inputs)``: the numbers a right answer gives;
* optionally ``mistakes(measure, inputs)``: ``(hint, numbers)`` of known wrong
  answers, so feedback can name a mistake without the kernel computing it.

`judge` compares what the kernel printed with the references; `hidden_cases`
draws the nbgrader hidden tests once, when a source notebook is built. An
exercise from a course folder registers its referee with `use_referee` (see
`autodiff_lab.grading.course`); it lives on the grader's side like ours.
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import sys
from functools import cache
from importlib import import_module
from types import ModuleType
from typing import Any

from ..cases import compare, numbers, plain, show
from ..catalogue import EXERCISES, exercises, part_for_grade_id
from ..feedback import exception_name
from ..probes import MAX_PROBE_LINE, PROBE_MARKER

HIDDEN_SEED = "hidden tests"


_REGISTERED: set[str] = set()


def use_referee(name: str, path) -> ModuleType:
    """Load the referee of a course's exercise ``name`` from the file ``path``, as
    ``autodiff_lab.grading.referee.<name>`` (so a definition imports it as it would ours)."""
    if name in EXERCISES:
        raise ValueError(f"{name!r} is one of the package's own exercises; choose another name")
    full_name = f"{__name__}.{name}"
    spec = importlib.util.spec_from_file_location(full_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot load the referee {path}")
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[full_name] = loaded
    try:
        spec.loader.exec_module(loaded)
    except BaseException:
        sys.modules.pop(full_name, None)
        raise
    for needed in ("sample", "reference"):
        if not callable(getattr(loaded, needed, None)):
            sys.modules.pop(full_name, None)
            raise ValueError(f"the referee {path} defines no function {needed}()")
    _REGISTERED.add(name)
    module.cache_clear()
    return loaded


def forget_referee(name: str) -> None:
    """Undo `use_referee` for ``name``."""
    if name in _REGISTERED:
        _REGISTERED.discard(name)
        sys.modules.pop(f"{__name__}.{name}", None)
        module.cache_clear()


@cache
def module(exercise: str) -> ModuleType:
    """The referee module of ``exercise``."""
    if exercise not in exercises():
        raise KeyError(f"no exercise called {exercise!r}")
    if exercise in _REGISTERED:
        return sys.modules[f"{__name__}.{exercise}"]
    if exercise not in EXERCISES:
        raise KeyError(f"exercise {exercise!r} has no referee here (give its course folder)")
    return import_module(f".{exercise}", __name__)


def has_probe(exercise: str | None, grade_id: str) -> bool:
    """Whether the grader can confirm ``grade_id`` of ``exercise`` with a probe of its own."""
    return (
        exercise in exercises()
        and (exercise in EXERCISES or exercise in _REGISTERED)
        and part_for_grade_id(exercise, grade_id) is not None
    )


def draw(exercise: str, grade_id: str, seed: str) -> list[list]:
    """The cases of grade_id's probe, each ``[measure, inputs]``, fixed by ``seed``."""
    rng = random.Random(f"{seed}:{grade_id}")
    return [[name, plain(inputs)] for name, inputs in module(exercise).sample(grade_id, rng)]


def choose_inputs(exercise: str | None, seed: str, grade_ids) -> dict[str, list]:
    """Inputs for each probe, fixed by ``seed`` (so a regrade gives the same result)."""
    return {
        grade_id: draw(exercise, grade_id, seed)
        for grade_id in grade_ids
        if has_probe(exercise, grade_id)
    }


def reference(exercise: str, measure: str, inputs) -> list[float]:
    return numbers(module(exercise).reference(measure, inputs), "the reference")


def mistakes(exercise: str, measure: str, inputs) -> list[tuple[str, list[float]]]:
    """Known wrong answers on ``inputs``: (hint, the numbers that mistake gives)."""
    found = getattr(module(exercise), "mistakes", None)
    if found is None:
        return []
    return [(hint, numbers(values, "a mistake")) for hint, values in found(measure, inputs)]


def hidden_cases(exercise: str, grade_id: str) -> list[list]:
    """The nbgrader hidden tests of ``grade_id``: cases drawn once, with expected numbers."""
    return [
        [name, inputs, reference(exercise, name, inputs)]
        for name, inputs in draw(exercise, grade_id, HIDDEN_SEED)
    ]


def judge(exercise: str, inputs: dict[str, Any], printed: str) -> dict[str, str | None]:
    """Grader side: for each probed grade_id, None if confirmed, else the reason why not."""
    lines = [line for line in printed.splitlines() if line.startswith(PROBE_MARKER)]
    if len(lines) != 1:
        reason = "it printed nothing" if not lines else "it printed more than it should"
        return {grade_id: reason for grade_id in inputs}
    try:
        if len(lines[0]) > MAX_PROBE_LINE:
            raise ValueError("too long")
        measured = json.loads(lines[0][len(PROBE_MARKER) :])
    except (ValueError, RecursionError):
        return {grade_id: "it gave unreadable output" for grade_id in inputs}
    if not isinstance(measured, dict):
        return {grade_id: "it gave unreadable output" for grade_id in inputs}
    return {
        grade_id: _verdict(exercise, grade_id, cases, measured.get(grade_id))
        for grade_id, cases in inputs.items()
    }


def _verdict(exercise: str, grade_id: str, cases: list, results) -> str | None:
    part = part_for_grade_id(exercise, grade_id)
    if not isinstance(results, list) or len(results) != len(cases):
        return "it returned nothing for this part"
    for (name, inputs), result in zip(cases, results):
        reason = _case_verdict(exercise, part.measures[name], name, inputs, result)
        if reason:
            return reason
    return None


def _case_verdict(exercise: str, measure, name: str, inputs, result) -> str | None:
    where = f"on the grader's inputs, {measure.describe(inputs)}"
    if isinstance(result, dict):
        return f"{where}: your code raised {exception_name(result.get('error'))}"
    expected = reference(exercise, name, inputs)
    if not isinstance(result, list) or not all(type(v) in (int, float) for v in result):
        return f"{where}: it returned something that is not a list of numbers"
    got = [float(value) for value in result]
    if len(got) != len(expected):
        return f"{where}: {len(got)} numbers instead of {len(expected)}"
    wrong = compare(got, expected, measure.tolerance)
    if not wrong:
        return None
    labels = list(measure.labels(inputs))
    first = wrong[0]
    label = labels[first] if len(labels) == len(expected) else f"value {first + 1}"
    reason = f"{where}: {label} was {_shown(got[first])}, expected {_shown(expected[first])}"
    hint = _hint(exercise, measure, name, inputs, got, expected)
    return f"{reason} ({hint})" if hint else reason


def _hint(exercise: str, measure, name: str, inputs, got, expected) -> str:
    for hint, values in mistakes(exercise, name, inputs):
        if not compare(got, values, measure.tolerance):
            return hint
    if measure.hint is not None:
        try:
            return measure.hint(got, expected) or ""
        except Exception:
            return ""
    return ""


def _shown(number: float) -> str:
    return "nan" if math.isnan(number) else show(number)
