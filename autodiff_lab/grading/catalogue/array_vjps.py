"""Checks for the `array_vjps` exercise: the VJPs of matmul, broadcast add and cross-entropy.

Expected numbers come from the engine (`autodiff_lab.vjp`, `grad`) and from
finite differences (`numerical_derivative`), never from a solution written
here; the grader's own references are in `referee`. Each result must be a
numpy array of exactly the input's shape (a float for a 0-d one): an array
that would only broadcast to it is wrong, and the measurement says how.
"""

from __future__ import annotations

import itertools
from numbers import Real

import numpy as np

from ..cases import Case, Part, Probe, WrongAnswer, describe_type

EXERCISE = "array_vjps"
FD_TOLERANCE = 1e-6  # central differences agree to about 1e-9 on these inputs


# -- measuring the student's functions ----------------------------------------------------


def as_array(result, shape: tuple, who: str, shape_hint=None) -> np.ndarray:
    """``result`` as a float array of exactly ``shape``, or WrongAnswer saying what is off."""
    from autodiff_lab.arrays import is_traced

    if is_traced(result):
        raise WrongAnswer(f"{who} is an array node of the engine, not a numpy array")
    if isinstance(result, np.ndarray):
        if result.dtype.kind not in "fiu":
            raise WrongAnswer(f"{who} should hold numbers, got an array of dtype {result.dtype}")
    elif shape == () and isinstance(result, Real) and not isinstance(result, bool):
        result = np.array(float(result))
    else:
        raise WrongAnswer(
            f"{who} should be a numpy array of shape {shape}, got {describe_type(result)}",
            "Return numpy arrays (np.array(...), or the result of numpy operations).",
        )
    if result.shape != shape:
        hint = (shape_hint(result.shape, shape) if shape_hint else None) or (
            f"a VJP's result has its input's shape exactly, here {shape}."
        )
        raise WrongAnswer(f"{who} has shape {result.shape}, not {shape}", hint)
    return np.array(result, dtype=np.float64)


def _pair(result, who: str) -> tuple:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise WrongAnswer(f"{who} should return a pair of arrays, got {describe_type(result)}")
    return tuple(result)


def matmul_of(namespace, g, A, B) -> list[np.ndarray]:
    """[gA, gB] from the student's matmul_vjp (on copies, so edits in place change nothing)."""
    gA, gB = _pair(namespace["matmul_vjp"](g.copy(), A.copy(), B.copy()), "matmul_vjp")
    return [
        as_array(gA, A.shape, "gA", _matmul_shape_hint("A", "gA = g @ B.T", B.shape)),
        as_array(gB, B.shape, "gB", _matmul_shape_hint("B", "gB = A.T @ g", A.shape)),
    ]


def add_of(namespace, g, a_shape: tuple, b_shape: tuple) -> list[np.ndarray]:
    """[ga, gb] from the student's add_vjp."""
    g = np.array(g, dtype=np.float64)
    ga, gb = _pair(namespace["add_vjp"](g.copy(), a_shape, b_shape), "add_vjp")
    return [
        as_array(ga, a_shape, "ga", lambda got, want: _add_shape_hint(got, want, g.shape)),
        as_array(gb, b_shape, "gb", lambda got, want: _add_shape_hint(got, want, g.shape)),
    ]


_ONE_NUMBER = "The loss is one number: the mean over the batch."


def loss_of(namespace, logits, labels) -> float:
    result = namespace["softmax_cross_entropy"](logits.copy(), labels.copy())
    if isinstance(result, np.ndarray) and len(labels) > 1 and result.shape == (len(labels),):
        message = f"softmax_cross_entropy returned {result.size} numbers, one per example"
        raise WrongAnswer(message, _ONE_NUMBER)
    return float(as_array(result, (), "softmax_cross_entropy's result", lambda *_: _ONE_NUMBER))


def loss_vjp_of(namespace, logits, labels) -> np.ndarray:
    result = namespace["softmax_cross_entropy_vjp"](logits.copy(), labels.copy())
    return as_array(result, logits.shape, "softmax_cross_entropy_vjp's result")


