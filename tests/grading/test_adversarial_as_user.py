"""The hostile batch graded as an ordinary user, as most instructors run it.

When the suite runs as root (CI does), the grading command runs as
``AUTODIFF_LAB_TEST_USER`` (``autodiff-lab-ci``, made by ``.ci/run``; a missing
user is a skip, which fails in CI); otherwise it runs as the suite's own user.
The outcomes are `adversarial`'s, the same as root's.
"""

from __future__ import annotations

import shutil

import pytest
from adversarial import *  # noqa: F403 - the outcome tests, judged on this module's batch
from adversarial import AS_USER, graded_batch

# The sandbox needs bubblewrap; in CI this skip fails the run (see conftest.py).
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)


@pytest.fixture(scope="module")
def batch():
    yield from graded_batch(AS_USER)
