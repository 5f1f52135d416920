"""The grader's side of `xor_mlp`: the network, the losses and gradient descent, on the engine."""

from __future__ import annotations

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [0.0, 1.0, 1.0, 0.0]


def network(parameters, n_hidden: int):
    """The exercise's network as a function of x, on the engine's Values ``parameters``."""
    weights = parameters[: 2 * n_hidden]
    biases = parameters[2 * n_hidden : 3 * n_hidden]
    outputs = parameters[3 * n_hidden : 4 * n_hidden]
    bias = parameters[4 * n_hidden]

    def model(x):
        total = bias
        for k in range(n_hidden):
            hidden = (weights[2 * k] * x[0] + weights[2 * k + 1] * x[1] + biases[k]).tanh()
            total = total + outputs[k] * hidden
        return total.sigmoid()

    return model


def grader_model(weights):
    def model(x):
        return weights[0] + weights[1] * x[0] + weights[2] * x[1] + weights[3] * (x[0] * x[1])

    return model


def mse(model, inputs, targets):
    total = 0.0
    for x, target in zip(inputs, targets):
        total = total + (model(x) - target) ** 2
    return total / len(inputs)


def quartic(model, inputs, targets, loss_weights):
    total = 0.0
    for x, target, weight in zip(inputs, targets, loss_weights):
        total = total + weight * (model(x) - target) ** 4
    return total


def descend(parameters, model, inputs) -> list[float]:
    """Gradient descent with the grader's loss: [parameters after..., losses...]."""
    losses = []
    for _ in range(inputs["steps"]):
        loss = quartic(model, inputs["inputs"], inputs["targets"], inputs["loss_weights"])
        for parameter in parameters:
            parameter.grad = 0.0
        loss.backward()
        for parameter in parameters:
            parameter.data -= inputs["learning_rate"] * parameter.grad
        losses.append(loss.data)
    return [*(parameter.data for parameter in parameters), *losses]


def reference(measure: str, inputs) -> list[float]:
    from autodiff_lab import Value

    if measure in ("outputs", "gradients", "train_network"):
        parameters = [Value(p) for p in inputs["parameters"]]
        model = network(parameters, inputs["n_hidden"])
        if measure == "outputs":
            return [model(x).data for x in inputs["inputs"]]
        if measure == "gradients":
            output = model(inputs["inputs"][0])
            output.backward()
            return [output.data, *(p.grad for p in parameters)]
        return descend(parameters, model, inputs)
    if measure == "seeds":
        return [1.0, 1.0, 1.0]
    weights = [Value(w) for w in inputs["model"]]
    model = grader_model(weights)
    if measure == "loss":
        loss = mse(model, inputs["inputs"], inputs["targets"])
        loss.backward()
        return [loss.data, *(w.grad for w in weights)]
    return descend(weights, model, inputs)


def mistakes(measure: str, inputs) -> list[tuple[str, list[float]]]:
    if measure != "loss":
        return []
    count = len(inputs["inputs"])
    return [
        (
            "that is the sum of squared errors: divide by the number of examples (the mean).",
            [count * value for value in reference("loss", inputs)],
        )
    ]


# -- cases ---------------------------------------------------------------------------------


def network_case(measure: str, parameters, n_hidden: int, points=XOR_INPUTS, **more):
    return measure, {"n_hidden": n_hidden, "parameters": list(parameters), "inputs": points, **more}


def training(steps: int, learning_rate: float, loss_weights, targets=XOR_TARGETS) -> dict:
    return {
        "targets": list(targets),
        "steps": steps,
        "learning_rate": learning_rate,
        "loss_weights": list(loss_weights),
    }


def train_case(model_weights, points, steps, learning_rate, loss_weights, targets):
    return "train", {
        "model": list(model_weights),
        "inputs": points,
        **training(steps, learning_rate, loss_weights, targets),
    }


def loss_case(model_weights, points, targets):
    return "loss", {"model": list(model_weights), "inputs": points, "targets": list(targets)}


def _numbers(rng, count: int, low: float = -1.0, high: float = 1.0) -> list[float]:
    return [round(rng.uniform(low, high), 4) for _ in range(count)]


def _points(rng, count: int) -> list[list[float]]:
    return [_numbers(rng, 2, -1.5, 1.5) for _ in range(count)]


def _falling(rng, make) -> tuple:
    """A training case whose reference loss falls at every step (drawn again until it does)."""
    for _ in range(100):
        case = make(rng)
        losses = reference(*case)[-case[1]["steps"] :]
        if all(b < a for a, b in zip(losses, losses[1:])):
            return case
    raise RuntimeError("no training case with a falling loss was found")


def sample(grade_id: str, rng) -> list:
    n = rng.randint(2, 5)
    if grade_id == "mlp_tests":
        points = _points(rng, 4)
        return [
            network_case("outputs", _numbers(rng, 4 * n + 1), n, points),
            network_case("gradients", _numbers(rng, 4 * n + 1), n, points[:1]),
            ("seeds", {"n_hidden": n, "seeds": rng.sample(range(1000), 2)}),
        ]
    if grade_id == "loss_tests":
        count = rng.randint(3, 6)
        return [
            loss_case(_numbers(rng, 4), _points(rng, count), _numbers(rng, count, 0.0, 1.0))
            for _ in range(2)
        ]
    if grade_id == "train_tests":

        def make(rng):
            count = rng.randint(3, 5)
            return train_case(
                _numbers(rng, 4, -0.5, 0.5),
                _points(rng, count),
                rng.randint(2, 4),
                round(rng.uniform(0.01, 0.05), 4),
                _numbers(rng, count, 0.5, 1.5),
                _numbers(rng, count, 0.0, 1.0),
            )

        return [_falling(rng, make)]

    def make_network(rng):
        return network_case(
            "train_network",
            _numbers(rng, 4 * n + 1),
            n,
            XOR_INPUTS,
            **training(
                rng.randint(5, 8), round(rng.uniform(0.5, 2.0), 3), _numbers(rng, 4, 0.5, 1.5)
            ),
        )

    return [
        _falling(rng, make_network),
        ("seeds", {"n_hidden": n, "seeds": rng.sample(range(1000), 2)}),
    ]
