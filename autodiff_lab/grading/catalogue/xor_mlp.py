"""Measures for `xor_mlp`: the student's MLP, mse_loss and train, each measured on its own.

* The network: ``MLP(n_hidden)`` with its parameters set to the grader's numbers
  (``parameters()`` lists them in the order the exercise gives) must compute
  2 inputs → tanh layer → sigmoid output on the grader's inputs, and backward()
  must give the engine's gradients; seeds must fix, and change, the network.
* The loss and training run on models of the grader's (`GraderModel`), and
  training runs with ``mse_loss`` replaced by a loss of the grader's, so a wrong
  network or loss costs its own points only.
* Training the student's network: the student's ``train`` on the student's
  ``MLP``, from the grader's parameters, on the grader's data, with the
  grader's loss: every parameter and every loss must follow the engine's
  gradient descent on that same network.

The sandbox shows the engine's ``Value`` only, not ``autodiff_lab.nn``.
"""

from __future__ import annotations

from ..cases import Measure, Part, WrongAnswer, describe_type, show
from .stubs import replaced

EXERCISE = "xor_mlp"
ENGINE = ("reverse",)  # with the modules it imports
EXPORTS = {"Value": "reverse"}


class GraderModel:
    """model(x) = w0 + w1·x1 + w2·x2 + w3·x1·x2: a model the student has never seen."""

    def __init__(self, weights) -> None:
        from autodiff_lab import Value

        self.weights = [Value(w) for w in weights]

    def __call__(self, x):
        w = self.weights
        return w[0] + w[1] * x[0] + w[2] * x[1] + w[3] * (x[0] * x[1])

    def parameters(self):
        return list(self.weights)


def grader_loss(weights):
    """The loss the grader swaps in for mse_loss: Σ w_i (model(x_i) - t_i)^4 (not the MSE)."""
    calls = []

    def loss(model, inputs, targets):
        calls.append(1)
        total = 0.0
        for x, target, weight in zip(inputs, targets, weights):
            total = total + weight * (model(x) - target) ** 4
        return total

    loss.calls = calls
    return loss


def _require_value(result, who: str):
    if not hasattr(result, "backward") or not hasattr(result, "data"):
        raise WrongAnswer(
            f"{who} should return a Value (so .backward() works), got {describe_type(result)}",
            "build it from the model's outputs with +, -, *, ** and /; never take .data "
            "or float(...) on the way.",
        )
    return result


def _parameters(model, n_hidden: int) -> list:
    parameters = list(model.parameters())
    wanted = 4 * n_hidden + 1
    if len(parameters) != wanted:
        raise WrongAnswer(
            f"MLP(n_hidden={n_hidden}).parameters() lists {len(parameters)} Values, not "
            f"2·{n_hidden} + {n_hidden} + {n_hidden} + 1 = {wanted}",
            "list every weight and bias once: hidden weights, hidden biases, output "
            "weights, output bias.",
        )
    if len({id(p) for p in parameters}) != len(parameters):
        raise WrongAnswer("parameters() lists the same Value twice", "list each one once.")
    for parameter in parameters:
        _require_value(parameter, "each parameter")
    return parameters


def _network(namespace, inputs) -> tuple:
    model = namespace["MLP"](n_hidden=inputs["n_hidden"], seed=0)
    parameters = _parameters(model, inputs["n_hidden"])
    for parameter, value in zip(parameters, inputs["parameters"]):
        parameter.data = value
    return model, parameters


def _outputs(namespace, inputs):
    """The network's outputs on the grader's inputs, from the grader's parameters."""
    model, _ = _network(namespace, inputs)
    return [_require_value(model(x), f"model({x})").data for x in inputs["inputs"]]


def _gradients(namespace, inputs):
    """model(x) and d model(x) / d each parameter, by backward()."""
    model, parameters = _network(namespace, inputs)
    output = _require_value(model(inputs["inputs"][0]), "model(x)")
    for parameter in parameters:
        parameter.grad = 0.0
    output.backward()
    return [output.data, *(parameter.grad for parameter in parameters)]


