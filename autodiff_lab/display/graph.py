"""Draw the computation graph behind a `Value`, in the style of micrograd.

Each value is a record ``label | data | grad``; each operation is a small
circle holding the primitive's symbol, with one edge from every parent into
it and one edge out to the value it produced. The picture is a
``graphviz.Digraph`` (a `GraphDrawing`), rendered to SVG by
`autodiff_lab.display.render`, which works with or without Graphviz installed.

Node names are positions in the topological order (``n0``, ``n1``, …), so the
same computation always gives the same drawing, and no memory address ever
appears in it. An unlabelled value is shown by the name `node_names` gives it
(x1, x2, … for inputs, v1, v2, … for operations), the same name the steppers
use. A plain number the code mixed in (the 2 in ``2 * x``) is a constant: it is
drawn grey, holding just its number, with no grad, because the engine does not
differentiate with respect to it.

Steppers draw one graph per step; with ``sizes`` (from `stable_sizes`) every
box and edge label gets a fixed size that fits its text at every step, so
Graphviz lays out each step identically and only texts and colours change.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import graphviz

from ..reverse import Value, topological_order
from ..text import format_number, node_names
from . import render

DEFAULT_MAX_NODES = 200

# Colours: a quiet palette, and one loud colour for what the learner should look at.
_VALUE_FILL = "#eef3fb"
_LEAF_FILL = "#e6f4ea"
_OP_FILL = "#ffffff"
_HIGHLIGHT_FILL = "#ffe9a8"
_HIGHLIGHT_LINE = "#d62728"
_HIDDEN_FILL = "#f2f2f2"
_CONSTANT_FILL = "#ececec"
_CONSTANT_LINE = "#888888"
_FONT_SIZE = 11  # points, for boxes and edge labels alike: readable at notebook size

_ADDRESS = re.compile(r"\s*(?:at\s+)?0x[0-9a-fA-F]+")
_RECORD_SPECIALS = re.compile(r'([\\{}|<>"])')


@dataclass(frozen=True)
class FixedSizes:
    """Widths in points that fit every step's texts: per node, one per field;
    per edge ``(parent, child, slot)``, its label's width."""

    fields: Mapping[Value, tuple[float, ...]]
    edges: Mapping[tuple, float]


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders itself without needing Graphviz.

    In Jupyter it shows as SVG from `render.render_svg` (``dot`` when present,
    a built-in drawing otherwise). ``shown_values`` and ``total_values`` say
    how much of a large graph made it into the picture.
    """

    shown_values = 0
    total_values = 0
    # Graphviz names of the highlighted nodes (and the ends of highlighted edges), in
    # the order given: what a stepper's picture keeps in view.
    focus: tuple[str, ...] = ()

    def svg(self, backend: str | None = None) -> str:
        """The drawing as SVG text (see `render.render_svg` for ``backend``)."""
        return render.render_svg(self, backend=backend)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        return render.picture_bundle(self.svg(), repr(self))

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
    sizes: FixedSizes | None = None,
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
    sizes          fixed box and edge-label sizes from `stable_sizes`, so that
                   drawings of the same graph share one layout.
    """
    roots = _as_roots(value)
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f'rankdir must be "LR", "TB", "RL" or "BT", got {rankdir!r}')
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1 (or None for no limit), got {max_nodes}")

    order = topological_order(roots)
    position = {node: index for index, node in enumerate(order)}
    names = node_names(order)
    hidden_count = 0 if max_nodes is None else max(0, len(order) - max_nodes)
    # The nodes computed last are the ones nearest the output; every child of
    # a shown node is shown too, so hidden nodes all lie upstream.
    shown = order[hidden_count:]

    highlighted_nodes, highlighted_edges = _split_highlight(highlight, position)
    labels_by_edge = _edge_label_table(edge_labels, position)
    notes = _notes_by_position(node_notes, position)

    drawing = new_drawing(rankdir)
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
        fields = _node_fields(node, names[node], show_data, show_grad, notes.get(index, ()))
        emphasised = index in highlighted_nodes
        if node.is_constant:
            fill, line = _CONSTANT_FILL, _CONSTANT_LINE
        else:
            fill, line = (_LEAF_FILL if node.op is None else _VALUE_FILL), "#333333"
        widths = None if sizes is None else sizes.fields.get(node)
        drawing.node(
            f"n{index}", **box_attributes(fields, fill, line, emphasised, widths, node.is_constant)
        )
        if node.op is None:
            continue
        op_name = f"n{index}op"
        drawing.node(
            op_name, **op_attributes(node.op.symbol, node.op.name, emphasised, sizes is not None)
        )
        drawing.edge(op_name, f"n{index}", **edge_style(emphasised))
        for slot, (parent, partial) in enumerate(zip(node.parents, node.local_partials)):
            parent_index = position[parent]
            if parent_index < hidden_count:
                if op_name not in hidden_fed_ops:
                    hidden_fed_ops.add(op_name)
                    drawing.edge("hidden", op_name, style="dashed")
                continue
            edge = (parent_index, index)
            text = labels_by_edge.get((*edge, slot), labels_by_edge.get(edge))
            if text is None and show_partials and not parent.is_constant:
                text = "∂ " + format_number(partial)
            on_highlight = edge in highlighted_edges or (*edge, slot) in highlighted_edges
            attributes = edge_style(on_highlight)
            width = None if sizes is None else sizes.edges.get((parent, node, slot))
            if width is not None:
                attributes["label"] = _fixed_edge_label(text or "", width)
            elif text is not None:
                attributes["label"] = _plain_text(text)
            drawing.edge(f"n{parent_index}", op_name, **attributes)

    drawing.focus = _focus_names(highlight, position, hidden_count)
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


