"""Measures for `softmax_jacobian`: softmax, its Jacobian from the formula, and autodiff through it.

The sandbox shows the engine's scalar modes only (``Value``, ``Dual`` and
``autodiff_lab.math``): no ``jacobian`` and no array softmax to copy. The
Jacobian is measured with the student's ``softmax`` replaced by the grader's
numbers for that point, so it must come from the formula and a wrong softmax
costs its points once. The autodiff part pushes the engine's duals (forward
mode) and values (reverse mode) through the student's own softmax and compares
both with finite differences of that same softmax: it asks only that autodiff
can see through it.
"""

from __future__ import annotations

import numpy as np

from ..cases import Measure, Part, WrongAnswer, describe_type
from .stubs import answers, replaced

EXERCISE = "softmax_jacobian"
ENGINE = ("reverse", "forward", "math")  # with the modules they import
EXPORTS = {"Value": "reverse", "Dual": "forward"}
STEP = 1e-6  # central differences


def _as_floats(result, n: int, who: str) -> list[float]:
    try:
        items = list(result)
    except TypeError:
        raise WrongAnswer(
            f"{who} should return a list of {n} numbers, got {describe_type(result)}"
        ) from None
    if len(items) != n:
        raise WrongAnswer(f"{who} should return {n} numbers (one per input), got {len(items)}")
    floats = []
    for item in items:
        number = getattr(item, "data", item)  # a Value result holds its number in .data
        try:
            floats.append(float(number))
        except (TypeError, ValueError):
            message = f"{who} returned {describe_type(item)} where a number belongs"
            raise WrongAnswer(message) from None
    return floats


def _softmax(namespace, inputs):
    return _as_floats(namespace["softmax"](list(inputs)), len(inputs), "softmax")


def _softmax_of_values(namespace, inputs):
    from autodiff_lab import Value

    values = [Value(x) for x in inputs]
    return _as_floats(namespace["softmax"](values), len(inputs), "softmax of Values")


def _jacobian(namespace, inputs):
    x, s = inputs["x"], inputs["s"]
    with replaced(namespace, "softmax", answers("softmax", [((x,), s)])):
        result = namespace["softmax_jacobian"](list(x))
    n = len(x)
    try:
        array = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise WrongAnswer(
            "softmax_jacobian should hold plain floats (use np.array(..., float))"
        ) from None
    if array.shape != (n, n):
        raise WrongAnswer(
            f"softmax_jacobian of {n} inputs should be a {n}×{n} array, got shape {array.shape}"
        )
    return array


def _autodiff(namespace, inputs):
    """[forward-mode J − differences, reverse-mode J − differences] of the student's softmax."""
    from autodiff_lab import Dual, Value

    softmax, x, n = namespace["softmax"], list(inputs), len(inputs)
    forward = np.zeros((n, n))
    for j in range(n):
        outputs = softmax([Dual(xi, 1.0 if i == j else 0.0) for i, xi in enumerate(x)])
        forward[:, j] = [_part(out, "tangent", "Dual") for out in _listed(outputs, n)]
    reverse = np.zeros((n, n))
    for i in range(n):
        leaves = [Value(xi) for xi in x]
        output = _listed(softmax(leaves), n)[i]
        if not hasattr(output, "backward"):
            raise WrongAnswer(
                f"softmax of Values returned {describe_type(output)}: reverse mode cannot see "
                "through it",
                "use admath.exp and +, -, / on the inputs themselves, never float(...) or .data.",
            )
        output.backward()
        reverse[i] = [leaf.grad for leaf in leaves]
    differences = np.zeros((n, n))
    for j in range(n):
        up, down = list(x), list(x)
        up[j] += STEP
        down[j] -= STEP
        high = _as_floats(softmax(up), n, "softmax")
        low = _as_floats(softmax(down), n, "softmax")
        differences[:, j] = (np.array(high) - np.array(low)) / (2 * STEP)
    return [forward - differences, reverse - differences]


def _listed(outputs, n: int) -> list:
    items = list(outputs)
    if len(items) != n:
        raise WrongAnswer(f"softmax should return {n} numbers, got {len(items)}")
    return items


