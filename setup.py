"""Only one thing pyproject.toml cannot say: the course ships inside the wheel.

The lessons (``notebooks/*.ipynb``), ``START-HERE.ipynb`` and the exercises
(``exercises/source``, ``definitions``, ``release``, ``README.md``) live at the
repository's root, where the tests and ``make derived`` keep them; a wheel
gets a copy of them under ``autodiff_lab/course/`` (package data), which
``autodiff-lab lessons DIR`` and ``autodiff-lab exercises DIR`` copy out. A
checkout or an editable install reads them from the root instead
(`autodiff_lab.course_files`).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COURSE_FILES = (
    ("START-HERE.ipynb",),
    ("notebooks", "*.ipynb"),
    ("exercises", "README.md"),
    ("exercises/source", "*.ipynb"),
    ("exercises/release", "*.ipynb"),
    ("exercises/definitions", "*.py"),
)


class BuildWithCourse(build_py):
    """build_py, then the course's files copied into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout
            return
        target = Path(self.build_lib) / "autodiff_lab" / "course"
        for folder, *pattern in COURSE_FILES:
            paths = (
                sorted((ROOT / folder).parent.glob(Path(folder).name))
                if not pattern
                else (sorted((ROOT / folder).glob(pattern[0])))
            )
            for path in paths:
                destination = target / path.relative_to(ROOT)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)


setup(cmdclass={"build_py": BuildWithCourse})
