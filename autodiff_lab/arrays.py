"""The array engine: reverse mode where a node holds a whole numpy array.

A scalar `Value` is one node per number; an `ArrayNode` is one node per array
operation, so a matrix product of 2000×64 by 64×64 is one node, and the
backward pass costs a few numpy calls per operation. Each node stores its
value, the primitive that made it and that primitive's inputs; the primitive's
vector-Jacobian product (VJP) turns the gradient of the output into the
gradient of each input when the backward pass reaches it. A Jacobian is never
formed: for an elementwise function of a million numbers it would have 10¹²
entries, while its VJP is one multiply.

Levels, as in `autodiff_lab.reverse`: every derivative pass draws a fresh level
from `rules.new_level`, and the newest level is the outer layer. A node's
value is a plain array or a node of an older level, so an operation on a node
of level L records at L and computes its value by the same rules one layer
down. VJPs are written with the primitives themselves, so a backward pass
whose gradients or values are nodes of an outer pass is recorded by that
pass: derivatives of derivatives, to any depth.

Forward mode uses the same levels: an `ArrayDual` holds an array and its
tangent, and a primitive applied to one computes the output's tangent from
the primitive's JVP rule. The outermost (newest) of the nodes and duals
among the arguments decides which happens.

The primitives live in `autodiff_lab.array_rules`; this module only knows
how to record one (`ArrayPrimitive`), push a tangent through one, and walk
the graph backwards.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import rules
from .reverse import MODES, AnomalyError


class ArrayPrimitive:
    """One differentiable array operation: numpy's function and its VJP.

    ``vjp(argnums, g, ans, args, kwargs)`` gives, for each position in
    ``argnums``, that argument's share of the output gradient ``g``;
    ``jvp(argnums, tangents, ans, args, kwargs)`` gives the output's tangent
    from the tangents of the arguments at ``argnums``.
    ``differentiable`` lists the positions a gradient may flow into (None: all).
    """

    __slots__ = ("name", "raw", "vjp", "jvp", "formula", "differentiable")

    def __init__(
        self,
        name: str,
        raw: Callable,
        vjp: Callable,
        formula: str,
        differentiable: tuple[int, ...] | None = None,
        jvp: Callable | None = None,
    ) -> None:
        self.name = name
        self.raw = raw
        self.vjp = vjp
        self.jvp = jvp
        self.formula = formula
        self.differentiable = differentiable

    def __call__(self, *args, **kwargs):
        level = -1
        top = None
        for arg in args:
            kind = type(arg)
            if (kind is ArrayNode or kind is ArrayDual) and arg.level > level:
                level, top = arg.level, kind
        if level < 0:
            with np.errstate(all="ignore"):  # IEEE answers (inf, nan), as the rule table gives
                return self.raw(*args, **kwargs)
        if top is ArrayDual:
            return _push(self, level, args, kwargs)
        return _record(self, level, args, kwargs)

    def __repr__(self) -> str:
        return f"<array primitive {self.name}: {self.formula}>"


def _record(primitive: ArrayPrimitive, level: int, args: tuple, kwargs: dict) -> ArrayNode:
    _check_operands(primitive, args)
    values = []
    parents = []
    for position, arg in enumerate(args):
        if type(arg) is ArrayNode and arg.level == level:
            values.append(arg.value)
            parents.append((position, arg))
        else:
            values.append(arg)
    values = tuple(values)
    out = _one_layer_down(primitive, values, kwargs)
    if MODES.detect_anomaly:
        _check_finite(out, f"forward pass: {primitive.name}")
    if not MODES.recording:  # inside no_grad(): a leaf, the gradient stops here
        return ArrayNode(out, level)
    node = ArrayNode.__new__(ArrayNode)
    node.value = out
    node.level = level
    node.op = primitive
    node.inputs = values
    node.kwargs = kwargs
    node.parents = tuple(parents)
    return node


def _one_layer_down(primitive: ArrayPrimitive, values: tuple, kwargs: dict):
    """The primitive on the values under the outer layer: numpy's function when they
    are plain (the common case, one call), else the primitive again (an older level)."""
    for value in values:
        kind = type(value)
        if kind is ArrayNode or kind is ArrayDual:
            return primitive(*values, **kwargs)
    with np.errstate(all="ignore"):
        return primitive.raw(*values, **kwargs)


def _check_operands(primitive: ArrayPrimitive, args: tuple) -> None:
    for position, arg in enumerate(args):
        if type(arg) in rules._CARRIER_RANK:
            raise TypeError(
                f"{primitive.name}: cannot combine an array with a {type(arg).__name__}; "
                "the array engine and the scalar engines do not combine (use one or the other)"
            )
        allowed = primitive.differentiable
        if allowed is not None and position not in allowed and is_traced(arg):
            raise TypeError(
                f"{primitive.name}: argument {position} cannot be differentiated "
                "(it must be a constant, not a traced array)"
            )


def _push(primitive: ArrayPrimitive, level: int, args: tuple, kwargs: dict) -> ArrayDual:
    """Forward mode: the primal one layer down, the tangent from the JVP rule."""
    _check_operands(primitive, args)
    primals = []
    positions = []
    tangents = []
    for position, arg in enumerate(args):
        if type(arg) is ArrayDual and arg.level == level:
            primals.append(arg.value)
            positions.append(position)
            tangents.append(arg.tangent)
        else:
            primals.append(arg)
    primals = tuple(primals)
    out = _one_layer_down(primitive, primals, kwargs)
    with np.errstate(all="ignore"):
        tangent = primitive.jvp(tuple(positions), tangents, out, primals, kwargs)
    if MODES.detect_anomaly:
        _check_finite(out, f"forward pass: {primitive.name}")
        _check_finite(tangent, f"forward pass: the JVP of {primitive.name}")
    return ArrayDual(out, tangent, level)


def _check_finite(array, where: str) -> None:
    """Inside `detect_anomaly()`: raise at the first array holding a nan or inf."""
    values = np.asarray(numbers(array), dtype=float)
    if not np.all(np.isfinite(values)):
        bad = np.argwhere(~np.isfinite(values))
        first = tuple(int(i) for i in bad[0]) if values.ndim else ()
        raise AnomalyError(
            f"{where} gave {values[first] if values.ndim else float(values)} at index "
            f"{first} of an array of shape {values.shape} ({len(bad)} such entries)"
        )


class Traced:
    """What array nodes and array duals share: a value, a level, numpy's look.

    Comparisons look at the numbers, so loops and branches work as on plain
    arrays; turning one into plain numbers (``numpy.asarray``, ``float``) is refused.
    """

    __slots__ = ()
    __array_priority__ = 100.0

    # -- what it holds ---------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return np.shape(self.value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return np.result_type(numbers(self))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "numpy tried to turn a traced array into a plain array, which would drop "
            "its derivative; use autodiff_lab.numpy's functions on it, or take its "
            "numbers with autodiff_lab.arrays.numbers(node) if you mean to stop the gradient"
        )

    def __bool__(self) -> bool:
        return bool(numbers(self))

    def __float__(self) -> float:
        raise TypeError(
            "float() of a traced array would drop its derivative; use autodiff_lab.numpy's "
            "functions on it, or float(autodiff_lab.arrays.numbers(node)) to stop the gradient"
        )

    # -- comparisons look at the numbers --------------------------------------
    def __lt__(self, other):
        return numbers(self) < numbers(other)

    def __le__(self, other):
        return numbers(self) <= numbers(other)

    def __gt__(self, other):
        return numbers(self) > numbers(other)

    def __ge__(self, other):
        return numbers(self) >= numbers(other)

    def __eq__(self, other):
        return numbers(self) == numbers(other)

    def __ne__(self, other):
        return numbers(self) != numbers(other)

    __hash__ = object.__hash__


class ArrayNode(Traced):
    """An array that remembers how it was computed (made by the reverse-mode functions).

    Arithmetic, indexing and the methods of numpy record operations.
    """

    __slots__ = ("value", "level", "op", "inputs", "kwargs", "parents")

    def __init__(self, value, level: int) -> None:
        self.value = value
        self.level = level
        self.op = None
        self.inputs = ()
        self.kwargs = {}
        self.parents = ()

    def __repr__(self) -> str:
        return f"ArrayNode(shape={self.shape}, level={self.level}, op={self.op and self.op.name})"


class ArrayDual(Traced):
    """An array with a tangent of the same shape (made by ``jvp`` on arrays)."""

    __slots__ = ("value", "tangent", "level")

    def __init__(self, value, tangent, level: int) -> None:
        self.value = value
        self.tangent = tangent
        self.level = level

    def __repr__(self) -> str:
        return f"ArrayDual(shape={self.shape}, level={self.level})"


TRACED = (ArrayNode, ArrayDual)


def is_traced(x) -> bool:
    """True for an array node or an array dual."""
    kind = type(x)
    return kind is ArrayNode or kind is ArrayDual


def numbers(x):
    """The plain numbers inside ``x``: its value with every level stripped."""
    while type(x) is ArrayNode or type(x) is ArrayDual:
        x = x.value
    return x


def level_of(x) -> int:
    """The level of a node or dual, -1 for anything else."""
    return x.level if is_traced(x) else -1


# ---------------------------------------------------------------------------
# The backward pass


def topological_order(root: ArrayNode) -> list[ArrayNode]:
    """Nodes of root's level that root depends on, every node after its parents."""
    order: list[ArrayNode] = []
    seen: set[int] = set()
    stack: list = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for _, parent in node.parents:
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def backward(
    root: ArrayNode,
    seed,
    leaves: list[ArrayNode],
    add: Callable,
    on_node: Callable | None = None,
) -> list:
    """``seed · ∂root/∂leaf`` for each leaf (None where root does not depend on it).

    ``add`` sums two gradients (a primitive, so sums of nodes of an outer level
    are recorded). Gradients are kept in a dict for this pass only.
    ``on_node(node, g, shares)``, if given, sees each node as it is processed:
    its complete gradient and the share the VJP sends to each of ``node.parents``
    (the steppers show the pass with it; it changes nothing).
    """
    grads: dict[int, object] = {id(root): seed}
    for node in reversed(topological_order(root)):
        g = grads.pop(id(node), None) if node.parents else grads.get(id(node))
        if g is None or not node.parents:
            continue
        positions = tuple(position for position, _ in node.parents)
        with np.errstate(all="ignore"):
            shares = node.op.vjp(positions, g, node.value, node.inputs, node.kwargs)
        if MODES.detect_anomaly:
            for share in shares:
                _check_finite(share, f"backward pass: the VJP of {node.op.name}")
        if on_node is not None:
            on_node(node, g, tuple(shares))
        for (_, parent), share in zip(node.parents, shares):
            key = id(parent)
            old = grads.get(key)
            grads[key] = share if old is None else add(old, share)
    return [grads.get(id(leaf)) for leaf in leaves]