def engine_loss_gradient_of(namespace, logits, labels) -> np.ndarray:
    """The engine's gradient of the student's own softmax_cross_entropy."""
    from autodiff_lab import grad

    loss = namespace["softmax_cross_entropy"]
    loss_of(namespace, logits, labels)  # one number, or the engine's grad cannot start
    return as_array(grad(loss)(logits.copy(), labels.copy()), logits.shape, "its gradient")


def classifier_of(namespace, X, W, b, labels) -> list[np.ndarray]:
    result = namespace["classifier_gradients"](X.copy(), W.copy(), b.copy(), labels.copy())
    gW, gb = _pair(result, "classifier_gradients")
    return [as_array(gW, W.shape, "gW"), as_array(gb, b.shape, "gb")]


# -- what the engine and finite differences say ---------------------------------------------


def engine_loss(logits, labels):
    """Softmax cross-entropy through the library's log_softmax, differentiable by the engine."""
    import autodiff_lab.numpy as anp

    return -anp.mean(anp.log_softmax(logits, axis=1)[np.arange(len(labels)), labels])


def _engine_matmul(g, A, B) -> list:
    import autodiff_lab.numpy as anp
    from autodiff_lab import vjp

    _, pull_a = vjp(lambda a: anp.matmul(a, B), A)
    _, pull_b = vjp(lambda b: anp.matmul(A, b), B)
    return [pull_a(g), pull_b(g)]


def _engine_add(g, a_shape, b_shape) -> list:
    import autodiff_lab.numpy as anp
    from autodiff_lab import grad

    a, b = np.ones(a_shape), np.ones(b_shape)
    return list(grad(lambda x, y: anp.sum(g * (x + y)), argnums=(0, 1))(a, b))


def _engine_loss_vjp(logits, labels):
    from autodiff_lab import grad

    return grad(engine_loss)(logits, labels)


def _engine_classifier(X, W, b, labels) -> list:
    from autodiff_lab import grad

    return list(grad(lambda w, c: engine_loss(X @ w + c, labels), argnums=(0, 1))(W, b))


def _differences(f, x):
    from autodiff_lab import numerical_derivative

    return numerical_derivative(f, x)


def _softmax(logits) -> np.ndarray:
    import autodiff_lab.numpy as anp

    return anp.softmax(logits, axis=1)


def _one_hot(labels, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]


# -- fixed inputs ---------------------------------------------------------------------------


def _numbers(shape, seed: int) -> np.ndarray:
    """Deterministic inputs with two decimals, so reports stay short."""
    return np.round(np.random.default_rng(seed).uniform(-2.0, 2.0, size=shape), 2)


def _compact(shape: tuple) -> str:
    """(2,3), (3,) or (): a shape without spaces, so a report never breaks a line inside it."""
    return "(" + ",".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _names(name: str, shape: tuple) -> tuple[str, ...]:
    if shape == ():
        return (name,)
    return tuple(f"{name}[{','.join(map(str, i))}]" for i in itertools.product(*map(range, shape)))


# -- hints ----------------------------------------------------------------------------------


def _matmul_shape_hint(of: str, formula: str, other_shape: tuple):
    def hint(got, want):
        if got == want[::-1]:
            return f"g{of} came out transposed: it has {of}'s shape {want}. {formula}."
        if got == other_shape:
            return "matmul_vjp returns (gA, gB) in that order: gA has A's shape, gB has B's."
        return f"g{of} has {of}'s shape {want}: {formula}."

    return hint


