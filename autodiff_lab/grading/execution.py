"""Run one rebuilt submission in its own limited kernel and report each cell as it finishes.

This is the body of a grading worker process. It starts a kernel through
`kernel_launcher` (memory, CPU and file-size limits) in a private folder,
executes the notebook cell by cell with nbclient, and sends a message to the
grader after every graded cell, so whatever ran before a crash or a kill is
still scored. What it guards against:

* a cell that runs too long: nbclient interrupts it; if the kernel ignores
  the interrupt the kernel is declared stuck and the run stops;
* kernel death (``os._exit``, a signal, a crash): ``DeadKernelError``;
* huge outputs: capped in the kernel, per message (ZeroMQ drops oversized
  messages) and per cell here;
* tampering with test cells at run time: the grader's probes (see `probes`);
* everything else a hostile submission might try: the kernel runs in a
  bubblewrap sandbox (`sandbox`) unless the instructor opted out.

Every report line carries the job's token, a random string the grader gave
this worker on its standard input, which the sandboxed kernel never sees;
the grader ignores lines without it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell

from .course import load_course
from .feedback import exception_name
from .files import remove_tree
from .notebook_format import grade_id_of
from .probes import probe_cell_source
from .referee import judge
from .sandbox import (
    HOME,
    KERNEL_IPC,
    SandboxSpec,
    Watchdog,
    descendants,
    python_executable,
    remove_cgroups,
    running_as_root,
    sandbox_root_async,
    wrap,
)

KERNEL_NAME = "autodiff-lab-grader"
TIMEOUT_ERROR_NAME = "CellTimeout"
MAX_MESSAGE_BYTES = 16 * 2**20  # ZeroMQ disconnects a peer that sends more in one message
STUCK_GRACE_SECONDS = 5
WORKER_MEMORY_MB = 3072  # the worker's own address space: a flood of messages stops here
PR_SET_CHILD_SUBREAPER = 36
SHORT_TMP = "/tmp"  # where an unsandboxed kernel's sockets go (see _in_kernel)


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 30.0
    memory_mb: int = 1024
    cpu_seconds: int = 600
    output_chars: int = 100_000  # per cell, in the kernel and again here
    file_mb: int = 64


@dataclass(frozen=True)
class Job:
    """Everything a worker needs; plain data, so it crosses a process boundary."""

    index: int
    notebook_json: str
    private_dir: str
    limits: Limits
    graded_ids: tuple[str, ...]  # test cells to report
    answer_ids: tuple[str, ...]  # answer cells whose errors are worth a note
    exercise: str | None = None
    probe_inputs: dict = field(default_factory=dict)
    token: str = ""  # authenticates this job's report lines
    sandbox: SandboxSpec | None = None  # None: graded without isolation (--unsafe-no-sandbox)
    course: str = ""  # the course folder of an exercise of an instructor's own ("" = ours)


def kernel_pid_file(private_dir: str | os.PathLike) -> Path:
    return Path(private_dir) / "kernel" / "kernel.pid"


def connection_file(private_dir: str | os.PathLike) -> str:
    return str(Path(private_dir) / "kernel" / "connection.json")


def work_dir(private_dir: str | os.PathLike) -> Path:
    """Where the student's code runs: a few levels down inside the private folder."""
    return Path(private_dir) / "home" / "student" / "work"


class _CappedClient(AsyncKernelClient):
    """A kernel client whose sockets refuse single messages above a size, on every channel."""

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):
        socket = self.context.socket(channel_socket_types[channel])
        socket.linger = 1000
        socket.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)  # before connect, or it is ignored
        if identity:
            socket.identity = identity
        socket.connect(self._make_url(channel))
        return socket


