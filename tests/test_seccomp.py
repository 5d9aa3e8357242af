"""The jobs' seccomp filter: built by grader.runner.seccomp, loaded by grader.runner.confine.

A filter cannot be removed, so every check that loads one runs in a fresh Python subprocess
that imports confine.py by path (as the sandbox does) and reads the program on stdin. The
system calls are made for real, as root when the tests run as root: each one's arguments are
chosen so that, were the filter to let it through, the kernel would refuse it with another
errno than EPERM (a bad flag, a null pointer, a closed descriptor) and change nothing.

The compiled program is also run through a small classic-BPF interpreter below, so that a
system call the kernel refuses an unprivileged user anyway (EPERM without any filter) still
has to be refused by the filter itself.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from grader.runner import confine
from grader.runner.seccomp import CLONE_NAMESPACE_FLAGS, DENIED_SYSCALLS, job_filter

MACHINE = os.uname().machine
if sys.platform != "linux" or MACHINE not in ("x86_64", "aarch64"):
    pytest.skip(
        f"syscall tables here cover x86_64 and aarch64, not {MACHINE}", allow_module_level=True
    )

CONFINE = Path(confine.__file__)

#: The kernel's own numbers, from arch/x86/entry/syscalls/syscall_64.tbl and
#: include/uapi/asm-generic/unistd.h: a check of libseccomp's tables, not a copy of them.
NUMBERS: dict[str, dict[str, int]] = {
    "x86_64": {
        "read": 0, "write": 1, "mmap": 9, "getpid": 39, "clone": 56, "execve": 59,
        "wait4": 61, "futex": 202, "openat": 257, "clone3": 435,
        "keyctl": 250, "add_key": 248, "request_key": 249,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
        "pidfd_getfd": 438, "process_madvise": 440,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "fanotify_init": 300,
        "lookup_dcookie": 212,
        "mount": 165, "umount2": 166, "pivot_root": 155, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "move_mount": 429, "open_tree": 428,
        "mount_setattr": 442, "unshare": 272, "setns": 308,
        "name_to_handle_at": 303, "open_by_handle_at": 304,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "create_module": 174, "query_module": 178,
        "get_kernel_syms": 177, "reboot": 169, "swapon": 167, "swapoff": 168,
        "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "acct": 163,
        "quotactl": 179, "quotactl_fd": 443, "syslog": 103, "vhangup": 153,
        "move_pages": 279, "migrate_pages": 256, "iopl": 172, "ioperm": 173, "uselib": 134,
        "ustat": 136, "sysfs": 139, "_sysctl": 156, "nfsservctl": 180,
    },
    "aarch64": {
        "read": 63, "write": 64, "mmap": 222, "getpid": 172, "clone": 220, "execve": 221,
        "wait4": 260, "futex": 98, "openat": 56, "clone3": 435,
        "keyctl": 219, "add_key": 217, "request_key": 218,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272,
        "pidfd_getfd": 438, "process_madvise": 440,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "fanotify_init": 262,
        "lookup_dcookie": 18,
        "mount": 40, "umount2": 39, "pivot_root": 41, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "move_mount": 429, "open_tree": 428,
        "mount_setattr": 442, "unshare": 97, "setns": 268,
        "name_to_handle_at": 264, "open_by_handle_at": 265,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225,
        "settimeofday": 170, "clock_settime": 112, "clock_adjtime": 266, "acct": 89,
        "quotactl": 60, "quotactl_fd": 443, "syslog": 116, "vhangup": 58,
        "move_pages": 239, "migrate_pages": 238,
    },
}  # fmt: skip
NATIVE = NUMBERS[MACHINE]
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}[MACHINE]
#: Another ABI the same kernel runs: i386 on x86_64, AArch32 on arm64.
COMPAT_ARCH = {"x86_64": 0x40000003, "aarch64": 0x40000028}[MACHINE]
CLONE_THREAD = 0x00010000
SIGCHLD = 17

#: The issue's list: each must be in the filter wherever the architecture has it.
REQUIRED = (
    *("keyctl", "add_key", "request_key", "ptrace", "bpf", "perf_event_open", "userfaultfd"),
    *("io_uring_setup", "io_uring_enter", "io_uring_register"),
    *("mount", "umount2", "pivot_root", "unshare", "setns"),
    *("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"),
    *("reboot", "swapon", "swapoff"),
)

#: Arguments that fail harmlessly when nothing stops the call, and with an errno other than
#: EPERM when the caller is root. A str is passed as a C string, an int as a long.
LIVE_CALLS: dict[str, tuple[int | str, ...]] = {
    "keyctl": (0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session keyring: a read
    "add_key": ("user", "grader-probe", "x", 1, -2),  # into this process's own keyring
    "request_key": ("user", "grader-probe-absent", 0, 0),  # ENOKEY, no upcall
    "ptrace": (16, 0, 0, 0),  # PTRACE_ATTACH to pid 0: ESRCH
    "process_vm_readv": (0, 0, 0, 0, 0, 1),  # flags must be 0: EINVAL
    "process_vm_writev": (0, 0, 0, 0, 0, 1),  # flags must be 0: EINVAL
    "kcmp": (0, 0, 99, 0, 0),  # pid 0: ESRCH
    "pidfd_getfd": (-1, 0, 0),  # EBADF
    "process_madvise": (-1, 0, 0, 0, 0),  # EBADF
    "bpf": (0xFFFF, 0, 0),  # no such command: EINVAL
    "perf_event_open": (0, 0, -1, -1, 0),  # null attr: EFAULT
    "userfaultfd": (0xFFFFFFFF,),  # unknown flags: EINVAL
    "io_uring_setup": (0, 0),  # null params: EFAULT
    "io_uring_enter": (-1, 0, 0, 0, 0, 0),  # EBADF
    "io_uring_register": (-1, 0, 0, 0),  # EBADF
    "fanotify_init": (0xFFFFFFFF, 0),  # unknown flags: EINVAL
    "lookup_dcookie": (0, 0, 0),  # gone since Linux 6.8: ENOSYS, before: EINVAL
    "mount": (0, 0, 0, 0, 0),  # null target: EFAULT
    "umount2": (0, 0xFFFF0000),  # unknown flags: EINVAL
    "pivot_root": (0, 0),  # null paths: EFAULT
    "fsopen": (0, 0),  # null name: EFAULT
    "fsconfig": (-1, 0, 0, 0, 0),  # EBADF
    "fsmount": (-1, 0, 0),  # EBADF
    "fspick": (-1, 0, 0),  # null path: EFAULT
    "move_mount": (-1, 0, -1, 0, 0),  # null paths: EFAULT
    "open_tree": (-1, 0, 0),  # null path: EFAULT
    "mount_setattr": (-1, 0, 0, 0, 0),  # size 0: EINVAL
    "unshare": (1,),  # CSIGNAL bits are no namespace: EINVAL
    "setns": (-1, 0),  # EBADF
    "name_to_handle_at": (-100, 0, 0, 0, 0xFFFF),  # unknown flags: EINVAL
    "open_by_handle_at": (-1, 0, 0),  # EBADF (EPERM without CAP_DAC_READ_SEARCH)
    "kexec_load": (0, 1000, 0, 0x100),  # unknown flag, too many segments: EINVAL
    "kexec_file_load": (-1, -1, 0, 0, 0xFFFF),  # unknown flags: EINVAL
    "init_module": (0, 0, 0),  # empty image: ENOEXEC
    "finit_module": (-1, 0, 0),  # EBADF
    "delete_module": (0, 0),  # null name: EFAULT
    "create_module": (0, 0),  # not in the kernel: ENOSYS
    "query_module": (0, 0, 0, 0, 0),  # not in the kernel: ENOSYS
    "get_kernel_syms": (0,),  # not in the kernel: ENOSYS
    "reboot": (0, 0, 0, 0),  # wrong magic numbers: EINVAL
    "swapon": (0, 0),  # null path: EFAULT
    "swapoff": (0,),  # null path: EFAULT
    "settimeofday": (0, 0),  # neither time nor zone: a no-op
    "clock_settime": (100, 0),  # no such clock: EINVAL
    "clock_adjtime": (100, 0),  # no such clock: EINVAL
    "acct": (1,),  # bad pointer: EFAULT (null would switch accounting off)
    "quotactl": (0, 0, 0, 0),  # no device: ENODEV
    "quotactl_fd": (-1, 0, 0, 0),  # EBADF
    "syslog": (10, 0, 0),  # SYSLOG_ACTION_SIZE_BUFFER: a read
    "move_pages": (0, 0, 0, 0, 0, 0xFF),  # unknown flags: EINVAL
    "migrate_pages": (0x3FFFFFFF, 0, 0, 0),  # no such pid: ESRCH
    "iopl": (4,),  # level above 3: EINVAL
    "ioperm": (0x10000, 1, 0),  # past the I/O bitmap: EINVAL
    "uselib": (1,),  # bad pointer: EFAULT, or ENOSYS
    "ustat": (0, 0),  # no such device: EINVAL
    "sysfs": (99, 0, 0),  # no such option: EINVAL
    "_sysctl": (0,),  # not in the kernel: ENOSYS
    "nfsservctl": (0, 0, 0),  # not in the kernel: ENOSYS
    "clone3": (0, 0),  # size 0: EINVAL
}
# vhangup is left to the interpreter: let through, it would hang up the terminal.

PROBE = textwrap.dedent(
    """
    import ctypes, errno, importlib.util, json, os, sys

    spec = importlib.util.spec_from_file_location("confine", sys.argv[1])
    confine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(confine)
    job = json.loads(sys.stdin.read())
    program = bytes.fromhex(job["program"])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: a job killed by SIGSYS leaves no core

    def call(number, *args):
        ctypes.set_errno(0)
        c_args = [ctypes.c_char_p(a.encode()) if isinstance(a, str) else ctypes.c_long(a)
                  for a in args]
        result = libc.syscall(ctypes.c_long(number), *c_args)
        return {"result": result, "errno": ctypes.get_errno() if result == -1 else 0}

    out = {}
    """
)

SCENARIOS = {
    # Each listed call after the filter is loaded.
    "denied": """
        call(job["nr"]["keyctl"], 1, 0)  # a fresh session keyring: the host's stay untouched
        confine.install_filter(program)
        for name, number, args in job["calls"]:
            out[name] = call(number, *args)
    """,
    # What a correct submission needs still works, and the filter covers every thread.
    "works": """
        import subprocess, threading
        import numpy as np  # first, as child.py does: BLAS may start its threads here
        out["threads_before"] = len(os.listdir("/proc/self/task"))
        go, done = threading.Event(), threading.Event()
        def older_thread():  # started before the filter
            go.wait()
            out["older_thread_keyctl"] = call(job["nr"]["keyctl"], 0, -3, 0)["errno"]
            done.set()
        threading.Thread(target=older_thread).start()
        confine.install_filter(program)
        go.set()
        done.wait(30)
        results = []
        workers = [threading.Thread(target=lambda i=i: results.append(i * i)) for i in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        out["threads"] = sorted(results)
        pid = os.fork()
        if pid == 0:
            os._exit(call(job["nr"]["keyctl"], 0, -3, 0)["errno"])
        out["fork_child_keyctl"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        run = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True)
        out["subprocess"] = run.stdout.decode().strip()
        a = np.arange(256 * 256, dtype=np.float64).reshape(256, 256) / 65536
        out["matmul"] = float((a @ a.T).trace())
        out["expected"] = float((a * a).sum())
        out["svd"] = float(np.linalg.svd(a, compute_uv=False)[0])
    """,
    # The issue: a key in the session keyring the job inherits, and one a job would leave.
    "keyring": """
        nr = job["nr"]
        call(nr["keyctl"], 1, 0)  # a fresh session keyring, standing in for the grader's
        key = call(nr["add_key"], "user", "host-db-password", "hunter2", 7, -3)
        buf = ctypes.create_string_buffer(64)
        read = lambda: libc.syscall(ctypes.c_long(nr["keyctl"]), ctypes.c_long(11),
                                    ctypes.c_long(key["result"]), buf, ctypes.c_long(64))
        out["added"] = key
        out["read_before"] = [read(), buf.value.decode()]
        buf.value = b""
        confine.install_filter(program)
        ctypes.set_errno(0)
        out["read_after"] = [read(), ctypes.get_errno(), buf.value.decode()]
        out["search_after"] = call(nr["keyctl"], 10, -3, "user", "host-db-password", 0)
        out["request_after"] = call(nr["request_key"], "user", "host-db-password", 0, 0)
        out["add_after"] = call(nr["add_key"], "user", "left-for-later", "x", 1, -3)
    """,
    # An x86_64 process calling through the i386 or x32 ABI (machine code: syscall; ret).
    "other-abi": """
        import mmap
        code = bytes.fromhex(job["code"])
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        address = ctypes.addressof(ctypes.c_char.from_buffer(page))
        function = ctypes.CFUNCTYPE(ctypes.c_int)(address)
        if job["filter"]:
            confine.install_filter(program)
        out["result"] = function()
        out["pid"] = os.getpid()
    """,
    # Bad programs are refused before anything changes in the process.
    "invalid": """
        for size in (0, 7, 8 * 4097):
            try:
                confine.install_filter(bytes(size))
            except OSError as exc:
                out[str(size)] = exc.errno
        status = open("/proc/self/status").read()
        out["no_new_privs"] = status.split("NoNewPrivs:")[1].split()[0]
    """,
}


def probe(tmp_path: Path, scenario: str, **job: Any) -> subprocess.CompletedProcess[str]:
    script = tmp_path / f"probe_{scenario}.py"
    body = textwrap.dedent(SCENARIOS[scenario])
    script.write_text(PROBE + body + "print(json.dumps(out))\n", encoding="utf-8")
    job.setdefault("program", job_filter().hex())
    job["nr"] = NATIVE
    return subprocess.run(
        [sys.executable, "-I", str(script), str(CONFINE)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def outcome(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


# --- the program itself, run through an interpreter ---------------------------------------

RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000


def ret_errno(code: int) -> int:
    return 0x00050000 | code


def run_bpf(program: bytes, nr: int, arch: int = AUDIT_ARCH, args: tuple[int, ...] = ()) -> int:
    """What the kernel's seccomp would return for this call: classic BPF, the opcodes
    libseccomp emits. An opcode it does not know fails the test rather than guess."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *(args + (0,) * (6 - len(args))))
    insns = [struct.unpack_from("=HBBI", program, i) for i in range(0, len(program), 8)]
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        pc += 1
        if code == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            (acc,) = struct.unpack_from("=I", data, k)
        elif code == 0x54:  # BPF_ALU | BPF_AND | BPF_K
            acc &= k
        elif code == 0x06:  # BPF_RET | BPF_K
            return int(k)
        elif code in (0x15, 0x25, 0x35, 0x45):  # BPF_JMP | JEQ, JGT, JGE, JSET | BPF_K
            taken = {0x15: acc == k, 0x25: acc > k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
            pc += jt if taken else jf
        elif code == 0x05:  # BPF_JMP | BPF_JA
            pc += k
        else:
            raise AssertionError(f"opcode {code:#x} at {pc - 1} is not interpreted")


def test_program_is_classic_bpf_that_checks_the_abi_first() -> None:
    program = job_filter()
    assert job_filter() is program  # built once
    assert len(program) % 8 == 0
    assert 0 < len(program) // 8 <= confine.BPF_MAXINSNS
    first = struct.unpack_from("=HBBI", program, 0)
    assert first == (0x20, 0, 0, 4)  # load seccomp_data.arch
    code, _, _, k = struct.unpack_from("=HBBI", program, 8)
    assert (code, k) == (0x15, AUDIT_ARCH)  # compare it with this machine's ABI


def test_libseccomp_agrees_with_the_kernels_numbers() -> None:
    pyseccomp = pytest.importorskip("pyseccomp")
    for name, number in NATIVE.items():
        assert pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) == number, name


def test_every_denied_syscall_here_has_a_number_in_this_test() -> None:
    # else the live and interpreted checks below would silently skip it
    pyseccomp = pytest.importorskip("pyseccomp")
    here = {n for n in DENIED_SYSCALLS if pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n) >= 0}
    assert here <= set(NATIVE)
    assert set(REQUIRED) <= here


