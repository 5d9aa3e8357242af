"""The grader's core API: ``grade(path, assignment, settings) -> GradeReport``.

Plain typed Python: no CLI, no web. Everything a student's code does wrong ends up as a status
on the report; only the caller's mistakes raise (see :mod:`grader.errors`).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from pathlib import Path

from grader.assignment import Assignment, load_assignment
from grader.cases import CaseSet, CaseSetKind, load_case_set
from grader.errors import AssignmentError
from grader.evaluate import evaluate_part
from grader.messages import at, message
from grader.report import GradeReport, Lang, Messages, SubmissionInfo
from grader.runner.backend import SandboxBackend
from grader.runner.launcher import Launcher
from grader.runner.select import choose_backend
from grader.runner.session import JobSpec, RawRun, WireInputs, run_job
from grader.settings import Settings, get_settings
from grader.source import Source, read_source
from grader.version import __version__


def grade(
    path: Path | str,
    assignment: Assignment | None = None,
    settings: Settings | None = None,
    *,
    case_set: CaseSet | CaseSetKind = "public",
    backend: SandboxBackend | None = None,
    parts: Sequence[str] | None = None,
    launcher: Launcher | None = None,
) -> GradeReport:
    """Grade one submission file on a case set (the public one unless told otherwise).

    The children run in ``backend`` (default: the settings' choice, which falls back to the
    plain backend when the hardened one cannot start a job here), or are started by
    ``launcher`` (``grader check`` prestarts its first child while the cases load).
    """
    settings = settings or get_settings()
    source = read_source(Path(path), settings.max_source_kb)
    return grade_source(
        source, assignment, settings, case_set=case_set, backend=backend, parts=parts,
        launcher=launcher,
    )  # fmt: skip


def grade_source(
    source: Source,
    assignment: Assignment | None = None,
    settings: Settings | None = None,
    *,
    case_set: CaseSet | CaseSetKind = "public",
    backend: SandboxBackend | None = None,
    parts: Sequence[str] | None = None,
    launcher: Launcher | None = None,
) -> GradeReport:
    """Grade code already read (the web service and batch grading start here)."""
    t_start = time.monotonic()
    settings = settings or get_settings()
    assignment = assignment or load_assignment(settings.assignment)
    if isinstance(case_set, str):
        secret = settings.resolved_secret() if case_set == "hidden" else None
        case_set = load_case_set(assignment, case_set, secret)
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
    if launcher is None:
        auto = backend is None and settings.sandbox == "auto"
        launcher = Launcher(backend or choose_backend(settings), settings.limits, fallback=auto)
    try:
        raw = run_job(job, launcher)
    finally:
        if own:
            launcher.close()
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
        parts=part_reports,
        case_set=case_set.kind,
        sandbox=raw.backend,
        grader_version=__version__,
        duration_s=round(time.monotonic() - t_start, 4),
        lang=lang,
        load_error=_load_error(raw, settings, source),
        output_excerpt=raw.output_excerpt,
        output_bytes=raw.output_bytes,
        notes=list(source.notes),
    )


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
            error=str(err.get("message", ""))[:300],
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
