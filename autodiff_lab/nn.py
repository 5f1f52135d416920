"""Neural networks built from `Value`: neurons, layers, an MLP, SGD and losses.

The shapes follow micrograd's ``nn.py``, so a learner can put the two side by
side: a neuron computes ``b + w0·x0 + w1·x1 + …`` one node at a time and then
applies its activation. Weights are drawn from ``random.Random(seed)`` (uniform
in [-1, 1], biases start at 0), so the same seed always gives the same network.

>>> model = MLP(2, [4, 1], seed=0)
>>> model
MLP(2 → 4 tanh → 1 linear; 17 parameters)
>>> optimiser = SGD(model.parameters(), lr=0.1)
>>> loss = mse_loss([model([0.0, 1.0])], [1.0])
>>> optimiser.zero_grad()
>>> loss.backward()
>>> optimiser.step()
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from numbers import Real

from .math import log as _log  # the rule table's log: floats, Values and Duals alike
from .reverse import Value

ACTIVATIONS: dict[str | None, Callable | None] = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    None: None,
}
"""The activations a `Neuron` accepts, by name; None means linear (no activation)."""


def _check_activation(activation, who: str) -> None:
    if activation not in ACTIVATIONS:
        names = ", ".join(repr(name) for name in ACTIVATIONS)
        raise ValueError(f"{who}: unknown activation {activation!r}; choose one of {names}")


def _check_size(size, what: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"{what} must be a positive whole number, got {size!r}")


def _activation_name(activation: str | None) -> str:
    return "linear" if activation is None else activation


class Module:
    """Anything with trainable parameters (`Value` leaves)."""

    def parameters(self) -> list[Value]:
        """Every trainable `Value`, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0, ready for the next backward pass."""
        for parameter in self.parameters():
            parameter.grad = 0.0


class Neuron(Module):
    """``activation(b + w0·x0 + w1·x1 + …)``: weights uniform in [-1, 1], bias 0.

    ``rng`` is a ``random.Random`` to draw the weights from (a fresh
    ``random.Random(0)`` if omitted). ``name`` prefixes the parameter labels
    that graph drawings show (``w0``, ``w1``, …, ``b``).
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "tanh",
        rng: random.Random | None = None,
        name: str | None = None,
    ) -> None:
        _check_size(nin, "Neuron: the number of inputs")
        _check_activation(activation, "Neuron")
        rng = rng if rng is not None else random.Random(0)
        prefix = f"{name}." if name else ""
        self.w = [Value(rng.uniform(-1.0, 1.0), label=f"{prefix}w{i}") for i in range(nin)]
        self.b = Value(0.0, label=f"{prefix}b")
        self.activation = activation
        self._activate = ACTIVATIONS[activation]

    @property
    def nin(self) -> int:
        """The number of inputs."""
        return len(self.w)

    def __call__(self, inputs) -> Value:
        """The neuron's output for one input vector (numbers or Values)."""
        nin = len(self.w)
        if type(inputs) is not list:
            inputs = _as_input_list(inputs, nin, "Neuron")
        if len(inputs) != nin:
            raise ValueError(
                f"Neuron with {nin} inputs was given {len(inputs)}: {_preview(inputs)}"
            )
        # Start from the bias and add one product at a time, as micrograd does,
        # so the graph has the same nodes in the same order.
        total = self.b
        for weight, x in zip(self.w, inputs):
            total = total + weight * x
        return total if self._activate is None else self._activate(total)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({self.nin} inputs, {_activation_name(self.activation)})"


