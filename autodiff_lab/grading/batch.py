"""One grading batch: a source notebook, its submissions, and everything the grader learns.

`Batch` holds what every submission of a batch shares (the checked source,
its test cells, the options, a private scratch folder) and is what the worker
pool (`pool`) runs: it prepares each submission (`prepare`), hands out jobs
(`next_job`), takes back each report line (`record`) and scores each job when
it ends (`finish`). `grade` is the whole thing for a list of files.

A submission is read safely, rebuilt around the source's locked and test
cells (`submission`: the solutions never enter the run; the test cells keep
their hidden tests, which run and count), and run in a worker with its own
sandboxed kernel (`execution`, `sandbox`). If the source has test cells whose
text the grader did not write itself (an instructor's own hidden tests), the
source's own solution runs first, in the same sandbox, and the batch is
refused unless it passes all of them: a test the sandbox cannot run would
otherwise fail every student silently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
import signal
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import nbformat

from . import sandbox
from .catalogue import engine_view
from .copying import library_use
from .course import load_course
from .execution import Job, Limits, connection_file, kernel_pid_file
from .files import remove_tree
from .notebook_format import exercise_name_of, grade_id_of, role_of
from .pool import WorkerPool
from .progress import Progress
from .referee import choose_inputs
from .results import Evidence, SubmissionResult, missing, refused, score, utc_time
from .roster import NOT_ON_ROSTER, Submitted
from .source import SourceError, load_source, own_tests, test_cells
from .submission import (
    ANSWER_ROLES,
    SubmissionError,
    answer_ids,
    assemble,
    display_name,
    graded_skeleton,
    read_submission,
)

STARTUP_ALLOWANCE_SECONDS = 60  # kernel start-up and the grader's own check
OWN_SOLUTION = "the source's own solution"


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
    scratch_dir: str | None = None  # where the private folders go (default: the system's)
    uid_offset: int | None = None  # as root: job i runs as sandbox_uid(offset + i); None: random
    course: str | None = None  # the course folder of an exercise of an instructor's own


@dataclass(frozen=True)
class Pending:
    """A submission ready to run."""

    job: Job
    name: str
    notes: tuple[str, ...]
    flags: tuple[str, ...] = ()


@dataclass
class Running:
    """A submission being run: its job, its deadline and what it has reported so far."""

    job: Job
    name: str
    started: float
    deadline: float
    evidence: Evidence = field(default_factory=Evidence)


class Batch:
    """Everything one batch shares; see the module's docstring."""

    def __init__(
        self,
        source_path: str | os.PathLike,
        options: GradeOptions = GradeOptions(),
        progress: TextIO | None = None,
    ) -> None:
        if options.course:
            load_course(options.course)  # its exercises, known by name before the source is read
        self.source = load_source(source_path)
        self.source_digest = hashlib.sha256(Path(source_path).read_bytes()).hexdigest()
        self.exercise = exercise_name_of(self.source)
        self.tests = test_cells(self.source)
        self.options = options
        self.progress_stream = progress
        self.root = Path(tempfile.mkdtemp(prefix="autodiff-lab-grade-", dir=options.scratch_dir))
        # Jobs of batches running side by side on one machine rarely share a user id.
        self.uid_offset = (
            secrets.randbelow(sandbox.UID_RANGE)
            if options.uid_offset is None
            else options.uid_offset
        )
        self.wall_seconds = self._deadline()
        self.results: dict[int, SubmissionResult] = {}
        self.queue: deque[Pending] = deque()
        self.bar: Progress | None = None

    # -- the whole batch ----------------------------------------------------------------------

    def grade(self, submissions: list[str | os.PathLike]) -> list[SubmissionResult]:
        """Grade every submission; results are in the order given."""
        if not self.options.unsafe_no_sandbox:
            sandbox.check_available()  # refuse before anything runs
        own = own_tests(self.source)
        if own:
            self._try_own_solution(own)
        self.results = {}
        self.bar = Progress(len(submissions), self.progress_stream)
        try:
            names = unique_names([display_name(path) for path in submissions])
            for index, (path, name) in enumerate(zip(submissions, names)):
                prepared = self.prepare(index, Path(path), name)
                if isinstance(prepared, SubmissionResult):
                    self.results[index] = prepared
                    self.bar.advance(prepared.submission)
                else:
                    self.queue.append(prepared)
            WorkerPool(self.options.jobs, self.root / "workers.log").run(self)
        finally:
            self.bar.close()
        for index, path in enumerate(submissions):
            try:
                self.results[index].modified = utc_time(os.lstat(path).st_mtime)
            except OSError:
                pass
        return [self.results[index] for index in range(len(submissions))]

    def close(self) -> None:
        remove_tree(self.root)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _try_own_solution(self, own: list[str]) -> None:
        """Run the source itself (its solutions, all its tests) once; refuse the batch unless
        every test cell the grader did not write passes there and is confirmed."""
        notebook = graded_skeleton(self.source, keep_solutions=True)
        pending = self._pending(-1, OWN_SOLUTION, notebook, self.source_digest.encode(), ())
        self.queue.append(pending)
        WorkerPool(1, self.root / "workers.log").run(self)
        result = self.results.pop(-1)
        failing = [
            f"{test.grade_id} ({test.feedback or test.status})"
            for test in result.tests
            if test.grade_id in own and test.status != "passed"
        ]
        if failing:
            raise SourceError(
                f"{OWN_SOLUTION} fails test cells the grader did not write, in the grader's "
                f"sandbox: {'; '.join(failing)}. A hidden test that needs something the sandbox "
                "does not show (a module, a file, the network) would fail every student: fix "
                "the test, or grade it by hand"
            )

    # -- one submission -----------------------------------------------------------------------

    def prepare(self, index: int, path: Path, name: str) -> Pending | SubmissionResult:
        """A submission ready to run, or a finished result for a file that cannot be run."""
        started = time.monotonic()
        sandboxed = not self.options.unsafe_no_sandbox
        try:
            submission, data = read_submission(path)
            assembly = assemble(self.source, submission)
            return self._pending(index, name, assembly.notebook, data, tuple(assembly.notes))
        except SubmissionError as error:
            seconds = time.monotonic() - started
            return refused(name, self.tests, f"not graded: {error}", seconds, sandboxed)
        except sandbox.SandboxUnavailable:
            raise  # the machine's problem, not the file's
        except Exception as error:  # noqa: BLE001 - whatever a file does, the batch goes on
            reason = f"not graded: the grader could not read this file ({type(error).__name__})"
            return refused(name, self.tests, reason, time.monotonic() - started, sandboxed)

    def _pending(self, index: int, name: str, notebook, data: bytes, notes: tuple) -> Pending:
        private_dir = self.root / (f"s{index:04d}" if index >= 0 else "own-solution")
        (private_dir / "kernel").mkdir(parents=True)
        digest = hashlib.sha256(data).hexdigest()
        # The probes' inputs depend on the submission and on the source with its hidden tests,
        # so a regrade gives the same inputs but a student cannot work them out.
        probe_inputs = choose_inputs(
            self.exercise, digest + self.source_digest, [grade_id for grade_id, _ in self.tests]
        )
        options = self.options
        limits = Limits(
            cell_timeout=options.cell_timeout,
            memory_mb=options.memory_mb,
            cpu_seconds=int(self.wall_seconds) + 5,  # a last resort even if the grader dies
            output_chars=options.output_chars,
        )
        notebook_json = nbformat.writes(notebook)
        job = Job(
            index=index,
            notebook_json=notebook_json,
            private_dir=str(private_dir),
            limits=limits,
            graded_ids=tuple(grade_id for grade_id, _ in self.tests),
            answer_ids=tuple(answer_ids(self.source)),
            exercise=self.exercise,
            probe_inputs=probe_inputs,
            token=secrets.token_hex(16),
            course=str(Path(options.course).resolve()) if options.course else "",
            sandbox=None
            if options.unsafe_no_sandbox
            else self._sandbox(index, private_dir, notebook_json),
        )
        flags = library_use(self.exercise, self._student_sources(notebook)) if index >= 0 else []
        return Pending(job, name, notes, tuple(flags))

    def _sandbox(self, index: int, private_dir: Path, notebook_json: str) -> sandbox.SandboxSpec:
        """The job's sandbox: its own user, its notebook and connection file shown read-only,
        and the view of the package that the exercise allows."""
        shown = private_dir / "submission.ipynb"
        shown.write_text(notebook_json, encoding="utf-8")
        shown.chmod(0o644)
        engine, exports = engine_view(self.exercise)
        package_init = ""
        if engine is not None:
            init = private_dir / "package_init.py"
            init.write_text(sandbox.package_init_text(exports), encoding="utf-8")
            init.chmod(0o644)
            package_init = str(init)
        return sandbox.SandboxSpec(
            uid=sandbox.sandbox_uid(index % sandbox.UID_RANGE + self.uid_offset),
            memory_mb=self.options.memory_mb,
            processes=self.options.processes,
            disk_mb=self.options.disk_mb,
            connection_file=connection_file(private_dir),
            notebook=str(shown),
            package_init=package_init,
            engine=engine,
            hide=self._course_folders(),
        )

    def _course_folders(self) -> tuple[str, ...]:
        """The course's folders a kernel must never see (the referee, the sources)."""
        if not self.options.course:
            return ()
        course = Path(self.options.course).resolve()
        return tuple(str(course / name) for name in ("referee", "source", "definitions"))

    def _student_sources(self, notebook) -> list[str]:
        """Every cell the student wrote, of any kind: answers and cells of their own."""
        kept = {grade_id_of(cell) for cell in self.source.cells} - {None}
        return [
            cell.source
            for cell in notebook.cells
            if role_of(cell) in ANSWER_ROLES or grade_id_of(cell) not in kept
        ]

    def _deadline(self) -> float:
        """Seconds for one submission: from the source's cells, so a student cannot stretch it."""
        if self.options.deadline is not None:
            return self.options.deadline
        code_cells = sum(1 for cell in self.source.cells if cell.cell_type == "code")
        allowed = STARTUP_ALLOWANCE_SECONDS + (code_cells + 2) * (self.options.cell_timeout + 5)
        return min(allowed, self.options.max_deadline)

    # -- what the worker pool calls -----------------------------------------------------------

    def next_job(self) -> Running | None:
        """The next submission to run, with its cgroups made now (so they exist only while
        it runs), or None when all have been handed out."""
        if not self.queue:
            return None
        pending = self.queue.popleft()
        job = pending.job
        if job.sandbox is not None:
            groups = sandbox.create_cgroups(
                job.token, self.options.memory_mb, self.options.processes
            )
            job = dataclasses.replace(job, sandbox=dataclasses.replace(job.sandbox, cgroups=groups))
        now = time.monotonic()
        evidence = Evidence(
            notes=list(pending.notes),
            flags=pending.flags,
            probe_inputs=job.probe_inputs,
            sandboxed=job.sandbox is not None,
        )
        return Running(job, pending.name, now, now + self.wall_seconds, evidence)

    def record(self, entry: Running, message) -> bool:
        """Apply one message from a worker; True when the job is done."""
        kind, payload = message
        evidence = entry.evidence
        try:
            if kind == "cell":
                grade_id, status, feedback = payload
                evidence.outcomes[str(grade_id)] = (str(status), str(feedback))
            elif kind in ("note", "stuck", "died"):
                evidence.notes.append(str(payload))
            elif kind == "probes" and isinstance(payload, dict):
                evidence.probes = payload
            elif kind != "done":
                evidence.malformed = True
        except (TypeError, ValueError):
            evidence.malformed = True
        return kind == "done"

    def finish(self, entry: Running, note: str = "") -> None:
        if note:
            entry.evidence.notes.append(note)
        if entry.job.sandbox is not None:
            sandbox.remove_cgroups(entry.job.sandbox.cgroups)  # normally empty by now
        else:
            _kill_kernel(entry.job.private_dir)  # normally gone; after a kill, surely gone
        remove_tree(entry.job.private_dir)
        seconds = time.monotonic() - entry.started
        self.results[entry.job.index] = score(entry.name, self.tests, entry.evidence, seconds)
        if self.bar is not None and entry.job.index >= 0:
            self.bar.advance(entry.name)


