"""The functional API: grad, value_and_grad, jvp, vjp, jacobian, hessian, hvp."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_lab import (
    Dual,
    Value,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)


def product_plus_square(x, y):
    return x * y + x * x


def softmax(x):
    exps = np.exp(x - max(x))  # shifting by the maximum changes no derivative
    return exps / np.sum(exps)


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def mixed(x):
    return x[0] ** x[1] + (x[1] * x[2]).sin() * x[0].exp() - x[2].tanh() / (x[0] + 2)


def mixed_gradient(x):
    a, b, c = x
    return np.array(
        [
            b * a ** (b - 1) + math.sin(b * c) * math.exp(a) + math.tanh(c) / (a + 2) ** 2,
            a**b * math.log(a) + c * math.cos(b * c) * math.exp(a),
            b * math.cos(b * c) * math.exp(a) - (1 - math.tanh(c) ** 2) / (a + 2),
        ]
    )


POINT = np.array([1.3, 0.7, -0.4])

# ---------------------------------------------------------------------------
# grad and value_and_grad


def test_grad_with_int_and_tuple_argnums():
    assert grad(product_plus_square)(2.0, 3.0) == 7.0
    assert grad(product_plus_square, 1)(2, 3) == 2.0
    assert grad(product_plus_square, (0, 1))(2.0, 3.0) == (7.0, 2.0)
    assert grad(product_plus_square, (1,))(2.0, 3.0) == (2.0,)
    assert value_and_grad(product_plus_square)(2.0, 3.0) == (10.0, 7.0)
    assert value_and_grad(product_plus_square, (0, 1))(2.0, 3.0) == (10.0, (7.0, 2.0))


def test_grad_returns_floats_for_numbers_and_arrays_for_arrays():
    assert type(grad(lambda x: x * x)(3)) is float
    # An array of numbers goes to the array engine, an array of objects to one Value per
    # number; both give a float array back.
    for point in (np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=object)):
        gradient = grad(lambda x: np.sum(x * x))(point)
        assert isinstance(gradient, np.ndarray) and gradient.dtype == float
        assert gradient.tolist() == [2.0, 4.0]
    # A list stays a list and a tuple a tuple, with a float per number.
    for point in ([1.0, 2.0], (1.0, 2.0)):
        gradient = grad(lambda x: x[0] * x[0] + x[1] * x[1])(point)
        assert type(gradient) is type(point) and gradient == type(point)([2.0, 4.0])
        assert all(type(g) is float for g in gradient)
    matrix = np.arange(6.0).reshape(2, 3)
    gradient = grad(lambda m: np.sum(m * m * m))(matrix)
    assert gradient.shape == (2, 3) and np.array_equal(gradient, 3 * matrix**2)


def test_value_and_grad_with_mixed_arguments():
    def weighted(x, w, scale):
        return scale * np.sum(x * w)

    value, (dx, dw) = value_and_grad(weighted, (0, 1))(
        np.array([1.0, 2.0], dtype=object), np.array([3.0, 4.0]), 2.0
    )
    assert value == 22.0 and dx.tolist() == [6.0, 8.0] and dw.tolist() == [2.0, 4.0]
    # An argument that is not differentiated is passed through untouched.
    assert grad(lambda x, label: x * len(label))(2.0, "abc") == 3.0


def test_grad_of_a_function_that_ignores_its_input_is_zero():
    with pytest.warns(UserWarning, match="output seems independent of input"):
        assert grad(lambda x: 5.0)(1.0) == 0.0
    assert grad(lambda x: x)(1.0) == 1.0
    assert grad(lambda x: np.sum(x[:1]))(np.array([3.0, 4.0])).tolist() == [1.0, 0.0]
    assert grad(lambda x: x[0])([3.0, 4.0]) == [1.0, 0.0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.5, 2.0), min_size=3, max_size=3))
def test_grad_matches_the_analytic_gradient(point):
    assert grad(mixed)(point) == pytest.approx(mixed_gradient(point), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: grad(lambda x: [x, x])(1.0),
            TypeError,
            r"grad needs f to return one number, got a list; use jacobian\(\)",
        ),
        (
            lambda: grad(lambda x: x * np.ones(3))(1.0),
            TypeError,
            r"got an array of shape \(3,\)",
        ),
        (
            lambda: grad(lambda x: None)(1.0),
            TypeError,
            r"grad needs f to return numbers, got NoneType",
        ),
        (lambda: grad(lambda x: "a")(1.0), TypeError, r"got str"),
        (lambda: grad(lambda x: x)(), TypeError, r"requires at least 1 positional arguments"),
        (
            lambda: grad(lambda x, y: x, 1)(1.0),
            TypeError,
            r"argnums=1 requires at least 2 positional arguments .* got only 1",
        ),
        (lambda: grad(lambda x: x)("a"), TypeError, r"argument 0 should be a number.*got str"),
    ],
)
def test_grad_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------------------
# jvp and vjp


def test_jvp_on_numbers_and_arrays():
    assert jvp(lambda x: x * x, 3.0, 1.0) == (9.0, 6.0)
    value, tangent = jvp(lambda x: [x[0] * x[1], x[0].sin()], [1.0, 2.0], [1.0, 0.5])
    assert value == [2.0, math.sin(1.0)]
    assert tangent == pytest.approx([2.0 * 1.0 + 1.0 * 0.5, math.cos(1.0)])
    value, tangent = jvp(mixed, POINT, [0.0, 1.0, 0.0])
    assert tangent == pytest.approx(mixed_gradient(POINT)[1], rel=1e-12)


def test_jvp_checks_the_direction_shape():
    with pytest.raises(ValueError, match=r"v has shape \(2,\) but x has shape \(3,\)"):
        jvp(mixed, POINT, [1.0, 0.0])


def test_vjp_gives_the_same_answer_every_call():
    value, vjp_fn = vjp(lambda x: x * x, np.array([1.0, 2.0, 3.0]))
    assert value.tolist() == [1.0, 4.0, 9.0]
    first = vjp_fn([1.0, 1.0, 1.0])
    assert first.tolist() == [2.0, 4.0, 6.0]
    assert vjp_fn([1.0, 1.0, 1.0]).tolist() == first.tolist()  # no accumulation between calls
    assert vjp_fn([1.0, 0.0, 2.0]).tolist() == [2.0, 0.0, 12.0]
    assert vjp_fn(1.0).tolist() == first.tolist()  # a scalar seed is broadcast


def test_vjp_of_a_scalar_function_and_of_repeated_outputs():
    value, vjp_fn = vjp(mixed, POINT)
    assert value == mixed([Value(number) for number in POINT]).data
    assert vjp_fn(2.0) == pytest.approx(2 * mixed_gradient(POINT), rel=1e-12)
    _, vjp_fn = vjp(lambda x: [x[0], x[0] * 2.0, 7.0], [1.0, 2.0])
    assert vjp_fn([3.0, 4.0, 5.0]) == [3.0 + 8.0, 0.0]


# ---------------------------------------------------------------------------
# jacobian


def softmax_jacobian(x):
    s = np.exp(x) / np.sum(np.exp(x))
    return np.diag(s) - np.outer(s, s)  # s_i (δ_ij - s_j)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=5), st.sampled_from([float, object]))
def test_jacobian_forward_equals_reverse_equals_the_formula(point, dtype):
    point = np.array(point, dtype=dtype)  # the array engine, or one Value per number
    forward = jacobian(softmax, point, mode="forward")
    reverse = jacobian(softmax, point, mode="reverse")
    assert forward.shape == reverse.shape == (len(point), len(point))
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(forward, softmax_jacobian(point.astype(float)), atol=1e-14)


def test_jacobian_shapes():
    assert jacobian(lambda x: x * 2, 3.0, "forward") == 2.0
    assert jacobian(lambda x: x * 2, 3.0, "reverse") == 2.0
    for mode in ("forward", "reverse"):
        for dtype in (float, object):
            point = np.array([1.0, 2.0], dtype=dtype)
            assert jacobian(lambda x: np.sum(x * x), point, mode).tolist() == [2.0, 4.0]
        assert jacobian(lambda x: [x * x, x], 2.0, mode) == [4.0, 1.0]
        assert jacobian(lambda x: x[0] * x[1], [2.0, 3.0], mode) == [3.0, 2.0]
        square = jacobian(lambda m: m * m, np.ones((2, 3)), mode)
        assert square.shape == (2, 3, 2, 3)
        assert np.array_equal(square.reshape(6, 6), 2 * np.eye(6))


def test_jacobian_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match=r'mode must be "forward" or "reverse", got \'sideways\''):
        jacobian(softmax, [1.0, 2.0], mode="sideways")


# ---------------------------------------------------------------------------
# hessian and hvp


def test_hessian_of_rosenbrock_matches_the_formula():
    x, y = 1.2, 0.8
    expected = np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]])
    np.testing.assert_allclose(hessian(rosenbrock, [x, y]), expected, rtol=1e-13)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(0.5, 2.0), min_size=3, max_size=3),
    st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3),
)
def test_hessian_is_symmetric_and_hvp_is_hessian_times_v(point, v):
    point = np.array(point)
    matrix = hessian(mixed, point)
    assert matrix.shape == (3, 3)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hvp(mixed, point, v), matrix @ np.array(v), rtol=1e-9, atol=1e-9)
    # Each column is the derivative of the gradient along one axis.
    step = 1e-6
    for j in range(3):
        up, down = np.array(point), np.array(point)
        up[j] += step
        down[j] -= step
        column = (mixed_gradient(up) - mixed_gradient(down)) / (2 * step)
        np.testing.assert_allclose(matrix[:, j], column, rtol=1e-5, atol=1e-5)


def test_hessian_of_a_scalar_function_is_a_number():
    assert hessian(lambda x: x**3, 2.0) == 12.0
    assert hvp(lambda x: x**3, 2.0, 2.0) == 24.0
    assert hessian(lambda x: x.sin(), 0.5) == pytest.approx(-math.sin(0.5), rel=1e-15)
    with pytest.warns(UserWarning, match="output seems independent of input"):
        assert hessian(lambda x: 3.0, 1.0) == 0.0
    assert hessian(lambda x: x[0] * 2.0, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]


def test_hvp_checks_the_direction_shape():
    with pytest.raises(ValueError, match=r"v has shape \(\) but x has shape \(3,\)"):
        hvp(mixed, POINT, 1.0)


def test_hvp_runs_reverse_mode_on_dual_numbers():
    seen = []

    def spy(x):
        seen.append(x)
        return np.sum(x * x * x)

    assert hvp(spy, np.array([1.0, 2.0], dtype=object), [1.0, 0.0]).tolist() == [6.0, 0.0]
    (inputs,) = seen
    assert all(isinstance(v, Value) and isinstance(v.data, Dual) for v in inputs)
