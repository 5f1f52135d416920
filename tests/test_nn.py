"""Neuron, Layer, MLP, SGD and the losses of autodiff_lab.nn."""

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from installs import need

from autodiff_lab import Value
from autodiff_lab.nn import (
    MLP,
    SGD,
    Layer,
    Neuron,
    binary_accuracy,
    binary_cross_entropy,
    hinge_loss,
    mse_loss,
)
from autodiff_lab.reverse import walk
from autodiff_lab.rules import ADD, MUL, RELU, SIGMOID, TANH

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [0.0, 1.0, 1.0, 0.0]


# -- construction -------------------------------------------------------------


@pytest.mark.parametrize(
    ("nin", "nouts", "expected"),
    [(2, [1], 3), (2, [4, 1], 17), (2, [16, 16, 1], 337), (3, [4, 4, 2], 46)],
)
def test_parameter_count(nin, nouts, expected):
    # Each neuron has one weight per input and one bias.
    assert len(MLP(nin, nouts).parameters()) == expected
    sizes = [nin, *nouts]
    assert expected == sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))


def test_parameters_are_distinct_leaves():
    parameters = MLP(2, [3, 2]).parameters()
    assert len({id(p) for p in parameters}) == len(parameters)
    assert all(p.is_leaf for p in parameters)


def test_same_seed_same_weights_and_different_seed_different_weights():
    def weights(seed):
        return [p.data for p in MLP(2, [4, 1], seed=seed).parameters()]

    assert weights(3) == weights(3)
    assert weights(3) != weights(4)


def test_weights_uniform_in_unit_interval_and_biases_zero():
    model = MLP(3, [8, 8, 1], seed=5)
    for layer in model.layers:
        for neuron in layer.neurons:
            assert all(-1.0 <= w.data <= 1.0 for w in neuron.w)
            assert neuron.b.data == 0.0


def test_weights_match_micrograd_drawn_from_the_same_seed():
    micrograd_nn = need("micrograd.nn")
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1], activation="relu", seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def test_last_layer_linear_unless_output_activation_given():
    model = MLP(2, [3, 1])
    assert [layer.activation for layer in model.layers] == ["tanh", None]
    model = MLP(2, [3, 3, 1], activation="relu", output_activation="sigmoid")
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "sigmoid"]


def test_reprs_are_readable():
    model = MLP(2, [16, 16, 1], activation="relu")
    assert repr(model) == "MLP(2 → 16 relu → 16 relu → 1 linear; 337 parameters)"
    assert repr(model.layers[0]) == "Layer(2 → 16, relu)"
    assert repr(model.layers[2].neurons[0]) == "Neuron(16 inputs, linear)"
    assert repr(SGD(model.parameters(), lr=0.05)) == "SGD(337 parameters, lr=0.05)"


