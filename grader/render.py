"""Rendering reports and cases for a terminal with rich (the CLI's presentation layer).

Every text that is not this module's own goes to rich as a :class:`~rich.text.Text`, never as a
str: rich reads a str as markup (``diag(1[h_i > 0])`` would lose ``[h_i > 0]``) and replaces
emoji codes (``:warning:``) even with ``markup=False``. A Text is shown as it is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.evaluate import quoted_case
from grader.report import GradeReport

STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow", "missing": "dim"}
LABEL = {
    "en": {
        "passed": "passed",
        "failed": "failed",
        "error": "error",
        "timeout": "timeout",
        "missing": "missing",
    },
    "zh": {
        "passed": "通过",
        "failed": "错误",
        "error": "出错",
        "timeout": "超时",
        "missing": "缺失",
    },
}
WORDS = {
    "en": {
        "part": "Part",
        "status": "Status",
        "score": "Score",
        "message": "Message",
        "total": "Total",
        "bonus": "bonus",
        "see": "see failing case {i} with: {cmd}",
        "printed": "Your code printed ({n} bytes; first lines):",
        "load": "Your file failed:",
    },
    "zh": {
        "part": "部分",
        "status": "状态",
        "score": "得分",
        "message": "说明",
        "total": "总分",
        "bonus": "附加",
        "see": "查看未通过的测试用例 {i}：{cmd}",
        "printed": "你的代码输出（共 {n} 字节，开头部分）：",
        "load": "文件无法运行：",
    },
}


def print_report(report: GradeReport, console: Console | None = None) -> None:
    console = console or Console()
    lang = report.lang
    w = WORDS[lang]
    if report.load_error is not None:
        console.print(Text(w["load"], style="bold red"))
        console.print(Text(report.load_error.get(lang)))
    title = Text(f"{report.assignment} · {report.submission.filename}", style="table.title")
    table = Table(title=title, show_lines=False)
    table.add_column(w["part"])
    table.add_column(w["status"])
    table.add_column(w["score"], justify="right")
    table.add_column(w["message"], overflow="fold")
    for p in report.parts:
        label = Text(p.label + (f" ({w['bonus']})" if p.bonus else ""))
        status = Text(LABEL[lang][p.status], style=STYLE[p.status])
        msg = p.messages.get(lang)
        quoted = quoted_case(p.cases) if p.status == "failed" else None
        if quoted is not None:  # the case the message is about, so that both name the same
            cmd = f"grader show-case {quoted.index} --part {p.name}"
            msg += "\n" + w["see"].format(i=quoted.index, cmd=cmd)
        table.add_row(label, status, Text(f"{p.score:g}/{p.max_score:g}"), Text(msg))
    console.print(table)
    # Required score, then (when bonus parts count) bonus and total: as every output shows it.
    total = f"{w['score']}: {report.score:g}/{report.max_score:g}"
    if report.max_bonus:
        total += f" · {w['bonus'].capitalize()}: {report.bonus_score:g}/{report.max_bonus:g}"
        total += f" · {w['total']}: {report.total:g}"
    console.print(Text(total, style="bold green" if report.full_marks else "bold"))
    console.print(Text(f"sandbox: {report.sandbox} · {report.duration_s:.2f} s", style="dim"))
    for note in report.notes:
        console.print(Text(note, style="dim"))
    if report.output_excerpt:
        console.print(Text(w["printed"].format(n=report.output_bytes), style="dim"))
        console.print(Text("\n".join(report.output_excerpt.splitlines()[:10]), style="dim"))


def _fmt(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(arr.item())
    return np.array2string(
        arr, precision=6, suppress_small=False, max_line_width=100, threshold=10_000
    )


def print_case(case: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    sizes = ", ".join(f"{k} = {case[k]}" for k in ("n", "l") if k in case)
    console.print(Text(f"case {case['index']} ({sizes})", style="bold"))
    console.print(Text("inputs", style="bold underline"))
    for k, v in case["inputs"].items():
        text = f"{k} =\n{_fmt(v)}" if np.ndim(v) else f"{k} = {_fmt(v)}"
        console.print(text, markup=False, emoji=False)  # verbatim; numbers highlighted
    console.print(Text("expected", style="bold underline"))
    for k, v in case["expected"].items():
        text = f"{k} =\n{_fmt(v)}" if np.ndim(v) else f"{k} = {_fmt(v)}"
        console.print(text, markup=False, emoji=False)  # verbatim; numbers highlighted


def print_case_list(case_set: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    title = Text(f"{case_set['assignment']}: {case_set['case_set']} cases", style="table.title")
    table = Table(title=title)
    table.add_column("case", justify="right")
    for key in ("n", "l"):
        table.add_column(key, justify="right")
    for c in case_set["cases"]:
        table.add_row(*(Text(str(c.get(k, ""))) for k in ("index", "n", "l")))
    console.print(table)
    console.print("grader show-case N shows one; grader cases --json prints them all.")
