"""Forward mode: dual numbers, their tags, and derivatives of any order."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_lab import AnomalyError, Dual, Value, derivative, detect_anomaly
from autodiff_lab import math as adl_math
from autodiff_lab.forward import new_tag, primal_of, tangent_of

# ---------------------------------------------------------------------------
# Dual arithmetic


def test_dual_arithmetic_follows_epsilon_squared_is_zero():
    x = Dual(3.0, 1.0)
    result = x * x + 1
    assert (result.primal, result.tangent) == (10.0, 6.0)
    quotient = Dual(1.0, 2.0) / Dual(4.0, 1.0)  # (a + bε)/(c + dε) = a/c + (bc - ad)/c² ε
    assert (quotient.primal, quotient.tangent) == (0.25, (2.0 * 4.0 - 1.0 * 1.0) / 16.0)
    assert (Dual(2.0, 1.0) - 5).tangent == 1.0 and (5 - Dual(2.0, 1.0)).tangent == -1.0
    assert (-Dual(2.0, 1.0)).tangent == -1.0 and +x is x


def test_power_forms():
    assert repr(Dual(2.0, 1.0) ** 3) == "Dual(8.0, 12.0)"  # constant exponent
    assert repr(Dual(2.0, 1.0) ** Dual(3.0)) == "Dual(8.0, 12.0)"
    assert (2 ** Dual(3.0, 1.0)).tangent == pytest.approx(8 * math.log(2), rel=1e-15)
    both = Dual(2.0, 1.0) ** Dual(3.0, 1.0)
    assert both.tangent == pytest.approx(12.0 + 8 * math.log(2), rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(a=st.floats(-5, 5), b=st.floats(-5, 5), t=st.floats(-3, 3), s=st.floats(-3, 3))
def test_the_tangent_is_linear_in_the_seed(a, b, t, s):
    def f(x, y):
        return (x * y).sin() + x.tanh() * y

    combined = f(Dual(a, t), Dual(b, s)).tangent
    along_x = f(Dual(a, 1.0), Dual(b, 0.0)).tangent
    along_y = f(Dual(a, 0.0), Dual(b, 1.0)).tangent
    assert combined == pytest.approx(t * along_x + s * along_y, rel=1e-9, abs=1e-9)


def test_a_constant_input_never_turns_zero_times_inf_into_nan():
    # log has slope inf at 0, but a constant (tangent 0) contributes nothing.
    result = adl_math.log(Dual(0.0, 0.0))
    assert result.primal == -math.inf and result.tangent == 0.0
    assert adl_math.sqrt(Dual(0.0, 1.0)).tangent == math.inf
    assert (Dual(2.0, 1.0) * math.inf).tangent == math.inf


def test_ieee_edges_through_duals_do_not_raise():
    assert (Dual(1.0, 1.0) / Dual(0.0)).primal == math.inf
    assert (Dual(-1.0, 1.0) / 0).primal == -math.inf
    assert math.isnan((Dual(0.0, 1.0) / 0.0).primal)
    assert adl_math.exp(Dual(1000.0, 1.0)).tangent == math.inf
    assert adl_math.tanh(Dual(1000.0, 1.0)).tangent == 0.0
    assert math.isnan(adl_math.sin(Dual(math.inf, 1.0)).primal)
    assert math.isnan((Dual(-8.0, 1.0) ** (1 / 3)).primal)
    assert (Dual(0.0, 1.0) ** -1).primal == math.inf


def test_anomaly_mode_checks_primal_and_tangent():
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"forward mode: log\(Dual\(0\.0"):
        adl_math.log(Dual(0.0, 1.0))
    # A finite value whose tangent is infinite is caught too.
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"sqrt.*with tangent inf"):
        adl_math.sqrt(Dual(0.0, 1.0))


# ---------------------------------------------------------------------------
# Construction, comparison, display


def test_components_are_floats():
    x = Dual(1, 2)
    assert type(x.primal) is float and type(x.tangent) is float and x.tag == 0
    assert Dual(np.float64(1.5)).primal == 1.5 and Dual(2.0).tangent == 0.0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Dual("a"), r"Dual\(\) needs a real number as its primal, got str \('a'\)"),
        (lambda: Dual(1.0, "b"), r"Dual\(\) needs a real number as its tangent, got str"),
        (lambda: Dual(None), r"got NoneType"),
        (lambda: Dual(1.0) + "a", r"unsupported operand type\(s\) for \+: 'Dual' and 'str'"),
        (lambda: adl_math.exp("a"), r"exp\(\) needs a number, a Value or a Dual, got str"),
    ],
)
def test_type_errors_name_the_operation_and_the_type(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_comparisons_look_at_the_primal():
    small, large = Dual(1.0, 100.0), Dual(2.0, -100.0)
    assert small < large and small <= 1 and large > 1.5 and large >= small
    assert small == 1.0 and small == Dual(1.0, 5.0) and small != large
    assert len({Dual(1.0), Dual(1.0)}) == 2  # distinct numbers, whatever their value


def test_repr_and_str_show_numbers_only():
    assert repr(Dual(1.0, 2.0)) == "Dual(1.0, 2.0)"
    assert repr(Dual(1.0, 2.0, tag=3)) == "Dual(1.0, 2.0, tag=3)"
    assert str(Dual(1.0, 2.0)) == "1.0 + 2.0ε"
    assert f"{Dual(1.0, 2.0)}" == "1.0 + 2.0ε"
    nested = Dual(Dual(1.0, 2.0, tag=1), Dual(3.0, 4.0, tag=1), tag=2)
    assert repr(nested) == "Dual(Dual(1.0, 2.0, tag=1), Dual(3.0, 4.0, tag=1), tag=2)"
    assert not re.search(r"0x[0-9a-f]+", repr(nested))


# ---------------------------------------------------------------------------
# Mixing with Values and numpy


def test_a_value_outranks_a_dual():
    node = Dual(3.0, 1.0) * Value(2.0)
    assert isinstance(node, Value)
    node.backward()
    assert node.data.tangent == 2.0


def test_numpy_arrays_of_duals_work_elementwise():
    xs = np.array([Dual(0.0, 1.0), Dual(1.0, 1.0)])
    result = np.sin(xs) * 2.0
    assert [d.tangent for d in result] == [2.0, pytest.approx(2 * math.cos(1.0))]
    scaled = Dual(2.0, 1.0) * np.array([1.0, 2.0])
    assert [(d.primal, d.tangent) for d in scaled] == [(2.0, 1.0), (4.0, 2.0)]


# ---------------------------------------------------------------------------
# derivative()


def test_derivative_of_scalar_functions():
    assert derivative(lambda x: x**3, 2.0) == 12.0
    assert derivative(adl_math.exp, 1) == math.e
    assert derivative(lambda x: 3.0, 1.0) == 0.0  # f does not depend on x


def test_derivative_of_a_function_with_several_outputs_keeps_their_structure():
    result = derivative(lambda x: [x, x * x, 5.0], 2.0)
    assert type(result) is list and result == [1.0, 4.0, 0.0]
    grid = derivative(lambda x: np.array([[x, 2 * x], [x * x, x.sin()]]), 0.0)
    assert grid.shape == (2, 2) and grid.tolist() == [[1.0, 2.0], [0.0, 1.0]]


@pytest.mark.parametrize("returned", ["text", None, object()])
def test_derivative_refuses_a_function_that_returns_no_number(returned):
    # A forgotten `return` gives None: that is an error, not a derivative of 0.
    with pytest.raises(TypeError, match=rf"derivative: f returned {type(returned).__name__}"):
        derivative(lambda x: returned, 1.0)


@settings(max_examples=50, deadline=None)
@given(x=st.floats(-3, 3))
def test_nested_derivatives_give_higher_derivatives(x):
    def second(f):
        return lambda t: derivative(lambda u: derivative(f, u), t)

    assert second(adl_math.sin)(x) == pytest.approx(-math.sin(x), abs=1e-12)
    assert second(lambda t: t**4)(x) == pytest.approx(12 * x**2, rel=1e-12, abs=1e-12)
    third = derivative(lambda t: second(adl_math.exp)(t), x)
    assert third == pytest.approx(math.exp(x), rel=1e-12)


# ---------------------------------------------------------------------------
# Tags


def test_new_tags_grow():
    first = new_tag()
    assert new_tag() > first


def test_the_newest_tag_is_the_outer_layer():
    inner, outer = new_tag(), new_tag()
    x = Dual(1.0, 1.0, tag=inner)
    y = Dual(2.0, 1.0, tag=outer)
    z = x * y
    assert z.tag == outer and isinstance(z.primal, Dual) and z.primal.tag == inner
    # ∂z/∂y = x and ∂z/∂x = y, each still carrying the other perturbation.
    assert (tangent_of(z, outer).primal, tangent_of(z, outer).tangent) == (1.0, 1.0)
    along_x = tangent_of(z, inner)
    assert (along_x.primal, along_x.tangent, along_x.tag) == (2.0, 1.0, outer)
    dropped = primal_of(z, inner)  # z with x's perturbation removed: 1 · y
    assert (dropped.primal, dropped.tangent, dropped.tag) == (2.0, 1.0, outer)
    assert primal_of(z, outer).primal == 2.0 and primal_of(z, outer).tangent == 2.0


def test_tangent_of_something_that_does_not_depend_on_the_tag_is_zero():
    tag = new_tag()
    assert tangent_of(3.0, tag) == 0.0
    assert tangent_of(Dual(1.0, 1.0, tag=tag - 1), tag) == 0.0
    assert primal_of(2.0, tag) == 2.0


def test_perturbations_of_nested_derivatives_stay_apart():
    # d/dx [x · d/dy (x + y)] at x = 1: the inner derivative is 1 whatever x is.
    assert derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0) == 1.0
    # d/dx [x · d/dy (x · y)] = d/dx [x²] = 2x
    assert derivative(lambda x: x * derivative(lambda y: x * y, 1.0), 3.0) == 6.0
