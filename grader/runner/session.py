"""One submission's run: start children, feed them the job, time each part, read the results.

The parent never unpickles and never calls anything the child sends: every frame goes through
:mod:`grader.runner.protocol`'s decoder and :class:`Conversation`, the parent's side of the
protocol as a state machine, which checks it against what the running part may send.
A part that times out, kills its child, runs into a resource limit or leaves threads, processes,
descriptors or memory behind costs only itself: the session starts a new child for the parts
after it (the child says so at the part's end). Normally one child runs every part.

What the job prints (stdout and stderr share one pipe) is read as it comes, so that the job
never blocks on a full pipe: the first :data:`EXCERPT_BYTES` are kept for the report, the rest
is counted and dropped. Printing never fails a part; only the time a flood takes can.
"""

from __future__ import annotations

import base64
import os
import selectors
import signal
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, cast, get_args

import numpy as np
from numpy.typing import NDArray

from grader.errors import SandboxError
from grader.messages import message
from grader.report import Messages
from grader.runner import protocol
from grader.runner.accounting import OverBudget, PhaseBudget
from grader.runner.backend import SandboxBackend, SandboxChild
from grader.runner.launcher import Launcher
from grader.runner.limits import Limits
from grader.runner.protocol import ProtocolError

EXCERPT_BYTES = 4096

PartState = Literal["done", "missing", "error", "timeout"]


BadKind = Literal["nothing", "unconvertible", "not_numeric", "too_large", "other"]
BAD_KINDS: frozenset[str] = frozenset(get_args(BadKind))


@dataclass(frozen=True)
class BadValue:
    """A return value the grader cannot compare, as facts: what ``kind`` of problem, the
    value's Python type and numpy dtype, an array's shape, numpy's own words (``detail``);
    "other" holds text from a job that sent no facts. The report words them
    (:meth:`words`), in each language."""

    kind: BadKind
    type_name: str = ""
    dtype: str = ""
    shape: tuple[int, ...] = ()
    detail: str = ""

    def words(self) -> Messages:
        if self.kind == "other":
            return (
                Messages(en=self.detail, zh=self.detail)
                if self.detail
                else message("value_unknown")
            )
        if self.kind == "not_numeric" and self.type_name == "NoneType":
            return message("value_none")
        return message(
            f"value_{self.kind}",
            type=self.type_name,
            dtype=self.dtype,
            shape=self.shape,
            detail=self.detail,
        )


@dataclass
class CallOutput:
    """One call's return value (a numeric array) or why there is none."""

    value: NDArray[Any] | None = None
    bad: BadValue | None = None
    error: dict[str, Any] | None = None

    @property
    def bad_value(self) -> str | None:
        """What came back instead of a number, in English."""
        return None if self.bad is None else self.bad.words().en


@dataclass
class RawPart:
    name: str
    state: PartState = "error"
    message: str = ""
    calls: dict[int, dict[int | None, CallOutput]] = field(default_factory=dict)


@dataclass
class RawRun:
    """What came back from the child, before any comparison."""

    backend: str
    parts: dict[str, RawPart]
    load_error: dict[str, Any] | None = None
    output_excerpt: str = ""
    output_bytes: int = 0
    children: int = 0
    notes: list[str] = field(default_factory=list)  # for the report (see output_note)


@dataclass(frozen=True)
class WireInputs:
    """The cases' inputs as the child reads them: per case its scalars and, for each array,
    (name, dtype, shape, offset, nbytes) into one buffer of raw C-order bytes."""

    cases: list[dict[str, Any]]
    payload: bytes

    @classmethod
    def encode(cls, cases: list[dict[str, Any]]) -> WireInputs:
        """From ``[{"index", "inputs"}]``; built once per case set (see core)."""
        chunks: list[bytes] = []
        offset = 0
        wire_cases = []
        for c in cases:
            scalars, arrays = {}, []
            for k, v in c["inputs"].items():
                if isinstance(v, np.ndarray):
                    data = np.ascontiguousarray(v).tobytes()
                    arrays.append([k, v.dtype.str, list(v.shape), offset, len(data)])
                    chunks.append(data)
                    offset += len(data)
                else:
                    scalars[k] = v
            wire_cases.append({"index": c["index"], "scalars": scalars, "arrays": arrays})
        return cls(wire_cases, b"".join(chunks))


