"""Student self-checks: solutions pass, stubs fail politely, usual mistakes get their hint.

Everything here runs in this process (the exercises' cells are exec'd into a
namespace), so it is quick; the kernel machinery is tested in
test_grading_autograder.py.
"""

from __future__ import annotations

import random
import re

import builders
import numpy as np
import pytest

from autodiff_lab.grading import check, part_names, run_checks
from autodiff_lab.grading.catalogue import EXERCISES, PARTS, PROBES
from autodiff_lab.grading.notebook_format import TEST, grade_id_of, role_of
from autodiff_lab.grading.probes import judge, run_probes
from autodiff_lab.grading.release import release_notebook


def parts_of(exercise: str) -> list[str]:
    return [name for name, part in PARTS.items() if part.exercise == exercise]


@pytest.fixture(scope="module")
def solved_namespaces():
    return {name: builders.run_in_process(builders.source(name)) for name in EXERCISES}


@pytest.fixture(scope="module")
def stub_namespaces():
    return {
        name: builders.run_in_process(release_notebook(builders.source(name)), tests=False)
        for name in EXERCISES
    }


def with_answer(exercise: str, grade_id: str, code: str) -> dict:
    """The namespace of a student whose answer cell ``grade_id`` holds ``code``."""
    notebook = builders.submission(exercise, {grade_id: code}, base=builders.solved(exercise))
    return builders.run_in_process(notebook, tests=False)


def failures(part: str, namespace: dict) -> str:
    report = run_checks(part, namespace)
    assert not report.passed, f"{part} should fail here"
    return report.text()


# -- solutions and stubs ---------------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_part_passes_on_the_solution(exercise, solved_namespaces):
    for part in parts_of(exercise):
        report = run_checks(part, solved_namespaces[exercise])
        assert report.passed, report.text()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_part_fails_on_the_stub_and_says_it_is_not_written(exercise, stub_namespaces):
    for part in parts_of(exercise):
        report = run_checks(part, stub_namespaces[exercise])
        assert report.failures and all(
            failure.exception == "NotImplementedError" for failure in report.failures
        )
        assert "not written yet" in report.text()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_released_test_cells_fail_with_not_implemented_error(exercise, stub_namespaces):
    released = release_notebook(builders.source(exercise))
    test_cells = [cell for cell in released.cells if role_of(cell) == TEST]
    assert test_cells
    for cell in test_cells:
        namespace = dict(stub_namespaces[exercise])
        with pytest.raises(NotImplementedError):
            exec(cell.source, namespace)


def test_every_check_is_called_by_a_test_cell_of_its_exercise():
    for name, part in PARTS.items():
        cells = builders.source(part.exercise).cells
        calls = [c for c in cells if role_of(c) == TEST and f'check("{name}"' in c.source]
        assert len(calls) == 1, name
    assert sorted(PARTS) == part_names()


# -- the usual mistakes get their hint -------------------------------------------------------

_BACKWARD = (
    "def backward(self):\n"
    "        order = self.topological_order()\n"
    "{reset}"
    "        {seed}\n"
    "        for node in {order}:\n"
    "            for parent, local in zip(node.parents, node.local_partials):\n"
    "                {update}"
)


_RESET_INTERIOR = (
    "        for node in order:\n            if node.parents:\n                node.grad = 0.0\n"
)


def _backward(
    reset=_RESET_INTERIOR,
    seed="self.grad += 1.0",
    order="reversed(order)",
    update="parent.grad += local * node.grad",
):
    return _BACKWARD.format(reset=reset, seed=seed, order=order, update=update)


