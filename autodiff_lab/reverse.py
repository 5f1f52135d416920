"""Reverse mode: `Value` records a graph as you compute; `backward()` walks it.

Each node stores its data, its (at most two) parents and the local partial
derivatives on the edges to them, all computed at forward time from the rule
table in `autodiff_lab.rules`. The backward pass is then one multiply-add per
edge, in reverse topological order, found without recursion.

A node is one small object with no closure, set or dict, and no reference
cycle: a graph you drop is freed at once, and the garbage collector has one
object per node to look at.

Levels (the rule for derivatives of derivatives)
------------------------------------------------
Every derivative operator of `autodiff_lab.functional` (``grad``, ``vjp``,
``jacobian``, ``jvp``, ...) works at a fresh *level*, drawn from the one counter
that also tags dual numbers (`core.new_level`); a `Value` you make yourself is
at level 0. When operands of different levels meet, the newest level is the
outer layer (the dispatch rule of `autodiff_lab.core`): it records the
operation, and every operand of an older level, or a dual of an older tag, is
a constant to it and becomes part of the node's data. So a node's parents are
always of its own level, ``backward()`` walks one level only and never adds
into another level's leaves, and the gradients it computes are numbers, or
nodes of older levels when the pass is nested inside another derivative:
exactly what the outer pass differentiates.

What the engine cannot do it refuses, instead of giving a number: a
derivative whose function returns a node of a newer level (escaped from a
finished inner pass), and a ``backward()`` inside a function on a node of the
pass that is differentiating that function (its leaves would count twice).

Nodes of a level above 0 are `Value` objects of a subclass, so the common
case, level 0, costs no check at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from numbers import Real

import numpy as np

from . import core, rules
from .core import topological_order
from .rules import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LOG,
    MOD,
    MUL,
    NEG,
    POW,
    POWC,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    Primitive,
    as_float,
)


class AnomalyError(FloatingPointError):
    """Raised inside `detect_anomaly()` at the first nan or inf."""


class _Modes:
    """Switches read on every operation (module attributes of one object)."""

    __slots__ = ("recording", "detect_anomaly", "epoch")

    def __init__(self) -> None:
        self.recording = True
        self.detect_anomaly = False
        # Bumped whenever the .data of a Value is set; see Value.data.
        self.epoch = 0


MODES = _Modes()


class _Origin:
    """Where a node came from: the primitive that made it (None for a leaf), the
    epoch it was made in (or its .data last set in), and its label.

    Unlabelled nodes made by one primitive in one epoch at one level share a
    single record, so these four facts cost a node one slot, not four.
    """

    __slots__ = ("op", "epoch", "label", "level", "constant")

    def __init__(
        self,
        op: Primitive | None,
        epoch: int,
        label: str | None,
        level: int = 0,
        constant: bool = False,
    ) -> None:
        self.op = op
        self.epoch = epoch
        self.label = label
        self.level = level
        self.constant = constant  # a plain number lifted into the graph


# The shared records of the current epoch, by primitive (None for leaves,
# _CONSTANT for lifted plain numbers), for level 0 and, by level, for the
# others; emptied whenever the epoch moves on.
_CONSTANT = "constant"
_SHARED_ORIGINS: dict[Primitive | str | None, _Origin] = {}
_LEVEL_ORIGINS: dict[int, dict[Primitive | None, _Origin]] = {}

# Levels whose pass is still running its function: their leaves and graph
# belong to that pass, whose own backward pass comes after the function returns.
_RUNNING: set[int] = set()


def _shared_origin(op: Primitive | None) -> _Origin:
    origin = _SHARED_ORIGINS.get(op)
    if origin is None:
        origin = _SHARED_ORIGINS[op] = _Origin(op, MODES.epoch, None)
    return origin


def _constant_origin() -> _Origin:
    origin = _SHARED_ORIGINS.get(_CONSTANT)
    if origin is None:
        origin = _SHARED_ORIGINS[_CONSTANT] = _Origin(None, MODES.epoch, None, constant=True)
    return origin


def _constant(number) -> Value:
    """A plain number lifted into a leaf of level 0, so the graph (and drawing) shows it."""
    node = Value.__new__(Value)
    node._data = number if type(number) is float else as_float(number)
    node.grad = 0.0
    node._origin = _SHARED_ORIGINS.get(_CONSTANT) or _constant_origin()
    node._a = node._b = node._partial_a = node._partial_b = None
    return node


def _level_origin(op: Primitive | None, level: int) -> _Origin:
    if level == 0:
        return _shared_origin(op)
    if level not in _RUNNING:  # a node kept from a finished pass: nothing to share with
        return _Origin(op, MODES.epoch, None, level)
    shared = _LEVEL_ORIGINS.setdefault(level, {})
    origin = shared.get(op)
    if origin is None:
        origin = shared[op] = _Origin(op, MODES.epoch, None, level)
    return origin


@contextmanager
def running(level: int) -> Iterator[None]:
    """Mark ``level``'s pass as running its function; afterwards forget the
    shared records of the level (its nodes keep theirs)."""
    _RUNNING.add(level)
    try:
        yield
    finally:
        _RUNNING.discard(level)
        _LEVEL_ORIGINS.pop(level, None)


def _refuse_running(root: Value) -> None:
    level = root._origin.level
    if level in _RUNNING:
        raise RuntimeError(
            f"backward() on {describe(root)}, a node of a derivative pass (level {level}) that "
            "is still running the function it differentiates: that pass adds into the same "
            "leaves when the function returns, so this would count its gradient twice. For a "
            "derivative inside the function, use grad() or vjp() there."
        )


def _next_epoch() -> int:
    MODES.epoch += 1
    _SHARED_ORIGINS.clear()
    _LEVEL_ORIGINS.clear()
    return MODES.epoch


@contextmanager
def no_grad() -> Iterator[None]:
    """Compute without recording: results are leaves, gradients stop here."""
    previous = MODES.recording
    MODES.recording = False
    try:
        yield
    finally:
        MODES.recording = previous


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise `AnomalyError` at the first nan or inf in a forward or backward pass."""
    previous = MODES.detect_anomaly
    MODES.detect_anomaly = True
    try:
        yield
    finally:
        MODES.detect_anomaly = previous


