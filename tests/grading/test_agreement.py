"""The three scorers agree: the student's check, our grader and nbgrader's autograde.

Every mistake of the wrong-answer corpus (`builders.mistakes`) gets the same
verdict, part by part, from the fixed cases (the student's check), the hidden
cases (nbgrader's hidden tests) and the grader's probes, in this process
(`test_grading_check.py` and the first test here). Then the whole way: each
exercise's solution and its corpus, packed several mistakes to a notebook
where their parts do not overlap (the fullest notebooks, which fail and pass
every part between them), go through ``run_checks``, ``autodiff-lab grade``
(sandbox, hidden tests and probes) and a real ``nbgrader autograde`` of the
same files, and every part gets the same verdict from all three.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import builders
import pytest

from autodiff_lab.cli import main
from autodiff_lab.grading import run_checks
from autodiff_lab.grading.authoring import Mistake, mistaken_answers
from autodiff_lab.grading.catalogue import EXERCISES, parts

nbgrader = pytest.importorskip("nbgrader")
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)

ASSIGNMENT = "agreement"


def packed() -> list[tuple[str, str, list[str], set[str]]]:
    """(student id, exercise, mistake names, parts expected to fail) for each notebook.

    Mistakes share a notebook when their parts and their edited text do not overlap, so
    each notebook also shows that one mistake costs only its own parts.
    """
    notebooks: list[tuple[str, list[str], set[str], dict]] = []
    for exercise, name, mistake in builders.mistakes():
        answers = mistaken_answers(builders.source(exercise), mistake)
        for entry in notebooks:
            if entry[0] != exercise or entry[2] & set(mistake.fails):
                continue
            combined = _combine(exercise, entry[3], mistake)
            if combined is not None:
                entry[1].append(name)
                entry[2].update(mistake.fails)
                entry[3].clear()
                entry[3].update(combined)
                break
        else:
            notebooks.append((exercise, [name], set(mistake.fails), dict(answers)))
    return [
        (f"s{index:02d}", exercise, names, fails, answers)
        for index, (exercise, names, fails, answers) in enumerate(notebooks)
    ]


def chosen() -> list[tuple[str, str, list[str], set[str], dict]]:
    """Each exercise's solution, and the fewest packed notebooks that fail every part."""
    picked = []
    for exercise in EXERCISES:
        picked.append(("solution", exercise, [], set(), {}))
        own = sorted(
            (entry for entry in packed() if entry[1] == exercise), key=lambda entry: -len(entry[3])
        )
        left = {part.name for part in parts(exercise)}
        for entry in own:
            if entry[3] & left:
                picked.append(entry)
                left -= entry[3]
    return [(f"s{index:02d}", *entry[1:]) for index, entry in enumerate(picked)]


def _combine(exercise: str, answers: dict, mistake: Mistake) -> dict | None:
    """``answers`` with ``mistake``'s edits applied too, or None if they clash."""
    combined = dict(answers)
    for grade_id, change in mistake.answers.items():
        if isinstance(change, str):
            if grade_id in combined:
                return None
            combined[grade_id] = change
            continue
        if grade_id not in combined:
            combined.update(
                mistaken_answers(builders.source(exercise), Mistake({grade_id: change}, ()))
            )
            continue
        text = combined[grade_id]
        for old, new in change:
            if text.count(old) != 1:
                return None
            text = text.replace(old, new)
        combined[grade_id] = text
    return combined


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("agreement")
    notebooks = {}
    for student, exercise, names, fails, answers in chosen():
        notebook = builders.submission(exercise, answers, base=builders.solved(exercise))
        notebooks[student] = (exercise, names, fails, notebook)
    return root, notebooks


def self_check_verdicts(notebooks) -> dict:
    verdicts = {}
    for student, (exercise, _, _, notebook) in notebooks.items():
        namespace = builders.run_in_process(notebook, tests=False)
        verdicts[student] = {
            part.name for part in parts(exercise) if not run_checks(part.name, namespace).passed
        }
    return verdicts


