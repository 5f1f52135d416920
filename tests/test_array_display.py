"""Recording array programs for display (`trace_arrays`) and drawing them.

Labels carry each node's name and shape, names follow the keywords, labels and
v1, v2, … numbering, gradients equal `autodiff_lab.grad`'s, and bad input gets
an error that names the problem.
"""

from __future__ import annotations

import html

import numpy as onp
import pytest

import autodiff_lab.numpy as np
from autodiff_lab import (
    ArrayGraph,
    Value,
    draw_array_graph,
    grad,
    label_array,
    trace_arrays,
)
from autodiff_lab.array_steps import array_text
from autodiff_lab.display.render import render_svg_with_backend
from autodiff_lab.text import shape_text

RNG = onp.random.default_rng(10)
X = RNG.normal(size=(100, 64))
W1 = RNG.normal(size=(64, 32)) * 0.1
B1 = RNG.normal(size=32) * 0.1
W2 = RNG.normal(size=(32, 10)) * 0.1
Y = RNG.integers(0, 10, size=100)
ROWS = onp.arange(100)


def mlp_loss(X, W1, b1, W2):
    H = label_array(np.tanh(X @ W1 + b1), "H")
    return -np.mean(np.log_softmax(H @ W2)[ROWS, Y])


def source(graph, **options) -> str:
    return html.unescape(draw_array_graph(graph, **options).source)


def test_every_box_carries_its_name_and_shape():
    graph = trace_arrays(mlp_loss, X=X, W1=W1, b1=B1, W2=W2)
    text = source(graph)
    for label in ("X (100×64)", "W1 (64×32)", "b1 (32)", "W2 (32×10)", "H (100×32)"):
        assert f"{{ {label} |" in text or f"{{ {label} }}" in text, label
    assert "v1 (100×32)" in text  # X @ W1
    assert "v3 (100×10)" in text  # H @ W2
    assert "(scalar)" in text  # the loss
    assert "0x" not in text  # no addresses
    assert graph.names == ["X", "W1", "b1", "W2", "v1", "v2", "H", "v3", "v4", "v5", "v6", "v7"]
    ops = [node.op.name for node in graph.nodes if node.op is not None]
    assert ops == ["matmul", "add", "tanh", "matmul", "log_softmax", "getitem", "mean", "neg"]
    assert "tooltip=matmul" in text and 'label="@"' in text


def test_shapes_are_the_arrays_shapes_at_every_node():
    graph = trace_arrays(mlp_loss, X=X, W1=W1, b1=B1, W2=W2)
    expected = {"v1": (100, 32), "v2": (100, 32), "H": (100, 32), "v3": (100, 10)}
    expected.update(v4=(100, 10), v5=(100,), v6=(), v7=())
    for name, shape in expected.items():
        assert graph.node(name).shape == shape
        assert f"{name} ({shape_text(shape)})" in source(graph)


def test_small_arrays_show_numbers_and_gradients_after_backward():
    a = onp.array([1.0, -2.0, 0.5])
    graph = trace_arrays(lambda a: np.sum(a * a), a=a)
    before = source(graph)
    assert "data [1, -2, 0.5]" in before and "grad" not in before
    graph.backward()
    after = source(graph)
    assert "grad [2, -4, 1]" in after  # d/da Σ a² = 2a
    onp.testing.assert_allclose(graph.grads["a"], 2 * a)
    big = trace_arrays(lambda X: np.sum(X), X=X)
    big.backward()
    assert "grad 100×64" in source(big) and "data" not in source(big).split("X (100×64)")[1][:8]


def test_constants_are_grey_boxes_with_their_number_and_no_grad():
    graph = trace_arrays(lambda x: np.sum(2.0 * x), x=onp.ones(3))
    graph.backward()
    text = source(graph)
    lines = [line for line in text.splitlines() if "#ececec" in line]
    assert len(lines) == 1 and 'label="{ 2 }"' in lines[0] and "grad" not in lines[0]
    onp.testing.assert_allclose(graph.grads["x"], 2.0 * onp.ones(3))


def test_gradients_equal_autodiff_lab_grad():
    graph = trace_arrays(mlp_loss, X=X, W1=W1, b1=B1, W2=W2)
    graph.backward()
    expected = grad(mlp_loss, argnums=(0, 1, 2, 3))(X, W1, B1, W2)
    for name, want in zip(("X", "W1", "b1", "W2"), expected):
        onp.testing.assert_allclose(graph.grads[name], want, rtol=1e-12, atol=1e-15)
    assert graph.grads["v7"] == 1.0  # the seed
    assert graph.grads["H"].shape == (100, 32)


