"""The kernel side of every exercise: its parts, the measures that run the student's code, hints.

Each module ``catalogue/<exercise>.py`` declares ``PARTS`` (see `cases.Part`)
and the view of the engine its sandbox shows: ``ENGINE``, the engine modules
the exercise builds on, and ``EXPORTS``, the names ``autodiff_lab`` gives
there. An exercise that asks for something the engine has (a Value class, dual
numbers, VJPs) gets a sandbox without it. Its fixed cases, with the numbers
expected, are in ``catalogue/<exercise>_cases.py``, written by
``exercises/build_sources.py`` from the definition and the grader's references.

Nothing here computes a right answer: these modules run inside the sandbox.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import import_module
from types import ModuleType

from ..cases import Case, Part

# Lesson order, which is also how the exercises are numbered.
EXERCISES = (
    "dual_numbers",
    "wengert_list",
    "value_class",
    "softmax_jacobian",
    "xor_mlp",
    "array_vjps",
    "custom_primitives",
)


@cache
def module(exercise: str) -> ModuleType:
    if exercise not in EXERCISES:
        raise KeyError(f"no exercise called {exercise!r}")
    return import_module(f".{exercise}", __name__)


def parts(exercise: str) -> list[Part]:
    return list(module(exercise).PARTS)


@cache
def part_index() -> dict[str, tuple[str, Part]]:
    """check's name of every part -> (exercise, part)."""
    return {part.name: (exercise, part) for exercise in EXERCISES for part in parts(exercise)}


def part_for_grade_id(exercise: str, grade_id: str) -> Part | None:
    return next((part for part in parts(exercise) if part.grade_id == grade_id), None)


@cache
def fixed_cases(exercise: str) -> dict[str, list[Case]]:
    """Each part's fixed cases, with their expected numbers (empty before the first build)."""
    try:
        stored = import_module(f".{exercise}_cases", __name__)
    except ModuleNotFoundError:
        return {}
    data = json.loads(stored.CASES)
    by_name = {part.name: part for part in parts(exercise)}
    return {
        name: [Case.from_json(by_name[name], case) for case in cases]
        for name, cases in data.items()
        if name in by_name
    }


def engine_view(exercise: str | None) -> tuple[tuple[str, ...] | None, dict[str, str]]:
    """(engine modules, exported names) of the exercise's sandbox; (None, {}) shows all."""
    if exercise not in EXERCISES:
        return None, {}
    exercise_module = module(exercise)
    return tuple(exercise_module.ENGINE), dict(exercise_module.EXPORTS)
