"""The stepper state machines: backward and forward passes as steps, and the Stepper."""

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_lab import Value, derivative
from autodiff_lab import math as am
from autodiff_lab.display.paths import paths
from autodiff_lab.reverse import topological_order
from autodiff_lab.steps import (
    Stepper,
    backward_steps,
    forward_steps,
    processed_nodes,
    running_adjoint,
)
from autodiff_lab.steps import caption_number as format_number
from autodiff_lab.steps import gradients_after as adjoints_after
from autodiff_lab.text import node_names, tangent_name


def article_graph():
    """d = a·(b + c) at a = 2.2, b = -1.8, c = 0.1 (labels a b c d)."""
    a, b, c = Value(2.2, label="a"), Value(-1.8, label="b"), Value(0.1, label="c")
    d = a * (b + c)
    d.label = "d"
    return a, b, c, d


def two_paths_graph():
    """f = (x1 + x2)·(x1·x2) at (2, 3): x1 reaches f along two paths."""
    x1, x2 = Value(2.0, label="x1"), Value(3.0, label="x2")
    return x1, x2, (x1 + x2) * (x1 * x2)


# -- backward steps -----------------------------------------------------------


def test_backward_steps_are_seed_then_one_per_operation_in_reverse_order():
    a, b, c, d = article_graph()
    steps = backward_steps(d)
    assert len(steps) == 3
    assert [step.index for step in steps] == [0, 1, 2]
    assert steps[0].is_seed and steps[0].node is d and steps[0].shares == ()
    assert steps[1].node is d
    assert steps[2].node is d.parents[1]  # b + c, named v1
    assert [edge.parent for edge in steps[1].shares] == [a, d.parents[1]]
    assert [edge.parent for edge in steps[2].shares] == [b, c]
    assert processed_nodes(steps, 2) == [d, d.parents[1]]


def test_backward_step_numbers_and_captions():
    a, b, c, d = article_graph()
    steps = backward_steps(d)
    assert "∂L/∂d = 1.0" in steps[0].caption
    to_a, to_sum = steps[1].shares
    assert to_a.upstream == 1.0
    assert to_a.local == pytest.approx(-1.7)
    assert to_a.share == pytest.approx(-1.7)
    assert to_a.after == pytest.approx(-1.7)
    assert to_sum.local == pytest.approx(2.2)
    assert to_a.caption == "∂L/∂a += ∂L/∂d · ∂d/∂a = 1.0 · -1.7 = -1.7"
    assert "∂L/∂v1 += ∂L/∂d · ∂d/∂v1 = 1.0 · 2.2 = 2.2" in steps[1].caption
    assert steps[1].caption.startswith("d = a · v1 sends ∂L/∂d = 1.0")
    assert "∂L/∂b += ∂L/∂v1 · ∂v1/∂b = 2.2 · 1.0 = 2.2" in steps[2].caption
    assert "∂L/∂c += ∂L/∂v1 · ∂v1/∂c = 2.2 · 1.0 = 2.2" in steps[2].caption


def test_final_adjoints_equal_backward_and_the_curriculum_numbers():
    a, b, c, d = article_graph()
    steps = backward_steps(d)
    adjoints = adjoints_after(steps, len(steps) - 1)
    assert adjoints[a] == pytest.approx(-1.7)
    assert adjoints[b] == pytest.approx(2.2)
    assert adjoints[c] == pytest.approx(2.2)
    d.backward()
    for node in topological_order([d]):
        assert adjoints[node] == node.grad


def test_adjoints_fill_in_step_by_step():
    a, b, c, d = article_graph()
    steps = backward_steps(d)
    assert adjoints_after(steps, 0) == {d: 1.0}
    assert set(adjoints_after(steps, 1)) == {d, a, d.parents[1]}
    assert set(adjoints_after(steps, 2)) == {a, b, c, d, d.parents[1]}


def test_computing_steps_leaves_the_graph_untouched():
    a, b, c, d = article_graph()
    backward_steps(d)
    forward_steps(d, seed=a)
    assert [node.grad for node in topological_order([d])] == [0.0] * 5
    # ... and does not reset gradients that a real backward pass left behind.
    d.backward()
    before = [(node.data, node.grad) for node in topological_order([d])]
    backward_steps(d)
    forward_steps(d, seed=b)
    assert [(node.data, node.grad) for node in topological_order([d])] == before


