"""The process that runs a student's code. Self-contained: the standard library and numpy only.

It is started by a sandbox backend, never imported by the grader. It reads one job frame from
stdin (the submission's source, the parts to run and the cases' inputs, never the expected
answers), sets its own resource limits, runs the student's top-level code, then calls each
part's function on every case and sends each return value back as a frame on the results
descriptor: a JSON header and, for a numeric answer, its raw C-order bytes (for anything else,
the facts of what came back, which the grader words). The parent rebuilds arrays of
whitelisted number types only and never runs anything the child sends.

Frame: 8 bytes (big-endian JSON length, payload length), the JSON header, the payload.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import inspect
import json
import os
import resource
import sys
import traceback
import types
from typing import TYPE_CHECKING, Any


def _sibling(name: str) -> types.ModuleType:
    """A module of the runner that lies beside this file (also in the sandbox, where no
    ``grader`` package is), loaded by its path: isolated mode (-I) keeps this folder off
    sys.path, and nothing is added to it."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_grader_runner_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from grader.runner import confine, protocol
else:
    protocol = _sibling("protocol")
    confine = _sibling("confine")

if __name__ == "__main__" and os.environ.get("GRADER_SITE"):
    # The hardened sandbox runs the base interpreter without its site-packages and binds
    # numpy alone at this path.
    sys.path.insert(0, os.environ.pop("GRADER_SITE"))

import numpy as np  # noqa: E402  (after the search path is set)

_write = os.write
_getpid = os.getpid
_exit = os._exit
_frame = protocol.frame
_tobytes = np.ndarray.tobytes
_asarray = np.asarray


class Channel:
    """Frames to the parent on an inherited pipe; references taken before student code runs.

    Only the process that opened the channel speaks on it: a copy of the child forked by
    student code that comes back here (returns from the student's function) exits at once,
    silently, instead of sending frames in the child's name."""

    #: Results travel in batches: one frame per part, or more when a batch grows this large.
    BATCH_CALLS = 200

    def __init__(self, fd: int, max_payload: int) -> None:
        self.fd = fd
        self.max_payload = max_payload
        self.pid = _getpid()
        self.part = ""
        self.calls: list[dict[str, Any]] = []
        self.chunks: list[bytes] = []
        self.size = 0

    def start_part(self, name: str, per_step: bool) -> None:
        self.part = name
        self.send({"event": protocol.PART_START, "part": name, "per_step": per_step})

    def result(self, header: dict[str, Any], payload: bytes) -> None:
        """Queue one call's result; a batch goes out when full and at the end of each part."""
        if self.calls and (
            len(self.calls) >= self.BATCH_CALLS or self.size + len(payload) > self.max_payload
        ):
            self.flush()
        if payload or "dtype" in header:
            header = {**header, "offset": self.size, "nbytes": len(payload)}
        self.calls.append(header)
        self.chunks.append(payload)
        self.size += len(payload)
        if "error" in header:  # a traceback is long: keep each frame's header small
            self.flush()

    def flush(self) -> None:
        if self.calls:
            header = {"event": protocol.RESULTS, "part": self.part, "calls": self.calls}
            self.send(header, b"".join(self.chunks))
            self.calls, self.chunks, self.size = [], [], 0

    def send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        if _getpid() != self.pid:
            _exit(0)
        view = memoryview(_frame(header, payload))
        while view:
            n = _write(self.fd, view)
            view = view[n:]


def read_job(fd: int) -> tuple[dict[str, Any], bytes]:
    def read_exact(n: int) -> bytes:
        chunks = []
        while n:
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise EOFError("job frame truncated")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    jlen, plen = protocol.FRAME_PREFIX.unpack(read_exact(protocol.FRAME_PREFIX.size))
    return json.loads(read_exact(jlen)), read_exact(plen)


