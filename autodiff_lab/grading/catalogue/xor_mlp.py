"""Checks for the `xor_mlp` exercise: an MLP, its MSE loss, gradient descent, and XOR learned.

The loss and training checks use a model of our own with a single weight
``w``, ``model(x) = w · (x1 + x2)``, whose loss and gradient-descent steps
have closed forms, so a wrong number points at the student's loss or loop.
"""

from __future__ import annotations

from ..cases import Case, Part, Probe, WrongAnswer, describe_type, show

EXERCISE = "xor_mlp"
XOR_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_TARGETS = [0.0, 1.0, 1.0, 0.0]
TRAINING = {"steps": 500, "learning_rate": 2.0}


class OneWeightModel:
    """model(x) = w · (x1 + x2): a model whose loss we can differentiate by hand."""

    def __init__(self, w: float) -> None:
        from autodiff_lab import Value

        self.w = Value(w, label="w")

    def __call__(self, x):
        return self.w * (x[0] + x[1])

    def parameters(self):
        return [self.w]


def one_weight_loss(w: float, inputs, targets) -> tuple[float, float]:
    """The MSE loss of OneWeightModel(w) and its derivative in w, by hand."""
    sums = [x[0] + x[1] for x in inputs]
    residuals = [w * s - t for s, t in zip(sums, targets)]
    loss = sum(r * r for r in residuals) / len(inputs)
    slope = sum(2 * r * s for r, s in zip(residuals, sums)) / len(inputs)
    return loss, slope


def descend(w: float, inputs, targets, steps: int, rate: float, accumulate=False):
    """Gradient descent on OneWeightModel by hand; ``accumulate`` forgets to zero grads."""
    losses, grad = [], 0.0
    for _ in range(steps):
        loss, slope = one_weight_loss(w, inputs, targets)
        grad = grad + slope if accumulate else slope
        w -= rate * grad
        losses.append(loss)
    return w, losses


# -- measuring the student's code ----------------------------------------------------------


def _require_value(result, who: str):
    if not hasattr(result, "backward") or not hasattr(result, "data"):
        raise WrongAnswer(
            f"{who} should return a Value (so .backward() works), got {describe_type(result)}",
            "build it from the model's outputs with +, - , * , ** and /; never take .data "
            "before the end.",
        )
    return result


def parameters_of(namespace, n_hidden: int, seed: int) -> list:
    from autodiff_lab import Value

    model = namespace["MLP"](n_hidden=n_hidden, seed=seed)
    parameters = list(model.parameters())
    strangers = [p for p in parameters if not isinstance(p, Value)]
    if strangers:
        raise WrongAnswer(
            f"parameters() should hold autodiff_lab Values, found {describe_type(strangers[0])}"
        )
    return parameters


def parameter_count(namespace, n_hidden: int) -> float:
    parameters = parameters_of(namespace, n_hidden, seed=0)
    distinct = len({id(p) for p in parameters})
    if distinct != len(parameters):
        raise WrongAnswer(
            f"parameters() lists {len(parameters)} Values but only {distinct} distinct ones",
            "each weight and bias should appear once.",
        )
    return float(len(parameters))


def outputs_are_probabilities(namespace) -> None:
    model = namespace["MLP"](n_hidden=4, seed=0)
    for x in XOR_INPUTS:
        output = _require_value(model(x), f"model({x})")
        if not 0.0 < output.data < 1.0:
            raise WrongAnswer(
                f"model({x}) = {show(output.data)}, but the output should lie between 0 and 1",
                "finish __call__ with .sigmoid() on the output unit.",
            )


def seeds_are_reproducible(namespace) -> None:
    mlp = namespace["MLP"]
    first = mlp(n_hidden=4, seed=3)((1.0, 0.0)).data
    again = mlp(n_hidden=4, seed=3)((1.0, 0.0)).data
    other = mlp(n_hidden=4, seed=4)((1.0, 0.0)).data
    if first != again:
        raise WrongAnswer(
            "two networks made with seed=3 give different outputs",
            "draw every initial weight from rng = random.Random(seed), not from random.uniform.",
        )
    if first == other:
        raise WrongAnswer("seed=3 and seed=4 give the same network", "use the seed argument.")


def gradients_reach_every_parameter(namespace) -> None:
    model = namespace["MLP"](n_hidden=4, seed=0)
    parameters = list(model.parameters())
    for parameter in parameters:
        parameter.grad = 0.0
    _require_value(model((1.0, 1.0)), "model((1, 1))").backward()
    missed = sum(1 for parameter in parameters if parameter.grad == 0.0)
    if missed:
        raise WrongAnswer(
            f"{missed} of {len(parameters)} parameters got no gradient from model((1, 1))",
            "every weight and bias listed by parameters() must be used in __call__ (and "
            "initialised at random, not at 0, except perhaps the biases).",
        )


def loss_and_slope(namespace, w: float, targets) -> tuple[float, float]:
    model = OneWeightModel(w)
    loss = _require_value(namespace["mse_loss"](model, XOR_INPUTS, targets), "mse_loss")
    loss.backward()
    return loss.data, model.w.grad


