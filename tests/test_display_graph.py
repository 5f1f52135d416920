"""The computation-graph drawing, its three SVG backends and the Jupyter MIME bundle."""

import base64
import re
import shutil
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab import Dual, Value
from autodiff_lab.display import render
from autodiff_lab.display.graph import draw_graph, format_number, mimebundle

HIGHLIGHT = "#d62728"


def value_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if re.match(r"\s*n\d+ \[", line)]


def op_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if re.match(r"\s*n\d+op \[", line)]


def edge_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if " -> " in line]


def line_of(source: str, start: str) -> str:
    (line,) = [line for line in source.splitlines() if line.strip().startswith(start)]
    return line


def example():
    """d = a * (b + c), with backward() already run."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    s = b + c
    d = a * s
    d.label = "d"
    d.backward()
    return a, b, c, s, d


def chain(length: int) -> Value:
    """A chain of multiplications by constants: 2·length + 1 values."""
    y = Value(1.0, label="x")
    for _ in range(length):
        y = y * 1.0001
    return y


# -- structure ------------------------------------------------------------------


def test_nodes_and_edges_of_a_small_graph():
    *_, d = example()
    source = draw_graph(d).source
    assert len(value_lines(source)) == 5  # a, b, c, b + c, d
    assert len(op_lines(source)) == 2  # + and *
    # b → +, c → +, + → (b+c), (b+c) → *, a → *, * → d
    assert len(edge_lines(source)) == 6
    assert 'n3op [label="+"' in source and 'n4op [label="*"' in source


def test_labels_data_and_grads_are_shown_rounded():
    x = Value(1.23456789, label="x")
    y = x * 3.0
    y.backward()
    source = draw_graph(y).source
    assert "{ x | data 1.235 | grad 3 }" in source
    assert "data 3.704" in source  # 3.7037...
    assert "grad" not in draw_graph(y, show_grad=False).source


@pytest.mark.parametrize(
    "number, text",
    [
        (0.0, "0"),
        (-0.0, "0"),
        (2.0, "2"),
        (-1.23456, "-1.235"),
        (123456.0, "1.235e+05"),
        (1e-7, "1e-07"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
        (3, "3"),
        (Dual(1.5, 2.0), "1.5 + 2ε"),
    ],
)
def test_format_number(number, text):
    assert format_number(number) == text


def test_show_partials_labels_each_edge_with_its_local_partial():
    a, b, c, s, d = example()
    source = draw_graph(d, show_partials=True).source
    assert 'n0 -> n4op [label="∂ 7"' in line_of(source, "n0 -> n4op")  # ∂d/∂a = b + c
    assert 'label="∂ 2"' in line_of(source, "n3 -> n4op")  # ∂d/∂s = a
    assert 'label="∂ 1"' in line_of(source, "n1 -> n3op")
    assert "∂" not in draw_graph(d).source


def test_highlight_styles_only_the_chosen_nodes_and_edges():
    a, b, c, s, d = example()
    plain = draw_graph(d).source
    assert HIGHLIGHT not in plain
    source = draw_graph(d, highlight=[a, (s, d)]).source
    assert HIGHLIGHT in line_of(source, "n0 [")  # a
    assert HIGHLIGHT not in line_of(source, "n1 [")  # b
    assert HIGHLIGHT in line_of(source, "n3 -> n4op")  # the edge s → d
    assert HIGHLIGHT not in line_of(source, "n0 -> n4op")
    # A single node works too, and nodes of another graph are ignored.
    assert HIGHLIGHT in line_of(draw_graph(d, highlight=b).source, "n1 [")
    assert HIGHLIGHT not in draw_graph(d, highlight=[Value(1.0)]).source


def test_edge_labels_and_node_notes_as_the_stepper_uses_them():
    a, b, c, s, d = example()
    source = draw_graph(
        d, highlight={a, s}, edge_labels={(a, d): "1.0 × 7"}, node_notes={s: "ẋ 0.5"}
    ).source
    assert 'label="1.0 × 7"' in line_of(source, "n0 -> n4op")
    assert "label" not in line_of(source, "n3 -> n4op")
    assert "ẋ 0.5" in line_of(source, "n3 [")
    two_fields = draw_graph(d, show_grad=False, node_notes={a: ("ẋ 1", "x̄ 7")}).source
    assert "{ a | data 2 | ẋ 1 | x̄ 7 }" in two_fields
    # An explicit label wins over show_partials on its edge only.
    both = draw_graph(d, show_partials=True, edge_labels={(a, d): "mine"}).source
    assert "label=mine" in line_of(both, "n0 -> n4op")
    assert 'label="∂ 2"' in line_of(both, "n3 -> n4op")


def test_x_times_x_has_two_edges_and_slots_pick_one():
    x = Value(3.0, label="x")
    y = x * x
    source = draw_graph(y, edge_labels={(x, y, 1): "second"}).source
    edges = [line for line in edge_lines(source) if line.strip().startswith("n0 -> n1op")]
    assert len(edges) == 2
    assert sum("second" in line for line in edges) == 1


def test_record_characters_in_labels_are_escaped():
    x = Value(1.0, label='w{1}|<b> "q"')
    svg = render.render_svg(draw_graph(x * 2), backend="builtin")
    assert "w{1}|&lt;b&gt;" in svg


def test_drawing_is_deterministic_and_free_of_addresses():
    first = draw_graph(example()[-1], show_partials=True).source
    second = draw_graph(example()[-1], show_partials=True).source
    assert first == second
    assert "0x" not in first
    assert repr(draw_graph(example()[-1])) == "<computation graph: 5 values>"


def test_several_outputs_in_one_picture():
    x = Value(2.0, label="x")
    source = draw_graph([x * 2, x.exp()]).source
    assert len(value_lines(source)) == 4  # x, the constant 2, x * 2, exp(x)


def test_bad_arguments_are_explained():
    with pytest.raises(TypeError, match="Value"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(Value(1.0), rankdir="up")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(Value(1.0), max_nodes=0)


def test_large_graphs_are_cut_to_the_values_nearest_the_output():
    y = chain(100)  # 201 values
    drawing = draw_graph(y, max_nodes=50)
    source = drawing.source
    assert len(value_lines(source)) == 50
    assert "… 151 more values" in source
    assert "Showing the 50 values computed last" in source
    assert "data 1.01" in line_of(source, "n200 [")  # the output is kept
    # Hidden parents feed the kept operations through the summary box only.
    assert all(f"n{i} " not in source for i in range(151))
    assert [line for line in edge_lines(source) if "hidden ->" in line]
    assert repr(drawing) == "<computation graph: 50 of 201 values shown>"
    assert "more values" not in draw_graph(y, max_nodes=None).source


# -- rendering -----------------------------------------------------------------


INSTALL_BACKEND = {
    "dot": "Graphviz's dot program is missing: apt-get install graphviz",
    "pure": "graphviz-pure is missing: pip install -e '.[dot]'",
}


def backend_or_skip(name: str) -> None:
    """Skip unless the rendering backend ``name`` is installed, naming what installs it."""
    if render.rendering_backend(name) != name:
        pytest.skip(INSTALL_BACKEND[name])


@pytest.mark.parametrize("backend", ["dot", "pure", "builtin"])
def test_every_backend_draws_svg_with_the_labels(backend):
    backend_or_skip(backend)
    *_, d = example()
    svg, used = render.render_svg_with_backend(draw_graph(d, show_partials=True), backend)
    assert used == backend
    assert svg.startswith(("<svg", "<?xml"))
    assert svg.rstrip().endswith("</svg>")
    for text in ("a", "data 14", "grad 7", "∂ 7", "+"):
        assert f">{text}</text>" in svg
    assert "0x" not in svg
    assert "Generated by" not in svg  # the version comment is stripped


@pytest.mark.parametrize("backend", ["dot", "pure"])
def test_graphviz_lays_out_a_loop_that_reuses_its_input_before_its_time_limit(backend):
    """y = tanh(1.01·y) + x, 60 times: dot's node placement ran over a minute, so the
    drawing waited out the time limit and fell back to the built-in layout."""
    backend_or_skip(backend)
    x = Value(0.5, label="x")
    y = x
    for _ in range(60):
        y = (y * 1.01).tanh() + x
    svg, used = render.render_svg_with_backend(draw_graph(y), backend)
    assert used == backend
    assert svg.rstrip().endswith("</svg>")


def test_environment_variable_chooses_the_backend(monkeypatch):
    monkeypatch.setenv(render.ENVIRONMENT_VARIABLE, "builtin")
    assert render.rendering_backend() == "builtin"
    assert render.render_svg_with_backend(draw_graph(Value(1.0)))[1] == "builtin"
    monkeypatch.setenv(render.ENVIRONMENT_VARIABLE, "nonsense")
    assert render.rendering_backend() in render.BACKENDS


def test_without_graphviz_the_builtin_backend_takes_over(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(render.sys, "executable", str(tmp_path / "python"))
    assert render.rendering_backend() == "builtin"
    assert render.rendering_backend("dot") == "builtin"
    svg, used = render.render_svg_with_backend(draw_graph(example()[-1]), "dot")
    assert used == "builtin" and "data 14" in svg


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
@pytest.mark.parametrize("script", ["exit 3", "sleep 5", "echo not svg"])
def test_a_broken_or_slow_graphviz_falls_back(monkeypatch, tmp_path, script):
    program = tmp_path / "fake-dot"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(render, "_executable", lambda name: str(program))
    svg, used = render.render_svg_with_backend(draw_graph(Value(1.0)), timeout=0.5)
    assert used == "builtin" and svg.startswith("<svg")


@given(st.text(max_size=200))
def test_builtin_backend_never_raises_on_any_text(source):
    svg = render.render_svg(source, backend="builtin")
    assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_builtin_backend_reads_general_dot():
    source = """
    digraph G { rankdir=TB; node [shape=box];
      subgraph cluster_0 { a -> b -> c; }
      c -> a [label="back"];  // a cycle
      d [label=<<b>bold</b> text>];
      e:f0 -> d;
    }"""
    svg = render.render_svg(source, backend="builtin")
    for text in (">a<", ">b<", ">c<", ">back<", "bold text", ">e<"):
        assert text in svg
    assert render.render_svg(object(), backend="builtin").startswith("<svg")


# -- the MIME bundle of a Value -------------------------------------------------


BUNDLE_KEYS = {"text/html", "image/svg+xml", "text/plain"}


def image_in_html(page: str) -> str:
    """The SVG that a bundle's HTML shows as an <img> data URL."""
    (data,) = re.findall(r'<img [^>]*src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    return base64.b64decode(data).decode("utf-8")


def test_the_html_shows_the_same_svg_as_an_image_that_needs_no_trust():
    *_, d = example()
    bundle = mimebundle(d)
    # Untrusted JupyterLab strips inline <svg> and scripts from HTML but keeps an <img>.
    assert "<svg" not in bundle["text/html"] and "<script" not in bundle["text/html"]
    assert image_in_html(bundle["text/html"]) == bundle["image/svg+xml"]
    assert 'style="max-width:none"' in bundle["text/html"]  # never shrunk: it scrolls
    assert draw_graph(d)._repr_mimebundle_()["text/html"].count("<img ") == 1


@pytest.mark.parametrize("backend", ["dot", "pure", "builtin"])
def test_mimebundle_has_the_same_keys_for_every_backend(monkeypatch, backend):
    backend_or_skip(backend)
    monkeypatch.setenv(render.ENVIRONMENT_VARIABLE, backend)
    *_, d = example()
    bundle = mimebundle(d)
    assert set(bundle) == BUNDLE_KEYS
    assert bundle["text/plain"] == repr(d)
    assert "data 14" in bundle["image/svg+xml"]
    assert d._repr_mimebundle_() == bundle


@pytest.mark.parametrize("backend", ["dot", "pure", "builtin"])
def test_mimebundle_of_a_5000_node_graph_stays_small(monkeypatch, backend):
    backend_or_skip(backend)
    monkeypatch.setenv(render.ENVIRONMENT_VARIABLE, backend)
    y = chain(2500)  # 5,001 values
    bundle = mimebundle(y)
    assert set(bundle) == BUNDLE_KEYS
    svg = bundle["image/svg+xml"]
    assert len(svg.encode()) < 1_000_000
    assert "4,801 more values" in svg
    assert "0x" not in svg


def test_mimebundle_never_raises(monkeypatch):
    import autodiff_lab.display.graph as graph_module

    hessian_like = Value(Dual(2.0, 1.0)) * Value(3.0)  # data that are dual numbers
    assert "Dual(6.0, 3.0)" in mimebundle(hessian_like)["text/plain"]
    assert "6 + 3ε" in mimebundle(hessian_like)["image/svg+xml"]

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(graph_module, "draw_graph", broken)
    bundle = mimebundle(Value(4.0, label="x"))
    assert set(bundle) == BUNDLE_KEYS
    assert bundle["image/svg+xml"].startswith("<svg")
    assert "label=&#x27;x&#x27;" in bundle["image/svg+xml"]