def _add_shape_hint(got: tuple, want: tuple, g_shape: tuple) -> str:
    if want == ():
        return "a 0-d input was used for every entry of c: its gradient is np.sum(g), shape ()."
    if got == g_shape:
        return (
            "that is g itself: sum it over the axes that broadcasting added in front and "
            "over the axes where the input has size 1."
        )
    if len(got) > len(want) and got[len(got) - len(want) :] == want:
        return (
            f"broadcasting put {len(got) - len(want)} axis(es) in front of this input: sum g "
            "over them and drop them (no keepdims there)."
        )
    if len(got) < len(want) and tuple(size for size in want if size != 1) == got:
        return "you summed away a size-1 axis: keep it, np.sum(..., keepdims=True)."
    if len(got) == len(want):
        trailing = g_shape[len(g_shape) - len(want) :]
        axes = [i for i, (w, s) in enumerate(zip(want, trailing)) if w == 1 and s != 1]
        if axes:
            named = ", ".join(map(str, axes))
            return (
                f"sum g over exactly the axes where this input has size 1 and g does not: {named}."
            )
        summed = [i for i, (size, w) in enumerate(zip(got, want)) if size == 1 and w != 1]
        if summed:
            named = ", ".join(map(str, summed))
            return f"nothing was stretched along axis {named} of this input: do not sum g there."
    return f"the gradient of an input has exactly its shape, here {want}."


_STABLE = (
    "exp of a logit near 1000 overflows to inf (and inf / inf is nan). Subtract each row's "
    "largest logit first: log Σ exp(z) = m + log Σ exp(z - m)."
)


def _loss_hint(batch: int):
    def hint(actual, expected):
        got, want = actual[0], expected[0]
        if not np.isfinite(got):
            return _STABLE
        if np.isclose(got, batch * want):
            return f"that is the sum over the {batch} examples: divide by N for the mean."
        if np.isclose(got, -want):
            return "the loss is minus the log probability of the right class: check the sign."
        return "L = mean over n of (log Σ_c exp(z_nc) - z_n,label), one number."

    return hint


def _loss_vjp_diagnosis(logits, labels):
    """Names the usual mistake by comparing the student's answer with its variants."""

    def diagnose(namespace):
        got = np.asarray(namespace["softmax_cross_entropy_vjp"](logits.copy(), labels.copy()))
        if not np.all(np.isfinite(got)):
            return _STABLE
        batch = len(labels)
        p, one_hot = _softmax(logits), _one_hot(labels, logits.shape[1])
        variants = {
            "divide by N, the number of examples: the loss is a mean.": p - one_hot,
            "subtract the one-hot of the label: z_n,label appears in the loss too.": p / batch,
            "subtract the one-hot of the label, and divide by N.": p,
            "the sign: the gradient is (softmax - one_hot) / N.": (one_hot - p) / batch,
        }
        for advice, variant in variants.items():
            if got.shape == variant.shape and np.allclose(got, variant):
                return "Check " + advice
        return None

    return diagnose


def _matmul_diagnosis(namespace):
    """On square matrices a missed transpose or a swapped order gives numbers, not an error."""
    A, B, g = _numbers((3, 3), 1), _numbers((3, 3), 2), _numbers((3, 3), 3)
    gA, gB = (np.asarray(x) for x in namespace["matmul_vjp"](g.copy(), A.copy(), B.copy()))
    if np.allclose(gA, A.T @ g) and np.allclose(gB, g @ B.T):
        return "matmul_vjp returns (gA, gB) in that order: gA has A's shape, gB has B's."
    right_a, right_b = _engine_matmul(g, A, B)
    mistakes = [
        (gA, right_a, g @ B, "gA = g @ B.T: the transpose of B is missing."),
        (gA, right_a, B.T @ g, "gA = g @ B.T: g comes first (it has A's rows)."),
        (gA, right_a, B @ g, "gA = g @ B.T: g comes first, and B is transposed."),
        (gA, right_a, right_a.T, "gA = g @ B.T came out transposed."),
        (gB, right_b, A @ g, "gB = A.T @ g: the transpose of A is missing."),
        (gB, right_b, g @ A.T, "gB = A.T @ g: A.T comes first (gB has B's rows)."),
        (gB, right_b, right_b.T, "gB = A.T @ g came out transposed."),
    ]
    for got, right, wrong, advice in mistakes:
        if got.shape == wrong.shape and np.allclose(got, wrong) and not np.allclose(got, right):
            return advice
    return None


def _add_diagnosis(namespace):
    """A mean instead of a sum gives the right shape but the wrong numbers."""
    g = _numbers((3, 3), 4)
    _, gb = namespace["add_vjp"](g.copy(), (3, 3), (3, 1))
    gb = np.asarray(gb)
    if np.allclose(gb, g.mean(axis=1, keepdims=True)):
        return "each entry of b was used 3 times: add up their gradients (np.sum, not np.mean)."
    return None


