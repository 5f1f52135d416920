"""Every exercise's answer key agrees with the engine (and PyTorch) on the same cases.

An answer key teaches: a key that differs from the engine teaches the
difference. The cases have interior nodes and call backward() more than once,
where micrograd's backward (which never resets interior nodes) goes wrong:
y = (3x)² at x = 2 gives x.grad 36, then 108, where PyTorch and our engine
give 36, then 72.
"""

from __future__ import annotations

import math

import builders
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autodiff_lab.numpy as anp
from autodiff_lab import Value, derivative, grad, jacobian, jvp, vjp
from autodiff_lab import math as admath

torch = pytest.importorskip("torch", reason="torch is missing: pip install -e '.[peers]'")

finite = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 0.1)


@pytest.fixture(scope="module")
def keys():
    """Each exercise's namespace with the instructor's answers run."""
    names = (
        "value_class",
        "dual_numbers",
        "wengert_list",
        "softmax_jacobian",
        "xor_mlp",
        "array_vjps",
        "custom_primitives",
    )
    return {name: builders.run_in_process(builders.source(name), tests=False) for name in names}


# Expressions with interior nodes, written once for the key's Value, ours and torch's tensors.
# Each returns (output, interior nodes worth checking).
def square_of_triple(x, y):
    t = x * 3.0
    return t**2, [t]


def shared_product(x, y):
    h = x * y
    return (h + x) * h, [h]


def diamond(x, y):
    top, bottom = x * 2.0, x * y
    return (top * bottom).tanh() + top / y, [top, bottom]


def exp_ratio(x, y):
    e = (x * 0.5).exp()
    return e / (x * x + 1.0) - 2.0 / y, [e]


EXPRESSIONS = [square_of_triple, shared_product, diamond, exp_ratio]


def grads_after_each_backward(make, build, point, calls=3):
    """[(leaf grads, interior grads)] after each of ``calls`` backward() calls, no zero_grad."""
    leaves = [make(v) for v in point]
    output, interior = build(*leaves)
    seen = []
    for _ in range(calls):
        output.backward()
        seen.append(([leaf.grad for leaf in leaves], [node.grad for node in interior]))
    return seen


def torch_leaf_grads(build, point, calls=3):
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    output, _ = build(*leaves)
    seen = []
    for _ in range(calls):
        output.backward(retain_graph=True)
        seen.append([0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves])
    return seen


def test_the_key_gives_36_then_72_for_the_square_of_an_interior_node(keys):
    key = grads_after_each_backward(keys["value_class"]["Value"], square_of_triple, (2.0, 1.0), 2)
    assert [leaves[0] for leaves, _ in key] == [36.0, 72.0]  # micrograd's backward: 36, 108
    assert [interior for _, interior in key] == [[12.0], [12.0]]
    assert torch_leaf_grads(square_of_triple, (2.0, 1.0), 2) == [[36.0, 0.0], [72.0, 0.0]]


@given(x=finite, y=finite, which=st.sampled_from(EXPRESSIONS))
def test_the_value_class_key_agrees_with_the_engine_and_torch_backward_after_backward(
    keys, x, y, which
):
    key = grads_after_each_backward(keys["value_class"]["Value"], which, (x, y))
    ours = grads_after_each_backward(Value, which, (x, y))
    theirs = torch_leaf_grads(which, (x, y))
    for (key_leaves, key_interior), (our_leaves, our_interior), torch_leaves in zip(
        key, ours, theirs
    ):
        assert np.allclose(key_leaves, our_leaves, rtol=1e-12, atol=1e-12)
        assert np.allclose(key_leaves, torch_leaves, rtol=1e-9, atol=1e-12)
        assert np.allclose(key_interior, our_interior, rtol=1e-12, atol=1e-12)


def test_backward_on_a_leaf_adds_one_each_time_in_the_key_as_in_the_engine(keys):
    for make in (keys["value_class"]["Value"], Value):
        leaf = make(4.0)
        leaf.backward()
        leaf.backward()
        assert leaf.grad == 2.0


