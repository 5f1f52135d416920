"""numpy, thinly wrapped so that the array engine can differentiate it.

Use it as HIPS autograd's ``autograd.numpy``::

    import autodiff_lab.numpy as np
    from autodiff_lab import grad

The functions below take plain arrays (and give numpy's answer) or the
`ArrayNode` objects that ``grad``, ``vjp`` and the others pass to your
function (and record the operation). Every other name (``np.pi``,
``np.array``, ``np.random``) is numpy's own. Array nodes also answer numpy's
dispatch protocols, so ``numpy.tanh(node)`` and ``numpy.sum(node)`` record as
well; a numpy function the engine has no rule for raises a TypeError naming it.

Beyond numpy's names: ``logsumexp``, ``softmax`` and ``log_softmax``.
"""

from __future__ import annotations

import builtins as _builtins
import operator as _operator
from numbers import Real

import numpy as _np

try:  # numpy's own readings of an axis argument, with its errors (AxisError, TypeError)
    from numpy.lib.array_utils import normalize_axis_index as _normalize_axis_index
    from numpy.lib.array_utils import normalize_axis_tuple as _normalize_axis_tuple
except ImportError:  # numpy 1.x
    from numpy.core.multiarray import normalize_axis_index as _normalize_axis_index
    from numpy.core.numeric import normalize_axis_tuple as _normalize_axis_tuple

from . import core as _core
from . import rules as _rules
from .array_rules import (
    BROADCAST_TO,
    CLIP,
    CONCATENATE,
    CONJ,
    CUMSUM,
    EINSUM,
    ELEMENTWISE,
    GETITEM,
    IMAG,
    LOG_SOFTMAX,
    LOGSUMEXP,
    MATMUL,
    MAX,
    MEAN,
    MIN,
    REAL,
    RESHAPE,
    ROLL,
    SOFTMAX,
    STACK,
    SUM,
    TRANSPOSE,
    UNTAKE,
    WHERE,
    einsum_subscripts,
    shape_of,
)
from .arrays import TRACED, is_traced, numbers

_E = {name: ELEMENTWISE[primitive] for name, primitive in _rules.PRIMITIVES.items()}
_POWC = ELEMENTWISE[_rules.POWC]


def _numpy_when_plain(function):
    """``function``, but numpy's own when no argument holds an array node."""
    plain = getattr(_np, function.__name__)

    def wrapped(*args, **kwargs):
        if any(_holds_node(a) or _holds_objects(a) for a in (*args, *kwargs.values())):
            return function(*args, **kwargs)
        return plain(*args, **kwargs)

    wrapped.__name__ = wrapped.__qualname__ = function.__name__
    wrapped.__doc__ = function.__doc__
    return wrapped


# numpy's names for the rule table's elementwise primitives
add = _E["add"]
subtract = _E["sub"]
multiply = _E["mul"]
divide = true_divide = _E["div"]
remainder = mod = _E["mod"]
negative = _E["neg"]
absolute = abs = _E["abs"]  # noqa: A001 (numpy's name)
maximum, minimum, arctan2 = _E["maximum"], _E["minimum"], _E["arctan2"]
exp, exp2, expm1 = _E["exp"], _E["exp2"], _E["expm1"]
log, log2, log10, log1p = _E["log"], _E["log2"], _E["log10"], _E["log1p"]
sqrt, sign, tanh = _E["sqrt"], _E["sign"], _E["tanh"]
sin, cos, tan = _E["sin"], _E["cos"], _E["tan"]
sinh, cosh = _E["sinh"], _E["cosh"]
arcsin, arccos, arctan = _E["arcsin"], _E["arccos"], _E["arctan"]
arcsinh, arccosh, arctanh = _E["arcsinh"], _E["arccosh"], _E["arctanh"]


def power(x, y):
    """x ** y; a plain-number exponent is a constant (the table's ``pow`` with n fixed)."""
    if isinstance(y, Real):
        return _POWC(x, float(y))
    return _E["pow"](x, y)


def square(x):
    return _POWC(x, 2.0)


def reciprocal(x):
    return divide(1.0, x)


