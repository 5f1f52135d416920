"""The grader's programs start without jsonschema's IRI grammars (2–3 s of CPU each), and
notebooks are still validated; a library import leaves a user's checkers alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "05_reverse_mode.ipynb"


def python(code: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], capture_output=True, text=True, timeout=120
    )


def test_installed_here_so_the_checks_below_mean_something():
    # jupyter-events asks for jsonschema[format-nongpl], which brings rfc3987-syntax.
    done = python("import importlib.util; print(importlib.util.find_spec('rfc3987_syntax'))")
    assert done.stdout.strip() != "None"


def test_our_programs_skip_the_grammars_and_still_validate_notebooks():
    code = f"""
from autodiff_lab.grading.startup import skip_iri_grammars
skip_iri_grammars()
import jsonschema, nbformat, sys
assert sys.modules["rfc3987_syntax"] is None
assert "iri" not in jsonschema.FormatChecker().checkers
nbformat.validate(nbformat.read({str(LESSON)!r}, as_version=4))
broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
broken.cells[0]["outputs"] = [{{"output_type": "no such type"}}]
try:
    nbformat.validate(broken)
except nbformat.ValidationError:
    print("refused")
"""
    done = python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "refused"


def test_a_library_import_keeps_the_users_checkers():
    done = python(
        "import autodiff_lab.grading, autodiff_lab.cli, nbformat, jsonschema\n"
        "print('iri' in jsonschema.FormatChecker().checkers)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize(
    "program",
    [
        ["-m", "autodiff_lab.grading.worker"],
        ["-m", "autodiff_lab.cli", "--help"],
        ["-m", "autodiff_lab.grading.gradescope", "--help"],  # Gradescope's run_autograder
    ],
)
def test_the_worker_and_the_commands_start_without_the_grammars(program):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *program],
        stdin=subprocess.DEVNULL,  # the worker serves until its input ends
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "lark" not in imported  # what rfc3987_syntax compiles its grammars with
    if "cli" not in program[1]:
        assert "nbformat" in imported  # it did load what it validates with
