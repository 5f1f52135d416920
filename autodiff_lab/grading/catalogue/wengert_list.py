"""Checks for the `wengert_list` exercise: primal, tangent and adjoint traces of one function.

The function is f(x1, x2) = (x1 + x2) · (x1 · x2), written one primitive a line:
v1 = x1 + x2, v2 = x1 · x2, v3 = v1 · v2.
"""

from __future__ import annotations

from ..cases import Case, Part, Probe, WrongAnswer, describe_type

EXERCISE = "wengert_list"
ADJOINT_KEYS = ("v3", "v2", "v1", "x1", "x2")


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


def _three_numbers(result, who: str) -> list[float]:
    if not isinstance(result, (list, tuple)) or len(result) != 3:
        raise WrongAnswer(f"{who} should return a list [v1, v2, v3], got {describe_type(result)}")
    return list(result)


def student_primal(namespace, x1, x2):
    return _three_numbers(namespace["primal_trace"](x1, x2), "primal_trace")


def student_tangent(namespace, x1, x2, dx1, dx2):
    return _three_numbers(namespace["tangent_trace"](x1, x2, dx1, dx2), "tangent_trace")


def student_adjoints(namespace, x1, x2):
    result = namespace["adjoint_trace"](x1, x2)
    if not isinstance(result, dict):
        raise WrongAnswer(f"adjoint_trace should return a dict, got {describe_type(result)}")
    missing = [key for key in ADJOINT_KEYS if key not in result]
    if missing:
        raise WrongAnswer(f"adjoint_trace's dict lacks the key(s) {', '.join(missing)}")
    return [result[key] for key in ADJOINT_KEYS]


def _tangent_hint(actual, expected):
    if abs(actual[1] - expected[1]) > 1e-9:
        return "v2 = x1 · x2, so dv2 = dx1 · x2 + x1 · dx2 (the product rule)."
    return "v3 = v1 · v2, so dv3 = dv1 · v2 + v1 · dv2."


def _adjoint_hint(actual, expected):
    v1_bar, v2_bar, x1_bar = expected[2], expected[1], expected[3]
    if any(abs(actual[3] - part) < 1e-9 for part in (v1_bar, x1_bar - v1_bar)):
        return (
            "x1 feeds both v1 and v2, so its adjoint sums two paths: "
            "x1_bar = v1_bar · 1 + v2_bar · x2."
        )
    if abs(actual[1] - actual[2]) < 1e-9 and abs(v1_bar - v2_bar) > 1e-9:
        return "v3 = v1 · v2: v1_bar = v3_bar · v2 and v2_bar = v3_bar · v1 (each gets the other)."
    return "start from v3_bar = 1 and walk the list backwards, one line at a time."


def _primal_cases():
    return [
        Case(
            f"primal_trace({x1:g}, {x2:g})",
            lambda ns, x1=x1, x2=x2: student_primal(ns, x1, x2),
            primal(x1, x2),
            ("v1", "v2", "v3"),
        )
        for x1, x2 in ((2.0, 3.0), (-1.0, 0.5))
    ]


def _tangent_cases():
    return [
        Case(
            f"tangent_trace(2, 3) with (dx1, dx2) = ({dx1:g}, {dx2:g})",
            lambda ns, dx1=dx1, dx2=dx2: student_tangent(ns, 2.0, 3.0, dx1, dx2),
            tangent(2.0, 3.0, dx1, dx2),
            ("dv1", "dv2", "dv3"),
            hint=_tangent_hint,
        )
        for dx1, dx2 in ((1.0, 0.0), (0.0, 1.0))
    ]


def _adjoint_cases():
    return [
        Case(
            "adjoint_trace(2, 3)",
            lambda ns: student_adjoints(ns, 2.0, 3.0),
            adjoints(2.0, 3.0),
            tuple(f"{key}_bar" for key in ADJOINT_KEYS),
            hint=_adjoint_hint,
        )
    ]


PARTS = [
    Part("primal_trace", EXERCISE, "the primal trace v1, v2, v3", ("primal_trace",), _primal_cases),
    Part(
        "tangent_trace",
        EXERCISE,
        "the tangent trace (forward mode)",
        ("tangent_trace",),
        _tangent_cases,
    ),
    Part(
        "adjoint_trace",
        EXERCISE,
        "the adjoint trace (reverse mode)",
        ("adjoint_trace",),
        _adjoint_cases,
    ),
]


def _point(rng) -> list[float]:
    return [rng.uniform(-3.0, 3.0), rng.uniform(-3.0, 3.0)]


PROBES = [
    Probe("primal_tests", _point, lambda ns, p: student_primal(ns, *p)),
    Probe(
        "tangent_tests",
        lambda rng: _point(rng) + _point(rng),
        lambda ns, p: student_tangent(ns, *p),
    ),
    Probe("adjoint_tests", _point, lambda ns, p: student_adjoints(ns, *p)),
]
