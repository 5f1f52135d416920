"""The functional API: derivatives of Python functions, written once for every kind of node.

``grad`` and ``value_and_grad`` return functions, as in HIPS autograd and JAX;
``vjp``, ``jvp``, ``jacobian``, ``hessian`` and ``hvp`` take a point. A point (and
each argument of the function ``grad`` returns) may be a number, a numpy array,
or a nested list, tuple or dict of them; results keep its structure and shapes,
so a list stays a list. Inside, ``f`` receives a node of the derivative pass in
place of each number or array:

* a float (or int) becomes a `Value` (reverse) or `Dual` (forward);
* a numpy array of real numbers becomes one `ArrayNode` or `ArrayDual`, and a
  complex number or array a complex one (see "Complex numbers" below);
* a numpy array of ``dtype=object`` becomes an array of Values or Duals, one per
  number (the scalar engine, whose every operation can be drawn);
* a Value, Dual or array node of an outer derivative pass is kept inside the
  new node, and that is how derivatives nest: ``grad(grad(f))``,
  ``jacobian(grad(f), x, mode="forward")``, ``grad(lambda x: x * derivative(...))``.

Every operator is built on two, as HIPS autograd builds its operators on
``make_vjp``: `_Recording` runs f once at a fresh level (`core.new_level`)
and pulls cotangents back with the core's one backward pass, and `_push`
runs f once on dual numbers of a fresh level. A function whose output does
not depend on its input has derivative 0 (with autograd's warning).

``has_aux=True`` (``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``,
``hessian``) lets f return ``(output, aux)``: aux is passed back as numbers,
undifferentiated, with JAX's conventions. Keyword arguments of ``grad``'s
function go to f unchanged.

Complex numbers follow HIPS autograd's convention: for a holomorphic f the
gradient is the complex derivative f'(z); for a real-valued f of a complex z
it is ∂f/∂x − i·∂f/∂y (step along its conjugate to descend); an input that is
real gets a real gradient (the real part). Complex numbers go to the array
engine (a complex scalar is a 0-d array node); a scalar `Value` or `Dual`
refuses them rather than drop an imaginary part.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from numbers import Complex, Real

import numpy as np

from . import core, rules
from . import numpy as anp
from .arrays import (
    ArrayDual,
    ArrayNode,
    array_leaf,
    is_traced,
    keep_unchanged,
    numbers,
    recording_pass,
)
from .containers import Structure, flatten, flatten_like, unflatten
from .forward import Dual, array_of, dual, primal_of, tangent_of
from .reverse import backpropagate, leaf, running

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


# ---------------------------------------------------------------------------
# Points: what a derivative is taken at


def as_point(x, name: str = "x", who: str | None = None):
    """A float for a number, a float64 array for anything array-like.

    The check the display tools make on a point: a clear TypeError, naming
    ``who`` and ``name``, for anything else.
    """
    prefix = f"{who}: " if who else ""
    if core.is_node(x):
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


def basis_vector(shape: tuple, index: int, dtype=float):
    """The direction e_index: 1.0 for a scalar, else an array of zeros with one 1."""
    if shape == ():
        return dtype(1.0)
    direction = np.zeros(shape, dtype=dtype)
    direction.flat[index] = 1.0
    return direction


def _leaf_point(x, where: str, who: str, copy: bool = False):
    """One leaf of a point, checked: a float, a float64 or complex128 array, an object
    array holding nodes of an outer pass, or such a node itself.

    A float64 or complex128 array is not copied (a parameter array may be large):
    the point is a read-only view of it, so nothing in f can write into the
    caller's array. ``copy`` asks for a copy, for a recording that outlives the
    call (`vjp`), which the caller may change in between."""
    kind = type(x)
    if kind is np.ndarray and x.ndim and not copy and x.dtype in _KEPT_DTYPES:
        return _read_only(x)
    if kind is float:
        return x
    if kind in core.KINDS:  # a node of an outer pass, or a symbolic expression
        return x
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{who}: {where} is a bool ({x}), not a number to differentiate")
    if isinstance(x, Real):
        return rules.as_float(x)
    if isinstance(x, Complex):
        return np.array(x, dtype=np.complex128)
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "biuf":
            return float(x) if x.ndim == 0 else np.array(x, dtype=np.float64)
        if x.dtype.kind == "c":
            return np.array(x, dtype=np.complex128)
        if x.dtype == object:
            return _object_point(x, where, who)
    raise TypeError(
        f"{who}: {where} should be a number, a numpy array, or a list, tuple or dict of "
        f"them; got {kind.__name__} ({x!r:.40})"
    )


_FLOAT64 = np.dtype(np.float64)
_KEPT_DTYPES = (_FLOAT64, np.dtype(np.complex128))


def _read_only(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that cannot be written through (``array`` itself is unchanged)."""
    view = array.view()
    view.flags.writeable = False
    return view


def _object_point(x: np.ndarray, where: str, who: str):
    """An array of objects asks for the scalar engine, one Value or Dual per number: its
    items are numbers, or scalar nodes of an outer pass."""
    point = np.empty(x.shape, dtype=object)
    for index, item in np.ndenumerate(x):
        if core.is_node(item):
            if core.KINDS[type(item)].holds_arrays:
                raise TypeError(f"{who}: {where} is an array holding array nodes; stack them")
            point[index] = item
        elif rules.is_number(item):
            point[index] = rules.as_float(item)
        else:
            raise TypeError(f"{who}: {where} holds {type(item).__name__} ({item!r:.40})")
    return point