# Reductions and shapes


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return SUM(x, axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return MEAN(x, axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return MAX(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return MIN(x, axis=_axis(axis), keepdims=keepdims)


amax, amin = max, min


def var(x, axis=None, ddof=0, keepdims=False):
    """numpy.var: the mean squared deviation, over n - ddof."""
    axis = _axis(axis)
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    count = _np.sum(_np.ones(shape_of(x)), axis=axis)
    degrees = _builtins.max(count.flat[0] - ddof, 0.0)  # numpy's: none left gives inf or nan
    return divide(sum(multiply(centred, centred), axis=axis, keepdims=keepdims), degrees)


@_numpy_when_plain
def std(x, axis=None, ddof=0, keepdims=False):
    """numpy.std: the square root of var (its slope is 0 where every entry is equal)."""
    return _root_of_squares(var(x, axis=axis, ddof=ddof, keepdims=keepdims))


def _root_of_squares(v):
    """sqrt(v) for a sum of squares v, with slope 0 where v is 0, as PyTorch's std and norm.

    There the function has a kink (std of (a, b) is |a - b| / 2; the norm of t·u is |t|),
    and 0 is the middle of its slopes, where sqrt's 1/(2·0) would give nan.
    """
    if _holds_objects(v):  # the scalar engine's numbers, one by one
        cells = _np.asarray(v, dtype=object)
        out = _np.empty(cells.shape, dtype=object)
        for i, cell in _np.ndenumerate(cells):
            out[i] = _np.sqrt(cell) if _rules._number_in(cell) != 0 else cell * 0.0
        return out[()] if out.ndim == 0 else out
    spread = numbers(v) != 0
    return where(spread, sqrt(where(spread, v, 1.0)), 0.0)


@_numpy_when_plain
def prod(x, axis=None, keepdims=False):
    """numpy.prod, as a tree of elementwise products (exact where an entry is 0).

    The reduced axes are moved to the end and joined into one; each round
    multiplies its first half by its second (a 1 pads an odd length).
    """
    shape = shape_of(x)
    ndim = len(shape)
    axes = tuple(range(ndim)) if axis is None else _axes_tuple(axis, ndim)
    kept = [a for a in range(ndim) if a not in axes]
    out_shape = tuple(shape[a] for a in kept)
    x = reshape(transpose(x, (*kept, *axes)), (*out_shape, -1))
    while shape_of(x)[-1] > 1:
        if shape_of(x)[-1] % 2:
            x = concatenate([x, _np.ones((*out_shape, 1))], axis=-1)
        half = shape_of(x)[-1] // 2
        x = multiply(x[..., :half], x[..., half:])
    if shape_of(x)[-1] == 0:
        x = _np.ones((*out_shape, 1))
    x = reshape(x, out_shape)
    if keepdims:
        x = reshape(x, tuple(1 if a in axes else n for a, n in enumerate(shape)))
    return x


@_numpy_when_plain
def cumsum(x, axis=None):
    """numpy.cumsum: running sums along ``axis`` (of the flattened array when None)."""
    if axis is None:
        return CUMSUM(ravel(x), 0)
    return CUMSUM(x, _axis_index(axis, len(shape_of(x))))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def reshape(x, shape, *more):
    if more:
        shape = (shape, *more)
    shape = (shape,) if isinstance(shape, (int, _np.integer)) else tuple(shape)
    return RESHAPE(x, _np.empty(shape_of(x), dtype=bool).reshape(shape).shape)


def ravel(x):
    return reshape(x, (-1,))


def transpose(x, axes=None):
    return TRANSPOSE(x, None if axes is None else tuple(axes))


def swapaxes(x, axis1, axis2):
    ndim = len(shape_of(x))
    axis1 = _axis_index(axis1, ndim, "axis1")
    axis2 = _axis_index(axis2, ndim, "axis2")
    axes = list(range(ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return TRANSPOSE(x, tuple(axes))


def expand_dims(x, axis):
    return RESHAPE(x, _np.expand_dims(_np.empty(shape_of(x), dtype=bool), axis).shape)


def squeeze(x, axis=None):
    return RESHAPE(x, _np.squeeze(_np.empty(shape_of(x), dtype=bool), axis).shape)


@_numpy_when_plain
def atleast_1d(x):
    return x if len(shape_of(x)) >= 1 else reshape(x, (1,))


@_numpy_when_plain
def atleast_2d(x):
    shape = shape_of(x)
    return x if len(shape) >= 2 else reshape(x, (1,) * (2 - len(shape)) + shape)


@_numpy_when_plain
def atleast_3d(x):
    """numpy.atleast_3d: (n,) becomes (1, n, 1) and (m, n) becomes (m, n, 1)."""
    shape = shape_of(x)
    if len(shape) >= 3:
        return x
    return reshape(x, {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)])


def broadcast_to(x, shape):
    return BROADCAST_TO(x, tuple(shape))


def concatenate(arrays, axis=0):
    return CONCATENATE(*arrays, axis=axis)


def stack(arrays, axis=0):
    return STACK(*arrays, axis=axis)


@_numpy_when_plain
def hstack(arrays):
    """numpy.hstack: joined along the second axis (the first, for vectors)."""
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if len(shape_of(arrays[0])) == 1 else 1)


@_numpy_when_plain
def vstack(arrays):
    """numpy.vstack: joined along the first axis, a vector taken as a row."""
    return concatenate([atleast_2d(a) for a in arrays], axis=0)


def _like_dtype(x, dtype):
    return _np.asarray(numbers(x)).dtype if dtype is None else dtype


@_numpy_when_plain
def zeros_like(x, dtype=None):
    """numpy.zeros_like: a constant of x's shape (its derivative is 0, so it is plain)."""
    return _np.zeros(shape_of(x), dtype=_like_dtype(x, dtype))


@_numpy_when_plain
def ones_like(x, dtype=None):
    """numpy.ones_like: a constant of x's shape."""
    return _np.ones(shape_of(x), dtype=_like_dtype(x, dtype))


@_numpy_when_plain
def full_like(x, fill_value, dtype=None):
    """numpy.full_like: ``fill_value`` at every place of x's shape (traced if it is)."""
    if _holds_node(fill_value):
        return broadcast_to(fill_value, shape_of(x))
    return _np.full(shape_of(x), fill_value, dtype=_like_dtype(x, dtype))


@_numpy_when_plain
def append(arr, values, axis=None):
    """numpy.append: both flattened and joined, or joined along ``axis``."""
    if axis is None:
        return concatenate([ravel(array(arr)), ravel(array(values))])
    return concatenate([arr, values], axis=axis)


@_numpy_when_plain
def split(x, indices_or_sections, axis=0):
    """numpy.split: the pieces are slices of x, so each has its gradient."""
    axis = _axis_index(axis, len(shape_of(x)))
    positions = _np.arange(shape_of(x)[axis])
    sizes = [len(piece) for piece in _np.split(positions, indices_or_sections)]
    stops = _np.cumsum(sizes)
    before = (slice(None),) * axis
    return [x[(*before, slice(int(stop - size), int(stop)))] for size, stop in zip(sizes, stops)]


# Rearrangements: each is indexing, a transpose or a mask, so its derivative
# comes from those primitives at every order.


@_numpy_when_plain
def flip(x, axis=None):
    ndim = len(shape_of(x))
    axes = range(ndim) if axis is None else _axes_tuple(axis, ndim)
    index = [slice(None)] * ndim
    for a in axes:
        index[a] = slice(None, None, -1)
    return x[tuple(index)]


@_numpy_when_plain
def flipud(x):
    return flip(x, 0)


@_numpy_when_plain
def fliplr(x):
    return flip(x, 1)


@_numpy_when_plain
def rot90(x, k=1, axes=(0, 1)):
    """numpy.rot90: k quarter turns in the plane of ``axes``, as flips and a transpose."""
    k %= 4
    first, second = _turning_plane(axes, len(shape_of(x)))
    order = list(range(len(shape_of(x))))
    order[first], order[second] = order[second], order[first]
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, first), second)
    if k == 1:
        return transpose(flip(x, second), order)
    return flip(transpose(x, order), second)


def _turning_plane(axes, ndim: int) -> tuple[int, int]:
    """rot90's two axes counted from 0, refused with numpy's messages where numpy refuses."""
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    first, second = (_operator.index(a) for a in axes)
    if first == second or abs(first - second) == ndim:
        raise ValueError("Axes must be different.")
    if not (-ndim <= first < ndim and -ndim <= second < ndim):
        raise ValueError(f"Axes={axes} out of range for array of ndim={ndim}.")
    return first % ndim, second % ndim


@_numpy_when_plain
def roll(x, shift, axis=None):
    """numpy.roll: entries moved ``shift`` places along ``axis`` (flattened when None)."""
    ndim = len(shape_of(x))
    if axis is None and ndim == 1:
        axis = 0  # flattening a vector changes nothing: no reshapes to record
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), shape_of(x))
    if isinstance(shift, (int, _np.integer)) and isinstance(axis, (int, _np.integer)):
        return ROLL(x, int(shift), _axis_index(axis, ndim))  # the common case: one axis
    axes = [_axis_index(one, ndim) for one in _axes_listed(axis)]
    shifts, axes = _np.broadcast_arrays(_np.atleast_1d(shift), axes)
    for one_shift, one_axis in zip(shifts, axes):
        x = ROLL(x, int(one_shift), int(one_axis))
    return x


