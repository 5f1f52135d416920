"""The array engine against finite differences: no PyTorch needed, so this module never
skips. test_arrays.py compares the same primitives with PyTorch and imports the helpers
and tables below.

Every VJP is checked with a random cotangent u (the gradient of Σ u ⊙ f, so no entry of
the output is left out) against the central difference along a random direction d, and
every JVP (u · J d) against the same difference quotient.
"""

from __future__ import annotations

import warnings

import numpy as onp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from primitive_calls import BINARY_DOMAINS, UNARY_DOMAINS, apply_unary

import autodiff_lab.numpy as np
from autodiff_lab import jvp, rules, value_and_grad
from autodiff_lab.array_rules import ELEMENTWISE
from autodiff_lab.arrays import ArrayNode


def ours(f, arrays, u):
    """f's value and the gradient of Σ u ⊙ f(*arrays) with respect to each array."""
    positions = tuple(range(len(arrays)))
    value, grads = value_and_grad(lambda *xs: np.sum(f(*xs) * u), positions)(*arrays)
    return f(*arrays), grads


def numerical(f, arrays, u, seed: int):
    """Σ_i ∂L/∂x_i · d_i by central differences along a random direction d, L = Σ u ⊙ f."""
    directions = [
        onp.random.RandomState(seed + i).randn(*onp.shape(a)) for i, a in enumerate(arrays)
    ]
    step = 1e-6

    def loss(scale):
        moved = [a + scale * d for a, d in zip(arrays, directions)]
        return float(onp.sum(onp.asarray(f(*moved)) * u))

    return (loss(step) - loss(-step)) / (2 * step), directions


def our_tangent(f, arrays, directions):
    """J·d by forward mode: the sum over arguments of one jvp each."""
    total = 0.0
    for i, (a, d) in enumerate(zip(arrays, directions)):

        def of_one(x, i=i):
            return f(*arrays[:i], x, *arrays[i + 1 :])

        total = total + jvp(of_one, a, d)[1]
    return total


def check_differences(f, arrays, seed: int = 0) -> None:
    """f's VJP and JVP against central differences along random directions."""
    arrays = [onp.asarray(a, dtype=float) for a in arrays]
    u = onp.random.RandomState(seed).randn(*onp.shape(f(*arrays)))
    _, grads = ours(f, arrays, u)
    for gradient, a in zip(grads, arrays):
        assert onp.shape(gradient) == onp.shape(a)
    difference, directions = numerical(f, arrays, u, seed)
    predicted = sum(float(onp.sum(g * d)) for g, d in zip(grads, directions))
    assert predicted == pytest.approx(difference, rel=1e-5, abs=1e-5)
    # the same directions in forward mode: u · (J d) is the same number
    forward = float(onp.sum(u * our_tangent(f, arrays, directions)))
    assert forward == pytest.approx(difference, rel=1e-5, abs=1e-5)


seeds = st.integers(0, 2**31 - 1)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def arrays_in(domain, shape):
    return hnp.arrays(onp.float64, shape, elements=domain)


def distinct(shape, seed):
    """Entries all different (no ties for max and min), in [-2, 2]."""
    size = int(onp.prod(shape))
    return (onp.random.RandomState(seed).permutation(size) / max(size, 1) * 4 - 2).reshape(shape)


matrices = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5)


def axis_and_keepdims(shape):
    ndim = len(shape)
    single = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)
    return st.tuples(st.one_of(st.none(), single, several), st.booleans())


# ---------------------------------------------------------------------------
# Elementwise: the rule table on arrays


KINKED = ("abs", "relu", "sign")


def table(name):
    """The rule table's entry, on arrays."""
    return ELEMENTWISE[rules.PRIMITIVES[name]]


def away_from_kinks(name, x):
    """x, moved no closer to a kink at 0 than a difference quotient can see past."""
    if name in KINKED:
        return onp.where(onp.abs(x) < 1e-3, onp.copysign(1e-3, x), x)
    return x


