"""The Wengert list: rows, the three columns, and how the table prints."""

import doctest
import importlib
import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab import Value
from autodiff_lab.trace import Trace, TraceRow, trace

# autodiff_lab.trace, the attribute, is the function; the module is in sys.modules.
trace_module = importlib.import_module("autodiff_lab.trace")


def f_textbook(x1, x2):
    return (x1 + x2) * (x1 * x2)


def d_of(a, b, c):
    return a * (b + c)


def test_textbook_example_columns():
    t = trace(f_textbook, 2, 3)
    assert isinstance(t, Trace)
    assert [row.equation for row in t.rows] == [
        "v-1 = x1",
        "v0 = x2",
        "v1 = v-1 + v0",
        "v2 = v-1 * v0",
        "v3 = v1 * v2",
    ]
    assert [row.primal for row in t.rows] == [2, 3, 5, 6, 30]
    # ∂/∂x1 of (x1 + x2)·x1·x2 = x2·(2·x1 + x2) = 21 at (2, 3)
    assert [row.tangent for row in t.rows] == [1, 0, 1, 3, 21]
    assert t.output is t.rows[-1]
    assert t.output.tangent == 21
    # adjoints of the inputs are the gradient: (21, x1·(x1 + 2·x2) = 16)
    assert (t.rows[0].adjoint, t.rows[1].adjoint) == (21, 16)
    assert [row.adjoint for row in t.rows[2:]] == [6, 5, 1]


def test_seed_selects_the_tangent_direction():
    along_x2 = trace(f_textbook, 2, 3, seed=(0, 1))
    assert along_x2.output.tangent == 16
    diagonal = trace(f_textbook, 2, 3, seed=[1, 1])
    assert diagonal.output.tangent == 21 + 16
    # the adjoint column does not depend on the seed
    assert [r.adjoint for r in diagonal.rows] == [r.adjoint for r in along_x2.rows]


def test_rows_for_d_equals_a_times_b_plus_c():
    t = trace(d_of, 2.2, -1.8, 0.1)
    assert [row.name for row in t.rows] == ["v-2", "v-1", "v0", "v1", "v2"]
    assert [row.expression for row in t.rows] == ["a", "b", "c", "v-1 + v0", "v-2 * v1"]
    assert [row.operation for row in t.rows] == ["input", "input", "input", "add", "mul"]
    assert t.row("v2").arguments == ("v-2", "v1")
    assert t.output.primal == pytest.approx(2.2 * (-1.8 + 0.1))
    adjoints = [row.adjoint for row in t.rows]
    assert adjoints == pytest.approx([-1.7, 2.2, 2.2, 2.2, 1.0])


def test_constants_are_inline_and_functions_are_named():
    t = trace(lambda x: (x * 2).exp() - 3 / x + x**2 - x * -1.5, 0.5)
    assert [row.equation for row in t.rows] == [
        "v0 = x",
        "v1 = v0 * 2",
        "v2 = exp(v1)",
        "v3 = 3 / v0",
        "v4 = v2 - v3",
        "v5 = v0 ** 2",
        "v6 = v4 + v5",
        "v7 = v0 * (-1.5)",
        "v8 = v6 - v7",
    ]
    x = 0.5
    derivative = 2 * math.exp(2 * x) + 3 / x**2 + 2 * x + 1.5
    assert t.output.tangent == pytest.approx(derivative)
    assert t.rows[0].adjoint == pytest.approx(derivative)


def test_unary_minus_and_two_argument_power():
    t = trace(lambda x, y: -(x**y), 2.0, 3.0)
    assert [row.expression for row in t.rows[2:]] == ["v-1 ** v0", "-v1"]
    assert t.rows[1].adjoint == pytest.approx(-8 * math.log(2))


@given(
    x=st.floats(-2, 2),
    y=st.floats(0.1, 2),
    seed=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
)
def test_columns_agree_with_analytic_gradient(x, y, seed):
    def f(x, y):
        return (x * y).sin() + (x / y).exp() * y.log()

    t = trace(f, x, y, seed=seed)
    gradient = (
        y * math.cos(x * y) + math.exp(x / y) * math.log(y) / y,
        x * math.cos(x * y) - x / y**2 * math.exp(x / y) * math.log(y) + math.exp(x / y) / y,
    )
    assert t.output.primal == pytest.approx(math.sin(x * y) + math.exp(x / y) * math.log(y))
    assert (t.rows[0].adjoint, t.rows[1].adjoint) == pytest.approx(gradient, rel=1e-9, abs=1e-9)
    directional = seed[0] * gradient[0] + seed[1] * gradient[1]
    assert t.output.tangent == pytest.approx(directional, rel=1e-9, abs=1e-9)


def test_a_reused_node_sums_both_adjoint_paths():
    def f(x):
        square = x * x
        return square.sin() * square

    t = trace(f, 1.2)
    square = t.row("v1")
    assert square.expression == "v0 * v0"
    assert t.output.expression == "v2 * v1"
    u = 1.44
    assert square.adjoint == pytest.approx(math.cos(u) * u + math.sin(u))
    assert t.rows[0].adjoint == pytest.approx(square.adjoint * 2 * 1.2)


def test_text_table_is_exact():
    expected = "\n".join(
        [
            "                primal  tangent  adjoint",
            "v-1 = x1             2        1       21",
            "v0  = x2             3        0       16",
            "v1  = v-1 + v0       5        1        6",
            "v2  = v-1 * v0       6        3        5",
            "v3  = v1 * v2       30       21        1",
            "output v3; tangent along seed (1, 0); adjoint = ∂v3/∂row",
        ]
    )
    t = trace(f_textbook, 2, 3)
    assert str(t) == expected
    assert repr(t) == expected


