"""What the array engine keeps and copies: the caller's arrays are read, never copied
or written; nothing a gradient reads can change before its VJP runs; gradients are handed
over without a copy unless one would be shared."""

from __future__ import annotations

import sys

import numpy as onp
import pytest

import autodiff_lab.numpy as np
from autodiff_lab import elementwise_grad, grad, jacobian, jvp, value_and_grad, vjp
from autodiff_lab.array_trace import trace_arrays
from autodiff_lab.arrays import numbers


def test_grad_reads_the_callers_array_in_place_and_cannot_write_into_it():
    w = onp.arange(6.0).reshape(2, 3)
    before = w.copy()
    seen = {}

    def f(x):
        inside = numbers(x)
        seen["shares"] = onp.shares_memory(inside, w)
        seen["writeable"] = inside.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            inside[0, 0] = 99.0
        return np.sum(x * x)

    g = grad(f)(w)
    assert seen == {"shares": True, "writeable": False}
    assert w.flags.writeable and onp.array_equal(w, before)  # the caller's array is unchanged
    assert onp.array_equal(g, 2 * before)


@pytest.mark.parametrize(
    "derivative",
    [
        lambda f, x: grad(lambda x: np.sum(f(x)))(x),
        lambda f, x: value_and_grad(lambda x: np.sum(f(x)))(x)[1],
        lambda f, x: elementwise_grad(f)(x),
        lambda f, x: jacobian(f, x),
        lambda f, x: jvp(f, x, onp.ones_like(x))[1],
    ],
    ids=["grad", "value_and_grad", "elementwise_grad", "jacobian", "jvp"],
)
def test_no_derivative_writes_into_the_callers_array(derivative):
    x = onp.linspace(-1.0, 1.0, 5)
    before = x.copy()
    derivative(np.tanh, x)
    assert x.flags.writeable and onp.array_equal(x, before)


def test_gradients_are_the_callers_own_arrays_never_shared_nor_read_only():
    x, y = onp.ones(3), onp.full(3, 2.0)
    # x + y sends one gradient array to both inputs; a sum broadcasts a read-only view
    for f in (lambda x, y: np.sum(x + y), lambda x, y: np.sum(x) + np.sum(y)):
        gx, gy = grad(f, argnums=(0, 1))(x, y)
        assert gx.flags.writeable and gy.flags.writeable
        assert not onp.shares_memory(gx, gy)
        gx[0] = 5.0
        assert gy[0] == 1.0
    _, pull = vjp(lambda x, y: x + y, x, y)
    gx, gy = pull(onp.ones(3))
    assert gx.flags.writeable and not onp.shares_memory(gx, gy)


def test_a_gradient_the_pass_made_is_handed_over_without_a_copy():
    w = onp.arange(6.0).reshape(3, 2)
    data = onp.ones((4, 3))
    g = grad(lambda w: np.sum(np.tanh(np.dot(data, w))))(w)
    assert g.flags.owndata and g.base is None and g.flags.writeable


def test_vjp_keeps_its_own_copy_of_a_point_the_caller_changes_later():
    x = onp.array([1.0, 2.0, 3.0])
    value, pull = vjp(lambda x: x * x, x)
    x[:] = 10.0  # after recording: the pullback still belongs to the point it was taken at
    assert onp.array_equal(pull(onp.ones(3)), [2.0, 4.0, 6.0])
    assert onp.array_equal(value, [1.0, 4.0, 9.0])


# A constant array (one f closes over, or makes) that a VJP reads must not change before the
# VJP runs, or the gradient is silently that of other numbers. Each attack below gave one.


def test_vjp_keeps_its_own_copy_of_a_constant_the_caller_refills_later():
    x, w = onp.arange(3.0), onp.ones(3)
    rows = onp.array([0, 0, 2])
    value, pull = vjp(lambda x: np.sum(x * w) + np.sum(x[rows, None] * w[:, None]), x)
    w[:] = 5.0  # a batch refilled in place before the pullback runs
    rows[:] = 1
    assert onp.array_equal(pull(1.0), [1.0 + 2.0, 1.0, 1.0 + 1.0])  # w, and w at rows 0, 0, 2
    assert w.flags.writeable and rows.flags.writeable


@pytest.mark.parametrize(
    "derivative",
    [
        lambda f, x: grad(f)(x),
        lambda f, x: jacobian(f, x),
        lambda f, x: elementwise_grad(f)(x),
    ],
    ids=["grad", "jacobian", "elementwise_grad"],
)
def test_writing_into_a_constant_the_gradient_reads_fails_where_it_is_written(derivative):
    w = onp.ones(3)
    noise = onp.zeros(3)

    def overwrites_w(x):
        y = x * w
        w[:] = 2.0  # y's gradient reads w: this would make it 2 where the forward used 1
        return np.sum(y)

    def refills_noise(x):
        for seed in range(2):
            onp.random.default_rng(seed).standard_normal(out=noise)
            x = x * noise
        return np.sum(x)

    for f in (overwrites_w, refills_noise):
        with pytest.raises(ValueError) as refusal:
            derivative(f, onp.arange(3.0))
        if sys.version_info >= (3, 11):  # exception notes: what the traceback shows after it
            assert "a write would change the gradient" in " ".join(refusal.value.__notes__)
    # afterwards the arrays are the caller's to write again
    assert w.flags.writeable and noise.flags.writeable
    w[:] = 3.0


