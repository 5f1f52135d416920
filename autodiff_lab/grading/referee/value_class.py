"""The grader's side of `value_class`: exp, tanh and division by formula, backward by the engine."""

from __future__ import annotations

import math

from ..programs import chain, random_program, run_program

# ValueBase's own arithmetic: backward's programs use nothing the student wrote but backward.
ARITHMETIC = ("add", "mul", "sub", "addc", "mulc", "neg", "rsub", "pow")


def program_case(program, *, names=None, text=None, calls=1, watch=None) -> tuple[str, dict]:
    inputs: dict = {"program": program}
    if names:
        inputs["names"] = list(names)
    if text:
        inputs["text"] = text
    if calls != 1:
        inputs["calls"] = calls
    if watch:
        inputs["watch"] = list(watch)
    return "backward", inputs


def reference(measure: str, inputs) -> list[float]:
    if measure == "exp":
        value = math.exp(inputs[0])
        return [value, value]
    if measure == "tanh":
        value = math.tanh(inputs[0])
        return [value, 1.0 - value * value]
    if measure == "divide":
        a, b = inputs
        return [a / b, 1.0 / b, -a / b**2]
    if measure == "divide_by_number":
        a, c = inputs
        return [a / c, 1.0 / c]
    if measure == "number_divided_by":
        c, b = inputs
        return [c / b, -c / b**2]
    return engine_backward(inputs)


def engine_backward(inputs) -> list[float]:
    """What the engine's Value gives: the output, then the watched grads after each call."""
    from autodiff_lab import Value

    program = inputs["program"]
    nodes = run_program(program, Value, {})
    output = nodes[-1]
    watch = inputs.get("watch") or [i for i, ins in enumerate(program) if ins[0] == "leaf"]
    seen = [output.data]
    for _ in range(inputs.get("calls", 1)):
        output.backward()
        seen += [nodes[index].grad for index in watch]
    return seen


def mistakes(measure: str, inputs) -> list[tuple[str, list[float]]]:
    return []


def _number(rng, low: float = -2.5, high: float = 2.5, away: float = 0.2) -> float:
    while True:
        x = round(rng.uniform(low, high), 4)
        if abs(x) >= away:
            return x


def _large(rng) -> float:
    return round(rng.choice((-1.0, 1.0)) * rng.uniform(400.0, 5000.0), 2)


def sample(grade_id: str, rng) -> list:
    if grade_id == "exp_tests":
        return [("exp", [_number(rng)]) for _ in range(3)]
    if grade_id == "tanh_tests":
        large = abs(_large(rng))  # both signs: exp(2x) overflows for large positive x only
        return [("tanh", [_number(rng)]) for _ in range(2)] + [
            ("tanh", [large]),
            ("tanh", [-large]),
        ]
    if grade_id == "division_tests":
        return [
            ("divide", [_number(rng), _number(rng, away=0.5)]),
            ("divide_by_number", [_number(rng), _number(rng, away=0.5)]),
            ("number_divided_by", [_number(rng), _number(rng, away=0.5)]),
        ]
    programs = [
        random_program(rng, ARITHMETIC, [_number(rng), _number(rng)], 9, ("mul", "add"))
        for _ in range(2)
    ]
    factor = round(1.0 + rng.uniform(-1e-4, 1e-4), 8)
    offset = round(rng.uniform(-0.01, 0.01), 6)
    deep = [["leaf", _number(rng, -1.0, 1.0)], chain(0, factor, offset, rng.randint(2500, 3500))]
    twice = random_program(rng, ARITHMETIC, [_number(rng)], 5, ("mul",))
    watch = [0, *[i for i, ins in enumerate(twice[:-1]) if ins[0] != "leaf"][-1:]]
    return [
        *(program_case(program) for program in programs),
        program_case(deep, names=["x"]),
        program_case(twice, calls=2, watch=watch, names=["x", "t"][: len(watch)]),
        program_case([["leaf", _number(rng)]], calls=2, names=["x"]),  # backward() on a leaf
    ]
