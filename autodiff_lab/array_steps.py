"""The backward pass over an `ArrayGraph` as steps, with captions a learner can read.

`array_backward_steps` reads the engine's own backward pass, watched by
`steps.watch_backward` as the scalar steps are: for each node it processes, the
complete gradient ḡ and the share its VJP sends to each parent, as the same
`BackwardStep` and `Share` objects. Each caption names the primitive, its VJP formula and the shapes
going in and coming out, e.g. ``matmul: ā = ḡ·Bᵀ  (100×32)·(32×64) → 100×64``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

import numpy as np

from . import rules
from .array_rules import ELEMENTWISE, MATMUL
from .arrays import ArrayNode, is_traced, numbers
from .steps import BackwardStep, Share, running_totals, watch_backward
from .text import array_text as _array_text
from .text import shape_text

if TYPE_CHECKING:
    from .array_trace import ArrayGraph


_ELEMENTWISE = frozenset(id(primitive) for primitive in ELEMENTWISE.values())


def array_text(array) -> str:
    """An array's numbers (4 significant digits) if it is small, else its shape."""
    return _array_text(numbers(array))


def is_operand(node: ArrayNode, position: int) -> bool:
    """True when argument ``position`` of ``node`` is a constant number or array it computes
    with (the 2 in ``2 * x``), not a setting such as an index, a shape or an axis."""
    value = node.inputs[position]
    computes_with_it = id(node.op) in _ELEMENTWISE or node.op is MATMUL
    if not computes_with_it or is_traced(value):
        return False
    return rules.is_number(value) or (isinstance(value, np.ndarray) and value.dtype.kind in "biuf")


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


def array_backward_steps(graph: ArrayGraph, seed=None) -> list[BackwardStep]:
    """The engine's backward pass over ``graph`` as steps, changing nothing in the graph.

    Step 0 seeds ḡ at the output (1 for a scalar, else ``seed``); each later step is
    one node, in the order the engine processes them, whose VJP sends a share of ḡ
    to each parent.
    """
    if type(graph).__name__ != "ArrayGraph":  # array_trace imports this module, not back
        raise TypeError(
            f"array_backward_steps needs an ArrayGraph from trace_arrays, got "
            f"{type(graph).__name__}"
        )
    g0 = _seed(graph, seed)
    output_name = graph.name(graph.output)
    if int(np.prod(graph.output.shape)) == 1 and seed is None:
        caption = f"Start at the output {output_name} (one number): ḡ = ∂L/∂{output_name} = 1"
        if output_name != "L":
            caption += f" (L is {output_name} itself)"
    else:
        caption = (
            f"Start at the output {output_name} ({shape_text(g0.shape)}): ḡ = the seed "
            f"{array_text(g0)}"
        )
    steps = [BackwardStep(0, graph.output, g0, (), caption)]
    known: dict = {graph.output: g0}
    for node, g, sent, totals in watch_backward([graph.output], [g0]):
        parents = node.parents
        shares = []
        for position, parent, share, (before, after) in zip(
            node.positions, parents, sent, running_totals(parents, sent, totals, known, None)
        ):
            share = numbers(share)
            line = share_caption(graph, node, position, g, share)
            line += f", to {graph.name(parent)}"
            if before is not None:
                line += " (added to what it got earlier)"
            shares.append(
                Share(parent, node, position, numbers(g), None, share, before, numbers(after), line)
            )
        caption = "\n".join([step_header(graph, node, g)] + [share.caption for share in shares])
        steps.append(BackwardStep(len(steps), node, numbers(g), tuple(shares), caption))
    return steps


def _argument_text(graph: ArrayGraph, node: ArrayNode, position: int) -> str | None:
    for parent_position, parent in zip(node.positions, node.parents):
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


def _partials(formula: str) -> dict[str, str]:
    """The rule table's ``∂/∂a = …, ∂/∂b = …`` as ``{"a": "…", "b": "…"}``."""
    found = {}
    for part in re.split(r", (?=∂/∂)", formula):
        match = re.fullmatch(r"∂/∂(\w) = (.*)", part)
        if match:
            found[match.group(1)] = match.group(2)
    return found


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
        variable = "ab"[position] if len(node.inputs) == 2 else "a"
        bar = unicodedata.normalize("NFC", variable + _BAR)  # ā as array_rules writes it
        partial = _partials(op.formula).get(variable)
        if partial is None:  # the table writes only the other partial out: do not guess
            formula = f"{bar} = ḡ ⊙ ∂/∂{variable}"
        elif partial == "1":
            formula = f"{bar} = ḡ"
        elif partial == "-1":
            formula = f"{bar} = -ḡ"
        else:
            wrapped = f"({partial})" if " " in partial else partial
            formula = f"{bar} = ḡ ⊙ {wrapped}"
        shapes = f"({shape_text(g_shape)}) → {out}"
        if np.shape(share) != g_shape:
            shapes += ", summed over the broadcast axes"
        return f"{op.name}: {formula}  {shapes}"
    return f"{op.name}: {op.formula}  ({shape_text(g_shape)}) → {out}"


__all__ = ["array_backward_steps", "array_text", "is_operand"]
