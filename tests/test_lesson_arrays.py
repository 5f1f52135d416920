"""Lesson 16 (From scalars to arrays): the claims its prose makes, checked on the lesson's
own code, which runs here in-process with PyTorch hidden, as a learner without it has it."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import warnings
from pathlib import Path

import numpy
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "notebooks" / "src" / "16_from_scalars_to_arrays.py"


def _parse_cells():
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "tools" / "build_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_cells(SOURCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lesson():
    """The lesson's namespace after running every code cell, and each cell's printout."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace, printed = {}, []
    hidden = pytest.MonkeyPatch()
    hidden.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    try:
        for kind, code in _parse_cells():
            if kind != "code":
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Agg's "non-interactive" plt.show()
                exec(compile(code, str(SOURCE), "exec"), namespace)
            printed.append((code, out.getvalue()))
    finally:
        hidden.undo()
        plt.close("all")
    return namespace, printed


def test_without_torch_the_lesson_runs_to_the_end_and_says_how_to_install_it(lesson):
    namespace, printed = lesson
    assert namespace["torch"] is None
    (guard,) = [out for code, out in printed if "import torch" in code]
    assert guard == "This part needs PyTorch: pip install torch==2.13.0\n"
    (comparison,) = [out for code, out in printed if "if torch is not None" in code]
    assert comparison == ""


def test_a_numpy_array_goes_to_the_array_engine_and_a_list_to_values(lesson):
    _, printed = lesson
    (out,) = [out for code, out in printed if "def f(x)" in code]
    lines = out.splitlines()
    assert lines[0] == "f receives ArrayNode of 3; x[0] is a Value: False"
    assert lines[2] == "f receives list of 3; x[0] is a Value: True"
    assert lines[1] == lines[3]  # the same gradient from both engines


def test_the_scalar_matmul_has_n_k_m_multiplications_and_its_grads_are_the_vjp(lesson):
    from autodiff_lab.reverse import walk

    ns, _ = lesson
    A, B = ns["A_numbers"], ns["B_numbers"]
    C = ns["C"]
    products = {
        id(node)
        for row in C
        for entry in row
        for node in walk(entry)
        if node.op is not None and node.op.name == "mul"
    }
    assert (len(products), len(C) * len(C[0])) == (12, 4)  # "12 multiplications for 4 outputs"
    assert len(products) == A.shape[0] * A.shape[1] * B.shape[1]
    g = numpy.array([[1.0, 0.0], [2.0, -1.0]])
    assert numpy.array_equal(ns["A_grad"], g @ B.T)
    assert numpy.array_equal(ns["B_grad"], A.T @ g)


def test_broadcast_gradients_sum_over_the_copied_axis(lesson):
    ns, _ = lesson
    g = ns["rng"].normal(size=(4, 3))
    numpy.testing.assert_allclose(ns["bias_vjp"](g), g.sum(axis=0), rtol=1e-15)
    numpy.testing.assert_allclose(ns["column_vjp"](g), g.sum(axis=1, keepdims=True), rtol=1e-15)


def test_the_tanh_jacobian_has_nm_nonzeros_and_the_engine_keeps_two_arrays(lesson):
    ns, _ = lesson
    X, J = ns["X_small"], ns["J"]
    nm = X.size
    assert J.size == nm**2 and numpy.count_nonzero(J) == nm  # "all but NM of them are zero"
    assert J.nbytes == nm * X.nbytes  # "NM times the array"
    assert 1.9 < ns["kept"] / X.nbytes < 2.4  # "two arrays of the input's size"
    y = numpy.tanh(X)
    numpy.testing.assert_allclose(ns["tanh_vjp"](numpy.ones_like(X)), 1 - y**2, rtol=1e-15)


def test_the_realistic_jacobian_is_26_gigabytes(lesson):
    ns, _ = lesson
    assert (ns["N"], ns["M"]) == (1797, 32)
    assert round((1797 * 32) ** 2 * 8 / 1e9, 1) == 26.5


