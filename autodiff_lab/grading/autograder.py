"""Grade a batch of submissions against an instructor notebook.

For each submission: load it safely, rebuild it around the source's locked
and test cells (`submission`), run it in a worker process with its own
limited kernel in a private folder (`execution`), and score each test cell
by its ``points``. ``jobs`` submissions run at once; each has a hard
deadline after which its worker and its kernel's whole process group are
killed. Whatever happens to one submission, the batch goes on, and the
submissions themselves are only ever read.

Results go to a CSV (one row per submission: file, a column per grade_id,
total, reason) and optionally a JSON file with per-test feedback, each
written atomically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

import nbformat

from .execution import Job, Limits, job_to_line, kernel_pid_file
from .notebook_format import (
    TEST,
    exercise_name_of,
    format_problems,
    grade_id_of,
    points_of,
    role_of,
)
from .probes import choose_inputs
from .release import write_atomically
from .submission import SubmissionError, answer_ids, assemble, load_submission

STARTUP_ALLOWANCE_SECONDS = 60  # kernel start-up and the grader's own check


@dataclass(frozen=True)
class GradeOptions:
    jobs: int = 1
    cell_timeout: float = 30.0
    memory_mb: int = 1024
    deadline: float | None = None  # per submission; None: derived from the cell timeout
    output_chars: int = 100_000
    probes: bool = True


@dataclass
class TestOutcome:
    grade_id: str
    points: float
    score: float
    status: str  # "passed", "failed", "timeout", "not run", or "passed, not confirmed"
    feedback: str = ""


TestOutcome.__test__ = False  # not a pytest class


@dataclass
class SubmissionResult:
    submission: str
    total: float
    max_total: float
    reason: str
    tests: list[TestOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def scores(self) -> dict[str, float]:
        return {test.grade_id: test.score for test in self.tests}


class SourceError(ValueError):
    """The instructor notebook itself is unusable."""


def load_source(path: str | os.PathLike) -> nbformat.NotebookNode:
    """The instructor notebook, checked: graded cells with points, nbgrader's rules kept."""
    try:
        source = load_submission(path)
    except SubmissionError as error:
        raise SourceError(f"the source notebook {path}: {error}") from None
    problems = format_problems(source)
    if problems:
        raise SourceError(f"the source notebook {path}: " + "; ".join(problems))
    if not any(role_of(cell) == TEST for cell in source.cells):
        raise SourceError(f"the source notebook {path} has no test cells to grade")
    return source


def test_cells(source) -> list[tuple[str, float]]:
    """(grade_id, points) of each autograded test cell, in notebook order."""
    return [(grade_id_of(cell), points_of(cell)) for cell in source.cells if role_of(cell) == TEST]


test_cells.__test__ = False


# ---------------------------------------------------------------------------
# The batch


@dataclass(frozen=True)
class _Pending:
    """A submission ready to run."""

    job: Job
    path: str
    notes: tuple[str, ...]
    wall_seconds: float


@dataclass
class _Running:
    job: Job
    path: str
    started: float
    deadline: float
    outcomes: dict = field(default_factory=dict)  # grade_id -> (status, feedback)
    notes: list = field(default_factory=list)
    probes: dict = field(default_factory=dict)


