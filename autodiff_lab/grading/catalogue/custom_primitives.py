"""Measures for `custom_primitives`: the student's VJPs registered with the engine, and used.

The sandbox shows the engine's functional API and `extend` (``primitive``,
``defvjp``), which this exercise is about. Each primitive must be the
student's own (made by ``primitive``, not the engine's ``autodiff_lab.numpy``
function), and is measured through the engine: its value, and the gradient
``vjp`` gets from the VJP the student registered. ``network_loss`` runs with
the student's primitives replaced by the grader's (counted, so a network that
bypasses them is refused), and ``train`` with ``network_loss`` replaced by the
grader's, so one mistake costs its points once. The VJP formulas themselves
are graded in `array_vjps`, whose sandbox has no engine: a maker here that
asks the engine for its own VJP still registers rightly, which is this
exercise's subject.
"""

from __future__ import annotations

import numpy as np

from ..cases import Measure, Part, WrongAnswer, describe_type
from .array_vjps import _compact, _names, _shape, as_array
from .stubs import all_replaced

EXERCISE = "custom_primitives"
ENGINE = ("functional", "extend")  # with the modules they import
EXPORTS = {
    "primitive": "extend",
    "defvjp": "extend",
    "grad": "functional",
    "value_and_grad": "functional",
}
PRIMITIVES = ("tanh", "matmul", "softmax_cross_entropy")


def own_primitive(namespace, name: str):
    """The student's ``name``, refused unless ``primitive`` made it."""
    from autodiff_lab.extend import CustomPrimitive

    found = namespace[name]
    if not isinstance(found, CustomPrimitive):
        raise WrongAnswer(
            f"{name} should be your own primitive, made by primitive(...), got "
            f"{describe_type(found)}",
            f"write {name} on plain numpy arrays, decorate it with @primitive, and give its "
            f"VJP with defvjp({name}, ...).",
        )
    return found


_NOT_A_FUNCTION = (
    "a VJP maker returns a function of g (return lambda g: ...), which the backward pass "
    "calls with the gradient from above; it does not return the share itself."
)
_HINTS = {TypeError: _NOT_A_FUNCTION}


def _floats(inputs, *names: str) -> list[np.ndarray]:
    return [np.array(inputs[name], dtype=np.float64) for name in names]


def _tanh(namespace, inputs):
    from autodiff_lab.functional import vjp

    tanh = own_primitive(namespace, "tanh")
    x, w = _floats(inputs, "x", "w")
    value = as_array(tanh(x.copy()), x.shape, "tanh(x)")
    _, pull = vjp(tanh, x.copy())
    return [value, as_array(pull(w.copy()), x.shape, "the VJP's result")]


def _matmul(namespace, inputs):
    from autodiff_lab.functional import vjp

    matmul = own_primitive(namespace, "matmul")
    A, B, G = _floats(inputs, "A", "B", "G")
    value = as_array(matmul(A.copy(), B.copy()), G.shape, "matmul(A, B)")
    _, pull = vjp(matmul, A.copy(), B.copy())
    shares = pull(G.copy())
    if not isinstance(shares, (tuple, list)) or len(shares) != 2:
        raise WrongAnswer(f"vjp's pullback gave {describe_type(shares)}, not a pair")
    gA = as_array(shares[0], A.shape, "A's share", _order_hint)
    return [value, gA, as_array(shares[1], B.shape, "B's share", _order_hint)]


def _order_hint(got, want) -> str:
    return (
        "each maker returns its own argument's share, of that argument's shape "
        f"(here {want}): A's is g @ B.T, B's is A.T @ g."
    )


def _loss(namespace, inputs):
    from autodiff_lab.functional import vjp

    loss = own_primitive(namespace, "softmax_cross_entropy")
    (logits,) = _floats(inputs, "logits")
    labels = np.array(inputs["labels"], dtype=np.int64)
    value = as_array(loss(logits.copy(), labels.copy()), (), "softmax_cross_entropy's result")
    _, pull = vjp(lambda z: loss(z, labels.copy()), logits.copy())
    return [value, as_array(pull(inputs["scale"]), logits.shape, "the VJP's result")]


# -- the grader's own primitives, counted, for the parts that build on the student's --------


def _counted(name: str, function, calls: dict):
    def counted(*args, **kwargs):
        calls[name] = calls.get(name, 0) + 1
        return function(*args, **kwargs)

    counted.__name__ = name
    return counted


def _grader_primitives(calls: dict) -> dict:
    import autodiff_lab.numpy as anp

    def softmax_cross_entropy(logits, labels):
        rows = np.arange(len(labels))
        return -anp.mean(anp.log_softmax(logits, axis=1)[rows, np.asarray(labels)])

    found = {"tanh": anp.tanh, "matmul": anp.matmul, "softmax_cross_entropy": softmax_cross_entropy}
    return {name: _counted(name, function, calls) for name, function in found.items()}


def _grader_network_loss(primitives: dict):
    def network_loss(params, X, labels):
        W1, b1, W2, b2 = params
        h = primitives["tanh"](primitives["matmul"](X, W1) + b1)
        return primitives["softmax_cross_entropy"](primitives["matmul"](h, W2) + b2, labels)

    return network_loss


def _network_inputs(inputs):
    X = np.array(inputs["X"], dtype=np.float64)
    params = [np.array(p, dtype=np.float64) for p in inputs["params"]]
    return X, params, np.array(inputs["labels"], dtype=np.int64)


