"""Numbers from numpy mix with Values and Duals as Python floats do (issue 8)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autodiff_lab import Dual, Value, derivative, grad, jacobian
from autodiff_lab import math as am

NUMBERS = [
    np.bool_(True),
    True,
    False,
    np.float32(1.5),
    np.float64(1.5),
    np.int64(3),
    np.int8(-2),
    np.array(2.5),
    np.array(4, dtype=np.int32),
    np.array(True),
]
OPERATORS = [
    lambda a, b: a + b,
    lambda a, b: a - b,
    lambda a, b: a * b,
    lambda a, b: a / b,
    lambda a, b: a**b,
]


@pytest.mark.parametrize("number", NUMBERS, ids=[repr(n) for n in NUMBERS])
@pytest.mark.parametrize("operator", OPERATORS, ids=["add", "sub", "mul", "div", "pow"])
def test_numpy_numbers_combine_with_values_and_duals_like_floats(number, operator):
    as_float = float(number)
    for left, right in ((Value(2.0), number), (number, Value(2.0))):
        result = operator(left, right)
        with np.errstate(all="ignore"):  # IEEE answers: 2 / False is inf
            expected = operator(
                np.float64(2.0 if left is not number else as_float),
                np.float64(as_float if right is number else 2.0),
            )
        assert type(result) is Value
        assert result.data == pytest.approx(expected, nan_ok=True)
    for left, right in ((Dual(2.0, 1.0), number), (number, Dual(2.0, 1.0))):
        result = operator(left, right)
        assert type(result) is Dual and type(result.primal) is float


def test_numpy_numbers_are_numbers_to_values_duals_and_primitives():
    assert Value(np.float32(0.5)).data == 0.5 and type(Value(np.float32(0.5)).data) is float
    assert Value(True).data == 1.0
    assert Dual(np.int64(2), np.bool_(True)).tangent == 1.0
    assert am.exp(np.bool_(False)) == 1.0
    assert am.log(np.array(1.0)) == 0.0
    assert grad(lambda x: x * np.float32(3.0))(2.0) == 3.0
    assert derivative(lambda x: x * np.int64(4), 2.0) == 4.0


def test_logistic_regression_with_boolean_targets():
    # Seed 003 (HIPS autograd's tutorial): the targets are a bool array.
    inputs = np.array(
        [[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]]
    )
    targets = np.array([True, True, False, True])

    def training_loss(weights):
        predictions = 0.5 * (np.tanh(np.dot(inputs, weights) / 2) + 1)
        probabilities = predictions * targets + (1 - predictions) * (1 - targets)
        return -np.sum(np.log(probabilities))

    weights = np.array([0.1, -0.3, 0.2])
    ours = grad(training_loss)(weights)
    z = inputs @ weights
    p = 1 / (1 + np.exp(-z))
    expected = inputs.T @ (p - targets)  # the gradient of the log loss
    assert ours == pytest.approx(expected, rel=1e-12)


def test_numpy_ufuncs_on_object_arrays_of_values_keep_working():
    def f(v):
        return np.sum(np.tanh(v) * np.exp(v)) + np.dot(v, v) + np.sum(np.log(v))

    point = np.array([0.5, 1.5])
    expected = (1 - np.tanh(point) ** 2) * np.exp(point) + np.tanh(point) * np.exp(point)
    expected += 2 * point + 1 / point
    assert grad(f)(point) == pytest.approx(expected, rel=1e-13)
    # the new primitives are methods, so numpy's ufuncs find them too
    g = grad(lambda v: np.sum(np.arcsin(v) + np.log1p(v) + np.arctan2(v, 2.0)))(point / 2)
    x = point / 2
    assert g == pytest.approx(1 / np.sqrt(1 - x * x) + 1 / (1 + x) + 2 / (x * x + 4), rel=1e-13)
    j = jacobian(lambda v: np.sinh(v) * np.cosh(v), point, mode="forward")
    assert np.diag(j) == pytest.approx(np.cosh(2 * point), rel=1e-13)
    assert math.isclose(j[0, 1], 0.0)