def _point(x, what: str, who: str, copy: bool = False) -> tuple[list, Structure]:
    """A point as its checked leaves and structure (``copy``: see `_leaf_point`)."""
    leaves, structure = flatten(x)
    if structure.is_leaf:
        return [_leaf_point(x, what, who, copy)], structure
    return [_leaf_point(item, f"a leaf of {what}", who, copy) for item in leaves], structure


def _shape(point) -> tuple:
    return point.shape if isinstance(point, np.ndarray) or is_traced(point) else ()


def _is_complex(point) -> bool:
    return np.iscomplexobj(numbers(point)) if not isinstance(point, float) else False


def _uses_arrays(point) -> bool:
    """True when a point leaf goes to the array engine: a numeric or complex numpy array
    (a complex scalar included), or an array node of an outer pass."""
    if is_traced(point):
        return True
    return isinstance(point, np.ndarray) and point.dtype != object


# ---------------------------------------------------------------------------
# Reverse mode: record once, pull back any cotangent


def _reverse_leaf(point, level: int):
    if isinstance(point, np.ndarray) and point.dtype == object:
        leaves = np.empty(point.shape, dtype=object)
        for index, number in np.ndenumerate(point):
            leaves[index] = leaf(number, level)
        return leaves
    if _uses_arrays(point):
        return array_leaf(point, level)
    return leaf(point, level)


def _fresh(node) -> None:
    """Clear an input leaf's gradient before a pass (each pullback starts afresh)."""
    if isinstance(node, np.ndarray):
        for item in node.flat:
            item.grad = 0.0
    else:
        node.grad = None if type(node) is ArrayNode else 0.0


def _gradient(node, point, returned: set):
    """What a backward pass left in the input leaf ``node``, shaped like its ``point``.

    An array the pass made is handed over as it is; a copy is made only of one the
    caller must not share: a view, a read-only array, or one already given as
    another input's gradient (``returned`` holds their ids)."""
    if isinstance(node, np.ndarray):  # one Value per number
        return _assembled([item.grad for item in node.flat], node.shape)
    g = node.grad
    if type(node) is ArrayNode:
        if (  # the common case, a float64 array for a float64 point: as below, without the steps
            type(g) is np.ndarray
            and type(point) is np.ndarray
            and g.dtype == _FLOAT64 == point.dtype
            and g.shape == point.shape
        ):
            if g.base is not None or not g.flags.writeable or id(g) in returned:
                g = g.copy()
            returned.add(id(g))
            return g
        shape = node.shape
        if g is None:
            g = np.zeros(shape, dtype=np.result_type(numbers(node.value)))
        elif core.is_node(g):
            return g
        g = np.asarray(g)
        if not isinstance(point, np.ndarray) or point.shape != shape:
            return g
        if not np.iscomplexobj(point):
            g = np.real(g)
        if shape == () and np.iscomplexobj(point) and not is_traced(point):
            return complex(g)
        dtype = np.result_type(g, np.float64)
        if g.dtype != dtype:
            g = g.astype(dtype)
        elif g.base is not None or not g.flags.writeable or id(g) in returned:
            g = g.copy()
        returned.add(id(g))
        return g
    if isinstance(g, np.ndarray) and g.ndim == 0 and g.dtype != object:
        return float(np.real(g))
    return g


def _assembled(items: list, shape: tuple):
    """Numbers, or nodes of an outer pass, as one array of ``shape``."""
    if any(is_traced(item) for item in items):
        return anp.reshape(anp.stack([anp.reshape(item, ()) for item in items]), shape)
    return array_of([rules.as_float(i) if rules.is_number(i) else i for i in items], shape)


class _Output:
    """One leaf of f's output in a reverse pass: its value and the nodes a cotangent seeds."""

    __slots__ = ("value", "roots", "shape", "elementwise")

    def __init__(self, item, level: int, who: str) -> None:
        self.roots: list = []
        self.elementwise = False
        if isinstance(item, np.ndarray) and item.dtype == object:
            self.elementwise = True
            self.shape = item.shape
            values = []
            for element in item.flat:
                root = _root_at(element, level, who)
                self.roots.append(root)
                values.append(_primal(element) if root is None else root._data)
            self.value = array_of(values, item.shape)
            return
        root = _root_at(item, level, who)
        self.shape = _shape(item)
        if root is None:
            self.value = _constant_value(item)
        else:
            self.roots.append(root)
            self.value = root._data if type(root) is not ArrayNode else _array_value(root.value)

    @property
    def depends(self) -> bool:
        return any(root is not None for root in self.roots)

    def seed(self, u, roots: list, seeds: list, who: str) -> None:
        """Add this output's nodes and their seeds from the cotangent ``u``."""
        if not self.depends:
            return
        u = _cotangent(u, self.shape, who)
        if self.elementwise:
            scalar = _shape(u) == ()
            for index, root in zip(np.ndindex(*self.shape), self.roots):
                if root is not None:
                    part = u if scalar else u[index]
                    roots.append(root)
                    seeds.append(_scalar_seed(part))
            return
        root = self.roots[0]
        roots.append(root)
        seeds.append(_scalar_seed(u) if type(root) is not ArrayNode else u)


