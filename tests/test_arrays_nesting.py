"""The array engine nests, meets the functional API, and refuses what it cannot do.

Second derivatives through every structural primitive against torch.func, the
elementwise_grad tower of tanh against its formulas, each Hessian mode and
hvp, and one counter-example test per refusal: never a wrong number.
"""

from __future__ import annotations

import warnings

import numpy as onp
import pytest
from counting import counted
from installs import need

import autodiff_lab.numpy as np
from autodiff_lab import (
    Value,
    elementwise_grad,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    value_and_grad,
    vjp,
)
from autodiff_lab.arrays import ArrayNode, numbers

torch = need("torch")
from torch.func import hessian as torch_hessian  # noqa: E402
from torch.func import jacrev  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

RNG = onp.random.RandomState(0)
X = RNG.randn(5, 3)
W = RNG.randn(3, 4)
LABELS = onp.array([0, 3, 1, 1, 2])


def t(x):
    return torch.tensor(x, dtype=torch.float64)


def test_elementwise_grad_of_elementwise_grad_of_tanh_is_the_second_derivative():
    x = onp.linspace(-3, 3, 7)
    th = onp.tanh(x)
    first = elementwise_grad(np.tanh)(x)
    second = elementwise_grad(elementwise_grad(np.tanh))(x)
    third = elementwise_grad(elementwise_grad(elementwise_grad(np.tanh)))(x)
    onp.testing.assert_allclose(first, 1 - th**2, rtol=1e-14)
    onp.testing.assert_allclose(second, -2 * th * (1 - th**2), rtol=1e-13, atol=1e-15)
    onp.testing.assert_allclose(third, -2 * (1 - th**2) * (1 - 3 * th**2), rtol=1e-12, atol=1e-15)


def test_plain_numpy_ufuncs_nest_through_the_dispatch_protocol():
    x = onp.linspace(-2, 2, 5)
    second = elementwise_grad(elementwise_grad(onp.sin))(x)
    onp.testing.assert_allclose(second, -onp.sin(x), rtol=1e-14)
    assert grad(lambda v: onp.sum(onp.exp(v) * 2.0))(x).tolist() == (2 * onp.exp(x)).tolist()


def loss(w, np=np):
    """Softmax cross-entropy of a tanh layer: every structural primitive on the way."""
    h = np.tanh(np.dot(X, w))
    logp = h - np.logsumexp(h, axis=1, keepdims=True)
    picked = logp[onp.arange(5), LABELS]
    return -np.mean(picked) + 0.1 * np.sum(np.max(w, axis=0) ** 2)


def torch_loss(w):
    h = torch.tanh(t(X) @ w)
    logp = h - torch.logsumexp(h, dim=1, keepdim=True)
    picked = logp[torch.arange(5), torch.tensor(LABELS)]
    return -picked.mean() + 0.1 * (torch.amax(w, dim=0) ** 2).sum()


@pytest.mark.parametrize(
    "mode", ["forward-over-reverse", "reverse-over-reverse", "forward-over-forward"]
)
def test_hessian_through_structural_primitives_matches_torch_in_every_mode(mode):
    ours = hessian(loss, W, mode=mode)
    theirs = torch_hessian(torch_loss)(t(W)).numpy()
    assert ours.shape == (3, 4, 3, 4)
    onp.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_grad_and_hvp_and_jvp_match_torch():
    v = RNG.randn(3, 4)
    onp.testing.assert_allclose(grad(loss)(W), jacrev(torch_loss)(t(W)).numpy(), rtol=1e-12)
    theirs = torch.autograd.functional.hvp(torch_loss, t(W), t(v))[1].numpy()
    onp.testing.assert_allclose(hvp(loss, W, v), theirs, rtol=1e-10, atol=1e-12)
    value, tangent = jvp(lambda w: np.softmax(np.dot(X, w)), W, v)
    _, torch_tangent = torch.func.jvp(lambda w: torch.softmax(t(X) @ w, dim=-1), (t(W),), (t(v),))
    onp.testing.assert_allclose(tangent, torch_tangent.numpy(), rtol=1e-12, atol=1e-14)


