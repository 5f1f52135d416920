"""A note for the instructor: answers that reach for the library's version of the exercise.

Copying cannot earn points: each exercise's sandbox shows no module that
implements what it asks for (see `sandbox.package_view`), so an answer that
imports one fails there, however it is spelled. This static flag stays as a
note: it reads every cell the student wrote, of any kind (never running
them), IPython's magics and shell escapes included, and flags

* imports of ``autodiff_lab`` beyond ``autodiff_lab.grading`` (where ``check``
  lives), and of other autodiff engines (PyTorch, JAX, HIPS autograd, ...);
* code it cannot follow that could hide one: ``__import__``, ``importlib``,
  ``exec``, ``eval``, ``compile``, ``get_ipython().ex/ev/run_cell``,
  ``sys.modules``, a string that spells ``autodiff_lab``, reading a notebook
  file back (where a markdown cell could hold the code);
* a markdown or raw cell holding an import of ``autodiff_lab``;
* code that can look at the checker's own objects, where a later part's
  stand-in numbers live while it is measured (``gc``, ``inspect``,
  ``sys._getframe``);
* in ``array_vjps``, using a name that does the work (``grad``, ``vjp``,
  ``.backward``, ``softmax``, ...) that the student's own cells do not define.
"""

from __future__ import annotations

import ast
import re

# Exercises whose subject the library implements, and what it is.
SELF_BUILT = {
    "value_class": "its own Value class",
    "dual_numbers": "its own dual numbers",
    "wengert_list": "its own traces",
    "array_vjps": "its own VJPs",
}
ALLOWED_MODULES = ("autodiff_lab.grading",)
ALSO_ALLOWED: dict[str, tuple[str, ...]] = {}
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
OTHER_ENGINES = ("torch", "jax", "autograd", "tensorflow", "micrograd", "tinygrad", "mygrad")
OPAQUE_CALLS = {"__import__", "exec", "eval", "compile", "import_module"}
# Modules and calls that read other code's objects: the stand-ins of `catalogue.stubs`.
INTROSPECTION_MODULES = ("gc", "inspect")
INTROSPECTION_CALLS = {"_getframe", "get_objects", "get_referrers", "currentframe", "stack"}
_INTROSPECTS = "which can read the check's own numbers"
SHELL_RUNNERS = {"ex", "ev", "run_cell", "run_code", "run_line_magic", "run_cell_magic"}
MAX_SOURCE_CHARS = 200_000
MAX_DEPTH = 5  # magics inside magics: deeper than this is read as text only
IMPORT_TEXT = re.compile(r"\b(?:from\s+autodiff_lab\b|import\s+autodiff_lab\b)")


def library_use(exercise: str | None, sources: list[str]) -> list[str]:
    """Reasons to flag the student's cells ``sources`` (code, markdown or raw); [] if none."""
    if exercise not in SELF_BUILT:
        return []
    trees = []
    found: list[str] = []
    for source in sources:
        source = source[:MAX_SOURCE_CHARS]
        cell_trees = _parse_all(source)
        if cell_trees:
            trees += cell_trees
        elif IMPORT_TEXT.search(source):  # text (markdown) that holds an import
            found.append("holds an import of autodiff_lab in a cell that is not code")
    allowed = ALLOWED_MODULES + ALSO_ALLOWED.get(exercise, ())
    names = DONE_FOR_YOU.get(exercise, frozenset())
    own = set().union(*(_bound_names(tree) for tree in trees))
    for tree in trees:
        for reason in _findings(tree, allowed, names, own):
            if reason not in found:
                found.append(reason)
    return [
        f"the exercise asks for {SELF_BUILT[exercise]}, but the answer {reason}" for reason in found
    ]


def _parse_all(source: str, depth: int = 0) -> list[ast.AST]:
    """The cell as Python (magics turned into the calls IPython makes), and the code that
    any magic, shell call or exec-like call runs from a string, parsed as well."""
    tree = _parse(_as_python(source))
    if tree is None:
        return []
    trees = [tree]
    if depth < MAX_DEPTH:
        for text in _strings_run(tree):
            trees += _parse_all(text, depth + 1)
    return trees


def _as_python(source: str) -> str:
    """IPython's syntax (``%time x``, ``%%capture``, ``!ls``) as the Python it runs."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # IPython missing, or a cell it cannot read: drop its special lines
        return "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
        )


def _parse(source: str) -> ast.AST | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _strings_run(tree: ast.AST) -> list[str]:
    """String arguments of calls that run code: magics, exec, eval, get_ipython().ex(...)."""
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in SHELL_RUNNERS or name in OPAQUE_CALLS:
                texts += [text for text in map(_folded, node.args) if text]
    return texts


def _folded(node: ast.AST) -> str | None:
    """The string an expression of constants spells ("autodiff" + "_lab", f"...", "".join)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_folded(value) for value in node.values]
        return "".join(part or "" for part in parts)
    if isinstance(node, ast.FormattedValue):
        return _folded(node.value)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and node.args
        and isinstance(node.args[0], (ast.List, ast.Tuple))
    ):
        separator = _folded(node.func.value)
        parts = [_folded(item) for item in node.args[0].elts]
        if separator is not None and all(part is not None for part in parts):
            return separator.join(parts)
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
                elif alias.name.split(".")[0] in INTROSPECTION_MODULES:
                    findings.append(f"imports {alias.name}, {_INTROSPECTS}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if _is_library(node.module, allowed) or (engines and _is_engine(node.module)):
                findings.append(f"imports from {node.module}")
            elif node.module == "importlib":
                findings.append("uses importlib")
            elif node.module.split(".")[0] in INTROSPECTION_MODULES:
                findings.append(f"imports from {node.module}, {_INTROSPECTS}")
            findings += [f"imports {alias.name}" for alias in node.names if alias.name in names]
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            if node.attr == "modules" and getattr(node.value, "id", None) == "sys":
                findings.append("reaches into sys.modules, which could hide an import")
            if node.attr in names:  # anp.softmax, torch's .backward: never the student's own
                findings.append(f"uses .{node.attr}")
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in OPAQUE_CALLS:
                findings.append(f"calls {name}(), which could hide an import")
            elif name in INTROSPECTION_CALLS:
                findings.append(f"calls {name}(), {_INTROSPECTS}")
            elif name in ("ex", "ev", "run_cell", "run_code"):
                findings.append(f"runs code from a string with get_ipython().{name}()")
            elif name == "open" and any(
                (_folded(arg) or "").endswith(".ipynb") for arg in node.args[:1]
            ):
                findings.append("reads a notebook file, where other cells' text could hide code")

        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in names and node.id not in own:
                findings.append(f"uses {node.id}")
        if isinstance(node, (ast.BinOp, ast.JoinedStr, ast.Call)) and not isinstance(
            node, ast.Constant
        ):
            text = _folded(node)
            if text and "autodiff_lab" in text and not _allowed_text(text, allowed):
                findings.append("builds the name autodiff_lab from pieces of text")
    return findings


def _allowed_text(text: str, allowed: tuple) -> bool:
    return any(name in text for name in allowed)


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