def _part(output, name: str, kind: str) -> float:
    if not hasattr(output, name):
        raise WrongAnswer(
            f"softmax of {kind}s returned {describe_type(output)}: forward mode cannot see "
            "through it",
            "use admath.exp and +, -, / on the inputs themselves, never float(...) or .data.",
        )
    return float(getattr(output, name))


# -- hints ---------------------------------------------------------------------------------

_OVERFLOW = (
    "e^1000 is far beyond the largest float. Softmax does not change when every input "
    "moves by the same amount, so subtract the largest input before taking exp."
)
_WRONG_EXP = (
    "Python's math.exp only takes floats. Use admath.exp (autodiff_lab.math.exp), which "
    "takes floats, Values and Duals alike, so autodiff can see through your softmax."
)


def _softmax_hint(actual, expected):
    if any(a != a for a in actual):  # nan
        return (
            "inf / inf gave nan: " + _OVERFLOW + " (Subtracting the smallest input is not "
            "enough: the others can still be 1000 above it.)"
        )
    if abs(sum(actual) - 1.0) > 1e-6:
        return f"the outputs should add up to 1; yours add up to {sum(actual):.6g}."
    return "s_i = exp(x_i) / (exp(x_1) + ... + exp(x_n))."


def _jacobian_hint(actual, expected):
    n = int(round(len(expected) ** 0.5))
    got, want = np.reshape(actual, (n, n)), np.reshape(expected, (n, n))
    off = ~np.eye(n, dtype=bool)
    if np.allclose(got[off], -want[off]) and np.allclose(np.diag(got), np.diag(want)):
        return (
            "the off-diagonal entries have the wrong sign: for i ≠ j, "
            "d s_i / d x_j = -s_i s_j (δ_ij is 0 there)."
        )
    if np.allclose(got, want.T):
        return "rows and columns are swapped: row i holds the derivatives of output s_i."
    if np.allclose(got[off], want[off]):
        return "the diagonal is off: d s_i / d x_i = s_i (1 - s_i)."
    return "J[i][j] = s_i (δ_ij - s_j), where δ_ij is 1 when i = j and 0 otherwise."


def _autodiff_hint(actual, expected):
    return (
        "autodiff of your softmax disagrees with finite differences of it: check that softmax "
        "uses only operations on its inputs (admath.exp, +, -, /), never float(...) or .data."
    )


def _vector(x) -> str:
    return "[" + ", ".join(f"{value:g}" for value in x) + "]"


def _matrix_labels(n: int, prefix: str = "J") -> tuple[str, ...]:
    return tuple(f"{prefix}[{i}][{j}]" for i in range(n) for j in range(n))


PARTS = [
    Part(
        "softmax",
        "softmax_tests",
        "softmax on floats and Values, large inputs too",
        ("softmax",),
        {
            "softmax": Measure(
                _softmax,
                lambda x: f"softmax({_vector(x)})",
                lambda x: tuple(f"s_{i + 1}" for i in range(len(x))),
                hint=_softmax_hint,
                error_hints={OverflowError: _OVERFLOW, ZeroDivisionError: _OVERFLOW},
            ),
            "softmax_of_values": Measure(
                _softmax_of_values,
                lambda x: f"softmax of Values {_vector(x)}",
                lambda x: tuple(f"s_{i + 1}.data" for i in range(len(x))),
                hint=_softmax_hint,
                error_hints={TypeError: _WRONG_EXP},
            ),
        },
    ),
    Part(
        "softmax_jacobian",
        "jacobian_tests",
        "the Jacobian s_i (δ_ij - s_j), from the formula",
        ("softmax_jacobian",),
        {
            "jacobian": Measure(
                _jacobian,
                lambda inputs: f"softmax_jacobian({_vector(inputs['x'])})",
                lambda inputs: _matrix_labels(len(inputs["x"])),
                hint=_jacobian_hint,
            )
        },
    ),
    Part(
        "softmax_autodiff",
        "autodiff_tests",
        "forward and reverse mode see through your softmax",
        ("softmax",),
        {
            "autodiff": Measure(
                _autodiff,
                lambda x: f"forward and reverse mode through softmax at {_vector(x)}",
                lambda x: (
                    _matrix_labels(len(x), "forward − differences J")
                    + _matrix_labels(len(x), "reverse − differences J")
                ),
                tolerance=1e-6,
                hint=_autodiff_hint,
                error_hints={TypeError: _WRONG_EXP},
            )
        },
    ),
]