def decode_inputs(case: dict[str, Any], payload: bytes) -> dict[str, Any]:
    """One case's inputs: its scalars, and its arrays as read-only views of the payload
    (every call gets fresh copies)."""
    inputs: dict[str, Any] = dict(case["scalars"])
    for name, dtype, shape, offset, nbytes in case["arrays"]:
        dt = np.dtype(dtype)
        inputs[name] = np.frombuffer(payload, dt, nbytes // dt.itemsize, offset).reshape(shape)
    return inputs


def apply_limits(limits: dict[str, int]) -> None:
    """Per-process limits, set before any student code runs."""
    table = {
        "address_space": resource.RLIMIT_AS,
        "cpu_seconds": resource.RLIMIT_CPU,
        "file_size": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
    }
    for key, which in table.items():
        value = limits.get(key)
        if value is not None:
            resource.setrlimit(which, (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


#: errno values of an exhausted resource: processes or threads, memory, descriptors, disk.
_RESOURCE_ERRNOS = frozenset(
    {errno.EAGAIN, errno.ENOMEM, errno.EMFILE, errno.ENFILE, errno.ENOSPC, errno.EFBIG}
)


def hit_a_limit(exc: BaseException) -> bool:
    """Whether a part's exception says that a resource ran out (the job's limits)."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError):
        return exc.errno in _RESOURCE_ERRNOS
    return isinstance(exc, RuntimeError) and "can't start new thread" in str(exc)


def _count(folder: str) -> int:
    try:
        return len(os.listdir(folder))
    except OSError:
        return 0  # no /proc (not Linux): nothing to compare


def _address_space() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def _other_processes() -> bool:
    """Whether a process the job started is still there: a child not yet reaped or, in a pid
    namespace of the job's own (the sandboxes: the job is pid 1 or 2), any other process."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            return True
    if os.getpid() <= 2:
        me = os.getpid()
        return any(p.isdigit() and int(p) not in (1, me) for p in os.listdir("/proc"))
    return False


class Usage:
    """What the process holds, taken between parts: a part that leaves more behind than the
    top-level code did (threads, processes, descriptors, memory) or that used more than its
    share of the CPU-time limit must not run beside the next part."""

    def __init__(self, threads: int, fds: int, address_space: int, cpu_s: float) -> None:
        self.threads, self.fds = threads, fds
        self.address_space, self.cpu_s = address_space, cpu_s

    @classmethod
    def now(cls) -> Usage:
        return cls(
            _count("/proc/self/task"), _count("/proc/self/fd"), _address_space(), _cpu_seconds()
        )

    def left_over(
        self, after: Usage, before: Usage, limits: dict[str, int], cpu_share: float
    ) -> str:
        """Why ``after`` (the end of a part that started at ``before``) needs a fresh child,
        or "" when it does not; ``self`` is the state after the top-level code."""
        if after.threads > self.threads:
            return f"left {after.threads - self.threads} thread(s) running"
        if _other_processes():
            return "left processes running"
        if after.fds > self.fds:
            return f"left {after.fds - self.fds} file descriptor(s) open"
        limit = limits.get("address_space")
        if (
            limit
            and self.address_space
            and after.address_space - self.address_space > (limit - self.address_space) // 2
        ):
            return f"kept {(after.address_space - self.address_space) >> 20} MiB allocated"
        if after.cpu_s - before.cpu_s > cpu_share:
            return f"used {after.cpu_s - before.cpu_s:.1f} s of CPU time"
        return ""


def student_line(tb: types.TracebackType | None, filename: str) -> int | None:
    """The line of the innermost traceback frame that is in the student's file."""
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def describe(exc: BaseException, filename: str) -> dict[str, Any]:
    tb_lines = [
        entry for entry in traceback.extract_tb(exc.__traceback__) if entry.filename == filename
    ]
    where = "".join(traceback.format_list(tb_lines[-5:]))
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "line": student_line(exc.__traceback__, filename),
        "traceback": where[-4000:],
    }


def encode(value: Any, max_payload: int) -> tuple[dict[str, Any], bytes]:
    """A return value as a header (dtype, shape) and its raw C-order bytes, or a header whose
    ``bad_value`` holds the facts of why it cannot be sent (the grader words them)."""
    of = type(value).__name__[:100]
    try:
        arr = _asarray(value)
    except BaseException as exc:
        return {"bad_value": {"kind": "unconvertible", "type": of, "detail": str(exc)[:300]}}, b""
    if arr.dtype.kind not in "biufc":
        return {"bad_value": {"kind": "not_numeric", "type": of, "dtype": str(arr.dtype)}}, b""
    if arr.nbytes > max_payload:
        return {"bad_value": {"kind": "too_large", "type": of, "shape": list(arr.shape)}}, b""
    return {"dtype": arr.dtype.str, "shape": list(arr.shape)}, _tobytes(arr)


def bind(fn: Any, accepted: set[str], step_param: str | None) -> tuple[list[str], bool] | str:
    """The parameter names to pass and whether the function takes the step parameter.

    A parameter named like an input gets that input; ``**kwargs`` gets every input no
    parameter names. The step parameter goes only to a function that names it: one that
    does not is called once per case (for ``dL_dh``: the whole l×n array)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        return f"its signature cannot be read ({exc})"
    names: list[str] = []
    per_step = False
    takes_the_rest = False
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            takes_the_rest = True
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        if step_param is not None and p.name == step_param:
            per_step = True
            names.append(p.name)
        elif p.name in accepted:
            names.append(p.name)
        elif p.default is p.empty:
            allowed = sorted(accepted | ({step_param} if step_param else set()))
            return f"unknown parameter {p.name!r}; accepted names: {', '.join(allowed)}"
        if p.kind is p.POSITIONAL_ONLY and p.name in names:
            return f"parameter {p.name!r} is positional-only; arguments are passed by name"
    if takes_the_rest:  # a name some parameter has (positional-only too) is not repeated
        named = {
            p.name
            for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        names += sorted(accepted - named)
    return names, per_step


def fresh(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def run_part(
    chan: Channel,
    module: types.ModuleType,
    part: dict[str, Any],
    cases: list[dict[str, Any]],
    filename: str,
) -> str | None:
    """Call the part's function on every case and send the results. None when the part ended
    without calling it (missing, not callable, a signature it cannot be called with); else
    why the child must not run another part ("" when nothing says so from the calls)."""
    name = part["name"]
    fn = module.__dict__.get(part["function"])
    steps = part.get("steps")
    step_param = steps["param"] if steps else None
    if fn is None:
        chan.start_part(name, False)
        chan.send({"event": protocol.PART_MISSING, "part": name})
        return None
    if not callable(fn):
        problem = f"{part['function']} is a {type(fn).__name__}, not a function"
    else:
        bound = bind(fn, set(cases[0]["inputs"]) if cases else set(), step_param)
        problem = bound if isinstance(bound, str) else ""
    if problem:
        chan.start_part(name, False)
        chan.send({"event": protocol.PART_ERROR, "part": name, "message": problem})
        return None
    assert not isinstance(bound, str)
    names, per_step = bound
    chan.start_part(name, per_step)
    exhausted: str | None = None
    call = 0
    for case in cases:
        inputs = case["inputs"]
        if per_step and steps:
            first, count = steps["first"], int(inputs[steps["count"]])
            step_values: list[int | None] = list(range(first, first + count))
        else:
            step_values = [None]
        for step in step_values:
            kwargs = {k: (step if k == step_param else fresh(inputs[k])) for k in names}
            header: dict[str, Any] = {"call": call}
            call += 1
            payload = b""
            try:
                value = fn(**kwargs)
                extra, payload = encode(value, chan.max_payload)
                header.update(extra)
            except BaseException as exc:
                header["error"] = describe(exc, filename)
                if exhausted is None and hit_a_limit(exc):
                    exhausted = f"ran into a resource limit ({type(exc).__name__}: {exc})"[:300]
            chan.result(header, payload)
    chan.flush()
    return exhausted or ""


def drop_privileges(uid: int, gid: int) -> None:
    """Become an unprivileged uid for good: no groups, no capabilities, no way back."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not drop privileges")


def main() -> None:
    results_fd = int(sys.argv[1])
    drop_to = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) >= 4 else None
    run(results_fd, drop_to)


