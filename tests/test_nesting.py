"""Derivatives of derivatives: every operator nested in every other, to any depth.

The rule (see `autodiff_lab.reverse`): each derivative pass works at its own
level, and a node of an outer level is a constant to an inner pass. These tests
are the counter-examples to every way that rule could break: perturbation
confusion in reverse mode (issue 8), mixed forward/reverse pairings, gradients
of gradients, and the one thing the engine refuses to do.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from installs import need

from autodiff_lab import (
    Value,
    derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from autodiff_lab import math as am


def _item(result):
    """A 0-d array from jacobian as its one entry (a float, or a Value or Dual of an outer pass)."""
    return result.item() if isinstance(result, np.ndarray) else result


# Every first-order operator as D(f)(x) for a scalar function of a scalar.
OPERATORS = {
    "grad": lambda f, x: grad(f)(x),
    "value_and_grad": lambda f, x: value_and_grad(f)(x)[1],
    "derivative": lambda f, x: derivative(f, x),
    "jvp": lambda f, x: jvp(f, x, 1.0)[1],
    "vjp": lambda f, x: vjp(f, x)[1](1.0),
    "jacobian-forward": lambda f, x: _item(jacobian(f, x, mode="forward")),
    "jacobian-reverse": lambda f, x: _item(jacobian(f, x, mode="reverse")),
}
REVERSE = ("grad", "value_and_grad", "vjp", "jacobian-reverse")
FORWARD = ("derivative", "jvp", "jacobian-forward")
PAIRS = [(outer, inner) for outer in OPERATORS for inner in OPERATORS]


def D(name):
    operator = OPERATORS[name]
    return lambda f: lambda x: operator(f, x)


# ---------------------------------------------------------------------------
# The counter-examples


def test_inner_grad_does_not_leak_into_the_outer_one():
    # d/dx [x · d/dy (x·y)] = d/dx [x·x] = 2x = 2 at x = 1 (was 3: the inner
    # backward added into the outer leaf)
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(1.0) == 2.0
    # d/dx [x · d/dy (x + y)] = d/dx [x] = 1 (was 2)
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(1.0) == 1.0


@pytest.mark.parametrize("outer, inner", PAIRS, ids=[f"{o}-over-{i}" for o, i in PAIRS])
def test_every_pairing_avoids_perturbation_confusion(outer, inner):
    D_outer, D_inner = OPERATORS[outer], OPERATORS[inner]
    product = D_outer(lambda x: x * D_inner(lambda y: x * y, 2.0), 1.0)
    total = D_outer(lambda x: x * D_inner(lambda y: x + y, 1.0), 1.0)
    assert product == 2.0 and type(product) is float
    assert total == 1.0 and type(total) is float


@pytest.mark.parametrize("outer, inner", PAIRS, ids=[f"{o}-over-{i}" for o, i in PAIRS])
def test_every_pairing_gives_the_second_derivative(outer, inner):
    # f = sin(x)·x³: f'' = -sin(x)x³ + 6cos(x)x² + 6sin(x)x
    x = 0.7
    expected = -math.sin(x) * x**3 + 6 * math.cos(x) * x**2 + 6 * math.sin(x) * x
    second = D(outer)(D(inner)(lambda t: t.sin() * t**3))(x)
    assert second == pytest.approx(expected, rel=1e-13)


def test_grad_of_grad_of_grad_of_tanh_is_the_third_derivative():
    for x in (-1.3, 0.0, 0.3, 2.0):
        t = math.tanh(x)
        expected = -2 * (1 - t * t) * (1 - 3 * t * t)
        assert grad(grad(grad(am.tanh)))(x) == pytest.approx(expected, rel=1e-13, abs=1e-15)


@given(
    chain=st.lists(st.sampled_from(sorted(OPERATORS)), min_size=3, max_size=4),
    x=st.floats(-2.0, 2.0),
)
def test_any_chain_of_operators_gives_the_nth_derivative_of_exp_of_a_line(chain, x):
    # d^n/dx^n exp(0.5x) = 0.5^n exp(0.5x), whatever operator takes each step
    f = lambda t: (0.5 * t).exp()  # noqa: E731
    for name in chain:
        f = D(name)(f)
    assert f(x) == pytest.approx(0.5 ** len(chain) * math.exp(0.5 * x), rel=1e-12)


def test_fourth_derivative_by_nested_grads():
    assert grad(grad(grad(grad(lambda x: x**5))))(2.0) == pytest.approx(120 * 2.0)


def test_inner_pass_leaves_outer_leaves_alone():
    seen = []

    def f(x):
        inner = grad(lambda y: x * y * y)(3.0)  # 6x
        seen.append(x.grad)  # the outer leaf, after the inner backward
        return inner

    assert grad(f)(1.0) == 6.0
    assert seen == [0.0]


def test_hessian_nests_inside_grad():
    # d/dx [x · ∂²(x·y³)/∂y² at y = 2] = d/dx [12x²] = 24x
    assert grad(lambda x: x * hessian(lambda y: x * y**3, 2.0))(1.5) == pytest.approx(36.0)


def test_hvp_and_jacobian_nest_with_arrays():
    def f(v):
        return v[0] ** 2 * v[1] + v[1] ** 3

    # ∂/∂x of the Hessian-vector product along e0, ∑ over outputs
    for point in (np.array([1.0, 2.0], dtype=object), np.array([1.0, 2.0])):
        outer = grad(lambda v: np.sum(hvp(f, v, np.array([1.0, 0.0]))))(point)
        # H·e0 = (2v1, 2v0): its sum's gradient is (2, 2)
        assert outer.tolist() == [2.0, 2.0]
        j = jacobian(lambda v: jacobian(f, v, mode="reverse"), point, mode="forward")
        assert j.tolist() == [[4.0, 2.0], [2.0, 12.0]]
    # A list stays a list, at every level.
    j = jacobian(lambda v: jacobian(f, v, mode="reverse"), [1.0, 2.0], mode="forward")
    assert j == [[4.0, 2.0], [2.0, 12.0]]


def test_gradient_of_a_closure_over_your_own_value_is_a_value():
    w = Value(3.0, label="w")
    g = grad(lambda x: w * x * x)(2.0)  # 2wx = 4w
    assert isinstance(g, Value) and g.data == 12.0
    assert w.grad == 0.0  # the pass did not add into w
    g.backward()
    assert w.grad == 4.0


# ---------------------------------------------------------------------------
# backward(create_graph=True) and the Hessian's three modes


def test_create_graph_makes_the_gradient_a_value_you_can_differentiate():
    x = Value(1.5, label="x")
    y = x**3 * x.sin()
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    assert first.data == pytest.approx(3 * 1.5**2 * math.sin(1.5) + 1.5**3 * math.cos(1.5))
    x.grad = 0.0
    first.backward()
    expected = 6 * 1.5 * math.sin(1.5) + 6 * 1.5**2 * math.cos(1.5) - 1.5**3 * math.sin(1.5)
    assert x.grad == pytest.approx(expected, rel=1e-13)


def test_create_graph_gradient_of_a_constant_slope_is_still_a_value():
    x = Value(2.0)
    (x + 1.0).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 1.0


def test_create_graph_gives_the_same_numbers_as_a_plain_pass():
    def f(a, b):
        return (a * b + a.exp()).tanh() / (b**2 + 1.0) + abs(a - b) + (a**b).log()

    plain_a, plain_b = Value(0.8), Value(1.7)
    f(plain_a, plain_b).backward()
    graph_a, graph_b = Value(0.8), Value(1.7)
    f(graph_a, graph_b).backward(create_graph=True)
    assert graph_a.grad.data == pytest.approx(plain_a.grad, rel=1e-14)
    assert graph_b.grad.data == pytest.approx(plain_b.grad, rel=1e-14)


def test_create_graph_matches_torch_double_backward():
    torch = need("torch")
    a, b = Value(0.8), Value(1.7)
    out = (a * b).sin() * b.exp() + a**3
    out.backward(create_graph=True)
    ga = a.grad
    a.grad = b.grad = 0.0
    ga.backward()

    ta = torch.tensor(0.8, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(1.7, dtype=torch.float64, requires_grad=True)
    tout = (ta * tb).sin() * tb.exp() + ta**3
    (tga,) = torch.autograd.grad(tout, ta, create_graph=True)
    tgaa, tgab = torch.autograd.grad(tga, (ta, tb))
    assert ga.data == pytest.approx(tga.item(), rel=1e-14)
    assert a.grad == pytest.approx(tgaa.item(), rel=1e-13)
    assert b.grad == pytest.approx(tgab.item(), rel=1e-13)


MODES = ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward")


@pytest.mark.parametrize("mode", MODES)
def test_hessian_modes_agree_with_the_analytic_hessian(mode):
    def f(v):
        return v[0] ** 2 * v[1].sin() + v[1] * v[2].exp()

    x0, x1, x2 = 1.2, 0.4, -0.3
    expected = [
        [2 * math.sin(x1), 2 * x0 * math.cos(x1), 0.0],
        [2 * x0 * math.cos(x1), -(x0**2) * math.sin(x1), math.exp(x2)],
        [0.0, math.exp(x2), x1 * math.exp(x2)],
    ]
    assert hessian(f, [x0, x1, x2], mode=mode) == pytest.approx(np.array(expected), rel=1e-13)
    assert hessian(lambda t: t**4, 2.0, mode=mode) == 48.0


def test_hessian_modes_match_torch():
    torch = need("torch")

    def f(v):
        return (v[0] * v[1]).tanh() + v[0] ** 3 / (v[1] ** 2 + 1.0)

    point = [0.3, -0.9]
    theirs = torch.autograd.functional.hessian(f, torch.tensor(point, dtype=torch.float64))
    for mode in MODES:
        assert hessian(f, point, mode=mode) == pytest.approx(theirs.numpy(), rel=1e-13)


def test_an_unknown_hessian_mode_is_named():
    with pytest.raises(ValueError, match="mode must be one of forward-over-reverse.*'sideways'"):
        hessian(lambda x: x * x, 1.0, mode="sideways")


# ---------------------------------------------------------------------------
# What the engine cannot do, it refuses (never a wrong number)


def test_a_node_escaped_from_a_finished_inner_pass_is_refused():
    def f(x):
        kept = []
        grad(lambda y: kept.append(y) or x * y)(1.0)
        return kept[0] * x  # a leaf of the inner pass, which has ended

    with pytest.raises(ValueError, match="derivative pass that started inside f and has finished"):
        grad(f)(2.0)
    with pytest.raises(ValueError, match="started inside this derivative and has finished"):
        derivative(f, 2.0)


# ---------------------------------------------------------------------------
# An output that does not depend on the input


def test_a_constant_output_has_derivative_zero_with_a_warning():
    with pytest.warns(UserWarning, match="output seems independent of input"):
        assert grad(lambda x: 5.0)(1.0) == 0.0
    with pytest.warns(UserWarning, match="independent"):
        assert grad(lambda x, y: x < y)(1.0, 2.0) == 0.0
    with pytest.warns(UserWarning, match="independent"):
        value, g = value_and_grad(lambda x: np.float32(2.0))([1.0, 2.0])
    assert value == 2.0 and g == [0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert derivative(lambda x: x > 0, 1.0) == 0.0  # forward mode: no pass to warn about


def test_an_inner_output_of_only_outer_variables_is_a_constant_inside():
    # d/dy x = 0 inside; the outer function is then x·0
    with pytest.warns(UserWarning, match="independent"):
        assert grad(lambda x: x * grad(lambda y: x)(1.0))(2.0) == 0.0


def test_a_backward_inside_f_on_the_running_pass_is_refused():
    def f(x):
        y = Value(2.0)
        z = x * y  # a node of the outer pass: y is a constant to it
        z.backward()  # would add into x.grad before grad() does
        return z

    with pytest.raises(RuntimeError, match="still running the function it differentiates"):
        grad(f)(3.0)

    # your own graph inside f is yours to differentiate
    def g(x):
        w = Value(2.0)
        (w * w).backward()
        return x * w.grad

    assert grad(g)(3.0) == 4.0


def test_a_vjp_function_made_outside_takes_seeds_from_an_outer_pass():
    _, pullback = vjp(lambda v: v * v * 3.0, np.array([1.0, 2.0]))  # J = diag(6v)
    # d/du of uᵀJ·(1, 1) is J·(1, 1)... and the seeds may be Values of a later pass
    assert grad(lambda u: np.sum(pullback(u)))(np.array([0.5, -1.0])).tolist() == [6.0, 12.0]


def test_a_tangent_from_an_outer_pass():
    # jvp along v, differentiated in v: the Jacobian's row sums
    def along(v):
        return jvp(lambda x: x[0] * x[1] ** 2, np.array([2.0, 3.0]), v)[1]

    assert grad(along)(np.array([1.0, 1.0])).tolist() == [9.0, 12.0]


def test_finished_passes_leave_nothing_behind():
    from autodiff_lab import reverse

    for _ in range(20):
        grad(lambda x: grad(lambda y: x * y * y)(1.0))(2.0)
        hessian(lambda v: v[0] * v[1] ** 2, [1.0, 2.0], mode="reverse-over-reverse")
    test_a_node_escaped_from_a_finished_inner_pass_is_refused()  # uses a finished level
    assert reverse._LEVEL_ORIGINS == {} and reverse._RUNNING == set()


def test_python_calls_a_node_of_a_derivative_pass_a_value_as_the_learner_knows_it():
    with pytest.raises(TypeError, match="^'Value' object is not subscriptable$"):
        grad(lambda a: a[0])(1.5)
    with pytest.raises(TypeError, match="got Value$"):
        grad(lambda a: a * a, has_aux=True)(2.0)