def binary_inputs(name, data, pair):
    """Arrays a and b for the primitive, of the drawn broadcastable shapes, away from the
    points where it jumps or has a kink (no difference quotient holds there)."""
    domain_a, domain_b = BINARY_DOMAINS[name]
    a = data.draw(arrays_in(domain_a, pair.input_shapes[0]))
    b = data.draw(arrays_in(domain_b, pair.input_shapes[1]))
    if name == "mod":  # away from the jumps of a % b, where no difference quotient holds
        # |a| <= 10 |b|, so the difference step moves a / b by far less than the margin below.
        a = onp.clip(a, -10 * onp.abs(b), 10 * onp.abs(b))
        where = onp.remainder(a, b) / b  # in [0, 1); the jumps are at 0
        a = onp.where((where < 0.01) | (where > 0.99), a + 0.5 * b, a)
    if name == "arctan2":  # away from the cut along a = 0, b < 0, where the angle jumps by 2π
        a = onp.where((onp.abs(a) < 1e-3) & (b < 0), a + 0.01, a)
    if name in ("maximum", "minimum"):
        b = onp.where(onp.abs(a - b) < 1e-3, b + 0.01, b)
    return a, b


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
@given(data=st.data(), shape=shapes)
def test_unary_primitive_matches_differences(name, data, shape):
    x = away_from_kinks(name, data.draw(arrays_in(UNARY_DOMAINS[name], shape)))
    check_differences(lambda a: table(name)(a), [x])
    check_differences(
        lambda a: apply_unary(name, a) if type(a) is ArrayNode else table(name)(a), [x]
    )


@pytest.mark.parametrize("name", sorted(BINARY_DOMAINS))
@given(data=st.data(), pair=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_side=3))
def test_binary_primitive_broadcasts_and_matches_differences(name, data, pair):
    check_differences(table(name), list(binary_inputs(name, data, pair)))


def test_a_bool_array_is_a_constant_factor():
    targets = onp.array([True, False, True])
    value, g = value_and_grad(lambda w: np.sum(w * targets + (1 - targets) * w**2))(onp.ones(3))
    assert g.tolist() == [1.0, 2.0, 1.0]


# ---------------------------------------------------------------------------
# Reductions and functions built from the primitives (autodiff_lab.numpy)

REDUCTIONS = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "logsumexp": np.logsumexp,
    "var": np.var,
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(data=st.data(), shape=shapes, seed=seeds)
def test_reduction_with_axis_and_keepdims_matches_differences(name, data, shape, seed):
    axis, keepdims = data.draw(axis_and_keepdims(shape))
    f = REDUCTIONS[name]
    check_differences(lambda a: f(a, axis=axis, keepdims=keepdims), [distinct(shape, seed)], seed)


def test_logsumexp_is_exact_where_exp_overflows():
    x = onp.array([1000.0, 1000.0, -onp.inf])
    value, g = value_and_grad(lambda a: np.logsumexp(a))(x)
    assert value == pytest.approx(1000.0 + onp.log(2.0))
    assert g.tolist() == pytest.approx([0.5, 0.5, 0.0], abs=1e-12)


COMPOSED = {
    "cumsum": lambda x: np.cumsum(x, axis=1),
    "cumsum flat": np.cumsum,
    "flipud": np.flipud,
    "fliplr": np.fliplr,
    "rot90": np.rot90,
    "rot90 three times": lambda x: np.rot90(x, 3),
    "roll": lambda x: np.roll(x, 2, axis=1),
    "roll flat": lambda x: np.roll(x, -3),
    "repeat": lambda x: np.repeat(x, 2, axis=0),
    "diagonal": lambda x: np.diagonal(x, 1),
    "trace": np.trace,
    "diag of a matrix": lambda x: np.diag(x, -1),
    "diag of a row": lambda x: np.diag(x[0], 1),
    "triu": lambda x: np.triu(x, 1),
    "tril": lambda x: np.tril(x, -1),
    "prod": np.prod,
    "prod by rows": lambda x: np.prod(x, axis=1),
    "prod kept": lambda x: np.prod(x, axis=0, keepdims=True),
    "std": lambda x: np.std(x, axis=1, ddof=0),
    "tensordot": lambda x: np.tensordot(x, x, axes=([0], [0])),
    "split": lambda x: np.split(x, [1], axis=1)[1],
}


def composed_input(name, shape, seed):
    x = onp.random.RandomState(seed).randn(*shape) + 0.5
    if name == "split" and shape[1] < 2:
        x = onp.hstack([x, x])
    return x


@pytest.mark.parametrize("name", COMPOSED)
@given(shape=matrices, seed=seeds)
def test_composed_functions_match_differences(name, shape, seed):
    check_differences(COMPOSED[name], [composed_input(name, shape, seed)])


