"""Three ways to a derivative, side by side: symbolic, finite differences, autodiff.

`compare_methods(f, x)` differentiates f at x five ways and measures what each
one cost: calls of f, primitive operations, graph nodes kept for a backward
pass, and (for symbolic differentiation) the size of the derivative formula.
Every cost is counted while the method runs, so changing f changes the table.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from numbers import Real

import numpy as np

from ..functional import as_point, basis_vector, jvp_values, vjp_values
from ..numeric import default_step
from ..reverse import Value, topological_order

__all__ = ["COLUMNS", "MethodComparison", "MethodRow", "compare_methods"]

SYMBOLIC = "symbolic"
FORWARD_DIFFERENCE = "forward difference"
CENTRAL_DIFFERENCE = "central difference"
FORWARD_MODE = "forward mode"
REVERSE_MODE = "reverse mode"
METHODS = (SYMBOLIC, FORWARD_DIFFERENCE, CENTRAL_DIFFERENCE, FORWARD_MODE, REVERSE_MODE)


@dataclass(frozen=True)
class MethodRow:
    """One method's derivative, its error and what it cost (None: does not apply)."""

    method: str
    derivative: float | np.ndarray | None
    error: float | None = None
    evaluations: int | None = None  # calls of f, on floats, duals or Values
    backward_passes: int | None = None
    operations: int | None = None  # primitives applied, plus one multiply-add per edge per pass
    nodes_kept: int | None = None  # graph nodes stored for a backward pass
    expression_size: int | None = None
    note: str = ""

    @property
    def available(self) -> bool:
        return self.derivative is not None


@dataclass(frozen=True)
class GraphCount:
    """The graph one evaluation of f records: nodes, operation nodes and edges."""

    nodes: int
    operations: int
    edges: int


_COLUMNS = (
    ("method", lambda row: row.method),
    ("derivative", lambda row: _format_derivative(row.derivative)),
    ("error", lambda row: _format_error(row.error)),
    ("f evaluations", lambda row: _format_count(row.evaluations)),
    ("backward passes", lambda row: _format_count(row.backward_passes)),
    ("operations", lambda row: _format_count(row.operations)),
    ("nodes kept", lambda row: _format_count(row.nodes_kept)),
    ("formula size", lambda row: _format_count(row.expression_size)),
)
COLUMNS = tuple(name for name, _ in _COLUMNS)

# Cells never break inside a number or a word ("2.9e-" / "05", "op" / "erations").
_CELL_STYLE = "white-space:nowrap"


