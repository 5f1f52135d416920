"""Shared test set-up: one hypothesis profile, the `slow` marker, how pytest-xdist splits
the work, each lesson run once per test run, and in CI a skip fails."""

import importlib.util
import inspect
import os
import pickle
import tempfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent

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
    "tests/grading/test_adversarial_as_user.py",
    "tests/grading/test_agreement.py",
    "tests/grading/test_check_in_a_kernel.py",
    "tests/grading/test_grading_autograder.py",
    "tests/grading/test_grading_cli.py",
    "tests/grading/test_grading_sandbox.py",
    "tests/grading/test_nbgrader_compat.py",
    "tests/test_lesson_arrays.py",  # a lesson's run: see LESSON_COMPANIONS
}

# Test modules that check facts of a lesson's own run, and the lesson. The lesson runs
# once per test run: under nbval, whose kernel the module's `probe` function is sent to
# after the lesson's last cell (pytest_runtest_teardown below); the module runs right
# after the lesson, on the same worker. Where nbval does not run the lesson (a module
# run alone), the `lesson_run` fixture runs it once, with the probe as a last cell.
LESSON_COMPANIONS = {"tests/test_lesson_arrays.py": "notebooks/16_from_scalars_to_arrays.ipynb"}
PROBES = pytest.StashKey[dict]()  # lesson -> the probe's code
FACTS = pytest.StashKey[dict]()  # lesson -> (what its probe returned, errors, the notebook)


# Test modules that run sandboxed kernels. They share one pytest-xdist worker, one after
# another: the batch tests count every process of the sandbox users as a survivor, so a
# batch graded beside another would see the other's kernels.
SANDBOX_MODULES = {
    "tests/grading/test_adversarial.py",
    "tests/grading/test_grading_autograder.py",
    "tests/grading/test_grading_cli.py",
    "tests/grading/test_grading_sandbox.py",
}
# The term's modules grade too, one after the other, but beside the modules above: their
# sandboxes run under user ids of their own (see tests/grading/builders.py, UID_OFFSETS).
TERM_MODULES = {"tests/grading/test_term.py"}

# The units of work that take longest in `make test` (a minute or more each, measured),
# longest first. They start first, and the many short files fill in around them, so no
# worker is left running one long unit alone at the end.
LONGEST_FIRST = [
    "sandboxed grading",
    "sandboxed term",
    "tests/browser/test_jupyterlab_e2e.py",
    "tests/grading/test_agreement.py",
    "tests/grading/test_adversarial_as_user.py",
    "tests/grading/test_nbgrader_compat.py",
    "tests/browser/test_docs_site.py",
    "tests/test_benchmarks_smoke.py",
]


def _relative(item) -> str:
    return item.path.relative_to(item.config.rootpath).as_posix()


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = _relative(item)
        if path in SLOW_MODULES or path.endswith(".ipynb"):  # a notebook runs in a kernel
            item.add_marker(pytest.mark.slow)
    config.stash[PROBES], config.stash[FACTS] = {}, {}
    for companion, lesson in LESSON_COMPANIONS.items():
        theirs = [item for item in items if _relative(item) == companion]
        cells = [index for index, item in enumerate(items) if _relative(item) == lesson]
        if not theirs or not cells:
            continue
        config.stash[PROBES][lesson] = probe_code(theirs[0].module)
        kept = [item for item in items if _relative(item) != companion]
        after = kept.index(items[cells[-1]]) + 1  # right after the lesson's last cell
        items[:] = kept[:after] + theirs + kept[after:]


def probe_code(module) -> str:
    """Code that calls the module's ``probe(namespace, **probe_arguments())`` in a lesson's
    kernel and saves what it returns, pickled, to the file named by ``_probe_file``."""
    return (
        inspect.getsource(module.probe)
        + "\nimport pickle as _pickle\n"
        + f"_facts = probe(globals(), **{module.probe_arguments()!r})\n"
        + "with open(_probe_file, 'wb') as _out:\n    _pickle.dump(_facts, _out)\n"
        + "del probe, _facts, _out, _pickle\n"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a lesson's last cell under nbval, before its kernel stops: run the probe there."""
    lesson = _relative(item)
    code = item.config.stash.get(PROBES, {}).get(lesson)
    kernel = getattr(item.parent, "kernel", None)
    if code and kernel is not None and (nextitem is None or nextitem.parent is not item.parent):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "facts.pickle"
            errors = _run_in_nbval_kernel(kernel, f"_probe_file = {str(out)!r}\n{code}")
            found = pickle.loads(out.read_bytes()) if out.exists() else None
        item.config.stash[FACTS][lesson] = (found, errors, nbformat.read(item.path, 4))
    yield


def _run_in_nbval_kernel(kernel, code: str, timeout: float = 300) -> list[str]:
    """Run ``code`` in nbval's kernel; the tracebacks of any errors it raised."""
    msg_id = kernel.execute_cell_input(code, allow_stdin=False)
    errors = []
    while True:
        message = kernel.get_message(stream="iopub", timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "error":
            errors.append("\n".join(message["content"]["traceback"]))
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    kernel.await_reply(msg_id, timeout=timeout)
    return errors


@pytest.fixture(scope="module")
def lesson_run(request):
    """(facts, notebook) of the module's lesson: what its ``probe`` returned in the lesson's
    kernel, and the notebook as run (nbval compares it with the saved one, so that)."""
    lesson = LESSON_COMPANIONS[_relative(request.node)]
    shared = request.config.stash.get(FACTS, {}).get(lesson)
    if shared is None:  # nbval did not run the lesson in this run: run it here, once
        shared = _run_lesson_with_probe(ROOT / lesson, probe_code(request.module))
    facts, errors, notebook = shared
    if errors or facts is None:
        pytest.fail(f"the probe failed in {lesson}'s kernel:\n" + "\n".join(errors))
    return facts, notebook


def _run_lesson_with_probe(path: Path, code: str):
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "tools/build_notebooks.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "facts.pickle"
        notebook.cells.append(nbformat.v4.new_code_cell(f"_probe_file = {str(out)!r}\n{code}"))
        build.execute(notebook)  # raises, with the cell, if any cell fails
        facts = pickle.loads(out.read_bytes())
    notebook.cells.pop()
    return facts, [], notebook


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under `--dist loadscope` (make test, make check), one unit of work per test file.

    A unit runs on one worker, in order: each module's fixtures are made once, each
    notebook's cells run in order in one kernel, and the sandboxed modules, which form
    one unit together, run one at a time. The longest units start first (`LONGEST_FIRST`).
    """
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneUnitPerFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path in SANDBOX_MODULES:
                return "sandboxed grading"
            if path in TERM_MODULES:
                return "sandboxed term"
            return LESSON_COMPANIONS.get(path, path)  # a lesson's checks go with the lesson

        def _assign_work_unit(self, node) -> None:
            for scope in reversed(LONGEST_FIRST):
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

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