def _seeds(namespace, inputs):
    """[same seed same network, other seed other network, weights in [-1, 1]] as 1 or 0."""
    n, (first, second) = inputs["n_hidden"], inputs["seeds"]
    make = namespace["MLP"]
    one = [p.data for p in _parameters(make(n_hidden=n, seed=first), n)]
    again = [p.data for p in _parameters(make(n_hidden=n, seed=first), n)]
    other = [p.data for p in _parameters(make(n_hidden=n, seed=second), n)]
    inside = all(-1.0 <= value <= 1.0 for value in one + other)
    return [float(one == again), float(one != other), float(inside)]


def _train_with(namespace, model, inputs):
    """Run the student's train with the grader's loss; [parameters after..., losses...]."""
    loss = grader_loss(inputs["loss_weights"])
    with replaced(namespace, "mse_loss", loss):
        losses = namespace["train"](
            model,
            inputs["inputs"],
            inputs["targets"],
            steps=inputs["steps"],
            learning_rate=inputs["learning_rate"],
        )
    steps = inputs["steps"]
    if not loss.calls:
        raise WrongAnswer(
            "train never called mse_loss",
            "compute each step's loss with mse_loss(model, inputs, targets); the check "
            "replaces mse_loss with a loss of its own to test train alone.",
        )
    if not isinstance(losses, list) or len(losses) != steps:
        length = f" of length {len(losses)}" if hasattr(losses, "__len__") else ""
        raise WrongAnswer(
            f"train(..., steps={steps}) should return a list of {steps} losses, "
            f"got {describe_type(losses)}{length}"
        )
    if any(hasattr(value, "backward") for value in losses):
        raise WrongAnswer("the losses should be floats", "append loss.data, not the loss Value.")
    return [*(parameter.data for parameter in model.parameters()), *losses]


def _train(namespace, inputs):
    return _train_with(namespace, GraderModel(inputs["model"]), inputs)


def _train_network(namespace, inputs):
    model, _ = _network(namespace, inputs)
    return _train_with(namespace, model, inputs)


def _loss(namespace, inputs):
    """[mse_loss(model, ...).data, then d loss / d each weight] on a model of the grader's."""
    model = GraderModel(inputs["model"])
    loss = namespace["mse_loss"](model, inputs["inputs"], inputs["targets"])
    loss = _require_value(loss, "mse_loss")
    loss.backward()
    return [loss.data, *(weight.grad for weight in model.weights)]


# -- words ---------------------------------------------------------------------------------


def _numbers_text(values) -> str:
    return "[" + ", ".join(show(v) for v in values[:4]) + (", …]" if len(values) > 4 else "]")


def _network_text(inputs) -> str:
    n, values = inputs["n_hidden"], inputs["parameters"]
    return f"MLP(n_hidden={n}) with its {len(values)} parameters set to {_numbers_text(values)}"


def _model_text(inputs) -> str:
    w = inputs["model"]
    return (
        f"model(x) = {show(w[0])} + {show(w[1])}·x1 + {show(w[2])}·x2 + {show(w[3])}·x1·x2 "
        f"on {len(inputs['inputs'])} examples"
    )


def _training_text(inputs, what: str) -> str:
    return (
        f"train({what}, steps={inputs['steps']}, learning_rate={show(inputs['learning_rate'])}) "
        "with the check's own loss in place of mse_loss"
    )


def _parameter_names(n: int) -> list[str]:
    weights = [f"w_{k + 1}{i + 1}" for k in range(n) for i in range(2)]
    return weights + [f"b_{k + 1}" for k in range(n)] + [f"v_{k + 1}" for k in range(n)] + ["c"]


def _network_training_hint(actual, expected):
    return (
        'this part trains your network with your train: if check("mlp") or check("train") '
        "fails, fix that first; every step must follow the engine's gradient of your network."
    )


