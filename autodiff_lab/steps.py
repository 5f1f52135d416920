"""The backward and forward passes, and the sweeps of a trace, as lists of steps.

One step model for both kinds of node: `watch_backward` runs the engine's own
backward pass (`core.backward`, through its ``on_node`` hook) and records, for
each node it processes, the node's complete gradient, the share it sends each
parent and the parent's gradient after it; then it puts every ``.grad`` back as
it was, so stepping through a pass changes nothing a learner made. The scalar
steps here and the array steps of `autodiff_lab.array_steps` are read off the
same watched pass, as `BackwardStep` and `Share` objects with captions. Nothing
here imports ipywidgets; a `Stepper` walks a list of steps back and forth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import core
from .reverse import Value, backpropagate, topological_order
from .rules import POW, POWC
from .text import MINUS, format_number, node_names, tangent_name
from .trace import Trace, TraceRow


def caption_number(number) -> str:
    """A number in a caption: 4 significant digits, written as a float (2.0, -1.7)."""
    return format_number(number, point=True)


def _require_value(output, who: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(
            f"{who}() needs a Value (the output of a computation), got "
            f"{type(output).__name__} ({output!r:.40}); build it from Values, e.g. "
            "a = Value(2.0); d = a * a"
        )


# ---------------------------------------------------------------------------
# The backward pass, one node at a time: the engine's own pass, watched.


def _parents(node) -> tuple:
    try:
        a, b = node._a, node._b  # the scalar layout
    except AttributeError:
        return node.parents
    return (a,) if b is None else (a, b)


def watch_backward(roots: list, seeds: list) -> list[tuple]:
    """Run the engine's backward pass from ``roots`` and record what it does.

    Returns one ``(node, upstream, shares, totals)`` per node the pass processes,
    in its order: the node's complete gradient, the share sent to each of its
    parents and each parent's gradient after that share was added. Every
    gradient starts from zero (inputs too, as for a fresh pass) and every
    ``.grad`` of the graph is put back as it was afterwards.
    """
    order = core.topological_order(roots)
    saved = [(node, node.grad) for node in order]
    for node in order:
        if not _parents(node):
            node.grad = 0.0 if hasattr(node, "_a") else None
    events: list[tuple] = []

    def seen(node, upstream, shares) -> None:
        events.append((node, upstream, shares, tuple(p.grad for p in _parents(node))))

    try:
        backpropagate(roots, seeds, on_node=seen)
    finally:
        for node, grad in saved:
            node.grad = grad
    return events


@dataclass(frozen=True, eq=False)
class Share:
    """What one node sends one parent in one step: ∂L/∂parent += its share of ∂L/∂node.

    For a scalar node the share is ``upstream · local``, the local partial
    recorded at forward time; for an array node it is its primitive's VJP.
    """

    parent: object
    child: object
    position: int  # which argument of the child's operation the parent is
    upstream: object  # ∂L/∂child, complete when the child is processed
    local: float | None  # ∂child/∂parent for a scalar node, None for an array node
    share: object  # what the parent receives
    before: object  # ∂L/∂parent before this share (0.0, or None for an array not reached yet)
    after: object  # ∂L/∂parent once it is added
    caption: str


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One step of the backward pass: seed the output (step 0), or process one node."""

    index: int
    node: object
    upstream: object  # ∂L/∂node
    shares: tuple[Share, ...]  # empty for the seed step
    caption: str

    @property
    def is_seed(self) -> bool:
        return self.index == 0


def running_totals(parents, shares, totals, known: dict, empty) -> list[tuple]:
    """``(before, after)`` of each parent's gradient around each share of one node.

    ``after`` is the engine's own total, read once the node's shares were added;
    a parent reached twice by one node (``x * x``) holds its first share in
    between, the sum the engine made, as the engine made it. ``known`` carries the
    totals from one node to the next; ``empty`` is a gradient not reached yet.
    """
    result = []
    for i, (parent, share, total) in enumerate(zip(parents, shares, totals)):
        before = known.get(parent, empty)
        if any(later is parent for later in parents[i + 1 :]):
            total = share if before is None else before + share
        known[parent] = total
        result.append((before, total))
    return result


