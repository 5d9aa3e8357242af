"""Attack: dL_dd tries the kernel interfaces a job has no business with (keyrings, ptrace,
bpf, perf, userfaultfd, io_uring, mounts, namespaces, modules, reboot, swap) and returns a
wrong answer if any of them works: the part passes only when all are refused."""

import ctypes
import os

# x86_64 and aarch64 syscall numbers: keyctl, add_key, request_key, ptrace, bpf,
# perf_event_open, userfaultfd, io_uring_setup, mount, umount2, pivot_root, unshare, setns,
# kexec_load, init_module, delete_module, reboot, swapon.
NUMBERS = {
    "x86_64": [250, 248, 249, 101, 321, 298, 323, 425, 165, 166, 155, 272, 308, 246, 175, 176,
               169, 167],
    "aarch64": [219, 217, 218, 117, 280, 241, 282, 425, 40, 39, 41, 97, 268, 104, 105, 106,
                142, 224],
}
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def dL_dd(y_pred: float, y_gt: float) -> float:
    allowed = []
    for number in NUMBERS.get(os.uname().machine, []):
        # Harmless arguments: null pointers and zeros, so that a call the filter misses fails
        # with EFAULT or EINVAL (or succeeds) rather than with EPERM.
        result = _libc.syscall(ctypes.c_long(number), 0, 0, 0, 0, 0)
        err = ctypes.get_errno()
        if result >= 0 or err not in (1, 38):  # EPERM, ENOSYS
            allowed.append((number, result, err))
    if allowed:
        print("ALLOWED", allowed)
        return 0.0
    return y_pred - y_gt
