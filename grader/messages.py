"""The grader's own messages, in English and Chinese. Catalogued mistakes bring their own.

A value passed to :func:`message` may itself be a :class:`Messages` (a place such as "cell 4,
line 2" / "第 4 个单元格第 2 行"): each language's template then gets its own text.
"""

from __future__ import annotations

from typing import Any

from grader.report import Messages

# {where} is a place already worded for each language: at(source.where(line)), see grader.source.
TEMPLATES: dict[str, tuple[str, str]] = {
    "passed": ("Correct on all {cases} cases.", "全部 {cases} 个测试用例均正确。"),
    "missing": (
        "No function {function} found: define it at the top level of your file.",
        "未找到函数 {function}：请在文件顶层定义它。",
    ),
    "timeout": (
        "{function} did not finish within {seconds:g} s of CPU time (or {wall:g} s by the clock): "
        "an endless loop, far too much work, or waiting for something that never comes.",
        "{function} 未能在 {seconds:g} 秒 CPU 时间（或 {wall:g} 秒实际时间）内完成：死循环、"
        "计算量过大，或在等待永远不会发生的事。",
    ),
    "load_timeout": (
        "The file's top-level code did not finish within {seconds:g} s of CPU time (or {wall:g} s "
        "by the clock): move experiments, training loops and input() under "
        '`if __name__ == "__main__":`.',
        "文件的顶层代码未能在 {seconds:g} 秒 CPU 时间（或 {wall:g} 秒实际时间）内完成："
        '请把实验、训练循环和 input() 放到 `if __name__ == "__main__":` 之下。',
    ),
    "crashed": (
        "{function}: {detail}.",
        "{function}：{detail}。",
    ),
    "part_error": ("{function}: {detail}.", "{function}：{detail}。"),
    "raised": (
        "{function} raised {type}: {error}{where} on case {case}{step}.",
        "{function} 在测试用例 {case}{step} 上抛出 {type}：{error}{where}。",
    ),
    "bad_value": (
        "{function} returned {what} on case {case}{step}; expected {expected}.",
        "{function} 在测试用例 {case}{step} 上返回了 {what}；应返回 {expected}。",
    ),
    "bad_shape": (
        "{function} returned an array of shape {shape} on case {case} ({sizes}); expected "
        "{expected}.",
        "{function} 在测试用例 {case}（{sizes}）上返回了形状为 {shape} 的数组；应返回 {expected}。",
    ),
    "complex": (
        "{function} returned complex values on case {case}{step}; a gradient of a real loss is "
        "real.",
        "{function} 在测试用例 {case}{step} 上返回了复数；实值损失的梯度应为实数。",
    ),
    "not_finite": (
        "{function} returned NaN or inf on case {case} ({sizes}).",
        "{function} 在测试用例 {case}（{sizes}）上返回了 NaN 或 inf。",
    ),
    "wrong": (
        "Wrong on {failed} of {cases} cases. Worst on case {case} ({sizes}): element {index} "
        "is off by {abs_err:.3g} (relative {rel_err:.2g}), {ratio:.3g}× the tolerance.{steps}",
        "{cases} 个测试用例中有 {failed} 个错误。最差的是测试用例 {case}（{sizes}）：元素 {index} "
        "偏差 {abs_err:.3g}（相对误差 {rel_err:.2g}），为容差的 {ratio:.3g} 倍。{steps}",
    ),
    "diagnosed": (
        "Wrong on {failed} of {cases} cases. Likely mistake ({id}): {text}",
        "{cases} 个测试用例中有 {failed} 个错误。可能的错误（{id}）：{text}",
    ),
    "steps_recursion": (
        " Correct at {p} = {last}, wrong from {p} = {below} down: check the recursion step.",
        " {p} = {last} 时正确，从 {p} = {below} 起向下错误：请检查递推的那一步。",
    ),
    "steps_from_top": (
        " Already wrong at {p} = {last}: check the starting value of the recursion.",
        " 在 {p} = {last} 时就已错误：请检查递推的初始值。",
    ),
    "steps_list": (" Wrong at {p} = {which}.", " 在 {p} = {which} 处错误。"),
    "syntax": (
        "Syntax error at {where}: {error}{text}",
        "{where}有语法错误：{error}{text}",
    ),
    "load_raised": (
        "The file's top-level code raised {type}: {error}{where}.",
        "文件的顶层代码抛出 {type}：{error}{where}。",
    ),
    "load_crashed": (
        "The file's top-level code did not finish: {detail}.",
        "文件的顶层代码未能完成：{detail}。",
    ),
    "not_run": (
        "Not graded: the file's top-level code failed (see above).",
        "未评分：文件的顶层代码失败（见上文）。",
    ),
}


def message(key: str, **values: Any) -> Messages:
    en, zh = TEMPLATES[key]
    in_en = {k: v.en if isinstance(v, Messages) else v for k, v in values.items()}
    in_zh = {k: v.zh if isinstance(v, Messages) else v for k, v in values.items()}
    return Messages(en=en.format(**in_en), zh=zh.format(**in_zh))


def at(where: Messages | None) -> Messages:
    """A place in parentheses after an error (" (line 7)", "（第 7 行）"), or nothing."""
    if where is None:
        return Messages()
    return Messages(en=f" ({where.en})", zh=f"（{where.zh}）")


def join(*parts: Messages) -> Messages:
    return Messages(
        en=" ".join(p.en for p in parts if p.en), zh="".join(p.zh for p in parts if p.zh)
    )
