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
import os
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
        nbformat.write(wanted, target)
    if stale:
        print("out of date (run tools/build_notebooks.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