@pytest.mark.parametrize("name", sorted(set(DENIED_SYSCALLS) & set(NATIVE)))
def test_filter_refuses(name: str) -> None:
    assert run_bpf(job_filter(), NATIVE[name]) == ret_errno(errno.EPERM)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param(SIGCHLD, RET_ALLOW, id="fork"),  # os.fork, subprocess
        pytest.param(0x003D0F00, RET_ALLOW, id="thread"),  # glibc's pthread_create flags
        *(
            pytest.param(flag | SIGCHLD, ret_errno(errno.EPERM), id=f"namespace-{flag:#x}")
            for flag in CLONE_NAMESPACE_FLAGS
        ),
        pytest.param((1 << 32) | 0x10000000, ret_errno(errno.EPERM), id="high-bits-newuser"),
    ],
)
def test_filter_checks_clone_flags(flags: int, expected: int) -> None:
    assert run_bpf(job_filter(), NATIVE["clone"], args=(flags,)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(name, RET_ALLOW, id=name)  # what numpy and the runner need
        for name in ("read", "write", "mmap", "getpid", "execve", "wait4", "futex", "openat")
    ]
    + [pytest.param("clone3", ret_errno(errno.ENOSYS), id="clone3")],  # glibc falls back
)
def test_filter_allows(name: str, expected: int) -> None:
    assert run_bpf(job_filter(), NATIVE[name]) == expected