def _cotangent(u, shape: tuple, who: str):
    """A cotangent leaf checked against its output's shape (a scalar broadcasts)."""
    u = _as_leaf(u)
    if not (core.is_node(u) or rules.is_number(u) or isinstance(u, (np.ndarray, Complex))):
        raise TypeError(f"{who}: a cotangent must be numbers, got {type(u).__name__} ({u!r:.40})")
    if isinstance(u, (np.ndarray, Complex)) and not isinstance(u, Real):
        u = np.asarray(u)
        if u.dtype.kind not in "biufc":
            raise TypeError(f"{who}: a cotangent must be numbers, got an array of {u.dtype}")
        u = u.astype(np.result_type(u, np.float64))
    u_shape = _shape(u)
    if u_shape != shape:
        try:
            np.broadcast_shapes(u_shape, shape)
            if len(u_shape) > len(shape) or np.broadcast_shapes(u_shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"{who}: the cotangent has shape {u_shape} but f's output has shape {shape}"
            ) from None
        u = anp.broadcast_to(u, shape) if is_traced(u) else np.broadcast_to(u, shape)
    return u


def _scalar_seed(u):
    if isinstance(u, np.ndarray):
        return u.item() if u.dtype != object else u.reshape(()).item()
    if type(u) is ArrayNode or type(u) is ArrayDual:
        return u if u.shape == () else anp.reshape(u, ())
    return rules.as_float(u) if rules.is_number(u) else u


def _root_at(item, level: int, who: str):
    """``item`` as a node of ``level`` to seed, or None if it is a constant there.

    A constant is a number, or a node of an older pass: the output does not
    depend on this pass's inputs. A node of a newer level escaped from a
    finished inner pass; no number would be right, so refuse.
    """
    kind = core.KINDS.get(type(item))
    if kind is None:
        if rules.is_number(item) or isinstance(item, Complex):
            return None
        if isinstance(item, np.ndarray) and item.dtype.kind in "biufc":
            return None
        raise TypeError(
            f"{who} needs f to return numbers, got {type(item).__name__} ({item!r:.40}); "
            "check that f returns its result"
        )
    item_level = kind.level_of(item)
    if item_level > level:
        raise ValueError(
            f"{who}: f returned a {type(item).__name__} of a derivative pass that started "
            f"inside f and has finished (level {item_level}, this pass is level {level}); "
            "its graph cannot be differentiated from here. Return the inner derivative's "
            "result (numbers) instead."
        )
    if item_level == level and kind.family == "reverse":
        return item
    return None


def _primal(item):
    return rules.as_float(item) if rules.is_number(item) and type(item) is not bool else item


def _constant_value(item):
    """An output that does not depend on the input, as f gave it (a 0-d array as a number)."""
    if isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "biuf":
        return item[()]
    return item


def _array_value(value):
    """An array node's value for the caller: a 0-d real array as a float."""
    if isinstance(value, (np.ndarray, np.generic)) and value.shape == ():
        if value.dtype.kind in "biuf":
            return float(value)
        if value.dtype.kind == "c":
            return complex(value)
    return value


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


def _split_aux(result, has_aux: bool, who: str):
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TypeError(
            f"{who}(has_aux=True) needs f to return a two-element tuple (output, aux), got "
            f"{type(result).__name__}"
        )
    return result[0], result[1]


def _aux_numbers(aux, level: int):
    """aux with this pass's nodes replaced by their numbers (aux is not differentiated)."""

    def strip(item):
        if isinstance(item, np.ndarray) and item.dtype == object:
            return array_of([strip(element) for element in item.flat], item.shape)
        kind = core.KINDS.get(type(item))
        if kind is None or kind.level_of(item) < level:
            return item
        if kind.family == "reverse":
            return _array_value(item.value) if kind.holds_arrays else item._data
        if kind.holds_arrays:
            return _array_value(item.value)
        return primal_of(item, level)

    leaves, structure = flatten(aux)
    return unflatten(structure, [strip(item) for item in leaves])


def _keep_viewed_unchanged(x, points: list, level: int) -> None:
    """The caller's arrays in ``x`` that ``points`` read in place (`_leaf_point`'s read-only
    views) stay unchanged while ``level``'s function runs: locked themselves, not the
    memory's owner, so that a write through the array the caller passed fails."""
    originals, _ = flatten(x)
    for original, point in zip(originals, points):
        if isinstance(original, np.ndarray) and np.may_share_memory(original, point):
            keep_unchanged(original, level)


