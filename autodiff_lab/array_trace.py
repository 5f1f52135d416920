"""Record an array program once, so that it can be drawn and its backward pass stepped.

Array nodes normally live only inside a ``grad`` call. ``trace_arrays(f, X=X,
W1=W1)`` calls ``f(X=..., W1=...)`` with one `ArrayNode` per keyword and keeps
the graph it builds: an `ArrayGraph`, whose nodes are named by the keywords,
by `label_array` inside f, or v1, v2, … in topological order (as the scalar
drawings name theirs). ``graph.backward()`` runs the engine's own backward
pass (`autodiff_lab.arrays.backward`) and keeps each node's gradient and the
ordered list of VJP steps, each with a caption naming the primitive, its VJP
formula and the shapes that go in and come out.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from . import numpy as anp
from . import rules
from .array_functional import _output
from .array_rules import ELEMENTWISE, MATMUL
from .arrays import ArrayNode, backward, is_traced, numbers, topological_order
from .display.graph import format_number

SMALL = 6  # arrays with at most this many entries are shown with their numbers

_ACTIVE: list[_Recording] = []  # the traces under way, innermost last
_ELEMENTWISE = frozenset(id(primitive) for primitive in ELEMENTWISE.values())


def shape_text(shape: tuple) -> str:
    """``(100, 64)`` as ``100×64``; a 0-d array is a ``scalar``."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def array_text(array) -> str:
    """An array's numbers (4 significant digits) if it is small, else its shape."""
    array = np.asarray(numbers(array))
    if array.size > SMALL:
        return shape_text(array.shape)
    if array.ndim == 0:
        return format_number(array.item())

    def nested(part) -> str:
        if part.ndim == 0:
            return format_number(part.item())
        return "[" + ", ".join(nested(row) for row in part) + "]"

    return nested(array)


def is_operand(node: ArrayNode, position: int) -> bool:
    """True when argument ``position`` of ``node`` is a constant number or array it computes
    with (the 2 in ``2 * x``), not a setting such as an index, a shape or an axis."""
    value = node.inputs[position]
    computes_with_it = id(node.op) in _ELEMENTWISE or node.op is MATMUL
    if not computes_with_it or is_traced(value):
        return False
    return rules.is_number(value) or (isinstance(value, np.ndarray) and value.dtype.kind in "biuf")


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
    level = rules.new_level()
    leaves = {name: ArrayNode(value, level) for name, value in arrays.items()}
    recording = _Recording(level, leaves)
    _ACTIVE.append(recording)
    try:
        result = f(**leaves)
    finally:
        _ACTIVE.remove(recording)
    node, _ = _output(result, level, "trace_arrays")
    if node is None:
        raise ValueError(
            "trace_arrays: f's result does not depend on any of its inputs, so there is no "
            "graph to draw; compute it from the arrays f receives"
        )
    return ArrayGraph(node, leaves, recording.names)


@dataclass(frozen=True, eq=False)
class ArrayShare:
    """What one VJP sends to one parent: the share, and the parent's gradient after it."""

    parent: ArrayNode
    position: int  # the argument of the child's primitive the parent is
    share: np.ndarray
    total: np.ndarray  # the parent's gradient once this share has been added
    caption: str


