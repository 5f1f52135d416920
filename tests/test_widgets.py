"""The ipywidgets views: steppers and explorer, driven as a front end would, without a browser."""

import html
import math
import xml.etree.ElementTree as ET

import pytest

from autodiff_lab import Value
from autodiff_lab.reverse import topological_order
from autodiff_lab.widgets import BackwardStepper, Explorer, ForwardStepper
from autodiff_lab.widgets import steppers as steppers_module

HIGHLIGHT_FILL = "#ffe9a8"  # the loud colour of autodiff_lab.display.graph
SVG = "{http://www.w3.org/2000/svg}"


def article_graph():
    a, b, c = Value(2.2, label="a"), Value(-1.8, label="b"), Value(0.1, label="c")
    d = a * (b + c)
    d.label = "d"
    return a, b, c, d


def shown(svg: str) -> str:
    """The SVG with entities decoded (Graphviz writes "-" as &#45;)."""
    return html.unescape(svg)


def highlighted_node_titles(svg: str) -> set[str]:
    """Graphviz names (n0, n1, … by topological position) of the value boxes drawn highlighted."""
    root = ET.fromstring(svg)
    titles = set()
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG}title")
        fills = {element.get("fill") for element in group.iter()}
        if title is not None and HIGHLIGHT_FILL in fills and not title.text.endswith("op"):
            titles.add(title.text)
    return titles


# -- BackwardStepper -------------------------------------------------------------------


def test_backward_stepper_has_the_controls_the_browser_test_looks_for():
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    assert stepper.previous_button.description == "◀ Previous"
    assert stepper.next_button.description == "Next ▶"
    assert "autodiff-next" in stepper.next_button._dom_classes
    assert "autodiff-previous" in stepper.previous_button._dom_classes
    assert (stepper.slider.min, stepper.slider.max, stepper.slider.value) == (0, 2, 0)
    assert (stepper.play.min, stepper.play.max) == (0, 2)
    assert stepper.widget.children[0].children == (
        stepper.previous_button,
        stepper.next_button,
        stepper.play,
        stepper.slider,
    )
    assert stepper.previous_button.disabled and not stepper.next_button.disabled


def test_clicking_next_and_previous_moves_state_slider_and_caption():
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    first_caption = stepper.caption
    stepper.previous_button.click()  # at the start: stays
    assert stepper.state.index == 0 and stepper.slider.value == 0
    assert stepper.caption == first_caption

    stepper.next_button.click()
    assert stepper.state.index == 1 and stepper.slider.value == 1
    assert stepper.caption != first_caption
    assert "1.0 · -1.7" in stepper.caption
    assert "1.0 · -1.7" in stepper.picture_html.caption
    assert "step 1 of 2" in stepper.picture_html.caption

    stepper.next_button.click()
    stepper.next_button.click()  # at the end: stays
    assert stepper.state.index == 2 and stepper.state.at_end
    assert stepper.next_button.disabled and not stepper.previous_button.disabled
    assert "2.2 · 1.0" in stepper.caption

    stepper.previous_button.click()
    assert stepper.state.index == 1 and stepper.slider.value == 1


def test_slider_and_play_move_the_state():
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    stepper.slider.value = 2
    assert stepper.state.index == 2
    assert stepper.step.node is d.parents[1]
    stepper.slider.set_state({"value": 1})  # as a message from the front end
    assert stepper.state.index == 1
    stepper.play.value = 0  # Play is linked to the slider
    assert stepper.slider.value == 0 and stepper.state.index == 0


def test_svg_highlights_the_current_node_and_labels_its_edges():
    a, b, c, d = article_graph()
    position = {node: f"n{index}" for index, node in enumerate(topological_order([d]))}
    stepper = BackwardStepper(d)
    assert highlighted_node_titles(stepper.svg) == {position[d]}
    assert shown(stepper.svg).count("grad ?") == 4  # only the output knows its adjoint yet

    stepper.next()
    assert highlighted_node_titles(stepper.svg) == {position[d]}
    assert "1.0 × -1.7 = -1.7" in shown(stepper.svg)  # upstream × local on the edge a → d
    assert "1.0 × 2.2 = 2.2" in shown(stepper.svg)
    assert "grad -1.7" in shown(stepper.svg)

    stepper.next()
    assert highlighted_node_titles(stepper.svg) == {position[d.parents[1]]}
    assert "2.2 × 1.0 = 2.2" in shown(stepper.svg)
    assert "grad ?" not in shown(stepper.svg)
    assert stepper.svg in stepper.graph_html.value


