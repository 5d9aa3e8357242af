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
    # The numbers are that element's own; {relative} is wrong_relative or wrong_expected_zero.
    "wrong": (
        "Wrong on {failed} of {cases} cases. Worst on case {case} ({sizes}): element {index} "
        "is off by {abs_err:.3g}{relative}, {ratio:.3g}× the tolerance.{steps}{kinds}",
        "{cases} 个测试用例中有 {failed} 个错误。最差的是测试用例 {case}（{sizes}）：元素 {index} "
        "偏差 {abs_err:.3g}{relative}，为容差的 {ratio:.3g} 倍。{steps}{kinds}",
    ),
    "wrong_relative": (" (relative {rel_err:.2g})", "（相对误差 {rel_err:.2g}）"),
    "wrong_expected_zero": (" (where 0 is expected)", "（该处的期望值为 0）"),
    # Only cases whose reference is exactly zero are wrong: a ratio to the floor means nothing.
    "wrong_zero": (
        "Wrong on {failed} of {cases} cases. Worst on case {case} ({sizes}), where every element "
        "should be 0: element {index} is {value:.3g}.{steps}{kinds}",
        "{cases} 个测试用例中有 {failed} 个错误。最差的是测试用例 {case}（{sizes}），"
        "其所有元素都应为 0：元素 {index} 却为 {value:.3g}。{steps}{kinds}",
    ),
    # Which kinds of case are wrong ({kinds} above; see grader.feedback_levels.case_kinds).
    "kinds_all": (" Every kind of case is wrong ({kinds}).", "各类测试用例都有错误（{kinds}）。"),
    "kinds_only": (" Only the cases with {kind} are wrong.", "只有 {kind} 的测试用例是错的。"),
    "kinds_except": (
        " Every case is wrong except those with {kind}.",
        "除 {kind} 的测试用例外，其余都是错的。",
    ),
    "kinds_counts": (" Wrong cases by kind: {counts}.", "各类测试用例中错误的个数：{counts}。"),
    # A catalogued mistake's text names it and states no formula (the "mistake" level); the
    # formula is "solution", shown after it at the "solution" level only.
    "diagnosed": (
        "Wrong on {failed} of {cases} cases. Likely mistake ({id}): {text} Worst on case {case} "
        "({sizes}).{steps}",
        "{cases} 个测试用例中有 {failed} 个错误。可能的错误（{id}）：{text}"
        "最差的是测试用例 {case}（{sizes}）。{steps}",
    ),
    "solution": (" Solution: {text}", "解答：{text}"),
    # The "verdict" level: a wrong answer, and nothing about why.
    "verdict_failed": (
        "Wrong: not correct on every case.",
        "错误：并非所有测试用例都正确。",
    ),
    "steps_recursion": (
        " Correct at {p} = {last}, wrong from {p} = {below} down: check the recursion step.",
        " {p} = {last} 时正确，从 {p} = {below} 起向下错误：请检查递推的那一步。",
    ),
    "steps_from_top": (
        " Already wrong at {p} = {last}: check the starting value of the recursion.",
        " 在 {p} = {last} 时就已错误：请检查递推的初始值。",
    ),
    # Every step of the case, as ranges (" t = 1–14 wrong; 15–20 right.").
    "steps_ranges": (" {p} = {wrong} wrong; {right} right.", " {p} = {wrong} 错误；{right} 正确。"),
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
    "stub": (
        "{function} is still the template's stub{where}: replace it with your implementation "
        "(it raises NotImplementedError).",
        "{function} 仍是模板里的占位代码{where}：请换成你自己的实现"
        "（它只会抛出 NotImplementedError）。",
    ),
    "no_module": (
        "No module named '{module}': the submission may use numpy and the standard library only",
        "没有名为 '{module}' 的模块：提交的代码只能使用 numpy 和 Python 标准库",
    ),
    # What a part was expected to return ({expected} in bad_value and bad_shape).
    "expect_scalar": ("a scalar", "一个标量"),
    "expect_one": ("a single number (n = 1)", "一个数（n = 1）"),
    "expect_one_of_matrix": ("a single number (a 1×1 array)", "一个数（1×1 数组）"),
    "expect_vector": (
        "a vector of {k} numbers (shape ({k},), (1, {k}) or ({k}, 1))",
        "由 {k} 个数组成的向量（形状为 ({k},)、(1, {k}) 或 ({k}, 1)）",
    ),
    "expect_array": ("an array of shape {shape}", "形状为 {shape} 的数组"),
    "expect_or_vector": (
        " (or its {k} numbers as ({k},), (1, {k}) or ({k}, 1))",
        "（或这 {k} 个数，形状为 ({k},)、(1, {k}) 或 ({k}, 1)）",
    ),
    "expect_or_flat": (" (or its row-major 1×{size} row)", "（或按行展开的 1×{size} 行）"),
    # What came back instead of numbers ({what} in bad_value).
    "value_nothing": ("nothing", "空（没有收到返回值）"),
    "value_none": (
        "None, a value of type NoneType (is a return statement missing?)",
        "None，即 NoneType 类型的值（是否漏写了 return 语句？）",
    ),
    "value_not_numeric": (
        "a value of type {type} (numpy dtype {dtype})",
        "{type} 类型的值（numpy dtype 为 {dtype}）",
    ),
    "value_unconvertible": (
        "{type} that numpy cannot convert ({detail})",
        "numpy 无法转换的 {type}（{detail}）",
    ),
    "value_too_large": (
        "an array of shape {shape} (far too large)",
        "形状为 {shape} 的数组（远大于答案）",
    ),
    "value_unknown": ("a value that is not a number", "一个不是数值的值"),
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