@pytest.mark.parametrize(
    ("arch", "nr"),
    [
        pytest.param(COMPAT_ARCH, 20, id="compat-getpid"),  # i386/AArch32 getpid is 20
        pytest.param(COMPAT_ARCH, 288, id="compat-keyctl"),  # i386 keyctl
        pytest.param(0x4000003E, 39, id="unknown-arch"),
        *(
            [pytest.param(AUDIT_ARCH, 0x40000000 | 250, id="x32-keyctl")]  # x32 syscall bit
            if MACHINE == "x86_64"
            else []
        ),
    ],
)
def test_filter_kills_other_abis(arch: int, nr: int) -> None:
    assert run_bpf(job_filter(), nr, arch=arch) == RET_KILL_PROCESS


# --- loaded for real, in a subprocess -------------------------------------------------------


@pytest.fixture(scope="module")
def denied(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    calls = [
        [name, NATIVE[name], list(args)] for name, args in LIVE_CALLS.items() if name in NATIVE
    ]
    calls += [
        [f"clone-{flag:#x}", NATIVE["clone"], [flag | CLONE_THREAD, 0, 0, 0, 0]]
        for flag in CLONE_NAMESPACE_FLAGS  # CLONE_THREAD alone: EINVAL, were it let through
    ]
    return outcome(probe(tmp_path_factory.mktemp("denied"), "denied", calls=calls))


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, id=n) for n in LIVE_CALLS if n in NATIVE and n != "clone3"]
    + [pytest.param(f"clone-{flag:#x}", id=f"clone-{flag:#x}") for flag in CLONE_NAMESPACE_FLAGS],
)
def test_job_gets_eperm(denied: dict[str, Any], name: str) -> None:
    assert denied[name] == {"result": -1, "errno": errno.EPERM}