class _Recording:
    """One reverse pass of f: its inputs, its outputs and a pullback for any cotangent."""

    def __init__(
        self,
        f: Callable,
        args: tuple,
        kwargs: dict,
        positions: tuple[int, ...],
        who: str,
        has_aux: bool = False,
        one_value_per_number: bool = False,
        copy: bool = False,
    ) -> None:
        self.who = who
        self.level = core.new_level()
        self.points: list[list] = []
        self.structures: list[Structure] = []
        for position in positions:
            points, structure = _point(args[position], f"argument {position}", who, copy)
            if one_value_per_number:
                points = [_numbers_as_objects(point) for point in points]
            self.points.append(points)
            self.structures.append(structure)
        call_args = list(args)
        self.leaves: list[list] = []
        with (
            running(self.level),
            core.ieee_arithmetic(),
            recording_pass(self.level, pulled_later=copy),
        ):
            for position, points, structure in zip(positions, self.points, self.structures):
                _keep_viewed_unchanged(args[position], points, self.level)
                leaves = [_reverse_leaf(point, self.level) for point in points]
                self.leaves.append(leaves)
                call_args[position] = unflatten(structure, leaves)
            result = f(*call_args, **kwargs)
        output, aux = _split_aux(result, has_aux, who)
        self.aux = _aux_numbers(aux, self.level) if has_aux else None
        items, self.out_structure = flatten(output)
        self.outputs = [_Output(item, self.level, who) for item in items]
        if not any(out.depends for out in self.outputs):
            _warn_independent(who)

    @property
    def value(self):
        return unflatten(self.out_structure, [out.value for out in self.outputs])

    def pull(self, cotangent, last: bool = False) -> list:
        """``uᵀJ`` for cotangent u (shaped like f's output): one gradient per argument.
        ``last``: no other pull follows, so the backward pass may free the graph as it goes."""
        if self.out_structure.is_leaf:
            us = [cotangent]
        else:
            us = flatten_like(cotangent, self.out_structure, "the cotangent")
        roots: list = []
        seeds: list = []
        for out, u in zip(self.outputs, us):
            out.seed(u, roots, seeds, self.who)
        for leaves in self.leaves:
            for node in leaves:
                _fresh(node)
        if roots:
            backpropagate(roots, seeds, free_interior=True, once=last)
        returned: set = set()
        return [
            unflatten(structure, [_gradient(node, p, returned) for node, p in zip(leaves, points)])
            for structure, leaves, points in zip(self.structures, self.leaves, self.points)
        ]


def _numbers_as_objects(point):
    """A point for the scalar engine only: an array becomes one Value per number."""
    if isinstance(point, np.ndarray) and point.dtype != object:
        if np.iscomplexobj(point):
            raise TypeError("the scalar engine takes real numbers only")
        return point.astype(object)
    return point


def _positions(argnums, count: int, who: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, (int, np.integer))
    positions = (int(argnums),) if single else tuple(int(p) for p in argnums)
    needed = max(p + 1 if p >= 0 else -p for p in positions)
    if count < needed:  # JAX's words; a keyword argument cannot be differentiated
        raise TypeError(
            f"{who}: differentiating with respect to argnums={argnums} requires at least "
            f"{needed} positional arguments to be passed by the caller, but got only {count} "
            "positional arguments."
        )
    return tuple(p % count for p in positions), single


def _scalar_output(recording: _Recording, who: str):
    """The one root of a scalar f, or None for a constant output; refuses several outputs."""
    if not recording.out_structure.is_leaf:
        raise TypeError(
            "Gradient only defined for scalar-output functions. "
            f"{who} needs f to return one number, got a "
            f"{recording.out_structure.kind.__name__}; use jacobian() or vjp() for functions "
            "with several outputs"
        )
    out = recording.outputs[0]
    size = math.prod(out.shape)
    if size != 1:
        raise TypeError(
            "Gradient only defined for scalar-output functions. "
            f"{who} needs f to return one number, got an array of shape {out.shape}; use "
            "jacobian(), vjp() or elementwise_grad() for functions with several outputs"
        )
    return out


def value_and_grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    allow_int: bool = False,
) -> Callable:
    """Return a function giving ``(f(*args), ∂f/∂args[argnums])`` by reverse mode.

    With ``has_aux`` f returns ``(value, aux)`` and this gives ``((value, aux), gradient)``.
    An int is differentiated as the float it equals; with ``allow_int`` (JAX's flag) an
    integer argument is a constant instead, and its gradient is zeros of its shape.

    >>> value_and_grad(lambda x, y: x * y)(2.0, 3.0)
    (6.0, 3.0)
    """

    def value_and_gradient(*args, **kwargs):
        positions, single = _positions(argnums, len(args), "grad")
        integers = [p for p in positions if allow_int and _is_integer(args[p])]
        traced = tuple(p for p in positions if p not in integers)
        recording = _Recording(f, args, kwargs, traced, "grad", has_aux)
        out = _scalar_output(recording, "grad")
        seed = np.ones(out.shape) if out.shape else 1.0
        pulled = dict(zip(traced, recording.pull(seed, last=True)))
        grads = [pulled[p] if p in pulled else np.zeros(np.shape(args[p])) for p in positions]
        value = out.value
        if isinstance(value, np.ndarray) and value.size == 1:
            value = _array_value(value.reshape(()))
        if has_aux:
            value = (value, recording.aux)
        return value, grads[0] if single else tuple(grads)

    value_and_gradient.__name__ = f"value_and_grad_of_{getattr(f, '__name__', 'f')}"
    return value_and_gradient


