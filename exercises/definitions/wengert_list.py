"""Exercise 2: a Wengert list by hand: primal, tangent and adjoint traces."""

from autodiff_lab.grading.notebook_format import given, prompt, solution, test

NAME = "wengert_list"
AFTER_LESSON = 5  # the lesson it practises; its number follows lesson order

INTRO = r"""
# Exercise 2: a Wengert list by hand

*After lessons 3 to 5, from
[Computational graphs and Wengert lists](../../notebooks/03_graphs_and_traces.ipynb) to
[Reverse mode and adjoints](../../notebooks/05_reverse_mode.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

Automatic differentiation sees a program as a list of primitive steps, one
operation per line: a **Wengert list**. For

$$f(x_1, x_2) = (x_1 + x_2)\,(x_1 x_2)$$

the list is

| line | primal |
|---|---|
| v1 | x1 + x2 |
| v2 | x1 · x2 |
| v3 | v1 · v2 (= f) |

At (x1, x2) = (2, 3) that gives f = 30, ∂f/∂x1 = 21 and ∂f/∂x2 = 16. You
will write three traces as plain Python, one line per row, no autodiff
library: the primal trace, the tangent trace (forward mode: each line's
derivative along a chosen input direction) and the adjoint trace (reverse
mode: each line's ∂f/∂line, from v3 back to the inputs).
"""

GIVEN = """
from autodiff_lab.grading import check
"""

PRIMAL_ANSWER = '''
def primal_trace(x1, x2):
    """The Wengert list of f, one primitive per line; returns [v1, v2, v3]."""
    ### BEGIN SOLUTION
    v1 = x1 + x2
    v2 = x1 * x2
    v3 = v1 * v2
    ### END SOLUTION
    return [v1, v2, v3]
'''

PRIMAL_TESTS = """
check("primal_trace", strict=True)
### BEGIN HIDDEN TESTS
assert primal_trace(0.5, -4.0) == [-3.5, -2.0, 7.0], "primal_trace(0.5, -4)"
assert primal_trace(0.0, 9.0)[2] == 0.0, "f(0, x2) = 0"
### END HIDDEN TESTS
"""

TANGENT_PROMPT = """
## The tangent trace

Give each line a tangent: dv1, dv2, dv3 are the derivatives of v1, v2, v3 when
the inputs move in direction (dx1, dx2). Apply the sum rule and the product
rule line by line. With (dx1, dx2) = (1, 0), dv3 is ∂f/∂x1.
"""

TANGENT_ANSWER = '''
def tangent_trace(x1, x2, dx1, dx2):
    """Forward mode by hand: returns [dv1, dv2, dv3] for input tangents (dx1, dx2)."""
    v1, v2, v3 = primal_trace(x1, x2)
    ### BEGIN SOLUTION
    dv1 = dx1 + dx2
    dv2 = dx1 * x2 + x1 * dx2
    dv3 = dv1 * v2 + v1 * dv2
    ### END SOLUTION
    return [dv1, dv2, dv3]
'''

TANGENT_TESTS = """
check("tangent_trace", strict=True)
### BEGIN HIDDEN TESTS
import math

from autodiff_lab import grad

slope = grad(lambda a, b: (a + b) * (a * b), argnums=(0, 1))(-1.5, 2.5)
assert math.isclose(tangent_trace(-1.5, 2.5, 1.0, 0.0)[2], slope[0]), "df/dx1 at (-1.5, 2.5)"
assert math.isclose(tangent_trace(-1.5, 2.5, 0.0, 1.0)[2], slope[1]), "df/dx2 at (-1.5, 2.5)"
direction = tangent_trace(-1.5, 2.5, 0.6, -0.8)[2]
assert math.isclose(direction, 0.6 * slope[0] - 0.8 * slope[1]), "a directional derivative"
### END HIDDEN TESTS
"""

ADJOINT_PROMPT = """
## The adjoint trace

Walk the list backwards. Start with v3_bar = ∂f/∂v3 = 1; each line passes
`its adjoint × local partial` to the lines it reads. An input used on two
lines (x1 appears in v1 and in v2) collects both contributions. Return a dict
with the keys `"v3"`, `"v2"`, `"v1"`, `"x1"`, `"x2"`.
"""

ADJOINT_ANSWER = '''
def adjoint_trace(x1, x2):
    """Reverse mode by hand: a dict of the adjoints of v3, v2, v1, x1 and x2."""
    v1, v2, v3 = primal_trace(x1, x2)
    ### BEGIN SOLUTION
    v3_bar = 1.0
    v1_bar = v3_bar * v2
    v2_bar = v3_bar * v1
    x1_bar = v1_bar * 1.0 + v2_bar * x2
    x2_bar = v1_bar * 1.0 + v2_bar * x1
    ### END SOLUTION
    return {"v3": v3_bar, "v2": v2_bar, "v1": v1_bar, "x1": x1_bar, "x2": x2_bar}
'''

ADJOINT_TESTS = """
check("adjoint_trace", strict=True)
### BEGIN HIDDEN TESTS
import math

from autodiff_lab import grad

for point in ((0.25, -3.0), (4.0, 4.0)):
    slope = grad(lambda a, b: (a + b) * (a * b), argnums=(0, 1))(*point)
    bars = adjoint_trace(*point)
    assert math.isclose(bars["x1"], slope[0]) and math.isclose(bars["x2"], slope[1]), point
    assert math.isclose(bars["v1"], point[0] * point[1]), "v1_bar = v2 at " + str(point)
### END HIDDEN TESTS
"""


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt("## The primal trace\n\nOne primitive per line.", "primal_prompt"),
        solution(PRIMAL_ANSWER, "primal_answer"),
        test(PRIMAL_TESTS, "primal_tests", points=1),
        prompt(TANGENT_PROMPT, "tangent_prompt"),
        solution(TANGENT_ANSWER, "tangent_answer"),
        test(TANGENT_TESTS, "tangent_tests", points=2),
        prompt(ADJOINT_PROMPT, "adjoint_prompt"),
        solution(ADJOINT_ANSWER, "adjoint_answer"),
        test(ADJOINT_TESTS, "adjoint_tests", points=2),
    ]
