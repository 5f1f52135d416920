"""The grader's random programs: every operation a probe asks for reaches the output.

Found by an attacker whose exp was wrong (tests/grading/hostile.py,
``always_equal_objects``): it scored on ``exp_tests`` whenever the probe's
seed drew programs whose exp nodes fed nothing that reached the output.
"""

from __future__ import annotations

import math
import random

import pytest

from autodiff_lab import Value
from autodiff_lab import math as admath
from autodiff_lab.grading.programs import _output_depends_on, random_program, run_program

ENGINE = {"exp": admath.exp, "tanh": admath.tanh, "sin": admath.sin}
ARITHMETIC = ("add", "mul", "sub", "addc", "mulc", "neg")
# the operations and must-use lists of the value_class and dual_numbers probes
ASKS = [
    ((*ARITHMETIC, "exp"), ("exp",)),
    ((*ARITHMETIC, "tanh"), ("tanh",)),
    ((*ARITHMETIC, "div", "divc", "rdiv"), ("div", "divc", "rdiv")),
    ((*ARITHMETIC, "sin", "exp"), ("sin", "exp")),
    ((*ARITHMETIC, "sin", "exp", "rdiv"), ("sin",)),
]


def _gradients_of_every_node(program):
    nodes = run_program(program, Value, ENGINE)
    nodes[-1].backward()
    return nodes


@pytest.mark.parametrize("operations, must_use", ASKS)
def test_each_asked_operation_has_a_node_the_output_depends_on(operations, must_use):
    for seed in range(300):
        rng = random.Random(seed)
        leaves = [rng.uniform(-2, 2) for _ in range(2)]
        program = random_program(rng, operations, leaves, 6, must_use)
        nodes = _gradients_of_every_node(program)
        for name in must_use:
            slopes = [nodes[i].grad for i, ins in enumerate(program) if ins[0] == name]
            assert any(abs(slope) > 1e-9 for slope in slopes), (seed, name, program)


def test_a_dead_operation_is_joined_to_the_output():
    program = [["leaf", 0.5], ["exp", 0], ["mulc", 0, 2.0]]  # exp feeds nothing
    values = [0.5, math.exp(0.5), 1.0]
    fixed = _output_depends_on([list(i) for i in program], values, ("exp",))
    assert fixed == [*program, ["add", 2, 1]]
    assert _gradients_of_every_node(fixed)[1].grad == 1.0


def _compared(program, ops):
    """What the grader compares: the output and its gradient at each leaf."""
    nodes = run_program(program, Value, ops)
    nodes[-1].backward()
    return [nodes[-1].data, *(n.grad for n, ins in zip(nodes, program) if ins[0] == "leaf")]


WRONG = {  # each right to first order at 0, as a lazy answer might be
    "exp": lambda node: node + 1.0,
    "tanh": lambda node: node * 1.0,
    "sin": lambda node: node * 1.0,
}


@pytest.mark.parametrize("name", WRONG)
def test_a_function_right_only_near_0_changes_what_the_grader_compares(name):
    for seed in range(300):
        rng = random.Random(seed)
        leaves = [rng.uniform(-2, 2) for _ in range(2)]
        program = random_program(rng, (*ARITHMETIC, name), leaves, 6, (name,))
        right = _compared(program, ENGINE)
        forged = _compared(program, {**ENGINE, name: WRONG[name]})
        assert right != pytest.approx(forged, rel=1e-9, abs=1e-12), (seed, program)
