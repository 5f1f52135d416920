"""Measures for `array_vjps`: the VJPs of matmul, broadcast add, softmax cross-entropy and tanh.

Everything is plain numpy: the sandbox of this exercise holds no engine, so no
VJP of the engine's to import. Each result must be a numpy array of exactly
its input's shape (a float for a 0-d one): an array that would only broadcast
to it is wrong, and the measure says how. ``classifier_gradients``,
``mlp_gradients`` and ``residual_gradients`` are measured with the student's
VJPs replaced by the grader's numbers for the calls the chain should make, so
a mistake in an earlier part costs its points once.
"""

from __future__ import annotations

import itertools
from numbers import Real

import numpy as np

from ..cases import Measure, Part, WrongAnswer, describe_type
from .stubs import all_replaced, answers

EXERCISE = "array_vjps"
ENGINE: tuple[str, ...] = ()
EXPORTS: dict[str, str] = {}


# -- measuring the student's functions ----------------------------------------------------


def as_array(result, shape: tuple, who: str, shape_hint=None) -> np.ndarray:
    """``result`` as a float array of exactly ``shape``, or WrongAnswer saying what is off."""
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


def _arrays(inputs, *names: str) -> list[np.ndarray]:
    return [np.array(inputs[name], dtype=np.float64) for name in names]


def _labels_of(inputs) -> np.ndarray:
    return np.array(inputs["labels"], dtype=np.int64)


def _matmul(namespace, inputs):
    """[gA, gB] from the student's matmul_vjp (on copies, so edits in place change nothing)."""
    g, A, B = _arrays(inputs, "g", "A", "B")
    gA, gB = _pair(namespace["matmul_vjp"](g.copy(), A.copy(), B.copy()), "matmul_vjp")
    return [
        as_array(gA, A.shape, "gA", _matmul_shape_hint("A", "gA = g @ B.T", B.shape)),
        as_array(gB, B.shape, "gB", _matmul_shape_hint("B", "gB = A.T @ g", A.shape)),
    ]


def _add(namespace, inputs):
    (g,) = _arrays(inputs, "g")
    a_shape, b_shape = tuple(inputs["a_shape"]), tuple(inputs["b_shape"])
    ga, gb = _pair(namespace["add_vjp"](g.copy(), a_shape, b_shape), "add_vjp")
    return [
        as_array(ga, a_shape, "ga", lambda got, want: _add_shape_hint(got, want, g.shape)),
        as_array(gb, b_shape, "gb", lambda got, want: _add_shape_hint(got, want, g.shape)),
    ]


_ONE_NUMBER = "The loss is one number: the mean over the batch."


def _loss(namespace, inputs):
    (logits,), labels = _arrays(inputs, "logits"), _labels_of(inputs)
    result = namespace["softmax_cross_entropy"](logits.copy(), labels.copy())
    if isinstance(result, np.ndarray) and len(labels) > 1 and result.shape == (len(labels),):
        message = f"softmax_cross_entropy returned {result.size} numbers, one per example"
        raise WrongAnswer(message, _ONE_NUMBER)
    return float(as_array(result, (), "softmax_cross_entropy's result", lambda *_: _ONE_NUMBER))


def _loss_vjp(namespace, inputs):
    (logits,), labels = _arrays(inputs, "logits"), _labels_of(inputs)
    result = namespace["softmax_cross_entropy_vjp"](logits.copy(), labels.copy())
    return as_array(result, logits.shape, "softmax_cross_entropy_vjp's result")


def _classifier(namespace, inputs):
    """[gW, gb], with the student's VJPs answering from the grader's numbers."""
    X, W, b = _arrays(inputs, "X", "W", "b")
    labels = _labels_of(inputs)
    steps = inputs["steps"]
    logits, g_logits = steps["logits"], steps["g_logits"]
    product_shape, b_shape = (X.shape[0], W.shape[1]), b.shape
    pair = lambda found: tuple(np.array(part, dtype=np.float64) for part in found)  # noqa: E731
    stand_ins = {
        "softmax_cross_entropy_vjp": answers(
            "softmax_cross_entropy_vjp",
            [((logits, inputs["labels"]), g_logits)],
            lambda found: np.array(found, dtype=np.float64),
        ),
        "add_vjp": answers("add_vjp", [((g_logits, product_shape, b_shape), steps["add"])], pair),
        "matmul_vjp": answers(
            "matmul_vjp", [((steps["add"][0], inputs["X"], inputs["W"]), steps["matmul"])], pair
        ),
    }
    with all_replaced(namespace, stand_ins):
        result = namespace["classifier_gradients"](X.copy(), W.copy(), b.copy(), labels.copy())
    gW, gb = _pair(result, "classifier_gradients")
    return [as_array(gW, W.shape, "gW"), as_array(gb, b.shape, "gb")]