def _axes_listed(axis) -> list:
    """One axis as a list of one, several as a list (numpy's reading, an array of ints too)."""
    try:
        return [_operator.index(axis)]
    except TypeError:
        return list(axis) if _np.iterable(axis) else [axis]  # [1.0]: refused by _axis_index


def _axes_tuple(axis, ndim: int) -> tuple[int, ...]:
    """Several axes (or one) counted from 0, none twice: numpy's reading, with its errors."""
    return _normalize_axis_tuple([_operator.index(one) for one in _axes_listed(axis)], ndim)


def _axis_index(axis, ndim: int, what: str | None = None) -> int:
    """``axis`` counted from 0, or numpy's error for an axis that is not an integer (1.0 is not
    taken as 1) or that the array lacks (``what`` names the argument in the message)."""
    return _normalize_axis_index(_operator.index(axis), ndim, what)


@_numpy_when_plain
def repeat(x, repeats, axis=None):
    """numpy.repeat: an index that names each entry ``repeats`` times."""
    if axis is None:
        x, axis = ravel(x), 0
    axis = _axis_index(axis, len(shape_of(x)))
    before = (slice(None),) * axis
    return x[(*before, _np.repeat(_np.arange(shape_of(x)[axis]), repeats))]


@_numpy_when_plain
def diagonal(x, offset=0, axis1=0, axis2=1):
    """numpy.diagonal: the entries (i, i + offset) of axes 1 and 2, as a last axis."""
    ndim = len(shape_of(x))
    axis1 = _axis_index(axis1, ndim, "axis1")
    axis2 = _axis_index(axis2, ndim, "axis2")
    if axis1 == axis2:
        raise ValueError("axis1 and axis2 cannot be the same")
    rest = [a for a in range(ndim) if a not in (axis1, axis2)]
    moved = transpose(x, (*rest, axis1, axis2))
    rows, columns = shape_of(moved)[-2:]
    start_row, start_column = (0, offset) if offset >= 0 else (-offset, 0)
    length = _np.maximum(0, _np.minimum(rows - start_row, columns - start_column))
    steps = _np.arange(length)
    return moved[(..., start_row + steps, start_column + steps)]


