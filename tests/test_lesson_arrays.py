"""Lesson 16 (From scalars to arrays): the claims its prose makes, checked on the lesson's
own run.

The lesson runs once per test run, under nbval; `probe` below is then sent to its kernel,
after its last cell, and returns the facts these tests check (conftest.py: the
`lesson_run` fixture, which runs the lesson itself only where nbval does not). A learner
without PyTorch is checked there too: the probe runs the lesson's two PyTorch cells again
with `import torch` failing, and every other cell is shown not to touch torch.
"""

from __future__ import annotations

import ast

import numpy
import pytest
from installs import need
from repository import ROOT, script

SOURCE = ROOT / "notebooks" / "src" / "16_from_scalars_to_arrays.py"
GUARD = "import torch"  # the cell that imports torch or says how to install it
COMPARISON = "if torch is not None"  # the cell that compares with PyTorch


def code_cells() -> list[str]:
    # the cells exactly as the build reads them
    notebook = script("tools/build_notebooks.py").notebook_from_source(SOURCE)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def probe_arguments() -> dict:
    cells = code_cells()
    (guard,) = [code for code in cells if GUARD in code]
    (comparison,) = [code for code in cells if COMPARISON in code]
    return {"guard": guard, "comparison": comparison}


def probe(namespace, guard, comparison):
    """Run in the lesson's kernel after its last cell: the facts below, as plain data."""
    import contextlib
    import io
    import sys
    import warnings

    import numpy

    from autodiff_lab.reverse import walk
    from autodiff_lab.widgets import ArrayBackwardStepper

    ns = namespace
    facts = {}
    # A learner without PyTorch: the two cells that use it, again, with the import failing.
    without = dict(ns)
    kept, sys.modules["torch"] = sys.modules.get("torch"), None
    try:
        for name, code in (("guard", guard), ("comparison", comparison)):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(code, without)
            facts[f"{name} without torch"] = printed.getvalue()
    finally:
        sys.modules["torch"] = kept
    facts["torch after the guard"] = without["torch"]
    # The scalar matmul and its gradients.
    products = {
        id(node)
        for row in ns["C"]
        for entry in row
        for node in walk(entry)
        if node.op is not None and node.op.name == "mul"
    }
    facts["multiplications"], facts["outputs"] = len(products), len(ns["C"]) * len(ns["C"][0])
    for name in ("A_numbers", "B_numbers", "A_grad", "B_grad", "X_small", "kept", "N", "M"):
        facts[name] = ns[name]
    # Broadcasting: the VJPs on a cotangent of the test's choosing.
    g = numpy.random.default_rng(4).normal(size=(4, 3))
    facts["g"], facts["bias vjp"], facts["column vjp"] = g, ns["bias_vjp"](g), ns["column_vjp"](g)
    J = ns["J"]
    facts["J"] = {"size": J.size, "nonzero": numpy.count_nonzero(J), "nbytes": J.nbytes}
    facts["tanh vjp of ones"] = ns["tanh_vjp"](numpy.ones_like(ns["X_small"]))
    # The digits, the training run.
    for name in ("test", "train", "X_train", "onehot", "losses", "predicted", "y_test"):
        facts[name] = numpy.asarray(ns[name])
    facts["start"], facts["params"] = list(ns["start"]), list(ns["params"])
    facts["our gradients"] = ns["loss_and_grads"](*ns["params"])[1]
    # Softmax then log against log_softmax, on scores pushed to saturate.
    np = ns["np"]
    W1, b1, W2, b2 = ns["start"]
    z = ns["scores"](W1, b1, 1000 * W2, b2, ns["X_train"])
    with numpy.errstate(all="ignore"):
        facts["naive"] = -np.sum(ns["onehot"] * np.log(np.softmax(z, axis=1))) / len(z)
    facts["stable"] = -np.sum(ns["onehot"] * np.log_softmax(z, axis=1)) / len(z)
    facts["z"], facts["log_softmax(z)"] = z, np.log_softmax(z, axis=1)
    # The network's graph and its stepper.
    graph = ns["graph"]
    facts["operations"] = sum(1 for node in graph.nodes if node.op is not None)
    facts["output name"] = graph.name(graph.output)
    stepper = ArrayBackwardStepper(graph, prefetch=False)
    captions = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in range(len(stepper.state)):
            stepper.go(index)
            captions.append(stepper.caption)
    facts["captions"] = captions
    return facts


def printed(notebook, marker: str) -> str:
    """What the one code cell containing ``marker`` printed in the lesson's run."""
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and marker in c.source]
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def facts(lesson_run):
    return lesson_run[0]


@pytest.fixture(scope="module")
def notebook(lesson_run):
    return lesson_run[1]


def test_without_torch_the_lesson_runs_to_the_end_and_says_how_to_install_it(facts):
    assert facts["torch after the guard"] is None
    assert facts["guard without torch"] == "This part needs PyTorch: pip install torch==2.13.0\n"
    assert facts["comparison without torch"] == ""
    # No other cell touches torch, so the rest runs as it did.
    for code in code_cells():
        if GUARD not in code and COMPARISON not in code:
            names = {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}
            assert "torch" not in names, code


