"""Case sets: each case's inputs, its expected answers and the catalogued wrong answers.

A case set is plain data. The public one ships to students as an ``.npz`` file (read with
``allow_pickle=False``); the hidden one is built from the instructor's secret by the
assignment's provider and never written where students can reach it.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from grader.assignment import Assignment
from grader.errors import AssignmentError, SecretError

CaseSetKind = Literal["public", "hidden"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Mistake:
    """A catalogued wrong derivation: its id and its message in each language."""

    id: str
    parts: tuple[str, ...]
    messages: dict[str, str]


@dataclass(frozen=True)
class Case:
    index: int
    kind: str  # e.g. "edge" or "random"
    sizes: dict[str, int]
    inputs: dict[str, Any]  # arrays and Python scalars, by the contract's parameter names
    expected: dict[str, FloatArray]  # by part name
    wrong: dict[str, dict[str, FloatArray]] = field(default_factory=dict)  # part -> id -> array


@dataclass(frozen=True)
class CaseSet:
    assignment: str
    kind: CaseSetKind
    cases: tuple[Case, ...]
    mistakes: tuple[Mistake, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The case set as plain JSON: inputs and expected answers as nested lists."""
        return {
            "assignment": self.assignment,
            "case_set": self.kind,
            "cases": [
                {
                    "index": c.index,
                    **c.sizes,
                    "inputs": {k: _plain(v) for k, v in c.inputs.items() if k not in c.sizes},
                    "expected": {k: _plain(v) for k, v in c.expected.items()},
                }
                for c in self.cases
            ],
        }

    def to_npz_bytes(self) -> bytes:
        arrays: dict[str, NDArray[Any]] = {}
        meta: dict[str, Any] = {
            "assignment": self.assignment,
            "kind": self.kind,
            "mistakes": [
                {"id": m.id, "parts": list(m.parts), "messages": m.messages} for m in self.mistakes
            ],
            "cases": [],
        }
        for c in self.cases:
            meta["cases"].append({"index": c.index, "kind": c.kind, "sizes": c.sizes})
            for k, v in c.inputs.items():
                arrays[f"{c.index}/inputs/{k}"] = np.asarray(v)
            for k, v in c.expected.items():
                arrays[f"{c.index}/expected/{k}"] = v
            for part, by_id in c.wrong.items():
                for mid, v in by_id.items():
                    arrays[f"{c.index}/wrong/{part}/{mid}"] = v
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        return buf.getvalue()

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_npz_bytes())

    @classmethod
    def load(cls, path: Path) -> CaseSet:
        try:
            with np.load(path, allow_pickle=False) as npz:
                meta = json.loads(bytes(npz["meta"]).decode())
                data = {k: npz[k] for k in npz.files if k != "meta"}
        except (OSError, ValueError, KeyError) as exc:
            raise AssignmentError(f"case set {path} cannot be read: {exc}") from None
        cases = []
        for cm in meta["cases"]:
            i = cm["index"]
            inputs: dict[str, Any] = {}
            expected: dict[str, FloatArray] = {}
            wrong: dict[str, dict[str, FloatArray]] = {}
            for key, arr in data.items():
                head, _, rest = key.partition("/")
                if int(head) != i:
                    continue
                section, _, name = rest.partition("/")
                if section == "inputs":
                    inputs[name] = arr.item() if arr.ndim == 0 else arr
                elif section == "expected":
                    expected[name] = arr
                else:
                    part, _, mid = name.partition("/")
                    wrong.setdefault(part, {})[mid] = arr
            cases.append(Case(i, cm["kind"], cm["sizes"], inputs, expected, wrong))
        mistakes = tuple(
            Mistake(m["id"], tuple(m["parts"]), m["messages"]) for m in meta["mistakes"]
        )
        return cls(meta["assignment"], meta["kind"], tuple(cases), mistakes)


def _plain(v: Any) -> Any:
    return v.tolist() if isinstance(v, np.ndarray) else v


def hidden_seed(secret: str) -> int:
    """The hidden case set's seed: a hash of the instructor's secret (never stored)."""
    return int.from_bytes(hashlib.sha256(b"bptt-grader/hidden\0" + secret.encode()).digest()[:16])


def load_case_set(assignment: Assignment, kind: CaseSetKind, secret: str | None = None) -> CaseSet:
    """The public case set (shipped file, else built from the public seed) or the hidden one."""
    if kind == "public":
        if assignment.public_cases_path.is_file():
            return CaseSet.load(assignment.public_cases_path)
        return _build(assignment, "public", assignment.cases.public_seed)
    if not secret:
        raise SecretError(
            "grading on the hidden case set needs the instructor's secret: set GRADER_SECRET "
            "or pass --secret-file FILE"
        )
    return _build(assignment, "hidden", hidden_seed(secret))


def _build(assignment: Assignment, kind: CaseSetKind, seed: int) -> CaseSet:
    if assignment.provider is None:
        raise AssignmentError(
            f"assignment {assignment.name!r} has no case-set provider, so its {kind} case set "
            "cannot be built here (a student bundle carries only the public case set)"
        )
    try:
        module = importlib.import_module(assignment.provider)
    except ImportError as exc:
        raise AssignmentError(
            f"the case-set provider {assignment.provider!r} cannot be imported ({exc}); the "
            f"{kind} case set needs the full course package, not the student bundle"
        ) from None
    case_set: CaseSet = module.build_case_set(assignment, kind, seed)
    return case_set
