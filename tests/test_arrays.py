"""The array engine, primitive by primitive, against PyTorch float64.

Shapes come from hypothesis, with broadcasting and size-1 axes; every VJP is
checked with a random cotangent u (the gradient of Σ u ⊙ f), so no entry of
the output is left out of the check, and every JVP with a random direction
against torch.func.jvp. The checks against finite differences, which need no
PyTorch, are in test_arrays_numeric.py, with the helpers this module shares.
"""

from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from installs import need
from primitive_calls import BINARY_DOMAINS, UNARY_DOMAINS, apply_binary, apply_unary
from test_against_torch import EDGES, assert_same
from test_arrays_numeric import (
    COMPOSED,
    REDUCTIONS,
    arrays_in,
    away_from_kinks,
    axis_and_keepdims,
    binary_inputs,
    check_differences,
    composed_input,
    distinct,
    matrices,
    our_tangent,
    ours,
    seeds,
    shapes,
    table,
)

import autodiff_lab.numpy as np
from autodiff_lab import value_and_grad
from autodiff_lab.arrays import ArrayNode

torch = need("torch")

# torch.func warns about its own internal use of torch.jit on first use.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def t(x, grad=False):
    return torch.tensor(onp.asarray(x, dtype=float), dtype=torch.float64, requires_grad=grad)


def theirs(f, arrays, u):
    tensors = [t(a, grad=True) for a in arrays]
    out = f(*tensors)
    out.backward(t(u))
    grads = [
        onp.zeros(onp.shape(a)) if x.grad is None else x.grad.numpy()
        for a, x in zip(arrays, tensors)
    ]
    return out.detach().numpy(), grads


def check(f, f_torch, arrays, seed: int = 0, rtol: float = 1e-10, differences: bool = True):
    """Value, VJP and JVP equal to PyTorch's; with ``differences``, both against finite
    differences too (`check_differences`; off at a kink, and where test_arrays_numeric.py
    already makes that check on the same function)."""
    arrays = [onp.asarray(a, dtype=float) for a in arrays]
    out_shape = onp.shape(f(*arrays))
    u = onp.random.RandomState(seed).randn(*out_shape)
    value, grads = ours(f, arrays, u)
    torch_value, torch_grads = theirs(f_torch, arrays, u)
    onp.testing.assert_allclose(value, torch_value, rtol=rtol, atol=rtol)
    for ours_grad, torch_grad, a in zip(grads, torch_grads, arrays):
        assert onp.shape(ours_grad) == onp.shape(a)
        onp.testing.assert_allclose(ours_grad, torch_grad, rtol=rtol, atol=rtol)
    rng = onp.random.RandomState(seed + 1)
    directions = [rng.randn(*onp.shape(a)) for a in arrays]
    tangent = our_tangent(f, arrays, directions)
    _, torch_tangent = torch.func.jvp(
        f_torch, tuple(t(a) for a in arrays), tuple(t(d) for d in directions)
    )
    onp.testing.assert_allclose(tangent, torch_tangent.numpy(), rtol=rtol, atol=rtol)
    if differences:
        check_differences(f, arrays, seed)


# ---------------------------------------------------------------------------
# Elementwise: the rule table on arrays


def torch_unary(name):
    def f(x):
        return apply_unary(name, x)

    return f


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
@given(data=st.data(), shape=shapes)
def test_unary_primitive_matches_torch(name, data, shape):
    x = data.draw(arrays_in(UNARY_DOMAINS[name], shape))
    x = away_from_kinks(name, x)
    check(lambda a: table(name)(a), torch_unary(name), [x], rtol=1e-9, differences=False)
    check(
        lambda a: apply_unary(name, a) if type(a) is ArrayNode else table(name)(a),
        torch_unary(name),
        [x],
        rtol=1e-9,
        differences=False,  # test_arrays_numeric.py
    )


@pytest.mark.parametrize("name", sorted(BINARY_DOMAINS))
@given(data=st.data(), pair=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_side=3))
def test_binary_primitive_broadcasts_and_matches_torch(name, data, pair):
    a, b = binary_inputs(name, data, pair)
    check(table(name), lambda x, y: apply_binary(name, x, y), [a, b], rtol=1e-9, differences=False)


@given(x=arrays_in(st.floats(0.1, 5.0), shapes), n=st.sampled_from([-2.0, 0.0, 0.5, 1.0, 2.0, 3.0]))
def test_power_with_a_number_matches_torch(x, n):
    check(lambda a: a**n, lambda a: a**n, [x])