@given(x=finite)
def test_the_dual_numbers_key_agrees_with_both_engine_modes(keys, x):
    ns = keys["dual_numbers"]
    derivative_key, dual_exp, dual_sin = ns["derivative"], ns["dual_exp"], ns["dual_sin"]

    def key_f(v):
        t = v * 3.0
        return t * t + dual_exp(v * 0.5) / (v * v + 1.0) - dual_sin(t) * v + 2.0 / v

    def our_f(v):
        t = v * 3.0
        return t * t + admath.exp(v * 0.5) / (v * v + 1.0) - admath.sin(t) * v + 2.0 / v

    leaf = Value(x)
    our_f(leaf).backward()
    assert math.isclose(derivative_key(key_f, x), derivative(our_f, x), rel_tol=1e-12)
    assert math.isclose(derivative_key(key_f, x), leaf.grad, rel_tol=1e-12, abs_tol=1e-12)


@given(x1=finite, x2=finite, dx1=finite, dx2=finite)
def test_the_wengert_list_key_agrees_with_the_engine_node_by_node(keys, x1, x2, dx1, dx2):
    ns = keys["wengert_list"]
    a, b = Value(x1), Value(x2)
    v1 = a * b
    v2 = v1 + b
    v3 = v2 * a
    v3.backward()  # interior nodes keep this pass's adjoints: v1.grad is v1_bar
    assert np.allclose(ns["primal_trace"](x1, x2), [v1.data, v2.data, v3.data], rtol=1e-12)
    adjoints = ns["adjoint_trace"](x1, x2)
    engine = {"v3": v3.grad, "v2": v2.grad, "v1": v1.grad, "x1": a.grad, "x2": b.grad}
    for name, value in engine.items():
        assert math.isclose(adjoints[name], value, rel_tol=1e-12, abs_tol=1e-12), name

    def f(p):
        return (p[0] * p[1] + p[1]) * p[0]

    _, tangent = jvp(f, np.array([x1, x2]), np.array([dx1, dx2]))
    assert math.isclose(ns["tangent_trace"](x1, x2, dx1, dx2)[2], tangent, rel_tol=1e-12)


@given(st.lists(st.floats(-5.0, 5.0, allow_nan=False), min_size=1, max_size=5))
def test_the_softmax_key_agrees_with_both_engine_modes_and_torch(keys, point):
    ns = keys["softmax_jacobian"]
    x = np.array(point)
    key = np.asarray(ns["softmax_jacobian"](point), dtype=float)
    theirs = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, 0), torch.tensor(x, dtype=torch.float64)
    ).numpy()
    for mode in ("forward", "reverse"):
        assert np.allclose(key, jacobian(ns["softmax"], x, mode=mode), rtol=1e-12, atol=1e-14)
    assert np.allclose(key, theirs, rtol=1e-9, atol=1e-14)


def test_the_xor_key_gradients_match_finite_differences(keys):
    ns = keys["xor_mlp"]
    inputs, targets = [(0, 0), (0, 1), (1, 0), (1, 1)], [0, 1, 1, 0]
    model = ns["MLP"](n_hidden=3, seed=4)
    loss = ns["mse_loss"](model, inputs, targets)
    loss.backward()
    loss.backward()  # leaves add up, as in PyTorch: twice the gradient
    step = 1e-6
    for parameter in model.parameters():
        kept = parameter.data
        parameter.data = kept + step
        up = ns["mse_loss"](model, inputs, targets).data
        parameter.data = kept - step
        down = ns["mse_loss"](model, inputs, targets).data
        parameter.data = kept
        assert math.isclose(
            parameter.grad, 2 * (up - down) / (2 * step), rel_tol=1e-5, abs_tol=1e-8
        )


# -- array_vjps: every VJP of the key against the array engine and PyTorch (float64) ----------

sizes = st.integers(1, 4)


