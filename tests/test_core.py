"""One core, two kinds of node: each promise of issue 14, with the case that broke it.

Scalar nodes (`Value`, `Dual`) and array nodes (`ArrayNode`, `ArrayDual`) share
the levels, the dispatch rule, one topological order, one backward pass and the
derivative operators; these tests combine them, nest them and feed them every
input seed 003 promises (containers, complex numbers, primitives of your own).
"""

from __future__ import annotations

import collections
import math
import warnings

import numpy as onp
import pytest

import autodiff_lab.numpy as np
from autodiff_lab import (
    Dual,
    Value,
    core,
    defjvp,
    defvjp,
    derivative,
    elementwise_grad,
    grad,
    hessian,
    jacobian,
    jvp,
    primitive,
    value_and_grad,
    vjp,
)
from autodiff_lab.arrays import ArrayNode

HESSIAN_MODES = ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward")


def central_difference(f, x: float, step: float = 1e-6) -> float:
    return (f(x + step) - f(x - step)) / (2 * step)


# ---------------------------------------------------------------------------
# Silently wrong before: each now gives the right number


def test_a_vjp_differentiated_in_its_cotangent_is_the_jacobian_transposed():
    # autograd's test_binary_ops second-order check: uᵀJ is linear in u.
    y = onp.array([1.0, 2.0, 3.0, 4.0])
    _, pull = vjp(lambda x: x * y, 2.0)  # a scalar point, four outputs
    for mode in ("reverse", "forward"):
        assert jacobian(pull, onp.ones(4), mode=mode).tolist() == y.tolist()  # was 10·I₄
    # At an array point, a VJP differentiated in a scalar cotangent (was a float() error).
    x = onp.array([1.0, -2.0, 0.5])
    _, pull = vjp(lambda v: np.sum(v * v), x)
    assert grad(lambda u: np.sum(pull(u)))(1.0) == pytest.approx(2 * x.sum())
    assert derivative(lambda u: np.sum(pull(u)), 1.0) == pytest.approx(2 * x.sum())


@pytest.mark.parametrize("point", [0.0, 2.0])
def test_bool_of_a_traced_number_follows_the_number(point):
    def f(x):
        return x**2 if x else x

    expected = 1.0 if point == 0.0 else 2 * point
    assert grad(f)(point) == expected  # was 0 at 0: bool(Value) was always True
    assert derivative(f, point) == expected
    assert grad(f)(onp.array(point)) == expected  # a 0-d array is a number
    assert bool(Value(0.0)) is False and bool(Dual(0.0, 1.0)) is False
    assert bool(Value(-1.0)) is True


