"""What both ends of the pipe between the grader and a job share: frames, events, limits.

Standard library only: the sandboxed child imports this file too (it is bound beside
``child.py``), and the grader's side must not trust anything the child sends. Every byte from
the child goes through :class:`FrameDecoder` and :func:`array_header`, which raise nothing but
:class:`ProtocolError` and never hold more than their caller allows.

A frame is 8 bytes (big-endian JSON length, payload length), a JSON object (the header, whose
``event`` names it), then the payload: raw array bytes that a ``results`` header describes.
"""

from __future__ import annotations

import json
import struct
from typing import Any

FRAME_PREFIX = struct.Struct(">II")
#: The largest JSON header a job may send (a batch of result descriptions or a traceback).
MAX_HEADER_BYTES = 256 * 1024
#: A JSON header nested deeper than this is refused before it is parsed.
MAX_HEADER_DEPTH = 16

# Events, child to grader, in the order a run sends them.
STARTED = "started"  # the runner has its limits and uid: student code starts now
LOADED = "loaded"  # the top-level code ran
LOAD_ERROR = "load_error"  # it did not: {kind, type, message, line, text|traceback}
PART_START = "part_start"  # {part, per_step}: calls follow, one per case (or case and step)
PART_MISSING = "part_missing"  # {part}: the function is not defined
PART_ERROR = "part_error"  # {part, message}: it cannot be called at all
RESULTS = "results"  # {part, calls: [{call, dtype, shape, offset, nbytes} | {call, error} |
#                      {call, bad_value: {kind, type?, dtype?, shape?, detail?}}]}; call numbers
#                      count from 0 within the part
PART_END = "part_end"  # {part, fresh?}: fresh says why the next part needs a new child
DONE = "done"  # every part ran

#: Exit status of a runner that failed itself (not the student's code).
EXIT_RUNNER_FAULT = 70
#: Exit status the pool's monitor reports when it could not learn the job's.
EXIT_MONITOR_FAULT = 71
#: Jobs run as a random uid from this range: uids no account uses, so that RLIMIT_NPROC
#: counts only the job's own processes and two jobs rarely share a budget.
UID_RANGE = (1 << 20, (1 << 20) + (1 << 16))

#: The array element types a job may return, as numpy writes them (``dtype.str``): booleans,
#: integers, floats and complex numbers of the usual sizes in either byte order. A whitelist,
#: so that the grader never hands a job's string to numpy's dtype parser.
NUMERIC_DTYPES = frozenset(
    [f"|{t}" for t in ("b1", "i1", "u1")]
    + [
        f"{order}{t}"
        for order in "<>"
        for t in ("i2", "i4", "i8", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
    ]
)
MAX_NDIM = 8


class ProtocolError(Exception):
    """The job broke the protocol; the message says how, for the report."""


def frame(header: dict[str, Any], payload: bytes = b"") -> bytes:
    data = json.dumps(header).encode()
    return FRAME_PREFIX.pack(len(data), len(payload)) + data + payload


class FrameDecoder:
    """Frames out of a byte stream, holding at most one frame's worth of bytes.

    ``max_payload`` bounds a frame's payload: a prefix announcing more is refused as soon as
    it arrives, before any of the payload is kept."""

    def __init__(self, max_payload: int) -> None:
        self.max_payload = max_payload
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next(self) -> tuple[dict[str, Any], bytes] | None:
        """The next complete frame, or None until more bytes arrive."""
        buf = self._buffer
        if len(buf) < FRAME_PREFIX.size:
            return None
        header_len, payload_len = FRAME_PREFIX.unpack_from(buf)
        if header_len > MAX_HEADER_BYTES:
            raise ProtocolError("the job sent a message header over the size limit")
        if payload_len > self.max_payload:
            raise ProtocolError(f"returned more than the {self.max_payload >> 10} KiB limit")
        total = FRAME_PREFIX.size + header_len + payload_len
        if len(buf) < total:
            return None
        raw = bytes(buf[FRAME_PREFIX.size : FRAME_PREFIX.size + header_len])
        payload = bytes(buf[FRAME_PREFIX.size + header_len : total])
        del buf[:total]
        return parse_header(raw), payload


def parse_header(raw: bytes) -> dict[str, Any]:
    """A frame's JSON header: an object with a string ``event``, nested no deeper than
    :data:`MAX_HEADER_DEPTH` (checked on the bytes, before the parser can recurse)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    if deepest > MAX_HEADER_DEPTH:
        raise ProtocolError("the job sent a malformed message (nested too deep)")
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("the job sent a malformed message") from None
    if not isinstance(header, dict) or not isinstance(header.get("event"), str):
        raise ProtocolError("the job sent a malformed message")
    return header


def array_header(call: dict[str, Any], max_bytes: int) -> tuple[str, list[int], int, int]:
    """(dtype, shape, offset, nbytes) of an array result, checked: a whitelisted number type,
    a short shape of non-negative ints, and a byte count that matches them and is at most
    ``max_bytes``."""
    dtype, shape = call.get("dtype"), call.get("shape")
    offset, nbytes = call.get("offset"), call.get("nbytes")
    if dtype not in NUMERIC_DTYPES:
        raise ProtocolError("malformed array data (not a number type)")
    assert isinstance(dtype, str)
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise ProtocolError("malformed array data (bad shape)")
    if not all(type(n) is int and 0 <= n <= max_bytes for n in shape):
        raise ProtocolError("malformed array data (bad shape)")
    if type(offset) is not int or type(nbytes) is not int or offset < 0 or nbytes < 0:
        raise ProtocolError("malformed array data (bad offset)")
    count = 1
    for n in shape:
        count *= n
        if count > max_bytes:
            break
    itemsize = int(dtype[2:])  # "<f8" → 8, "|b1" → 1
    if count * itemsize != nbytes:
        raise ProtocolError("malformed array data (size does not match shape)")
    return dtype, shape, offset, nbytes
