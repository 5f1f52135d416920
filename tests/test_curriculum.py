"""Every worked number in CURRICULUM.md, reproduced by the engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autodiff_lab import (
    Dual,
    Value,
    derivative,
    grad,
    hvp,
    jacobian,
    numerical_derivative,
)
from autodiff_lab import math as adl_math
from autodiff_lab.forward import new_tag, tangent_of
from autodiff_lab.reverse import walk
from autodiff_lab.rules import DIV

# ---------------------------------------------------------------------------
# The table at the end of the curriculum


def test_product_at_a_zero():
    a, b = Value(1.0), Value(0.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (0.0, 1.0)


def test_a_times_b_plus_c():
    a, b, c = Value(2.2), Value(-1.8), Value(0.1)
    d = a * (b + c)
    d.backward()
    assert d.data == pytest.approx(-3.74, abs=1e-12)
    assert a.grad == pytest.approx(-1.7, abs=1e-12)
    assert (b.grad, c.grad) == (2.2, 2.2)


def test_sum_times_product():
    x1, x2 = Value(2.0), Value(3.0)
    f = (x1 + x2) * (x1 * x2)
    f.backward()
    assert (f.data, x1.grad, x2.grad) == (30.0, 21.0, 16.0)
    # Forward mode, one input direction per pass, gives the same two numbers.
    assert derivative(lambda t: (t + 3.0) * (t * 3.0), 2.0) == 21.0
    assert derivative(lambda t: (2.0 + t) * (2.0 * t), 3.0) == 16.0


def test_x_times_y_plus_x_squared():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x**2
    z.backward()
    assert (z.data, x.grad, y.grad) == (10.0, 7.0, 2.0)


def test_a_neuron_below_its_threshold_passes_no_gradient():
    x1, x2 = Value(1.0), Value(2.0)
    w1, w2, b = Value(0.5), Value(-0.5), Value(0.1)
    out = (w1 * x1 + w2 * x2 + b).relu()
    out.backward()
    assert out.data == 0.0
    assert (w1.grad, w2.grad, b.grad, x1.grad, x2.grad) == (0.0, 0.0, 0.0, 0.0, 0.0)


def test_squared_product_plus_a():
    a, b = Value(2.0), Value(3.0)
    e = ((a * b) + a) ** 2
    e.backward()
    assert (e.data, a.grad, b.grad) == (64.0, 64.0, 32.0)


def test_backward_twice_without_zeroing_accumulates():
    x = Value(2.0)
    y = x**2
    y.backward()
    assert x.grad == 4.0
    y.backward()
    assert x.grad == 8.0


def test_detached_square_times_x():
    x = Value(2.0)
    z = (x**2).detach() * x
    z.backward()
    assert x.grad == 4.0


def test_square_plus_one_at_a_dual_point():
    result = Dual(3.0, 1.0) ** 2 + 1
    assert (result.primal, result.tangent) == (10.0, 6.0)
    assert str(result) == "10.0 + 6.0ε"


def test_sin_of_square_three_ways():
    expected = 3 * math.cos(2.25)
    assert expected == pytest.approx(-1.8845, abs=5e-5)
    # Symbolic: the formula 2x·cos(x²).
    assert 2 * 1.5 * math.cos(1.5**2) == expected
    # Numerical: close, but not exact.
    numeric = numerical_derivative(lambda x: math.sin(x * x), 1.5)
    assert numeric == pytest.approx(expected, rel=1e-9) and numeric != expected
    # Automatic: exact to rounding, in both modes.
    assert grad(lambda x: (x * x).sin())(1.5) == pytest.approx(expected, rel=1e-15)
    assert derivative(lambda x: adl_math.sin(x * x), 1.5) == pytest.approx(expected, rel=1e-15)


# ---------------------------------------------------------------------------
# Worked examples in the concept list


def test_slope_of_x_squared_at_two_by_the_limit_and_by_the_engine():
    quotients = [((2 + h) ** 2 - 2**2) / h for h in (1e-1, 1e-2, 1e-3, 1e-4)]
    # (f(2 + h) - f(2)) / h = 4 + h: the error shrinks with h.
    assert quotients == pytest.approx([4.1, 4.01, 4.001, 4.0001], rel=1e-9)
    assert grad(lambda x: x**2)(2.0) == 4.0
    assert derivative(lambda x: x**2, 2.0) == 4.0


@pytest.mark.parametrize("n, m", [(1, 1), (2, 3), (3, 2)])
def test_chain_rule_on_a_nested_composite(n, m):
    def f(x):
        return adl_math.sin((2 * x**2 + x + 1) ** m) ** n

    x = 0.3
    inner = 2 * x**2 + x + 1
    by_hand = (
        n * math.sin(inner**m) ** (n - 1) * math.cos(inner**m) * m * inner ** (m - 1) * (4 * x + 1)
    )
    assert grad(f)(x) == pytest.approx(by_hand, rel=1e-13)
    assert derivative(f, x) == pytest.approx(by_hand, rel=1e-13)


def test_softmax_jacobian_in_both_modes():
    def softmax(x):
        exps = np.exp(x)
        return exps / np.sum(exps)

    x = np.array([1.0, 2.0, 0.5])
    s = np.exp(x) / np.sum(np.exp(x))
    expected = np.array([[s[i] * ((i == j) - s[j]) for j in range(3)] for i in range(3)])
    forward = jacobian(softmax, x, mode="forward")  # column by column
    reverse = jacobian(softmax, x, mode="reverse")  # row by row
    np.testing.assert_allclose(forward, expected, atol=1e-15)
    np.testing.assert_allclose(reverse, expected, atol=1e-15)
    np.testing.assert_allclose(forward.sum(axis=0), 0.0, atol=1e-15)  # softmax sums to 1


def taylor_sine(x, tolerance=1e-15):
    """sin x by its Taylor series, adding terms until the next one is small."""
    term, total, k = x, x, 1
    while abs(term) > tolerance:
        term = -term * x * x / ((k + 1) * (k + 2))
        total = total + term
        k += 2
    return total


@pytest.mark.parametrize("x", [0.0, 0.5, 1.5, -2.5, 3.0])
def test_a_taylor_series_loop_differentiates_to_cosine(x):
    assert taylor_sine(x) == pytest.approx(math.sin(x), abs=1e-14)
    assert grad(taylor_sine)(x) == pytest.approx(math.cos(x), abs=1e-13)
    assert derivative(taylor_sine, x) == pytest.approx(math.cos(x), abs=1e-13)


def test_the_loop_runs_a_different_number_of_times_for_different_inputs():
    # Only the executed operations are recorded: one division per term added.
    def divisions(x):
        return sum(1 for node in walk(taylor_sine(Value(x))) if node.op is DIV)

    assert 0 < divisions(0.1) < divisions(3.0)


def test_hessian_vector_product_by_forward_over_reverse():
    def f(x):
        return x[0] ** 2 * x[1] + x[1] ** 3

    # H = [[2y, 2x], [2x, 6y]] at (1, 2) = [[4, 2], [2, 12]]
    assert hvp(f, [1.0, 2.0], [1.0, 0.0]) == [4.0, 2.0]
    assert hvp(f, [1.0, 2.0], [0.0, 1.0]) == [2.0, 12.0]


# ---------------------------------------------------------------------------
# Nested derivatives need tags


def test_nested_derivative_with_tags_is_one():
    # d/dx [x · d/dy (x + y)] at x = 1: the inner derivative is 1, so this is 1.
    assert derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1.0


def test_hand_made_untagged_duals_confuse_their_perturbations():
    x = Dual(1.0, 1.0)  # the outer perturbation
    y = Dual(1.0, 1.0)  # the inner one, with the same (default) tag
    inner = (x + y).tangent  # picks up x's ε too: 2, not 1
    assert inner == 2.0
    assert (x * inner).tangent == 2.0  # the wrong answer

    outer_tag = new_tag()
    inner_tag = new_tag()  # newer, so the outer layer while it is live
    x = Dual(1.0, 1.0, tag=outer_tag)
    y = Dual(1.0, 1.0, tag=inner_tag)
    inner = tangent_of(x + y, inner_tag)
    assert inner == 1.0
    assert tangent_of(x * inner, outer_tag) == 1.0  # the right answer
