"""The grader's side of `array_vjps`: the VJPs in plain numpy, the inputs it draws, known mistakes.

The answer-key tests compare these references with the engine and PyTorch.
"""

from __future__ import annotations

import numpy as np


def _array(x) -> np.ndarray:
    return np.array(x, dtype=np.float64)


def fixed_numbers(shape, seed: int) -> np.ndarray:
    """Deterministic inputs with two decimals, for a definition's fixed cases (short reports)."""
    return np.round(np.random.default_rng(seed).uniform(-2.0, 2.0, size=shape), 2)


def matmul_vjp(g, A, B) -> list[np.ndarray]:
    g, A, B = _array(g), _array(A), _array(B)
    return [g @ B.T, A.T @ g]


def unbroadcast(g, shape: tuple, reduce=np.sum) -> np.ndarray:
    """g summed down to ``shape``: over the axes broadcasting added, then its size-1 axes."""
    g = _array(g)
    g = reduce(g, axis=tuple(range(g.ndim - len(shape))))
    return reduce(g, axis=tuple(i for i, size in enumerate(shape) if size == 1), keepdims=True)


def add_vjp(g, a_shape, b_shape) -> list[np.ndarray]:
    return [unbroadcast(g, tuple(a_shape)), unbroadcast(g, tuple(b_shape))]


def softmax(logits) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


def _log_softmax(logits) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def cross_entropy(logits, labels) -> float:
    logits, labels = _array(logits), np.asarray(labels, dtype=np.int64)
    return float(-_log_softmax(logits)[np.arange(len(labels)), labels].mean())


def _one_hot(labels, classes: int) -> np.ndarray:
    return np.eye(classes)[np.asarray(labels, dtype=np.int64)]


def cross_entropy_vjp(logits, labels) -> np.ndarray:
    logits = _array(logits)
    return (softmax(logits) - _one_hot(labels, logits.shape[1])) / len(labels)


def tanh_vjp(g, x) -> np.ndarray:
    return _array(g) * (1.0 - np.tanh(_array(x)) ** 2)


def network_steps(X, W1, b1, W2, b2, labels, residual: bool) -> dict:
    """Every value of a one-hidden-layer network's chain, from the loss back.

    The hidden layer is h = tanh(a), or h = a + tanh(a) with ``residual``, where
    a = X @ W1 + b1 is used twice (fan-out), so its gradient is the sum of two shares.
    """
    X, W1, b1, W2, b2 = (_array(v) for v in (X, W1, b1, W2, b2))
    product1 = X @ W1
    pre = product1 + b1
    hidden = pre + np.tanh(pre) if residual else np.tanh(pre)
    product2 = hidden @ W2
    logits = product2 + b2
    g_logits = cross_entropy_vjp(logits, labels)
    g_product2, gb2 = add_vjp(g_logits, product2.shape, b2.shape)
    g_hidden, gW2 = matmul_vjp(g_product2, hidden, W2)
    g_tanh = tanh_vjp(g_hidden, pre)
    g_pre = g_hidden + g_tanh if residual else g_tanh
    g_product1, gb1 = add_vjp(g_pre, product1.shape, b1.shape)
    gX, gW1 = matmul_vjp(g_product1, X, W1)
    values = {
        "product1": product1,
        "pre": pre,
        "hidden": hidden,
        "product2": product2,
        "logits": logits,
        "g_logits": g_logits,
        "g_product2": g_product2,
        "gb2": gb2,
        "g_hidden": g_hidden,
        "gW2": gW2,
        "g_tanh": g_tanh,
        "g_pre": g_pre,
        "g_product1": g_product1,
        "gb1": gb1,
        "gX": gX,
        "gW1": gW1,
    }
    return {name: value.tolist() for name, value in values.items()}


