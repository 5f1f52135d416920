"""Reverse mode: `Value` records a graph as you compute; `backward()` walks it.

Each node stores its data, its (at most two) parents and the local partial
derivatives on the edges to them, all computed at forward time from the rule
table in `autodiff_lab.rules`. The backward pass is then one multiply-add per
edge, in reverse topological order, found without recursion.

A node is one small object with no closure, set or dict, and no reference
cycle: a graph you drop is freed at once, and the garbage collector has one
object per node to look at.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from numbers import Real

import numpy as np

from . import rules
from .rules import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LOG,
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

    Unlabelled nodes made by one primitive in one epoch share a single record,
    so these three facts cost a node one slot, not three.
    """

    __slots__ = ("op", "epoch", "label", "constant")

    def __init__(
        self, op: Primitive | None, epoch: int, label: str | None, constant: bool = False
    ) -> None:
        self.op = op
        self.epoch = epoch
        self.label = label
        self.constant = constant  # a plain number lifted into the graph


# The shared records of the current epoch, by primitive (None for leaves,
# _CONSTANT for lifted plain numbers); emptied whenever the epoch moves on.
_CONSTANT = "constant"
_SHARED_ORIGINS: dict[Primitive | str | None, _Origin] = {}


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


def _next_epoch() -> int:
    MODES.epoch += 1
    _SHARED_ORIGINS.clear()
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
    while not isinstance(number, float):  # a Dual (for higher derivatives): check its primal
        primal = getattr(number, "primal", None)
        if primal is None:
            return True
        number = primal
    return math.isfinite(number)