def test_complex_arrays_keep_their_imaginary_part():
    z = onp.array([1.0 + 2.0j, -0.5j, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's ComplexWarning was the only sign before
        gradient = grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    # autograd's convention for a real f of complex z: ∂f/∂x − i·∂f/∂y = 2·conj(z)
    onp.testing.assert_allclose(gradient, 2 * onp.conj(z), rtol=1e-15)
    # A holomorphic f gives the complex derivative f'(z).
    assert grad(lambda z: np.sin(z) * z)(1.0 + 2.0j) == pytest.approx(
        onp.cos(1 + 2j) * (1 + 2j) + onp.sin(1 + 2j), rel=1e-14
    )
    # jvp of a non-holomorphic function: d|z| = Re(conj(z)·dz)/|z|.
    _, tangent = jvp(np.abs, 3.0 + 4.0j, 1.0j)
    assert tangent == pytest.approx(4.0 / 5.0, rel=1e-15)


def test_a_real_input_gets_a_real_gradient_inside_complex_arithmetic():
    w = onp.array([1.0, 2.0])
    gradient = grad(lambda w: np.sum(np.abs(w * (1.0 + 1.0j)) ** 2))(w)
    assert gradient.dtype == onp.float64 and gradient.tolist() == [4.0, 8.0]
    assert grad(lambda x: np.real(x * (2.0 + 3.0j)))(1.5) == 2.0  # a Value times a complex


def test_the_scalar_engine_refuses_complex_numbers_instead_of_dropping_a_part():
    with pytest.raises(TypeError, match="real number"):
        Value(1.0j)
    with pytest.raises(TypeError, match="real number"):
        Dual(1.0j, 1.0)
    with pytest.raises(TypeError, match="complex tangent needs a complex point"):
        jvp(lambda x: x * x, 1.0, 1.0j)


def test_elementwise_grad_refuses_a_jacobian_that_is_not_diagonal():
    x = onp.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="not diagonal"):
        elementwise_grad(np.cumsum)(x)  # autograd gives column sums [3, 2, 1] (its #281)
    with pytest.raises(ValueError, match="not diagonal"):
        elementwise_grad(lambda v: v * np.sum(v))(x)
    with pytest.raises(ValueError, match="not diagonal"):
        elementwise_grad(lambda v: v * v[::-1])(onp.array([1.0, 2.0], dtype=object))
    onp.testing.assert_allclose(elementwise_grad(np.tanh)(x), 1 - onp.tanh(x) ** 2, rtol=1e-15)
    assert elementwise_grad(lambda v: v * v + 1.0)(x).tolist() == [2.0, 4.0, 6.0]
    scalars = onp.array([1.0, 2.0], dtype=object)
    assert elementwise_grad(lambda v: v * v)(scalars).tolist() == [2.0, 4.0]


def test_a_list_point_stays_a_list_with_arrays_of_their_own_shapes():
    x = onp.array([1.0, 2.0, 3.0])
    gradient = grad(lambda pair: np.sum(pair[0] * pair[1]))([x, 2 * x])
    assert type(gradient) is list and len(gradient) == 2  # was one 2×3 array
    assert gradient[0].tolist() == (2 * x).tolist() and gradient[1].tolist() == x.tolist()


# ---------------------------------------------------------------------------
# Kinds that combine by level


def test_an_outer_array_derivative_around_an_inner_scalar_one():
    x = onp.array([1.0, 2.0])
    # d/dv [Σv · d/dt (t·Σv²)] = d/dv [Σv · Σv²] = Σv² + Σv · 2v
    for inner in (derivative, lambda f, t: grad(f)(t)):

        def outer(v, inner=inner):
            return np.sum(v) * inner(lambda t: t * np.sum(v * v), 1.0)

        gradient = grad(outer)(x)
        assert gradient.tolist() == (onp.sum(x**2) + onp.sum(x) * 2 * x).tolist()


def test_an_outer_scalar_derivative_around_an_inner_array_one():
    x = onp.array([1.0, 2.0])
    for outer in (derivative, lambda f, t: grad(f)(t)):
        # d/dw Σ_i ∂/∂v_i Σ v²·w = d/dw 2w·Σ x = 2·Σ x
        assert outer(lambda w: np.sum(grad(lambda v: np.sum(v * v * w))(x)), 3.0) == 6.0


def charged_particle_miss(w):
    """DiffSharp's charged particle (Siskind and Pearlmutter's nested-AD example): a
    particle starts at (0, 8) moving right, pulled by two charges, one of which the
    control w moves; the miss is the square of where it crosses y = 0. Each Euler step
    takes the gradient of the potential, an array derivative inside the outer one."""
    charges = [np.stack([10.0, 10.0 - w]), onp.array([10.0, 0.0])]

    def potential(position):
        return sum(1.0 / np.sqrt(np.sum((position - c) ** 2)) for c in charges)

    position, velocity, dt = onp.array([0.0, 8.0]), onp.array([0.75, 0.0]), 0.1
    for _ in range(400):
        acceleration = -grad(potential)(position)
        step = position + dt * velocity
        if step[1] <= 0:
            t_hit = -position[1] / velocity[1]
            return (position + t_hit * velocity)[0] ** 2
        position, velocity = step, velocity + dt * acceleration
    raise AssertionError("the particle never reached y = 0")


@pytest.mark.parametrize("outer", ["reverse", "forward"])
def test_diffsharps_charged_particle_nests_a_gradient_inside_a_derivative(outer):
    w = 0.3
    d = (
        grad(charged_particle_miss)(w)
        if outer == "reverse"
        else derivative(charged_particle_miss, w)
    )
    assert d == pytest.approx(central_difference(charged_particle_miss, w), rel=1e-6)


def test_one_backward_pass_walks_scalar_and_array_nodes_together():
    seen = []
    w = Value(2.0, label="w")
    x = onp.array([1.0, 3.0])

    def f(v):
        return np.sum(v * (w * w))  # a Value node (w·w) meets the array node v

    gradient = grad(f)(x)
    assert isinstance(gradient, ArrayNode) and gradient.level == 0  # it depends on w
    assert onp.asarray(gradient.value).tolist() == [4.0, 4.0]
    # The same graph at level 0: one backward pass walks the array nodes and the Values.
    v = ArrayNode(x, 0)
    y = f(v)
    core.backward([y], [onp.array(1.0)], on_node=lambda node, g, shares: seen.append(node))
    assert {type(node).__name__ for node in seen} == {"ArrayNode", "Value"}
    assert w.grad == pytest.approx(2 * 2.0 * onp.sum(x))  # d(w²·Σx)/dw = 2w·Σx
    assert v.grad.tolist() == [4.0, 4.0]  # w²


# ---------------------------------------------------------------------------
# Everything seed 003 promises


Point = collections.namedtuple("Point", ["x", "y"])


def test_containers_of_every_kind_as_points_and_outputs():
    # A list of arrays of different shapes, a tuple of tuples, a dict, a named tuple.
    a, b = onp.array([1.0, 2.0]), onp.ones((2, 3))
    gradient = grad(lambda p: np.sum(p[0]) * np.sum(p[1]))([a, b])
    assert [g.shape for g in gradient] == [(2,), (2, 3)]
    assert gradient[0].tolist() == [6.0, 6.0]
    nested = grad(lambda t: t[0][0] * t[1][0] + t[0][1])(((2.0, 3.0), (5.0,)))
    assert nested == ((5.0, 1.0), (2.0,))
    assert grad(lambda d: d["a"] * d["b"] ** 2)({"a": 3.0, "b": 2.0}) == {"a": 4.0, "b": 12.0}
    point_gradient = grad(lambda p: p.x * p.y)(Point(2.0, 5.0))
    assert isinstance(point_gradient, Point) and point_gradient == Point(5.0, 2.0)
    # Outputs keep their structure too: jacobian nests output outside, input inside.
    J = jacobian(lambda p: {"sum": p[0] + p[1], "product": p[0] * p[1]}, (2.0, 3.0))
    assert J == {"sum": (1.0, 1.0), "product": (3.0, 2.0)}
    value, tangent = jvp(
        lambda p: [p["u"] * 2.0, p["u"] * p["v"]], {"u": 1.0, "v": 4.0}, {"u": 1.0, "v": 0.0}
    )
    assert value == [2.0, 4.0] and tangent == [2.0, 4.0]
    _, pull = vjp(lambda p: (p[0] * p[1], p[1]), [2.0, 3.0])
    assert pull((1.0, 10.0)) == [3.0, 12.0]


def test_a_cotangent_or_tangent_of_the_wrong_structure_is_refused():
    _, pull = vjp(lambda p: (p[0], p[1]), [2.0, 3.0])
    with pytest.raises(ValueError, match="should be a tuple of 2"):
        pull([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="should be a dict with keys"):
        jvp(lambda d: d["a"], {"a": 1.0}, {"b": 1.0})
    with pytest.raises(ValueError, match="the cotangent has shape"):
        vjp(lambda v: v * 2.0, onp.ones(3))[1](onp.ones(4))


@primitive
def logsumexp(x):
    top = onp.max(x)
    return top + onp.log(onp.sum(onp.exp(x - top)))


defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))
defjvp(logsumexp, lambda g, ans, x: np.sum(g * np.exp(x - ans)))