# mistake: (part, the student's method, phrases the report must show, phrases it must not)
VALUE_CLASS_MISTAKES = {
    "naive tanh": (
        "tanh",
        "def tanh(self):\n"
        "        e = math.exp(2 * self.data)\n"
        "        t = (e - 1) / (e + 1)\n"
        '        return self._new(t, (self,), (1 - t * t,), "tanh")',
        ["OverflowError", "math.tanh", "line"],
        [],
    ),
    "= instead of +=": (
        "backward",
        _backward(update="parent.grad = local * node.grad"),
        ["x.grad = 7", "never parent.grad = ..."],
        ["lesson 08"],
    ),
    "forward order": (
        "backward",
        _backward(order="order"),
        ["reversed(self.topological_order())"],
        ["never parent.grad"],
    ),
    "no seed": (
        "backward",
        _backward(seed="pass"),
        ["every grad is 0", "set the output's own grad to 1.0"],
        [],
    ),
    "forgot the local partial": (
        "backward",
        _backward(update="parent.grad += node.grad"),
        ["every grad is 1", "without the local partial"],
        ["never parent.grad", "lesson 08"],
    ),
    "lesson 08's backward, which resets every grad": (
        "backward",
        _backward(
            reset="        for node in order:\n            node.grad = 0.0\n",
            seed="self.grad = 1.0",
        ),
        ["x.grad after two = 8", "as lesson 08's does", "Reset only interior nodes"],
        ["never parent.grad", "use +="],
    ),
    "micrograd's backward, which never resets interior nodes": (
        "backward",
        _backward(reset="", seed="self.grad = 1.0"),
        ["x.grad after two = 72", "x.grad after two = 108", "micrograd", "t.grad"],
        ["lesson 08", "never parent.grad"],
    ),
    "division sign": (
        "division",
        "def __truediv__(self, other):\n"
        "        other = self._lift(other)\n"
        "        partials = (1 / other.data, self.data / other.data**2)\n"
        '        return self._new(self.data / other.data, (self, other), partials, "/")',
        ["d/db = -0.75", "d/db = 0.75", "minus sign in __truediv__", "2 / b at b = 4"],
        ["calls b.__rtruediv__(2)"],
    ),
    "reversed division": (
        "division",
        "def __rtruediv__(self, other):\n        return self / self._lift(other)",
        ["2 / b came out as b / 2"],
        ["minus sign"],
    ),
}


def _replace_method(exercise_source: str, method: str, new_code: str) -> str:
    """The solution's class with one method replaced (solution markers removed)."""
    pattern = re.compile(rf"    def {method}\(self.*?(?=\n    def |\Z)", re.S)
    assert pattern.search(exercise_source), method
    return pattern.sub(lambda _: "    " + new_code + "\n", exercise_source, count=1)


@pytest.mark.parametrize("mistake", sorted(VALUE_CLASS_MISTAKES))
def test_value_class_mistakes_get_their_hint(mistake):
    part, code, expected_phrases, wrong_phrases = VALUE_CLASS_MISTAKES[mistake]
    answer = builders.solved("value_class").cells[3].source
    assert grade_id_of(builders.solved("value_class").cells[3]) == "value_answer"
    method = code.split("(")[0].removeprefix("def ")
    namespace = with_answer("value_class", "value_answer", _replace_method(answer, method, code))
    report = run_checks(part, namespace)
    assert not report.passed
    text = report.text()
    for phrase in expected_phrases:
        assert phrase in text, text
    for phrase in wrong_phrases:
        assert phrase not in text, text
    hints = [line for line in text.splitlines() if line.startswith("Hint: ")]
    assert len(hints) == len(set(hints)) == len(report.hints) == 1, text  # one cause, named once


def test_naive_softmax_overflow_gets_the_shift_hint():
    naive = (
        "def softmax(x):\n"
        "    exps = [admath.exp(xi) for xi in x]\n"
        "    total = sum(exps)\n"
        "    return [e / total for e in exps]"
    )
    text = failures("softmax", with_answer("softmax_jacobian", "softmax_answer", naive))
    assert "softmax([1000, 1001, 1002])" in text and "subtract the largest input" in text


def test_softmax_with_math_exp_gets_the_admath_hint():
    float_only = (
        "import math\n"
        "def softmax(x):\n"
        "    shift = max(x)\n"
        "    exps = [math.exp(xi - shift) for xi in x]\n"
        "    return [e / sum(exps) for e in exps]"
    )
    namespace = with_answer("softmax_jacobian", "softmax_answer", float_only)
    assert "admath.exp" in failures("softmax", namespace)
    assert "admath.exp" in failures("softmax_autodiff", namespace)


