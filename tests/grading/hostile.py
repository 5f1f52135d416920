"""Hostile submissions for the adversarial grading suite: the five classes of issue 7 and the
copying, batch-breaking and hard-coding attacks of issue 15.

Every attacker starts from the released notebook with no real work done, so any
point it gets is a forged one. Each attack is a list of extra code cells
placed after a cell of the notebook (by grade_id), or answer cells of its own;
files that break the batch itself are written by `write_batch_breakers`. The
`array_vjps` and `xor_mlp` attackers at the end replace answer cells (see
`array_attacker` and `xor_attacker`).
"""

from __future__ import annotations

import os
from pathlib import Path

import builders
import nbformat
from nbformat.v4 import new_code_cell, new_notebook

EXERCISE = "value_class"
MARKER = "autodiff-lab-probe:"
SANDBOX_UIDS = range(61000, 63000)

# Test cells call check(...); most attackers first make every check pass in the notebook.
DISARM_CHECK = """
import autodiff_lab.grading as _grading, autodiff_lab.grading.check as _check_module
def check(*args, **kwargs):
    return None
_grading.check = _check_module.check = check
"""

FORGE_ALL_CONFIRMED = f"""
import json as _json
_FORGED = {MARKER!r} + _json.dumps({{gid: [[1.0, 1.0]] * 8 for gid in
    ("exp_tests", "tanh_tests", "division_tests", "backward_tests")}})
"""

SECRET_HUNT = r"""
import glob, os
_found = []
for pattern in ("/work/**/*.ipynb", "/tmp/**/*.ipynb", "/root/**/*.ipynb", "/home/**/*.ipynb",
                "/**/exercises/source/*.ipynb", "/**/definitions/*.py"):
    try:
        _found += glob.glob(pattern, recursive=True)[:50]
    except OSError:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            _found.append(open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace"))
        except OSError:
            pass
_text = ""
for path in _found:
    try:
        _text += open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        pass
print(_text[:50000])
"""

# shutil.rmtree recurses once per level: 3000 levels made it raise RecursionError.
NESTED_FOLDERS = r"""
import os
for top in ("/run/grading-kernel", "/tmp", os.path.expanduser("~"), "/dev/shm", "."):
    try:
        os.chdir(top)
        for _ in range(3000):
            os.mkdir("d")
            os.chdir("d")
    except OSError:
        pass
os.chdir(os.path.expanduser("~/work") if os.path.isdir(os.path.expanduser("~/work")) else "/")
"""

FILL_EVERYTHING = r"""
import os
for folder in ("/run/grading-kernel", "/dev/shm", "/dev", "/tmp", os.path.expanduser("~"), "."):
    for n in range(4):
        try:
            with open(os.path.join(folder, f"fill{n}"), "wb") as f:
                for _ in range(2048):
                    f.write(b"0" * 2**20)
        except OSError:
            pass
"""

# Exception class names chosen to read as instructions in a report.
EXCEPTION_NAMES = r"""
INSTRUCTOR_NOTE = type("INSTRUCTOR_NOTE_verified_by_hand_give_full_marks", (Exception,), {})

class Value(ValueBase):
    def _raise(self, *args):
        raise INSTRUCTOR_NOTE("full marks")
    exp = tanh = __truediv__ = __rtruediv__ = backward = _raise

raise INSTRUCTOR_NOTE("give full marks")
"""

# Memory spread over children, each under the per-process cap, together far over it. The
# honest answer runs only if all twelve hold their 80 MB at the same time: each reports once
# it has its memory, and all must still be alive at the end (a cap that kills a child to let
# the next one grow must not read as twelve successes). Any point means no cap held.
MEMORY_OVER_CHILDREN = r"""
import os, time
ready, report = os.pipe()
children = []
for _ in range(12):
    child = os.fork()
    if child:
        children.append(child)
    else:
        try:
            hog = bytearray(80 * 2**20)
            for i in range(0, len(hog), 4096):
                hog[i] = 1
            os.write(report, b"1")
            time.sleep(30)
        finally:
            os._exit(0)
os.close(report)
got, deadline = b"", time.monotonic() + 4
while len(got) < 12 and time.monotonic() < deadline:
    chunk = os.read(ready, 12)
    if not chunk:
        break
    got += chunk
alive = [os.waitpid(child, os.WNOHANG) == (0, 0) for child in children]
if len(got) == 12 and all(alive):
    exec(HONEST_ANSWER)
"""


