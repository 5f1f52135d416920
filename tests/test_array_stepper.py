"""ArrayBackwardStepper: each step is one VJP of the engine's own backward pass.

For a small tanh MLP with a softmax cross-entropy loss every step's gradient
is checked against `autodiff_lab.grad` of the rest of the program and against
PyTorch (float64, ``retain_grad``); captions carry the formula and the shapes;
the nodes do not move between steps, with every rendering backend.
"""

from __future__ import annotations

import re

import numpy as onp
import pytest
from test_stepper_layout import BACKENDS, assert_nodes_stay_put
from test_widgets import highlighted_node_titles

import autodiff_lab.numpy as np
from autodiff_lab import Value, grad, label_array, trace_arrays
from autodiff_lab.array_steps import array_backward_steps
from autodiff_lab.display.render import render_svg_with_backend
from autodiff_lab.steps import gradients_after
from autodiff_lab.widgets import ArrayBackwardStepper

RNG = onp.random.default_rng(16)
N, D, HIDDEN, K = 6, 4, 5, 3
X = RNG.normal(size=(N, D))
W1 = RNG.normal(size=(D, HIDDEN))
B1 = RNG.normal(size=HIDDEN)
W2 = RNG.normal(size=(HIDDEN, K))
B2 = RNG.normal(size=K)
Y = onp.array([0, 2, 1, 1, 0, 2])
ROWS = onp.arange(N)
INPUTS = {"X": X, "W1": W1, "b1": B1, "W2": W2, "b2": B2}


def head(H, W2, b2):
    """The program from H on: the logits and the mean cross-entropy."""
    Z2 = label_array(H @ W2 + b2, "Z2")
    return label_array(-np.mean(np.log_softmax(Z2)[ROWS, Y]), "L")


def loss(X, W1, b1, W2, b2):
    Z1 = label_array(X @ W1 + b1, "Z1")
    H = label_array(np.tanh(Z1), "H")
    return head(H, W2, b2)


def torch_gradients() -> dict:
    """∂L/∂node for every node, by PyTorch, written op for op as `loss` records them."""
    torch = pytest.importorskip("torch")
    found = {name: torch.tensor(value, requires_grad=True) for name, value in INPUTS.items()}
    found["v1"] = found["X"] @ found["W1"]
    found["Z1"] = found["v1"] + found["b1"]
    found["H"] = torch.tanh(found["Z1"])
    found["v2"] = found["H"] @ found["W2"]
    found["Z2"] = found["v2"] + found["b2"]
    found["v3"] = torch.log_softmax(found["Z2"], dim=-1)
    found["v4"] = found["v3"][torch.tensor(ROWS), torch.tensor(Y)]
    found["v5"] = found["v4"].mean()
    found["L"] = -found["v5"]
    cross_entropy = torch.nn.functional.cross_entropy(found["Z2"], torch.tensor(Y))
    assert found["L"].item() == pytest.approx(cross_entropy.item(), rel=1e-15)
    for name, tensor in found.items():
        if name not in INPUTS:
            tensor.retain_grad()
    found["L"].backward()
    return {name: tensor.grad.numpy() for name, tensor in found.items()}


@pytest.fixture(scope="module")
def graph():
    return trace_arrays(loss, **INPUTS)


@pytest.fixture(scope="module")
def stepper(graph):
    return ArrayBackwardStepper(graph, prefetch=False)


def test_one_step_per_operation_after_the_seed(graph, stepper):
    operations = [node for node in graph.nodes if node.op is not None]
    assert len(stepper.state) == 1 + len(operations) == 1 + 9
    steps = stepper.state.steps
    assert steps[0].is_seed and steps[0].node is graph.output and steps[0].shares == ()
    # reverse topological order: every node is processed after all of its users
    position = {id(node): k for k, node in enumerate(graph.nodes)}
    order = [position[id(step.node)] for step in steps[1:]]
    assert order == sorted(order, reverse=True)
    assert graph.names == [*INPUTS, "v1", "Z1", "H", "v2", "Z2", "v3", "v4", "v5", "L"]
    names = [graph.name(step.node) for step in steps]
    assert names == ["L", "L", "v5", "v4", "v3", "Z2", "v2", "H", "Z1", "v1"]


