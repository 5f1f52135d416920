"""The hostile batch and the outcomes it is judged by, for the two ways a course grades it.

`test_adversarial_as_user.py` grades the whole batch as an ordinary user
(``AUTODIFF_LAB_TEST_USER``, made by ``.ci/run``, when the suite runs as root),
as most instructors run it. `test_adversarial.py` grades, as root, the attacks
whose defence differs when the grader is root (`BY_RUNNER`): as root each kernel
runs under a user id of its own, with cgroup limits; as an ordinary user, in a
user namespace under the grader's own id. Tampering inside the kernel (class 1)
and copying the engine (class 6) meet the same defences either way (the kernel's
own Python, and the files the sandbox mounts, which `sandbox.bwrap_arguments`
gives both), so they are graded once. Each module defines the ``batch`` fixture
with `graded_batch` and imports the tests below, so the two runs are judged by
the same outcomes, and test workers can run them side by side.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pwd
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import builders
import hostile
import pytest

from autodiff_lab.cli import main
from autodiff_lab.grading import sandbox
from autodiff_lab.grading.files import remove_tree
from autodiff_lab.grading.shards import merge_csv
from autodiff_lab.grading.submission import display_name

ORDINARY_USER = os.environ.get("AUTODIFF_LAB_TEST_USER", "autodiff-lab-ci")
AS_ROOT, AS_USER = "as root", "as an ordinary user"
CONTROLS = {
    "00_honest_full": 8.0,
    "00_honest_empty": 0.0,
    "zz_honest_full": 8.0,
    "zz_honest_empty": 0.0,
}
BREAKERS = [
    "deep_json",
    "huge_integer",
    "undecodable_name",
    "twenty_thousand_cells",
    "formula_file_name",
    "symlink_to_source",
    "twin_name_escape_text",
    "twin_name_raw_byte",
]
# The attack classes each runner grades (see the module docstring).
BY_RUNNER = {AS_USER: {1, 2, 3, 4, 5, 6}, AS_ROOT: {2, 3, 4, 5}}
CELL_TIMEOUT = 5
BATCH_BOUND_SECONDS = 900  # the stated bound for this batch (documented in exercises/README.md)
PACKAGE = Path(__file__).resolve().parents[2] / "autodiff_lab"
KERNEL_WORDS = "INSTRUCTOR_NOTE"  # an exception class name a kernel chose


def _tree_digest(folder: Path) -> str:
    """Names, sizes and contents of every file under ``folder`` (links not followed)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        digest.update(os.fsencode(path.relative_to(folder)))
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _site_packages_fingerprint() -> str:
    """Every file under site-packages by name, size, mode and modification time."""
    digest = hashlib.sha256()
    for root in sorted({p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)}):
        for folder, subfolders, files in os.walk(root):
            subfolders.sort()
            for name in sorted(files):
                info = os.lstat(os.path.join(folder, name))
                digest.update(
                    f"{folder}/{name}:{info.st_size}:{info.st_mode}:{info.st_mtime_ns}".encode()
                )
    return digest.hexdigest()


def _fingerprints(submissions: Path) -> dict[str, str]:
    return {
        "exercises": _tree_digest(builders.ROOT / "exercises"),
        "package": _tree_digest(PACKAGE),
        "submissions": _tree_digest(submissions),
        "site-packages": _site_packages_fingerprint(),
    }


def processes_of(uids: set[int], contains: bytes = b"", grace_seconds: float = 30.0) -> list[str]:
    """Processes still running as one of ``uids`` (this run's own), whose command line holds
    ``contains``, once the killed ones are gone.

    A process sent SIGKILL as the batch ends can take a moment to leave /proc on a
    loaded machine, so the check waits up to ``grace_seconds`` for the list to empty.
    A zombie has ended and runs nothing, so it does not count.
    """
    deadline = time.monotonic() + grace_seconds
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid not in uids:
                    continue
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                if state in ("Z", "X"):
                    continue
                command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if contains not in command:
                continue
            found.append(f"{entry} ({state}) {command.decode(errors='replace')[:80]}")
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def ordinary_user() -> pwd.struct_passwd:
    """The ordinary user the suite grades as, when it runs as root (fails in CI if missing)."""
    try:
        return pwd.getpwnam(ORDINARY_USER)
    except KeyError:
        pytest.skip(f"no user {ORDINARY_USER!r} to grade as (.ci/run makes one)")


