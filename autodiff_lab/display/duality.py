"""Forward and reverse mode on one graph, and the identity that ties them: ⟨u, J v⟩ = ⟨Jᵀu, v⟩.

Forward mode pushes a tangent (the rate of change along an input direction
v) from the inputs to the outputs; reverse mode pulls an adjoint (the
sensitivity of the weighted output u · f) from the outputs to the inputs.
Drawing both on every node of the same graph shows two readings of one
set of local partials, and the two inner products agree to rounding.

The tangents come from a genuine forward-mode run (f evaluated on Values
whose data are dual numbers), the adjoints from ``backward()``; the two runs
are matched node by node through their topological order.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from numbers import Real

import numpy as np

from ..forward import Dual, new_tag, tangent_of
from ..functional import as_point
from ..reverse import Value, backpropagate, topological_order
from . import render
from .graph import GraphDrawing, draw_graph, format_number


class DualityView:
    """Tangents and adjoints of one computation, and the two inner products.

    inputs, outputs   the input leaves and the output Values of the graph;
    tangents          {node: ẋ} for every node (forward mode along v);
    adjoints          {node: x̄} for every node (reverse mode from weights u);
    jvp, vjp          J v (one number per output) and Jᵀu (one per input);
    forward_product   ⟨u, J v⟩;  reverse_product  ⟨Jᵀu, v⟩;  difference  their gap.
    """

    def __init__(self, inputs, outputs, tangents, adjoints, u, v) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self.tangents = tangents
        self.adjoints = adjoints
        self.u = u
        self.v = v
        self.jvp = [tangents[output] for output in outputs]
        self.vjp = [adjoints[leaf] for leaf in inputs]
        self.forward_product = math.fsum(w * t for w, t in zip(u, self.jvp))
        self.reverse_product = math.fsum(a * d for a, d in zip(self.vjp, v))
        self.difference = abs(self.forward_product - self.reverse_product)

    @property
    def holds(self) -> bool:
        """True when the two inner products agree up to floating-point rounding."""
        scale = max(
            1.0,
            math.fsum(abs(w * t) for w, t in zip(self.u, self.jvp)),
            math.fsum(abs(a * d) for a, d in zip(self.vjp, self.v)),
        )
        return self.difference <= 1e-9 * scale

    @property
    def graph(self) -> GraphDrawing:
        """The graph with each node's tangent ẋ and adjoint x̄ written on it."""
        notes = {
            node: (
                f"ẋ {format_number(self.tangents[node])}",
                f"x̄ {format_number(self.adjoints[node])}",
            )
            for node in self.tangents
        }
        return draw_graph(self.outputs, show_grad=False, node_notes=notes)

    def identity(self) -> str:
        """The identity with this view's numbers filled in."""
        return (
            f"⟨u, J v⟩ = {format_number(self.forward_product)} (forward)   "
            f"⟨Jᵀu, v⟩ = {format_number(self.reverse_product)} (reverse)   "
            f"difference {self.difference:.1e}"
        )

    def __repr__(self) -> str:
        lines = [
            "Forward and reverse mode on one graph",
            f"  v (input direction)   = [{_numbers(self.v)}]",
            f"  u (output weights)    = [{_numbers(self.u)}]",
            f"  J v  (forward, tangents of the outputs) = [{_numbers(self.jvp)}]",
            f"  Jᵀu  (reverse, adjoints of the inputs)  = [{_numbers(self.vjp)}]",
            "  " + self.identity(),
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [
            ("v (input direction)", _numbers(self.v)),
            ("u (output weights)", _numbers(self.u)),
            ("J v: forward mode, tangents of the outputs", _numbers(self.jvp)),
            ("Jᵀu: reverse mode, adjoints of the inputs", _numbers(self.vjp)),
            ("⟨u, J v⟩", format_number(self.forward_product)),
            ("⟨Jᵀu, v⟩", format_number(self.reverse_product)),
            ("difference", f"{self.difference:.1e}"),
        ]
        table = "".join(
            f"<tr><td style='text-align:left'>{html.escape(name)}</td>"
            f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
            for name, value in rows
        )
        try:
            picture = render.svg_image_html(render.render_svg(self.graph), "the graph")
        except Exception:  # a display hook must show the numbers even if drawing fails
            picture = ""
        return (
            f'<div><table style="white-space: nowrap">{table}</table>'
            "<p>On each node: ẋ is its tangent (forward mode along v), "
            f"x̄ its adjoint (reverse mode from u).</p>{picture}</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}


def duality_view(f: Callable, x, v, u=None) -> DualityView:
    """Run forward mode along ``v`` and reverse mode from ``u`` on the graph of ``f`` at ``x``.

    f   a function of one number (given a Value) or of a list/array of numbers
        (given a numpy array of Values), returning a number or a list/array;
    x   the point; v the input direction, shaped like x;
    u   output weights, shaped like f(x); default 1 for every output.

    >>> view = duality_view(lambda x: x[0] * x[1] + x[0].sin(), [1.0, 2.0], v=[1.0, 0.5])
    >>> view.holds
    True
    """
    point = as_point(x, "x", who="duality_view()")
    direction = as_point(v, "v", who="duality_view()")
    if np.shape(direction) != np.shape(point):
        raise ValueError(f"v has shape {np.shape(direction)} but x has shape {np.shape(point)}")
    scalar_input = np.ndim(point) == 0

    # Reverse mode: the graph on plain floats, then one backward pass from u.
    leaves = [
        Value(float(number), label="x" if scalar_input else f"x[{index}]")
        for index, number in enumerate(np.ravel(point))
    ]
    outputs, out_shape = _outputs(f(_shaped(leaves, point)))
    weights = _weights(u, out_shape)
    order = topological_order(outputs)
    for leaf in leaves:
        if leaf not in set(order):
            order.insert(0, leaf)  # an input f ignores still has a tangent and an adjoint
    adjoints = _adjoints(order, outputs, weights)

    # Forward mode: the same computation on Values holding dual numbers.
    tag = new_tag()
    dual_leaves = [
        Value(Dual(float(number), float(tangent), tag=tag))
        for number, tangent in zip(np.ravel(point), np.ravel(direction))
    ]
    dual_outputs, _ = _outputs(f(_shaped(dual_leaves, point)))
    dual_order = topological_order(dual_outputs)
    for leaf in dual_leaves:
        if leaf not in set(dual_order):
            dual_order.insert(0, leaf)
    _check_same_graph(order, dual_order)
    tangents = {node: float(tangent_of(twin.data, tag)) for node, twin in zip(order, dual_order)}
    return DualityView(
        leaves, outputs, tangents, adjoints, weights, [float(t) for t in np.ravel(direction)]
    )


def _shaped(leaves: list, point):
    if np.ndim(point) == 0:
        return leaves[0]
    array = np.empty(len(leaves), dtype=object)
    for index, leaf in enumerate(leaves):
        array[index] = leaf
    return array.reshape(np.shape(point))


def _outputs(result) -> tuple[list[Value], tuple]:
    if isinstance(result, (Value, Real)):
        items, shape = [result], ()
    else:
        try:
            array = np.asarray(result, dtype=object)
        except (TypeError, ValueError):
            array = None
        if array is None or array.size == 0:
            raise TypeError(
                f"duality_view() needs f to return a number or a list of numbers, "
                f"got {type(result).__name__}"
            )
        items, shape = list(array.flat), array.shape
    outputs = []
    for item in items:
        if isinstance(item, Value):
            outputs.append(item)
        elif isinstance(item, Real) and not isinstance(item, bool):
            outputs.append(Value(float(item)))  # an output that ignores the inputs
        else:
            raise TypeError(
                f"duality_view() needs f to return numbers computed from its input, "
                f"got {type(item).__name__}"
            )
    return outputs, shape


def _weights(u, out_shape: tuple) -> list[float]:
    if u is None:
        return [1.0] * max(1, int(np.prod(out_shape)))
    weights = np.asarray(u, dtype=float)
    if weights.shape != out_shape:
        raise ValueError(
            f"u has shape {weights.shape} but f returns shape {out_shape}; "
            "give one weight per output"
        )
    return [float(w) for w in weights.ravel()]


def _adjoints(order: list[Value], outputs: list[Value], weights: list[float]) -> dict:
    """Adjoints of every node from one backward pass, leaving every .grad as it was."""
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        backpropagate(outputs, weights)
        return {node: float(node.grad) for node in order}
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad


def _check_same_graph(order: list[Value], dual_order: list[Value]) -> None:
    """The forward run must build the same graph as the reverse run, node for node."""
    position = {node: index for index, node in enumerate(order)}
    dual_position = {node: index for index, node in enumerate(dual_order)}
    same = len(order) == len(dual_order) and all(
        node.op is twin.op
        and [position[p] for p in node.parents] == [dual_position[p] for p in twin.parents]
        for node, twin in zip(order, dual_order)
    )
    if not same:
        raise ValueError(
            "f built a different graph when its inputs carried tangents than with plain "
            "numbers, so nodes cannot be matched. duality_view() calls f twice: make f "
            "deterministic (no randomness, no branching on the type of its input)."
        )


def _numbers(values) -> str:
    return ", ".join(format_number(value) for value in values)