def test_each_step_is_rendered_once(monkeypatch):
    rendered = []
    real_render = steppers_module.render_svg

    def counting_render(drawing):
        rendered.append(drawing)
        return real_render(drawing)

    monkeypatch.setattr(steppers_module, "render_svg", counting_render)
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    for index in (1, 0, 1, 2, 1, 0):
        stepper.go(index)
    assert len(rendered) == 3


def test_prefetched_pictures_are_the_ones_drawn_on_demand():
    *_, d = article_graph()
    eager = BackwardStepper(d)  # draws step k + 1 in the background while step k shows
    lazy = BackwardStepper(d, prefetch=False)
    assert not lazy._pending
    for index in range(3):
        eager.go(index)
        lazy.go(index)
        assert eager.svg == lazy.svg
    forward_eager, forward_lazy = ForwardStepper(d), ForwardStepper(d, prefetch=False)
    for index in range(5):
        forward_eager.go(index)
        forward_lazy.go(index)
        assert forward_eager.svg == forward_lazy.svg


@pytest.mark.parametrize("how", ["emscripten", "thread fails to start"])
def test_without_threads_every_picture_is_drawn_on_demand(monkeypatch, how):
    """Pyodide (JupyterLite) has no threads: BackwardStepper(d) once raised there."""

    class NoThreads:
        def submit(self, work):
            raise RuntimeError("can't start new thread")

    if how == "emscripten":
        monkeypatch.setattr(steppers_module, "_threads_unavailable", True)
    else:
        monkeypatch.setattr(steppers_module, "_threads_unavailable", False)
        monkeypatch.setattr(steppers_module, "_renderer", NoThreads())
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    assert not stepper._pending and steppers_module._threads_unavailable
    reference = BackwardStepper(d, prefetch=False)
    for index in (1, 2, 0):
        stepper.go(index)
        reference.go(index)
        assert stepper.svg == reference.svg and not stepper._pending


def test_the_picture_keeps_the_current_node_in_view():
    """The picture scrolls on its own to the Graphviz names of the current node and its edges."""
    *_, d = article_graph()
    position = {node: f"n{k}" for k, node in enumerate(topological_order([d]))}
    stepper = BackwardStepper(d, prefetch=False)
    assert stepper.picture_html.focus == [position[d], position[d] + "op"]
    stepper.next()  # d sends its adjoint to a and to e = b + c
    e = d.parents[1]
    assert stepper.picture_html.focus[:2] == [position[d], position[d] + "op"]
    assert {position[d.parents[0]], position[e]} <= set(stepper.picture_html.focus)
    assert stepper.picture_html.value == steppers_module.svg_html(stepper.svg)


def test_the_caption_reserves_the_height_of_the_longest_one():
    """A caption growing from 1 to 3 lines pushed the graph down 56 px."""
    *_, d = article_graph()
    stepper = BackwardStepper(d, prefetch=False)
    lines = max(len(step.caption.splitlines()) for step in stepper.state.steps)
    assert lines > 1
    for index in range(len(stepper.state)):
        stepper.go(index)
        assert f"min-height:{1.35 * lines:.2f}em" in stepper.picture_html.caption
        assert "white-space:pre;" in stepper.picture_html.caption  # no wrapping adds a line


def test_the_saved_form_needs_no_trust():
    *_, d = article_graph()
    stepper = BackwardStepper(d, prefetch=False)
    bundle = stepper._repr_mimebundle_()
    still = bundle["text/html"]
    assert "<svg" not in still and "<script" not in still
    assert 'src="data:image/svg+xml;base64,' in still and "∂L/∂d = 1.0" in still
    assert "Run this cell to step through all 2 steps" in still
    assert bundle["text/plain"] == "<BackwardStepper of d: step 0 of 2>"


def test_stepping_does_not_touch_the_gradients():
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    for _ in range(3):
        stepper.next()
    assert all(node.grad == 0.0 for node in topological_order([d]))


def test_stepper_shows_itself_as_a_widget_with_short_text():
    *_, d = article_graph()
    stepper = BackwardStepper(d)
    bundle = stepper._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == stepper.widget.model_id
    assert bundle["text/plain"] == "<BackwardStepper of d: step 0 of 2>"