def _is_finite(number) -> bool:
    while not isinstance(number, float):  # a Dual or Value of an outer level: check its number
        inner = getattr(number, "primal", None)
        if inner is None:
            inner = getattr(number, "_data", None)
        if inner is None:
            return True
        number = inner
    return math.isfinite(number)


class Value(rules.NumberLook):
    """A scalar that remembers how it was computed, so it can be differentiated.

    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad
    (4.0, 2.0)
    """

    # Seven slots and no __dict__: a node is one small object (see _Origin).
    __slots__ = ("_data", "grad", "_origin", "_a", "_b", "_partial_a", "_partial_b")

    def __init__(self, data, label: str | None = None) -> None:
        self._data = _as_data(data, "Value()")
        self.grad = 0.0
        self._origin = _shared_origin(None) if label is None else _Origin(None, MODES.epoch, label)
        self._a = self._b = None
        self._partial_a = self._partial_b = None

    # -- data, with a version check ------------------------------------------
    @property
    def data(self):
        """The number this node holds. Setting it marks the node as changed."""
        return self._data

    @data.setter
    def data(self, new_data) -> None:
        # Every node created before this moment recorded partials from the old
        # data; an epoch newer than a child's tells backward() to refuse.
        # Check first, so a refused assignment leaves the node and its graphs as they were.
        checked = _as_data(new_data, "Value.data")
        origin = self._origin
        self._origin = _Origin(
            origin.op, _next_epoch(), origin.label, origin.level, origin.constant
        )
        self._data = checked

    @property
    def label(self) -> str | None:
        """A name for drawings and messages, or None."""
        return self._origin.label

    @label.setter
    def label(self, label: str | None) -> None:
        origin = self._origin
        self._origin = _Origin(origin.op, origin.epoch, label, origin.level, origin.constant)

    # -- structure ------------------------------------------------------------
    @property
    def op(self) -> Primitive | None:
        """The primitive that produced this node, or None for a leaf."""
        return self._origin.op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that produced this node."""
        if self._b is not None:
            return (self._a, self._b)
        return (self._a,) if self._a is not None else ()

    @property
    def local_partials(self) -> tuple:
        """∂self/∂parent for each parent, computed at forward time."""
        if self._b is not None:
            return (self._partial_a, self._partial_b)
        return (self._partial_a,) if self._a is not None else ()

    @property
    def is_leaf(self) -> bool:
        """True for a value made directly, not by an operation on other values."""
        return self._a is None

    @property
    def is_constant(self) -> bool:
        """True for a plain number the engine lifted into the graph, like the 2 in
        ``2 * x`` or ``x ** 2``: a constant, not something to differentiate by."""
        return self._origin.constant

    @property
    def level(self) -> int:
        """The derivative pass this node belongs to: 0 for your own Values (see module doc)."""
        return self._origin.level

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={_short(self._data)}, grad={_short(self.grad)}{label})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """In Jupyter a Value shows its computation graph (see `core.register_view`)."""
        mimebundle = core.view(Value, "mimebundle")
        if mimebundle is None:
            return {"text/plain": repr(self)}
        return mimebundle(self)

    def __format__(self, spec: str) -> str:
        return format(self._data, spec) if spec else repr(self)

    # -- arithmetic: every operator reads the rule table ---------------------
    # The operators +, -, *, /, %, unary -, abs() and the methods exp() ... cos() are
    # made from the table below the class (`_binary_operator`, `_unary_operator`).

    def __pow__(self, exponent):
        # Only a plain number is a constant exponent; a Dual one carries a tangent.
        if isinstance(exponent, Real):
            return _POWC(self, exponent)
        return _POW(self, exponent)

    def __rpow__(self, base):
        return _POW(base, self)

    def __pos__(self):
        return self

    # -- comparisons look at the data, so loops and branches just work -------
    def __lt__(self, other):
        return self._data < _plain(other)

    def __le__(self, other):
        return self._data <= _plain(other)

    def __gt__(self, other):
        return self._data > _plain(other)

    def __ge__(self, other):
        return self._data >= _plain(other)

    def __eq__(self, other):
        if isinstance(other, (Value, Real)):
            return self._data == _plain(other)
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, (Value, Real)):
            return self._data != _plain(other)
        return NotImplemented

    __hash__ = object.__hash__  # nodes are identities, whatever their data

    def __bool__(self) -> bool:
        """The truth of the number, as in PyTorch: ``if x:`` branches on x's data."""
        return bool(self._data)

    # -- gradients -----------------------------------------------------------
    def backward(self, create_graph: bool = False) -> None:
        """Add ∂self/∂leaf into every leaf's ``.grad``; self must be a scalar output.

        Leaves accumulate across calls until zeroed, as in PyTorch. Interior
        nodes start each pass from zero and keep this pass's adjoints. With
        ``create_graph=True`` the pass records its own operations (PyTorch's
        name), so every ``.grad`` is a `Value` you can differentiate again or draw.
        """
        backpropagate([self], [1.0], create_graph=create_graph)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this node and every node it was computed from."""
        for node in walk(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data: gradients do not flow through it."""
        if type(self) is Value:
            return Value(self._data, label=self.label)
        return leaf(self._data, self._origin.level)


