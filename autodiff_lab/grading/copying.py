"""Spotting answers that use the library's own implementation of what the student must write.

Some exercises ask for something `autodiff_lab` already provides (a Value
class, dual numbers, traces). An answer that imports the library's version
passes every numeric check, so the grader reads the student's own cells (as
text, never running them) and flags such imports for the instructor. Imports
it cannot follow (``__import__``, ``importlib``, ``exec``, ``eval``) are
flagged too, since they could hide one. ``autodiff_lab.grading``, where
``check`` lives, is allowed.
"""

from __future__ import annotations

import ast

# Exercises whose subject the library implements, and what it is.
SELF_BUILT = {
    "value_class": "its own Value class",
    "dual_numbers": "its own dual numbers",
    "wengert_list": "its own traces",
}
ALLOWED_MODULES = ("autodiff_lab.grading",)
OPAQUE_CALLS = {"__import__", "exec", "eval", "compile", "import_module"}
MAX_SOURCE_CHARS = 200_000


def library_use(exercise: str | None, sources: list[str]) -> list[str]:
    """Reasons to flag the student's cells ``sources``; [] if nothing was found."""
    if exercise not in SELF_BUILT:
        return []
    found: list[str] = []
    for source in sources:
        for reason in _cell_findings(source[:MAX_SOURCE_CHARS]):
            if reason not in found:
                found.append(reason)
    return [
        f"the exercise asks for {SELF_BUILT[exercise]}, but the answer {reason}" for reason in found
    ]


def _cell_findings(source: str) -> list[str]:
    try:
        tree = ast.parse(_without_magics(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            findings += [f"imports {alias.name}" for alias in node.names if _is_library(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and _is_library(node.module):
            findings.append(f"imports from {node.module}")
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
            findings.append("uses importlib")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in OPAQUE_CALLS:
                findings.append(f"calls {name}(), which could hide an import")
    return findings


def _is_library(module: str) -> bool:
    if not (module == "autodiff_lab" or module.startswith("autodiff_lab.")):
        return False
    return not any(
        module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED_MODULES
    )


def _without_magics(source: str) -> str:
    """IPython's ``%`` and ``!`` lines are not Python; drop them before parsing."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
