"""Exercise 1: dual numbers from scratch, and derivatives from one evaluation."""

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.referee.dual_numbers import derivative_case, functions_case, program_case

NAME = "dual_numbers"
AFTER_LESSON = 4  # the lesson it practises; its number follows lesson order

INTRO = r"""
# Exercise 1: dual numbers from scratch

*After lesson 4,
[Forward mode and dual numbers](../../notebooks/04_forward_mode.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

A dual number is $a + b\,\varepsilon$ with one rule: $\varepsilon^2 = 0$.
Evaluate a function at $x + 1\cdot\varepsilon$ and the answer is
$f(x) + f'(x)\,\varepsilon$: the $\varepsilon$ part carries the derivative
along (forward mode). For example $(3 + \varepsilon)^2 + 1 = 10 + 6\varepsilon$.

You will write a `DualNumber` class, the functions `dual_sin` and `dual_exp`,
and `derivative(f, x)`. The package has its own `autodiff_lab.Dual`; don't
use it here, but feel free to compare your answers with it afterwards.
"""

GIVEN = """
import math

from autodiff_lab.grading import check
"""

ARITHMETIC_PROMPT = r"""
## Part 1: arithmetic

`DualNumber(primal, tangent=0.0)` keeps `.primal` (a) and `.tangent` (b).
Write `+`, `-`, `*`, `/` and unary `-`, where the other operand may be a
DualNumber or a plain number on either side (`x + 1`, `2 * x`, `1 / x`). A
plain number c is the dual number $c + 0\varepsilon$ (`DualNumber.lift`
makes it). Expand the product and the quotient by hand, dropping
$\varepsilon^2$, before you code them.
"""

ARITHMETIC_ANSWER = '''
class DualNumber:
    """a + b·ε with ε² = 0: primal a and tangent b."""

    def __init__(self, primal, tangent=0.0):
        self.primal = float(primal)
        self.tangent = float(tangent)

    def __repr__(self):
        return f"DualNumber({self.primal:.6g}, {self.tangent:.6g})"

    @staticmethod
    def lift(other):
        """A plain number c becomes the dual number c + 0ε."""
        return other if isinstance(other, DualNumber) else DualNumber(other)

    def __add__(self, other):
        """(a + a'ε) + (b + b'ε)"""
        ### BEGIN SOLUTION
        other = self.lift(other)
        return DualNumber(self.primal + other.primal, self.tangent + other.tangent)
        ### END SOLUTION

    def __neg__(self):
        """-(a + a'ε)"""
        ### BEGIN SOLUTION
        return DualNumber(-self.primal, -self.tangent)
        ### END SOLUTION

    def __sub__(self, other):
        """(a + a'ε) - (b + b'ε)"""
        ### BEGIN SOLUTION
        return self + (-self.lift(other))
        ### END SOLUTION

    def __rsub__(self, other):
        """other - self, for a plain number other (as in 5 - x)"""
        ### BEGIN SOLUTION
        return self.lift(other) + (-self)
        ### END SOLUTION

    def __mul__(self, other):
        """(a + a'ε)(b + b'ε), with ε² = 0"""
        ### BEGIN SOLUTION
        other = self.lift(other)
        return DualNumber(
            self.primal * other.primal,
            self.primal * other.tangent + self.tangent * other.primal,
        )
        ### END SOLUTION

    def __truediv__(self, other):
        """(a + a'ε) / (b + b'ε)"""
        ### BEGIN SOLUTION
        other = self.lift(other)
        return DualNumber(
            self.primal / other.primal,
            (self.tangent * other.primal - self.primal * other.tangent) / other.primal**2,
        )
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, for a plain number other (as in 1 / x)"""
        ### BEGIN SOLUTION
        return self.lift(other) / self
        ### END SOLUTION

    # x + y and x * y don't depend on the order, so the reflected versions are the same.
    __radd__ = __add__
    __rmul__ = __mul__
'''


FUNCTIONS_PROMPT = r"""
## Part 2: sin and exp

$\sin(a + b\varepsilon) = \sin a + b \cos a\,\varepsilon$ and
$e^{a + b\varepsilon} = e^a + b\,e^a\,\varepsilon$ (Taylor's theorem, with
$\varepsilon^2 = 0$). Write `dual_sin(x)` and `dual_exp(x)` for a DualNumber
`x` (let a plain number through as `math.sin`/`math.exp` of it).
"""

FUNCTIONS_ANSWER = '''
def dual_sin(x):
    """sin of a DualNumber (or of a plain number)."""
    ### BEGIN SOLUTION
    if not isinstance(x, DualNumber):
        return math.sin(x)
    return DualNumber(math.sin(x.primal), x.tangent * math.cos(x.primal))
    ### END SOLUTION


def dual_exp(x):
    """exp of a DualNumber (or of a plain number)."""
    ### BEGIN SOLUTION
    if not isinstance(x, DualNumber):
        return math.exp(x)
    out = math.exp(x.primal)
    return DualNumber(out, x.tangent * out)
    ### END SOLUTION
'''


