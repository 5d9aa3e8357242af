"""Load the job's seccomp filter into this process: the sandbox's half of the seccomp module.

Copied into the sandbox beside child.py and imported there, so the standard library only. The
grader compiles the filter (:func:`grader.runner.seccomp.job_filter`); this module hands the
bytes to the kernel, for every thread of the process (BLAS may already have started some),
after PR_SET_NO_NEW_PRIVS, which the kernel requires of a process without CAP_SYS_ADMIN. A
filter cannot be removed, and it is inherited by every thread and child started later.
"""

from __future__ import annotations

import ctypes
import errno
import os

PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
BPF_MAXINSNS = 4096
INSTRUCTION_SIZE = 8  # struct sock_filter: u16 code, u8 jt, u8 jf, u32 k

#: seccomp(2) has no glibc wrapper; its number on the 64-bit architectures the grader runs on.
_SECCOMP_NR = {"x86_64": 317, "aarch64": 277, "riscv64": 277, "ppc64le": 358, "s390x": 348}


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _fail(what: str) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"{what}: {os.strerror(code)}")


def install_filter(program: bytes) -> None:
    """Set no-new-privileges and load ``program`` (classic BPF) on all threads, for good."""
    count, rest = divmod(len(program), INSTRUCTION_SIZE)
    if rest or not 0 < count <= BPF_MAXINSNS:
        raise OSError(errno.EINVAL, f"not a seccomp program: {len(program)} bytes")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.restype = libc.syscall.restype = ctypes.c_long
    ulong = ctypes.c_ulong
    if libc.prctl(PR_SET_NO_NEW_PRIVS, ulong(1), ulong(0), ulong(0), ulong(0)) != 0:
        raise _fail("prctl(PR_SET_NO_NEW_PRIVS)")
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(count, ctypes.addressof(code))
    number = _SECCOMP_NR.get(os.uname().machine) if ctypes.sizeof(ctypes.c_void_p) == 8 else None
    if number is None:  # unknown number: prctl covers the calling thread alone
        if len(os.listdir("/proc/self/task")) != 1:
            raise OSError(errno.ENOSYS, "seccomp(2) unknown here and the process has threads")
        if libc.prctl(PR_SET_SECCOMP, ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog)) != 0:
            raise _fail("prctl(PR_SET_SECCOMP)")
        return
    result = libc.syscall(
        ctypes.c_long(number),
        ulong(SECCOMP_SET_MODE_FILTER),
        ulong(SECCOMP_FILTER_FLAG_TSYNC),
        ctypes.byref(fprog),
    )
    if result < 0:
        raise _fail("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)")
    if result > 0:  # TSYNC names the thread it could not move to the filter; none was loaded
        raise OSError(errno.EBUSY, f"seccomp: thread {result} has a diverging filter")


#: keyctl(2) numbers (no glibc wrapper) and the operation that gives the caller a new, empty
#: session keyring instead of the one it inherited from the grader.
_KEYCTL_NR = {"x86_64": 250, "aarch64": 219, "riscv64": 219, "ppc64le": 311, "s390x": 280}
KEYCTL_JOIN_SESSION_KEYRING = 1


def leave_session_keyring() -> None:
    """Join a new anonymous session keyring: whatever the grader's session holds is out of
    reach even before the filter denies keyctl. Best effort: a kernel without keyrings has
    nothing to leave."""
    number = _KEYCTL_NR.get(os.uname().machine)
    if number is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.syscall(ctypes.c_long(number), ctypes.c_ulong(KEYCTL_JOIN_SESSION_KEYRING), None)
