"""Instructions, not seconds: this engine against an earlier commit, under callgrind.

On a shared machine wall-clock ratios wander by tens of percent; the number of
instructions a workload executes does not (valgrind's callgrind counts them,
the same total run after run). Each workload runs in a fresh interpreter twice,
once with zero repetitions and once with ``--repeats``, so the difference is the
workload alone, without Python's start-up and the imports. Needs valgrind
(Debian: ``apt-get install valgrind``) and git; from the repository root:

    .venv/bin/python benchmarks/engine_instructions.py              # against f4bbceb
    .venv/bin/python benchmarks/engine_instructions.py --baseline HEAD~5

It prints instructions per repetition for each version and the ratio new ÷ old.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "f4bbceb"

# Each workload is Python run with ``pkg`` (the package), ``anp`` (its numpy) and ``n``.
WORKLOADS = {
    "chain of 20,000, forward": (
        "x = pkg.Value(1.0); y = x\n"
        "for _ in range(n):\n"
        "    y = x\n"
        "    for _ in range(20000): y = y * 0.9999999 + 0.0\n"
    ),
    "chain of 20,000, backward": (
        "x = pkg.Value(1.0); y = x\n"
        "for _ in range(20000): y = y * 0.9999999 + 0.0\n"
        "for _ in range(n): y.backward()\n"
    ),
    "Dual arithmetic through the table (20,000 ops)": (
        "d = pkg.Dual(1.0, 1.0)\n"
        "for _ in range(n):\n"
        "    for _ in range(20000): pkg.rules.MUL(d, 2.0)\n"
    ),
    "a Value holding a Dual (20,000 ops)": (
        "v = pkg.Value(pkg.Dual(1.0, 1.0))\nfor _ in range(n):\n    for _ in range(20000): v * v\n"
    ),
    "array MLP gradient": (
        "import array_engine\n"
        "inputs, onehot, params = array_engine.data()\n"
        "logsumexp = array_engine.composite_logsumexp(anp)\n"
        "loss = array_engine.make_loss(anp, logsumexp, inputs, onehot)\n"
        "g = pkg.grad(loss, argnums=(0, 1, 2, 3))\n"
        "for _ in range(n): g(*params)\n"
    ),
}

RUNNER = """
import os, sys
sys.path[:0] = [{folder!r}, {benchmarks!r}]
name = {package!r}
pkg = __import__(name)
anp = __import__(name + ".numpy", fromlist=["numpy"])
n = {n}
{body}
"""


def instructions(code: str) -> int:
    # A fixed hash seed: set and dict orders, and so the counts, repeat from run to run.
    environment = dict(
        os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0"
    )
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no total:\n{result.stderr[-2000:]}")
    return int(match.group(1))


def per_repetition(package: str, folder: str, body: str, repeats: int) -> float:
    def run(n: int) -> int:
        code = RUNNER.format(
            folder=folder, benchmarks=str(ROOT / "benchmarks"), package=package, n=n, body=body
        )
        return instructions(code)

    return (run(repeats) - run(0)) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--repeats", type=int, default=2)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", options.baseline, "autodiff_lab"],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        Path(folder, "autodiff_lab").rename(Path(folder, "autodiff_lab_baseline"))
        print(
            f"instructions per repetition (callgrind), new = working tree, old = {options.baseline}"
        )
        print(f"  {'workload':48} {'new':>14} {'old':>14} {'new/old':>8}")
        for name, body in WORKLOADS.items():
            new = per_repetition("autodiff_lab", str(ROOT), body, options.repeats)
            old = per_repetition("autodiff_lab_baseline", folder, body, options.repeats)
            print(f"  {name:48} {new:14,.0f} {old:14,.0f} {new / old:8.3f}")


if __name__ == "__main__":
    main()