def test_parameter_labels_say_where_they_live():
    model = MLP(2, [3, 1])
    labels = [p.label for p in model.parameters()]
    assert labels[:3] == ["L0.n0.w0", "L0.n0.w1", "L0.n0.b"]
    assert labels[-1] == "L1.n0.b"
    assert [p.label for p in Neuron(2).parameters()] == ["w0", "w1", "b"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Neuron(2, activation="softmax"), "unknown activation 'softmax'"),
        (lambda: MLP(2, [3, 1], output_activation="Tanh"), "unknown activation 'Tanh'"),
        (lambda: MLP(2, 3), r"list of layer sizes"),
        (lambda: MLP(2, []), r"list of layer sizes"),
        (lambda: Layer(0, 3), "positive whole number, got 0"),
        (lambda: Neuron(2.5), "positive whole number, got 2.5"),
    ],
)
def test_bad_construction_explains_itself(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- forward pass ---------------------------------------------------------------

ACTIVATION_FORMULAS = {
    "tanh": math.tanh,
    "relu": lambda s: max(s, 0.0),
    "sigmoid": lambda s: 1 / (1 + math.exp(-s)),
}


@pytest.mark.parametrize(
    ("activation", "op"), [("tanh", TANH), ("relu", RELU), ("sigmoid", SIGMOID)]
)
def test_neuron_graph_is_bias_plus_products_then_activation(activation, op):
    neuron = Neuron(3, activation=activation, rng=random.Random(2))
    x = [Value(0.5), Value(-1.0), Value(2.0)]
    out = neuron(x)
    assert out.op is op
    # Unwind ((b + w0·x0) + w1·x1) + w2·x2 from the outside in.
    node = out.parents[0]
    for i in reversed(range(3)):
        assert node.op is ADD
        node, product = node.parents
        assert product.op is MUL
        weight, x_i = product.parents
        assert weight is neuron.w[i] and x_i is x[i]
    assert node is neuron.b
    total = sum(w.data * xi.data for w, xi in zip(neuron.w, x))
    assert out.data == pytest.approx(ACTIVATION_FORMULAS[activation](total), rel=1e-15)


def test_neuron_graph_has_as_many_nodes_as_micrograds():
    micrograd_nn = need("micrograd.nn")
    micrograd_neuron = micrograd_nn.Neuron(4)
    inputs = [0.5, -1.0, 2.0, 0.25]
    theirs = micrograd_neuron(inputs)
    nodes, stack = {theirs}, [theirs]
    while stack:
        for parent in stack.pop()._prev:
            if parent not in nodes:
                nodes.add(parent)
                stack.append(parent)
    ours = Neuron(4, activation="relu")(inputs)
    assert sum(1 for _ in walk(ours)) == len(nodes)


def test_mlp_matches_micrograd_forward_and_gradients():
    micrograd_nn = need("micrograd.nn")
    random.seed(7)
    theirs = micrograd_nn.MLP(3, [5, 4, 1])
    ours = MLP(3, [5, 4, 1], activation="relu", seed=7)
    x = [0.3, -0.8, 1.1]
    their_out, our_out = theirs(x), ours(x)
    assert our_out.data == pytest.approx(their_out.data, rel=1e-14, abs=1e-15)
    their_out.backward()
    our_out.backward()
    for mine, other in zip(ours.parameters(), theirs.parameters()):
        assert mine.grad == pytest.approx(other.grad, rel=1e-12, abs=1e-15)


def test_layer_returns_list_and_mlp_returns_value_for_one_output():
    layer = Layer(2, 3)
    assert isinstance(layer([1.0, 2.0]), list) and len(layer([1.0, 2.0])) == 3
    assert isinstance(MLP(2, [3, 1])([1.0, 2.0]), Value)
    outputs = MLP(2, [3, 2])([1.0, 2.0])
    assert isinstance(outputs, list) and len(outputs) == 2


def test_inputs_may_be_tuples_arrays_or_a_bare_number_for_one_input():
    model = MLP(2, [3, 1])
    expected = model([1.0, 2.0]).data
    assert model((1.0, 2.0)).data == expected
    assert model(np.array([1.0, 2.0])).data == expected
    single = MLP(1, [2, 1])
    assert single(0.5).data == single([0.5]).data


def test_wrong_input_size_explains_itself():
    with pytest.raises(ValueError, match=r"Neuron with 2 inputs was given 3"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"MLP with 2 inputs needs a list of 2 numbers"):
        MLP(2, [3, 1])(1.0)


# -- gradients against PyTorch ------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_mlp_loss_gradients_match_pytorch_float64(activation):
    torch = need("torch")
    model = MLP(3, [4, 4, 2], activation=activation, output_activation="sigmoid", seed=11)
    inputs = [[0.5, -1.5, 2.0], [-0.3, 0.8, 0.1], [1.2, 0.4, -0.9]]
    targets = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    predictions = [model(x) for x in inputs]
    loss = mse_loss(
        [p for pair in predictions for p in pair], [t for pair in targets for t in pair]
    )
    model.zero_grad()
    loss.backward()

    # The same network in PyTorch: one weight matrix and bias vector per layer.
    weights, biases = [], []
    for layer in model.layers:
        rows = [[w.data for w in neuron.w] for neuron in layer.neurons]
        weights.append(torch.tensor(rows, dtype=torch.float64, requires_grad=True))
        biases.append(
            torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        )
    hidden = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[activation]
    out = torch.tensor(inputs, dtype=torch.float64)
    for i, (w, b) in enumerate(zip(weights, biases)):
        out = out @ w.T + b
        out = torch.sigmoid(out) if i == len(weights) - 1 else hidden(out)
    torch_loss = ((out - torch.tensor(targets, dtype=torch.float64)) ** 2).mean()
    torch_loss.backward()

    assert loss.data == pytest.approx(torch_loss.item(), rel=1e-13)
    for layer, w, b in zip(model.layers, weights, biases):
        for j, neuron in enumerate(layer.neurons):
            for k, weight in enumerate(neuron.w):
                assert weight.grad == pytest.approx(w.grad[j, k].item(), rel=1e-10, abs=1e-14)
            assert neuron.b.grad == pytest.approx(b.grad[j].item(), rel=1e-10, abs=1e-14)


# -- optimiser ----------------------------------------------------------------------


def _xor_loss(model):
    return mse_loss([model(x) for x in XOR_INPUTS], XOR_TARGETS)


def test_zero_grad_zeroes_every_parameter():
    model = MLP(2, [4, 1], seed=1)
    _xor_loss(model).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())

    optimiser = SGD(model.parameters(), lr=0.1)
    _xor_loss(model).backward()
    optimiser.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_gradients_accumulate_until_zeroed():
    model = MLP(2, [3, 1], seed=2)
    _xor_loss(model).backward()
    once = [p.grad for p in model.parameters()]
    _xor_loss(model).backward()
    assert [p.grad for p in model.parameters()] == pytest.approx([2 * g for g in once])


