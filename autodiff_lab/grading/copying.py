"""Spotting answers that use the library's own implementation of what the student must write.

Some exercises ask for something `autodiff_lab` already provides (a Value
class, dual numbers, traces, VJPs). An answer that imports the library's
version passes every numeric check, so the grader reads the student's own
cells (as text, never running them) and flags such imports for the
instructor. Imports it cannot follow (``__import__``, ``importlib``,
``exec``, ``eval``) are flagged too, since they could hide one.
``autodiff_lab.grading``, where ``check`` lives, is allowed, and so is
``autodiff_lab.numpy`` for ``array_vjps``, whose answers may compute with it.

In ``array_vjps`` the notebook itself imports the engine (its tests compare
with it), so there an answer is also flagged for *using* a name that
computes a derivative or the asked-for function (``grad``, ``vjp``,
``numerical_derivative``, ``.backward``, ``softmax``, ...) unless the
student's own cells define that name, and for importing another engine
(PyTorch, JAX, HIPS autograd, TensorFlow).
"""

from __future__ import annotations

import ast

# Exercises whose subject the library implements, and what it is.
SELF_BUILT = {
    "value_class": "its own Value class",
    "dual_numbers": "its own dual numbers",
    "wengert_list": "its own traces",
    "array_vjps": "its own VJPs",
}
ALLOWED_MODULES = ("autodiff_lab.grading",)
ALSO_ALLOWED = {"array_vjps": ("autodiff_lab.numpy",)}
# Names that do an exercise's work: derivatives computed for the student, or the function asked for.
DONE_FOR_YOU = {
    "array_vjps": frozenset(
        {
            "grad",
            "vjp",
            "jvp",
            "jacobian",
            "hessian",
            "hvp",
            "value_and_grad",
            "elementwise_grad",
            "numerical_derivative",
            "check_grad",
            "backward",
            "softmax",
            "log_softmax",
            "logsumexp",
        }
    ),
}
OTHER_ENGINES = ("torch", "jax", "autograd", "tensorflow")
OPAQUE_CALLS = {"__import__", "exec", "eval", "compile", "import_module"}
MAX_SOURCE_CHARS = 200_000


def library_use(exercise: str | None, sources: list[str]) -> list[str]:
    """Reasons to flag the student's cells ``sources``; [] if nothing was found."""
    if exercise not in SELF_BUILT:
        return []
    trees = [_parse(source[:MAX_SOURCE_CHARS]) for source in sources]
    trees = [tree for tree in trees if tree is not None]
    allowed = ALLOWED_MODULES + ALSO_ALLOWED.get(exercise, ())
    names = DONE_FOR_YOU.get(exercise, frozenset())
    own = set().union(*(_bound_names(tree) for tree in trees))
    found: list[str] = []
    for tree in trees:
        for reason in _findings(tree, allowed, names, own):
            if reason not in found:
                found.append(reason)
    return [
        f"the exercise asks for {SELF_BUILT[exercise]}, but the answer {reason}" for reason in found
    ]


def _parse(source: str) -> ast.AST | None:
    try:
        return ast.parse(_without_magics(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _findings(tree: ast.AST, allowed: tuple, names: frozenset, own: set) -> list[str]:
    """What to flag in one cell; ``own`` are names the student's cells define themselves."""
    engines = bool(names)  # the exercises about derivatives also flag other engines
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_library(alias.name, allowed) or (engines and _is_engine(alias.name)):
                    findings.append(f"imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if _is_library(node.module, allowed) or (engines and _is_engine(node.module)):
                findings.append(f"imports from {node.module}")
            elif node.module == "importlib":
                findings.append("uses importlib")
            findings += [f"imports {alias.name}" for alias in node.names if alias.name in names]
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            if node.attr in names:  # anp.softmax, torch's .backward: never the student's own
                findings.append(f"uses .{node.attr}")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in OPAQUE_CALLS:
                findings.append(f"calls {name}(), which could hide an import")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in names and node.id not in own:
                findings.append(f"uses {node.id}")
    return findings


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the student's own code defines (assignments, functions, classes, arguments)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound


def _is_library(module: str, allowed: tuple = ALLOWED_MODULES) -> bool:
    if not (module == "autodiff_lab" or module.startswith("autodiff_lab.")):
        return False
    return not any(module == name or module.startswith(name + ".") for name in allowed)


def _is_engine(module: str) -> bool:
    return module.split(".")[0] in OTHER_ENGINES


def _without_magics(source: str) -> str:
    """IPython's ``%`` and ``!`` lines are not Python; drop them before parsing."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
