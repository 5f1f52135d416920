"""Exercise 4: softmax, its Jacobian by hand, and both autodiff modes agreeing with it."""

from autodiff_lab.grading.notebook_format import given, prompt, solution, test

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
let `autodiff_lab.jacobian` differentiate your `softmax` in forward mode
(column by column) and in reverse mode (row by row): all three must agree.
"""

GIVEN = """
import numpy as np

from autodiff_lab import jacobian
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

SOFTMAX_TESTS = """
check("softmax", strict=True)
### BEGIN HIDDEN TESTS
assert np.allclose(softmax([-1000.0, -1000.0]), [0.5, 0.5]), "softmax([-1000, -1000])"
point = np.array([0.3, -2.0, 1.1, 4.0, -0.5])
expected = np.exp(point) / np.exp(point).sum()
assert np.allclose(softmax(point), expected), "softmax of a numpy array of 5 numbers"
assert np.allclose(softmax(point + 50.0), expected), "shifting every input changes nothing"
### END HIDDEN TESTS
"""

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

JACOBIAN_TESTS = """
check("softmax_jacobian", strict=True)
### BEGIN HIDDEN TESTS
point = [0.2, -1.3, 2.4, 0.0]
s = np.exp(point) / np.exp(point).sum()
J = np.asarray(softmax_jacobian(point), dtype=float)
assert np.allclose(J, np.diag(s) - np.outer(s, s)), "softmax_jacobian at a 4-vector"
assert np.allclose(J, J.T), "the softmax Jacobian is symmetric"
assert np.allclose(J.sum(axis=0), 0.0), "each column adds up to 0 (the outputs sum to 1)"
assert np.allclose(J.sum(axis=1), 0.0), "rows add up to 0 (shifting all inputs changes nothing)"
big = np.asarray(softmax_jacobian([1000.0, 999.0]), dtype=float)
assert np.all(np.isfinite(big)), "softmax_jacobian at [1000, 999] must be finite"
assert np.allclose(softmax_jacobian([7.5]), [[0.0]]), "one input: the Jacobian is [[0]]"
### END HIDDEN TESTS
"""

AUTODIFF_PROMPT = """
## Part 3: let autodiff check your algebra

`jacobian(softmax, x, mode="forward")` pushes one dual number per input
through your `softmax` (a column of J each time); `mode="reverse"` runs one
backward pass per output (a row each time). The check compares both with the
exact Jacobian s_i(δ_ij − s_j); the graded test also compares them with your
`softmax_jacobian` from Part 2.
"""

AUTODIFF_TESTS = """
check("softmax_autodiff", strict=True)
### BEGIN HIDDEN TESTS
point = np.array([1.0, -0.5, 0.25])
by_formula = softmax_jacobian(point)
assert np.allclose(jacobian(softmax, point, mode="forward"), by_formula), "forward mode"
assert np.allclose(jacobian(softmax, point, mode="reverse"), by_formula), "reverse mode"
point = np.array([3.0, 0.1, -2.2, 1.7])
forward = jacobian(softmax, point, mode="forward")
reverse = jacobian(softmax, point, mode="reverse")
assert np.allclose(forward, reverse), "forward and reverse mode disagree on a 4-vector"
assert np.allclose(forward, softmax_jacobian(point)), "autodiff and formula disagree"
large = jacobian(softmax, np.array([1000.0, 1001.0]), mode="reverse")
assert np.all(np.isfinite(large)), "reverse mode through softmax at [1000, 1001]"
### END HIDDEN TESTS
"""


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt(SOFTMAX_PROMPT, "softmax_prompt"),
        solution(SOFTMAX_ANSWER, "softmax_answer"),
        test(SOFTMAX_TESTS, "softmax_tests", points=2),
        prompt(JACOBIAN_PROMPT, "jacobian_prompt"),
        solution(JACOBIAN_ANSWER, "jacobian_answer"),
        test(JACOBIAN_TESTS, "jacobian_tests", points=2),
        prompt(AUTODIFF_PROMPT, "autodiff_prompt"),
        test(AUTODIFF_TESTS, "autodiff_tests", points=2),
    ]
