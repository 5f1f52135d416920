"""compare_methods: five derivatives of one function, with costs counted as they run."""

import math
import re
import sys
import types

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autodiff_lab
from autodiff_lab import math as admath
from autodiff_lab.display.compare import (
    CENTRAL_DIFFERENCE,
    FORWARD_DIFFERENCE,
    FORWARD_MODE,
    METHODS,
    REVERSE_MODE,
    SYMBOLIC,
    compare_methods,
)

EXACT = 3 * math.cos(2.25)  # d/dx sin(x²) at 1.5


def sin_of_square(x):
    return admath.sin(x**2)


def product_of_sum_and_product(x):
    return (x[0] + x[1]) * (x[0] * x[1])


def softmax(x):
    exps = np.exp(x)
    return exps / np.sum(exps)


def test_every_method_finds_the_slope_of_sin_of_x_squared():
    table = compare_methods(sin_of_square, 1.5)
    assert [row.method for row in table.rows] == list(METHODS)
    assert abs(table[FORWARD_DIFFERENCE].derivative - EXACT) < 1e-6
    assert abs(table[CENTRAL_DIFFERENCE].derivative - EXACT) < 1e-9
    for method in (FORWARD_MODE, REVERSE_MODE):
        assert abs(table[method].derivative - EXACT) <= 1e-12
        assert table[method].error <= 1e-12
    assert abs(table[SYMBOLIC].derivative - EXACT) <= 1e-12
    assert table.reference == "the symbolic derivative"
    # Forward differences are the worst, central ones next, autodiff exact to rounding.
    assert table[FORWARD_DIFFERENCE].error > table[CENTRAL_DIFFERENCE].error > 1e-14
    assert table[CENTRAL_DIFFERENCE].error > 100 * table[REVERSE_MODE].error


def test_errors_are_measured_against_the_exact_value_when_given():
    table = compare_methods(sin_of_square, 1.5, exact=EXACT)
    assert table.reference == "the exact value given"
    for row in table.rows:
        if row.available:
            assert row.error == pytest.approx(abs(row.derivative - EXACT), abs=1e-300)


def test_costs_match_a_hand_count():
    # (x1 + x2) * (x1 * x2): 3 operations, 5 nodes (2 inputs + 3 results), 6 edges.
    table = compare_methods(product_of_sum_and_product, [2.0, 3.0])
    assert (table.graph.operations, table.graph.nodes, table.graph.edges) == (3, 5, 6)
    for row in table.rows:
        if row.available:
            np.testing.assert_allclose(row.derivative, [21.0, 16.0], rtol=1e-6)
    forward_fd = table[FORWARD_DIFFERENCE]
    assert (forward_fd.evaluations, forward_fd.operations, forward_fd.nodes_kept) == (3, 9, 0)
    central_fd = table[CENTRAL_DIFFERENCE]
    assert (central_fd.evaluations, central_fd.operations) == (4, 12)
    forward = table[FORWARD_MODE]
    # Two passes, each applying 3 primitives and one tangent multiply-add per edge.
    assert (forward.evaluations, forward.backward_passes, forward.operations) == (2, 0, 2 * 9)
    assert forward.nodes_kept == 0
    reverse = table[REVERSE_MODE]
    assert (reverse.evaluations, reverse.backward_passes) == (1, 1)
    assert reverse.operations == 3 + 6  # forward pass + one multiply-add per edge
    assert reverse.nodes_kept == 5


def test_constants_count_as_graph_nodes():
    # sin(x ** 2): POWC and SIN, and the exponent 2 is a constant leaf beside x.
    table = compare_methods(sin_of_square, 1.5)
    assert (table.graph.operations, table.graph.nodes, table.graph.edges) == (2, 4, 3)
    assert table[REVERSE_MODE].operations == 2 + 3
    assert table[FORWARD_MODE].operations == 2 + 3