def stable_sizes(
    value,
    steps: Sequence[Mapping],
    show_grad: bool = True,
    show_data: bool = True,
) -> FixedSizes:
    """Sizes that fit the texts of every step, for ``draw_graph(..., sizes=...)``.

    ``steps`` holds, per step, the ``node_notes`` and ``edge_labels`` that step
    passes to `draw_graph`. Each box field and each edge that has a label at
    any step gets the widest width it ever needs, so all steps lay out alike.
    """
    order = topological_order(_as_roots(value))
    position = {node: index for index, node in enumerate(order)}
    names = node_names(order)
    # The name, data and grad fields are the same at every step; only notes change.
    fields: dict[Value, list[float]] = {
        node: [
            _text_width(text) + 12
            for text in _node_fields(node, names[node], show_data, show_grad, ())
        ]
        for node in order
    }
    edges: dict[tuple, float] = {}
    for step in steps:
        for index, notes in _notes_by_position(step.get("node_notes"), position).items():
            node = order[index]
            if node.is_constant:
                continue  # a constant's box holds its number only
            widths = fields[node]
            base = len(_node_fields(node, "", show_data, show_grad, ()))
            for k, note in enumerate(notes, start=base):
                if k == len(widths):
                    widths.append(0.0)
                widths[k] = max(widths[k], _text_width(_shorten(note, 60)) + 12)
        for key, text in (step.get("edge_labels") or {}).items():
            parent, child, *rest = key
            slots = rest or [k for k, p in enumerate(child.parents) if p is parent]
            for slot in slots:
                edge = (parent, child, slot)
                edges[edge] = max(edges.get(edge, 0.0), _text_width(str(text)) + 8)
    return FixedSizes({node: tuple(w) for node, w in fields.items()}, edges)


def mimebundle(value) -> dict:
    """What Jupyter shows for a `Value`: its graph as SVG, and its repr as text.

    Always the same two MIME types, whatever renders the SVG, and it never
    raises: a drawing that fails becomes an SVG holding the value's text.
    """
    try:
        text = repr(value)
    except Exception:  # a display hook must not fail, whatever the data holds
        text = "<Value>"
    return render.svg_bundle(lambda: draw_graph(value), _ADDRESS.sub("", text))


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


def _focus_names(highlight, position: dict, hidden_count: int) -> tuple[str, ...]:
    """The Graphviz names of what ``highlight`` emphasises, in its order, drawn nodes only."""
    items = [highlight] if isinstance(highlight, (Value, tuple)) else list(highlight or ())
    names: list[str] = []
    for item in items:
        if isinstance(item, Value):
            nodes, op = [item], item
        elif isinstance(item, tuple) and _edge_key(item, position) is not None:
            nodes, op = [item[0]], item[1]
        else:
            continue
        for node in nodes:
            if position.get(node, -1) >= hidden_count:
                names.append(f"n{position[node]}")
        if op.op is not None and position.get(op, -1) >= hidden_count:
            names.append(f"n{position[op]}op")
    return tuple(dict.fromkeys(names))


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


def new_drawing(rankdir: str) -> GraphDrawing:
    """An empty drawing in the house style (fonts, edge colour, direction)."""
    # Top to bottom, the nodes of a rank stand side by side: closer together, so that a
    # network's graph fits a laptop's width.
    spacing = {"nodesep": "0.12"} if rankdir in ("TB", "BT") else {}
    return GraphDrawing(
        graph_attr={
            "rankdir": rankdir,
            "fontname": "Helvetica",
            "fontsize": str(_FONT_SIZE),
            # At most one round of network simplex per node when dot places the nodes:
            # y = tanh(1.01·y) + x repeated 30 times took dot 3.7 s, and 60 times over a
            # minute, against 0.17 s and 0.8 s with these; small graphs come out the same.
            "nslimit": "1",
            "nslimit1": "1",
            **spacing,
        },
        node_attr={"fontname": "Helvetica", "fontsize": str(_FONT_SIZE)},
        edge_attr={"fontname": "Helvetica", "fontsize": str(_FONT_SIZE), "color": "#555555"},
    )