def _honest_answer() -> str:
    answers = [
        c.source
        for c in builders.source(EXERCISE).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "value_answer"
    ]
    return "HONEST_ANSWER = " + repr(answers[0]) + "\n"


COPY_SYS_MODULES = r"""
import importlib, sys
package = importlib.import_module("autodiff" + "_lab")
Value = getattr(sys.modules["autodiff" + "_lab"], "Value", None) or importlib.import_module(
    "autodiff_lab." + "reverse"
).Value
"""

COPY_FROM_MARKDOWN = r"""
import json
cells = json.load(open("submission.ipynb", encoding="utf-8"))["cells"]
texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
exec([text for text in texts if "SECRET-IMPORT" in text][0].split("SECRET-IMPORT")[1])
"""
COPY_MARKDOWN_CELL = "Notes. SECRET-IMPORT\nfrom autodiff_lab.reverse import Value\n"

COPY_SOURCE = r"""
import os, autodiff_lab
folder = os.path.dirname(autodiff_lab.__file__)
namespace = {"__name__": "autodiff_lab.reverse", "__package__": "autodiff_lab"}
exec(open(os.path.join(folder, "reverse.py")).read(), namespace)
Value = namespace["Value"]
"""

COPY_COMPILED = r"""
import glob, marshal, os, autodiff_lab
folder = os.path.dirname(autodiff_lab.__file__)
found = glob.glob(os.path.join(folder, "**", "*.pyc"), recursive=True)
compiled = [path for path in found if "reverse" in path or "referee" in path]
namespace = {"__name__": "copied", "__package__": "autodiff_lab"}
exec(marshal.loads(open(compiled[0], "rb").read()[16:]), namespace)
Value = namespace["Value"]
"""

COPY_REFEREE = r"""
from autodiff_lab.grading.referee.value_class import engine_backward
"""

COPY_MICROGRAD = r"""
from micrograd.engine import Value as _MicrogradValue

class Value(_MicrogradValue, ValueBase):
    pass
"""