def test_a_drawn_graph_keeps_its_own_copy_of_a_constant_changed_before_its_backward():
    w = onp.ones(3)
    graph = trace_arrays(lambda X: np.sum(X * w), X=onp.arange(3.0))
    w[:] = 5.0  # between drawing the forward pass and stepping through the backward one
    graph.backward()
    assert onp.array_equal(graph.grads["X"], onp.ones(3))


@pytest.mark.parametrize("owner", ["its own", "a row of a matrix"])
def test_updating_the_point_inside_the_function_fails_and_leaves_it_as_it_was(owner):
    # A row is a view: its memory belongs to the matrix, and locking that owner instead of
    # the row let the write through (a gradient of 1.8, 3.8, 5.8 for x · x at 1, 2, 3).
    matrix = onp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = onp.array([1.0, 2.0, 3.0]) if owner == "its own" else matrix[0]

    def loss_that_steps(x):
        loss = np.sum(x * x)
        w[:] -= 0.1  # a learner's update inside the loss: x is a view of w
        return loss

    with pytest.raises(ValueError, match="read-only"):
        grad(loss_that_steps)(w)
    assert onp.array_equal(w, [1.0, 2.0, 3.0]) and w.flags.writeable
    assert matrix.flags.writeable
    assert onp.array_equal(grad(lambda x: np.sum(x * x))(w), [2.0, 4.0, 6.0])


def test_a_constant_the_gradient_does_not_read_stays_writeable():
    b, m = onp.ones(3), onp.ones(3)

    def f(x):
        y = x + b  # the gradient of x + b is 1: b is not read
        b[:] = 7.0
        z = y * m
        return np.sum(z)

    assert onp.array_equal(grad(f)(onp.arange(3.0)), onp.ones(3))
    assert onp.array_equal(b, onp.full(3, 7.0))


def test_an_array_that_was_read_only_already_stays_so():
    w = onp.ones(3)
    w.flags.writeable = False
    grad(lambda x: np.sum(x * w))(onp.arange(3.0))
    assert not w.flags.writeable


# ---------------------------------------------------------------------------
# numpy's floating-point checks: switched off once per pass, not once per operation


def test_a_pass_enters_numpys_errstate_once_forward_and_once_backward(monkeypatch):
    entered = []
    errstate = onp.errstate

    def counting(**settings):
        entered.append(settings)
        return errstate(**settings)

    monkeypatch.setattr(onp, "errstate", counting)

    def f(x):
        for _ in range(50):
            x = np.tanh(x * 1.01 + 0.1)
        return np.sum(x)

    grad(f)(onp.ones(3))
    assert entered == [{"all": "ignore"}, {"all": "ignore"}]


def test_ieee_answers_still_come_without_warnings_inside_and_outside_a_pass():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert onp.isinf(np.log(onp.zeros(2))).all()  # no pass running: the operation's own
        g = grad(lambda x: np.sum(np.log(x) * 0.0 + 1.0 / x))(onp.array([0.0, 1.0]))
        assert onp.isnan(g[0]) or onp.isinf(g[0])
    # and numpy's own settings are back afterwards
    with pytest.warns(RuntimeWarning):
        onp.log(onp.zeros(1))


# ---------------------------------------------------------------------------
# A record keeps what its VJP reads, and nothing else


def test_a_record_keeps_only_what_its_vjp_reads_and_the_rest_is_freed_at_once():
    import weakref

    from autodiff_lab.arrays import ArrayNode, Dropped

    data = onp.random.RandomState(0).randn(200, 30)
    w, b = onp.ones((30, 40)) / 30, onp.zeros(40)
    seen = {}

    def f(w, b):
        h = np.dot(data, w)  # matmul: w's share reads data only
        a = h + b  # add reads nothing
        t = np.tanh(a)  # tanh's partial reads its output only
        seen["h"], seen["a"] = weakref.ref(h.value), weakref.ref(a.value)
        seen["tanh inputs"] = t.inputs
        seen["tanh keeps its output"] = t.value is not None and type(t.value) is onp.ndarray
        seen["add record"] = t.parents[0]
        del h, a  # the caller lets go: nothing else holds those arrays
        seen["freed"] = seen["h"]() is None and seen["a"]() is None
        return np.sum(t * t)

    gw, gb = grad(f, argnums=(0, 1))(w, b)
    assert seen["freed"]
    assert type(seen["tanh inputs"][0]) is Dropped
    assert seen["tanh inputs"][0].shape == (200, 40)
    assert seen["tanh keeps its output"]
    add_record = seen["add record"]
    assert type(add_record) is ArrayNode and add_record.op.name == "add"
    t = onp.tanh(data @ w + b)
    expected = 2 * t * (1 - t * t)
    assert onp.allclose(gw, data.T @ expected) and onp.allclose(gb, expected.sum(axis=0))