def _tensor(array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


def _normal(seed, shape):
    return np.random.default_rng(seed).normal(size=shape)


@given(m=sizes, k=sizes, n=sizes, seed=st.integers(0, 2**16))
def test_the_matmul_vjp_key_agrees_with_the_engine_and_torch(keys, m, k, n, seed):
    A, B, g = _normal(seed, (m, k)), _normal(seed + 1, (k, n)), _normal(seed + 2, (m, n))
    gA, gB = keys["array_vjps"]["matmul_vjp"](g, A, B)
    _, pull_a = vjp(lambda a: anp.matmul(a, B), A)
    _, pull_b = vjp(lambda b: anp.matmul(A, b), B)
    assert np.allclose(gA, pull_a(g), rtol=1e-12, atol=1e-12)
    assert np.allclose(gB, pull_b(g), rtol=1e-12, atol=1e-12)
    tA, tB = _tensor(A), _tensor(B)
    (tA @ tB).backward(torch.tensor(g))
    assert np.allclose(gA, tA.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(gB, tB.grad.numpy(), rtol=1e-12, atol=1e-12)


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4), seed=st.integers(0, 99))
def test_the_add_vjp_key_agrees_with_the_engine_and_torch(keys, shapes, seed):
    (a_shape, b_shape), out = shapes.input_shapes, shapes.result_shape
    a, b, g = _normal(seed, a_shape), _normal(seed + 1, b_shape), _normal(seed + 2, out)
    ga, gb = keys["array_vjps"]["add_vjp"](g, a_shape, b_shape)
    assert np.shape(ga) == a_shape and np.shape(gb) == b_shape
    ta, tb = _tensor(a), _tensor(b)
    (ta + tb).backward(torch.tensor(g))
    assert np.allclose(ga, ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(gb, tb.grad.numpy(), rtol=1e-12, atol=1e-12)
    if a_shape or b_shape:  # two 0-d inputs are scalars, which the scalar engine takes
        ours = grad(lambda x, y: anp.sum(g * (x + y)), argnums=(0, 1))(a, b)
        assert np.allclose(ga, ours[0], rtol=1e-12, atol=1e-12)
        assert np.allclose(gb, ours[1], rtol=1e-12, atol=1e-12)


@given(
    n=st.integers(1, 6),
    c=st.integers(2, 6),
    seed=st.integers(0, 2**16),
    offset=st.sampled_from([0.0, 1000.0, -1000.0]),
)
def test_the_cross_entropy_keys_agree_with_the_engine_and_torch(keys, n, c, seed, offset):
    ns = keys["array_vjps"]
    logits = _normal(seed, (n, c)) * 3 + offset
    labels = np.random.default_rng(seed).integers(0, c, size=n)
    loss = ns["softmax_cross_entropy"](logits, labels)
    gradient = ns["softmax_cross_entropy_vjp"](logits, labels)
    t = _tensor(logits)
    theirs = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    theirs.backward()
    assert math.isclose(loss, theirs.item(), rel_tol=1e-12, abs_tol=1e-12)
    assert np.allclose(gradient, t.grad.numpy(), rtol=1e-12, atol=1e-15)
    ours = grad(ns["softmax_cross_entropy"])(logits, labels)  # the engine through the key
    assert np.allclose(gradient, ours, rtol=1e-12, atol=1e-15)


@given(n=st.integers(1, 6), d=sizes, c=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_the_classifier_key_agrees_with_the_engine_and_torch(keys, n, d, c, seed):
    ns = keys["array_vjps"]
    X, W, b = _normal(seed, (n, d)), _normal(seed + 1, (d, c)), _normal(seed + 2, (c,))
    labels = np.random.default_rng(seed).integers(0, c, size=n)
    gW, gb = ns["classifier_gradients"](X, W, b, labels)
    loss = ns["softmax_cross_entropy"]
    ours = grad(lambda w, v: loss(X @ w + v, labels), argnums=(0, 1))(W, b)
    assert np.allclose(gW, ours[0], rtol=1e-12, atol=1e-14)
    assert np.allclose(gb, ours[1], rtol=1e-12, atol=1e-14)
    tW, tb = _tensor(W), _tensor(b)
    torch.nn.functional.cross_entropy(torch.tensor(X) @ tW + tb, torch.tensor(labels)).backward()
    assert np.allclose(gW, tW.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert np.allclose(gb, tb.grad.numpy(), rtol=1e-10, atol=1e-14)


@given(shape=st.lists(sizes, max_size=3).map(tuple), seed=st.integers(0, 2**16))
def test_the_tanh_vjp_key_agrees_with_the_engine_and_torch(keys, shape, seed):
    x, g = _normal(seed, shape) * 2, _normal(seed + 1, shape)
    ours = keys["array_vjps"]["tanh_vjp"](g, x)
    assert np.shape(ours) == shape
    assert np.allclose(ours, vjp(anp.tanh, x)[1](g), rtol=1e-12, atol=1e-15)
    t = _tensor(x)
    torch.tanh(t).backward(torch.tensor(g))
    assert np.allclose(ours, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def _network_loss(loss, X, labels, residual, tanh):
    """The loss of the hidden-layer network, as a function of its four parameters."""

    def of(W1, b1, W2, b2):
        a = X @ W1 + b1
        h = a + tanh(a) if residual else tanh(a)
        return loss(h @ W2 + b2, labels)

    return of


def _torch_network_loss(X, labels, residual):
    """`_network_loss` in PyTorch: cross-entropy and tanh of torch, X a constant tensor."""
    return _network_loss(
        lambda z, y: torch.nn.functional.cross_entropy(z, torch.tensor(y)),
        torch.tensor(X),
        labels,
        residual,
        torch.tanh,
    )


@pytest.mark.parametrize("residual", [False, True], ids=["mlp", "residual"])
@given(n=st.integers(1, 5), d=sizes, hidden=sizes, c=st.integers(2, 4), seed=st.integers(0, 99))
def test_the_network_keys_agree_with_the_engine_and_torch(keys, residual, n, d, hidden, c, seed):
    ns = keys["array_vjps"]
    X = _normal(seed, (n, d))
    weights = [_normal(seed + i, shape) for i, shape in enumerate([(d, hidden), (hidden,)], 1)]
    weights += [_normal(seed + 3, (hidden, c)), _normal(seed + 4, (c,))]
    labels = np.random.default_rng(seed).integers(0, c, size=n)
    key = ns["residual_gradients" if residual else "mlp_gradients"](X, *weights, labels)
    loss = _network_loss(ns["softmax_cross_entropy"], X, labels, residual, anp.tanh)
    ours = grad(loss, argnums=(0, 1, 2, 3))(*weights)
    tensors = [_tensor(w) for w in weights]
    torch_loss = _torch_network_loss(X, labels, residual)
    torch_loss(*tensors).backward()
    for mine, engine, tensor in zip(key, ours, tensors):
        assert np.shape(mine) == tensor.shape
        assert np.allclose(mine, engine, rtol=1e-10, atol=1e-14)
        assert np.allclose(mine, tensor.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_a_skip_changes_the_gradient_so_a_forgotten_share_is_caught(keys):
    # The fan-out matters: a forgotten share of a would give part 7's gradient.
    ns, rng = keys["array_vjps"], np.random.default_rng(5)
    X, W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=(2, 3)), rng.normal(size=3)
    W2, b2, labels = rng.normal(size=(3, 2)), rng.normal(size=2), np.array([0, 1, 1])
    plain = ns["mlp_gradients"](X, W1, b1, W2, b2, labels)
    skip = ns["residual_gradients"](X, W1, b1, W2, b2, labels)
    assert not np.allclose(plain[0], skip[0]) and not np.allclose(plain[1], skip[1])


# -- custom_primitives: the key's primitives, through the engine, against PyTorch --------------


@given(n=st.integers(1, 5), d=sizes, hidden=sizes, c=st.integers(2, 4), seed=st.integers(0, 99))
def test_the_primitives_key_trains_as_torch_does(keys, n, d, hidden, c, seed):
    ns = keys["custom_primitives"]
    X = _normal(seed, (n, d))
    params = [_normal(seed + 1, (d, hidden)), _normal(seed + 2, (hidden,))]
    params += [_normal(seed + 3, (hidden, c)), _normal(seed + 4, (c,))]
    labels = np.random.default_rng(seed).integers(0, c, size=n)
    trained, losses = ns["train_network"]([p.copy() for p in params], X, labels, 2, 0.3)
    tensors = [_tensor(p) for p in params]
    torch_loss = _torch_network_loss(X, labels, residual=False)
    for step in range(2):
        loss = torch_loss(*tensors)
        assert math.isclose(losses[step], loss.item(), rel_tol=1e-12, abs_tol=1e-14)
        loss.backward()
        with torch.no_grad():
            for tensor in tensors:
                tensor -= 0.3 * tensor.grad
                tensor.grad = None
    for mine, tensor in zip(trained, tensors):
        assert np.allclose(mine, tensor.detach().numpy(), rtol=1e-10, atol=1e-13)


def test_the_primitives_key_is_its_own_and_scales_by_g(keys):
    from autodiff_lab.extend import CustomPrimitive

    ns, logits, labels = keys["custom_primitives"], _normal(1, (3, 4)), np.array([0, 3, 1])
    assert all(isinstance(ns[name], CustomPrimitive) for name in ("tanh", "matmul"))
    _, pull = vjp(lambda z: ns["softmax_cross_entropy"](z, labels), logits)
    _, engine_pull = vjp(lambda z: -anp.mean(anp.log_softmax(z, axis=1)[range(3), labels]), logits)
    assert np.allclose(pull(2.5), engine_pull(2.5), rtol=1e-12, atol=1e-15)
    assert not np.allclose(pull(2.5), pull(1.0))


# -- the grader's references (referee/), which every probe trusts, against PyTorch -------------


@given(
    n=st.integers(1, 5),
    c=st.integers(2, 5),
    d=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    offsets=st.lists(st.sampled_from([0.0, 1000.0, -1000.0]), min_size=5, max_size=5),
)
def test_the_array_vjps_references_agree_with_torch(n, c, d, seed, offsets):
    from autodiff_lab.grading.referee import array_vjps as ref

    logits = _normal(seed, (n, c)) * 3 + np.array(offsets[:n])[:, None]
    labels = np.random.default_rng(seed).integers(0, c, size=n)
    t = _tensor(logits)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    loss.backward()
    assert math.isclose(ref.cross_entropy(logits, labels), loss.item(), rel_tol=1e-12)
    assert np.allclose(
        ref.cross_entropy_vjp(logits, labels), t.grad.numpy(), rtol=1e-12, atol=1e-15
    )
    X, W, b = _normal(seed + 1, (n, d)), _normal(seed + 2, (d, c)), _normal(seed + 3, (c,))
    steps = ref.classifier_steps(X, W, b, labels)
    tW, tb = _tensor(W), _tensor(b)
    torch.nn.functional.cross_entropy(torch.tensor(X) @ tW + tb, torch.tensor(labels)).backward()
    assert np.allclose(steps["matmul"][1], tW.grad.numpy(), rtol=1e-10, atol=1e-14)
    assert np.allclose(steps["add"][1], tb.grad.numpy(), rtol=1e-10, atol=1e-14)
    for residual in (False, True):
        W1, b1, W2 = _normal(seed + 4, (d, 3)), _normal(seed + 5, (3,)), _normal(seed + 6, (3, c))
        steps = ref.network_steps(X, W1, b1, W2, b, labels, residual)
        tensors = [_tensor(w) for w in (W1, b1, W2, b)]
        torch_loss = _torch_network_loss(X, labels, residual)
        torch_loss(*tensors).backward()
        for name, tensor in zip(("gW1", "gb1", "gW2", "gb2"), tensors):
            assert np.allclose(steps[name], tensor.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_the_xor_references_agree_with_torch():
    from autodiff_lab.grading import referee

    for seed in range(3):
        (name, inputs), _ = referee.draw("xor_mlp", "xor_tests", str(seed))
        n, steps, rate = inputs["n_hidden"], inputs["steps"], inputs["learning_rate"]
        p = torch.tensor(inputs["parameters"], dtype=torch.float64)
        x = torch.tensor(inputs["inputs"], dtype=torch.float64)
        y = torch.tensor(inputs["targets"], dtype=torch.float64)
        w = torch.tensor(inputs["loss_weights"], dtype=torch.float64)
        losses = []
        for _ in range(steps):
            p.requires_grad_(True)
            hidden = torch.tanh(x @ p[: 2 * n].reshape(n, 2).T + p[2 * n : 3 * n])
            out = torch.sigmoid(hidden @ p[3 * n : 4 * n] + p[4 * n])
            loss = (w * (out - y) ** 4).sum()
            loss.backward()
            losses.append(loss.item())
            p = (p - rate * p.grad).detach()
        ours = referee.reference("xor_mlp", name, inputs)
        assert np.allclose(ours, [*p.tolist(), *losses], rtol=1e-10, atol=1e-12)


def test_the_softmax_and_wengert_references_agree_with_torch_and_the_engine():
    from autodiff_lab.grading.referee import softmax_jacobian, wengert_list

    x = np.array([0.3, -1.2, 2.5, 1000.0])
    theirs = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, 0), torch.tensor(x, dtype=torch.float64)
    ).numpy()
    assert np.allclose(softmax_jacobian.jacobian(x), theirs, rtol=1e-9, atol=1e-14)
    a, b = Value(1.5), Value(-0.5)
    v1 = a * b
    v2 = v1 + b
    v3 = v2 * a
    v3.backward()
    assert np.allclose(wengert_list.adjoints(1.5, -0.5), [1.0, v2.grad, v1.grad, a.grad, b.grad])