def test_edges_match_torch_on_whole_arrays():
    """The scalar engine's edge cases (inf, nan, kinks, ties), one array per primitive."""
    by_name: dict[str, list] = {}
    for name, args in EDGES:
        by_name.setdefault(name, []).append(args)
    for name, cases in by_name.items():
        columns = [onp.array(column, dtype=float) for column in zip(*cases)]
        tensors = [t(c, grad=True) for c in columns]
        call = apply_unary if len(columns) == 1 else apply_binary

        def f(*xs, name=name):
            return np.sum(table(name)(*xs))

        with onp.errstate(all="ignore"):
            value, grads = value_and_grad(f, tuple(range(len(columns))))(*columns)
        call(name, *tensors).sum().backward()
        for ours_grad, x in zip(grads, tensors):
            for mine, torch_number, case in zip(ours_grad, x.grad.numpy(), cases):
                try:
                    assert_same(float(mine), float(torch_number))
                except AssertionError as error:
                    raise AssertionError(f"{name}{case}: {error}") from None


# ---------------------------------------------------------------------------
# Reductions


def torch_dim(axis):
    return axis if axis is not None else None


TORCH_REDUCTIONS = {
    "sum": lambda x, axis, keep: (
        x.sum() if axis is None and not keep else x.sum(dim=_all(x, axis), keepdim=keep)
    ),
    "mean": lambda x, axis, keep: x.mean(dim=_all(x, axis), keepdim=keep),
    "max": lambda x, axis, keep: torch.amax(x, dim=_all(x, axis), keepdim=keep),
    "min": lambda x, axis, keep: torch.amin(x, dim=_all(x, axis), keepdim=keep),
    "logsumexp": lambda x, axis, keep: torch.logsumexp(x, dim=_all(x, axis), keepdim=keep),
    "var": lambda x, axis, keep: torch.var(x, dim=_all(x, axis), keepdim=keep, correction=0),
}


def _all(x, axis):
    if axis is None:
        return tuple(range(x.dim()))
    return axis


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(data=st.data(), shape=shapes, seed=seeds)
def test_reduction_with_axis_and_keepdims_matches_torch(name, data, shape, seed):
    axis, keepdims = data.draw(axis_and_keepdims(shape))
    ours_f, torch_f = REDUCTIONS[name], TORCH_REDUCTIONS[name]
    x = distinct(shape, seed)
    check(
        lambda a: ours_f(a, axis=axis, keepdims=keepdims),
        lambda a: torch_f(a, axis, keepdims),
        [x],
        seed,
        differences=False,  # test_arrays_numeric.py
    )


def test_max_shares_the_gradient_among_ties_as_torch_amax():
    x = onp.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    check(lambda a: np.max(a, axis=1), lambda a: torch.amax(a, dim=1), [x], differences=False)
    check(lambda a: np.min(a), lambda a: torch.amin(a), [x], differences=False)


# ---------------------------------------------------------------------------
# Shapes, indexing, joining


@given(shape=shapes, seed=seeds)
def test_reshape_transpose_and_broadcast_to_match_torch(shape, seed):
    x = onp.random.RandomState(seed).randn(*shape)
    perm = tuple(onp.random.RandomState(seed).permutation(len(shape)))
    check(lambda a: np.reshape(a, (-1,)), lambda a: a.reshape(-1), [x], seed)
    check(lambda a: np.transpose(a, perm), lambda a: a.permute(*perm), [x], seed)
    check(lambda a: a.T, lambda a: a.permute(*reversed(range(a.dim()))), [x], seed)
    target = (2,) + tuple(2 if n == 1 else n for n in shape)
    check(lambda a: np.broadcast_to(a, target), lambda a: a.broadcast_to(target), [x], seed)


INDICES = [
    (slice(None), "all"),
    (0, "int"),
    (-1, "negative int"),
    (slice(None, None, -1), "reversed"),
    (slice(1, None), "slice"),
    ([0, 0, 1], "repeated integers"),
    ((Ellipsis, 0), "ellipsis"),
    ((None, slice(None)), "new axis"),
]


@pytest.mark.parametrize("index, label", INDICES, ids=[label for _, label in INDICES])
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), seed=seeds)
def test_indexing_matches_torch(index, label, shape, seed):
    x = onp.random.RandomState(seed).randn(*shape)
    if label == "reversed":  # torch has no negative steps
        check(lambda a: a[index], lambda a: torch.flip(a, dims=(0,)), [x], seed)
        return
    torch_index = index if not isinstance(index, list) else torch.tensor(index)
    check(lambda a: a[index], lambda a: a[torch_index], [x], seed)