def test_jacobian_in_both_modes_matches_torch():
    def f(w):
        return np.log_softmax(np.concatenate([w, np.stack([w[0], w[1]])]), axis=0)

    def torch_f(w):
        return torch.log_softmax(torch.cat([w, torch.stack([w[0], w[1]])]), dim=0)

    w = RNG.randn(3, 2)
    theirs = jacrev(torch_f)(t(w)).numpy()
    for mode in ("reverse", "forward"):
        onp.testing.assert_allclose(jacobian(f, w, mode=mode), theirs, rtol=1e-12, atol=1e-14)


def test_second_derivatives_of_every_structural_primitive_match_torch():
    cases = [
        (lambda x: np.sum(np.reshape(x, (-1,)) ** 3), lambda x: (x.reshape(-1) ** 3).sum()),
        (lambda x: np.sum(np.transpose(x) @ x), lambda x: (x.T @ x).sum()),
        (lambda x: np.sum(np.mean(x**2, axis=0) ** 2), lambda x: ((x**2).mean(0) ** 2).sum()),
        (lambda x: np.sum(np.where(x > 0, x**3, -x)), lambda x: torch.where(x > 0, x**3, -x).sum()),
        (lambda x: np.sum(np.clip(x, -0.5, 0.5) ** 2), lambda x: (x.clamp(-0.5, 0.5) ** 2).sum()),
        (
            lambda x: np.sum(x[::2, 1:] ** 2 * x[0, 1:]),
            lambda x: (x[::2, 1:] ** 2 * x[0, 1:]).sum(),
        ),
        (lambda x: np.logsumexp(x * x), lambda x: torch.logsumexp(x * x, dim=(0, 1))),
        (lambda x: np.sum(np.softmax(x) ** 2), lambda x: (torch.softmax(x, -1) ** 2).sum()),
        (lambda x: np.sum(np.min(x, axis=1) ** 3), lambda x: (torch.amin(x, 1) ** 3).sum()),
        (
            lambda x: np.sum(np.broadcast_to(x, (2, 4, 3)) ** 3),
            lambda x: (x.expand(2, 4, 3) ** 3).sum(),
        ),
    ]
    x = RNG.randn(4, 3)
    for ours, theirs in cases:
        onp.testing.assert_allclose(
            hessian(ours, x, mode="reverse-over-reverse"),
            torch_hessian(theirs)(t(x)).numpy(),
            rtol=1e-10,
            atol=1e-12,
        )


def test_grad_of_a_function_that_takes_a_gradient_inside():
    # d/dx Σ x ⊙ ∂/∂y Σ (x y)² at y: the inner gradient depends on x.
    y = onp.array([0.5, -1.0])

    def outer(x):
        return np.sum(x * grad(lambda z: np.sum((x * z) ** 2))(y))

    x = onp.array([1.5, 2.0])
    # Σ x · 2 x² y = 2 Σ x³ y, so the gradient is 6 x² y
    onp.testing.assert_allclose(grad(outer)(x), 6 * x**2 * y, rtol=1e-14)


