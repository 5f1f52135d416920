"""Write START-HERE.ipynb, the page `make lab` opens: every lesson and exercise, in order.

Lesson titles come from the first heading of each ``notebooks/src/*.py``,
exercise titles from each exercise's introduction; each exercise is listed
under the lesson it practises (its ``AFTER_LESSON``).

    python tools/build_start_page.py          # write START-HERE.ipynb
    python tools/build_start_page.py --check  # exit 1 if the committed page differs
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "START-HERE.ipynb"
HEADING = re.compile(r"^# (.+)$", re.M)
LESSON_HEADING = re.compile(r"^# # (.+)$", re.M)

INTRO = """\
# autodiff-lab: start here

{lessons} lessons on automatic differentiation, each a notebook, and {exercises}
graded exercises, each placed after the lesson it practises. Open one, then run it
top to bottom (**Run ▸ Run All Cells**); the lessons are saved with their
outputs, so you can also read first and run later.

In an exercise, write your code in the cells marked `# YOUR CODE HERE`, then
run the test cell below it (or `check("part")` anywhere): it shows a ✓ or ✗
row for each case with the numbers expected and got, and a hint for the usual
mistake. Run All always reaches the end, so you see every part's status.
"""


def _load_build_sources():
    path = ROOT / "exercises" / "build_sources.py"
    spec = importlib.util.spec_from_file_location("build_sources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lessons() -> list[tuple[int, str, str]]:
    """(number, title, notebook path) for each lesson."""
    found = []
    for source in sorted((ROOT / "notebooks" / "src").glob("*.py")):
        text = source.read_text(encoding="utf-8")
        title = LESSON_HEADING.search(text)  # the first markdown heading, "# # Lesson 1 · ..."
        number = int(source.stem.split("_")[0])
        found.append((number, title.group(1).strip(), f"notebooks/{source.stem}.ipynb"))
    return found


def exercises() -> list[tuple[int, str, str]]:
    """(lesson it follows, title, student notebook path) for each exercise, in their order."""
    build_sources = _load_build_sources()
    found = []
    for name in build_sources.ORDER:
        module = build_sources._load(name)
        title = HEADING.search(module.INTRO).group(1).strip()
        found.append((module.AFTER_LESSON, title, f"exercises/release/{module.NAME}.ipynb"))
    return found


def page_text() -> str:
    all_lessons, all_exercises = lessons(), exercises()
    lines = [INTRO.format(lessons=len(all_lessons), exercises=len(all_exercises))]
    by_lesson: dict[int, list[tuple[str, str]]] = {}
    for lesson, title, path in all_exercises:
        by_lesson.setdefault(lesson, []).append((title, path))
    orphans = sorted(set(by_lesson) - {number for number, _, _ in all_lessons})
    if orphans:  # the page would silently leave those exercises out
        missing = ", ".join(f"{n} ({', '.join(p for _, p in by_lesson[n])})" for n in orphans)
        raise SystemExit(f"exercises follow lessons that notebooks/src/ lacks: lesson {missing}")
    for number, title, path in all_lessons:
        lines.append(f"- [{title}]({path})")
        lines.extend(f"  - ✎ [{name}]({where})" for name, where in by_lesson.get(number, []))
    lines.append(
        "\nInstructors: the versions with solutions and hidden tests are in "
        "`exercises/source/`; see `exercises/README.md` for grading."
    )
    return "\n".join(lines)


def page() -> nbformat.NotebookNode:
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    notebook = new_notebook(metadata={"kernelspec": kernel, "language_info": {"name": "python"}})
    cell = new_markdown_cell(page_text())
    cell.id = "start-here"
    notebook.cells = [cell]
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    text = nbformat.writes(page()) + "\n"
    current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else None
    if current == text:
        return 0
    if args.check:
        print("START-HERE.ipynb is out of date: run python tools/build_start_page.py")
        return 1
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
