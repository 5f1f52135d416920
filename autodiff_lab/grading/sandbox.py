"""A bubblewrap sandbox around each grading kernel: nothing in it reaches the grader or the host.

Each kernel runs inside ``bwrap`` with new PID, mount, network, IPC, UTS and
user namespaces and sees only:

* ``/usr``, Python and its environment, read-only, with other autodiff
  libraries of the environment (PyTorch, JAX, HIPS autograd, ...) hidden;
* a *view* of ``autodiff_lab``: the grading package without the grader's
  references (`referee`), and only the engine modules that the exercise
  builds on (`catalogue`): an exercise that asks for a Value class gets no
  ``Value``, so a submission cannot import the answer, however it spells it;
* its own notebook and connection file, read-only;
* size-capped tmpfs folders, the only things it can write: ``/tmp``, its home,
  ``/dev/shm`` and ``/run/grading-kernel``, where its sockets live. The grader
  reaches those sockets through ``/proc/<pid>/root`` of the sandbox, so the
  kernel never writes to the host's disk and the socket path stays short
  whatever the grader's temporary folder is.

As root, each job gets a user id of its own (`sandbox_uid`) and its memory and
processes are capped by cgroups where the machine has them. As an ordinary
user, bwrap makes the user namespace itself, and the limits across the
kernel's processes come from a delegated cgroup v2 subtree where there is one,
otherwise from a watchdog (`Watchdog`) that adds up the sandbox's memory and
processes and stops it beyond the limits. `check_available` tries all of it
once before a batch and raises `SandboxUnavailable` with the true reason.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOME = "/home/student"
WORK = f"{HOME}/work"
NOTEBOOK = f"{WORK}/submission.ipynb"
KERNEL_IPC = "/run/grading-kernel"  # inside the sandbox: a tmpfs for the kernel's sockets
IPC_MB = 1
SHM_MB = 16
SANDBOX_UID_BASE = 61000  # as root, each job runs as SANDBOX_UID_BASE + (index % UID_RANGE)
UID_RANGE = 2000
CGROUP_PREFIX = "autodiff-lab-grade"
CGROUP_ROOT = Path("/sys/fs/cgroup")
MIB = 2**20
COURSE_DATA = "course"  # the package's copy of the lessons and exercise sources, in a wheel
# Other automatic-differentiation libraries that an environment may hold: hidden in the sandbox.
OTHER_ENGINES = (
    "torch",
    "functorch",
    "jax",
    "jaxlib",
    "autograd",
    "micrograd",
    "tensorflow",
    "mygrad",
    "tinygrad",
    "theano",
    "aesara",
    "pytensor",
    "chainer",
    "mxnet",
)


class SandboxUnavailable(RuntimeError):
    """This machine cannot sandbox a kernel; the message says why."""


@dataclass(frozen=True)
class SandboxSpec:
    """What one job's sandbox is allowed; plain data, so it crosses a process boundary."""

    uid: int
    memory_mb: int
    processes: int
    disk_mb: int
    connection_file: str = ""  # host file, shown read-only at the same path
    notebook: str = ""  # host file shown read-only as NOTEBOOK: the assembled submission
    package_init: str = ""  # host file shown as autodiff_lab/__init__.py ("" = the real one)
    engine: tuple[str, ...] | None = None  # engine modules shown (None: the whole package)
    cgroups: tuple[str, ...] = ()  # cgroup folders the kernel joins before the sandbox starts
    hide: tuple[str, ...] = ()  # host folders never shown, should a readable root hold them


def sandbox_uid(index: int) -> int:
    return SANDBOX_UID_BASE + index % UID_RANGE


def running_as_root() -> bool:
    return os.geteuid() == 0


# ---------------------------------------------------------------------------
# What the kernel sees


def package_folder() -> Path:
    import autodiff_lab

    return Path(autodiff_lab.__file__).resolve().parent


def python_executable() -> str:
    """This Python, as a path the sandbox can run: absolute, with no ``..`` in it
    (``../.venv/bin/python`` names a folder the sandbox binds under its real name).
    Symbolic links stay, so a virtual environment stays one."""
    return os.path.abspath(sys.executable)


def readable_roots() -> list[str]:
    """The folders a kernel needs to read: Python, the environment and the package."""
    candidates = [sys.base_prefix, sys.prefix, str(package_folder())]
    roots: list[str] = []
    for candidate in candidates:
        path = os.path.realpath(candidate)
        if path == "/usr" or path.startswith("/usr/"):
            continue  # bound as a whole
        if not any(path == root or path.startswith(root + "/") for root in roots):
            roots = [root for root in roots if not root.startswith(path + "/")] + [path]
    return roots