def gradients_after(steps: Sequence[BackwardStep], index: int) -> dict:
    """∂L/∂node for every node that has received gradient by the end of step ``index``."""
    if not steps:
        return {}
    known = {steps[0].node: steps[0].upstream}
    for step in steps[1 : index + 1]:
        for share in step.shares:
            known[share.parent] = share.after
    return known


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
    """The engine's backward pass from ``output`` as steps, changing no ``.grad``.

    Step 0 seeds ∂L/∂output = 1; each later step is one operation node, in the
    order the engine processes them (its adjoint is complete by then), sending
    ``upstream · local`` along each edge to its parents. Edges to constants
    (plain numbers such as the 2 in ``x ** 2``) are left out: nothing is
    differentiated with respect to them.
    """
    _require_value(output, "backward_steps")
    names = node_names(output)
    big_l = _output_symbol(output, names)
    output_name = names[output]
    if output_name == big_l:
        seed_caption = f"Start at the output: ∂{big_l}/∂{big_l} = 1.0"
    else:
        seed_caption = (
            f"Start at the output {output_name}: ∂{big_l}/∂{output_name} = 1.0 "
            f"({big_l} is {output_name} itself)"
        )
    steps = [BackwardStep(0, output, 1.0, (), seed_caption)]
    known = {output: 1.0}
    for node, upstream, sent, totals in watch_backward([output], [1.0]):
        name = names[node]
        shares = []
        parents = node.parents
        running = running_totals(parents, sent, totals, known, 0.0)
        for position, (parent, local, share, (before, after)) in enumerate(
            zip(parents, node.local_partials, sent, running)
        ):
            if parent.is_constant:
                continue
            parent_name = names[parent]
            caption = (
                f"∂{big_l}/∂{parent_name} += ∂{big_l}/∂{name} · ∂{name}/∂{parent_name} = "
                f"{caption_number(upstream)} · {caption_number(local)} = "
                f"{caption_number(share)}"
            )
            if before != 0:
                caption += (
                    f", so ∂{big_l}/∂{parent_name} = {caption_number(before)} + "
                    f"{caption_number(share)} = {caption_number(after)}"
                )
            shares.append(
                Share(parent, node, position, upstream, local, share, before, after, caption)
            )
        header = (
            f"{name} = {_expression(node, names)} sends ∂{big_l}/∂{name} = "
            f"{caption_number(upstream)} to its inputs:"
        )
        caption = "\n".join([header] + [share.caption for share in shares])
        steps.append(BackwardStep(len(steps), node, upstream, tuple(shares), caption))
    return steps


def processed_nodes(steps: Sequence[BackwardStep], index: int) -> list:
    """The nodes that have already sent their gradient on, up to step ``index``."""
    return [step.node for step in steps[1 : index + 1]]


@dataclass(frozen=True)
class Landing:
    """A share arriving at one node during the backward pass."""

    step_index: int
    share: Share
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
        for share in step.shares:
            if share.parent is node:
                landings.append(Landing(step.index, share, share.share, share.after))
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
    text = caption_number(number)
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
    names = node_names(order)
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
            caption = f"{name} = {caption_number(primal)} (input)"
            tangent = None
            if seed is not None:
                tangent = 1.0 if node is seed else 0.0
                why = "the seed" if node is seed else "not the seed"
                caption += f";  {tangent_name(name)} = {caption_number(tangent)} ({why})"
        else:
            caption = f"{name} = {_expression(node, names)} = {caption_number(primal)}"
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
                    f";  {tangent_name(name)} = {symbols} = {numbers} = {caption_number(tangent)}"
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
            f"{row.equation} = {caption_number(row.primal)};  tangent {caption_number(row.tangent)}"
        )
        if row.operation == "input":
            caption += ", set by the seed"
        steps.append(TraceStep(len(steps), "forward", position, row, caption))
    output = wengert_list.output.name
    for position in reversed(range(len(rows))):
        row = rows[position]
        caption = f"adjoint of {row.name} = ∂{output}/∂{row.name} = {caption_number(row.adjoint)}"
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
        return self.steps[self.index]

    @property
    def at_start(self) -> bool:
        return self.index == 0

    @property
    def at_end(self) -> bool:
        return self.index == len(self.steps) - 1

    def go(self, index: int):
        """Jump to step ``index`` (clamped to the first and last steps)."""
        self.index = min(max(int(index), 0), len(self.steps) - 1)
        return self.current

    def next(self):
        return self.go(self.index + 1)

    def previous(self):
        return self.go(self.index - 1)
