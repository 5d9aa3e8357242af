"""One submission's run: start children, feed them the job, time each part, read the results.

The parent never unpickles and never calls anything the child sends: results are JSON headers
and ``.npy`` bytes loaded with ``allow_pickle=False``, each size checked before it is read.
A part that times out, kills its child, runs into a resource limit or leaves threads, processes,
descriptors or memory behind costs only itself: the session starts a new child for the parts
after it (the child says so at the part's end). Normally one child runs every part.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from grader.errors import SandboxError
from grader.runner.backend import SandboxBackend, SandboxChild
from grader.runner.limits import Limits

_HEADER = struct.Struct(">II")
MAX_HEADER_BYTES = 256 * 1024
EXCERPT_BYTES = 4096

PartState = Literal["done", "missing", "error", "timeout"]


@dataclass
class CallOutput:
    """One call's return value (a numeric array) or why there is none."""

    value: NDArray[Any] | None = None
    bad_value: str | None = None
    error: dict[str, Any] | None = None


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
    """What the child is told: no expected answers, no seeds, no secrets."""

    source: str
    filename: str
    parts: list[dict[str, Any]]
    inputs: WireInputs

    def frame(self, parts: list[dict[str, Any]], limits: Limits) -> bytes:
        header = {
            "source": self.source,
            "filename": self.filename,
            "parts": parts,
            "cases": self.inputs.cases,
            "limits": limits.child_rlimits(len(parts)),
            "max_result_bytes": limits.max_result_kb << 10,
        }
        data = json.dumps(header).encode()
        return _HEADER.pack(len(data), len(self.inputs.payload)) + data + self.inputs.payload


class _Stop(Exception):
    """The child must be stopped: ``reason`` says why, for the part that was running."""

    def __init__(self, state: PartState, message: str) -> None:
        self.state = state
        self.message = message


@dataclass
class _Reader:
    child: SandboxChild
    limits: Limits
    buffer: bytearray = field(default_factory=bytearray)
    output: bytearray = field(default_factory=bytearray)
    output_bytes: int = 0
    eof: bool = False
    selector: selectors.BaseSelector = field(default_factory=selectors.DefaultSelector)

    def __post_init__(self) -> None:
        self.selector.register(self.child.results, selectors.EVENT_READ, "results")
        self.selector.register(self.child.output, selectors.EVENT_READ, "output")


def run_job(
    job: JobSpec, backend: SandboxBackend, limits: Limits, first: SandboxChild | None = None
) -> RawRun:
    """Run every part of ``job``; each part's outcome is in the returned ``RawRun``.

    ``first``, a child of ``backend`` started ahead of time, runs the job first."""
    run = RawRun(backend=backend.name, parts={p["name"]: RawPart(p["name"]) for p in job.parts})
    remaining = list(job.parts)
    excerpt = bytearray()
    while remaining:
        child, first = (first, None) if first is not None else (backend.start(limits), None)
        run.children += 1
        try:
            remaining = _drive(child, job, remaining, limits, run, excerpt)
        finally:
            child.close()
    run.output_excerpt = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
    return run


def _drive(
    child: SandboxChild,
    job: JobSpec,
    parts: list[dict[str, Any]],
    limits: Limits,
    run: RawRun,
    excerpt: bytearray,
) -> list[dict[str, Any]]:
    """Drive one child; return the parts still to run in a new child."""
    try:
        child.stdin.write(job.frame(parts, limits))
        child.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the child died at once; reading below reports how
    reader = _Reader(child, limits)
    current: str | None = None
    deadline = time.monotonic() + limits.load_timeout_s + 5.0  # start-up: interpreter + numpy
    started = loaded = False
    index = 0
    try:
        while True:
            header, payload = _next_frame(reader, deadline, run)
            event = header.get("event")
            if event == "started" and not started:
                started = True
                deadline = time.monotonic() + limits.load_timeout_s
            elif event == "load_error":
                run.load_error = header
                for p in parts:
                    run.parts[p["name"]].state = "error"
                return []
            elif event == "loaded":
                loaded = True
            elif event == "part_start" and loaded and current is None and index < len(parts):
                current = parts[index]["name"]
                if header.get("part") != current:
                    raise _Stop("error", "the child sent results out of order")
                deadline = time.monotonic() + limits.part_timeout_s
            elif event == "part_missing" and current:
                run.parts[current].state = "missing"
                current, index = None, index + 1
            elif event == "part_error" and current:
                run.parts[current].state = "error"
                run.parts[current].message = str(header.get("message", ""))[:2000]
                current, index = None, index + 1
            elif event == "results" and current:
                calls = header.get("calls")
                if not isinstance(calls, list):
                    raise _Stop("error", "the child sent a malformed message")
                for call in calls:
                    if not isinstance(call, dict):
                        raise _Stop("error", "the child sent a malformed message")
                    start, size = call.get("offset"), call.get("nbytes")
                    if type(start) is not int or type(size) is not int or start < 0 or size < 0:
                        raise _Stop("error", "the child sent a malformed message")
                    _store(run.parts[current], call, payload[start : start + size])
            elif event == "part_end" and current:
                run.parts[current].state = "done"
                current, index = None, index + 1
                if header.get("fresh"):  # the part ran into a limit or left something behind
                    return parts[index:]
            elif event == "done":
                return []
            else:
                raise _Stop("error", f"the child sent an unexpected message {event!r}")
    except _Stop as stop:
        if not started:  # no student code has run: the sandbox itself could not start a job
            said = bytes(reader.output).decode("utf-8", "replace").strip().splitlines()
            raise SandboxError(
                f"the {run.backend} sandbox could not start a job: {stop.message or 'timed out'}"
                + (f" ({said[-1][:300]})" if said else "")
            ) from None
        if not loaded:
            # Top-level code never finished: every part shares its fate.
            run.load_error = {"kind": stop.state, "message": stop.message}
            for p in parts:
                run.parts[p["name"]].state = stop.state
                run.parts[p["name"]].message = stop.message
            return []
        if current is None:  # between parts: blame the next one
            if index >= len(parts):
                return []
            current = parts[index]["name"]
        run.parts[current].state = stop.state
        run.parts[current].message = stop.message
        return parts[index + 1 :]
    finally:
        reader.selector.close()
        run.output_bytes += reader.output_bytes
        if run.children == 1:  # later children re-run the same top-level code: keep one copy
            excerpt += reader.output[: max(0, EXCERPT_BYTES - len(excerpt))]


