"""The grader's side of `dual_numbers`: programs through the engine's Dual, functions by formula."""

from __future__ import annotations

import math

from ..programs import random_program, run_program

ARITHMETIC = (
    "add",
    "sub",
    "mul",
    "addc",
    "mulc",
    "neg",
    "div",
    "divc",
    "rdiv",
    "rsub",
    "radd",
    "rmul",
)


def program_case(program, tangent: float = 1.0, text: str | None = None) -> tuple[str, dict]:
    inputs: dict = {"program": program, "tangent": tangent}
    if text:
        inputs["text"] = text
    return "program", inputs


def functions_case(functions, primal: float, tangent: float | None = 1.0) -> tuple[str, dict]:
    return "functions", {"functions": list(functions), "primal": primal, "tangent": tangent}


def derivative_case(x: float, returns=None) -> tuple[str, dict]:
    return "derivative", {"x": x, "returns": None if returns is None else list(returns)}


# Each kind of operation, so a mistake in any one of them changes the output.
ASKED = ("mul", "div", "rsub", "rdiv", "rmul", "radd", "sub")

_RULES = {
    "sin": lambda a, b: (math.sin(a), b * math.cos(a)),
    "exp": lambda a, b: (math.exp(a), b * math.exp(a)),
}


def reference(measure: str, inputs) -> list[float]:
    if measure == "program":
        from autodiff_lab import Dual

        tangent = inputs["tangent"]
        output = run_program(inputs["program"], lambda x: Dual(x, tangent), {})[-1]
        return [output.primal, output.tangent]
    if measure == "functions":
        primal, tangent = inputs["primal"], inputs.get("tangent")
        for name in inputs["functions"]:
            primal, tangent = _RULES[name](primal, 0.0 if tangent is None else tangent)
        return [primal] if inputs.get("tangent") is None else [primal, tangent]
    returns = inputs["returns"]
    return [0.0 if returns is None else returns[1], inputs["x"], 1.0]


def _number(rng, low: float = -2.0, high: float = 2.0) -> float:
    return round(rng.uniform(low, high), 4)


def sample(grade_id: str, rng) -> list:
    if grade_id == "arithmetic_tests":
        return [
            program_case(
                random_program(rng, ARITHMETIC, [_number(rng, 0.5, 2.0)], 8, ASKED),
                _number(rng),
            )
            for _ in range(2)
        ]
    if grade_id == "function_tests":
        first, second = rng.sample(["sin", "exp"], 2)
        return [
            functions_case(["sin"], _number(rng), _number(rng)),
            functions_case(["exp"], _number(rng), _number(rng)),
            functions_case([first, second], _number(rng), _number(rng)),
            functions_case(["sin"], _number(rng), None),
            functions_case(["exp"], _number(rng), None),
        ]
    return [
        derivative_case(_number(rng), [_number(rng), _number(rng)]),
        derivative_case(_number(rng), [_number(rng), _number(rng)]),
        derivative_case(_number(rng)),
    ]