def other_engines(roots: list[str]) -> list[str]:
    """bwrap options that hide other autodiff libraries found inside ``roots``: a package
    becomes a folder whose ``__init__.py`` raises ModuleNotFoundError, and so does a module."""
    stand_in = str(Path(__file__).resolve().parent / "hidden_package.py")
    options = []
    for name in OTHER_ENGINES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        folders = list(spec.submodule_search_locations or [])
        files = [] if folders or not spec.origin else [spec.origin]
        for location in folders + files:
            path = os.path.realpath(location)
            if not any(path.startswith(root + "/") for root in [*roots, "/usr"]):
                continue
            if location in folders:
                options += ["--perms", "0755", "--tmpfs", path]
                options += ["--ro-bind", stand_in, f"{path}/__init__.py"]
            else:
                options += ["--ro-bind", stand_in, path]
    return options


def module_closure(modules: tuple[str, ...] | list[str]) -> list[str]:
    """``modules`` of the package and every package module they import at their top level
    (``from . import core``, ``from .rules import X``), found by reading them, so a view
    follows the engine's own layout."""
    package = package_folder()
    found: list[str] = []
    stack = list(modules)
    while stack:
        name = stack.pop()
        if name in found:
            continue
        found.append(name)
        try:
            tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    stack.append(node.module.split(".")[0])
                else:
                    stack.extend(alias.name for alias in node.names)
    return sorted(name for name in found if (package / f"{name}.py").is_file())


def package_view(engine: tuple[str, ...] | None, package_init: str) -> list[str]:
    """bwrap options that show the package as the exercise's kernel may see it.

    The grading package is shown without `referee`; of the engine, only the
    modules named in ``engine`` and the modules they import (`module_closure`),
    under an ``__init__.py`` of the grader's (``package_init``). ``engine=None``
    shows the whole package.
    """
    package = package_folder()
    grading = package / "grading"
    # The grader's references, and compiled files that could hold an older version of them.
    hidden = [grading / "referee", grading / "__pycache__", grading / "catalogue" / "__pycache__"]
    # The course a wheel ships (lessons, instructor sources with their solutions).
    hidden.append(package / COURSE_DATA)
    hiding = [
        option
        for path in hidden
        if path.is_dir()
        for option in ("--perms", "0755", "--tmpfs", str(path))
    ]
    if engine is None:
        return hiding
    options = ["--perms", "0755", "--tmpfs", str(package)]
    options += ["--ro-bind", str(grading), str(grading), *hiding]
    for module in module_closure(engine):
        path = package / f"{module}.py"
        options += ["--ro-bind", str(path), str(path)]
    if package_init:
        options += ["--ro-bind", package_init, str(package / "__init__.py")]
    return options


def package_init_text(exports: dict[str, str]) -> str:
    """The ``autodiff_lab/__init__.py`` of a view: only ``exports`` (name -> module)."""
    from autodiff_lab import __version__

    lines = [
        '"""autodiff_lab as a grading sandbox shows it: only what this exercise builds on."""',
        *(f"from .{module} import {name}" for name, module in sorted(exports.items())),
        f"__version__ = {__version__!r}",
    ]
    return "\n".join(lines) + "\n"


def _parents(paths: list[str]) -> list[str]:
    """Every ancestor folder of ``paths`` outside /usr, top-down, each once."""
    found: list[str] = []
    for path in paths:
        parts = Path(path).parts
        for depth in range(2, len(parts)):
            ancestor = str(Path(*parts[:depth]))
            if ancestor not in found and ancestor != "/usr":
                found.append(ancestor)
    return found


