"""Operation objects: chaining by hand agrees with the engine and the rule table."""

import doctest
import math

import pytest

from autodiff_lab import Value, ops, rules
from autodiff_lab.ops import OPERATIONS, Add, Exp, Multiply, Operation, Power, Tanh

# A point inside every primitive's domain (log and sqrt need a > 0).
POINTS = {1: (0.7,), 2: (1.3, 0.6)}
ARCCOSH_POINT = (1.7,)  # arccosh is defined from 1 up


def test_chaining_by_hand_matches_value_backward():
    a, b, c = 2.2, -1.8, 0.1
    add, mul = Add(), Multiply()
    e = add.forward(b, c)
    d = mul.forward(a, e)
    grad_a, grad_e = mul.backward(1.0)
    grad_b, grad_c = add.backward(grad_e)

    va, vb, vc = Value(a), Value(b), Value(c)
    vd = va * (vb + vc)
    vd.backward()

    assert d == vd.data
    assert (grad_a, grad_b, grad_c) == (va.grad, vb.grad, vc.grad)
    assert (grad_a, grad_b, grad_c) == pytest.approx((-1.7, 2.2, 2.2), abs=1e-12)


def test_every_primitive_has_an_operation_class():
    assert set(OPERATIONS) == set(rules.PRIMITIVES)
    for name, operation in OPERATIONS.items():
        assert operation.primitive is rules.PRIMITIVES[name]
        assert issubclass(operation, Operation)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_backward_is_incoming_times_rule_partials(name):
    operation = OPERATIONS[name]()
    primitive = operation.primitive
    inputs = ARCCOSH_POINT if name == "arccosh" else POINTS[primitive.arity]
    output = operation.forward(*inputs)
    assert output == primitive.float_value(*inputs)

    incoming = -2.5
    expected = tuple(incoming * p for p in primitive.partials(*inputs, output))
    grads = operation.backward(incoming)
    if primitive.arity == 1:
        assert isinstance(grads, float)
        grads = (grads,)
    else:
        assert isinstance(grads, tuple) and len(grads) == 2
    assert grads == expected


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_backward_agrees_with_value_backward(name):
    operation = OPERATIONS[name]()
    inputs = ARCCOSH_POINT if name == "arccosh" else POINTS[operation.arity]
    operation.forward(*inputs)
    grads = operation.backward(1.0)
    grads = grads if isinstance(grads, tuple) else (grads,)

    leaves = [Value(x) for x in inputs]
    out = operation.primitive(*leaves)
    out.backward()
    assert grads == pytest.approx(tuple(leaf.grad for leaf in leaves), rel=1e-12)


def test_analytic_values_by_hand():
    power = Power()
    assert power.forward(2.0, 3.0) == 8.0
    grad_base, grad_exponent = power.backward(1.0)
    assert grad_base == pytest.approx(12.0)  # 3 · 2²
    assert grad_exponent == pytest.approx(8.0 * math.log(2.0))

    tanh = Tanh()
    tanh.forward(0.5)
    assert tanh.backward(2.0) == pytest.approx(2.0 * (1.0 - math.tanh(0.5) ** 2))


def test_three_operations_chained_like_a_wengert_list():
    # f(x) = exp(x * x) at 0.3: f' = 2x·exp(x²)
    square, exp = Multiply(), Exp()
    x = 0.3
    y = exp.forward(square.forward(x, x))
    grad_left, grad_right = square.backward(exp.backward(1.0))
    assert y == pytest.approx(math.exp(0.09))
    # x feeds both inputs of the multiply: its gradient is the sum of both paths
    assert grad_left + grad_right == pytest.approx(2 * x * math.exp(x * x))


def test_forward_overwrites_previous_call():
    mul = Multiply()
    mul.forward(2.0, 3.0)
    mul.forward(5.0, 7.0)
    assert mul.backward(1.0) == (7.0, 5.0)


def test_backward_before_forward_explains_what_to_do():
    with pytest.raises(RuntimeError, match=r"Multiply\.backward\(\) was called before forward"):
        Multiply().backward(1.0)


def test_wrong_number_of_inputs():
    with pytest.raises(TypeError, match=r"Exp\.forward\(\) takes 1 input\(s\) \(a\), got 2"):
        Exp().forward(1.0, 2.0)
    with pytest.raises(TypeError, match=r"Add\.forward\(\) takes 2 input\(s\) \(a, b\), got 1"):
        Add().forward(1.0)


def test_repr_is_readable_and_deterministic():
    mul = Multiply()
    assert repr(mul) == "Multiply()"
    mul.forward(2.2, -1.7)
    assert repr(mul) == "Multiply(inputs=(2.2, -1.7), output=-3.74, partials=(-1.7, 2.2))"
    assert "0x" not in repr(mul)


def test_docstrings_come_from_the_table():
    assert "∂/∂a = b, ∂/∂b = a" in Multiply.__doc__
    assert "tanh" in Tanh.__doc__


def test_module_doctest():
    failures, _ = doctest.testmod(ops)
    assert failures == 0
