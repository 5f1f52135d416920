"""The engine imports nothing above it: no import circles, even inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autodiff_lab"

# Each engine module and the package modules it may import, lowest first.
LAYERS = {
    "rules": set(),
    "reverse": {"rules"},
    "forward": {"rules", "reverse"},
    "functional": {"rules", "reverse", "forward", "array_functional"},
    "arrays": {"rules", "reverse"},
    "array_rules": {"rules", "arrays"},
    "numpy": {"rules", "arrays", "array_rules"},
    "array_functional": {"rules", "arrays", "array_rules", "numpy"},
    "math": {"rules"},
    "ops": {"rules"},
    "symbolic": {"rules"},
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
    from autodiff_lab import Value, reverse
    from autodiff_lab.display.graph import mimebundle

    assert reverse._DISPLAY.mimebundle is mimebundle
    assert "image/svg+xml" in Value(1.0)._repr_mimebundle_()