def test_wrong_sign_in_the_softmax_jacobian_off_diagonal_is_named():
    plus = (
        "def softmax_jacobian(x):\n"
        "    s = np.array(softmax(x), dtype=float)\n"
        "    return np.diag(s) - np.diag(s * s) + (np.outer(s, s) - np.diag(s * s))"
    )
    text = failures("softmax_jacobian", with_answer("softmax_jacobian", "jacobian_answer", plus))
    assert "off-diagonal entries have the wrong sign" in text


def test_training_without_zeroing_the_grads_is_named():
    no_zero = (
        "def train(model, inputs, targets, steps=500, learning_rate=2.0):\n"
        "    losses = []\n"
        "    for _ in range(steps):\n"
        "        loss = mse_loss(model, inputs, targets)\n"
        "        loss.backward()\n"
        "        for p in model.parameters():\n"
        "            p.data -= learning_rate * p.grad\n"
        "        losses.append(loss.data)\n"
        "    return losses"
    )
    text = failures("train", with_answer("xor_mlp", "train_answer", no_zero))
    assert "gradients pile up across steps" in text
    assert "✓  train(model(x) = w·(x1 + x2)" in text  # one step cannot show it


def test_sum_instead_of_mean_is_named():
    summed = (
        "def mse_loss(model, inputs, targets):\n"
        "    return sum((model(x) - t) ** 2 for x, t in zip(inputs, targets))"
    )
    assert "divide by the number of examples" in failures(
        "mse_loss", with_answer("xor_mlp", "loss_answer", summed)
    )


def test_a_missed_path_in_the_adjoint_trace_is_named():
    one_path = (
        "def adjoint_trace(x1, x2):\n"
        "    v1, v2, v3 = primal_trace(x1, x2)\n"
        "    return {'v3': 1.0, 'v2': v1, 'v1': v2, 'x1': v2, 'x2': v2 + v1 * x1}"
    )
    text = failures("adjoint_trace", with_answer("wengert_list", "adjoint_answer", one_path))
    assert re.search(r"✗  adjoint_trace\(2, 3\) +x1_bar = 21 +x1_bar = 6", text), text
    assert "sums two paths" in text


def test_a_derivative_that_ignores_constant_functions_is_explained():
    careless = "def derivative(f, x):\n    return f(DualNumber(x, 1.0)).tangent"
    text = failures("dual_derivative", with_answer("dual_numbers", "derivative_answer", careless))
    assert "AttributeError" in text and "its derivative is 0" in text


# -- never a bare traceback ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, name",
    [
        ("raise KeyError('oops')", "KeyError"),
        ("import sys; sys.exit(3)", "SystemExit"),
        ("return self.exp()", "RecursionError"),
    ],
)
def test_exceptions_from_student_code_are_explained_not_raised(body, name, capsys):
    namespace = builders.run_in_process(builders.solved("value_class"), tests=False)
    exec(f"class Value(Value):\n    def exp(self):\n        {body}\n", namespace)
    check("exp", namespace)  # must not raise
    printed = capsys.readouterr().out
    assert f"raised {name}" in printed and "Traceback" not in printed
    assert "in your code, in exp(), line" in printed


def test_strict_check_raises_an_assertion_for_wrong_answers():
    namespace = builders.run_in_process(builders.solved("dual_numbers"), tests=False)
    exec("def derivative(f, x):\n    return 2.0\n", namespace)
    with pytest.raises(AssertionError, match="checks of 'dual_derivative' failed"):
        check("dual_derivative", namespace, strict=True)


def test_a_missing_name_asks_to_run_the_cell_above(capsys):
    check("tanh", {})
    printed = capsys.readouterr().out
    assert "`Value` is not defined yet" in printed and "Run the cell" in printed


def test_an_unknown_part_lists_the_known_ones(capsys):
    check("tahn", {})
    printed = capsys.readouterr().out
    assert "there is no check called 'tahn'" in printed and "tanh" in printed
    with pytest.raises(AssertionError, match="there is no check called 'tahn'"):
        check("tahn", {}, strict=True)