@dataclass
class JobSpec:
    """What the child is told: no expected answers, no seeds, no secrets.

    ``answer_sizes`` is, per part, the element count of its largest expected answer: the
    grader keeps no value larger than that could be (see :class:`Conversation`)."""

    source: str
    filename: str
    parts: list[dict[str, Any]]
    inputs: WireInputs
    answer_sizes: dict[str, int] = field(default_factory=dict)

    def frame(
        self, parts: list[dict[str, Any]], limits: Limits, seccomp: dict[str, Any] | None = None
    ) -> bytes:
        header = {
            **(seccomp or {}),
            "source": self.source,
            "filename": self.filename,
            "parts": parts,
            "cases": self.inputs.cases,
            "limits": limits.child_rlimits(len(parts)),
            "max_result_bytes": limits.max_result_kb << 10,
        }
        return protocol.frame(header, self.inputs.payload)

    def calls(self, part: dict[str, Any], per_step: bool) -> list[tuple[int, int | None]]:
        """(case, step) of each call the child makes for ``part``, in order: one per case, or
        one per case and step when the function takes the part's step parameter."""
        steps = part.get("steps")
        if not (per_step and steps):
            return [(c["index"], None) for c in self.inputs.cases]
        return [
            (c["index"], step)
            for c in self.inputs.cases
            for step in range(steps["first"], steps["first"] + int(c["scalars"][steps["count"]]))
        ]

    def max_value_bytes(self, part: str) -> int:
        """The most bytes one call's value is kept with: the part's largest answer as
        complex128, twice over; without a known size, no bound beyond the frame's."""
        size = self.answer_sizes.get(part)
        return 1 << 62 if size is None else max(size, 1) * 16 * 2


class _Stop(Exception):
    """The child must be stopped: ``state`` and ``message`` say why, for the part running."""

    def __init__(self, state: PartState, message: str) -> None:
        self.state = state
        self.message = message


class Phase(Enum):
    """Where a child is in its run, as the grader sees it."""

    BOOTING = "booting"  # nothing received yet: the interpreter and numpy load
    LOADING = "loading"  # started: the student's top-level code runs
    READY = "ready"  # between parts: the next part_start (or done) is due
    IN_PART = "in_part"  # a part's calls run and their results arrive
    FINISHED = "finished"