def _short(number) -> str:
    """A number for people: 6 significant digits, always recognisably a float."""
    if not isinstance(number, float):
        return repr(number)
    text = f"{number:.6g}"
    return text if any(mark in text for mark in ".eani") else text + ".0"


def _plain(other):
    return other._data if isinstance(other, Value) else other


def _as_data(data, where: str):
    kind = type(data)
    if kind is float:
        return data
    if rules.is_number(data):
        return as_float(data)
    if kind in core.KINDS and not isinstance(data, Value) and not core.KINDS[kind].holds_arrays:
        return data  # a Dual, for higher derivatives
    if isinstance(data, Value):
        raise TypeError(f"{where} needs a number, got a Value; use value.data or value.detach()")
    raise TypeError(f"{where} needs a real number, got {kind.__name__} ({data!r:.40})")


class _LevelValue(Value):
    """A node of a derivative pass above level 0 (see the module docstring).

    Its own class, so that the arithmetic of level 0 can tell it apart by type alone.
    """

    __slots__ = ()


# Python's own messages name the class ("'Value' object is not subscriptable"): a learner
# wrote Value code, and never heard of this one.
_LevelValue.__name__ = _LevelValue.__qualname__ = "Value"


def _apply(primitive, level: int, args: tuple, kwargs: dict) -> Value:
    """The core's call when a Value is the outer layer of an operation on numbers."""
    return _record(primitive.scalar, args, level)


