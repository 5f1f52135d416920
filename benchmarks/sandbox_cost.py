"""What the grader's sandbox costs: seconds per honest submission with and without it.

    .venv/bin/python benchmarks/sandbox_cost.py              # 10 + 10 submissions, twice, then 100
    .venv/bin/python benchmarks/sandbox_cost.py --quick      # 2 + 2 once, then 4 (a smoke run)
    .venv/bin/python benchmarks/sandbox_cost.py --user NAME  # as root: as NAME too (default:
                                                             # autodiff-lab-ci, if it exists)

One process grades copies of the `value_class` solution: batches of a few
with one job, with the sandbox and with ``--unsafe-no-sandbox``, alternating
so that other load on the machine hits both alike (seconds per submission
include each batch's start-up, shared by its submissions), then a batch of
100 with the sandbox and two jobs. Run as root, it measures root's sandbox (a
user id per job, cgroups) and then an ordinary user's (bwrap's own user
namespace, the memory watchdog) by running itself as that user. Targets
(issues 7 and 15): at most 0.5 s of extra time per submission, as root and as
an ordinary user, and at most 3 minutes for the 100.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grading"))

import builders  # noqa: E402

from autodiff_lab.grading.autograder import GradeOptions, grade  # noqa: E402
from autodiff_lab.grading.files import remove_tree  # noqa: E402
from autodiff_lab.grading.sandbox import describe_environment  # noqa: E402

SOURCE = ROOT / "exercises" / "source" / "value_class.ipynb"
EXTRA_TARGET_SECONDS = 0.5
BATCH_TARGET_SECONDS = 180.0
DEFAULT_USER = "autodiff-lab-ci"


def _seconds_each(paths: list[Path], sandboxed: bool) -> float:
    """Seconds per submission for one batch of ``paths`` with one job."""
    options = GradeOptions(jobs=1, cell_timeout=30, unsafe_no_sandbox=not sandboxed)
    started = time.perf_counter()
    results = grade(SOURCE, paths, options)
    elapsed = time.perf_counter() - started
    assert all(result.total == result.max_total for result in results), results
    return elapsed / len(paths)


def measure(folder: Path, rounds: int, size: int, batch_size: int) -> dict:
    """Seconds per submission with and without the sandbox, and the big batch's seconds."""
    paths = sorted(folder.glob("*.ipynb"))
    with_sandbox, without = [], []
    for _ in range(rounds):  # alternating, so both see the same machine
        with_sandbox.append(_seconds_each(paths[:size], sandboxed=True))
        without.append(_seconds_each(paths[:size], sandboxed=False))
    started = time.perf_counter()
    results = grade(SOURCE, paths[:batch_size], GradeOptions(jobs=2, cell_timeout=30))
    return {
        "identity": "root" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name,
        "environment": describe_environment(),
        "sandboxed": statistics.median(with_sandbox),
        "unsandboxed": statistics.median(without),
        "batch_seconds": time.perf_counter() - started,
        "batch_size": batch_size,
        "full_marks": sum(result.total == result.max_total for result in results),
    }


def as_user(user: pwd.struct_passwd, folder: Path, args) -> dict:
    """The same measurement, run by ``user`` (this script in a child process)."""
    for path in [folder, *folder.iterdir()]:
        os.chown(path, user.pw_uid, user.pw_gid)
    command = [
        "runuser",
        "-u",
        user.pw_name,
        "--",
        sys.executable,
        __file__,
        "--child",
        str(folder),
    ]
    if args.quick:
        command.append("--quick")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": user.pw_dir, "LANG": "C.UTF-8"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd="/")
    if done.returncode != 0:
        raise SystemExit(f"the run as {user.pw_name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(result: dict, size: int, rounds: int, quick: bool) -> list[tuple[str, str]]:
    extra = result["sandboxed"] - result["unsandboxed"]
    who = result["identity"]
    print(f"as {who} ({json.dumps(result['environment'])})")
    print(f"  honest value_class submissions, batches of {size}, one job, median of {rounds}")
    print(f"    sandboxed      {result['sandboxed']:6.2f} s")
    print(f"    no sandbox     {result['unsandboxed']:6.2f} s")
    ratio = result["sandboxed"] / result["unsandboxed"]
    print(f"    extra          {extra:+6.2f} s  (ratio {ratio:.2f})")
    batch = result["batch_seconds"]
    print(
        f"  {result['batch_size']} honest submissions, sandboxed, --jobs 2: {batch:.1f} s "
        f"({batch / result['batch_size']:.2f} s each), {result['full_marks']} full marks"
    )
    verdicts = [
        (
            "PASS" if extra <= EXTRA_TARGET_SECONDS else "MISS",
            f"as {who}: sandbox extra per submission {extra:.2f} s "
            f"(target <= {EXTRA_TARGET_SECONDS} s)",
        )
    ]
    if not quick:
        verdicts.append(
            (
                "PASS" if batch <= BATCH_TARGET_SECONDS else "MISS",
                f"as {who}: {result['batch_size']} submissions with --jobs 2 in {batch:.0f} s "
                f"(target <= {BATCH_TARGET_SECONDS:.0f} s)",
            )
        )
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few submissions only")
    parser.add_argument("--user", help=f"as root, also run as this user (default {DEFAULT_USER})")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # the run as another user
    args = parser.parse_args()
    rounds, size, batch_size = (1, 2, 4) if args.quick else (2, 10, 100)
    if args.child:
        print(json.dumps(measure(Path(args.child), rounds, size, batch_size)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="sandbox-cost-"))
    try:
        notebook = builders.solved("value_class")
        for i in range(max(size, batch_size)):
            builders.save(notebook, folder / f"honest{i:03d}.ipynb")
        results = [measure(folder, rounds, size, batch_size)]
        user = _other_user(args.user)
        if user is not None:
            results.append(as_user(user, folder, args))
    finally:
        remove_tree(folder)
    verdicts = []
    for result in results:
        verdicts += report(result, size, rounds, args.quick)
    print("SUMMARY")
    for verdict, text in verdicts:
        print(f"  {verdict}  {text}")
    return 0 if all(r["full_marks"] == r["batch_size"] for r in results) else 1


def _other_user(name: str | None) -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name or DEFAULT_USER)
    except KeyError:
        if name:
            raise SystemExit(f"no user {name!r}") from None
        print(f"(no user {DEFAULT_USER!r}: measuring as root only)")
        return None


if __name__ == "__main__":
    sys.exit(main())