# name -> (attack class, {grade_id to put the cells after: [cells]})
ATTACKS: dict[str, tuple[int, dict[str, list[str]]]] = {
    # 1. Tampering inside the kernel
    "patch_check": (1, {"value_answer": [DISARM_CHECK]}),
    "patch_math": (
        1,
        {"value_answer": [DISARM_CHECK + "import math\nmath.isclose = lambda *a, **k: True"]},
    ),
    "patch_numpy": (
        1,
        {
            "value_answer": [
                DISARM_CHECK + "import numpy\nnumpy.allclose = numpy.isclose = lambda *a, **k: True"
            ]
        },
    ),
    "patch_probe_runner": (
        1,
        {
            "value_answer": [
                DISARM_CHECK + FORGE_ALL_CONFIRMED + "import autodiff_lab.grading.probes as _p\n"
                "def _fake(exercise, inputs_json, namespace):\n"
                "    try:\n"
                "        from autodiff_lab.grading.referee import reference_values\n"
                "        import json\n"
                "        inputs = json.loads(inputs_json)\n"
                "        print(_p.PROBE_MARKER + json.dumps({g: {'values': list(_p._floats(\n"
                "            reference_values(exercise, g, x)))} for g, x in inputs.items()}))\n"
                "    except Exception:\n"
                "        print(_FORGED)\n"
                "_p.run_probes = _fake\n"
            ]
        },
    ),
    "patch_judge": (
        1,
        {
            "value_answer": [
                DISARM_CHECK + "import autodiff_lab.grading.probes as _p\n"
                "_p.judge = lambda exercise, inputs, printed: {g: None for g in inputs}\n"
                "_p._verdict = lambda *a: None\n"
            ]
        },
    ),
    "input_transformer_cleanup": (
        1,
        {
            "value_answer": [
                DISARM_CHECK
                + FORGE_ALL_CONFIRMED
                + "get_ipython().input_transformers_cleanup.append(\n"
                "    lambda lines: ['print(_FORGED)\\n'])"
            ]
        },
    ),
    "input_transformer_post": (
        1,
        {
            "value_answer": [
                DISARM_CHECK
                + FORGE_ALL_CONFIRMED
                + "get_ipython().input_transformers_post.append(\n"
                "    lambda lines: ['print(_FORGED)\\n'])"
            ]
        },
    ),
    "post_run_cell_hook": (
        1,
        {
            "value_answer": [
                DISARM_CHECK + FORGE_ALL_CONFIRMED + "def _hook(result):\n"
                "    result.error_in_exec = None\n"
                "    print(_FORGED)\n"
                "get_ipython().events.register('post_run_cell', _hook)"
            ]
        },
    ),
    "patched_run_code": (
        1,
        {
            "value_answer": [
                DISARM_CHECK
                + FORGE_ALL_CONFIRMED
                + "_shell = get_ipython()\n_original = _shell.run_code\n"
                "async def _run_code(code_obj, result=None, *, async_=False):\n"
                "    print(_FORGED)\n"
                "    return False\n"
                "_shell.run_code = _run_code"
            ]
        },
    ),
    "always_equal_objects": (
        1,
        {
            "value_answer": [
                DISARM_CHECK + "class Anything(float):\n"
                "    __eq__ = lambda self, other: True\n"
                "    __ne__ = lambda self, other: False\n"
                "    __lt__ = __le__ = __gt__ = __ge__ = lambda self, other: True\n"
                "    def __float__(self):\n        return self\n"
                "class Value(ValueBase):\n"
                "    def _any(self, *args, **kwargs):\n"
                "        return self._new(Anything(1.0), (self,), (Anything(1.0),), 'any')\n"
                "    exp = tanh = __truediv__ = __rtruediv__ = _any\n"
                "    def backward(self):\n"
                "        for node in self.topological_order():\n"
                "            node.grad = Anything(0.0)\n"
            ]
        },
    ),
    "swap_json_module": (
        1,
        {
            "value_answer": [
                DISARM_CHECK
                + FORGE_ALL_CONFIRMED
                + "import sys, types\n_fake = types.ModuleType('json')\n"
                "_fake.dumps = lambda *a, **k: _FORGED[len(" + repr(MARKER) + "):]\n"
                "_fake.loads = _json.loads\nsys.modules['json'] = _fake"
            ]
        },
    ),
    "hijack_stdout": (
        1,
        {
            "value_answer": [
                DISARM_CHECK + FORGE_ALL_CONFIRMED + "import sys\n_write = sys.stdout.write\n"
                "sys.stdout.write = lambda text: _write(_FORGED + '\\n')"
            ]
        },
    ),
    # 2. Skipping the grader's own check
    "last_cell_os_exit": (2, {"backward_tests": ["import os\nos._exit(0)"]}),
    "last_cell_sigkill": (2, {"backward_tests": ["import os, signal\nos.kill(os.getpid(), 9)"]}),
    "last_cell_hangs_ignoring_sigint": (
        2,
        {
            "backward_tests": [
                "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
            ]
        },
    ),
    "kills_its_parent": (
        2,
        {"backward_tests": ["import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"]},
    ),
    # 3. Reading what the student must not see
    "hunts_sources_and_cmdlines": (
        3,
        {
            "value_answer": [DISARM_CHECK, SECRET_HUNT + "raise ValueError(_text[:5000])"],
        },
    ),
    "reads_history_and_hooks": (
        3,
        {
            "value_answer": [
                DISARM_CHECK + "_seen = []\n"
                "def _spy(info):\n"
                "    _seen.append(info.raw_cell)\n"
                "    print('\\n'.join(_seen))\n"
                "get_ipython().events.register('pre_run_cell', _spy)\n"
            ]
        },
    ),
    "echoes_in_errors": (
        3,
        {
            "backward_tests": [
                "raise RuntimeError(str(In) + str(globals().keys()))",
                "import sys\nraise SystemExit(str(sys.modules.keys()))",
            ]
        },
    ),
    # 4. Reaching outside
    "signals_everyone": (
        4,
        {
            "value_answer": [
                "import os, signal\nfor pid in range(2, 70000):\n"
                "    try:\n        os.kill(pid, signal.SIGTERM)\n"
                "    except OSError:\n        pass\n"
                "try:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass"
            ]
        },
    ),
    "writes_report_pipes": (
        4,
        {
            "value_answer": [
                "import glob, json\nfor fd in glob.glob('/proc/*/fd/*'):\n"
                "    try:\n"
                "        with open(fd, 'w') as pipe:\n"
                "            forged = ['x', 0, 'probes', {'exp_tests': None}]\n"
                "            pipe.write(json.dumps(forged) + '\\n')\n"
                "    except OSError:\n        pass"
            ]
        },
    ),
    "setsid_daemon": (
        4,
        {
            "value_answer": [
                "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                "        while True:\n"
                "            for path in ('/tmp/daemon', os.path.expanduser('~/daemon')):\n"
                "                try:\n                    open(path, 'a').write('alive\\n')\n"
                "                except OSError:\n                    pass\n"
                "            time.sleep(0.2)\n    os._exit(0)\n"
            ]
        },
    ),
    "plants_code_for_later": (
        4,
        {
            "value_answer": [
                "import os, sys, site, autodiff_lab\n"
                "_payload = ('import autodiff_lab.grading.check as c\\n'\n"
                "            'c.check = lambda *a, **k: None\\n')\n"
                "_targets = [os.path.join(p, 'sitecustomize.py') for p in sys.path if p]\n"
                "_targets += [os.path.join(p, 'zzz_planted.pth') for p in site.getsitepackages()]\n"
                "_package = os.path.dirname(autodiff_lab.__file__)\n"
                "_targets += [os.path.join(_package, 'grading', 'check.py')]\n"
                "_startup = '~/.ipython/profile_default/startup/00-plant.py'\n"
                "_targets += [os.path.expanduser(_startup)]\n"
                "_targets += ['/tmp/sitecustomize.py', '/work/planted.py']\n"
                "for _t in _targets:\n"
                "    try:\n        os.makedirs(os.path.dirname(_t), exist_ok=True)\n"
                "        open(_t, 'a').write(_payload)\n    except OSError:\n        pass\n"
            ]
        },
    ),
    "fills_the_disk": (
        4,
        {
            "value_answer": [
                "import os\nfor folder in ('/tmp', os.path.expanduser('~'), '.'):\n"
                "    try:\n        with open(os.path.join(folder, 'fill'), 'wb') as f:\n"
                "            for _ in range(10_000):\n                f.write(b'0' * 2**20)\n"
                "    except OSError:\n        pass"
            ]
        },
    ),
    "fork_bomb": (
        4,
        {
            "value_answer": [
                "import os, time\nchildren = 0\nfor _ in range(5000):\n    try:\n"
                "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
                "        children += 1\n    except OSError:\n        break\nprint(children)"
            ]
        },
    ),
    "memory_in_children": (
        4,
        {
            "value_answer": [
                "import os, time\nfor _ in range(8):\n    if os.fork() == 0:\n"
                "        try:\n            hog = bytearray(600 * 2**20)\n"
                "            for i in range(0, len(hog), 4096):\n                hog[i] = 1\n"
                "            time.sleep(20)\n        finally:\n            os._exit(0)\n"
                "time.sleep(3)"
            ]
        },
    ),
    # 5. Breaking the batch (in-kernel part; the files that break it are below)
    "widget_message_flood": (
        5,
        {
            "value_answer": [
                "from ipykernel.comm import Comm\n_c = Comm(target_name='flood', data={})\n"
                "for _ in range(100_000):\n    _c.send({'state': {'x': 'y' * 200}})"
            ]
        },
    ),
    "spreadsheet_formula_cell": (
        5,
        {"value_answer": ["=cmd|' /C calc'!A0 if False else 1/0"]},
    ),
    "nested_folders_everywhere": (5, {"value_answer": [NESTED_FOLDERS]}),
    "fills_every_writable_place": (5, {"value_answer": [FILL_EVERYTHING]}),
    "exception_names_as_messages": (5, {"value_answer": [DISARM_CHECK + EXCEPTION_NAMES]}),
    "memory_spread_over_children": (4, {"value_answer": [_honest_answer() + MEMORY_OVER_CHILDREN]}),
    # 6. Copying the engine's own Value, however it is spelled: fails, it is not there
    "copy_import": (6, {"value_answer": ["from autodiff_lab import Value"]}),
    "copy_with_a_magic": (6, {"value_answer": ["%time from autodiff_lab import Value"]}),
    "copy_through_sys_modules": (6, {"value_answer": [COPY_SYS_MODULES]}),
    "copy_through_ipython_ex": (
        6,
        {"value_answer": ["get_ipython().ex('from autodiff_lab.reverse import Value')"]},
    ),
    "copy_from_markdown": (6, {"value_answer": [COPY_FROM_MARKDOWN]}),
    "copy_after_importing_grading": (
        6,
        {"value_answer": ["import autodiff_lab.grading, autodiff_lab\nValue = autodiff_lab.Value"]},
    ),
    "copy_the_engines_source": (6, {"value_answer": [COPY_SOURCE]}),
    "copy_compiled_files": (6, {"value_answer": [COPY_COMPILED]}),
    "copy_the_referee": (6, {"value_answer": [DISARM_CHECK + COPY_REFEREE]}),
    "copy_another_engine": (6, {"value_answer": [COPY_MICROGRAD]}),
}


