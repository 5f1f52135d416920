"""The backward and forward passes, and the sweeps of a trace, as lists of steps.

Nothing here imports ipywidgets or changes the graph: adjoints and tangents
are simulated in dicts keyed by node, from the public `parents` and
`local_partials` of each `Value`, so a learner can step through a pass without
touching any ``.grad``. Each step carries the numbers and a caption; a
`Stepper` walks a list of steps back and forth.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..display.graph import node_names as _names
from ..reverse import Value, topological_order
from ..rules import POW, POWC
from ..trace import Trace, TraceRow

MINUS = "-"  # one minus sign everywhere, in numbers and formulas, as Python prints them
DOT_ABOVE = "\u0307"  # combining dot: v̇ is the tangent of v


def format_number(number, digits: int = 4) -> str:
    """A short, deterministic, float-looking number: 1.0, -1.7, 21.0, 7.389, inf.

    Negative numbers take the ASCII "-", as Python prints them and as the
    drawings and trace tables show them.
    """
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return str(number)  # a Dual or another carrier: let it speak for itself
    number = float(number)
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number == 0:
        number = 0.0  # no "−0.0" in a caption
    text = f"{number:.{digits}g}"
    if not any(mark in text for mark in ".e"):
        text += ".0"
    return text


def node_names(output: Value) -> dict[Value, str]:
    """Every node's name, as the drawings show it: its label if set, a constant
    by its number, else v1, v2, … for operations in topological order (the
    numbering `trace` uses) and x1, x2, … for inputs."""
    _require_value(output, "node_names")
    return _names(topological_order([output]))


def tangent_name(name: str) -> str:
    """The tangent of a named node: a dot over its letter (ȧ, ẋ1, v̇3)."""
    if re.fullmatch(r"[A-Za-z][0-9_]*", name):
        return name[0] + DOT_ABOVE + name[1:]
    return f"({name}){DOT_ABOVE}"


def _require_value(output, who: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(
            f"{who}() needs a Value (the output of a computation), got "
            f"{type(output).__name__} ({output!r:.40}); build it from Values, e.g. "
            "a = Value(2.0); d = a * a"
        )


# ---------------------------------------------------------------------------
# The backward pass, one node at a time.


@dataclass(frozen=True, eq=False)
class EdgeStep:
    """Gradient sent along one edge: ∂L/∂parent += ∂L/∂child · ∂child/∂parent."""

    parent: Value
    child: Value
    upstream: float  # ∂L/∂child, complete when the child is processed
    local: float  # ∂child/∂parent, recorded at forward time
    contribution: float  # upstream · local
    adjoint_before: float  # ∂L/∂parent before this edge adds its contribution
    adjoint_after: float  # ∂L/∂parent after it
    caption: str


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One step of the backward pass: seed the output, or process one node."""

    index: int
    node: Value
    upstream: float  # ∂L/∂node
    edges: tuple[EdgeStep, ...]  # empty for the seed step
    caption: str

    @property
    def is_seed(self) -> bool:
        return self.index == 0


def _output_symbol(output: Value, names: dict[Value, str]) -> str:
    # "L" names the output in ∂L/∂x; avoid it if some other node is called L.
    taken = {name for node, name in names.items() if node is not output}
    return "L" if "L" not in taken else "ℒ"


def _expression(node: Value, names: dict[Value, str]) -> str:
    """How a node was computed, in names: `a · v4`, `exp(v1)`, `−v2`."""
    op = node.op
    parent_names = [names[parent] for parent in node.parents]
    if op is None:
        return "an input"
    if op.arity == 1:
        if op.name == "neg":
            return MINUS + parent_names[0]
        return f"{op.symbol}({parent_names[0]})"
    symbol = {"*": "·", "-": MINUS}.get(op.symbol, op.symbol)
    return f" {symbol} ".join(parent_names)


