"""The grading kernel's limits, stream caps and environment, without starting a kernel."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autodiff_lab.grading.execution import kernel_environment, work_dir
from autodiff_lab.grading.kernel_launcher import TRUNCATION_NOTE, cap_streams

resource = pytest.importorskip("resource")  # POSIX only, as the grader is


def test_limits_hold_and_cannot_be_raised_again():
    script = textwrap.dedent(
        """
        import resource
        from autodiff_lab.grading.kernel_launcher import set_limits

        set_limits(memory_mb=400, cpu_seconds=30, file_mb=1)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        print(soft == hard == 400 * 2**20)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (hard * 2, hard * 2))
        except ValueError:
            print("cannot raise")
        try:
            bytearray(600 * 2**20)
        except MemoryError:
            print("MemoryError")
        import numpy  # still imports under the limit
        print(resource.getrlimit(resource.RLIMIT_CORE) == (0, 0))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={"OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.split() == ["True", "cannot", "raise", "MemoryError", "True"], done.stderr


class _Stream:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)


class _Events:
    def __init__(self) -> None:
        self.callbacks = {}

    def register(self, event: str, callback) -> None:
        self.callbacks[event] = callback


class _Shell:
    def __init__(self) -> None:
        self.events = _Events()


def test_each_cell_may_print_only_so_much(monkeypatch):
    stdout, stderr, shell = _Stream(), _Stream(), _Shell()
    monkeypatch.setattr(sys, "stdout", stdout)
    monkeypatch.setattr(sys, "stderr", stderr)
    cap_streams(shell, limit=10)
    for _ in range(5):
        sys.stdout.write("abcd")
    sys.stderr.write("e" * 3)
    assert stdout.text == "abcdabcdab" + TRUNCATION_NOTE.format(limit=10)
    assert stderr.text == "eee"
    shell.events.callbacks["pre_run_cell"]()  # a new cell starts afresh
    sys.stdout.write("xyz")
    assert stdout.text.endswith("xyz")


def test_the_kernel_sees_a_small_environment_in_a_deep_private_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "do not leak")
    env = kernel_environment(tmp_path)
    assert "GRADER_SECRET" not in env
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["MALLOC_ARENA_MAX"] == "2"
    assert Path(env["HOME"]).is_relative_to(tmp_path) and Path(env["TMPDIR"]).is_dir()
    assert len(work_dir(tmp_path).relative_to(tmp_path).parts) >= 3
