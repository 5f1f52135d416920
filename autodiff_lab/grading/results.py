"""What grading one submission gives: a score per test cell, the reasons, the flags.

A test's points are earned only when its cell passed in the notebook (the
visible check and any hidden tests) AND the grader's own probe confirmed it
(`score`); everything else scores 0, and says why in the grader's words.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

UNSANDBOXED = "graded WITHOUT a sandbox (--unsafe-no-sandbox): the result can be forged"


@dataclass
class TestOutcome:
    grade_id: str
    points: float
    score: float
    status: str  # "passed", "failed", "timeout", "not run", or "not confirmed"
    feedback: str = ""
    probe_inputs: object = None  # what the grader's own check used, to reproduce a regrade


TestOutcome.__test__ = False  # not a pytest class


@dataclass
class SubmissionResult:
    """One submission's grade: its total, each test's outcome and any flags."""

    submission: str
    total: float
    max_total: float
    reason: str
    tests: list[TestOutcome] = field(default_factory=list)
    seconds: float = 0.0
    sandboxed: bool = True
    flags: list[str] = field(default_factory=list)  # for the instructor to look at
    student_id: str = ""  # from the nbgrader layout or the roster ("" if unknown)
    name: str = ""
    email: str = ""
    section: str = ""
    modified: str = ""  # the file's modification time, ISO 8601 in UTC ("" with no file)
    graded_at: str = ""  # when the grader finished it, ISO 8601 in UTC
    submitted: bool = True  # False for a roster student with no submission

    @property
    def scores(self) -> dict[str, float]:
        """Points per graded part, keyed by the part's grade id."""
        return {test.grade_id: test.score for test in self.tests}


@dataclass
class Evidence:
    """What the grader learnt about one submission while it ran."""

    outcomes: dict = field(default_factory=dict)  # grade_id -> (status, feedback)
    notes: list = field(default_factory=list)
    probes: dict = field(default_factory=dict)  # grade_id -> None (confirmed) or why not
    probe_inputs: dict = field(default_factory=dict)
    flags: tuple = ()
    malformed: bool = False  # a report line that was not the worker's: nothing counts
    sandboxed: bool = True


def utc_now() -> str:
    """The time now, ISO 8601 in UTC to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def utc_time(timestamp: float) -> str:
    """A POSIX timestamp as ISO 8601 in UTC to the second."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.isoformat(timespec="seconds")


NO_SUBMISSION = "not graded: no submission"


def missing(tests, student_id: str) -> SubmissionResult:
    """The row of a roster student who handed nothing in."""
    result = refused("", tests, NO_SUBMISSION, 0.0, True)
    result.student_id = student_id
    result.submitted = False
    return result


def refused(name: str, tests, reason: str, seconds: float, sandboxed: bool) -> SubmissionResult:
    """The row of a file that never ran."""
    outcomes = [TestOutcome(grade_id, points, 0.0, "not run") for grade_id, points in tests]
    return SubmissionResult(
        submission=name,
        total=0.0,
        max_total=sum(points for _, points in tests),
        reason=reason,
        tests=outcomes,
        seconds=round(seconds, 2),
        sandboxed=sandboxed,
        graded_at=utc_now(),
    )


def score(name: str, tests, evidence: Evidence, seconds: float) -> SubmissionResult:
    """Points only for a test that passed in the notebook AND that the grader's probe confirmed."""
    outcomes, failed, unconfirmed = [], [], []
    for grade_id, points in tests:
        status, feedback = evidence.outcomes.get(grade_id, ("not run", ""))
        if evidence.malformed:
            status, feedback = "not confirmed", "the grading report was malformed"
        elif status == "passed":
            verdict = probe_verdict(evidence.probes, grade_id)
            if verdict is not None:
                status, feedback = "not confirmed", f"the grader's own check: {verdict}"
                unconfirmed.append(f"{grade_id} ({verdict})")
        elif status in ("failed", "timeout"):
            verdict = evidence.probes.get(grade_id)
            written = "NotImplementedError" not in feedback  # a stub: the check adds nothing
            if isinstance(verdict, str) and status == "failed" and written:
                feedback = f"{feedback}; {verdict}"
            failed.append(with_cause(grade_id, feedback))
        points_earned = points if status == "passed" else 0.0
        inputs = evidence.probe_inputs.get(grade_id)
        outcomes.append(TestOutcome(grade_id, points, points_earned, status, feedback, inputs))
    reasons = list(dict.fromkeys(evidence.notes))  # keep order, drop repeats
    if evidence.malformed:
        reasons.append("the grading report for this submission was malformed; nothing counted")
    if unconfirmed:
        reasons.append("not confirmed by the grader's own check: " + "; ".join(unconfirmed))
    if failed:
        reasons.append("failed: " + ", ".join(failed))
    if evidence.flags:
        reasons.append("flagged: " + "; ".join(evidence.flags))
    if not evidence.sandboxed:
        reasons.insert(0, UNSANDBOXED)
    return SubmissionResult(
        submission=name,
        total=sum(outcome.score for outcome in outcomes),
        max_total=sum(points for _, points in tests),
        reason="; ".join(reasons),
        tests=outcomes,
        seconds=round(seconds, 2),
        sandboxed=evidence.sandboxed,
        flags=list(evidence.flags),
        graded_at=utc_now(),
    )


def probe_verdict(probes: dict, grade_id: str) -> str | None:
    """None only when the probe's confirmation arrived and agreed; else why not (fail closed)."""
    if grade_id not in probes:
        return "it did not run (the kernel stopped, hung or was killed before it)"
    verdict = probes[grade_id]
    if verdict is None:
        return None
    return verdict if isinstance(verdict, str) else "it gave no readable verdict"


def with_cause(grade_id: str, feedback: str, limit: int = 300) -> str:
    """``grade_id (why)``, the why cut to ``limit`` characters."""
    cause = " ".join(feedback.split())
    if not cause:
        return grade_id
    if len(cause) > limit:
        cause = cause[: limit - 1] + "…"
    return f"{grade_id} ({cause})"