def bwrap_arguments(spec: SandboxSpec, as_root: bool) -> list[str]:
    """The bubblewrap options for one job (without the command)."""
    roots = readable_roots()
    namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    namespaces.append("--unshare-cgroup-try")
    if not as_root:  # the user namespace is bwrap's own; as root it is made inside (see wrap)
        namespaces += ["--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534"]
    arguments = [
        *namespaces,
        "--die-with-parent",
        "--new-session",  # no controlling terminal: nothing can be typed into the grader's shell
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        target = Path("/") / name
        if target.is_symlink():
            arguments += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            arguments += ["--ro-bind", str(target), str(target)]
    arguments += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    arguments += ["--proc", "/proc", "--dev", "/dev"]
    arguments += ["--perms", "1777", "--size", str(SHM_MB * MIB), "--tmpfs", "/dev/shm"]
    disk = str(spec.disk_mb * MIB)
    arguments += ["--perms", "1777", "--size", disk, "--tmpfs", "/tmp"]
    arguments += ["--perms", "0755", "--dir", "/home"]
    arguments += ["--perms", "1777", "--size", disk, "--tmpfs", HOME]
    arguments += ["--perms", "0777", "--dir", WORK]
    arguments += ["--perms", "0777", "--size", str(IPC_MB * MIB), "--tmpfs", KERNEL_IPC]
    shown_files = [path for path in (spec.connection_file,) if path]
    for ancestor in _parents([*roots, *shown_files, str(package_folder())]):
        arguments += ["--perms", "0755", "--dir", ancestor]
    for root in roots:
        arguments += ["--ro-bind", root, root]
    arguments += other_engines(roots)
    arguments += package_view(spec.engine, spec.package_init)
    for path in spec.hide:  # a course's referee and sources, were it kept inside the venv
        real = os.path.realpath(path)
        if os.path.isdir(real) and any(real.startswith(root + "/") for root in roots):
            arguments += ["--perms", "0755", "--tmpfs", real]
    for path in shown_files:
        arguments += ["--ro-bind", path, path]
    if spec.notebook:
        arguments += ["--ro-bind", spec.notebook, NOTEBOOK]
    arguments += ["--chdir", WORK]
    return arguments


def wrap(command: list[str], spec: SandboxSpec) -> list[str]:
    """``command`` run inside the sandbox described by ``spec``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap is not installed (Debian: apt-get install bubblewrap)")
    if running_as_root():
        sandboxed = _as_job_user(bwrap, command, spec)
    else:
        sandboxed = [bwrap, *bwrap_arguments(spec, as_root=False), "--", *command]
    if not spec.cgroups:
        return sandboxed
    # Join the cgroups before anything else runs, so every later process is inside them.
    joins = "; ".join(
        f"echo $$ > {shlex.quote(group)}/cgroup.procs || exit 121" for group in spec.cgroups
    )
    return ["/bin/sh", "-c", f'{joins}; exec "$@"', "sh", *sandboxed]


def _as_job_user(bwrap: str, command: list[str], spec: SandboxSpec) -> list[str]:
    """As root: a first bwrap, then the job's own user, then a user namespace of its own."""
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    drop = [
        setpriv,
        f"--reuid={spec.uid}",
        f"--regid={spec.uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
    ]
    # The second, unprivileged bwrap adds a user namespace owned by the job's own user;
    # it keeps the first one's mounts (its /dev, /proc and capped tmpfs folders).
    inner = [bwrap, "--unshare-user", "--disable-userns", "--die-with-parent"]
    inner += ["--bind", "/", "/", "--"]
    return [bwrap, *bwrap_arguments(spec, as_root=True), "--", *drop, *inner, *command]


# ---------------------------------------------------------------------------
# Reaching the sandbox from outside


def sandbox_root(bwrap_pid: int, timeout: float = 10.0) -> str:
    """``/proc/<pid>/root`` of the sandbox that bwrap (process ``bwrap_pid``) started.

    bwrap's first child is the sandbox's init, in the sandbox's own mount
    namespace; its root is the sandbox's ``/``.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = _children(bwrap_pid)
        if children:
            return f"/proc/{children[0]}/root"
        time.sleep(0.005)
    raise SandboxUnavailable("bubblewrap started no sandbox")


async def sandbox_root_async(bwrap_pid: int, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = _children(bwrap_pid)
        if children:
            return f"/proc/{children[0]}/root"
        await asyncio.sleep(0.005)
    raise SandboxUnavailable("bubblewrap started no sandbox")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, found without recursion."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                text = Path(f"/proc/{current}/task/{task}/children").read_text()
            except OSError:
                continue
            stack.extend(int(child) for child in text.split())
    return found


# ---------------------------------------------------------------------------
# Limits across all of a kernel's processes


def create_cgroups(token: str, memory_mb: int, processes: int) -> tuple[str, ...]:
    """Make this job's memory and pids cgroups; () where the machine offers none to us."""
    try:
        if running_as_root():
            if (CGROUP_ROOT / "cgroup.controllers").is_file():
                return _create_v2(CGROUP_ROOT, token, memory_mb, processes)
            if (CGROUP_ROOT / "memory").is_dir() and (CGROUP_ROOT / "pids").is_dir():
                return _create_v1(token, memory_mb, processes)
            return ()
        parent = delegated_cgroup()
        return _create_v2(parent, token, memory_mb, processes) if parent else ()
    except OSError:
        return ()


def delegated_cgroup(
    root: Path = CGROUP_ROOT, membership: str | None = None, uid: int | None = None
) -> Path | None:
    """A cgroup v2 folder this user may make children in, with memory and pids, or None.

    systemd delegates the subtree of a user's session or service (``Delegate=yes``);
    a process cannot move into a cgroup that is not below its own, so it has to be
    that subtree: the folder of this process's own cgroup, if we own it.
    """
    uid = os.geteuid() if uid is None else uid
    if membership is None:
        try:
            membership = Path("/proc/self/cgroup").read_text()
        except OSError:
            return None
    lines = [line for line in membership.splitlines() if line.startswith("0::")]
    if not lines or not (root / "cgroup.controllers").is_file():
        return None
    own = root / lines[0][3:].strip().lstrip("/")
    parent = own.parent  # our own cgroup holds us, so children go beside it
    try:
        controllers = (parent / "cgroup.subtree_control").read_text().split()
        owner = (parent / "cgroup.procs").stat().st_uid
    except OSError:
        return None
    if owner != uid or not {"memory", "pids"} <= set(controllers):
        return None
    return parent


def _create_v1(token: str, memory_mb: int, processes: int) -> tuple[str, ...]:
    memory = CGROUP_ROOT / "memory" / CGROUP_PREFIX / token
    pids = CGROUP_ROOT / "pids" / CGROUP_PREFIX / token
    try:
        memory.mkdir(parents=True)
        pids.mkdir(parents=True)
        (memory / "memory.limit_in_bytes").write_text(str(memory_mb * MIB))
        try:  # with swap accounting, swap counts too
            (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_mb * MIB))
        except OSError:
            pass
        (pids / "pids.max").write_text(str(processes))
    except OSError:
        remove_cgroups((str(memory), str(pids)))
        raise
    return (str(memory), str(pids))