def attacker(name: str) -> nbformat.NotebookNode:
    _, extra = ATTACKS[name]
    notebook = builders.submission(EXERCISE, extra_after=extra)
    if name == "copy_from_markdown":
        notebook.cells.append(nbformat.v4.new_markdown_cell(COPY_MARKDOWN_CELL))
    return notebook


def write_batch_breakers(folder: Path) -> dict[str, Path]:
    """Files that attack the batch itself rather than the kernel (class 5)."""
    paths: dict[str, Path] = {}

    def put(name: str, data: bytes, file_name: str | bytes | None = None) -> None:
        target = (
            Path(os.fsdecode(os.path.join(os.fsencode(folder), file_name)))
            if isinstance(file_name, bytes)
            else folder / (file_name or f"{name}.ipynb")
        )
        target.write_bytes(data)
        paths[name] = target

    put("deep_json", b"[" * 200_000 + b"]" * 200_000)
    put("huge_integer", b'{"cells": [], "metadata": {}, "nbformat": ' + b"9" * 200_000 + b"}")
    stub = nbformat.writes(builders.submission(EXERCISE)).encode()
    put("undecodable_name", stub, b"bad-\xff\xfe-name.ipynb")
    many = new_notebook(cells=[new_code_cell("pass") for _ in range(20_000)])
    put("twenty_thousand_cells", nbformat.writes(many).encode())
    put("formula_file_name", stub, '=HYPERLINK("x")+1.ipynb')
    # Two names that displayed the same: a raw byte, and the text of its escape.
    put("twin_name_escape_text", stub, "bad-\\udcff-twin.ipynb")
    put("twin_name_raw_byte", stub, b"bad-\xff-twin.ipynb")
    link = folder / "symlink_to_source.ipynb"
    link.symlink_to(builders.SOURCES / f"{EXERCISE}.ipynb")
    paths["symlink_to_source"] = link
    return paths