def test_running_adjoint_sums_the_paths_as_they_land():
    x1, x2, f = two_paths_graph()
    steps = backward_steps(f)
    landings = running_adjoint(steps, x1)
    # x1·x2 comes later in the topological order, so the backward pass reaches it
    # first: 5·3 = 15 arrives through it, then 6·1 = 6 through x1 + x2.
    assert [landing.contribution for landing in landings] == [15.0, 6.0]
    assert [landing.total for landing in landings] == [15.0, 21.0]
    path_products = sorted(path.product for path in paths(f, x1))
    assert sorted(landing.contribution for landing in landings) == path_products == [6.0, 15.0]
    assert "so ∂L/∂x1 = 15.0 + 6.0 = 21.0" in steps[landings[1].step_index].caption
    assert [landing.total for landing in running_adjoint(steps, x2)] == [10.0, 16.0]


def test_a_node_used_twice_gets_both_contributions():
    x = Value(3.0, label="x")
    y = x * x
    steps = backward_steps(y)
    edges = steps[1].shares
    assert [edge.parent for edge in edges] == [x, x]
    assert [edge.after for edge in edges] == [3.0, 6.0]
    assert "so ∂L/∂x = 3.0 + 3.0 = 6.0" in edges[1].caption


def test_unlabelled_nodes_are_named_like_the_trace():
    x1, x2 = Value(2.0), Value(3.0)
    f = (x1 + x2) * (x1 * x2)
    names = node_names(f)
    order = topological_order([f])
    assert [names[node] for node in order] == ["x1", "x2", "v1", "v2", "v3"]
    assert backward_steps(f)[0].caption.startswith("Start at the output v3")


def test_output_symbol_avoids_a_clash_with_a_node_called_L():
    big_l = Value(2.0, label="L")
    out = big_l * 3.0
    assert "∂ℒ/∂L" in backward_steps(out)[1].caption


def test_steps_refuse_something_that_is_not_a_value():
    with pytest.raises(TypeError, match="needs a Value"):
        backward_steps(3.0)
    with pytest.raises(TypeError, match="needs a Value"):
        forward_steps([Value(1.0)])


# -- forward steps -------------------------------------------------------------


def test_forward_steps_fill_primals_in_topological_order_with_tangents():
    a, b, c, d = article_graph()
    steps = forward_steps(d, seed=a)
    assert [step.node for step in steps] == topological_order([d])
    assert [step.primal for step in steps] == [node.data for node in topological_order([d])]
    assert [step.tangent for step in steps[:3]] == [1.0, 0.0, 0.0]
    assert steps[-1].tangent == pytest.approx(-1.7)  # ∂d/∂a = b + c
    assert steps[0].caption == "a = 2.2 (input);  a\u0307 = 1.0 (the seed)"
    assert (
        steps[-1].caption
        == "d = a · v1 = -3.74;  d\u0307 = a\u0307·v1 + a·v\u03071 = 1.0·(-1.7) + 2.2·0.0 = -1.7"
    )


def test_forward_caption_of_a_product_matches_the_dual_number_rule():
    x1, x2 = Value(2.0), Value(3.0)
    f = (x1 + x2) * (x1 * x2)
    steps = forward_steps(f, seed=x1)
    assert (
        "v2 = x1 · x2 = 6.0;  v\u03072 = x\u03071·x2 + x1·x\u03072 = 1.0·3.0 + 2.0·0.0 = 3.0"
        in steps[3].caption
    )
    assert steps[-1].tangent == 21.0
    assert forward_steps(f, seed=x2)[-1].tangent == 16.0


def test_forward_steps_without_seed_show_only_values():
    a, b, c, d = article_graph()
    steps = forward_steps(d)
    assert all(step.tangent is None for step in steps)
    assert steps[-1].caption == "d = a · v1 = -3.74"


def test_forward_seed_must_be_an_input_of_the_graph():
    a, b, c, d = article_graph()
    with pytest.raises(ValueError, match="one of the inputs"):
        forward_steps(d, seed=Value(1.0))
    with pytest.raises(ValueError, match="seed an input"):
        forward_steps(d, seed=d.parents[1])


def program(x, y):
    """Every kind of primitive, so each forward-caption rule runs (floats, Values, Duals)."""
    u = (x * y + am.sin(x)) / (1.0 + y**2)
    v = am.sigmoid(am.tanh(u) - am.exp(-x)) + am.abs(y) ** x
    return am.relu(am.sqrt(v) + am.log(x * x + 1.0)) * am.cos(y)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.2, 2.0),
    st.floats(-2.0, 2.0).filter(lambda y: abs(y) > 0.1),
    st.sampled_from(["x", "y"]),
)
def test_forward_tangent_equals_derivative_and_backward(x_value, y_value, which):
    x, y = Value(x_value, label="x"), Value(y_value, label="y")
    out = program(x, y)
    seed = x if which == "x" else y
    tangent = forward_steps(out, seed=seed)[-1].tangent
    if which == "x":
        expected = derivative(lambda t: program(t, y_value), x_value)
    else:
        expected = derivative(lambda t: program(x_value, t), y_value)
    assert tangent == pytest.approx(expected, rel=1e-12, abs=1e-12)
    steps = backward_steps(out)
    adjoints = adjoints_after(steps, len(steps) - 1)
    out.backward()
    assert adjoints[seed] == seed.grad
    assert tangent == pytest.approx(seed.grad, rel=1e-12, abs=1e-12)