def _create_v2(root: Path, token: str, memory_mb: int, processes: int) -> tuple[str, ...]:
    parent = root / CGROUP_PREFIX
    parent.mkdir(exist_ok=True)
    if root == CGROUP_ROOT and running_as_root():
        (root / "cgroup.subtree_control").write_text("+memory +pids")
    (parent / "cgroup.subtree_control").write_text("+memory +pids")
    group = parent / token
    try:
        group.mkdir()
        (group / "memory.max").write_text(str(memory_mb * MIB))
        (group / "memory.swap.max").write_text("0")
        (group / "pids.max").write_text(str(processes))
    except OSError:
        remove_cgroups((str(group),))
        raise
    return (str(group),)


def kill_cgroups(groups: tuple[str, ...] | list[str]) -> None:
    """SIGKILL every process left in the cgroups (a last resort; the sandbox normally ends them)."""
    for _ in range(50):
        alive = False
        for group in groups:
            try:
                pids = Path(group, "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                alive = True
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError, PermissionError):
                    pass
        if not alive:
            return
        time.sleep(0.02)


def remove_cgroups(groups: tuple[str, ...] | list[str]) -> None:
    kill_cgroups(groups)
    for group in groups:
        for _ in range(50):
            try:
                os.rmdir(group)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)  # the last processes are still being torn down


class Watchdog:
    """Stops a sandbox whose processes together use more than ``memory_mb`` or number more
    than ``processes``: the limit across children where no cgroup can hold it.

    ``check()`` adds up the resident memory of the bwrap process ``pid`` and all its
    descendants (shared pages counted in each process, so it errs on the safe side)
    and, beyond a limit, kills bwrap, which takes the whole sandbox with it.
    """

    def __init__(self, pid: int, memory_mb: int, processes: int) -> None:
        self.pid, self.memory_mb, self.processes = pid, memory_mb, processes
        self.stopped_because = ""
        self.closed = False
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def check(self) -> bool:
        """False once the sandbox has been stopped."""
        if self.stopped_because:
            return False
        pids = descendants(self.pid)
        used = 0
        for pid in pids:
            try:
                used += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
            except (OSError, IndexError, ValueError):
                pass
        if used > self.memory_mb * MIB:
            self.stop(f"its processes used more than {self.memory_mb} MB of memory together")
        elif len(pids) > self.processes + 3:  # bwrap, its init and the kernel itself
            self.stop(f"it started more than {self.processes} processes")
        return not self.stopped_because

    def stop(self, reason: str) -> None:
        self.stopped_because = reason
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    async def run(self, interval: float = 0.1) -> None:
        while not self.closed and self.check():
            await asyncio.sleep(interval)


