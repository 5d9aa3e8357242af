"""No byte sequence from a job can raise in the grader: fuzzing the frame decoder and the
grader's side of the protocol (``Conversation``), then grading what they recorded.

Whatever a job sends ends as a status on the report with a score: the only exception the
decoding may raise is ``ProtocolError``, which the session turns into an ``error`` part.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.assignment import load_assignment
from grader.cases import load_case_set
from grader.core import wire_inputs
from grader.evaluate import evaluate_part
from grader.runner import protocol
from grader.runner.limits import Limits
from grader.runner.protocol import FrameDecoder, ProtocolError
from grader.runner.session import Conversation, JobSpec, Phase, RawPart, RawRun, _Stop
from grader.source import Source

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = load_assignment(ROOT / "reference" / "assignment.toml")
CASES = load_case_set(ASSIGNMENT, "public")
PARTS = [
    {"name": p.name, "function": p.function, "steps": p.steps.model_dump() if p.steps else None}
    for p in ASSIGNMENT.parts
]
NAMES = [p["name"] for p in PARTS]
JOB = JobSpec(
    source="",
    filename="hw.py",
    parts=PARTS,
    inputs=wire_inputs(CASES),
    answer_sizes={
        p.name: max(c.expected[p.name].size for c in CASES.cases) for p in ASSIGNMENT.parts
    },
)
MAX_PAYLOAD = (Limits().max_result_kb << 10) + 4096
SOURCE = Source(filename="hw.py", sha256="0" * 64, code="")


def grade_frames(frames: list[tuple[dict[str, Any], bytes]]) -> RawRun:
    """Feed frames to a conversation as the session does, stop it on the first protocol
    error, and grade every part from what it recorded."""
    run = RawRun(backend="test", parts={n: RawPart(n) for n in NAMES})
    talk = Conversation(JOB, PARTS, run, Limits())
    for header, payload in frames:
        try:
            if talk.receive(header, payload) is not None:
                break
        except ProtocolError as exc:
            if talk.phase is not Phase.BOOTING:
                talk.stop(_Stop("error", str(exc)))
            break
    for part in ASSIGNMENT.parts:
        report = evaluate_part(
            part, run.parts[part.name], CASES, ASSIGNMENT, 10.0, where=SOURCE.where,
            load_failed=run.load_error is not None,
        )  # fmt: skip
        assert 0 <= report.score <= part.points
    return run


def valid_run(value: float = 0.25) -> list[tuple[dict[str, Any], bytes]]:
    """The frames of a job whose every part returns ``value``-filled arrays of the right
    sizes, one call per case."""
    frames: list[tuple[dict[str, Any], bytes]] = [
        ({"event": "started"}, b""),
        ({"event": "loaded"}, b""),
    ]
    for name in NAMES:
        frames.append(({"event": "part_start", "part": name, "per_step": False}, b""))
        calls, chunks, offset = [], [], 0
        for k, case in enumerate(CASES.cases):
            data = np.full(case.expected[name].shape, value).tobytes()
            calls.append({"call": k, "dtype": "<f8", "shape": list(case.expected[name].shape),
                          "offset": offset, "nbytes": len(data)})  # fmt: skip
            chunks.append(data)
            offset += len(data)
        frames.append(({"event": "results", "part": name, "calls": calls}, b"".join(chunks)))
        frames.append(({"event": "part_end", "part": name}, b""))
    frames.append(({"event": "done"}, b""))
    return frames


def test_a_valid_run_is_recorded_whole() -> None:
    run = grade_frames(valid_run())
    assert {n: p.state for n, p in run.parts.items()} == dict.fromkeys(NAMES, "done")
    assert all(len(p.calls) == len(CASES.cases) for p in run.parts.values())


# --- the attacks the outside round found ---------------------------------------------------


def test_a_deeply_nested_header_is_a_protocol_error() -> None:
    decoder = FrameDecoder(MAX_PAYLOAD)
    raw = b"[" * 100_000 + b"]" * 100_000
    decoder.feed(struct.pack(">II", len(raw), 0) + raw)
    with pytest.raises(ProtocolError, match="nested too deep"):
        decoder.next()


@pytest.mark.parametrize(
    "dtype",
    [
        pytest.param(",", id="comma"),  # numpy's parser raises SyntaxError on it
        pytest.param("O", id="object"),  # objects: never
        pytest.param("<U8", id="string"),
        pytest.param("V8", id="void"),
        pytest.param("[('a', '<f8')]", id="record"),
        pytest.param(8, id="not-a-string"),
    ],
)
def test_a_dtype_outside_the_whitelist_is_refused(dtype: Any) -> None:
    frames = valid_run()
    header = frames[3][0]
    header["calls"][0]["dtype"] = dtype
    run = grade_frames(frames)
    assert run.parts["y_pred"].state == "error"
    assert "number type" in run.parts["y_pred"].message


def test_a_forged_error_line_is_dropped() -> None:
    frames = valid_run()
    header, _ = frames[3]
    header["calls"] = [{"call": 0, "error": {"type": "X", "message": "m", "line": "7; rm -rf"}}]
    run = grade_frames([*frames[:3], (header, b""), *frames[4:]])
    assert run.parts["y_pred"].calls[CASES.cases[0].index][None].error == {
        "type": "X", "message": "m", "line": None, "traceback": "",
    }  # fmt: skip


def test_many_forged_calls_end_the_part_at_once() -> None:
    # One frame listing 600 calls: far more than the part has, each with its own slice.
    calls = [
        {"call": k, "dtype": "<f8", "shape": [1], "offset": 8 * k, "nbytes": 8} for k in range(600)
    ]
    frames = valid_run()
    forged = ({"event": "results", "part": "y_pred", "calls": calls}, bytes(8 * 600))
    run = grade_frames([*frames[:3], forged, *frames[4:]])
    assert run.parts["y_pred"].state == "error"
    assert "more results than the part has calls" in run.parts["y_pred"].message
    kept = sum(
        out.value.nbytes for out in run.parts["y_pred"].calls[0].values() if out.value is not None
    )
    assert kept <= 8 * len(CASES.cases)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param({"call": 5}, "out of order", id="call-skipped"),
        pytest.param({"offset": 8}, "bad offset", id="overlapping-slices"),
        pytest.param({"nbytes": 16, "shape": [2]}, "bytes left over|bad offset", id="size-lie"),
        pytest.param({"shape": [2**40, 2**40]}, "size does not match|bad shape", id="huge-shape"),
        pytest.param({"shape": [-1]}, "bad shape", id="negative-shape"),
    ],
)
def test_a_call_that_lies_about_itself_errors_its_part(
    change: dict[str, Any], expected: str
) -> None:
    frames = valid_run()
    header = frames[3][0]
    header["calls"][0].update(change)
    run = grade_frames(frames)
    assert run.parts["y_pred"].state == "error"
    assert any(e in run.parts["y_pred"].message for e in expected.split("|")), run.parts[
        "y_pred"
    ].message


def test_results_for_another_part_are_out_of_order() -> None:
    frames = valid_run()
    frames[3][0]["part"] = "W"
    run = grade_frames(frames)
    assert run.parts["y_pred"].state == "error"
    assert "out of order" in run.parts["y_pred"].message


def test_a_value_far_larger_than_the_answer_is_described_not_kept() -> None:
    frames = valid_run()
    header, _ = frames[3]
    big = np.zeros(4096).tobytes()
    first = {"call": 0, "dtype": "<f8", "shape": [4096], "offset": 0, "nbytes": len(big)}
    rest = [{"call": k, "bad_value": "x"} for k in range(1, len(CASES.cases))]
    run = grade_frames([*frames[:3], ({**header, "calls": [first, *rest]}, big), *frames[4:]])
    out = run.parts["y_pred"].calls[CASES.cases[0].index][None]
    assert out.value is None and "far too large" in (out.bad_value or "")


# --- fuzzing -------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
EVENTS = st.sampled_from(
    ["started", "loaded", "load_error", "part_start", "part_missing", "part_error", "results",
     "part_end", "done", "other"]
)  # fmt: skip
CALL = st.fixed_dictionaries(
    {"call": st.integers(-1, 20)},
    optional={
        "dtype": st.sampled_from(["<f8", "<f4", "|b1", ">c16", "<i8", ",", "O", "<U3"])
        | JSON_VALUES,
        "shape": st.lists(st.integers(-2, 20), max_size=3) | JSON_VALUES,
        "offset": st.integers(-8, 200) | JSON_VALUES,
        "nbytes": st.integers(-8, 200) | JSON_VALUES,
        "error": JSON_VALUES,
        "bad_value": JSON_VALUES,
    },
)
HEADER = st.fixed_dictionaries(
    {"event": EVENTS},
    optional={
        "part": st.sampled_from([*NAMES, "nope"]) | JSON_VALUES,
        "per_step": st.booleans() | JSON_VALUES,
        "calls": st.lists(CALL, max_size=6) | JSON_VALUES,
        "fresh": JSON_VALUES,
        "kind": st.sampled_from(["syntax", "exception", "other"]) | JSON_VALUES,
        "message": JSON_VALUES,
        "line": JSON_VALUES,
        "type": JSON_VALUES,
        "text": JSON_VALUES,
    },
)
FRAMES = st.lists(st.tuples(HEADER, st.binary(max_size=256)), max_size=25)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRAMES)
def test_random_frames_end_as_statuses_with_scores(
    frames: list[tuple[dict[str, Any], bytes]],
) -> None:
    grade_frames([({"event": "started"}, b""), *frames])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_valid_runs_end_as_statuses_with_scores(data: st.DataObject) -> None:
    frames = valid_run()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(frames) - 1))
        header, payload = frames[i]
        how = data.draw(st.sampled_from(["drop", "repeat", "field", "payload", "swap"]))
        if how == "drop":
            frames.pop(i)
        elif how == "repeat":
            frames.insert(i, (header, payload))
        elif how == "field":
            key = data.draw(st.sampled_from([*header, "part", "calls", "event"]))
            frames[i] = ({**header, key: data.draw(JSON_VALUES)}, payload)
        elif how == "payload":
            frames[i] = (header, data.draw(st.binary(max_size=len(payload) + 16)))
        else:
            j = data.draw(st.integers(0, len(frames) - 1))
            frames[i], frames[j] = frames[j], frames[i]
        if not frames:
            break
    grade_frames(frames)


def _stream(frames: list[tuple[dict[str, Any], bytes]]) -> bytes:
    return b"".join(protocol.frame(h, p) for h, p in frames)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_decoder_raises_only_protocol_errors(data: st.DataObject) -> None:
    stream = bytearray(_stream(valid_run()[:5]))
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(stream)))
        stream[at : at + data.draw(st.integers(0, 4))] = data.draw(st.binary(max_size=8))
    if data.draw(st.booleans()):
        stream = bytearray(data.draw(st.binary(max_size=512)))
    decoder = FrameDecoder(MAX_PAYLOAD)
    cut = data.draw(st.integers(0, len(stream)))
    try:
        for chunk in (bytes(stream[:cut]), bytes(stream[cut:])):
            decoder.feed(chunk)
            while (got := decoder.next()) is not None:
                header = got[0]
                assert isinstance(header, dict) and isinstance(header["event"], str)
                json.dumps(header)  # plain JSON values only
    except ProtocolError:
        pass


def test_the_decoder_refuses_an_oversized_payload_before_it_arrives() -> None:
    decoder = FrameDecoder(1024)
    decoder.feed(struct.pack(">II", 2, 1 << 30) + b"{}")
    with pytest.raises(ProtocolError, match="limit"):
        decoder.next()
