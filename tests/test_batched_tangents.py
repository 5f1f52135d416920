"""A forward Jacobian in one pass: every input number carries a vector of tangents.

torch.func and JAX push all basis tangents through one traced pass (vmap); here a
`Dual` may carry a numpy vector as its tangent, one entry per input direction, so
``jacobian(f, x, mode="forward")`` runs f once where it ran it once per input, and
a forward-over-reverse or forward-over-forward Hessian runs one outer pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from counting import counted
from hypothesis import given
from hypothesis import strategies as st

import autodiff_lab.math as am
import autodiff_lab.numpy as anp
from autodiff_lab import hessian, jacobian

MODES = ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward")


def ring(v):
    n = len(v)
    return sum(am.tanh(v[i] * v[(i + 1) % n]) + v[i] ** 3 for i in range(n))


def test_a_forward_jacobian_of_numbers_runs_f_once():
    f = counted(lambda v: [v[0] * v[1], am.sin(v[2]) + v[0], v[1] ** 2])
    forward = jacobian(f, [1.0, 2.0, 0.5], mode="forward")
    assert f.calls == 1  # was one call per input, three
    assert np.allclose(forward, jacobian(f, [1.0, 2.0, 0.5], mode="reverse"), rtol=1e-15)
    # A nested list and a dict of numbers and an array of objects are batched too.
    g = counted(lambda p: p["a"] * p["b"][0] + p["b"][1])
    assert jacobian(g, {"a": 2.0, "b": [3.0, 5.0]}, mode="forward") == {"a": 3.0, "b": [2.0, 1.0]}
    assert g.calls == 1
    h = counted(lambda v: v * v)
    point = np.array([1.0, 2.0], dtype=object)
    assert jacobian(h, point, mode="forward").tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert h.calls == 1


@pytest.mark.parametrize("mode", MODES)
def test_every_hessian_mode_agrees_and_the_forward_ones_run_one_outer_pass(mode):
    x = [0.1 * (i + 1) for i in range(6)]
    f = counted(ring)
    H = np.array(hessian(f, x, mode=mode))
    assert np.allclose(H, np.array(hessian(ring, x, mode="reverse-over-reverse")), atol=1e-14)
    # one evaluation of f per pass of the innermost mode, whatever the number of inputs
    assert f.calls == 1


def test_numbers_that_meet_an_array_operation_stay_batched():
    # anp.stack lifts the numbers into an array dual carrying the same batch of tangents.
    f = counted(lambda v: [v[0] * v[1], anp.sum(anp.stack([v[0], v[1] ** 2]))])
    assert jacobian(f, [2.0, 3.0], mode="forward") == [[3.0, 2.0], [1.0, 6.0]]
    assert f.calls == 1  # was the batched try, then one pass per input


def test_an_output_that_does_not_move_gets_zeros():
    assert jacobian(lambda v: (v[0], 7.0), [2.0, 3.0], mode="forward") == ([1.0, 0.0], [0.0, 0.0])


@given(st.lists(st.floats(-2, 2), min_size=1, max_size=6))
def test_batched_forward_equals_reverse_on_random_points(point):
    def f(v):
        return [am.tanh(v[i] * v[-1 - i]) + v[i] ** 2 for i in range(len(v))]

    forward = np.array(jacobian(f, point, mode="forward"))
    reverse = np.array(jacobian(f, point, mode="reverse"))
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-14)


def test_a_zero_entry_is_plus_zero_as_one_direction_at_a_time_gives():
    # cos(2) < 0 times the zero tangent of x[1] is -0.0 in a batch; a lesson prints it.
    J = np.array(jacobian(lambda v: [am.sin(v[0])], [2.0, 3.0], mode="forward"))
    assert J[0, 1] == 0.0 and not np.signbit(J[0, 1])


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.lists(st.floats(-2, 2), min_size=2 * n, max_size=2 * n).map(
            lambda xs: np.reshape(xs, (2, -1))
        )
    )
)
def test_batched_forward_on_arrays_equals_reverse_on_random_points(x):
    def f(m):  # broadcasting between ranks, reductions, indexing and a matrix product
        row = anp.sum(m * m, axis=0)
        return anp.tanh(m * row) @ anp.transpose(m) + anp.cumsum(m[::-1], axis=-1)[:, :1]

    counted_f = counted(f)
    forward = jacobian(counted_f, x, mode="forward")
    assert counted_f.calls == 1
    np.testing.assert_allclose(forward, jacobian(f, x, mode="reverse"), rtol=1e-12, atol=1e-14)


def test_a_primitive_of_your_own_is_batched_one_tangent_at_a_time():
    from autodiff_lab import defjvp, defvjp, primitive

    @primitive
    def cube_sum(x, axis):
        return np.sum(x**3, axis=axis)

    defvjp(cube_sum, lambda ans, x, axis: lambda g: anp.expand_dims(g, axis) * 3 * x**2)
    defjvp(cube_sum, lambda g, ans, x, axis: anp.sum(3 * x**2 * g, axis=axis))

    def f(x):
        return anp.sin(cube_sum(x, 1))

    x = np.array([[0.5, -1.0, 2.0], [0.3, 0.2, -0.4]])
    counted_f = counted(f)
    forward = jacobian(counted_f, x, mode="forward")
    assert counted_f.calls == 1  # the batch went through: its JVP ran once per direction inside
    np.testing.assert_allclose(forward, jacobian(f, x, mode="reverse"), rtol=1e-14)

    def loss(v):
        return anp.sum(f(v) ** 2)

    for mode in MODES:
        np.testing.assert_allclose(
            hessian(loss, x, mode=mode),
            hessian(loss, x, mode="reverse-over-reverse"),
            rtol=1e-12,
            atol=1e-14,
        )


def test_one_tangent_jvp_on_arrays_is_unchanged_and_unbatched():
    from autodiff_lab import jvp
    from autodiff_lab.arrays import ArrayDual

    seen = []

    def f(x):
        seen.append(x)
        return anp.sum(x**2, axis=0)

    value, tangent = jvp(f, np.ones((2, 3)), np.full((2, 3), 0.5))
    assert type(seen[0]) is ArrayDual and seen[0].batch is None
    assert tangent.tolist() == [2.0, 2.0, 2.0]
    jacobian(f, np.ones((2, 3)), mode="forward")
    assert seen[1].batch == 6 and seen[1].tangent.shape == (6, 2, 3)


def test_one_tangent_among_a_batch_is_the_same_in_every_direction():
    from autodiff_lab.arrays import ArrayDual
    from autodiff_lab.core import new_level

    level = new_level()
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    batch = np.arange(6.0).reshape(3, 2)
    one = np.array([0.5, 0.25])
    product = ArrayDual(x, batch, level, batch=3) * ArrayDual(y, one, level)
    assert product.batch == 3
    np.testing.assert_array_equal(product.tangent, batch * y + one * x)
    with pytest.raises(ValueError, match="batches of 3 and 2"):
        ArrayDual(x, batch, level, batch=3) + ArrayDual(x, batch[:2], level, batch=2)


_MASK = np.arange(20).reshape(4, 5) % 3 == 0
INDICES = [
    (0,),
    (slice(None), 1),
    (Ellipsis, 2),
    ([0, 2, 2],),
    (slice(None), [1, 0, 1]),
    ([0, 1], [1, 2]),  # advanced, side by side: the batch axis stays in front
    (slice(None), [[0], [3]], [2, 4]),
    ([0, 1], slice(None), [1, 3]),  # advanced, apart: one tangent at a time
    (1, slice(None), [0, 2]),  # an integer among them counts as advanced
    (None, 0, Ellipsis, None),
    (slice(None), _MASK),
    (np.arange(60).reshape(3, 4, 5) % 4 == 1,),
    (Ellipsis, [0, 4]),
    (np.array(1), slice(None, None, -1)),
    (slice(2, None), None, slice(None, None, 2)),
]


@pytest.mark.parametrize("index", INDICES, ids=[str(i) for i in range(len(INDICES))])
@given(st.lists(st.floats(-2, 2), min_size=60, max_size=60))
def test_a_batch_through_any_index_equals_one_direction_at_a_time(index, numbers):
    x = np.reshape(numbers, (3, 4, 5))

    def f(v):
        picked = v[index]
        return anp.sin(picked) * picked

    def loss(v):
        return anp.sum(f(v) * f(v)[..., :1])

    counted_f = counted(f)
    forward = jacobian(counted_f, x, mode="forward")
    assert counted_f.calls == 1
    np.testing.assert_allclose(forward, jacobian(f, x, mode="reverse"), rtol=1e-13, atol=1e-15)
    if np.size(f(x)) <= 12:  # the VJP of the index (untake) under a batch, too
        np.testing.assert_allclose(
            hessian(loss, x, mode="forward-over-reverse"),
            hessian(loss, x, mode="reverse-over-reverse"),
            rtol=1e-12,
            atol=1e-13,
        )


def test_a_hessian_of_arrays_records_no_stacking_or_reshaping(monkeypatch):
    # A scalar f's gradient is already the one row of its Jacobian (nothing to stack), and
    # rolling a vector needs no flattening: forward over reverse pushes f's own steps only.
    from autodiff_lab import core
    from autodiff_lab.arrays import ArrayDual

    kind = core.KINDS[ArrayDual]
    apply = kind.apply
    pushed: list[str] = []

    def counting_apply(primitive, level, args, kwargs):
        pushed.append(primitive.name)
        return apply(primitive, level, args, kwargs)

    monkeypatch.setattr(kind, "apply", counting_apply)
    x = np.linspace(-0.8, 0.9, 12)

    def f(v):
        return anp.sum(anp.tanh(v * anp.roll(v, -1)) + v**3)

    matrix = hessian(f, x, mode="forward-over-reverse")
    assert not {"stack", "reshape"} & set(pushed), pushed
    monkeypatch.setattr(kind, "apply", apply)
    assert np.allclose(matrix, hessian(f, x, mode="forward-over-forward"), rtol=1e-13)
    assert np.allclose(matrix, hessian(ring, list(x)), rtol=1e-13)  # the scalar engine's
