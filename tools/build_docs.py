"""Build the documentation site: static HTML from docs/, the docstrings and the saved lessons.

    python tools/build_docs.py              # into docs/_build/html (make docs)
    python tools/build_docs.py --out DIR    # into DIR/html (the tests use a temporary folder)

Sphinx (with myst-nb) reads a staging copy of docs/ in OUT/source, to which this script
adds two things it generates:

* ``api.md``: an API reference with a page per public name (`public_names`), made by
  autosummary and autodoc from the docstrings;
* ``lessons/``: each lesson notebook as saved, outputs and all, with two changes for a
  static page: a drawing is inline SVG (``image/svg+xml`` outputs, and SVG images in
  HTML ones), and a widget becomes the picture of its first step: its own still picture
  where its output has one (the steppers' ``text/html``), else one drawn from the state
  its models held when the lesson was saved (`static_widget`). No notebook is executed
  and nothing is fetched.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import importlib
import inspect
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PICTURE = "autodiff_lab.widgets.picture.Picture"  # the steppers' anywidget

# The modules of the API reference, in the order the page lists them. A module's public
# names are its __all__ or, without one, the classes and functions it defines itself.
DOCUMENTED_MODULES = [
    "autodiff_lab",
    "autodiff_lab.math",
    "autodiff_lab.numpy",
    "autodiff_lab.nn",
    "autodiff_lab.widgets",
    "autodiff_lab.datasets",
    "autodiff_lab.ops",
    "autodiff_lab.rules",
    "autodiff_lab.symbolic",
    "autodiff_lab.grading",
]


def public_names(module_name: str) -> list[str]:
    """The public names `module_name` documents (submodules aside: they have their own entry).

    For ``autodiff_lab.numpy`` these are the functions it adds to numpy's; the numpy
    functions it wraps are numpy's, documented by numpy.
    """
    module = importlib.import_module(module_name)
    if module_name == "autodiff_lab.numpy":
        import numpy

        return [name for name in module.__all__ if not hasattr(numpy, name)]
    if hasattr(module, "__all__"):
        names = list(module.__all__)
    else:
        names = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and value.__module__ == module_name
        ]
    return [name for name in names if not inspect.ismodule(getattr(module, name))]


def public_members(cls: type) -> list[str]:
    """The methods and properties a public class defines itself, by name."""
    return [
        name
        for name, value in vars(cls).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod)))
    ]


def api_page() -> str:
    """api.md: every documented module, its docstring's first line, and a page per name."""
    lines = [
        "# API reference",
        "",
        "Every public name of the package, from its docstring. `import autodiff_lab` gives the",
        "names in the first table; the others live in the module that heads their table.",
        "",
    ]
    for module_name in DOCUMENTED_MODULES:
        lines += [
            f"## `{module_name}`",
            "",
            "```{eval-rst}",
            f".. automodule:: {module_name}",
            "   :no-members:",
            "",
            ".. autosummary::",
            "   :toctree: api",
            "   :nosignatures:",
            "",
            *(f"   {name}" for name in public_names(module_name)),
            "```",
            "",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Lessons as static pages


def _models(notebook: nbformat.NotebookNode) -> dict:
    return notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


def _child_id(reference: str) -> str:
    return reference.removeprefix("IPY_MODEL_")


def static_widget(model_id: str, models: dict) -> str:
    """HTML for a widget as its saved state shows it: its first step, nothing to click."""
    model = models.get(model_id)
    if model is None:
        return ""
    name, state = model["model_name"], model["state"]
    classes = " ".join(["static-widget", *state.get("_dom_classes", [])])
    description = html.escape(str(state.get("description", "")))
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel"):
        direction = "row" if name == "HBoxModel" else "column"
        inner = "".join(static_widget(_child_id(c), models) for c in state.get("children", []))
        style = f"display:flex;flex-direction:{direction};gap:4px;align-items:flex-start"
        return f'<div class="{classes}" style="{style}">{inner}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f'<div class="{classes}">{state.get("value", "")}</div>'
    if name == "LabelModel":
        return f'<span class="{classes}">{html.escape(str(state.get("value", "")))}</span>'
    if name == "ButtonModel":
        return f'<button class="{classes}" disabled>{description}</button>'
    if name == "PlayModel":
        return f'<button class="{classes}" disabled>▶</button>'
    if state.get("_anywidget_id") == PICTURE:  # a stepper's caption and picture, both HTML
        return (
            f'<div class="{classes}"><div class="autodiff-caption">{state.get("caption", "")}'
            f'</div><div class="autodiff-picture-box">{state.get("value", "")}</div></div>'
        )
    if name == "OutputModel":
        return f'<div class="{classes}">{_static_outputs(state.get("outputs", []))}</div>'
    if "value" in state and not name.endswith(("StyleModel", "LayoutModel")):
        value = html.escape(str(state["value"]))
        return f'<span class="{classes}">{description} <b>{value}</b></span>'
    return ""


def _static_outputs(outputs: list) -> str:
    parts = []
    for output in outputs:
        data = output.get("data", {})
        if "text/html" in data or "image/svg+xml" in data:
            parts.append(data.get("text/html") or data["image/svg+xml"])
        elif "image/png" in data:
            parts.append(f'<img src="data:image/png;base64,{data["image/png"]}" alt="">')
        elif "text" in output or "text/plain" in data:
            text = output.get("text") or data["text/plain"]
            parts.append(f"<pre>{html.escape(text)}</pre>")
    return "".join(parts)


SVG_IMAGE = re.compile(r'<img\b[^>]*\bsrc="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]*>')


def inline_svg_images(text: str) -> str:
    """Each ``<img>`` of a base64 SVG in ``text`` as the SVG itself, so the page holds the
    drawing's text (searchable, selectable, its nodes in the page's DOM)."""

    def inline(match: re.Match) -> str:
        svg = base64.b64decode(match.group(1)).decode("utf-8")
        return svg[svg.find("<svg") :] if "<svg" in svg else match.group(0)

    return SVG_IMAGE.sub(inline, text)


def static_lesson(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The lesson for a static page: drawings inline, widgets as their first step."""
    notebook = copy.deepcopy(notebook)
    models = _models(notebook)
    notebook.metadata.pop("widgets", None)  # else the page would fetch a widget manager
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _unlink_repository_files(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data:
                continue
            if WIDGET_VIEW in data:  # its own still picture if it has one, else its state's
                model_id = data.pop(WIDGET_VIEW)["model_id"]
                if "text/html" not in data:
                    picture = static_widget(model_id, models)
                    data["text/html"] = picture or html.escape(data.get("text/plain", ""))
            elif "image/svg+xml" in data and "text/html" not in data:
                data["text/html"] = f'<div class="drawing">{data["image/svg+xml"]}</div>'
            if "text/html" in data:
                data["text/html"] = inline_svg_images(data["text/html"])
    return notebook


# A Markdown link to a file of the repository that the site does not have.
REPOSITORY_LINK = re.compile(r"\[([^\]]+)\]\(\.\./((?:exercises|START-HERE)[^)\s]*)\)")


def _unlink_repository_files(text: str) -> str:
    """``[Ex. 1](../exercises/release/x.ipynb)`` → ``Ex. 1 (`exercises/release/x.ipynb` ...)``."""
    return REPOSITORY_LINK.sub(lambda m: f"{m.group(1)} (`{m.group(2)}` in the repository)", text)


def stage(source: Path) -> None:
    """Fill ``source`` with docs/, api.md and the static lessons: what Sphinx reads."""
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build", "__pycache__"))
    shutil.copy(ROOT / "exercises" / "README.md", source / "exercises-README.md")
    (source / "api.md").write_text(api_page(), encoding="utf-8")
    lessons = source / "lessons"
    lessons.mkdir()
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nbformat.write(static_lesson(nbformat.read(path, as_version=4)), lessons / path.name)


def build(out: Path) -> Path:
    """Stage and build the site under ``out``; the path of its index.html."""
    from sphinx.cmd.build import build_main

    source = out / "source"
    shutil.rmtree(source, ignore_errors=True)
    stage(source)
    html_dir = out / "html"
    status = build_main(["-b", "html", "-q", "-W", "--keep-going", str(source), str(html_dir)])
    if status != 0:
        raise SystemExit(f"sphinx-build failed ({status}); its warnings are above")
    return html_dir / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS / "_build", help="build folder")
    args = parser.parse_args(argv)
    index = build(args.out.resolve())
    print(f"built {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
