"""Case sets: each case's inputs, its expected answers and the catalogued wrong answers.

A case set is plain data. The public one is stored next to ``assignment.toml`` as an ``.npz``
file (read with ``allow_pickle=False``), in the course package and in the student copy, with the
recipe it was built from: a file whose recipe no longer matches is rebuilt by the provider. The
hidden one is built from the instructor's secret by the assignment's provider and never written
where students can reach it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import io
import json
import math
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

    def to_npz_bytes(self, recipe: dict[str, Any] | None = None) -> bytes:
        """The case set as an ``.npz`` file of two members: ``meta`` (JSON) and ``blob``, every
        array's raw bytes back to back. One member per array made loading cost about 50 µs an
        array (600 of them in the public set); slicing one buffer costs a few µs each.

        ``recipe`` records what the set was built from (see :func:`public_recipe`), so that a
        stored set that no longer matches its assignment is rebuilt rather than used.
        """
        chunks: list[bytes] = []
        offset = 0

        def put(value: Any, where: str) -> list[Any]:
            nonlocal offset
            arr = np.asarray(value)  # (ascontiguousarray would make a scalar 1-d)
            if arr.dtype.kind not in _STORED_KINDS:
                raise AssignmentError(
                    f"{where} cannot be stored: its type is {arr.dtype} ({type(value).__name__});"
                    " a case set holds booleans and numbers only"
                )
            ref = [arr.dtype.str, list(arr.shape), offset]
            data = arr.tobytes()  # C order
            chunks.append(data + b"\0" * (-len(data) % 8))  # keep every array 8-byte aligned
            offset += len(chunks[-1])
            return ref

        meta: dict[str, Any] = {
            "format": CASE_FILE_FORMAT,
            "assignment": self.assignment,
            "kind": self.kind,
            "recipe": recipe,
            "mistakes": [
                {"id": m.id, "parts": list(m.parts), "messages": m.messages} for m in self.mistakes
            ],
            "cases": [
                {
                    "index": c.index,
                    "kind": c.kind,
                    "sizes": c.sizes,
                    "inputs": {
                        k: put(v, f"case {c.index}: input {k}") for k, v in c.inputs.items()
                    },
                    "expected": {
                        k: put(v, f"case {c.index}: expected {k}") for k, v in c.expected.items()
                    },
                    "wrong": {
                        p: {m: put(v, f"case {c.index}: wrong {p}/{m}") for m, v in w.items()}
                        for p, w in c.wrong.items()
                    },
                }
                for c in self.cases
            ],
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            blob=np.frombuffer(b"".join(chunks), dtype=np.uint8),
        )
        return buf.getvalue()

    def save(self, path: Path, recipe: dict[str, Any] | None = None) -> None:
        path.write_bytes(self.to_npz_bytes(recipe))

    @classmethod
    def load(cls, path: Path) -> CaseSet:
        return cls.load_with_recipe(path)[0]

    @classmethod
    def load_with_recipe(cls, path: Path) -> tuple[CaseSet, dict[str, Any] | None]:
        """The case set stored at ``path`` and the recipe it was stored with."""
        try:
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as npz:
                meta = json.loads(bytes(npz["meta"]).decode())
                if meta.get("format") != CASE_FILE_FORMAT:
                    raise ValueError("it was written by another version of the grader")
                blob = npz["blob"].tobytes()
            return _from_meta(meta, blob), meta.get("recipe")
        except Exception as exc:  # any failure to parse the file means it is unusable
            raise AssignmentError(
                f"case set {path} cannot be read ({type(exc).__name__}: {exc}): it is damaged or "
                "was written by another version of the grader; reinstall the package that holds "
                "it (an instructor rebuilds a student copy with grader bundle)"
            ) from None


#: The layout of stored case sets (:meth:`CaseSet.to_npz_bytes`); bump it when that changes.
CASE_FILE_FORMAT = 2
#: The dtype kinds a stored array may have: booleans and numbers, never objects or strings.
_STORED_KINDS = frozenset("biufc")


def _from_meta(meta: dict[str, Any], blob: bytes) -> CaseSet:
    def get(ref: list[Any]) -> Any:  # an array, read-only: a view of the blob
        dtype, shape, offset = np.dtype(ref[0]), tuple(ref[1]), int(ref[2])
        count = math.prod(shape)
        if dtype.kind not in _STORED_KINDS or not 0 <= offset <= len(blob) - count * dtype.itemsize:
            raise ValueError(f"an array entry is malformed: {ref!r}")
        return np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape)

    def scalar_or_array(ref: list[Any]) -> Any:  # inputs: 0-d arrays are Python scalars
        arr = get(ref)
        return arr.item() if arr.ndim == 0 else arr

    cases = tuple(
        Case(
            index=c["index"],
            kind=c["kind"],
            sizes=c["sizes"],
            inputs={k: scalar_or_array(v) for k, v in c["inputs"].items()},
            expected={k: get(v) for k, v in c["expected"].items()},
            wrong={p: {m: get(v) for m, v in w.items()} for p, w in c["wrong"].items()},
        )
        for c in meta["cases"]
    )
    mistakes = tuple(Mistake(m["id"], tuple(m["parts"]), m["messages"]) for m in meta["mistakes"])
    return CaseSet(meta["assignment"], meta["kind"], cases, mistakes)


def _plain(v: Any) -> Any:
    return v.tolist() if isinstance(v, np.ndarray) else v


def hidden_seed(secret: str) -> int:
    """The hidden case set's seed: a hash of the instructor's secret (never stored)."""
    return int.from_bytes(hashlib.sha256(b"bptt-grader/hidden\0" + secret.encode()).digest()[:16])


def load_case_set(assignment: Assignment, kind: CaseSetKind, secret: str | None = None) -> CaseSet:
    """The public case set or the hidden one.

    The public set is read from the stored file when its recipe is current, else built from
    the public seed (a stale or unreadable file is a cache miss). A student copy has no
    provider: its stored set is the only one there is.
    """
    if kind == "public":
        path = assignment.public_cases_path
        if assignment.provider is None and path.is_file():
            return CaseSet.load(path)
        if path.is_file():
            with contextlib.suppress(AssignmentError):
                stored, recipe = CaseSet.load_with_recipe(path)
                if recipe == public_recipe(assignment):
                    return stored
        return _build(assignment, "public", assignment.cases.public_seed)
    if not secret:
        raise SecretError(
            "grading on the hidden case set needs the instructor's secret: set GRADER_SECRET "
            "or pass --secret-file FILE"
        )
    return _build(assignment, "hidden", hidden_seed(secret))


def public_recipe(assignment: Assignment) -> dict[str, Any]:
    """What the public case set is built from: the assignment (its parts, inputs, seed, count
    and tolerance) and the provider's code. A stored set with another recipe is stale. The
    feedback level is not part of it: the set carries every level's texts."""
    return {
        "assignment": assignment.model_dump(mode="json", exclude={"root", "provider", "feedback"}),
        "provider": assignment.provider,
        "provider_code": _package_digest(assignment.provider),
    }


def _package_digest(module: str | None) -> str | None:
    """A hash of the Python sources of ``module``'s top-level package (its own files, not its
    subpackages), or of the module's file when it is not in a package; found without
    importing anything. None when it cannot be found."""
    if module is None:
        return None
    try:
        spec = importlib.util.find_spec(module.partition(".")[0])  # top level: nothing imported
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        sources = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.py"))
    elif spec.origin is not None:
        sources = [Path(spec.origin)]
    else:
        return None
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()


def save_public_cases(assignment: Assignment, path: Path | None = None) -> Path:
    """Build the public case set and store it (by default next to ``assignment.toml``, where
    :func:`load_case_set` reads it instead of building it each time); the path written."""
    path = path or assignment.public_cases_path
    case_set = _build(assignment, "public", assignment.cases.public_seed)
    case_set.save(path, recipe=public_recipe(assignment))
    return path


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
