"""Checks for the `softmax_jacobian` exercise: softmax, its Jacobian, and autodiff agreeing."""

from __future__ import annotations

import numpy as np

from ..cases import Case, Part, Probe, WrongAnswer, describe_type

EXERCISE = "softmax_jacobian"


def reference_softmax(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    exps = np.exp(x - x.max())
    return exps / exps.sum()


def reference_jacobian(x) -> np.ndarray:
    s = reference_softmax(x)
    return np.diag(s) - np.outer(s, s)


# -- measuring the student's functions ----------------------------------------------------


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


def softmax_of(namespace, x) -> list[float]:
    return _as_floats(namespace["softmax"](list(x)), len(x), "softmax")


def softmax_of_values(namespace, x) -> list[float]:
    from autodiff_lab import Value

    return _as_floats(namespace["softmax"]([Value(xi) for xi in x]), len(x), "softmax of Values")


def jacobian_of(namespace, x) -> np.ndarray:
    result = np.asarray(namespace["softmax_jacobian"](list(x)))
    if result.shape != (len(x), len(x)):
        raise WrongAnswer(
            f"softmax_jacobian of {len(x)} inputs should be a {len(x)}×{len(x)} array, "
            f"got shape {result.shape}"
        )
    try:
        return result.astype(float)
    except (TypeError, ValueError):
        raise WrongAnswer(
            "softmax_jacobian should hold plain floats (use np.array(..., float))"
        ) from None


def autodiff_jacobian_of(namespace, x, mode: str) -> np.ndarray:
    from autodiff_lab import jacobian

    return jacobian(namespace["softmax"], np.asarray(x, dtype=float), mode=mode)


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
        return "inf / inf gave nan: " + _OVERFLOW
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
        "autodiff of your softmax disagrees with s_i (δ_ij - s_j): check that softmax uses only "
        "operations on its inputs (admath.exp, +, -, /), never float(...) or .data."
    )


def _softmax_cases():
    return [
        Case(
            "softmax([1, 2, 3])",
            lambda ns: softmax_of(ns, [1.0, 2.0, 3.0]),
            lambda: reference_softmax([1.0, 2.0, 3.0]),
            ("s_1", "s_2", "s_3"),
            hint=_softmax_hint,
        ),
        Case(
            "softmax([1000, 1001, 1002]) (large inputs)",
            lambda ns: softmax_of(ns, [1000.0, 1001.0, 1002.0]),
            lambda: reference_softmax([0.0, 1.0, 2.0]),
            ("s_1", "s_2", "s_3"),
            hint=_softmax_hint,
            error_hints={OverflowError: _OVERFLOW, ZeroDivisionError: _OVERFLOW},
        ),
        Case("softmax([0.5]) (one input)", lambda ns: softmax_of(ns, [0.5]), (1.0,), ("s_1",)),
        Case(
            "softmax of Values [0.1, -0.4]",
            lambda ns: softmax_of_values(ns, [0.1, -0.4]),
            lambda: reference_softmax([0.1, -0.4]),
            ("s_1.data", "s_2.data"),
            hint=_softmax_hint,
            error_hints={TypeError: _WRONG_EXP},
        ),
    ]


def _jacobian_cases():
    return [
        Case(
            f"softmax_jacobian({x})",
            lambda ns, x=x: jacobian_of(ns, x),
            lambda x=x: reference_jacobian(x),
            tuple(f"J[{i}][{j}]" for i in range(len(x)) for j in range(len(x))),
            hint=_jacobian_hint,
        )
        for x in ([1.0, 2.0, 3.0], [0.0, 0.0])
    ]


def _autodiff_cases():
    point = [0.5, -1.0, 2.0]
    labels = tuple(f"J[{i}][{j}]" for i in range(3) for j in range(3))
    return [
        Case(
            f'jacobian(softmax, {point}, mode="{mode}")',
            lambda ns, mode=mode: autodiff_jacobian_of(ns, point, mode),
            lambda: reference_jacobian(point),
            labels,
            hint=_autodiff_hint,
            error_hints={TypeError: _WRONG_EXP},
        )
        for mode in ("forward", "reverse")
    ]


PARTS = [
    Part("softmax", EXERCISE, "softmax on floats and Values", ("softmax",), _softmax_cases),
    Part(
        "softmax_jacobian",
        EXERCISE,
        "the Jacobian s_i (δ_ij - s_j)",
        ("softmax", "softmax_jacobian"),
        _jacobian_cases,
    ),
    Part(
        "softmax_autodiff",
        EXERCISE,
        "forward and reverse mode on your softmax give the exact Jacobian",
        ("softmax",),
        _autodiff_cases,
    ),
]


def _vector(rng, offset: float = 0.0) -> list[float]:
    return [offset + rng.uniform(-4.0, 4.0) for _ in range(rng.randint(3, 5))]


PROBES = [
    Probe(
        "softmax_tests",
        lambda rng: [_vector(rng), _vector(rng, offset=rng.choice((-900.0, 900.0)))],
        lambda ns, xs: [softmax_of(ns, x) for x in xs],
    ),
    Probe(
        "jacobian_tests",
        _vector,
        jacobian_of,
    ),
    Probe(
        "autodiff_tests",
        _vector,
        lambda ns, x: [
            autodiff_jacobian_of(ns, x, "forward"),
            autodiff_jacobian_of(ns, x, "reverse"),
        ],
    ),
]