@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
def test_roll_is_numpys_and_its_gradient_rolls_back(data, shape):
    # Its own primitive since issue 19 (numpy's roll is slow; the index it was built on
    # scattered back with np.add.at): shifts past the length, negative axes, empty axes.
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shift = data.draw(st.integers(-9, 9))
    x = onp.arange(float(onp.prod(shape))).reshape(shape)
    w = onp.random.RandomState(shift + 10).randn(*shape)
    onp.testing.assert_array_equal(np.roll(x, shift, axis), onp.roll(x, shift, axis))
    value, gradient = value_and_grad(lambda a: np.sum(np.roll(a, shift, axis) * w))(x)
    onp.testing.assert_array_equal(gradient, onp.roll(w, -shift, axis))  # ∂/∂x of Σ w ⊙ roll(x)
    tangent = jvp(lambda a: np.roll(a, shift, axis), x, w)[1]
    onp.testing.assert_array_equal(tangent, onp.roll(w, shift, axis))


def test_roll_over_several_axes_matches_differences():
    x = distinct((3, 4), 5)
    check_differences(lambda a: np.roll(a, (1, -2), (0, 1)) * a, [x])
    check_differences(lambda a: np.roll(a, 2, (0, 1)) * a, [x])
    onp.testing.assert_array_equal(np.roll(x, (1, -2), (0, 1)), onp.roll(x, (1, -2), (0, 1)))


# Functions this package composes from other primitives, so that numpy never sees their
# axis argument on a traced array: each must read it as numpy does.
AXIS_TAKERS = {
    "prod": lambda m, a, axis: m.prod(a, axis=axis),
    "cumsum": lambda m, a, axis: m.cumsum(a, axis=axis),
    "flip": lambda m, a, axis: m.flip(a, axis=axis),
    "roll": lambda m, a, axis: m.roll(a, 1, axis=axis),
    "roll, several axes": lambda m, a, axis: m.roll(a, (1, 2), axis=(0, axis)),
    "repeat": lambda m, a, axis: m.repeat(a, 2, axis=axis),
    "split": lambda m, a, axis: m.split(a, 1, axis=axis)[0],
    "diagonal": lambda m, a, axis: m.diagonal(a, axis1=axis, axis2=0),
    "trace": lambda m, a, axis: m.trace(a, axis1=axis, axis2=0),
    "swapaxes": lambda m, a, axis: m.swapaxes(a, axis, 0),
    "rot90": lambda m, a, axis: m.rot90(a, 1, axes=(0, axis)),
    "tensordot": lambda m, a, axis: m.tensordot(a, a, axes=([axis], [1])),
}


@pytest.mark.parametrize("name", AXIS_TAKERS)
@pytest.mark.parametrize("axis", [2, -3])
def test_an_axis_the_array_lacks_is_refused_as_numpy_refuses_it(name, axis):
    """Counting the axis modulo the dimension would quietly use axis 0 or 1 instead."""
    x = distinct((3, 4), 5)
    with pytest.raises((ValueError, IndexError)) as numpy_refusal:
        AXIS_TAKERS[name](onp, x, axis)
    with pytest.raises(type(numpy_refusal.value)):  # numpy's AxisError is both of those
        value_and_grad(lambda a: np.sum(AXIS_TAKERS[name](np, a, axis)))(x)


@pytest.mark.parametrize("name", AXIS_TAKERS)
def test_an_axis_that_is_not_an_integer_is_refused(name):
    """1.0 must not be taken as axis 1: numpy refuses it, on plain arrays and on nodes."""
    x = distinct((3, 4), 5)
    with pytest.raises((TypeError, IndexError)):
        AXIS_TAKERS[name](onp, x, 1.0)
    with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
        value_and_grad(lambda a: np.sum(AXIS_TAKERS[name](np, a, 1.0)))(x)


@pytest.mark.parametrize("name", AXIS_TAKERS)
def test_a_negative_axis_the_array_has_is_read_as_numpy_reads_it(name):
    x = distinct((3, 4), 5)
    weights = onp.random.RandomState(1).randn(*onp.shape(AXIS_TAKERS[name](onp, x, -1)))
    value, gradient = value_and_grad(lambda a: np.sum(AXIS_TAKERS[name](np, a, -1) * weights))(x)
    assert value == pytest.approx(onp.sum(AXIS_TAKERS[name](onp, x, -1) * weights))
    check_differences(lambda a: AXIS_TAKERS[name](np, a, -1) * weights, [x])


CUBE = distinct((2, 3, 4), 7)