def test_a_numpy_array_goes_to_the_array_engine_and_a_list_to_values(notebook):
    lines = printed(notebook, "def f(x)").splitlines()
    assert lines[0] == "f receives ArrayNode of 3; x[0] is a Value: False"
    assert lines[2] == "f receives list of 3; x[0] is a Value: True"
    assert lines[1] == lines[3]  # the same gradient from both engines


def test_the_scalar_matmul_has_n_k_m_multiplications_and_its_grads_are_the_vjp(facts):
    A, B = facts["A_numbers"], facts["B_numbers"]
    assert (facts["multiplications"], facts["outputs"]) == (12, 4)  # "12 multiplications for 4"
    assert facts["multiplications"] == A.shape[0] * A.shape[1] * B.shape[1]
    g = numpy.array([[1.0, 0.0], [2.0, -1.0]])
    assert numpy.array_equal(facts["A_grad"], g @ B.T)
    assert numpy.array_equal(facts["B_grad"], A.T @ g)


def test_broadcast_gradients_sum_over_the_copied_axis(facts):
    g = facts["g"]
    numpy.testing.assert_allclose(facts["bias vjp"], g.sum(axis=0), rtol=1e-15)
    numpy.testing.assert_allclose(facts["column vjp"], g.sum(axis=1, keepdims=True), rtol=1e-15)


def test_the_tanh_jacobian_has_nm_nonzeros_and_the_engine_keeps_two_arrays(facts):
    X, J = facts["X_small"], facts["J"]
    nm = X.size
    assert J["size"] == nm**2 and J["nonzero"] == nm  # "all but NM of them are zero"
    assert J["nbytes"] == nm * X.nbytes  # "NM times the array"
    assert 1.9 < facts["kept"] / X.nbytes < 2.4  # "two arrays of the input's size"
    y = numpy.tanh(X)
    numpy.testing.assert_allclose(facts["tanh vjp of ones"], 1 - y**2, rtol=1e-15)


def test_the_realistic_jacobian_is_26_gigabytes(facts):
    assert (facts["N"], facts["M"]) == (1797, 32)
    assert round((1797 * 32) ** 2 * 8 / 1e9, 1) == 26.5


def test_a_quarter_of_the_digits_is_held_out_and_the_sets_do_not_overlap(facts):
    test, train = facts["test"], facts["train"]
    assert len(test) / 1797 == pytest.approx(0.25, abs=0.01)
    assert not set(test) & set(train)
    assert len(test) + len(train) == 1797


def test_the_network_makes_millions_of_products_per_forward_pass(facts):
    n, pixels = facts["X_train"].shape
    hidden, classes = facts["start"][2].shape
    assert n > 1000 and pixels == 64  # "a thousand images of 64 pixels"
    assert n * pixels * hidden + n * hidden * classes > 2_000_000  # "millions"


def test_training_starts_near_log_10_and_learns_the_digits(facts):
    losses = facts["losses"]
    assert abs(losses[0] - numpy.log(10)) < 0.2  # "near log 10"
    assert losses[-1] < losses[0] / 20
    assert numpy.mean(facts["predicted"] == facts["y_test"]) > 0.9


def test_log_of_softmax_gives_nan_where_log_softmax_does_not(facts):
    assert numpy.isnan(facts["naive"]) and numpy.isfinite(facts["stable"])
    z = facts["z"]
    lse = numpy.log(numpy.sum(numpy.exp(z - z.max(1, keepdims=True)), 1, keepdims=True))
    numpy.testing.assert_allclose(
        facts["log_softmax(z)"], z - z.max(1, keepdims=True) - lse, rtol=1e-12, atol=1e-9
    )


def test_with_torch_the_gradients_match_pytorch_float64(facts):
    torch = need("torch")
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in facts["params"]]
    W1, b1, W2, b2 = tensors
    hidden = torch.tanh(torch.tensor(facts["X_train"]) @ W1 + b1)
    log_p = torch.log_softmax(hidden @ W2 + b2, dim=1)
    (-(torch.tensor(facts["onehot"]) * log_p).sum() / len(facts["X_train"])).backward()
    for ours, theirs in zip(facts["our gradients"], tensors):
        numpy.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_the_matmul_view_follows_the_entry_the_prose_names(facts):
    from autodiff_lab import matmul_paths

    view = matmul_paths(
        facts["A_numbers"],
        facts["B_numbers"],
        numpy.array([[1.0, 0.0], [2.0, -1.0]]),
        entry=(1, 0),
    )
    # "A_10 reaches L through C_10 and C_11": two paths, summing to (ḡ·Bᵀ)[1, 0] = 5
    assert len(view.paths) == 2
    assert view.by_paths == view.by_scalar == view.by_array == 5.0


def test_the_network_graph_has_ten_operations_and_the_training_gradients(facts, notebook):
    assert facts["operations"] == 10
    assert facts["output name"] == "L"
    assert printed(notebook, "same gradients") == "same gradients: True\n"


def test_the_bias_step_receives_the_batch_and_sends_back_32_numbers(facts):
    (bias,) = [caption for caption in facts["captions"] if "to b1" in caption]
    assert "(1347×32) → 32, summed over the broadcast axes" in bias