def test_check_reads_the_callers_globals(capsys):
    namespace = builders.run_in_process(builders.solved("wengert_list"), tests=False)
    exec('check("primal_trace")', namespace)  # no namespace given: the notebook's globals
    assert "All 2 checks of 'primal_trace' passed." in capsys.readouterr().out


def test_feedback_is_deterministic_and_free_of_addresses(stub_namespaces, capsys):
    for _ in range(2):
        for part in part_names():
            exercise = PARTS[part].exercise
            check(part, stub_namespaces[exercise])
    printed = capsys.readouterr().out
    half = len(printed) // 2
    assert printed[:half] == printed[half:]
    assert not re.search(r"0x[0-9a-f]{6,}", printed)


# -- the grader's probes ---------------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES)
def test_probes_agree_with_the_solution_and_name_real_test_cells(
    exercise, solved_namespaces, capsys
):
    test_ids = {
        grade_id_of(cell) for cell in builders.source(exercise).cells if role_of(cell) == TEST
    }
    probes = PROBES[exercise]
    assert {probe.grade_id for probe in probes} == test_ids  # every test can be confirmed
    for seed in range(3):
        rng = random.Random(seed)
        inputs = {probe.grade_id: probe.sample(rng) for probe in probes}
        run_probes(exercise, __import__("json").dumps(inputs), solved_namespaces[exercise])
        verdicts = judge(exercise, inputs, capsys.readouterr().out)
        assert verdicts == {grade_id: None for grade_id in inputs}


def test_probes_catch_a_wrong_answer_and_a_silent_kernel(capsys):
    namespace = with_answer(
        "wengert_list",
        "primal_answer",
        "def primal_trace(x1, x2):\n    return [x1 + x2, x1 * x2, 30.0]",
    )
    inputs = {"primal_tests": [1.5, -0.5]}
    run_probes("wengert_list", __import__("json").dumps(inputs), namespace)
    verdict = judge("wengert_list", inputs, capsys.readouterr().out)["primal_tests"]
    assert "value 3 was 30, expected -0.75" in verdict
    assert "printed nothing" in judge("wengert_list", inputs, "")["primal_tests"]


# -- array_vjps: each usual mistake gets its own hint -----------------------------------------

_UNBROADCAST = (
    "def add_vjp(g, a_shape, b_shape):\n"
    "    def unbroadcast(g, shape):\n"
    "        {lead}\n"
    "        stretched = tuple(axis for axis, size in enumerate(shape) if size == 1)\n"
    "        return {reduce}(g, axis=stretched, keepdims={keep})\n"
    "    return unbroadcast(g, a_shape), unbroadcast(g, b_shape)"
)


def _add(
    lead="g = np.sum(g, axis=tuple(range(np.ndim(g) - len(shape))))",
    reduce="np.sum",
    keep="True",
):
    return _UNBROADCAST.format(lead=lead, reduce=reduce, keep=keep)


_LOSS_VJP = (
    "def softmax_cross_entropy_vjp(logits, labels):\n"
    "    exps = np.exp(logits{shift})\n"
    "    p = exps / np.sum(exps, axis=1, keepdims=True)\n"
    "    one_hot = np.zeros_like(p)\n"
    "    one_hot[np.arange(len(labels)), labels] = 1.0\n"
    "    return {result}"
)


def _loss_vjp(
    result="(p - one_hot) / len(labels)", shift=" - np.max(logits, axis=1, keepdims=True)"
):
    return _LOSS_VJP.format(result=result, shift=shift)


_LOSS = (
    "def softmax_cross_entropy(logits, labels):\n"
    "    shifted = logits{shift}\n"
    "    log_p = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))\n"
    "    return {result}"
)


def _loss(
    result="-anp.mean(log_p[np.arange(len(labels)), labels])",
    shift=" - anp.max(logits, axis=1, keepdims=True)",
):
    return _LOSS.format(result=result, shift=shift)


