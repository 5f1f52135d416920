"""Step through the passes over a graph, or the sweeps over a trace, one step at a time.

`BackwardStepper(d)`, `ForwardStepper(d, seed=a)` and `TraceStepper(f, 2, 3)`
are ipywidgets views over the state machines of `autodiff_lab.steps`:
◀ Previous / Next ▶ buttons, a Play button linked to a slider, a caption with
the numbers of the current step and a picture. For the graph steppers that is
the graph with the current node highlighted; each step's picture is drawn
once and kept, and the next one is drawn in the background while the learner
reads, so Next ▶ usually finds it ready (where threads are unavailable, as in
Pyodide, each is drawn when it is shown). Every step is drawn with the same
fixed box and label sizes (`draw_graph`'s ``sizes``), so the nodes stay where
they are and only numbers and colours change. For `TraceStepper` it is the
Wengert list with the current row highlighted.

The layout fits a laptop: the caption keeps the height of the longest one, so
nothing below it jumps; a picture wider than the notebook scrolls in its own
box (`picture.Picture`), which keeps the current node in view, while the
buttons and the caption stay put. A caption and its picture change together.
Saved in a notebook, a stepper also carries a still HTML copy of its caption
and picture, which JupyterLab shows before anything runs, trusted or not.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import ipywidgets as widgets

from ..display.graph import draw_graph, stable_sizes
from ..display.render import render_svg, svg_image_html
from ..reverse import Value
from ..steps import (
    Stepper,
    backward_steps,
    caption_number,
    forward_steps,
    gradients_after,
    trace_steps,
)
from ..text import node_names, tangent_name
from ..trace import Trace, trace
from .picture import Picture

PLAY_INTERVAL_MS = 1200  # long enough to read a caption before the next step

_renderer: ThreadPoolExecutor | None = None
_threads_unavailable = sys.platform == "emscripten"  # Pyodide (JupyterLite) has no threads


def _background() -> ThreadPoolExecutor | None:
    """One shared worker that draws the next step while the learner reads this one,
    or None where threads cannot start (then every picture is drawn on demand)."""
    global _renderer
    if _threads_unavailable:
        return None
    if _renderer is None:
        _renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autodiff-render")
    return _renderer


def _submit(work: Callable) -> Future | None:
    """``work`` started in the background, or None if no thread could start for it."""
    global _threads_unavailable
    executor = _background()
    if executor is None:
        return None
    try:
        return executor.submit(work)
    except RuntimeError:  # "can't start new thread": from now on, draw on demand
        _threads_unavailable = True
        return None


def svg_html(svg: str) -> str:
    """SVG text as HTML for a `Picture`: without its XML prologue, at its own size
    (never shrunk, so labels keep their font size; a wide graph scrolls in the
    picture's box)."""
    start = svg.find("<svg")
    body = svg[start:] if start >= 0 else svg
    return f'<div class="autodiff-svg" style="width:max-content">{body}</div>'


class _StepperView:
    """Previous/Next buttons, Play, a slider and a caption over a list of steps.

    A view supplies the steps and, through `_draw`, each step's picture (and the
    names of the nodes to keep in view); drawing them once, ahead of time where
    threads allow, moving, clamping and the caption are all here.
    """

    title = "Steps"
    picture_class = "autodiff-picture"  # CSS class of the widget holding the picture

    def __init__(self, steps: list, prefetch: bool = True) -> None:
        self.state = Stepper(steps)
        self.prefetch = prefetch
        self._drawn: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._pending: dict[int, Future] = {}
        last = len(steps) - 1
        # The caption keeps the height of the longest one, so the picture never jumps.
        self._caption_lines = max(len(str(step.caption).splitlines()) or 1 for step in steps)

        self.previous_button = widgets.Button(description="◀ Previous", tooltip="previous step")
        self.previous_button.add_class("autodiff-previous")
        self.next_button = widgets.Button(description="Next ▶", tooltip="next step")
        self.next_button.add_class("autodiff-next")
        self.play = widgets.Play(
            value=0, min=0, max=last, step=1, interval=PLAY_INTERVAL_MS, show_repeat=False
        )
        self.slider = widgets.IntSlider(
            value=0, min=0, max=last, step=1, description="step", continuous_update=True
        )
        self.slider.add_class("autodiff-slider")
        # A kernel-side link (not jslink), so the slider follows Play in tests too.
        self._play_link = widgets.link((self.play, "value"), (self.slider, "value"))
        # The caption stands in the picture's widget, so that both change in one message.
        self.picture_html = Picture(layout=widgets.Layout(min_width="0", max_width="100%"))
        self.picture_html.add_class(self.picture_class)
        controls = widgets.HBox(
            [self.previous_button, self.next_button, self.play, self.slider],
            layout=widgets.Layout(flex_flow="row wrap", min_width="0", max_width="100%"),
        )
        self.widget = widgets.VBox(
            [controls, self.picture_html],
            layout=widgets.Layout(min_width="0", max_width="100%"),
        )
        self.widget.add_class("autodiff-stepper")

        self.previous_button.on_click(lambda _button: self._move(self.state.index - 1))
        self.next_button.on_click(lambda _button: self._move(self.state.index + 1))
        self.slider.observe(self._on_slider, names="value")
        self._show()

    # -- moving ------------------------------------------------------------------
    def _move(self, index: int) -> None:
        # The slider is the one source of truth: setting it runs _on_slider.
        self.slider.value = min(max(index, 0), len(self.state) - 1)

    def _on_slider(self, change) -> None:
        self.state.go(change["new"])
        self._show()

    def go(self, index: int) -> None:
        """Show step ``index`` (clamped to the first and last steps)."""
        self._move(index)

    def next(self) -> None:
        self._move(self.state.index + 1)

    def previous(self) -> None:
        self._move(self.state.index - 1)

    def _show(self) -> None:
        state = self.state
        # Draw first (the slow part), then change caption and picture together, so a
        # caption never stands over the previous step's picture.
        picture = self._picture_html(state.index)
        focus = self._drawing_of(state.index)[1]
        caption = self._caption_html()
        self.previous_button.disabled = state.at_start
        self.next_button.disabled = state.at_end
        self.picture_html.show(picture, focus, caption)
        self._prefetch_next()

    # -- drawing, once per step ------------------------------------------------------
    def _draw(self, index: int) -> tuple[str, tuple[str, ...]]:
        """Step ``index``'s picture (SVG, or HTML) and the node names to keep in view.
        It may run in a background thread, so it only reads the view's state."""
        raise NotImplementedError

    def _drawing_of(self, index: int) -> tuple[str, tuple[str, ...]]:
        """`_draw`'s answer for step ``index``, computed once (or taken from the background)."""
        if index not in self._drawn:
            pending = self._pending.pop(index, None)
            self._drawn[index] = pending.result() if pending is not None else self._draw(index)
        return self._drawn[index]

    def _prefetch_next(self) -> None:
        following = self.state.index + 1
        if not self.prefetch or following >= len(self.state):
            return
        if following in self._drawn or following in self._pending:
            return
        future = _submit(lambda: self._draw(following))
        if future is not None:
            self._pending[following] = future

    # -- what the current step shows -----------------------------------------------
    @property
    def step(self):
        """The current step."""
        return self.state.current

    @property
    def caption(self) -> str:
        """The current step's caption as plain text."""
        return self.state.current.caption

    def _caption_html(self) -> str:
        heading = f"{self.title}: step {self.state.index} of {len(self.state) - 1}"
        height = 1.35 * self._caption_lines
        return (
            f"<div><b>{html.escape(heading)}</b></div>"
            '<div class="autodiff-caption-text" style="font-family:monospace; '
            f"white-space:pre; overflow-x:auto; line-height:1.35em; min-height:{height:.2f}em"
            f'">{html.escape(self.caption)}</div>'
        )

    def _picture_html(self, index: int) -> str:
        """The HTML of step ``index``'s picture in the live widget."""
        return self._drawing_of(index)[0]

    def _still_picture_html(self, index: int) -> str:
        """The HTML of step ``index``'s picture as saved in a notebook: it must survive
        JupyterLab's sanitiser (no inline SVG, no scripts)."""
        return self._picture_html(index)

    def _subject(self) -> str:
        """What is being stepped through, by name, for the short text form."""
        raise NotImplementedError

    # -- showing in Jupyter ----------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} of {self._subject()}: "
            f"step {self.state.index} of {len(self.state) - 1}>"
        )

    def still_html(self) -> str:
        """The current caption and picture as plain HTML, with a note to run the cell:
        what a notebook shows before its cells run (a widget needs a live kernel)."""
        steps = len(self.state) - 1
        return (
            f'<div class="autodiff-stepper-still">{self._caption_html()}'
            f"{self._still_picture_html(self.state.index)}"
            f"<div><i>Run this cell to step through all {steps} steps with "
            "◀ Previous / Next ▶.</i></div></div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.still_html()  # shown until a kernel runs the widget
        bundle["text/plain"] = repr(self)  # short and free of SVG text and addresses
        return bundle


class _GraphStepperView(_StepperView):
    """A stepper whose picture is the graph of ``output``, drawn once per step."""

    picture_class = "autodiff-graph"

    def __init__(
        self, output: Value, steps: list, prefetch: bool = True, names: dict | None = None
    ) -> None:
        self.output = output
        self.names = node_names(output) if names is None else names
        super().__init__(steps, prefetch)

    @property
    def graph_html(self) -> Picture:
        """The widget that shows the graph."""
        return self.picture_html

    def _draw(self, index: int) -> tuple[str, tuple[str, ...]]:
        drawing = self.drawing(index)
        return render_svg(drawing), drawing.focus  # render_svg never raises

    def _picture_html(self, index: int) -> str:
        return svg_html(self._svg_for(index))

    def _still_picture_html(self, index: int) -> str:
        return svg_image_html(self._svg_for(index), f"step {index} of {self._subject()}")

    def _subject(self) -> str:
        return self.names[self.output]

    @property
    def svg(self) -> str:
        """The graph for the current step as SVG (rendered once per step)."""
        return self._svg_for(self.state.index)

    def _svg_for(self, index: int) -> str:
        return self._drawing_of(index)[0]

    def drawing(self, index: int | None = None):
        """The `graphviz.Digraph` of step ``index`` (default: the current step)."""
        index = self.state.index if index is None else index
        return draw_graph(self.output, **self._drawing_options(index), sizes=self._sizes())

    def _drawing_options(self, index: int) -> dict:
        """`draw_graph`'s arguments for step ``index``."""
        raise NotImplementedError

    _shows = {"show_grad": False, "show_data": True}  # the same for every step

    def _sizes(self):
        """One set of box and label sizes that fit every step (computed once)."""
        if getattr(self, "_fixed_sizes", None) is None:
            options = [self._drawing_options(k) for k in range(len(self.state))]
            self._fixed_sizes = stable_sizes(self.output, options, **self._shows)
        return self._fixed_sizes


class BackwardStepper(_GraphStepperView):
    """Watch ``value.backward()`` one node at a time, without changing any ``.grad``.

    Step 0 seeds ∂L/∂value = 1; each later step sends one node's adjoint to
    its parents, ``upstream × local`` on each edge. With ``prefetch`` the next
    step's picture is drawn in the background while this one is read.
    """

    title = "Backward pass"

    def __init__(self, value: Value, prefetch: bool = True) -> None:
        super().__init__(value, backward_steps(value), prefetch=prefetch)

    def _drawing_options(self, index: int) -> dict:
        step = self.state.steps[index]
        adjoints = gradients_after(self.state.steps, index)
        notes = {}
        for node in self.names:
            if node.is_constant:
                continue  # drawn with its number and no grad
            known = node in adjoints
            shown = caption_number(adjoints[node]) if known else "?"
            notes[node] = f"grad {shown}"
        highlight: list = [step.node]
        edge_labels = {}
        for share in step.shares:
            key = (share.parent, share.child, share.position)
            highlight.append(key)
            edge_labels[key] = (
                f"{caption_number(share.upstream)} × {caption_number(share.local)} = "
                f"{caption_number(share.share)}"
            )
        return {
            "show_grad": False,
            "highlight": highlight,
            "edge_labels": edge_labels,
            "node_notes": notes,
        }


class ForwardStepper(_GraphStepperView):
    """Watch the forward pass fill in each node's value, and its tangent for ``seed``.

    With ``seed`` (an input Value) every node also gets its tangent
    ∂node/∂seed by the dual-number rule; without it only values are filled in.
    """

    title = "Forward pass"

    def __init__(self, value: Value, seed: Value | None = None, prefetch: bool = True) -> None:
        self.seed = seed
        super().__init__(value, forward_steps(value, seed=seed), prefetch=prefetch)

    _shows = {"show_grad": False, "show_data": False}

    def _drawing_options(self, index: int) -> dict:
        steps = self.state.steps
        current = steps[index]
        notes = {step.node: f"{self.names[step.node]} = ?" for step in steps}
        for step in steps[: index + 1]:
            name = self.names[step.node]
            note = f"{name} = {caption_number(step.primal)}"
            if step.tangent is not None:
                note += f", {tangent_name(name)} = {caption_number(step.tangent)}"
            notes[step.node] = note
        highlight: list = [current.node]
        edge_labels = {}
        if current.tangent is not None:
            tangents = {step.node: step.tangent for step in steps[: index + 1]}
            node = current.node
            for slot, (parent, local) in enumerate(zip(node.parents, node.local_partials)):
                key = (parent, node, slot)
                highlight.append(key)
                if not parent.is_constant:  # a constant's tangent is 0: nothing to show
                    tangent = caption_number(tangents[parent])
                    edge_labels[key] = f"{caption_number(local)} × {tangent}"
        else:
            highlight.extend(
                (parent, current.node, slot) for slot, parent in enumerate(current.node.parents)
            )
        return {
            "show_grad": False,
            "show_data": False,
            "highlight": highlight,
            "edge_labels": edge_labels,
            "node_notes": notes,
        }


class TraceStepper(_StepperView):
    """Sweep a Wengert list forward, then in reverse, one highlighted row at a time.

    ``TraceStepper(trace(f, 2, 3))`` or ``TraceStepper(f, 2, 3, seed=(1, 0))``.
    The forward sweep fills in each row's primal and tangent, top to bottom;
    the reverse sweep fills in each row's adjoint, bottom to top. Numbers not
    computed yet read "?".
    """

    picture_class = "autodiff-table"

    def __init__(self, f_or_trace: Trace | Callable, *inputs, seed=None) -> None:
        if isinstance(f_or_trace, Trace):
            if inputs or seed is not None:
                raise TypeError(
                    "TraceStepper: a Trace already holds its inputs and seed; pass either "
                    "TraceStepper(trace) or TraceStepper(f, *inputs, seed=...)"
                )
            self.trace = f_or_trace
            self.function_name = None
        elif callable(f_or_trace):
            self.trace = trace(f_or_trace, *inputs, seed=seed)
            self.function_name = getattr(f_or_trace, "__name__", None)
        else:
            raise TypeError(
                "TraceStepper needs a Trace or a function with its inputs, e.g. "
                f"TraceStepper(f, 2.0, 3.0); got {type(f_or_trace).__name__} ({f_or_trace!r:.40})"
            )
        super().__init__(trace_steps(self.trace), prefetch=False)  # a table is quick to make

    @property
    def title(self) -> str:
        """The sweep of the current step."""
        return f"{self.state.current.sweep.capitalize()} sweep"

    @property
    def table_html(self) -> Picture:
        """The widget that shows the table."""
        return self.picture_html

    @property
    def table(self) -> str:
        """The Wengert list as HTML at the current step, its row highlighted."""
        return self._picture_html(self.state.index)

    def _draw(self, index: int) -> tuple[str, tuple[str, ...]]:
        step = self.state.steps[index]
        if step.sweep == "forward":
            computed = range(step.row_index + 1)
            filled = {"primal": computed, "tangent": computed, "adjoint": ()}
        else:  # primals and tangents are all known now (columns not named show in full)
            filled = {"adjoint": range(step.row_index, len(self.trace.rows))}
        return self.trace.to_html(highlight=step.row_index, filled=filled), ()

    def _subject(self) -> str:
        # A lambda has no name worth showing; the output row names the trace then.
        name = self.function_name
        return name if name and name.isidentifier() else self.trace.output.name