def box_attributes(
    fields: Sequence[str],
    fill: str,
    line: str,
    emphasised: bool,
    widths: Sequence[float] | None = None,
    small: bool = False,
) -> dict:
    """Node attributes for a box of fields: fixed cells when ``widths`` is given
    (see `stable_sizes`), else a record (``small``: as narrow as a number)."""
    fill = _HIGHLIGHT_FILL if emphasised else fill
    line = _HIGHLIGHT_LINE if emphasised else line
    if widths is not None:
        return _fixed_box(fields, widths, fill, line)
    return {
        "label": "{ " + " | ".join(_record_text(field) for field in fields) + " }",
        "shape": "record",
        "style": "filled",
        "fillcolor": fill,
        "color": line,
        "penwidth": "2.5" if emphasised else "1",
        **({"width": "0.3"} if small else {}),
    }


def op_attributes(symbol: str, tooltip: str, emphasised: bool, fixed: bool = False) -> dict:
    """Node attributes for an operation's circle (``fixed``: sized by its text, for steppers)."""
    symbol = _plain_text(symbol)
    return {
        "label": symbol,
        "shape": "circle",
        "style": "filled",
        "fillcolor": _HIGHLIGHT_FILL if emphasised else _OP_FILL,
        "color": _HIGHLIGHT_LINE if emphasised else "#333333",
        "penwidth": "2" if emphasised else "1",
        "margin": "0.02",
        "tooltip": tooltip,
        **(_fixed_circle(symbol) if fixed else {"width": "0.3"}),
    }


def edge_style(emphasised: bool) -> dict:
    """Edge attributes: the loud colour on a highlighted edge."""
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


def _notes_by_position(node_notes, position: dict) -> dict[int, list[str]]:
    return {
        position[node]: [text] if isinstance(text, str) else [str(part) for part in text]
        for node, text in (node_notes or {}).items()
        if node in position
    }


def _node_fields(node: Value, name: str, show_data, show_grad, notes) -> list[str]:
    """The texts of a value's box: name, data, grad and notes (a constant: its number)."""
    if node.is_constant:
        return [_shorten(name)]
    fields = [_shorten(str(name))]
    if show_data:
        fields.append("data " + format_number(node.data))
    if show_grad:
        fields.append("grad " + format_number(node.grad))
    fields.extend(_shorten(note, 60) for note in notes)
    return fields


# Helvetica advance widths in thousandths of an em, for the characters drawings use.
_NARROW = frozenset(" .,:;!|()[]'ijlft/")
_WIDE = frozenset("mwMW∂×=+−<>~")


@functools.lru_cache(maxsize=4096)  # steppers measure the same few texts at every step
def _text_width(text: str, size: float = _FONT_SIZE) -> float:
    """A generous estimate of the width of ``text`` in points."""
    total = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        if char in _NARROW:
            total += 0.30
        elif char in _WIDE or char.isupper():
            total += 0.75
        else:
            total += 0.62
    return total * size


_CELL_HEIGHT = 18.0
_BORDER = 2  # the same for plain and highlighted boxes, so highlighting moves nothing


def _fixed_box(fields, widths, fill: str, line: str) -> dict:
    """Node attributes for a box of fixed-size cells (an HTML-like label), one field per
    row: narrow boxes, so a stepper's picture fits a notebook without shrinking."""
    width = max(widths)
    rows = "".join(
        f'<TR><TD WIDTH="{width:.0f}" HEIGHT="{_CELL_HEIGHT:.0f}" FIXEDSIZE="TRUE">'
        f"{html.escape(text) or ' '}</TD></TR>"
        for text in fields
    )
    table = (
        f'<TABLE BORDER="{_BORDER}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="0" '
        f'COLOR="{line}" BGCOLOR="{fill}">{rows}</TABLE>'
    )
    return {"label": f"<{table}>", "shape": "plain"}


def _fixed_circle(symbol: str) -> dict:
    diameter = max(0.3, (_text_width(symbol) + 8) / 72)
    return {"width": f"{diameter:.3f}", "height": f"{diameter:.3f}", "fixedsize": "true"}


def _fixed_edge_label(text: str, width: float) -> str:
    """An edge label in a cell of fixed size: the same space whatever it says, or if empty."""
    cell = (
        f'<TD WIDTH="{width:.0f}" HEIGHT="16" FIXEDSIZE="TRUE">'
        f"{html.escape(_plain_text(text)) or ' '}</TD>"
    )
    return f'<<TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR>{cell}</TR></TABLE>>'
