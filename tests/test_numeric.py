"""Finite differences and check_grad."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab import Value, check_grad, numerical_derivative
from autodiff_lab import math as adl_math
from autodiff_lab.numeric import GradCheck, default_step

EPS = sys.float_info.epsilon


def sin_of_square(x):
    return math.sin(x * x)


SLOPE_AT_1_5 = 3 * math.cos(2.25)


def error(method: str, h: float | None = None) -> float:
    return abs(numerical_derivative(sin_of_square, 1.5, h=h, method=method) - SLOPE_AT_1_5)


@pytest.mark.parametrize(
    "method, tolerance", [("central", 1e-9), ("forward", 1e-6), ("backward", 1e-6)]
)
def test_every_method_approximates_the_derivative(method, tolerance):
    assert error(method) < tolerance


def test_default_step_balances_truncation_and_round_off():
    assert default_step(0.5) == EPS ** (1 / 3)
    assert default_step(-4.0) == 4 * EPS ** (1 / 3)
    assert default_step(10.0, "forward") == 10 * EPS**0.5
    assert default_step(0.0, "backward") == EPS**0.5
    for method in ("central", "forward"):
        assert error(method) < error(method, 1e-2)  # a big step: truncation error
        assert error(method) < error(method, 1e-13)  # a tiny step: round-off error


def test_truncation_error_shrinks_as_h_squared_for_central_and_h_for_one_sided():
    for h in (1e-2, 1e-3):
        assert error("central", h) / error("central", h / 10) == pytest.approx(100, rel=0.02)
        assert error("forward", h) / error("forward", h / 10) == pytest.approx(10, rel=0.1)
        assert error("backward", h) / error("backward", h / 10) == pytest.approx(10, rel=0.1)
    # Past the best step, round-off takes over and the error grows again.
    assert error("central", 1e-13) > 1e3 * error("central", 1e-5)


def test_gradient_of_an_array_function():
    point = np.array([[0.5, -1.0], [2.0, 0.25]])
    gradient = numerical_derivative(lambda m: np.sum(np.sin(m)), point)
    assert gradient.shape == (2, 2)
    np.testing.assert_allclose(gradient, np.cos(point), rtol=1e-9)
    assert numerical_derivative(lambda v: v[0] * v[1], [2.0, 3.0]).tolist() == pytest.approx([3, 2])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"method": "sideways"},
            r"method must be one of central, forward, backward; got 'sideways'",
        ),
        ({"h": 0.0}, r"the step h must be a positive number, got 0\.0"),
        ({"h": -1e-3}, r"the step h must be a positive number, got -0\.001"),
        ({"h": math.nan}, r"the step h must be a positive number, got nan"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        numerical_derivative(math.sin, 1.0, **kwargs)


# ---------------------------------------------------------------------------
# check_grad


@given(st.floats(-2, 2), st.lists(st.floats(-2, 2), min_size=2, max_size=2))
def test_check_grad_passes_correct_gradients(scale, vector):
    def f(s, v):
        return s * np.sum(np.tanh(v)) + adl_math.sin(s * v[0])  # floats and Values alike

    result = check_grad(f, scale, vector)
    assert result.passed and bool(result)
    assert result.max_abs_error < 1e-7
    assert len(result.analytic) == len(result.numeric) == 2
    assert result.analytic[1].shape == (2,)


def test_check_grad_catches_a_value_path_that_differs_from_the_float_path():
    def inconsistent(x):
        # A branch on the type: Values (the gradient) see 3x, floats (the numbers) see 2x.
        return x * 3 if isinstance(x, Value) else x * 2

    result = check_grad(inconsistent, 1.0)
    assert not result.passed and not result
    assert result.analytic == (3.0,)
    assert result.numeric[0] == pytest.approx(2.0)
    assert result.max_abs_error == pytest.approx(1.0)
    assert result.max_rel_error == pytest.approx(0.5)  # 1 / max(1, |2|)
    assert repr(result) == (
        "GradCheck(FAILED: largest error 1 absolute, 0.5 relative; tolerance 1e-06)"
    )


@pytest.mark.parametrize("order", ["the undefined one first", "the undefined one last"])
def test_check_grad_fails_when_any_gradient_cannot_be_confirmed(order):
    """sqrt at 0: reverse mode says inf, central differences nan. Python's max() kept the
    other argument's tiny error when the nan came second, so the check passed."""

    def f(x, y):
        return x + adl_math.sqrt(y)

    if order == "the undefined one first":
        result = check_grad(lambda y, x: f(x, y), 0.0, 1.0)
    else:
        result = check_grad(f, 1.0, 0.0)
    assert not result.passed and math.isnan(result.max_rel_error)
    assert "FAILED" in repr(result)


def test_check_grad_tolerance_and_repr():
    result = check_grad(lambda x: x * x, 3.0, tolerance=1e-3)
    assert isinstance(result, GradCheck) and result.tolerance == 1e-3
    assert repr(result).startswith("GradCheck(passed: largest error ")


def test_check_grad_needs_a_point():
    with pytest.raises(TypeError, match="needs at least one point"):
        check_grad(lambda x: x)