def test_arrays_of_objects_and_lists_keep_the_value_engine():
    seen = []

    def f(x):
        seen.append(isinstance(x[0], Value) if isinstance(x, onp.ndarray) else type(x))
        return np.sum(x * x)

    assert grad(f)(onp.array([1.0, 2.0], dtype=object)).tolist() == [2.0, 4.0]
    assert grad(f)(onp.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert seen == [True, ArrayNode]
    # A list stays a list: one Value per number, and a list of gradients back.
    assert grad(lambda x: x[0] * x[0] + x[1] * x[1])([1.0, 2.0]) == [2.0, 4.0]


# ---------------------------------------------------------------------------
# Refusals: each one is an error with a message, never a number


def test_numpy_cannot_silently_turn_a_node_into_numbers():
    with pytest.raises(TypeError, match="drop its derivative"):
        grad(lambda x: onp.asarray(x).sum())(onp.ones(3))


@pytest.mark.parametrize(
    "function",
    [onp.cumprod, onp.diff, onp.median, onp.ptp, onp.linalg.det],
)
def test_a_numpy_function_without_a_rule_is_refused_by_name(function):
    with pytest.raises(TypeError, match=rf"numpy\.{function.__name__} has no rule"):
        grad(lambda x: onp.sum(function(x)))(onp.eye(3) + 1.0)


def test_a_ufunc_without_a_rule_is_refused_by_name():
    with pytest.raises(TypeError, match=r"numpy\.floor .*has no rule"):
        grad(lambda x: onp.sum(onp.floor(x)))(onp.ones(3))
    with pytest.raises(TypeError, match=r"numpy\.add \(reduce\)"):
        grad(lambda x: onp.add.reduce(x))(onp.ones(3))


def test_array_nodes_and_values_combine_by_level():
    # A Value of your own (level 0) is a constant to the array pass and gets no gradient;
    # the gradient depends on it, so it is a node of level 0, as a closure over a Value gives.
    two = Value(2.0)
    gradient = grad(lambda x: np.sum(x * two))(onp.ones(2))
    assert isinstance(gradient, ArrayNode) and gradient.level == 0
    assert numbers(gradient).tolist() == [2.0, 2.0]
    assert two.grad == 0.0
    inner = grad(lambda y: y * y)  # a scalar pass inside an array pass
    gradient = grad(lambda x: np.sum(x) * inner(3.0) * Value(1.0))(onp.ones(2))
    assert numbers(gradient).tolist() == [6.0, 6.0]
    # An array pass inside a scalar one: d/dw Σ (w·x)² = 2w·Σ x² at w = 3.
    x = onp.array([1.0, 2.0])
    assert grad(lambda w: np.sum((x * w) ** 2))(3.0) == 2 * 3.0 * 5.0
    # The inner gradient with respect to an array, differentiated in a scalar outside it.
    gradient = grad(lambda w: np.sum(grad(lambda v: np.sum(v * v * w))(x)))(3.0)
    assert gradient == 2 * (1.0 + 2.0)


def test_a_node_escaped_from_a_finished_inner_pass_is_refused():
    stash = []

    def inner(y):
        stash.append(y)
        return np.sum(y * y)

    def outer(x):
        grad(inner)(x)  # its pass starts and ends inside outer
        return np.sum(stash[-1])

    with pytest.raises(ValueError, match="has finished"):
        grad(outer)(onp.ones(2))


def test_traced_clip_bounds_and_where_conditions_are_refused():
    with pytest.raises(TypeError, match="argument 1 cannot be differentiated"):
        grad(lambda x: np.sum(np.clip(x, x[0], 2.0)))(onp.ones(3))


def test_grad_of_several_outputs_is_refused():
    with pytest.raises(TypeError, match="one number"):
        grad(lambda x: x * 2.0)(onp.ones(3))


def test_an_output_independent_of_the_input_warns_and_gives_zeros():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = grad(lambda x: np.sum(onp.ones(3)))(onp.ones(3))
    assert g.tolist() == [0.0, 0.0, 0.0]
    assert any("independent" in str(w.message) for w in caught)


def test_vjp_checks_the_cotangent_shape_and_does_not_accumulate():
    value, vjp_fn = vjp(lambda x: x[:2] * 3.0, onp.ones(3))
    assert vjp_fn(onp.ones(2)).tolist() == [3.0, 3.0, 0.0]
    assert vjp_fn(onp.ones(2)).tolist() == [3.0, 3.0, 0.0]
    with pytest.raises(ValueError, match="the cotangent has shape"):
        vjp_fn(onp.ones(5))


def test_value_and_grad_returns_the_value_as_a_float():
    value, g = value_and_grad(lambda x: np.sum(x**2))(onp.array([1.0, 2.0]))
    assert value == 5.0 and type(value) is float and g.tolist() == [2.0, 4.0]


def test_float_of_a_node_is_refused_instead_of_dropping_the_derivative():
    import math

    with pytest.raises(TypeError, match="would drop its derivative"):
        grad(lambda x: math.exp(x[0]) * np.sum(x))(onp.ones(2))


def test_no_grad_stops_the_gradient_as_on_the_value_engine():
    from autodiff_lab import no_grad

    def f(x):
        with no_grad():
            frozen = x * x
        return np.sum(frozen * x)

    assert grad(f)(onp.array([2.0, 3.0])).tolist() == [4.0, 9.0]
    assert grad(f)(onp.array([2.0, 3.0], dtype=object)).tolist() == [4.0, 9.0]


def test_the_wrapped_functions_give_numpys_answers_on_plain_arrays():
    rng = onp.random.RandomState(5)
    a, b = rng.randn(2, 3, 4), rng.randn(5, 4, 2)
    assert onp.array_equal(np.dot(a, b), onp.dot(a, b))  # N-d dot is not matmul
    x = rng.randn(3, 4)
    for name in ("sum", "mean", "max", "min", "exp", "tanh", "ravel", "transpose", "squeeze"):
        assert onp.array_equal(getattr(np, name)(x), getattr(onp, name)(x)), name
    assert onp.array_equal(np.outer(x, x[0]), onp.outer(x, x[0]))
    assert onp.array_equal(np.power(x, 2), onp.power(x, 2))
    assert onp.array_equal(np.concatenate([x, x], axis=1), onp.concatenate([x, x], axis=1))


def test_detect_anomaly_names_the_array_primitive_that_made_a_nan():
    from autodiff_lab import AnomalyError, detect_anomaly

    with detect_anomaly(), pytest.raises(AnomalyError, match=r"forward pass: log .*index \(1,\)"):
        grad(lambda x: np.sum(np.log(x)))(onp.array([1.0, -1.0]))
    with detect_anomaly(), pytest.raises(AnomalyError, match="backward pass: the VJP of sqrt"):
        grad(lambda x: np.sum(np.sqrt(x)))(onp.array([1.0, 0.0]))
    with detect_anomaly(), pytest.raises(AnomalyError, match="JVP of sqrt"):
        jvp(np.sqrt, onp.array([1.0, 0.0]), onp.ones(2))
    assert grad(lambda x: np.sum(np.log(x)))(onp.array([1.0, -1.0]))[0] == 1.0  # outside: IEEE


def test_hessian_of_prod_with_a_zero_entry_matches_torch():
    # ∂²(x0·x1·x2·x3)/∂xi∂xj is the product of the other two: nonzero only beside the 0.
    x = onp.array([1.0, 0.0, 2.0, 3.0])
    expected = torch.func.hessian(torch.prod)(torch.tensor(x)).numpy()
    for mode in ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward"):
        onp.testing.assert_array_equal(hessian(np.prod, x, mode=mode), expected)
    assert expected[1].tolist() == [6.0, 0.0, 3.0, 2.0]


# ---------------------------------------------------------------------------
# Forward mode on arrays carries every direction at once (issue 19)

MODES = ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward")
X3 = RNG.randn(2, 3, 4)
MATRIX = RNG.randn(4, 2)

# (ours, torch's, point): each primitive family, as JAX's vmap of the JVP must batch it
FAMILIES = {
    "elementwise, broadcast across ranks": (
        lambda x: np.sin(x) * x[0] + np.exp(x[:, :1]) ** 2 - np.maximum(x, 0.3 * x[1]) / (2 + x),
        lambda x: (
            torch.sin(x) * x[0] + torch.exp(x[:, :1]) ** 2 - torch.maximum(x, 0.3 * x[1]) / (2 + x)
        ),
        X[:3, :],
    ),
    "abs, sqrt, power, arctan2": (
        lambda x: np.abs(x) * np.sqrt(x**2 + 1) + x ** x[0] ** 2 + np.arctan2(x, x[1]),
        lambda x: x.abs() * (x**2 + 1).sqrt() + x ** x[0] ** 2 + torch.atan2(x, x[1]),
        onp.abs(X[:2]) + 0.5,
    ),
    "sum and mean over axes": (
        lambda x: np.concatenate(
            [
                np.sum(x**2, axis=0),
                np.mean(x**3, axis=-1),
                np.reshape(np.sum(x, axis=(0, 1), keepdims=True), (1,)),
                np.mean(x * x, axis=1, keepdims=True)[:, 0],
                np.reshape(np.sum(np.sin(x)), (1,)),
                np.reshape(np.mean(x), (1,)),
            ]
        ),
        lambda x: torch.cat(
            [
                (x**2).sum(0),
                (x**3).mean(-1),
                x.sum((0, 1), keepdim=True).reshape(1),
                (x * x).mean(1, keepdim=True)[:, 0],
                torch.sin(x).sum().reshape(1),
                x.mean().reshape(1),
            ]
        ),
        X,
    ),
    "reshape and transpose": (
        lambda x: np.reshape(np.transpose(x, (2, 0, 1)) ** 2, (4, 6)) + np.transpose(x).sum(),
        lambda x: (x.permute(2, 0, 1) ** 2).reshape(4, 6) + x.permute(2, 1, 0).sum(),
        X3,
    ),
    "getitem: slices, Ellipsis, integer arrays, masks": (
        lambda x: np.concatenate(
            [
                np.ravel(x[::2, 1:] ** 2),
                x[..., 1],
                x[[0, 2, 2], [1, 0, 2]] ** 3,
                x[x > 0],
                np.ravel(x[1:, [2, 0]]),
            ]
        ),
        lambda x: torch.cat(
            [
                (x[::2, 1:] ** 2).reshape(-1),
                x[..., 1],
                x[[0, 2, 2], [1, 0, 2]] ** 3,
                x[x > 0],
                x[1:, [2, 0]].reshape(-1),
            ]
        ),
        X[:, :],
    ),
    "getitem: advanced indices apart (one tangent at a time)": (
        lambda x: x[[0, 1], :, [1, 3]] ** 2 + x[[1, 0], :, [0, 2]],
        lambda x: x[[0, 1], :, [1, 3]] ** 2 + x[[1, 0], :, [0, 2]],
        X3,
    ),
    "concatenate, stack, cumsum": (
        lambda x: (
            np.concatenate(
                [np.stack([x, np.sin(x)], axis=-1), np.stack([x**2, x], axis=2)], axis=-1
            )
            * np.cumsum(x**2, axis=1)[..., None]
            + np.reshape(np.cumsum(x), (5, 3, 1))[0]
        ),
        lambda x: (
            torch.cat(
                [torch.stack([x, torch.sin(x)], dim=-1), torch.stack([x**2, x], dim=2)], dim=-1
            )
            * torch.cumsum(x**2, dim=1)[..., None]
            + torch.cumsum(x.reshape(-1), 0).reshape(5, 3, 1)[0]
        ),
        X,
    ),
    "matmul, 1-D and 2-D": (
        lambda x: np.concatenate(
            [
                np.ravel(x @ x.T),
                x[0] @ x.T,
                x @ x[1],
                np.reshape(x[0] @ x[2], (1,)),
                np.ravel(x.T @ x[:, :2]),
                np.ravel(MATRIX @ x[:2]),
                MATRIX.T @ x[0],
            ]
        ),
        lambda x: torch.cat(
            [
                (x @ x.T).reshape(-1),
                x[0] @ x.T,
                x @ x[1],
                (x[0] @ x[2]).reshape(1),
                (x.T @ x[:, :2]).reshape(-1),
                (t(MATRIX) @ x[:2]).reshape(-1),
                t(MATRIX).T @ x[0],
            ]
        ),
        X[:4, :].T.copy(),
    ),
    "stacked matmul and einsum": (
        lambda x: (
            np.matmul(x, np.swapaxes(x, 1, 2)) * np.einsum("aij,bkj->ik", x, x**2)
            + np.einsum("aii->a", x[:, :, :3])[:, None, None]
        ),
        lambda x: (
            torch.matmul(x, x.transpose(1, 2)) * torch.einsum("aij,bkj->ik", x, x**2)
            + torch.einsum("aii->a", x[:, :, :3])[:, None, None]
        ),
        X3,
    ),
    "max, min, where, clip": (
        lambda x: np.concatenate(
            [
                np.max(x, axis=0),
                np.reshape(np.max(x**2), (1,)),
                np.min(x, axis=-1) * 2,
                np.ravel(np.where(x > 0, x**2, np.sin(x))),
                np.ravel(np.clip(x, -0.5, 0.5) * x),
            ]
        ),
        lambda x: torch.cat(
            [
                torch.amax(x, 0),
                torch.amax(x**2).reshape(1),
                torch.amin(x, -1) * 2,
                torch.where(x > 0, x**2, torch.sin(x)).reshape(-1),
                (x.clamp(-0.5, 0.5) * x).reshape(-1),
            ]
        ),
        X,
    ),
    "softmax, log_softmax, logsumexp": (
        lambda x: np.concatenate(
            [
                np.ravel(np.softmax(x, axis=0)),
                np.ravel(np.log_softmax(x * x)),
                np.logsumexp(x, axis=1),
                np.reshape(np.logsumexp(x), (1,)),
                np.ravel(np.logsumexp(x, axis=0, keepdims=True)),
            ]
        ),
        lambda x: torch.cat(
            [
                torch.softmax(x, 0).reshape(-1),
                torch.log_softmax(x * x, -1).reshape(-1),
                torch.logsumexp(x, 1),
                torch.logsumexp(x, (0, 1)).reshape(1),
                torch.logsumexp(x, 0, keepdim=True).reshape(-1),
            ]
        ),
        X,
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_forward_jacobian_on_arrays_is_one_pass_and_matches_reverse_and_torch(family):
    ours, theirs, x = FAMILIES[family]
    f = counted(ours)
    forward = jacobian(f, x, mode="forward")
    assert f.calls == 1  # every direction in one pass, as torch.func.jacfwd
    onp.testing.assert_allclose(forward, jacobian(ours, x, mode="reverse"), rtol=1e-12, atol=1e-13)
    expected = torch.func.jacfwd(theirs)(t(x)).numpy()
    onp.testing.assert_allclose(forward, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_hessian_mode_on_arrays_matches_torch_with_one_call_of_f(family):
    ours, theirs, x = FAMILIES[family]
    expected = torch_hessian(lambda v: (theirs(v) ** 2).sum())(t(x)).numpy()
    for mode in MODES:
        f = counted(lambda v: np.sum(ours(v) ** 2))
        onp.testing.assert_allclose(hessian(f, x, mode=mode), expected, rtol=1e-10, atol=1e-11)
        assert f.calls == 1, mode  # one pass per level: the forward ones batch every direction


def test_a_hessian_of_a_function_that_takes_a_forward_jacobian_inside():
    def inner(x):
        return np.sum(jacobian(lambda y: np.sin(y * x[0]) * y + x, x, mode="forward") ** 2)

    def torch_inner(x):
        return (torch.func.jacfwd(lambda y: torch.sin(y * x[0]) * y + x)(x) ** 2).sum()

    x = onp.array([0.3, -0.7, 1.1])
    expected = torch_hessian(torch_inner)(t(x)).numpy()
    for mode in MODES:
        onp.testing.assert_allclose(hessian(inner, x, mode=mode), expected, rtol=1e-10)
    # and a third derivative: the forward Jacobian of a forward-over-forward Hessian
    third = jacobian(lambda v: hessian(lambda w: np.sum(w**4 * w[0]), v), x, mode="forward")
    expected = torch.func.jacfwd(torch_hessian(lambda w: (w**4 * w[0]).sum()))(t(x)).numpy()
    onp.testing.assert_allclose(third, expected, rtol=1e-12)


def test_numbers_that_meet_arrays_carry_their_batch_into_the_array_engine():
    def f(v):  # a list of numbers: scalar Duals, lifted into array duals by stack
        stacked = np.stack([v[0], v[1] * v[2], np.sin(v[2])])
        return np.sum(np.tanh(stacked * onp.array([1.0, 2.0, 3.0]))) + v[0] * v[1] ** 2

    def torch_f(v):
        stacked = torch.stack([v[0], v[1] * v[2], torch.sin(v[2])])
        return torch.tanh(stacked * t([1.0, 2.0, 3.0])).sum() + v[0] * v[1] ** 2

    point = [0.4, -0.9, 1.3]
    expected = torch_hessian(torch_f)(t(point)).numpy()
    for mode in MODES:
        counted_f = counted(f)
        onp.testing.assert_allclose(hessian(counted_f, point, mode=mode), expected, rtol=1e-12)
        assert counted_f.calls == 1, mode
    # an array leaf and a number leaf in one point: one batch over both
    g = counted(lambda p: np.tanh(p["a"] * p["b"]) + p["b"] ** 2)
    J = jacobian(g, {"a": onp.array([0.5, -1.0]), "b": 0.7}, mode="forward")
    assert g.calls == 1
    torch_J = torch.func.jacfwd(lambda a, b: torch.tanh(a * b) + b**2, argnums=(0, 1))(
        t([0.5, -1.0]), t(0.7)
    )
    onp.testing.assert_allclose(J["a"], torch_J[0].numpy(), rtol=1e-14)
    onp.testing.assert_allclose(J["b"], torch_J[1].numpy(), rtol=1e-14)