for _kind in (Value, _LevelValue):
    core.register_kind(
        _kind, rank=30, family="reverse", level_of=lambda value: value._origin.level, apply=_apply
    )


def leaf(data, level: int) -> Value:
    """A new leaf of ``level`` holding ``data``: a number, or a Value or Dual of an older level."""
    if level == 0:
        return Value(data)
    return _new_level_node(data, None, None, None, None, None, level)


def _operand(operand, primitive: Primitive):
    """An operand of an operator as the rule table takes it, or None for an array."""
    kind = type(operand)
    if kind is float or kind in core.KINDS:
        return operand
    if rules.is_number(operand):
        return as_float(operand)
    if isinstance(operand, np.ndarray):
        return None  # let numpy broadcast the operation elementwise
    if isinstance(operand, (complex, np.complexfloating)):
        return np.asarray(operand)  # a complex constant: the array engine takes it
    raise TypeError(
        f"{primitive.name} ({primitive.symbol}): cannot combine a Value with "
        f"{kind.__name__} ({operand!r:.40}); use a number or a Value"
    )


def _new_node(data, op, a, b, partial_a, partial_b) -> Value:
    node = Value.__new__(Value)
    node._data = data
    node.grad = 0.0
    node._origin = _SHARED_ORIGINS.get(op) or _shared_origin(op)
    node._a = a
    node._b = b
    node._partial_a = partial_a
    node._partial_b = partial_b
    return node


def _new_level_node(data, op, a, b, partial_a, partial_b, level: int) -> Value:
    """`_new_node` for any level (the one function that makes nodes above level 0)."""
    if level == 0:
        return _new_node(data, op, a, b, partial_a, partial_b)
    node = Value.__new__(_LevelValue)
    node._data = data
    node.grad = 0.0
    node._origin = _level_origin(op, level)
    node._a = a
    node._b = b
    node._partial_a = partial_a
    node._partial_b = partial_b
    return node


def _binary_operator(op: Primitive):
    """``op(a, b)`` as Value's operators compute it: one function per primitive, with
    the table's value and partials bound to it, so that the common case costs one
    call for each. That case is two Values of level 0, or one and a float or int,
    which becomes a constant leaf of level 0 so the graph (and drawing) shows it."""
    float_value, partials = op.float_value, op.partials
    new, origins, modes = Value.__new__, _SHARED_ORIGINS, MODES

    def apply(a, b):
        kind_a, kind_b = type(a), type(b)
        if kind_a is not Value:
            if kind_b is not Value or (kind_a is not float and kind_a is not int):
                return _mixed(op, a, b)
            a = _constant(a)
        elif kind_b is not Value:
            if kind_b is not float and kind_b is not int:
                return _mixed(op, a, b)
            b = _constant(b)
        x, y = a._data, b._data
        out = float_value(x, y) if type(x) is float and type(y) is float else op(x, y)
        if modes.detect_anomaly and not _is_finite(out):
            _raise_forward_anomaly(op, (a, b), out)
        if not modes.recording:
            return _new_node(out, None, None, None, None, None)
        node = new(Value)  # _new_node written out: this is the hot path
        node._data = out
        node.grad = 0.0
        node._origin = origins.get(op) or _shared_origin(op)
        node._a, node._b = a, b
        node._partial_a, node._partial_b = partials(x, y, out)
        return node

    apply.__name__ = apply.__qualname__ = op.name
    return apply