# Primitives (and a few composed functions) given axes counted from the end: a VJP that
# took (-1, 0, 1) for a permutation of (0, 1, 2) once sent every gradient to the wrong entry.
COUNTED_FROM_THE_END = {
    "transpose (-1, 0, 1)": lambda m, a: m.transpose(a, (-1, 0, 1)),
    "transpose (0, -1, -2)": lambda m, a: m.transpose(a, (0, -1, -2)),
    "the transpose method": lambda m, a: a.transpose(-1, 0, -2),
    "sum": lambda m, a: m.sum(a, axis=-2),
    "mean over two axes": lambda m, a: m.mean(a, axis=(-1, 0)),
    "max": lambda m, a: m.max(a, axis=-1, keepdims=True),
    "min over two axes": lambda m, a: m.min(a, axis=(-3, -1)),
    "var": lambda m, a: m.var(a, axis=-1, ddof=1),
    "std": lambda m, a: m.std(a, axis=-2),
    "concatenate": lambda m, a: m.concatenate([a, a * a], axis=-1),
    "concatenate, flattened": lambda m, a: m.concatenate([a, a[0] * 2.0], axis=None),
    "stack": lambda m, a: m.stack([a, a * a], axis=-2),
    "expand_dims": lambda m, a: m.expand_dims(a, -1),
    "squeeze": lambda m, a: m.squeeze(a[:, :1, :], axis=-2),
    "sort": lambda m, a: m.sort(a, axis=-2),
    "take_along_axis": lambda m, a: m.take_along_axis(a, onp.argsort(CUBE, axis=-1), axis=-1),
    "linalg.norm": lambda m, a: m.linalg.norm(a, axis=-1),
}


@pytest.mark.parametrize("name", COUNTED_FROM_THE_END)
def test_axes_counted_from_the_end_against_numpy_and_differences(name):
    function = COUNTED_FROM_THE_END[name]
    onp.testing.assert_allclose(function(np, CUBE), function(onp, CUBE), rtol=1e-12)
    weights = onp.random.RandomState(2).randn(*onp.shape(function(onp, CUBE)))
    check_differences(lambda a: function(np, a) * weights, [CUBE])


def test_the_same_axis_twice_and_mismatched_sums_are_refused_as_numpy_refuses_them():
    x = distinct((3, 4), 5)
    for attempt in (
        lambda m, a: m.diagonal(a, axis1=1, axis2=-1),
        lambda m, a: m.swapaxes(a, 0, 0) * 0 + m.rot90(a, 1, axes=(1, -1)),
        lambda m, a: m.tensordot(a, a, axes=1),
        lambda m, a: m.tensordot(a, a, axes=([0, 1], [0])),
    ):
        with pytest.raises(ValueError) as numpy_refusal:
            attempt(onp, x)
        with pytest.raises(ValueError, match=str(numpy_refusal.value).split(".")[0]):
            value_and_grad(lambda a, attempt=attempt: np.sum(attempt(np, a)))(x)


def test_the_composed_functions_dispatch_from_plain_numpy():
    x = onp.random.RandomState(3).randn(4, 4)
    plain = value_and_grad(lambda a: onp.sum(onp.cumsum(onp.triu(a) ** 2, axis=0)))(x)[1]
    wrapped = value_and_grad(lambda a: np.sum(np.cumsum(np.triu(a) ** 2, axis=0)))(x)[1]
    onp.testing.assert_array_equal(plain, wrapped)
    assert onp.count_nonzero(onp.tril(plain, -1)) == 0


def test_dot_beyond_two_dimensions_refuses_instead_of_guessing():
    a = onp.ones((2, 2, 2))
    with pytest.raises(NotImplementedError, match="use matmul"):
        value_and_grad(lambda x: np.sum(np.dot(x, a)))(a)


def test_einsum_refuses_what_it_cannot_read():
    x = onp.ones((2, 2))
    with pytest.raises(ValueError, match="2 operands named"):
        value_and_grad(lambda a: np.sum(np.einsum("ij,jk->ik", a)))(x)
    with pytest.raises(TypeError, match="subscripts as a string"):
        value_and_grad(lambda a: np.sum(np.einsum(a, [0, 1])))(x)
    with pytest.raises(TypeError, match="takes no out"):
        value_and_grad(lambda a: np.sum(np.einsum("ij->ji", a, out=onp.empty((2, 2)))))(x)
    optimized = value_and_grad(lambda a: np.sum(np.einsum("ij,jk->ik", a, a, optimize=True)))
    assert optimized(x)[1].tolist() == [[4.0, 4.0], [4.0, 4.0]]