def grade(
    source_path: str | os.PathLike,
    submissions: list[str | os.PathLike],
    options: GradeOptions = GradeOptions(),
    progress: TextIO | None = None,
) -> list[SubmissionResult]:
    """Grade every submission; results are in the order given."""
    source = load_source(source_path)
    source_digest = hashlib.sha256(Path(source_path).read_bytes()).hexdigest()
    tests = test_cells(source)
    results: dict[int, SubmissionResult] = {}
    bar = Progress(len(submissions), progress)
    root = Path(tempfile.mkdtemp(prefix="autodiff-lab-grade-"))
    queue: deque[_Pending] = deque()
    try:
        for index, path in enumerate(submissions):
            prepared = _prepare(index, Path(path), source, source_digest, tests, root, options)
            if isinstance(prepared, SubmissionResult):
                results[index] = prepared
                bar.advance(str(path))
            else:
                queue.append(prepared)
        _run_all(queue, tests, options, results, bar, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        bar.close()
    return [results[index] for index in range(len(submissions))]


def _prepare(index, path, source, source_digest, tests, root, options):
    """A submission ready to run, or a finished result for a file that cannot be run."""
    started = time.monotonic()
    try:
        submission = load_submission(path)
        assembly = assemble(source, submission)
    except SubmissionError as error:
        return _refused(str(path), tests, f"not graded: {error}", started)
    private_dir = root / f"s{index:04d}"
    (private_dir / "kernel").mkdir(parents=True)
    exercise = exercise_name_of(source)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    # The probes' inputs depend on the submission and on the source with its hidden tests,
    # so a regrade gives the same inputs but a student cannot work them out.
    probe_inputs = choose_inputs(exercise, digest + source_digest) if options.probes else {}
    wall_seconds = _deadline(options, assembly.notebook)
    limits = Limits(
        cell_timeout=options.cell_timeout,
        memory_mb=options.memory_mb,
        cpu_seconds=int(wall_seconds) + 5,  # a last resort that holds even if the grader dies
        output_chars=options.output_chars,
    )
    job = Job(
        index=index,
        notebook_json=nbformat.writes(assembly.notebook),
        private_dir=str(private_dir),
        limits=limits,
        graded_ids=tuple(grade_id for grade_id, _ in tests),
        answer_ids=tuple(answer_ids(source)),
        exercise=exercise,
        probe_inputs=probe_inputs,
    )
    return _Pending(job, str(path), tuple(assembly.notes), wall_seconds)


def _deadline(options: GradeOptions, notebook) -> float:
    if options.deadline is not None:
        return options.deadline
    code_cells = sum(1 for cell in notebook.cells if cell.cell_type == "code")
    return STARTUP_ALLOWANCE_SECONDS + (code_cells + 1) * (options.cell_timeout + 5)


class _Worker:
    """A grading worker process (`execution.serve`), fed one job at a time."""

    def __init__(self, log) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autodiff_lab.grading.execution"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        os.set_blocking(self.process.stdout.fileno(), False)
        self.pending = b""
        self.current: _Running | None = None

    def start(self, entry: _Running) -> None:
        self.current = entry
        try:
            self.process.stdin.write(job_to_line(entry.job).encode("utf-8"))
            self.process.stdin.flush()
        except OSError:
            pass  # a dead worker: its closed output pipe reports it

    def read_messages(self) -> list | None:
        """Complete messages waiting on the pipe; None once the worker has exited."""
        try:
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.process.stdin.close()  # the worker ends at the end of its input
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _run_all(queue, tests, options, results, bar, root: Path) -> None:
    selector = selectors.DefaultSelector()
    workers: list[_Worker] = []
    with open(root / "workers.log", "wb") as log:
        try:
            while queue or any(worker.current for worker in workers):
                _hand_out(queue, workers, selector, options, log)
                busy = [worker for worker in workers if worker.current]
                soonest = min(worker.current.deadline for worker in busy)
                timeout = max(0.05, min(0.5, soonest - time.monotonic()))
                for key, _ in selector.select(timeout):
                    worker = key.data
                    messages = worker.read_messages()
                    if messages is None:  # the worker process is gone
                        worker.current.notes.append(
                            "the grading worker stopped unexpectedly" + _last_line(log.name)
                        )
                        _retire(worker, workers, selector, tests, results, bar, killed=True)
                        continue
                    for message in messages:
                        if _record(worker.current, message):
                            _finish(worker.current, tests, results, bar)
                            worker.current = None
                now = time.monotonic()
                for worker in [worker for worker in workers if worker.current]:
                    if now > worker.current.deadline:
                        limit = worker.current.deadline - worker.current.started
                        worker.current.notes.append(
                            f"stopped at the hard deadline of {limit:.0f} s; "
                            "cells after that point were not run"
                        )
                        _retire(worker, workers, selector, tests, results, bar, killed=True)
        finally:
            for worker in workers:
                selector.unregister(worker.process.stdout)
                worker.stop(kill=worker.current is not None)
            selector.close()


def _last_line(log_path: str) -> str:
    """The last line a worker wrote to its error log, to say why it stopped."""
    try:
        lines = Path(log_path).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f" ({lines[-1][:200]})" if lines else ""


def _hand_out(queue, workers, selector, options, log) -> None:
    """Give each idle worker a job, starting workers up to ``options.jobs``."""
    for worker in workers:
        if queue and worker.current is None:
            worker.start(_running(queue.popleft()))
    while queue and len(workers) < max(1, options.jobs):
        worker = _Worker(log)
        selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
        workers.append(worker)
        worker.start(_running(queue.popleft()))


def _running(pending: _Pending) -> _Running:
    now = time.monotonic()
    return _Running(
        pending.job, pending.path, now, now + pending.wall_seconds, notes=list(pending.notes)
    )


def _retire(worker, workers, selector, tests, results, bar, killed: bool) -> None:
    """Stop a worker (killing its kernel too) and score what its job reported."""
    while worker.current is not None:  # what the worker said before it stops still counts
        messages = worker.read_messages()
        if not messages:
            break
        if any(_record(worker.current, message) for message in messages):
            break
    selector.unregister(worker.process.stdout)
    workers.remove(worker)
    worker.stop(kill=killed)
    if worker.current is not None:
        _finish(worker.current, tests, results, bar)


def _record(entry: _Running, message) -> bool:
    """Apply one message from a worker; True when the job is done."""
    _, kind, payload = message
    if kind == "cell":
        grade_id, status, feedback = payload
        entry.outcomes[grade_id] = (status, feedback)
    elif kind in ("note", "stuck", "died"):
        entry.notes.append(payload)
    elif kind == "probes":
        entry.probes = payload
    return kind == "done"


def _finish(entry: _Running, tests, results, bar) -> None:
    _kill_kernel(entry.job.private_dir)  # normally already gone; after a kill, surely gone
    shutil.rmtree(entry.job.private_dir, ignore_errors=True)
    results[entry.job.index] = _score(entry, tests)
    bar.advance(entry.path)


def _kill_kernel(private_dir: str) -> None:
    """SIGKILL the kernel's process group, if that kernel is still alive."""
    try:
        pid = int(kernel_pid_file(private_dir).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return
    if not _is_our_kernel(pid, private_dir):
        return
    try:
        os.killpg(pid, signal.SIGKILL)  # the kernel leads its own process group
    except (ProcessLookupError, PermissionError):
        pass


def _is_our_kernel(pid: int, private_dir: str) -> bool:
    """True only for a live group leader started with this submission's pid file."""
    try:
        if os.getpgid(pid) != pid:
            return False
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            return str(kernel_pid_file(private_dir)).encode() in cmdline.read_bytes()
        except OSError:
            return False
    return True  # no /proc (macOS): the group check above is what we have


# ---------------------------------------------------------------------------
# Scoring


def _refused(path: str, tests, reason: str, started: float) -> SubmissionResult:
    outcomes = [TestOutcome(grade_id, points, 0.0, "not run") for grade_id, points in tests]
    return SubmissionResult(
        submission=path,
        total=0.0,
        max_total=sum(points for _, points in tests),
        reason=reason,
        tests=outcomes,
        seconds=round(time.monotonic() - started, 2),
    )


def _with_cause(grade_id: str, feedback: str) -> str:
    """``grade_id (why)``: the last line of a test's feedback names its error."""
    lines = [line.strip() for line in feedback.splitlines() if line.strip()]
    if not lines:
        return grade_id
    cause = lines[-1].removesuffix("(see the lines above)").strip()
    if len(cause) > 100:
        cause = cause[:99] + "…"
    return f"{grade_id} ({cause})"


def _score(entry: _Running, tests) -> SubmissionResult:
    outcomes, failed, unconfirmed = [], [], []
    for grade_id, points in tests:
        status, feedback = entry.outcomes.get(grade_id, ("not run", ""))
        verdict = entry.probes.get(grade_id) if status == "passed" else None
        if verdict:
            status = "passed, not confirmed"
            feedback = f"{feedback}\nthe grader's own check disagreed: {verdict}".strip()
            unconfirmed.append(f"{grade_id} ({verdict})")
        elif status in ("failed", "timeout"):
            failed.append(_with_cause(grade_id, feedback))
        score = points if status == "passed" else 0.0
        outcomes.append(TestOutcome(grade_id, points, score, status, feedback))
    reasons = list(dict.fromkeys(entry.notes))  # keep order, drop repeats
    if unconfirmed:
        reasons.append(
            "tests passed in the notebook but the grader's own check did not agree: "
            + "; ".join(unconfirmed)
        )
    if failed:
        reasons.append("failed: " + ", ".join(failed))
    return SubmissionResult(
        submission=entry.path,
        total=sum(outcome.score for outcome in outcomes),
        max_total=sum(points for _, points in tests),
        reason="; ".join(reasons),
        tests=outcomes,
        seconds=round(time.monotonic() - entry.started, 2),
    )


# ---------------------------------------------------------------------------
# Output


def csv_text(results: list[SubmissionResult], grade_ids: list[str]) -> str:
    """One row per submission: submission, one column per grade_id, total, reason."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", *grade_ids, "total", "reason"])
    for result in results:
        scores = result.scores
        writer.writerow(
            [
                result.submission,
                *(_number(scores.get(grade_id, 0.0)) for grade_id in grade_ids),
                _number(result.total),
                result.reason,
            ]
        )
    return buffer.getvalue()


def json_text(results: list[SubmissionResult], source: str) -> str:
    payload = {
        "source": source,
        "submissions": [
            {
                **{key: value for key, value in asdict(result).items() if key != "tests"},
                "tests": [asdict(test) for test in result.tests],
            }
            for result in results
        ],
    }
    return json.dumps(payload, indent=1, ensure_ascii=False) + "\n"


def write_reports(
    results: list[SubmissionResult],
    grade_ids: list[str],
    csv_path: str | os.PathLike,
    json_path: str | os.PathLike | None = None,
    source: str = "",
) -> None:
    """Write the CSV (and JSON) atomically: a reader sees the old file or the new one."""
    write_atomically(Path(csv_path), csv_text(results, grade_ids))
    if json_path is not None:
        write_atomically(Path(json_path), json_text(results, source))


def _number(value: float) -> str:
    return f"{value:g}"


class Progress:
    """A plain-text progress bar on a stream (a line per submission when not a terminal)."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.started = time.monotonic()
        self.live = bool(stream) and getattr(stream, "isatty", lambda: False)()

    def advance(self, label: str) -> None:
        self.done += 1
        if not self.stream:
            return
        filled = self.width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        text = f"grading [{bar}] {self.done}/{self.total} {elapsed:5.1f}s {Path(label).name}"
        if self.live:
            self.stream.write("\r" + text[:120].ljust(120))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.stream and self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()
