"""Paths from output to leaf: their products add up to the gradient."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab import Value
from autodiff_lab.display.paths import GradientPath, PathTable, count_paths, draw_path, paths

HIGHLIGHT = "#d62728"


def worked_example():
    """f = (x1 + x2)·(x1·x2) at (2, 3)."""
    x1, x2 = Value(2.0, label="x1"), Value(3.0, label="x2")
    s = x1 + x2
    p = x1 * x2
    f = s * p
    f.label = "f"
    return x1, x2, s, p, f


def test_worked_example_two_paths_six_and_fifteen():
    x1, x2, s, p, f = worked_example()
    table = paths(f, x1)
    assert isinstance(table, PathTable) and len(table) == 2
    through_sum, through_product = table
    assert through_sum.nodes[0] is f and through_sum.nodes[1] is s and through_sum.nodes[2] is x1
    assert through_sum.partials == (6.0, 1.0) and through_sum.product == 6.0  # ∂f/∂s = p
    assert through_product.nodes[1] is p
    assert through_product.partials == (5.0, 3.0) and through_product.product == 15.0
    assert table.total == 21.0
    f.backward()
    assert x1.grad == 21.0
    # ∂f/∂x2 = p·1 + s·x1 = 6 + 10
    assert [path.product for path in paths(f, x2)] == [6.0, 10.0]
    assert x2.grad == 16.0


def test_table_shows_each_product_and_the_running_sum():
    x1, *_, f = worked_example()
    table = paths(f, x1)
    assert table.rows() == [
        ("f → [+ 5] → x1: 6 × 1 = 6", "6", "6"),
        ("f → [* 6] → x1: 5 × 3 = 15", "15", "21"),
    ]
    text = repr(table)
    assert text.splitlines()[0] == "∂f/∂x1: 2 path(s), sum 21"
    assert text.splitlines()[-1].endswith("21")
    page = table._repr_html_()
    assert '<table style="white-space: nowrap">' in page and "<td>15</td><td>21</td>" in page
    assert "0x" not in text + page
    assert repr(table[0]) == "<path f → [+ 5] → x1: 6 × 1 = 6>"


def test_edge_cases_repeated_parent_absent_leaf_and_the_leaf_itself():
    x = Value(3.0, label="x")
    square = x * x
    assert [path.slots for path in paths(square, x)] == [(0,), (1,)]
    assert paths(square, x).total == 6.0
    other = Value(1.0, label="other")
    assert len(paths(square, other)) == 0 and paths(square, other).total == 0.0
    assert "does not depend" in repr(paths(square, other))
    (only,) = paths(x, x)
    assert only.product == 1.0 and only.partials == ()


def test_exponentially_many_paths_are_refused_with_an_explanation():
    x = Value(1.0, label="x")
    y = x
    for _ in range(14):
        y = y + y  # each step doubles the number of paths
    assert count_paths(y, x) == 2**14
    with pytest.raises(ValueError, match="backward"):
        paths(y, x)
    assert len(paths(y, x, max_paths=2**14)) == 2**14


def test_arguments_must_be_values():
    with pytest.raises(TypeError, match="leaf"):
        paths(Value(1.0), 1.0)
    with pytest.raises(TypeError, match="one path"):
        draw_path(Value(1.0), "path")


def test_draw_path_highlights_the_path_and_labels_its_partials():
    x1, x2, s, p, f = worked_example()
    second = paths(f, x1)[1]  # f → p → x1
    assert isinstance(second, GradientPath)
    source = draw_path(f, second).source
    lines = {line.strip().split(" [")[0]: line for line in source.splitlines()}
    # Topological positions: x1 n0, x2 n1, s n2, p n3, f n4.
    assert HIGHLIGHT in lines["n0 -> n3op"] and 'label="∂ 3"' in lines["n0 -> n3op"]
    assert HIGHLIGHT in lines["n3 -> n4op"] and 'label="∂ 5"' in lines["n3 -> n4op"]
    assert HIGHLIGHT not in lines["n2 -> n4op"]
    assert HIGHLIGHT not in lines["n1 -> n3op"]
    assert HIGHLIGHT not in lines["n2"]  # s is not on this path


OPERATIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "tanh": lambda a, b: a.tanh(),
    "sin": lambda a, b: (a * b).sin(),
    "sigmoid": lambda a, b: a.sigmoid(),
}


@given(
    inputs=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=10,
    ),
)
def test_path_sum_equals_the_gradient_on_random_graphs(inputs, steps):
    leaves = [Value(number, label=f"x{i}") for i, number in enumerate(inputs)]
    nodes = list(leaves)
    for name, first, second in steps:
        nodes.append(OPERATIONS[name](nodes[first % len(nodes)], nodes[second % len(nodes)]))
    output = nodes[-1]
    output.backward()
    for leaf in leaves:
        table = paths(output, leaf)
        assert len(table) == count_paths(output, leaf)
        assert math.isclose(table.total, leaf.grad, rel_tol=1e-9, abs_tol=1e-12)
