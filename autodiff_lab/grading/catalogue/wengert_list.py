"""Measures for `wengert_list`: the primal, tangent and adjoint traces of one function.

The function is f(x1, x2) = (x1 · x2 + x2) · x1, written one primitive a line:
v1 = x1 · x2, v2 = v1 + x2, v3 = v2 · x1. The tangent and adjoint traces call
the student's ``primal_trace``; their measures replace it with the grader's
numbers for that point, so a mistake in the primal trace costs points once.
"""

from __future__ import annotations

from ..cases import Measure, Part, WrongAnswer, describe_type
from .stubs import answers, replaced

EXERCISE = "wengert_list"
ENGINE: tuple[str, ...] = ()  # the traces are plain Python: no engine in the sandbox
EXPORTS: dict[str, str] = {}
ADJOINT_KEYS = ("v3", "v2", "v1", "x1", "x2")


def _three_numbers(result, who: str) -> list[float]:
    if not isinstance(result, (list, tuple)) or len(result) != 3:
        raise WrongAnswer(f"{who} should return a list [v1, v2, v3], got {describe_type(result)}")
    return list(result)


def _primal(namespace, inputs):
    x1, x2 = inputs
    return _three_numbers(namespace["primal_trace"](x1, x2), "primal_trace")


def _with_primal(namespace, inputs):
    """The student's primal_trace, answering this point with the grader's numbers."""
    return replaced(
        namespace,
        "primal_trace",
        answers("primal_trace", [(tuple(inputs["x"]), inputs["primal"])]),
    )


def _tangent(namespace, inputs):
    with _with_primal(namespace, inputs):
        result = namespace["tangent_trace"](*inputs["x"], *inputs["dx"])
    return _three_numbers(result, "tangent_trace")


def _adjoint(namespace, inputs):
    with _with_primal(namespace, inputs):
        result = namespace["adjoint_trace"](*inputs["x"])
    if not isinstance(result, dict):
        raise WrongAnswer(f"adjoint_trace should return a dict, got {describe_type(result)}")
    missing = [key for key in ADJOINT_KEYS if key not in result]
    if missing:
        raise WrongAnswer(f"adjoint_trace's dict lacks the key(s) {', '.join(missing)}")
    return [result[key] for key in ADJOINT_KEYS]


def _tangent_hint(actual, expected):
    if abs(actual[0] - expected[0]) > 1e-9:
        return "v1 = x1 · x2, so dv1 = dx1 · x2 + x1 · dx2 (the product rule)."
    if abs(actual[1] - expected[1]) > 1e-9:
        return "v2 = v1 + x2, so dv2 = dv1 + dx2 (the sum rule)."
    return "v3 = v2 · x1, so dv3 = dv2 · x1 + v2 · dx1 (the product rule again)."


def _adjoint_hint(actual, expected):
    return "start from v3_bar = 1 and walk the list backwards, one line at a time."


def _point(x) -> str:
    return f"({x[0]:g}, {x[1]:g})"


PARTS = [
    Part(
        "primal_trace",
        "primal_tests",
        "the primal trace v1, v2, v3",
        ("primal_trace",),
        {
            "primal": Measure(
                _primal,
                lambda inputs: f"primal_trace{_point(inputs)}",
                lambda inputs: ("v1", "v2", "v3"),
            )
        },
    ),
    Part(
        "tangent_trace",
        "tangent_tests",
        "the tangent trace (forward mode)",
        ("tangent_trace",),
        {
            "tangent": Measure(
                _tangent,
                lambda inputs: (
                    f"tangent_trace{_point(inputs['x'])} with (dx1, dx2) = {_point(inputs['dx'])}"
                ),
                lambda inputs: ("dv1", "dv2", "dv3"),
                hint=_tangent_hint,
            )
        },
    ),
    Part(
        "adjoint_trace",
        "adjoint_tests",
        "the adjoint trace (reverse mode)",
        ("adjoint_trace",),
        {
            "adjoint": Measure(
                _adjoint,
                lambda inputs: f"adjoint_trace{_point(inputs['x'])}",
                lambda inputs: tuple(f"{key}_bar" for key in ADJOINT_KEYS),
                hint=_adjoint_hint,
            )
        },
    ),
]