_SHAPES = (
    "numpy could not multiply these shapes. gA = g @ B.T is (m × n)(n × k) = m × k, A's shape; "
    "gB = A.T @ g is (k × m)(m × n) = k × n, B's shape."
)


# -- the parts ------------------------------------------------------------------------------


def _matmul_cases():
    cases = []
    for description, (m, k, n), seed in [
        ("A 2×3, B 3×4, against the engine's vjp", (2, 3, 4), 10),
        ("A 1×4, B 4×1 (a row times a column)", (1, 4, 1), 11),
    ]:
        A, B, g = _numbers((m, k), seed), _numbers((k, n), seed + 1), _numbers((m, n), seed + 2)
        cases.append(
            Case(
                f"matmul_vjp(g, A, B), {description}",
                lambda ns, A=A, B=B, g=g: matmul_of(ns, g, A, B),
                lambda A=A, B=B, g=g: _engine_matmul(g, A, B),
                _names("gA", A.shape) + _names("gB", B.shape),
                error_hints={ValueError: _SHAPES},
                diagnose=_matmul_diagnosis,
            )
        )
    A, B, g = _numbers((3, 3), 20), _numbers((3, 3), 21), _numbers((3, 3), 22)
    cases.append(
        Case(
            "matmul_vjp(g, A, B), A and B 3×3, against finite differences",
            lambda ns: matmul_of(ns, g, A, B),
            lambda: [
                _differences(lambda a: np.sum(g * (a @ B)), A),
                _differences(lambda b: np.sum(g * (A @ b)), B),
            ],
            _names("gA", A.shape) + _names("gB", B.shape),
            tolerance=FD_TOLERANCE,
            diagnose=_matmul_diagnosis,
        )
    )
    return cases


def _add_cases():
    cases = []
    for a_shape, b_shape, what in [
        ((2, 3), (2, 3), "the same shape"),
        ((2, 3), (3,), "b gains a leading axis"),
        ((2, 3), (2, 1), "b's size-1 axis is stretched"),
        ((4, 1, 3), (2, 1), "both broadcast"),
        ((2, 3), (), "b a 0-d array"),
    ]:
        g = _numbers(np.broadcast_shapes(a_shape, b_shape), len(a_shape) + 7 * len(b_shape))
        cases.append(
            Case(
                f"add_vjp: a {_compact(a_shape)} + b {_compact(b_shape)}, {what}",
                lambda ns, g=g, a=a_shape, b=b_shape: add_of(ns, g, a, b),
                lambda g=g, a=a_shape, b=b_shape: _engine_add(g, a, b),
                _names("ga", a_shape) + _names("gb", b_shape),
                diagnose=_add_diagnosis,
            )
        )
    a, b = _numbers((1, 3), 30), _numbers((2, 1), 31)
    g = _numbers((2, 3), 32)
    cases.append(
        Case(
            "add_vjp: a (1,3) + b (2,1), against finite differences",
            lambda ns: add_of(ns, g, a.shape, b.shape),
            lambda: [
                _differences(lambda x: np.sum(g * (x + b)), a),
                _differences(lambda y: np.sum(g * (a + y)), b),
            ],
            _names("ga", a.shape) + _names("gb", b.shape),
            tolerance=FD_TOLERANCE,
            diagnose=_add_diagnosis,
        )
    )
    return cases


_LOGITS = _numbers((3, 4), 40)
_LABELS = np.array([2, 0, 3])


