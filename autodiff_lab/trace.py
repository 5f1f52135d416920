"""The Wengert list of one evaluation: primal, tangent and adjoint columns.

``trace(f, 2.0, 3.0)`` runs ``f`` once on inputs that are reverse-mode `Value`
nodes holding forward-mode `Dual` numbers, then runs the backward pass once.
Every recorded operation becomes one row, named in the classic notation: the
n inputs are v₁₋ₙ … v₀ and the operations v₁, v₂, … The rows come in an
order the computation could have run in, read from the graph: each row after
the rows it uses, left operands before right ones.

  * primal  — the value the row computed,
  * tangent — its derivative along the seed direction (forward mode),
  * adjoint — ∂output/∂row (reverse mode).

Constants (numbers that ``f`` mixed in) appear inside the expressions, not
as rows of their own.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from .forward import Dual, new_tag, primal_of, tangent_of
from .reverse import Value, topological_order
from .text import format_number  # the same four significant digits as the drawings

__all__ = ["Trace", "TraceRow", "trace"]

_INFIX = {"add", "sub", "mul", "div", "pow", "mod"}
_HIGHLIGHT_STYLE = "background-color: #fff3b0; font-weight: bold;"
_COLUMNS = ("primal", "tangent", "adjoint")
# A number the sweep has not computed yet.
_UNKNOWN_CELL = '<td class="trace-unknown" style="text-align: right; color: #999">?</td>'


@dataclass(frozen=True)
class TraceRow:
    """One line of the Wengert list.

    ``name`` is the row's variable (``"v-1"``, ``"v3"``), ``expression`` the
    right-hand side (``"exp(v2)"``; an input's own name for an input row),
    ``operation`` the primitive's name or ``"input"``, and ``arguments`` the
    names of the rows it reads.
    """

    name: str
    expression: str
    primal: float
    tangent: float
    adjoint: float
    operation: str
    arguments: tuple[str, ...] = ()

    @property
    def equation(self) -> str:
        """The row as it is written in a textbook: ``"v3 = exp(v2)"``."""
        return f"{self.name} = {self.expression}"


class Trace:
    """A Wengert list: ``.rows`` in evaluation order and the ``.output`` row."""

    def __init__(self, rows: list[TraceRow], output: TraceRow, seed: tuple[float, ...]) -> None:
        self.rows = rows
        self.output = output
        self.seed = seed

    def row(self, name: str) -> TraceRow:
        """The row called ``name`` (``"v0"``, ``"v2"``)."""
        for row in self.rows:
            if row.name == name:
                return row
        names = ", ".join(row.name for row in self.rows)
        raise KeyError(f"this trace has no row {name!r}; its rows are {names}")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    # -- text ------------------------------------------------------------------
    def __str__(self) -> str:
        header = ("", "primal", "tangent", "adjoint")
        cells = [header] + [
            (
                self._padded_equation(row),
                format_number(row.primal),
                format_number(row.tangent),
                format_number(row.adjoint),
            )
            for row in self.rows
        ]
        widths = [max(len(line[column]) for line in cells) for column in range(4)]
        lines = []
        for line in cells:
            text = line[0].ljust(widths[0])
            for column in (1, 2, 3):
                text += "  " + line[column].rjust(widths[column])
            lines.append(text.rstrip())
        lines.append(
            f"output {self.output.name}; tangent along seed {_seed_text(self.seed)}; "
            f"adjoint = ∂{self.output.name}/∂row"
        )
        return "\n".join(lines)

    __repr__ = __str__

    def _padded_equation(self, row: TraceRow) -> str:
        # Line up the "=" signs: names are as wide as the widest name.
        width = max(len(other.name) for other in self.rows)
        return f"{row.name.ljust(width)} = {row.expression}"

    # -- HTML ------------------------------------------------------------------
    def to_html(
        self,
        highlight: str | int | None = None,
        filled: Mapping[str, Iterable[str | int]] | None = None,
    ) -> str:
        """An HTML table; ``highlight`` (a row name or index) marks one row.

        ``filled`` shows a table part-way through a sweep: it maps a column
        (``"primal"``, ``"tangent"``, ``"adjoint"``) to the rows, by name or
        index, whose number is known so far; that column's other cells read
        "?". Columns it does not name are shown in full, as by default.
        """
        highlighted = None if highlight is None else self._index(highlight, "highlight")
        known = self._known_cells(filled)
        lines = [
            '<table class="autodiff-trace" style="white-space: nowrap">',
            "<thead><tr><th>row</th><th>expression</th><th>primal</th>"
            "<th>tangent</th><th>adjoint</th></tr></thead>",
            "<tbody>",
        ]
        for index, row in enumerate(self.rows):
            classes = [f"trace-{'input' if row.operation == 'input' else 'operation'}"]
            style = ""
            if index == highlighted:
                classes.append("trace-highlight")
                style = f' style="{_HIGHLIGHT_STYLE}"'
            if row is self.output:
                classes.append("trace-output")
            numbers = "".join(
                f'<td style="text-align: right">{format_number(getattr(row, column))}</td>'
                if known[column] is None or index in known[column]
                else _UNKNOWN_CELL
                for column in _COLUMNS
            )
            lines.append(
                f'<tr class="{" ".join(classes)}"{style}>'
                f"<td>{html.escape(row.name)}</td>"
                f"<td><code>{html.escape(row.expression)}</code></td>{numbers}</tr>"
            )
        lines.append("</tbody>")
        caption = (
            f"output {self.output.name}; tangent along seed {_seed_text(self.seed)}; "
            f"adjoint = ∂{self.output.name}/∂row"
        )
        lines.append(f"<caption>{html.escape(caption)}</caption>")
        lines.append("</table>")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _known_cells(self, filled) -> dict[str, set[int] | None]:
        """For each column, the indices of the rows shown (None: all of them)."""
        known: dict[str, set[int] | None] = dict.fromkeys(_COLUMNS)
        for column, rows in (filled or {}).items():
            if column not in _COLUMNS:
                raise ValueError(
                    f"to_html(filled=...): the columns are {', '.join(_COLUMNS)}; "
                    f"got {column!r:.40}"
                )
            if isinstance(rows, (str, int)):
                raise TypeError(
                    f"to_html(filled=...): give the {column} rows as a list, "
                    f"e.g. {{{column!r}: [{rows!r:.20}]}}"
                )
            known[column] = {self._index(row, "filled") for row in rows}
        return known

    def _index(self, row: str | int, parameter: str) -> int:
        """The position of ``row`` (a name or an index) in ``self.rows``."""
        if isinstance(row, str):
            return self.rows.index(self.row(row))
        if isinstance(row, int) and not isinstance(row, bool):
            if not -len(self.rows) <= row < len(self.rows):
                raise IndexError(f"{parameter}={row} is outside this trace's {len(self.rows)} rows")
            return row % len(self.rows)
        raise TypeError(
            f"{parameter}: give a row by its name, such as 'v1', or by its index; got {row!r:.40}"
        )


def trace(f: Callable, *inputs, seed: Sequence[float] | None = None) -> Trace:
    """The Wengert list of ``f(*inputs)`` with primal, tangent and adjoint columns.

    ``seed`` is the input direction of the tangent column (default: 1 for the
    first input, 0 for the others, so the output's tangent is ∂f/∂x₁). The
    adjoint column is ∂output/∂row from one backward pass.

    >>> print(trace(lambda x1, x2: (x1 + x2) * (x1 * x2), 2, 3))
                    primal  tangent  adjoint
    v-1 = x1             2        1       21
    v0  = x2             3        0       16
    v1  = v-1 + v0       5        1        6
    v2  = v-1 * v0       6        3        5
    v3  = v1 * v2       30       21        1
    output v3; tangent along seed (1, 0); adjoint = ∂v3/∂row
    """
    if not inputs:
        raise TypeError("trace(f, *inputs) needs at least one input value, e.g. trace(f, 2.0)")
    points = [_as_number(x, index) for index, x in enumerate(inputs)]
    directions = _as_seed(seed, len(points))
    names = _input_names(f, len(points))

    tag = new_tag()
    leaves = [
        Value(Dual(point, direction, tag=tag), label=name)
        for point, direction, name in zip(points, directions, names)
    ]
    output = _check_output(f(*leaves), leaves)
    order = topological_order([output])
    # f may use Values made outside it (a weight, say): leave their .grad as it was.
    grads_before = [(node, node.grad) for node in order]
    output.backward()

    # Inputs first (as v1-n … v0, whether f used them or not), then operations.
    n = len(leaves)
    row_names = {leaf: f"v{index - n + 1}" for index, leaf in enumerate(leaves)}
    operations = [node for node in order if not node.is_leaf]
    for number, node in enumerate(operations, start=1):
        row_names[node] = f"v{number}"

    rows = [_row(leaf, row_names, tag, expression=name) for leaf, name in zip(leaves, names)]
    rows += [_row(node, row_names, tag) for node in operations]
    for node, grad in grads_before:
        node.grad = grad
    if operations:
        return Trace(rows, rows[-1], directions)
    # f returned one of its inputs unchanged: that input row is the output.
    return Trace(rows, rows[[leaf is output for leaf in leaves].index(True)], directions)


def _row(node: Value, row_names: dict, tag: int, expression: str | None = None) -> TraceRow:
    arguments = tuple(row_names[parent] for parent in node.parents if parent in row_names)
    return TraceRow(
        name=row_names[node],
        expression=expression if expression is not None else _expression(node, row_names),
        primal=_plain(primal_of(node.data, tag)),
        tangent=_plain(tangent_of(node.data, tag)),
        adjoint=_plain(primal_of(node.grad, tag)),
        operation=node.op.name if node.op is not None else "input",
        arguments=arguments,
    )


def _expression(node: Value, row_names: dict) -> str:
    """The right-hand side of a row, with constants written inline."""
    operands = [_operand(parent, row_names) for parent in node.parents]
    op = node.op
    if op.name in _INFIX:
        return f"{operands[0]} {op.symbol} {operands[1]}"
    if op.name == "neg":
        return f"-{operands[0]}"
    return f"{op.symbol}({', '.join(operands)})"


def _operand(node: Value, row_names: dict) -> str:
    name = row_names.get(node)
    if name is not None:
        return name
    if node.label is not None:  # a labelled constant that f captured from outside
        return node.label
    text = format_number(_plain(node.data))
    return f"({text})" if text.startswith("-") else text


def _data(result):
    return result.data if isinstance(result, Value) else result


def _plain(number) -> float:
    """A float from a float or a Dual's primal (constants may carry other tags)."""
    while isinstance(number, Dual):
        number = number.primal
    return float(number)


def _seed_text(seed: tuple[float, ...]) -> str:
    if len(seed) == 1:
        return format_number(seed[0])
    return "(" + ", ".join(format_number(x) for x in seed) + ")"


def _as_number(x, index: int) -> float:
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(
        f"trace(): input {index + 1} should be a number, got {type(x).__name__} ({x!r:.40})"
    )


def _as_seed(seed, n: int) -> tuple[float, ...]:
    if seed is None:
        return (1.0,) + (0.0,) * (n - 1)
    if isinstance(seed, Real):
        seed = (seed,)
    directions = tuple(seed)
    if len(directions) != n or not all(isinstance(x, Real) for x in directions):
        raise ValueError(
            f"trace(): seed should be {n} number(s), one tangent per input, got {seed!r:.60}"
        )
    return tuple(float(x) for x in directions)


def _input_names(f: Callable, n: int) -> list[str]:
    """The names of f's parameters, so rows read "v-1 = x1"; x1 … xn otherwise."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = [
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]
    if len(positional) >= n:
        return positional[:n]
    return [f"x{index}" for index in range(1, n + 1)]


def _check_output(result, leaves: list[Value]) -> Value:
    if isinstance(result, Value) and not (
        result.is_leaf and not any(result is leaf for leaf in leaves)
    ):
        return result
    if isinstance(result, (Real, Dual, Value)):
        constant = format_number(_plain(_data(result)))
        raise TypeError(
            f"trace(): f returned a constant ({constant}) that does not "
            "depend on its inputs, so there is nothing to trace. Compute the result from "
            "f's arguments (and not from their .data)."
        )
    if isinstance(result, (list, tuple, np.ndarray)):
        raise TypeError(
            f"trace(): f returned {np.size(result)} values as a {type(result).__name__}; a trace "
            "follows one scalar output. Trace one output at a time, for example "
            "trace(lambda *x: f(*x)[0], ...)."
        )
    raise TypeError(
        f"trace(): f should return a number computed from its inputs, got "
        f"{type(result).__name__} ({result!r:.40})"
    )