@_numpy_when_plain
def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


@_numpy_when_plain
def diag(v, k=0):
    """numpy.diag: the k-th diagonal of a matrix, or a matrix with v on its k-th diagonal."""
    if len(shape_of(v)) == 2:
        return diagonal(v, k)
    if len(shape_of(v)) != 1:
        raise ValueError("diag takes a 1-d or a 2-d array")
    n = shape_of(v)[0] + abs(k)
    steps = _np.arange(shape_of(v)[0])
    rows, columns = (steps, steps + k) if k >= 0 else (steps - k, steps)
    return UNTAKE(v, (rows, columns), (n, n))


@_numpy_when_plain
def triu(x, k=0):
    return where(_np.triu(_np.ones(shape_of(x)[-2:], dtype=bool), k), x, 0.0)


@_numpy_when_plain
def tril(x, k=0):
    return where(_np.tril(_np.ones(shape_of(x)[-2:], dtype=bool), k), x, 0.0)


@_numpy_when_plain
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """numpy.nan_to_num: finite entries pass (slope 1), the others become constants."""
    plain = _np.asarray(numbers(x))
    replaced = _np.nan_to_num(plain, nan=nan, posinf=posinf, neginf=neginf)
    return where(_np.isfinite(plain), x, replaced)


def array(obj, *args, **kwargs):
    """numpy.array; a (nested) list holding array nodes becomes one node, by stacking."""
    if is_traced(obj):
        return obj
    if isinstance(obj, (list, tuple)) and _holds_node(obj):
        return stack([array(item) for item in obj])
    return _np.array(obj, *args, **kwargs)


