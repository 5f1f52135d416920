"""What the array engine keeps and copies: the caller's arrays are read, never copied
or written; gradients are handed over without a copy unless one would be shared."""

from __future__ import annotations

import numpy as onp
import pytest

import autodiff_lab.numpy as np
from autodiff_lab import elementwise_grad, grad, jacobian, jvp, value_and_grad, vjp
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