def trained_weight(namespace, w: float, steps: int, rate: float) -> list[float]:
    model = OneWeightModel(w)
    losses = namespace["train"](model, XOR_INPUTS, XOR_TARGETS, steps=steps, learning_rate=rate)
    if not isinstance(losses, list) or len(losses) != steps:
        raise WrongAnswer(
            f"train(..., steps={steps}) should return a list of {steps} losses, "
            f"got {describe_type(losses)}"
            + (f" of length {len(losses)}" if hasattr(losses, "__len__") else ""),
        )
    if any(hasattr(loss, "backward") for loss in losses):
        raise WrongAnswer("the losses should be floats", "append loss.data, not the loss Value.")
    return [model.w.data, *losses]


def learns_xor(namespace) -> None:
    model = namespace["MLP"](n_hidden=4, seed=0)
    losses = namespace["train"](model, XOR_INPUTS, XOR_TARGETS, **TRAINING)
    right = sum((model(x).data > 0.5) == (t > 0.5) for x, t in zip(XOR_INPUTS, XOR_TARGETS))
    if right < len(XOR_INPUTS):
        raise WrongAnswer(
            f"after 500 steps {right} of 4 XOR inputs are right (loss {show(losses[-1])})",
            "if the loss went up, check the sign: p.data -= learning_rate * p.grad; if it "
            "stalled, check that every step zeroes the grads before backward().",
        )


def xor_accuracy(namespace, seed: int) -> float:
    """The fraction of XOR's four cases that the student's trained MLP gets right."""
    model = namespace["MLP"](n_hidden=4, seed=seed)
    namespace["train"](model, XOR_INPUTS, XOR_TARGETS, **TRAINING)
    right = sum((model(x).data > 0.5) == (t > 0.5) for x, t in zip(XOR_INPUTS, XOR_TARGETS))
    return right / len(XOR_INPUTS)


# -- hints ---------------------------------------------------------------------------------


def _loss_hint(actual, expected):
    if abs(actual[0] - 4 * expected[0]) < 1e-9:
        return "that is the sum of squared errors: divide by the number of examples (the mean)."
    return "loss = mean over examples of (model(x) - target) ** 2."


def _train_hint_for(w0, steps, rate):
    stale, _ = descend(w0, XOR_INPUTS, XOR_TARGETS, steps, rate, accumulate=True)

    def hint(actual, expected):
        if abs(actual[0] - stale) < 1e-9:
            return (
                "gradients pile up across steps: set every parameter's grad to 0 before "
                "loss.backward() in each step."
            )
        if abs(actual[0] - (2 * w0 - expected[0])) < 1e-9:
            return "w moved uphill: subtract learning_rate * grad, don't add it."
        return "each step: loss, zero the grads, loss.backward(), p.data -= rate * p.grad."

    return hint


def _mlp_cases():
    return [
        Case(
            "MLP(n_hidden=4, seed=0) has 2·4 + 4 + 4 + 1 = 17 parameters",
            lambda ns: parameter_count(ns, 4),
            17.0,
            ("len(parameters())",),
        ),
        Case("its outputs lie between 0 and 1", outputs_are_probabilities, None),
        Case("the seed fixes the initial weights", seeds_are_reproducible, None),
        Case("backward() reaches every parameter", gradients_reach_every_parameter, None),
    ]


def _loss_cases():
    return [
        Case(
            f"mse_loss of model(x) = w·(x1 + x2) at w = {w} on XOR",
            lambda ns, w=w: loss_and_slope(ns, w, XOR_TARGETS),
            one_weight_loss(w, XOR_INPUTS, XOR_TARGETS),
            ("loss", "d loss / dw"),
            hint=_loss_hint,
        )
        for w in (0.3, -1.0)
    ]


def _train_cases():
    cases = []
    for steps in (1, 3):
        w, losses = descend(0.3, XOR_INPUTS, XOR_TARGETS, steps, 0.1)
        cases.append(
            Case(
                f"train(model(x) = w·(x1 + x2), steps={steps}, learning_rate=0.1) from w = 0.3",
                lambda ns, steps=steps: trained_weight(ns, 0.3, steps, 0.1),
                (w, *losses),
                ("w after training", *(f"loss {i + 1}" for i in range(steps))),
                hint=_train_hint_for(0.3, steps, 0.1),
            )
        )
    return cases


def _xor_cases():
    return [Case("MLP(n_hidden=4, seed=0) learns XOR in 500 steps at rate 2.0", learns_xor, None)]


PARTS = [
    Part("mlp", EXERCISE, "your MLP's shape, outputs and gradients", ("MLP",), _mlp_cases),
    Part("mse_loss", EXERCISE, "the mean squared error as a Value", ("mse_loss",), _loss_cases),
    Part("train", EXERCISE, "gradient descent steps", ("train", "mse_loss"), _train_cases),
    Part("xor", EXERCISE, "a 2-layer MLP learns XOR", ("MLP", "train"), _xor_cases),
]


PROBES = [
    Probe(
        "mlp_tests",
        lambda rng: rng.randint(2, 6),
        parameter_count,
    ),
    Probe(
        "loss_tests",
        lambda rng: [rng.uniform(-2.0, 2.0), [float(rng.randint(0, 1)) for _ in range(4)]],
        lambda ns, args: loss_and_slope(ns, args[0], args[1]),
    ),
    Probe(
        "train_tests",
        lambda rng: [rng.uniform(-1.0, 1.0), rng.uniform(0.01, 0.2)],
        lambda ns, args: trained_weight(ns, args[0], 2, args[1]),
    ),
    Probe("xor_tests", lambda rng: rng.choice((0, 1, 2)), lambda ns, seed: xor_accuracy(ns, seed)),
]