# mistake: (part, answer cell, the student's code, phrases the report must show)
ARRAY_VJP_MISTAKES = {
    "matmul: forgot the transpose of B": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return g @ B, A.T @ g",
        ["the transpose of B is missing", "numpy could not multiply these shapes"],
    ),
    "matmul: forgot the transpose of A": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return g @ B.T, A @ g",
        ["the transpose of A is missing"],
    ),
    "matmul: swapped order": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return B.T @ g, A.T @ g",
        ["g comes first"],
    ),
    "matmul: B instead of B.T, and g second": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return B @ g, A.T @ g",
        ["g comes first, and B is transposed"],
    ),
    "matmul: A.T second": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return g @ B.T, g @ A.T",
        ["A.T comes first (gB has B's rows)"],
    ),
    "matmul: gB transposed": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return g @ B.T, g.T @ A",
        ["gB = A.T @ g came out transposed"],
    ),
    "matmul: a shape that is neither": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return np.zeros(A.size), A.T @ g",
        ["gA has A's shape (2, 3): gA = g @ B.T."],
    ),
    "matmul: swapped pair": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return A.T @ g, g @ B.T",
        ["returns (gA, gB) in that order"],
    ),
    "matmul: transposed result": (
        "matmul_vjp",
        "matmul_answer",
        "def matmul_vjp(g, A, B):\n    return (g @ B.T).T, A.T @ g",
        ["gA has shape (3, 2), not (2, 3)", "came out transposed"],
    ),
    "add: g returned unsummed": (
        "add_vjp",
        "add_answer",
        "def add_vjp(g, a_shape, b_shape):\n    return g, g",
        ["gb has shape (2, 3), not (3,)", "that is g itself"],
    ),
    "add: summed away a size-1 axis": (
        "add_vjp",
        "add_answer",
        _add(keep="False"),
        ["gb has shape (2,), not (2, 1)", "summed away a size-1 axis", "keepdims=True"],
    ),
    "add: kept the added leading axes": (
        "add_vjp",
        "add_answer",
        _add(lead="g = np.sum(g, axis=tuple(range(np.ndim(g) - len(shape))), keepdims=True)"),
        ["gb has shape (1, 3), not (3,)", "put 1 axis(es) in front"],
    ),
    "add: a 0-d input kept as an array": (
        "add_vjp",
        "add_answer",
        _add(lead="g = np.sum(g, axis=tuple(range(np.ndim(g) - len(shape))), keepdims=True)"),
        ["gb has shape (1, 1), not ()", "np.sum(g), shape ()"],
    ),
    "add: a shape from nowhere": (
        "add_vjp",
        "add_answer",
        "def add_vjp(g, a_shape, b_shape):\n    return np.zeros(a_shape), np.zeros(7)",
        [
            "gb has shape (7,), not (3,)",
            "the gradient of an input has exactly its shape, here (2, 3)",
        ],
    ),
    "add: mean instead of sum": (
        "add_vjp",
        "add_answer",
        _add(reduce="np.mean"),
        ["np.sum, not np.mean"],
    ),
    "add: summed the wrong axis": (
        "add_vjp",
        "add_answer",
        "def add_vjp(g, a_shape, b_shape):\n"
        "    def unbroadcast(g, shape):\n"
        "        if np.shape(g) == tuple(shape):\n"
        "            return g\n"
        "        return np.sum(g, axis=0, keepdims=len(shape) == np.ndim(g))\n"
        "    return unbroadcast(g, a_shape), unbroadcast(g, b_shape)",
        ["gb has shape (1, 3), not (2, 1)", "size 1 and g does not: 1."],
    ),
    "add: summed an axis that was not stretched": (
        "add_vjp",
        "add_answer",
        "def add_vjp(g, a_shape, b_shape):\n"
        "    return np.sum(g, axis=0, keepdims=True), np.sum(g, axis=0, keepdims=True)",
        ["ga has shape (1, 3), not (2, 3)", "nothing was stretched along axis 0 of this input"],
    ),
    "cross-entropy: sum instead of mean": (
        "cross_entropy",
        "cross_entropy_answer",
        _loss(result="-anp.sum(log_p[np.arange(len(labels)), labels])"),
        ["the sum over the 3 examples: divide by N"],
    ),
    "cross-entropy: the sign": (
        "cross_entropy",
        "cross_entropy_answer",
        _loss(result="anp.mean(log_p[np.arange(len(labels)), labels])"),
        ["minus the log probability of the right class"],
    ),
    "cross-entropy: right numbers, wrong derivative": (
        "cross_entropy",
        "cross_entropy_answer",
        "from autodiff_lab.arrays import numbers\n\n"
        + _loss(
            result="-anp.mean(log_p[np.arange(len(labels)), labels]) + anp.sum(logits) "
            "- anp.sum(numbers(logits))"
        ),
        ["the engine differentiates your code as written"],
    ),
    "cross-entropy: unstable for large logits": (
        "cross_entropy",
        "cross_entropy_answer",
        _loss(shift=""),
        ["softmax_cross_entropy with logits near ±1000", "Subtract each row's largest logit"],
    ),
    "cross-entropy: one loss per example": (
        "cross_entropy",
        "cross_entropy_answer",
        _loss(result="-log_p[np.arange(len(labels)), labels]"),
        ["one per example", "The loss is one number: the mean over the batch."],
    ),
    "cross-entropy: the engine cannot trace float()": (
        "cross_entropy",
        "cross_entropy_answer",
        _loss(result="float(-anp.mean(log_p[np.arange(len(labels)), labels]))"),
        ["the engine could not trace your function"],
    ),
    "cross-entropy VJP: forgot to divide by N": (
        "cross_entropy_vjp",
        "cross_entropy_vjp_answer",
        _loss_vjp(result="p - one_hot"),
        ["Check divide by N"],
    ),
    "cross-entropy VJP: forgot the one-hot": (
        "cross_entropy_vjp",
        "cross_entropy_vjp_answer",
        _loss_vjp(result="p / len(labels)"),
        ["Check subtract the one-hot of the label: z_n,label"],
    ),
    "cross-entropy VJP: softmax alone": (
        "cross_entropy_vjp",
        "cross_entropy_vjp_answer",
        _loss_vjp(result="p"),
        ["Check subtract the one-hot of the label, and divide by N."],
    ),
    "cross-entropy VJP: the sign": (
        "cross_entropy_vjp",
        "cross_entropy_vjp_answer",
        _loss_vjp(result="(one_hot - p) / len(labels)"),
        ["Check the sign"],
    ),
    "cross-entropy VJP: unstable for large logits": (
        "cross_entropy_vjp",
        "cross_entropy_vjp_answer",
        _loss_vjp(shift=""),
        ["g[0,0] = nan", "Subtract each row's largest logit"],
    ),
    "classifier: forgot to sum gb over the batch": (
        "classifier_gradients",
        "classifier_answer",
        "def classifier_gradients(X, W, b, labels):\n"
        "    g_logits = softmax_cross_entropy_vjp(X @ W + b, labels)\n"
        "    return matmul_vjp(g_logits, X, W)[1], g_logits[0]",
        ["add_vjp(g_logits, (X @ W).shape, b.shape)"],
    ),
}


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
@pytest.mark.parametrize("mistake", sorted(ARRAY_VJP_MISTAKES))
def test_array_vjp_mistakes_get_their_hint(mistake):
    part, grade_id, code, phrases = ARRAY_VJP_MISTAKES[mistake]
    text = failures(part, with_answer("array_vjps", grade_id, code))
    for phrase in phrases:
        assert phrase in text, text
    assert "Traceback" not in text


