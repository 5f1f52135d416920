"""matmul_paths: ḡ·Bᵀ at [i,k] is the sum over the scalar graph's paths to A[i,k].

The sum over paths, the scalar engine's backward, the array engine's VJP and
PyTorch (float64) must give the same number, for every entry and for random
tiny shapes; the pictures highlight exactly the paths; bad input is refused.
"""

from __future__ import annotations

import base64
import html
import re

import numpy as onp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autodiff_lab import Value, matmul_paths
from autodiff_lab.display.matmul_paths import MAX_PRODUCTS

A = onp.array([[1.0, 2.0, -1.0], [0.5, 3.0, 2.0]])
B = onp.array([[2.0, -1.0], [1.0, 0.5], [3.0, 1.0]])
G = onp.array([[1.0, 2.0], [0.5, -1.0]])


def torch_entry(A, B, g, entry) -> float:
    torch = pytest.importorskip("torch")
    a = torch.tensor(A, requires_grad=True)
    (torch.tensor(g) * (a @ torch.tensor(B))).sum().backward()
    return float(a.grad[entry])


@pytest.mark.parametrize("entry", [(i, k) for i in range(2) for k in range(3)])
def test_every_entry_agrees_across_paths_engines_and_torch(entry):
    view = matmul_paths(A, B, G, entry=entry)
    expected = (G @ B.T)[entry]
    assert view.by_formula == pytest.approx(expected, abs=1e-15)
    assert view.by_paths == pytest.approx(expected, abs=1e-15)
    assert view.by_scalar == pytest.approx(expected, abs=1e-15)
    assert view.by_array == pytest.approx(expected, abs=1e-15)
    assert view.by_array == pytest.approx(torch_entry(A, B, G, entry), abs=1e-15)


def test_one_path_per_column_with_product_g_times_b():
    i, k = 0, 1
    view = matmul_paths(A, B, G, entry=(i, k))
    assert len(view.paths) == B.shape[1]
    products = sorted(path.product for path in view.paths)
    assert products == sorted(G[i, j] * B[k, j] for j in range(2))
    for path in view.paths:
        labels = [node.label for node in path.nodes]
        assert labels[0] == "L" and labels[-1] == f"A[{i},{k}]"
        columns = [label for label in labels if label and label.startswith("C[")]
        assert len(columns) == 1 and columns[0].startswith(f"C[{i},")
    assert view.equation == "∂L/∂A[0,1] = Σ_j ḡ[0,j]·B[1,j] = 1·1 + 2·0.5 = 2 = (ḡ·Bᵀ)[0,1]"


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_tiny_shapes_agree(data):
    n, m, p = (data.draw(st.integers(1, 3)) for _ in range(3))
    numbers = st.floats(-3, 3, allow_nan=False, allow_subnormal=False)
    a = data.draw(hnp.arrays(onp.float64, (n, m), elements=numbers))
    b = data.draw(hnp.arrays(onp.float64, (m, p), elements=numbers))
    g = data.draw(hnp.arrays(onp.float64, (n, p), elements=numbers))
    entry = (data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, m - 1)))
    view = matmul_paths(a, b, g, entry=entry)
    expected = (g @ b.T)[entry]
    for found in (view.by_paths, view.by_scalar, view.by_array, view.by_formula):
        assert found == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert len(view.paths) == p


def test_the_scalar_picture_highlights_exactly_the_paths():
    view = matmul_paths(A, B, G, entry=(1, 2))
    source = html.unescape(view.scalar_drawing().source)
    highlighted = {
        line.split("label=")[1].split("|")[0].strip(' "{')
        for line in source.splitlines()
        if "#ffe9a8" in line and "shape=record" in line
    }
    assert {"L", "A[1,2]", "C[1,0]", "C[1,1]"} <= highlighted
    assert not {"C[0,0]", "C[0,1]", "A[1,1]", "B[2,0]"} & highlighted
    edges = {edge for path in view.paths for edge in path.edges}
    assert source.count("∂ ") == len(edges)  # every path edge carries its partial
    assert source.count("#d62728") > 0


def test_the_array_picture_shows_shapes_numbers_and_gradients():
    view = matmul_paths(A, B, G, entry=(0, 1))
    source = html.unescape(view.array_drawing().source)
    assert "A (2×3)" in source and "B (3×2)" in source and "C (2×2)" in source
    assert "data [[1, 2, -1], [0.5, 3, 2]]" in source
    assert "grad [[1, 2], [0.5, -1]]" in source  # C's gradient is ḡ
    assert view.array_graph.names == ["A", "B", "C"]


def test_html_shows_both_drawings_full_size_as_images_and_the_text_form_is_short():
    view = matmul_paths(A, B, G, entry=(0, 1))
    page = view._repr_html_()
    # Images (an untrusted notebook strips inline <svg>), never shrunk to fit: the
    # scalar graph was once squeezed to 3 px text beside the array graph.
    images = re.findall(
        r'<img [^>]*style="max-width:none" src="data:image/svg\+xml;base64,([^"]+)"', page
    )
    assert len(images) == 2 and "<svg" not in page
    scalar = base64.b64decode(images[1]).decode()
    assert "A[0,1]" in html.unescape(scalar) and "C[0,0]" in html.unescape(scalar)
    assert page.count("overflow-x:auto") == 2  # each scrolls sideways in its own box
    assert html.escape(view.equation) in page
    text = repr(view)
    assert text.splitlines()[0] == "C = A @ B with A 2×3, B 3×2, loss L = Σ ḡ⊙C"
    assert "scalar backward(): 2" in text and "array engine (one VJP, ā = ḡ·Bᵀ): 2" in text
    assert "<svg" not in text and "0x" not in text


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((A, A, G), {}, ValueError, r"A is 2×3 and B is 2×3"),
        ((A, B, onp.ones(2)), {}, ValueError, r"must be a matrix \(2-d\)"),
        ((A, B, onp.ones((3, 2))), {}, ValueError, r"needs C's shape 2×2; got 3×2"),
        ((onp.ones((4, 4)), onp.ones((4, 4)), onp.ones((4, 4))), {}, ValueError, "keep it tiny"),
        ((A, B, G), {"entry": (2, 0)}, ValueError, r"0 ≤ i < 2 and 0 ≤ k < 3"),
        ((A, B, G), {"entry": (0, -1)}, ValueError, r"entry must be \(i, k\)"),
        ((A, B, G), {"entry": (0.0, 1)}, ValueError, r"entry must be \(i, k\)"),
        ((A, B, G), {"entry": [0, 1]}, ValueError, r"entry must be \(i, k\)"),
        (([[Value(1.0)]], B, G), {}, TypeError, r"A must be a matrix of numbers"),
        ((A, "B", G), {}, TypeError, r"B must be a matrix of numbers"),
    ],
)
def test_bad_input_is_refused_with_a_message(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        matmul_paths(*args, **kwargs)


def test_the_size_limit_is_what_it_says():
    assert MAX_PRODUCTS == 27
    matmul_paths(onp.ones((3, 3)), onp.ones((3, 3)), onp.ones((3, 3)))  # 27: allowed