def grade(
    source_path: str | os.PathLike,
    submissions: list[str | os.PathLike],
    options: GradeOptions = GradeOptions(),
    progress: TextIO | None = None,
) -> list[SubmissionResult]:
    """Grade every submission against the source; results are in the order given."""
    with Batch(source_path, options, progress) as batch:
        return batch.grade(submissions)


def grade_students(
    source_path: str | os.PathLike,
    entries: list[Submitted],
    options: GradeOptions = GradeOptions(),
    progress: TextIO | None = None,
    roster: bool = True,
) -> list[SubmissionResult]:
    """Grade each student's submission; a student without one gets a row saying so.

    Rows carry the student's id, name, email and section; with ``roster`` a file of
    someone not on the roster is graded and its row says so.
    """
    with Batch(source_path, options, progress) as batch:
        files = [entry.path for entry in entries if entry.path is not None]
        graded = iter(batch.grade(files) if files else [])
        results = []
        for entry in entries:
            if entry.path is None:
                result = missing(batch.tests, entry.student.student_id)
            else:
                result = next(graded)
                if roster and not entry.on_roster:
                    note = (
                        NOT_ON_ROSTER
                        if entry.student.student_id
                        else ("its file name names no student (see --pattern); " + NOT_ON_ROSTER)
                    )
                    result.reason = "; ".join(filter(None, [result.reason, note]))
            student = entry.student
            result.student_id = student.student_id
            result.name, result.email, result.section = student.name, student.email, student.section
            results.append(result)
        return results


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


def _kill_kernel(private_dir: str) -> None:
    """SIGKILL an unsandboxed kernel's process group, if that kernel is still alive."""
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
