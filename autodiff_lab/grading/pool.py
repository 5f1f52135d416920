"""Grading workers: processes that each run one job at a time, with a hard deadline per job.

A worker (``python -m autodiff_lab.grading.worker``) reads jobs from its
standard input and writes report lines, each with the job's token, on its
standard output. `WorkerPool.run` keeps up to ``size`` of them busy with the
jobs a batch hands out, passes every message back to the batch, and kills a
worker (and with it its kernel and sandbox) whose job runs past its deadline.
A line that is not JSON, or lacks the current job's token and index, is
``MALFORMED``: it did not come from the worker's job, so nothing of it counts.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

from .execution import job_to_line
from .feedback import exception_name

MAX_REPORT_LINE = 32 * 2**20
MALFORMED = ("malformed", None)


class Entry(Protocol):
    job: object
    deadline: float
    started: float


class Jobs(Protocol):
    """What the pool runs: a batch that hands out jobs and takes back their messages."""

    def next_job(self) -> Entry | None: ...

    def record(self, entry: Entry, message) -> bool: ...  # True when the job is done

    def finish(self, entry: Entry, note: str = "") -> None: ...


class Worker:
    """A grading worker process (`execution.serve`), fed one job at a time."""

    def __init__(self, log) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autodiff_lab.grading.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        os.set_blocking(self.process.stdout.fileno(), False)
        self.pending = b""
        self.current: Entry | None = None

    def start(self, entry: Entry) -> None:
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


class WorkerPool:
    def __init__(self, size: int, log_path: Path) -> None:
        self.size = max(1, size)
        self.log_path = log_path
        self.workers: list[Worker] = []
        self.selector = selectors.DefaultSelector()

    def run(self, jobs: Jobs) -> None:
        """Run every job ``jobs`` hands out; return when all are finished."""
        with open(self.log_path, "ab") as log:
            try:
                self._hand_out(jobs, log)
                while any(worker.current for worker in self.workers):
                    self._step(jobs)
                    self._hand_out(jobs, log)
            finally:
                for worker in self.workers:
                    self.selector.unregister(worker.process.stdout)
                    worker.stop(kill=worker.current is not None)
                self.workers.clear()
                self.selector.close()

    def _step(self, jobs: Jobs) -> None:
        busy = [worker for worker in self.workers if worker.current]
        soonest = min(worker.current.deadline for worker in busy)
        timeout = max(0.05, min(0.5, soonest - time.monotonic()))
        for key, _ in self.selector.select(timeout):
            worker = key.data
            if worker.current is None:
                continue
            messages = worker.read_messages()
            if messages is None:  # the worker process is gone
                lost = "the grading worker stopped unexpectedly" + self._last_error()
                self._retire(worker, jobs, lost)
                continue
            for message in messages:
                if jobs.record(worker.current, message):
                    jobs.finish(worker.current)
                    worker.current = None
                    break
        now = time.monotonic()
        for worker in [worker for worker in self.workers if worker.current]:
            if now > worker.current.deadline:
                limit = worker.current.deadline - worker.current.started
                note = (
                    f"stopped at the hard deadline of {limit:.0f} s; "
                    "cells after that point were not run"
                )
                self._retire(worker, jobs, note)

    def _hand_out(self, jobs: Jobs, log) -> None:
        """Give each idle worker a job, starting workers up to ``size``."""
        for worker in self.workers:
            if worker.current is None:
                entry = jobs.next_job()
                if entry is None:
                    return
                worker.start(entry)
        while len(self.workers) < self.size:
            entry = jobs.next_job()
            if entry is None:
                return
            worker = Worker(log)
            self.selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
            self.workers.append(worker)
            worker.start(entry)

    def _retire(self, worker: Worker, jobs: Jobs, note: str) -> None:
        """Stop a worker (killing its kernel too) and finish its job with what it reported."""
        entry = worker.current
        done = False
        while entry is not None and not done:  # what it said before it stops still counts
            messages = worker.read_messages()
            if not messages:
                break
            done = any(jobs.record(entry, message) for message in messages)
        self.selector.unregister(worker.process.stdout)
        self.workers.remove(worker)
        worker.stop(kill=True)
        if entry is not None:
            jobs.finish(entry, "" if done else note)

    def _last_error(self) -> str:
        """The exception that stopped a worker, by a known class name only (its message could
        hold text that came from a kernel)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
        lines = text.splitlines()
        found = re.match(r"([A-Za-z_]\w{0,60})\b", lines[-1]) if lines else None
        name = exception_name(found[1]) if found else ""
        return f" ({name})" if name and name != "an exception" else ""
