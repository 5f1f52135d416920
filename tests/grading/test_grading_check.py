"""Student self-checks: solutions pass, stubs fail politely, every known mistake is caught.

Everything here runs in this process (the exercises' cells are exec'd into a
namespace), so it is quick; the kernel machinery is tested in
test_grading_autograder.py and the three scorers' agreement in test_agreement.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re

import builders
import pytest

from autodiff_lab.grading import check, part_names, referee, run_checks
from autodiff_lab.grading.catalogue import EXERCISES, fixed_cases, part_index, parts
from autodiff_lab.grading.notebook_format import TEST, grade_id_of, role_of
from autodiff_lab.grading.probes import run_probes
from autodiff_lab.grading.release import release_notebook

MISTAKES = builders.mistakes()


@pytest.fixture(scope="module")
def solved_namespaces():
    return {name: builders.run_in_process(builders.source(name)) for name in EXERCISES}


@pytest.fixture(scope="module")
def stub_namespaces():
    return {
        name: builders.run_in_process(release_notebook(builders.source(name)), tests=False)
        for name in EXERCISES
    }


def failures(part: str, namespace: dict) -> str:
    report = run_checks(part, namespace)
    assert not report.passed, f"{part} should fail here"
    return report.text()


def probe(exercise: str, namespace: dict, seed: str = "0", only: str | None = None) -> dict:
    """What the grader's probes say about the objects in ``namespace``."""
    grade_ids = [only] if only else [part.grade_id for part in parts(exercise)]
    inputs = referee.choose_inputs(exercise, seed, grade_ids)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        run_probes(exercise, json.dumps(inputs), namespace)
    return referee.judge(exercise, inputs, printed.getvalue())


# -- solutions and stubs ---------------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_part_passes_on_the_solution_with_its_hidden_tests(exercise, solved_namespaces):
    # solved_namespaces ran the source's test cells, hidden tests included, without raising
    for part in parts(exercise):
        report = run_checks(part.name, solved_namespaces[exercise])
        assert report.passed and len(report.results) >= 1, report.text()


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_part_fails_on_the_stub_and_says_it_is_not_written(exercise, stub_namespaces):
    for part in parts(exercise):
        report = run_checks(part.name, stub_namespaces[exercise])
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


def test_every_part_is_one_test_cell_that_calls_its_check_and_hides_more_cases():
    for name, (exercise, part) in part_index().items():
        cells = [c for c in builders.source(exercise).cells if grade_id_of(c) == part.grade_id]
        assert len(cells) == 1 and role_of(cells[0]) == TEST, name
        text = cells[0].source
        assert text.startswith(f'check("{name}", strict=True)')
        assert f'check("{name}", strict=True, hidden=[' in text.split("BEGIN HIDDEN TESTS")[1]
        assert len(fixed_cases(exercise)[name]) >= 1
    assert sorted(part_index()) == part_names()


# -- the wrong-answer corpus: each mistake fails its own parts only, with its hint ------------


@pytest.mark.parametrize(
    "exercise, name, mistake", MISTAKES, ids=[f"{e}: {n}" for e, n, _ in MISTAKES]
)
def test_each_mistake_fails_exactly_its_parts_and_the_check_names_it(exercise, name, mistake):
    namespace = builders.run_in_process(builders.mistaken(exercise, mistake), tests=False)
    reports = {part.name: run_checks(part.name, namespace) for part in parts(exercise)}
    assert {part for part, report in reports.items() if not report.passed} == set(mistake.fails)
    text = "\n".join(reports[part].text() for part in mistake.fails)
    for phrase in mistake.shows:
        assert phrase in text, text
    assert "Traceback" not in text


def test_the_corpus_covers_every_part_and_the_issues_mistakes():
    failed = {(exercise, part) for exercise, _, mistake in MISTAKES for part in mistake.fails}
    assert failed == {(exercise, part.name) for exercise in EXERCISES for part in parts(exercise)}
    names = {name for _, name, _ in MISTAKES}
    for found in (
        "backward: the output's grad set to 1",
        "__rsub__ computes x - 5",
        "cross-entropy VJP: the batch's largest logit subtracted",
        "softmax: the smallest input subtracted",
        "backward: a recursive topological sort",
    ):
        assert found in names


def test_a_hint_names_one_cause_once():
    _, _, mistake = next(m for m in MISTAKES if m[1] == "backward: = instead of +=")
    namespace = builders.run_in_process(builders.mistaken("value_class", mistake), tests=False)
    report = run_checks("backward", namespace)
    assert len(report.hints) == 1 and "never parent.grad = ..." in report.hints[0]


def test_a_later_part_is_measured_with_the_graders_numbers_for_earlier_ones():
    # A wrong primal trace costs the primal part only: tangent and adjoint still pass.
    _, _, mistake = next(m for m in MISTAKES if m[1] == "primal: a sum for the product")
    namespace = builders.run_in_process(builders.mistaken("wengert_list", mistake), tests=False)
    assert not run_checks("primal_trace", namespace).passed
    assert run_checks("tangent_trace", namespace).passed
    assert run_checks("adjoint_trace", namespace).passed
    assert probe("wengert_list", namespace)["tangent_tests"] is None


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


def test_hidden_cases_run_through_the_same_check(capsys):
    namespace = builders.run_in_process(builders.solved("wengert_list"), tests=False)
    hidden = referee.hidden_cases("wengert_list", "primal_tests")
    check("primal_trace", namespace, strict=True, hidden=hidden)
    assert f"All {len(hidden)} checks of 'primal_trace' passed." in capsys.readouterr().out
    wrong = [[name, inputs, [0.0, 0.0, 0.0]] for name, inputs, _ in hidden]
    with pytest.raises(AssertionError):
        check("primal_trace", namespace, strict=True, hidden=wrong)


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
    assert "All 3 checks of 'primal_trace' passed." in capsys.readouterr().out


