"""Every third-party module the project imports is declared in pyproject.toml: the
package's own in its dependencies, the tests', tools' and docs' in an extra. (Read from
the installed package's metadata, which pip writes from pyproject.toml.)"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires

from repository import ROOT

# Modules a test imports inside `need(...)` or `pytest.importorskip(...)` count as well.
NEEDED = re.compile(r"""(?:need|importorskip)\(\s*["']([\w.]+)["']""")


def imported_modules(*places: str) -> set[str]:
    """Top-level names of the modules imported anywhere in the files or folders."""
    found = set()
    for place in places:
        paths = [ROOT / place] if place.endswith(".py") else (ROOT / place).rglob("*.py")
        for path in paths:
            text = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
            found.update(name.split(".")[0] for name in NEEDED.findall(text))
    return found


def third_party(modules: set[str]) -> dict[str, set[str]]:
    """module -> the distributions that provide it, for modules neither ours nor stdlib."""
    providers = packages_distributions()
    return {
        module: {name.lower().replace("_", "-") for name in providers[module]}
        for module in modules - {"autodiff_lab"}
        if module not in sys.stdlib_module_names and module in providers
    }


def declared(extras: bool) -> set[str]:
    """The distributions autodiff-lab requires: always, or (``extras``) in any extra too."""
    return {
        re.split(r"[\s<>=!~\[;(]", spec, maxsplit=1)[0].lower().replace("_", "-")
        for spec in requires("autodiff-lab")
        if extras or "extra ==" not in spec
    }


def undeclared(modules: set[str], extras: bool) -> dict[str, set[str]]:
    allowed = declared(extras)
    return {module: dists for module, dists in third_party(modules).items() if not dists & allowed}


def test_every_module_the_package_imports_is_a_dependency():
    assert undeclared(imported_modules("autodiff_lab"), extras=False) == {}


def test_every_module_the_tests_tools_and_docs_import_is_declared():
    places = ("tests", "tools", "docs", "benchmarks", "conftest.py")
    assert undeclared(imported_modules(*places), extras=True) == {}


def test_the_check_sees_a_module_no_requirement_brings():
    assert undeclared({"pytest"}, extras=False) == {"pytest": {"pytest"}}  # only in `test`
    assert undeclared({"numpy", "json"}, extras=False) == {}
