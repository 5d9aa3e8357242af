"""The hardened backend: bubblewrap namespaces, an unprivileged uid, a read-only minimal view.

What the child sees: the Python runtime (read-only, at its own path, its site-packages hidden),
numpy alone (read-only, at ``/site``), the system's shared libraries (read-only), the runner
script, a fresh ``/proc`` of its own pid namespace, a minimal ``/dev``, and a sized tmpfs at
``/tmp`` as the only writable place. No network (an empty network namespace), no other
process, no grader code, reference, database or other submission, an environment of a few
fixed variables.

Started as root, bwrap creates no user namespace: the runner applies its rlimits, then drops to
a random unprivileged uid for good, so RLIMIT_NPROC is enforced by the kernel and no capability
is left (a root process inside the sandbox could remount the read-only binds). Started as an
unprivileged user, bwrap makes a user namespace and the job keeps that user's uid.
Killing bwrap (started with ``--unshare-pid`` and ``--die-with-parent``) ends every process
inside the sandbox, daemons included.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import SandboxError
from grader.runner.backend import (
    CHILD_ENV,
    CHILD_SCRIPT,
    RUNNER_FILES,
    Child,
    random_uid,
    spawn,
)

if TYPE_CHECKING:  # pydantic stays unloaded: grader check starts a sandbox before it loads
    from grader.runner.limits import Limits

SANDBOX_DIR = "/sandbox"
SANDBOX_CHILD = f"{SANDBOX_DIR}/{CHILD_SCRIPT.name}"
SANDBOX_SITE = "/site"
SYSTEM_LIB_DIRS = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib")


def sandbox_scripts(*extra: Path) -> list[tuple[Path, str]]:
    """The runner's files (and ``extra`` ones) with where the sandbox binds them."""
    return [(path, f"{SANDBOX_DIR}/{path.name}") for path in (*RUNNER_FILES, *extra)]


def runtime_prefix() -> Path:
    return Path(sys.base_prefix).resolve()


def runtime_executable() -> Path:
    base = getattr(sys, "_base_executable", sys.executable)
    return Path(base).resolve()


def numpy_dirs() -> list[Path]:
    """numpy's package folder and, for wheels, the folder of its bundled shared libraries."""
    spec = importlib.util.find_spec("numpy")  # found, not imported: start-up stays fast
    if spec is None or spec.origin is None:
        raise SandboxError("numpy is not installed")
    pkg = Path(spec.origin).resolve().parent
    libs = pkg.parent / "numpy.libs"
    return [pkg, *([libs] if libs.is_dir() else [])]


def _existing(paths: tuple[str, ...]) -> list[str]:
    seen: list[str] = []
    for p in paths:
        path = Path(p)
        if path.exists() and not path.is_symlink() and str(path.resolve()) not in seen:
            seen.append(str(path.resolve()))
    return seen


class BwrapBackend:
    name = "bwrap"
    confined = True

    def __init__(self, bwrap: str | None = None) -> None:
        found = bwrap or shutil.which("bwrap")
        if found is None:
            raise SandboxError(
                "bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: "
                "apt-get install bubblewrap) or choose the plain backend"
            )
        self.bwrap = found
        self.as_root = os.geteuid() == 0

    def argv(self, tmpfs_mb: int, results_fd: int) -> list[str]:
        """bwrap's command line for one job: the runner reads the job, then drops to a uid."""
        args = [*self.view_args(tmpfs_mb, sandbox_scripts()),
                *self.python_args(), SANDBOX_CHILD, str(results_fd)]  # fmt: skip
        if self.as_root:
            uid = random_uid()
            args += [str(uid), str(uid)]
        return args

    def python_args(self) -> list[str]:
        return [str(runtime_executable()), "-I", "-S", "-B", "-u"]

    def view_args(self, tmpfs_mb: int, scripts: list[tuple[Path, str]]) -> list[str]:
        """bwrap's options up to and including ``--``: the view described in the docstring,
        with a ``tmpfs_mb`` MiB tmpfs and each trusted script bound read-only at its sandbox
        path."""
        prefix = runtime_prefix()
        args = [
            self.bwrap,
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv",
        ]  # fmt: skip
        if not self.as_root:
            args += ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
        binds = [(lib, lib) for lib in _existing(SYSTEM_LIB_DIRS)]
        binds.append((str(prefix), str(prefix)))
        binds += [(str(d), f"{SANDBOX_SITE}/{d.name}") for d in numpy_dirs()]
        binds += [(str(src), dest) for src, dest in scripts]
        # bwrap creates missing parents of a mount point with mode 0700, which the job's uid
        # could not traverse: create them world-searchable first.
        parents = {str(p) for _, dest in binds for p in Path(dest).parents if str(p) != "/"}
        for d in sorted(parents):
            args += ["--perms", "0755", "--dir", d]
        for src, dest in binds:
            args += ["--ro-bind", src, dest]
        for name in ("lib", "lib64", "bin"):  # merged-/usr symlinks, where the system has them
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), f"/{name}"]
        for site in sorted(prefix.glob("lib/python3*/site-packages")):
            args += ["--tmpfs", str(site)]  # the base interpreter's own packages stay hidden
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--perms", "1777", "--size", str(tmpfs_mb << 20), "--tmpfs", "/tmp"]
        env = {**CHILD_ENV, "HOME": "/tmp", "TMPDIR": "/tmp", "GRADER_SITE": SANDBOX_SITE}
        for key, value in env.items():
            args += ["--setenv", key, value]
        return [*args, "--chdir", "/tmp", "--"]

    def start(self, limits: Limits) -> Child:
        """A job's child with the limits' tmpfs size (the only limit bwrap itself applies;
        the runner applies the others when it reads the job). Only a
        :class:`~grader.runner.launcher.Launcher` calls this."""
        r, w = os.pipe()
        try:
            argv = self.argv(limits.tmpfs_mb, w)
            proc = spawn(argv, w, Path("/"), {"PATH": "/usr/bin:/bin"})
        except OSError as exc:
            os.close(r)
            raise SandboxError(f"bubblewrap could not be started: {exc}") from None
        finally:
            os.close(w)
        return Child(process=proc, results=os.fdopen(r, "rb", buffering=0), via_shell_status=True)


@cache
def bwrap_works() -> str | None:
    """None when a job runs in the hardened sandbox here, else why it does not: a real no-op
    job (no parts) through the launcher and the protocol, so the probe tests what grading uses:
    the view, numpy, the limits, the drop to an unprivileged uid and the seccomp filter."""
    from grader.runner.launcher import Launcher
    from grader.runner.limits import Limits
    from grader.runner.session import JobSpec, WireInputs, run_job

    noop = JobSpec(source="", filename="probe.py", parts=[], inputs=WireInputs([], b""))
    try:
        with Launcher(BwrapBackend(), Limits()) as launcher:
            run_job(noop, launcher)
    except SandboxError as exc:
        return str(exc)
    return None
