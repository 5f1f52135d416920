"""The grader's side of `wengert_list`: the three traces of f(x1, x2) = (x1 x2 + x2) x1."""

from __future__ import annotations


def primal(x1: float, x2: float) -> list[float]:
    v1 = x1 * x2
    v2 = v1 + x2
    return [v1, v2, v2 * x1]


def tangent(x1: float, x2: float, dx1: float, dx2: float) -> list[float]:
    _, v2, _ = primal(x1, x2)
    dv1 = dx1 * x2 + x1 * dx2
    dv2 = dv1 + dx2
    return [dv1, dv2, dv2 * x1 + v2 * dx1]


def adjoints(x1: float, x2: float) -> list[float]:
    _, v2, _ = primal(x1, x2)
    v3_bar = 1.0
    v2_bar = v3_bar * x1
    v1_bar = v2_bar
    return [v3_bar, v2_bar, v1_bar, v3_bar * v2 + v1_bar * x2, v2_bar + v1_bar * x1]


def mistakes(measure: str, inputs) -> list[tuple[str, list[float]]]:
    """The adjoint traces that miss one of an input's two paths, or take the wrong factor."""
    if measure != "adjoint":
        return []
    x1, x2 = inputs["x"]
    _, v2, _ = primal(x1, x2)
    right = adjoints(x1, x2)
    v1_bar = right[2]
    return [
        (
            "x1 is read by v1 and v3, so its adjoint sums two paths: "
            "x1_bar = v3_bar · v2 + v1_bar · x2.",
            [*right[:3], v1_bar * x2, right[4]],
        ),
        (
            "x1 is read by v1 and v3, so its adjoint sums two paths: "
            "x1_bar = v3_bar · v2 + v1_bar · x2.",
            [*right[:3], v2, right[4]],
        ),
        (
            "x2 is read by v1 and v2, so its adjoint sums two paths: "
            "x2_bar = v2_bar · 1 + v1_bar · x1.",
            [*right[:4], v1_bar * x1],
        ),
        (
            "x2 is read by v1 and v2, so its adjoint sums two paths: "
            "x2_bar = v2_bar · 1 + v1_bar · x1.",
            [*right[:4], right[1]],
        ),
        (
            "v3 = v2 · x1: v2_bar = v3_bar · x1, the other factor.",
            [1.0, v2, v2, v2 + v2 * x2, v2 + v2 * x1],
        ),
    ]


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
