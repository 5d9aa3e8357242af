"""Finding one submission per student in the folder layouts instructors actually get.

Layouts, recognised in this order:

- **Gradescope export**: a ``submission_metadata.yml`` at the top, Gradescope's own: a mapping
  of submission folder → ``{":submitters": [{":name", ":sid", ":email"}], ...}``. Every
  submitter of a group gets a row, each with the group's file; the student is the submitter's
  sid, else email, else name. A ``submission_metadata.yml`` inside a submission folder is one
  of the student's files, never an identity.
- **Canvas download**: flat files named ``lastfirst_12345_67890_anything.py`` (or
  ``lastfirst_LATE_12345_67890_...``, kept as ``late``): the student is ``lastfirst``, 12345
  the Canvas user id.
- **One folder per student**: the student is the folder's name.
- **Flat folder**: ``<student>.py`` / ``<student>.ipynb``: the student is the file's stem.

The folder is written by students, so discovery never follows a symbolic link (to a file or a
folder) and never reads a FIFO or a device: each such entry is a row with an error saying why
it was not graded (or, beside a gradable file, a note). A name that is not UTF-8 is shown with
backslash escapes; a file with such a name is not graded (rename it). Folders are searched at
most ``MAX_DEPTH`` levels deep and ``MAX_ENTRIES`` entries per student.

Several files for one student: the one defining most of the assignment's functions (counted
with :mod:`ast`, nothing is run; unreadable files count 0) is graded, ties going to the newest,
then the last by name; ``file_choice`` and a note say which and why. A student folder without a
submission file is kept as a row with an error, never dropped silently.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import stat
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from grader.errors import SubmissionFileError
from grader.source import SUFFIXES, read_regular_file, source_from_bytes

Layout = Literal["gradescope", "canvas", "folders", "flat"]
GRADESCOPE_METADATA = "submission_metadata.yml"
METADATA_LIMIT = 16 << 20
#: The most of a candidate file read to count the functions it defines (more counts 0).
PARSE_LIMIT = 1 << 20
MAX_DEPTH = 16
MAX_ENTRIES = 10_000
CANVAS_NAME = re.compile(
    r"^(?P<student>[^_]+)_(?P<late>late_)?(?P<user_id>\d+)_(?P<sub_id>\d+)_.+$", re.I
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
    #: Canvas marked the file LATE in its name.
    late: bool = False
    #: Which of several files is graded and why; empty when there was one.
    file_choice: str = ""
    #: The class folder ``path`` was found in: it is opened from there, never through a link.
    root: Path | None = None


class Discovery(BaseModel):
    model_config = ConfigDict(frozen=True)

    layout: Layout
    submissions: tuple[Submission, ...]


@dataclass(frozen=True)
class Candidate:
    """A file that may be a student's submission; ``problem`` says why it cannot be graded."""

    path: Path
    shown: str  # its name as the instructor reads it (relative to the student's folder)
    mtime: float = 0.0
    problem: str | None = None


@dataclass
class Found:
    """What one folder or file says about a student (several may name the same student)."""

    student: str
    candidates: list[Candidate]
    skipped: list[str]  # entries not looked into, for a note
    missing: str | None = None  # why there is no candidate (an unreadable folder, a link)


def discover(root: Path, functions: Sequence[str] = ()) -> Discovery:
    """The submissions under ``root``, one per student, sorted by student. ``functions``: the
    assignment's function names, to choose among a student's files."""
    try:
        root_stat = root.stat()  # the instructor's folder: it may be a link of theirs
    except OSError:
        root_stat = None
    if root_stat is None or not stat.S_ISDIR(root_stat.st_mode):
        raise SubmissionFileError(f"{root} is not a folder of submissions")
    top = _Scan(root, recursive=False)
    if top.error is not None:
        raise SubmissionFileError(f"{root}: {top.error}")
    meta_entry = top.entries.get(GRADESCOPE_METADATA)
    layout: Layout
    if meta_entry is not None:
        layout = "gradescope"
        found = _gradescope(root, top)
    else:
        files = top.candidates
        canvas = bool(files) and all(CANVAS_NAME.match(Path(c.shown).stem) for c in files)
        layout = "canvas" if canvas else "flat"
        found = [_flat_entry(c, canvas) for c in files]
        if canvas:
            found = _namesakes_apart(found)
        if top.folders and not files:
            layout = "folders"
        found += [_folder_entry(root, name, problem) for name, problem in top.folders]
    chooser = _Chooser(tuple(functions), root, canvas=layout == "canvas")
    return Discovery(layout=layout, submissions=tuple(chooser.one_per_student(found)))


def code_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """The regular .py/.ipynb files in ``folder``, found without following a link."""
    scan = _Scan(folder, recursive=recursive)
    return [c.path for c in scan.candidates if c.problem is None]


