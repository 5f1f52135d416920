"""The sandbox's shape, the refusal without one, shards, copying flags and CSV safety."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import builders
import pytest

from autodiff_lab.cli import main
from autodiff_lab.grading import sandbox
from autodiff_lab.grading.autograder import (
    GradeOptions,
    SubmissionResult,
    TestOutcome,
    csv_text,
    grade,
    spreadsheet_safe,
)
from autodiff_lab.grading.catalogue import EXERCISES, engine_view
from autodiff_lab.grading.copying import library_use
from autodiff_lab.grading.notebook_format import ANSWER, grade_id_of, role_of
from autodiff_lab.grading.shards import ShardError, merge_csv, parse_shard, select_shard
from autodiff_lab.grading.submission import display_name

# The sandbox needs bubblewrap; in CI this skip fails the run (see conftest.py).
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get install bubblewrap)"
)

SPEC = sandbox.SandboxSpec(uid=61234, memory_mb=256, processes=64, disk_mb=8)


def test_the_sandbox_binds_python_and_the_package_but_not_the_project(tmp_path):
    arguments = sandbox.bwrap_arguments(SPEC, as_root=True)
    binds = [arguments[i + 1] for i, a in enumerate(arguments) if a in ("--ro-bind", "--bind")]
    project = builders.ROOT
    for path in binds:
        # The package folder may sit inside the project; the project itself never is bound.
        assert Path(path) != project and not (project / "exercises").is_relative_to(path)
    assert str(Path(sandbox.__file__).resolve().parents[1]) in binds  # autodiff_lab
    referee = str(Path(sandbox.__file__).resolve().parent / "referee")
    assert arguments[arguments.index(referee) - 1] == "--tmpfs"
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"):
        assert flag in arguments
    assert "--die-with-parent" in arguments and "--new-session" in arguments


def test_as_root_the_kernel_drops_to_its_own_user_and_a_user_namespace():
    command = sandbox.wrap(["python"], SPEC)
    assert "--reuid=61234" in command and "--no-new-privs" in command
    inner = command.index("--unshare-user")
    assert command[inner - 1].endswith("bwrap") and "--disable-userns" in command[inner:]


@pytest.mark.parametrize("as_root", [True, False])
def test_cgroups_are_joined_before_the_sandbox_starts(monkeypatch, as_root):
    monkeypatch.setattr(sandbox, "running_as_root", lambda: as_root)
    spec = sandbox.SandboxSpec(**{**SPEC.__dict__, "cgroups": ("/sys/fs/cgroup/x",)})
    command = sandbox.wrap(["python"], spec)
    assert command[:2] == ["/bin/sh", "-c"]
    assert "/sys/fs/cgroup/x/cgroup.procs || exit 121" in command[2]
    assert command[4].endswith("bwrap")
    assert any(argument.startswith("--reuid=") for argument in command) == as_root


def test_without_a_sandbox_grade_refuses_and_says_how_to_opt_out(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    monkeypatch.setattr(sandbox, "_AVAILABLE_FOR", {})  # as on a machine that never had one
    submission = builders.save(builders.submission("wengert_list"), tmp_path / "a.ipynb")
    source = builders.SOURCES / "wengert_list.ipynb"
    code = main(
        ["grade", "--source", str(source), str(submission), "--out", str(tmp_path / "g.csv")]
    )
    assert code == 2
    error = capsys.readouterr().err
    assert "bubblewrap is not installed" in error and "--unsafe-no-sandbox" in error
    assert not (tmp_path / "g.csv").exists()


def test_unsandboxed_rows_say_so(tmp_path):
    submission = builders.save(builders.solved("wengert_list"), tmp_path / "a.ipynb")
    options = GradeOptions(cell_timeout=10, memory_mb=768, unsafe_no_sandbox=True)
    (result,) = grade(builders.SOURCES / "wengert_list.ipynb", [submission], options)
    assert result.total == result.max_total == 5
    assert result.reason.startswith("graded WITHOUT a sandbox") and not result.sandboxed


def test_spreadsheet_formulas_are_neutralised():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1"):
        assert spreadsheet_safe(text).startswith("'")
    assert spreadsheet_safe("plain text, 1 + 1") == "plain text, 1 + 1"
    result = SubmissionResult(
        '=HYPERLINK("x")', 0.0, 1.0, "-cmd", [TestOutcome("t", 1, 0, "failed")]
    )
    (row,) = list(csv.reader(io.StringIO(csv_text([result], ["t"]))))[1:]
    assert row[0] == '\'=HYPERLINK("x")' and row[-1] == "'-cmd"


def test_undecodable_file_names_print_as_escapes():
    name = display_name(os.fsdecode(b"bad-\xff.ipynb"))
    assert name == "bad-\\udcff.ipynb"
    name.encode("utf-8")  # always writable


def test_shards_split_a_sorted_list_and_merge_back(tmp_path):
    items = [f"s{i:02d}" for i in range(10)]
    pieces = [select_shard(items, k, 3) for k in (1, 2, 3)]
    assert sorted(sum(pieces, [])) == items and all(pieces)
    assert parse_shard("2/8") == (2, 8)
    for bad in ("0/3", "4/3", "x", "1/2/3"):
        with pytest.raises(ShardError):
            parse_shard(bad)
    paths = []
    for k, piece in enumerate(pieces):
        results = [
            SubmissionResult(name, 1.0, 1.0, "", [TestOutcome("t", 1, 1, "passed")])
            for name in piece
        ]
        paths.append(tmp_path / f"p{k}.csv")
        paths[-1].write_text(csv_text(results, ["t"]))
    merged = list(csv.reader(io.StringIO(merge_csv(paths))))
    assert merged[0][:2] == ["submission", "student_id"]
    assert merged[0][-5:] == ["t", "t max", "total", "total max", "reason"]
    assert [row[0] for row in merged[1:]] == items
    with pytest.raises(ShardError, match="more than one piece"):
        merge_csv([paths[0], paths[0]])


def test_the_merge_command_joins_pieces(tmp_path, capsys):
    for k in (1, 2):
        result = SubmissionResult(f"s{k}", 1.0, 1.0, "", [TestOutcome("t", 1, 1, "passed")])
        (tmp_path / f"p{k}.csv").write_text(csv_text([result], ["t"]))
    out = tmp_path / "all.csv"
    assert (
        main(["merge", str(tmp_path / "p1.csv"), str(tmp_path / "p2.csv"), "--out", str(out)]) == 0
    )
    assert out.read_text().splitlines()[1:] == ["s1,,,,,,,1,1,1,1,", "s2,,,,,,,1,1,1,1,"]


@pytest.mark.parametrize(
    "code, flagged",
    [
        ("from autodiff_lab import Value", True),
        ("import autodiff_lab.reverse as r\nValue = r.Value", True),
        ("mod = __import__('autodiff' + '_lab')", True),
        ("import importlib\nimportlib.import_module('x')", True),
        ("from autodiff_lab.grading import check", False),
        ("import math\nclass Value:\n    pass", False),
        ("%timeit 1 + 1\nx = 1", False),
    ],
)
def test_an_answer_that_imports_the_librarys_own_implementation_is_flagged(code, flagged):
    assert bool(library_use("value_class", [code])) == flagged
    assert library_use("xor_mlp", [code]) == []  # that exercise builds on the library


@pytest.mark.parametrize(
    "code, reason",
    [
        ("def matmul_vjp(g, A, B):\n    return vjp(lambda a: a @ B, A)[1](g), None", "uses vjp"),
        ("gb = grad(lambda b: anp.sum(g * b))(b)", "uses grad"),
        ("f = numerical_derivative", "uses numerical_derivative"),
        ("p = anp.softmax(logits, axis=1)", "uses .softmax"),
        ("from scipy.special import logsumexp", "imports logsumexp"),
        ("import torch", "imports torch"),
        ("from jax import grad as g", "imports from jax"),
        ("t.backward()", "uses .backward"),
        ("import autodiff_lab.array_rules as rules", "imports autodiff_lab.array_rules"),
        ("import autodiff_lab.numpy as anp", "imports autodiff_lab.numpy"),
        ("from autodiff_lab.arrays import backward", "imports from autodiff_lab.arrays"),
    ],
)
def test_an_array_vjps_answer_that_lets_the_engine_do_the_work_is_flagged(code, reason):
    flags = library_use("array_vjps", [code])
    assert any(flag.endswith(reason) for flag in flags), flags
    assert flags[0].startswith("the exercise asks for its own VJPs, but the answer ")
    assert library_use("xor_mlp", [code]) == []


@pytest.mark.parametrize(
    "code",
    [
        "def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n"
        "    return e / e.sum(axis=1, keepdims=True)\np = softmax(logits)",
        "grad_A = g @ B.T",  # a variable that only looks like the engine's name
        "def f(grad):\n    return grad * 2",
    ],
)
def test_an_array_vjps_answer_that_does_the_work_itself_is_not_flagged(code):
    assert library_use("array_vjps", [code]) == []


def test_the_array_vjps_key_is_not_flagged():
    sources = [c.source for c in builders.source("array_vjps").cells if role_of(c) == ANSWER]
    assert len(sources) == 8 and library_use("array_vjps", sources) == []


def test_a_submission_that_imports_the_library_is_flagged_in_the_report(tmp_path):
    solved = builders.solved("wengert_list")
    answers = {grade_id_of(cell): cell.source for cell in solved.cells if role_of(cell) == ANSWER}
    answers["primal_answer"] = "from autodiff_lab.trace import trace\n" + answers["primal_answer"]
    path = builders.save(builders.submission("wengert_list", answers), tmp_path / "copy.ipynb")
    options = GradeOptions(cell_timeout=10, memory_mb=768)
    (result,) = grade(builders.SOURCES / "wengert_list.ipynb", [path], options)
    # The import fails in the sandbox, so the primal trace is never defined; the other
    # parts run with the grader's primal trace, and the instructor sees why.
    assert result.scores == {"primal_tests": 0, "tangent_tests": 2, "adjoint_tests": 2}
    assert result.flags and "imports from autodiff_lab.trace" in result.flags[0]
    assert "flagged:" in result.reason


def test_the_kernel_sees_its_own_assembled_notebook_and_nothing_secret(tmp_path):
    look = (  # what the kernel finds, scored: primal_trace survives only if it is as expected
        "import json, os\n"
        "text = open('submission.ipynb', encoding='utf-8').read()\n"
        "seen = ('primal_tests' in text, 'BEGIN HIDDEN TESTS' in text,\n"
        "        'BEGIN ' 'SOLUTION' in text, os.getcwd(), os.listdir('.'))\n"
        "if seen != (True, True, False, '/home/student/work', ['submission.ipynb']):\n"
        "    del primal_trace"
    )
    unmarked = {
        grade_id_of(cell): "\n".join(line for line in cell.source.splitlines() if "###" not in line)
        for cell in builders.source("wengert_list").cells
        if role_of(cell) == ANSWER
    }
    nb = builders.submission("wengert_list", unmarked, extra_after={"primal_tests": [look]})
    path = builders.save(nb, tmp_path / "looks.ipynb")
    (result,) = grade(
        builders.SOURCES / "wengert_list.ipynb", [path], GradeOptions(cell_timeout=10)
    )
    assert result.total == 5 and "reads a notebook file" in result.reason  # and it is a note


# -- each exercise's sandbox shows only what the exercise builds on ---------------------------

VIEW_PROBE = r"""
import glob, importlib, json, os, sys
found = {}
for name in sys.argv[1].split(","):
    try:
        importlib.import_module(name)
        found[name] = "imported"
    except Exception as error:
        found[name] = type(error).__name__
