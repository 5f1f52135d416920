"""Grader-side checks: the student's code on inputs the grader picks, judged outside the kernel.

Test cells run inside the student's kernel, where the student's own code can
tamper with anything (nbgrader has the same weakness). So a test cell's
points are earned only through its probe: after a submission's cells have
run, the grader sends one more cell that measures the student's objects on
inputs drawn for this submission (random programs, for the exercises that
build machinery) and prints the numbers; the grader compares them with
references that it computes in its own process (`referee`, which the
sandboxed kernel cannot read). A probe that is missing, late, malformed or
different scores 0.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from typing import Any

from .cases import Probe, numbers
from .catalogue import PROBES
from .feedback import exception_name

PROBE_MARKER = "autodiff-lab-probe:"


MAX_PROBE_LINE = 2_000_000  # characters; a longer line is not read at all


def probes_for(exercise: str | None) -> list[Probe]:
    return list(PROBES.get(exercise or "", []))


def choose_inputs(exercise: str | None, seed: str) -> dict[str, Any]:
    """Inputs for each probe, fixed by ``seed`` (so a regrade gives the same result)."""
    rng = random.Random(seed)
    return {probe.grade_id: probe.sample(rng) for probe in probes_for(exercise)}


def probe_cell_source(exercise: str, inputs: dict[str, Any]) -> str:
    """The code the grader runs in the kernel after the notebook's own cells."""
    return (
        "from autodiff_lab.grading.probes import run_probes as _autodiff_lab_run_probes\n"
        f"_autodiff_lab_run_probes({exercise!r}, {json.dumps(inputs)!r}, globals())"
    )


def run_probes(exercise: str, inputs_json: str, namespace: Mapping[str, Any]) -> None:
    """Kernel side: measure each probe and print the results on one marked line."""
    inputs = json.loads(inputs_json)
    results = {}
    for probe in probes_for(exercise):
        if probe.grade_id not in inputs:
            continue
        try:
            measured = _floats(probe.measure(namespace, inputs[probe.grade_id]))
            results[probe.grade_id] = {"values": measured}
        except BaseException as error:  # noqa: BLE001 - student code may raise anything
            results[probe.grade_id] = {"error": type(error).__name__}
    print(PROBE_MARKER + json.dumps(results))


def judge(exercise: str, inputs: dict[str, Any], printed: str) -> dict[str, str | None]:
    """Grader side: for each probed grade_id, None if confirmed, else the reason why not."""
    lines = [line for line in printed.splitlines() if line.startswith(PROBE_MARKER)]
    if len(lines) != 1:
        reason = "the grader's own check printed nothing" if not lines else "unexpected output"
        return {grade_id: reason for grade_id in inputs}
    try:
        if len(lines[0]) > MAX_PROBE_LINE:
            raise ValueError("too long")
        measured = json.loads(lines[0][len(PROBE_MARKER) :])
    except (ValueError, RecursionError):
        return {grade_id: "the grader's own check gave unreadable output" for grade_id in inputs}
    verdicts: dict[str, str | None] = {}
    for probe in probes_for(exercise):
        if probe.grade_id not in inputs:
            continue
        entry = measured.get(probe.grade_id) if isinstance(measured, dict) else None
        verdicts[probe.grade_id] = _verdict(probe, exercise, inputs[probe.grade_id], entry)
    return verdicts


def _verdict(probe: Probe, exercise: str, inputs, entry) -> str | None:
    from .referee import reference_values

    if not isinstance(entry, dict):
        return "the grader's own check returned nothing"
    if "error" in entry:
        return f"on the grader's own inputs your code raised {exception_name(entry['error'])}"
    expected = _floats(reference_values(exercise, probe.grade_id, inputs))
    values = entry.get("values")
    if not isinstance(values, list) or len(values) != len(expected):
        return "the grader's own check returned the wrong number of values"
    for index, (got, want) in enumerate(zip(values, expected)):
        if type(got) not in (int, float) or not _close(float(got), want, probe.tolerance):
            shown = f"{got:.6g}" if type(got) in (int, float) else "not a number"
            return f"on the grader's own inputs value {index + 1} was {shown}, expected {want:.6g}"
    return None


def _close(got: float, want: float, tolerance: float) -> bool:
    if math.isnan(got) or math.isinf(got) or math.isnan(want) or math.isinf(want):
        return got == want or (math.isnan(want) and math.isnan(got))
    return math.isclose(got, want, rel_tol=tolerance, abs_tol=tolerance)


def _floats(result) -> list[float]:
    return numbers(result, "the measured result")