def classifier_steps(X, W, b, labels) -> dict:
    """Every value of the chain from the loss back, for the stand-ins of the student's VJPs."""
    X, W, b = _array(X), _array(W), _array(b)
    logits = X @ W + b
    g_logits = cross_entropy_vjp(logits, labels)
    g_product, gb = add_vjp(g_logits, (X.shape[0], W.shape[1]), b.shape)
    gX, gW = matmul_vjp(g_product, X, W)
    return {
        "logits": logits.tolist(),
        "g_logits": g_logits.tolist(),
        "add": [g_product.tolist(), gb.tolist()],
        "matmul": [gX.tolist(), gW.tolist()],
    }


# -- cases ----------------------------------------------------------------------------------


def matmul_case(g, A, B) -> tuple[str, dict]:
    return "matmul", {"g": _array(g).tolist(), "A": _array(A).tolist(), "B": _array(B).tolist()}


def add_case(g, a_shape, b_shape) -> tuple[str, dict]:
    return "add", {"g": _array(g).tolist(), "a_shape": list(a_shape), "b_shape": list(b_shape)}


def loss_case(logits, labels, measure: str = "loss") -> tuple[str, dict]:
    return measure, {"logits": _array(logits).tolist(), "labels": [int(y) for y in labels]}


def classifier_case(X, W, b, labels) -> tuple[str, dict]:
    inputs = {
        "X": _array(X).tolist(),
        "W": _array(W).tolist(),
        "b": _array(b).tolist(),
        "labels": [int(y) for y in labels],
    }
    return "classifier", {**inputs, "steps": classifier_steps(X, W, b, labels)}


def tanh_case(g, x) -> tuple[str, dict]:
    return "tanh", {"g": _array(g).tolist(), "x": _array(x).tolist()}


def network_case(X, W1, b1, W2, b2, labels, residual: bool) -> tuple[str, dict]:
    """A case of ``mlp`` (h = tanh(a)) or ``residual`` (h = a + tanh(a))."""
    weights = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    inputs = {
        "X": _array(X).tolist(),
        **{name: _array(value).tolist() for name, value in weights.items()},
        "labels": [int(y) for y in labels],
    }
    steps = network_steps(X, W1, b1, W2, b2, labels, residual)
    return ("residual" if residual else "mlp"), {**inputs, "steps": steps}


def reference(measure: str, inputs) -> list:
    if measure == "matmul":
        return matmul_vjp(inputs["g"], inputs["A"], inputs["B"])
    if measure == "add":
        return add_vjp(inputs["g"], inputs["a_shape"], inputs["b_shape"])
    if measure == "loss":
        return [cross_entropy(inputs["logits"], inputs["labels"])]
    if measure == "loss_vjp":
        return cross_entropy_vjp(inputs["logits"], inputs["labels"])
    if measure == "tanh":
        return tanh_vjp(inputs["g"], inputs["x"])
    steps = inputs["steps"]
    if measure in ("mlp", "residual"):
        return [steps["gW1"], steps["gb1"], steps["gW2"], steps["gb2"]]
    return [steps["matmul"][1], steps["add"][1]]


# -- known mistakes, so feedback can name them (computed here, never in the kernel) ----------