# ---------------------------------------------------------------------------
# Is there a sandbox here?

_PROBE = """
import socket, sys
server = socket.socket(socket.AF_UNIX)
server.bind(sys.argv[1])
server.listen(1)
connection, _ = server.accept()
import autodiff_lab.grading.check
connection.sendall(b"ok")
"""


def check_available() -> None:
    """Start Python in a sandbox once and talk to it as the grader will; raise
    `SandboxUnavailable` with the reason when that fails. Once it has worked, a process
    does not ask again (its user and its machine do not change)."""
    if _AVAILABLE_FOR.get(os.geteuid()):
        return
    _check_available()
    _AVAILABLE_FOR[os.geteuid()] = True


_AVAILABLE_FOR: dict[int, bool] = {}


def _check_available() -> None:
    if sys.platform != "linux":
        raise SandboxUnavailable(f"bubblewrap needs Linux; this is {sys.platform}")
    reason = namespaces_disabled()
    if reason:
        raise SandboxUnavailable(reason)
    spec = SandboxSpec(uid=sandbox_uid(UID_RANGE - 1), memory_mb=512, processes=64, disk_mb=1)
    address = f"{KERNEL_IPC}/check"
    command = wrap([python_executable(), "-c", _PROBE, address], spec)
    try:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
    except OSError as error:
        raise SandboxUnavailable(f"bubblewrap could not start: {error}") from None
    try:
        answer = _ask(process, address)
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=30)
    if answer != b"ok":
        detail = (stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailable(explain_failure(detail[:300]))


def _ask(process: subprocess.Popen, address: str, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    try:
        root = sandbox_root(process.pid, timeout=timeout)
    except SandboxUnavailable:
        return b""
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket(socket.AF_UNIX) as client:
            try:
                client.settimeout(max(1.0, deadline - time.monotonic()))
                client.connect(root + address)
                return client.recv(16)
            except FileNotFoundError:
                time.sleep(0.02)  # not listening yet
            except OSError:
                return b""
    return b""


def namespaces_disabled(as_root: bool | None = None, sysctl: Path = Path("/proc/sys")) -> str:
    """Why this machine refuses user namespaces to us, or ""."""
    if running_as_root() if as_root is None else as_root:
        return ""
    checks = [
        ("kernel/unprivileged_userns_clone", "0", "kernel.unprivileged_userns_clone=1"),
        ("user/max_user_namespaces", "0", "user.max_user_namespaces=10000"),
        (
            "kernel/apparmor_restrict_unprivileged_userns",
            "1",
            "kernel.apparmor_restrict_unprivileged_userns=0",
        ),
    ]
    for name, disabled, setting in checks:
        path = sysctl / name
        try:
            value = path.read_text().strip()
        except OSError:
            continue
        if value == disabled:
            return (
                f"this machine does not let ordinary users create user namespaces ({path} is "
                f"{value}); an administrator can allow it with `sysctl {setting}`, or you can "
                "grade as root"
            )
    return ""


def explain_failure(detail: str) -> str:
    """The reason behind a failed sandbox start, from bwrap's last line."""
    if any(
        phrase in detail
        for phrase in ("namespace", "uid map", "Operation not permitted", "Permission denied")
    ):
        return (
            f"bubblewrap could not create the sandbox's namespaces ({detail}); user namespaces "
            "may be disabled for ordinary users here (ask an administrator), or grade as root"
        )
    return f"bubblewrap could not start Python in a sandbox ({detail})"


def describe_environment() -> dict:
    """What kind of sandbox this machine gives (for benchmarks and error reports)."""
    return {
        "root": running_as_root(),
        "bwrap": shutil.which("bwrap") or "",
        "cgroups": "v2" if (CGROUP_ROOT / "cgroup.controllers").is_file() else "v1",
        "delegated": str(delegated_cgroup() or "") if not running_as_root() else "",
    }


if __name__ == "__main__":  # python -m autodiff_lab.grading.sandbox: is there a sandbox here?
    try:
        check_available()
        print(json.dumps({"available": True, **describe_environment()}))
    except SandboxUnavailable as error:
        print(json.dumps({"available": False, "reason": str(error), **describe_environment()}))
        sys.exit(1)
