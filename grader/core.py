"""The grader's core API: a :class:`Grader` built once from the settings, and
``grade(path) -> GradeReport`` for one file.

Plain typed Python: no CLI, no web, no printing. Everything a student's code does wrong ends up
as a status on the report; only the caller's mistakes raise (see :mod:`grader.errors`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.assignment import Assignment, load_assignment
from grader.cases import CaseSet, CaseSetKind, load_case_set
from grader.errors import AssignmentError
from grader.evaluate import error_text, evaluate_part
from grader.messages import at, message
from grader.report import FeedbackLevel, GradeReport, Lang, Messages, SubmissionInfo
from grader.runner.backend import SandboxBackend
from grader.runner.launcher import Launcher
from grader.runner.select import PLAIN_NOTE, BackendChoice, choose_backend, require_confined
from grader.runner.session import JobSpec, RawRun, WireInputs, run_job
from grader.settings import Settings, get_settings
from grader.source import Source, read_source, source_from_bytes
from grader.version import __version__


class Grader:
    """One grading set-up, built once by each shell and used for every submission it grades.

    It loads the assignment and the case set (the public one, the hidden one from the
    instructor's secret, or a case set already built), chooses the sandbox backend once, and
    grades sources. ``untrusted`` (batch grading, the web service, Gradescope) probes the
    hardened sandbox, gives plain jobs run by root a uid of their own where it can, and refuses
    the plain backend unless the settings allow it; ``warm`` prefers the warm pool (many jobs
    to come). Those choose the backend at once, so that a refusal comes before any job;
    ``defer_backend`` leaves it to the first job (grading on other machines: Dask workers). A
    fallback to the plain backend is a note on every report; ``notes`` also holds what the
    operator should know, for the shell to show once.

    The secret leaves ``settings`` once the hidden set is built: nothing a job sees holds it. A
    Grader pickles without its backend (a Dask worker chooses its own on first use).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        case_set: CaseSet | CaseSetKind = "public",
        assignment: Assignment | None = None,
        untrusted: bool = False,
        warm: bool = False,
        backend: SandboxBackend | BackendChoice | None = None,
        defer_backend: bool = False,
    ) -> None:
        settings = settings or get_settings()
        self.assignment = assignment or load_assignment(settings.assignment)
        if isinstance(case_set, str):
            secret = settings.resolved_secret() if case_set == "hidden" else None
            case_set = load_case_set(self.assignment, case_set, secret)
        self.case_set = case_set
        self.settings = settings.model_copy(update={"secret": None, "secret_file": None})
        #: How much a wrong answer's message gives away: the setting, else the assignment's.
        self.feedback: FeedbackLevel = settings.feedback or self.assignment.feedback
        self.untrusted, self.warm = untrusted, warm
        self.notes: tuple[str, ...] = ()
        self._report_notes: tuple[str, ...] = ()
        self._backend: SandboxBackend | None = None
        self._owns_backend = backend is None  # a backend passed in is the caller's to close
        self._lock = threading.Lock()
        if backend is not None:
            self._use(backend if isinstance(backend, BackendChoice) else BackendChoice(backend))
        elif (untrusted or warm) and not defer_backend:  # chosen (or refused) before any job
            self.backend  # noqa: B018

    @property
    def backend(self) -> SandboxBackend:
        """The backend every job runs in, chosen on first use."""
        with self._lock:
            if self._backend is None:
                probe = self.untrusted or self.warm
                self._use(
                    choose_backend(
                        self.settings, probe=probe, warm=self.warm, untrusted=self.untrusted
                    )
                )
            assert self._backend is not None
            return self._backend

    def _use(self, choice: BackendChoice) -> None:
        if self.untrusted:
            require_confined(choice.backend, self.settings)
        self._backend = choice.backend
        fallback = () if choice.fallback is None else (PLAIN_NOTE.format(reason=choice.fallback),)
        self._report_notes = fallback
        self.notes = (*choice.notes, *fallback)

    def launcher(self) -> Launcher:
        """A launcher for one submission's children (``grade_source`` makes its own)."""
        auto = self.settings.sandbox == "auto" and not self.untrusted
        return Launcher(self.backend, self.settings.limits, fallback=auto)

    def grade_file(
        self, path: Path, *, parts: Sequence[str] | None = None, launcher: Launcher | None = None
    ) -> GradeReport:
        """Grade a submission file (read and checked here: see :func:`read_source`)."""
        source = read_source(path, self.settings.max_source_kb)
        return self.grade_source(source, parts=parts, launcher=launcher)

    def grade_bytes(self, filename: str, data: bytes) -> GradeReport:
        """Grade a submission's bytes (an upload, a file read by batch grading)."""
        return self.grade_source(source_from_bytes(filename, data))

    def grade_source(
        self,
        source: Source,
        *,
        parts: Sequence[str] | None = None,
        launcher: Launcher | None = None,
    ) -> GradeReport:
        """Grade code already read. ``launcher``: children started by the caller (``grader
        check`` starts its first one while the cases load)."""
        t_start = time.monotonic()
        settings, assignment, case_set = self.settings, self.assignment, self.case_set
        chosen = [p for p in assignment.parts if parts is None or p.name in parts]
        if parts is not None and len(chosen) != len(set(parts)):
            unknown = sorted(set(parts) - {p.name for p in assignment.parts})
            names = ", ".join(p.name for p in assignment.parts)
            raise AssignmentError(f"unknown part {', '.join(unknown)}: the parts are {names}")
        job = JobSpec(
            source=source.code,
            filename=source.filename,
            parts=[
                {
                    "name": p.name,
                    "function": p.function,
                    "steps": p.steps.model_dump() if p.steps else None,
                }
                for p in chosen
            ],
            inputs=wire_inputs(case_set),
            answer_sizes={
                p.name: max((c.expected[p.name].size for c in case_set.cases), default=1)
                for p in chosen
            },
        )
        own = launcher is None
        run_launcher = self.launcher() if launcher is None else launcher
        try:
            raw = run_job(job, run_launcher)
        finally:
            if own:
                run_launcher.close()
        notes = list(self._report_notes)
        if run_launcher.fell_back is not None:
            notes.append(PLAIN_NOTE.format(reason=run_launcher.fell_back))
        part_reports = [
            evaluate_part(
                p,
                raw.parts[p.name],
                case_set,
                assignment,
                settings.limits.part_timeout_s,
                where=source.where,
                load_failed=raw.load_error is not None,
                wall_s=settings.limits.part_timeout_s * settings.limits.wall_factor,
                feedback=self.feedback,
            )
            for p in chosen
        ]
        lang: Lang = settings.lang
        if lang != "en":
            part_reports = [
                r.model_copy(update={"message": r.messages.get(lang)}) for r in part_reports
            ]
        return GradeReport(
            assignment=assignment.name,
            submission=SubmissionInfo(filename=source.filename, sha256=source.sha256),
            score=round(sum(r.score for r in part_reports if not r.bonus), 6),
            max_score=sum(p.points for p in chosen if not p.bonus),
            bonus_score=round(sum(r.score for r in part_reports if r.bonus), 6),
            max_bonus=sum(p.points for p in chosen if p.bonus),
            total=round(sum(r.score for r in part_reports), 6),
            parts=part_reports,
            case_set=case_set.kind,
            sandbox=raw.backend,
            grader_version=__version__,
            duration_s=round(time.monotonic() - t_start, 4),
            lang=lang,
            feedback=self.feedback,
            load_error=_load_error(raw, settings, source),
            output_excerpt=raw.output_excerpt,
            output_bytes=raw.output_bytes,
            notes=[*source.notes, *notes, *raw.notes],
        )

    def close(self) -> None:
        """Stop the workers (the warm pool) of the backend it chose, if it has any."""
        backend, self._backend = self._backend, None
        close = getattr(backend, "close", None) if self._owns_backend else None
        if close is not None:
            close()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_backend=None, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def grade(
    path: Path | str,
    assignment: Assignment | None = None,
    settings: Settings | None = None,
    *,
    case_set: CaseSet | CaseSetKind = "public",
    backend: SandboxBackend | None = None,
    parts: Sequence[str] | None = None,
) -> GradeReport:
    """Grade one submission file on a case set (the public one unless told otherwise), in
    ``backend`` (default: the settings' choice, falling back to the plain backend when the
    hardened one cannot start a job here). For many submissions, build one :class:`Grader`."""
    grader = Grader(settings, case_set=case_set, assignment=assignment, backend=backend)
    return grader.grade_file(Path(path), parts=parts)