def _store(part: RawPart, header: dict[str, Any], payload: bytes) -> None:
    out = CallOutput()
    if "error" in header:
        out.error = header["error"] if isinstance(header["error"], dict) else {"message": "?"}
    elif "bad_value" in header:
        out.bad_value = str(header["bad_value"])[:500]
    else:
        value = decode_array(header, payload)
        if isinstance(value, str):
            out.bad_value = value
        else:
            out.value = value
    case, step = header.get("case"), header.get("step")
    if isinstance(case, int) and (step is None or isinstance(step, int)):
        part.calls.setdefault(case, {})[step] = out


#: Result dtypes the parent accepts: numbers only, never objects, records or strings.
_NUMERIC_KINDS = "biufc"
_MAX_NDIM = 8


def decode_array(header: dict[str, Any], payload: bytes) -> NDArray[Any] | str:
    """An array from an untrusted (dtype, shape) header and raw bytes, or why it is malformed.

    Nothing is evaluated: the dtype must be a plain number type, the shape a short list of
    non-negative ints, and the byte count must match them exactly.
    """
    dtype, shape = header.get("dtype"), header.get("shape")
    if not isinstance(dtype, str) or len(dtype) > 8 or not isinstance(shape, list):
        return "malformed array data (no dtype or shape)"
    if len(shape) > _MAX_NDIM or not all(type(n) is int and n >= 0 for n in shape):
        return "malformed array data (bad shape)"
    try:
        dt = np.dtype(dtype)
    except TypeError:
        return "malformed array data (bad dtype)"
    if dt.kind not in _NUMERIC_KINDS or dt.fields is not None or dt.subdtype is not None:
        return "malformed array data (not a number type)"
    count = 1
    for n in shape:
        count *= n
    if count * dt.itemsize != len(payload):
        return "malformed array data (size does not match shape)"
    return np.frombuffer(payload, dt, count).reshape(shape)


def _next_frame(reader: _Reader, deadline: float, run: RawRun) -> tuple[dict[str, Any], bytes]:
    """The next complete frame, reading results and output until then or the deadline."""
    limits = reader.limits
    max_payload = (limits.max_result_kb << 10) + 4096  # .npy header on top of the data
    sel = reader.selector
    while True:
        if len(reader.buffer) >= _HEADER.size:
            jlen, plen = _HEADER.unpack_from(reader.buffer)
            if jlen > MAX_HEADER_BYTES or plen > max_payload:
                raise _Stop("error", f"returned a value over the {limits.max_result_kb} KiB limit")
            total = _HEADER.size + jlen + plen
            if len(reader.buffer) >= total:
                raw = bytes(reader.buffer[_HEADER.size : _HEADER.size + jlen])
                payload = bytes(reader.buffer[_HEADER.size + jlen : total])
                del reader.buffer[:total]
                try:
                    header = json.loads(raw)
                except ValueError:
                    raise _Stop("error", "the child sent a malformed message") from None
                if not isinstance(header, dict):
                    raise _Stop("error", "the child sent a malformed message")
                return header, payload
        if reader.eof:
            raise _Stop("error", _death_message(reader.child))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Stop("timeout", "")
        for key, _ in sel.select(timeout=remaining):
            stream = key.fileobj
            chunk = _read_some(stream)
            if key.data == "output":
                if not chunk:
                    sel.unregister(stream)
                    continue
                reader.output_bytes += len(chunk)
                room = EXCERPT_BYTES - len(reader.output)
                if room > 0:
                    reader.output += chunk[:room]
                if reader.output_bytes > limits.output_kb << 10:
                    raise _Stop("error", f"printed more than {limits.output_kb} KiB")
            elif chunk:
                reader.buffer += chunk
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
