"""Grade a batch of submissions against an instructor notebook.

For each submission: load it safely, rebuild it around the released
notebook's locked and test cells (`submission`: hidden tests and solutions
never enter the run), run it in a worker process with its own kernel in a
bubblewrap sandbox (`sandbox`, `execution`), and score each test cell by its
``points``. A test's points are earned only when the grader's own probe
confirms it (`probes`): a missing, late, malformed or different confirmation
scores 0. ``jobs`` submissions run at once; each has a hard deadline after
which its worker, and with it the whole sandbox, is killed. Whatever happens
to one submission, the batch goes on, the submissions are only ever read,
and the CSV and JSON are always written.

Results go to a CSV (one row per submission: file, a column per grade_id,
total, reason) and optionally a JSON file with per-test feedback, each
written atomically and only from the grader's own messages.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import secrets
import selectors
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

from . import sandbox
from .catalogue import engine_view
from .copying import library_use
from .execution import Job, Limits, connection_file, job_to_line, kernel_pid_file
from .feedback import exception_name
from .files import remove_tree, write_atomically
from .notebook_format import (
    TEST,
    exercise_name_of,
    format_problems,
    grade_id_of,
    points_of,
    role_of,
)
from .referee import choose_inputs, has_probe
from .submission import (
    ANSWER_ROLES,
    SubmissionError,
    answer_ids,
    assemble,
    display_name,
    load_submission,
    read_submission,
)

STARTUP_ALLOWANCE_SECONDS = 60  # kernel start-up and the grader's own check
MAX_REPORT_LINE = 32 * 2**20
MALFORMED = ("malformed", None)
UNSANDBOXED = "graded WITHOUT a sandbox (--unsafe-no-sandbox): the result can be forged"


@dataclass(frozen=True)
class GradeOptions:
    jobs: int = 1
    cell_timeout: float = 30.0
    memory_mb: int = 1024
    deadline: float | None = None  # per submission; None: derived from the cell timeout
    output_chars: int = 100_000
    unsafe_no_sandbox: bool = False  # grade without isolation; every row says so
    max_deadline: float = 900.0  # seconds per submission, whatever its number of cells
    disk_mb: int = 64  # each of the sandbox's writable folders
    processes: int = 128  # processes and threads of one sandbox
    # Where the private folders go (default: the system's temporary folder). The kernels'
    # sockets live there, and a Unix socket's path must stay under about 100 bytes.
    scratch_dir: str | None = None


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
    submission: str
    total: float
    max_total: float
    reason: str
    tests: list[TestOutcome] = field(default_factory=list)
    seconds: float = 0.0
    sandboxed: bool = True
    flags: list[str] = field(default_factory=list)  # for the instructor to look at

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
    exercise = exercise_name_of(source)
    unconfirmable = [
        grade_id for grade_id, _ in test_cells(source) if not has_probe(exercise, grade_id)
    ]
    if unconfirmable:
        raise SourceError(
            f"the source notebook {path}: the grader has no check of its own for "
            f"{', '.join(unconfirmable)} (exercise {exercise!r}), so it could not confirm them; "
            "add probes to autodiff_lab/grading/catalogue and references to grading/referee"
        )
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
    flags: tuple[str, ...] = ()


@dataclass
class _Running:
    job: Job
    path: str
    started: float
    deadline: float
    outcomes: dict = field(default_factory=dict)  # grade_id -> (status, feedback)
    notes: list = field(default_factory=list)
    probes: dict = field(default_factory=dict)
    flags: tuple = ()
    malformed: bool = False  # a report line that was not the worker's: nothing counts


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
    root = Path(tempfile.mkdtemp(prefix="autodiff-lab-grade-", dir=options.scratch_dir))
    # Jobs of batches running side by side on one machine rarely share a user id.
    uid_offset = secrets.randbelow(sandbox.UID_RANGE)
    try:
        if not options.unsafe_no_sandbox:
            sandbox.check_available()  # refuse before anything runs
        bar = Progress(len(submissions), progress)
        queue: deque[_Pending] = deque()
        try:
            names = unique_names([display_name(path) for path in submissions])
            for index, (path, name) in enumerate(zip(submissions, names)):
                prepared = _prepare(
                    index, Path(path), name, source, source_digest, tests, root, options, uid_offset
                )
                if isinstance(prepared, SubmissionResult):
                    results[index] = prepared
                    bar.advance(prepared.submission)
                else:
                    queue.append(prepared)
            _run_all(queue, tests, options, results, bar, root)
        finally:
            bar.close()
    finally:
        remove_tree(root)
    return [results[index] for index in range(len(submissions))]


def unique_names(names: list[str]) -> list[str]:
    """``names`` with a repeat marked "(2)", "(3)", ...: one row per submission, each its own."""
    seen: dict[str, int] = {}
    unique = []
    taken = set(names)
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        candidate = name
        while count > 1 and (candidate == name or candidate in taken):
            candidate = f"{name} ({count})"
            count += 1
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _prepare(index, path, name, source, source_digest, tests, root, options, uid_offset=0):
    """A submission ready to run, or a finished result for a file that cannot be run."""
    started = time.monotonic()
    try:
        submission, data = read_submission(path)
        assembly = assemble(source, submission)
        return _pending(
            index, name, data, source, source_digest, tests, root, options, assembly, uid_offset
        )
    except SubmissionError as error:
        return _refused(name, tests, f"not graded: {error}", started, options)
    except Exception as error:  # noqa: BLE001 - whatever a file does, the batch goes on
        reason = f"not graded: the grader could not read this file ({type(error).__name__})"
        return _refused(name, tests, reason, started, options)


def _pending(index, name, data, source, source_digest, tests, root, options, assembly, uid_offset):
    private_dir = root / f"s{index:04d}"
    (private_dir / "kernel").mkdir(parents=True)
    exercise = exercise_name_of(source)
    digest = hashlib.sha256(data).hexdigest()
    # The probes' inputs depend on the submission and on the source with its hidden tests,
    # so a regrade gives the same inputs but a student cannot work them out.
    probe_inputs = choose_inputs(exercise, digest + source_digest, [gid for gid, _ in tests])
    wall_seconds = _deadline(options, source)
    limits = Limits(
        cell_timeout=options.cell_timeout,
        memory_mb=options.memory_mb,
        cpu_seconds=int(wall_seconds) + 5,  # a last resort that holds even if the grader dies
        output_chars=options.output_chars,
    )
    notebook_json = nbformat.writes(assembly.notebook)
    job = Job(
        index=index,
        notebook_json=notebook_json,
        private_dir=str(private_dir),
        limits=limits,
        graded_ids=tuple(grade_id for grade_id, _ in tests),
        answer_ids=tuple(answer_ids(source)),
        exercise=exercise,
        probe_inputs=probe_inputs,
        token=secrets.token_hex(16),
        sandbox=None
        if options.unsafe_no_sandbox
        else _sandbox_spec(index + uid_offset, private_dir, options, notebook_json, exercise),
    )
    flags = library_use(exercise, _student_sources(source, assembly.notebook))
    return _Pending(job, name, tuple(assembly.notes), wall_seconds, tuple(flags))


def _sandbox_spec(
    index: int, private_dir: Path, options: GradeOptions, notebook_json: str, exercise
) -> sandbox.SandboxSpec:
    """The job's sandbox: its own user, its notebook and connection file shown read-only,
    and the view of the package that the exercise allows."""
    shown = private_dir / "submission.ipynb"
    shown.write_text(notebook_json, encoding="utf-8")
    shown.chmod(0o644)
    engine, exports = engine_view(exercise)
    package_init = ""
    if engine is not None:
        init = private_dir / "package_init.py"
        init.write_text(sandbox.package_init_text(exports), encoding="utf-8")
        init.chmod(0o644)
        package_init = str(init)
    return sandbox.SandboxSpec(
        uid=sandbox.sandbox_uid(index),
        memory_mb=options.memory_mb,
        processes=options.processes,
        disk_mb=options.disk_mb,
        connection_file=connection_file(private_dir),
        notebook=str(shown),
        package_init=package_init,
        engine=engine,
    )


def _student_sources(source, notebook) -> list[str]:
    """The code the student wrote: answer cells and cells of their own."""
    kept = {grade_id_of(cell) for cell in source.cells} - {None}
    return [
        cell.source
        for cell in notebook.cells
        if cell.cell_type == "code"
        and (role_of(cell) in ANSWER_ROLES or grade_id_of(cell) not in kept)
    ]


def _deadline(options: GradeOptions, source) -> float:
    """Seconds for one submission: from the source's cells, so a student cannot stretch it."""
    if options.deadline is not None:
        return options.deadline
    code_cells = sum(1 for cell in source.cells if cell.cell_type == "code")
    allowed = STARTUP_ALLOWANCE_SECONDS + (code_cells + 2) * (options.cell_timeout + 5)
    return min(allowed, options.max_deadline)


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
        """Complete messages waiting on the pipe; None once the worker has exited.

        A line that is not JSON, or lacks the current job's token and index, becomes
        ``MALFORMED``: it did not come from the worker's job, so nothing of it counts.
        """
        try:
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self.pending += chunk
        *lines, self.pending = self.pending.split(b"\n")
        if len(self.pending) > MAX_REPORT_LINE:
            self.pending = b""
            lines.append(b"-")  # an endless line: malformed
        return [self._message(line) for line in lines if line.strip()]

    def _message(self, line: bytes):
        try:
            token, index, kind, payload = json.loads(line)
        except (ValueError, TypeError, RecursionError):
            return MALFORMED
        job = self.current.job if self.current else None
        if job is None or token != job.token or index != job.index or not isinstance(kind, str):
            return MALFORMED
        return kind, payload

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
    """The exception that stopped a worker, by class name only (its message could hold
    text that came from a kernel)."""
    try:
        lines = Path(log_path).read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    found = re.match(r"([A-Za-z_]\w{0,60})\b", lines[-1]) if lines else None
    name = exception_name(found[1]) if found else ""
    return f" ({name})" if name and name != "an exception" else ""