def test_both_modes_are_charged_the_same_arithmetic():
    # Lesson 01: for one input and one output the modes cost the same. Each pass,
    # forward or backward, pays one multiply-add per edge on top of the primitives.
    table = compare_methods(sin_of_square, 1.5)
    forward, reverse = table[FORWARD_MODE], table[REVERSE_MODE]
    assert forward.operations == reverse.operations == 5
    assert "both modes cost the same here" in str(table)
    # With n inputs and one output: n full forward passes against one of each.
    n = 6
    wide_in = compare_methods(lambda v: np.sum(v * v), np.ones(n))
    per_pass = wide_in.graph.operations + wide_in.graph.edges
    assert wide_in[FORWARD_MODE].operations == n * per_pass
    assert wide_in[REVERSE_MODE].operations == per_pass

    # With one input and m outputs: one forward pass against m backward passes.
    def curve(t):
        return np.array([t * t, admath.sin(t), admath.exp(t)])

    wide_out = compare_methods(curve, 0.5)
    graph = wide_out.graph
    assert wide_out[FORWARD_MODE].operations == graph.operations + graph.edges
    assert wide_out[REVERSE_MODE].operations == graph.operations + 3 * graph.edges


def test_only_keeps_the_columns_asked_for_and_their_notes():
    table = compare_methods(sin_of_square, 1.5).only("derivative", "error", "f evaluations")
    text = str(table)
    header = text.splitlines()[1]
    assert header.split() == ["method", "derivative", "error", "f", "evaluations"]
    assert "operations" not in text and "nodes kept" not in text
    assert "one pass per input" in text
    assert "white-space:nowrap" in table._repr_html_()
    with pytest.raises(ValueError, match="no column called 'speed'"):
        table.only("speed")


@given(st.integers(min_value=1, max_value=8))
def test_forward_mode_takes_one_pass_per_input_reverse_mode_one_in_all(n):
    x = np.linspace(0.1, 1.0, n)
    table = compare_methods(lambda v: np.sum(np.sin(v) * v), x)
    np.testing.assert_allclose(
        table[REVERSE_MODE].derivative, np.cos(x) * x + np.sin(x), rtol=1e-12
    )
    assert table[FORWARD_MODE].evaluations == n
    assert (table[REVERSE_MODE].evaluations, table[REVERSE_MODE].backward_passes) == (1, 1)
    assert table[FORWARD_DIFFERENCE].evaluations == n + 1
    assert table[CENTRAL_DIFFERENCE].evaluations == 2 * n
    assert table.n_inputs == n and table.n_outputs == 1


def test_reverse_mode_wins_for_many_inputs_and_one_output():
    table = compare_methods(lambda v: np.sum(v * v), np.arange(1.0, 11.0))
    assert table[REVERSE_MODE].operations < table[FORWARD_MODE].operations
    assert "fewer operations here: reverse mode" in str(table)


def test_forward_mode_wins_for_one_input_and_many_outputs():
    def curve(t):
        return np.array([t * t, admath.sin(t), admath.exp(t), t * t * t])

    table = compare_methods(curve, 0.5)
    expected = [1.0, math.cos(0.5), math.exp(0.5), 0.75]
    np.testing.assert_allclose(table[FORWARD_MODE].derivative, expected, rtol=1e-12)
    np.testing.assert_allclose(table[REVERSE_MODE].derivative, expected, rtol=1e-12)
    np.testing.assert_allclose(table[CENTRAL_DIFFERENCE].derivative, expected, rtol=1e-8)
    assert table[FORWARD_MODE].evaluations == 1
    assert table[REVERSE_MODE].backward_passes == 4
    assert table.n_outputs == 4
    assert table[FORWARD_MODE].operations < table[REVERSE_MODE].operations
    assert "fewer operations here: forward mode" in str(table)


def test_softmax_jacobian_from_every_method():
    x = np.array([1.0, 2.0, 0.5])
    s = np.exp(x) / np.exp(x).sum()
    expected = np.diag(s) - np.outer(s, s)
    table = compare_methods(softmax, x)
    for method in (FORWARD_MODE, REVERSE_MODE):
        np.testing.assert_allclose(table[method].derivative, expected, atol=1e-15)
    np.testing.assert_allclose(table[CENTRAL_DIFFERENCE].derivative, expected, atol=1e-9)
    assert table[FORWARD_MODE].evaluations == 3
    assert table[REVERSE_MODE].backward_passes == 3


def test_a_function_symbolic_cannot_trace_gets_n_a_and_a_reason():
    def branchy(x):
        return x * x if x > 0 else -x

    table = compare_methods(branchy, 1.5)
    symbolic = table[SYMBOLIC]
    assert symbolic.derivative is None and symbolic.error is None
    assert symbolic.note  # says why
    assert table.reference == "forward mode"
    assert table[REVERSE_MODE].derivative == 3.0
    assert "n/a" in str(table)


