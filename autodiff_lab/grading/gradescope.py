"""Inside Gradescope's container: grade the one submission and write results.json.

``run_autograder`` (written by ``autodiff-lab export --format gradescope``) runs

    python -m autodiff_lab.grading.gradescope --source exercise/NB.ipynb [--course course]

in ``/autograder/source``. The submission is the notebook in
``/autograder/submission`` (the one named like the source, else the only one).
It is graded as ``autodiff-lab grade`` grades it, in bubblewrap's sandbox where
the container allows one, else without (the container is then the only
boundary, and the results say so), and ``/autograder/results/results.json``
gets Gradescope's fields: ``score``, ``output``, ``visibility`` and one test per
graded part (``name``, ``score``, ``max_score``, ``output``, ``visibility``), in
the grader's own words only. ``AUTOGRADER_ROOT`` moves ``/autograder`` (tests).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .startup import skip_iri_grammars

if __name__ == "__main__":  # the program, not a library import: before nbformat loads below
    skip_iri_grammars()

from .batch import GradeOptions, grade  # noqa: E402
from .files import write_atomically  # noqa: E402
from .results import SubmissionResult  # noqa: E402
from .sandbox import SandboxUnavailable, check_available  # noqa: E402

VISIBLE = "visible"


def results_json(result: SubmissionResult, summaries: dict[str, str]) -> dict:
    """Gradescope's results.json for one graded submission."""
    tests = [
        {
            "name": f"{test.grade_id}: {summaries.get(test.grade_id, test.grade_id)}",
            "score": test.score,
            "max_score": test.points,
            "output": test.feedback if test.status != "passed" else "passed",
            "visibility": VISIBLE,
        }
        for test in result.tests
    ]
    return {
        "score": result.total,
        "output": result.reason or f"{result.total:g} of {result.max_total:g}",
        "visibility": VISIBLE,
        "tests": tests,
    }


def find_submission(folder: Path, name: str) -> Path | None:
    """The notebook named ``name`` in ``folder`` (at any depth), else the only notebook."""
    named = sorted(folder.rglob(name))
    if named:
        return named[0]
    notebooks = sorted(folder.rglob("*.ipynb"))
    return notebooks[0] if len(notebooks) == 1 else None


def main(argv: list[str] | None = None) -> int:
    """Grade ``/autograder/submission`` and write ``/autograder/results/results.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, type=Path)
    parser.add_argument("--course", type=Path)
    args = parser.parse_args(argv)
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    results_path = root / "results" / "results.json"
    course = str(args.course.resolve()) if args.course else None
    if course:
        from .course import load_course

        load_course(course)
    from .catalogue import parts
    from .notebook_format import exercise_name_of
    from .source import load_source

    source = load_source(args.source)
    exercise = exercise_name_of(source)
    summaries = {part.grade_id: part.summary for part in parts(exercise)} if exercise else {}
    submission = find_submission(root / "submission", args.source.name)
    if submission is None:
        payload = {
            "score": 0.0,
            "output": f"no notebook to grade: submit {args.source.name}",
            "visibility": VISIBLE,
            "tests": [],
        }
        write_atomically(results_path, json.dumps(payload, indent=1) + "\n")
        return 0
    try:
        check_available()
        sandboxed = True
    except SandboxUnavailable:
        sandboxed = False  # Gradescope's container is then the only boundary (see README.txt)
    options = GradeOptions(jobs=1, unsafe_no_sandbox=not sandboxed, course=course)
    (result,) = grade(args.source, [submission], options)
    write_atomically(results_path, json.dumps(results_json(result, summaries), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
