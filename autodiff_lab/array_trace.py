"""Record an array program once, so that it can be drawn and its backward pass stepped.

Array nodes normally live only inside a ``grad`` call. ``trace_arrays(f, X=X,
W1=W1)`` calls ``f(X=..., W1=...)`` with one `ArrayNode` per keyword and keeps
the graph it builds: an `ArrayGraph`, whose nodes are named by the keywords,
by `label_array` inside f, or v1, v2, … in topological order (as the scalar
drawings name theirs). ``graph.backward()`` runs the engine's own backward
pass and keeps each node's gradient and its steps (`autodiff_lab.array_steps`).
"""

from __future__ import annotations

import inspect

import numpy as np

from . import core
from .array_steps import array_backward_steps
from .arrays import ArrayNode, is_traced, numbers, recording_pass
from .core import topological_order
from .functional import _root_at
from .steps import BackwardStep, gradients_after
from .text import shape_text

_ACTIVE: list[_Recording] = []  # the traces under way, innermost last


class _Recording:
    """The inputs and labels of one trace under way."""

    def __init__(self, level: int, inputs: dict[str, ArrayNode]) -> None:
        self.level = level
        self.names: dict[int, str] = {id(node): name for name, node in inputs.items()}
        self.keep: list[ArrayNode] = list(inputs.values())  # ids stay valid while kept


def label_array(x, name: str):
    """Name an intermediate array inside a function given to `trace_arrays`; returns ``x``.

    ``H = label_array(np.tanh(X @ W1 + b1), "H")`` draws that node as ``H``.
    Outside `trace_arrays` (for example under ``grad``) it does nothing.
    """
    if not _ACTIVE:
        return x
    recording = _ACTIVE[-1]
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"label_array: the name must be a non-empty string, got {name!r}")
    if type(x) is ArrayNode and x.level > recording.level:
        return x  # a node of a derivative pass inside f: not part of the drawn graph
    if type(x) is not ArrayNode or x.level != recording.level:
        raise TypeError(
            f"label_array: {name!r} must name an array computed from the traced inputs, got "
            f"{type(x).__name__}; label the result of an operation on them"
        )
    old = recording.names.get(id(x))
    if old is not None and old != name:
        raise ValueError(f"label_array: this array is already named {old!r}, not {name!r}")
    if old is None and name in recording.names.values():
        raise ValueError(
            f"label_array: the name {name!r} is already taken by another node of this "
            "graph; every node needs its own name"
        )
    recording.names[id(x)] = name
    recording.keep.append(x)
    return x


def _check_input(name: str, x) -> np.ndarray:
    if not name:
        raise ValueError("trace_arrays: an input needs a non-empty name")
    if is_traced(x):
        raise TypeError(
            f"trace_arrays: {name} is already a traced array (an ArrayNode or ArrayDual); "
            "pass the plain numpy array"
        )
    if isinstance(x, np.ndarray) and x.dtype.kind in "biuf":
        return np.array(x, dtype=np.float64)
    if isinstance(x, np.ndarray):
        raise TypeError(
            f"trace_arrays: {name} is an array of {x.dtype} (dtype kind {x.dtype.kind!r}), not "
            "of numbers; the array engine differentiates arrays of numbers only (an array of "
            "Values belongs to the scalar engine)"
        )
    raise TypeError(
        f"trace_arrays: {name} must be a numpy array of numbers, got {type(x).__name__} "
        f"({x!r:.40}); wrap it, e.g. {name}=np.array(...)"
    )


def trace_arrays(f, /, *args, **inputs) -> ArrayGraph:
    """Call ``f(**inputs)`` with one array node per input and keep the graph it builds.

    Every input is named by its keyword (``trace_arrays(loss, X=X, W1=W1)``), must
    be a numpy array of numbers, and gets a gradient from ``graph.backward()``.
    Constants that should get no gradient belong inside f (a closure, a default).
    """
    if not callable(f):
        raise TypeError(f"trace_arrays needs a function first, got {type(f).__name__}")
    if args:
        raise TypeError(
            f"trace_arrays names every input by its keyword, e.g. trace_arrays(f, X=X, W1=W1); "
            f"got {len(args)} positional input(s) after f"
        )
    if not inputs:
        raise ValueError("trace_arrays needs at least one input, e.g. trace_arrays(f, X=X)")
    arrays = {name: _check_input(name, x) for name, x in inputs.items()}
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # a builtin: let the call say what is wrong
        signature = None
    if signature is not None:
        try:
            signature.bind(**arrays)
        except TypeError as error:
            raise TypeError(
                f"trace_arrays calls f({', '.join(f'{n}=…' for n in arrays)}), which f{signature} "
                f"does not accept ({error}); name the inputs as f's parameters"
            ) from None
    level = core.new_level()
    leaves = {name: ArrayNode(value, level) for name, value in arrays.items()}
    recording = _Recording(level, leaves)
    _ACTIVE.append(recording)
    try:
        # the graph keeps everything, to be drawn; it is pulled back when its user asks
        with recording_pass(level, lean=False, pulled_later=True):
            result = f(**leaves)
    finally:
        _ACTIVE.remove(recording)
    node = _root_at(result, level, "trace_arrays")
    if type(node) is not ArrayNode:
        raise ValueError(
            "trace_arrays: f's result does not depend on any of its inputs, so there is no "
            "graph to draw; compute it from the arrays f receives"
        )
    return ArrayGraph(node, leaves, recording.names)


