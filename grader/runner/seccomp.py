"""The seccomp filter every job runs under: which system calls a student's code may not make.

Built here, in the grader, with libseccomp (through pyseccomp) and handed to the sandbox as the
compiled classic-BPF program: bubblewrap loads it with ``--seccomp FD``, a pool job with
:func:`grader.runner.confine.install_filter`. The filter allows everything except
:data:`DENIED_SYSCALLS`, which fail with EPERM, and starts with a check of the calling ABI:
a call through any other ABI than the grader's own (``int 0x80`` or x32 on x86_64, AArch32 on
arm64) kills the job, so a 32-bit syscall table cannot route around the list.

Why a deny list at all: kernel keyrings are not namespaced, so every job held the grader's
session keyring and could read a host key or one an earlier job had left. Docker's default
profile refuses these calls to containers; a job gets the same refusals and a few more.
"""

from __future__ import annotations

import contextlib
import errno
import tempfile
from functools import cache
from typing import Any

from grader.errors import SandboxError

#: System calls a job may not make; each returns EPERM. At least what Docker's default profile
#: refuses a container without extra capabilities. Names this architecture lacks are skipped.
DENIED_SYSCALLS: tuple[str, ...] = (
    # Kernel keyrings are shared across uids and namespaces: the bug this filter fixes.
    "keyctl",
    "add_key",
    "request_key",
    # Reading or writing another process: ptrace and its relatives.
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "process_madvise",
    # Kernel attack surface with a long history of local privilege escalations.
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "fanotify_init",
    "lookup_dcookie",
    # Mounts and namespaces, old and new mount API: a job must not rearrange its view.
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "unshare",
    "setns",
    # Opening files by handle bypasses the path (and so the sandbox's view of the tree).
    "name_to_handle_at",
    "open_by_handle_at",
    # The machine itself: kernel images, modules, power, swap, clocks, accounting, quotas, log.
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "create_module",
    "query_module",
    "get_kernel_syms",
    "reboot",
    "swapon",
    "swapoff",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "stime",
    "acct",
    "quotactl",
    "quotactl_fd",
    "syslog",
    "vhangup",
    # Other processes' memory placement; ports; obsolete calls nobody needs.
    "move_pages",
    "migrate_pages",
    "iopl",
    "ioperm",
    "uselib",
    "ustat",
    "sysfs",
    "_sysctl",
    "nfsservctl",
    "vm86",
    "vm86old",
)

#: clone flags that make a new namespace: refused like unshare(2) (Docker does the same).
CLONE_NAMESPACE_FLAGS: tuple[int, ...] = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)

#: clone3 passes its flags in memory, where a filter cannot see them: it reports ENOSYS, and
#: glibc (threads, fork, posix_spawn) falls back to clone, whose flags are checked above.
NOT_IMPLEMENTED_SYSCALLS: tuple[str, ...] = ("clone3",)


def _load_pyseccomp() -> Any:
    try:
        import pyseccomp  # type: ignore[import-untyped]
    except (ImportError, RuntimeError, OSError) as exc:  # RuntimeError: no libseccomp.so
        raise SandboxError(
            f"cannot build the jobs' seccomp filter ({exc}): install libseccomp "
            "(apt-get install libseccomp2, dnf install libseccomp) and pyseccomp "
            "(pip install pyseccomp)"
        ) from exc
    return pyseccomp


def _native_number(sc: Any, name: str) -> int | None:
    """The syscall's number here; None when this architecture (or libseccomp) lacks it."""
    number = int(sc.resolve_syscall(sc.Arch.NATIVE, name))
    return number if number >= 0 else None  # -1: unknown; below: another architecture's


@cache
def job_filter() -> bytes:
    """The compiled filter: ``struct sock_filter`` instructions as the kernel takes them."""
    sc = _load_pyseccomp()
    flt = sc.SyscallFilter(sc.ALLOW)
    # Only the native ABI is in the filter; a call through another one ends the job.
    flt.set_attr(sc.Attr.ACT_BADARCH, sc.KILL_PROCESS)
    with contextlib.suppress(OSError):  # libseccomp < 2.5 compares in a list
        # A binary tree of comparisons instead of a list: fewer instructions on every call.
        flt.set_attr(sc.Attr.CTL_OPTIMIZE, 2)
    for name in DENIED_SYSCALLS:
        if (number := _native_number(sc, name)) is not None:
            flt.add_rule(sc.ERRNO(errno.EPERM), number)
    for name in NOT_IMPLEMENTED_SYSCALLS:
        if (number := _native_number(sc, name)) is not None:
            flt.add_rule(sc.ERRNO(errno.ENOSYS), number)
    flags_arg = 1 if sc.system_arch() in (sc.Arch.S390, sc.Arch.S390X) else 0  # clone(stack, flags)
    for flag in CLONE_NAMESPACE_FLAGS:
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(flags_arg, sc.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile(buffering=0) as out:
        flt.export_bpf(out)
        out.seek(0)
        return out.read()
