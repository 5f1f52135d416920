"""The hostile batch graded as an ordinary user, as most instructors run it.

When the suite runs as root (CI does), the grading command runs as
``AUTODIFF_LAB_TEST_USER`` (``autodiff-lab-ci``, made by ``.ci/run``; a missing
user is a skip, which fails in CI); otherwise it runs as the suite's own user.
The outcomes are `adversarial`'s, the same as root's; this module grades every
class of attack (`adversarial.BY_RUNNER`), root's only those whose defence differs
as root.
"""

from __future__ import annotations

import shutil

import hostile
import pytest
from adversarial import *  # noqa: F403 - the outcome tests, judged on this module's batch
from adversarial import AS_USER, BY_RUNNER, attackers, graded_batch, row_of

# The sandbox needs bubblewrap; in CI this skip fails the run (see conftest.py).
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)


@pytest.fixture(scope="module")
def batch():
    yield from graded_batch(AS_USER)


def test_the_whole_batch_is_graded_here(batch):
    assert BY_RUNNER[AS_USER] == set(hostile.attacker_classes())
    assert set(attackers(BY_RUNNER[AS_USER])) == set(hostile.ATTACKS)


def test_copying_fails_and_is_still_noted_for_the_instructor(batch):
    copiers = attackers({6})
    assert len(copiers) >= 10
    for name in copiers:
        row = row_of(batch, name)
        assert float(row["total"]) == 0.0, (name, row["reason"])
    assert "flagged:" in row_of(batch, "copy_with_a_magic")["reason"]
    assert "flagged:" in row_of(batch, "copy_from_markdown")["reason"]