@dataclass
class Conversation:
    """The grader's side of the protocol with one child: a state machine over its frames.

    Each frame is checked against the phase and the part it must answer: the part's name, the
    number of each call (counted from 0, in order, never past the part's calls) and the size of
    each value (at most what the part's largest expected answer could take). Anything else
    ends the running part as an error at once, so the grader keeps at most the part's calls
    times its largest answer, whatever the child sends.
    """

    job: JobSpec
    parts: list[dict[str, Any]]
    run: RawRun
    limits: Limits
    phase: Phase = Phase.BOOTING
    index: int = 0  # the part running or next
    calls: list[tuple[int, int | None]] = field(default_factory=list)  # (case, step) per call
    received: int = 0

    @property
    def current(self) -> RawPart:
        return self.run.parts[self.parts[self.index]["name"]]

    def budget(self, child: SandboxChild) -> PhaseBudget:
        """What the job may use in this phase, all its processes together. Start-up (the
        interpreter and numpy, before any student code) is held to the wall clock alone."""
        wall_factor = 1.0 if self.phase is Phase.BOOTING else self.limits.wall_factor
        return PhaseBudget(child.usage, self.timeout_s(), wall_factor, self.limits.memory_mb)

    def timeout_s(self) -> float:
        """The time limit of this phase: CPU seconds of the whole job (all its processes) until
        the next frame, with a wall-clock backstop (see
        :class:`~grader.runner.accounting.PhaseBudget`)."""
        if self.phase is Phase.BOOTING:
            return self.limits.load_timeout_s + 5.0  # the interpreter and numpy, then the code
        if self.phase is Phase.LOADING:
            return self.limits.load_timeout_s
        return self.limits.part_timeout_s

    def receive(self, header: dict[str, Any], payload: bytes) -> list[dict[str, Any]] | None:
        """Take one frame; the parts left for a new child once this one is finished with,
        else None. Raises ProtocolError for a frame that does not fit."""
        event, phase = header["event"], self.phase
        if phase is Phase.BOOTING and event == protocol.STARTED:
            self.phase = Phase.LOADING
        elif phase is Phase.LOADING and event == protocol.LOADED:
            self.phase = Phase.READY
        elif phase is Phase.LOADING and event == protocol.LOAD_ERROR:
            self.run.load_error = _load_error(header)
            for p in self.parts:
                self.run.parts[p["name"]].state = "error"
            return self._finish([])
        elif phase is Phase.READY and event == protocol.PART_START:
            self._start_part(header)
        elif phase is Phase.READY and event == protocol.DONE and self.index == len(self.parts):
            return self._finish([])
        elif phase is Phase.IN_PART and event == protocol.RESULTS:
            self._results(header, payload)
        elif phase is Phase.IN_PART and event in (protocol.PART_MISSING, protocol.PART_ERROR):
            self._check_part(header)
            if self.received:
                raise ProtocolError("the job sent results of a part it says it could not run")
            part = self.current
            part.state = "missing" if event == protocol.PART_MISSING else "error"
            part.message = _text(header.get("message"), 2000)
            self._next_part()
        elif phase is Phase.IN_PART and event == protocol.PART_END:
            self._check_part(header)
            self.current.state = "done"
            self._next_part()
            if header.get("fresh"):  # it ran into a limit or left something behind
                return self._finish(self.parts[self.index :])
        else:
            raise ProtocolError(f"the job sent an unexpected message ({_text(event, 40)!r})")
        return None

    def stop(self, stop: _Stop) -> list[dict[str, Any]]:
        """The child is stopped (timeout, death, protocol error): record why on the part it
        was running; the parts left for a new child. Re-raises ``stop`` when no student code
        has run yet (the sandbox itself failed)."""
        if self.phase is Phase.BOOTING:
            raise stop
        if self.phase is Phase.LOADING:  # top-level code never finished: every part fails
            self.run.load_error = {"kind": stop.state, "message": stop.message}
            for p in self.parts:
                self.run.parts[p["name"]].state = stop.state
                self.run.parts[p["name"]].message = stop.message
            return self._finish([])
        if self.index >= len(self.parts):
            return self._finish([])
        part = self.current  # between parts: the next one is blamed
        part.state, part.message = stop.state, stop.message
        return self._finish(self.parts[self.index + 1 :])

    def _finish(self, rest: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.phase = Phase.FINISHED
        return rest

    def _check_part(self, header: dict[str, Any]) -> None:
        if header.get("part") != self.parts[self.index]["name"]:
            raise ProtocolError("the job sent results out of order")

    def _start_part(self, header: dict[str, Any]) -> None:
        if self.index >= len(self.parts):
            raise ProtocolError("the job started a part that was not asked for")
        self._check_part(header)
        per_step = header.get("per_step")
        if type(per_step) is not bool:
            raise ProtocolError("the job sent a malformed message")
        self.calls = self.job.calls(self.parts[self.index], per_step)
        self.received = 0
        self.phase = Phase.IN_PART

    def _next_part(self) -> None:
        self.index += 1
        self.phase = Phase.READY

    def _results(self, header: dict[str, Any], payload: bytes) -> None:
        self._check_part(header)
        calls = header.get("calls")
        if not isinstance(calls, list) or not calls:
            raise ProtocolError("the job sent a malformed message")
        part = self.current
        max_bytes = self.job.max_value_bytes(part.name)
        offset = 0
        for call in calls:
            if not isinstance(call, dict) or call.get("call") != self.received:
                raise ProtocolError("the job sent results out of order")
            if self.received >= len(self.calls):
                raise ProtocolError("the job sent more results than the part has calls")
            case, step = self.calls[self.received]
            out = CallOutput()
            if "error" in call:
                out.error = _error(call["error"])
            elif "bad_value" in call:
                out.bad = _bad_value(call["bad_value"])
            else:
                dtype, shape, start, nbytes = protocol.array_header(call, len(payload))
                if start != offset or start + nbytes > len(payload):
                    raise ProtocolError("malformed array data (bad offset)")
                offset += nbytes
                if nbytes > max_bytes:  # far more than the answer: described, never kept
                    out.bad = BadValue("too_large", "ndarray", dtype, tuple(shape))
                else:
                    count = nbytes // np.dtype(dtype).itemsize
                    value = np.frombuffer(payload, dtype, count, start).reshape(shape)
                    out.value = value.copy()  # its own bytes, not a view of the frame
            part.calls.setdefault(case, {})[step] = out
            self.received += 1
        if offset != len(payload):
            raise ProtocolError("malformed array data (bytes left over)")


def _text(value: Any, limit: int) -> str:
    """A string the job sent, at most ``limit`` characters, as text any output can encode: a
    lone surrogate (JSON's "\\udc80") would make the report impossible to write as UTF-8."""
    if not isinstance(value, str):
        return ""
    return value[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def _error(value: Any) -> dict[str, Any]:
    """An exception's description from the job, with each field of the type the report
    expects (a forged one loses what does not fit)."""
    err = value if isinstance(value, dict) else {}
    line = err.get("line")
    return {
        "type": _text(err.get("type"), 200) or "an exception",
        "message": _text(err.get("message"), 2000),
        "line": line if type(line) is int and 0 < line < 1 << 31 else None,
        "traceback": _text(err.get("traceback"), 4000),
    }


def _bad_value(value: Any) -> BadValue:
    """A bad value's facts as the job sent them, each field of its type (or left out)."""
    if isinstance(value, str):
        return BadValue("other", detail=_text(value, 500))
    facts = value if isinstance(value, dict) else {}
    kind, shape = facts.get("kind"), facts.get("shape")
    if not (
        isinstance(shape, list)
        and len(shape) <= protocol.MAX_NDIM
        and all(type(n) is int and 0 <= n < 1 << 62 for n in shape)
    ):
        shape = []
    return BadValue(
        cast(BadKind, kind) if isinstance(kind, str) and kind in BAD_KINDS else "other",
        type_name=_text(facts.get("type"), 100),
        dtype=_text(facts.get("dtype"), 100),
        shape=tuple(shape),
        detail=_text(facts.get("detail"), 500),
    )


def _load_error(header: dict[str, Any]) -> dict[str, Any]:
    kind = header.get("kind")
    return {
        **_error(header),
        "kind": kind if kind in ("syntax", "exception") else "exception",
        "text": _text(header.get("text"), 300),
    }


@dataclass
class _Reader:
    child: SandboxChild
    decoder: protocol.FrameDecoder
    output: bytearray = field(default_factory=bytearray)
    output_bytes: int = 0
    eof: bool = False
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def __post_init__(self) -> None:
        self.selector.register(self.child.results, selectors.EVENT_READ, "results")
        self.selector.register(self.child.output, selectors.EVENT_READ, "output")


def run_job(job: JobSpec, launcher: Launcher) -> RawRun:
    """Run every part of ``job`` in children the launcher starts; each part's outcome is in the
    returned ``RawRun``. A sandbox that cannot start the first job (no student code has run)
    is replaced by the launcher's fallback, if it has one; else that is a SandboxError."""
    while True:
        run = RawRun(
            backend=launcher.name, parts={p["name"]: RawPart(p["name"]) for p in job.parts}
        )
        try:
            _run(job, launcher, run)
            return run
        except SandboxError as problem:
            if not launcher.fall_back(problem):
                raise


def _run(job: JobSpec, launcher: Launcher, run: RawRun) -> None:
    remaining = list(job.parts)
    excerpt = bytearray()
    program = _seccomp(launcher.backend)
    try:
        while True:  # one child at least: a job without parts still loads the code
            try:
                with launcher.child() as child:
                    run.children += 1
                    remaining = _drive(child, job, remaining, launcher.limits, run, excerpt,
                                       program)  # fmt: skip
            except SandboxError as problem:
                if run.children <= 1:
                    raise
                for p in remaining:  # student code ran already: no fallback now
                    run.parts[p["name"]].message = str(problem)
                break
            if not remaining:
                break
    finally:
        run.output_excerpt = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
        note = output_note(run.output_bytes, launcher.limits)
        if note:
            run.notes.append(note)


def output_note(printed: int, limits: Limits) -> str:
    """What the report says of output over the cap ("" when there is none): it is dropped
    after the excerpt, never a failure."""
    if printed <= limits.output_kb << 10:
        return ""
    kib = (printed + 1023) >> 10  # rounded up: never "printed 1024 KiB, more than 1024 KiB"
    return (
        f"printed {kib} KiB, more than the {limits.output_kb} KiB output cap: only the first "
        f"{EXCERPT_BYTES >> 10} KiB were kept, the rest was dropped"
    )


def _seccomp(backend: SandboxBackend) -> dict[str, Any]:
    """The job frame's seccomp filter: required in a hardened backend; in the plain one, used
    where this machine can build it."""
    from grader.runner.seccomp import job_filter

    try:
        program = job_filter()
    except SandboxError:
        if backend.confined:
            raise
        return {}
    return {"seccomp": base64.b64encode(program).decode(), "seccomp_required": backend.confined}


def _drive(
    child: SandboxChild,
    job: JobSpec,
    parts: list[dict[str, Any]],
    limits: Limits,
    run: RawRun,
    excerpt: bytearray,
    seccomp: dict[str, Any],
) -> list[dict[str, Any]]:
    """Drive one child; return the parts still to run in a new child."""
    try:
        child.stdin.write(job.frame(parts, limits, seccomp))
        child.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the child died at once; reading below reports how
    talk = Conversation(job, parts, run, limits)
    max_payload = (limits.max_result_kb << 10) + 4096
    reader = _Reader(child, protocol.FrameDecoder(max_payload))
    step = (talk.phase, talk.index)
    budget = talk.budget(child)
    try:
        while True:
            if step != (talk.phase, talk.index):  # each phase and part has its own budget
                step = (talk.phase, talk.index)
                budget = talk.budget(child)
            try:
                header, payload = _next_frame(reader, budget)
                rest = talk.receive(header, payload)
            except ProtocolError as exc:
                raise _Stop("error", str(exc)) from None
            if rest is not None:
                return rest
    except _Stop as stop:
        try:
            return talk.stop(stop)
        except _Stop:
            said = bytes(reader.output).decode("utf-8", "replace").strip().splitlines()
            raise SandboxError(
                f"the {run.backend} sandbox could not start a job: {stop.message or 'timed out'}"
                + (f" ({said[-1][:300]})" if said else "")
            ) from None
    finally:
        reader.selector.close()
        run.output_bytes += reader.output_bytes
        if run.children == 1:  # later children re-run the same top-level code: keep one copy
            excerpt += reader.output[: max(0, EXCERPT_BYTES - len(excerpt))]


def _next_frame(reader: _Reader, budget: PhaseBudget) -> tuple[dict[str, Any], bytes]:
    """The next complete frame, reading results and output until then or until the job is
    over its budget (its time or memory, all its processes together)."""
    sel = reader.selector
    while True:
        ready = reader.decoder.next()
        if ready is not None:
            return ready
        if reader.eof:
            raise _Stop("error", _death_message(reader.child))
        try:
            wait = budget.check(time.monotonic())
        except OverBudget as over:
            raise _Stop("timeout" if over.timeout else "error", over.message) from None
        for key, _ in sel.select(timeout=wait):
            stream = key.fileobj
            chunk = _read_some(stream)
            if key.data == "output":
                if not chunk:
                    sel.unregister(stream)
                    continue
                # Output never costs a part: the start is kept, the rest counted and dropped
                # as it arrives, so that the child never blocks on a full pipe and the grader
                # holds no more than the excerpt. A flood costs only the time it takes.
                reader.output_bytes += len(chunk)
                room = EXCERPT_BYTES - len(reader.output)
                if room > 0:
                    reader.output += chunk[:room]
            elif chunk:
                reader.decoder.feed(chunk)
            else:
                reader.eof = True


def _read_some(stream: Any) -> bytes:
    try:
        return os.read(stream.fileno(), 1 << 16)
    except OSError:
        return b""


def _death_message(child: SandboxChild) -> str:
    """Why the child ended without finishing, from its exit status."""
    try:
        code = child.wait(timeout=2.0)
    except Exception:
        return "the process closed its result channel and stopped answering"
    # A signal shows as a negative status for a direct child, and as 128 + n through bwrap.
    signum = -code if code < 0 else code - 128 if child.via_shell_status and code > 128 else 0
    if signum:
        hints: dict[int, str] = {
            signal.SIGKILL: " (killed: often the memory or CPU-time limit)",
            signal.SIGXCPU: " (CPU-time limit exceeded)",
            signal.SIGSEGV: " (segmentation fault)",
            signal.SIGXFSZ: " (file-size limit exceeded)",
        }
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        return f"the process was ended by {name}{hints.get(signum, '')}"
    return f"the process exited with status {code} before it finished"