def fake_symbolic_module(symbol_factory):
    module = types.ModuleType("autodiff_lab.symbolic")
    module.symbols = symbol_factory
    return module


def test_a_tracing_failure_is_reported_not_raised(monkeypatch):
    class Opaque:
        """A stand-in symbol that supports no arithmetic at all."""

    fake = fake_symbolic_module(lambda name: Opaque())
    monkeypatch.setitem(sys.modules, "autodiff_lab.symbolic", fake)
    monkeypatch.setattr(autodiff_lab, "symbolic", fake, raising=False)
    table = compare_methods(sin_of_square, 1.5)
    assert not table[SYMBOLIC].available
    assert "could not be traced symbolically" in table[SYMBOLIC].note
    assert "TypeError" in table[SYMBOLIC].note
    assert table[FORWARD_MODE].derivative == pytest.approx(EXACT, abs=1e-15)


def test_symbolic_row_uses_the_symbolic_module():
    symbolic = pytest.importorskip("autodiff_lab.symbolic")
    table = compare_methods(sin_of_square, 1.5)
    row = table[SYMBOLIC]
    assert row.derivative == pytest.approx(EXACT, abs=1e-12)
    assert table.reference == "the symbolic derivative"
    x = symbolic.symbols("x")
    assert row.expression_size == symbolic.size(symbolic.diff(sin_of_square(x), x))
    gradient = compare_methods(product_of_sum_and_product, [2.0, 3.0])[SYMBOLIC]
    np.testing.assert_allclose(gradient.derivative, [21.0, 16.0], rtol=1e-12)
    x1, x2 = symbolic.symbols("x1"), symbolic.symbols("x2")
    f = product_of_sum_and_product([x1, x2])
    sizes = symbolic.size(symbolic.diff(f, x1)) + symbolic.size(symbolic.diff(f, x2))
    assert gradient.expression_size == sizes


def test_symbolic_formulas_swell_while_the_graph_grows_linearly():
    def nested(x, depth):
        for _ in range(depth):
            x = admath.sin(x * x + 1)
        return x

    shallow = compare_methods(lambda x: nested(x, 2), 0.3)
    deep = compare_methods(lambda x: nested(x, 4), 0.3)
    assert deep.graph.operations == 2 * shallow.graph.operations
    assert deep[SYMBOLIC].expression_size > 2 * shallow[SYMBOLIC].expression_size
    assert deep[SYMBOLIC].expression_size > 10 * deep.graph.nodes
    assert deep[SYMBOLIC].derivative == pytest.approx(deep[FORWARD_MODE].derivative, rel=1e-12)


def test_text_table_is_aligned_rounded_and_deterministic():
    text = str(compare_methods(softmax, [1.0, 2.0, 0.5]))
    assert text == repr(compare_methods(softmax, [1.0, 2.0, 0.5]))
    lines = text.splitlines()
    assert lines[0].startswith("f: R^3 → R^3 at x = [1, 2, 0.5]")
    header, rule, *rows = lines[1:8]
    # Every column ends where its header ends: right-aligned numbers under each title.
    ends = [match.end() for match in re.finditer(r"-+", rule)]
    for line in [header, *rows]:
        for end in ends[1:]:
            assert line[end - 1] != " ", line
    assert [row.split("  ")[0].strip() for row in rows[:5]] == list(METHODS)
    assert "0x" not in text
    assert all(len(number) < 12 for number in re.findall(r"\d+\.\d+", text))


def test_html_table_has_one_row_per_method_and_escapes_text():
    html = compare_methods(sin_of_square, 1.5)._repr_html_()
    assert html.count("<table>") == 1
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == len(METHODS)
    for method in METHODS:
        assert f">{method}</th>" in html
    assert "R → R" in html


def test_bad_inputs_are_explained():
    with pytest.raises(TypeError, match="compare_methods: x should be a number, a list of numbers"):
        compare_methods(sin_of_square, "one point five")
    with pytest.raises(TypeError, match="could not run f on Values"):
        compare_methods(lambda x: math.sin(x), 1.5)  # the math module only takes floats
    with pytest.raises(KeyError, match="reverse mode"):
        compare_methods(sin_of_square, 1.5)["backwards mode"]
