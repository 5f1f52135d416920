"""grad, vjp, jvp and jacobian on the array engine (`autodiff_lab.arrays`).

`autodiff_lab.functional` hands a call here when a point is a numpy array of
numbers (at least 1-d) or an `ArrayNode` of an outer pass: the function then
receives one `ArrayNode` per array instead of an object array of `Value`s.
Every call draws its own level, so these nest as the scalar ones do. ``jvp``
passes an `ArrayDual` (the array and its tangent) through the JVP rules.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import numpy as anp
from . import rules
from .array_rules import shape_of
from .arrays import ArrayDual, ArrayNode, backward, is_traced, numbers


def is_array_input(x) -> bool:
    """True for what the array engine takes: an array node, or a ≥1-d array of numbers."""
    if is_traced(x):
        return True
    return isinstance(x, np.ndarray) and x.ndim >= 1 and x.dtype.kind in "biuf"


def _leaf(x, level: int) -> ArrayNode:
    value = x if is_traced(x) else np.array(x, dtype=np.float64)
    return ArrayNode(value, level)


def _output(result, level: int, who: str):
    """``(node, value)``: the output as a node of ``level`` (None if constant) and its value."""
    if isinstance(result, (list, tuple)):
        result = anp.array(result)
    if is_traced(result):
        if result.level > level:
            raise ValueError(
                f"{who}: f returned an array node of a derivative pass that started inside f "
                f"and has finished (level {result.level}, this pass is level {level}); its "
                "graph cannot be differentiated from here. Return the inner result instead."
            )
        if result.level == level and type(result) is ArrayNode:
            return result, result.value
        return None, result
    if type(result) in rules._CARRIER_RANK:
        raise TypeError(
            f"{who}: f returned a {type(result).__name__}; the array engine and the scalar "
            "engines do not combine (a function of an array should use autodiff_lab.numpy)"
        )
    if rules.is_number(result) or (isinstance(result, np.ndarray) and result.dtype.kind in "biuf"):
        return None, result
    raise TypeError(
        f"{who} needs f to return numbers, got {type(result).__name__} ({result!r:.40}); "
        "check that f returns its result"
    )


def _plain(gradient, shape: tuple):
    """A gradient for the caller: a float64 array (or float), or a node of an outer pass."""
    if gradient is None:
        return np.zeros(shape) if shape else 0.0
    if is_traced(gradient):
        return gradient
    gradient = np.array(gradient, dtype=np.float64)
    return gradient if shape else float(gradient)


def _value(value):
    if is_traced(value):
        return value
    value = np.asarray(value)
    return float(value) if value.shape == () and value.dtype.kind in "biuf" else value


def _warn_independent(who: str) -> None:
    warnings.warn(
        f"{who}: output seems independent of input (its derivative is 0)",
        UserWarning,
        stacklevel=4,
    )


def value_and_grad(f, args: tuple, positions: tuple[int, ...]):
    """``(f(*args), (∂f/∂args[p] for p in positions))`` for a scalar f."""
    level = rules.new_level()
    call_args = list(args)
    leaves = []
    for position in positions:
        leaves.append(_leaf(args[position], level))
        call_args[position] = leaves[-1]
    node, value = _output(f(*call_args), level, "grad")
    size = int(np.prod(shape_of(value)))
    if size != 1:
        raise TypeError(
            f"grad needs f to return one number, got an array of shape {shape_of(value)}; "
            "use jacobian(), vjp() or elementwise_grad() for functions with several outputs"
        )
    if node is None:
        _warn_independent("grad")
        gradients = [None] * len(leaves)
    else:
        gradients = backward(node, np.ones(shape_of(value)), leaves, anp.add)
    if shape_of(value) != ():
        value = anp.reshape(value, ())
    grads = tuple(_plain(g, shape_of(leaf.value)) for g, leaf in zip(gradients, leaves))
    return _value(value), grads


def vjp(f, x):
    """``(f(x), vjp_fn)`` where ``vjp_fn(u)`` is uᵀJ, one backward pass per call."""
    level = rules.new_level()
    leaf = _leaf(x, level)
    node, value = _output(f(leaf), level, "vjp")
    out_shape = shape_of(value)
    if node is None:
        _warn_independent("vjp")

    def vjp_fn(u):
        if not is_traced(u):
            u = np.asarray(u, dtype=np.float64)
        if shape_of(u) != out_shape:
            try:
                u = anp.broadcast_to(u, out_shape)
            except ValueError:
                raise ValueError(
                    f"vjp: u has shape {shape_of(u)} but f(x) has shape {out_shape}"
                ) from None
        if node is None:
            return _plain(None, shape_of(leaf.value))
        (gradient,) = backward(node, u, [leaf], anp.add)
        return _plain(gradient, shape_of(leaf.value))

    return _value(value), vjp_fn


def jvp(f, x, v):
    """``(f(x), J·v)`` in one forward pass: f gets an `ArrayDual` with tangent v."""
    if shape_of(v) != shape_of(x):
        raise ValueError(f"v has shape {shape_of(v)} but x has shape {shape_of(x)}")
    if not is_traced(v):
        if np.asarray(v).dtype.kind not in "biuf":
            raise TypeError(
                "jvp: x is an array of numbers but v is not; the array engine and the "
                "scalar engines do not combine"
            )
        v = np.asarray(v, dtype=np.float64)
    level = rules.new_level()
    primal = x if is_traced(x) else np.array(x, dtype=np.float64)
    result = f(ArrayDual(primal, v, level))
    if isinstance(result, (list, tuple)):
        result = anp.array(result)
    if type(result) is ArrayDual and result.level == level:
        return _value(result.value), _plain(result.tangent, shape_of(result))
    _, value = _output(result, level, "jvp")  # a constant, or a refusal
    return _value(value), _plain(None, shape_of(value))


def jacobian(f, x, mode: str = "reverse"):
    """∂f_i/∂x_j of shape ``f(x).shape + x.shape``, row by row or column by column."""
    in_shape = shape_of(x)
    if mode == "forward":
        columns = [jvp(f, x, _basis(in_shape, j))[1] for j in range(int(np.prod(in_shape)))]
        out_shape = shape_of(columns[0])
        return _assemble(columns, -1, out_shape + in_shape)
    value, vjp_fn = vjp(f, x)
    out_shape = shape_of(value)
    rows = [vjp_fn(_basis(out_shape, i)) for i in range(int(np.prod(out_shape)))]
    return _assemble(rows, 0, out_shape + in_shape)


def _basis(shape: tuple, index: int) -> np.ndarray:
    direction = np.zeros(shape)
    direction.flat[index] = 1.0
    return direction


def _assemble(parts: list, axis: int, shape: tuple):
    if any(is_traced(part) for part in parts):
        return anp.reshape(anp.stack(parts, axis=axis), shape)
    return np.reshape(np.stack([np.asarray(part, dtype=float) for part in parts], axis=axis), shape)


def elementwise_grad(f, x):
    """The vjp of f with a cotangent of ones: ∂f_i/∂x_i when f acts elementwise."""
    value, vjp_fn = vjp(f, x)
    return vjp_fn(np.ones(shape_of(value)))


__all__ = [
    "elementwise_grad",
    "is_array_input",
    "jacobian",
    "jvp",
    "numbers",
    "value_and_grad",
    "vjp",
]