DERIVATIVE_PROMPT = """
## Part 3: derivatives

`derivative(f, x)` evaluates `f` once at `DualNumber(x, 1.0)` and returns the
tangent of the result, a plain float. If `f` returns a plain number (it did not
depend on its input), the derivative is 0.
"""

DERIVATIVE_ANSWER = '''
def derivative(f, x):
    """f'(x), from one evaluation of f at x + ε."""
    ### BEGIN SOLUTION
    result = f(DualNumber(x, 1.0))
    return result.tangent if isinstance(result, DualNumber) else 0.0
    ### END SOLUTION
'''


# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "dual_arithmetic": [
        program_case([["leaf", 3.0], ["mul", 0, 0], ["addc", 1, 1.0]], text="x * x + 1"),
        program_case(
            [["leaf", 3.0], ["addc", 0, -1.0], ["addc", 0, 1.0], ["div", 1, 2]],
            text="(x - 1) / (x + 1)",
        ),
        program_case([["leaf", 3.0], ["rmul", 2.0, 0], ["addc", 1, -5.0]], text="2 * x - 5"),
        program_case([["leaf", 3.0], ["radd", 1.0, 0], ["mul", 0, 1]], text="x * (1 + x)"),
        program_case([["leaf", 2.0], ["rsub", 5.0, 0]], text="5 - x"),
        program_case([["leaf", 4.0], ["rdiv", 1.0, 0]], text="1 / x"),
        program_case([["leaf", 3.0], ["neg", 0]], 2.0, text="-x"),
    ],
    "dual_functions": [
        functions_case(["sin"], 2.25, 3.0),
        functions_case(["exp"], 1.0, 2.0),
        functions_case(["sin", "exp"], 0.3, 1.0),
        functions_case(["sin"], 0.7, None),
    ],
    "dual_derivative": [
        derivative_case(3.0, [10.0, 6.0]),
        derivative_case(2.0),
    ],
}


# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
MISTAKES = {
    "product: a term missing": Mistake(
        {
            "dual_class": [
                (
                    "self.primal * other.tangent + self.tangent * other.primal,",
                    "self.tangent * other.primal,",
                )
            ]
        },
        ("dual_arithmetic",),
        ("x * x + 1", "(a b' + a' b)ε"),
    ),
    "__rsub__ computes x - 5": Mistake(
        {
            "dual_class": [
                ("return self.lift(other) + (-self)", "return self + (-self.lift(other))")
            ]
        },
        ("dual_arithmetic",),
        ("5 - x at x = 2 + 1ε",),
    ),
    "quotient: a plus in the tangent": Mistake(
        {
            "dual_class": [
                (
                    "self.tangent * other.primal - self.primal * other.tangent",
                    "self.tangent * other.primal + self.primal * other.tangent",
                )
            ]
        },
        ("dual_arithmetic",),
        ("(a' b - a b') / b²",),
    ),
    "sin: forgot the incoming tangent": Mistake(
        {"dual_functions": [("x.tangent * math.cos(x.primal)", "math.cos(x.primal)")]},
        ("dual_functions",),
        ("by the incoming tangent",),
    ),
    "sin: a plain number not let through": Mistake(
        {
            "dual_functions": [
                ("    if not isinstance(x, DualNumber):\n        return math.sin(x)\n", "")
            ]
        },
        ("dual_functions",),
        ("the plain number x = 0.7", "AttributeError"),
    ),
    "derivative: a constant function breaks it": Mistake(
        {
            "derivative_answer": [
                (
                    "return result.tangent if isinstance(result, DualNumber) else 0.0",
                    "return result.tangent",
                )
            ]
        },
        ("dual_derivative",),
        ("its derivative is 0",),
    ),
    "derivative: tangent 0 at the input": Mistake(
        {"derivative_answer": [("f(DualNumber(x, 1.0))", "f(DualNumber(x))")]},
        ("dual_derivative",),
        ("seed the input with tangent 1",),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt(ARITHMETIC_PROMPT, "arithmetic_prompt"),
        solution(ARITHMETIC_ANSWER, "dual_class"),
        test_cell(NAME, "dual_arithmetic", points=3),
        prompt(FUNCTIONS_PROMPT, "functions_prompt"),
        solution(FUNCTIONS_ANSWER, "dual_functions"),
        test_cell(NAME, "dual_functions", points=2),
        prompt(DERIVATIVE_PROMPT, "derivative_prompt"),
        solution(DERIVATIVE_ANSWER, "derivative_answer"),
        test_cell(NAME, "dual_derivative", points=2),
    ]