def test_a_quarter_of_the_digits_is_held_out_and_the_sets_do_not_overlap(lesson):
    ns, _ = lesson
    assert len(ns["test"]) / 1797 == pytest.approx(0.25, abs=0.01)
    assert not set(ns["test"]) & set(ns["train"])
    assert len(ns["test"]) + len(ns["train"]) == 1797


def test_the_network_makes_millions_of_products_per_forward_pass(lesson):
    ns, _ = lesson
    n, pixels = ns["X_train"].shape
    hidden, classes = ns["start"][2].shape
    assert n > 1000 and pixels == 64  # "a thousand images of 64 pixels"
    assert n * pixels * hidden + n * hidden * classes > 2_000_000  # "millions"


def test_training_starts_near_log_10_and_learns_the_digits(lesson):
    ns, _ = lesson
    assert abs(ns["losses"][0] - numpy.log(10)) < 0.2  # "near log 10"
    assert ns["losses"][-1] < ns["losses"][0] / 20
    assert numpy.mean(ns["predicted"] == ns["y_test"]) > 0.9


def test_log_of_softmax_gives_nan_where_log_softmax_does_not(lesson):
    ns, _ = lesson
    np, onehot = ns["np"], ns["onehot"]
    W1, b1, W2, b2 = ns["start"]
    z = ns["scores"](W1, b1, 1000 * W2, b2, ns["X_train"])
    with numpy.errstate(all="ignore"):
        naive = -np.sum(onehot * np.log(np.softmax(z, axis=1))) / len(z)
    stable = -np.sum(onehot * np.log_softmax(z, axis=1)) / len(z)
    assert numpy.isnan(naive) and numpy.isfinite(stable)
    lse = numpy.log(numpy.sum(numpy.exp(z - z.max(1, keepdims=True)), 1, keepdims=True))
    numpy.testing.assert_allclose(
        np.log_softmax(z, axis=1), z - z.max(1, keepdims=True) - lse, rtol=1e-12, atol=1e-9
    )


def test_with_torch_the_gradients_match_pytorch_float64(lesson):
    torch = pytest.importorskip("torch")
    ns, _ = lesson
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in ns["params"]]
    W1, b1, W2, b2 = tensors
    hidden = torch.tanh(torch.tensor(ns["X_train"]) @ W1 + b1)
    log_p = torch.log_softmax(hidden @ W2 + b2, dim=1)
    (-(torch.tensor(ns["onehot"]) * log_p).sum() / len(ns["X_train"])).backward()
    _, grads = ns["loss_and_grads"](*ns["params"])
    for ours, theirs in zip(grads, tensors):
        numpy.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_the_matmul_view_follows_the_entry_the_prose_names(lesson):
    namespace, _ = lesson
    view = namespace["matmul_paths"](
        namespace["A_numbers"],
        namespace["B_numbers"],
        numpy.array([[1.0, 0.0], [2.0, -1.0]]),
        entry=(1, 0),
    )
    # "A_10 reaches L through C_10 and C_11": two paths, summing to (ḡ·Bᵀ)[1, 0] = 5
    assert len(view.paths) == 2
    assert view.by_paths == view.by_scalar == view.by_array == 5.0


def test_the_network_graph_has_ten_operations_and_the_training_gradients(lesson):
    namespace, printed = lesson
    graph = namespace["graph"]
    assert sum(1 for node in graph.nodes if node.op is not None) == 10
    assert graph.name(graph.output) == "L"
    (same,) = [out for code, out in printed if "same gradients" in code]
    assert same == "same gradients: True\n"


def test_the_bias_step_receives_the_batch_and_sends_back_32_numbers(lesson):
    namespace, _ = lesson
    stepper = namespace["ArrayBackwardStepper"](namespace["graph"], prefetch=False)
    captions = []
    for index in range(len(stepper.state)):
        stepper.go(index)
        captions.append(stepper.caption)
    (bias,) = [c for c in captions if "to b1" in c]
    assert "(1347×32) → 32, summed over the broadcast axes" in bias