def _loss_cases():
    large = _LOGITS + np.array([[1000.0], [-1000.0], [1000.0]])
    return [
        Case(
            "softmax_cross_entropy of 3 examples, 4 classes",
            lambda ns: loss_of(ns, _LOGITS, _LABELS),
            lambda: float(engine_loss(_LOGITS, _LABELS)),
            ("L",),
            hint=_loss_hint(3),
        ),
        Case(
            "softmax_cross_entropy with logits near ±1000",
            lambda ns: loss_of(ns, large, _LABELS),
            lambda: float(engine_loss(_LOGITS, _LABELS)),
            ("L",),
            hint=_loss_hint(3),
            error_hints={OverflowError: _STABLE, FloatingPointError: _STABLE},
        ),
        Case(
            "softmax_cross_entropy of one example with equal logits: log 5",
            lambda ns: loss_of(ns, np.zeros((1, 5)), np.array([1])),
            (float(np.log(5.0)),),
            ("L",),
            hint=_loss_hint(1),
        ),
        Case(
            "the engine's grad of your softmax_cross_entropy: (softmax - one_hot) / N",
            lambda ns: engine_loss_gradient_of(ns, _LOGITS, _LABELS),
            lambda: (_softmax(_LOGITS) - _one_hot(_LABELS, 4)) / 3,
            _names("g", _LOGITS.shape),
            hint=lambda actual, expected: (
                "the engine differentiates your code as written: use anp (or np) operations "
                "on logits throughout, never float(...) or a loop over plain numbers."
            ),
            error_hints={
                TypeError: "the engine could not trace your function: write it with anp "
                "(anp.max, anp.exp, anp.log, anp.sum, anp.mean) on the logits array."
            },
        ),
    ]


def _loss_vjp_cases():
    large = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    large_labels = np.array([2, 1])
    return [
        Case(
            "softmax_cross_entropy_vjp, 3 examples, 4 classes, against the engine's grad",
            lambda ns: loss_vjp_of(ns, _LOGITS, _LABELS),
            lambda: _engine_loss_vjp(_LOGITS, _LABELS),
            _names("g", _LOGITS.shape),
            diagnose=_loss_vjp_diagnosis(_LOGITS, _LABELS),
        ),
        Case(
            "softmax_cross_entropy_vjp against finite differences",
            lambda ns: loss_vjp_of(ns, _LOGITS[:2], _LABELS[:2]),
            lambda: _differences(lambda z: float(engine_loss(z, _LABELS[:2])), _LOGITS[:2]),
            _names("g", (2, 4)),
            tolerance=FD_TOLERANCE,
            diagnose=_loss_vjp_diagnosis(_LOGITS[:2], _LABELS[:2]),
        ),
        Case(
            "softmax_cross_entropy_vjp with logits of ±1000",
            lambda ns: loss_vjp_of(ns, large, large_labels),
            [0.5, 0.0, -0.5, 0.0, 0.0, 0.0],
            _names("g", large.shape),
            diagnose=_loss_vjp_diagnosis(large, large_labels),
            error_hints={OverflowError: _STABLE, FloatingPointError: _STABLE},
        ),
    ]


_CHAIN = (
    "from the loss back: g_logits = softmax_cross_entropy_vjp(X @ W + b, labels); "
    "g_product, gb = add_vjp(g_logits, (X @ W).shape, b.shape); "
    "gW = matmul_vjp(g_product, X, W)[1]. If part 1, 2 or 4 fails its check, fix that first."
)


def _classifier_cases():
    cases = []
    for n, d, c, seed in [(5, 3, 4, 50), (1, 2, 3, 60)]:
        X, W, b = _numbers((n, d), seed), _numbers((d, c), seed + 1), _numbers((c,), seed + 2)
        labels = np.arange(n) % c
        cases.append(
            Case(
                f"classifier_gradients, X {n}×{d}, W {d}×{c}, b ({c},), against the engine",
                lambda ns, X=X, W=W, b=b, y=labels: classifier_of(ns, X, W, b, y),
                lambda X=X, W=W, b=b, y=labels: _engine_classifier(X, W, b, y),
                _names("gW", W.shape) + _names("gb", b.shape),
                hint=lambda actual, expected: _CHAIN,
            )
        )
    return cases


