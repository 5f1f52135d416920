"""Shared test set-up: one hypothesis profile, the `slow` marker, and in CI a skip fails."""

import os

import pytest
from hypothesis import settings

# One profile for every property test. No deadline: on a shared 2-core machine a
# slow example is the machine's doing, not a bug. Thirty examples per test keep
# `make check` inside its budget.
settings.register_profile("autodiff-lab", max_examples=30, deadline=None)
settings.load_profile("autodiff-lab")

# Test modules each of whose tests starts a kernel, a sandbox, nbgrader or a browser:
# seconds apiece, so `make check` (-m "not slow") leaves them to `make test`. Listed here
# rather than in each file so that the grading tests' own files stay theirs to reshape.
SLOW_MODULES = {
    "tests/grading/test_adversarial.py",
    "tests/grading/test_check_in_a_kernel.py",
    "tests/grading/test_grading_autograder.py",
    "tests/grading/test_grading_cli.py",
    "tests/grading/test_grading_sandbox.py",
    "tests/grading/test_nbgrader_compat.py",
}


# Test modules that run sandboxed kernels. They share one pytest-xdist worker, one after
# another: the batch tests count every process of the sandbox users as a survivor, so a
# batch graded beside another would see the other's kernels.
SANDBOX_MODULES = {
    "tests/grading/test_adversarial.py",
    "tests/grading/test_grading_autograder.py",
    "tests/grading/test_grading_cli.py",
    "tests/grading/test_grading_sandbox.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path.relative_to(config.rootpath).as_posix()
        if path in SLOW_MODULES or path.endswith(".ipynb"):  # a notebook runs in a kernel
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under `--dist loadscope` (make test, make check), one unit of work per test file.

    A unit runs on one worker, in order: each module's fixtures are made once, each
    notebook's cells run in order in one kernel, and the sandboxed modules, which form
    one unit together, run one at a time.
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneUnitPerFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "sandboxed grading" if path in SANDBOX_MODULES else path

    return OneUnitPerFile(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        # A skip for a missing dependency would hide a missing install step.
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must install everything: {reason}"