def _mixed(op: Primitive, a, b):
    """Any other pair: a node of another level, a Dual, a numpy number, an array.

    The rule table's dispatch finds the outermost layer, which records the operation.
    """
    a, b = _operand(a, op), _operand(b, op)
    if a is None or b is None:
        return NotImplemented
    return op(a, b)


def _unary_operator(op: Primitive):
    """``op(a)`` as Value's methods compute it (see `_binary_operator`)."""
    float_value, partials = op.float_value, op.partials
    new, origins, modes = Value.__new__, _SHARED_ORIGINS, MODES

    def apply(a):
        if type(a) is not Value:
            return _record(op, (a,), a._origin.level)
        x = a._data
        out = float_value(x) if type(x) is float else op(x)
        if modes.detect_anomaly and not _is_finite(out):
            _raise_forward_anomaly(op, (a,), out)
        if not modes.recording:
            return _new_node(out, None, None, None, None, None)
        node = new(Value)  # _new_node written out: this is the hot path
        node._data = out
        node.grad = 0.0
        node._origin = origins.get(op) or _shared_origin(op)
        node._a, node._b = a, None
        (node._partial_a,) = partials(x, out)
        node._partial_b = None
        return node

    apply.__name__ = apply.__qualname__ = op.name
    return apply


def _reflected(apply):
    """The reflected operator (``2 * x`` calls ``x.__rmul__(2)``)."""

    def reflected(self, other):
        return apply(other, self)

    reflected.__name__ = reflected.__qualname__ = f"r{apply.__name__}"
    return reflected


_POW, _POWC = _binary_operator(POW), _binary_operator(POWC)
for _name, _op in (("add", ADD), ("sub", SUB), ("mul", MUL), ("truediv", DIV), ("mod", MOD)):
    _apply = _binary_operator(_op)
    setattr(Value, f"__{_name}__", _apply)
    setattr(Value, f"__r{_name}__", _reflected(_apply))
Value.__neg__, Value.__abs__ = _unary_operator(NEG), _unary_operator(ABS)
for _op in (EXP, LOG, SQRT, TANH, SIGMOID, RELU, SIN, COS):
    setattr(Value, _op.name, _unary_operator(_op))
rules.install_methods(Value)


def _record(op: Primitive, args: tuple, level: int) -> Value:
    """Apply ``op`` at ``level``, the newest level among the Values in ``args``.

    The core's dispatch calls this only when no operand is of a newer layer.
    Operands of that level are the node's parents; every other operand (a
    number, a Value of an older level, a Dual) is a constant here and becomes
    a leaf of this level, so the graph and its drawing show it.
    """
    nodes = [
        arg if isinstance(arg, Value) and arg._origin.level == level else leaf(arg, level)
        for arg in args
    ]
    data = [node._data for node in nodes]
    if all(type(x) is float for x in data):
        out = op.float_value(*data)
    else:
        out = op(*data)
    if MODES.detect_anomaly and not _is_finite(out):
        _raise_forward_anomaly(op, nodes, out)
    if not MODES.recording:
        return _new_level_node(out, None, None, None, None, None, level)
    partials = op.partials(*data, out)
    if len(nodes) == 1:
        return _new_level_node(out, op, nodes[0], None, partials[0], None, level)
    return _new_level_node(out, op, nodes[0], nodes[1], partials[0], partials[1], level)


def describe(node: Value) -> str:
    """A short name for a node in messages: its label, else its data."""
    if node.label is not None:
        return f'"{node.label}" (data {_short(node._data)})'
    op = node.op
    return f"a {op.name if op else 'leaf'} node with data {_short(node._data)}"


