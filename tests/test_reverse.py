"""Reverse mode: the graph a `Value` records and PyTorch-like semantics of `backward()`."""

from __future__ import annotations

import gc
import math
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autodiff_lab import AnomalyError, Dual, Value, detect_anomaly, no_grad
from autodiff_lab.reverse import backpropagate, describe, topological_order, walk
from autodiff_lab.rules import ADD, MUL, POWC

# ---------------------------------------------------------------------------
# Every path counts


def test_a_node_used_twice_gets_both_contributions():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_a_reused_interior_node_sums_its_children_before_passing_on():
    a = Value(1.5)
    b = a + a
    c = b * b
    c.backward()
    assert c.data == 9.0
    assert b.grad == 2 * b.data  # dc/db = 2b
    assert a.grad == 8 * a.data  # dc/da = 2b · 2 = 8a


@pytest.mark.parametrize("order", ["child first", "parent first"])
def test_an_interior_node_waits_for_every_consumer(order):
    # b = 3x feeds both (b + 1) and the final product: the product must hand
    # b its share before b passes anything on, whichever operand comes first.
    x = Value(2.0)
    b = x * 3
    a = b + 1
    r = a * b if order == "child first" else b * a
    r.backward()
    assert x.grad == 18 * 2.0 + 3  # d/dx (3x + 1)(3x) = 18x + 3
    assert b.grad == a.data + b.data


def _run_program(program, inputs):
    """Evaluate a straight-line program: each step combines two earlier results.

    Operands are counted back from the newest result, so programs reuse recent
    interior nodes often: the shape that needs a correct topological order.
    """
    results = list(inputs)
    for operation, i, j in program:
        left = results[max(0, len(results) - 1 - i)]
        right = results[max(0, len(results) - 1 - j)]
        if operation == "add":
            results.append(left + right)
        elif operation == "sub":
            results.append(left - right)
        elif operation == "mul":
            results.append(left * right)
        elif operation == "div":
            results.append(left / (right * right + 1.0))
        else:
            results.append(getattr(left, operation)())
    return results[-1]


_PROGRAMS = st.lists(
    st.tuples(
        st.sampled_from(["add", "sub", "mul", "div", "sin", "tanh", "sigmoid", "exp"]),
        st.integers(0, 4),
        st.integers(0, 4),
    ),
    min_size=1,
    max_size=14,
)


