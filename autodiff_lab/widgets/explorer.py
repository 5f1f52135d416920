"""Move a slider, watch the value, the gradients and the graph change.

``Explorer(f, x=(-2, 2, 0.5))`` gives one slider per input of ``f``. Every
change rebuilds the graph from fresh `Value` leaves, runs ``backward()`` and
redraws it with its values and gradients; a function of one input also gets
its tangent line at the slider's position.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable
from numbers import Real

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..display.graph import draw_graph
from ..display.render import render_svg, svg_image_html
from ..reverse import Value, no_grad
from ..steps import caption_number
from .picture import Picture
from .steppers import svg_html

SLIDER_POSITIONS = 200  # steps across each slider's range


def _parse_range(name: str, spec) -> tuple[float, float, float]:
    """(low, high) or (low, high, start) as three floats, checked."""
    if isinstance(spec, (tuple, list)) and len(spec) in (2, 3):
        if all(isinstance(item, Real) and not isinstance(item, bool) for item in spec):
            low, high = float(spec[0]), float(spec[1])
            start = float(spec[2]) if len(spec) == 3 else (low + high) / 2
            if math.isfinite(low) and math.isfinite(high) and low < high:
                if low <= start <= high:
                    return low, high, start
                raise ValueError(
                    f"Explorer: {name} starts at {start:g}, outside its range "
                    f"[{low:g}, {high:g}]; choose a start inside it"
                )
    raise ValueError(
        f"Explorer: give {name} as (low, high) or (low, high, start) with low < high, "
        f"e.g. {name}=(-2, 2, 0.5); got {spec!r:.60}"
    )


class Explorer:
    """Sliders for the inputs of ``f``, with its value, gradients and graph kept up to date.

    ``f`` is called with one `Value` per input, by name: ``Explorer(f, x=..., y=...)``
    calls ``f(x=Value(...), y=Value(...))``. For tests and notebooks the latest
    numbers are in ``.values``, ``.output`` and ``.gradients``.

    >>> explorer = Explorer(lambda x: x * x, x=(-2, 2, 1.5))
    >>> explorer.output, explorer.gradients
    (2.25, {'x': 3.0})
    """

    def __init__(self, f: Callable, *, continuous_update: bool = False, **ranges) -> None:
        if not callable(f):
            raise TypeError(f"Explorer needs a function first, got {type(f).__name__}")
        if not ranges:
            raise ValueError(
                "Explorer needs at least one input with its range, e.g. Explorer(f, x=(-2, 2, 0.5))"
            )
        self.f = f
        self.ranges = {name: _parse_range(name, spec) for name, spec in ranges.items()}
        self.sliders: dict[str, widgets.FloatSlider] = {}
        for name, (low, high, start) in self.ranges.items():
            slider = widgets.FloatSlider(
                value=start,
                min=low,
                max=high,
                step=(high - low) / SLIDER_POSITIONS,
                description=name,
                continuous_update=continuous_update,
                readout_format=".3g",
            )
            slider.add_class("autodiff-explorer-slider")
            slider.observe(self._on_change, names="value")
            self.sliders[name] = slider

        self.values: dict[str, float] = {}
        self.output: float | None = None
        self.gradients: dict[str, float] = {}
        self.graph: Value | None = None  # the output Value of the latest evaluation
        self.error: str | None = None
        self.svg = ""
        self.png = b""

        self.caption_html = widgets.HTML()
        self.caption_html.add_class("autodiff-caption")
        self.graph_html = Picture(layout=widgets.Layout(min_width="0", max_width="100%"))
        self.graph_html.add_class("autodiff-graph")
        pictures = [self.graph_html]
        self.plot_image = None
        if len(self.ranges) == 1:
            self.plot_image = widgets.Image(format="png")
            self.plot_image.add_class("autodiff-tangent-plot")
            pictures.append(self.plot_image)
        self.widget = widgets.VBox(
            [
                *self.sliders.values(),
                self.caption_html,
                widgets.HBox(pictures, layout=widgets.Layout(flex_flow="row wrap")),
            ],
            layout=widgets.Layout(min_width="0", max_width="100%"),
        )
        self.widget.add_class("autodiff-explorer")
        self.update()

    def _on_change(self, _change) -> None:
        self.update()

    def update(self) -> None:
        """Evaluate ``f`` at the sliders' values and redraw everything."""
        self.values = {name: float(slider.value) for name, slider in self.sliders.items()}
        leaves = {name: Value(number, label=name) for name, number in self.values.items()}
        try:
            result = self.f(**leaves)
            if isinstance(result, Real) and not isinstance(result, bool):
                result = Value(result)  # a constant: its gradients are all zero
            if not isinstance(result, Value):
                raise TypeError(
                    f"f returned {type(result).__name__} ({result!r:.40}), not a number; "
                    "return one number computed from the inputs f receives"
                )
            result.backward()
        except Exception as error:  # show the learner's mistake instead of a dead widget
            self.error = f"{type(error).__name__}: {error}"
            self.output, self.gradients, self.graph = None, {}, None
            self.caption_html.value = (
                f'<div style="color:#b00020"><b>f failed:</b> {html.escape(self.error)}</div>'
            )
            return
        self.error = None
        self.graph = result
        self.output = result.data
        self.gradients = {name: leaf.grad for name, leaf in leaves.items()}
        self.caption_html.value = (
            f'<div style="font-family:monospace">{html.escape(self.caption)}</div>'
        )
        self.svg = render_svg(draw_graph(result))
        self.graph_html.value = svg_html(self.svg)
        if self.plot_image is not None:
            self.png = self._tangent_png()
            self.plot_image.value = self.png

    @property
    def caption(self) -> str:
        """``f(x=1.5) = 2.25;  ∂f/∂x = 3.0`` for the current sliders."""
        if self.error is not None:
            return f"f failed: {self.error}"
        inputs = ", ".join(f"{name}={caption_number(value)}" for name, value in self.values.items())
        slopes = ", ".join(
            f"∂f/∂{name} = {caption_number(grad)}" for name, grad in self.gradients.items()
        )
        return f"f({inputs}) = {caption_number(self.output)};  {slopes}"

    def _tangent_png(self) -> bytes:
        from ..display.plots import plot_tangent  # loads pyplot: only for one-input functions

        ((name, (low, high, _start)),) = self.ranges.items()

        def along_input(number):
            # plot_tangent samples f at plain floats (and a Dual for the slope);
            # wrapping floats in Values lets f use methods such as x.tanh().
            if isinstance(number, float):
                with no_grad():
                    return self.f(**{name: Value(number)}).data
            return self.f(**{name: number})

        figure = Figure(figsize=(5.0, 3.2), dpi=90, layout="tight")
        try:
            plot_tangent(along_input, self.values[name], xlim=(low, high), ax=figure.subplots())
        except Exception as error:  # e.g. f uses an operation a Dual lacks: say so in the plot
            figure.clear()
            figure.text(0.05, 0.5, f"no tangent plot: {type(error).__name__}: {error}"[:90])
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def __repr__(self) -> str:
        names = ", ".join(self.ranges)
        return f"<Explorer of f({names})>"

    def still_html(self) -> str:
        """The caption, graph and tangent plot as plain HTML (images, no scripts): what a
        saved notebook shows before a kernel runs the widget, trusted or not."""
        parts = [f'<div style="font-family:monospace">{html.escape(self.caption)}</div>']
        if self.svg:
            parts.append(svg_image_html(self.svg, "the graph"))
        if self.png:
            data = base64.b64encode(self.png).decode("ascii")
            parts.append(f'<img alt="tangent line" src="data:image/png;base64,{data}"/>')
        parts.append("<div><i>Run this cell to move the sliders.</i></div>")
        return f'<div class="autodiff-explorer-still">{"".join(parts)}</div>'

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.still_html()
        bundle["text/plain"] = repr(self)
        return bundle