def mistakes(measure: str, inputs) -> list[tuple[str, list]]:
    if measure == "matmul":
        return _matmul_mistakes(*(_array(inputs[name]) for name in ("g", "A", "B")))
    if measure == "add":
        g, a, b = _array(inputs["g"]), inputs["a_shape"], inputs["b_shape"]
        return [
            (
                "each entry of b was used several times: add up their gradients "
                "(np.sum, not np.mean).",
                [unbroadcast(g, tuple(a), np.mean), unbroadcast(g, tuple(b), np.mean)],
            )
        ]
    if measure == "loss":
        loss = cross_entropy(inputs["logits"], inputs["labels"])
        batch = len(inputs["labels"])
        found = [
            ("the loss is minus the log probability of the right class: check the sign.", [-loss])
        ]
        if batch > 1:
            found.append(
                (
                    f"that is the sum over the {batch} examples: divide by N for the mean.",
                    [batch * loss],
                )
            )
        return found
    if measure == "loss_vjp":
        logits, labels = _array(inputs["logits"]), inputs["labels"]
        p, one_hot, batch = softmax(logits), _one_hot(labels, logits.shape[1]), len(labels)
        with np.errstate(all="ignore"):
            global_shift = np.exp(logits - logits.max())
            global_p = global_shift / global_shift.sum(axis=1, keepdims=True)
        return [
            ("check: divide by N, the number of examples: the loss is a mean.", p - one_hot),
            (
                "check: subtract the one-hot of the label: z_n,label appears in the loss too.",
                p / batch,
            ),
            ("check: subtract the one-hot of the label, and divide by N.", p),
            ("check the sign: the gradient is (softmax - one_hot) / N.", (one_hot - p) / batch),
            (
                "subtract each row's own largest logit, not the largest of the whole batch: "
                "a row far below the others underflows to 0 / 0.",
                (global_p - one_hot) / batch,
            ),
        ]
    if measure == "tanh":
        return _tanh_mistakes(_array(inputs["g"]), _array(inputs["x"]))
    if measure in ("mlp", "residual"):
        return _network_mistakes(inputs, measure == "residual")
    return []


def _tanh_mistakes(g, x) -> list[tuple[str, list]]:
    y = np.tanh(x)
    return [
        (
            "multiply by g: a VJP scales the local slope 1 - tanh(x)² by the gradient from above.",
            1.0 - y**2,
        ),
        (
            "the slope is 1 - tanh(x)², the output squared; x is tanh's input, not its output.",
            g * (1.0 - x**2),
        ),
        ("the slope is 1 - tanh(x)²: square tanh(x).", g * (1.0 - y)),
    ]


def _network_mistakes(inputs, residual: bool) -> list[tuple[str, list]]:
    """Wrong shares of the fan-out at a = X @ W1 + b1, for ``residual``."""
    if not residual:
        return []
    steps = {name: _array(value) for name, value in inputs["steps"].items()}
    X, W1, b1 = (_array(inputs[name]) for name in ("X", "W1", "b1"))
    found = []
    for hint, g_pre in (
        (
            "a is used twice, in the skip and in tanh: add both shares, g_h + tanh_vjp(g_h, a).",
            steps["g_tanh"],
        ),
        (
            "a is used twice, in the skip and in tanh: add tanh's share, tanh_vjp(g_h, a), to g_h.",
            steps["g_hidden"],
        ),
    ):
        g_product1, gb1 = add_vjp(g_pre, (X.shape[0], W1.shape[1]), b1.shape)
        found.append((hint, [matmul_vjp(g_product1, X, W1)[1], gb1, steps["gW2"], steps["gb2"]]))
    return found


def _matmul_mistakes(g, A, B) -> list[tuple[str, list]]:
    right_a, right_b = g @ B.T, A.T @ g
    candidates = [
        (
            "matmul_vjp returns (gA, gB) in that order: gA has A's shape, gB has B's.",
            lambda: [A.T @ g, g @ B.T],
        ),
        ("gA = g @ B.T: the transpose of B is missing.", lambda: [g @ B, right_b]),
        ("gA = g @ B.T: g comes first (it has A's rows).", lambda: [B.T @ g, right_b]),
        ("gA = g @ B.T: g comes first, and B is transposed.", lambda: [B @ g, right_b]),
        ("gA = g @ B.T came out transposed.", lambda: [right_a.T, right_b]),
        ("gB = A.T @ g: the transpose of A is missing.", lambda: [right_a, A @ g]),
        ("gB = A.T @ g: A.T comes first (gB has B's rows).", lambda: [right_a, g @ A.T]),
        ("gB = A.T @ g came out transposed.", lambda: [right_a, right_b.T]),
    ]
    found = []
    for hint, make in candidates:
        try:
            gA, gB = make()
        except ValueError:
            continue  # these shapes cannot be multiplied that way
        if gA.shape == A.shape and gB.shape == B.shape:
            found.append((hint, [gA, gB]))
    return found


