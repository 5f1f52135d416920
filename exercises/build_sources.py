"""Write the instructor notebooks in exercises/source/ from exercises/definitions/.

Each definition module names its exercise (``NAME``) and lists its cells
(``cells()``) with the builders of `autodiff_lab.grading.notebook_format`, so
the committed notebooks can be rebuilt byte for byte:

    python exercises/build_sources.py          # write exercises/source/*.ipynb
    python exercises/build_sources.py --check  # exit 1 if a committed file differs
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from autodiff_lab.grading.files import write_atomically
from autodiff_lab.grading.notebook_format import dumps, exercise_notebook

HERE = Path(__file__).resolve().parent
DEFINITIONS = HERE / "definitions"
SOURCE_DIR = HERE / "source"
# Lesson order, which is also how the exercises are numbered.
ORDER = (
    "dual_numbers",
    "wengert_list",
    "value_class",
    "softmax_jacobian",
    "xor_mlp",
    "array_vjps",
)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"exercise_{name}", DEFINITIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source_texts() -> dict[str, str]:
    """File name -> notebook text, for every exercise."""
    texts = {}
    for name in ORDER:
        module = _load(name)
        texts[f"{module.NAME}.ipynb"] = dumps(exercise_notebook(module.NAME, module.cells()))
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for file_name, text in source_texts().items():
        path = SOURCE_DIR / file_name
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
