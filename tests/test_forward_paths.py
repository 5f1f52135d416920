"""Dual's shortcuts give what its general rule gives, bit for bit.

`Dual`'s operator methods take nested duals one layer down themselves, and the
core's call for a Dual takes those methods where they apply; `forward._push` is
the general rule they stand in for. Random duals of mixed depths and tags,
tangents that are exactly zero, infinities and nans, through every operator
and method: the shortcut and `_push` must agree in every part, and an operand
the shortcuts do not take (an int, a Value, a Dual of an older tag) must still
reach the right layer.
"""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab import Dual, derivative, grad
from autodiff_lab.forward import _push, dual
from autodiff_lab.rules import ADD, DIV, MUL, SUB, TANH

BINARY = {"+": ADD, "-": SUB, "*": MUL, "/": DIV}

numbers = st.one_of(
    st.floats(-3.0, 3.0, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1.0, math.inf, -math.inf, math.nan]),
)


def duals(tag: int):
    """A Dual of ``tag`` whose parts are floats or Duals of an older tag (1 or 2)."""
    parts = numbers if tag == 1 else st.one_of(numbers, duals(tag - 1))
    return st.builds(lambda p, t: dual(p, t, tag), parts, parts)


def same(a, b) -> bool:
    """Equal in every part, nan equal to nan, the sign of zero included."""
    if type(a) is Dual or type(b) is Dual:
        return (
            type(a) is type(b)
            and a.tag == b.tag
            and same(a.primal, b.primal)
            and same(a.tangent, b.tangent)
        )
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def apply(symbol: str, a, b):
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[
        symbol
    ]()


@given(a=duals(3), b=st.one_of(duals(3), numbers), symbol=st.sampled_from(sorted(BINARY)))
def test_operators_agree_with_the_general_rule(a, b, symbol):
    assert same(apply(symbol, a, b), _push(BINARY[symbol], 3, (a, b)))
    assert same(apply(symbol, b, a), _push(BINARY[symbol], 3, (b, a)))


@given(a=duals(3))
def test_methods_agree_with_the_general_rule(a):
    assert same(a.tanh(), _push(TANH, 3, (a,)))


@given(a=duals(3), b=duals(2), symbol=st.sampled_from(sorted(BINARY)))
def test_an_older_tag_meets_a_newer_one_through_the_general_rule(a, b, symbol):
    # b is a constant to a's layer: the shortcut must not treat it as a's own kind.
    assert same(apply(symbol, a, b), _push(BINARY[symbol], 3, (a, b)))
    assert same(apply(symbol, b, a), _push(BINARY[symbol], 3, (b, a)))


def test_an_int_and_a_value_reach_the_right_layer():
    x = Dual(2.0, 1.0, tag=5)
    assert same(x * 3, Dual(6.0, 3.0, tag=5))
    assert same(3 - x, Dual(1.0, -1.0, tag=5))
    # d/dx [x · d/dy (x · y)] = d/dx x² = 2x: the inner pass sees x as a constant
    assert derivative(lambda x: x * derivative(lambda y: x * y, 1.0), 3.0) == 6.0
    # a Value holding a Dual, through the core's call for a Dual: d/dx d/dv (v · x) = 1
    assert derivative(lambda x: grad(lambda v: v * x)(2.0), 3.0) == 1.0


def test_a_value_holding_nested_duals_differentiates_three_times():
    # x³ three times over, each a different layer: d³/dx³ x³ = 6
    def third(x):
        return derivative(lambda u: derivative(lambda w: grad(lambda v: v * v * v)(w), u), x)

    assert third(1.7) == 6.0
