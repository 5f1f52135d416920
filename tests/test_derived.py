"""Every generated file is up to date with what it is generated from (`make derived`).

`tools/derived.py --check` compares the exercise sources, the releases, the lessons'
cells and START-HERE.ipynb with what their generators would write; the tests below
also show that the lesson check sees what the hand-written parser it replaced did
not: a cell's metadata.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import uuid

import nbformat
from repository import ROOT, script


def build_notebooks():
    return script("tools/build_notebooks.py")


def test_every_derived_file_is_up_to_date():
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "derived.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


LESSON = """\
# %% [markdown]
# # A lesson
#
# With a *tagged* cell.

# %% tags=["nbval-ignore-output"]
print(id(object()))


# %%
x = 1
x
"""


def test_a_lesson_keeps_its_cells_metadata_and_stable_ids(tmp_path):
    source = tmp_path / "99_tags.py"
    source.write_text(LESSON, encoding="utf-8")
    notebook = build_notebooks().notebook_from_source(source)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds == ["markdown", "code", "code"]
    assert notebook.cells[0].source == "# A lesson\n\nWith a *tagged* cell."
    assert notebook.cells[1].metadata == {"tags": ["nbval-ignore-output"]}
    assert notebook.cells[2].metadata == {}  # jupytext's layout hints stay out
    assert [cell.id for cell in notebook.cells] == ["99_tags-0", "99_tags-1", "99_tags-2"]
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_the_check_names_a_lesson_whose_source_changed(tmp_path, monkeypatch, capsys):
    tool = build_notebooks()
    sources = tmp_path / "src"
    sources.mkdir()
    (sources / "99_tags.py").write_text(LESSON, encoding="utf-8")
    monkeypatch.setattr(tool, "SOURCES", sources)
    monkeypatch.setattr(tool, "NOTEBOOKS", tmp_path)
    nbformat.write(tool.notebook_from_source(sources / "99_tags.py"), tmp_path / "99_tags.ipynb")
    assert tool.main(["--check"]) == 0
    # A tag removed in the source is a change, though the cell's text is the same.
    (sources / "99_tags.py").write_text(LESSON.replace(' tags=["nbval-ignore-output"]', ""))
    assert tool.main(["--check"]) == 1
    assert "99_tags.ipynb" in capsys.readouterr().err
    # A lesson without its notebook is stale too.
    shutil.copy(sources / "99_tags.py", sources / "98_new.py")
    assert tool.main(["--check"]) == 1
    assert "98_new.ipynb" in capsys.readouterr().err


def random_widget_ids(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every widget model id replaced by a fresh random one, as a new
    run of the lesson gives."""
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    text = nbformat.writes(notebook)
    for model_id in state:
        text = text.replace(model_id, uuid.uuid4().hex)
    return nbformat.reads(text, as_version=4)


def test_rebuilt_lessons_keep_their_widget_ids():
    tool = build_notebooks()
    lesson = nbformat.read(ROOT / "notebooks" / "05_reverse_mode.ipynb", as_version=4)
    lesson.cells[1].source += "\n# 0123456789abcdef0123456789abcdef is not a widget"
    state = lesson.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    layout = next(model for model in state.values() if model["model_name"] == "LayoutModel")
    for width in range(6):  # models no output shows and none refers to
        unshown = copy.deepcopy(layout)
        unshown["state"]["width"] = f"{width}px"
        state[uuid.uuid4().hex] = unshown
    first, second = random_widget_ids(lesson), random_widget_ids(lesson)
    assert nbformat.writes(first) != nbformat.writes(second)  # two runs, two sets of ids
    for run in (first, second):
        tool.stable_widget_ids(run, "05_reverse_mode")
    assert nbformat.writes(first) == nbformat.writes(second)

    state = first.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert len(state) == 36 + 6  # every model kept
    text = nbformat.writes(first)
    shown = re.findall(r'"model_id": "([0-9a-f]{32})"', text)
    referred = re.findall(r"IPY_MODEL_([0-9a-f]{32})", text)
    assert len(shown) == 2 and referred
    assert set(shown) | set(referred) <= set(state)  # nothing points at a missing model
    assert "0123456789abcdef0123456789abcdef is not a widget" in text
    assert tool.stable_widget_ids(nbformat.v4.new_notebook(), "empty") is None