class Layer(Module):
    """``nout`` neurons that all see the same inputs; calling it gives a list of outputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "tanh",
        rng: random.Random | None = None,
        name: str | None = None,
    ) -> None:
        _check_size(nin, "Layer: the number of inputs")
        _check_size(nout, "Layer: the number of neurons")
        _check_activation(activation, "Layer")
        # One generator shared by every neuron, so each gets different weights.
        rng = rng if rng is not None else random.Random(0)
        prefix = f"{name}." if name else ""
        self.neurons = [Neuron(nin, activation, rng=rng, name=f"{prefix}n{j}") for j in range(nout)]
        self.activation = activation

    @property
    def nin(self) -> int:
        """The number of inputs of each neuron."""
        return self.neurons[0].nin

    @property
    def nout(self) -> int:
        """The number of outputs: one per neuron."""
        return len(self.neurons)

    def __call__(self, inputs) -> list[Value]:
        if type(inputs) is not list:
            inputs = _as_input_list(inputs, self.nin, "Layer")
        return [neuron(inputs) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        return [parameter for neuron in self.neurons for parameter in neuron.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} → {self.nout}, {_activation_name(self.activation)})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` has two hidden layers of 16.

    Hidden layers use ``activation``; the last layer uses ``output_activation``,
    linear (None) by default as in micrograd; pass ``"sigmoid"`` for
    probabilities. Weights come from ``random.Random(seed)``. Calling the model
    on one input vector returns a single `Value` when the last layer has one
    neuron, else a list of Values.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "tanh",
        output_activation: str | None = None,
        seed: int = 0,
    ) -> None:
        _check_size(nin, "MLP: the number of inputs")
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"MLP needs a list of layer sizes such as [16, 16, 1], got {nouts!r}")
        _check_activation(activation, "MLP (activation)")
        _check_activation(output_activation, "MLP (output_activation)")
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                output_activation if i == last else activation,
                rng=rng,
                name=f"L{i}",
            )
            for i in range(len(nouts))
        ]
        self.seed = seed

    def __call__(self, inputs):
        outputs = inputs
        if type(outputs) is not list:
            outputs = _as_input_list(inputs, self.layers[0].nin, "MLP")
        for layer in self.layers:
            outputs = layer(outputs)
        return outputs[0] if len(outputs) == 1 else outputs

    def parameters(self) -> list[Value]:
        return [parameter for layer in self.layers for parameter in layer.parameters()]

    def __repr__(self) -> str:
        steps = " → ".join(
            f"{layer.nout} {_activation_name(layer.activation)}" for layer in self.layers
        )
        count = len(self.parameters())
        return f"MLP({self.layers[0].nin} → {steps}; {count} parameters)"


def _as_input_list(inputs, nin: int, who: str) -> list:
    """One input vector as a list; a bare number is fine when there is one input."""
    if isinstance(inputs, (Real, Value)) and nin == 1:
        return [inputs]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"{who} with {nin} inputs needs a list of {nin} numbers or Values, "
            f"got {type(inputs).__name__} ({inputs!r:.40})"
        )
    return list(inputs)


def _preview(items: list) -> str:
    shown = ", ".join(f"{item:.4g}" if isinstance(item, float) else repr(item) for item in items)
    return f"[{shown}]" if len(shown) <= 60 else f"[{shown[:57]}...]"


# ---------------------------------------------------------------------------
# Optimiser


class SGD:
    """Plain gradient descent: ``p.data -= lr * p.grad`` for every parameter.

    ``lr`` is an ordinary attribute, so a schedule can change it between steps.
    """

    def __init__(self, parameters: Iterable[Value], lr: float = 0.1) -> None:
        # A weight that two layers share is one parameter: it takes one step, not two.
        self.parameters = list({id(parameter): parameter for parameter in parameters}.values())
        if not self.parameters:
            raise ValueError("SGD was given no parameters; pass model.parameters()")
        for parameter in self.parameters:
            if not isinstance(parameter, Value):
                raise TypeError(
                    f"SGD updates Values, got {type(parameter).__name__} ({parameter!r:.40}); "
                    "pass model.parameters()"
                )
        if not isinstance(lr, Real) or not lr > 0:
            raise ValueError(f"SGD: the learning rate lr must be a positive number, got {lr!r}")
        self.lr = float(lr)

    def step(self) -> None:
        """Move every parameter a step of size ``lr`` against its gradient."""
        lr = self.lr
        for parameter in self.parameters:
            # Setting .data marks the old graph as stale: recompute the loss next.
            parameter.data -= lr * parameter.grad

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (gradients add up until you do)."""
        for parameter in self.parameters:
            parameter.grad = 0.0

    def __repr__(self) -> str:
        return f"SGD({len(self.parameters)} parameters, lr={self.lr:g})"


# ---------------------------------------------------------------------------
# Losses and metrics. Each accepts Values or plain numbers (or one of each
# instead of lists); with only numbers the answer is a float.


def _paired(predictions, targets, who: str) -> tuple[list, list]:
    predictions = _as_sequence(predictions)
    targets = _as_sequence(targets)
    if len(predictions) != len(targets):
        raise ValueError(
            f"{who}: {len(predictions)} predictions but {len(targets)} targets; "
            "give one target per prediction"
        )
    if not predictions:
        raise ValueError(f"{who}: no predictions given")
    return predictions, targets


def _as_sequence(items) -> list:
    if isinstance(items, (Real, Value)):
        return [items]
    return list(items)


def _mean(terms: list):
    # Summing from the first term (not from 0) adds no constant node to the graph.
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total / len(terms) if len(terms) > 1 else total


def mse_loss(predictions, targets):
    """Mean squared error: the average of ``(prediction - target)²``."""
    predictions, targets = _paired(predictions, targets, "mse_loss")
    return _mean([(p - t) ** 2 for p, t in zip(predictions, targets)])


def binary_cross_entropy(probabilities, targets):
    """``-mean(t·log p + (1 - t)·log(1 - p))`` for probabilities p in (0, 1), targets 0 or 1."""
    probabilities, targets = _paired(probabilities, targets, "binary_cross_entropy")
    terms = []
    for p, t in zip(probabilities, targets):
        # Only the log that the target selects is recorded, so a confident right
        # answer never asks for log(0).
        if t == 1:
            terms.append(-_log(p))
        elif t == 0:
            terms.append(-_log(1 - p))
        else:
            terms.append(-(t * _log(p) + (1 - t) * _log(1 - p)))
    return _mean(terms)


def hinge_loss(scores, labels):
    """The "max-margin" loss of micrograd's demo: ``mean(relu(1 - label·score))``, labels ±1."""
    scores, labels = _paired(scores, labels, "hinge_loss")
    terms = []
    for score, label in zip(scores, labels):
        margin = 1 - label * score
        terms.append(margin.relu() if isinstance(margin, Value) else max(margin, 0.0))
    return _mean(terms)


def binary_accuracy(predictions, targets, threshold: float = 0.5) -> float:
    """The fraction of predictions on the same side of ``threshold`` as their targets.

    Use ``threshold=0.5`` for 0/1 targets and ``threshold=0`` for ±1 labels.
    """
    predictions, targets = _paired(predictions, targets, "binary_accuracy")
    correct = sum(
        (_number(p) > threshold) == (_number(t) > threshold) for p, t in zip(predictions, targets)
    )
    return correct / len(predictions)


def _number(x) -> float:
    return x.data if isinstance(x, Value) else x