def test_feedback_is_deterministic_and_free_of_addresses(stub_namespaces, capsys):
    for _ in range(2):
        for part in part_names():
            exercise, _ = part_index()[part]
            check(part, stub_namespaces[exercise])
    printed = capsys.readouterr().out
    half = len(printed) // 2
    assert printed[:half] == printed[half:]
    assert not re.search(r"0x[0-9a-f]{6,}", printed)


# -- the grader's probes ---------------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES)
def test_probes_confirm_the_solution_for_any_seed(exercise, solved_namespaces):
    for seed in ("0", "1", "2"):
        verdicts = probe(exercise, solved_namespaces[exercise], seed)
        assert verdicts == {part.grade_id: None for part in parts(exercise)}


@pytest.mark.parametrize(
    "exercise, name, mistake", MISTAKES, ids=[f"{e}: {n}" for e, n, _ in MISTAKES]
)
def test_probes_refuse_each_mistake_on_its_parts_and_confirm_the_rest(exercise, name, mistake):
    namespace = builders.run_in_process(builders.mistaken(exercise, mistake), tests=False)
    verdicts = probe(exercise, namespace, seed=name)
    grade_ids = {part.name: part.grade_id for part in parts(exercise)}
    refused = {part for part, grade_id in grade_ids.items() if verdicts[grade_id] is not None}
    assert refused == set(mistake.fails), verdicts


def test_a_probe_says_which_case_failed_expected_against_got():
    _, _, mistake = next(m for m in MISTAKES if m[1] == "primal: a sum for the product")
    namespace = builders.run_in_process(builders.mistaken("wengert_list", mistake), tests=False)
    verdict = probe("wengert_list", namespace, only="primal_tests")["primal_tests"]
    assert re.match(r"on the grader's inputs, primal_trace\(.*\): v3 was .*, expected ", verdict)
    silent = referee.judge("wengert_list", {"primal_tests": [["primal", [1.0, 2.0]]]}, "")
    assert silent == {"primal_tests": "it printed nothing"}


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
def test_array_vjp_probes_fail_closed(forgery):
    grade_id, probed, wrapper = ARRAY_PROBE_FORGERIES[forgery]
    (right,) = [c.source for c in builders.source("array_vjps").cells if grade_id_of(c) == grade_id]
    name = right.split("def ")[1].split("(")[0]
    notebook = builders.submission(
        "array_vjps",
        {grade_id: f"{right}\n_right = {name}\n{wrapper}"},
        base=builders.solved("array_vjps"),
    )
    namespace = builders.run_in_process(notebook, tests=False)
    for seed in range(3):
        assert probe("array_vjps", namespace, str(seed), only=probed)[probed] is not None


def test_array_vjp_probes_cover_the_hard_shapes_and_row_by_row_offsets():
    add, losses = [], []
    for seed in range(5):
        add += [inputs for _, inputs in referee.draw("array_vjps", "add_tests", str(seed))]
        losses += [
            inputs for _, inputs in referee.draw("array_vjps", "cross_entropy_tests", str(seed))
        ]
    shapes = [(tuple(p["a_shape"]), tuple(p["b_shape"])) for p in add]
    assert any(() in pair for pair in shapes)  # a 0-d input
    assert any(len(a) != len(b) for a, b in shapes)  # added leading axes
    assert any(
        any(size == 1 for size in a + b) and len(a) == len(b) and a != b for a, b in shapes
    )  # a size-1 axis, stretched
    offsets = [sorted({round(max(row) / 1000) for row in batch["logits"]}) for batch in losses]
    assert [-1, 1] in [[o for o in found if o] for found in offsets]  # rows far apart


def test_the_xor_probe_trains_the_network_and_its_loss_falls():
    for seed in range(3):
        (training, seeds) = referee.draw("xor_mlp", "xor_tests", str(seed))
        assert training[0] == "train_network" and seeds[0] == "seeds"
        inputs = training[1]
        losses = referee.reference("xor_mlp", "train_network", inputs)[-inputs["steps"] :]
        assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
        assert seeds[1]["seeds"][0] != seeds[1]["seeds"][1]


def test_probe_inputs_depend_on_the_seed_only():
    first = referee.choose_inputs("value_class", "abc", ["exp_tests"])
    assert first == referee.choose_inputs("value_class", "abc", ["exp_tests"])
    assert first != referee.choose_inputs("value_class", "abd", ["exp_tests"])
    assert random.Random(1).random() == random.Random(1).random()


def test_hints_name_the_right_cause():
    """Issue 16's hints that named the wrong cause."""
    from autodiff_lab.grading.catalogue.array_vjps import _add_shape_hint

    # g (4, 2, 3) from a (4, 1, 3) + b (2, 1): b's size-1 axis is g's axis 2, not 1.
    hint = _add_shape_hint((2, 3), (2, 1), (4, 2, 3))
    assert "sum g over its axis 2 (axis 1 of this input" in hint
    for exercise, name, mistake in MISTAKES:
        if exercise == "array_vjps" and mistake.fails == ("cross_entropy",):
            namespace = builders.run_in_process(builders.mistaken(exercise, mistake), tests=False)
            text = failures("cross_entropy", namespace)
            assert "anp" not in text and "float(" not in text, name  # no engine to blame
    chain = part_index()["dual_functions"][1].measures["functions"].hint([0.0], [0.0])
    assert "cos a for sin, e^a for exp" in chain
