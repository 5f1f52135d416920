"""Turn a ``graphviz.Digraph`` into SVG text, with or without Graphviz installed.

Three backends, tried in this order until one works:

  dot      the Graphviz ``dot`` program, if it is on PATH;
  pure     the ``graphviz-pure`` command (``pip install graphviz-pure``), a
           static build of Graphviz that needs no system package;
  builtin  a small layered drawing made here in pure Python, for machines
           with neither (JupyterLite, locked-down labs). Plainer, never fails.

Choose one with ``render_svg(graph, backend="builtin")`` or the environment
variable ``AUTODIFF_LAB_GRAPHVIZ=dot|pure|builtin``; if it is missing or fails,
the next one down the list is used. `render_svg` never raises.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

BACKENDS = ("dot", "pure", "builtin")
ENVIRONMENT_VARIABLE = "AUTODIFF_LAB_GRAPHVIZ"
TIMEOUT_SECONDS = 5.0

# The prolog, doctype and comments carry Graphviz's version and vary between
# installations; the picture does not need them.
_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.DOTALL)


def rendering_backend(backend: str | None = None) -> str:
    """The backend `render_svg` tries first: "dot", "pure" or "builtin"."""
    for name in _candidates(backend):
        if name == "builtin" or _executable(name) is not None:
            return name
    return "builtin"


def render_svg(graph, backend: str | None = None, timeout: float = TIMEOUT_SECONDS) -> str:
    """SVG text for ``graph`` (a ``graphviz.Digraph`` or DOT source). Never raises."""
    return render_svg_with_backend(graph, backend, timeout)[0]


def render_svg_with_backend(
    graph, backend: str | None = None, timeout: float = TIMEOUT_SECONDS
) -> tuple[str, str]:
    """``(svg, name of the backend that drew it)``; "text" if every backend failed."""
    try:
        source = graph if isinstance(graph, str) else str(graph.source)
    except Exception as error:  # an object that is not a graph at all
        return text_svg(f"cannot draw {type(graph).__name__}: {error}"), "text"
    candidates = _candidates(backend)
    for name in candidates:
        if name == "builtin":
            try:
                return builtin_svg(source), "builtin"
            except Exception as error:  # the last drawing backend: show why instead of raising
                return text_svg(f"could not draw this graph ({type(error).__name__})"), "text"
        program = _executable(name)
        if program is None:
            continue
        svg = _run_graphviz(program, source, timeout)
        if svg is _TIMED_OUT and "builtin" in candidates:
            # A layout too slow for one Graphviz is too slow for the other: don't wait twice.
            return render_svg_with_backend(source, "builtin", timeout)
        if isinstance(svg, str):
            return svg, name
    return text_svg("could not draw this graph"), "text"


def _candidates(backend: str | None) -> list[str]:
    """Backends to try in order: the one asked for first, then the rest."""
    wanted = backend or os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() or None
    if wanted not in BACKENDS:
        return list(BACKENDS)
    return list(BACKENDS[BACKENDS.index(wanted) :])


def _executable(name: str) -> str | None:
    if name == "dot":
        return shutil.which("dot")
    found = shutil.which("graphviz-pure")
    if found:
        return found
    # A virtual environment that is not activated still has it beside python.
    for candidate in ("graphviz-pure", "graphviz-pure.exe"):
        path = Path(sys.executable).parent / candidate
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


_TIMED_OUT = object()


def _run_graphviz(program: str, source: str, timeout: float):
    """The SVG text, None if the program failed, or _TIMED_OUT."""
    try:
        finished = subprocess.run(
            [program, "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _TIMED_OUT
    except (OSError, subprocess.SubprocessError):
        return None
    if finished.returncode != 0:
        return None
    svg = _PROLOG.sub("", finished.stdout.decode("utf-8", errors="replace")).strip()
    return svg if svg.startswith("<svg") else None


def svg_bundle(draw, text: str) -> dict:
    """A display hook's MIME bundle for the drawing ``draw()`` (see `picture_bundle`).

    It never raises: a drawing that fails becomes an SVG holding the text.
    """
    try:
        svg = render_svg(draw())
    except Exception:  # a display hook must not fail, whatever the data holds
        svg = text_svg(text)
    return picture_bundle(svg, text)


def picture_bundle(svg: str, text: str) -> dict:
    """SVG as Jupyter should show it, whether or not the notebook is trusted.

    JupyterLab shows a saved ``image/svg+xml`` output as plain text until the
    notebook is trusted (an SVG may hold scripts), but renders sanitised HTML
    holding an ``<img>`` either way; so the bundle carries both, and the SVG
    itself for other tools.
    """
    return {"text/html": svg_image_html(svg, text), "image/svg+xml": svg, "text/plain": text}


def svg_image_html(svg: str, alt: str = "drawing") -> str:
    """``svg`` as an ``<img>`` (a data URL) at its own size, in a box that scrolls sideways.

    An image cannot run scripts, so JupyterLab keeps it in untrusted notebooks
    too; it is never shrunk to the output's width, so its text stays readable.
    """
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        '<div class="autodiff-picture-box" style="overflow-x:auto; max-width:100%">'
        f'<img alt="{html.escape(alt.splitlines()[0] if alt else "drawing")}" '
        f'style="max-width:none" src="data:image/svg+xml;base64,{data}"/></div>'
    )


def text_svg(text: str) -> str:
    """A plain SVG showing ``text``: the answer when nothing else can draw."""
    lines = str(text).splitlines()[:40] or [""]
    lines = [line if len(line) <= 120 else line[:119] + "…" for line in lines]
    width = 16 + 7 * max(len(line) for line in lines)
    height = 12 + 16 * len(lines)
    rows = "".join(
        f'<text x="8" y="{20 + 16 * row}">{html.escape(line)}</text>'
        for row, line in enumerate(lines)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">'
        f'<rect width="100%" height="100%" fill="white"/>{rows}</svg>'
    )


# ---------------------------------------------------------------------------
# The built-in backend: read the DOT text, place nodes in layers, draw.


class _Node:
    __slots__ = (
        "name",
        "attrs",
        "layer",
        "fields",
        "cell_widths",
        "row_height",
        "width",
        "height",
        "x",
        "y",
    )

    def __init__(self, name: str, attrs: dict) -> None:
        self.name = name
        self.attrs = attrs
        self.layer = 0
        self.fields: list[list[str]] = []
        self.cell_widths: list[float] = []  # from an HTML table's fixed-size cells
        self.row_height = 0.0  # their height, when the cells are stacked one per row
        self.width = self.height = self.x = self.y = 0.0


_CHAR_WIDTH = 7.0
_LINE_HEIGHT = 15.0
_NODE_GAP = 14.0
_LAYER_GAP = 46.0


def builtin_svg(source: str) -> str:
    """Draw DOT source as SVG: longest-path layers, boxes, circles and straight edges."""
    graph_attrs, nodes, edges = _parse_dot(source)
    rankdir = graph_attrs.get("rankdir", "TB").upper()
    across = rankdir in ("LR", "RL")  # layers run left to right, nodes stack downwards

    for node in nodes.values():
        node.fields = _label_fields(node)
        _measure(node)
    layers = _assign_layers(nodes, edges)
    _order_layers(layers, edges, nodes)

    # Space between layers grows with the edge labels that must fit there.
    label_room = [0.0] * len(layers)
    for tail, _, attrs in edges:
        label = attrs.get("label", "")
        text = _display_text(label, tail)
        fixed = _cell_widths(label)
        if text or fixed:
            layer = nodes[tail].layer
            if across:
                size = (sum(fixed) if fixed else len(text) * 6.0) + 8
            else:
                size = _LINE_HEIGHT + 8
            label_room[layer] = max(label_room[layer], min(size, 220.0))

    margin = 12.0
    along = margin
    breadth_total = 0.0
    for index, layer in enumerate(layers):
        thickness = max((n.width if across else n.height) for n in layer)
        breadth = sum((n.height if across else n.width) for n in layer)
        breadth += _NODE_GAP * (len(layer) - 1)
        breadth_total = max(breadth_total, breadth)
        for node in layer:
            if across:
                node.x = along + thickness / 2
            else:
                node.y = along + thickness / 2
        along += thickness + _LAYER_GAP + label_room[index]
    along += margin - _LAYER_GAP
    for layer in layers:
        breadth = sum((n.height if across else n.width) for n in layer)
        breadth += _NODE_GAP * (len(layer) - 1)
        offset = margin + (breadth_total - breadth) / 2
        for node in layer:
            if across:
                node.y = offset + node.height / 2
                offset += node.height + _NODE_GAP
            else:
                node.x = offset + node.width / 2
                offset += node.width + _NODE_GAP

    width = (along if across else breadth_total + 2 * margin) or 2 * margin
    height = (breadth_total + 2 * margin if across else along) or 2 * margin
    if rankdir in ("RL", "BT"):
        for node in nodes.values():
            if across:
                node.x = width - node.x
            else:
                node.y = height - node.y

    caption = _display_text(graph_attrs.get("label", ""), "")
    caption_lines = _wrap(caption, max(40, int(width / _CHAR_WIDTH))) if caption else []
    total_height = height + _LINE_HEIGHT * len(caption_lines) + (8 if caption_lines else 0)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" '
        f'height="{total_height:.0f}pt" viewBox="0 0 {width:.1f} {total_height:.1f}" '
        'font-family="Helvetica,Arial,sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="context-stroke"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for tail, head, attrs in edges:
        parts.append(_draw_edge(nodes[tail], nodes[head], attrs, across))
    for node in nodes.values():
        parts.append(_draw_node(node))
    for row, line in enumerate(caption_lines):
        parts.append(
            f'<text x="{width / 2:.1f}" y="{height + 4 + _LINE_HEIGHT * (row + 0.8):.1f}" '
            f'text-anchor="middle">{html.escape(line)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


# -- reading DOT (the subset that graphviz.Digraph writes, tolerantly) --------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/|^\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<arrow>->|--)
  | (?P<punct>[{}\[\]=;,:])
  | (?P<id>[A-Za-z0-9_.\-\x80-\U0010ffff]+)
  | (?P<html><)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL | re.MULTILINE,
)


def _tokens(source: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        kind = match.lastgroup
        if kind == "html":  # <...> with nesting, kept whole
            depth, end = 0, position
            while end < len(source):
                if source[end] == "<":
                    depth += 1
                elif source[end] == ">":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            tokens.append(("html", source[position : end + 1]))
            position = end + 1
            continue
        text = match.group()
        position = match.end()
        if kind == "string":
            tokens.append(("id", text[1:-1].replace('\\"', '"').replace("\\\n", "")))
        elif kind in ("arrow", "punct", "id"):
            tokens.append((kind if kind != "punct" else text, text))
    return tokens


def _parse_dot(source: str):
    """Graph attributes, nodes by name (in order of appearance) and edges."""
    tokens = _tokens(source)
    graph_attrs: dict[str, str] = {}
    node_defaults: dict[str, str] = {}
    edge_defaults: dict[str, str] = {}
    nodes: dict[str, _Node] = {}
    edges: list[tuple[str, str, dict]] = []

    def ensure(name: str, attrs: dict | None = None) -> None:
        if name not in nodes:
            nodes[name] = _Node(name, dict(node_defaults))
        if attrs:
            nodes[name].attrs.update(attrs)

    def read_attrs(i: int) -> tuple[dict, int]:
        attrs: dict[str, str] = {}
        while i < len(tokens) and tokens[i][0] == "[":
            i += 1
            while i < len(tokens) and tokens[i][0] != "]":
                if tokens[i][0] in ("id", "html"):
                    key = tokens[i][1]
                    if i + 2 < len(tokens) and tokens[i + 1][0] == "=":
                        attrs[key] = tokens[i + 2][1]
                        i += 3
                        continue
                i += 1
            i += 1
        return attrs, i

    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        lowered = text.lower() if kind == "id" else ""
        if kind != "id" and kind != "html":
            i += 1
        elif (
            lowered in ("graph", "node", "edge")
            and i + 1 < len(tokens)
            and (tokens[i + 1][0] == "[")
        ):
            attrs, i = read_attrs(i + 1)
            {"graph": graph_attrs, "node": node_defaults, "edge": edge_defaults}[lowered].update(
                attrs
            )
        elif lowered in ("strict", "digraph", "graph", "subgraph"):
            i += 1
            has_name = i < len(tokens) and tokens[i][0] == "id"
            if has_name and tokens[i][1].lower() not in ("digraph", "graph"):
                i += 1
        elif i + 2 < len(tokens) and tokens[i + 1][0] == "=":
            graph_attrs[text] = tokens[i + 2][1]
            i += 3
        else:
            chain = [text]
            i += 1
            while True:
                while i < len(tokens) and tokens[i][0] == ":":  # ports: n0:f1:e
                    i += 2
                if i < len(tokens) and tokens[i][0] == "arrow" and i + 1 < len(tokens):
                    chain.append(tokens[i + 1][1])
                    i += 2
                else:
                    break
            attrs, i = read_attrs(i)
            if len(chain) == 1:
                ensure(chain[0], attrs)
            else:
                for tail, head in zip(chain, chain[1:]):
                    ensure(tail)
                    ensure(head)
                    edges.append((tail, head, {**edge_defaults, **attrs}))
    return graph_attrs, nodes, edges


def _display_text(label: str, name: str) -> str:
    if label.startswith("<") and label.endswith(">"):  # an HTML-like label: keep the words
        return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", label[1:-1])).split())
    text = label.replace("\\N", name).replace("\\G", "")
    text = re.sub(r"\\[nlr]", "\n", text)
    return re.sub(r"\\(.)", r"\1", text).strip()


_CELL = re.compile(r"<TD([^>]*)>(.*?)</TD>", re.IGNORECASE | re.DOTALL)
_WIDTH = re.compile(r'(?<![A-Z])WIDTH="([0-9.]+)"', re.IGNORECASE)
_HEIGHT = re.compile(r'HEIGHT="([0-9.]+)"', re.IGNORECASE)
_TABLE_COLOURS = re.compile(r'<TABLE[^>]*?\bCOLOR="([^"]+)"[^>]*?BGCOLOR="([^"]+)"', re.IGNORECASE)


def _cell_widths(label: str) -> list[float]:
    """The WIDTHs of an HTML-like label's fixed-size cells ([] if it has none)."""
    if not (label.startswith("<") and "FIXEDSIZE" in label.upper()):
        return []
    widths = [_WIDTH.search(attrs) for attrs, _ in _CELL.findall(label)]
    return [float(width.group(1)) for width in widths] if all(widths) else []


