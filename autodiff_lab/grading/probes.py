"""The kernel side of the grader's probes: run the exercise's measures on the grader's inputs.

Test cells run inside the student's kernel, where the student's own code can
tamper with anything (nbgrader has the same weakness). So a test cell's
points are earned only through its probe: after a submission's cells have
run, the grader sends one more cell that runs the same measures as the
student's ``check`` on inputs drawn for this submission and prints the
numbers on one marked line. The grader compares them, in its own process,
with references the sandbox cannot read (`referee.judge`). A probe that is
missing, late, malformed or different scores 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .cases import numbers
from .catalogue import part_for_grade_id

PROBE_MARKER = "autodiff-lab-probe:"
MAX_PROBE_LINE = 2_000_000  # characters; a longer line is not read at all


def probe_cell_source(exercise: str, inputs: dict[str, Any]) -> str:
    """The code the grader runs in the kernel after the notebook's own cells."""
    return (
        "from autodiff_lab.grading.probes import run_probes as _autodiff_lab_run_probes\n"
        f"_autodiff_lab_run_probes({exercise!r}, {json.dumps(inputs)!r}, globals())"
    )


def run_probes(exercise: str, inputs_json: str, namespace: Mapping[str, Any]) -> None:
    """Kernel side: run each grade_id's cases and print the results on one marked line.

    ``inputs_json`` maps a grade_id to its cases, each ``[measure, inputs]``; each
    result is a list of floats or ``{"error": exception class name}``.
    """
    results = {}
    for grade_id, cases in json.loads(inputs_json).items():
        part = part_for_grade_id(exercise, grade_id)
        results[grade_id] = [_measure(part, name, inputs, namespace) for name, inputs in cases]
    print(PROBE_MARKER + json.dumps(results))


def _measure(part, name: str, inputs, namespace) -> list[float] | dict:
    try:
        return numbers(part.measures[name].run(namespace, inputs), "the measured result")
    except (Exception, SystemExit, RecursionError) as error:  # student code may raise anything
        return {"error": type(error).__name__}