def test_your_own_primitive_differentiates_to_any_order_in_every_mode():
    x = onp.array([1.0, 2.0, 3.0])
    s = onp.exp(x) / onp.exp(x).sum()
    onp.testing.assert_allclose(grad(logsumexp)(x), s, rtol=1e-15)
    assert jvp(logsumexp, x, onp.array([1.0, 0.0, 0.0]))[1] == pytest.approx(s[0], rel=1e-15)
    for mode in HESSIAN_MODES:  # the rules are written with engine operations
        onp.testing.assert_allclose(
            hessian(logsumexp, x, mode=mode), onp.diag(s) - onp.outer(s, s), atol=1e-15
        )
    # A scalar Value meets it and becomes a 0-d node of its own level.
    d = grad(lambda t: logsumexp(onp.array([1.0, 2.0]) * t))(1.0)
    assert d == pytest.approx((math.e + 2 * math.e**2) / (math.e + math.e**2), rel=1e-14)


def test_a_primitive_without_the_rule_asked_for_says_so():
    @primitive
    def doubled(x, y):
        return 2 * x + 0 * y

    defvjp(doubled, lambda ans, x, y: lambda g: 2 * g, None)  # None: no gradient into y
    assert grad(doubled, (0, 1))(1.0, 3.0) == (2.0, 0.0)
    with pytest.raises(NotImplementedError, match="doubled has no JVP.*defjvp"):
        jvp(lambda x: doubled(x, 1.0), 1.0, 1.0)

    @primitive
    def bare(x):
        return x

    with pytest.raises(NotImplementedError, match="bare has no VJP for argument 0"):
        grad(bare)(1.0)
    with pytest.raises(TypeError, match="made by primitive"):
        defvjp(lambda x: x, lambda ans, x: lambda g: g)