def backward_steps(output: Value) -> list[BackwardStep]:
    """The backward pass from ``output`` as steps, without touching any ``.grad``.

    Step 0 seeds ∂L/∂output = 1; each later step takes one operation node in
    reverse topological order (its adjoint is complete by then) and sends
    ``upstream · local`` along each edge to its parents. The adjoints after
    the last step are what ``output.backward()`` puts into ``.grad``, except
    that constants (plain numbers such as the 2 in ``x ** 2``) are left out:
    nothing is differentiated with respect to them.
    """
    _require_value(output, "backward_steps")
    order = topological_order([output])
    names = _names(order)
    big_l = _output_symbol(output, names)
    adjoints: dict[Value, float] = {output: 1.0}
    output_name = names[output]
    if output_name == big_l:
        seed_caption = f"Start at the output: ∂{big_l}/∂{big_l} = 1.0"
    else:
        seed_caption = (
            f"Start at the output {output_name}: ∂{big_l}/∂{output_name} = 1.0 "
            f"({big_l} is {output_name} itself)"
        )
    steps = [BackwardStep(0, output, 1.0, (), seed_caption)]
    for node in reversed(order):
        if node.op is None:
            continue  # a leaf has nowhere to send its adjoint
        upstream = adjoints.get(node, 0.0)
        name = names[node]
        edges = []
        for parent, local in zip(node.parents, node.local_partials):
            if parent.is_constant:
                continue
            before = adjoints.get(parent, 0.0)
            contribution = upstream * local
            after = before + contribution
            adjoints[parent] = after
            parent_name = names[parent]
            caption = (
                f"∂{big_l}/∂{parent_name} += ∂{big_l}/∂{name} · ∂{name}/∂{parent_name} = "
                f"{format_number(upstream)} · {format_number(local)} = "
                f"{format_number(contribution)}"
            )
            if before != 0:
                caption += (
                    f", so ∂{big_l}/∂{parent_name} = {format_number(before)} + "
                    f"{format_number(contribution)} = {format_number(after)}"
                )
            edges.append(
                EdgeStep(parent, node, upstream, local, contribution, before, after, caption)
            )
        header = (
            f"{name} = {_expression(node, names)} sends ∂{big_l}/∂{name} = "
            f"{format_number(upstream)} to its inputs:"
        )
        caption = "\n".join([header] + [edge.caption for edge in edges])
        steps.append(BackwardStep(len(steps), node, upstream, tuple(edges), caption))
    return steps


def adjoints_after(steps: Sequence[BackwardStep], index: int) -> dict[Value, float]:
    """∂L/∂node for every node that has received gradient by the end of step ``index``."""
    if not steps:
        return {}
    adjoints = {steps[0].node: 1.0}
    for step in steps[1 : index + 1]:
        for edge in step.edges:
            adjoints[edge.parent] = edge.adjoint_after
    return adjoints


def processed_nodes(steps: Sequence[BackwardStep], index: int) -> list[Value]:
    """The nodes that have already sent their adjoint on, up to step ``index``."""
    return [step.node for step in steps[1 : index + 1]]


@dataclass(frozen=True)
class Landing:
    """A contribution arriving at one node during the backward pass."""

    step_index: int
    edge: EdgeStep
    contribution: float
    total: float  # the node's adjoint once this contribution has landed


def running_adjoint(steps: Sequence[BackwardStep], node: Value) -> list[Landing]:
    """Each contribution to ∂L/∂node as it lands, with the running total.

    The chain rule sums over every path from the output to ``node``; here the
    sum builds up one edge at a time, e.g. for f = (x1 + x2)·(x1·x2) at (2, 3)
    x1 receives 15.0 (through x1·x2) and then 6.0 (through x1 + x2): 21.0.
    """
    landings = []
    for step in steps:
        for edge in step.edges:
            if edge.parent is node:
                landings.append(Landing(step.index, edge, edge.contribution, edge.adjoint_after))
    return landings


# ---------------------------------------------------------------------------
# The forward pass, one node at a time, with an optional tangent.


