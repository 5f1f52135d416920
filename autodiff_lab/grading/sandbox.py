"""The sandbox around a grading kernel, built on bubblewrap (``bwrap``, Flatpak's sandbox).

A sandboxed kernel gets new PID, IPC, network, UTS and user namespaces and
runs as an unprivileged user of its own. It sees, read-only, the system's
``/usr``, the Python installation, the virtual environment, the
``autodiff_lab`` package (with the grader's references, `referee`, hidden
under an empty folder) and its own assembled notebook; it can write only to
two small size-capped tmpfs folders (``/home/student`` and ``/tmp``) and to
the folder of its own IPC sockets. It cannot see the exercise sources, other submissions, the output
files or the host's processes, and it dies with its worker
(``--die-with-parent``): a PID namespace ends all its processes at once, so
nothing it started outlives it.

Run as root (as CI and most grading machines do), bubblewrap builds the
namespaces, then ``setpriv`` drops to a user id of its own for this job and a
second, unprivileged ``bwrap`` adds the user namespace; memory and process
limits that hold across child processes come from cgroups where the machine
has them (v1 or v2), and from rlimits under that user otherwise. Run as an
ordinary user, a single unprivileged ``bwrap`` does the same with rlimits.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOME = "/home/student"
WORK = f"{HOME}/work"
NOTEBOOK = f"{WORK}/submission.ipynb"
SANDBOX_UID_BASE = 61000  # each job runs as SANDBOX_UID_BASE + (job index % UID_RANGE)
UID_RANGE = 2000
CGROUP_PREFIX = "autodiff-lab-grade"
CGROUP_V1 = Path("/sys/fs/cgroup")
MIB = 2**20


class SandboxUnavailable(RuntimeError):
    """This machine cannot sandbox a kernel; the message says why."""


@dataclass(frozen=True)
class SandboxSpec:
    """What one job's sandbox is allowed; plain data, so it crosses a process boundary."""

    uid: int
    ipc_dir: str  # host folder, bound read-write at the same path (the kernel's sockets)
    memory_mb: int
    processes: int
    disk_mb: int
    cgroups: tuple[str, ...] = ()  # cgroup folders the kernel joins before the sandbox starts
    notebook: str = ""  # host file shown read-only as NOTEBOOK: the assembled submission


def sandbox_uid(index: int) -> int:
    return SANDBOX_UID_BASE + index % UID_RANGE


def running_as_root() -> bool:
    return os.geteuid() == 0


def process_limit(per_job: int) -> int:
    """RLIMIT_NPROC for a job's kernel, which counts every process of its real user.

    As root each job has a user of its own, so the limit is ``per_job``; as an
    ordinary user the kernel shares the instructor's user, whose processes count too.
    """
    if running_as_root():
        return per_job
    try:
        uid = os.getuid()
        own = sum(1 for entry in os.listdir("/proc") if entry.isdigit() and _owner(entry) == uid)
    except OSError:
        return 0  # no /proc: leave the limit to the deadline
    return own + per_job


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def readable_roots() -> list[str]:
    """The folders a kernel needs to read: Python, the environment and the package."""
    import autodiff_lab

    package = Path(autodiff_lab.__file__).resolve().parent
    candidates = [sys.base_prefix, sys.prefix, str(package)]
    roots: list[str] = []
    for candidate in candidates:
        path = os.path.realpath(candidate)
        if path == "/usr" or path.startswith("/usr/"):
            continue  # bound as a whole
        if not any(path == root or path.startswith(root + "/") for root in roots):
            roots = [root for root in roots if not root.startswith(path + "/")] + [path]
    return roots