def run(results_fd: int, drop_to: tuple[int, int] | None) -> None:
    """Read the job on fd 0, run it, answer on ``results_fd``; as ``drop_to`` (uid, gid)."""
    job, payload = read_job(0)
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)  # fd 0 again: input() sees end of file, never blocks
    chan = Channel(results_fd, job["max_result_bytes"])
    cases = [{"index": c["index"], "inputs": decode_inputs(c, payload)} for c in job["cases"]]
    filename = job["filename"]
    source = job["source"]
    apply_limits(job["limits"])
    confine.leave_session_keyring()
    if drop_to is not None:
        drop_privileges(*drop_to)
    if job.get("seccomp"):
        try:
            confine.install_filter(base64.b64decode(job["seccomp"]))
        except OSError:
            if job.get("seccomp_required"):
                raise  # the runner's fault: the grader sees a sandbox that cannot start jobs
    chan.send({"event": protocol.STARTED})
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        chan.send(
            {
                "event": protocol.LOAD_ERROR,
                "kind": "syntax",
                "type": type(exc).__name__,
                "message": getattr(exc, "msg", str(exc)),
                "line": line,
                "text": (getattr(exc, "text", None) or "").rstrip()[:300],
            }
        )
        return
    module = types.ModuleType("submission")
    module.__file__ = filename
    sys.modules["submission"] = module
    try:
        exec(code, module.__dict__)
    except BaseException as exc:
        chan.send({"event": protocol.LOAD_ERROR, "kind": "exception", **describe(exc, filename)})
        return
    chan.send({"event": protocol.LOADED})
    parts = job["parts"]
    cpu_share = job["limits"]["cpu_seconds"] / (len(parts) + 1)
    baseline = Usage.now()
    for part in parts:
        before = Usage.now()
        outcome = run_part(chan, module, part, cases, filename)
        if outcome is None:
            continue
        fresh = outcome or baseline.left_over(Usage.now(), before, job["limits"], cpu_share)
        chan.send(
            {
                "event": protocol.PART_END,
                "part": part["name"],
                **({"fresh": fresh} if fresh else {}),
            }
        )
        if fresh:
            return  # what this part left would cost the next one: the grader starts a new child
    chan.send({"event": protocol.DONE})


if __name__ == "__main__":
    status = 0
    try:
        main()
    except BaseException:
        traceback.print_exc()
        status = protocol.EXIT_RUNNER_FAULT
    with contextlib.suppress(BaseException):
        sys.stdout.flush()
    os._exit(status)  # no atexit handlers, no waiting for the student's threads