@dataclass(frozen=True, eq=False)
class ForwardStep:
    """One node's primal value and, when a seed is chosen, its tangent."""

    index: int
    node: Value
    primal: float
    tangent: float | None  # None when no input was seeded
    caption: str


def _tangent_rule(op, a: str, da: str, b: str, db: str, out: str, partials: list[str]) -> str:
    """The dual-number rule for one primitive, filled with names or with numbers.

    ``a``/``b`` are the inputs, ``da``/``db`` their tangents, ``out`` the result
    and ``partials`` the local partials, all as text (for a rule not listed).
    """
    if op.arity == 2:
        if op is POWC:
            return f"{b}·{a}^({b} {MINUS} 1)·{da}"
        if op is POW:
            return f"{b}·{a}^({b} {MINUS} 1)·{da} + {out}·log({a})·{db}"
        binary = {
            "add": f"{da} + {db}",
            "sub": f"{da} {MINUS} {db}",
            "mul": f"{da}·{b} + {a}·{db}",
            "div": f"{da}/{b} {MINUS} {a}·{db}/{b}²",
        }
        return binary.get(op.name, f"{partials[0]}·{da} + {partials[1]}·{db}")
    unary = {
        "neg": f"{MINUS}{da}",
        "exp": f"{out}·{da}",
        "log": f"{da}/{a}",
        "sqrt": f"{da}/(2·{out})",
        "abs": f"sign({a})·{da}",
        "tanh": f"(1 {MINUS} {out}²)·{da}",
        "sigmoid": f"{out}·(1 {MINUS} {out})·{da}",
        "relu": f"[{a} > 0]·{da}",
        "sin": f"cos({a})·{da}",
        "cos": f"{MINUS}sin({a})·{da}",
    }
    return unary.get(op.name, f"{partials[0]}·{da}")


def _fill_rule(node: Value, show, show_tangent, out: str, partials: list[str]) -> str:
    """The rule for ``node`` with its inputs shown by ``show`` and tangents by ``show_tangent``."""
    parents = node.parents
    second = parents[1] if len(parents) == 2 else None
    return _tangent_rule(
        node.op,
        show(parents[0]),
        show_tangent(parents[0]),
        show(second) if second is not None else "",
        show_tangent(second) if second is not None else "",
        out,
        partials,
    )


def _operand(number) -> str:
    """A number inside a formula: negative ones in parentheses, 2.0·(−1.7)."""
    text = format_number(number)
    return f"({text})" if text.startswith("-") else text


def forward_steps(output: Value, seed: Value | None = None) -> list[ForwardStep]:
    """The forward pass to ``output`` as steps, parents before children.

    Each step fills in one node's primal value (read from the graph). With
    ``seed`` (an input leaf of the graph) its tangent is 1, every other input's
    is 0, and each node's tangent is Σ local partial × parent tangent: the
    dual-number rule, so the output's tangent is ∂output/∂seed.
    """
    _require_value(output, "forward_steps")
    order = topological_order([output])
    names = _names(order)
    if seed is not None:
        if not isinstance(seed, Value) or seed not in names:
            raise ValueError(
                f"forward_steps(): the seed must be one of the inputs {names[output]} was "
                f"computed from, got {seed!r:.60}; pass the input Value you differentiate by"
            )
        if not seed.is_leaf:
            raise ValueError(
                f"forward_steps(): the seed {names[seed]} is computed inside the graph; "
                "seed an input (a leaf Value) instead"
            )
    tangents: dict[Value, float] = {}
    steps = []
    for node in order:
        if node.is_constant:  # known from the start, tangent 0: not a step of its own
            tangents[node] = 0.0
            continue
        name = names[node]
        primal = node.data
        if node.op is None:
            caption = f"{name} = {format_number(primal)} (input)"
            tangent = None
            if seed is not None:
                tangent = 1.0 if node is seed else 0.0
                why = "the seed" if node is seed else "not the seed"
                caption += f";  {tangent_name(name)} = {format_number(tangent)} ({why})"
        else:
            caption = f"{name} = {_expression(node, names)} = {format_number(primal)}"
            tangent = None
            if seed is not None:
                tangent = 0.0
                for parent, local in zip(node.parents, node.local_partials):
                    tangent = tangent + local * tangents[parent]
                symbols = _fill_rule(
                    node,
                    lambda parent: names[parent],
                    lambda parent: tangent_name(names[parent]),
                    name,
                    [f"∂{name}/∂{names[parent]}" for parent in node.parents],
                )
                numbers = _fill_rule(
                    node,
                    lambda parent: _operand(parent.data),
                    lambda parent: _operand(tangents[parent]),
                    _operand(primal),
                    [_operand(local) for local in node.local_partials],
                )
                caption += (
                    f";  {tangent_name(name)} = {symbols} = {numbers} = {format_number(tangent)}"
                )
        if tangent is not None:
            tangents[node] = tangent
        steps.append(ForwardStep(len(steps), node, primal, tangent, caption))
    return steps


