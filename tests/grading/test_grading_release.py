"""nbgrader's conventions, the release of student notebooks, and the committed files' drift."""

from __future__ import annotations

import importlib.util

import builders
import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff_lab.cli import main
from autodiff_lab.grading import notebook_format as fmt
from autodiff_lab.grading.catalogue import EXERCISES
from autodiff_lab.grading.notebook_format import (
    ANSWER,
    CODE_STUB,
    LOCKED,
    TEST,
    ExerciseFormatError,
    clear_solution_regions,
    dumps,
    format_problems,
    grade_id_of,
    remove_hidden_tests,
    role_of,
)
from autodiff_lab.grading.release import release, release_notebook, release_text


def _build_sources_module():
    path = builders.ROOT / "exercises" / "build_sources.py"
    spec = importlib.util.spec_from_file_location("build_sources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- drift: the committed notebooks are exactly what the generators make ---------------------


def test_committed_sources_and_fixed_cases_match_their_definitions():
    texts = _build_sources_module().source_texts()
    names = sorted(path.name for path in texts)
    expected = [f"{name}.ipynb" for name in EXERCISES] + [f"{name}_cases.py" for name in EXERCISES]
    assert names == sorted(expected)
    for path, text in texts.items():
        committed = path.read_text(encoding="utf-8")
        assert committed == text, f"{path.name} is stale: run python exercises/build_sources.py"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_committed_releases_match_their_sources(exercise):
    generated = release_text(builders.SOURCES / f"{exercise}.ipynb")
    committed = (builders.RELEASES / f"{exercise}.ipynb").read_text(encoding="utf-8")
    assert committed == generated, f"{exercise}.ipynb is stale: run autodiff-lab release"


def test_release_is_byte_for_byte_deterministic(tmp_path):
    sources = sorted(builders.SOURCES.glob("*.ipynb"))
    first = [r.status for r in release(sources, tmp_path / "a")]
    release(sources, tmp_path / "b")
    assert set(first) == {"created"}
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()
    assert {r.status for r in release(sources, tmp_path / "a")} == {"unchanged"}


def test_release_check_reports_drift_and_writes_nothing(tmp_path, capsys):
    source = builders.SOURCES / "wengert_list.ipynb"
    target = tmp_path / "wengert_list.ipynb"
    args = ["release", str(source), "--release-dir", str(tmp_path)]
    assert main([*args, "--check"]) == 1 and not target.exists()
    assert main(args) == 0 and target.exists()
    assert main([*args, "--check"]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("primal", "primus"))
    assert main([*args, "--check"]) == 1
    assert "differs" in capsys.readouterr().out


# -- what a release contains -------------------------------------------------------------------


@pytest.mark.parametrize("exercise", EXERCISES)
def test_release_hides_solutions_and_hidden_tests_and_keeps_metadata(exercise):
    source = builders.source(exercise)
    released = release_notebook(source)
    assert [grade_id_of(c) for c in released.cells] == [grade_id_of(c) for c in source.cells]
    for before, after in zip(source.cells, released.cells):
        assert after.metadata["nbgrader"] == before.metadata["nbgrader"]
        assert "SOLUTION" not in after.source and "HIDDEN TESTS" not in after.source
        role = role_of(after)
        if role == ANSWER:
            assert "raise NotImplementedError()" in after.source
            assert after.metadata["deletable"] is False and "editable" not in after.metadata
        elif role in (TEST, LOCKED):
            assert after.metadata["editable"] is False and after.metadata["deletable"] is False
        if role == TEST and "BEGIN HIDDEN TESTS" in before.source:
            assert len(after.source) < len(before.source)
        if after.cell_type == "code":
            assert after.outputs == [] and after.execution_count is None
    assert source == builders.source(exercise), "release must not change its input"


def test_release_clears_outputs_and_execution_counts():
    source = builders.source("wengert_list")
    for cell in source.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
            cell.execution_count = 7
    assert dumps(release_notebook(source)) == release_text(builders.SOURCES / "wengert_list.ipynb")


# -- regions, as nbgrader treats them ----------------------------------------------------------


def test_solution_region_becomes_the_stub_at_its_indent():
    code = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    assert clear_solution_regions(code) == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )


def test_hidden_tests_vanish_with_their_markers():
    code = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS\n"
    assert remove_hidden_tests(code) == "assert f(1) == 2\n"


lines = st.lists(
    st.text(alphabet="abc =+()#\t", max_size=12).filter(lambda s: "\n" not in s), max_size=6
)


@given(before=lines, inside=lines, after=lines, indent=st.sampled_from(["", "    ", "\t"]))
def test_only_the_region_changes(before, inside, after, indent):
    code = "\n".join(
        [*before, indent + "### BEGIN SOLUTION", *inside, indent + "### END SOLUTION", *after]
    )
    stub = [indent + line for line in CODE_STUB.split("\n")]
    assert clear_solution_regions(code) == "\n".join([*before, *stub, *after])
    hidden = code.replace("SOLUTION", "HIDDEN TESTS")
    assert remove_hidden_tests(hidden) == "\n".join([*before, *after])


@pytest.mark.parametrize(
    "code",
    [
        "### BEGIN SOLUTION\nx = 1\n",
        "x = 1\n### END SOLUTION\n",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
    ],
)
def test_unbalanced_regions_are_refused(code):
    with pytest.raises(ExerciseFormatError):
        clear_solution_regions(code)


# -- the builders write nbgrader's schema ------------------------------------------------------


def test_builders_write_schema_3_metadata():
    cell = fmt.test("assert True", "t1", points=2)
    assert cell.metadata["nbgrader"] == {
        "schema_version": 3,
        "grade": True,
        "solution": False,
        "locked": True,
        "grade_id": "t1",
        "task": False,
        "points": 2,
    }
    assert cell.id == "t1"
    answer = fmt.solution("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "a1")
    assert role_of(answer) == ANSWER and answer.metadata["nbgrader"]["locked"] is False
    assert role_of(fmt.given("import math", "g1")) == LOCKED
    assert role_of(fmt.prompt("# Hello", "p1")) == LOCKED


@pytest.mark.parametrize("bad_id", ["has space", "", "dots.are.bad", "x" * 65])
def test_bad_grade_ids_are_refused(bad_id):
    with pytest.raises(ExerciseFormatError, match="grade_id"):
        fmt.prompt("text", bad_id)


def test_notebook_problems_are_all_reported():
    cells = [
        fmt.prompt("a", "same"),
        fmt.test("assert True", "same", points=1),
        fmt.given("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "g"),
        fmt.given("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS", "h"),
    ]
    with pytest.raises(ExerciseFormatError) as caught:
        fmt.exercise_notebook("broken", cells)
    message = str(caught.value)
    assert "used twice" in message
    assert "solution region outside an answer cell" in message
    assert "hidden tests outside a test cell" in message


def test_answer_cell_needs_a_solution_region():
    with pytest.raises(ExerciseFormatError, match="BEGIN SOLUTION"):
        fmt.solution("x = 1", "a1")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_committed_sources_follow_the_rules(exercise):
    source = builders.source(exercise)
    assert format_problems(source) == []
    assert source.metadata["autodiff_lab"] == {"exercise": exercise}
    roles = [role_of(cell) for cell in source.cells]
    assert ANSWER in roles and TEST in roles
    nbformat.validate(source)
