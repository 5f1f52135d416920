"""Stepper pictures keep one layout: every node's box is where it was at step 0.

Each step is rendered by every available backend and the bounding box of each
node (Graphviz's <title> names it) is compared with step 0's. Also: edge labels
use the body font size, constants carry no grad, and a drawing names unlabelled
nodes as the steppers do.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest
from test_display_graph import backend_or_skip

from autodiff_lab import Value
from autodiff_lab import math as am
from autodiff_lab.display.graph import draw_graph, node_names
from autodiff_lab.display.render import render_svg_with_backend
from autodiff_lab.reverse import topological_order
from autodiff_lab.widgets import BackwardStepper, ForwardStepper

SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def nested():
    """Lesson 02's f = sin((2x² + x + 1)²)³: constants, a reused x, unary and binary ops."""
    x = Value(0.5, label="x")
    return x, am.sin((2 * x**2 + x + 1) ** 2) ** 3


def boxes(svg: str) -> dict[str, tuple[float, ...]]:
    """Every node's bounding box, by its Graphviz name."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        xs, ys = [], []
        for element in group.iter():
            tag = element.tag.removeprefix(SVG)
            if tag == "polygon":
                pairs = [float(v) for v in NUMBER.findall(element.get("points"))]
                xs += pairs[0::2]
                ys += pairs[1::2]
            elif tag == "ellipse":
                cx, cy = float(element.get("cx")), float(element.get("cy"))
                rx, ry = float(element.get("rx")), float(element.get("ry"))
                xs += [cx - rx, cx + rx]
                ys += [cy - ry, cy + ry]
            elif tag == "rect":
                x, y = float(element.get("x")), float(element.get("y"))
                xs += [x, x + float(element.get("width"))]
                ys += [y, y + float(element.get("height"))]
        found[group.find(f"{SVG}title").text] = (min(xs), min(ys), max(xs), max(ys))
    return found


BACKENDS = ["builtin", "dot", "pure"]


def assert_nodes_stay_put(stepper, backend: str, node_count: int) -> None:
    """Every step of ``stepper`` draws ``node_count`` boxes and circles, each where the
    first step drew it, in a picture of the same size."""
    backend_or_skip(backend)
    first = None
    for index in range(len(stepper.state)):
        svg, used = render_svg_with_backend(stepper.drawing(index), backend=backend)
        assert used == backend
        layout = boxes(svg)
        size = re.search(r'<svg[^>]*width="([^"]+)"[^>]*height="([^"]+)"', svg).groups()
        if first is None:
            first = (layout, size)
            assert len(layout) == node_count
        else:
            assert (layout, size) == first, f"step {index} moved a node ({backend})"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["backward", "forward"])
def test_nodes_stay_put_from_step_to_step(backend, kind):
    x, f = nested()
    stepper = (
        BackwardStepper(f, prefetch=False)
        if kind == "backward"
        else ForwardStepper(f, seed=x, prefetch=False)
    )
    assert_nodes_stay_put(stepper, backend, 13 + 7)  # 13 values (6 constants), 7 operations


def test_edge_labels_use_the_body_font_size():
    x, f = nested()
    source = BackwardStepper(f, prefetch=False).drawing(3).source
    assert 'edge [color="#555555" fontname=Helvetica fontsize=11]' in source
    assert "node [fontname=Helvetica fontsize=11]" in source


def test_constants_are_drawn_with_their_number_and_no_grad():
    x = Value(2.0, label="x")
    y = 3 * x**2
    y.backward()
    source = html.unescape(draw_graph(y).source)
    constants = [node for node in topological_order([y]) if node.is_constant]
    assert [c.data for c in constants] == [3.0, 2.0] or [c.data for c in constants] == [2.0, 3.0]
    for line in source.splitlines():
        if "#ececec" in line:  # the constant boxes
            assert "grad" not in line and "data" not in line
    assert source.count("grad ") == 3  # x, x**2 and y only


def test_a_value_exponent_is_not_a_constant_and_gets_its_gradient():
    a, n = Value(2.0), Value(3.0)
    y = a**n
    y.backward()
    assert not n.is_constant and n.grad == pytest.approx(8.0 * 0.6931471805599453)
    assert (a**3).parents[1].is_constant


def test_drawings_and_steppers_name_unlabelled_nodes_alike():
    a, b = Value(2.0), Value(-1.0)
    d = (a * b + a).tanh()
    names = node_names(topological_order([d]))
    assert sorted(names.values()) == ["v1", "v2", "v3", "x1", "x2"]
    source = html.unescape(draw_graph(d).source)
    stepper = BackwardStepper(d, prefetch=False)
    assert stepper.names == names
    for name in names.values():
        assert f"{{ {name} |" in source


def test_one_minus_sign_for_numbers():
    a = Value(-1.5, label="a")
    d = a * -2
    d.backward()
    source = html.unescape(draw_graph(d).source)
    assert "data -1.5" in source and "grad -2" in source
    assert "\u2212" not in source
    caption_text = " ".join(step.caption for step in BackwardStepper(d).state.steps)
    assert "= -2.0" in caption_text and "\u22122" not in caption_text
