"""The grader's side of `wengert_list`: the three traces of f(x1, x2) = (x1 + x2)(x1 x2)."""

from __future__ import annotations


def primal(x1: float, x2: float) -> list[float]:
    v1, v2 = x1 + x2, x1 * x2
    return [v1, v2, v1 * v2]


def tangent(x1: float, x2: float, dx1: float, dx2: float) -> list[float]:
    v1, v2, _ = primal(x1, x2)
    dv1, dv2 = dx1 + dx2, dx1 * x2 + x1 * dx2
    return [dv1, dv2, dv1 * v2 + v1 * dv2]


def adjoints(x1: float, x2: float) -> list[float]:
    v1, v2, _ = primal(x1, x2)
    v3_bar = 1.0
    v1_bar, v2_bar = v3_bar * v2, v3_bar * v1
    return [v3_bar, v2_bar, v1_bar, v1_bar + v2_bar * x2, v1_bar + v2_bar * x1]


def primal_case(x1: float, x2: float) -> tuple[str, list]:
    return "primal", [x1, x2]


def tangent_case(x1: float, x2: float, dx1: float, dx2: float) -> tuple[str, dict]:
    return "tangent", {"x": [x1, x2], "dx": [dx1, dx2], "primal": primal(x1, x2)}


def adjoint_case(x1: float, x2: float) -> tuple[str, dict]:
    return "adjoint", {"x": [x1, x2], "primal": primal(x1, x2)}


def _number(rng) -> float:
    return round(rng.uniform(-3.0, 3.0), 4)


def sample(grade_id: str, rng) -> list:
    if grade_id == "primal_tests":
        return [primal_case(_number(rng), _number(rng)) for _ in range(2)]
    if grade_id == "tangent_tests":
        return [tangent_case(*(_number(rng) for _ in range(4))) for _ in range(2)]
    return [adjoint_case(_number(rng), _number(rng)) for _ in range(2)]


def reference(measure: str, inputs) -> list[float]:
    if measure == "primal":
        return primal(*inputs)
    if measure == "tangent":
        return tangent(*inputs["x"], *inputs["dx"])
    return adjoints(*inputs["x"])