def test_boolean_mask_and_integer_arrays_match_torch():
    x = onp.random.RandomState(3).randn(4, 3)
    mask = x > 0
    check(lambda a: a[mask], lambda a: a[torch.tensor(mask)], [x])
    rows, cols = onp.array([0, 0, 3]), onp.array([1, 1, 2])
    check(lambda a: a[rows, cols], lambda a: a[torch.tensor(rows), torch.tensor(cols)], [x])


@given(shape=shapes, seed=seeds, data=st.data())
def test_concatenate_and_stack_match_torch(shape, seed, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    rng = onp.random.RandomState(seed)
    other = list(shape)
    other[axis] = data.draw(st.integers(1, 3))
    a, b = rng.randn(*shape), rng.randn(*other)
    check(
        lambda x, y: np.concatenate([x, y, x], axis=axis),
        lambda x, y: torch.cat([x, y, x], dim=axis),
        [a, b],
        seed,
    )
    c = rng.randn(*shape)
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(
        lambda x, y: np.stack([x, y], axis=new_axis),
        lambda x, y: torch.stack([x, y], dim=new_axis),
        [a, c],
        seed,
    )


@given(pair=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=1, max_side=3), seed=seeds)
def test_where_broadcasts_and_matches_torch(pair, seed):
    rng = onp.random.RandomState(seed)
    condition = rng.randn(*pair.input_shapes[0]) > 0
    x, y = rng.randn(*pair.input_shapes[1]), rng.randn(*pair.input_shapes[2])
    check(
        lambda a, b: np.where(condition, a, b),
        lambda a, b: torch.where(torch.tensor(condition), a, b),
        [x, y],
        seed,
    )


@given(shape=shapes, seed=seeds)
def test_clip_matches_torch_clamp(shape, seed):
    x = onp.random.RandomState(seed).randn(*shape)
    check(lambda a: np.clip(a, -0.5, 0.7), lambda a: a.clamp(-0.5, 0.7), [x], seed)
    check(lambda a: np.clip(a, None, 0.0), lambda a: a.clamp(max=0.0), [x], seed)


def test_clip_at_its_bounds_passes_the_gradient_as_torch():
    x = onp.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    check(lambda a: np.clip(a, 0.0, 1.0), lambda a: a.clamp(0.0, 1.0), [x], differences=False)


# ---------------------------------------------------------------------------
# Products and softmax


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((1, 2, 3), (5, 3, 4)),
    ((4, 1, 2, 3), (5, 3, 1)),
    ((3,), (2, 3, 4)),
]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_broadcasts_its_batches_and_matches_torch(shape_a, shape_b):
    rng = onp.random.RandomState(len(shape_a) + 7 * len(shape_b))
    a, b = rng.randn(*shape_a), rng.randn(*shape_b)
    check(np.matmul, torch.matmul, [a, b])
    check(lambda x, y: x @ y, lambda x, y: x @ y, [a, b])


@pytest.mark.parametrize("shape_a, shape_b", [s for s in MATMUL_SHAPES if max(map(len, s)) <= 2])
def test_dot_matches_torch(shape_a, shape_b):
    rng = onp.random.RandomState(2)
    a, b = rng.randn(*shape_a), rng.randn(*shape_b)
    check(np.dot, torch.matmul, [a, b])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(shape=shapes, seed=seeds, data=st.data())
