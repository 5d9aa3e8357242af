"""Per-student feedback in Markdown: what the student reads, in English or Chinese."""

from __future__ import annotations

import re

from grader.batch.run import Row
from grader.report import Lang

WORDS = {
    "en": {
        "title": "Feedback: {assignment}",
        "score": "**Score: {score:g} / {max:g}**",
        "bonus": " · Bonus: {bonus:g} / {max_bonus:g} · Total: {total:g}",
        "file": "Graded file: {file}",
        "head": "| Part | Status | Points | Message |",
        "load": "Your file failed before any part could run:",
        "error": "Your submission could not be graded:",
        "notes": "Notes",
        "status": {"passed": "passed", "failed": "failed", "error": "error",
                   "timeout": "timed out", "missing": "missing"},
    },
    "zh": {
        "title": "作业反馈：{assignment}",
        "score": "**得分：{score:g} / {max:g}**",
        "bonus": " · 附加：{bonus:g} / {max_bonus:g} · 总分：{total:g}",
        "file": "评分的文件：{file}",
        "head": "| 部分 | 状态 | 得分 | 说明 |",
        "load": "你的文件在运行任何部分之前就出错了：",
        "error": "你的提交无法评分：",
        "notes": "备注",
        "status": {"passed": "通过", "failed": "错误", "error": "出错",
                   "timeout": "超时", "missing": "缺失"},
    },
}  # fmt: skip


#: Characters that can start markup anywhere in a line: backslash-escaped (CommonMark lets any
#: ASCII punctuation be escaped, and an escaped one is always literal text). An underscore
#: between two letters or digits (``dL_dW``, ``sign_flip``) can neither open nor close emphasis
#: in CommonMark, so it is left readable.
_INLINE = re.compile(r"([\\`*\[\]<>&|~!#$]|(?<![^\W_])_|_(?![^\W_]))")
#: What starts a block at the beginning of a list item: a list marker, a thematic break.
_LEADING = re.compile(r"^([-+=]|\d+(?=[.)]))")
_LINE_END = re.compile(r"\r\n|\r|\n")


def _cell(text: str) -> str:
    """Untrusted text as one line of literal Markdown text, safe in a table cell or a list
    item: no column break, no HTML, entity, link, emphasis, code, heading or list."""
    text = _INLINE.sub(r"\\\1", " ".join(text.split()))
    return _LEADING.sub(lambda m: m[0] + "\\" if m[0][0].isdigit() else "\\" + m[0], text)


def _code_span(text: str) -> str:
    """Untrusted text as inline code, verbatim but on one line: delimited by a backtick run
    longer than any inside it, padded with a space that CommonMark strips."""
    text = _LINE_END.sub(" ", text)
    ticks = "`" * (_longest_backtick_run(text) + 1)
    return f"{ticks} {text} {ticks}"


def _fence(text: str) -> list[str]:
    """Untrusted text as a fenced code block, verbatim: CommonMark closes a fence of N
    backticks only with a line of at least N, so the fence is longer than any run inside."""
    ticks = "`" * max(3, _longest_backtick_run(text) + 1)
    return [ticks, text, ticks]


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def feedback_markdown(row: Row, assignment_title: str, lang: Lang) -> str:
    w = WORDS[lang]
    status: dict[str, str] = w["status"]  # type: ignore[assignment]
    lines = ["# " + str(w["title"]).format(assignment=_cell(assignment_title)), ""]
    if row.file:
        lines += [str(w["file"]).format(file=_code_span(row.file)), ""]
    report = row.report
    if report is None:
        lines += [str(w["error"]), "", *_fence(row.error or ""), ""]
        return "\n".join(lines)
    score = str(w["score"]).format(score=report.score, max=report.max_score)
    if report.max_bonus:  # the same figures, in the same order, as every output shows them
        score += str(w["bonus"]).format(
            bonus=report.bonus_score, max_bonus=report.max_bonus, total=report.total
        )
    lines += [score, ""]
    if report.load_error is not None:
        lines += [str(w["load"]), "", *_fence(report.load_error.get(lang)), ""]
    lines += [str(w["head"]), "|---|---|---|---|"]
    for p in report.parts:
        label = p.label + (
            " (bonus)" if p.bonus and lang == "en" else "（附加）" if p.bonus else ""
        )
        lines.append(
            f"| {_cell(label)} | {status[p.status]} | {p.score:g}/{p.max_score:g} "
            f"| {_cell(p.messages.get(lang))} |"
        )
    if report.notes:
        lines += ["", f"## {w['notes']}", ""] + [f"- {_cell(n)}" for n in report.notes]
    return "\n".join(lines) + "\n"
