"""The grader's references: what each probe should measure, computed in the grader's process.

This package is hidden from sandboxed kernels (an empty folder is mounted
over it), so code in a submission cannot call it to fake a probe's answer.
Where a probe runs a random program, the reference runs the same program on
the engine's own `Value` and `Dual`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ... import Dual, Value
from ... import math as admath
from ..catalogue import softmax_jacobian, wengert_list, xor_mlp
from ..programs import leaf_indices, run_program
from . import array_vjps

_ENGINE_OPS = {"exp": admath.exp, "tanh": admath.tanh, "sin": admath.sin}


def program_gradients(program) -> list[float]:
    """[output, d output/d leaf for each leaf] by the engine's reverse mode."""
    nodes = run_program(program, Value, _ENGINE_OPS)
    output = nodes[-1]
    output.backward()
    return [output.data, *(nodes[index].grad for index in leaf_indices(program))]


def program_tangent(program, tangent: float) -> list[float]:
    """(primal, tangent) of a one-leaf program at leaf + tangent·ε, by the engine's Dual."""
    nodes = run_program(program, lambda x: Dual(x, tangent), _ENGINE_OPS)
    return [nodes[-1].primal, nodes[-1].tangent]


def _gradients(inputs) -> list:
    return [program_gradients(program) for program in inputs["programs"]]


def _tangents(inputs) -> list:
    return [program_tangent(program, inputs["tangent"]) for program in inputs["programs"]]


def _tanh_with_large(inputs) -> list:
    return [program_gradients(inputs["program"])] + [
        (math.tanh(x), 1 - math.tanh(x) ** 2) for x in inputs["large"]
    ]


def _softmax(xs) -> list:
    return [softmax_jacobian.reference_softmax(x) for x in xs]


def _trained(args) -> list:
    w, losses = xor_mlp.descend(args[0], xor_mlp.XOR_INPUTS, xor_mlp.XOR_TARGETS, 2, args[1])
    return [w, *losses]


REFERENCES: dict[str, dict[str, Callable[[Any], Any]]] = {
    "value_class": {
        "exp_tests": _gradients,
        "tanh_tests": _tanh_with_large,
        "division_tests": _gradients,
        "backward_tests": _gradients,
    },
    "dual_numbers": {
        "arithmetic_tests": _tangents,
        "function_tests": _tangents,
        "derivative_tests": lambda inputs: [program_tangent(p, 1.0)[1] for p in inputs["programs"]],
    },
    "softmax_jacobian": {
        "softmax_tests": _softmax,
        "jacobian_tests": softmax_jacobian.reference_jacobian,
        "autodiff_tests": lambda x: [softmax_jacobian.reference_jacobian(x)] * 2,
    },
    "xor_mlp": {
        "mlp_tests": lambda n_hidden: 4 * n_hidden + 1,
        "loss_tests": lambda args: xor_mlp.one_weight_loss(args[0], xor_mlp.XOR_INPUTS, args[1]),
        "train_tests": _trained,
        "xor_tests": lambda seed: 1.0,  # every case right, whatever the seed
    },
    "wengert_list": {
        "primal_tests": lambda p: wengert_list.primal(*p),
        "tangent_tests": lambda p: wengert_list.tangent(*p),
        "adjoint_tests": lambda p: wengert_list.adjoints(*p),
    },
    "array_vjps": array_vjps.REFERENCES,
}


def has_reference(exercise: str | None, grade_id: str) -> bool:
    return grade_id in REFERENCES.get(exercise or "", {})


def reference_values(exercise: str, grade_id: str, inputs) -> Any:
    return REFERENCES[exercise][grade_id](inputs)
