"""A whole term from this checkout: author, build, release, grade five students, export, feedback.

See `term` for the steps and the checks; `test_term_wheel.py` runs the same term
from the built wheel in a clean virtual environment.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from term import check_term, run_term

pytestmark = [
    pytest.mark.slow,  # a sandboxed batch and a Gradescope run: half a minute
    pytest.mark.skipif(
        shutil.which("bwrap") is None,
        reason="bubblewrap is not installed (apt-get install bubblewrap)",
    ),
]


def test_a_whole_term_from_the_checkout():
    # Not pytest's tmp_path: as root the sandbox's own user must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="adl-term-"))
    try:
        term = run_term([sys.executable, "-m", "autodiff_lab.cli"], folder)
        check_term(term)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
