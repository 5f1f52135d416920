"""Write the instructor notebooks and the stored fixed cases from exercises/definitions/.

Each definition module names its exercise (``NAME``), lists its cells
(``cells()``, with the builders of `autodiff_lab.grading.notebook_format` and
`autodiff_lab.grading.authoring`) and declares its fixed cases (``CASES``).
From them come ``exercises/source/<name>.ipynb`` (test cells with their hidden
tests) and ``autodiff_lab/grading/catalogue/<name>_cases.py`` (the fixed cases
with their expected numbers, for the student's ``check``), byte for byte:

    python exercises/build_sources.py          # write both
    python exercises/build_sources.py --check  # exit 1 if a committed file differs
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from autodiff_lab.grading.authoring import fixed_cases_text
from autodiff_lab.grading.catalogue import EXERCISES as ORDER
from autodiff_lab.grading.files import write_atomically
from autodiff_lab.grading.notebook_format import dumps, exercise_notebook

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE / "definitions"
SOURCE_DIR = HERE / "source"
CATALOGUE = HERE.parent / "autodiff_lab" / "grading" / "catalogue"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"exercise_{name}", DEFINITIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source_texts() -> dict[Path, str]:
    """Path -> text of every file built from the definitions."""
    texts = {}
    for name in ORDER:
        module = _load(name)
        texts[CATALOGUE / f"{name}_cases.py"] = fixed_cases_text(name, module.CASES)
        texts[SOURCE_DIR / f"{name}.ipynb"] = dumps(exercise_notebook(name, module.cells()))
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in source_texts().items():
        file_name = path.name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(file_name)
        else:
            write_atomically(path, text)
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run python exercises/build_sources.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
