"""Draw an `ArrayGraph`: one box per array, labelled with its name and shape.

The look is the scalar drawings' (`autodiff_lab.display.graph`): a box per
array (``X (100×64)``), a circle per operation (``matmul``, ``+``, ``tanh``),
inputs green, the node being looked at in the loud colour. An array of a few
entries also shows its numbers; after ``backward()`` each box shows its
gradient (numbers when small, else its shape, which is always the array's).
A plain number or array the code mixed in (the 2 in ``2 * x``) is a grey box.

Graphviz names are positions in ``graph.nodes`` (``n0``, ``n1``, …, ``n3op``
for node 3's operation, ``n3c1`` for its constant argument 1), so a drawing
never shows a memory address and every step of a stepper names alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..array_steps import array_text, is_operand
from ..array_trace import ArrayGraph
from ..arrays import ArrayNode, numbers
from ..text import SMALL, shape_text
from . import render
from .graph import (
    _CONSTANT_FILL,
    _CONSTANT_LINE,
    _LEAF_FILL,
    _VALUE_FILL,
    FixedSizes,
    GraphDrawing,
    _fixed_edge_label,
    _plain_text,
    _shorten,
    _text_width,
    box_attributes,
    edge_style,
    new_drawing,
    op_attributes,
)

_SYMBOLS = {"add": "+", "sub": "-", "mul": "×", "div": "/", "pow": "^", "neg": "-", "matmul": "@"}


def op_symbol(node: ArrayNode) -> str:
    """What an operation's circle holds: ``@`` for matmul, ``+``, ``tanh``, ``sum``."""
    return _SYMBOLS.get(node.op.name, node.op.name)


def node_fields(graph: ArrayGraph, node: ArrayNode, show_data: bool, show_grad: bool) -> list:
    """A box's texts: ``name (shape)``, its numbers if small, its gradient if known."""
    fields = [f"{_shorten(graph.name(node))} ({shape_text(node.shape)})"]
    value = numbers(node.value)
    if show_data and value.size <= SMALL:
        fields.append("data " + array_text(value))
    if show_grad:
        gradient = graph.grad_of(node)
        fields.append("grad " + ("?" if gradient is None else array_text(gradient)))
    return fields


def _constants(node: ArrayNode) -> list[int]:
    parents = set(node.positions)
    return [p for p in range(len(node.inputs)) if p not in parents and is_operand(node, p)]


def draw_array_graph(
    graph: ArrayGraph,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool | None = None,
    highlight: Sequence = (),
    edge_labels: Mapping | None = None,
    node_notes: Mapping | None = None,
    sizes: FixedSizes | None = None,
) -> GraphDrawing:
    """Draw every array of ``graph`` and the operations between them.

    show_grad    show gradients (default: once ``graph.backward()`` has run).
    highlight    nodes to emphasise, and edges as ``(parent, child, position)``.
    edge_labels  ``{(parent, child, position): text}`` on the edge into child's operation.
    node_notes   ``{node: text}``, one extra field in that node's box.
    sizes        fixed sizes from `array_stable_sizes`, so a stepper's steps share one layout.
    """
    if not isinstance(graph, ArrayGraph):
        raise TypeError(
            f"draw_array_graph needs an ArrayGraph from trace_arrays, got {type(graph).__name__}"
        )
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f'rankdir must be "LR", "TB", "RL" or "BT", got {rankdir!r}')
    show_grad = bool(graph.steps) if show_grad is None else show_grad
    index = {id(node): k for k, node in enumerate(graph.nodes)}
    if isinstance(highlight, (ArrayNode, tuple)):  # one node, or one edge
        highlight = [highlight]
    emphasised_nodes = {id(item) for item in highlight if isinstance(item, ArrayNode)}
    emphasised_edges = {_edge_id(item, index) for item in highlight if isinstance(item, tuple)}
    labels = {_edge_id(key, index): str(text) for key, text in (edge_labels or {}).items()}
    labels.pop(None, None)  # edges of some other graph: nothing to label here
    notes = {id(node): text for node, text in (node_notes or {}).items()}
    fixed = {} if sizes is None else sizes.fields

    drawing = new_drawing(rankdir)
    drawing.shown_values = drawing.total_values = len(graph.nodes)
    for k, node in enumerate(graph.nodes):
        name = f"n{k}"
        emphasised = id(node) in emphasised_nodes
        fields = node_fields(graph, node, show_data, show_grad)
        if id(node) in notes:
            fields.append(_shorten(str(notes[id(node)]), 60))
        fill = _LEAF_FILL if node.op is None else _VALUE_FILL
        drawing.node(name, **box_attributes(fields, fill, "#333333", emphasised, fixed.get(name)))
        if node.op is None:
            continue
        op_name = f"{name}op"
        drawing.node(
            op_name, **op_attributes(op_symbol(node), node.op.name, emphasised, sizes is not None)
        )
        drawing.edge(op_name, name, **edge_style(emphasised))
        arguments = [
            (position, f"n{index[id(parent)]}")
            for position, parent in zip(node.positions, node.parents)
        ]
        for position in _constants(node):
            constant = f"{name}c{position}"
            text = [_shorten(array_text(node.inputs[position]))]
            attributes = box_attributes(
                text, _CONSTANT_FILL, _CONSTANT_LINE, False, fixed.get(constant), small=True
            )
            drawing.node(constant, **attributes)
            arguments.append((position, constant))
        for position, tail in sorted(arguments):
            key = (tail, name, position)
            attributes = edge_style(key in emphasised_edges)
            width = None if sizes is None else sizes.edges.get(key)
            text = labels.get(key)
            if width is not None:
                attributes["label"] = _fixed_edge_label(text or "", width)
            elif text is not None:
                attributes["label"] = _plain_text(text)
            drawing.edge(tail, op_name, **attributes)
    drawing.focus = _focus_names(highlight, index)
    return drawing