def grade_source(
    source: Source,
    assignment: Assignment | None = None,
    settings: Settings | None = None,
    *,
    case_set: CaseSet | CaseSetKind = "public",
    backend: SandboxBackend | None = None,
    parts: Sequence[str] | None = None,
) -> GradeReport:
    """Grade code already read (see :class:`Grader` for many submissions)."""
    grader = Grader(settings, case_set=case_set, assignment=assignment, backend=backend)
    return grader.grade_source(source, parts=parts)


_WIRE_CACHE: dict[int, tuple[weakref.ref[CaseSet], WireInputs]] = {}


def wire_inputs(case_set: CaseSet) -> WireInputs:
    """The case set's inputs encoded for the child, once per case set object."""
    key = id(case_set)
    cached = _WIRE_CACHE.get(key)
    if cached is not None and cached[0]() is case_set:
        return cached[1]
    wire = WireInputs.encode([{"index": c.index, "inputs": c.inputs} for c in case_set.cases])
    _WIRE_CACHE[key] = (weakref.ref(case_set), wire)
    weakref.finalize(case_set, _WIRE_CACHE.pop, key, None)
    return wire


def _load_error(raw: RawRun, settings: Settings, source: Source) -> Messages | None:
    err = raw.load_error
    if err is None:
        return None
    kind = err.get("kind")
    line = err.get("line")
    if kind == "syntax":
        text = err.get("text") or ""
        return message(
            "syntax",
            where=source.where(line),
            error=err.get("message", ""),
            text=f"\n    {text}" if text else "",
        )
    if kind == "exception":
        return message(
            "load_raised",
            type=err.get("type", "an exception"),
            error=error_text(err),
            where=at(source.where(line) if line else None),
        )
    if kind == "timeout":
        limits = settings.limits
        return message(
            "load_timeout",
            seconds=limits.load_timeout_s,
            wall=limits.load_timeout_s * limits.wall_factor,
        )
    return message("load_crashed", detail=str(err.get("message", "")).rstrip("."))
