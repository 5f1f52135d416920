"""The training run behind TrainingStepper: recorded without a kernel, checked by hand.

A one-parameter model has a loss whose gradient is known in closed form, so
every snapshot's numbers can be recomputed here; the widget then only shows
what the run recorded.
"""

from __future__ import annotations

import numpy as np
import pytest

from autodiff_lab import Value
from autodiff_lab.nn import MLP
from autodiff_lab.training_steps import record_training


class Scale:
    """output = w · x0, one parameter; loss = mean (w·x0 − y)²."""

    def __init__(self, w: float) -> None:
        self.w = Value(w, label="w")

    def __call__(self, x):
        return self.w * x[0]

    def parameters(self):
        return [self.w]


POINTS = [[1.0, 0.0], [2.0, 1.0]]
TARGETS = [1.0, 0.0]


def loss_and_gradient(w: float) -> tuple[float, float]:
    xs, ys = np.array([1.0, 2.0]), np.array(TARGETS)
    residual = w * xs - ys
    return float(np.mean(residual**2)), float(np.mean(2 * residual * xs))


def test_snapshots_hold_the_loss_and_gradient_before_each_update():
    run = record_training(Scale(0.5), POINTS, TARGETS, steps=6, every=2, learning_rate=0.1)
    assert [s.iteration for s in run.snapshots] == [0, 2, 4, 6]
    assert run.names == ("w",) and len(run.losses) == 7
    w = 0.5
    for iteration in range(7):
        loss, gradient = loss_and_gradient(w)
        assert run.losses[iteration] == pytest.approx(loss, rel=1e-12)
        if iteration % 2 == 0:
            snapshot = run.snapshots[iteration // 2]
            assert snapshot.parameters == pytest.approx((w,), rel=1e-12)
            assert snapshot.gradients == pytest.approx((gradient,), rel=1e-12)
            assert snapshot.loss == pytest.approx(loss, rel=1e-12)
        w -= 0.1 * gradient


def test_the_last_iteration_is_always_a_snapshot_and_grids_are_the_models_outputs():
    model = Scale(0.3)
    run = record_training(model, POINTS, TARGETS, steps=5, every=3, learning_rate=0.05)
    assert [s.iteration for s in run.snapshots] == [0, 3, 5]
    last = run.snapshots[-1]
    assert last.grid_scores.shape == run.grid_x.shape
    np.testing.assert_allclose(last.grid_scores, model.w.data * run.grid_x, rtol=1e-12)
    assert last.caption.startswith("iteration 5: loss ")


def test_unlabelled_parameters_are_numbered():
    model = MLP(2, [2, 1], seed=0)
    for p in model.parameters():
        p.label = None
    run = record_training(model, [[0, 0], [1, 1]], [0, 1], steps=1, every=1)
    assert run.names == tuple(f"θ{k}" for k in range(1, 10))


def test_training_lowers_the_xor_loss():
    model = MLP(2, [4, 1], seed=0)
    xor = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    run = record_training(model, xor, [0, 1, 1, 0], steps=100, every=25, learning_rate=0.2)
    assert run.losses[-1] < 0.1 * run.losses[0]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((object(), POINTS, TARGETS), "parameters\\(\\) method"),
        ((Scale(1.0), [1.0, 2.0], TARGETS), "points in the plane"),
        ((Scale(1.0), POINTS, [1.0]), "one target per input"),
    ],
)
def test_bad_input_gets_a_clear_error(arguments, message):
    with pytest.raises((TypeError, ValueError), match=message):
        record_training(*arguments)


def test_bad_counts_get_a_clear_error():
    with pytest.raises(ValueError, match="every must be a whole number"):
        record_training(Scale(1.0), POINTS, TARGETS, every=0)
    with pytest.raises(ValueError, match="learning_rate must be positive"):
        record_training(Scale(1.0), POINTS, TARGETS, learning_rate=0.0)


def test_the_widget_steps_through_the_snapshots():
    from autodiff_lab.widgets import TrainingStepper

    stepper = TrainingStepper(Scale(0.5), POINTS, TARGETS, steps=4, every=2, learning_rate=0.1)
    assert len(stepper.state) == 3
    first = stepper.picture_html.value
    assert first.startswith(
        '<img alt="training snapshot at iteration 0" style="max-width:100%; height:auto" '
        'src="data:image/png;base64,'
    )  # shrinks to the output's width: the fourth panel was once cut off
    stepper.next_button.click()
    assert stepper.state.index == 1 and stepper.caption.startswith("iteration 2: ")
    assert stepper.picture_html.value != first
    stepper.go(99)
    assert (
        stepper.state.at_end and repr(stepper) == "<TrainingStepper of 4 iterations: step 2 of 2>"
    )


def test_caption_and_picture_always_name_the_same_iteration():
    """The caption once ran seconds ahead of its picture; now they change together."""
    import re

    from autodiff_lab.widgets import TrainingStepper

    stepper = TrainingStepper(Scale(0.5), POINTS, TARGETS, steps=6, every=2, learning_rate=0.1)
    for index in [1, 3, 2, 0, 3, 3, 1]:
        stepper.play.value = index  # as Play does, through the linked slider
        caption = re.search(r"iteration (\d+):", stepper.picture_html.caption).group(1)
        picture = re.search(
            r'alt="training snapshot at iteration (\d+)"', stepper.picture_html.value
        )
        assert picture.group(1) == caption == str(stepper.run.snapshots[index].iteration)


def test_the_saved_form_shows_caption_and_picture_without_a_kernel():
    from autodiff_lab.widgets import TrainingStepper

    stepper = TrainingStepper(Scale(0.5), POINTS, TARGETS, steps=4, every=2, learning_rate=0.1)
    bundle = stepper._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    still = bundle["text/html"]
    assert "iteration 0: loss" in still and 'alt="training snapshot at iteration 0"' in still
    assert "<svg" not in still and "<script" not in still
