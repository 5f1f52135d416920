"""A training run as a list of snapshots, to step through without a kernel.

`record_training(model, inputs, targets)` runs plain gradient descent on any
model with ``model(x) -> Value`` and ``model.parameters() -> [Value, ...]``
(the learner's own classes will do) and keeps, every ``every`` iterations, a
`TrainingSnapshot`: the loss, every parameter and its gradient (from that
iteration's ``backward()``, before the update) and the model's output over a
grid of the plane, for the decision boundary. Nothing here imports ipywidgets
or matplotlib; `autodiff_lab.widgets.training` draws the snapshots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .reverse import Value, no_grad

GRID_RESOLUTION = 21


@dataclass(frozen=True)
class TrainingSnapshot:
    """The state of a training run at one iteration, before its update."""

    iteration: int
    loss: float
    parameters: tuple[float, ...]
    gradients: tuple[float, ...]
    grid_scores: np.ndarray  # the model's output at each point of the grid
    caption: str


@dataclass(frozen=True)
class TrainingRun:
    """Every snapshot of one run, the loss at every iteration and the grid they share."""

    snapshots: tuple[TrainingSnapshot, ...]
    losses: tuple[float, ...]  # every iteration's loss, not only the snapshots'
    names: tuple[str, ...]  # one per parameter: its label, or θ1, θ2, …
    grid_x: np.ndarray
    grid_y: np.ndarray
    inputs: np.ndarray
    targets: np.ndarray


def squared_error(predictions: Sequence[Value], targets: Sequence[float]) -> Value:
    """The mean squared error, written with operators only."""
    return sum((p - t) ** 2 for p, t in zip(predictions, targets)) / len(predictions)


def _number(output) -> float:
    data = output.data if isinstance(output, Value) else output
    return float(data)


def _check(model, inputs, targets, steps: int, every: int, learning_rate: float):
    if not callable(model) or not callable(getattr(model, "parameters", None)):
        raise TypeError(
            "record_training needs a model that can be called on an input and has a "
            f"parameters() method returning its Values; got {type(model).__name__}"
        )
    parameters = list(model.parameters())
    if not parameters or not all(isinstance(p, Value) for p in parameters):
        raise TypeError("model.parameters() must return a non-empty list of Values")
    points = np.asarray(inputs, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"inputs must be points in the plane, shape (n, 2), got shape {points.shape}"
        )
    labels = np.asarray(targets, dtype=float)
    if labels.shape != (len(points),):
        raise ValueError(f"need one target per input: {len(points)} inputs, {labels.size} targets")
    for name, number in (("steps", steps), ("every", every)):
        if not isinstance(number, int) or number < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {number!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    return parameters, points, labels


def _grid(points: np.ndarray, resolution: int, margin: float = 0.5):
    low, high = points.min(axis=0) - margin, points.max(axis=0) + margin
    return np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )


def record_training(
    model,
    inputs,
    targets,
    steps: int = 200,
    every: int = 10,
    learning_rate: float = 0.5,
    loss: Callable = squared_error,
    resolution: int = GRID_RESOLUTION,
) -> TrainingRun:
    """Train ``model`` by gradient descent for ``steps`` iterations, keeping snapshots.

    Each iteration computes ``loss([model(x) for x in inputs], targets)``, zeroes
    the gradients, calls ``backward()`` and moves every parameter by
    ``-learning_rate * grad``. Snapshots are kept at iteration 0, every
    ``every`` iterations and at the last one. The model is left trained.
    """
    parameters, points, labels = _check(model, inputs, targets, steps, every, learning_rate)
    names = tuple(p.label or f"θ{k}" for k, p in enumerate(parameters, start=1))
    grid_x, grid_y = _grid(points, resolution)
    grid_points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    targets_list = [float(t) for t in labels]
    snapshots, losses = [], []
    for iteration in range(steps + 1):
        value = loss([model(list(point)) for point in points], targets_list)
        for p in parameters:
            p.grad = 0.0
        value.backward()
        losses.append(float(value.data))
        if iteration % every == 0 or iteration == steps:
            gradients = tuple(float(p.grad) for p in parameters)
            with no_grad():
                scores = np.array([_number(model(list(point))) for point in grid_points])
            largest = int(np.argmax(np.abs(gradients)))
            caption = (
                f"iteration {iteration}: loss {value.data:.4f}; largest gradient "
                f"∂L/∂{names[largest]} = {gradients[largest]:.4f}"
            )
            snapshots.append(
                TrainingSnapshot(
                    iteration,
                    float(value.data),
                    tuple(float(p.data) for p in parameters),
                    gradients,
                    scores.reshape(grid_x.shape),
                    caption,
                )
            )
        if iteration == steps:
            break
        for p in parameters:
            p.data = p.data - learning_rate * p.grad
    return TrainingRun(tuple(snapshots), tuple(losses), names, grid_x, grid_y, points, labels)