def _is_integer(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    return isinstance(x, (int, np.integer)) or (isinstance(x, np.ndarray) and x.dtype.kind in "iu")


def grad(
    f: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    allow_int: bool = False,
) -> Callable:
    """Return a function giving ∂f/∂args[argnums] by reverse mode.

    With ``has_aux`` f returns ``(value, aux)`` and this gives ``(gradient, aux)``;
    ``allow_int`` as in `value_and_grad`.

    >>> grad(lambda x, y: x * y + x * x)(2.0, 3.0)
    7.0
    """
    both = value_and_grad(f, argnums, has_aux, allow_int)

    def gradient(*args, **kwargs):
        value, gradients = both(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients

    gradient.__name__ = f"grad_of_{getattr(f, '__name__', 'f')}"
    return gradient


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)`` where ``vjp_fn(u)`` is uᵀJ, one backward pass per call.

    ``vjp_fn`` gives the cotangent of the one primal, or a tuple of them for
    several; with ``has_aux`` this returns ``(value, vjp_fn, aux)``.
    """
    if not primals:
        raise TypeError("vjp needs f and at least one point")
    # vjp_fn may be called after the caller has changed a primal: record copies of them
    recording = _Recording(f, primals, {}, tuple(range(len(primals))), "vjp", has_aux, copy=True)

    def vjp_fn(*cotangents):
        if len(cotangents) != 1:
            raise TypeError(
                f"The function returned by vjp applied to {getattr(f, '__name__', 'f')} takes "
                f"one cotangent, shaped like f's output, but got {len(cotangents)} arguments"
            )
        grads = recording.pull(cotangents[0])
        return grads[0] if len(grads) == 1 else tuple(grads)

    if has_aux:
        return recording.value, vjp_fn, recording.aux
    return recording.value, vjp_fn


def vjp_values(f: Callable, point):
    """`vjp` on the scalar engine, whatever the point: f gets a Value or an object array
    of them (the display tools use it to show and count scalar passes)."""
    recording = _Recording(f, (point,), {}, (0,), "vjp", one_value_per_number=True)
    return recording.value, lambda u: recording.pull(u)[0]


# ---------------------------------------------------------------------------
# Forward mode: push tangents through one evaluation


def _forward_leaf(point, tangent, tag: int):
    if isinstance(point, np.ndarray) and point.dtype == object:
        inputs = np.empty(point.shape, dtype=object)
        for index, number in np.ndenumerate(point):
            inputs[index] = dual(number, tangent[index], tag)
        return inputs
    if _uses_arrays(point):
        return ArrayDual(point, tangent, tag)
    return dual(point, tangent, tag)


def _as_leaf(x):
    """A list or tuple where one array is expected, as that array."""
    return anp.array(x) if isinstance(x, (list, tuple)) else x


def _tangent_leaf(v, point, who: str):
    """A tangent leaf checked against its point's shape (and complex only for a complex point)."""
    tangent = _leaf_point(_as_leaf(v), "the tangent v", who)
    if _shape(tangent) != _shape(point):
        raise ValueError(f"v has shape {_shape(tangent)} but x has shape {_shape(point)}")
    if _is_complex(tangent) and not _is_complex(point):
        raise TypeError(f"{who}: a complex tangent needs a complex point")
    if _uses_arrays(point) and not is_traced(tangent):
        if isinstance(tangent, np.ndarray) and tangent.dtype == object:
            raise TypeError(f"{who}: the tangent of an array must be an array of numbers")
        tangent = np.asarray(tangent, dtype=np.result_type(tangent, numbers(point), np.float64))
    elif isinstance(point, np.ndarray) and point.dtype == object:
        tangent = np.asarray(tangent, dtype=object)
    return tangent


def _split_forward(item, tag: int, who: str) -> tuple:
    """``(value, tangent)`` of one output leaf of a forward pass."""
    if isinstance(item, np.ndarray) and item.dtype == object:
        items = list(item.flat)
        for element in items:
            if not (rules.is_number(element) or core.is_node(element)):
                raise TypeError(
                    f"{who}: f returned {type(element).__name__} ({element!r:.40}), not a "
                    "number; check that f returns its result"
                )
        return (
            _assembled([primal_of(element, tag) for element in items], item.shape),
            _assembled([tangent_of(element, tag) for element in items], item.shape),
        )
    kind = type(item)
    if kind is ArrayDual or kind is ArrayNode:
        if item.level > tag:
            raise ValueError(
                f"{who}: f returned an array node of a derivative pass that started inside f "
                "and has finished; return the inner derivative's result (numbers) instead"
            )
        if kind is ArrayDual and item.level == tag:
            return _array_value(item.value), _plain_tangent(item.tangent, item.shape)
        return item, np.zeros(item.shape)
    if kind is Dual or kind in core.KINDS:
        return primal_of(item, tag), tangent_of(item, tag)
    if rules.is_number(item) or isinstance(item, Complex):
        return _constant_value(item), 0.0
    if isinstance(item, np.ndarray) and item.dtype.kind in "biufc":
        return _constant_value(item), np.zeros(item.shape)
    raise TypeError(
        f"{who}: f returned {kind.__name__} ({item!r:.40}), not a number; check that f "
        "returns its result"
    )


def _plain_tangent(tangent, shape: tuple):
    if is_traced(tangent):
        return tangent
    tangent = np.asarray(tangent)
    if tangent.shape != shape:
        tangent = np.broadcast_to(tangent, shape)
    if shape == ():
        return _array_value(tangent)
    return np.array(tangent, dtype=np.result_type(tangent, np.float64))


def _push(f: Callable, x, v, who: str, has_aux: bool = False, one_value_per_number=False):
    """One forward pass: ``(value, tangent, aux)``, each shaped like f's output."""
    points, structure = _point(x, "x", who)
    if one_value_per_number:
        points = [_numbers_as_objects(point) for point in points]
    if structure.is_leaf:
        vs = [v]
    else:
        vs = flatten_like(v, structure, "the tangent v")
    tangents = [_tangent_leaf(t, point, who) for t, point in zip(vs, points)]
    tag = core.new_level()
    inputs = [_forward_leaf(point, t, tag) for point, t in zip(points, tangents)]
    with core.ieee_arithmetic():
        result = f(unflatten(structure, inputs))
    output, aux = _split_aux(result, has_aux, who)
    items, out_structure = flatten(output)
    pairs = [_split_forward(item, tag, who) for item in items]
    value = unflatten(out_structure, [pair[0] for pair in pairs])
    tangent = unflatten(out_structure, [pair[1] for pair in pairs])
    return value, tangent, (_aux_numbers(aux, tag) if has_aux else None)


def jvp(f: Callable, x, v, has_aux: bool = False):
    """``(f(x), J·v)``: one forward pass with tangent ``v`` (shaped like x).

    With ``has_aux`` f returns ``(output, aux)`` and this gives ``(f(x), J·v, aux)``.
    """
    value, tangent, aux = _push(f, x, v, "jvp", has_aux)
    return (value, tangent, aux) if has_aux else (value, tangent)


def derivative(f: Callable, x):
    """f'(x) by forward mode: one evaluation of f on a dual number (``jvp`` with v = 1).

    ``f`` maps a number to a number (or to a list or array of numbers, giving
    the derivative of each). ``x`` may itself be a Value or Dual of an outer
    derivative, so derivatives nest.

    >>> derivative(lambda x: x * x + 1.0, 3.0)
    6.0
    """
    if not (rules.is_number(x) or isinstance(x, Complex) or core.is_node(x)) or _shape(x) != ():
        raise TypeError(f"derivative: x should be a number, got {type(x).__name__} ({x!r:.40})")
    return _push(f, x, 1.0, "derivative")[1]


def jvp_values(f: Callable, point, direction):
    """`jvp` on the scalar engine, whatever the point: f gets a Dual or an object array of them."""
    value, tangent, _ = _push(f, point, direction, "jvp", one_value_per_number=True)
    return value, tangent


# ---------------------------------------------------------------------------
# Jacobians, Hessians and the rest, built on the two passes


def _basis(structure: Structure, shapes: list, dtypes: list, leaf_index: int, element: int):
    """A point shaped like ``structure`` that is 0 everywhere but 1 at one element."""
    parts = []
    for index, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        if index == leaf_index:
            parts.append(basis_vector(shape, element, dtype))
        else:
            parts.append(np.zeros(shape, dtype=dtype) if shape else dtype(0.0))
    return unflatten(structure, parts)


def _leaf_dtype(point):
    return complex if _is_complex(point) else float


def _stacked(parts: list, axis: int, shape: tuple):
    """Stack rows (axis 0) or columns (axis -1) into one array of ``shape`` (a number
    for a scalar output and input)."""
    if shape == () and len(parts) == 1:
        (part,) = parts
        return _array_value(part) if isinstance(part, np.ndarray) else part
    if any(is_traced(part) for part in parts):
        if len(parts) == 1 and parts[0].shape == shape:  # one row, as a scalar f's gradient
            return parts[0]
        return anp.reshape(anp.stack(parts, axis=axis), shape)
    if not any(core.is_node(part) or _holds_nodes(part) for part in parts):
        return np.reshape(np.stack([np.asarray(part) for part in parts], axis=axis), shape)
    stacked = np.stack([np.asarray(part, dtype=object) for part in parts], axis=axis)
    return array_of(list(stacked.reshape(shape).flat), shape)


def _holds_nodes(part) -> bool:
    return isinstance(part, np.ndarray) and part.dtype == object


def jacobian(f: Callable, x, mode: str = "reverse", has_aux: bool = False):
    """The Jacobian ∂f_i/∂x_j, of shape ``f(x).shape + x.shape``.

    ``mode="forward"`` builds every column in one forward pass that carries each input
    direction's tangent together (`_batched_columns`, JAX's vmap of the jvp);
    ``mode="reverse"`` row by row (one backward pass per output). For containers
    the result nests as JAX's does: f's output structure outside, x's inside.
    """
    if mode not in ("forward", "reverse"):
        raise ValueError(f'mode must be "forward" or "reverse", got {mode!r}')
    points, in_structure = _point(x, "x", "jacobian")
    in_shapes = [_shape(point) for point in points]
    in_dtypes = [_leaf_dtype(point) for point in points]
    blocks: list[list] = []  # blocks[i][j]: ∂ output leaf i / ∂ input leaf j
    aux = None
    batched = _batched_columns(f, points, in_structure, has_aux) if mode == "forward" else None
    if batched is not None:
        blocks, out_structure, aux = batched
    elif mode == "forward":
        columns: list[list] = []  # per input leaf: the output leaves' tangents, per element
        out_structure = None
        for j, shape in enumerate(in_shapes):
            per_element = []
            for element in range(max(int(np.prod(shape)), 1)):
                direction = _basis(in_structure, in_shapes, in_dtypes, j, element)
                value, tangent, aux = _push(f, x, direction, "jacobian", has_aux)
                tangents, out_structure = flatten(tangent)
                per_element.append(tangents)
            columns.append(per_element)
        out_values = flatten(value)[0]
        for i, out_value in enumerate(out_values):
            out_shape = _shape(out_value)
            blocks.append(
                [
                    _stacked([column[i] for column in columns[j]], -1, out_shape + in_shapes[j])
                    for j in range(len(points))
                ]
            )
    else:
        recording = _Recording(f, (x,), {}, (0,), "jacobian", has_aux)
        aux = recording.aux
        out_structure = recording.out_structure
        out_values = [out.value for out in recording.outputs]
        out_shapes = [out.shape for out in recording.outputs]
        out_dtypes = [_leaf_dtype(value) for value in out_values]
        for i, out_shape in enumerate(out_shapes):
            rows = []
            for element in range(max(int(np.prod(out_shape)), 1)):
                cotangent = _basis(out_structure, out_shapes, out_dtypes, i, element)
                (gradient,) = recording.pull(cotangent)
                rows.append(flatten(gradient)[0])
            blocks.append(
                [
                    _stacked([row[j] for row in rows], 0, out_shape + in_shapes[j])
                    for j in range(len(points))
                ]
            )
    result = unflatten(out_structure, [unflatten(in_structure, row) for row in blocks])
    return (result, aux) if has_aux else result


def _batched_columns(f: Callable, points: list, in_structure: Structure, has_aux: bool):
    """Every column of a forward Jacobian from one pass: each input number's tangent is a
    basis vector, so each tangent in f is the vector of all its directional derivatives
    (as torch.func and JAX push a batch of tangents). A number's `Dual` carries them as a
    vector; an array's `ArrayDual` as a batch, shape (count,) + its shape. None for an
    input without a number (nothing to batch: the caller's loop gives the empty Jacobian)."""
    sizes = [int(np.size(numbers(point))) for point in points]
    count = sum(sizes)
    if count == 0:
        return None
    tag = core.new_level()
    basis = np.eye(count)
    inputs = []
    start = 0
    for point, size in zip(points, sizes):
        block = basis[start : start + size]
        start += size
        if _uses_arrays(point):
            dtype = np.result_type(numbers(point), np.float64)
            inputs.append(
                ArrayDual(
                    point, block.T.reshape((count,) + _shape(point)).astype(dtype), tag, count
                )
            )
        elif isinstance(point, np.ndarray):
            leaf = np.empty(point.shape, dtype=object)
            for (index, number), vector in zip(np.ndenumerate(point), block):
                leaf[index] = dual(number, vector, tag)
            inputs.append(leaf)
        else:
            inputs.append(dual(point, block[0], tag))
    with core.ieee_arithmetic():
        result = f(unflatten(in_structure, inputs))
    output, aux = _split_aux(result, has_aux, "jacobian")
    items, out_structure = flatten(output)
    blocks = []
    for item in items:
        tangents = _tangent_vectors(item, tag, count)  # out_shape + (count,)
        out_shape = _shape(tangents)[:-1]
        row, start = [], 0
        for point, size in zip(points, sizes):
            block = _reshaped(tangents[..., start : start + size], out_shape + _shape(point))
            start += size
            if is_traced(block):
                row.append(block)
                continue
            block = _plain_numbers(block)
            row.append(_array_value(block) if block.shape == () else block)
        blocks.append(row)
    return blocks, out_structure, (_aux_numbers(aux, tag) if has_aux else None)


def _reshaped(x, shape: tuple):
    return anp.reshape(x, shape) if is_traced(x) else x.reshape(shape)


def _tangent_vectors(item, tag: int, count: int):
    """One output leaf's batched tangents, shaped like it plus (count,): an array, or an
    array node or dual of an outer pass."""
    if isinstance(item, np.ndarray) and item.dtype == object:
        rows = [_tangent_vectors(element, tag, count) for element in item.flat]
        if any(is_traced(row) for row in rows):
            return anp.reshape(anp.stack(rows), item.shape + (count,))
        return np.array(rows, dtype=object).reshape(item.shape + (count,))
    if isinstance(item, np.ndarray) and item.dtype.kind in "biufc":
        return np.zeros(item.shape + (count,))
    if not (rules.is_number(item) or core.is_node(item)):
        raise TypeError(
            f"jacobian: f returned {type(item).__name__} ({item!r:.40}), not a number; "
            "check that f returns its result"
        )
    kind = type(item)
    if kind is ArrayDual or kind is ArrayNode:
        if item.level > tag:
            raise ValueError(
                "jacobian: f returned an array node of a derivative pass that started inside "
                "f and has finished; return the inner derivative's result (numbers) instead"
            )
        if kind is ArrayNode or item.level < tag:  # a constant of this pass
            return np.zeros(item.shape + (count,))
        return _batch_last(item, count)
    if core.level_of(item) > tag:
        tangent_of(item, tag)  # refuses a node escaped from a finished inner pass
    tangent = tangent_of(item, tag) if core.is_node(item) else 0.0
    if isinstance(tangent, np.ndarray):
        return tangent
    if rules.is_number(tangent):  # an output that does not move with any input
        return np.full(count, rules.as_float(tangent))
    vector = np.empty(count, dtype=object)
    vector[:] = [tangent] * count
    return vector


def _batch_last(item: ArrayDual, count: int):
    """An array dual's tangents with the batch axis moved last: shape + (count,)."""
    tangent, shape = item.tangent, item.shape
    if item.batch is None:  # one tangent, the same in every direction
        tangent = (
            anp.broadcast_to(tangent, (count,) + shape)
            if is_traced(tangent)
            else (np.broadcast_to(tangent, (count,) + shape))
        )
    if is_traced(tangent):
        return anp.transpose(tangent, tuple(range(1, len(shape) + 1)) + (0,))
    return np.moveaxis(np.asarray(tangent), 0, -1)


def _plain_numbers(block: np.ndarray) -> np.ndarray:
    """A float array where every entry is a number (-0.0, from a zero direction times a
    negative slope, as the 0.0 one direction at a time gives), else the objects as they are."""
    if block.dtype != object:
        return block + 0.0
    if not all(rules.is_number(item) for item in block.flat):
        return block
    return block.astype(float) + 0.0


def hvp(f: Callable, x, v):
    """Hessian-vector product H·v by forward over reverse: the jvp of ``grad(f)``.

    The reverse pass runs on Values whose data are dual numbers with tangent
    ``v``; the tangent of each resulting gradient is a component of H·v.
    """
    return jvp(grad(f), x, v)[1]


def hessian(f: Callable, x, mode: str | None = None, has_aux: bool = False):
    """The matrix of second derivatives of f, as the Jacobian of its gradient (for an f
    with several outputs, one Hessian per output, as JAX gives).

    ``mode`` names the two passes, outer over inner: ``"forward-over-reverse"``
    (the jvp of ``grad(f)`` in every direction), ``"reverse-over-reverse"``
    (``grad(f)`` recorded once, then one backward pass per row) or
    ``"forward-over-forward"`` (forward mode twice). Every mode runs f once per pass:
    the forward ones carry every direction's tangent together, on numbers as on arrays.
    Every mode gives the same matrix; the default is `default_hessian_mode`.
    """
    if mode is None:
        mode = default_hessian_mode(x)
    if mode not in HESSIAN_MODES:
        raise ValueError(f"mode must be one of {', '.join(HESSIAN_MODES)}; got {mode!r}")
    outer, inner = mode.split("-over-")

    def gradient(point):  # the Jacobian of f, so f may have several outputs, as in JAX
        return jacobian(f, point, mode=inner, has_aux=has_aux)

    matrix = jacobian(gradient, x, mode=outer, has_aux=has_aux)
    if has_aux:
        matrix, aux = matrix
    if isinstance(matrix, np.ndarray) and matrix.shape == () and not _uses_arrays(x):
        matrix = matrix.item()
    return (matrix, aux) if has_aux else matrix


def default_hessian_mode(x) -> str:
    """`hessian`'s mode for the point ``x``: forward over reverse, on numbers and on arrays.

    Its outer pass carries the n directions together through one reverse pass, so each
    step costs about n times its own size. Forward over forward carries n² tangents
    through every step: as quick for a dozen inputs on small arrays, but n² times each
    step's size (on a ring of 200 inputs, 140 times slower; on 12 inputs with a
    20000-row intermediate, 4 times). Reverse over reverse walks n backward passes
    (``benchmarks/hessian_peers.py`` times every mode on numbers and on arrays).

    >>> default_hessian_mode([1.0, 2.0]), default_hessian_mode(np.ones(2))
    ('forward-over-reverse', 'forward-over-reverse')
    """
    return HESSIAN_MODES[0]


def elementwise_grad(f: Callable) -> Callable:
    """Return a function giving ∂f_i/∂x_i for an f that acts elementwise: the vjp with a
    cotangent of ones (HIPS autograd's name).

    It refuses an f whose output element i depends on any input element but the
    i-th (its Jacobian is not diagonal), where the sum autograd gives would be
    mistaken for a derivative: ``cumsum`` is the classic case.

    >>> elementwise_grad(lambda x: x * x)(np.array([1.0, 2.0])).tolist()
    [2.0, 4.0]
    """

    def gradient(x):
        recording = _Recording(f, (x,), {}, (0,), "elementwise_grad")
        if not recording.out_structure.is_leaf or not recording.structures[0].is_leaf:
            raise TypeError("elementwise_grad takes one array (or number) and returns one")
        _refuse_off_diagonal(recording)
        out = recording.outputs[0]
        ones = np.ones(out.shape) if out.shape else 1.0
        if _is_complex(out.value):
            ones = ones + 0j
        return recording.pull(ones, last=True)[0]

    gradient.__name__ = f"elementwise_grad_of_{getattr(f, '__name__', 'f')}"
    return gradient


def _refuse_off_diagonal(recording: _Recording) -> None:
    """Raise unless every output element depends on its own input element only."""
    (leaves,) = recording.leaves
    (input_leaf,) = leaves
    out = recording.outputs[0]
    in_shape = _shape(recording.points[0][0])
    if out.depends and out.shape != in_shape:
        raise ValueError(
            f"elementwise_grad: f maps an input of shape {in_shape} to an output of shape "
            f"{out.shape}, so its Jacobian is not diagonal; use jacobian() or vjp()"
        )
    if out.elementwise:  # one Value per number: output i may reach input leaf i only
        own = {id(node): index for index, node in enumerate(input_leaf.flat)}
        for index, root in enumerate(out.roots):
            if root is None:
                continue
            for node in core.topological_order([root]):
                if id(node) in own and own[id(node)] != index:
                    raise ValueError(
                        f"elementwise_grad: output {index} depends on input {own[id(node)]}, "
                        "so f's Jacobian is not diagonal; use jacobian() or vjp()"
                    )
        return
    for root in out.roots:
        if type(root) is not ArrayNode:
            continue
        for node in core.topological_order([root]):
            op = getattr(node, "op", None)
            if op is None or not node.parents:
                continue
            if op.scalar is None or node.shape != in_shape:
                raise ValueError(
                    f"elementwise_grad: f applies {op.name}, which mixes the elements of its "
                    "input, so f's Jacobian is not diagonal and the sum over outputs that "
                    "elementwise_grad would give is not a derivative; use jacobian() or vjp()"
                )