def test_sgd_step_moves_against_the_gradient():
    model = MLP(2, [3, 1], seed=3)
    optimiser = SGD(model.parameters(), lr=0.25)
    loss = _xor_loss(model)
    loss.backward()
    before = [(p.data, p.grad) for p in model.parameters()]
    optimiser.step()
    assert [p.data for p in model.parameters()] == [d - 0.25 * g for d, g in before]
    # The step changed the weights, so the old graph is out of date.
    with pytest.raises(RuntimeError, match="out of date"):
        loss.backward()


def test_a_weight_two_layers_share_takes_one_step_not_two():
    shared = Value(0.5)
    x = Value(2.0)
    loss = shared * x + shared * shared  # d/d shared = x + 2·shared = 3, from both uses
    loss.backward()
    optimiser = SGD([shared, x, shared], lr=0.1)
    optimiser.step()
    assert shared.data == pytest.approx(0.5 - 0.1 * 3.0)
    assert len(optimiser.parameters) == 2


@pytest.mark.parametrize("lr", [0, -0.1, "fast"])
def test_sgd_rejects_a_bad_learning_rate(lr):
    with pytest.raises(ValueError, match="learning rate"):
        SGD(MLP(2, [1]).parameters(), lr=lr)


def test_sgd_rejects_non_values():
    with pytest.raises(TypeError, match="SGD updates Values"):
        SGD([1.0, 2.0], lr=0.1)
    with pytest.raises(ValueError, match="no parameters"):
        SGD([], lr=0.1)


# -- training -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_learns_xor(seed):
    # 8 tanh units, lr 0.2, 100 steps: every seed from 0 to 99 reaches 100%.
    model = MLP(2, [8, 1], activation="tanh", seed=seed)
    optimiser = SGD(model.parameters(), lr=0.2)
    first_loss = _xor_loss(model).data
    for _ in range(100):
        loss = _xor_loss(model)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    predictions = [model(x) for x in XOR_INPUTS]
    assert binary_accuracy(predictions, XOR_TARGETS) == 1.0
    assert mse_loss(predictions, XOR_TARGETS).data < first_loss / 2


