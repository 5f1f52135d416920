"""Build the lesson notebooks from their sources and execute them.

Each lesson is written as a plain Python file in ``notebooks/src/`` in jupytext's
"percent" format (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown
cell whose lines start with ``# ``; cell metadata such as tags rides on the
marker line: ``# %% tags=["nbval-ignore-output"]``). jupytext reads each one,
this script runs it with nbclient and saves ``notebooks/<name>.ipynb`` with its
outputs, so that nbval can check it.

    python tools/build_notebooks.py            # every lesson
    python tools/build_notebooks.py 03 05      # lessons whose names start so
    python tools/build_notebooks.py --check    # exit 1 if a notebook's cells differ from its source

To edit a lesson in JupyterLab instead, see "Editing a lesson" in README.md
(jupytext pairs ``notebooks/*.ipynb`` with ``notebooks/src/*.py``; notebooks/jupytext.toml).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.cell_metadata import _JUPYTEXT_CELL_METADATA
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks" / "src"
NOTEBOOKS = ROOT / "notebooks"
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def notebook_from_source(path: Path) -> nbformat.NotebookNode:
    """The lesson's notebook, unexecuted: its cells and their metadata, as jupytext reads them."""
    notebook = jupytext.read(path, fmt="py:percent")
    notebook.metadata = nbformat.NotebookNode(kernelspec=KERNEL, language_info={"name": "python"})
    for index, cell in enumerate(notebook.cells):
        for key in _JUPYTEXT_CELL_METADATA:  # how the text was laid out, not the cell's own
            cell.metadata.pop(key, None)
        cell["id"] = f"{path.stem[:40]}-{index}"  # stable ids: no random churn in diffs
    nbformat.validate(notebook)
    return notebook


def execute(notebook: nbformat.NotebookNode, timeout: int = 300) -> None:
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        coalesce_streams=True,  # one output per stream: no churn from how prints were chunked
    )
    client.execute()
    for cell in notebook.cells:  # execution metadata holds timestamps
        cell.metadata.pop("execution", None)


def stable_widget_ids(notebook: nbformat.NotebookNode, name: str) -> None:
    """Rename the saved widgets' model ids (random uuids) to ids that depend only on the
    lesson's name and where each widget sits, so rebuilding a lesson changes its file
    only where its content changed.

    The order: widgets shown by the outputs, cell by cell, each followed by the models
    it refers to (``IPY_MODEL_<id>`` in its state, keys sorted); then any other model,
    by its state with the ids masked.
    """
    widgets = notebook.metadata.get("widgets", {}).get(WIDGET_STATE)
    if not widgets:
        return
    models = widgets["state"]
    order: list[str] = []

    def visit(model_id: str) -> None:
        pending = [model_id]
        while pending:
            current = pending.pop(0)
            if current in order or current not in models:
                continue
            order.append(current)
            pending += MODEL_REFERENCE.findall(json.dumps(models[current], sort_keys=True))

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                visit(view["model_id"])

    def masked(model_id: str) -> str:
        return re.sub(r"[0-9a-f]{32}", "", json.dumps(models[model_id], sort_keys=True))

    for model_id in sorted(set(models) - set(order), key=masked):
        visit(model_id)
    renamed = {
        old: hashlib.sha256(f"{name}-widget-{index}".encode()).hexdigest()[:32]
        for index, old in enumerate(order)
    }
    text = re.sub(
        r"[0-9a-f]{32}",
        lambda match: renamed.get(match.group(0), match.group(0)),
        json.dumps({"cells": notebook.cells, "widgets": models}),
    )
    renamed_parts = json.loads(text)
    notebook.cells = nbformat.from_dict(renamed_parts["cells"])
    widgets["state"] = renamed_parts["widgets"]


def source_cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str, dict]]:
    """What the source decides: each cell's kind, text and metadata (outputs aside)."""
    return [(cell.cell_type, cell.source, dict(cell.metadata)) for cell in notebook.cells]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="build only lessons whose names start so")
    parser.add_argument("--check", action="store_true", help="only compare sources and notebooks")
    args = parser.parse_args(argv)
    sources = sorted(SOURCES.glob("*.py"))
    if args.prefixes:
        sources = [s for s in sources if any(s.stem.startswith(p) for p in args.prefixes)]
    stale = []
    for source in sources:
        target = NOTEBOOKS / f"{source.stem}.ipynb"
        wanted = notebook_from_source(source)
        if args.check:
            current = nbformat.read(target, as_version=4) if target.exists() else None
            if current is None or source_cells(current) != source_cells(wanted):
                stale.append(target.name)
            continue
        print(f"building {target.name}", file=sys.stderr)
        execute(wanted)
        stable_widget_ids(wanted, source.stem)
        nbformat.write(wanted, target)
    if stale:
        print("out of date (run tools/build_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