def _hand_out(queue, workers, selector, options, log) -> None:
    """Give each idle worker a job, starting workers up to ``options.jobs``."""
    for worker in workers:
        if queue and worker.current is None:
            worker.start(_running(queue.popleft(), options))
    while queue and len(workers) < max(1, options.jobs):
        worker = _Worker(log)
        selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
        workers.append(worker)
        worker.start(_running(queue.popleft(), options))


def _running(pending: _Pending, options: GradeOptions) -> _Running:
    """A job about to start, with its cgroups made now (so they exist only while it runs)."""
    job = pending.job
    if job.sandbox is not None:
        groups = sandbox.create_cgroups(job.token, options.memory_mb, options.processes)
        job = dataclasses.replace(job, sandbox=dataclasses.replace(job.sandbox, cgroups=groups))
    now = time.monotonic()
    return _Running(
        job,
        pending.path,
        now,
        now + pending.wall_seconds,
        notes=list(pending.notes),
        flags=pending.flags,
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
    kind, payload = message
    try:
        if kind == "cell":
            grade_id, status, feedback = payload
            entry.outcomes[str(grade_id)] = (str(status), str(feedback))
        elif kind in ("note", "stuck", "died"):
            entry.notes.append(str(payload))
        elif kind == "probes" and isinstance(payload, dict):
            entry.probes = payload
        elif kind != "done":
            entry.malformed = True
    except (TypeError, ValueError):
        entry.malformed = True
    return kind == "done"


def _finish(entry: _Running, tests, results, bar) -> None:
    if entry.job.sandbox is not None:
        sandbox.remove_cgroups(entry.job.sandbox.cgroups)  # normally empty by now
    else:
        _kill_kernel(entry.job.private_dir)  # normally already gone; after a kill, surely gone
    remove_tree(entry.job.private_dir)
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


def _refused(
    path: str, tests, reason: str, started: float, options: GradeOptions
) -> SubmissionResult:
    outcomes = [TestOutcome(grade_id, points, 0.0, "not run") for grade_id, points in tests]
    return SubmissionResult(
        submission=path,
        total=0.0,
        max_total=sum(points for _, points in tests),
        reason=reason,
        tests=outcomes,
        seconds=round(time.monotonic() - started, 2),
        sandboxed=not options.unsafe_no_sandbox,
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
    """Points only for a test that passed in the notebook AND that the grader's probe confirmed."""
    outcomes, failed, unconfirmed = [], [], []
    for grade_id, points in tests:
        status, feedback = entry.outcomes.get(grade_id, ("not run", ""))
        if entry.malformed:
            status, feedback = "not confirmed", "the grading report was malformed"
        elif status == "passed":
            verdict = _probe_verdict(entry.probes, grade_id)
            if verdict is not None:
                status, feedback = "not confirmed", f"the grader's own check: {verdict}"
                unconfirmed.append(f"{grade_id} ({verdict})")
        elif status in ("failed", "timeout"):
            failed.append(_with_cause(grade_id, feedback))
        score = points if status == "passed" else 0.0
        inputs = entry.job.probe_inputs.get(grade_id)
        outcomes.append(TestOutcome(grade_id, points, score, status, feedback, inputs))
    reasons = list(dict.fromkeys(entry.notes))  # keep order, drop repeats
    if entry.malformed:
        reasons.append("the grading report for this submission was malformed; nothing counted")
    if unconfirmed:
        reasons.append("not confirmed by the grader's own check: " + "; ".join(unconfirmed))
    if failed:
        reasons.append("failed: " + ", ".join(failed))
    if entry.flags:
        reasons.append("flagged: " + "; ".join(entry.flags))
    if entry.job.sandbox is None:
        reasons.insert(0, UNSANDBOXED)
    return SubmissionResult(
        submission=entry.path,
        total=sum(outcome.score for outcome in outcomes),
        max_total=sum(points for _, points in tests),
        reason="; ".join(reasons),
        tests=outcomes,
        seconds=round(time.monotonic() - entry.started, 2),
        sandboxed=entry.job.sandbox is not None,
        flags=list(entry.flags),
    )


def _probe_verdict(probes: dict, grade_id: str) -> str | None:
    """None only when the probe's confirmation arrived and agreed; else why not (fail closed)."""
    if grade_id not in probes:
        return "it did not run (the kernel stopped, hung or was killed before it)"
    verdict = probes[grade_id]
    if verdict is None:
        return None
    return verdict if isinstance(verdict, str) else "it gave no readable verdict"


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
                spreadsheet_safe(result.submission),
                *(_number(scores.get(grade_id, 0.0)) for grade_id in grade_ids),
                _number(result.total),
                spreadsheet_safe(result.reason),
            ]
        )
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP: prefix a single quote)."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