def _holds_objects(obj) -> bool:
    """True for the scalar engine's numbers (Value, Dual) and arrays of them."""
    if is_traced(obj):
        return False
    if isinstance(obj, (list, tuple)):
        return any(_holds_objects(item) for item in obj)
    return _np.asarray(obj).dtype == object


def _holds_node(obj) -> bool:
    if is_traced(obj):
        return True
    return isinstance(obj, (list, tuple)) and any(_holds_node(item) for item in obj)


def where(condition, x=None, y=None):
    """numpy.where; the condition is read as numbers (it has no derivative)."""
    if x is None and y is None:
        return _np.where(numbers(condition))
    return WHERE(numbers(condition), x, y)


def clip(x, a_min=None, a_max=None):
    """numpy.clip with constant bounds; the gradient passes where a_min ≤ x ≤ a_max."""
    return CLIP(x, a_min, a_max)


# Products


def matmul(a, b):
    return MATMUL(a, b)


def dot(a, b):
    """numpy.dot: a product by a number, a matrix product for 1-d and 2-d arrays."""
    if not (is_traced(a) or is_traced(b)):
        return _np.dot(a, b)
    nd_a, nd_b = len(shape_of(a)), len(shape_of(b))
    if nd_a == 0 or nd_b == 0:
        return multiply(a, b)
    if nd_a > 2 or nd_b > 2:
        raise NotImplementedError(
            f"dot of arrays of {nd_a} and {nd_b} dimensions is not differentiable by the "
            "array engine (only up to 2); use matmul, which batches over leading axes"
        )
    return MATMUL(a, b)


def _along(x, order, axis):
    """x rearranged along ``axis`` by ``order`` (numpy.take_along_axis), as one index."""
    index = list(_np.indices(_np.shape(order), sparse=True))
    index[axis] = order
    return x[tuple(index)]


@_numpy_when_plain
def sort(x, axis=-1):
    """numpy.sort: x taken in the order argsort gives (ties keep their order)."""
    if axis is None:
        x, axis = ravel(x), 0
    return _along(x, _np.argsort(numbers(x), axis=axis, kind="stable"), axis)


@_numpy_when_plain
def take_along_axis(arr, indices, axis):
    if axis is None:
        arr, axis = ravel(arr), 0
    return _along(arr, _np.asarray(numbers(indices)), axis)


@_numpy_when_plain
def linspace(start, stop, num=50, endpoint=True):
    """numpy.linspace between traced ends: start·(1 - t) + stop·t, exact at both ends
    (ends that are arrays give a first axis of ``num`` points, as numpy's)."""
    num = _operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    steps = num - 1 if endpoint else num
    t = _np.arange(num) / steps if steps > 0 else _np.zeros(num)
    ends = _np.broadcast_shapes(shape_of(start), shape_of(stop))
    t = t.reshape((num,) + (1,) * len(ends))
    return add(multiply(start, 1.0 - t), multiply(stop, t))


