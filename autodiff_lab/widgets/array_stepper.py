"""Step through the backward pass of an array program, one VJP at a time.

``ArrayBackwardStepper(trace_arrays(loss, X=X, W1=W1))`` shows the graph of
`autodiff_lab.display.array_graph` with the node being processed highlighted,
each edge it sends a share along labelled with that share (its shape, or its
numbers when small), and a caption naming the primitive, its VJP formula and
the shapes, e.g. ``matmul: ā = ḡ·Bᵀ  (100×32)·(32×64) → 100×64, to X``. The
controls and the fixed layout are those of the scalar `BackwardStepper`.
"""

from __future__ import annotations

from ..array_steps import array_backward_steps, array_text
from ..array_trace import ArrayGraph
from ..display.array_graph import array_stable_sizes, draw_array_graph
from ..steps import gradients_after
from .steppers import _GraphStepperView


class ArrayBackwardStepper(_GraphStepperView):
    """Watch the backward pass of an `ArrayGraph` node by node, without changing its ``grads``.

    Step 0 seeds ḡ at the output (``seed`` for an output of several numbers);
    each later step runs one node's VJP, in the order the engine runs them.
    """

    title = "Backward pass"

    def __init__(self, graph: ArrayGraph, seed=None, prefetch: bool = True) -> None:
        if not isinstance(graph, ArrayGraph):
            raise TypeError(
                "ArrayBackwardStepper needs an ArrayGraph, e.g. "
                f"ArrayBackwardStepper(trace_arrays(f, X=X)); got {type(graph).__name__}"
            )
        self.graph = graph
        names = dict(zip(graph.nodes, graph.names))
        super().__init__(graph.output, array_backward_steps(graph, seed), prefetch, names)

    def _subject(self) -> str:
        return self.graph.name(self.graph.output)

    def drawing(self, index: int | None = None):
        """The `graphviz.Digraph` of step ``index`` (default: the current step)."""
        index = self.state.index if index is None else index
        return draw_array_graph(self.graph, **self._drawing_options(index), sizes=self._sizes())

    def _sizes(self):
        if getattr(self, "_fixed_sizes", None) is None:
            options = [self._drawing_options(k) for k in range(len(self.state))]
            self._fixed_sizes = array_stable_sizes(self.graph, options, **self._shows)
        return self._fixed_sizes

    def _drawing_options(self, index: int) -> dict:
        steps = self.state.steps
        step = steps[index]
        known = gradients_after(steps, index)
        notes = {
            node: "grad " + (array_text(known[node]) if node in known else "?")
            for node in self.graph.nodes
        }
        highlight: list = [step.node]
        edge_labels = {}
        for share in step.shares:
            key = (share.parent, step.node, share.position)
            highlight.append(key)
            edge_labels[key] = array_text(share.share)
        return {
            "show_grad": False,
            "highlight": highlight,
            "edge_labels": edge_labels,
            "node_notes": notes,
        }