def test_logistic_regression_loss_decreases_every_step():
    # Two clusters that a line separates; a sigmoid neuron is logistic regression.
    inputs = [[1.0, 2.0], [2.0, 1.5], [1.5, 3.0], [-1.0, -0.5], [-2.0, -1.0], [-0.5, -2.0]]
    labels = [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    neuron = Neuron(2, activation="sigmoid", rng=random.Random(4))
    neuron.w[0].data, neuron.w[1].data = -0.5, 0.3  # start on the wrong side
    optimiser = SGD(neuron.parameters(), lr=0.5)
    losses = []
    for _ in range(30):
        loss = binary_cross_entropy([neuron(x) for x in inputs], labels)
        losses.append(loss.data)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.1 < math.log(2) < losses[0]
    assert binary_accuracy([neuron(x) for x in inputs], labels) == 1.0


# -- losses and metrics ---------------------------------------------------------------


def test_mse_loss_of_numbers_is_the_formula():
    assert mse_loss([1.0, 2.0, 4.0], [0.0, 2.0, 1.0]) == pytest.approx((1 + 0 + 9) / 3)
    assert mse_loss(3.0, 1.0) == 4.0


@given(
    st.lists(
        st.tuples(st.floats(-100, 100, allow_nan=False), st.floats(-100, 100, allow_nan=False)),
        min_size=1,
        max_size=6,
    )
)
def test_mse_loss_gradient_is_two_residuals_over_n(pairs):
    predictions = [Value(p) for p, _ in pairs]
    targets = [t for _, t in pairs]
    loss = mse_loss(predictions, targets)
    loss.backward()
    n = len(pairs)
    assert loss.data == pytest.approx(sum((p - t) ** 2 for p, t in pairs) / n, rel=1e-12)
    for prediction, target in zip(predictions, targets):
        expected = 2 * (prediction.data - target) / n
        assert prediction.grad == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_mse_loss_accepts_values_as_targets():
    prediction, target = Value(3.0), Value(1.0)
    loss = mse_loss([prediction], [target])
    loss.backward()
    assert (loss.data, prediction.grad, target.grad) == (4.0, 4.0, -4.0)


def test_loss_length_mismatch_explains_itself():
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        mse_loss([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="no predictions"):
        mse_loss([], [])


def test_binary_cross_entropy_matches_formula_and_gradient():
    probabilities = [Value(0.8), Value(0.3), Value(0.6)]
    targets = [1.0, 0.0, 0.25]
    loss = binary_cross_entropy(probabilities, targets)
    loss.backward()
    expected = (
        -sum(
            t * math.log(p.data) + (1 - t) * math.log(1 - p.data)
            for p, t in zip(probabilities, targets)
        )
        / 3
    )
    assert loss.data == pytest.approx(expected, rel=1e-14)
    for p, t in zip(probabilities, targets):
        # d/dp of -(t log p + (1-t) log(1-p)) / n
        assert p.grad == pytest.approx((-t / p.data + (1 - t) / (1 - p.data)) / 3, rel=1e-12)


def test_binary_cross_entropy_of_a_sure_right_answer_is_finite():
    assert binary_cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0


def test_hinge_loss_is_micrograds_max_margin():
    scores = [Value(2.0), Value(0.5), Value(-0.2)]
    labels = [1, 1, -1]
    loss = hinge_loss(scores, labels)
    loss.backward()
    assert loss.data == pytest.approx((0.0 + 0.5 + 0.8) / 3)
    assert [s.grad for s in scores] == pytest.approx([0.0, -1 / 3, 1 / 3])
    assert hinge_loss([2.0, 0.5], [1, -1]) == pytest.approx((0.0 + 1.5) / 2)


def test_binary_accuracy_thresholds():
    assert binary_accuracy([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0]) == 0.75
    assert binary_accuracy([Value(0.3), Value(-2.0)], [1, -1], threshold=0) == 1.0
