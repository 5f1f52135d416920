"""The core that every kind of node shares: levels, the dispatch rule, one
topological order and one backward pass.

Kinds of node
-------------
Four kinds of node carry derivatives: scalar `Value` (reverse mode) and `Dual`
(forward mode), and their array counterparts `ArrayNode` and `ArrayDual`. Each
registers itself here (`register_kind`) with its rank, how to read its level and
the function that applies a primitive to it. The symbolic expressions of
`autodiff_lab.symbolic` register too, at level 0.

Levels
------
Every derivative pass (``grad``, ``jvp``, ``derivative``, ...) draws a fresh level
from `new_level`; a node belongs to the pass that made it, and the nodes you make
yourself are at level 0. When a primitive meets nodes of several levels, the
newest level is the outer layer: its kind records (or pushes a tangent through)
the operation, and every node of an older level, of any kind, is a constant to
it that takes part in computing the value one layer down. At equal levels the
higher rank is outer (a `Value` holding `Dual` numbers outranks a `Dual`).

When the outer layer is a scalar kind but the operation is an array operation
(an operand is an array node of an older level, or a numpy array given to an
array primitive), the outer kind's array counterpart of the same family takes
it: a `Value` becomes a 0-d `ArrayNode` whose parent it is, a `Dual` an
`ArrayDual` with the same primal and tangent. So any two kinds combine.

The backward pass
-----------------
`topological_order` and `backward` walk graphs whose nodes may be of either
reverse kind. A scalar node keeps its (at most two) parents and their local
partials in slots (``_a``, ``_b``, ``_partial_a``, ``_partial_b``), so its step is a
multiply-add per edge; any other node lists its ``parents`` and turns its
gradient into one share per parent with ``pull(g)`` (its primitive's VJP).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from numbers import Number

import numpy as np

_levels = itertools.count(1)


def new_level() -> int:
    """A level no other derivative pass uses; a newer level is an outer layer."""
    return next(_levels)


class Kind:
    """How the core treats one type of node."""

    __slots__ = ("node_type", "rank", "level_of", "apply", "family", "holds_arrays")

    def __init__(self, node_type, rank, level_of, apply, family, holds_arrays) -> None:
        self.node_type = node_type
        self.rank = rank
        self.level_of = level_of
        self.apply = apply
        self.family = family
        self.holds_arrays = holds_arrays


KINDS: dict[type, Kind] = {}
_NUMBERS = (Number, np.bool_)
_ARRAY_KIND: dict[str, Kind] = {}  # the array kind of each family ("reverse", "forward")
_ARRAY_NODES: set[type] = set()  # the reverse kinds that hold arrays (their nodes list parents)


def register_kind(
    node_type: type,
    *,
    rank: int,
    apply: Callable,
    family: str,
    level_of: Callable | None = None,
    holds_arrays: bool = False,
) -> None:
    """Let ``apply(primitive, level, args, kwargs)`` handle calls whose outer layer is a
    ``node_type``; ``level_of(node)`` is its derivative pass (0 if not given)."""
    kind = Kind(node_type, rank, level_of or _level_zero, apply, family, holds_arrays)
    KINDS[node_type] = kind
    if holds_arrays:
        _ARRAY_KIND[family] = kind
        if family == "reverse":
            _ARRAY_NODES.add(node_type)


def _level_zero(node) -> int:
    return 0


def is_node(x) -> bool:
    """True for a node of any registered kind (Value, Dual, array node, expression)."""
    return type(x) in KINDS


def level_of(x) -> int:
    """The level of a node of any kind, -1 for anything else."""
    kind = KINDS.get(type(x))
    return -1 if kind is None else kind.level_of(x)


def is_numeric_array(x) -> bool:
    """A numpy array of numbers (booleans, integers, real or complex)."""
    return isinstance(x, np.ndarray) and x.dtype.kind in "biufc"


def dispatch(primitive, args: tuple, kwargs: dict | None = None):
    """Apply ``primitive`` at the outer layer among ``args`` (see the module docstring).

    ``primitive.evaluate(args, kwargs)`` computes it on plain numbers and arrays;
    ``primitive.scalar`` is its entry in the scalar rule table (None for an
    operation on whole arrays, such as a sum or a matmul).
    """
    outer = None
    outer_level = outer_rank = -1
    array_operand = False
    for arg in args:
        arg_type = type(arg)
        kind = KINDS.get(arg_type)
        if kind is None:
            if arg_type is float or arg_type is int:
                continue
            if arg_type is not np.ndarray:
                if not (primitive.is_array or isinstance(arg, _NUMBERS)):
                    raise TypeError(
                        f"{primitive.name}() needs a number, a Value or a Dual, "
                        f"got {arg_type.__name__} ({arg!r:.40})"
                    )
                continue
            if arg.ndim or arg.dtype.kind == "c":
                if arg.dtype.kind in "biufc":
                    array_operand = True
                elif arg.dtype == object:  # an array of scalar nodes takes part as an array
                    array_operand = True
                    for item in arg.flat:
                        kind = KINDS.get(type(item))
                        if kind is not None:
                            level = kind.level_of(item)
                            if level > outer_level or (
                                level == outer_level and kind.rank > outer_rank
                            ):
                                outer, outer_level, outer_rank = kind, level, kind.rank
            continue
        level = kind.level_of(arg)
        if level > outer_level or (level == outer_level and kind.rank > outer_rank):
            outer, outer_level, outer_rank = kind, level, kind.rank
        array_operand = array_operand or kind.holds_arrays
    if outer is None:
        return primitive.evaluate(args, kwargs)
    if not outer.holds_arrays and (array_operand or primitive.scalar is None):
        array_kind = _ARRAY_KIND.get(outer.family)
        if array_kind is None:
            raise TypeError(
                f"{primitive.name}: a {outer.node_type.__name__} cannot take part in an "
                "operation on arrays"
            )
        outer = array_kind
    return outer.apply(primitive, outer_level, args, kwargs or {})


class _Ieee:
    """Whether numpy's floating-point checks are already off for the running pass.

    Every operation on arrays gives IEEE answers (inf, nan), as the rule table
    does, so numpy's warnings are switched off around it. Entering
    ``np.errstate`` costs more than a ufunc on a small array, so a derivative
    pass enters it once (`ieee_arithmetic`) and its operations, seeing
    ``quiet``, call numpy directly."""

    __slots__ = ("quiet", "_entered")

    def __init__(self) -> None:
        self.quiet = False
        self._entered: list = []  # per `with`: the errstate it entered, or None if nested

    def __enter__(self) -> None:
        if self.quiet:
            self._entered.append(None)
            return
        state = np.errstate(all="ignore")
        state.__enter__()
        self._entered.append(state)
        self.quiet = True

    def __exit__(self, *exception) -> None:
        state = self._entered.pop()
        if state is not None:
            self.quiet = False
            state.__exit__(*exception)


IEEE = _Ieee()


def ieee_arithmetic() -> _Ieee:
    """numpy's floating-point warnings off for a whole pass: ``with ieee_arithmetic():``
    (see `_Ieee`; a `with` inside another changes nothing)."""
    return IEEE


_VIEWS: dict[type, dict] = {}


def register_view(kind: type, **functions: Callable) -> None:
    """Let the drawing code above the engine show ``kind``: ``mimebundle(obj) -> dict``
    answers Jupyter, ``draw(obj, **options)`` makes a drawing. The engine imports
    nothing above it; `autodiff_lab/__init__.py` registers `autodiff_lab.display` here."""
    _VIEWS.setdefault(kind, {}).update(functions)


def view(kind: type, name: str) -> Callable | None:
    """The registered ``name`` function for ``kind``, or None before any is registered."""
    return _VIEWS.get(kind, {}).get(name)


def as_type(node, dtype, plain):
    """``node.astype(dtype)`` for every kind: a float type keeps the node (and its
    derivative); a bool or integer type gives plain numbers (a step has slope 0)."""
    kind = np.dtype(dtype).kind
    if kind == "f":
        return node
    if kind in "biu":
        converted = np.asarray(plain).astype(dtype)
        return converted[()] if converted.ndim == 0 else converted
    raise TypeError(f"astype({np.dtype(dtype)}) of a {type(node).__name__} is not supported")


# ---------------------------------------------------------------------------
# The topological order and the backward pass, without recursion

_PARENTS_DONE = object()  # stack marker: the node below it has all its parents in order


def topological_order(roots: Iterable) -> list:
    """Nodes reachable from ``roots``, every node after all of its parents.

    A depth-first search with an explicit stack, so a chain of a million nodes
    needs no recursion. A node is marked seen when it is expanded, not when it is
    pushed: a node still waiting lower on the stack must not be skipped by a
    child that reaches it first.
    """
    order = []
    seen: set = set()
    array_nodes = _ARRAY_NODES
    arrays_only = True  # then `backward` walks the order without asking each node its layout
    for root in roots:
        stack = [root]
        while stack:
            node = stack.pop()
            if node is _PARENTS_DONE:
                order.append(stack.pop())
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append(node)
            stack.append(_PARENTS_DONE)
            if type(node) not in array_nodes:
                arrays_only = False
                try:
                    b = node._b  # the scalar layout: two parent slots
                except AttributeError:
                    pass  # another kind lists its parents, as array nodes do
                else:
                    if b is not None and b not in seen:
                        stack.append(b)
                    a = node._a
                    if a is not None and a not in seen:
                        stack.append(a)
                    continue
            for parent in reversed(node.parents):
                if parent not in seen:
                    stack.append(parent)
    return _ArrayOrder(order) if arrays_only else order


class _ArrayOrder(list):
    """A topological order holding array nodes only (`backward` walks it without
    asking each node which layout it has)."""

    __slots__ = ()


def holds_arrays_only(order: list) -> bool:
    """True for an order `topological_order` found to hold array nodes only."""
    return type(order) is _ArrayOrder


def backward(
    roots: list,
    seeds: list,
    *,
    order: list | None = None,
    on_node: Callable | None = None,
    recorded_partials: Callable | None = None,
    check: Callable | None = None,
    free_interior: bool = False,
    once: bool = False,
) -> list:
    """Add ``seed · ∂root/∂leaf`` into every leaf's ``grad``, for all roots at once.

    Interior nodes start from nothing (0.0 for a scalar node, None for an array
    node) and leaves keep what they hold, so gradients accumulate across passes.
    ``on_node(node, g, shares)`` sees each node once its shares have been added
    to its parents' gradients: its complete gradient and what went to each
    parent (it changes nothing).
    ``recorded_partials(node)``, if given, replaces a scalar node's stored
    partials (``backward(create_graph=True)`` recomputes them on the nodes).
    ``check(node, parent, g, local, share)`` inspects every scalar share (anomaly
    mode). ``free_interior`` drops each interior array node's gradient once its
    VJP has used it, so a pass holds as few arrays as it can; ``once`` (a graph walked
    only this once) drops what each array node's VJP read as soon as it has run.
    Returns the order it walked.
    """
    if order is None:
        order = topological_order(roots)
    if type(order) is _ArrayOrder:
        _backward_arrays(roots, seeds, order, on_node, free_interior, once)
        return order
    for node in order:
        try:
            if node._a is not None:
                node.grad = 0.0
        except AttributeError:
            if node.parents:
                node.grad = None
    for root, seed in zip(roots, seeds):
        root.grad = _added(root.grad, seed)
    plain = recorded_partials is None and check is None and on_node is None
    with ieee_arithmetic():  # IEEE answers (inf, nan) in every VJP, as the table gives
        for node in reversed(order):
            try:
                a = node._a
            except AttributeError:
                _pull_array_node(node, on_node, free_interior, once)
                continue
            if a is None:
                continue
            if plain:  # the common case, a multiply-add per edge
                upstream = node.grad
                a.grad += upstream * node._partial_a
                b = node._b
                if b is not None:
                    b.grad += upstream * node._partial_b
                continue
            _pull_scalar_node(node, a, recorded_partials, check, on_node)
    return order


def _backward_arrays(roots, seeds, order, on_node, free_interior: bool, once: bool) -> None:
    """`backward` over array nodes only: every step is a VJP."""
    for node in order:
        if node.parents:
            node.grad = None
    for root, seed in zip(roots, seeds):
        root.grad = _added(root.grad, seed)
    with ieee_arithmetic():
        for node in reversed(order):
            _pull_array_node(node, on_node, free_interior, once)


def _pull_scalar_node(node, a, recorded_partials, check, on_node) -> None:
    """A scalar node's step when something watches it or records it."""
    upstream = node.grad
    b = node._b
    if recorded_partials is None:
        partial_a, partial_b = node._partial_a, node._partial_b
        add = _plus
    else:
        partial_a, partial_b = recorded_partials(node)
        add = _added
    shares = []
    for parent, local in ((a, partial_a), (b, partial_b)):
        if parent is None:
            break
        share = upstream * local
        if check is not None:
            check(node, parent, upstream, local, share)
        parent.grad = add(parent.grad, share)
        shares.append(share)
    if on_node is not None:
        on_node(node, upstream, tuple(shares))


def _plus(old, share):
    return old + share


def _added(old, share):
    """``old + share``, where None or a plain 0.0 is the empty sum (so adding a node to
    it records no extra addition)."""
    if old is None or (type(old) is float and old == 0.0 and type(share) is not float):
        return share
    return old + share


def _pull_array_node(node, on_node, free_interior: bool, once: bool) -> None:
    g = node.grad
    parents = node.parents
    if g is None or not parents:
        return
    shares = node.pull(g)
    for parent, share in zip(parents, shares):
        parent.grad = _added(parent.grad, share)
    if on_node is not None:
        on_node(node, g, shares)
    if free_interior:
        node.grad = None
    if once:  # nothing will read this record again
        node.value = node.inputs = None


__all__ = [
    "KINDS",
    "backward",
    "dispatch",
    "is_node",
    "is_numeric_array",
    "level_of",
    "new_level",
    "register_kind",
    "topological_order",
]
