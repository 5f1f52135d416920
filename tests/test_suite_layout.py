"""The test suite's own set-up names files that exist: a renamed test file must not drop
out of its worker group (conftest.py's module sets) or of the longest-first order, and
none of the longest units may run in `make check` (`-m "not slow"`)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("suite_set_up", ROOT / "conftest.py")
conftest = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(conftest)
# The scheduler's units that group several modules (conftest.py, `_split_scope`).
GROUPS = {"sandboxed grading": conftest.SANDBOX_MODULES, "sandboxed term": conftest.TERM_MODULES}


def test_every_module_the_set_up_names_exists():
    named = (
        conftest.SLOW_MODULES
        | conftest.SANDBOX_MODULES
        | conftest.TERM_MODULES
        | set(conftest.LESSON_COMPANIONS)
        | set(conftest.LESSON_COMPANIONS.values())
    )
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def test_the_longest_units_are_units_the_scheduler_makes():
    for unit in conftest.LONGEST_FIRST:
        assert unit in GROUPS or (ROOT / unit).is_file(), unit
        assert unit not in conftest.SANDBOX_MODULES | conftest.TERM_MODULES, unit
    assert len(set(conftest.LONGEST_FIRST)) == len(conftest.LONGEST_FIRST)


def _marked_slow(path: str) -> bool:
    return path in conftest.SLOW_MODULES or "pytest.mark.slow" in (ROOT / path).read_text()


def test_make_check_runs_none_of_the_longest_units():
    for unit in conftest.LONGEST_FIRST:
        for path in GROUPS.get(unit, {unit}):
            assert _marked_slow(path), f"{path} is one of the longest units but not marked slow"