UNARY = ["exp", "tanh", "sin", "cos", "sigmoid", "relu", "neg"]
BINARY = ["add", "sub", "mul"]


@st.composite
def random_graphs(draw):
    """A random graph of 1–3 inputs and up to 12 operations, reusing earlier nodes."""
    inputs = [
        Value(draw(st.floats(-2.0, 2.0)), label=f"x{i}") for i in range(draw(st.integers(1, 3)))
    ]
    nodes = list(inputs)
    for _ in range(draw(st.integers(1, 12))):
        left = nodes[draw(st.integers(0, len(nodes) - 1))]
        if draw(st.booleans()):
            name = draw(st.sampled_from(UNARY))
            nodes.append(-left if name == "neg" else getattr(left, name)())
        else:
            right = nodes[draw(st.integers(0, len(nodes) - 1))]
            name = draw(st.sampled_from(BINARY))
            nodes.append({"add": left + right, "sub": left - right, "mul": left * right}[name])
    return inputs, nodes[-1]


@settings(max_examples=60, deadline=None)
@given(random_graphs())
def test_steps_on_random_graphs_agree_with_backward(graph):
    inputs, out = graph
    steps = backward_steps(out)
    processed = [step.node for step in steps[1:]]
    assert len(steps) == 1 + sum(1 for node in topological_order([out]) if not node.is_leaf)
    assert len(set(processed)) == len(processed)
    adjoints = adjoints_after(steps, len(steps) - 1)
    graph_nodes = set(topological_order([out]))
    used = [leaf for leaf in inputs if leaf in graph_nodes]
    forward = {leaf: forward_steps(out, seed=leaf)[-1].tangent for leaf in used}
    for unused in set(inputs) - graph_nodes:
        with pytest.raises(ValueError, match="one of the inputs"):
            forward_steps(out, seed=unused)
    assert all(node.grad == 0.0 for node in topological_order([out]))
    out.backward()
    for node in topological_order([out]):
        assert adjoints.get(node, 0.0) == node.grad
    for leaf in used:
        assert forward[leaf] == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)
        assert [landing.total for landing in running_adjoint(steps, leaf)][-1:] in (
            [],
            [adjoints.get(leaf, 0.0)],
        )


# -- formatting ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (-1.7000000000000002, "-1.7"),
        (21, "21.0"),
        (1.0, "1.0"),
        (-0.0, "0.0"),
        (7.38905609893065, "7.389"),
        (1.5e-7, "1.5e-07"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
    ],
)
def test_format_number(number, text):
    assert format_number(number) == text


def test_tangent_names_put_a_dot_on_the_letter():
    assert tangent_name("a") == "a\u0307"
    assert tangent_name("x1") == "x\u03071"
    assert tangent_name("loss") == "(loss)\u0307"


# -- the Stepper -------------------------------------------------------------------


def test_stepper_moves_and_clamps_at_both_ends():
    stepper = Stepper(["first", "second", "third"])
    assert (stepper.index, stepper.current, stepper.at_start, stepper.at_end) == (
        0,
        "first",
        True,
        False,
    )
    assert stepper.previous() == "first" and stepper.index == 0
    assert stepper.next() == "second"
    assert not stepper.at_start and not stepper.at_end
    assert stepper.next() == "third" and stepper.at_end
    assert stepper.next() == "third" and stepper.index == 2
    assert stepper.go(-5) == "first" and stepper.index == 0
    assert stepper.go(99) == "third" and stepper.index == 2
    assert stepper.go(1) == "second" and len(stepper) == 3


def test_stepper_over_one_step_is_at_both_ends():
    stepper = Stepper(backward_steps(Value(1.0)))
    assert stepper.at_start and stepper.at_end and len(stepper) == 1


def test_stepper_needs_steps():
    with pytest.raises(ValueError, match="at least one step"):
        Stepper([])


def test_steps_module_does_not_import_ipywidgets():
    code = (
        "import sys, autodiff_lab.steps, autodiff_lab.training_steps, autodiff_lab.widgets; "
        "assert 'ipywidgets' not in sys.modules, 'steps imported ipywidgets'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
