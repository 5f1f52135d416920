"""The rule table: every primitive's value and derivative, in every way it can be reached.

Each primitive is checked against its textbook derivative and against central
differences, through its own ``partials``, through `Value.backward` (reverse
mode), through `Dual` tangents (forward mode) and through `autodiff_lab.math`.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from primitive_calls import apply_binary, apply_unary

from autodiff_lab import Dual, Value, core, rules
from autodiff_lab import math as adl_math
from autodiff_lab.rules import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    POWC,
    PRIMITIVES,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
)

INF = math.inf
NAN = math.nan
FAST = settings(max_examples=40, deadline=None)


def _floats(low: float, high: float):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _away_from_zero(low: float, high: float):
    """Numbers with low <= |x| <= high of either sign (kinks and poles stay out of reach)."""
    return st.one_of(_floats(low, high), _floats(-high, -low))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _sign(x: float) -> float:
    return 1.0 if x > 0 else -1.0


# name -> (primitive, value, derivative, domain for random points)
UNARY = {
    "neg": (NEG, lambda x: -x, lambda x: -1.0, _floats(-1e3, 1e3)),
    "exp": (EXP, math.exp, math.exp, _floats(-30.0, 30.0)),
    "log": (LOG, math.log, lambda x: 1.0 / x, _floats(1e-2, 1e3)),
    "sqrt": (SQRT, math.sqrt, lambda x: 0.5 / math.sqrt(x), _floats(1e-2, 1e3)),
    "abs": (ABS, abs, _sign, _away_from_zero(1e-3, 1e3)),
    "tanh": (TANH, math.tanh, lambda x: 1.0 / math.cosh(x) ** 2, _floats(-10.0, 10.0)),
    "sigmoid": (
        SIGMOID,
        _sigmoid,
        lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
        _floats(-30.0, 30.0),
    ),
    "relu": (RELU, lambda x: max(x, 0.0), lambda x: float(x > 0), _away_from_zero(1e-3, 1e3)),
    "sin": (SIN, math.sin, math.cos, _floats(-10.0, 10.0)),
    "cos": (COS, math.cos, lambda x: -math.sin(x), _floats(-10.0, 10.0)),
    "tan": (rules.TAN, math.tan, lambda x: 1.0 / math.cos(x) ** 2, _floats(-1.4, 1.4)),
    "sinh": (rules.SINH, math.sinh, math.cosh, _floats(-10.0, 10.0)),
    "cosh": (rules.COSH, math.cosh, math.sinh, _floats(-10.0, 10.0)),
    "arcsin": (
        rules.ARCSIN,
        math.asin,
        lambda x: 1.0 / math.sqrt(1.0 - x * x),
        _floats(-0.95, 0.95),
    ),
    "arccos": (
        rules.ARCCOS,
        math.acos,
        lambda x: -1.0 / math.sqrt(1.0 - x * x),
        _floats(-0.95, 0.95),
    ),
    "arctan": (rules.ARCTAN, math.atan, lambda x: 1.0 / (1.0 + x * x), _floats(-1e3, 1e3)),
    "arcsinh": (
        rules.ARCSINH,
        math.asinh,
        lambda x: 1.0 / math.sqrt(x * x + 1.0),
        _floats(-1e3, 1e3),
    ),
    "arccosh": (
        rules.ARCCOSH,
        math.acosh,
        lambda x: 1.0 / math.sqrt(x * x - 1.0),
        _floats(1.05, 1e3),
    ),
    "arctanh": (
        rules.ARCTANH,
        math.atanh,
        lambda x: 1.0 / (1.0 - x * x),
        _floats(-0.95, 0.95),
    ),
    "log2": (rules.LOG2, math.log2, lambda x: 1.0 / (x * math.log(2)), _floats(1e-2, 1e3)),
    "log10": (rules.LOG10, math.log10, lambda x: 1.0 / (x * math.log(10)), _floats(1e-2, 1e3)),
    "log1p": (rules.LOG1P, math.log1p, lambda x: 1.0 / (1.0 + x), _floats(-0.95, 1e3)),
    "expm1": (rules.EXPM1, math.expm1, math.exp, _floats(-30.0, 30.0)),
    "exp2": (rules.EXP2, lambda x: 2.0**x, lambda x: 2.0**x * math.log(2), _floats(-30.0, 30.0)),
    "sign": (rules.SIGN, _sign, lambda x: 0.0, _away_from_zero(1e-3, 1e3)),
}

# name -> (primitive, value, (∂/∂a, ∂/∂b), domain of a, domain of b)
BINARY = {
    "add": (ADD, operator.add, lambda a, b: (1.0, 1.0), _floats(-1e3, 1e3), _floats(-1e3, 1e3)),
    "sub": (SUB, operator.sub, lambda a, b: (1.0, -1.0), _floats(-1e3, 1e3), _floats(-1e3, 1e3)),
    "mul": (MUL, operator.mul, lambda a, b: (b, a), _floats(-1e3, 1e3), _floats(-1e3, 1e3)),
    "div": (
        DIV,
        operator.truediv,
        lambda a, b: (1.0 / b, -a / b**2),
        _floats(-1e3, 1e3),
        _away_from_zero(0.1, 1e3),
    ),
    "pow": (
        POW,
        math.pow,
        lambda a, b: (b * a ** (b - 1), a**b * math.log(a)),
        _floats(0.1, 10.0),
        _floats(-3.0, 3.0),
    ),
    # A constant exponent: its partial is 0 by definition.
    "powc": (
        POWC,
        math.pow,
        lambda a, n: (n * a ** (n - 1), 0.0),
        _floats(0.1, 10.0),
        _floats(-3.0, 3.0),
    ),
    # Python's mod, away from the jumps (where a/b is a whole number).
    "mod": (
        rules.MOD,
        operator.mod,
        lambda a, b: (1.0, -float(math.floor(a / b))),
        _floats(-1e3, 1e3).filter(lambda a: abs(a / 7.25 - round(a / 7.25)) > 1e-3),
        st.just(7.25),
    ),
    # Away from the kink a == b (where each input gets half, tested on its own).
    "maximum": (
        rules.MAXIMUM,
        max,
        lambda a, b: (float(a > b), float(b > a)),
        _floats(-1e3, 1e3).filter(lambda a: abs(a - 0.5) > 1e-3),
        st.just(0.5),
    ),
    "minimum": (
        rules.MINIMUM,
        min,
        lambda a, b: (float(a < b), float(b < a)),
        _floats(-1e3, 1e3).filter(lambda a: abs(a - 0.5) > 1e-3),
        st.just(0.5),
    ),
    "arctan2": (
        rules.ARCTAN2,
        math.atan2,
        lambda a, b: (b / (a * a + b * b), -a / (a * a + b * b)),
        _away_from_zero(0.1, 1e3),
        _away_from_zero(0.1, 1e3),
    ),
}


def central_difference(f, x: float) -> float:
    h = 1e-6 * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


def assert_close(actual, expected, rel=1e-12, scale=1.0):
    assert math.isclose(actual, expected, rel_tol=rel, abs_tol=rel * scale), (actual, expected)


# ---------------------------------------------------------------------------
# The table itself


def test_table_lists_every_primitive_once():
    assert set(PRIMITIVES) == {
        "add",
        "sub",
        "mul",
        "div",
        "pow",
        "neg",
        "exp",
        "log",
        "sqrt",
        "abs",
        "tanh",
        "sigmoid",
        "relu",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "arcsin",
        "arccos",
        "arctan",
        "arcsinh",
        "arccosh",
        "arctanh",
        "log2",
        "log10",
        "log1p",
        "expm1",
        "exp2",
        "sign",
        "mod",
        "maximum",
        "minimum",
        "arctan2",
    }
    for name, primitive in PRIMITIVES.items():
        assert primitive.name == name
        assert primitive.formula.startswith("∂/∂a")
    assert PRIMITIVES["pow"] is POW  # the constant-exponent form is reached through **
    assert POWC.name == "pow" and POWC.arity == 2


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_arity_and_repr(name):
    primitive = UNARY[name][0]
    assert primitive.arity == 1
    assert repr(primitive) == f"<primitive {primitive.name}: {primitive.formula}>"
    with pytest.raises(TypeError, match=rf"{primitive.name}\(\) takes 1 argument"):
        primitive(1.0, 2.0)


def test_calling_with_the_wrong_number_of_arguments_names_the_primitive():
    with pytest.raises(TypeError, match=r"mul\(\) takes 2 argument\(s\), got 1"):
        MUL(1.0)


# ---------------------------------------------------------------------------
# Unary primitives: value and derivative in every mode


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_unary_value_matches_reference(name, data):
    primitive, value, _, domain = UNARY[name]
    x = data.draw(domain)
    expected = value(x)
    assert_close(primitive(x), expected, rel=1e-14)
    assert_close(primitive(Value(x)).data, expected, rel=1e-14)
    assert_close(primitive(Dual(x, 1.0)).primal, expected, rel=1e-14)
    assert_close(apply_unary(name, Value(x)).data, expected, rel=1e-14)
    assert_close(apply_unary(name, Dual(x, 1.0)).primal, expected, rel=1e-14)
    if name != "neg":  # math has no neg
        function = getattr(adl_math, name)
        assert_close(function(x), expected, rel=1e-14)
        assert_close(function(Value(x)).data, expected, rel=1e-14)
        assert_close(function(Dual(x, 1.0)).primal, expected, rel=1e-14)


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_unary_derivative_in_every_mode_matches_the_formula(name, data):
    primitive, _, derivative, domain = UNARY[name]
    x = data.draw(domain)
    expected = derivative(x)

    (partial,) = primitive.partials(x, primitive(x))
    assert_close(partial, expected)

    leaf = Value(x)
    apply_unary(name, leaf).backward()
    assert_close(leaf.grad, expected)

    assert_close(apply_unary(name, Dual(x, 1.0)).tangent, expected)
    # A tangent of 2 gives twice the derivative: the tangent is linear in the seed.
    assert_close(apply_unary(name, Dual(x, 2.0)).tangent, 2.0 * expected)

    if name != "neg":
        function = getattr(adl_math, name)
        leaf = Value(x)
        function(leaf).backward()
        assert_close(leaf.grad, expected)
        assert_close(function(Dual(x, 1.0)).tangent, expected)


@pytest.mark.parametrize("name", sorted(UNARY))
@FAST
@given(data=st.data())
def test_unary_derivative_matches_central_differences(name, data):
    primitive, value, _, domain = UNARY[name]
    x = data.draw(domain)
    leaf = Value(x)
    apply_unary(name, leaf).backward()
    numeric = central_difference(value, x)
    assert_close(leaf.grad, numeric, rel=1e-6, scale=max(1.0, abs(value(x))))
    assert_close(apply_unary(name, Dual(x, 1.0)).tangent, numeric, 1e-6, max(1.0, abs(value(x))))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_node_records_its_primitive_and_partial(name):
    primitive, _, derivative, _ = UNARY[name]
    x = 1.7 if name == "arccosh" else 0.7  # inside every domain
    leaf = Value(x)
    node = apply_unary(name, leaf)
    assert node.op is primitive
    assert node.parents == (leaf,)
    assert node.local_partials == pytest.approx((derivative(x),), rel=1e-14)
    assert not node.is_leaf and leaf.is_leaf


# ---------------------------------------------------------------------------
# Binary primitives


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(data=st.data())
def test_binary_derivatives_in_every_mode_match_the_formula(name, data):
    primitive, value, partials, domain_a, domain_b = BINARY[name]
    a, b = data.draw(domain_a), data.draw(domain_b)
    expected_value = value(a, b)
    expected_a, expected_b = partials(a, b)
    scale = max(1.0, abs(expected_value))

    assert_close(primitive(a, b), expected_value, rel=1e-14, scale=scale)
    got_a, got_b = primitive.partials(a, b, primitive(a, b))
    assert_close(got_a, expected_a, scale=scale)
    assert_close(got_b, expected_b, scale=scale)

    # Reverse mode: both operands as Values (a constant exponent stays a number).
    left = Value(a)
    right = Value(b) if name != "powc" else b
    out = apply_binary(name, left, right)
    out.backward()
    assert out.op is primitive
    assert_close(out.data, expected_value, rel=1e-14, scale=scale)
    assert_close(left.grad, expected_a, scale=scale)
    if name != "powc":
        assert_close(right.grad, expected_b, scale=scale)
    else:
        constant = out.parents[1]
        assert constant.is_leaf and constant.data == b and out.local_partials[1] == 0.0

    # Reverse mode with a plain number on either side: it becomes a leaf.
    left = Value(a)
    apply_binary(name, left, b).backward()
    assert_close(left.grad, expected_a, scale=scale)
    if name != "powc":
        right = Value(b)
        apply_binary(name, a, right).backward()
        assert_close(right.grad, expected_b, scale=scale)

    # Forward mode: one tangent direction at a time.
    if name == "powc":
        assert_close(apply_binary(name, Dual(a, 1.0), b).tangent, expected_a, scale=scale)
    else:
        assert_close(apply_binary(name, Dual(a, 1.0), Dual(b)).tangent, expected_a, scale=scale)
        assert_close(apply_binary(name, Dual(a), Dual(b, 1.0)).tangent, expected_b, scale=scale)
        assert_close(apply_binary(name, a, Dual(b, 1.0)).tangent, expected_b, scale=scale)
        both = apply_binary(name, Dual(a, 1.0), Dual(b, 1.0)).tangent
        assert_close(both, expected_a + expected_b, rel=1e-11, scale=scale)


@pytest.mark.parametrize("name", sorted(BINARY))
@FAST
@given(data=st.data())
def test_binary_derivatives_match_central_differences(name, data):
    _, value, _, domain_a, domain_b = BINARY[name]
    a, b = data.draw(domain_a), data.draw(domain_b)
    scale = max(1.0, abs(value(a, b)))
    left, right = Value(a), Value(b)
    apply_binary(name, left, right if name != "powc" else b).backward()
    numeric_a = central_difference(lambda t: value(t, b), a)
    assert_close(left.grad, numeric_a, rel=1e-6, scale=scale)
    if name == "pow":
        numeric_b = central_difference(lambda t: value(a, t), b)
        assert_close(right.grad, numeric_b, rel=1e-6, scale=scale)
        tangent = (Dual(a) ** Dual(b, 1.0)).tangent
        assert_close(tangent, numeric_b, rel=1e-6, scale=scale)


def test_power_of_zero_has_derivative_zero_even_at_zero():
    # a**0 is 1 everywhere, so its slope is 0 (as in PyTorch), not 0 · 0^-1 = nan.
    leaf = Value(0.0)
    (leaf**0).backward()
    assert leaf.grad == 0.0
    base, exponent = Value(0.0), Value(0.0)
    (base**exponent).backward()
    assert (base.grad, exponent.grad) == (0.0, 0.0)
    assert (Dual(0.0, 1.0) ** 0).tangent == 0.0
    assert POWC.partials(0.0, 0.0, 1.0) == (0.0, 0.0)


def test_dual_exponent_keeps_its_tangent_through_a_value_power():
    # d/dt 2**t at t = 3, with 2 a Value (as inside grad) and t a Dual (from outside).
    result = Value(2.0) ** Dual(3.0, 1.0)
    assert result.op is POW
    assert result.data.tangent == pytest.approx(8.0 * math.log(2.0), rel=1e-14)


# ---------------------------------------------------------------------------
# IEEE answers at the edges of each domain, through floats, math, Value and Dual

EDGES = [
    ("log(0)", LOG, (0.0,), -INF),
    ("1/0", DIV, (1.0, 0.0), INF),
    ("-1/0", DIV, (-1.0, 0.0), -INF),
    ("0/0", DIV, (0.0, 0.0), NAN),
    ("tanh(1000)", TANH, (1000.0,), 1.0),
    ("exp(1000)", EXP, (1000.0,), INF),
    ("sqrt(-1)", SQRT, (-1.0,), NAN),
    ("(-8)**(1/3)", POWC, (-8.0, 1 / 3), NAN),
    ("0**-1", POWC, (0.0, -1.0), INF),
    ("sin(inf)", SIN, (INF,), NAN),
    ("cos(-inf)", COS, (-INF,), NAN),
    ("sigmoid(1000)", SIGMOID, (1000.0,), 1.0),
    ("sigmoid(-1000)", SIGMOID, (-1000.0,), 0.0),
    ("log(-1)", LOG, (-1.0,), NAN),
    ("10**1000", POW, (10.0, 1000.0), INF),
]


def _same(actual: float, expected: float) -> bool:
    return (math.isnan(actual) and math.isnan(expected)) or actual == expected


@pytest.mark.parametrize(
    "primitive, args, expected", [e[1:] for e in EDGES], ids=[e[0] for e in EDGES]
)
def test_ieee_edges_in_every_carrier(primitive, args, expected):
    name = "powc" if primitive is POWC else primitive.name
    assert type(primitive(*args)) is float and _same(primitive(*args), expected)
    if primitive.arity == 1:
        (x,) = args
        function = getattr(adl_math, name)
        assert _same(function(x), expected)
        leaf = Value(x)
        node = function(leaf)
        node.backward()  # an inf or nan gradient is an answer, not an exception
        assert _same(node.data, expected)
        assert _same(apply_unary(name, Value(x)).data, expected)
        assert _same(apply_unary(name, Dual(x, 1.0)).primal, expected)
    else:
        a, b = args
        node = apply_binary(name, Value(a), b if name == "powc" else Value(b))
        node.backward()
        assert _same(node.data, expected)
        dual_b = b if name == "powc" else Dual(b, 1.0)
        assert _same(apply_binary(name, Dual(a, 1.0), dual_b).primal, expected)


def test_sigmoid_of_large_inputs_is_finite_with_zero_slope():
    for x in (1000.0, -1000.0):
        leaf = Value(x)
        out = leaf.sigmoid()
        out.backward()
        assert math.isfinite(out.data) and leaf.grad == 0.0
        assert adl_math.sigmoid(Dual(x, 1.0)).tangent == 0.0


_ANY_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1000.0, -1000.0, INF, -INF, NAN]),
)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(UNARY)), x=_ANY_FLOAT)
def test_no_python_exception_escapes_a_unary_primitive(name, x):
    primitive = UNARY[name][0]
    assert type(primitive(x)) is float
    primitive.partials(x, primitive(x))
    leaf = Value(x)
    apply_unary(name, leaf).backward()
    assert isinstance(leaf.grad, float)
    result = apply_unary(name, Dual(x, 1.0))
    assert isinstance(result.primal, float) and isinstance(result.tangent, float)
    # Forward over reverse, as hvp does it.
    nested = Value(Dual(x, 1.0))
    apply_unary(name, nested).backward()
    if name != "neg":
        assert type(getattr(adl_math, name)(x)) is float


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(BINARY)), a=_ANY_FLOAT, b=_ANY_FLOAT)
def test_no_python_exception_escapes_a_binary_primitive(name, a, b):
    primitive = BINARY[name][0]
    assert type(primitive(a, b)) is float
    primitive.partials(a, b, primitive(a, b))
    left, right = Value(a), Value(b)
    apply_binary(name, left, right if name != "powc" else b).backward()
    apply_binary(name, a, right).backward()
    assert isinstance(left.grad, float) and isinstance(right.grad, float)
    result = apply_binary(name, Dual(a, 1.0), Dual(b, 1.0) if name != "powc" else b)
    assert isinstance(result.primal, float) and isinstance(result.tangent, float)
    nested = apply_binary(name, Value(Dual(a, 1.0)), Value(Dual(b, 1.0)))
    nested.backward()


# ---------------------------------------------------------------------------
# What a primitive accepts


def test_numpy_scalars_and_ints_are_numbers():
    assert EXP(np.float64(1.0)) == math.e
    assert EXP(np.int64(1)) == math.e
    assert type(EXP(1)) is float
    assert ADD(1, 2) == 3.0 and type(ADD(1, 2)) is float


@pytest.mark.parametrize("bad", ["a", None, [1.0]])
def test_a_non_number_is_a_type_error_naming_the_primitive_and_the_type(bad):
    with pytest.raises(TypeError, match=rf"exp\(\) needs a number.*got {type(bad).__name__}"):
        adl_math.exp(bad)
    with pytest.raises(TypeError, match=rf"mul\(\).*got {type(bad).__name__}"):
        MUL(1.0, bad)


def test_the_highest_ranked_carrier_records_the_operation():
    # A Value outranks a Dual: the result is a node holding a dual number.
    node = MUL(Value(2.0), Dual(3.0, 1.0))
    assert isinstance(node, Value) and isinstance(node.data, Dual)
    assert (node.data.primal, node.data.tangent) == (6.0, 2.0)
    assert isinstance(Dual(3.0, 1.0) * Value(2.0), Value)


def test_a_registered_kind_receives_the_call():
    class Recorder:
        calls: list = []

    def apply(primitive, level, args, kwargs):
        Recorder.calls.append((primitive.name, level, args))
        return "recorded"

    core.register_kind(Recorder, rank=5, family="recorder", apply=apply)
    try:
        carrier = Recorder()
        assert EXP(carrier) == "recorded"
        assert ADD(1.0, carrier) == "recorded"
        assert Recorder.calls == [("exp", 0, (carrier,)), ("add", 0, (1.0, carrier))]
    finally:
        del core.KINDS[Recorder]


# Points inside every primitive's domain, for the readings of the table below.
_INSIDE = {"arccosh": (1.7,), "arcsin": (0.3,), "arccos": (0.3,), "arctanh": (0.3,)}


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_primitive_reads_the_same_in_a_trace_and_a_drawing(name):
    from autodiff_lab import draw_graph, trace

    primitive = PRIMITIVES[name]
    point = _INSIDE.get(name, (0.7, 1.9)[: primitive.arity])
    table = trace(lambda *xs: primitive(*xs), *point)
    leaves = [Value(x) for x in point]
    out = primitive(*leaves)
    out.backward()
    assert table.rows[-1].primal == pytest.approx(out.data, rel=1e-15)
    assert table.rows[0].adjoint == pytest.approx(leaves[0].grad, rel=1e-15)
    text = str(table)
    assert primitive.symbol in text
    assert primitive.symbol in draw_graph(out).source