class _SandboxKernelManager(AsyncKernelManager):
    """A kernel manager for a sandboxed kernel: the kernel's own user can read its connection
    file, the grader reaches its sockets through the sandbox's root, and a watchdog holds its
    processes to their limits where no cgroup does."""

    sandbox: SandboxSpec | None = None
    watchdog: Watchdog | None = None

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox is not None and running_as_root():
            os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)

    async def _async_launch_kernel(self, kernel_cmd, **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.sandbox is None:
            return
        pid = self.provisioner.process.pid
        # The kernel binds its sockets on a tmpfs inside the sandbox (the connection file
        # says KERNEL_IPC); the grader connects to them through the sandbox's /proc root.
        self.ip = await sandbox_root_async(pid) + f"{KERNEL_IPC}/k"
        if not self.sandbox.cgroups:
            self.watchdog = Watchdog(pid, self.sandbox.memory_mb, self.sandbox.processes)
            self._watching = asyncio.ensure_future(self.watchdog.run())


class _GradingClient(NotebookClient):
    """nbclient that keeps each cell's execute reply and caps each cell's outputs."""

    def __init__(self, notebook, *, output_chars: int, **kwargs) -> None:
        super().__init__(notebook, on_cell_executed=self._remember_reply, **kwargs)
        self.output_chars = output_chars
        self.replies: dict[int, dict] = {}
        self.truncated: set[int] = set()
        self._sizes: dict[int, int] = {}

    def _remember_reply(self, cell, cell_index, execute_reply) -> None:
        self.replies[cell_index] = (execute_reply or {}).get("content", {})

    def handle_comm_msg(self, outs, msg, cell_index) -> None:
        """Widget messages are ignored: a flood of them must not fill the grader's memory."""

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._sizes.get(cell_index, 0) + size
        self._sizes[cell_index] = used
        if used <= self.output_chars:
            return super().output(outs, msg, display_id, cell_index)
        if cell_index not in self.truncated:
            self.truncated.add(cell_index)
            note = f"[output truncated by the grader after {self.output_chars} characters]\n"
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
        return None


def _write_kernel_spec(private_dir: Path, limits: Limits, sandbox: SandboxSpec | None) -> Path:
    spec_root = private_dir / "kernel" / "spec"
    spec_dir = spec_root / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        python_executable(),
        "-m",
        "autodiff_lab.grading.kernel_launcher",
        "--memory-mb",
        str(limits.memory_mb),
        "--cpu-seconds",
        str(limits.cpu_seconds),
        "--file-mb",
        str(limits.file_mb),
        "--output-chars",
        str(limits.output_chars),
        "--processes",
        str(sandbox.processes if sandbox else 0),
        *(["--in-sandbox"] if sandbox else ["--pid-file", str(kernel_pid_file(private_dir))]),
        "--",
        "-f",
        "{connection_file}",
    ]
    if sandbox is not None:
        argv = wrap(argv, sandbox)
    spec = {"argv": argv, "display_name": "autodiff-lab grader", "language": "python"}
    if sandbox is not None:
        # A signal would reach bubblewrap, not the kernel: ask the kernel to interrupt itself.
        spec["interrupt_mode"] = "message"
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return spec_root


def kernel_environment(private_dir: Path, sandboxed: bool = False) -> dict[str, str]:
    """A small environment: nothing of the grader's leaks in, numpy still imports.

    In the sandbox, home and temporary folders are the sandbox's own tmpfs folders.
    """
    if sandboxed:
        home, temporary = Path(HOME), Path("/tmp")
    else:
        home = private_dir / "home" / "student"
        temporary = home / "tmp"
        temporary.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(home),
        "TMPDIR": str(temporary),
        "IPYTHONDIR": str(home / ".ipython"),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        # One thread and two malloc arenas keep numpy's import within a small RLIMIT_AS.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "AUTODIFF_LAB_GRADING": "1",  # check() raises on a failed part, as under nbgrader
    }
    if sandboxed:
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    for name in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT"):
        if name in os.environ and name not in env:
            env[name] = os.environ[name]
    return env


class Reporter:
    """Writes ``[token, job index, kind, payload]`` lines for the grader to read."""

    def __init__(self, stream, index: int, token: str = "") -> None:
        self.stream, self.index, self.token = stream, index, token

    def send(self, kind: str, payload) -> None:
        line = json.dumps([self.token, self.index, kind, payload]) + "\n"
        try:
            self.stream.write(line.encode("utf-8"))
            self.stream.flush()
        except (OSError, ValueError):
            pass  # the grader has gone; nothing to tell


def job_to_line(job: Job) -> str:
    return json.dumps(asdict(job)) + "\n"


def job_from_line(line: str) -> Job:
    data = json.loads(line)
    data["limits"] = Limits(**data["limits"])
    data["graded_ids"] = tuple(data["graded_ids"])
    data["answer_ids"] = tuple(data["answer_ids"])
    if data.get("sandbox"):
        spec = data["sandbox"]
        data["sandbox"] = SandboxSpec(
            **{**spec, "cgroups": tuple(spec["cgroups"]), "hide": tuple(spec.get("hide", ()))}
        )
    return Job(**data)


def run_job(job: Job, stream) -> None:
    """Run one job, report as it goes, and always end with "done"."""
    reporter = Reporter(stream, job.index, job.token)
    try:
        if job.course:  # its referee judges the probes here, in the grader's process
            load_course(job.course)
        asyncio.run(_run(job, reporter))
    except Exception as error:  # report any grader-side failure, then go on to the next job
        reporter.send("note", f"the grader failed on this submission ({type(error).__name__})")
    finally:
        if job.sandbox is not None:
            remove_cgroups(job.sandbox.cgroups)
        end_leftovers()
    reporter.send("done", None)