class Value:
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
        self._origin = _Origin(origin.op, _next_epoch(), origin.label, origin.constant)
        self._data = checked

    @property
    def label(self) -> str | None:
        """A name for drawings and messages, or None."""
        return self._origin.label

    @label.setter
    def label(self, label: str | None) -> None:
        origin = self._origin
        self._origin = _Origin(origin.op, origin.epoch, label, origin.constant)

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
        return self._a is None

    @property
    def is_constant(self) -> bool:
        """True for a plain number the engine lifted into the graph, like the 2 in
        ``2 * x`` or ``x ** 2``: a constant, not something to differentiate by."""
        return self._origin.constant

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label is not None else ""
        return f"Value(data={_short(self._data)}, grad={_short(self.grad)}{label})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """In Jupyter a Value shows its computation graph."""
        try:
            from .display.graph import mimebundle  # drawing code loads only when needed
        except ImportError:  # a broken install must not put a traceback in the cell
            return {"text/plain": repr(self)}
        return mimebundle(self)

    def __format__(self, spec: str) -> str:
        return format(self._data, spec) if spec else repr(self)

    # -- arithmetic: every operator reads the rule table ---------------------
    def __add__(self, other):
        return _binary(ADD, self, other)

    def __radd__(self, other):
        return _binary(ADD, other, self)

    def __sub__(self, other):
        return _binary(SUB, self, other)

    def __rsub__(self, other):
        return _binary(SUB, other, self)

    def __mul__(self, other):
        return _binary(MUL, self, other)

    def __rmul__(self, other):
        return _binary(MUL, other, self)

    def __truediv__(self, other):
        return _binary(DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(DIV, other, self)

    def __pow__(self, exponent):
        # Only a plain number is a constant exponent; a Dual one carries a tangent.
        if isinstance(exponent, Real):
            return _binary(POWC, self, exponent)
        return _binary(POW, self, exponent)

    def __rpow__(self, base):
        return _binary(POW, base, self)

    def __neg__(self):
        return _unary(NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary(ABS, self)

    def exp(self):
        return _unary(EXP, self)

    def log(self):
        return _unary(LOG, self)

    def sqrt(self):
        return _unary(SQRT, self)

    def tanh(self):
        return _unary(TANH, self)

    def sigmoid(self):
        return _unary(SIGMOID, self)

    def relu(self):
        return _unary(RELU, self)

    def sin(self):
        return _unary(SIN, self)

    def cos(self):
        return _unary(COS, self)

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

    # -- gradients -----------------------------------------------------------
    def backward(self) -> None:
        """Add ∂self/∂leaf into every leaf's ``.grad``; self must be a scalar output.

        Leaves accumulate across calls until zeroed, as in PyTorch. Interior
        nodes start each pass from zero and keep this pass's adjoints.
        """
        backpropagate([self], [1.0])

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this node and every node it was computed from."""
        for node in walk(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data: gradients do not flow through it."""
        return Value(self._data, label=self.label)

    @classmethod
    def _apply_primitive(cls, primitive: Primitive, *args):
        if primitive.arity == 1:
            return _unary(primitive, args[0])
        return _binary(primitive, args[0], args[1])


rules.register_carrier(Value, rank=30)


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
    if isinstance(data, Real) and kind is not bool:
        return as_float(data)
    if kind in rules._CARRIER_RANK and kind is not Value:  # a Dual, for higher derivatives
        return data
    if kind is Value:
        raise TypeError(f"{where} needs a number, got a Value; use value.data or value.detach()")
    raise TypeError(f"{where} needs a real number, got {kind.__name__} ({data!r:.40})")


def _lift(operand, primitive: Primitive):
    """Make a constant operand into a leaf so the graph (and drawing) shows it."""
    if type(operand) is Value:
        return operand
    if isinstance(operand, np.ndarray):
        return None  # let numpy broadcast the operation elementwise
    try:
        constant = Value(operand)
    except TypeError:
        raise TypeError(
            f"{primitive.name} ({primitive.symbol}): cannot combine a Value with "
            f"{type(operand).__name__} ({operand!r:.40}); use a number or a Value"
        ) from None
    constant._origin = _constant_origin()
    return constant


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


def _binary(op: Primitive, a, b) -> Value:
    if type(a) is not Value:
        a = _lift(a, op)
    if type(b) is not Value:
        b = _lift(b, op)
    if a is None or b is None:
        return NotImplemented
    x, y = a._data, b._data
    if type(x) is float and type(y) is float:
        out = op.float_value(x, y)
    else:
        out = op(x, y)
    if MODES.detect_anomaly and not _is_finite(out):
        _raise_forward_anomaly(op, (a, b), out)
    if not MODES.recording:
        return _new_node(out, None, None, None, None, None)
    partial_a, partial_b = op.partials(x, y, out)
    return _new_node(out, op, a, b, partial_a, partial_b)


def _unary(op: Primitive, a: Value) -> Value:
    x = a._data
    out = op.float_value(x) if type(x) is float else op(x)
    if MODES.detect_anomaly and not _is_finite(out):
        _raise_forward_anomaly(op, (a,), out)
    if not MODES.recording:
        return _new_node(out, None, None, None, None, None)
    (partial_a,) = op.partials(x, out)
    return _new_node(out, op, a, None, partial_a, None)


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


_PARENTS_DONE = object()  # stack marker: the node below it has all its parents in order


def topological_order(roots: Iterable[Value]) -> list[Value]:
    """Nodes reachable from ``roots``, every node after all of its parents.

    A depth-first search with an explicit stack. A node is marked seen when it
    is expanded, not when it is pushed: a node still waiting lower on the stack
    must not be skipped by a child that reaches it first. The stack holds the
    nodes themselves and a shared marker, so it allocates nothing per node.
    """
    order: list[Value] = []
    seen: set[Value] = set()
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
            b = node._b
            if b is not None and b not in seen:
                stack.append(b)
            a = node._a
            if a is not None and a not in seen:
                stack.append(a)
    return order


def _raise_if_changed(node: Value) -> None:
    for parent in (node._a, node._b):
        if parent is not None and parent._origin.epoch > node._origin.epoch:
            raise RuntimeError(
                f"{describe(parent)} had its .data changed after it was used to compute "
                f"{describe(node)}; the recorded graph is out of date. Recompute the "
                "forward pass after changing .data, then call backward()."
            )


def backpropagate(roots: list[Value], seeds: list) -> None:
    """Add ``seed · ∂root/∂leaf`` into every leaf's grad, for all roots at once."""
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"backward() needs a Value output, got {type(root).__name__}")
    order = topological_order(roots)
    # Check the whole graph before touching any gradient, so a refused pass
    # changes nothing; interior nodes then start this pass from zero.
    for node in order:
        a = node._a
        if a is not None:
            epoch = node._origin.epoch
            b = node._b
            if a._origin.epoch > epoch or (b is not None and b._origin.epoch > epoch):
                _raise_if_changed(node)
    for node in order:
        if node._a is not None:
            node.grad = 0.0
    for root, seed in zip(roots, seeds):
        root.grad = root.grad + seed
    check = MODES.detect_anomaly
    for node in reversed(order):
        a = node._a
        if a is None:
            continue
        upstream = node.grad
        contribution = upstream * node._partial_a
        if check and not _is_finite(contribution):
            _raise_backward_anomaly(node, a, upstream, node._partial_a, contribution)
        a.grad += contribution
        b = node._b
        if b is not None:
            contribution = upstream * node._partial_b
            if check and not _is_finite(contribution):
                _raise_backward_anomaly(node, b, upstream, node._partial_b, contribution)
            b.grad += contribution


def _raise_backward_anomaly(node, parent, upstream, local, contribution) -> None:
    raise AnomalyError(
        f"backward pass: {node.op.name} gave {_short(contribution)} = upstream "
        f"{_short(upstream)} × local {_short(local)} for {describe(parent)}; "
        f"the {node.op.name} node's inputs: "
        f"{', '.join(describe(p) for p in node.parents)}"
    )
