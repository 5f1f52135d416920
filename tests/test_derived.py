"""Every generated file is up to date with what it is generated from (`make derived`).

`tools/derived.py --check` compares the exercise sources, the releases, the lessons'
cells and START-HERE.ipynb with what their generators would write; the tests below
also show that the lesson check sees what the hand-written parser it replaced did
not: a cell's metadata.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

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