import autodiff_lab
folder = os.path.dirname(autodiff_lab.__file__)
paths = glob.glob(folder + "/**", recursive=True)
found["files"] = sorted(os.path.relpath(path, folder) for path in paths if path != folder + "/")
print(json.dumps(found))
"""
ENGINE_MODULES = sorted(
    path.stem
    for path in (builders.ROOT / "autodiff_lab").glob("*.py")
    if path.stem not in ("__init__", "cli")
)
# Other engines installed here, and a module of each.
OTHER_ENGINES = [
    name
    for package, module in (("micrograd", "micrograd.engine"), ("autograd", "autograd.core"))
    if find_spec(package)
    for name in (package, module)
]


def _inside(exercise: str, tmp_path: Path, names: list[str]) -> dict:
    engine, exports = engine_view(exercise)
    init = tmp_path / f"{exercise}_init.py"
    init.write_text(sandbox.package_init_text(exports))
    init.chmod(0o644)
    spec = sandbox.SandboxSpec(
        uid=sandbox.sandbox_uid(1999),
        memory_mb=1024,
        processes=64,
        disk_mb=8,
        engine=engine,
        package_init=str(init),
    )
    command = sandbox.wrap([sys.executable, "-c", VIEW_PROBE, ",".join(names)], spec)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_nothing_in_an_exercises_sandbox_implements_what_it_asks(exercise, tmp_path):
    engine, _ = engine_view(exercise)
    names = [f"autodiff_lab.{name}" for name in ENGINE_MODULES]
    names += [f"autodiff_lab.grading.referee.{exercise}", "autodiff_lab.grading.referee"]
    names += ["autodiff_lab.grading.check", "autodiff_lab.grading.probes", *OTHER_ENGINES]
    found = _inside(exercise, tmp_path, names)
    shown = sandbox.module_closure(engine)
    assert set(engine) <= set(shown)
    for name in ENGINE_MODULES:
        wanted = "imported" if name in shown else "ModuleNotFoundError"
        assert found[f"autodiff_lab.{name}"] == wanted, name
    assert found[f"autodiff_lab.grading.referee.{exercise}"] == "ModuleNotFoundError"
    assert found["autodiff_lab.grading.check"] == found["autodiff_lab.grading.probes"] == "imported"
    for name in OTHER_ENGINES:
        assert found[name] == "ModuleNotFoundError", name
    files = found["files"]
    assert not [path for path in files if path.startswith("grading/referee/")]
    assert not [path for path in files if path.endswith(".pyc") and "referee" in path]
    top = {path.removesuffix(".py") for path in files if "/" not in path}
    assert top <= {"__init__", "grading", *shown}


def test_the_view_of_an_exercise_that_builds_on_value_exports_it():
    text = sandbox.package_init_text({"Value": "reverse"})
    assert "from .reverse import Value" in text and "Dual" not in text


# -- where there is no sandbox, the true reason --------------------------------------------


@pytest.mark.parametrize(
    "setting, value, advice",
    [
        ("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=1"),
        ("user/max_user_namespaces", "0", "user.max_user_namespaces=10000"),
        ("kernel/apparmor_restrict_unprivileged_userns", "1", "apparmor_restrict_unprivileged"),
    ],
)
def test_a_machine_without_user_namespaces_is_named_as_the_reason(tmp_path, setting, value, advice):
    (tmp_path / setting).parent.mkdir(parents=True)
    (tmp_path / setting).write_text(value + "\n")
    reason = sandbox.namespaces_disabled(as_root=False, sysctl=tmp_path)
    assert "does not let ordinary users create user namespaces" in reason and advice in reason
    assert sandbox.namespaces_disabled(as_root=True, sysctl=tmp_path) == ""
    (tmp_path / setting).write_text("1\n" if value == "0" else "0\n")
    assert sandbox.namespaces_disabled(as_root=False, sysctl=tmp_path) == ""


def test_bwraps_own_words_become_a_reason_a_person_can_act_on():
    reason = sandbox.explain_failure("bwrap: setting up uid map: Permission denied")
    assert "user namespaces may be disabled" in reason and "setting up uid map" in reason


def test_a_delegated_cgroup_v2_subtree_is_used_only_when_it_is_ours(tmp_path):
    root = tmp_path / "cgroup"
    own = root / "user.slice" / "user-1001.slice" / "session-3.scope"
    own.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("memory pids\n")
    parent = own.parent
    (parent / "cgroup.subtree_control").write_text("memory pids\n")
    (parent / "cgroup.procs").write_text("")
    membership = "0::/user.slice/user-1001.slice/session-3.scope\n"
    uid = parent.stat().st_uid
    assert sandbox.delegated_cgroup(root, membership, uid) == parent
    assert sandbox.delegated_cgroup(root, membership, uid + 1) is None  # someone else's
    (parent / "cgroup.subtree_control").write_text("cpu\n")
    assert sandbox.delegated_cgroup(root, membership, uid) is None  # no memory controller
    assert sandbox.delegated_cgroup(root, "1:name=systemd:/\n", uid) is None  # cgroup v1


def test_the_kernel_python_is_named_without_dot_dot_but_keeps_the_venv(monkeypatch):
    # Started as ../../.venv/bin/python, bwrap could not find the interpreter by that name.
    venv_python = Path(sys.executable)
    monkeypatch.setattr(sys, "executable", str(venv_python.parent / ".." / "bin" / "python"))
    named = sandbox.python_executable()
    assert ".." not in named and Path(named).is_absolute()
    assert named == str(venv_python.parent / "python")  # the venv's link, not its target
