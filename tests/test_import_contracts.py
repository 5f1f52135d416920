"""The package's import contracts hold, and they would catch a module that breaks them.

The contracts themselves are in pyproject.toml ([tool.importlinter]); `make check` and
`make test` run `lint-imports` too, so this module only adds what a command cannot:
that a broken layer or an unlisted module would fail them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the package and pyproject.toml found in ``folder``."""
    if not LINT_IMPORTS.exists():
        pytest.skip("lint-imports is missing: pip install -e '.[test]'")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "autodiff_lab",
        tmp_path / "autodiff_lab",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path / "autodiff_lab"


def test_the_package_keeps_its_contracts(tmp_path):
    copy_of_the_package(tmp_path)
    done = lint_imports(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    "module, upward",
    [
        ("rules.py", "from .display import graph"),  # the engine's table drawing
        ("reverse.py", "from . import functional"),  # a lower engine layer reaching up
        ("functional.py", "from .widgets import steppers"),
        ("grading/cases.py", "from . import autograder"),  # the grader's own layers
    ],
)
def test_an_upward_import_breaks_a_contract(tmp_path, module, upward):
    package = copy_of_the_package(tmp_path)
    with open(package / module, "a", encoding="utf-8") as source:
        source.write(f"\n{upward}  # planted by the test\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "is not allowed to import" in done.stdout, done.stdout


def test_a_module_in_no_layer_breaks_a_contract(tmp_path):
    package = copy_of_the_package(tmp_path)
    (package / "helpers.py").write_text('"""A new module that no contract lists."""\n')
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "autodiff_lab.helpers" in done.stdout and "not listed as layers" in done.stdout


def test_values_and_array_graphs_show_through_the_views_the_package_registers():
    import numpy

    from autodiff_lab import Value, core, trace_arrays
    from autodiff_lab.array_trace import ArrayGraph
    from autodiff_lab.display.array_graph import array_mimebundle, draw_array_graph
    from autodiff_lab.display.graph import mimebundle

    assert core.view(Value, "mimebundle") is mimebundle
    assert "image/svg+xml" in Value(1.0)._repr_mimebundle_()
    assert core.view(ArrayGraph, "mimebundle") is array_mimebundle
    assert core.view(ArrayGraph, "draw") is draw_array_graph
    graph = trace_arrays(lambda X: X * 2.0, X=numpy.ones(2))
    assert "image/svg+xml" in graph._repr_mimebundle_()