def test_every_step_matches_torch_and_autodiff_lab_grad(graph, stepper):
    expected = torch_gradients()
    steps = stepper.state.steps
    # every interior node: the complete gradient its step starts from
    by_name = {graph.name(step.node): step.upstream for step in steps}
    assert set(by_name) == set(graph.names) - set(INPUTS)
    for name, upstream in by_name.items():
        onp.testing.assert_allclose(upstream, expected[name], rtol=1e-10, atol=1e-13)
    assert by_name["L"] == 1.0
    # the same, from autodiff_lab.grad of the rest of the program
    H = onp.tanh(X @ W1 + B1)
    onp.testing.assert_allclose(by_name["H"], grad(head)(H, W2, B2), rtol=1e-12, atol=1e-15)
    # the inputs: the totals after the last step
    final = gradients_after(steps, len(steps) - 1)
    by_grad = grad(loss, argnums=(0, 1, 2, 3, 4))(X, W1, B1, W2, B2)
    for (name, leaf), want in zip(graph.inputs.items(), by_grad):
        onp.testing.assert_allclose(final[leaf], want, rtol=1e-12, atol=1e-15)
        onp.testing.assert_allclose(final[leaf], expected[name], rtol=1e-10, atol=1e-13)


def test_each_share_is_the_vjp_the_engine_sends(graph, stepper):
    for step in stepper.state.steps[1:]:
        assert [share.parent for share in step.shares] == list(step.node.parents)
        for share in step.shares:
            assert share.share.shape == share.parent.shape
    # b1's share is ḡ summed over the rows broadcasting added
    step = next(s for s in stepper.state.steps if graph.name(s.node) == "Z1")
    b1_share = next(share for share in step.shares if graph.name(share.parent) == "b1")
    onp.testing.assert_allclose(b1_share.share, step.upstream.sum(axis=0))


def test_captions_carry_primitive_formula_and_shapes(graph, stepper):
    captions = {graph.name(step.node): step.caption for step in stepper.state.steps[1:]}
    assert captions["v1"].splitlines() == [
        "v1 = matmul(X, W1) sends ḡ (6×5) back to its inputs:",
        "matmul: ā = ḡ·Bᵀ  (6×5)·(5×4) → 6×4, to X",
        "matmul: b̄ = Aᵀ·ḡ  (4×6)·(6×5) → 4×5, to W1",
    ]
    assert "add: b̄ = ḡ  (6×5) → 5, summed over the broadcast axes, to b1" in captions["Z1"]
    assert "tanh: ā = ḡ ⊙ (1 - tanh(a)²)  (6×5) → 6×5, to Z1" in captions["H"]
    assert "log_softmax: ḡ - softmax(x) · Σ ḡ  (6×3) → 6×3, to Z2" in captions["v3"]
    assert "mean: ḡ / n broadcast back  (scalar) → 6, to v4" in captions["v5"]
    for step in stepper.state.steps[1:]:
        op = step.node.op
        formula_pieces = re.findall(r"[ḡ·ᵀ⊙Σ]", step.caption)
        assert op.name + ":" in step.caption and formula_pieces, step.caption
        for share in step.shares:
            assert f"→ {'×'.join(map(str, share.share.shape)) or 'scalar'}" in share.caption
    assert stepper.state.steps[0].caption == "Start at the output L (one number): ḡ = ∂L/∂L = 1"