class MethodComparison:
    """The table `compare_methods` returns: text in a terminal, HTML in Jupyter.

    ``notes`` pairs each note with the column it explains (None: the whole
    table); `only` keeps some columns and the notes that go with them.
    """

    def __init__(self, rows, reference, n_inputs, n_outputs, point, graph, notes, columns=COLUMNS):
        self.rows: list[MethodRow] = rows
        self.reference: str = reference
        self.n_inputs: int = n_inputs
        self.n_outputs: int = n_outputs
        self.point = point
        self.graph: GraphCount = graph
        self._notes: list[tuple[str | None, str]] = notes
        self.columns: tuple[str, ...] = columns

    @property
    def notes(self) -> list[str]:
        """The notes under the table, for the columns shown."""
        return [text for column, text in self._notes if column is None or column in self.columns]

    def only(self, *columns: str) -> MethodComparison:
        """The same comparison showing only ``columns`` (the method column always)."""
        unknown = [column for column in columns if column not in COLUMNS]
        if unknown:
            raise ValueError(
                f"no column called {unknown[0]!r}; the columns are {', '.join(COLUMNS)}"
            )
        kept = tuple(name for name in COLUMNS if name == "method" or name in columns)
        return MethodComparison(
            self.rows,
            self.reference,
            self.n_inputs,
            self.n_outputs,
            self.point,
            self.graph,
            self._notes,
            kept,
        )

    def __getitem__(self, method: str) -> MethodRow:
        for row in self.rows:
            if row.method == method:
                return row
        raise KeyError(f"no method called {method!r}; the methods are {', '.join(METHODS)}")

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        shown = [(name, cell) for name, cell in _COLUMNS if name in self.columns]
        header = [name for name, _ in shown]
        body = [[cell(row) for _, cell in shown] for row in self.rows]
        return header, body

    def _title(self) -> str:
        domain = "R" if self.n_inputs == 1 else f"R^{self.n_inputs}"
        codomain = "R" if self.n_outputs == 1 else f"R^{self.n_outputs}"
        return (
            f"f: {domain} → {codomain} at x = {_format_point(self.point)}; "
            f"errors against {self.reference}"
        )

    def __str__(self) -> str:
        header, body = self._cells()
        widths = [max(len(line[k]) for line in [header, *body]) for k in range(len(header))]

        def line(cells):
            first = cells[0].ljust(widths[0])
            rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:]))
            return "  ".join([first, *rest]).rstrip()

        text = [self._title(), line(header), line(["-" * w for w in widths]), *map(line, body)]
        return "\n".join(text + [f"* {note}" for note in self.notes])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        header, body = self._cells()
        head = "".join(f'<th style="{_CELL_STYLE}">{html.escape(cell)}</th>' for cell in header)
        rows = "".join(
            "<tr>"
            + f'<th style="text-align:left; {_CELL_STYLE}">{html.escape(cells[0])}</th>'
            + "".join(
                f'<td style="text-align:right; {_CELL_STYLE}">{html.escape(c)}</td>'
                for c in cells[1:]
            )
            + "</tr>"
            for cells in body
        )
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes)
        return (
            f"<div><p><b>{html.escape(self._title())}</b></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f'<ul style="font-size:smaller">{notes}</ul></div>'
        )


# ---------------------------------------------------------------------------
# Formatting: rounded and deterministic


def _format_vector(values, digits: int) -> str:
    values = np.ravel(values) + 0.0  # + 0.0 turns -0.0 into 0.0
    shown = [f"{v:.{digits}g}" for v in values[:4]]
    if values.size > 4:
        shown.append(f"… {values.size} values")
    return "[" + ", ".join(shown) + "]"


def _format_point(point) -> str:
    return f"{point:g}" if isinstance(point, float) else _format_vector(point, 6)


def _format_derivative(derivative) -> str:
    if derivative is None:
        return "n/a"
    if isinstance(derivative, float):
        return f"{derivative + 0.0:.12g}"
    if np.ndim(derivative) == 1:
        return _format_vector(derivative, 6)
    rows = np.reshape(derivative, (np.shape(derivative)[0], -1))
    more = ", …" if rows.shape[0] > 1 else ""
    shape = "×".join(str(s) for s in np.shape(derivative))
    return f"{shape} [{_format_vector(rows[0], 4)}{more}]"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _format_error(error) -> str:
    if error is None:
        return "—"
    return "0" if error == 0 else f"{error:.1e}"


def _format_count(count) -> str:
    return "—" if count is None else str(count)


# ---------------------------------------------------------------------------
# The methods


class _Counted:
    """f, counting its calls."""

    def __init__(self, f: Callable) -> None:
        self.f = f
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.f(*args)


def _flat_floats(result) -> np.ndarray:
    """The outputs of f on plain numbers, as a flat float array."""
    items = np.asarray(result, dtype=object).ravel()
    return np.array([item.data if isinstance(item, Value) else item for item in items], float)


def _shape_jacobian(flat: np.ndarray, out_shape, point):
    """(m, n) → out_shape + x.shape, a float when both are scalars (as `jacobian` does)."""
    shaped = flat.reshape(tuple(out_shape) + np.shape(point))
    return float(shaped) if shaped.shape == () else shaped