def _tanh(namespace, inputs):
    g, x = _arrays(inputs, "g", "x")
    result = namespace["tanh_vjp"](g.copy(), x.copy())
    return as_array(result, x.shape, "tanh_vjp's result")


_NETWORK_CALLS = (
    "softmax_cross_entropy_vjp(logits, labels), add_vjp(g_logits, (h @ W2).shape, b2.shape), "
    "matmul_vjp(g_product2, h, W2), tanh_vjp(g_h, a) with a = X @ W1 + b1 (tanh's input), "
    "add_vjp(g_a, (X @ W1).shape, b1.shape) and matmul_vjp(g_product1, X, W1)"
)


_TANH_INPUT = "give tanh_vjp tanh's input a = X @ W1 + b1, not its output h: tanh_vjp(g_h, a)."
_TANH_SKIPPED = "the gradient reaches a through tanh: g_a = tanh_vjp(g_h, a), then add_vjp."
_ONLY_TANH = (
    "a is used twice, in the skip and in tanh: add both shares, g_a = g_h + tanh_vjp(g_h, a)."
)
_ONLY_SKIP = "a is used twice, in the skip and in tanh: add tanh's share, tanh_vjp(g_h, a), to g_h."


def _network(namespace, inputs, residual: bool):
    """[gW1, gb1, gW2, gb2], with the student's VJPs answering from the grader's numbers."""
    X, W1, b1, W2, b2 = _arrays(inputs, "X", "W1", "b1", "W2", "b2")
    labels = _labels_of(inputs)
    steps = inputs["steps"]
    product1_shape, product2_shape = np.shape(steps["product1"]), np.shape(steps["product2"])
    pair = lambda found: tuple(np.array(part, dtype=np.float64) for part in found)  # noqa: E731
    array = lambda found: np.array(found, dtype=np.float64)  # noqa: E731
    add_calls = [
        ((steps["g_logits"], product2_shape, b2.shape), [steps["g_product2"], steps["gb2"]]),
        ((steps["g_pre"], product1_shape, b1.shape), [steps["g_product1"], steps["gb1"]]),
    ]
    if residual:  # the skip's sum h = a + tanh(a), if the student splits it with add_vjp too
        skip = (steps["g_hidden"], product1_shape, product1_shape)
        add_calls.append((skip, [steps["g_hidden"], steps["g_hidden"]]))
        wrong_adds = [  # a gradient for a that missed one of its two shares
            ((steps["g_tanh"], product1_shape, b1.shape), _ONLY_TANH),
            ((steps["g_hidden"], product1_shape, b1.shape), _ONLY_SKIP),
        ]
    else:  # a gradient for a that skipped tanh
        wrong_adds = [((steps["g_hidden"], product1_shape, b1.shape), _TANH_SKIPPED)]
    wrong_tanh = [((steps["g_hidden"], steps["hidden"]), _TANH_INPUT)]
    stand_ins = {
        "softmax_cross_entropy_vjp": answers(
            "softmax_cross_entropy_vjp",
            [((steps["logits"], inputs["labels"]), steps["g_logits"])],
            array,
            _NETWORK_CALLS,
        ),
        "add_vjp": answers("add_vjp", add_calls, pair, _NETWORK_CALLS, wrong_adds),
        "matmul_vjp": answers(
            "matmul_vjp",
            [
                (
                    (steps["g_product2"], steps["hidden"], inputs["W2"]),
                    [steps["g_hidden"], steps["gW2"]],
                ),
                ((steps["g_product1"], inputs["X"], inputs["W1"]), [steps["gX"], steps["gW1"]]),
            ],
            pair,
            _NETWORK_CALLS,
        ),
        "tanh_vjp": answers(
            "tanh_vjp",
            [((steps["g_hidden"], steps["pre"]), steps["g_tanh"])],
            array,
            _NETWORK_CALLS,
            wrong_tanh,
        ),
    }
    name = "residual_gradients" if residual else "mlp_gradients"
    with all_replaced(namespace, stand_ins):
        result = namespace[name](X.copy(), W1.copy(), b1.copy(), W2.copy(), b2.copy(), labels)
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        raise WrongAnswer(
            f"{name} should return four arrays (gW1, gb1, gW2, gb2), got {describe_type(result)}"
        )
    return [
        as_array(found, weight.shape, label, _bias_hint if label.startswith("gb") else None)
        for found, weight, label in zip(result, (W1, b1, W2, b2), ("gW1", "gb1", "gW2", "gb2"))
    ]