# -- ForwardStepper -------------------------------------------------------------------


def test_forward_stepper_fills_values_and_tangents_as_it_goes():
    a, b, c, d = article_graph()
    stepper = ForwardStepper(d, seed=a)
    assert len(stepper.state) == 5
    assert stepper.caption.startswith("a = 2.2 (input)")
    assert "d = ?" in shown(stepper.svg) and "b = ?" in shown(stepper.svg)
    assert "a = 2.2, a\u0307 = 1.0" in shown(stepper.svg)
    stepper.slider.value = 4
    assert "d = -3.74, d\u0307 = -1.7" in shown(stepper.svg)
    assert "= ?" not in shown(stepper.svg)
    assert stepper.step.tangent == pytest.approx(b.data + c.data)
    assert "-1.7 × 1.0" in shown(stepper.svg)  # local ∂d/∂a × ȧ on the edge a → d
    assert "2.2 × 0.0" in shown(stepper.svg)


def test_forward_stepper_without_seed_shows_values_only():
    *_, d = article_graph()
    stepper = ForwardStepper(d)
    stepper.go(4)
    assert stepper.caption == "d = a · v1 = -3.74"
    assert "d = -3.74" in shown(stepper.svg) and "\u0307" not in shown(stepper.svg)


# -- Explorer -------------------------------------------------------------------------


def test_explorer_follows_its_slider_with_value_and_gradient():
    explorer = Explorer(lambda x: (x**2).sin(), x=(-2.0, 2.0, 1.5))
    assert explorer.output == pytest.approx(math.sin(2.25))
    assert explorer.gradients["x"] == pytest.approx(3.0 * math.cos(2.25))  # ≈ -1.8845
    assert explorer.png.startswith(b"\x89PNG")
    first_png = explorer.png

    explorer.sliders["x"].value = 0.5
    assert explorer.values == {"x": 0.5}
    assert explorer.output == pytest.approx(math.sin(0.25))
    assert explorer.gradients["x"] == pytest.approx(2 * 0.5 * math.cos(0.25))
    assert explorer.png != first_png and explorer.plot_image.value == explorer.png
    assert "grad 0.9689" in shown(explorer.svg)  # 2·0.5·cos(0.25), the leaf's gradient in the graph
    assert "f(x=0.5) = 0.2474;  ∂f/∂x = 0.9689" == explorer.caption


def test_explorer_with_two_inputs_matches_the_curriculum_numbers():
    explorer = Explorer(lambda x, y: x * y + x**2, x=(-3, 3, 2), y=(-3, 3, 3))
    assert explorer.plot_image is None  # a tangent line needs one input
    assert (explorer.output, explorer.gradients) == (10.0, {"x": 7.0, "y": 2.0})
    explorer.sliders["y"].set_state({"value": 1.0})
    assert (explorer.output, explorer.gradients) == (6.0, {"x": 5.0, "y": 2.0})
    assert "data 6" in shown(explorer.svg)


def test_explorer_reports_a_failing_function_in_its_caption():
    explorer = Explorer(lambda x: x.no_such_method(), x=(0, 1))
    assert explorer.output is None and explorer.gradients == {}
    assert "AttributeError" in explorer.caption_html.value
    constant = Explorer(lambda x: 3.0, x=(0, 1))
    assert (constant.output, constant.gradients) == (3.0, {"x": 0.0})


@pytest.mark.parametrize(
    "spec", [(1, 0), (0, 1, 5), "wide", (0,), (0, math.inf), (0, 1, 0.5, 2), (True, 2)]
)
def test_explorer_refuses_a_bad_range(spec):
    with pytest.raises(ValueError, match="x"):
        Explorer(lambda x: x, x=spec)


def test_explorer_needs_inputs():
    with pytest.raises(ValueError, match="at least one input"):
        Explorer(lambda: 1.0)


def test_the_explorer_saved_form_needs_no_trust():
    explorer = Explorer(lambda x: x * x, x=(-2, 2, 1.5))
    still = explorer._repr_mimebundle_()["text/html"]
    assert "<svg" not in still and "<script" not in still
    assert "∂f/∂x = 3.0" in html.unescape(still)
    assert still.count("<img ") == 2  # the graph and the tangent plot