def test_softmax_and_log_softmax_match_torch(name, shape, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = onp.random.RandomState(seed).randn(*shape) * 3
    torch_f = getattr(torch, name)
    check(lambda a: getattr(np, name)(a, axis=axis), lambda a: torch_f(a, dim=axis), [x], seed)


# ---------------------------------------------------------------------------
# Functions built from the primitives (autodiff_lab.numpy) and the running sum


TORCH_COMPOSED = {
    "cumsum": lambda x: torch.cumsum(x, dim=1),
    "cumsum flat": lambda x: torch.cumsum(x.reshape(-1), dim=0),
    "flipud": lambda x: torch.flip(x, dims=(0,)),
    "fliplr": lambda x: torch.fliplr(x),
    "rot90": lambda x: torch.rot90(x),
    "rot90 three times": lambda x: torch.rot90(x, 3),
    "roll": lambda x: torch.roll(x, 2, dims=1),
    "roll flat": lambda x: torch.roll(x, -3),
    "repeat": lambda x: torch.repeat_interleave(x, 2, 0),
    "diagonal": lambda x: torch.diagonal(x, 1),
    "trace": torch.trace,
    "diag of a matrix": lambda x: torch.diag(x, -1),
    "diag of a row": lambda x: torch.diag(x[0], 1),
    "triu": lambda x: torch.triu(x, 1),
    "tril": lambda x: torch.tril(x, -1),
    "prod": torch.prod,
    "prod by rows": lambda x: torch.prod(x, dim=1),
    "prod kept": lambda x: torch.prod(x, dim=0, keepdim=True),
    "std": lambda x: torch.std(x, dim=1, correction=0),
    "tensordot": lambda x: torch.tensordot(x, x, dims=([0], [0])),
    "split": lambda x: torch.tensor_split(x, [1], dim=1)[1],
}


@pytest.mark.parametrize("name", COMPOSED)
@given(shape=matrices, seed=seeds)
def test_composed_functions_match_torch(name, shape, seed):
    ours_f, torch_f = COMPOSED[name], TORCH_COMPOSED[name]
    check(ours_f, torch_f, [composed_input(name, shape, seed)], differences=False)


def test_std_of_equal_entries_has_slope_zero_as_torch():
    x = onp.array([[0.7, 0.7, 0.7], [1.0, 2.0, 4.0]])
    check(
        lambda a: np.std(a, axis=1),
        lambda a: torch.std(a, dim=1, correction=0),
        [x],
        differences=False,  # the first row sits on the kink
    )
    assert onp.isnan(np.std(onp.ones(3), ddof=3))  # numpy's nan for n - ddof = 0 is kept


def test_norm_of_a_zero_vector_has_slope_zero_as_torch():
    x = onp.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    check(
        lambda a: np.linalg.norm(a, axis=1),
        lambda a: torch.linalg.norm(a, dim=1),
        [x],
        differences=False,  # the first row sits on the kink
    )
    check(np.linalg.norm, torch.linalg.norm, [onp.zeros((2, 2))], differences=False)


def test_prod_is_exact_where_entries_are_zero():
    # ∂/∂x_i of a product is the product of the others: no division, so zeros are fine
    # (a rule written as ans / x gives nan here).
    x = onp.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    check(lambda a: np.prod(a, axis=1), lambda a: torch.prod(a, dim=1), [x])
    check(np.prod, torch.prod, [x[:1]])


EINSUMS = [
    ("ij->ji", [(3, 4)]),
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,j", [(2, 3), (3,)]),  # implicit output
    ("i,j->ij", [(3,), (2,)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 2)]),
    ("...jk,...lj->...lk", [(3, 4, 4), (3, 4, 4)]),
    ("...j,j->...", [(2, 3, 4), (4,)]),
    ("ij,ij->ij", [(1, 4), (3, 4)]),  # a size-1 axis broadcast
    ("ij->i", [(3, 4)]),
    ("ij->", [(2, 3)]),
    ("ii->", [(4, 4)]),  # a trace: the letter repeats in the operand
    ("ii->i", [(4, 4)]),
    ("iij->ij", [(3, 3, 2)]),
    ("ijk,lji,lli->lki", [(3, 4, 4), (4, 4, 3), (4, 4, 3)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUMS)
def test_einsum_matches_torch(subscripts, shapes):
    rng = onp.random.RandomState(len(subscripts))
    arrays = [rng.randn(*shape) for shape in shapes]
    check(
        lambda *xs: np.einsum(subscripts, *xs),
        lambda *xs: torch.einsum(subscripts, *xs),
        arrays,
    )


@given(shape=matrices, seed=seeds)
def test_sort_and_take_along_axis_match_torch(shape, seed):
    x = onp.random.RandomState(seed).randn(*shape)
    check(np.sort, lambda a: torch.sort(a, dim=-1).values, [x])
    check(lambda a: np.sort(a, axis=0), lambda a: torch.sort(a, dim=0).values, [x])
    order = onp.argsort(-x, axis=1)
    check(
        lambda a: np.take_along_axis(a, order, axis=1),
        lambda a: torch.take_along_dim(a, torch.tensor(order), dim=1),
        [x],
    )


def test_every_reduction_and_composed_function_is_compared_with_torch():
    assert set(TORCH_REDUCTIONS) == set(REDUCTIONS)
    assert set(TORCH_COMPOSED) == set(COMPOSED)