def serve() -> None:
    """A grading worker: one job per line on stdin, reports on stdout, until stdin closes."""
    stream = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything else printed must not mix with the reports
    limit = WORKER_MEMORY_MB * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    become_subreaper()
    for line in sys.stdin:
        if line.strip():
            run_job(job_from_line(line), stream)


def become_subreaper() -> None:
    """Orphans of a job's processes (a daemon that forked twice and left its session)
    become this worker's children instead of init's, so `end_leftovers` can end them."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def end_leftovers() -> None:
    """SIGKILL every process still below this worker once a job is over, and reap it."""
    for pid in descendants(os.getpid())[1:]:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    for _ in range(200):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if not descendants(os.getpid())[1:]:
                return
            time.sleep(0.01)


async def _run(job: Job, reporter: Reporter) -> None:
    """Run the notebook; if it stopped early, confirm in a fresh kernel what ran before."""
    notebook = nbformat.reads(job.notebook_json, as_version=4)
    stopped_at = await _in_kernel(job, notebook, reporter, report=True)
    if stopped_at is not None and job.exercise and job.probe_inputs:
        # Without this, a last cell that kills or hangs its kernel would skip the check.
        reporter.send(
            "note",
            "the grader ran the cells before that point again in a fresh kernel for its own check",
        )
        cells = [_fresh_copy(cell) for cell in notebook.cells[:stopped_at]]
        prefix = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
        await _in_kernel(job, prefix, reporter, report=False)


def _fresh_copy(cell):
    copy = nbformat.from_dict(dict(cell))
    if copy.cell_type == "code":
        copy.outputs, copy.execution_count = [], None
    return copy


async def _in_kernel(job: Job, notebook, reporter: Reporter, report: bool) -> int | None:
    """Execute ``notebook`` in a new kernel, then the probes; the index of a cell that
    stopped the run (kernel died or stuck), or None. With ``report=False`` only the
    probes' results are sent."""
    private_dir = Path(job.private_dir)
    if job.sandbox is None:
        cwd = work_dir(private_dir)
        cwd.mkdir(parents=True, exist_ok=True)
    else:
        cwd = private_dir  # the sandbox itself starts in its own work folder
    spec_root = _write_kernel_spec(private_dir, job.limits, job.sandbox)
    log_path = private_dir / "kernel" / "kernel.log"
    context = zmq.asyncio.Context()  # ours, so it is closed when this run ends
    # Outside a sandbox the sockets go in a short folder of their own: a Unix socket's
    # path must stay under about 100 bytes, whatever TMPDIR is.
    socket_dir = None if job.sandbox else tempfile.mkdtemp(prefix="adl-", dir=SHORT_TMP)
    manager = _SandboxKernelManager(
        context=context,
        kernel_name=KERNEL_NAME,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_root)]),
        transport="ipc",
        ip=f"{KERNEL_IPC}/k" if job.sandbox else f"{socket_dir}/k",
        connection_file=connection_file(private_dir),
        client_class="autodiff_lab.grading.execution._CappedClient",
    )
    manager.sandbox = job.sandbox
    client = _GradingClient(
        notebook,
        km=manager,
        output_chars=job.limits.output_chars,
        timeout=job.limits.cell_timeout,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT_ERROR_NAME, "evalue": "", "traceback": []},
        iopub_timeout=STUCK_GRACE_SECONDS,
        raise_on_iopub_timeout=True,
        allow_errors=True,
        record_timing=False,
        shutdown_kernel="immediate",
        startup_timeout=60,
    )
    quiet = reporter if report else _Silent(reporter)
    with open(log_path, "ab") as log:
        try:
            async with client.async_setup_kernel(
                cleanup_kc=True,  # shut the kernel down even though we made its manager
                cwd=str(cwd),
                env=kernel_environment(private_dir, sandboxed=job.sandbox is not None),
                stdout=log,
                stderr=log,
            ):
                return await _execute_cells(job, client, notebook, quiet)
        except DeadKernelError:
            quiet.send("note", "the kernel died" + _log_hint(log_path))
        except RuntimeError as error:
            if "kernel" not in str(error).lower():
                raise
            quiet.send("note", "the kernel did not start" + _log_hint(log_path))
        finally:
            context.destroy(linger=0)
            if manager.watchdog is not None:
                manager.watchdog.closed = True
                if manager.watchdog.stopped_because:
                    reason = manager.watchdog.stopped_because
                    quiet.send("note", f"the sandbox was stopped: {reason}")
            if socket_dir is not None:
                remove_tree(socket_dir)
    return None