def _record_graph(f: Callable, point) -> tuple[GraphCount, tuple]:
    """Run f once on Values and count the graph it records; also return the output shape."""
    if isinstance(point, float):
        inputs = Value(point)
    else:
        inputs = np.empty(point.shape, dtype=object)
        for index, number in np.ndenumerate(point):
            inputs[index] = Value(number)
    result = f(inputs)
    out_shape = np.shape(np.asarray(result, dtype=object))
    outputs = [item for item in np.asarray(result, dtype=object).flat if isinstance(item, Value)]
    order = topological_order(outputs)
    count = GraphCount(
        nodes=len(order),
        operations=sum(1 for node in order if node.op is not None),
        edges=sum(len(node.parents) for node in order),
    )
    return count, out_shape


def _finite_difference(f, point, out_shape, graph, method: str) -> MethodRow:
    counted = _Counted(f)
    base = np.ravel(point)
    n = base.size

    def at(flat_point):
        moved = (
            float(flat_point[0]) if isinstance(point, float) else flat_point.reshape(point.shape)
        )
        return _flat_floats(counted(moved))

    columns = []
    centre = at(base.copy()) if method == "forward" else None
    for j in range(n):
        step = default_step(base[j], method)
        ahead = base.copy()
        ahead[j] += step
        if method == "forward":
            columns.append((at(ahead) - centre) / step)
        else:
            behind = base.copy()
            behind[j] -= step
            columns.append((at(ahead) - at(behind)) / (2 * step))
    derivative = _shape_jacobian(np.stack(columns, axis=-1), out_shape, point)
    name = FORWARD_DIFFERENCE if method == "forward" else CENTRAL_DIFFERENCE
    return MethodRow(
        name,
        derivative,
        evaluations=counted.calls,
        backward_passes=0,
        operations=counted.calls * graph.operations,
        nodes_kept=0,
    )


def _forward_mode(f, point, out_shape, graph) -> MethodRow:
    counted = _Counted(f)
    n = np.size(point)
    columns = []
    for j in range(n):
        _, column = jvp_values(counted, point, basis_vector(np.shape(point), j))
        columns.append(np.ravel(np.asarray(column, dtype=float)))
    return MethodRow(
        FORWARD_MODE,
        _shape_jacobian(np.stack(columns, axis=-1), out_shape, point),
        evaluations=counted.calls,
        backward_passes=0,
        # Each pass applies every primitive and, like a backward pass, does one
        # multiply-add per edge: a node's tangent is the sum of partial × parent tangent.
        operations=counted.calls * (graph.operations + graph.edges),
        nodes_kept=0,
    )


def _reverse_mode(f, point, out_shape, graph) -> MethodRow:
    counted = _Counted(f)
    _, pullback = vjp_values(counted, point)
    m = int(np.prod(out_shape))
    rows = []
    for i in range(m):
        rows.append(np.ravel(np.asarray(pullback(basis_vector(out_shape, i)), dtype=float)))
    return MethodRow(
        REVERSE_MODE,
        _shape_jacobian(np.stack(rows), out_shape, point),
        evaluations=counted.calls,
        backward_passes=len(rows),
        operations=counted.calls * graph.operations + len(rows) * graph.edges,
        nodes_kept=graph.nodes,
    )


def _symbolic(f, point, out_shape, graph_nodes: int) -> MethodRow:
    try:
        from .. import symbolic
    except ImportError:
        return _unavailable(SYMBOLIC, "autodiff_lab.symbolic is not available")
    if isinstance(point, float):
        names = ["x"]
        inputs = symbolic.symbols("x")
        symbols = [inputs]
    else:
        names = [f"x{k + 1}" for k in range(point.size)]
        symbols = [symbolic.symbols(name) for name in names]
        inputs = np.empty(point.shape, dtype=object)
        for index, symbol in zip(np.ndindex(point.shape), symbols):
            inputs[index] = symbol
    bindings = dict(zip(names, (float(v) for v in np.ravel(point))))
    try:
        outputs = list(np.asarray(f(inputs), dtype=object).flat)
        entries, size = [], 0
        for output in outputs:
            for symbol in symbols:
                if isinstance(output, Real):  # f ignored its input: derivative 0
                    entries.append(0.0)
                    continue
                formula = symbolic.diff(output, symbol)
                size += symbolic.size(formula)
                entries.append(float(symbolic.evaluate(formula, **bindings)))
    except Exception as error:  # noqa: BLE001 - any failure to trace means "not symbolic"
        # The first sentence of the message is the reason; the rest is advice for elsewhere.
        reason = f"{type(error).__name__}: {str(error).split('. ')[0]}"
        return _unavailable(SYMBOLIC, f"f could not be traced symbolically ({reason:.160})")
    flat = np.array(entries).reshape(len(outputs), len(symbols))
    return MethodRow(
        SYMBOLIC,
        _shape_jacobian(flat, out_shape, point),
        expression_size=size,
        note=(
            f"{_plural(len(entries), 'derivative formula')} with {size} nodes written out, "
            f"where f's own graph has {graph_nodes}"
        ),
    )


def _unavailable(method: str, reason: str) -> MethodRow:
    return MethodRow(method, None, note=reason)


def _max_error(derivative, exact) -> float:
    return float(np.max(np.abs(np.asarray(derivative, dtype=float) - exact)))


def compare_methods(f: Callable, x, exact=None) -> MethodComparison:
    """Differentiate f at x five ways and tabulate the results and their costs.

    f maps a number or an array to a number or an array, written with
    operators, `autodiff_lab.math` or numpy functions so that it runs on
    floats, `Dual` and `Value` alike. ``exact`` (optional) is the true
    derivative; otherwise the symbolic one is used, or forward mode's if f
    cannot be traced symbolically.
    """
    point = as_point(x, who="compare_methods")
    try:
        graph, out_shape = _record_graph(f, point)
    except Exception as error:  # noqa: BLE001 - the table explains instead of crashing
        raise TypeError(
            f"compare_methods could not run f on Values ({type(error).__name__}: {error}); "
            "write f with operators, autodiff_lab.math or numpy functions"
        ) from error
    rows = [
        _symbolic(f, point, out_shape, graph.nodes),
        _finite_difference(f, point, out_shape, graph, "forward"),
        _finite_difference(f, point, out_shape, graph, "central"),
        _forward_mode(f, point, out_shape, graph),
        _reverse_mode(f, point, out_shape, graph),
    ]
    if exact is not None:
        reference, truth = "the exact value given", np.asarray(exact, dtype=float)
    elif rows[0].available:
        reference, truth = "the symbolic derivative", np.asarray(rows[0].derivative)
    else:
        reference, truth = "forward mode", np.asarray(rows[3].derivative)
    rows = [
        replace(row, error=_max_error(row.derivative, truth)) if row.available else row
        for row in rows
    ]
    n_inputs, n_outputs = int(np.size(point)), int(np.prod(out_shape))
    forward, reverse = rows[3], rows[4]
    if forward.operations == reverse.operations:
        cheaper = "operations: both modes cost the same here"
    else:
        cheaper = "fewer operations here: " + (
            FORWARD_MODE if forward.operations < reverse.operations else REVERSE_MODE
        )
    notes = [
        (
            "operations",
            f"one evaluation of f applies {_plural(graph.operations, 'primitive operation')}; "
            f"reverse mode records them as {graph.nodes} graph nodes with {graph.edges} edges",
        ),
        (
            "operations",
            "operations: primitives applied in all evaluations, plus one multiply-add per "
            "graph edge in each forward-mode pass (tangents) and each backward pass (adjoints)",
        ),
        (
            "nodes kept",
            "nodes kept: reverse mode keeps the whole graph until backward(); forward mode "
            "and finite differences keep no graph",
        ),
        (
            None,
            f"{_plural(n_inputs, 'input')} and {_plural(n_outputs, 'output')}: forward mode "
            f"needs one pass per input ({forward.evaluations}), reverse mode one backward "
            f"pass per output ({reverse.backward_passes})",
        ),
        ("operations", cheaper),
    ]
    notes.extend(
        ("formula size" if row.available else None, f"{row.method}: {row.note}")
        for row in rows
        if row.note
    )
    return MethodComparison(rows, reference, n_inputs, n_outputs, point, graph, notes)