def test_a_graph_made_to_be_drawn_keeps_every_input():
    from autodiff_lab.array_trace import trace_arrays
    from autodiff_lab.arrays import Dropped

    x = onp.ones((100, 20))
    graph = trace_arrays(lambda X: np.sum(np.tanh(X * 2.0 + 1.0)), X=x)
    for node in graph.nodes:
        assert not any(type(value) is Dropped for value in node.inputs)
        assert type(node.value) is not Dropped


FUNCTIONS = {
    "mlp": lambda x: np.sum(np.tanh(np.dot(x, x.T) + 1.0) ** 2),
    "softmax": lambda x: np.sum(np.softmax(x, axis=1) * np.log_softmax(x, axis=0)),
    "logsumexp": lambda x: np.sum(np.logsumexp(x, axis=1) / np.max(x, axis=0).sum()),
    "shapes": lambda x: np.sum(np.cumsum(np.reshape(x.T, (-1,))[::2], 0) * np.mean(x)),
    "where": lambda x: np.sum(np.where(x > 0, np.exp(x), np.sin(x)) * np.clip(x, -0.5, 0.5)),
    "einsum": lambda x: np.einsum("ij,jk->", x, np.sqrt(np.abs(x.T) + 1.0)),
    "division": lambda x: np.sum(1.0 / (x * x + 1.0) - x / (2.0 + np.cos(x))),
    "extremes": lambda x: np.sum(
        np.min(x, axis=1) * np.maximum(x, 0.1) - np.minimum(x, x.T) * np.arctan2(x, 2.0 + x.T)
    ),
    "broadcast": lambda x: np.sum(np.broadcast_to(x[0], (20, 20)) * np.remainder(x, 0.7) * x),
    "complex": lambda x: np.sum(np.abs(np.exp(1j * x) * np.conj(x + 2j)) + np.real(x * 1j) ** 2),
    "stack": lambda x: np.sum(np.stack([x, x * x])[1] * np.concatenate([x, x])[1:21]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_records_that_drop_what_is_not_read_give_the_same_derivatives(name, monkeypatch):
    from autodiff_lab import arrays, hessian

    f = FUNCTIONS[name]
    x = onp.random.RandomState(1).randn(20, 20) / 2

    def derivatives():
        value, gradient = value_and_grad(f)(x)
        _, pull = vjp(f, x)
        second = hessian(
            lambda v: f(v.reshape(20, 20)), x.ravel()[:400], mode="reverse-over-reverse"
        )
        return value, gradient, pull(1.0), second

    monkeypatch.setattr(arrays, "_WORTH_DROPPING", 10**12)  # keep everything
    kept = derivatives()
    monkeypatch.setattr(arrays, "_WORTH_DROPPING", 0)  # drop every array not read
    dropped = derivatives()
    for a, b in zip(kept, dropped):
        assert onp.allclose(a, b, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# A graph of array nodes only is walked without asking each node for its layout


def test_an_array_graph_is_ordered_as_one_and_a_lifted_value_sends_it_the_general_way():
    from autodiff_lab import Value, core
    from autodiff_lab.arrays import array_leaf

    level = core.new_level()
    x = array_leaf(onp.ones(3), level)
    y = np.sum(np.tanh(x) * 2.0)
    order = core.topological_order([y])
    assert core.holds_arrays_only(order) and order[0] is x and order[-1] is y

    v = Value(0.5)
    mixed = np.sum(np.tanh(onp.ones(3) * v))  # v becomes a 0-d array node whose parent it is
    assert not core.holds_arrays_only(core.topological_order([mixed]))
    mixed.backward()
    assert v.grad == pytest.approx(3 * (1 - onp.tanh(0.5) ** 2))


def test_a_value_changed_after_it_went_into_an_array_is_still_caught():
    from autodiff_lab import Value

    v = Value(0.5, label="v")
    y = np.sum(np.tanh(onp.ones(3) * v))
    v.data = 2.0
    with pytest.raises(RuntimeError, match=r'"v" \(data 2\.0\) had its \.data changed'):
        y.backward()


def test_the_peak_memory_of_a_gradient_counts_the_arrays_its_vjps_read():
    import tracemalloc

    x = onp.linspace(-1.0, 1.0, 100_000)  # 0.8 MB an array
    steps = 10

    def f(x):
        for _ in range(steps):
            x = np.tanh(x * 1.1 + 0.1)  # three arrays a step, of which tanh's VJP reads one
        return np.sum(x)

    gradient = grad(f)
    gradient(x)
    tracemalloc.start()
    try:
        gradient(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # one kept output a step, plus a few arrays in flight (not the three a step kept before)
    assert peak < (steps + 5) * x.nbytes
