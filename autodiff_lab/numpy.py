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

from numbers import Real

import numpy as _np

from . import rules as _rules
from .array_rules import (
    BROADCAST_TO,
    CLIP,
    CONCATENATE,
    ELEMENTWISE,
    GETITEM,
    LOG_SOFTMAX,
    LOGSUMEXP,
    MATMUL,
    MAX,
    MEAN,
    MIN,
    RESHAPE,
    SOFTMAX,
    STACK,
    SUM,
    TRANSPOSE,
    WHERE,
    shape_of,
)
from .arrays import TRACED, is_traced, numbers

_E = {name: ELEMENTWISE[primitive] for name, primitive in _rules.PRIMITIVES.items()}
_POWC = ELEMENTWISE[_rules.POWC]

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
    return divide(
        sum(multiply(centred, centred), axis=axis, keepdims=keepdims), count.flat[0] - ddof
    )


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
    axes = list(range(len(shape_of(x))))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return TRANSPOSE(x, tuple(axes))


def expand_dims(x, axis):
    return RESHAPE(x, _np.expand_dims(_np.empty(shape_of(x), dtype=bool), axis).shape)


def squeeze(x, axis=None):
    return RESHAPE(x, _np.squeeze(_np.empty(shape_of(x), dtype=bool), axis).shape)


def broadcast_to(x, shape):
    return BROADCAST_TO(x, tuple(shape))


def concatenate(arrays, axis=0):
    return CONCATENATE(*arrays, axis=axis)


def stack(arrays, axis=0):
    return STACK(*arrays, axis=axis)


def array(obj, *args, **kwargs):
    """numpy.array; a (nested) list holding array nodes becomes one node, by stacking."""
    if is_traced(obj):
        return obj
    if isinstance(obj, (list, tuple)) and _holds_node(obj):
        return stack([array(item) for item in obj])
    return _np.array(obj, *args, **kwargs)


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


def outer(a, b):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


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
    """An index as numbers: an index is a position, never differentiated."""
    if isinstance(index, tuple):
        return tuple(numbers(part) for part in index)
    return numbers(index)


for _kind in TRACED:
    _install(_kind)