class _Scan:
    """One folder's entries (and with ``recursive`` its subfolders'), read with lstat only."""

    def __init__(self, folder: Path, *, recursive: bool) -> None:
        self.candidates: list[Candidate] = []
        self.folders: list[tuple[str, str | None]] = []  # (name, why it is not a folder)
        self.entries: dict[str, os.stat_result] = {}
        self.skipped: list[str] = []
        self.error: str | None = None
        self._walk(folder, recursive)

    def _walk(self, folder: Path, recursive: bool) -> None:
        # A student's folder is bounded (a class folder is not): the cap is read, not more.
        limit = MAX_ENTRIES if recursive else None
        pending: list[tuple[Path, int]] = [(folder, 0)]
        seen = 0
        while pending:
            current, depth = pending.pop()
            try:
                with os.scandir(current) as it:
                    left = None if limit is None else limit + 1 - seen
                    entries = sorted(itertools.islice(it, left), key=lambda e: e.name)
            except OSError as exc:
                where = _shown(current.relative_to(folder).as_posix()) if depth else None
                if where is None:
                    self.error = f"the folder cannot be read: {exc.strerror}"
                else:
                    self.skipped.append(f"{where} (cannot be read: {exc.strerror})")
                continue
            for entry in entries:
                seen += 1
                if limit is not None and seen > limit:
                    self.skipped.append(f"everything after the first {MAX_ENTRIES} entries")
                    return
                self._entry(folder, Path(entry.path), depth, recursive, pending)

    def _entry(
        self,
        folder: Path,
        path: Path,
        depth: int,
        recursive: bool,
        pending: list[tuple[Path, int]],
    ) -> None:
        name = path.name
        if name.startswith(".") or name in _SKIP_DIRS:
            return
        try:
            info = path.lstat()
        except OSError:
            return  # gone since the folder was listed
        shown = _shown(path.relative_to(folder).as_posix())
        if depth == 0:
            self.entries[name] = info
        mode = info.st_mode
        code = path.suffix.lower() in SUFFIXES
        if stat.S_ISDIR(mode):
            if recursive and depth < MAX_DEPTH:
                pending.append((path, depth + 1))
            elif recursive:
                self.skipped.append(f"{shown}/ (more than {MAX_DEPTH} folders deep)")
            elif depth == 0:
                self.folders.append((name, None))
        elif stat.S_ISLNK(mode) and not code:
            if depth == 0 and not recursive and "." not in name:
                self.folders.append(
                    (name, f"{shown} is a symbolic link: not followed; put the files in a folder")
                )
            elif recursive:
                self.skipped.append(f"{shown} (a symbolic link: not followed)")
        elif code:
            self.candidates.append(_candidate(path, shown, info))


def _candidate(path: Path, shown: str, info: os.stat_result) -> Candidate:
    problem = None
    if stat.S_ISLNK(info.st_mode):
        problem = f"{shown} is a symbolic link: not graded; submit the file itself"
    elif not stat.S_ISREG(info.st_mode):
        problem = f"{shown} is not a regular file: not graded; submit the file itself"
    elif _shown(path.name) != path.name:  # bytes that are not UTF-8, escaped
        problem = f"{shown}: the file name is not UTF-8 text: not graded; rename the file"
    return Candidate(path=path, shown=shown, mtime=info.st_mtime, problem=problem)


def _shown(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 as backslash escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _student_id(text: str) -> str:
    """A student id from a name or a metadata file, as text every output can hold and show
    as it is: lone surrogates and invisible format characters (bidirectional overrides,
    zero-width marks) as their escapes."""
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in ("Cf", "Cs")
        else c
        for c in text
    )  # fmt: skip


def _namesakes_apart(found: list[Found]) -> list[Found]:
    """Canvas names each file ``lastfirst_USERID_...``: two students of the same name have two
    user ids, and stay two students (``lastfirst_USERID``); one student's files share one."""

    def user_id(f: Found) -> str:
        m = CANVAS_NAME.match(Path(f.candidates[0].shown).stem)
        return m["user_id"] if m else ""

    ids: dict[str, set[str]] = {}
    for f in found:
        ids.setdefault(f.student, set()).add(user_id(f))
    return [
        replace(f, student=f"{f.student}_{user_id(f)}") if len(ids[f.student]) > 1 else f
        for f in found
    ]


def _flat_entry(c: Candidate, canvas: bool) -> Found:
    m = CANVAS_NAME.match(Path(c.shown).stem) if canvas else None
    student = m["student"] if m is not None else Path(c.shown).stem
    return Found(_student_id(student), [c], [])


def one_student(folder: Path, student: str, functions: Sequence[str] = ()) -> Submission:
    """The submission in one student's ``folder`` (a Gradescope container's): its files found
    and chosen as :func:`discover` does for each student of a class."""
    chooser = _Chooser(tuple(functions), folder.parent, canvas=False)
    return chooser.one_per_student([_folder_entry(folder.parent, folder.name, None)])[0]


def _folder_entry(root: Path, name: str, problem: str | None) -> Found:
    student = _student_id(_shown(name))
    if problem is not None:
        return Found(student, [], [], missing=problem)
    scan = _Scan(root / name, recursive=True)
    return Found(student, scan.candidates, scan.skipped, missing=scan.error)


