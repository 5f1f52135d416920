"""Checks for the `dual_numbers` exercise: dual numbers from scratch, and derivatives from them."""

from __future__ import annotations

import math

from ..check import Case, Part, WrongAnswer, describe_type
from ..probes import Probe

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


PROBES = [
    Probe(
        "arithmetic_tests",
        lambda rng: [rng.uniform(0.5, 4.0), rng.uniform(-2.0, 2.0)],
        lambda ns, args: [
            dual_result(ns, quotient, args[0], args[1]),
            dual_result(ns, reciprocal, args[0], args[1]),
        ],
        lambda args: [
            ((args[0] - 1) / (args[0] + 1), 2 * args[1] / (args[0] + 1) ** 2),
            (1 / args[0], -args[1] / args[0] ** 2),
        ],
    ),
    Probe(
        "function_tests",
        lambda rng: rng.uniform(-2.0, 2.0),
        lambda ns, x: dual_result(ns, sine_of_square, x),
        lambda x: (math.sin(x * x), 2 * x * math.cos(x * x)),
    ),
    Probe(
        "derivative_tests",
        lambda rng: rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 3.0),
        lambda ns, x: derivative_of(ns, mixture, x),
        mixture_derivative,
    ),
]
