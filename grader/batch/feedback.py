"""Per-student feedback in Markdown: what the student reads, in English or Chinese."""

from __future__ import annotations

from grader.batch.run import Row
from grader.report import Lang

WORDS = {
    "en": {
        "title": "Feedback: {assignment}",
        "score": "**Score: {score:g} / {max:g}**",
        "bonus": " (+{bonus:g} bonus)",
        "file": "Graded file: `{file}`",
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
        "bonus": "（附加 +{bonus:g}）",
        "file": "评分的文件：`{file}`",
        "head": "| 部分 | 状态 | 得分 | 说明 |",
        "load": "你的文件在运行任何部分之前就出错了：",
        "error": "你的提交无法评分：",
        "notes": "备注",
        "status": {"passed": "通过", "failed": "错误", "error": "出错",
                   "timeout": "超时", "missing": "缺失"},
    },
}  # fmt: skip


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, no column breaks, no raw HTML."""
    text = " ".join(text.split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def feedback_markdown(row: Row, assignment_title: str, lang: Lang) -> str:
    w = WORDS[lang]
    status: dict[str, str] = w["status"]  # type: ignore[assignment]
    lines = [f"# {w['title']}".format(assignment=assignment_title), ""]
    if row.file:
        lines += [str(w["file"]).format(file=row.file.replace("`", "'")), ""]
    report = row.report
    if report is None:
        lines += [str(w["error"]), "", f"> {_cell(row.error or '')}", ""]
        return "\n".join(lines)
    score = str(w["score"]).format(score=report.score, max=report.max_score)
    if report.bonus_score:
        score += str(w["bonus"]).format(bonus=report.bonus_score)
    lines += [score, ""]
    if report.load_error is not None:
        lines += [str(w["load"]), "", "```", report.load_error.get(lang), "```", ""]
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