def _train_hint(actual, expected):
    return (
        "each step: loss = mse_loss(model, inputs, targets), set every parameter's grad to 0, "
        "loss.backward(), then p.data -= learning_rate * p.grad; append loss.data."
    )


def _network_hint(actual, expected):
    if any(not 0.0 < value < 1.0 for value in actual):
        return "finish __call__ with .sigmoid() on the output unit: outputs lie between 0 and 1."
    return (
        "hidden unit k is tanh(w_k1·x1 + w_k2·x2 + b_k); the output is sigmoid(v_1·h_1 + ... + "
        "v_n·h_n + c); parameters() lists w_11, w_12, w_21, ..., b_1..b_n, v_1..v_n, c."
    )


_SEEDS = (
    "draw every initial weight from rng = random.Random(seed) with rng.uniform(-1, 1), so the "
    "same seed gives the same network and another seed another one."
)

_SEEDS_MEASURE = Measure(
    _seeds,
    lambda inputs: (
        f"MLP(n_hidden={inputs['n_hidden']}, seed=s) for s = {inputs['seeds'][0]}, "
        f"{inputs['seeds'][0]} again and {inputs['seeds'][1]}"
    ),
    lambda inputs: ("same seed, same network", "other seed, other network", "weights in [-1, 1]"),
    hint=lambda actual, expected: _SEEDS,
)

PARTS = [
    Part(
        "mlp",
        "mlp_tests",
        "your MLP: its outputs, its gradients, its seeds",
        ("MLP",),
        {
            "outputs": Measure(
                _outputs,
                lambda inputs: f"{_network_text(inputs)}, on {len(inputs['inputs'])} inputs",
                lambda inputs: tuple(f"model({x[0]:g}, {x[1]:g})" for x in inputs["inputs"]),
                hint=_network_hint,
            ),
            "gradients": Measure(
                _gradients,
                lambda inputs: (
                    f"backward() from model({inputs['inputs'][0][0]:g}, "
                    f"{inputs['inputs'][0][1]:g}), {_network_text(inputs)}"
                ),
                lambda inputs: (
                    "model(x)",
                    *(f"{name}.grad" for name in _parameter_names(inputs["n_hidden"])),
                ),
                hint=lambda actual, expected: (
                    "backward() should reach every weight and bias: build the output from the "
                    "parameters themselves, never from their .data."
                ),
            ),
            "seeds": _SEEDS_MEASURE,
        },
    ),
    Part(
        "mse_loss",
        "loss_tests",
        "the mean squared error as a Value",
        ("mse_loss",),
        {
            "loss": Measure(
                _loss,
                lambda inputs: f"mse_loss of {_model_text(inputs)}",
                lambda inputs: ("loss", *(f"d loss / d w{i}" for i in range(4))),
                hint=lambda actual, expected: (
                    "loss = the mean over the examples of (model(x) - target) ** 2, as a Value."
                ),
            )
        },
    ),
    Part(
        "train",
        "train_tests",
        "gradient descent steps",
        ("train",),
        {
            "train": Measure(
                _train,
                lambda inputs: _training_text(inputs, _model_text(inputs)),
                lambda inputs: (
                    *(f"w{i} after" for i in range(4)),
                    *(f"loss {i + 1}" for i in range(inputs["steps"])),
                ),
                hint=_train_hint,
            )
        },
    ),
    Part(
        "xor",
        "xor_tests",
        "your network trains: the engine's gradient descent, step by step",
        ("MLP", "train"),
        {
            "train_network": Measure(
                _train_network,
                lambda inputs: _training_text(inputs, _network_text(inputs)),
                lambda inputs: (
                    *(f"{name} after" for name in _parameter_names(inputs["n_hidden"])),
                    *(f"loss {i + 1}" for i in range(inputs["steps"])),
                ),
                hint=_network_training_hint,
            ),
            "seeds": _SEEDS_MEASURE,
        },
    ),
]