def grader_verdicts(root: Path, notebooks) -> dict:
    verdicts = {}
    for exercise in EXERCISES:
        folder = root / "ours" / exercise
        folder.mkdir(parents=True)
        for student, (found, _, _, notebook) in notebooks.items():
            if found == exercise:
                builders.save(notebook, folder / f"{student}.ipynb")
        if not any(folder.iterdir()):
            continue
        json_path = folder.parent / f"{exercise}.json"
        argv = builders.grade_argv(
            builders.SOURCES / f"{exercise}.ipynb",
            [folder],
            json_path.with_suffix(".csv"),
            json_path,
            2,
            30,
        )
        assert main(argv) == 0
        by_id = {part.grade_id: part.name for part in parts(exercise)}
        for entry in json.loads(json_path.read_text())["submissions"]:
            student = Path(entry["submission"]).stem
            verdicts[student] = {
                by_id[test["grade_id"]] for test in entry["tests"] if test["score"] < test["points"]
            }
    return verdicts


def nbgrader_verdicts(root: Path, notebooks) -> dict:
    course = root / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\n"
        "c.ExecutePreprocessor.timeout = 120\n",
        encoding="utf-8",
    )
    for exercise in EXERCISES:
        shutil.copy(builders.SOURCES / f"{exercise}.ipynb", course / "source" / ASSIGNMENT)
    run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    for student, (exercise, _, _, notebook) in notebooks.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        builders.save(notebook, folder / f"{exercise}.ipynb")
    run_nbgrader(course, "autograde", ASSIGNMENT, "--force")
    from nbgrader.api import Gradebook

    verdicts = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, (exercise, _, _, _) in notebooks.items():
            verdicts[student] = set()
            for part in parts(exercise):
                grade = gradebook.find_grade(part.grade_id, exercise, ASSIGNMENT, student)
                if grade.score < grade.max_score:
                    verdicts[student].add(part.name)
    return verdicts


def run_nbgrader(course: Path, *args: str) -> None:
    done = builders.run_nbgrader(course, *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.parametrize(
    "exercise, name, mistake",
    builders.mistakes(),
    ids=[f"{e}: {n}" for e, n, _ in builders.mistakes()],
)
def test_fixed_and_hidden_cases_give_each_mistake_the_same_verdict(exercise, name, mistake):
    from autodiff_lab.grading import referee

    namespace = builders.run_in_process(builders.mistaken(exercise, mistake), tests=False)
    for part in parts(exercise):
        hidden = referee.hidden_cases(exercise, part.grade_id)
        visible = run_checks(part.name, namespace).passed
        assert run_checks(part.name, namespace, hidden).passed == visible, part.name
        assert visible == (part.name not in mistake.fails), part.name


def test_the_packing_loses_no_mistake_and_every_part_fails_and_passes_somewhere(corpus):
    names = [name for _, _, names, _, _ in packed() for name in names]
    assert sorted(names) == sorted(name for _, name, _ in builders.mistakes())
    _, notebooks = corpus
    for exercise in EXERCISES:
        failing = [fails for found, _, fails, _ in notebooks.values() if found == exercise]
        assert set().union(*failing) == {part.name for part in parts(exercise)}
        assert set() in failing  # the solution


def test_check_grader_and_nbgrader_give_every_part_the_same_verdict(corpus):
    root, notebooks = corpus
    expected = {student: fails for student, (_, _, fails, _) in notebooks.items()}
    with ThreadPoolExecutor(1) as pool:  # nbgrader's kernels run beside ours
        nbgraders = pool.submit(nbgrader_verdicts, root, notebooks)
        ours = grader_verdicts(root, notebooks)
        theirs = nbgraders.result()
    check = self_check_verdicts(notebooks)
    disagreements = {
        f"{student} {notebooks[student][1]}": (
            expected[student],
            check[student],
            ours[student],
            theirs[student],
        )
        for student in notebooks
        if not expected[student] == check[student] == ours[student] == theirs[student]
    }
    assert disagreements == {}
