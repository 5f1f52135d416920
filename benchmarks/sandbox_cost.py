"""What the grader's sandbox costs: seconds per honest submission with and without it.

    .venv/bin/python benchmarks/sandbox_cost.py              # 6 + 6 submissions, then 100
    .venv/bin/python benchmarks/sandbox_cost.py --quick      # 2 + 2, then 4 (a smoke run)

One process grades copies of the `value_class` solution: batches of a few
with one job, with the sandbox and with ``--unsafe-no-sandbox``, alternating
so that other load on the machine hits both alike (seconds per submission
include each batch's start-up, shared by its submissions), then a batch of
100 with the sandbox and two jobs. Targets (issue 7): at most 0.5 s of extra time per
submission, and at most 3 minutes for the 100.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grading"))

import builders  # noqa: E402

from autodiff_lab.grading.autograder import GradeOptions, grade  # noqa: E402

SOURCE = ROOT / "exercises" / "source" / "value_class.ipynb"
EXTRA_TARGET_SECONDS = 0.5
BATCH_TARGET_SECONDS = 180.0


def _copies(folder: Path, count: int) -> list[Path]:
    notebook = builders.solved("value_class")
    return [builders.save(notebook, folder / f"honest{i:03d}.ipynb") for i in range(count)]


def _seconds_each(paths: list[Path], sandboxed: bool) -> float:
    """Seconds per submission for one batch of ``paths`` with one job."""
    options = GradeOptions(jobs=1, cell_timeout=30, unsafe_no_sandbox=not sandboxed)
    started = time.perf_counter()
    results = grade(SOURCE, paths, options)
    elapsed = time.perf_counter() - started
    assert all(result.total == result.max_total for result in results)
    return elapsed / len(paths)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few submissions only")
    args = parser.parse_args()
    rounds, size, batch_size = (1, 2, 4) if args.quick else (2, 10, 100)
    with tempfile.TemporaryDirectory() as folder:
        paths = _copies(Path(folder), max(size, batch_size))
        with_sandbox, without = [], []
        for _ in range(rounds):  # alternating, so both see the same machine
            with_sandbox.append(_seconds_each(paths[:size], sandboxed=True))
            without.append(_seconds_each(paths[:size], sandboxed=False))
        started = time.perf_counter()
        results = grade(SOURCE, paths[:batch_size], GradeOptions(jobs=2, cell_timeout=30))
        batch_seconds = time.perf_counter() - started
    full = sum(result.total == result.max_total for result in results)
    extra = statistics.median(with_sandbox) - statistics.median(without)
    print(f"honest value_class submissions, batches of {size}, one job, median of {rounds}")
    print(f"  sandboxed      {statistics.median(with_sandbox):6.2f} s")
    print(f"  no sandbox     {statistics.median(without):6.2f} s")
    ratio = statistics.median(with_sandbox) / statistics.median(without)
    print(f"  extra          {extra:+6.2f} s  (ratio {ratio:.2f})")
    print(
        f"{batch_size} honest submissions, sandboxed, --jobs 2: {batch_seconds:.1f} s "
        f"({batch_seconds / batch_size:.2f} s each), {full} of {batch_size} full marks"
    )
    print("SUMMARY")
    print(
        f"  {'PASS' if extra <= EXTRA_TARGET_SECONDS else 'MISS'}  sandbox extra per submission "
        f"{extra:.2f} s (target <= {EXTRA_TARGET_SECONDS} s)"
    )
    if not args.quick:
        verdict = "PASS" if batch_seconds <= BATCH_TARGET_SECONDS else "MISS"
        print(
            f"  {verdict}  100 submissions with --jobs 2 in {batch_seconds:.0f} s "
            f"(target <= {BATCH_TARGET_SECONDS:.0f} s)"
        )
    return 0 if full == batch_size else 1


if __name__ == "__main__":
    sys.exit(main())
