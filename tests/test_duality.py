"""Forward and reverse mode on one graph: tangents, adjoints and ⟨u, J v⟩ = ⟨Jᵀu, v⟩."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_lab import Value
from autodiff_lab.display.duality import DualityView, duality_view


def finite_difference_jacobian(f, x, h=1e-6):
    """Central differences on plain floats, column by column."""
    x = np.asarray(x, dtype=float)
    columns = []
    for j in range(x.size):
        step = np.zeros_like(x)
        step[j] = h
        plus = np.asarray(f(x + step), dtype=float)
        minus = np.asarray(f(x - step), dtype=float)
        columns.append((plus - minus) / (2 * h))
    return np.stack(columns, axis=-1)


def nonlinear(x):
    """Three outputs that mix sin, exp, division and tanh; works on floats and Values."""
    sin = np.sin if isinstance(x[0], float) else (lambda t: t.sin())
    exp = np.exp if isinstance(x[0], float) else (lambda t: t.exp())
    tanh = np.tanh if isinstance(x[0], float) else (lambda t: t.tanh())
    return [x[0] * sin(x[1]), exp(x[0] + x[2]) / (1 + x[1] ** 2), tanh(x[2] * x[0])]


def test_linear_map_gives_a_v_and_a_transpose_u():
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(3, 4))
    x, v, u = rng.normal(size=4), rng.normal(size=4), rng.normal(size=3)
    view = duality_view(
        lambda z: [sum(matrix[i, j] * z[j] for j in range(4)) for i in range(3)], x, v, u
    )
    assert isinstance(view, DualityView)
    np.testing.assert_allclose(view.jvp, matrix @ v, rtol=1e-12)
    np.testing.assert_allclose(view.vjp, matrix.T @ u, rtol=1e-12)
    assert math.isclose(view.forward_product, u @ matrix @ v, rel_tol=1e-12)
    assert view.holds and view.difference < 1e-12


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
    v=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
    u=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
)
def test_identity_holds_for_a_nonlinear_map(x, v, u):
    view = duality_view(nonlinear, x, v, u)
    jacobian = finite_difference_jacobian(nonlinear, x)
    np.testing.assert_allclose(view.jvp, jacobian @ np.array(v), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(view.vjp, jacobian.T @ np.array(u), rtol=1e-5, atol=1e-6)
    assert view.holds
    assert math.isclose(view.forward_product, view.reverse_product, rel_tol=1e-9, abs_tol=1e-12)


def test_every_node_gets_a_tangent_and_an_adjoint():
    view = duality_view(lambda x: x[0] * x[1] + x[0].sin(), [1.0, 2.0], v=[1.0, 0.5])
    x0, x1 = view.inputs
    (output,) = view.outputs
    # Tangent of the output: ∂f/∂x0·v0 + ∂f/∂x1·v1 = (x1 + cos x0)·1 + x0·0.5
    assert math.isclose(view.tangents[output], 2.0 + math.cos(1.0) + 0.5, rel_tol=1e-12)
    assert view.tangents[x0] == 1.0 and view.tangents[x1] == 0.5
    assert view.adjoints[output] == 1.0
    assert math.isclose(view.adjoints[x0], 2.0 + math.cos(1.0), rel_tol=1e-12)
    for node in view.tangents:  # forward mode's rule, checked on every interior node
        if node.op is not None:
            expected = sum(p * view.tangents[q] for q, p in zip(node.parents, node.local_partials))
            assert math.isclose(view.tangents[node], expected, rel_tol=1e-12, abs_tol=1e-15)
    source = view.graph.source
    assert "ẋ 1 | x̄ 2.54" in source  # x0: tangent 1, adjoint 2 + cos 1
    assert "grad" not in source


def test_scalar_input_and_output_default_u_is_one():
    view = duality_view(lambda t: t.exp() * 3.0, 0.5, v=2.0)
    assert view.u == [1.0]
    assert math.isclose(view.jvp[0], 3 * math.exp(0.5) * 2.0, rel_tol=1e-12)
    assert math.isclose(view.vjp[0], 3 * math.exp(0.5), rel_tol=1e-12)
    assert view.holds


def test_grads_of_outside_values_are_left_alone_and_unused_inputs_count():
    weight = Value(1.5, label="w")
    weight.grad = 42.0
    view = duality_view(lambda x: weight * x[0], [2.0, 7.0], v=[1.0, 1.0])
    assert weight.grad == 42.0
    assert view.adjoints[weight] == 2.0 and view.tangents[weight] == 0.0
    assert view.vjp == [1.5, 0.0]  # f ignores x[1]
    assert view.tangents[view.inputs[1]] == 1.0
    assert view.holds


def test_views_read_well_and_carry_no_addresses():
    view = duality_view(nonlinear, [0.3, -0.2, 0.9], v=[1, 0, 0], u=[1, 1, 1])
    text = repr(view)
    assert "⟨u, J v⟩" in text and "⟨Jᵀu, v⟩" in text and "difference" in text
    page = view._repr_html_()
    assert '<table style="white-space: nowrap">' in page
    assert "<svg" not in page and 'src="data:image/svg+xml;base64,' in page  # needs no trust
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert "0x" not in text + re.sub(r"base64,[A-Za-z0-9+/=]+", "", page)


def test_mistakes_are_explained():
    with pytest.raises(ValueError, match="shape"):
        duality_view(nonlinear, [1.0, 2.0, 3.0], v=[1.0, 0.0])
    with pytest.raises(ValueError, match="one weight per output"):
        duality_view(nonlinear, [1.0, 2.0, 3.0], v=[1.0, 0.0, 0.0], u=[1.0])
    with pytest.raises(TypeError, match="x should be a plain number or array"):
        duality_view(lambda t: t, Value(1.0), v=1.0)
    calls = []

    def changes_between_calls(t):
        calls.append(1)
        return t * t if len(calls) == 1 else t.exp()

    with pytest.raises(ValueError, match="deterministic"):
        duality_view(changes_between_calls, 1.0, v=1.0)
