"""The functional API: derivatives of Python functions of floats, lists and arrays.

``grad`` and ``value_and_grad`` return functions, as in HIPS autograd and JAX;
``jvp``, ``vjp``, ``jacobian``, ``hessian`` and ``hvp`` take a point. Inputs may
be numbers, lists or numpy arrays; array-like inputs give numpy arrays back,
and ``f`` receives a numpy array of `Value` or `Dual` objects that numpy's
elementwise operations (``x * x``, ``np.sum``, ``np.tanh``) work on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np

from .forward import Dual, new_tag, primal_of, tangent_of
from .reverse import Value, backpropagate


def as_point(x, name: str = "x", who: str | None = None):
    """A float for a number, a float64 array for anything array-like.

    The check every function here (and the display tools) makes on a point:
    a clear TypeError, naming ``who`` and ``name``, for anything else.
    """
    prefix = f"{who}: " if who else ""
    if isinstance(x, (Value, Dual)):
        raise TypeError(
            f"{prefix}{name} should be a plain number or array; got a {type(x).__name__} "
            "(this function makes its own Values and Duals)"
        )
    if isinstance(x, Real) and not isinstance(x, bool):
        return float(x)
    try:
        array = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{prefix}{name} should be a number, a list of numbers or a numpy array, "
            f"got {type(x).__name__} ({x!r:.40})"
        ) from None
    return array


def basis_vector(shape: tuple, index: int):
    """The direction e_index: 1.0 for a scalar, else an array of zeros with one 1."""
    if shape == ():
        return 1.0
    direction = np.zeros(shape)
    direction.flat[index] = 1.0
    return direction


def _wrap(point, make: Callable):
    """Apply ``make`` to a float, or elementwise into an object array."""
    if isinstance(point, float):
        return make(point)
    wrapped = np.empty(point.shape, dtype=object)
    for index, number in np.ndenumerate(point):
        wrapped[index] = make(number)
    return wrapped


def _leaves(wrapped) -> list:
    return [wrapped] if not isinstance(wrapped, np.ndarray) else list(wrapped.flat)


def _to_output_array(result, convert: Callable, who: str) -> np.ndarray:
    """Convert every element of a list/array result with ``convert``."""
    try:
        items = np.asarray(result, dtype=object)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: f returned {type(result).__name__}, not numbers") from None
    # A forgotten `return` gives None: say so rather than report a derivative of 0.
    for item in items.flat:
        if not isinstance(item, (Real, Dual)):
            raise TypeError(
                f"{who}: f returned {type(item).__name__} ({item!r:.40}), not a number; "
                "check that f returns its result"
            )
    return _array_of([convert(item) for item in items.flat], items.shape)


def _array_of(numbers: list, shape: tuple) -> np.ndarray:
    """A float array, or an object array where some entries are still Duals."""
    dtype = float if all(isinstance(n, float) for n in numbers) else object
    return np.array(numbers, dtype=dtype).reshape(shape)


def _shaped_like(point, numbers: list):
    return numbers[0] if isinstance(point, float) else _array_of(numbers, point.shape)


def _scalar_output(result, who: str) -> Value:
    """The one Value that f returned (a constant becomes a leaf)."""
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.reshape(()).item()
    if isinstance(result, Value):
        return result
    if isinstance(result, Real) and not isinstance(result, bool):
        return Value(result)  # f did not depend on its input: gradient 0
    if isinstance(result, (list, tuple, np.ndarray)):
        raise TypeError(
            f"{who} needs f to return one number, got a {type(result).__name__} of "
            f"{len(result)}; use jacobian() or vjp() for functions with several outputs"
        )
    raise TypeError(f"{who} needs f to return a number, got {type(result).__name__}")


# ---------------------------------------------------------------------------
# Reverse mode


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function giving ``(f(*args), ∂f/∂args[argnums])`` by reverse mode."""
    single = isinstance(argnums, int)
    positions = (argnums,) if single else tuple(argnums)

    def value_and_gradient(*args):
        if not args:
            raise TypeError("the function returned by grad() needs at least one argument")
        for position in positions:
            if position >= len(args):
                raise IndexError(f"argnums={argnums} but only {len(args)} argument(s) were given")
        call_args = list(args)
        points = {}
        for position in positions:
            points[position] = as_point(args[position], f"argument {position}")
            call_args[position] = _wrap(points[position], Value)
        output = _scalar_output(f(*call_args), "grad")
        output.backward()
        grads = tuple(
            _shaped_like(points[p], [leaf.grad for leaf in _leaves(call_args[p])])
            for p in positions
        )
        return output.data, grads[0] if single else grads

    value_and_gradient.__name__ = f"value_and_grad_of_{getattr(f, '__name__', 'f')}"
    return value_and_gradient


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function giving ∂f/∂args[argnums] by reverse mode.

    >>> grad(lambda x, y: x * y + x * x)(2.0, 3.0)
    7.0
    """
    both = value_and_grad(f, argnums)

    def gradient(*args):
        return both(*args)[1]

    gradient.__name__ = f"grad_of_{getattr(f, '__name__', 'f')}"
    return gradient


def vjp(f: Callable, x):
    """``(f(x), vjp_fn)`` where ``vjp_fn(u)`` is uᵀJ, one backward pass per call."""
    point = as_point(x)
    inputs = _wrap(point, Value)
    result = f(inputs)
    outputs = (
        [result]
        if isinstance(result, (Value, Real))
        else list(np.asarray(result, dtype=object).flat)
    )
    outputs = [item if isinstance(item, Value) else Value(item) for item in outputs]
    out_shape = () if isinstance(result, (Value, Real)) else np.asarray(result, dtype=object).shape
    value = (
        outputs[0].data
        if out_shape == ()
        else np.array([o.data for o in outputs]).reshape(out_shape)
    )
    leaves = _leaves(inputs)

    def vjp_fn(u):
        seeds = (
            np.broadcast_to(np.asarray(u, dtype=float), out_shape).ravel()
            if out_shape
            else [float(u)]
        )
        for leaf in leaves:
            leaf.grad = 0.0
        backpropagate(outputs, list(seeds))
        return _shaped_like(point, [leaf.grad for leaf in leaves])

    return value, vjp_fn


# ---------------------------------------------------------------------------
# Forward mode


def jvp(f: Callable, x, v):
    """``(f(x), J·v)``: one forward pass with tangent ``v`` (same shape as x)."""
    point = as_point(x)
    direction = as_point(v, "v")
    if np.shape(direction) != np.shape(point):
        raise ValueError(f"v has shape {np.shape(direction)} but x has shape {np.shape(point)}")
    tag = new_tag()
    if isinstance(point, float):
        inputs = Dual(point, direction, tag=tag)
    else:
        inputs = np.empty(point.shape, dtype=object)
        for index, number in np.ndenumerate(point):
            inputs[index] = Dual(number, direction[index], tag=tag)
    result = f(inputs)
    if isinstance(result, (Dual, Real)):
        return primal_of(result, tag), tangent_of(result, tag)
    return (
        _to_output_array(result, lambda item: primal_of(item, tag), "jvp"),
        _to_output_array(result, lambda item: tangent_of(item, tag), "jvp"),
    )


def jacobian(f: Callable, x, mode: str = "reverse") -> np.ndarray:
    """The Jacobian ∂f_i/∂x_j, of shape ``f(x).shape + x.shape``.

    ``mode="forward"`` builds it column by column (one jvp per input);
    ``mode="reverse"`` row by row (one backward pass per output).
    """
    point = as_point(x)
    if mode == "forward":
        columns = []
        for j in range(max(np.size(point), 1)):
            _, column = jvp(f, point, basis_vector(np.shape(point), j))
            columns.append(np.asarray(column, dtype=float))
        out_shape = columns[0].shape
        return np.stack(columns, axis=-1).reshape(out_shape + np.shape(point))
    if mode == "reverse":
        value, vjp_fn = vjp(f, point)
        out_shape = np.shape(value)
        rows = []
        for i in range(max(int(np.prod(out_shape)), 1)):
            rows.append(np.asarray(vjp_fn(basis_vector(out_shape, i)), dtype=float))
        return np.stack(rows).reshape(out_shape + np.shape(point))
    raise ValueError(f'mode must be "forward" or "reverse", got {mode!r}')


def hvp(f: Callable, x, v):
    """Hessian-vector product H·v by forward over reverse.

    The reverse pass runs on Values whose data are dual numbers with tangent
    ``v``; the tangent of each resulting gradient is a component of H·v.
    """
    point = as_point(x)
    direction = as_point(v, "v")
    if np.shape(direction) != np.shape(point):
        raise ValueError(f"v has shape {np.shape(direction)} but x has shape {np.shape(point)}")
    tag = new_tag()
    if isinstance(point, float):
        inputs = Value(Dual(point, direction, tag=tag))
    else:
        inputs = np.empty(point.shape, dtype=object)
        for index, number in np.ndenumerate(point):
            inputs[index] = Value(Dual(number, direction[index], tag=tag))
    output = _scalar_output(f(inputs), "hvp")
    output.backward()
    return _shaped_like(point, [float(tangent_of(leaf.grad, tag)) for leaf in _leaves(inputs)])


def hessian(f: Callable, x):
    """The matrix of second derivatives, one forward-over-reverse pass per column."""
    point = as_point(x)
    if isinstance(point, float):
        return hvp(f, point, 1.0)
    n = point.size
    columns = [np.asarray(hvp(f, point, basis_vector(point.shape, j))).ravel() for j in range(n)]
    return np.stack(columns, axis=-1).reshape(point.shape + point.shape)
