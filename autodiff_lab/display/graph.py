"""Draw the computation graph behind a `Value`, in the style of micrograd.

Each value is a record ``label | data | grad``; each operation is a small
circle holding the primitive's symbol, with one edge from every parent into
it and one edge out to the value it produced. The picture is a
``graphviz.Digraph`` (a `GraphDrawing`), rendered to SVG by
`autodiff_lab.display.render`, which works with or without Graphviz installed.

Node names are positions in the topological order (``n0``, ``n1``, …), so the
same computation always gives the same drawing, and no memory address ever
appears in it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from numbers import Real

import graphviz

from ..reverse import Value, topological_order
from . import render

DEFAULT_MAX_NODES = 200

# Colours: a quiet palette, and one loud colour for what the learner should look at.
_VALUE_FILL = "#eef3fb"
_LEAF_FILL = "#e6f4ea"
_OP_FILL = "#ffffff"
_HIGHLIGHT_FILL = "#ffe9a8"
_HIGHLIGHT_LINE = "#d62728"
_HIDDEN_FILL = "#f2f2f2"

_ADDRESS = re.compile(r"\s*(?:at\s+)?0x[0-9a-fA-F]+")
_RECORD_SPECIALS = re.compile(r'([\\{}|<>"])')


def format_number(number) -> str:
    """A number for a picture: 4 significant digits, dual numbers as ``a + bε``."""
    if isinstance(number, bool):
        return str(number)
    if isinstance(number, Real):
        number = float(number)
        if number == 0:
            return "0"  # also for -0.0, which would only distract
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return f"{number:.4g}"
    primal = getattr(number, "primal", None)
    tangent = getattr(number, "tangent", None)
    if primal is not None and tangent is not None:
        return f"{format_number(primal)} + {format_number(tangent)}ε"
    text = _ADDRESS.sub("", repr(number))
    return text if len(text) <= 40 else text[:39] + "…"


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders itself without needing Graphviz.

    In Jupyter it shows as SVG from `render.render_svg` (``dot`` when present,
    a built-in drawing otherwise). ``shown_values`` and ``total_values`` say
    how much of a large graph made it into the picture.
    """

    shown_values = 0
    total_values = 0

    def svg(self, backend: str | None = None) -> str:
        """The drawing as SVG text (see `render.render_svg` for ``backend``)."""
        return render.render_svg(self, backend=backend)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        return {"image/svg+xml": self.svg(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        if self.shown_values < self.total_values:
            return f"<computation graph: {self.shown_values} of {self.total_values} values shown>"
        return f"<computation graph: {self.total_values} values>"


def draw_graph(
    value,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_partials: bool = False,
    highlight=None,
    edge_labels: Mapping | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    node_notes: Mapping | None = None,
    show_data: bool = True,
) -> GraphDrawing:
    """Draw every value that ``value`` was computed from, and the operations between them.

    value          a `Value`, or a list of Values (several outputs in one picture).
    rankdir        "LR" (inputs on the left), "TB", "RL" or "BT".
    show_grad      show each value's ``.grad`` (its adjoint after ``backward()``).
    show_partials  label each edge parent → operation with the local partial
                   ∂child/∂parent recorded at forward time.
    highlight      Values to emphasise, and edges as ``(parent, child)`` pairs
                   (or ``(parent, child, slot)`` to pick one edge of ``x * x``).
    edge_labels    ``{(parent, child): text}`` (or with a slot) drawn on the
                   edge from ``parent`` into ``child``'s operation; wins over
                   ``show_partials`` on that edge.
    max_nodes      draw at most this many values, those nearest the output;
                   the rest become one "… N more values" box. None: no limit.
    node_notes     ``{value: text}``, one extra field in that value's box (a tuple
                   of texts gives one field each).
    show_data      show each value's ``.data`` (off for a stepper that fills it in).
    """
    roots = _as_roots(value)
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f'rankdir must be "LR", "TB", "RL" or "BT", got {rankdir!r}')
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1 (or None for no limit), got {max_nodes}")

    order = topological_order(roots)
    position = {node: index for index, node in enumerate(order)}
    hidden_count = 0 if max_nodes is None else max(0, len(order) - max_nodes)
    # The nodes computed last are the ones nearest the output; every child of
    # a shown node is shown too, so hidden nodes all lie upstream.
    shown = order[hidden_count:]

    highlighted_nodes, highlighted_edges = _split_highlight(highlight, position)
    labels_by_edge = _edge_label_table(edge_labels, position)
    notes = {
        position[node]: [text] if isinstance(text, str) else [str(part) for part in text]
        for node, text in (node_notes or {}).items()
        if node in position
    }

    drawing = GraphDrawing(
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#555555"},
    )
    drawing.shown_values = len(shown)
    drawing.total_values = len(order)

    if hidden_count:
        drawing.node(
            "hidden",
            label=f"… {hidden_count:,} more values",
            shape="box",
            style="rounded,filled,dashed",
            fillcolor=_HIDDEN_FILL,
        )
    hidden_fed_ops = set()
    for node in shown:
        index = position[node]
        fields = []
        if node.label is not None:
            fields.append(_record_text(_shorten(str(node.label))))
        if show_data:
            fields.append("data " + _record_text(format_number(node.data)))
        if show_grad:
            fields.append("grad " + _record_text(format_number(node.grad)))
        for note in notes.get(index, ()):
            fields.append(_record_text(_shorten(note, 60)))
        if not fields:
            fields.append(" ")
        emphasised = index in highlighted_nodes
        fill = _LEAF_FILL if node.op is None else _VALUE_FILL
        drawing.node(
            f"n{index}",
            label="{ " + " | ".join(fields) + " }",
            shape="record",
            style="filled",
            fillcolor=_HIGHLIGHT_FILL if emphasised else fill,
            color=_HIGHLIGHT_LINE if emphasised else "#333333",
            penwidth="2.5" if emphasised else "1",
        )
        if node.op is None:
            continue
        op_name = f"n{index}op"
        drawing.node(
            op_name,
            label=_plain_text(node.op.symbol),
            shape="circle",
            style="filled",
            fillcolor=_HIGHLIGHT_FILL if emphasised else _OP_FILL,
            color=_HIGHLIGHT_LINE if emphasised else "#333333",
            penwidth="2" if emphasised else "1",
            width="0.3",
            margin="0.02",
            tooltip=node.op.name,
        )
        drawing.edge(op_name, f"n{index}", **_edge_style(emphasised))
        for slot, (parent, partial) in enumerate(zip(node.parents, node.local_partials)):
            parent_index = position[parent]
            if parent_index < hidden_count:
                if op_name not in hidden_fed_ops:
                    hidden_fed_ops.add(op_name)
                    drawing.edge("hidden", op_name, style="dashed")
                continue
            edge = (parent_index, index)
            text = labels_by_edge.get((*edge, slot), labels_by_edge.get(edge))
            if text is None and show_partials:
                text = "∂ " + format_number(partial)
            on_highlight = edge in highlighted_edges or (*edge, slot) in highlighted_edges
            attributes = _edge_style(on_highlight)
            if text is not None:
                attributes["label"] = _plain_text(text)
            drawing.edge(f"n{parent_index}", op_name, **attributes)

    if hidden_count:
        drawing.attr(
            label=(
                f"Showing the {len(shown):,} values computed last (nearest the output) of "
                f"{len(order):,}; the {hidden_count:,} computed earlier are collapsed into one "
                f"box. Pass max_nodes to draw more."
            ),
            labelloc="b",
        )
    return drawing


def mimebundle(value) -> dict:
    """What Jupyter shows for a `Value`: its graph as SVG, and its repr as text.

    Always the same two MIME types, whatever renders the SVG, and it never
    raises: a drawing that fails becomes an SVG holding the value's text.
    """
    try:
        text = repr(value)
    except Exception:  # a display hook must not fail, whatever the data holds
        text = "<Value>"
    text = _ADDRESS.sub("", text)
    try:
        svg = render.render_svg(draw_graph(value))
    except Exception:
        svg = render.text_svg(text)
    return {"image/svg+xml": svg, "text/plain": text}


# ---------------------------------------------------------------------------
# Helpers


def _as_roots(value) -> list[Value]:
    if isinstance(value, Value):
        return [value]
    try:
        roots = list(getattr(value, "flat", value))
    except TypeError:
        roots = None
    if not roots or not all(isinstance(root, Value) for root in roots):
        raise TypeError(
            f"draw_graph() needs a Value or a list of Values, got {type(value).__name__}; "
            "compute with Values (for example Value(2.0, label='x')) to get a graph"
        )
    return roots


def _split_highlight(highlight, position: dict) -> tuple[set, set]:
    """Node positions and edge keys ``(parent, child[, slot])`` to emphasise."""
    nodes: set[int] = set()
    edges: set[tuple] = set()
    if highlight is None:
        return nodes, edges
    items = [highlight] if isinstance(highlight, (Value, tuple)) else highlight
    for item in items:
        if isinstance(item, Value):
            if item in position:
                nodes.add(position[item])
        elif isinstance(item, tuple):
            key = _edge_key(item, position)
            if key is not None:
                edges.add(key)
    return nodes, edges


def _edge_label_table(edge_labels, position: dict) -> dict:
    table = {}
    for key, text in (edge_labels or {}).items():
        edge = _edge_key(key, position)
        if edge is not None:
            table[edge] = str(text)
    return table


def _edge_key(item: tuple, position: dict):
    if len(item) not in (2, 3) or not all(isinstance(node, Value) for node in item[:2]):
        return None
    parent, child = item[0], item[1]
    if parent not in position or child not in position:
        return None
    return (position[parent], position[child], *item[2:])


def _edge_style(emphasised: bool) -> dict:
    if emphasised:
        return {"color": _HIGHLIGHT_LINE, "penwidth": "2.5", "fontcolor": _HIGHLIGHT_LINE}
    return {}


def _shorten(text: str, limit: int = 40) -> str:
    text = _ADDRESS.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _record_text(text: str) -> str:
    """Escape the characters that structure a Graphviz record label."""
    return _RECORD_SPECIALS.sub(r"\\\1", text.replace("\n", " "))


def _plain_text(text: str) -> str:
    """Escape backslashes so Graphviz shows the text as written."""
    return text.replace("\\", "\\\\").replace("\n", " ")