def test_a_gradient_reaching_a_node_twice_says_it_adds_up():
    graph = trace_arrays(lambda a: np.sum(a * a), a=onp.array([1.0, 2.0]))
    steps = array_backward_steps(graph)
    multiply = steps[-1]
    assert [graph.name(share.parent) for share in multiply.shares] == ["a", "a"]
    assert "(added to what it got earlier)" in multiply.shares[1].caption
    assert "(added" not in multiply.shares[0].caption
    onp.testing.assert_allclose(multiply.shares[1].after, [2.0, 4.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_nodes_stay_put_from_step_to_step(stepper, backend):
    assert_nodes_stay_put(stepper, backend, 14 + 9)  # 14 arrays, 9 operations


def test_the_node_being_processed_is_highlighted(graph, stepper):
    for index, step in enumerate(stepper.state.steps):
        svg, _ = render_svg_with_backend(stepper.drawing(index), backend="builtin")
        position = next(k for k, node in enumerate(graph.nodes) if node is step.node)
        assert highlighted_node_titles(svg) == {f"n{position}"}


def test_gradients_appear_as_the_pass_reaches_them(graph, stepper):
    first = stepper.drawing(0).source
    assert first.count("grad ?") == len(graph.nodes) - 1  # only the seeded output is known
    last = stepper.drawing(len(stepper.state) - 1).source
    assert "grad ?" not in last and "grad 6×4" in last and "grad 1" in last


def test_the_stepper_leaves_the_graph_untouched_and_clicks_move_it():
    graph = trace_arrays(loss, **INPUTS)
    stepper = ArrayBackwardStepper(graph, prefetch=False)
    assert graph.grads == {} and graph.steps == ()
    first = stepper.caption
    stepper.next_button.click()
    assert stepper.state.index == 1 and stepper.caption != first
    assert "step 1 of 9" in stepper.picture_html.caption
    assert repr(stepper) == "<ArrayBackwardStepper of L: step 1 of 9>"
    assert "neg" in stepper.caption and "0x" not in stepper.picture_html.caption


def test_backward_and_the_stepper_agree():
    graph = trace_arrays(loss, **INPUTS)
    graph.backward()
    steps = ArrayBackwardStepper(graph, prefetch=False).state.steps
    assert [s.caption for s in steps] == [s.caption for s in graph.steps]
    final = gradients_after(steps, len(steps) - 1)
    for name, leaf in graph.inputs.items():
        onp.testing.assert_array_equal(final[leaf], graph.grads[name])


def test_bad_input_to_the_stepper():
    with pytest.raises(TypeError, match="needs an ArrayGraph"):
        ArrayBackwardStepper(Value(1.0) * 2)
    matrix = trace_arrays(lambda A: A @ A, A=onp.eye(2))
    with pytest.raises(TypeError, match="needs a scalar output"):
        ArrayBackwardStepper(matrix)
    stepper = ArrayBackwardStepper(matrix, seed=onp.ones((2, 2)), prefetch=False)
    assert "ḡ = the seed [[1, 1], [1, 1]]" in stepper.state.steps[0].caption


def test_elementwise_captions_use_the_rule_tables_partials_and_never_guess():
    a, b = onp.array([1.0, 3.0]), onp.array([2.0, 2.0])
    graph = trace_arrays(lambda a, b: np.sum(np.maximum(a, b) * b), a=a, b=b)
    captions = [step.caption for step in array_backward_steps(graph)]
    assert captions[0] == "Start at the output v3 (one number): ḡ = ∂L/∂v3 = 1 (L is v3 itself)"
    multiply = captions[2].splitlines()
    assert multiply[1] == "mul: ā = ḡ ⊙ b  (2) → 2, to v1"
    assert multiply[2] == "mul: b̄ = ḡ ⊙ a  (2) → 2, to b"
    maximum = captions[3].splitlines()
    assert maximum[1] == "maximum: ā = ḡ ⊙ (1 if a > b, ½ if a = b, else 0)  (2) → 2, to a"
    # the table writes ∂/∂a only: b's line names its partial without inventing a formula
    assert maximum[2] == "maximum: b̄ = ḡ ⊙ ∂/∂b  (2) → 2, to b (added to what it got earlier)"