def test_array_vjp_hints_stay_quiet_on_an_unrelated_mistake():
    """A wrong answer that matches no usual mistake gets no misleading diagnosis."""
    text = failures(
        "matmul_vjp",
        with_answer(
            "array_vjps", "matmul_answer", "def matmul_vjp(g, A, B):\n    return 0 * A, 0 * B"
        ),
    )
    assert "Hint:" not in text or all(
        phrase not in text for phrase in ("transpose of", "comes first", "in that order")
    )


# The right answer, changed on the way out: every change must fail the grader's probe.
ARRAY_PROBE_FORGERIES = {
    "an extra size-1 axis, which broadcasts back": (
        "add_answer",
        "add_tests",
        "def add_vjp(g, a_shape, b_shape):\n"
        "    ga, gb = _right(g, a_shape, b_shape)\n"
        "    return np.expand_dims(ga, 0), gb",
    ),
    "g stretched back to the output's shape": (
        "add_answer",
        "add_tests",
        "def add_vjp(g, a_shape, b_shape):\n"
        "    ga, gb = _right(g, a_shape, b_shape)\n"
        "    return np.broadcast_to(ga, np.shape(g)), np.broadcast_to(gb, np.shape(g))",
    ),
    "lists instead of arrays": (
        "matmul_answer",
        "matmul_tests",
        "def matmul_vjp(g, A, B):\n"
        "    gA, gB = _right(g, A, B)\n"
        "    return gA.tolist(), gB.tolist()",
    ),
    "a NaN": (
        "matmul_answer",
        "matmul_tests",
        "def matmul_vjp(g, A, B):\n"
        "    gA, gB = _right(g, A, B)\n"
        "    gA = gA.copy()\n"
        "    gA.flat[0] = np.nan\n"
        "    return gA, gB",
    ),
    "a loss of shape (1,)": (
        "cross_entropy_answer",
        "cross_entropy_tests",
        "def softmax_cross_entropy(logits, labels):\n    return np.array([_right(logits, labels)])",
    ),
    "a loss the engine cannot differentiate": (
        "cross_entropy_answer",
        "cross_entropy_tests",
        "def softmax_cross_entropy(logits, labels):\n"
        "    return float(_right(np.asarray(logits, dtype=float), labels))",
    ),
    "an exception on large logits": (
        "cross_entropy_vjp_answer",
        "cross_entropy_vjp_tests",
        "def softmax_cross_entropy_vjp(logits, labels):\n"
        "    if np.abs(logits).max() > 100:\n"
        "        raise OverflowError('too big')\n"
        "    return _right(logits, labels)",
    ),
    "a bias gradient that is one row too many": (
        "classifier_answer",
        "classifier_tests",
        "def classifier_gradients(X, W, b, labels):\n"
        "    gW, gb = _right(X, W, b, labels)\n"
        "    return gW, gb[None, :]",
    ),
}


