"""Measures for `dual_numbers`: the student's DualNumber, dual_sin and dual_exp, and derivative.

Each part is measured on its own: arithmetic on programs of +, -, *, / with
plain numbers on either side; dual_sin and dual_exp applied to dual numbers
directly (never through the student's arithmetic); derivative with a function
of the grader's that records what it was called with and returns a dual
number of its choosing. The sandbox holds no engine: no Dual to import.
"""

from __future__ import annotations

from ..cases import Measure, Part, WrongAnswer, describe_type
from ..programs import program_text, run_program

EXERCISE = "dual_numbers"
ENGINE: tuple[str, ...] = ()
EXPORTS: dict[str, str] = {}

_REVERSED_OPERATORS = (
    "An operation with a plain number on the left, such as 2 * x, 5 - x or 1 / x, calls the "
    "reflected method on x: __radd__, __rsub__, __rmul__ or __rtruediv__. Define those too."
)


def _components(result, who: str) -> list[float]:
    if not hasattr(result, "primal") or not hasattr(result, "tangent"):
        raise WrongAnswer(f"{who} should give a DualNumber, got {describe_type(result)}")
    return [float(result.primal), float(result.tangent)]


def _program(namespace, inputs):
    """(primal, tangent) of a program run on DualNumber(leaf, tangent)."""
    tangent = inputs["tangent"]
    nodes = run_program(inputs["program"], lambda x: namespace["DualNumber"](x, tangent), {})
    return _components(nodes[-1], "the expression")


def _functions(namespace, inputs):
    """dual_sin / dual_exp applied in turn to DualNumber(primal, tangent), or to a number."""
    value = inputs["primal"]
    if inputs.get("tangent") is not None:
        value = namespace["DualNumber"](value, inputs["tangent"])
    for name in inputs["functions"]:
        value = namespace[f"dual_{name}"](value)
    if inputs.get("tangent") is None:
        if hasattr(value, "tangent"):
            raise WrongAnswer(
                "a plain number went in, but a DualNumber came out",
                "let a plain number through: dual_sin(0.7) is math.sin(0.7).",
            )
        return [float(value)]
    return _components(value, "the result")


def _derivative(namespace, inputs):
    """[derivative(f, x), the primal f was given, the tangent f was given]."""
    seen: list = []

    def f(d):
        seen.append(d)
        if inputs["returns"] is None:
            return 5.0  # a function that does not depend on its input
        return type(d)(*inputs["returns"])

    result = namespace["derivative"](f, inputs["x"])
    if hasattr(result, "tangent"):
        raise WrongAnswer(
            "derivative should return a plain number, got a DualNumber",
            "return the tangent of f's result, f(DualNumber(x, 1.0)).tangent.",
        )
    if not seen:
        raise WrongAnswer("derivative(f, x) never called f", "evaluate f at DualNumber(x, 1.0).")
    return [float(result), *_components(seen[0], "the argument f was called with")]


def _dual(primal: float, tangent: float) -> str:
    return f"{primal:g} {'-' if tangent < 0 else '+'} {abs(tangent):g}ε"


def _program_text(inputs) -> str:
    text = inputs.get("text") or program_text(inputs["program"], ["x"]).split(" at ")[0]
    return f"{text} at x = {_dual(inputs['program'][0][1], inputs['tangent'])}"


def _functions_text(inputs) -> str:
    inner = "x"
    for name in inputs["functions"]:
        inner = f"dual_{name}({inner})"
    if inputs.get("tangent") is None:
        return f"{inner} at the plain number x = {inputs['primal']:g}"
    return f"{inner} at x = {_dual(inputs['primal'], inputs['tangent'])}"


def _derivative_text(inputs) -> str:
    if inputs["returns"] is None:
        return f"derivative(f, {inputs['x']:g}) where f returns the plain number 5"
    primal, tangent = inputs["returns"]
    return f"derivative(f, {inputs['x']:g}) where f returns DualNumber({primal:g}, {tangent:g})"


def _product_hint(actual, expected):
    return (
        "(a + a'ε)(b + b'ε) = ab + (a b' + a' b)ε, because ε² = 0; and the tangent of "
        "a / b is (a' b - a b') / b²."
    )


def _chain_hint(actual, expected):
    return (
        "f(a + a'ε) = f(a) + f'(a)·a' ε: multiply the derivative (cos a for sin, e^a for exp) "
        "by the incoming tangent a'."
    )


def _derivative_hint(actual, expected):
    if len(actual) == 3 and actual[2] != 1.0:
        return "seed the input with tangent 1: f(DualNumber(x, 1.0)).tangent is f'(x)."
    return (
        "return f's result's tangent; if f returns a plain number (it does not depend on "
        "its input), the derivative is 0."
    )


PARTS = [
    Part(
        "dual_arithmetic",
        "arithmetic_tests",
        "+, -, *, / and unary minus on DualNumber",
        ("DualNumber",),
        {
            "program": Measure(
                _program,
                _program_text,
                lambda inputs: ("primal", "tangent"),
                hint=_product_hint,
                error_hints={TypeError: _REVERSED_OPERATORS},
            )
        },
    ),
    Part(
        "dual_functions",
        "function_tests",
        "dual_sin and dual_exp (the chain rule)",
        ("DualNumber", "dual_sin", "dual_exp"),
        {
            "functions": Measure(
                _functions,
                _functions_text,
                lambda inputs: (
                    ("value",) if inputs.get("tangent") is None else ("primal", "tangent")
                ),
                hint=_chain_hint,
            )
        },
    ),
    Part(
        "dual_derivative",
        "derivative_tests",
        "derivative(f, x) from one dual evaluation",
        ("DualNumber", "derivative"),
        {
            "derivative": Measure(
                _derivative,
                _derivative_text,
                lambda inputs: ("derivative", "primal f got", "tangent f got"),
                hint=_derivative_hint,
                error_hints={
                    AttributeError: (
                        "f returned a plain number, which has no tangent: its derivative is 0. "
                        "Check for that case before reading .tangent."
                    )
                },
            )
        },
    ),
]