def _label_fields(node: _Node) -> list[list[str]]:
    """The node's text as fields (one for most shapes), each a list of lines."""
    label = node.attrs.get("label", "\\N")
    node.cell_widths = _cell_widths(label)
    if node.cell_widths:  # a table of fixed cells, one field each
        if label.upper().count("<TR") > 1:  # stacked, one cell per row
            height = _HEIGHT.search(_CELL.findall(label)[0][0])
            node.row_height = float(height.group(1)) if height else _LINE_HEIGHT + 4
        colours = _TABLE_COLOURS.search(label)
        if colours:  # the table's border and fill stand for the node's
            node.attrs.update(color=colours.group(1), fillcolor=colours.group(2), style="filled")
        return [
            _display_text(f"<{text}>", node.name).splitlines() or [""]
            for _, text in _CELL.findall(label)
        ]
    if node.attrs.get("shape", "").lower() in ("record", "mrecord") and not label.startswith("<"):
        fields = []
        for field in re.split(r"(?<!\\)\|", label):
            field = re.sub(r"(?<!\\)[{}]", "", field)
            field = re.sub(r"(?<!\\)<[^>]*>", "", field)  # port names such as <f0>
            fields.append(_display_text(field, node.name).splitlines() or [""])
        return fields
    return [_display_text(label, node.name).splitlines() or [""]]