@pytest.mark.parametrize("forgery", sorted(ARRAY_PROBE_FORGERIES))
def test_array_vjp_probes_fail_closed(forgery, capsys):
    grade_id, probed, wrapper = ARRAY_PROBE_FORGERIES[forgery]
    (right,) = [c.source for c in builders.source("array_vjps").cells if grade_id_of(c) == grade_id]
    name = right.split("def ")[1].split("(")[0]
    namespace = with_answer("array_vjps", grade_id, f"{right}\n_right = {name}\n{wrapper}")
    for seed in range(3):
        inputs = {
            probe.grade_id: probe.sample(random.Random(seed)) for probe in PROBES["array_vjps"]
        }
        inputs = {probed: inputs[probed]}
        run_probes("array_vjps", __import__("json").dumps(inputs), namespace)
        verdict = judge("array_vjps", inputs, capsys.readouterr().out)[probed]
        assert verdict is not None, forgery


def test_array_vjp_probes_cover_the_hard_shapes_and_large_logits():
    add, losses = [], []
    for seed in range(5):
        rng = random.Random(seed)
        inputs = {probe.grade_id: probe.sample(rng) for probe in PROBES["array_vjps"]}
        add += inputs["add_tests"]
        losses += inputs["cross_entropy_tests"]
    for sample in add:
        out = np.broadcast_shapes(tuple(sample["a_shape"]), tuple(sample["b_shape"]))
        assert np.shape(sample["g"]) == out
    shapes = [(tuple(p["a_shape"]), tuple(p["b_shape"])) for p in add]
    assert any(() in pair for pair in shapes)  # a 0-d input
    assert any(len(a) != len(b) for a, b in shapes)  # added leading axes
    assert any(
        any(size == 1 for size in a + b) and len(a) == len(b) and a != b for a, b in shapes
    )  # a size-1 axis, stretched
    assert any(np.abs(np.array(batch["logits"])).max() > 900 for batch in losses)
    assert len({len(pair[0]) for pair in shapes}) > 1  # shapes vary with the seed
