"""The functional API: derivatives of Python functions of floats, lists and arrays.

``grad`` and ``value_and_grad`` return functions, as in HIPS autograd and JAX;
``jvp``, ``vjp``, ``jacobian``, ``hessian`` and ``hvp`` take a point. Inputs may
be numbers, lists or numpy arrays; array-like inputs give numpy arrays back.
For numbers and lists ``f`` receives a `Value` or `Dual`, or a numpy array of
them that numpy's elementwise operations (``x * x``, ``np.sum``, ``np.tanh``)
work on. A numpy array of numbers (at least 1-d) goes to the array engine
instead (`autodiff_lab.array_functional`): ``f`` receives one array node.

Every call starts a derivative pass of its own level (`rules.new_level`; see
`autodiff_lab.reverse` for the rule), and every one of them accepts as its point
the Values or Duals of an outer pass, so they nest in any order and to any
depth: ``grad(grad(f))``, ``jacobian(grad(f), x, mode="forward")``,
``grad(lambda x: x * derivative(lambda y: x * y, 2.0))``. A function whose
output does not depend on its input has derivative 0 (reverse mode warns, as
HIPS autograd does).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from numbers import Real

import numpy as np

from . import array_functional, rules
from .array_functional import is_array_input
from .forward import (
    Dual,
    array_of,
    derivative,
    dual,
    new_tag,
    primal_of,
    tangent_of,
    to_output_array,
)
from .reverse import Value, backpropagate, leaf, running

__all__ = [
    "as_point",
    "basis_vector",
    "derivative",
    "elementwise_grad",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "jvp_values",
    "value_and_grad",
    "vjp",
    "vjp_values",
]

HESSIAN_MODES = ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward")


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


def _is_carrier(x) -> bool:
    return type(x) in rules._CARRIER_RANK


def _point(x, name: str = "x", who: str | None = None):
    """`as_point`, except that Values and Duals of an outer derivative pass (or
    arrays of them), and array nodes, are kept: that is how derivatives nest."""
    if _is_carrier(x) or is_array_input(x):
        return x
    if isinstance(x, (list, tuple, np.ndarray)):
        try:
            items = np.asarray(x, dtype=object)
        except (TypeError, ValueError):
            items = None
        if items is not None and any(_is_carrier(item) for item in items.flat):
            point = np.empty(items.shape, dtype=object)
            for index, item in np.ndenumerate(items):
                if not (_is_carrier(item) or rules.is_number(item)):
                    as_point(item, name, who)  # raises the usual message
                point[index] = item if _is_carrier(item) else float(item)
            return point
    return as_point(x, name, who)


def _wrap(point, make: Callable):
    """Apply ``make`` to a scalar point, or elementwise into an object array."""
    if not isinstance(point, np.ndarray):
        return make(point)
    wrapped = np.empty(point.shape, dtype=object)
    for index, number in np.ndenumerate(point):
        wrapped[index] = make(number)
    return wrapped


def _leaves(wrapped) -> list:
    return [wrapped] if not isinstance(wrapped, np.ndarray) else list(wrapped.flat)


def _shaped_like(point, numbers: list):
    if not isinstance(point, np.ndarray):
        return numbers[0]
    return array_of(numbers, point.shape)


def _at_level(item, level: int, who: str):
    """The output ``item`` as a node of ``level``, or None if it is a constant there.

    A constant is a number, a bool, or a Value or Dual of an older pass: the
    output does not depend on this pass's inputs. A node of a newer level
    escaped from a finished inner pass; no number would be right, so refuse.
    """
    if isinstance(item, np.ndarray) and item.ndim == 0:
        item = item.item()
    item_level = rules._CARRIER_LEVEL[type(item)](item) if _is_carrier(item) else -1
    if item_level > level:
        raise ValueError(
            f"{who}: f returned a {type(item).__name__} of a derivative pass that started "
            "inside f and has finished (level "
            f"{item_level}, this pass is level {level}); its graph cannot be differentiated "
            "from here. Return the inner derivative's result (numbers) instead."
        )
    if isinstance(item, Value) and item_level == level:
        return item
    if rules.is_number(item) or _is_carrier(item):
        return None
    raise TypeError(
        f"{who} needs f to return a number, got {type(item).__name__} ({item!r:.40}); "
        "check that f returns its result"
    )


def _constant_value(item):
    if isinstance(item, np.ndarray) and item.ndim == 0:
        item = item.item()
    return as_point(item) if type(item) is not bool and rules.is_number(item) else item


_WARNED: dict = {}  # the warnings registry of this module: each message shows once


def _warn_independent(who: str) -> None:
    # Reported from the package rather than from a file and line, so that a
    # notebook shows the same text on every machine.
    warnings.warn_explicit(
        f"{who}: output seems independent of input (its derivative is 0)",
        UserWarning,
        filename="autodiff_lab",
        lineno=0,
        module="autodiff_lab.functional",
        registry=_WARNED,
    )


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
        if any(is_array_input(args[position]) for position in positions):
            value, grads = array_functional.value_and_grad(f, args, positions)
            return value, grads[0] if single else grads
        level = rules.new_level()
        call_args = list(args)
        points = {
            position: _point(args[position], f"argument {position}") for position in positions
        }
        with running(level):
            for position in positions:
                call_args[position] = _wrap(points[position], lambda number: leaf(number, level))
            result = f(*call_args)
        if isinstance(result, np.ndarray) and result.size == 1:
            result = result.reshape(()).item()
        if isinstance(result, (list, tuple, np.ndarray)):
            raise TypeError(
                f"grad needs f to return one number, got a {type(result).__name__} of "
                f"{len(result)}; use jacobian() or vjp() for functions with several outputs"
            )
        output = _at_level(result, level, "grad")
        if output is None:
            _warn_independent("grad")
            value = _constant_value(result)
        else:
            backpropagate([output], [1.0])
            value = output._data
        grads = tuple(
            _shaped_like(
                points[p],
                [0.0 if output is None else node.grad for node in _leaves(call_args[p])],
            )
            for p in positions
        )
        return value, grads[0] if single else grads

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
    if is_array_input(x):
        return array_functional.vjp(f, x)
    return vjp_values(f, _point(x))


def vjp_values(f: Callable, point):
    """`vjp` on the scalar engine, whatever the point: f gets a Value or an object array
    of them (the display tools use it to show and count scalar passes)."""
    level = rules.new_level()
    with running(level):
        inputs = _wrap(point, lambda number: leaf(number, level))
        result = f(inputs)
    scalar = not isinstance(result, (list, tuple, np.ndarray))
    items = [result] if scalar else list(np.asarray(result, dtype=object).flat)
    out_shape = () if scalar else np.asarray(result, dtype=object).shape
    outputs = [_at_level(item, level, "vjp") for item in items]
    values = [
        _constant_value(item) if node is None else node._data for item, node in zip(items, outputs)
    ]
    value = values[0] if scalar else array_of(values, out_shape)
    if all(node is None for node in outputs):
        _warn_independent("vjp")
    leaves = _leaves(inputs)

    def vjp_fn(u):
        seeds = _point(u, "u", "vjp")
        if np.shape(seeds) != out_shape:
            if isinstance(seeds, np.ndarray) and seeds.shape != ():
                seeds = np.broadcast_to(seeds, out_shape)
        seeds = [seeds] * len(items) if not isinstance(seeds, np.ndarray) else list(seeds.flat)
        for node in leaves:
            node.grad = 0.0
        active = [(node, seed) for node, seed in zip(outputs, seeds) if node is not None]
        if active:
            backpropagate([node for node, _ in active], [seed for _, seed in active])
        return _shaped_like(point, [node.grad for node in leaves])

    return value, vjp_fn


# ---------------------------------------------------------------------------
# Forward mode


def jvp(f: Callable, x, v):
    """``(f(x), J·v)``: one forward pass with tangent ``v`` (same shape as x)."""
    if is_array_input(x):
        return array_functional.jvp(f, x, _point(v, "v"))
    return jvp_values(f, _point(x), _point(v, "v"))


def jvp_values(f: Callable, point, direction):
    """`jvp` on the scalar engine, whatever the point: f gets a Dual or an object array of them."""
    if np.shape(direction) != np.shape(point):
        raise ValueError(f"v has shape {np.shape(direction)} but x has shape {np.shape(point)}")
    tag = new_tag()
    if not isinstance(point, np.ndarray):
        inputs = dual(point, direction, tag)
    else:
        inputs = np.empty(point.shape, dtype=object)
        for index, number in np.ndenumerate(point):
            inputs[index] = dual(number, direction[index], tag)
    result = f(inputs)
    if not isinstance(result, (list, tuple, np.ndarray)):
        if not (rules.is_number(result) or _is_carrier(result)):
            raise TypeError(
                f"jvp: f returned {type(result).__name__} ({result!r:.40}), not a number; "
                "check that f returns its result"
            )
        return primal_of(result, tag), tangent_of(result, tag)
    return (
        to_output_array(result, lambda item: primal_of(item, tag), "jvp"),
        to_output_array(result, lambda item: tangent_of(item, tag), "jvp"),
    )


def _stacked(parts: list, axis: int, shape: tuple) -> np.ndarray:
    """Stack rows or columns (floats, or Values/Duals of an outer pass) into ``shape``."""
    stacked = np.stack([np.asarray(part, dtype=object) for part in parts], axis=axis)
    return array_of(list(stacked.reshape(shape).flat), shape)


def jacobian(f: Callable, x, mode: str = "reverse") -> np.ndarray:
    """The Jacobian ∂f_i/∂x_j, of shape ``f(x).shape + x.shape``.

    ``mode="forward"`` builds it column by column (one jvp per input);
    ``mode="reverse"`` row by row (one backward pass per output).
    """
    if mode not in ("forward", "reverse"):
        raise ValueError(f'mode must be "forward" or "reverse", got {mode!r}')
    point = _point(x)
    if is_array_input(x):
        return array_functional.jacobian(f, point, mode)
    if mode == "forward":
        columns = [
            jvp_values(f, point, basis_vector(np.shape(point), j))[1]
            for j in range(max(np.size(point), 1))
        ]
        out_shape = np.shape(columns[0])
        return _stacked(columns, -1, out_shape + np.shape(point))
    value, vjp_fn = vjp_values(f, point)
    out_shape = np.shape(value)
    rows = [vjp_fn(basis_vector(out_shape, i)) for i in range(max(int(np.prod(out_shape)), 1))]
    return _stacked(rows, 0, out_shape + np.shape(point))


def hvp(f: Callable, x, v):
    """Hessian-vector product H·v by forward over reverse: the jvp of ``grad(f)``.

    The reverse pass runs on Values whose data are dual numbers with tangent
    ``v``; the tangent of each resulting gradient is a component of H·v.
    """
    return jvp(grad(f), x, v)[1]


def _forward_gradient(f: Callable) -> Callable:
    def gradient(x):
        return jacobian(f, x, mode="forward")

    return gradient


def hessian(f: Callable, x, mode: str = "forward-over-reverse"):
    """The matrix of second derivatives of a scalar f, as the Jacobian of its gradient.

    ``mode`` names the two passes, outer over inner: ``"forward-over-reverse"``
    (one jvp of ``grad(f)`` per column, the default), ``"reverse-over-reverse"``
    (``grad(f)`` recorded once, then one backward pass per row) or
    ``"forward-over-forward"`` (n forward passes for each of n columns).
    """
    if mode not in HESSIAN_MODES:
        raise ValueError(f"mode must be one of {', '.join(HESSIAN_MODES)}; got {mode!r}")
    point = _point(x)
    outer, inner = mode.split("-over-")
    gradient = grad(f) if inner == "reverse" else _forward_gradient(f)
    matrix = jacobian(gradient, x, mode=outer)
    if isinstance(point, np.ndarray) or is_array_input(point):
        return matrix
    return matrix.reshape(()).item()


def elementwise_grad(f: Callable) -> Callable:
    """Return a function giving the sum over outputs of ∂f_i/∂x, that is uᵀJ with u all
    ones: the derivative of each element when f acts elementwise (HIPS autograd's name).

    >>> elementwise_grad(lambda x: x * x)(np.array([1.0, 2.0])).tolist()
    [2.0, 4.0]
    """

    def gradient(x):
        point = _point(x)
        if is_array_input(x):
            return array_functional.elementwise_grad(f, point)
        value, vjp_fn = vjp_values(f, point)
        return vjp_fn(np.ones(np.shape(value)) if np.shape(value) else 1.0)

    gradient.__name__ = f"elementwise_grad_of_{getattr(f, '__name__', 'f')}"
    return gradient
