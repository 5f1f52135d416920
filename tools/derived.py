"""Rebuild every generated file of the repository, or check that none is out of date.

In the order each needs the one before:

1. ``exercises/source/*.ipynb``, the instructor notebooks, from ``exercises/definitions/``
   (``exercises/build_sources.py``);
2. ``exercises/release/*.ipynb``, the student notebooks, from those (``autodiff-lab release``);
3. ``notebooks/*.ipynb``, the lessons, from ``notebooks/src/`` and executed
   (``tools/build_notebooks.py``);
4. ``START-HERE.ipynb``, the page ``make lab`` opens (``tools/build_start_page.py``).

    python tools/derived.py          # rebuild what is out of date (make derived)
    python tools/derived.py --check  # exit 1, naming the stale files, if anything is out of date

``--check`` writes nothing and executes no notebook: a lesson is current when its
cells (kind, text, metadata) are its source's; nbval checks its outputs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script(path: Path):
    """The module at ``path``, loaded by file name (the tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _release(argv: list[str]) -> int:
    from autodiff_lab.cli import main

    sources = sorted(str(path) for path in (ROOT / "exercises" / "source").glob("*.ipynb"))
    return main(["release", *sources, "--release-dir", str(ROOT / "exercises" / "release"), *argv])


STEPS = {
    "exercise sources": lambda argv: _script(ROOT / "exercises" / "build_sources.py").main(argv),
    "exercise releases": _release,
    "lessons": lambda argv: _script(ROOT / "tools" / "build_notebooks.py").main(argv),
    "START-HERE.ipynb": lambda argv: _script(ROOT / "tools" / "build_start_page.py").main(argv),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, step in STEPS.items():
        said = io.StringIO()
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            status = step(["--check"] if args.check else [])
        if said.getvalue().strip() and (status != 0 or not args.check):
            print(f"{name}:\n" + "".join(f"  {line}\n" for line in said.getvalue().splitlines()))
        if status != 0:
            stale.append(name)
    if stale:
        what = "out of date" if args.check else "could not be rebuilt"
        print(f"{what}: {', '.join(stale)}; run `make derived` (python tools/derived.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
