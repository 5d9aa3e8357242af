"""The sandbox interface and the plain backend (a child process with rlimits).

A backend starts one child running ``child.py`` and hands back its pipes; the session drives
the protocol. The hardened backend (``bwrap.py``) implements the same interface.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from grader.runner.accounting import JobUsage, subtree_usage
from grader.runner.protocol import UID_RANGE

if TYPE_CHECKING:  # pydantic stays unloaded: grader check starts a sandbox before it loads
    from grader.runner.limits import Limits

CHILD_SCRIPT = Path(__file__).with_name("child.py")
#: The runner's files a job needs: the child script and what it loads from beside itself.
#: Standard library and numpy only; the hardened sandbox binds them read-only at /sandbox.
RUNNER_FILES = tuple(CHILD_SCRIPT.with_name(f) for f in ("child.py", "protocol.py", "confine.py"))

#: The whole environment of a child: no secrets, one BLAS thread (each extra OpenBLAS thread
#: costs about 40 MiB of address space and the job's CPU is limited anyway).
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
}


class SandboxChild(Protocol):
    """A started job: write the job to ``stdin``, read ``output`` and ``results``."""

    @property
    def stdin(self) -> IO[bytes]: ...

    @property
    def output(self) -> IO[bytes]: ...

    @property
    def results(self) -> IO[bytes]: ...

    #: The status comes through a wrapper (bwrap): signal n shows as 128 + n.
    via_shell_status: bool

    def wait(self, timeout: float) -> int:
        """The exit status (negative: killed by that signal); TimeoutError if still running."""
        ...

    def close(self) -> int:
        """Kill whatever is left of the job, reap it, release its resources; the status."""
        ...

    def usage(self) -> JobUsage | None:
        """What the job's processes have used and hold now, all together; None where that
        cannot be measured (then, or once the job is closed)."""
        ...


#: Folders every user may write to, where a job run as a uid of its own can leave files.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")


def random_uid() -> int:
    """A uid no account uses, for one job (see :data:`~grader.runner.protocol.UID_RANGE`)."""
    return UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0])


def kill_uid(uid: int) -> None:
    """SIGKILL every process running as ``uid``, wherever it is (a daemon that left the job's
    session too): a shell that becomes ``uid`` calls kill(-1), which the kernel delivers to
    all of that uid's processes in one pass, so none can fork a new one in between. Root only.
    """
    subprocess.run(
        ["/bin/sh", "-c", "kill -KILL -1"],
        user=uid, group=uid, extra_groups=[], env={}, cwd="/",
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        check=False, timeout=30,
    )  # fmt: skip


def remove_files_of(uids: set[int], folders: tuple[str, ...] = WORLD_WRITABLE) -> int:
    """Remove what processes of ``uids`` left in the folders every user can write to (a
    job's files outside its own working folder), never through a symbolic link; how many
    entries. Root only, once those uids have no process left."""
    removed = 0
    for top in folders:
        for folder, dirs, files in os.walk(top, followlinks=False):
            for name in [*dirs, *files]:
                path = os.path.join(folder, name)
                try:
                    owner = os.lstat(path).st_uid
                except OSError:
                    continue
                if owner not in uids:
                    continue
                removed += 1
                if name in dirs:
                    dirs.remove(name)  # not walked into: removed whole
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
    return removed


@dataclass
class Child:
    """A job in a child process of the grader (the plain and bwrap backends)."""

    process: subprocess.Popen[bytes]
    results: IO[bytes]
    workdir: Path | None = None
    extra_cleanup: list[Path] = field(default_factory=list)
    via_shell_status: bool = False  # the status comes through a wrapper: signal n is 128 + n
    closed_status: int | None = None
    #: The uid the job runs as, when the grader chose it for this job alone (the plain backend
    #: run by root): closing the job kills every process of that uid.
    uid: int | None = None

    @property
    def stdin(self) -> IO[bytes]:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def output(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def kill(self) -> None:
        """End the child and everything it started in its session."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.kill()
        if self.uid is not None:
            kill_uid(self.uid)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError from None

    def usage(self) -> JobUsage | None:
        """The process tree under the child: in bwrap, every process of the job; in the plain
        backend, those that did not leave it (see :mod:`grader.runner.accounting`). Until the
        child is reaped its pid names no other process."""
        if self.closed_status is not None or self.process.returncode is not None:
            return None
        return subtree_usage(self.process.pid)

    def close(self) -> int:
        """Kill what is left, reap, release pipes and the working folder; the exit status.
        Closing again only returns the status: the process group id may belong to another
        process by then."""
        if self.closed_status is not None:
            return self.closed_status
        self.kill()
        code = self.process.wait()
        self.closed_status = code
        for stream in (self.process.stdin, self.process.stdout, self.results):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        for path in [self.workdir, *self.extra_cleanup]:
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
        return code


class SandboxBackend(Protocol):
    """Starts isolated children. ``name`` goes into every report; ``confined`` says whether
    it is a security boundary (the hardened backends), which makes its jobs' seccomp filter
    mandatory."""

    name: str
    confined: bool

    def start(self, limits: Limits) -> SandboxChild: ...


def python_command() -> list[str]:
    """The interpreter that runs the child: isolated mode, no bytecode, unbuffered output."""
    return [sys.executable, "-I", "-B", "-u"]


def spawn(
    argv: list[str], results_w: int, cwd: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(results_w,),
        cwd=cwd,
        env=env,
        start_new_session=True,  # its own process group, so killpg reaches its children
    )


class PlainBackend:
    """A child process with rlimits and an empty working folder. Not a security boundary:
    the child can read what its user can read. Use it only where the hardened backend cannot
    start.

    ``drop_privileges`` (root only): the child reads its job as root, then runs the student's
    code as a uid of its own that no account uses (as the hardened sandbox does), which can
    write nothing of the grader's and read only what every user may read; closing the job
    kills every process of that uid. :func:`plain_drop_works` says whether a job can run so
    on this machine (its Python must be readable by every user)."""

    name = "plain"
    confined = False

    def __init__(self, *, drop_privileges: bool = False) -> None:
        if drop_privileges and os.geteuid() != 0:
            raise ValueError("only root can run the plain backend's jobs as another uid")
        self.drop_privileges = drop_privileges
        #: Every uid its jobs have run as (see :meth:`clean_up`).
        self.uids: set[int] = set()

    def clean_up(self) -> None:
        """Kill every process of every uid its jobs ran as, then remove what they left in the
        world-writable folders (the Gradescope runner does, before it writes results.json).
        Each job's own processes are already killed when it closes; this catches the rest."""
        for uid in self.uids:
            kill_uid(uid)
        if self.uids:
            remove_files_of(self.uids)

    def start(self, limits: Limits) -> Child:
        workdir = Path(tempfile.mkdtemp(prefix="grader-job-"))
        uid = random_uid() if self.drop_privileges else None
        if uid is not None:
            self.uids.add(uid)
        r, w = os.pipe()
        try:
            argv = [*python_command(), str(CHILD_SCRIPT), str(w)]
            if uid is not None:
                os.chown(workdir, uid, uid)  # its home, and nothing else, is its own
                argv += [str(uid), str(uid)]
            env = {**CHILD_ENV, "HOME": str(workdir), "TMPDIR": str(workdir)}
            proc = spawn(argv, w, workdir, env)
        except BaseException:
            os.close(r)
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        finally:
            os.close(w)
        return Child(
            process=proc, results=os.fdopen(r, "rb", buffering=0), workdir=workdir, uid=uid
        )


#: What the plain backend's probe job imports after the drop: standard modules numpy does not
#: load, so that an interpreter the job's uid cannot read fails here, not in a student's part.
PROBE_IMPORTS = ("json", "random", "fractions", "statistics", "decimal", "csv")


def plain_drop_works() -> str | None:
    """None when a plain job can run as an unprivileged uid here (root, and a Python every
    user can read), else why not: a real job through the launcher and the protocol."""
    if os.geteuid() != 0:
        return "the grader does not run as root, so it cannot give a job a uid of its own"
    from grader.errors import SandboxError
    from grader.runner.launcher import Launcher
    from grader.runner.limits import Limits
    from grader.runner.session import JobSpec, WireInputs, run_job

    code = "".join(f"import {name}\n" for name in PROBE_IMPORTS)
    probe = JobSpec(source=code, filename="probe.py", parts=[], inputs=WireInputs([], b""))
    try:
        with Launcher(PlainBackend(drop_privileges=True), Limits()) as launcher:
            run = run_job(probe, launcher)
    except SandboxError as exc:
        return str(exc)
    if run.load_error is not None:
        return (
            f"a job's uid cannot run this Python ({sys.executable}): "
            f"{run.load_error.get('type', '')}: {run.load_error.get('message', '')}".rstrip()
        )
    return None
