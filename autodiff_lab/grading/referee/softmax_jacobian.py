"""The grader's side of `softmax_jacobian`: a stable softmax and its Jacobian, by formula."""

from __future__ import annotations

import numpy as np


def softmax(x) -> list[float]:
    x = np.asarray(x, dtype=float)
    exps = np.exp(x - x.max())
    return (exps / exps.sum()).tolist()


def jacobian(x) -> np.ndarray:
    s = np.asarray(softmax(x))
    return np.diag(s) - np.outer(s, s)


def jacobian_case(x) -> tuple[str, dict]:
    return "jacobian", {"x": list(x), "s": softmax(x)}


def reference(measure: str, inputs) -> list:
    if measure in ("softmax", "softmax_of_values"):
        return softmax(inputs)
    if measure == "jacobian":
        return jacobian(inputs["x"]).ravel().tolist()
    return [0.0] * (2 * len(inputs) ** 2)  # autodiff agrees with differences of the same softmax


def mistakes(measure: str, inputs) -> list[tuple[str, list]]:
    if measure != "jacobian":
        return []
    s = np.asarray(softmax(inputs["x"]))
    return [
        (
            "that is s_i δ_ij - s_i s_j with the product on the diagonal only: the off-diagonal "
            "entries are -s_i s_j.",
            np.diag(s - s * s).ravel().tolist(),
        )
    ]


def _vector(rng, offset: float = 0.0) -> list[float]:
    return [round(offset + rng.uniform(-4.0, 4.0), 4) for _ in range(rng.randint(3, 5))]


def sample(grade_id: str, rng) -> list:
    if grade_id == "softmax_tests":
        wide = _vector(rng)
        wide[rng.randrange(len(wide))] += rng.choice((800.0, 1000.0))  # far above the rest
        return [
            ("softmax", _vector(rng)),
            ("softmax", _vector(rng, rng.choice((-900.0, 900.0)))),
            ("softmax", wide),
            ("softmax_of_values", _vector(rng)),
        ]
    if grade_id == "jacobian_tests":
        return [jacobian_case(_vector(rng)) for _ in range(2)]
    return [("autodiff", _vector(rng))]