def _field_width(field: list[str]) -> float:
    return _CHAR_WIDTH * max((len(line) for line in field), default=0) + 14


def _measure(node: _Node) -> None:
    if node.cell_widths:  # fixed-size cells (see graph.draw_graph's sizes)
        if node.row_height:
            node.width = max(node.cell_widths) + 4
            node.height = node.row_height * len(node.cell_widths) + 4
        else:
            node.width = sum(node.cell_widths) + 4
            node.height = _LINE_HEIGHT + 12
        return
    if node.attrs.get("fixedsize", "").lower() == "true":
        try:
            node.width = float(node.attrs["width"]) * 72
            node.height = float(node.attrs["height"]) * 72
            return
        except (KeyError, ValueError):
            pass  # measure the text instead
    tallest = max(len(field) for field in node.fields)
    node.height = _LINE_HEIGHT * tallest + 12
    node.width = max(sum(_field_width(field) for field in node.fields), 24.0)
    if _shape(node) in ("circle", "doublecircle"):
        node.width = node.height = max(node.width, node.height, 26.0)
    elif _shape(node) == "ellipse":
        node.width = max(node.width * 1.2, 40.0)


_BOX_SHAPES = frozenset(
    "box rect rectangle square plaintext plain none note tab folder box3d".split()
)