def _gradescope(root: Path, top: _Scan) -> list[Found]:
    meta = _load_metadata(root / GRADESCOPE_METADATA)
    found: list[Found] = []
    for name, problem in top.folders:
        folder = _folder_entry(root, name, problem)
        students = _gradescope_students(meta.get(name)) or [folder.student]
        found += [Found(s, folder.candidates, folder.skipped, folder.missing) for s in students]
    return found


def _load_metadata(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_regular_file(path, METADATA_LIMIT, inside=path.parent))
    except SubmissionFileError as exc:
        raise SubmissionFileError(
            f"{path} cannot be used ({exc}): download the Gradescope export again"
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise SubmissionFileError(
            f"{path} is not readable YAML ({detail}): download the Gradescope export again"
        ) from None
    if not isinstance(data, dict):
        raise SubmissionFileError(
            f"{path} is not a Gradescope submission_metadata.yml (not a mapping of submission "
            "folders): download the Gradescope export again"
        )
    return {str(k): v for k, v in data.items() if isinstance(k, str | int)}


def _gradescope_students(entry: Any) -> list[str]:
    """Every submitter's id (sid, else email, else name), in order, without repeats."""
    if not isinstance(entry, dict):
        return []
    submitters = _get(entry, "submitters")
    if not isinstance(submitters, list):
        return []
    out: list[str] = []
    for submitter in submitters:
        if not isinstance(submitter, dict):
            continue
        for key in ("sid", "email", "name"):
            value = _get(submitter, key)
            # Only text or a number: an alias to a huge structure is no one's id.
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                if _student_id(str(value)) not in out:
                    out.append(_student_id(str(value)))
                break
    return out


def _get(mapping: dict[Any, Any], key: str) -> Any:
    """Gradescope writes Ruby symbols (``:sid:`` → the string ":sid"); accept plain keys too."""
    return mapping.get(f":{key}", mapping.get(key))


class _Chooser:
    """One Submission per student from what the folders say, choosing among several files."""

    def __init__(self, functions: tuple[str, ...], root: Path, *, canvas: bool) -> None:
        self.functions = functions
        self.root = root
        self.canvas = canvas
        self._counts: dict[Path, int] = {}

    def one_per_student(self, found: Iterable[Found]) -> list[Submission]:
        by_student: dict[str, list[Found]] = {}
        for f in found:
            by_student.setdefault(f.student, []).append(f)
        return [self._settle(student, by_student[student]) for student in sorted(by_student)]

    def _settle(self, student: str, found: list[Found]) -> Submission:
        candidates = list({c.path: c for f in found for c in f.candidates}.values())
        skipped = [s for f in found for s in f.skipped]
        good = [c for c in candidates if c.problem is None]
        notes = [c.problem for c in candidates if c.problem is not None]
        if skipped:
            notes.append(f"not looked into: {', '.join(skipped)}")
        if not good:
            missing = next((f.missing for f in found if f.missing), None)
            why = notes.pop(0) if candidates else missing
            return Submission(
                student=student,
                path=None,
                notes=tuple(notes),
                error=why or f"no {' or '.join(SUFFIXES)} file in this student's folder",
            )
        chosen, choice = self._choose(good)
        if choice:
            notes.insert(0, choice)
        m = CANVAS_NAME.match(chosen.path.stem) if self.canvas else None
        return Submission(
            student=student,
            path=chosen.path,
            notes=tuple(notes),
            canvas_user_id=m["user_id"] if m else None,
            late=bool(m and m["late"]),
            file_choice=choice,
            root=self.root,
        )

    def _choose(self, good: list[Candidate]) -> tuple[Candidate, str]:
        if len(good) == 1:
            return good[0], ""
        counts = {c.path: self._count(c) for c in good}
        ranked = sorted(good, key=lambda c: (counts[c.path], c.mtime, c.shown), reverse=True)
        chosen, others = ranked[0], ranked[1:]
        if not self.functions:
            also = ", ".join(c.shown for c in others)
            return chosen, f"{chosen.shown}: the newest of {len(good)} files (also found: {also})"
        k = len(set(self.functions))
        also = "; ".join(f"{c.shown}, {counts[c.path]} of {k}" for c in others)
        tie = sum(1 for c in good if counts[c.path] == counts[chosen.path]) > 1
        return chosen, (
            f"{chosen.shown}: defines {counts[chosen.path]} of {k} functions"
            f"{', the newest of those defining most' if tie else ''} (also found: {also})"
        )

    def _count(self, c: Candidate) -> int:
        if c.path not in self._counts:
            self._counts[c.path] = _functions_defined(c.path, self.root, self.functions)
        return self._counts[c.path]


def _functions_defined(path: Path, root: Path, functions: Sequence[str]) -> int:
    """How many of ``functions`` the file defines at top level (0 when it cannot be read)."""
    if not functions:
        return 0
    try:
        data = read_regular_file(path, PARSE_LIMIT, inside=root)
        code = source_from_bytes(path.name, data).code
        with warnings.catch_warnings():  # an invalid escape in the student's code, say
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except Exception:  # any file a student can write: too deep, too big, not Python
        return 0
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(t.id for t in targets if isinstance(t, ast.Name))
    return len(defined & set(functions))