def attacker_classes() -> dict[int, list[str]]:
    classes: dict[int, list[str]] = {}
    for name, (kind, _) in ATTACKS.items():
        classes.setdefault(kind, []).append(name)
    classes[5] += ["deep_json", "huge_integer", "undecodable_name", "twenty_thousand_cells"]
    classes[5] += ["formula_file_name", "symlink_to_source"]
    classes[5] += ["twin_name_escape_text", "twin_name_raw_byte"]
    return classes


def secret_lines(source: nbformat.NotebookNode) -> list[str]:
    """Lines of the solution and hidden-test regions that the student's release does not have."""
    released = {
        line.strip()
        for cell in builders.release_notebook(source).cells
        for line in cell.source.splitlines()
    }
    secrets = []
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped.startswith("### BEGIN"):
                inside = True
            elif stripped.startswith("### END"):
                inside = False
            elif inside and len(stripped) >= 16 and stripped not in released:
                secrets.append(stripped)
    return secrets


# -- Aimed at array_vjps: answers that let the engine work, or that the probes must catch ----

ARRAY_EXERCISE = "array_vjps"

# Correct answers that let the engine do the work: they fail in the sandbox, which has no engine.
_ENGINE = "import autodiff_lab.numpy as anp\nfrom autodiff_lab import grad, vjp\n\n"
ENGINE_ANSWERS = {
    "matmul_answer": _ENGINE + "def matmul_vjp(g, A, B):\n"
    "    return vjp(lambda a: anp.matmul(a, B), A)[1](g), vjp(lambda b: anp.matmul(A, b), B)[1](g)",
    "add_answer": _ENGINE + "def add_vjp(g, a_shape, b_shape):\n"
    "    both = grad(lambda x, y: anp.sum(g * (x + y)), argnums=(0, 1))\n"
    "    return tuple(np.asarray(x) for x in both(np.zeros(a_shape), np.zeros(b_shape)))",
    "cross_entropy_answer": _ENGINE + "def softmax_cross_entropy(logits, labels):\n"
    "    rows = np.arange(len(labels))\n"
    "    return -anp.mean(anp.log_softmax(logits, axis=1)[rows, labels])",
    "cross_entropy_vjp_answer": _ENGINE + "def softmax_cross_entropy_vjp(logits, labels):\n"
    "    return grad(softmax_cross_entropy)(logits, labels)",
    "classifier_answer": _ENGINE + "def classifier_gradients(X, W, b, labels):\n"
    "    loss = lambda w, c: softmax_cross_entropy(X @ w + c, labels)\n"
    "    return tuple(grad(loss, argnums=(0, 1))(W, b))",
    "tanh_answer": _ENGINE + "def tanh_vjp(g, x):\n    return vjp(anp.tanh, x)[1](g)",
    "mlp_answer": _ENGINE + "def mlp_gradients(X, W1, b1, W2, b2, labels):\n"
    "    def loss(w1, c1, w2, c2):\n"
    "        return softmax_cross_entropy(anp.tanh(X @ w1 + c1) @ w2 + c2, labels)\n"
    "    return tuple(grad(loss, argnums=(0, 1, 2, 3))(W1, b1, W2, b2))",
    "residual_answer": _ENGINE + "def residual_gradients(X, W1, b1, W2, b2, labels):\n"
    "    def loss(w1, c1, w2, c2):\n"
    "        a = X @ w1 + c1\n"
    "        return softmax_cross_entropy((a + anp.tanh(a)) @ w2 + c2, labels)\n"
    "    return tuple(grad(loss, argnums=(0, 1, 2, 3))(W1, b1, W2, b2))",
}
_NAMES = {
    "matmul_answer": ("matmul_vjp", "g, A, B"),
    "add_answer": ("add_vjp", "g, a_shape, b_shape"),
    "cross_entropy_answer": ("softmax_cross_entropy", "logits, labels"),
    "cross_entropy_vjp_answer": ("softmax_cross_entropy_vjp", "logits, labels"),
    "classifier_answer": ("classifier_gradients", "X, W, b, labels"),
    "tanh_answer": ("tanh_vjp", "g, x"),
    "mlp_answer": ("mlp_gradients", "X, W1, b1, W2, b2, labels"),
    "residual_answer": ("residual_gradients", "X, W1, b1, W2, b2, labels"),
}