def test_job_gets_enosys_from_clone3(denied: dict[str, Any]) -> None:
    assert denied["clone3"] == {"result": -1, "errno": errno.ENOSYS}


def test_threads_fork_subprocess_and_numpy_still_work(tmp_path: Path) -> None:
    out = outcome(probe(tmp_path, "works"))
    assert out["older_thread_keyctl"] == errno.EPERM  # TSYNC: a thread from before is covered
    assert out["threads"] == [i * i for i in range(8)]
    assert out["fork_child_keyctl"] == errno.EPERM  # the child inherits the filter
    assert out["subprocess"] == "42"
    assert out["matmul"] == pytest.approx(out["expected"])
    assert out["svd"] > 0


def test_keys_in_the_session_keyring_are_out_of_reach(tmp_path: Path) -> None:
    out = outcome(probe(tmp_path, "keyring"))
    if out["added"]["result"] < 0:
        pytest.skip(f"add_key fails here without a filter: errno {out['added']['errno']}")
    assert out["read_before"] == [7, "hunter2"]  # the leak the issue reports
    assert out["read_after"] == [-1, errno.EPERM, ""]
    assert out["search_after"] == {"result": -1, "errno": errno.EPERM}
    assert out["request_after"] == {"result": -1, "errno": errno.EPERM}
    assert out["add_after"] == {"result": -1, "errno": errno.EPERM}