def _shape(node: _Node) -> str:
    shape = node.attrs.get("shape", "ellipse").lower()
    if shape in ("record", "mrecord"):
        return "record"
    if shape in ("circle", "doublecircle", "point"):
        return "circle"
    return "box" if shape in _BOX_SHAPES else "ellipse"


def _assign_layers(nodes: dict, edges: list) -> list[list[_Node]]:
    """Longest-path layering (Kahn's algorithm); nodes on a cycle go one layer on."""
    successors: dict[str, list[str]] = {name: [] for name in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for tail, head, _ in edges:
        if tail != head:
            successors[tail].append(head)
            indegree[head] += 1
    ready = [name for name in nodes if indegree[name] == 0]
    sources = set(ready)
    placed = set()
    while ready:
        name = ready.pop()
        placed.add(name)
        for head in successors[name]:
            nodes[head].layer = max(nodes[head].layer, nodes[name].layer + 1)
            indegree[head] -= 1
            if indegree[head] == 0:
                ready.append(head)
    deepest = max((nodes[name].layer for name in placed), default=-1)
    for name, node in nodes.items():
        if name not in placed:
            node.layer = deepest + 1
    # An input used only late (a weight, a constant) sits just before its first
    # use, so its edge does not run across the whole picture and through nodes.
    for name, node in nodes.items():
        if name in sources and successors[name]:
            node.layer = max(0, min(nodes[head].layer for head in successors[name]) - 1)
    count = max((node.layer for node in nodes.values()), default=-1) + 1
    layers: list[list[_Node]] = [[] for _ in range(count)]
    for node in nodes.values():
        layers[node.layer].append(node)
    return [layer for layer in layers if layer] or [[]]


def _order_layers(layers: list, edges: list, nodes: dict) -> None:
    """A few barycentre sweeps: each node moves toward the nodes it connects to."""
    predecessors: dict[str, list[str]] = {name: [] for name in nodes}
    for tail, head, _ in edges:
        predecessors[head].append(tail)
    rank: dict[str, float] = {}
    for layer in layers:
        for index, node in enumerate(layer):
            rank[node.name] = index
    for _ in range(3):
        for layer in layers:

            def key(node, layer=layer):
                linked = [rank[p] for p in predecessors[node.name] if nodes[p].layer < node.layer]
                return sum(linked) / len(linked) if linked else rank[node.name]

            layer.sort(key=key)
            for index, node in enumerate(layer):
                rank[node.name] = index


# -- drawing -------------------------------------------------------------------

_COLOUR = re.compile(r"^#?[A-Za-z0-9]{1,20}$")


def _colour(value: str | None, default: str) -> str:
    if not value:
        return default
    value = value.split(":")[0].strip()
    return value if _COLOUR.match(value) else default


def _stroke_width(attrs: dict) -> float:
    try:
        width = float(attrs.get("penwidth", "1"))
    except ValueError:
        width = 1.0
    if "bold" in attrs.get("style", ""):
        width = max(width, 2.0)
    return min(max(width, 0.5), 6.0)


def _draw_node(node: _Node) -> str:
    attrs = node.attrs
    style = attrs.get("style", "")
    line = _colour(attrs.get("color"), "black")
    fill = "white"
    if "filled" in style:
        fill = _colour(attrs.get("fillcolor") or attrs.get("color"), "white")
    text_colour = _colour(attrs.get("fontcolor"), "black")
    stroke = f'stroke="{line}" stroke-width="{_stroke_width(attrs):.1f}"'
    if "dashed" in style:
        stroke += ' stroke-dasharray="5,3"'
    left, top = node.x - node.width / 2, node.y - node.height / 2
    shape = _shape(node)
    parts = []
    if shape in ("circle", "ellipse"):
        parts.append(
            f'<ellipse cx="{node.x:.1f}" cy="{node.y:.1f}" rx="{node.width / 2:.1f}" '
            f'ry="{node.height / 2:.1f}" fill="{fill}" {stroke}/>'
        )
    else:
        rounded = ' rx="6"' if "rounded" in style else ""
        parts.append(
            f'<rect x="{left:.1f}" y="{top:.1f}" width="{node.width:.1f}" '
            f'height="{node.height:.1f}" fill="{fill}"{rounded} {stroke}/>'
        )
    if node.row_height:  # stacked cells: one field per row
        for index, field in enumerate(node.fields):
            y = top + 2 + node.row_height * index
            if index:
                parts.append(
                    f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + node.width:.1f}" '
                    f'y2="{y:.1f}" stroke="{line}"/>'
                )
            parts.append(
                f'<text x="{node.x:.1f}" y="{y + node.row_height / 2 + 4:.1f}" '
                f'text-anchor="middle" fill="{text_colour}">{html.escape(" ".join(field))}</text>'
            )
        return f'<g class="node"><title>{html.escape(node.name)}</title>{"".join(parts)}</g>'
    # Fields share the node's width in proportion to their text (or fixed cell widths).
    natural = node.cell_widths or [_field_width(field) for field in node.fields]
    total = sum(natural)
    scale = node.width / total if total else 1.0
    x = left
    for index, field in enumerate(node.fields):
        field_width = natural[index] * scale
        if index:
            parts.append(
                f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + node.height:.1f}" '
                f'stroke="{line}"/>'
            )
        first_line_y = node.y - _LINE_HEIGHT * (len(field) - 1) / 2 + 4
        for row, text in enumerate(field):
            parts.append(
                f'<text x="{x + field_width / 2:.1f}" y="{first_line_y + _LINE_HEIGHT * row:.1f}" '
                f'text-anchor="middle" fill="{text_colour}">{html.escape(text)}</text>'
            )
        x += field_width
    return f'<g class="node"><title>{html.escape(node.name)}</title>{"".join(parts)}</g>'


