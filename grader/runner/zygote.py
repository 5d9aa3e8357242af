"""The pool backend: a warm worker in the hardened sandbox forks each job (see zygote_main).

Starting a sandbox and importing numpy costs about 0.1-0.2 s a process; a fork from a warm
worker that already holds the interpreter and numpy, followed by fresh namespaces, a fresh
tmpfs and a drop to an unprivileged uid, costs a few milliseconds. The worker holds no
reference data or secrets: jobs get only their inputs, exactly as with :class:`BwrapBackend`.
It needs root (to create namespaces without a user namespace); elsewhere use ``bwrap``.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from grader.errors import SandboxError
from grader.runner.accounting import JobUsage, Process, pool_job_root, subtree_usage
from grader.runner.backend import random_uid
from grader.runner.bwrap import SANDBOX_DIR, BwrapBackend, sandbox_scripts
from grader.runner.limits import Limits
from grader.runner.protocol import EXIT_MONITOR_FAULT

ZYGOTE_SCRIPT = Path(__file__).with_name("zygote_main.py")
SANDBOX_ZYGOTE = f"{SANDBOX_DIR}/{ZYGOTE_SCRIPT.name}"
START_TIMEOUT_S = 30.0


def _shutdown(proc: subprocess.Popen[bytes], control: socket.socket) -> None:
    """Stop a warm worker: closing its control socket ends it; kill it to be sure."""
    control.close()
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class PoolChild:
    """A job forked by the warm worker; its pipes, its lifeline and its exit status.

    The job runs as ``uid``, which the grader chose: the init of its pid namespace is the
    process under the warm worker (``worker``, the pid of its bwrap) with that uid, and the
    job is that process's tree (see :mod:`grader.runner.accounting`)."""

    stdin: IO[bytes]
    output: IO[bytes]
    results: IO[bytes]
    lifeline: int
    status: int
    uid: int
    worker: int
    on_close: Callable[[], None] = lambda: None
    via_shell_status: bool = False
    _code: int | None = None
    _closed: bool = False
    _root: Process | None = None
    _root_fd: int = -1  # a pidfd of the root, once found: it names that process for good

    def usage(self) -> JobUsage | None:
        """None until the job has dropped to its uid (no student code runs before that)."""
        if self._closed:
            return None
        if self._root is not None:
            return subtree_usage(self._root.pid, self._root.start)
        root = pool_job_root(self.worker, self.uid)
        if root is None:
            return None
        try:
            fd = os.pidfd_open(root.pid)
        except OSError:
            return None
        usage = subtree_usage(root.pid, root.start)  # still that process, now pinned by fd
        if usage is None:
            os.close(fd)
        else:
            self._root, self._root_fd = root, fd
        return usage

    def kill(self) -> None:
        if self._root_fd >= 0:  # at once, not when the monitor next runs (a busy host)
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._root_fd, signal.SIGKILL)
            os.close(self._root_fd)
            self._root_fd = -1
        if self.lifeline >= 0:
            os.close(self.lifeline)  # the monitor kills the job's whole pid namespace
            self.lifeline = -1

    def wait(self, timeout: float) -> int:
        if self._code is None:
            ready, _, _ = select.select([self.status], [], [], timeout)
            if not ready:
                raise TimeoutError
            data = os.read(self.status, 64)
            self._code = int(data) if data.strip().lstrip(b"-").isdigit() else EXIT_MONITOR_FAULT
        return self._code

    def close(self) -> int:
        if self._closed:
            return self._code if self._code is not None else EXIT_MONITOR_FAULT
        self.kill()
        try:
            code = self.wait(10.0)
        except TimeoutError:
            code = EXIT_MONITOR_FAULT
        for stream in (self.stdin, self.output, self.results):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(OSError):
            os.close(self.status)
        self._closed = True
        self.on_close()  # its uid may serve another job now
        return code


class PoolBackend:
    """One warm worker per backend object, restarted if it dies; thread-safe."""

    name = "bwrap-pool"
    confined = True

    def __init__(self, limits: Limits | None = None) -> None:
        if os.geteuid() != 0:
            raise SandboxError("the pool backend needs root to create job namespaces: use bwrap")
        self._bwrap = BwrapBackend()
        self._limits = limits or Limits()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._uids: set[int] = set()  # those of the jobs not closed yet: each job has its own

    def _start_worker(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [
            *self._bwrap.view_args(self._limits.tmpfs_mb, sandbox_scripts(ZYGOTE_SCRIPT)),
            *self._bwrap.python_args(),
            SANDBOX_ZYGOTE,
            str(theirs.fileno()),
        ]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                pass_fds=(theirs.fileno(),), env={"PATH": "/usr/bin:/bin"}, cwd="/",
                start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            ours.close()
            raise SandboxError(f"the warm worker could not be started: {exc}") from None
        finally:
            theirs.close()
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
        line = proc.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            proc.kill()
            proc.wait()
            ours.close()
            raise SandboxError(
                f"the warm worker did not start: {line.decode(errors='replace').strip()!r}"
            )
        self._proc, self._control = proc, ours
        # A pool that is dropped without close() still ends its worker and frees its pipes.
        self._finalizer = weakref.finalize(self, _shutdown, proc, ours)

    @property
    def worker_pid(self) -> int | None:
        """The warm worker's process (bwrap's pid), if one is running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def warm_up(self) -> None:
        """Start the worker now (it starts on the first job otherwise)."""
        with self._lock:
            self._ensure_worker()

    def start(self, limits: Limits) -> PoolChild:
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        res_r, res_w = os.pipe()
        life_r, life_w = os.pipe()
        status_r, status_w = os.pipe()
        theirs = [stdin_r, out_w, res_w, life_r, status_w]
        try:
            with self._lock:
                uid = random_uid()
                while uid in self._uids:
                    uid = random_uid()
                request = json.dumps({"tmpfs_bytes": limits.tmpfs_mb << 20, "uid": uid})
                for attempt in range(2):
                    self._ensure_worker()
                    assert self._control is not None and self._proc is not None
                    try:
                        socket.send_fds(self._control, [request.encode()], theirs)
                        worker = self._proc.pid
                        break
                    except OSError:
                        self._stop_worker()
                        if attempt:
                            raise SandboxError("the warm worker stopped answering") from None
                self._uids.add(uid)
        except BaseException:
            for fd in (stdin_w, out_r, res_r, life_w, status_r):
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        return PoolChild(
            stdin=os.fdopen(stdin_w, "wb"),
            output=os.fdopen(out_r, "rb", buffering=0),
            results=os.fdopen(res_r, "rb", buffering=0),
            lifeline=life_w,
            status=status_r,
            uid=uid,
            worker=worker,
            on_close=lambda: self._release(uid),
        )

    def _release(self, uid: int) -> None:
        with self._lock:
            self._uids.discard(uid)

    def _ensure_worker(self) -> None:
        """A live worker: the current one, or a new one in place of one that died."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop_worker()
        self._start_worker()

    def _stop_worker(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # runs _shutdown once
            self._finalizer = None
        self._proc, self._control = None, None

    def close(self) -> None:
        with self._lock:
            self._stop_worker()
