"""Checks for the `dual_numbers` exercise: dual numbers from scratch, and derivatives from them."""

from __future__ import annotations

import math

from ..cases import Case, Part, Probe, WrongAnswer, describe_type
from ..programs import random_program, run_program

EXERCISE = "dual_numbers"

_REVERSED_OPERATORS = (
    "An operation with a plain number on the left, such as 2 * x or 1 / x, calls the "
    "reflected method on x: __radd__, __rsub__, __rmul__ or __rtruediv__. Define those too."
)


def _components(result, who: str) -> tuple[float, float]:
    if not hasattr(result, "primal") or not hasattr(result, "tangent"):
        raise WrongAnswer(f"{who} should give a DualNumber, got {describe_type(result)}")
    return float(result.primal), float(result.tangent)


def dual_result(namespace, expression, primal: float, tangent: float = 1.0):
    """(primal, tangent) of ``expression(x, namespace)`` at x = primal + tangent·ε."""
    x = namespace["DualNumber"](primal, tangent)
    return _components(expression(x, namespace), "the expression")


def derivative_of(namespace, function, x: float) -> float:
    result = namespace["derivative"](lambda d: function(d, namespace), x)
    if hasattr(result, "tangent"):
        raise WrongAnswer(
            "derivative should return a plain number, got a DualNumber",
            "return the tangent of f's result, f(DualNumber(x, 1.0)).tangent.",
        )
    return float(result)


# Expressions as functions of (x, namespace), so they can call the student's functions.
def square_plus_one(x, ns):
    return x * x + 1


def quotient(x, ns):
    return (x - 1) / (x + 1)


def affine(x, ns):
    return 2 * x - 5


def reciprocal(x, ns):
    return 1 / x


def negative(x, ns):
    return -x


def sine_of_square(x, ns):
    return ns["dual_sin"](x * x)


def exp_of_double(x, ns):
    return ns["dual_exp"](2 * x)


def constant(x, ns):
    return 5.0


def mixture(x, ns):
    return ns["dual_exp"](ns["dual_sin"](x)) / (x * x + 1) - 3 / x


def mixture_derivative(x: float) -> float:
    top, bottom = math.exp(math.sin(x)), x * x + 1
    top_slope = top * math.cos(x)
    return (top_slope * bottom - top * 2 * x) / bottom**2 + 3 / x**2


def _product_hint(actual, expected):
    return (
        "(a + a'ε)(b + b'ε) = ab + (a b' + a' b)ε, because ε² = 0: the tangent of a "
        "product follows the product rule."
    )


def _quotient_hint(actual, expected):
    return "the tangent of a / b is (a' b - a b') / b²."


def _chain_hint(actual, expected):
    return "sin(a + a'ε) = sin(a) + cos(a)·a' ε: multiply by the incoming tangent a'."


def _derivative_hint(actual, expected):
    return "seed the input with tangent 1: f(DualNumber(x, 1.0)).tangent is f'(x)."


def _arithmetic_cases():
    return [
        Case(
            "x * x + 1 at x = 3 + ε",
            lambda ns: dual_result(ns, square_plus_one, 3.0),
            (10.0, 6.0),
            ("primal", "tangent"),
            hint=_product_hint,
        ),
        Case(
            "(x - 1) / (x + 1) at x = 3 + ε",
            lambda ns: dual_result(ns, quotient, 3.0),
            (0.5, 0.125),
            ("primal", "tangent"),
            hint=_quotient_hint,
        ),
        Case(
            "2 * x - 5 at x = 3 + ε (a number on the left)",
            lambda ns: dual_result(ns, affine, 3.0),
            (1.0, 2.0),
            ("primal", "tangent"),
            error_hints={TypeError: _REVERSED_OPERATORS},
        ),
        Case(
            "1 / x at x = 4 + ε",
            lambda ns: dual_result(ns, reciprocal, 4.0),
            (0.25, -0.0625),
            ("primal", "tangent"),
            hint=_quotient_hint,
            error_hints={TypeError: _REVERSED_OPERATORS},
        ),
        Case(
            "-x at x = 3 + 2ε",
            lambda ns: dual_result(ns, negative, 3.0, 2.0),
            (-3.0, -2.0),
            ("primal", "tangent"),
        ),
    ]