def test_has_aux_follows_jax_and_aux_comes_back_as_numbers():
    def f(x):
        return x * x, {"x": x, "twice": 2 * x}

    g, aux = grad(f, has_aux=True)(3.0)
    assert g == 6.0 and aux == {"x": 3.0, "twice": 6.0}
    assert all(type(item) is float for item in aux.values())  # not nodes of the pass
    (value, aux), g = value_and_grad(f, has_aux=True)(3.0)
    assert (value, g, aux["twice"]) == (9.0, 6.0, 6.0)
    value, pull, aux = vjp(f, 3.0, has_aux=True)
    assert (value, pull(1.0), aux["x"]) == (9.0, 6.0, 3.0)
    value, tangent, aux = jvp(f, 3.0, 1.0, has_aux=True)
    assert (value, tangent, aux["x"]) == (9.0, 6.0, 3.0)
    J, aux = jacobian(lambda v: (v * v, np.sum(v)), onp.array([1.0, 2.0]), has_aux=True)
    assert J.tolist() == [[2.0, 0.0], [0.0, 4.0]] and aux == 3.0
    H, aux = hessian(lambda v: (np.sum(v**3), "label"), onp.array([1.0, 2.0]), has_aux=True)
    assert H.tolist() == [[6.0, 0.0], [0.0, 12.0]] and aux == "label"
    with pytest.raises(TypeError, match="two-element tuple"):
        grad(lambda x: x, has_aux=True)(1.0)


def test_keyword_arguments_pass_through_to_f():
    def f(x, y, scale=1.0, *, offset):
        return scale * x * y + offset

    assert grad(f)(2.0, 3.0, scale=10.0, offset=1.0) == 30.0
    assert grad(f, argnums=(0, 1))(2.0, 3.0, offset=0.0) == (3.0, 2.0)


def test_an_index_argument_gets_a_zero_cotangent():
    x = onp.array([1.0, 2.0, 3.0])
    value, pull = vjp(lambda x, i: x[i], x, 1)  # raised from inside numpy before
    assert value == 2.0
    gx, gi = pull(1.0)
    assert gx.tolist() == [0.0, 1.0, 0.0] and gi == 0.0
    assert grad(lambda x, i: x[i], argnums=(0, 1), allow_int=True)(x, 2)[1].tolist() == 0.0


def test_integers_are_differentiated_as_floats_unless_allow_int():
    assert grad(lambda x: x**3)(2) == 12.0  # 2 is the float 2.0: the true derivative
    assert grad(lambda x: x * 1.5, allow_int=True)(2) == 0.0  # JAX's meaning: a constant


def test_numpy_linalg_norm_is_differentiable_and_refuses_what_it_cannot_do():
    x = onp.array([3.0, 4.0])
    onp.testing.assert_allclose(grad(lambda v: onp.linalg.norm(v))(x), x / 5.0, rtol=1e-15)
    onp.testing.assert_allclose(grad(np.linalg.norm)(x), x / 5.0, rtol=1e-15)
    with pytest.raises(NotImplementedError, match="ord=1"):
        grad(lambda v: np.linalg.norm(v, ord=1))(x)


def test_item_and_astype_read_numbers_and_give_a_zero_slope():
    def f(x):
        return x**2 if x.astype(bool).item() else x

    assert grad(f)(2.0) == 4.0 and derivative(f, 2.0) == 4.0
    value, tangent = jvp(lambda x: x.astype(onp.int32) + 1, 2.0, 1.0)
    assert value == 3 and value.dtype == onp.int32 and tangent == 0.0
    assert Value(2.5).astype(float).data == 2.5
    with pytest.raises(TypeError, match="astype"):
        Value(2.5).astype(complex)