class ArrayGraph:
    """The graph of one call of an array function: nodes, names and, after
    ``backward()``, every node's gradient and the steps that computed them.

    ``nodes`` lists every node parents first: the inputs in keyword order (also
    those f never used), then the rest in topological order;
    ``inputs`` maps each keyword to its leaf; ``grads`` maps names to gradients.
    """

    def __init__(self, output: ArrayNode, inputs: dict[str, ArrayNode], labels: dict) -> None:
        self.output = output
        self.inputs = dict(inputs)
        leaves = {id(leaf) for leaf in inputs.values()}
        rest = [node for node in topological_order([output]) if id(node) not in leaves]
        self.nodes: tuple[ArrayNode, ...] = (*inputs.values(), *rest)
        taken = set(labels.values())
        self._names: dict[int, str] = {}
        count = 0
        for node in self.nodes:
            name = labels.get(id(node))
            if name is None:
                count += 1
                while f"v{count}" in taken:
                    count += 1
                name = f"v{count}"
            self._names[id(node)] = name
        self.grads: dict[str, np.ndarray] = {}
        self.steps: tuple[BackwardStep, ...] = ()

    # -- looking things up ----------------------------------------------------------
    def name(self, node: ArrayNode) -> str:
        """The name a node is drawn with."""
        try:
            return self._names[id(node)]
        except KeyError:
            raise KeyError("that array node is not part of this graph") from None

    @property
    def names(self) -> list[str]:
        """Every node's name, in the order of ``nodes``."""
        return [self._names[id(node)] for node in self.nodes]

    def node(self, name: str) -> ArrayNode:
        """The node called ``name``."""
        for node in self.nodes:
            if self._names[id(node)] == name:
                return node
        raise KeyError(f"no node is called {name!r}; the names are {', '.join(self.names)}")

    def __contains__(self, node) -> bool:
        return id(node) in self._names  # the graph keeps its nodes alive: ids are theirs

    @property
    def value(self):
        """The output's numbers."""
        return numbers(self.output.value)

    # -- the backward pass ------------------------------------------------------------
    def backward(self, seed=None) -> None:
        """Fill ``grads`` (by name) and ``steps``; ``seed`` is ḡ for a non-scalar output.

        Each call starts afresh: gradients are replaced, never added to earlier ones.
        """
        self.steps = tuple(array_backward_steps(self, seed))
        known = gradients_after(self.steps, len(self.steps) - 1)
        grads = {self._names[id(node)]: gradient for node, gradient in known.items()}
        for name, leaf in self.inputs.items():
            grads.setdefault(name, np.zeros(leaf.shape))
        self.grads = grads

    def grad_of(self, node: ArrayNode):
        """A node's gradient after ``backward()`` (None before, or for a node it never reached)."""
        return self.grads.get(self.name(node))

    # -- showing it --------------------------------------------------------------------
    def draw(self, **options):
        """The graph as a `GraphDrawing` (options: see `draw_array_graph`)."""
        draw = core.view(ArrayGraph, "draw")
        if draw is None:
            raise RuntimeError("no drawing code is registered; import autodiff_lab to draw")
        return draw(self, **options)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        mimebundle = core.view(ArrayGraph, "mimebundle")
        return {"text/plain": repr(self)} if mimebundle is None else mimebundle(self)

    def __repr__(self) -> str:
        inputs = ", ".join(f"{name} ({shape_text(n.shape)})" for name, n in self.inputs.items())
        done = "after backward" if self.steps else "before backward"
        return (
            f"<array graph of {self.name(self.output)} ({shape_text(self.output.shape)}): "
            f"{len(self.nodes)} nodes, inputs {inputs}; {done}>"
        )


__all__ = ["ArrayGraph", "label_array", "trace_arrays"]