PARTS = [
    Part("matmul_vjp", EXERCISE, "the VJP of C = A @ B", ("matmul_vjp",), _matmul_cases),
    Part("add_vjp", EXERCISE, "the VJP of c = a + b, broadcast", ("add_vjp",), _add_cases),
    Part(
        "cross_entropy",
        EXERCISE,
        "softmax cross-entropy, stable, differentiable by the engine",
        ("softmax_cross_entropy",),
        _loss_cases,
    ),
    Part(
        "cross_entropy_vjp",
        EXERCISE,
        "the gradient of softmax cross-entropy",
        ("softmax_cross_entropy_vjp",),
        _loss_vjp_cases,
    ),
    Part(
        "classifier_gradients",
        EXERCISE,
        "a linear classifier's gradients from your VJPs",
        ("classifier_gradients",),
        _classifier_cases,
    ),
]


# -- the grader's probes: random shapes from the grader's seed --------------------------------


def _random(rng, shape) -> list | float:
    if not shape:
        return round(rng.uniform(-2.0, 2.0), 6)
    return [_random(rng, shape[1:]) for _ in range(shape[0])]


def _sample_matmul(rng) -> list[dict]:
    triples = []
    for _ in range(3):
        m, k, n = (rng.randint(1, 5) for _ in range(3))
        triples.append(
            {"g": _random(rng, (m, n)), "A": _random(rng, (m, k)), "B": _random(rng, (k, n))}
        )
    return triples


def _random_shape(rng, low: int = 1) -> list[int]:
    return [rng.randint(2, 4) for _ in range(rng.randint(low, 3))]


def _sample_add(rng) -> list[dict]:
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
    samples = []
    for a_shape, b_shape in pairs:
        if rng.random() < 0.5:
            a_shape, b_shape = b_shape, a_shape
        out = np.broadcast_shapes(tuple(a_shape), tuple(b_shape))
        samples.append({"g": _random(rng, out), "a_shape": a_shape, "b_shape": b_shape})
    return samples


def _sample_batch(rng, offset: float = 0.0) -> dict:
    n, c = rng.randint(1, 6), rng.randint(2, 6)
    logits = [[offset + rng.uniform(-4.0, 4.0) for _ in range(c)] for _ in range(n)]
    return {"logits": logits, "labels": [rng.randrange(c) for _ in range(n)]}


def _sample_losses(rng) -> list[dict]:
    return [_sample_batch(rng), _sample_batch(rng, rng.choice((-1000.0, 1000.0)))]


def _sample_classifier(rng) -> dict:
    n, d, c = rng.randint(1, 6), rng.randint(1, 4), rng.randint(2, 5)
    return {
        "X": _random(rng, (n, d)),
        "W": _random(rng, (d, c)),
        "b": _random(rng, (c,)),
        "labels": [rng.randrange(c) for _ in range(n)],
    }


def _arrays(sample: dict, *names: str) -> list[np.ndarray]:
    return [np.array(sample[name], dtype=np.float64) for name in names]


def _labels_of(sample: dict) -> np.ndarray:
    return np.array(sample["labels"], dtype=np.int64)


def _loss_and_gradient(namespace, batch: dict) -> list:
    """The student's loss, and the engine's gradient of it: it must be differentiable too."""
    (logits,), labels = _arrays(batch, "logits"), _labels_of(batch)
    return [loss_of(namespace, logits, labels), engine_loss_gradient_of(namespace, logits, labels)]


PROBES = [
    Probe(
        "matmul_tests",
        _sample_matmul,
        lambda ns, triples: [matmul_of(ns, *_arrays(t, "g", "A", "B")) for t in triples],
    ),
    Probe(
        "add_tests",
        _sample_add,
        lambda ns, pairs: [
            add_of(ns, p["g"], tuple(p["a_shape"]), tuple(p["b_shape"])) for p in pairs
        ],
    ),
    Probe(
        "cross_entropy_tests",
        _sample_losses,
        lambda ns, batches: [_loss_and_gradient(ns, b) for b in batches],
    ),
    Probe(
        "cross_entropy_vjp_tests",
        _sample_losses,
        lambda ns, batches: [
            loss_vjp_of(ns, *_arrays(b, "logits"), _labels_of(b)) for b in batches
        ],
    ),
    Probe(
        "classifier_tests",
        _sample_classifier,
        lambda ns, s: classifier_of(ns, *_arrays(s, "X", "W", "b"), _labels_of(s)),
    ),
]