@_numpy_when_plain
def tensordot(a, b, axes=2):
    """numpy.tensordot, as numpy computes it: a transpose, a reshape and one matrix product."""
    summed_a, summed_b = _summed_axes(axes, shape_of(a), shape_of(b))
    nd_a, nd_b = len(shape_of(a)), len(shape_of(b))
    free_a = [i for i in range(nd_a) if i not in summed_a]
    free_b = [i for i in range(nd_b) if i not in summed_b]
    size = int(_np.prod([shape_of(a)[i] for i in summed_a]))
    left = reshape(transpose(a, (*free_a, *summed_a)), (-1, size))
    right = reshape(transpose(b, (*summed_b, *free_b)), (size, -1))
    out_shape = tuple(shape_of(a)[i] for i in free_a) + tuple(shape_of(b)[i] for i in free_b)
    return reshape(matmul(left, right), out_shape)


def _summed_axes(axes, shape_a: tuple, shape_b: tuple) -> tuple[list, list]:
    """tensordot's axes of a and of b, counted from 0, read as numpy reads them and refused
    with its errors: an axis either array lacks, or summed axes of different lengths."""
    if _np.iterable(axes):
        axes_a, axes_b = axes
    else:
        axes_a, axes_b = list(range(-axes, 0)), list(range(axes))
    axes_a = [_axis_index(i, len(shape_a)) for i in _axes_listed(axes_a)]
    axes_b = [_axis_index(i, len(shape_b)) for i in _axes_listed(axes_b)]
    if len(axes_a) != len(axes_b) or any(shape_a[i] != shape_b[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError("shape-mismatch for sum")
    return axes_a, axes_b


def einsum(subscripts, *operands, **options):
    """numpy.einsum (subscripts as a string); its VJP is an einsum too."""
    if not isinstance(subscripts, str):
        raise TypeError("einsum: give the subscripts as a string, such as 'ij,jk->ik'")
    if not any(_holds_node(a) for a in operands):
        return _np.einsum(subscripts, *operands, **options)
    unknown = set(options) - {"optimize"}  # the order of contraction changes no number
    if unknown:
        raise TypeError(f"einsum on traced arrays takes no {', '.join(sorted(unknown))}")
    return EINSUM(
        *operands, subscripts=einsum_subscripts(subscripts, [shape_of(a) for a in operands])
    )


def outer(a, b):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


# Complex numbers (HIPS autograd's convention: see autodiff_lab.functional)


def real(x):
    """The real part; its gradient is ḡ itself (complex if x is)."""
    return REAL(x)


def imag(x):
    """The imaginary part; its gradient is -i·ḡ for a complex x, 0 for a real one."""
    return IMAG(x)


def conj(x):
    """The complex conjugate; its gradient is conj(ḡ)."""
    return CONJ(x)


conjugate = conj


def angle(x):
    """The argument of a complex number, arctan2(imag, real), in radians."""
    return arctan2(imag(x), real(x))


class _Linalg:
    """numpy.linalg, with ``norm`` differentiable; every other name is numpy's own."""

    def __getattr__(self, name: str):
        return getattr(_np.linalg, name)

    @staticmethod
    def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 (numpy's name)
        """The 2-norm of a vector (or the Frobenius norm): sqrt(Σ |x|²), slope 0 at 0."""
        if not _holds_node(x):
            return _np.linalg.norm(x, ord, axis, keepdims)
        matrix = axis is None and len(shape_of(x)) == 2 or isinstance(axis, tuple)
        if not (ord is None or ord == "fro" or (ord == 2 and not matrix)):
            raise NotImplementedError(
                f"linalg.norm with ord={ord!r} is not differentiable by the array engine; "
                "only the 2-norm of vectors and the Frobenius norm are"
            )
        squares = real(multiply(x, conj(x)))
        return _root_of_squares(sum(squares, axis=axis, keepdims=keepdims))


linalg = _Linalg()


# Beyond numpy (autograd has them in autograd.scipy.special)


def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x), computed without overflow."""
    return LOGSUMEXP(x, axis=_axis(axis), keepdims=keepdims)


def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``."""
    return SOFTMAX(x, axis=axis)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``."""
    return LOG_SOFTMAX(x, axis=axis)


def __getattr__(name: str):
    return getattr(_np, name)  # everything else is numpy's own


# ---------------------------------------------------------------------------
# Array nodes: operators, methods and numpy's dispatch protocols

_WRAPPED = {
    name: value
    for name, value in dict(globals()).items()
    if callable(value) and not name.startswith("_") and name not in ("is_traced", "numbers")
}
"""Every function of this module by numpy's name: what numpy dispatches array nodes to."""

_UFUNCS = {
    _np.add: add,
    _np.subtract: subtract,
    _np.multiply: multiply,
    _np.true_divide: divide,
    _np.power: power,
    _np.remainder: remainder,
    _np.negative: negative,
    _np.absolute: absolute,
    _np.maximum: maximum,
    _np.minimum: minimum,
    _np.arctan2: arctan2,
    _np.square: square,
    _np.reciprocal: reciprocal,
    _np.matmul: matmul,
    _np.conjugate: conj,
    **{getattr(_np, name): function for name, function in _E.items() if hasattr(_np, name)},
}
_COMPARISONS = {
    _np.less,
    _np.less_equal,
    _np.greater,
    _np.greater_equal,
    _np.equal,
    _np.not_equal,
    _np.isfinite,
    _np.isnan,
    _np.isinf,
    _np.signbit,
}


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and not kwargs:
        if ufunc in _COMPARISONS:
            return ufunc(*(numbers(x) for x in inputs))
        function = _UFUNCS.get(ufunc)
        if function is not None:
            return function(*inputs)
    raise TypeError(
        f"numpy.{ufunc.__name__} ({method}{', with ' + ', '.join(kwargs) if kwargs else ''}) "
        "has no rule in the array engine, so it cannot be differentiated; use "
        "autodiff_lab.numpy's functions"
    )


def _array_function(self, func, types, args, kwargs):
    name = func.__name__
    if func is _np.linalg.norm:
        return linalg.norm(*args, **kwargs)
    if func is _np.shape:
        return shape_of(args[0])
    if func is _np.ndim:
        return len(shape_of(args[0]))
    if func is _np.size:
        return int(_np.prod(shape_of(args[0])))
    function = _WRAPPED.get(name)
    if function is None or name == "array":
        raise TypeError(
            f"numpy.{name} has no rule in the array engine, so it cannot be "
            "differentiated; use autodiff_lab.numpy's functions"
        )
    return function(*args, **kwargs)


def _binary(function, reflected=False):
    if reflected:
        return lambda self, other: function(other, self)
    return lambda self, other: function(self, other)


def _install(node: type) -> None:
    for name, function in (
        ("add", add),
        ("sub", subtract),
        ("mul", multiply),
        ("truediv", divide),
        ("mod", remainder),
        ("pow", power),
        ("matmul", matmul),
    ):
        setattr(node, f"__{name}__", _binary(function))
        setattr(node, f"__r{name}__", _binary(function, reflected=True))
    node.__neg__ = lambda self: negative(self)
    node.__pos__ = lambda self: self
    node.__abs__ = lambda self: absolute(self)
    node.__getitem__ = lambda self, index: GETITEM(self, _plain_index(index))
    node.T = property(lambda self: transpose(self))
    node.real = property(lambda self: real(self))
    node.imag = property(lambda self: imag(self))
    node.conj = node.conjugate = conj
    node.sum = sum
    node.mean = mean
    node.max = max
    node.min = min
    node.dot = dot
    node.ravel = node.flatten = ravel
    node.squeeze = squeeze
    node.reshape = reshape
    node.transpose = lambda self, *axes: transpose(
        self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None)
    )
    node.clip = clip
    for name in _rules.FUNCTIONS:
        setattr(node, name, lambda self, *others, function=_E[name]: function(self, *others))
    node.__array_ufunc__ = _array_ufunc
    node.__array_function__ = _array_function


def _plain_index(index):
    """An index as numbers: an index is a position, never differentiated (its cotangent is 0)."""
    if isinstance(index, tuple):
        return tuple(_index_part(part) for part in index)
    return _index_part(index)


def _index_part(part):
    if not _core.is_node(part):
        return part
    position = _np.asarray(numbers(part))
    if position.dtype.kind == "f" and _np.all(position == _np.round(position)):
        position = position.astype(_np.intp)  # a traced whole number, such as a vjp's point 1
    return position.item() if position.ndim == 0 else position


for _kind in TRACED:
    _install(_kind)