#: mov eax, N; int 0x80 (i386) or syscall with the x32 bit (mov eax, 0x40000027); ret
I386_GETPID = "b814000000cd80c3"
X32_GETPID = "b8270000400f05c3"


@pytest.mark.skipif(MACHINE != "x86_64", reason="int 0x80 and x32 are x86_64's other ABIs")
@pytest.mark.parametrize(
    "code", [pytest.param(I386_GETPID, id="int80"), pytest.param(X32_GETPID, id="x32")]
)
def test_other_abi_call_kills_the_job(tmp_path: Path, code: str) -> None:
    if code == I386_GETPID:
        plain = probe(tmp_path, "other-abi", code=code, filter=False)
        if plain.returncode != 0:
            pytest.skip(f"this kernel runs no i386 code (exit {plain.returncode})")
        out = outcome(plain)
        assert out["result"] == out["pid"]  # the call works without the filter
    run = probe(tmp_path, "other-abi", code=code, filter=True)
    assert run.returncode == -signal.SIGSYS, run.stderr


def test_bad_programs_are_refused_before_anything_changes(tmp_path: Path) -> None:
    out = outcome(probe(tmp_path, "invalid"))
    assert out == {"0": errno.EINVAL, "7": errno.EINVAL, "32776": errno.EINVAL, "no_new_privs": "0"}


def test_without_libseccomp_the_message_says_what_to_install(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pyseccomp"] = None  # as when it is not installed
        from grader.errors import SandboxError
        from grader.runner.seccomp import job_filter
        try:
            job_filter()
        except SandboxError as exc:
            print(exc)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert "apt-get install libseccomp2" in run.stdout, run.stderr
