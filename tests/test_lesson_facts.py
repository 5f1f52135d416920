"""Facts the lessons state, pinned against formulas so a wrong claim cannot return.

Lesson 09: softmax's Jacobian has rows summing to 0 (shift invariance) and
columns summing to 0 (outputs sum to 1), and functions with only one of the two
properties have only one of the sums; cross-entropy's gradient at saturation is
s - e_k, not small, while squared error on the probabilities is small there.
Lesson 12: Newton's method on Rosenbrock goes uphill at steps 2 and 4.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab import hessian, jacobian, value_and_grad
from autodiff_lab import math as admath


def softmax(x):
    exps = [admath.exp(xi) for xi in x]
    total = sum(exps)
    return [e / total for e in exps]


def share(x):
    total = sum(x)
    return [xi / total for xi in x]


def squared_deviation(x):
    mean = sum(x) / len(x)
    return [(xi - mean) ** 2 for xi in x]


def cross_entropy(scores, k):
    return -admath.log(softmax(scores)[k])


def squared_error(scores, k):
    return sum((p - float(i == k)) ** 2 for i, p in enumerate(softmax(scores))) / 2


scores = st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=6).map(np.array)


@given(scores, st.sampled_from(["forward", "reverse"]))
def test_softmax_jacobian_rows_and_columns_sum_to_zero(x, mode):
    J = jacobian(softmax, x, mode=mode)
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), atol=1e-12)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-12)  # s(x + t·1) = s(x)
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-12)  # Σ s_i = 1


def test_only_the_columns_sum_to_zero_when_outputs_sum_to_one_but_shifts_matter():
    J = jacobian(share, np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=1), [1 / 12, 0.0, -1 / 12], atol=1e-15)


def test_only_the_rows_sum_to_zero_when_shifts_do_not_matter_but_the_sum_is_free():
    x = np.array([1.0, 2.0, 3.0])
    J = jacobian(squared_deviation, x)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=0), 2 * (x - x.mean()), atol=1e-15)


@pytest.mark.parametrize("big", [8.0, 12.0, 20.0])
def test_cross_entropy_gradient_at_saturation_is_s_minus_e_k_and_not_small(big):
    x = np.array([0.0, 0.0, big])  # confidently class 2; the right class is 0
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    gradient = jacobian(lambda z: cross_entropy(z, 0), x, mode="reverse")
    np.testing.assert_allclose(gradient, s - np.eye(3)[0], atol=1e-12)
    assert np.linalg.norm(gradient) > 1.41


@pytest.mark.parametrize("big", [8.0, 12.0, 20.0])
def test_squared_error_on_probabilities_is_what_stalls_at_saturation(big):
    x = np.array([0.0, 0.0, big])
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    J = np.diag(s) - np.outer(s, s)
    gradient = jacobian(lambda z: squared_error(z, 0), x, mode="reverse")
    np.testing.assert_allclose(gradient, J.T @ (s - np.eye(3)[0]), atol=1e-15)
    assert np.linalg.norm(gradient) < 5 * np.exp(-big)  # shrinks like e^-big


def test_newton_on_rosenbrock_goes_uphill_at_steps_2_and_4_and_still_arrives():
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    step = value_and_grad(rosenbrock)
    points = [np.array([-1.2, 1.0])]
    for _ in range(5):
        _, g = step(points[-1])
        points.append(points[-1] - np.linalg.solve(hessian(rosenbrock, points[-1]), g))
    values = [rosenbrock(p) for p in points]
    uphill = [k for k in range(1, 6) if values[k] > values[k - 1]]
    assert uphill == [2, 4]
    np.testing.assert_allclose(points[-1], [1.0, 1.0], atol=1e-4)
