"""Start an IPython kernel under resource limits, for grading untrusted notebooks.

The grader's kernel spec runs ``python -m autodiff_lab.grading.kernel_launcher
--memory-mb M --cpu-seconds S --pid-file F -- -f {connection_file}``. Before
anything else is imported this sets, with soft = hard so student code cannot
raise them again:

* ``RLIMIT_AS``: the address space, so a memory bomb meets MemoryError
  instead of the machine's memory;
* ``RLIMIT_CPU``: CPU seconds, a last resort if everything else fails;
* ``RLIMIT_FSIZE``: the largest file the kernel may write;
* ``RLIMIT_CORE``: 0, no core dumps.

It writes its process id (which is the kernel's, as the kernel runs in this
very process) to the pid file, so the grader can kill the kernel's process
group after a hard deadline. Once the kernel is set up, each cell's stdout and
stderr are capped, so a huge print stops at the cap instead of being shipped.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

MIB = 2**20
TRUNCATION_NOTE = "\n[output truncated by the grader after {limit} characters]\n"


def set_limits(memory_mb: int, cpu_seconds: int, file_mb: int, processes: int = 0) -> None:
    """Apply the limits with soft = hard, so they cannot be raised again.

    ``processes`` (RLIMIT_NPROC) is set only when positive: in the sandbox, whose user
    namespace counts only its own processes.
    """
    limits = {
        resource.RLIMIT_AS: memory_mb * MIB,
        resource.RLIMIT_CPU: cpu_seconds,
        resource.RLIMIT_FSIZE: file_mb * MIB,
        resource.RLIMIT_CORE: 0,
    }
    if processes > 0:
        limits[resource.RLIMIT_NPROC] = processes
    for kind, value in limits.items():
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # never ask for more than we are allowed
        resource.setrlimit(kind, (value, value))


def cap_streams(shell, limit: int) -> None:
    """Let each cell write at most ``limit`` characters to stdout and to stderr."""
    counters = {}

    def reset(*_args) -> None:
        counters.clear()

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        original = stream.write

        def write(text, original=original, name=name):
            used = counters.get(name, 0)
            if used > limit:
                return len(text)
            allowed = max(limit - used, 0)
            counters[name] = used + len(text)
            if len(text) <= allowed:
                return original(text)
            original(text[:allowed] + TRUNCATION_NOTE.format(limit=limit))
            counters[name] = limit + 1
            return len(text)

        stream.write = write
    shell.events.register("pre_run_cell", reset)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--file-mb", type=int, default=64)
    parser.add_argument("--output-chars", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument("--pid-file", default="", help="where to write the pid (outside a sandbox)")
    parser.add_argument("--in-sandbox", action="store_true", help="the kernel runs in a sandbox")
    parser.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.pid_file:
        with open(args.pid_file, "w", encoding="ascii") as stream:
            stream.write(str(os.getpid()))
    set_limits(args.memory_mb, args.cpu_seconds, args.file_mb, args.processes)
    if args.in_sandbox:
        # ipykernel watches its parent and exits when that is process 1, as bwrap's init is
        # in the sandbox's PID namespace; the sandbox dies with the grader anyway.
        os.environ.pop("JPY_PARENT_PID", None)

    from ipykernel.kernelapp import IPKernelApp  # imported under the limits, as students run

    kernel_args = [arg for arg in args.kernel_args if arg != "--"]
    app = IPKernelApp.instance()
    app.initialize(kernel_args)
    cap_streams(app.shell, args.output_chars)
    app.start()


if __name__ == "__main__":
    main()