def hidden_paths() -> list[str]:
    """Folders inside the readable roots that a kernel must not read: the grader's references."""
    from . import referee

    return [str(Path(referee.__file__).resolve().parent)]


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
    namespaces = (
        ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if as_root
        else ["--unshare-all", "--disable-userns", "--uid", "65534", "--gid", "65534"]
    )
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
    disk = str(spec.disk_mb * MIB)
    arguments += ["--perms", "1777", "--size", disk, "--tmpfs", "/tmp"]
    arguments += ["--perms", "0755", "--dir", "/home"]
    arguments += ["--perms", "1777", "--size", disk, "--tmpfs", HOME]
    arguments += ["--perms", "0777", "--dir", WORK]
    for ancestor in _parents([*roots, spec.ipc_dir]):
        arguments += ["--perms", "0755", "--dir", ancestor]
    for root in roots:
        arguments += ["--ro-bind", root, root]
    for hidden in hidden_paths():
        arguments += ["--perms", "0755", "--tmpfs", hidden]
    if spec.notebook:
        arguments += ["--ro-bind", spec.notebook, NOTEBOOK]
    arguments += ["--bind", spec.ipc_dir, spec.ipc_dir, "--chdir", WORK]
    return arguments


def wrap(command: list[str], spec: SandboxSpec) -> list[str]:
    """``command`` run inside the sandbox described by ``spec``."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap is not installed (Debian: apt-get install bubblewrap)")
    if not running_as_root():
        return [bwrap, *bwrap_arguments(spec, as_root=False), "--", *command]
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
    # The second, unprivileged bwrap adds a user namespace owned by the job's own user.
    inner = [bwrap, "--unshare-user", "--disable-userns", "--die-with-parent"]
    inner += ["--bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--"]
    sandboxed = [bwrap, *bwrap_arguments(spec, as_root=True), "--", *drop, *inner, *command]
    if not spec.cgroups:
        return sandboxed
    # Join the cgroups before anything else runs, so every later process is inside them.
    joins = "; ".join(
        f"echo $$ > {shlex.quote(group)}/cgroup.procs || exit 121" for group in spec.cgroups
    )
    return ["/bin/sh", "-c", f'{joins}; exec "$@"', "sh", *sandboxed]


# ---------------------------------------------------------------------------
# cgroups: limits that hold across all of a kernel's processes


def create_cgroups(token: str, memory_mb: int, processes: int) -> tuple[str, ...]:
    """Make this job's memory and pids cgroups; () where the machine offers none to us."""
    if not running_as_root():
        return ()
    try:
        if (CGROUP_V1 / "cgroup.controllers").is_file():
            return _create_v2(token, memory_mb, processes)
        if (CGROUP_V1 / "memory").is_dir() and (CGROUP_V1 / "pids").is_dir():
            return _create_v1(token, memory_mb, processes)
    except OSError:
        pass
    return ()


def _create_v1(token: str, memory_mb: int, processes: int) -> tuple[str, ...]:
    memory = CGROUP_V1 / "memory" / CGROUP_PREFIX / token
    pids = CGROUP_V1 / "pids" / CGROUP_PREFIX / token
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


def _create_v2(token: str, memory_mb: int, processes: int) -> tuple[str, ...]:
    parent = CGROUP_V1 / CGROUP_PREFIX
    parent.mkdir(exist_ok=True)
    (CGROUP_V1 / "cgroup.subtree_control").write_text("+memory +pids")
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


# ---------------------------------------------------------------------------
# Is there a sandbox here?


def check_available(scratch: Path) -> None:
    """Start Python in a sandbox once; raise `SandboxUnavailable` with the reason if it fails."""
    if sys.platform != "linux":
        raise SandboxUnavailable(f"bubblewrap needs Linux; this is {sys.platform}")
    ipc_dir = scratch / "sandbox-check"
    ipc_dir.mkdir(parents=True, exist_ok=True)
    uid = sandbox_uid(UID_RANGE - 1)
    if running_as_root():
        os.chown(ipc_dir, uid, uid)
    spec = SandboxSpec(uid=uid, ipc_dir=str(ipc_dir), memory_mb=512, processes=64, disk_mb=1)
    probe = "import autodiff_lab.grading.check; print('ok')"
    command = wrap([sys.executable, "-c", probe], spec)
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxUnavailable(f"bubblewrap could not start: {error}") from None
    if result.returncode != 0 or result.stdout.strip() != "ok":
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1][:300]
        raise SandboxUnavailable(
            f"bubblewrap could not start Python in a sandbox ({detail}); user namespaces may be "
            "disabled on this machine"
        )
