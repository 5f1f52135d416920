"""Build the lesson notebooks from their sources and execute them.

Each lesson is written as a plain Python file in ``notebooks/src/`` using the
"percent" cell format (``# %%`` starts a code cell, ``# %% [markdown]`` a
markdown cell whose lines start with ``# ``). This script turns each one into
``notebooks/<name>.ipynb`` with nbformat, runs it with nbclient, and saves it
with its outputs so that nbval can check it.

    python tools/build_notebooks.py            # every lesson
    python tools/build_notebooks.py 03 05      # lessons whose names start so
    python tools/build_notebooks.py --check    # exit 1 if a notebook's cells differ from its source
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks" / "src"
NOTEBOOKS = ROOT / "notebooks"
CELL_MARK = "# %%"


def parse_cells(text: str) -> list[tuple[str, str]]:
    """Split percent-format text into (kind, source) pairs."""
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith(CELL_MARK):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
        elif cells:
            cells[-1][1].append(line)
    parsed = []
    for kind, lines in cells:
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        source = "\n".join(lines).strip("\n")
        if source:
            parsed.append((kind, source))
    return parsed


def notebook_from_source(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, source in parse_cells(path.read_text(encoding="utf-8")):
        if kind == "markdown":
            notebook.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            notebook.cells.append(nbformat.v4.new_code_cell(source))
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{path.stem[:40]}-{index}"  # stable ids: no random churn in diffs
    return notebook


def execute(notebook: nbformat.NotebookNode, timeout: int = 300) -> None:
    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    for cell in notebook.cells:  # execution metadata holds timestamps
        cell.metadata.pop("execution", None)


def source_cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


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