def _draw_edge(tail: _Node, head: _Node, attrs: dict, across: bool) -> str:
    colour = _colour(attrs.get("color"), "black")
    if across:
        direction = 1 if head.x >= tail.x else -1
        x1, y1 = tail.x + direction * tail.width / 2, tail.y
        x2, y2 = head.x - direction * head.width / 2, head.y
    else:
        direction = 1 if head.y >= tail.y else -1
        x1, y1 = tail.x, tail.y + direction * tail.height / 2
        x2, y2 = head.x, head.y - direction * head.height / 2
    dash = ' stroke-dasharray="5,3"' if "dashed" in attrs.get("style", "") else ""
    parts = [
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
        f'stroke-width="{_stroke_width(attrs):.1f}"{dash} marker-end="url(#arrow)"/>'
    ]
    label = _display_text(attrs.get("label", ""), "")
    if label:
        text_colour = _colour(attrs.get("fontcolor"), "#333333")
        parts.append(
            f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 4:.1f}" text-anchor="middle" '
            f'font-size="11" fill="{text_colour}" stroke="white" stroke-width="3" '
            f'paint-order="stroke">{html.escape(label.replace(chr(10), " "))}</text>'
        )
    return f'<g class="edge">{"".join(parts)}</g>'


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for word in paragraph.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines
