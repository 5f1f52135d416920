"""A tiny matmul beside the scalar graph it stands for: ``ḡ·Bᵀ`` is a sum over paths.

``matmul_paths(A, B, g, entry=(i, k))`` builds C = A @ B twice: once as one
array node (`trace_arrays`), once as scalar `Value`s, C[i,j] = Σ_k A[i,k]·B[k,j],
with the loss L = Σ ḡ⊙C (so ∂L/∂C = ḡ). In the scalar graph every path from L
back to A[i,k] is highlighted: one per column j, through C[i,j], with product
ḡ[i,j]·B[k,j]. Their sum is what the array engine's VJP ā = ḡ·Bᵀ gives at
[i,k] in one matrix product, and what the scalar engine's backward() gives.
"""

from __future__ import annotations

import html

import numpy as np

from ..array_trace import label_array, trace_arrays
from ..reverse import Value
from . import render
from .array_graph import draw_array_graph
from .graph import GraphDrawing, draw_graph, format_number
from .paths import PathTable, paths

MAX_PRODUCTS = 27  # m·p·n products for A (m×p) @ B (p×n): 3×3 by 3×3 at most, to stay readable


def _matrix(x, name: str) -> np.ndarray:
    try:
        array = np.asarray(x)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "biuf":
        raise TypeError(
            f"matmul_paths: {name} must be a matrix of numbers (a numpy array or nested "
            f"lists), got {type(x).__name__}"
        )
    if array.ndim != 2:
        raise ValueError(f"matmul_paths: {name} must be a matrix (2-d), got shape {array.shape}")
    return np.array(array, dtype=np.float64)


def _operand(number: float) -> str:
    text = format_number(number)
    return f"({text})" if text.startswith("-") else text


class MatmulPaths:
    """C = A @ B as one array node and as its scalar graph, with the paths to A[i,k].

    by_paths      Σ of the path products in the scalar graph
    by_scalar     A[i,k].grad after the scalar engine's backward()
    by_array      (ā)[i,k] from the array engine's backward (ā = ḡ·Bᵀ)
    by_formula    Σ_j ḡ[i,j]·B[k,j], computed directly
    """

    def __init__(self, A, B, g, entry=(0, 0)) -> None:
        A, B, g = _matrix(A, "A"), _matrix(B, "B"), _matrix(g, "g")
        (m, p), (p2, n) = A.shape, B.shape
        if p != p2:
            raise ValueError(
                f"matmul_paths: A is {m}×{p} and B is {p2}×{n}; A @ B needs A's columns "
                "to match B's rows"
            )
        if g.shape != (m, n):
            raise ValueError(
                f"matmul_paths: g is ∂L/∂C, so it needs C's shape {m}×{n}; got "
                f"{'×'.join(map(str, g.shape))}"
            )
        if m * p * n > MAX_PRODUCTS:
            raise ValueError(
                f"matmul_paths draws every scalar multiplication ({m}·{p}·{n} = {m * p * n}); "
                f"keep it tiny (at most {MAX_PRODUCTS}, e.g. 2×3 by 3×2)"
            )
        if (
            not isinstance(entry, tuple)
            or len(entry) != 2
            or not all(isinstance(e, (int, np.integer)) for e in entry)
            or not (0 <= entry[0] < m and 0 <= entry[1] < p)
        ):
            raise ValueError(
                f"matmul_paths: entry must be (i, k) with 0 ≤ i < {m} and 0 ≤ k < {p}, "
                f"an entry of A; got {entry!r}"
            )
        self.A, self.B, self.g = A, B, g
        self.entry = i, k = int(entry[0]), int(entry[1])

        # The array engine: one matmul node, seeded with ḡ.
        self.array_graph = trace_arrays(lambda A, B: label_array(A @ B, "C"), A=A, B=B)
        self.array_graph.backward(seed=g)
        self.by_array = float(self.array_graph.grads["A"][i, k])

        # The scalar engine: one Value per entry, one node per multiplication.
        a = [[Value(A[r, c], label=f"A[{r},{c}]") for c in range(p)] for r in range(m)]
        b = [[Value(B[r, c], label=f"B[{r},{c}]") for c in range(n)] for r in range(p)]
        loss = None
        for r in range(m):
            for c in range(n):
                entry_value = a[r][0] * b[0][c]
                for t in range(1, p):
                    entry_value = entry_value + a[r][t] * b[t][c]
                entry_value.label = f"C[{r},{c}]"
                term = float(g[r, c]) * entry_value
                loss = term if loss is None else loss + term
        loss.label = "L"
        loss.backward()
        self.loss = loss
        self.leaf = a[i][k]
        self.by_scalar = float(self.leaf.grad)
        self.paths: PathTable = paths(loss, self.leaf)
        self.by_paths = float(self.paths.total)
        self.terms = [(j, float(g[i, j]), float(B[k, j])) for j in range(n)]
        self.by_formula = float(sum(gj * bj for _, gj, bj in self.terms))

    # -- pictures ----------------------------------------------------------------------
    def array_drawing(self) -> GraphDrawing:
        """The array graph: A and B into one matmul node C, A highlighted (top to
        bottom, so that it is narrow beside the scalar graph)."""
        graph = self.array_graph
        A, C = graph.node("A"), graph.node("C")
        return draw_array_graph(graph, rankdir="TB", highlight=[A, C, (A, C, 0)])

    def scalar_drawing(self) -> GraphDrawing:
        """The scalar graph of the same product, the paths from L to A[i,k] highlighted."""
        highlight: list = []
        edge_labels = {}
        for path in self.paths:
            highlight.extend(path.nodes)
            for edge, partial in zip(path.edges, path.partials):
                highlight.append(edge)
                edge_labels[edge] = "∂ " + format_number(partial)
        return draw_graph(self.loss, highlight=highlight, edge_labels=edge_labels)

    # -- words ---------------------------------------------------------------------------
    @property
    def equation(self) -> str:
        """``∂L/∂A[0,1] = Σ_j ḡ[0,j]·B[1,j] = 0.5·2 + … = … = (ḡ·Bᵀ)[0,1]``"""
        i, k = self.entry
        products = " + ".join(f"{_operand(gj)}·{_operand(bj)}" for _, gj, bj in self.terms)
        return (
            f"∂L/∂A[{i},{k}] = Σ_j ḡ[{i},j]·B[{k},j] = {products} = "
            f"{format_number(self.by_formula)} = (ḡ·Bᵀ)[{i},{k}]"
        )

    @property
    def engines(self) -> str:
        """What each way of computing it gave."""
        return (
            f"sum over the {len(self.paths)} highlighted paths: {format_number(self.by_paths)}; "
            f"scalar backward(): {format_number(self.by_scalar)}; "
            f"array engine (one VJP, ā = ḡ·Bᵀ): {format_number(self.by_array)}"
        )

    def __repr__(self) -> str:
        (m, p), n = self.A.shape, self.B.shape[1]
        return (
            f"C = A @ B with A {m}×{p}, B {p}×{n}, loss L = Σ ḡ⊙C\n{self.equation}\n{self.engines}"
        )

    def _repr_html_(self) -> str:
        pictures = [
            ("Array engine: one matmul node", self.array_drawing()),
            (f"Scalar engine: every product, paths to A{list(self.entry)}", self.scalar_drawing()),
        ]
        # One above the other, each at its own size (never shrunk, so its text stays
        # readable): the wide scalar graph scrolls sideways in its own box. Images, so
        # that an untrusted notebook shows them too.
        panels = "".join(
            f'<div class="autodiff-panel"><div><b>{html.escape(title)}</b></div>'
            f"{render.svg_image_html(render.render_svg(drawing), title)}</div>"
            for title, drawing in pictures
        )
        return (
            f'<div class="autodiff-matmul-paths">{panels}'
            f'<div style="font-family:monospace">{html.escape(self.equation)}<br>'
            f"{html.escape(self.engines)}</div></div>"
        )


def matmul_paths(A, B, g, entry=(0, 0)) -> MatmulPaths:
    """C = A @ B beside its scalar graph: ∂L/∂A[i,k] as the sum over the highlighted paths.

    ``g`` is ḡ = ∂L/∂C (C's shape); ``entry`` is (i, k), the entry of A followed.
    """
    return MatmulPaths(A, B, g, entry)