def run_grade(runner: str, argv: list[str], env: dict | None = None) -> int:
    """``autodiff-lab grade`` as root in this process, or as the ordinary user."""
    if runner == AS_ROOT or os.geteuid() != 0:
        return main(argv)
    user = ordinary_user()
    command = ["runuser", "-u", user.pw_name, "--", sys.executable, "-m", "autodiff_lab.cli"]
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": user.pw_dir,
        "LANG": "C.UTF-8",
        **(env or {}),
    }
    done = subprocess.run([*command, *argv], env=environment, cwd="/", timeout=1800)
    return done.returncode


def workspace(runner: str) -> Path:
    """A folder of our own that the grading user can read and write."""
    folder = Path(tempfile.mkdtemp(prefix="adl-hostile-"))
    if runner == AS_USER and os.geteuid() == 0:
        user = ordinary_user()
        os.chown(folder, user.pw_uid, user.pw_gid)
    return folder


def hand_over(folder: Path, runner: str) -> None:
    """Make everything under ``folder`` the grading user's, as a course's files would be."""
    if runner != AS_USER or os.geteuid() != 0:
        return
    user = ordinary_user()
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)


def attackers(classes: set[int]) -> list[str]:
    """The batch's attacks of ``classes``."""
    return [name for name, (kind, _) in hostile.ATTACKS.items() if kind in classes]


def _write_batch(folder: Path, classes: set[int]) -> dict[str, Path]:
    paths = {}
    for name in ("00_honest_full", "00_honest_empty"):
        paths[name] = folder / f"{name}.ipynb"
    for name in attackers(classes):
        paths[name] = builders.save(hostile.attacker(name), folder / f"{name}.ipynb")
    paths.update(hostile.write_batch_breakers(folder))
    for name in ("zz_honest_full", "zz_honest_empty"):
        paths[name] = folder / f"{name}.ipynb"
    for name, path in paths.items():
        if name.endswith("_full"):
            builders.save(builders.solved(hostile.EXERCISE), path)
        elif name.endswith("_empty"):
            builders.save(builders.submission(hostile.EXERCISE), path)
    return paths


