"""The check catalogue: every part ``check`` knows, and the grader's probes, by exercise.

Each module describes one exercise: ``PARTS`` (what ``check(name)`` runs,
with hints for the usual mistakes) and ``PROBES`` (what the grader measures
on inputs of its own choosing). The catalogue holds expected numbers and how
to measure the student's objects, never the solutions.
"""

from __future__ import annotations

from . import array_vjps, dual_numbers, softmax_jacobian, value_class, wengert_list, xor_mlp

_MODULES = (value_class, softmax_jacobian, xor_mlp, dual_numbers, wengert_list, array_vjps)

PARTS = {part.name: part for module in _MODULES for part in module.PARTS}
PROBES = {module.EXERCISE: list(module.PROBES) for module in _MODULES}
EXERCISES = tuple(module.EXERCISE for module in _MODULES)
