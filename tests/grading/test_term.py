"""A whole term (`term`) from the built wheel, pip-installed into a clean virtual environment.

Nothing here reads the checkout but to build the wheel (from a copy of the files a
wheel is made of, so the build leaves nothing behind): the course comes out of the
installed package (``autodiff-lab lessons`` and ``exercises``), the copied-out
exercises release byte for byte as the repository's own, and the term of `term`
runs with the venv's ``autodiff-lab`` in a folder outside the checkout. The course's
referee stays with the grader: a submission that reads it by its path earns nothing in
the sandbox, and the same file graded without one shows what it would have earned.
The checkout's own command grades in `test_adversarial.py` and `test_grading_cli.py`.
"""

from __future__ import annotations

import copy
import csv
import filecmp
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from term import TERM_UID_OFFSET, check_term, readable, run, run_term

ROOT = Path(__file__).resolve().parents[2]
WHEEL_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "START-HERE.ipynb")
WHEEL_FOLDERS = ("autodiff_lab", "notebooks", "exercises")

pytestmark = [
    pytest.mark.slow,  # a wheel, a virtual environment, pip, and the term: minutes
    pytest.mark.skipif(
        shutil.which("bwrap") is None,
        reason="bubblewrap is not installed (apt-get install bubblewrap)",
    ),
]


@pytest.fixture(scope="module")
def installed():
    """(the venv's bin folder, a work folder outside the checkout), the wheel installed."""
    base = Path(tempfile.mkdtemp(prefix="adl-wheel-"))
    try:
        tree = base / "tree"
        tree.mkdir()
        for name in WHEEL_FILES:
            shutil.copy(ROOT / name, tree / name)
        for name in WHEEL_FOLDERS:
            shutil.copytree(
                ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        # Without setuptools in this venv (Python 3.12 makes none), pip fetches it to build.
        isolation = (
            [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
        )
        built = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q"]
            + ["-w", str(base / "dist"), str(tree)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert built.returncode == 0, built.stderr[-3000:]
        (wheel,) = (base / "dist").glob("autodiff_lab-*.whl")
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        pip = subprocess.run(
            # --no-compile: no .pyc files for every dependency up front (a third of the time)
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
            + [str(wheel)],
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
        assert pip.returncode == 0, pip.stderr[-3000:]
        work = base / "work"
        work.mkdir()
        readable(venv)
        base.chmod(0o755)
        yield venv / "bin", work
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _names(folder: Path, pattern: str) -> list[str]:
    return sorted(path.name for path in folder.glob(pattern))


def test_the_package_comes_from_the_venv_not_the_checkout(installed):
    bin_folder, work = installed
    where = run(
        [str(bin_folder / "python"), "-c", "import autodiff_lab; print(autodiff_lab.__file__)"],
        work,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(str(bin_folder.parent)), where.stdout


def test_the_course_ships_with_the_package(installed):
    bin_folder, work = installed
    command = str(bin_folder / "autodiff-lab")
    assert run([command, "lessons", "lessons"], work).returncode == 0
    lessons = work / "lessons"
    assert (lessons / "START-HERE.ipynb").is_file()
    assert _names(lessons / "notebooks", "*.ipynb") == _names(ROOT / "notebooks", "*.ipynb")
    releases = lessons / "exercises" / "release"
    assert _names(releases, "*.ipynb") == _names(ROOT / "exercises" / "release", "*.ipynb")
    again = run([command, "lessons", "lessons"], work)
    assert again.returncode == 2 and "--force" in again.stderr  # nothing overwritten silently

    assert run([command, "exercises", "course"], work).returncode == 0
    course = work / "course"
    assert sorted(p.name for p in (course / "source").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "exercises" / "source").glob("*.ipynb")
    )
    definitions = ROOT / "exercises" / "definitions"
    assert _names(course / "definitions", "*.py") == _names(definitions, "*.py")
    assert (course / "README.md").is_file()
    released = run([command, "release", "--course", "course"], work)
    assert released.returncode == 0, released.stderr
    for path in (ROOT / "exercises" / "release").glob("*.ipynb"):
        assert filecmp.cmp(path, course / "release" / path.name, shallow=False), path.name
    rebuilt = run([command, "build", "--course", "course", "--check"], work)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr

    readable(work)
    graded = run(
        [
            command,
            "grade",
            *TERM_UID_OFFSET,
            "--course",
            "course",
            "--source",
            "course/source/wengert_list.ipynb",
            "course/release/wengert_list.ipynb",
            "--out",
            "wengert.csv",
            "--quiet",
        ],
        work,
    )
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "summary: 1 student(s), mean 0 of 5, 0 with full marks, 1 with zero" in graded.stderr


@pytest.fixture(scope="module")
def term(installed):
    """The whole term of `term`, run with the venv's ``autodiff-lab`` outside the checkout."""
    bin_folder, work = installed
    folder = work / "term"
    folder.mkdir()
    command = [str(bin_folder / "autodiff-lab")]
    return {**run_term(command, folder, python=str(bin_folder / "python")), "command": command}


def test_a_whole_term_from_the_wheel(term):
    environment_free = {key for key in os.environ if key.startswith("PYTHON")}
    assert "PYTHONPATH" not in environment_free  # nothing points back at the checkout
    check_term(term)


def test_the_course_referee_is_out_of_the_sandboxes_reach(term):
    folder = term["folder"]
    referee = folder / "course" / "referee" / "slopes.py"
    notebook = nbformat.read(folder / "course" / "release" / "slopes.ipynb", as_version=4)
    answers = {
        "square_answer": (
            "import importlib.util\n"
            f"spec = importlib.util.spec_from_file_location('stolen', {str(referee)!r})\n"
            "stolen = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(stolen)\n"
            "def square_slope(x):\n"
            "    return stolen.reference('square', [x])[0]"
        ),
        "cube_answer": (
            "from autodiff_lab.grading.referee.slopes import reference\n"
            "def cube_slope(x):\n"
            "    return reference('cube', [x])[0]"
        ),
    }
    thief = copy.deepcopy(notebook)
    for cell in thief.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.source = answers.get(grade_id, cell.source)
    (folder / "thief").mkdir()
    nbformat.write(thief, folder / "thief" / "slopes.ipynb")
    readable(folder)
    totals = {}
    for name, extra in (("sandboxed", []), ("unsandboxed", ["--unsafe-no-sandbox"])):
        done = run(
            [*term["command"], "grade", *TERM_UID_OFFSET, "--course", "course"]
            + ["--source", "course/source/slopes.ipynb"]
            + ["thief/slopes.ipynb", "--out", f"{name}.csv", "--quiet", *extra],
            folder,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (row,) = csv.DictReader((folder / f"{name}.csv").open(newline="", encoding="utf-8"))
        totals[name] = (float(row["total"]), row["reason"])
    assert totals["sandboxed"][0] == 0, totals
    assert "square_tests" in totals["sandboxed"][1] and "cube_tests" in totals["sandboxed"][1]
    # Without the sandbox the file is readable and the stolen square part earns its point
    # (the cube part's import fails either way: the course is never part of the package).
    assert totals["unsandboxed"][0] == 1, totals