def _network(namespace, inputs):
    from autodiff_lab.functional import value_and_grad

    X, params, labels = _network_inputs(inputs)
    calls: dict[str, int] = {}
    with all_replaced(namespace, _grader_primitives(calls)):
        loss, grads = value_and_grad(namespace["network_loss"])(params, X, labels)
    missing = [name for name in PRIMITIVES if not calls.get(name)]
    if missing:
        raise WrongAnswer(
            f"network_loss never called {', '.join(missing)}",
            "compute the network with your primitives: matmul(X, W1), tanh(...), "
            "matmul(h, W2) and softmax_cross_entropy(...), not with @ or np.tanh.",
        )
    if not isinstance(grads, (tuple, list)) or len(grads) != 4:
        raise WrongAnswer("network_loss should take params as the list [W1, b1, W2, b2]")
    return [
        as_array(loss, (), "network_loss's result"),
        *(as_array(g, p.shape, "a gradient") for g, p in zip(grads, params)),
    ]


def _train(namespace, inputs):
    X, params, labels = _network_inputs(inputs)
    calls: dict[str, int] = {}
    network_loss = _counted("network_loss", _grader_network_loss(_grader_primitives({})), calls)
    steps, rate = inputs["steps"], inputs["learning_rate"]
    with all_replaced(namespace, {"network_loss": network_loss}):
        result = namespace["train_network"]([p.copy() for p in params], X, labels, steps, rate)
    if not calls:
        raise WrongAnswer(
            "train_network never called network_loss",
            "each step takes value_and_grad(network_loss)(params, X, labels).",
        )
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise WrongAnswer(
            f"train_network should return (params, losses), got {describe_type(result)}"
        )
    found, losses = result
    if not isinstance(found, (tuple, list)) or len(found) != 4:
        raise WrongAnswer("the params train_network returns should be [W1, b1, W2, b2]")
    losses = [float(as_array(loss, (), "a loss")) for loss in losses]
    if len(losses) != steps:
        raise WrongAnswer(
            f"train_network returned {len(losses)} losses for {steps} steps",
            "append the loss of every step, before its update.",
        )
    return [*(as_array(p, q.shape, "a parameter") for p, q in zip(found, params)), losses]


# -- words ----------------------------------------------------------------------------------


def _network_labels(inputs, prefix: str) -> tuple[str, ...]:
    return tuple(
        label
        for name, value in zip(("W1", "b1", "W2", "b2"), inputs["params"])
        for label in _names(prefix + name, _shape(value))
    )


def _network_text(inputs) -> str:
    (n, d), hidden = _shape(inputs["X"]), _shape(inputs["params"][1])[0]
    return f"X {n}×{d}, {hidden} hidden units, the check's primitives"


PARTS = [
    Part(
        "tanh_primitive",
        "tanh_primitive_tests",
        "tanh as a primitive of yours, with its VJP",
        ("tanh",),
        {
            "tanh": Measure(
                _tanh,
                lambda inputs: (
                    f"tanh(x) and vjp(tanh, x) with g = w, x {_compact(_shape(inputs['x']))}"
                ),
                lambda inputs: (
                    _names("tanh(x)", _shape(inputs["x"])) + _names("gx", _shape(inputs["x"]))
                ),
                error_hints=_HINTS,
            )
        },
    ),
    Part(
        "matmul_primitive",
        "matmul_primitive_tests",
        "matmul as a primitive of yours, with a VJP for each argument",
        ("matmul",),
        {
            "matmul": Measure(
                _matmul,
                lambda inputs: (
                    f"matmul(A, B) and its two shares, A {'×'.join(map(str, _shape(inputs['A'])))}"
                    f", B {'×'.join(map(str, _shape(inputs['B'])))}"
                ),
                lambda inputs: (
                    _names("C", _shape(inputs["G"]))
                    + _names("gA", _shape(inputs["A"]))
                    + _names("gB", _shape(inputs["B"]))
                ),
                error_hints={**_HINTS, ValueError: _order_hint(None, "A's or B's")},
            )
        },
    ),
    Part(
        "loss_primitive",
        "loss_primitive_tests",
        "softmax cross-entropy as a primitive of yours",
        ("softmax_cross_entropy",),
        {
            "loss": Measure(
                _loss,
                lambda inputs: (
                    f"the loss and its VJP with g = {inputs['scale']:g}, "
                    f"{len(inputs['labels'])} examples"
                ),
                lambda inputs: ("L",) + _names("g", _shape(inputs["logits"])),
                error_hints=_HINTS,
            )
        },
    ),
    Part(
        "network_loss",
        "network_loss_tests",
        "the network's loss from your primitives, and its gradients",
        ("network_loss",),
        {
            "network": Measure(
                _network,
                lambda inputs: f"value_and_grad(network_loss), {_network_text(inputs)}",
                lambda inputs: ("L",) + _network_labels(inputs, "g"),
            )
        },
    ),
    Part(
        "train_network",
        "train_network_tests",
        "gradient descent with value_and_grad",
        ("train_network",),
        {
            "train": Measure(
                _train,
                lambda inputs: (
                    f"train_network, {inputs['steps']} steps at learning rate "
                    f"{inputs['learning_rate']:g}, {_network_text(inputs)}"
                ),
                lambda inputs: (
                    _network_labels(inputs, "")
                    + tuple(f"loss {step}" for step in range(inputs["steps"]))
                ),
            )
        },
    ),
]