def test_an_unused_input_is_drawn_and_gets_a_zero_gradient():
    graph = trace_arrays(lambda a, b: np.sum(a), a=onp.ones(2), b=onp.ones((2, 2)))
    graph.backward()
    assert graph.names[:2] == ["a", "b"]
    onp.testing.assert_array_equal(graph.grads["b"], onp.zeros((2, 2)))
    assert "b (2×2)" in source(graph)


def test_an_automatic_name_never_repeats_a_given_one():
    graph = trace_arrays(lambda v1, v2: np.sum(v1 * v2), v1=onp.ones(2), v2=onp.ones(2))
    assert len(set(graph.names)) == len(graph.names) == 4
    assert graph.names == ["v1", "v2", "v3", "v4"]


def test_label_array_outside_a_trace_does_nothing():
    # the same loss runs under grad, where label_array returns its argument
    value = grad(lambda a: np.sum(label_array(a * a, "sq")))(onp.array([3.0]))
    onp.testing.assert_allclose(value, [6.0])


def test_drawings_render_with_every_backend_and_the_mimebundle_never_raises():
    graph = trace_arrays(mlp_loss, X=X, W1=W1, b1=B1, W2=W2)
    svg, used = render_svg_with_backend(graph.draw(), backend="builtin")
    assert used == "builtin" and "X (100×64)" in html.unescape(svg)
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml", "text/plain"}
    assert bundle["text/plain"].startswith("<array graph of v7 (scalar): 12 nodes")
    assert "0x" not in bundle["text/plain"]


def test_array_text_rounds_small_arrays_and_names_large_ones_by_shape():
    assert array_text(onp.array([[1.23456, 2.0], [3.0, -0.000123456]])) == (
        "[[1.235, 2], [3, -0.0001235]]"
    )
    assert array_text(onp.zeros((2, 4))) == "2×4"
    assert array_text(onp.array(2.5)) == "2.5"
    assert shape_text(()) == "scalar" and shape_text((7,)) == "7"


# -- bad input ------------------------------------------------------------------------


def test_positional_inputs_are_refused():
    with pytest.raises(TypeError, match=r"names every input by its keyword.*2 positional"):
        trace_arrays(lambda a, b: np.sum(a * b), onp.ones(2), onp.ones(2))


def test_keywords_must_match_the_parameters():
    with pytest.raises(TypeError, match=r"f\(A=…\).*does not accept.*parameters"):
        trace_arrays(lambda X: np.sum(X), A=onp.ones(2))


@pytest.mark.parametrize(
    "bad, message",
    [
        ([1.0, 2.0], r"a must be a numpy array of numbers, got list"),
        (2.0, r"a must be a numpy array of numbers, got float"),
        (Value(2.0), r"got Value"),
        (onp.array([Value(1.0)], dtype=object), r"not of numbers.*scalar engine"),
        (onp.array(["x"]), r"not of numbers"),
    ],
)
def test_non_array_inputs_are_refused(bad, message):
    with pytest.raises(TypeError, match=message):
        trace_arrays(lambda a: np.sum(a), a=bad)


def test_a_traced_input_is_refused():
    def inner(a):
        trace_arrays(lambda b: np.sum(b), b=a)
        return np.sum(a)

    with pytest.raises(TypeError, match="already a traced array"):
        grad(inner)(onp.ones(2))


def test_a_label_that_clashes_with_an_input_or_another_label_is_refused():
    with pytest.raises(ValueError, match=r"name 'W'.*already taken"):
        trace_arrays(
            lambda X, W: np.sum(label_array(X @ W, "W")), X=onp.ones((1, 2)), W=onp.ones((2, 1))
        )

    def twice(a):
        label_array(a * 2.0, "h")
        return np.sum(label_array(a * 3.0, "h"))

    with pytest.raises(ValueError, match=r"name 'h'.*already taken"):
        trace_arrays(twice, a=onp.ones(2))

    def renamed(a):
        h = label_array(a * 2.0, "h")
        return np.sum(label_array(h, "k"))

    with pytest.raises(ValueError, match="already named 'h'"):
        trace_arrays(renamed, a=onp.ones(2))