def _function_cases():
    return [
        Case(
            "dual_sin(x * x) at x = 1.5 + ε",
            lambda ns: dual_result(ns, sine_of_square, 1.5),
            (math.sin(2.25), 3.0 * math.cos(2.25)),
            ("primal", "tangent"),
            hint=_chain_hint,
        ),
        Case(
            "dual_exp(2 * x) at x = 0.5 + ε",
            lambda ns: dual_result(ns, exp_of_double, 0.5),
            (math.e, 2 * math.e),
            ("primal", "tangent"),
            hint=_chain_hint,
        ),
    ]


def _derivative_cases():
    return [
        Case(
            "derivative(x * x + 1) at x = 3",
            lambda ns: derivative_of(ns, square_plus_one, 3.0),
            6.0,
            ("f'(3)",),
            hint=_derivative_hint,
        ),
        Case(
            "derivative(dual_sin(x * x)) at x = 1.5",
            lambda ns: derivative_of(ns, sine_of_square, 1.5),
            3.0 * math.cos(2.25),
            ("f'(1.5)",),
            hint=_derivative_hint,
        ),
        Case(
            "derivative of f(x) = 5 (a plain number comes back) at x = 2",
            lambda ns: derivative_of(ns, constant, 2.0),
            0.0,
            ("f'(2)",),
            error_hints={
                AttributeError: (
                    "f returned a plain number, which has no tangent: its derivative is 0. "
                    "Check for that case before reading .tangent."
                )
            },
        ),
    ]


PARTS = [
    Part(
        "dual_arithmetic",
        EXERCISE,
        "+, -, *, / and unary minus on DualNumber",
        ("DualNumber",),
        _arithmetic_cases,
    ),
    Part(
        "dual_functions",
        EXERCISE,
        "dual_sin and dual_exp (the chain rule)",
        ("DualNumber", "dual_sin", "dual_exp"),
        _function_cases,
    ),
    Part(
        "dual_derivative",
        EXERCISE,
        "derivative(f, x) from one dual evaluation",
        ("DualNumber", "derivative", "dual_sin"),
        _derivative_cases,
    ),
]


# -- grader-side probes: random one-variable programs on the student's DualNumber ---------


def _student_ops(namespace) -> dict:
    return {"sin": namespace["dual_sin"], "exp": namespace["dual_exp"]}


def dual_program(namespace, program, tangent: float) -> tuple[float, float]:
    """(primal, tangent) of a random program at leaf + tangent·ε, on the student's types."""
    ops = _student_ops(namespace) if "dual_sin" in namespace else {}
    nodes = run_program(program, lambda x: namespace["DualNumber"](x, tangent), ops)
    return _components(nodes[-1], "the program's output")


def program_derivative(namespace, program) -> float:
    """The student's derivative(f, x) of a random program f at its leaf."""
    ops = _student_ops(namespace)
    return derivative_of(
        namespace, lambda d, _ns: run_program(program, lambda _x: d, ops)[-1], program[0][1]
    )


_ARITHMETIC = ("add", "sub", "mul", "addc", "mulc", "neg")


def _programs(rng, operations, must_use, count: int = 2) -> list:
    return [
        random_program(rng, operations, [rng.uniform(0.5, 2.0)], 6, must_use) for _ in range(count)
    ]


PROBES = [
    Probe(
        "arithmetic_tests",
        lambda rng: {
            "programs": _programs(
                rng, (*_ARITHMETIC, "div", "divc", "rdiv", "rsub"), ("div", "rdiv", "rsub")
            ),
            "tangent": rng.uniform(-2.0, 2.0),
        },
        lambda ns, inputs: [dual_program(ns, p, inputs["tangent"]) for p in inputs["programs"]],
    ),
    Probe(
        "function_tests",
        lambda rng: {
            "programs": _programs(rng, (*_ARITHMETIC, "sin", "exp"), ("sin", "exp")),
            "tangent": rng.uniform(-2.0, 2.0),
        },
        lambda ns, inputs: [dual_program(ns, p, inputs["tangent"]) for p in inputs["programs"]],
    ),
    Probe(
        "derivative_tests",
        lambda rng: {"programs": _programs(rng, (*_ARITHMETIC, "sin", "exp", "rdiv"), ("sin",))},
        lambda ns, inputs: [program_derivative(ns, p) for p in inputs["programs"]],
    ),
]