@given(
    program=_PROGRAMS,
    point=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3),
)
def test_reverse_mode_agrees_with_forward_mode_on_random_graphs(program, point):
    leaves = [Value(x) for x in point]
    output = _run_program(program, leaves)
    assume(isinstance(output, Value) and math.isfinite(output.data) and abs(output.data) < 1e8)
    output.backward()
    for k in range(len(point)):
        duals = [Dual(x, 1.0 if i == k else 0.0) for i, x in enumerate(point)]
        tangent = _run_program(program, duals).tangent
        assert leaves[k].grad == pytest.approx(tangent, rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------------
# Accumulation, as in PyTorch (and without micrograd's double counting)


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0
    (x * x).backward()
    assert x.grad == 8.0
    (x * 3).backward()
    assert x.grad == 11.0
    x.zero_grad()
    assert x.grad == 0.0


def test_backward_twice_adds_the_same_gradient_again_and_no_more():
    a, b = Value(2.0), Value(3.0)
    ab = a * b
    inner = ab + a
    e = inner**2
    e.backward()
    first = (a.grad, b.grad)
    assert first == (64.0, 32.0)
    interior_first = (ab.grad, inner.grad, e.grad)
    e.backward()
    # Leaves get exactly the same gradient added again. Interior nodes start
    # from zero each pass, so a stale adjoint is never fed back in (micrograd
    # would give a.grad = 64 + 64 + ... more on the second pass).
    assert (a.grad, b.grad) == (128.0, 64.0)
    assert (ab.grad, inner.grad, e.grad) == interior_first == (16.0, 16.0, 1.0)


def test_interior_nodes_keep_the_adjoints_of_the_last_pass():
    x = Value(0.5)
    hidden = x.tanh()
    loss = hidden * 4.0
    loss.backward()
    assert hidden.grad == 4.0
    other = hidden * 10.0
    other.backward()
    assert hidden.grad == 10.0  # this pass's adjoint, not 4 + 10
    assert x.grad == pytest.approx(14.0 * (1 - math.tanh(0.5) ** 2))


def test_backward_from_a_leaf_seeds_it_with_one():
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_zero_grad_clears_the_whole_graph():
    a, b = Value(1.0), Value(2.0)
    c = (a * b).exp()
    c.backward()
    c.zero_grad()
    assert all(node.grad == 0.0 for node in walk(c))


def test_backpropagate_handles_several_roots_at_once():
    x = Value(2.0)
    y1 = x * 2
    y2 = y1 * 3  # y1 is both an output and an input of y2
    backpropagate([y1, y2], [1.0, 10.0])
    assert y1.grad == 1.0 + 30.0
    assert x.grad == 2 * 31.0


def test_backward_needs_a_value():
    with pytest.raises(TypeError, match="backward\\(\\) needs a Value output, got float"):
        backpropagate([1.0], [1.0])


# ---------------------------------------------------------------------------
# Stopping the flow


def test_detach_stops_gradient_flow():
    x = Value(2.0, label="x")
    frozen = x.detach()
    assert frozen.is_leaf and frozen.data == 2.0 and frozen.label == "x" and frozen is not x
    z = (x * x).detach() * x
    z.backward()
    assert x.grad == 4.0  # only the direct path


def test_no_grad_records_nothing_and_restores_itself():
    x = Value(3.0)
    with no_grad():
        y = x * x + 1
        with no_grad():
            pass
        z = x * 2  # still off after the nested block
    assert y.is_leaf and y.parents == () and y.data == 10.0 and z.is_leaf
    y.backward()
    assert x.grad == 0.0
    assert not (x * x).is_leaf

    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert not (x * x).is_leaf


# ---------------------------------------------------------------------------
# In-place changes make a recorded graph stale


def test_setting_data_after_use_makes_backward_refuse_and_names_the_node():
    x = Value(2.0, label="x")
    y = x * x
    x.data = 3.0
    with pytest.raises(RuntimeError, match=r'"x" \(data 3\.0\) had its \.data changed') as info:
        y.backward()
    assert "Recompute the forward pass" in str(info.value)
    assert x.grad == 0.0  # nothing was half-done
    fresh = x * x
    fresh.backward()
    assert x.grad == 6.0


def test_changing_an_interior_node_is_caught_too():
    x = Value(1.0)
    y = x * 2
    z = y * 3
    y.data = 10.0
    with pytest.raises(RuntimeError, match="a mul node with data 10.0"):
        z.backward()


def test_setting_data_before_use_is_fine():
    x = Value(2.0)
    x.data = 5
    assert x.data == 5.0 and type(x.data) is float
    y = x * x
    y.backward()
    assert x.grad == 10.0


def test_a_refused_assignment_changes_nothing():
    x = Value(2.0)
    y = x * x
    with pytest.raises(TypeError, match=r"Value\.data needs a real number, got str"):
        x.data = "three"
    with pytest.raises(TypeError, match=r"use value\.data or value\.detach\(\)"):
        x.data = Value(3.0)
    assert x.data == 2.0
    y.backward()  # the graph is still valid
    assert x.grad == 4.0


# ---------------------------------------------------------------------------
# Anomaly mode


def test_anomaly_mode_names_the_forward_operation():
    with (
        detect_anomaly(),
        pytest.raises(AnomalyError, match=r"forward pass: log\(0\.0\) gave -inf"),
    ):
        Value(0.0, label="z").log()
    with detect_anomaly(), pytest.raises(AnomalyError, match=r'div\(1\.0, 0\.0\).*"d"'):
        Value(1.0) / Value(0.0, label="d")
    assert Value(0.0).log().data == -math.inf  # off again outside the block


def test_anomaly_mode_names_the_backward_operation():
    def build():
        x = Value(0.0, label="x")
        return x, x.sqrt() * 0.0  # forward is finite; backward gives 0 · inf

    x, out = build()
    out.backward()
    assert math.isnan(x.grad)
    x, out = build()
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        out.backward()
    message = str(info.value)
    assert message.startswith("backward pass: sqrt gave nan")
    assert "upstream 0.0 × local inf" in message and '"x"' in message
    assert isinstance(info.value, FloatingPointError)


def test_anomaly_mode_is_restored_after_an_error():
    with pytest.raises(AnomalyError), detect_anomaly():
        Value(-1.0).sqrt()
    assert math.isnan(Value(-1.0).sqrt().data)


# ---------------------------------------------------------------------------
# Walking the graph


def test_walk_visits_every_node_once():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + c
    e = d * a
    nodes = list(walk(e))
    assert len(nodes) == len(set(map(id, nodes))) == 5
    assert {id(n) for n in nodes} == {id(n) for n in (a, b, c, d, e)}


def test_topological_order_puts_parents_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = (c + a).tanh()
    e = d * c
    f = e + b
    order = topological_order([f, d])
    position = {id(node): i for i, node in enumerate(order)}
    assert len(order) == len(position) == 7
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_describe_names_a_node_for_messages():
    assert describe(Value(1.0, label="w")) == '"w" (data 1.0)'
    assert describe(Value(1.0) * 2) == "a mul node with data 2.0"
    assert describe(Value(3.0)) == "a leaf node with data 3.0"


def test_constants_become_leaves_in_the_graph():
    x = Value(2.0)
    y = x * 2
    assert y.op is MUL and y.parents[0] is x and y.parents[1].data == 2.0
    assert y.local_partials == (2.0, 2.0)
    z = 1 + x
    assert z.op is ADD and z.parents[1] is x and z.parents[0].is_leaf
    w = x**3
    assert w.op is POWC and w.local_partials == (12.0, 0.0)


@pytest.mark.slow
def test_a_million_node_chain_needs_no_recursion():
    """backward, repr, walk, topological_order and zero_grad on a 1,000,000-node chain."""
    # Python recursion stops at about 1000 frames: any recursive walk fails here.
    length = 1_000_000
    x = Value(0.5, label="x")
    y = x
    for i in range(length):
        y = -y if i % 2 else y.sin()
    y.backward()
    assert y.grad == 1.0
    assert 0.0 < x.grad < 1.0  # a product of cosines
    assert repr(y).startswith("Value(data=")
    assert sum(1 for _ in walk(y)) == length + 1
    order = topological_order([y])
    assert len(order) == length + 1 and order[0] is x and order[-1] is y
    del order
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0

    # Without reference cycles the chain is freed by reference counting alone,
    # and freeing it must not recurse either.
    gc.collect()
    gc.disable()
    try:
        before = sum(1 for obj in gc.get_objects() if type(obj) is Value)
        del y
        after = sum(1 for obj in gc.get_objects() if type(obj) is Value)
    finally:
        gc.enable()
    assert before - after == length
    assert x.data == 0.5


# ---------------------------------------------------------------------------
# Comparisons, formatting, errors


def test_comparisons_look_at_the_data():
    small, large = Value(1.0), Value(2.0)
    assert small < large and small <= 1 and large > 1.5 and large >= small
    assert small == 1.0 and small == Value(1.0) and small != large and small != 3
    assert sorted([large, small])[0] is small
    assert max([small, large]) is large
    assert (small == "a") is False
    # Equal data does not make nodes the same node: they stay distinct in sets.
    assert len({Value(1.0), Value(1.0)}) == 2


def test_branching_on_a_value_records_only_the_taken_branch():
    def f(x):
        return x * x if x > 0 else -x

    positive, negative = Value(3.0), Value(-3.0)
    f(positive).backward()
    f(negative).backward()
    assert (positive.grad, negative.grad) == (6.0, -1.0)


def test_format_and_repr():
    v = Value(1.23456789, label="w")
    assert f"{v:.2f}" == "1.23"
    assert f"{v:>8.3f}" == "   1.235"
    assert f"{v}" == repr(v) == "Value(data=1.23457, grad=0.0, label='w')"
    assert repr(Value(3)) == "Value(data=3.0, grad=0.0)"
    assert repr(Value(1e-20)) == "Value(data=1e-20, grad=0.0)"
    assert repr(Value(math.nan)) == "Value(data=nan, grad=0.0)"
    for shown in (repr(v), repr(v * v), str(v), repr(Value(Dual(1.0, 2.0)))):
        assert not re.search(r"0x[0-9a-f]+", shown)


def test_pos_abs_and_reflected_operators():
    x = Value(-2.0)
    assert +x is x
    assert abs(x).data == 2.0
    assert (2 - x).data == 4.0 and (2 / x).data == -1.0 and (2**-x).data == 4.0
    y = Value(3.0)
    out = 2**y
    out.backward()
    assert y.grad == pytest.approx(8 * math.log(2))


def test_numpy_arrays_broadcast_over_values():
    x = Value(2.0)
    result = x * np.array([1.0, 2.0, 3.0])
    assert result.dtype == object and [r.data for r in result] == [2.0, 4.0, 6.0]
    np.sum(result).backward()
    assert x.grad == 6.0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Value(1.0) + "a", r"add \(\+\): cannot combine a Value with str \('a'\)"),
        (lambda: "a" * Value(1.0), r"mul \(\*\): cannot combine a Value with str"),
        (lambda: Value(1.0) ** None, r"pow \(\*\*\): cannot combine a Value with NoneType"),
        (lambda: Value("a"), r"Value\(\) needs a real number, got str \('a'\)"),
        (lambda: Value([1.0]), r"Value\(\) needs a real number, got list"),
        (lambda: Value(Value(1.0)), r"Value\(\) needs a number, got a Value"),
    ],
)
def test_type_errors_name_the_operation_and_the_type(make, message):
    with pytest.raises(TypeError, match=message):
        make()


def test_an_int_too_large_for_a_float_rounds_to_infinity_as_ieee_says():
    import autodiff_lab.math as admath
    from autodiff_lab import Dual

    assert Value(10**400).data == math.inf
    assert Value(-(10**400)).data == -math.inf
    assert (Value(2.0) * 10**400).data == math.inf
    assert admath.exp(10**400) == math.inf
    assert (Dual(1.0, 1.0) * -(10**400)).primal == -math.inf