def _raise_forward_anomaly(op: Primitive, inputs, out) -> None:
    shown = ", ".join(_short(node._data) for node in inputs)
    raise AnomalyError(
        f"forward pass: {op.name}({shown}) gave {_short(out)}; "
        f"inputs: {', '.join(describe(node) for node in inputs)}"
    )


# ---------------------------------------------------------------------------
# Traversal and the backward pass, without recursion.


def walk(root: Value) -> Iterator[Value]:
    """Every node that ``root`` depends on (and root itself), each once."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for parent in (node._a, node._b):
            if parent is not None and parent not in seen:
                seen.add(parent)
                stack.append(parent)


def _raise_if_changed(node: Value) -> None:
    for parent in (node._a, node._b):
        if parent is not None and parent._origin.epoch > node._origin.epoch:
            raise RuntimeError(
                f"{describe(parent)} had its .data changed after it was used to compute "
                f"{describe(node)}; the recorded graph is out of date. Recompute the "
                "forward pass after changing .data, then call backward()."
            )


def backpropagate(
    roots: list,
    seeds: list,
    create_graph: bool = False,
    on_node=None,
    free_interior: bool = False,
    once: bool = False,
) -> None:
    """Add ``seed · ∂root/∂leaf`` into every leaf's grad, for all roots at once.

    Roots may be Values or array nodes (the core's one backward pass walks both).
    With ``create_graph`` the adjoints are Values of the roots' level, computed
    from partials recomputed on the nodes themselves, so they can be differentiated.
    ``on_node``, ``free_interior`` and ``once`` are the core's (see `core.backward`).
    """
    for root in roots:
        if type(root) is not Value:
            kind = core.KINDS.get(type(root))
            if kind is None or kind.family != "reverse":
                raise TypeError(f"backward() needs a Value output, got {type(root).__name__}")
            if not kind.holds_arrays:
                _refuse_running(root)
    order = topological_order(roots)
    # Check the whole graph before touching any gradient, so a refused pass changes nothing.
    for node in () if core.holds_arrays_only(order) else order:
        try:
            a = node._a
        except AttributeError:  # an array node: no .data to change
            continue
        if a is not None:
            epoch = node._origin.epoch
            b = node._b
            if a._origin.epoch > epoch or (b is not None and b._origin.epoch > epoch):
                _raise_if_changed(node)
    if create_graph and any(not hasattr(node, "_a") for node in order):
        raise NotImplementedError(
            "backward(create_graph=True) records scalar graphs only; for a derivative of a "
            "derivative through array operations, nest grad() or jacobian() instead"
        )
    core.backward(
        roots,
        seeds,
        order=order,
        on_node=on_node,
        recorded_partials=_recorded_partials if create_graph else None,
        check=_check_share if MODES.detect_anomaly else None,
        free_interior=free_interior,
        once=once,
    )
    if create_graph:
        for node in order:  # a gradient that came out a constant is still a Value
            if node._a is None and not isinstance(node.grad, Value):
                node.grad = leaf(node.grad, node._origin.level)


def _recorded_partials(node: Value) -> tuple:
    """The table's partials on the nodes themselves (not their numbers), so each
    partial is a node that depends on the inputs (``backward(create_graph=True)``)."""
    a, b = node._a, node._b
    partials = node._origin.op.partials(*((a,) if b is None else (a, b)), node)
    return (partials[0], None) if b is None else partials


def _check_share(node, parent, upstream, local, share) -> None:
    if not _is_finite(share):
        _raise_backward_anomaly(node, parent, upstream, local, share)


def _raise_backward_anomaly(node, parent, upstream, local, contribution) -> None:
    raise AnomalyError(
        f"backward pass: {node.op.name} gave {_short(contribution)} = upstream "
        f"{_short(upstream)} × local {_short(local)} for {describe(parent)}; "
        f"the {node.op.name} node's inputs: "
        f"{', '.join(describe(p) for p in node.parents)}"
    )
