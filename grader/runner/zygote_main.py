"""The warm worker inside the hardened sandbox: forks a fresh, isolated job per request.

Started once by :class:`grader.runner.zygote.PoolBackend` under bubblewrap (as root, with no
user namespace, so it may create namespaces), it imports the runner and numpy, then serves
requests on the control socket (fd 3). It holds no reference data and no secret, and never
runs student code itself. Each request carries five descriptors: the job's stdin, output and
results pipes, a lifeline and a status pipe. For each it forks a monitor that

1. enters new mount, pid, network, IPC and UTS namespaces;
2. forks the job, pid 1 of the new pid namespace, which mounts its own ``/proc`` and a fresh
   sized tmpfs on ``/tmp``, keeps only its three pipes, and runs the runner: limits, then a
   drop for good to the unprivileged uid the grader chose for the job (random, and no other
   live job's: the grader finds the job's processes by it), then the student's code;
3. waits for the job to end or for the lifeline to close (the grader wants it gone), kills
   the job (its whole pid namespace dies with it, daemons included) and writes its exit status.

Like ``child.py`` this file uses the standard library and numpy only.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if os.environ.get("GRADER_SITE"):  # numpy alone, bound here by the sandbox
    sys.path.insert(0, os.environ.pop("GRADER_SITE"))
import child  # type: ignore[import-not-found]  # the runner, bound beside this file

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
UID_RANGE = child.protocol.UID_RANGE
JOB_FDS = 5  # stdin, output, results, lifeline, status

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    _check(
        _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                    ctypes.c_ulong(flags), data.encode() if data else None),
        f"mount {target}",
    )  # fmt: skip


def job(fds: list[int], tmpfs_bytes: int, uid: int) -> None:
    """pid 1 of the job's namespaces: set up its view, then run the runner. Never returns."""
    status = child.protocol.EXIT_RUNNER_FAULT
    try:
        stdin_r, out_w, res_w = fds[:3]
        # A session of its own, as bwrap's --new-session gives each job: where the scheduler
        # groups processes by session (autogroup), jobs share the CPU fairly whatever number
        # of processes each runs, rather than one job's 32 against another's one.
        os.setsid()
        mount("none", "/", None, MS_REC | MS_PRIVATE, None)
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmpfs_bytes},mode=1777")
        os.dup2(stdin_r, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.dup2(res_w, 3)
        os.closerange(4, 1 << 16)  # nothing else of the zygote's stays open
        os.chdir("/tmp")
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        child.run(3, (uid, uid))
        status = 0
    except BaseException:  # a fault of the runner itself, not of student code
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
        os._exit(status)


def monitor(fds: list[int], tmpfs_bytes: int, uid: int) -> None:
    """Owns one job: start it in new namespaces as ``uid``, kill it when the lifeline closes."""
    code = child.protocol.EXIT_MONITOR_FAULT
    lifeline, status_w = fds[3], fds[4]
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
        pid = os.fork()
        if pid == 0:
            os.close(lifeline)
            os.close(status_w)
            job(fds, tmpfs_bytes, uid)
        for fd in fds[:3]:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        ready, _, _ = select.select([pidfd, lifeline], [], [])
        if lifeline in ready and pidfd not in ready:
            os.kill(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(wait_status)
    finally:
        with contextlib.suppress(OSError):
            os.write(status_w, str(code).encode())
        os._exit(0)


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
    print("ready", flush=True)
    while True:
        msg, fds, _, _ = socket.recv_fds(control, 4096, JOB_FDS)
        if not msg:
            return  # the grader closed the control socket
        request = json.loads(msg)
        uid = request.get("uid")
        in_range = type(uid) is int and UID_RANGE[0] <= uid < UID_RANGE[1]
        if len(fds) != JOB_FDS or not in_range:
            for fd in fds:  # the grader sees the job end before it started
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            monitor(list(fds), int(request["tmpfs_bytes"]), uid)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