@pytest.mark.parametrize(
    "option",
    [
        {"where": onp.array([[True, False, True], [False, True, True]])},
        {"out": onp.zeros((2, 3))},
        {"dtype": onp.float32},
    ],
    ids=["where", "out", "dtype"],
)
@pytest.mark.parametrize("how", ["grad", "jvp"])
def test_an_elementwise_function_refuses_numpy_options_it_cannot_differentiate(option, how):
    """exp(x, where=mask) leaves the masked entries unset, and its derivative would ignore
    the mask: a gradient of exp(x) everywhere. Refused, and the caller's out array untouched."""
    x = distinct((2, 3), 4)
    kept = {name: onp.copy(value) for name, value in option.items()}

    def f(a):
        return np.sum(np.exp(a, **option) + np.add(a, a, **option))

    with pytest.raises(
        TypeError, match=f"exp\\(\\) of a traced array takes no {next(iter(option))}="
    ):
        if how == "grad":
            value_and_grad(f)(x)
        else:
            jvp(f, x, x)
    for name, value in option.items():
        onp.testing.assert_array_equal(value, kept[name])
    # plain arrays keep numpy's own behaviour, options and all
    out = onp.zeros((2, 3))
    assert np.exp(x, out=out) is out
    onp.testing.assert_array_equal(out, onp.exp(x))


@pytest.mark.parametrize("ddof", [4, 5, 7])
def test_var_with_no_degrees_of_freedom_left_is_numpys_inf_not_a_negative_variance(ddof):
    """n - ddof below 0 divided the squares by a negative count: a variance of -2."""
    x = onp.arange(1.0, 6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: "Degrees of freedom <= 0"
        expected = onp.var(x, ddof=ddof), onp.std(x, ddof=ddof)
        assert (np.var(x, ddof=ddof), np.std(x, ddof=ddof)) == expected
        value, _ = value_and_grad(lambda a: np.var(a, ddof=ddof))(x)
    assert value == expected[0]


def test_linspace_between_array_ends_is_numpys_and_refuses_what_numpy_refuses():
    ends = distinct((2, 3), 6)
    onp.testing.assert_allclose(np.linspace(ends[0], ends[1], 4), onp.linspace(ends[0], ends[1], 4))
    check_differences(lambda a: np.linspace(a[0], a[1], 4), [ends])
    check_differences(lambda a: np.linspace(a[0], 2.0, 5, endpoint=False), [ends])
    for num, error in ((-1, ValueError), (2.0, TypeError)):
        with pytest.raises(error) as numpy_refusal:
            onp.linspace(0.0, 1.0, num)
        with pytest.raises(error, match=str(numpy_refusal.value)):
            value_and_grad(lambda a, num=num: np.sum(np.linspace(a[0], a[1], num)))(ends)


@pytest.mark.parametrize("module", [np, onp], ids=["ours", "numpy's, dispatched"])
def test_hstack_and_vstack_join_as_numpy_joins(module):
    vector, matrix = distinct((3,), 1), distinct((3, 2), 2)
    for join, pieces in (
        (module.hstack, lambda v, m: [v, 2.0 * v]),
        (module.hstack, lambda v, m: [m, m[:, :1] * v[:, None]]),
        (module.vstack, lambda v, m: [v, v * v]),
        (module.vstack, lambda v, m: [m.T, v]),
    ):
        ours = getattr(np, join.__name__)(pieces(vector, matrix))
        onp.testing.assert_array_equal(ours, getattr(onp, join.__name__)(pieces(vector, matrix)))
        check_differences(
            lambda v, m, join=join, pieces=pieces: join(pieces(v, m)), [vector, matrix]
        )


def test_zeros_ones_and_full_like_are_constants_unless_filled_with_a_traced_value():
    x = distinct((2, 3), 3)
    gradient = value_and_grad(
        lambda a: np.sum(np.zeros_like(a) + a * onp.ones_like(a) + np.full_like(a, 2.0))
    )(x)[1]
    onp.testing.assert_array_equal(gradient, onp.ones((2, 3)))
    assert np.zeros_like(onp.arange(3)).dtype == onp.arange(3).dtype  # numpy's own, plain
    kinds = {}

    def f(a):
        kinds["asked"] = np.zeros_like(a, dtype=onp.dtype("float32")).dtype
        kinds["own"] = np.ones_like(a).dtype
        return np.sum(a)

    value_and_grad(f)(x)
    assert kinds == {"asked": onp.float32, "own": onp.float64}
    filled = value_and_grad(lambda a: np.sum(np.full_like(a, a[0, 0])))(x)[1]
    onp.testing.assert_array_equal(filled, [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