# -- the grader's draws ---------------------------------------------------------------------


def _random(rng, shape) -> np.ndarray:
    return np.array(
        [round(rng.uniform(-2.0, 2.0), 4) for _ in range(int(np.prod(shape, dtype=int)))]
    ).reshape(shape)


def _random_shape(rng, low: int = 1) -> list[int]:
    return [rng.randint(2, 4) for _ in range(rng.randint(low, 3))]


def _sample_add(rng) -> list:
    """One pair of each kind: same shape, size-1 axes, fewer axes, 0-d, both broadcast."""
    pairs = []
    out = _random_shape(rng)
    pairs.append((out, list(out)))
    out = _random_shape(rng, 2)
    pairs.append((out, [1 if rng.random() < 0.5 else size for size in out[:-1]] + [1]))
    out = _random_shape(rng, 2)
    pairs.append((out, out[rng.randint(1, len(out) - 1) :]))
    pairs.append((_random_shape(rng), []))
    left, right = rng.randint(2, 4), rng.randint(2, 4)
    pairs.append(([rng.randint(2, 3), left, 1], [right] if rng.random() < 0.5 else [1, right]))
    cases = []
    for a_shape, b_shape in pairs:
        if rng.random() < 0.5:
            a_shape, b_shape = b_shape, a_shape
        out = np.broadcast_shapes(tuple(a_shape), tuple(b_shape))
        cases.append(add_case(_random(rng, out), a_shape, b_shape))
    return cases


def _batch(rng, offsets: bool) -> tuple[np.ndarray, list[int]]:
    n, c = rng.randint(2, 6), rng.randint(2, 6)
    logits = _random(rng, (n, c)) * 2
    if offsets:  # each row its own offset: a shift by the batch's largest logit underflows
        rows = [1000.0, -1000.0] + [rng.choice((-1000.0, 0.0, 1000.0)) for _ in range(n - 2)]
        rng.shuffle(rows)
        logits = logits + np.array(rows)[:, None]
    return logits, [rng.randrange(c) for _ in range(n)]


def sample(grade_id: str, rng) -> list:
    if grade_id == "matmul_tests":
        cases = []
        for _ in range(3):
            m, k, n = (rng.randint(1, 5) for _ in range(3))
            cases.append(
                matmul_case(_random(rng, (m, n)), _random(rng, (m, k)), _random(rng, (k, n)))
            )
        return cases
    if grade_id == "add_tests":
        return _sample_add(rng)
    if grade_id in ("cross_entropy_tests", "cross_entropy_vjp_tests"):
        measure = "loss" if grade_id == "cross_entropy_tests" else "loss_vjp"
        return [loss_case(*_batch(rng, offsets), measure) for offsets in (False, True)]
    if grade_id == "tanh_tests":
        shapes = [(rng.randint(1, 5),), (rng.randint(1, 4), rng.randint(1, 4)), ()]
        return [tanh_case(_random(rng, shape), _random(rng, shape) * 2) for shape in shapes]
    if grade_id in ("mlp_tests", "residual_tests"):
        n, d, h, c = rng.randint(2, 5), rng.randint(1, 4), rng.randint(2, 4), rng.randint(2, 4)
        return [
            network_case(
                _random(rng, (n, d)),
                _random(rng, (d, h)),
                _random(rng, (h,)),
                _random(rng, (h, c)),
                _random(rng, (c,)),
                [rng.randrange(c) for _ in range(n)],
                residual=grade_id == "residual_tests",
            )
        ]
    n, d, c = rng.randint(2, 6), rng.randint(1, 4), rng.randint(2, 5)
    return [
        classifier_case(
            _random(rng, (n, d)),
            _random(rng, (d, c)),
            _random(rng, (c,)),
            [rng.randrange(c) for _ in range(n)],
        )
    ]
