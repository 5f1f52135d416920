"""Step through a training run: weights, gradients, loss curve and decision boundary.

``TrainingStepper(model, inputs, targets)`` trains the model (see
`training_steps.record_training`) and shows one snapshot at a time with the
steppers' controls: bar charts of every parameter and of its gradient, the
loss curve up to the current iteration and the decision boundary at it. Each
picture is drawn once, as a PNG, and kept; the next one is drawn while this one
is read. The caption changes together with its picture (the image's alt text
names the same iteration), and the image shrinks to the notebook's width.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from ..training_steps import GRID_RESOLUTION, TrainingRun, record_training, squared_error
from .steppers import _StepperView


def _bar_panel(axes, names, heights, every_height, colour: str, title: str, log=False) -> None:
    """One bar per parameter, on a scale that fits the whole run (so growth is real).

    With ``log`` the scale is symmetric-logarithmic, linear within 1e-3 of 0, so
    gradients that shrink a hundredfold stay visible.
    """
    positions = np.arange(len(names))
    axes.bar(positions, heights, color=colour)
    axes.axhline(0.0, color="black", linewidth=0.6)
    axes.set_xticks(positions, names, rotation=90, fontsize=8)
    reach = float(np.abs(every_height).max()) * 1.1 or 1.0
    if log:
        axes.set_yscale("symlog", linthresh=1e-3)
    axes.set_ylim(-reach, reach)
    axes.set_title(title)


def training_figure(run: TrainingRun, index: int) -> Figure:
    """The picture of snapshot ``index``: parameters, gradients, loss and boundary."""
    snapshot = run.snapshots[index]
    figure = Figure(figsize=(13.0, 3.3), dpi=80, layout="constrained")
    values, gradients, curve, plane = figure.subplots(1, 4)
    every_value = np.array([s.parameters for s in run.snapshots])
    every_gradient = np.array([s.gradients for s in run.snapshots])
    _bar_panel(values, run.names, snapshot.parameters, every_value, "#4c72b0", "parameters")
    _bar_panel(
        gradients,
        run.names,
        snapshot.gradients,
        every_gradient,
        "#dd8452",
        "their gradients (log scale)",
        log=True,
    )

    iterations = np.arange(len(run.losses))
    shown = iterations <= snapshot.iteration
    curve.plot(iterations, run.losses, color="#cccccc")
    curve.plot(iterations[shown], np.asarray(run.losses)[shown], color="#4c72b0")
    curve.plot([snapshot.iteration], [snapshot.loss], "o", color="#d62728")
    curve.set_xlabel("iteration")
    curve.set_title(f"loss {snapshot.loss:.4f} at iteration {snapshot.iteration}")

    plane.contourf(
        run.grid_x, run.grid_y, snapshot.grid_scores, levels=20, cmap="RdBu_r", alpha=0.6
    )
    plane.contour(run.grid_x, run.grid_y, snapshot.grid_scores, levels=[0.5], colors="black")
    colours = np.where(run.targets > 0.5, "#d62728", "#1f77b4")
    plane.scatter(run.inputs[:, 0], run.inputs[:, 1], c=colours, edgecolors="black", s=60)
    plane.set_xlabel("x0")
    plane.set_ylabel("x1")
    plane.set_title("output; black line: 0.5")
    return figure


def _png_html(figure: Figure, alt: str) -> str:
    """The figure as an <img> that fits the output's width (and is safe untrusted)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img alt="{alt}" style="max-width:100%; height:auto" src="data:image/png;base64,{data}"/>'
    )


class TrainingStepper(_StepperView):
    """Train ``model`` and step through the run, every ``every`` iterations.

    ``model`` is anything with ``model(x) -> Value`` and ``model.parameters()``;
    ``inputs`` are points in the plane and ``targets`` their labels (0 or 1).
    """

    title = "Training"
    picture_class = "autodiff-training"

    def __init__(
        self,
        model,
        inputs,
        targets,
        steps: int = 200,
        every: int = 10,
        learning_rate: float = 0.5,
        loss: Callable = squared_error,
        resolution: int = GRID_RESOLUTION,
    ) -> None:
        self.run = record_training(
            model, inputs, targets, steps, every, learning_rate, loss, resolution
        )
        super().__init__(list(self.run.snapshots))

    def _draw(self, index: int) -> tuple[str, tuple[str, ...]]:
        iteration = self.run.snapshots[index].iteration
        alt = f"training snapshot at iteration {iteration}"
        return _png_html(training_figure(self.run, index), alt), ()

    def _subject(self) -> str:
        last = self.run.snapshots[-1]
        return f"{last.iteration} iterations"
