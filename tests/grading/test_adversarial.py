"""The autograder against hostile submissions, graded as root: every attacker scores 0.

One batch mixes honest controls (a full solution and an untouched release,
before and after the attackers) with the hostile notebooks of `hostile`: the
classes of issue 7 whose defence differs as root (skipping the check, reading
secrets, reaching outside, breaking the batch), and files that try to break the
batch for everyone. It runs once through the command line with ``--jobs 2``,
judged by the outcomes in `adversarial` (scores, rows, untouched files, no
survivors, no secrets or kernel-chosen words in the reports);
`test_adversarial_as_user.py` grades every class, and copying the engine in every
spelling of issue 15, as an ordinary user. A small ``--jobs 1`` batch with a
long temporary folder, a batch against ``array_vjps`` and ``xor_mlp``, and one
without a sandbox complete it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import builders
import hostile
import pytest
from adversarial import *  # noqa: F403 - the outcome tests, judged on this module's batch
from adversarial import AS_ROOT, CELL_TIMEOUT, graded_batch

from autodiff_lab.cli import main

# The sandbox needs bubblewrap; in CI this skip fails the run (see conftest.py).
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)


@pytest.fixture(scope="module")
def batch():
    if os.geteuid() != 0:
        pytest.skip("grading as root needs the suite to run as root (CI does)")
    yield from graded_batch(AS_ROOT)


def test_the_suite_covers_every_class_of_attack():
    classes = hostile.attacker_classes()
    assert sorted(classes) == [1, 2, 3, 4, 5, 6]
    assert sum(len(names) for names in classes.values()) >= 45


# -- a small batch with one job, in a temporary folder with a long name -------------------


def test_one_job_in_a_long_temporary_folder(tmp_path):
    deep = tmp_path / ("a-long-folder-name-like-a-slurm-jobs-tmpdir-" * 4)
    deep.mkdir()
    folder = tmp_path / "class"
    folder.mkdir()
    builders.save(builders.solved(hostile.EXERCISE), folder / "full.ipynb")
    builders.save(builders.submission(hostile.EXERCISE), folder / "empty.ipynb")
    builders.save(hostile.attacker("last_cell_os_exit"), folder / "exits.ipynb")
    out = tmp_path / "grades.csv"
    source = builders.SOURCES / f"{hostile.EXERCISE}.ipynb"
    argv = builders.grade_argv(source, [folder], out, tmp_path / "grades.json", 1, CELL_TIMEOUT)
    command = [sys.executable, "-m", "autodiff_lab.cli", *argv]
    done = subprocess.run(
        command, env={**os.environ, "TMPDIR": str(deep)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {Path(row["submission"]).stem: row for row in csv.DictReader(out.open())}
    assert [rows[name]["total"] for name in ("empty", "exits", "full")] == ["0", "0", "8"]
    assert list(deep.iterdir()) == []  # its scratch is gone


# -- array_vjps and xor_mlp: the engine's answers fail, hard-coded outputs score nothing ----

OTHER_CONTROLS = {
    "array_vjps": {"00_honest_full": 13.0, "00_honest_empty": 0.0},
    "xor_mlp": {"00_honest_full": 8.0, "00_honest_empty": 0.0},
    "custom_primitives": {"00_honest_full": 8.0, "00_honest_empty": 0.0},
}


@pytest.fixture(scope="module")
def other_batches(tmp_path_factory):
    graded = {}
    for exercise, attackers in (
        (
            "array_vjps",
            {
                "array_engine_answers": hostile.array_attacker("array_engine_answers"),
                **{name: hostile.array_attacker(name) for name in hostile.ARRAY_ATTACKS},
            },
        ),
        ("xor_mlp", {"xor_hard_coded": hostile.xor_attacker()}),
        ("custom_primitives", {"primitives_engine_answers": hostile.primitives_attacker()}),
    ):
        folder = tmp_path_factory.mktemp(f"hostile_{exercise}")
        notebooks = {
            "00_honest_full": builders.solved(exercise),
            "00_honest_empty": builders.submission(exercise),
            **attackers,
        }
        for name, notebook in notebooks.items():
            builders.save(notebook, folder / f"{name}.ipynb")
        out = tmp_path_factory.mktemp(f"results_{exercise}")
        json_path = out / "grades.json"
        source = builders.SOURCES / f"{exercise}.ipynb"
        argv = builders.grade_argv(source, [folder], out / "g.csv", json_path, 2, CELL_TIMEOUT)
        assert main(argv) == 0
        entries = json.loads(json_path.read_text(encoding="utf-8"))["submissions"]
        graded[exercise] = {Path(entry["submission"]).stem: entry for entry in entries}
    return graded


@pytest.mark.parametrize(
    "exercise, name, total",
    [(e, n, t) for e, controls in OTHER_CONTROLS.items() for n, t in controls.items()],
)
def test_other_exercises_honest_controls_score_exactly_right(other_batches, exercise, name, total):
    entry = other_batches[exercise][name]
    assert entry["total"] == total and entry["flags"] == [], entry["reason"]


@pytest.mark.parametrize(
    "exercise, name",
    [("array_vjps", "array_engine_answers")]
    + [("array_vjps", name) for name in sorted(hostile.ARRAY_ATTACKS)]
    + [("xor_mlp", "xor_hard_coded")],
)
def test_other_exercises_attackers_score_zero(other_batches, exercise, name):
    entry = other_batches[exercise][name]
    assert entry["total"] == 0.0, entry["reason"]


def test_array_vjps_right_only_on_the_notebooks_inputs_is_never_confirmed(other_batches):
    # Every test cell passed in the notebook; only the grader's own inputs tell.
    for name in ("array_probe_detector", "array_slow_under_probe"):
        tests = other_batches["array_vjps"][name]["tests"]
        assert [test["status"] for test in tests] == ["not confirmed"] * 8, name


def test_the_engines_primitives_earn_nothing_but_the_training_loop(other_batches):
    entry = other_batches["custom_primitives"]["primitives_engine_answers"]
    scores = {test["grade_id"]: test["score"] for test in entry["tests"]}
    assert scores == {
        "tanh_primitive_tests": 0.0,
        "matmul_primitive_tests": 0.0,
        "loss_primitive_tests": 0.0,
        "network_loss_tests": 0.0,
        "train_network_tests": 2.0,  # its own subject, written right
    }, entry["reason"]


def test_the_engines_answers_fail_and_are_noted(other_batches):
    entry = other_batches["array_vjps"]["array_engine_answers"]
    assert "imports autodiff_lab.numpy" in " ".join(entry["flags"])


# -- without a sandbox: a daemon does not outlive its submission --------------------------


def test_without_a_sandbox_no_process_outlives_its_submission(tmp_path):
    marker = tmp_path / "alive.txt"
    daemon = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        while True:\n"
        f"            open({str(marker)!r}, 'a').write('alive\\n')\n"
        "            time.sleep(0.1)\n"
        "    os._exit(0)\n"
    )
    notebook = builders.submission(
        hostile.EXERCISE,
        base=builders.solved(hostile.EXERCISE),
        extra_after={"value_answer": [daemon]},
    )
    path = builders.save(notebook, tmp_path / "daemon.ipynb")
    out = tmp_path / "g.csv"
    argv = builders.grade_argv(
        builders.SOURCES / f"{hostile.EXERCISE}.ipynb", [path], out, tmp_path / "g.json", 1, 10
    )
    assert main([*argv, "--unsafe-no-sandbox"]) == 0
    assert marker.exists()  # it did run, unsandboxed
    size = marker.stat().st_size
    time.sleep(1.5)
    assert marker.stat().st_size == size  # and nothing of it is left running
    (row,) = list(csv.DictReader(out.open()))
    assert row["reason"].startswith("graded WITHOUT a sandbox")
