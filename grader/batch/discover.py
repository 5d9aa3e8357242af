"""Finding one submission per student in the folder layouts instructors actually get.

Layouts, recognised in this order:

- **Gradescope export**: a ``submission_metadata.yml`` at the top (Gradescope's own export: a
  mapping of submission folder → ``{":submitters": [{":name", ":sid", ":email"}], ...}``), or one
  in each submission folder. The student is the first submitter's sid, else email, else name.
- **Canvas download**: flat files named ``lastfirst_12345_67890_anything.py`` (or
  ``lastfirst_LATE_12345_67890_...``): the student is ``lastfirst``, 12345 the Canvas user id.
- **One folder per student**: the student is the folder's name.
- **Flat folder**: ``<student>.py`` / ``<student>.ipynb``: the student is the file's stem.

Several files for one student: the latest (by mtime) is graded and a note says so. A student
folder without a submission file is kept as a row with an error, never dropped silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from grader.errors import SubmissionFileError
from grader.source import SUFFIXES

Layout = Literal["gradescope", "canvas", "folders", "flat"]
GRADESCOPE_METADATA = "submission_metadata.yml"
CANVAS_NAME = re.compile(
    r"^(?P<student>[^_]+)_(?:late_)?(?P<user_id>\d+)_(?P<sub_id>\d+)_.+$", re.I
)
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}


class Submission(BaseModel):
    """One student's file to grade (``path`` None when there is none: see ``error``)."""

    model_config = ConfigDict(frozen=True)

    student: str
    path: Path | None
    notes: tuple[str, ...] = ()
    error: str | None = None
    canvas_user_id: str | None = None


class Discovery(BaseModel):
    model_config = ConfigDict(frozen=True)

    layout: Layout
    submissions: tuple[Submission, ...]


def discover(root: Path) -> Discovery:
    """The submissions under ``root``, one per student, sorted by student."""
    if not root.is_dir():
        raise SubmissionFileError(f"{root} is not a folder of submissions")
    if (root / GRADESCOPE_METADATA).is_file() or any(
        (d / GRADESCOPE_METADATA).is_file() for d in _subdirs(root)
    ):
        layout: Layout = "gradescope"
        found = _gradescope(root)
    else:
        files = code_files(root)
        canvas = bool(files) and all(CANVAS_NAME.match(f.stem) for f in files)
        layout = "canvas" if canvas else "flat"
        found = [_flat_entry(f, canvas) for f in files]
        dirs = _subdirs(root)
        if dirs and not files:
            layout = "folders"
        found += [(d.name, code_files(d, recursive=True), None) for d in dirs]
    return Discovery(layout=layout, submissions=tuple(_one_per_student(found)))


Found = tuple[str, list[Path], str | None]  # student, candidate files, Canvas user id


def _flat_entry(path: Path, canvas: bool) -> Found:
    m = CANVAS_NAME.match(path.stem) if canvas else None
    if m is None:
        return (path.stem, [path], None)
    return (m["student"], [path], m["user_id"])


def _one_per_student(found: list[Found]) -> list[Submission]:
    by_student: dict[str, list[Path]] = defaultdict(list)
    user_ids: dict[str, str] = {}
    for student, paths, user_id in found:
        by_student[student].extend(paths)
        if user_id:
            user_ids[student] = user_id
    out = []
    for student in sorted(by_student):
        paths = by_student[student]
        if not paths:
            out.append(
                Submission(
                    student=student,
                    path=None,
                    error=f"no {' or '.join(SUFFIXES)} file in this student's folder",
                )
            )
            continue
        paths.sort(key=lambda p: (p.stat().st_mtime, p.name))
        latest, older = paths[-1], paths[:-1]
        notes: tuple[str, ...] = ()
        if older:
            notes = (
                f"{len(paths)} files for this student: graded the latest, {latest.name} "
                f"(ignored: {', '.join(p.name for p in older)})",
            )
        # Canvas puts a new user-id-bearing name on each resubmission; the latest file's id
        # is the one to match the roster with.
        m = CANVAS_NAME.match(latest.stem)
        user_id = m["user_id"] if m else user_ids.get(student)
        out.append(Submission(student=student, path=latest, notes=notes, canvas_user_id=user_id))
    return out


def _gradescope(root: Path) -> list[Found]:
    found: list[Found] = []
    top = root / GRADESCOPE_METADATA
    meta: dict[str, Any] = _load_yaml(top) if top.is_file() else {}
    for folder in _subdirs(root):
        own = folder / GRADESCOPE_METADATA
        entry: Any = _load_yaml(own) if own.is_file() else meta.get(folder.name)
        student = _gradescope_student(entry) or folder.name
        found.append((student, code_files(folder, recursive=True), None))
    return found


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SubmissionFileError(f"{path} is not readable YAML: {exc}") from None
    return data if isinstance(data, dict) else {}


def _gradescope_student(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return None
    submitters = _get(entry, "submitters")
    if not isinstance(submitters, list) or not submitters:
        return None
    first = submitters[0]
    if not isinstance(first, dict):
        return None
    for key in ("sid", "email", "name"):
        value = _get(first, key)
        if value not in (None, ""):
            return str(value)
    return None


def _get(mapping: dict[Any, Any], key: str) -> Any:
    """Gradescope writes Ruby symbols (``:sid:`` → the string ":sid"); accept plain keys too."""
    return mapping.get(f":{key}", mapping.get(key))


def _subdirs(root: Path) -> list[Path]:
    return sorted(
        d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".") and
        d.name not in _SKIP_DIRS
    )  # fmt: skip


def code_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p
        for p in candidates
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not p.name.startswith(".")
        and not _SKIP_DIRS.intersection(p.relative_to(folder).parts)
    )
