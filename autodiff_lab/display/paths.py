"""The chain rule as a sum over paths: ∂output/∂leaf = Σ over paths of Π local partials.

Every route from the output back to a leaf multiplies the local partials on
its edges; adding the products of all routes gives the derivative. Listing
them shows why ``backward()`` is clever: the number of paths can grow
exponentially with depth, while reverse mode visits each edge once.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..reverse import Value, topological_order
from .graph import GraphDrawing, draw_graph, format_number

MAX_PATHS = 10_000


@dataclass(frozen=True, eq=False)
class GradientPath:
    """One route from the output back to a leaf.

    nodes     the Values along it, output first and leaf last;
    slots     for each step, which parent of the node it leaves through
              (0 or 1: ``x * x`` has two edges from x);
    partials  the local partial on each step, ∂nodes[i]/∂nodes[i+1];
    product   their product: this path's share of the derivative.
    """

    nodes: tuple
    slots: tuple
    partials: tuple
    product: object

    @property
    def edges(self) -> list[tuple]:
        """``(parent, child, slot)`` for each step, as `draw_graph` takes them."""
        return [
            (self.nodes[step + 1], self.nodes[step], self.slots[step])
            for step in range(len(self.slots))
        ]

    def describe(self) -> str:
        """The path and its product, e.g. ``f → s → x1: 6 × 1 = 6``."""
        route = " → ".join(_name(node) for node in self.nodes)
        factors = " × ".join(format_number(partial) for partial in self.partials) or "1"
        return f"{route}: {factors} = {format_number(self.product)}"

    def __repr__(self) -> str:
        return f"<path {self.describe()}>"


class PathTable(list):
    """The paths from ``output`` to ``leaf``: a list of `GradientPath` with a table view."""

    def __init__(self, output: Value, leaf: Value, items=()) -> None:
        super().__init__(items)
        self.output = output
        self.leaf = leaf

    @property
    def total(self):
        """The sum of the path products: ∂output/∂leaf."""
        total = 0.0
        for path in self:
            total = total + path.product
        return total

    def rows(self) -> list[tuple[str, str, str]]:
        """``(path, product, running sum)`` as text, one row per path."""
        rows = []
        running = 0.0
        for path in self:
            running = running + path.product
            rows.append((path.describe(), format_number(path.product), format_number(running)))
        return rows

    def __repr__(self) -> str:
        title = (
            f"∂{_name(self.output)}/∂{_name(self.leaf)}: {len(self)} path(s), "
            f"sum {format_number(self.total)}"
        )
        if not self:
            return title + " (the output does not depend on this leaf)"
        rows = self.rows()
        width = max(len(row[0]) for row in rows)
        lines = [title, f"{'path':<{width}}  {'running sum':>11}"]
        lines += [f"{route:<{width}}  {running:>11}" for route, _, running in rows]
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><td style='text-align:left'>{html.escape(route)}</td>"
            f"<td>{html.escape(product)}</td><td>{html.escape(running)}</td></tr>"
            for route, product, running in self.rows()
        )
        caption = html.escape(
            f"∂{_name(self.output)}/∂{_name(self.leaf)} = sum of "
            f"{len(self)} path product(s) = {format_number(self.total)}"
        )
        return (
            '<table style="white-space: nowrap">'
            f'<caption style="white-space: normal">{caption}</caption>'
            "<tr><th>path (output → leaf): local partials</th><th>product</th>"
            f"<th>running sum</th></tr>{body}</table>"
        )


def count_paths(output: Value, leaf: Value) -> int:
    """How many paths lead from ``output`` back to ``leaf`` (counted, not listed)."""
    _check_values(output, leaf)
    counts = _path_counts(output, leaf)
    return counts.get(output, 0)


def paths(output: Value, leaf: Value, max_paths: int = MAX_PATHS) -> PathTable:
    """Every path from ``output`` back to ``leaf``, with the product of local partials on it.

    The products add up to ∂output/∂leaf, which is ``leaf.grad`` after a fresh
    ``output.backward()``. Raises ValueError when there are more than
    ``max_paths`` paths: that many is the point where listing them stops
    teaching anything and backward() is the only sensible way.

    >>> from autodiff_lab import Value
    >>> x1, x2 = Value(2.0, label="x1"), Value(3.0, label="x2")
    >>> f = (x1 + x2) * (x1 * x2)
    >>> [path.product for path in paths(f, x1)]
    [6.0, 15.0]
    """
    _check_values(output, leaf)
    counts = _path_counts(output, leaf)
    total = counts.get(output, 0)
    if total > max_paths:
        raise ValueError(
            f"there are {total:,} paths from the output back to {_name(leaf)}, more than "
            f"max_paths={max_paths:,}. Listing them all would take too long: this growth is "
            "exactly why reverse mode sums them edge by edge instead. Use backward(), or "
            "pass a larger max_paths if you really want the list."
        )
    table = PathTable(output, leaf)
    if total == 0:
        return table
    # Depth-first, without recursion: each stack entry is a partial path from
    # the output; parents that cannot reach the leaf are never entered.
    stack = [((output,), (), ())]
    while stack:
        nodes, slots, partials = stack.pop()
        node = nodes[-1]
        if node is leaf:
            product = 1.0
            for partial in partials:
                product = product * partial
            table.append(GradientPath(nodes, slots, partials, product))
            continue
        steps = list(enumerate(zip(node.parents, node.local_partials)))
        for slot, (parent, partial) in reversed(steps):  # slot 0 comes off the stack first
            if counts.get(parent, 0):
                stack.append((nodes + (parent,), slots + (slot,), partials + (partial,)))
    return table


def draw_path(output: Value, path: GradientPath, **options) -> GraphDrawing:
    """The graph of ``output`` with one path highlighted and its partials on its edges."""
    if not isinstance(path, GradientPath):
        raise TypeError(f"draw_path() needs one path from paths(), got {type(path).__name__}")
    edge_labels = {
        edge: "∂ " + format_number(partial) for edge, partial in zip(path.edges, path.partials)
    }
    edge_labels.update(options.pop("edge_labels", None) or {})
    highlight = [*path.nodes, *path.edges]
    return draw_graph(output, highlight=highlight, edge_labels=edge_labels, **options)


def _check_values(output, leaf) -> None:
    for name, node in (("output", output), ("leaf", leaf)):
        if not isinstance(node, Value):
            raise TypeError(
                f"paths() needs the {name} as a Value, got {type(node).__name__}; "
                "pass the Values themselves, e.g. paths(f, x)"
            )


def _path_counts(output: Value, leaf: Value) -> dict:
    """For each node that depends on ``leaf``: the number of paths from it down to leaf."""
    counts: dict = {}
    for node in topological_order([output]):  # parents first, so their counts are ready
        if node is leaf:
            counts[node] = 1
            continue
        number = 0
        for parent in node.parents:
            number += counts.get(parent, 0)
        if number:
            counts[node] = number
    return counts


def _name(node: Value) -> str:
    if node.label is not None:
        return str(node.label)
    if node.op is None:
        return format_number(node.data)
    return f"[{node.op.symbol} {format_number(node.data)}]"