@dataclass(frozen=True, eq=False)
class ArrayBackwardStep:
    """Step 0 seeds the output; each later step runs one node's VJP."""

    index: int
    node: ArrayNode
    upstream: np.ndarray  # ḡ, the node's complete gradient
    shares: tuple[ArrayShare, ...]  # empty for the seed step
    caption: str

    @property
    def is_seed(self) -> bool:
        return self.index == 0


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
        rest = [node for node in topological_order(output) if id(node) not in leaves]
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
        self.steps: tuple[ArrayBackwardStep, ...] = ()

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
        """Fill ``grads`` (by name) and ``steps``; ``seed`` is ḡ for a non-scalar output."""
        self.steps = tuple(array_backward_steps(self, seed))
        grads: dict[str, np.ndarray] = {}
        for step in self.steps:
            grads[self.name(step.node)] = step.upstream
            for share in step.shares:
                grads[self.name(share.parent)] = share.total
        for name, leaf in self.inputs.items():
            grads.setdefault(name, np.zeros(leaf.shape))
        self.grads = grads

    def grad_of(self, node: ArrayNode):
        """A node's gradient after ``backward()`` (None before, or for a node it never reached)."""
        return self.grads.get(self.name(node))

    # -- showing it --------------------------------------------------------------------
    def draw(self, **options):
        """The graph as a `GraphDrawing` (options: see `draw_array_graph`)."""
        from .display.array_graph import draw_array_graph

        return draw_array_graph(self, **options)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        from .display.array_graph import array_mimebundle

        return array_mimebundle(self)

    def __repr__(self) -> str:
        inputs = ", ".join(f"{name} ({shape_text(n.shape)})" for name, n in self.inputs.items())
        done = "after backward" if self.steps else "before backward"
        return (
            f"<array graph of {self.name(self.output)} ({shape_text(self.output.shape)}): "
            f"{len(self.nodes)} nodes, inputs {inputs}; {done}>"
        )


# ---------------------------------------------------------------------------
# The backward pass as steps


def _seed(graph: ArrayGraph, seed) -> np.ndarray:
    shape = graph.output.shape
    if seed is None:
        if int(np.prod(shape)) != 1:
            raise TypeError(
                f"backward() needs a scalar output to start from ḡ = 1, but "
                f"{graph.name(graph.output)} has shape {shape_text(shape)}; reduce it to one "
                f"number (np.sum, np.mean) or pass seed= an array of shape {shape_text(shape)}"
            )
        return np.ones(shape)
    if is_traced(seed) or not (
        rules.is_number(seed) or (isinstance(seed, np.ndarray) and seed.dtype.kind in "biuf")
    ):
        raise TypeError(f"backward(): seed must be numbers, got {type(seed).__name__}")
    seed = np.array(seed, dtype=np.float64)
    if seed.shape != shape:
        raise ValueError(
            f"backward(): seed has shape {shape_text(seed.shape)} but the output "
            f"{graph.name(graph.output)} has shape {shape_text(shape)}"
        )
    return seed


def array_backward_steps(graph: ArrayGraph, seed=None) -> list[ArrayBackwardStep]:
    """The engine's backward pass over ``graph`` as steps, changing nothing in the graph.

    Step 0 seeds ḡ at the output (1 for a scalar, else ``seed``); each later step is
    one node, in the order `autodiff_lab.arrays.backward` processes them, whose VJP
    sends a share of ḡ to each parent.
    """
    if not isinstance(graph, ArrayGraph):
        raise TypeError(
            f"array_backward_steps needs an ArrayGraph from trace_arrays, got "
            f"{type(graph).__name__}"
        )
    g0 = _seed(graph, seed)
    processed: list[tuple] = []
    leaves = list(graph.inputs.values())
    backward(graph.output, g0, leaves, anp.add, on_node=lambda *seen: processed.append(seen))
    output_name = graph.name(graph.output)
    if int(np.prod(graph.output.shape)) == 1 and seed is None:
        caption = f"Start at the output {output_name} (one number): ḡ = ∂L/∂{output_name} = 1"
    else:
        caption = (
            f"Start at the output {output_name} ({shape_text(g0.shape)}): ḡ = the seed "
            f"{array_text(g0)}"
        )
    steps = [ArrayBackwardStep(0, graph.output, g0, (), caption)]
    totals: dict[int, np.ndarray] = {id(graph.output): g0}
    for node, g, values in processed:
        shares = []
        for (position, parent), share in zip(node.parents, values):
            before = totals.get(id(parent))
            share = numbers(share)
            total = share if before is None else numbers(anp.add(before, share))
            totals[id(parent)] = total
            line = share_caption(graph, node, position, g, share)
            line += f", to {graph.name(parent)}"
            if before is not None:
                line += " (added to what it got earlier)"
            shares.append(ArrayShare(parent, position, share, total, line))
        caption = "\n".join([step_header(graph, node, g)] + [share.caption for share in shares])
        steps.append(ArrayBackwardStep(len(steps), node, numbers(g), tuple(shares), caption))
    return steps


def _argument_text(graph: ArrayGraph, node: ArrayNode, position: int) -> str | None:
    for parent_position, parent in node.parents:
        if parent_position == position:
            return graph.name(parent)
    if is_operand(node, position):
        return array_text(node.inputs[position])
    return None  # an index, a shape, an axis: not shown


def step_header(graph: ArrayGraph, node: ArrayNode, g) -> str:
    """``v3 = matmul(X, W1) sends ḡ (100×32) back to its inputs:``"""
    arguments = [_argument_text(graph, node, p) for p in range(len(node.inputs))]
    shown = ", ".join(text for text in arguments if text is not None)
    return (
        f"{graph.name(node)} = {node.op.name}({shown}) sends ḡ ({shape_text(np.shape(g))}) "
        "back to its inputs:"
    )


_BAR = "\u0304"  # a combining macron: ā, b̄


def _formula_part(formula: str, position: int, count: int) -> str:
    parts = formula.split(", ")
    return parts[position] if len(parts) == count else formula


def _transposed(shape: tuple) -> tuple:
    return shape[:-2] + (shape[-1], shape[-2]) if len(shape) >= 2 else shape


def share_caption(graph: ArrayGraph, node: ArrayNode, position: int, g, share) -> str:
    """One parent's share, as primitive, VJP formula and shapes, e.g.
    ``matmul: ā = ḡ·Bᵀ  (100×32)·(32×64) → 100×64``."""
    op = node.op
    g_shape, out = np.shape(g), shape_text(np.shape(share))
    if op is MATMUL:
        formula = _formula_part(op.formula, position, 2)
        other = np.shape(numbers(node.inputs[1 - position]))
        if position == 0:
            shapes = f"({shape_text(g_shape)})·({shape_text(_transposed(other))}) → {out}"
        else:
            shapes = f"({shape_text(_transposed(other))})·({shape_text(g_shape)}) → {out}"
        return f"{op.name}: {formula}  {shapes}"
    if id(op) in _ELEMENTWISE:
        letter = "ab"[position] if len(node.inputs) == 2 else "a"
        letter = unicodedata.normalize("NFC", letter + _BAR)  # ā as array_rules writes it
        partial = _formula_part(op.formula, position, len(node.inputs))
        partial = re.sub(r"^∂/∂\w = ", "", partial)
        if partial == "1":
            formula = f"{letter} = ḡ"
        elif partial == "-1":
            formula = f"{letter} = -ḡ"
        else:
            wrapped = f"({partial})" if " " in partial else partial
            formula = f"{letter} = ḡ ⊙ {wrapped}"
        shapes = f"({shape_text(g_shape)}) → {out}"
        if np.shape(share) != g_shape:
            shapes += ", summed over the broadcast axes"
        return f"{op.name}: {formula}  {shapes}"
    return f"{op.name}: {op.formula}  ({shape_text(g_shape)}) → {out}"


def gradients_after(steps, index: int) -> dict[int, np.ndarray]:
    """``{id(node): gradient}`` for the nodes that hold one after step ``index``."""
    known: dict[int, np.ndarray] = {}
    for step in steps[: index + 1]:
        known.setdefault(id(step.node), step.upstream)
        for share in step.shares:
            known[id(share.parent)] = share.total
    return known


__all__ = [
    "ArrayBackwardStep",
    "ArrayGraph",
    "ArrayShare",
    "array_backward_steps",
    "gradients_after",
    "label_array",
    "trace_arrays",
]
