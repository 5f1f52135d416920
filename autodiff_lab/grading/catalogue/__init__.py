"""The kernel side of every exercise: its parts, the measures that run the student's code, hints.

Each module ``catalogue/<exercise>.py`` declares ``PARTS`` (see `cases.Part`)
and the view of the engine its sandbox shows: ``ENGINE``, the engine modules
the exercise builds on, and ``EXPORTS``, the names ``autodiff_lab`` gives
there. An exercise that asks for something the engine has (a Value class, dual
numbers, VJPs) gets a sandbox without it. Its fixed cases, with the numbers
expected, are in ``catalogue/<exercise>_cases.py``, written by
``exercises/build_sources.py`` from the definition and the grader's references.

An exercise written outside the package (an instructor's course folder, see
`autodiff_lab.grading.course`) is registered with `use_exercise`: its
catalogue module's text and its fixed cases, which the notebook's first
locked cell hands over, so a released notebook carries its own checks into
the student's kernel and the grader's sandbox alike.

Nothing here computes a right answer: these modules run inside the sandbox.
"""

from __future__ import annotations

import json
import sys
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


# Exercises registered from outside the package: name -> where they came from.
_REGISTERED: dict[str, str] = {}


def exercises() -> tuple[str, ...]:
    """The package's exercises, then those registered with `use_exercise`."""
    return EXERCISES + tuple(name for name in _REGISTERED if name not in EXERCISES)


def use_exercise(name: str, catalogue_text: str, cases_text: str = "", origin: str = "") -> None:
    """Register exercise ``name`` from the text of its catalogue module (``PARTS``, ``ENGINE``,
    ``EXPORTS``) and of its fixed cases (``<name>_cases.py``'s text, or "" before a build).

    The module becomes ``autodiff_lab.grading.catalogue.<name>``, as the package's own
    are; registering the same name again replaces it (a student may re-run the cell).
    """
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"an exercise's name must be a Python identifier, got {name!r}")
    if name in EXERCISES:
        raise ValueError(f"{name!r} is one of the package's own exercises; choose another name")
    where = origin or f"exercise {name}"
    catalogue = _module_from_text(f"{__name__}.{name}", catalogue_text, where)
    for attribute in ("PARTS",):
        if not hasattr(catalogue, attribute):
            raise ValueError(f"the catalogue module of {name!r} ({where}) defines no {attribute}")
    others = {
        part.name: exercise
        for exercise in exercises()
        if exercise != name
        for part in module(exercise).PARTS
    }
    clashes = [part.name for part in catalogue.PARTS if part.name in others]
    if clashes:
        raise ValueError(
            f"the part name(s) {', '.join(clashes)} of {name!r} are taken by "
            f"{', '.join(sorted({others[clash] for clash in clashes}))}; `check` finds a part "
            "by its name, so choose others"
        )
    sys.modules[catalogue.__name__] = catalogue
    cases_name = f"{__name__}.{name}_cases"
    if cases_text:
        sys.modules[cases_name] = _module_from_text(cases_name, cases_text, where)
    else:
        sys.modules.pop(cases_name, None)
    _REGISTERED[name] = where
    for cached in (module, part_index, fixed_cases):
        cached.cache_clear()


def forget_exercise(name: str) -> None:
    """Undo `use_exercise` for ``name`` (a no-op for the package's own exercises)."""
    if _REGISTERED.pop(name, None) is None:
        return
    for suffix in ("", "_cases"):
        sys.modules.pop(f"{__name__}.{name}{suffix}", None)
    for cached in (module, part_index, fixed_cases):
        cached.cache_clear()


def registered_origin(exercise: str) -> str | None:
    """Where a registered exercise came from; None for the package's own (or an unknown one)."""
    return _REGISTERED.get(exercise)


def _module_from_text(name: str, text: str, origin: str) -> ModuleType:
    created = ModuleType(name)
    created.__file__ = f"<{origin}>"
    exec(compile(text, f"<{origin}: {name.rsplit('.', 1)[-1]}>", "exec"), created.__dict__)
    return created


@cache
def module(exercise: str) -> ModuleType:
    """The catalogue module of ``exercise``."""
    if exercise not in exercises():
        raise KeyError(f"no exercise called {exercise!r}")
    if exercise in _REGISTERED:
        return sys.modules[f"{__name__}.{exercise}"]
    return import_module(f".{exercise}", __name__)


def parts(exercise: str) -> list[Part]:
    """The parts of ``exercise``, in notebook order."""
    return list(module(exercise).PARTS)


@cache
def part_index() -> dict[str, tuple[str, Part]]:
    """check's name of every part -> (exercise, part)."""
    return {part.name: (exercise, part) for exercise in exercises() for part in parts(exercise)}


def part_for_grade_id(exercise: str, grade_id: str) -> Part | None:
    """The part of ``exercise`` whose test cell has ``grade_id``, or None."""
    return next((part for part in parts(exercise) if part.grade_id == grade_id), None)


@cache
def fixed_cases(exercise: str) -> dict[str, list[Case]]:
    """Each part's fixed cases, with their expected numbers (empty before the first build)."""
    try:
        stored = (
            sys.modules[f"{__name__}.{exercise}_cases"]
            if exercise in _REGISTERED
            else import_module(f".{exercise}_cases", __name__)
        )
    except (ModuleNotFoundError, KeyError):
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
    if exercise not in exercises():
        return None, {}
    exercise_module = module(exercise)
    # An exercise that does not say what it builds on sees no engine at all (fail closed).
    engine = getattr(exercise_module, "ENGINE", ())
    return tuple(engine), dict(getattr(exercise_module, "EXPORTS", {}))
