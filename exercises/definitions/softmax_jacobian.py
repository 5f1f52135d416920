"""Exercise 4: softmax, its Jacobian by hand, and both autodiff modes agreeing with it."""

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.referee.softmax_jacobian import jacobian_case

NAME = "softmax_jacobian"
AFTER_LESSON = 10  # the lesson it practises; its number follows lesson order

INTRO = r"""
# Exercise 4: the Jacobian of softmax

*After lesson 10,
[Vector functions and their Jacobians](../../notebooks/10_vector_functions.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

Softmax turns n numbers into n positive numbers that add up to 1:

$$s_i = \frac{e^{x_i}}{\sum_j e^{x_j}}.$$

Every output depends on every input, so its derivative is an n × n matrix, the
**Jacobian** $J_{ij} = \partial s_i / \partial x_j$. Working it out by the
quotient rule gives

$$J_{ij} = s_i\,(\delta_{ij} - s_j),$$

where $\delta_{ij}$ is 1 when i = j and 0 otherwise: $s_i(1 - s_i)$ on the
diagonal and $-s_i s_j$ off it.

You will write `softmax`, then `softmax_jacobian` from the formula, and then
let forward mode (column by column) and reverse mode (row by row)
differentiate your `softmax`: all three must agree.
"""

GIVEN = """
import numpy as np

from autodiff_lab import math as admath
from autodiff_lab.grading import check
"""

SOFTMAX_PROMPT = """
## Part 1: softmax

`softmax(x)` takes a sequence of numbers and returns a list of the same
length. Two requirements:

* it must work on plain floats **and** on the `Value` and `Dual` objects that
  autodiff passes in, so use `admath.exp` (it accepts all three) rather than
  `math.exp` or `np.exp` on floats;
* it must work for large inputs such as `[1000, 1001, 1002]`, where e^1000
  overflows. Softmax is unchanged when every input moves by the same amount,
  so subtract the largest input first (`max(x)` works on Values and Duals).
"""

SOFTMAX_ANSWER = '''
def softmax(x):
    """Softmax of a sequence of floats, Values or Duals, as a list."""
    ### BEGIN SOLUTION
    shift = max(x)
    exps = [admath.exp(xi - shift) for xi in x]
    total = sum(exps)
    return [e / total for e in exps]
    ### END SOLUTION
'''


JACOBIAN_PROMPT = """
## Part 2: the Jacobian, from the formula

`softmax_jacobian(x)` returns the n × n numpy array with entries
`s[i] * (delta_ij - s[j])`. Compute `s = softmax(x)` once and build the matrix
(`np.diag` and `np.outer` make it two lines, a double loop is fine too).
"""

JACOBIAN_ANSWER = '''
def softmax_jacobian(x):
    """J[i][j] = d s_i / d x_j = s_i (delta_ij - s_j), as an n-by-n numpy array."""
    ### BEGIN SOLUTION
    s = np.array(softmax(x), dtype=float)
    return np.diag(s) - np.outer(s, s)
    ### END SOLUTION
'''


AUTODIFF_PROMPT = """
## Part 3: let autodiff see through your softmax

Forward mode pushes one dual number per input through your `softmax` (a
column of J each time); reverse mode runs one backward pass per output (a row
each time). The check below does both with the engine's `Dual` and `Value` and
compares them with finite differences of your own `softmax`: they agree only if
every step of it is an operation on its inputs (`admath.exp`, `+`, `-`, `/`),
never `math.exp`, `float(...)` or `.data`.

To see it yourself, try `autodiff_lab.jacobian(softmax, x, mode="forward")` and
`mode="reverse"` in a cell of your own and compare with your `softmax_jacobian`.
(The grader's sandbox has no `jacobian`, so keep that cell an experiment.)
"""


# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "softmax": [
        ("softmax", [1.0, 2.0, 3.0]),
        ("softmax", [1000.0, 1001.0, 1002.0]),
        ("softmax", [0.0, 1000.0]),
        ("softmax", [0.5]),
        ("softmax_of_values", [0.1, -0.4]),
    ],
    "softmax_jacobian": [
        jacobian_case([1.0, 2.0, 3.0]),
        jacobian_case([0.0, 0.0]),
        jacobian_case([1000.0, 999.0]),
    ],
    "softmax_autodiff": [("autodiff", [0.5, -1.0, 2.0])],
}


# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
MISTAKES = {
    "softmax: no shift": Mistake(
        {"softmax_answer": [("shift = max(x)", "shift = 0.0")]},
        ("softmax",),
        ("softmax([1000, 1001, 1002])", "subtract the largest input"),
    ),
    "softmax: the smallest input subtracted": Mistake(
        {"softmax_answer": [("shift = max(x)", "shift = min(x)")]},
        ("softmax",),
        ("softmax([0, 1000])", "Subtracting the smallest input is not enough"),
    ),
    "softmax: math.exp": Mistake(
        {
            "softmax_answer": [
                ("def softmax(x):", "import math\n\n\ndef softmax(x):"),
                ("admath.exp(xi - shift)", "math.exp(xi - shift)"),
            ]
        },
        ("softmax", "softmax_autodiff"),
        ("admath.exp",),
    ),
    "softmax: numbers taken out of the Values": Mistake(
        {
            "softmax_answer": [
                ("admath.exp(xi - shift)", "admath.exp(getattr(xi - shift, 'data', xi - shift))")
            ]
        },
        ("softmax_autodiff",),
        ("never float(...) or .data",),
    ),
    "jacobian: the off-diagonal sign": Mistake(
        {
            "jacobian_answer": [
                ("np.diag(s) - np.outer(s, s)", "np.diag(s) + np.outer(s, s) - 2 * np.diag(s * s)")
            ]
        },
        ("softmax_jacobian",),
        ("off-diagonal entries have the wrong sign",),
    ),
    "jacobian: the product on the diagonal only": Mistake(
        {"jacobian_answer": [("np.diag(s) - np.outer(s, s)", "np.diag(s - s * s)")]},
        ("softmax_jacobian",),
        ("the off-diagonal entries are -s_i s_j",),
    ),
    "jacobian: autodiff instead of the formula": Mistake(
        {
            "jacobian_answer": [
                (
                    "s = np.array(softmax(x), dtype=float)\n    return np.diag(s) - np.outer(s, s)",
                    "from autodiff_lab import jacobian\n\n"
                    "    return jacobian(softmax, np.array(x, dtype=float))",
                )
            ]
        },
        ("softmax_jacobian",),
        ("replaced your softmax by its own numbers",),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt(SOFTMAX_PROMPT, "softmax_prompt"),
        solution(SOFTMAX_ANSWER, "softmax_answer"),
        test_cell(NAME, "softmax", points=2),
        prompt(JACOBIAN_PROMPT, "jacobian_prompt"),
        solution(JACOBIAN_ANSWER, "jacobian_answer"),
        test_cell(NAME, "softmax_jacobian", points=2),
        prompt(AUTODIFF_PROMPT, "autodiff_prompt"),
        test_cell(NAME, "softmax_autodiff", points=2),
    ]