def graded_batch(runner: str):
    """The hostile batch graded by ``runner``: everything the outcome tests read."""
    if runner == AS_ROOT and os.geteuid() != 0:
        pytest.skip("grading as root needs the suite to run as root (CI does)")
    if runner == AS_USER and os.geteuid() == 0:
        ordinary_user()
    base = workspace(runner)
    try:
        folder, out = base / "submissions", base / "results"
        folder.mkdir()
        out.mkdir()
        paths = _write_batch(folder, BY_RUNNER[runner])
        hand_over(base, runner)
        before = _fingerprints(folder)
        csv_path, json_path = out / "grades.csv", out / "grades.json"
        source = builders.SOURCES / f"{hostile.EXERCISE}.ipynb"
        argv = builders.grade_argv(source, [folder], csv_path, json_path, 2, CELL_TIMEOUT)
        offset = int(argv[argv.index("--uid-offset") + 1])
        if runner == AS_ROOT:
            uids = {sandbox.sandbox_uid(offset + i) for i in range(len(paths) + 1)}
        else:
            uids = {pwd.getpwnam(ORDINARY_USER).pw_uid if os.geteuid() == 0 else os.getuid()}
        started = time.monotonic()
        exit_code = run_grade(runner, argv)
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # anything that was going to outlive the batch has had its chance
        with open(csv_path, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        # As root, the sandboxes' user ids are this run's own; an ordinary user's are not, so
        # there only the grader's own programs count (a kernel's children keep its command line).
        survivors = processes_of(uids, b"" if runner == AS_ROOT else b"autodiff_lab.grading")
        yield {
            "runner": runner,
            "exit_code": exit_code,
            "elapsed": elapsed,
            "paths": paths,
            "rows": rows,
            "json": json.loads(json_path.read_text(encoding="utf-8")),
            "csv_text": csv_path.read_text(encoding="utf-8"),
            "json_text": json_path.read_text(encoding="utf-8"),
            "csv_path": csv_path,
            "before": before,
            "after": _fingerprints(folder),
            "survivors": survivors,
            "source": builders.source(hostile.EXERCISE),
        }
    finally:
        remove_tree(base)


def row_of(batch, name: str) -> dict:
    shown = display_name(batch["paths"][name])
    for row in batch["rows"]:
        if row["submission"].lstrip("'") == shown:
            return row
    raise AssertionError(f"no row for {name}")


def test_the_batch_finishes_writes_a_row_for_every_file_and_exits_0(batch):
    assert batch["exit_code"] == 0
    assert len(batch["rows"]) == len(batch["paths"])
    assert batch["elapsed"] < BATCH_BOUND_SECONDS


def test_every_attacker_scores_zero(batch):
    graded = attackers(BY_RUNNER[batch["runner"]]) + BREAKERS
    assert set(graded) <= set(batch["paths"])
    rows = {name: row_of(batch, name) for name in graded}
    scored = {name: (row["total"], row["reason"]) for name, row in rows.items()}
    assert {name: found for name, found in scored.items() if float(found[0]) != 0.0} == {}


@pytest.mark.parametrize("name, total", CONTROLS.items())
def test_honest_controls_score_exactly_right(batch, name, total):
    row = row_of(batch, name)
    assert float(row["total"]) == total, row["reason"]


def test_nothing_outside_the_outputs_changes(batch):
    assert batch["after"] == batch["before"]


def test_no_process_from_the_batch_survives_it(batch):
    assert batch["survivors"] == []


def test_no_solution_or_hidden_test_text_reaches_the_reports(batch):
    secrets = hostile.secret_lines(batch["source"])
    assert len(secrets) > 10  # the check itself has something to look for
    for text in (batch["csv_text"], batch["json_text"]):
        leaked = [line for line in secrets if line in text]
        assert leaked == []


def test_no_word_a_kernel_chose_reaches_the_reports(batch):
    for text in (batch["csv_text"], batch["json_text"]):
        assert KERNEL_WORDS not in text
    reason = row_of(batch, "exception_names_as_messages")["reason"]
    assert "an exception" in reason


def test_no_csv_cell_reads_as_a_spreadsheet_formula(batch):
    for row in batch["rows"]:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_names_that_used_to_print_alike_get_rows_of_their_own_and_merge(batch, tmp_path):
    names = [row["submission"] for row in batch["rows"]]
    assert len(set(names)) == len(names)
    twins = [
        row_of(batch, name)["submission"]
        for name in ("twin_name_raw_byte", "twin_name_escape_text")
    ]
    assert twins[0] != twins[1]
    merged = merge_csv([batch["csv_path"]])  # merge refused repeated names
    assert len(merged.splitlines()) == len(names) + 1


def test_broken_files_get_a_reason_that_names_the_problem(batch):
    reasons = {
        name: row_of(batch, name)["reason"]
        for name in ("deep_json", "huge_integer", "twenty_thousand_cells", "symlink_to_source")
    }
    assert "nested" in reasons["deep_json"]
    assert "not a readable notebook" in reasons["huge_integer"]
    assert "20000 cells" in reasons["twenty_thousand_cells"]
    assert "symbolic link" in reasons["symlink_to_source"]


def test_memory_spread_over_children_is_capped(batch):
    # The attacker runs the honest answer only if all its children got their memory.
    row = row_of(batch, "memory_spread_over_children")
    assert float(row["total"]) == 0.0, row["reason"]
    if batch["runner"] == AS_USER:  # no cgroups for an ordinary user here: the watchdog
        assert "the sandbox was stopped" in row["reason"] or "the kernel died" in row["reason"]


def test_every_row_was_sandboxed_and_records_its_probe_inputs(batch):
    entries = batch["json"]["submissions"]
    assert all(entry["sandboxed"] for entry in entries)
    full = next(e for e in entries if Path(e["submission"]).stem == "00_honest_full")
    assert all(test["probe_inputs"] for test in full["tests"])