def _bias_hint(got: tuple, want: tuple) -> str | None:
    if len(got) == 2 and got[1:] == want:
        return (
            "a bias is added to every row of the batch: its gradient is summed over the rows, "
            "as add_vjp does (add_vjp(g_a, (X @ W1).shape, b1.shape))."
        )
    return None


# -- words ----------------------------------------------------------------------------------


def _compact(shape) -> str:
    """(2,3), (3,) or (): a shape without spaces, so a report never breaks a line inside it."""
    shape = tuple(shape)
    return "(" + ",".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _names(name: str, shape) -> tuple[str, ...]:
    shape = tuple(shape)
    if shape == ():
        return (name,)
    return tuple(f"{name}[{','.join(map(str, i))}]" for i in itertools.product(*map(range, shape)))


def _shape(value) -> tuple:
    return np.shape(np.array(value, dtype=float))


def _matmul_text(inputs) -> str:
    m, k = _shape(inputs["A"])
    n = _shape(inputs["B"])[1]
    return f"matmul_vjp(g, A, B), A {m}×{k}, B {k}×{n}"


def _add_text(inputs) -> str:
    return f"add_vjp: a {_compact(inputs['a_shape'])} + b {_compact(inputs['b_shape'])}"


def _logits_text(inputs) -> str:
    n, c = _shape(inputs["logits"])
    largest = float(np.max(np.abs(np.array(inputs["logits"], dtype=float))))
    size = f"{n} example{'s' if n != 1 else ''}, {c} classes"
    return size + (", logits near ±1000 row by row" if largest > 500 else "")


def _classifier_text(inputs) -> str:
    (n, d), c = _shape(inputs["X"]), _shape(inputs["b"])[0]
    return (
        f"classifier_gradients, X {n}×{d}, W {d}×{c}, b ({c},), with your VJPs answering "
        "from the check's numbers"
    )


def _network_text(inputs, residual: bool) -> str:
    (n, d), (hidden, c) = _shape(inputs["X"]), _shape(inputs["W2"])
    layer = "a + tanh(a)" if residual else "tanh(a)"
    name = "residual_gradients" if residual else "mlp_gradients"
    return (
        f"{name}, X {n}×{d}, {hidden} hidden units h = {layer}, {c} classes, with your VJPs "
        "answering from the check's numbers"
    )