def test_text_rounds_to_four_significant_digits():
    t = trace(lambda x: x.exp(), 1.0)
    assert str(t).splitlines()[2].split() == ["v1", "=", "exp(v0)", "2.718", "2.718", "1"]
    assert "0x" not in str(t)


def test_html_table_and_highlight():
    t = trace(d_of, 2.2, -1.8, 0.1)
    page = t._repr_html_()
    assert page.startswith('<table class="autodiff-trace" style="white-space: nowrap">')
    assert page.endswith("</table>")
    assert page.count("<tr") == 1 + len(t.rows)
    assert "trace-highlight" not in page

    marked = t.to_html(highlight="v1")
    highlighted = [line for line in marked.splitlines() if "trace-highlight" in line]
    assert len(highlighted) == 1
    assert "<td>v1</td>" in highlighted[0] and "style=" in highlighted[0]
    assert t.to_html(highlight=3) == marked
    assert t.to_html(highlight=-2) == marked


def test_html_part_way_through_a_sweep():
    t = trace(f_textbook, 2, 3)
    assert t.to_html(filled=None) == t.to_html() == t.to_html(filled={})
    page = t.to_html(highlight="v1", filled={"primal": ["v-1", "v0", 2], "adjoint": []})
    rows = [line for line in page.splitlines() if line.startswith("<tr class")]
    cells = [re.findall(r'<td[^>]*style="text-align: right[^"]*">([^<]*)</td>', r) for r in rows]
    # primal known for three rows; tangent not named, so shown in full; no adjoint yet
    assert cells == [
        ["2", "1", "?"],
        ["3", "0", "?"],
        ["5", "1", "?"],
        ["?", "3", "?"],
        ["?", "21", "?"],
    ]
    assert page.count('class="trace-unknown"') == 7
    assert "trace-highlight" in rows[2]
    assert t.to_html(filled={"adjoint": range(5)}) == t.to_html()


def test_bad_filled_columns_and_rows():
    t = trace(f_textbook, 2, 3)
    with pytest.raises(ValueError, match="columns are primal, tangent, adjoint; got 'grad'"):
        t.to_html(filled={"grad": [0]})
    with pytest.raises(TypeError, match="as a list"):
        t.to_html(filled={"primal": "v1"})
    with pytest.raises(KeyError, match="no row 'v7'"):
        t.to_html(filled={"primal": ["v7"]})
    with pytest.raises(IndexError, match="filled=5 is outside"):
        t.to_html(filled={"tangent": [5]})


def test_html_escapes_expressions():
    t = trace(lambda a, b: a * b, 1.0, 2.0)
    assert "<code>v-1 * v0</code>" in t.to_html()
    lt = trace(lambda x: x, 1.0)
    assert "&lt;" not in lt.to_html()


def test_bad_highlight():
    t = trace(f_textbook, 2, 3)
    with pytest.raises(KeyError, match="no row 'v9'"):
        t.to_html(highlight="v9")
    with pytest.raises(IndexError, match="outside"):
        t.to_html(highlight=5)


def test_identity_function_is_a_trace_of_inputs():
    t = trace(lambda x, y: y, 1.0, 2.0)
    assert [row.name for row in t.rows] == ["v-1", "v0"]
    assert t.output.name == "v0"
    assert (t.rows[0].adjoint, t.rows[1].adjoint) == (0.0, 1.0)
    assert t.output.tangent == 0.0


def test_names_fall_back_to_x1_xn():
    t = trace(lambda *xs: xs[0] * xs[1], 4.0, 5.0)
    assert [row.expression for row in t.rows[:2]] == ["x1", "x2"]


def test_unused_input_still_has_a_row():
    t = trace(lambda x, y: x.sin(), 0.0, 7.0)
    assert t.row("v0").adjoint == 0.0
    assert t.output.tangent == pytest.approx(1.0)


def test_values_from_outside_show_their_label_and_keep_their_grad():
    weight = Value(3.0, label="w")
    weight.grad = 0.25
    bias = Value(-1.0)
    t = trace(lambda x: weight * x + bias, 2.0)
    assert [row.equation for row in t.rows] == ["v0 = x", "v1 = w * v0", "v2 = v1 + (-1)"]
    assert t.rows[0].adjoint == 3.0
    assert (weight.grad, bias.grad) == (0.25, 0.0)


def test_plain_number_output_is_explained():
    with pytest.raises(TypeError, match="does not depend on its inputs"):
        trace(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="does not depend on its inputs"):
        trace(lambda x: x.data.primal * 2, 1.0)
    with pytest.raises(TypeError, match="does not depend on its inputs"):
        trace(lambda x: Value(2.0), 1.0)


def test_vector_output_is_refused():
    with pytest.raises(TypeError, match="2 values as a list"):
        trace(lambda x, y: [x, y], 1.0, 2.0)
    with pytest.raises(TypeError, match="3 values as a ndarray"):
        trace(lambda x: np.array([x, x, x]), 1.0)


def test_bad_inputs_and_seed():
    with pytest.raises(TypeError, match="at least one input"):
        trace(lambda: 1.0)
    with pytest.raises(TypeError, match="input 2 should be a number"):
        trace(f_textbook, 1.0, "two")
    with pytest.raises(ValueError, match="seed should be 2 number"):
        trace(f_textbook, 1.0, 2.0, seed=(1.0,))


def test_rows_are_immutable():
    row = trace(f_textbook, 2, 3).rows[0]
    assert isinstance(row, TraceRow)
    with pytest.raises(AttributeError):
        row.primal = 5.0


def test_module_doctest():
    failures, _ = doctest.testmod(trace_module)
    assert failures == 0
