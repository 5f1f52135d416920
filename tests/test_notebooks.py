"""The lesson notebooks are built from notebooks/src/ and saved executed.

That each notebook's cells are its source's is checked with every other generated
file, in test_derived.py.
"""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_lesson_source_has_a_notebook():
    sources = sorted((ROOT / "notebooks" / "src").glob("*.py"))
    assert [s.stem for s in sources] == [n.stem for n in LESSONS]


def test_lessons_are_saved_executed_with_outputs_and_no_errors():
    assert len(LESSONS) >= 12
    for path in LESSONS:
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code, path.name
        assert all(cell.execution_count is not None for cell in code), path.name
        for cell in code:
            assert not any(output.output_type == "error" for output in cell.outputs), path.name


def test_lessons_end_with_a_try_it_section():
    for path in LESSONS:
        notebook = nbformat.read(path, as_version=4)
        headings = [c.source for c in notebook.cells if c.cell_type == "markdown"]
        assert any("try it" in text.lower() for text in headings[-3:]), path.name