def _focus_names(highlight: Sequence, index: dict) -> tuple[str, ...]:
    """The Graphviz names of what ``highlight`` emphasises, in its order (see GraphDrawing)."""
    names: list[str] = []
    for item in highlight:
        if isinstance(item, ArrayNode) and id(item) in index:
            k = index[id(item)]
            names.append(f"n{k}")
            if item.op is not None:
                names.append(f"n{k}op")
        elif isinstance(item, tuple):
            edge = _edge_id(item, index)
            if edge is not None:
                names.extend([edge[0], f"{edge[1]}op"])
    return tuple(dict.fromkeys(names))


def array_stable_sizes(
    graph: ArrayGraph, steps: Sequence[Mapping], show_data: bool = True, show_grad: bool = False
) -> FixedSizes:
    """Box and edge-label sizes that fit every step's texts, keyed by Graphviz name.

    ``steps`` holds, per step, the ``node_notes`` and ``edge_labels`` it passes to
    `draw_array_graph`; every field gets the widest width any step needs.
    """
    index = {id(node): k for k, node in enumerate(graph.nodes)}
    fields: dict[str, list[float]] = {}
    for k, node in enumerate(graph.nodes):
        fields[f"n{k}"] = [
            _text_width(text) + 12 for text in node_fields(graph, node, show_data, show_grad)
        ]
        for position in _constants(node):
            text = _shorten(array_text(node.inputs[position]))
            fields[f"n{k}c{position}"] = [_text_width(text) + 12]
    edges: dict[tuple, float] = {}
    for step in steps:
        for node, note in (step.get("node_notes") or {}).items():
            if id(node) not in index:
                continue  # drawn only for nodes of this graph
            widths = fields[f"n{index[id(node)]}"]
            base = len(node_fields(graph, node, show_data, show_grad))
            if len(widths) == base:
                widths.append(0.0)
            widths[base] = max(widths[base], _text_width(_shorten(str(note), 60)) + 12)
        for key, text in (step.get("edge_labels") or {}).items():
            edge = _edge_id(key, index)
            if edge is not None:
                edges[edge] = max(edges.get(edge, 0.0), _text_width(str(text)) + 8)
    return FixedSizes({name: tuple(w) for name, w in fields.items()}, edges)


def array_mimebundle(graph: ArrayGraph) -> dict:
    """What Jupyter shows for an `ArrayGraph`: its drawing as SVG and its repr. Never raises."""
    return render.svg_bundle(lambda: draw_array_graph(graph), repr(graph))


def _edge_id(key: tuple, index: dict) -> tuple | None:
    """``(parent, child, position)`` of nodes as Graphviz names; a parent that is not a
    node (a constant argument) is named by its child and position. None if the child
    is not in the graph."""
    if len(key) != 3 or id(key[1]) not in index:
        return None
    parent, child, position = key
    child_name = f"n{index[id(child)]}"
    if isinstance(parent, ArrayNode) and id(parent) in index:
        return (f"n{index[id(parent)]}", child_name, position)
    return (f"{child_name}c{position}", child_name, position)