# ---------------------------------------------------------------------------
# A Wengert list swept forward, then in reverse, one row at a time.


@dataclass(frozen=True)
class TraceStep:
    """One row of a `Trace` during a sweep: ``sweep`` is "forward" or "reverse"."""

    index: int
    sweep: str
    row_index: int  # position of the row in trace.rows
    row: TraceRow
    caption: str


def trace_steps(wengert_list: Trace) -> list[TraceStep]:
    """The forward sweep (rows top to bottom), then the reverse sweep (bottom to top).

    A forward step computes its row's primal and tangent from rows above it; a
    reverse step finds its row's adjoint complete, because every row that uses
    it is below it and has already been swept.
    """
    rows = wengert_list.rows
    steps = []
    for position, row in enumerate(rows):
        caption = (
            f"{row.equation} = {format_number(row.primal)};  tangent {format_number(row.tangent)}"
        )
        if row.operation == "input":
            caption += ", set by the seed"
        steps.append(TraceStep(len(steps), "forward", position, row, caption))
    output = wengert_list.output.name
    for position in reversed(range(len(rows))):
        row = rows[position]
        caption = f"adjoint of {row.name} = ∂{output}/∂{row.name} = {format_number(row.adjoint)}"
        users = list(dict.fromkeys(other.name for other in rows if row.name in other.arguments))
        if row is wengert_list.output:
            caption += " (the output: the reverse sweep starts here)"
        elif len(users) == 1:
            caption += f", from {users[0]}, the only row that uses it"
        elif users:
            caption += f", summed over the rows that use it: {', '.join(users)}"
        else:
            caption += f" ({output} does not use {row.name})"
        steps.append(TraceStep(len(steps), "reverse", position, row, caption))
    return steps


# ---------------------------------------------------------------------------
# Walking a list of steps.


class Stepper:
    """A position in a list of steps that moves one step at a time and stops at the ends.

    >>> stepper = Stepper(["a", "b", "c"])
    >>> stepper.next(), stepper.next(), stepper.next(), stepper.index
    ('b', 'c', 'c', 2)
    """

    def __init__(self, steps: Sequence) -> None:
        if len(steps) == 0:
            raise ValueError("a Stepper needs at least one step to show")
        self.steps = tuple(steps)
        self.index = 0

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"Stepper(step {self.index} of {len(self.steps) - 1})"

    @property
    def current(self):
        """The step shown now."""
        return self.steps[self.index]

    @property
    def at_start(self) -> bool:
        """True on the first step."""
        return self.index == 0

    @property
    def at_end(self) -> bool:
        """True on the last step."""
        return self.index == len(self.steps) - 1

    def go(self, index: int):
        """Jump to step ``index`` (clamped to the first and last steps)."""
        self.index = min(max(int(index), 0), len(self.steps) - 1)
        return self.current

    def next(self):
        """Go one step on (not past the last) and return that step."""
        return self.go(self.index + 1)

    def previous(self):
        """Go one step back (not before the first) and return that step."""
        return self.go(self.index - 1)
