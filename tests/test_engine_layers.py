"""The engine imports nothing above it: no import circles, even inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autodiff_lab"

# Each engine module and the package modules it may import, lowest first.
LAYERS = {
    "core": set(),
    "containers": set(),
    "text": {"core"},
    "rules": {"core"},
    "reverse": {"core", "rules"},
    "forward": {"core", "rules", "reverse"},
    "arrays": {"core", "rules", "reverse", "forward"},
    "array_rules": {"rules", "arrays"},
    "numpy": {"core", "rules", "arrays", "array_rules"},
    "functional": {"core", "rules", "reverse", "forward", "arrays", "numpy", "containers"},
    "math": {"rules"},
    "ops": {"rules"},
    "symbolic": {"core", "rules"},
    "extend": {"arrays"},
    "steps": {"core", "reverse", "rules", "text", "trace"},
    "trace": {"forward", "reverse", "text"},
}


def imported_package_modules(name: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):  # every import, at the top or inside a function
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autodiff_lab"):
            found.add(node.module.split(".")[1] if "." in node.module else "autodiff_lab")
    return found


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_engine_module_imports_only_what_is_below_it(name):
    assert imported_package_modules(name) <= LAYERS[name]


def test_a_value_shows_its_graph_through_the_hook_the_package_registers():
    from autodiff_lab import Value, core, reverse
    from autodiff_lab.display.graph import mimebundle

    assert core.view(reverse.Value, "mimebundle") is mimebundle
    assert "image/svg+xml" in Value(1.0)._repr_mimebundle_()


# The grading package's own layers: the catalogue's vocabulary at the bottom, the
# catalogue above it, then what reads the catalogue. No module imports one above it.
GRADING_LAYERS = {
    "cases": set(),
    "programs": set(),
    "catalogue": {"cases", "programs"},
    "report": set(),
    "check": {"cases", "catalogue", "report"},
    "feedback": set(),
    "probes": {"cases", "catalogue"},
    "referee": {"cases", "catalogue", "feedback", "probes", "programs"},
}


def grading_imports(name: str) -> set[str]:
    """The grading modules that module (or package) ``name`` imports, anywhere in it."""
    folder = PACKAGE / "grading"
    inside_package = (folder / name).is_dir()
    files = sorted((folder / name).glob("*.py")) if inside_package else [folder / f"{name}.py"]
    up = 2 if inside_package else 1  # the level of `from ..x` (or `from .x`) that means grading/x
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == up and node.module:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.level > up:
                found.add("autodiff_lab")
    return found


@pytest.mark.parametrize("name", sorted(GRADING_LAYERS))
def test_grading_module_imports_only_what_is_below_it(name):
    assert grading_imports(name) <= GRADING_LAYERS[name]
