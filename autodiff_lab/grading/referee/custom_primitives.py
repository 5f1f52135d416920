"""The grader's side of `custom_primitives`: what the student's primitives must give.

The formulas are exercise 6's (`referee.array_vjps`); here they are the numbers
the engine must produce once the student has registered them as VJPs.
"""

from __future__ import annotations

import numpy as np

from .array_vjps import (
    _array,
    _random,
    cross_entropy,
    cross_entropy_vjp,
    matmul_vjp,
    network_steps,
    tanh_vjp,
)

PARAMETERS = ("W1", "b1", "W2", "b2")


def tanh_case(x, w) -> tuple[str, dict]:
    return "tanh", {"x": _array(x).tolist(), "w": _array(w).tolist()}


def matmul_case(A, B, G) -> tuple[str, dict]:
    return "matmul", {"A": _array(A).tolist(), "B": _array(B).tolist(), "G": _array(G).tolist()}


def loss_case(logits, labels, scale: float) -> tuple[str, dict]:
    inputs = {"logits": _array(logits).tolist(), "labels": [int(y) for y in labels]}
    return "loss", {**inputs, "scale": float(scale)}


def _network_inputs(X, params, labels) -> dict:
    return {
        "X": _array(X).tolist(),
        "params": [_array(p).tolist() for p in params],
        "labels": [int(y) for y in labels],
    }


def network_case(X, params, labels) -> tuple[str, dict]:
    return "network", _network_inputs(X, params, labels)


def train_case(X, params, labels, steps: int, learning_rate: float) -> tuple[str, dict]:
    inputs = _network_inputs(X, params, labels)
    return "train", {**inputs, "steps": int(steps), "learning_rate": float(learning_rate)}


def network_loss(X, params, labels) -> tuple[float, list[np.ndarray]]:
    """The loss of h = tanh(X @ W1 + b1), logits = h @ W2 + b2, and its four gradients."""
    W1, b1, W2, b2 = (_array(p) for p in params)
    steps = network_steps(X, W1, b1, W2, b2, labels, residual=False)
    loss = cross_entropy(steps["logits"], labels)
    return loss, [_array(steps["g" + name]) for name in PARAMETERS]


def descent(X, params, labels, steps: int, learning_rate: float, sign: float = 1.0):
    """(parameters after ``steps`` of gradient descent, the loss before each step)."""
    params = [_array(p) for p in params]
    losses = []
    for _ in range(steps):
        loss, grads = network_loss(X, params, labels)
        losses.append(loss)
        params = [p - sign * learning_rate * g for p, g in zip(params, grads)]
    return params, losses


def reference(measure: str, inputs) -> list:
    if measure == "tanh":
        x = _array(inputs["x"])
        return [np.tanh(x), tanh_vjp(inputs["w"], x)]
    if measure == "matmul":
        A, B = _array(inputs["A"]), _array(inputs["B"])
        return [A @ B, *matmul_vjp(inputs["G"], A, B)]
    if measure == "loss":
        logits, labels = inputs["logits"], inputs["labels"]
        return [cross_entropy(logits, labels), inputs["scale"] * cross_entropy_vjp(logits, labels)]
    if measure == "network":
        loss, grads = network_loss(inputs["X"], inputs["params"], inputs["labels"])
        return [loss, *grads]
    params, losses = descent(
        inputs["X"], inputs["params"], inputs["labels"], inputs["steps"], inputs["learning_rate"]
    )
    return [*params, losses]


# -- known mistakes, so feedback can name them (computed here, never in the kernel) ----------


def mistakes(measure: str, inputs) -> list[tuple[str, list]]:
    if measure == "tanh":
        x, w = _array(inputs["x"]), _array(inputs["w"])
        return [
            (
                "the VJP maker gets tanh's output as ans and its input as x: the slope is "
                "1 - ans ** 2, not 1 - x ** 2.",
                [np.tanh(x), w * (1.0 - x**2)],
            ),
            (
                "multiply by g: the VJP scales the slope by the gradient from above.",
                [np.tanh(x), 1.0 - np.tanh(x) ** 2],
            ),
        ]
    if measure == "matmul":
        A, B, G = (_array(inputs[name]) for name in ("A", "B", "G"))
        if A.shape[0] == A.shape[1] == B.shape[1]:
            return [
                (
                    "each maker returns its own argument's share: A's is g @ B.T, B's is A.T @ g.",
                    [A @ B, A.T @ G, G @ B.T],
                )
            ]
        return []
    if measure == "loss":
        logits, labels = inputs["logits"], inputs["labels"]
        return [
            (
                "multiply by g: the loss's VJP is g times its gradient (here g was "
                f"{inputs['scale']:g}).",
                [cross_entropy(logits, labels), cross_entropy_vjp(logits, labels)],
            )
        ]
    if measure == "train":
        args = (inputs["X"], inputs["params"], inputs["labels"], inputs["steps"])
        upward, climbed = descent(*args, inputs["learning_rate"], sign=-1.0)
        params, losses = descent(*args, inputs["learning_rate"])
        one_more = descent(inputs["X"], params, inputs["labels"], 1, inputs["learning_rate"])
        return [
            (
                "step against the gradient: p - learning_rate * g (plus climbs the loss).",
                [*upward, climbed],
            ),
            (
                "append each step's loss before its update: these are the losses after.",
                [*params, losses[1:] + one_more[1]],
            ),
        ]
    return []


# -- the grader's draws ---------------------------------------------------------------------


def _network_draw(rng) -> tuple[np.ndarray, list[np.ndarray], list[int]]:
    n, d, hidden, c = rng.randint(3, 6), rng.randint(1, 3), rng.randint(2, 4), rng.randint(2, 3)
    params = [
        _random(rng, (d, hidden)),
        _random(rng, (hidden,)),
        _random(rng, (hidden, c)),
        _random(rng, (c,)),
    ]
    return _random(rng, (n, d)), params, [rng.randrange(c) for _ in range(n)]


def sample(grade_id: str, rng) -> list:
    if grade_id == "tanh_primitive_tests":
        shapes = [(rng.randint(1, 5),), (rng.randint(1, 4), rng.randint(1, 4))]
        return [tanh_case(_random(rng, shape) * 2, _random(rng, shape)) for shape in shapes]
    if grade_id == "matmul_primitive_tests":
        cases = []
        for square in (False, True):
            m, k, n = (rng.randint(1, 4) for _ in range(3))
            if square:
                m = k = n
            cases.append(
                matmul_case(_random(rng, (m, k)), _random(rng, (k, n)), _random(rng, (m, n)))
            )
        return cases
    if grade_id == "loss_primitive_tests":
        n, c = rng.randint(2, 5), rng.randint(2, 5)
        logits = _random(rng, (n, c)) * 2
        return [loss_case(logits, [rng.randrange(c) for _ in range(n)], rng.choice((2.5, -0.5)))]
    X, params, labels = _network_draw(rng)
    if grade_id == "network_loss_tests":
        return [network_case(X, params, labels)]
    return [train_case(X, params, labels, rng.randint(2, 4), rng.choice((0.1, 0.5)))]