def _network_labels(inputs) -> tuple[str, ...]:
    return tuple(
        label
        for name in ("W1", "b1", "W2", "b2")
        for label in _names("g" + name, _shape(inputs[name]))
    )


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
        added = len(g_shape) - len(want)
        trailing = g_shape[added:]
        axes = [i for i, (w, s) in enumerate(zip(want, trailing)) if w == 1 and s != 1]
        if axes:
            of_g = ", ".join(str(axis + added) for axis in axes)
            of_input = ", ".join(map(str, axes))
            return (
                f"sum g over its axis {of_g} (axis {of_input} of this input, where it has size "
                "1 and g does not), keeping it: keepdims=True."
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


def _unstable_hint(actual, expected):
    if not np.all(np.isfinite(actual)):
        return _STABLE
    return None


_SHAPES = (
    "numpy could not multiply these shapes. gA = g @ B.T is (m × n)(n × p) = m × p, A's shape; "
    "gB = A.T @ g is (p × m)(m × n) = p × n, B's shape."
)
_KEEPDIMS = (
    "np.max(logits, axis=1) drops that axis, so its N maxima cannot be subtracted from the "
    "N rows: keep it with np.max(logits, axis=1, keepdims=True) (and the same for np.sum)."
)
_CHAIN = (
    "from the loss back: g_logits = softmax_cross_entropy_vjp(X @ W + b, labels); "
    "g_product, gb = add_vjp(g_logits, (X @ W).shape, b.shape); "
    "gW = matmul_vjp(g_product, X, W)[1]."
)


_TANH_SHAPES = (
    "tanh acts on each entry alone, so its VJP multiplies entry by entry: "
    "g * (1 - np.tanh(x) ** 2), not a matrix product."
)


def _network_part(residual: bool) -> Part:
    name = "residual_gradients" if residual else "mlp_gradients"
    measure = "residual" if residual else "mlp"
    summary = (
        "a hidden layer with a skip, h = a + tanh(a): a used twice"
        if residual
        else "a hidden tanh layer's gradients from your VJPs"
    )
    return Part(
        name,
        f"{measure}_tests",
        summary,
        (name,),
        {
            measure: Measure(
                lambda namespace, inputs: _network(namespace, inputs, residual),
                lambda inputs: _network_text(inputs, residual),
                _network_labels,
            )
        },
    )


PARTS = [
    Part(
        "matmul_vjp",
        "matmul_tests",
        "the VJP of C = A @ B",
        ("matmul_vjp",),
        {
            "matmul": Measure(
                _matmul,
                _matmul_text,
                lambda inputs: (
                    _names("gA", _shape(inputs["A"])) + _names("gB", _shape(inputs["B"]))
                ),
                error_hints={ValueError: _SHAPES},
            )
        },
    ),
    Part(
        "add_vjp",
        "add_tests",
        "the VJP of c = a + b, broadcast",
        ("add_vjp",),
        {
            "add": Measure(
                _add,
                _add_text,
                lambda inputs: _names("ga", inputs["a_shape"]) + _names("gb", inputs["b_shape"]),
            )
        },
    ),
    Part(
        "cross_entropy",
        "cross_entropy_tests",
        "softmax cross-entropy, one number, stable",
        ("softmax_cross_entropy",),
        {
            "loss": Measure(
                _loss,
                lambda inputs: f"softmax_cross_entropy of {_logits_text(inputs)}",
                lambda inputs: ("L",),
                hint=_unstable_hint,
                error_hints={
                    OverflowError: _STABLE,
                    FloatingPointError: _STABLE,
                    ValueError: _KEEPDIMS,
                },
            )
        },
    ),
    Part(
        "cross_entropy_vjp",
        "cross_entropy_vjp_tests",
        "the gradient of softmax cross-entropy",
        ("softmax_cross_entropy_vjp",),
        {
            "loss_vjp": Measure(
                _loss_vjp,
                lambda inputs: f"softmax_cross_entropy_vjp of {_logits_text(inputs)}",
                lambda inputs: _names("g", _shape(inputs["logits"])),
                hint=_unstable_hint,
                error_hints={
                    OverflowError: _STABLE,
                    FloatingPointError: _STABLE,
                    ValueError: _KEEPDIMS,
                },
            )
        },
    ),
    Part(
        "classifier_gradients",
        "classifier_tests",
        "a linear classifier's gradients from your VJPs",
        ("classifier_gradients",),
        {
            "classifier": Measure(
                _classifier,
                _classifier_text,
                lambda inputs: (
                    _names("gW", _shape(inputs["W"])) + _names("gb", _shape(inputs["b"]))
                ),
                hint=lambda actual, expected: _CHAIN,
            )
        },
    ),
    Part(
        "tanh_vjp",
        "tanh_tests",
        "the VJP of y = tanh(x), entry by entry",
        ("tanh_vjp",),
        {
            "tanh": Measure(
                _tanh,
                lambda inputs: f"tanh_vjp(g, x), x of shape {_compact(_shape(inputs['x']))}",
                lambda inputs: _names("gx", _shape(inputs["x"])),
                error_hints={ValueError: _TANH_SHAPES},
            )
        },
    ),
    _network_part(residual=False),
    _network_part(residual=True),
]