def _wrapped(wrap: str, prelude: str = "") -> dict[str, str]:
    """The right answers (the source's), each passed through ``wrap`` (code using ``_answer``)."""
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: "\n".join(
            line for line in c.source.splitlines() if "###" not in line
        )
        for c in builders.source(ARRAY_EXERCISE).cells
        if c.metadata.get("nbgrader", {}).get("grade_id") in _NAMES
    }
    cells = {}
    for grade_id, code in solutions.items():
        name, args = _NAMES[grade_id]
        inner = code.replace(f"def {name}(", f"def _{name}(", 1)
        body = wrap.format(call=f"_{name}({args})")
        cells[grade_id] = (
            f"{prelude if grade_id == 'matmul_answer' else ''}{inner}\n\n"
            f"def {name}({args}):\n{body}"
        )
    return cells


_PROBED = (
    "import inspect\n\n"
    "def _probed():\n"
    "    return any(frame.function == 'run_probes' for frame in inspect.stack())\n\n"
)

# name -> the answer cells that replace the release's
ARRAY_ATTACKS: dict[str, dict[str, str]] = {
    # Right numbers in shapes that broadcast to the right ones: an extra leading axis.
    "array_broadcastable_shapes": _wrapped(
        "    result = {call}\n"
        "    if isinstance(result, tuple):\n"
        "        return tuple(np.asarray(x)[None] for x in result)\n"
        "    return np.asarray(result)[None]"
    ),
    # Right on the notebook's own inputs, zeros on the grader's.
    "array_probe_detector": _wrapped(
        "    result = {call}\n"
        "    if not _probed():\n"
        "        return result\n"
        "    if isinstance(result, tuple):\n"
        "        return tuple(np.zeros_like(x) for x in result)\n"
        "    return np.zeros_like(result)",
        _PROBED,
    ),
    # Right, but too slow for the grader's own check.
    "array_slow_under_probe": _wrapped(
        "    if _probed():\n        import time\n        time.sleep(600)\n    return {call}",
        _PROBED,
    ),
}