def test_label_array_needs_a_traced_array():
    with pytest.raises(TypeError, match="must name an array computed from the traced inputs"):
        trace_arrays(lambda a: np.sum(a * label_array(onp.ones(2), "c")), a=onp.ones(2))


def test_a_result_that_ignores_the_inputs_is_refused():
    with pytest.raises(ValueError, match="does not depend on any of its inputs"):
        trace_arrays(lambda a: onp.ones(2), a=onp.ones(2))
    with pytest.raises(TypeError, match="check that f returns its result"):
        trace_arrays(lambda a: None, a=onp.ones(2))


def test_backward_of_a_non_scalar_needs_a_seed_of_the_output_shape():
    graph = trace_arrays(lambda A, B: A @ B, A=onp.ones((2, 3)), B=onp.ones((3, 2)))
    with pytest.raises(TypeError, match=r"needs a scalar output.*shape 2×2.*seed="):
        graph.backward()
    with pytest.raises(ValueError, match=r"seed has shape 3 but the output v1 has shape 2×2"):
        graph.backward(seed=onp.ones(3))
    assert graph.steps == () and graph.grads == {}  # a refused backward leaves nothing behind
    seed = onp.array([[1.0, 2.0], [3.0, 4.0]])
    graph.backward(seed=seed)
    onp.testing.assert_allclose(graph.grads["A"], seed @ onp.ones((3, 2)).T)


def test_errors_name_the_problem_for_draw_and_lookup():
    graph = trace_arrays(lambda a: np.sum(a), a=onp.ones(2))
    with pytest.raises(TypeError, match="needs an ArrayGraph"):
        draw_array_graph(Value(1.0))
    with pytest.raises(KeyError, match="no node is called 'z'; the names are a, v1"):
        graph.node("z")
    with pytest.raises(ValueError, match="rankdir"):
        graph.draw(rankdir="XY")
    assert isinstance(graph, ArrayGraph)


def test_a_derivative_pass_inside_f_is_recorded_and_its_labels_ignored():
    # f takes a gradient itself: the inner pass's nodes are not the drawn graph's,
    # so label_array leaves them alone; the inner backward pass is recorded here
    def f(a):
        inner = grad(lambda b: np.sum(label_array(b * b * b, "cube")))(a)  # 3a²
        return np.sum(label_array(inner, "slope"))

    a = onp.array([1.0, 2.0])
    graph = trace_arrays(f, a=a)
    assert "slope" in graph.names and "cube" not in graph.names
    graph.backward()
    onp.testing.assert_allclose(graph.grads["a"], 6 * a)  # d/da Σ 3a² = 6a


def test_an_input_may_be_called_f():
    graph = trace_arrays(lambda f: np.sum(f), f=onp.ones(2))
    assert graph.names == ["f", "v1"]


def test_highlights_and_labels_of_another_graph_are_ignored():
    graph = trace_arrays(lambda a: np.sum(a * 3.0), a=onp.ones(2))
    other = trace_arrays(lambda b: np.sum(b), b=onp.ones(2))
    a, product = graph.node("a"), graph.node("v1")
    text = source(graph, highlight=product, edge_labels={(other.node("b"), other.output, 0): "x"})
    assert text.count("#ffe9a8") == 2  # v1's box and its operation
    assert 'label="x"' not in text
    text = source(graph, highlight=(a, product, 0), edge_labels={(a, product, 0): "here"})
    assert 'label=here color="#d62728"' in text


def test_backward_twice_replaces_the_gradients_and_a_0d_input_works():
    graph = trace_arrays(lambda s, v: np.sum(s * v), s=onp.array(2.0), v=onp.array([1.0, 3.0]))
    graph.backward()
    graph.backward()  # not accumulated, unlike calling Value.backward() twice
    assert graph.grads["s"] == pytest.approx(4.0)
    onp.testing.assert_allclose(graph.grads["v"], [2.0, 2.0])
    assert "s (scalar)" in source(graph) and "data 2" in source(graph)


def test_an_error_inside_f_leaves_no_trace_under_way():
    def broken(a):
        label_array(a * 2.0, "h")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        trace_arrays(broken, a=onp.ones(2))
    x = onp.ones(2)
    assert label_array(x, "h") is x  # no trace is under way any more
