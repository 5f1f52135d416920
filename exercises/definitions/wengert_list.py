"""Exercise 2: a Wengert list by hand: primal, tangent and adjoint traces."""

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.referee.wengert_list import adjoint_case, primal_case, tangent_case

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

$$f(x_1, x_2) = (x_1 x_2 + x_2)\,x_1$$

the list is

| line | primal |
|---|---|
| v1 | x1 · x2 |
| v2 | v1 + x2 |
| v3 | v2 · x1 (= f) |

Each input is read on two lines: x1 by v1 and v3, x2 by v1 and v2. At
(x1, x2) = (3, −2) that gives f = −24, ∂f/∂x1 = −14 and ∂f/∂x2 = 12. You
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
    v1 = x1 * x2
    v2 = v1 + x2
    v3 = v2 * x1
    ### END SOLUTION
    return [v1, v2, v3]
'''


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
    dv1 = dx1 * x2 + x1 * dx2
    dv2 = dv1 + dx2
    dv3 = dv2 * x1 + v2 * dx1
    ### END SOLUTION
    return [dv1, dv2, dv3]
'''


ADJOINT_PROMPT = """
## The adjoint trace

Walk the list backwards. Start with v3_bar = ∂f/∂v3 = 1; each line passes
`its adjoint × local partial` to the lines it reads. An input read on two
lines (x1 by v1 and v3, x2 by v1 and v2) collects both contributions. Return a dict
with the keys `"v3"`, `"v2"`, `"v1"`, `"x1"`, `"x2"`.
"""

ADJOINT_ANSWER = '''
def adjoint_trace(x1, x2):
    """Reverse mode by hand: a dict of the adjoints of v3, v2, v1, x1 and x2."""
    v1, v2, v3 = primal_trace(x1, x2)
    ### BEGIN SOLUTION
    v3_bar = 1.0
    v2_bar = v3_bar * x1
    v1_bar = v2_bar * 1.0
    x1_bar = v3_bar * v2 + v1_bar * x2
    x2_bar = v2_bar * 1.0 + v1_bar * x1
    ### END SOLUTION
    return {"v3": v3_bar, "v2": v2_bar, "v1": v1_bar, "x1": x1_bar, "x2": x2_bar}
'''


# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "primal_trace": [primal_case(3.0, -2.0), primal_case(-1.0, 0.5), primal_case(0.0, 9.0)],
    "tangent_trace": [
        tangent_case(3.0, -2.0, 1.0, 0.0),
        tangent_case(3.0, -2.0, 0.0, 1.0),
        tangent_case(-1.5, 2.5, 0.6, -0.8),
    ],
    "adjoint_trace": [adjoint_case(3.0, -2.0), adjoint_case(0.25, -3.0)],
}

# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
MISTAKES = {
    "primal: a sum for the product": Mistake(
        {"primal_answer": [("v3 = v2 * x1", "v3 = v2 + x1")]},
        ("primal_trace",),
        ("v3 = -24",),
    ),
    "tangent: no product rule": Mistake(
        {"tangent_answer": [("dv1 = dx1 * x2 + x1 * dx2", "dv1 = dx1 * dx2")]},
        ("tangent_trace",),
        ("the product rule",),
    ),
    "tangent: v3's product rule half done": Mistake(
        {"tangent_answer": [("dv3 = dv2 * x1 + v2 * dx1", "dv3 = dv2 * x1")]},
        ("tangent_trace",),
        ("dv3 = dv2 · x1 + v2 · dx1",),
    ),
    "adjoint: one path of x1 missed": Mistake(
        {"adjoint_answer": [("x1_bar = v3_bar * v2 + v1_bar * x2", "x1_bar = v1_bar * x2")]},
        ("adjoint_trace",),
        ("x1_bar = -14", "sums two paths"),
    ),
    "adjoint: one path of x2 missed": Mistake(
        {"adjoint_answer": [("x2_bar = v2_bar * 1.0 + v1_bar * x1", "x2_bar = v1_bar * x1")]},
        ("adjoint_trace",),
        ("x2 is read by v1 and v2",),
    ),
    "adjoint: v2_bar from the wrong factor": Mistake(
        {"adjoint_answer": [("v2_bar = v3_bar * x1", "v2_bar = v3_bar * v2")]},
        ("adjoint_trace",),
        ("v2_bar = v3_bar · x1",),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt("## The primal trace\n\nOne primitive per line.", "primal_prompt"),
        solution(PRIMAL_ANSWER, "primal_answer"),
        test_cell(NAME, "primal_trace", points=1),
        prompt(TANGENT_PROMPT, "tangent_prompt"),
        solution(TANGENT_ANSWER, "tangent_answer"),
        test_cell(NAME, "tangent_trace", points=2),
        prompt(ADJOINT_PROMPT, "adjoint_prompt"),
        solution(ADJOINT_ANSWER, "adjoint_answer"),
        test_cell(NAME, "adjoint_trace", points=2),
    ]