def array_attacker(name: str) -> nbformat.NotebookNode:
    if name == "array_engine_answers":
        return builders.submission(ARRAY_EXERCISE, ENGINE_ANSWERS)
    return builders.submission(ARRAY_EXERCISE, ARRAY_ATTACKS[name])


# -- Aimed at custom_primitives: the engine's own functions in place of the student's --------

PRIMITIVES_EXERCISE = "custom_primitives"
# Right values and gradients, all the engine's work; the sandbox shows the engine here, so
# only the check that each primitive is the student's own (and is used) stands between them
# and the points. Training through value_and_grad is the part's own subject, so it may pass.
_ANP = "import autodiff_lab.numpy as anp\n\n"
PRIMITIVES_ENGINE_ANSWERS = {
    "tanh_answer": _ANP + "tanh = anp.tanh",
    "matmul_answer": _ANP + "matmul = anp.matmul",
    "loss_answer": _ANP + "def softmax_cross_entropy(logits, labels):\n"
    "    rows = np.arange(len(labels))\n"
    "    return -anp.mean(anp.log_softmax(logits, axis=1)[rows, labels])",
    "network_answer": _ANP + "def network_loss(params, X, labels):\n"
    "    W1, b1, W2, b2 = params\n"
    "    return softmax_cross_entropy(anp.tanh(X @ W1 + b1) @ W2 + b2, labels)",
    "train_answer": "def train_network(params, X, labels, steps, learning_rate):\n"
    "    losses = []\n"
    "    for _ in range(steps):\n"
    "        loss, grads = value_and_grad(network_loss)(params, X, labels)\n"
    "        losses.append(float(loss))\n"
    "        params = [p - learning_rate * g for p, g in zip(params, grads)]\n"
    "    return params, losses",
}


def primitives_attacker() -> nbformat.NotebookNode:
    return builders.submission(PRIMITIVES_EXERCISE, PRIMITIVES_ENGINE_ANSWERS)


# -- Aimed at xor_mlp: outputs hard-coded, with closed forms fitted to last round's probes -----

XOR_EXERCISE = "xor_mlp"
XOR_HARD_CODED = {
    "mlp_answer": """
class MLP:
    def __init__(self, n_hidden=4, seed=0):
        rng = random.Random(seed)
        self.weights = [Value(rng.uniform(-1, 1)) for _ in range(4 * n_hidden + 1)]

    def __call__(self, x):
        exclusive = 1.0 if (x[0] > 0.5) != (x[1] > 0.5) else 0.0
        return (self.weights[0] * 0.0 + (8.0 * exclusive - 4.0)).sigmoid()

    def parameters(self):
        return list(self.weights)
""",
    "loss_answer": """
def mse_loss(model, inputs, targets):
    w = model.w
    total = 0.0
    for x, t in zip(inputs, targets):
        total = total + (w * (x[0] + x[1]) - t) ** 2
    return total / len(inputs)
""",
    "train_answer": """
def train(model, inputs, targets, steps=500, learning_rate=2.0):
    losses = []
    for _ in range(steps):
        loss = mse_loss(model, inputs, targets)
        model.w.grad = 0.0
        loss.backward()
        model.w.data -= learning_rate * model.w.grad
        losses.append(loss.data)
    return losses
""",
}


def xor_attacker() -> nbformat.NotebookNode:
    return builders.submission(XOR_EXERCISE, XOR_HARD_CODED)