class _Silent:
    """A reporter that passes on only the probes' results (for a confirming re-run)."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter

    def send(self, kind: str, payload) -> None:
        if kind == "probes":
            self.reporter.send(kind, payload)


async def _execute_cells(job: Job, client: _GradingClient, notebook, reporter) -> int | None:
    graded, answers = set(job.graded_ids), set(job.answer_ids)
    timeout = job.limits.cell_timeout
    for index, cell in enumerate(notebook.cells):
        grade_id = grade_id_of(cell)
        label = grade_id or _describe_cell(cell, index)
        try:
            await client.async_execute_cell(cell, index)
        except CellTimeoutError:
            # The interrupt went unanswered: the kernel is stuck in code that ignores it.
            reporter.send(
                "stuck",
                f"{label} ran over the {timeout:g} s limit and ignored the interrupt; "
                "later cells were not run",
            )
            if grade_id in graded:
                reporter.send("cell", (grade_id, "timeout", f"stopped after {timeout:g} s"))
            return index
        except DeadKernelError:
            reporter.send(
                "died",
                f"the kernel died during {label} (os._exit(), a crash, a signal or memory); "
                "later cells were not run"
                + _log_hint(Path(job.private_dir) / "kernel" / "kernel.log"),
            )
            if grade_id in graded:
                reporter.send("cell", (grade_id, "failed", "the kernel died during this cell"))
            return index
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        reply = client.replies.get(index, {})
        status, feedback = _outcome(reply, cell, timeout)
        if index in client.truncated:
            reporter.send(
                "note", f"the output of {label} was cut at {job.limits.output_chars} characters"
            )
        if grade_id in graded:
            reporter.send("cell", (grade_id, status, feedback))
        elif status != "passed":
            _note_problem(reporter, label, grade_id in answers, status, reply, timeout)
    if job.exercise and job.probe_inputs:
        await _run_probes(job, client, notebook, reporter)
    return None


def _describe_cell(cell, index: int) -> str:
    """A student's own cell, named by its first line of code (the index means little to them)."""
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    if not lines:
        return f"cell {index + 1}"
    first = lines[0] if len(lines[0]) <= 40 else lines[0][:39] + "…"
    return f"your cell {index + 1} (`{first}`)"


def _outcome(reply: dict, cell, timeout: float) -> tuple[str, str]:
    """("passed" | "failed" | "timeout", feedback) from an execute reply.

    The feedback is the grader's own words and at most an exception's class name:
    nothing the kernel printed or put in an error message reaches the reports.
    """
    if reply.get("status") == "ok":
        return "passed", ""
    if reply.get("ename") == TIMEOUT_ERROR_NAME:
        return "timeout", f"ran longer than the {timeout:g} s limit and was interrupted"
    name = exception_name(reply.get("ename", ""))
    if name in ("AssertionError", "CheckFailed"):
        return "failed", f"its check failed ({name})"
    if name == "NotImplementedError":
        return "failed", "not written yet (NotImplementedError)"
    return "failed", f"the test cell raised {name}"


def _note_problem(reporter, label, is_answer, status, reply, timeout) -> None:
    name = exception_name(reply.get("ename", ""))
    if status == "timeout":
        reporter.send("note", f"{label} ran over the {timeout:g} s limit and was interrupted")
    elif name == "SystemExit":
        reporter.send("note", f"{label} called sys.exit()")
    elif name == "MemoryError":
        reporter.send("note", f"{label} ran out of memory (MemoryError)")
    elif is_answer or name in ("SyntaxError", "IndentationError"):
        # Only the line number of the error message, which the student can look up.
        line = re.search(r"line (\d{1,6})\)?\s*$", str(reply.get("evalue", "")))
        reporter.send("note", f"{label} raised {name}" + (f" (line {line[1]})" if line else ""))


async def _run_probes(job: Job, client: _GradingClient, notebook, reporter: Reporter) -> None:
    cell = new_code_cell(probe_cell_source(job.exercise, job.probe_inputs))
    notebook.cells.append(cell)
    try:
        await client.async_execute_cell(cell, len(notebook.cells) - 1, store_history=False)
    except (CellTimeoutError, DeadKernelError):
        verdicts = {
            grade_id: "the grader's own check did not finish" for grade_id in job.probe_inputs
        }
    else:
        printed = "".join(
            output.get("text", "")
            for output in cell.outputs
            if output.get("output_type") == "stream" and output.get("name") == "stdout"
        )
        verdicts = judge(job.exercise, job.probe_inputs, printed)
    reporter.send("probes", verdicts)


def _log_hint(log_path: Path) -> str:
    """A telling line from the kernel's own log, if there is one."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    except OSError:
        return ""
    for marker in ("MemoryError", "Fatal Python error", "Segmentation fault", "Killed"):
        if marker in text:
            return f" ({marker} in the kernel's log)"
    return ""
