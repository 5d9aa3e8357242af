"""The ``grader`` command line, run for real: ``python -m grader`` in a subprocess, so that the
real child process grades each file and the exit status and stdout are what a student sees.

Each example submission is graded once (a module-scoped cache) and its report is reused by
the tests that need it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mistake_support import ALSO_MAKES

from grader.assignment import load_assignment
from reference.mistakes import CATALOGUE
from reference.model import backward, forward

try:
    import jsonschema
except ImportError:  # pragma: no cover - the dev venv has it; the fallback checks keys
    jsonschema = None

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "submissions"
BASE = Path(__file__).resolve().parent / "data" / "grader" / "correct_required.py"
ASSIGNMENT = load_assignment(REPO / "reference" / "assignment.toml")
REQUIRED = tuple(p.name for p in ASSIGNMENT.parts if not p.bonus)
BONUS = tuple(p.name for p in ASSIGNMENT.parts if p.bonus)
MISTAKE_PARTS = {m.id: m.parts for m in CATALOGUE}

CORRECT = [
    pytest.param("correct_loops", id="correct_loops"),  # per-t dL_dh, Python loops
    pytest.param("correct_vectorized", id="correct_vectorized"),  # column vectors, (n, 1)
    pytest.param("correct_kronecker", id="correct_kronecker"),  # literal I_n ⊗ hᵀ, 1×n² rows
    pytest.param("correct_float32", id="correct_float32"),  # float32 throughout
    pytest.param("correct_partial", id="correct_partial"),  # required parts only, no bonus
]
MISTAKES = [
    pytest.param("sign_flip", id="sign_flip"),  # every gradient negated
    pytest.param("dy_pred_is_dd", id="dy_pred_is_dd"),  # ∂L/∂y_pred given as ∂L/∂d
    pytest.param("dd_is_dy_pred", id="dd_is_dy_pred"),  # ∂L/∂d given as ∂L/∂y_pred
    pytest.param("V_uses_h_prev", id="V_uses_h_prev"),  # h_{l-1} instead of h_l
    pytest.param("missing_relu_mask", id="missing_relu_mask"),  # no diag(1[h > 0])
    pytest.param("mask_off_by_one", id="mask_off_by_one"),  # mask of h_{i-1} instead of h_i
    pytest.param("transposed_W", id="transposed_W"),  # Wᵀ where W belongs
    pytest.param("reversed_product", id="reversed_product"),  # Jacobians in ascending order
    pytest.param("missing_error_factor", id="missing_error_factor"),  # no (y_pred − y_gt)
    pytest.param("uses_h_t", id="uses_h_t"),  # h_t instead of h_{t-1} in ∂L/∂W
    pytest.param("only_last_term", id="only_last_term"),  # ∂L/∂W from t = l only
    pytest.param("drops_last_term", id="drops_last_term"),  # ∂L/∂W without the t = l term
    pytest.param("transposed_result", id="transposed_result"),  # Gᵀ for ∂L/∂W and ∂L/∂U
    pytest.param("tanh_derivative", id="tanh_derivative"),  # 1 − h² for the ReLU's derivative
    pytest.param("labels_pm1", id="labels_pm1"),  # the ±1 logistic loss: 0 when y_gt = 0
    pytest.param("mean_over_time", id="mean_over_time"),  # ∂L/∂W, ∂L/∂U, ∂L/∂b divided by l
    pytest.param("truncated_bptt", id="truncated_bptt"),  # zero before the last 2 steps
    pytest.param("returns_delta", id="returns_delta"),  # δ_t returned for ∂L/∂h_t
    pytest.param("missing_sigmoid_factor", id="missing_sigmoid_factor"),  # ∂L/∂d = ∂L/∂y_pred
    pytest.param("extra_sigmoid_factor", id="extra_sigmoid_factor"),  # squared error's gradient
]


# -- running the CLI ----------------------------------------------------------------------------


def run_cli(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m grader ARGS`` with no GRADER_* setting inherited from the caller."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    clean["PYTHONIOENCODING"] = "utf-8"
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
    )


def one_json_document(stdout: str) -> Any:
    """The single JSON document that is the whole of ``stdout`` (whitespace around it aside)."""
    text = stdout.strip()
    document, end = json.JSONDecoder().raw_decode(text)
    assert end == len(text), f"stdout holds more than one JSON document: {text[end : end + 200]!r}"
    return document


def check_json(
    path: Path, cwd: Path, *options: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    proc = run_cli("check", path, "--json", *options, cwd=cwd, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, one_json_document(proc.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in report["parts"]}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[int, dict[str, Any]]]:
    """``grader check submissions/<stem>.py --json``, run once per file for the whole module."""
    cwd = tmp_path_factory.mktemp("cli")
    cache: dict[str, tuple[int, dict[str, Any]]] = {}

    def grade_file(stem: str) -> tuple[int, dict[str, Any]]:
        if stem not in cache:
            cache[stem] = check_json(SUBMISSIONS / f"{stem}.py", cwd)
        return cache[stem]

    return grade_file


# -- the example submissions --------------------------------------------------------------------


def test_tables_cover_every_example_submission() -> None:
    listed = {p.values[0] for p in CORRECT} | {f"mistake_{p.values[0]}" for p in MISTAKES}
    assert listed | {"template"} == {p.stem for p in SUBMISSIONS.glob("*.py")}
    assert {p.values[0] for p in MISTAKES} == set(MISTAKE_PARTS)


@pytest.mark.parametrize("stem", CORRECT)
def test_correct_submission_gets_full_marks(stem: str, graded: Callable[..., Any]) -> None:
    code, report = graded(stem)
    parts = by_name(report)
    assert code == 0
    assert {n: parts[n]["status"] for n in REQUIRED} == dict.fromkeys(REQUIRED, "passed")
    assert {parts[n]["status"] for n in BONUS} <= {"passed", "missing"}
    assert report["score"] == report["max_score"] == ASSIGNMENT.max_score


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_submission_is_diagnosed(mistake: str, graded: Callable[..., Any]) -> None:
    code, report = graded(f"mistake_{mistake}")
    parts = by_name(report)
    concerned = MISTAKE_PARTS[mistake]
    also = ALSO_MAKES.get(mistake, {})  # parts where it makes an earlier entry's mistake too
    assert code == 1
    for name, made in [(n, mistake) for n in concerned] + list(also.items()):
        assert (parts[name]["status"], parts[name]["diagnosis"]) == ("failed", made), name
        assert made in parts[name]["message"]
    others = [n for n in REQUIRED if n not in concerned and n not in also]
    assert {n: parts[n]["status"] for n in others} == dict.fromkeys(others, "passed")
    assert report["score"] < report["max_score"]


def test_template_submission_errors_on_every_part(graded: Callable[..., Any]) -> None:
    code, report = graded("template")
    assert code == 1
    assert report["score"] == 0
    for part in report["parts"]:
        assert part["status"] == "error", part["name"]
        assert "NotImplementedError" in part["message"], part["name"]


# -- stdout is one JSON document ----------------------------------------------------------------

PRINTS_EVERYWHERE = """
import os
import sys

print("printed at top level {not json")
sys.stderr.write("written to stderr at top level\\n")
os.write(1, b"written to fd 1 at top level\\n")

_correct_dL_dd = dL_dd


def dL_dd(y_pred, y_gt):
    print("printed inside dL_dd", y_pred)
    sys.stdout.flush()
    return _correct_dL_dd(y_pred, y_gt)
"""


def test_json_stdout_is_one_document_when_the_submission_prints(tmp_path: Path) -> None:
    path = tmp_path / "noisy.py"
    path.write_text(BASE.read_text(encoding="utf-8") + PRINTS_EVERYWHERE, encoding="utf-8")
    code, report = check_json(path, tmp_path)
    assert code == 0
    assert all(by_name(report)[n]["status"] == "passed" for n in REQUIRED)
    excerpt = report["output_excerpt"]
    for printed in (
        "printed at top level {not json",
        "written to stderr at top level",
        "written to fd 1 at top level",
        "printed inside dL_dd",
    ):
        assert printed in excerpt


# -- caller mistakes: exit 2 and a message on stderr --------------------------------------------

CALLER_MISTAKES = [
    pytest.param("nope.py", (), "no such file", id="missing-file"),  # the file does not exist
    pytest.param("answers.txt", (), "not a Python file", id="not-py"),  # a .txt file
    pytest.param(
        "submission.py", ("--part", "Z"), "unknown part Z", id="unknown-part"
    ),  # --part names no part of the assignment
]


@pytest.mark.parametrize(("name", "options", "expected"), CALLER_MISTAKES)
def test_caller_mistake_exits_2_with_a_message(
    name: str, options: tuple[str, ...], expected: str, tmp_path: Path
) -> None:
    if name != "nope.py":
        (tmp_path / name).write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    proc = run_cli("check", name, "--json", *options, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr


# -- options --------------------------------------------------------------------------------------

LANG_ZH = [
    pytest.param("correct_partial", "全部", id="passed-and-missing"),  # passed + missing parts
    pytest.param("mistake_V_uses_h_prev", "可能的错误", id="diagnosed"),  # a catalogued mistake
]


@pytest.mark.parametrize(("stem", "phrase"), LANG_ZH)
def test_lang_zh_gives_chinese_messages(stem: str, phrase: str, tmp_path: Path) -> None:
    _, report = check_json(SUBMISSIONS / f"{stem}.py", tmp_path, "--lang", "zh")
    assert report["lang"] == "zh"
    for part in report["parts"]:
        assert part["message"] == part["messages"]["zh"], part["name"]
        assert has_chinese(part["message"]), part["name"]
    assert any(phrase in part["message"] for part in report["parts"])


PART_OPTION = [
    pytest.param("correct_loops", "W", 0, id="correct-W"),  # one correct part: full marks
    pytest.param("mistake_uses_h_t", "W", 1, id="wrong-W"),  # the mistaken part alone: less
    pytest.param("mistake_uses_h_t", "V", 0, id="other-part"),  # W's mistake not graded here
]


@pytest.mark.parametrize(("stem", "part", "exit_code"), PART_OPTION)
def test_part_option_grades_only_that_part(
    stem: str, part: str, exit_code: int, tmp_path: Path
) -> None:
    code, report = check_json(SUBMISSIONS / f"{stem}.py", tmp_path, "--part", part)
    assert code == exit_code
    assert [p["name"] for p in report["parts"]] == [part]
    assert report["max_score"] == ASSIGNMENT.parts_by_name[part].points


ENDLESS_V = """

def dL_dV(h, y_pred, y_gt, l):
    while True:
        pass
"""


def test_part_timeout_setting_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "endless.py"
    path.write_text(BASE.read_text(encoding="utf-8") + ENDLESS_V, encoding="utf-8")
    code, report = check_json(path, tmp_path, env={"GRADER_LIMITS__PART_TIMEOUT_S": "1.5"})
    parts = by_name(report)
    assert code == 1
    assert parts["V"]["status"] == "timeout"
    assert "1.5 s" in parts["V"]["message"]
    assert all(parts[n]["status"] == "passed" for n in REQUIRED if n != "V")


# -- show-case, cases, template, schema -----------------------------------------------------------


@pytest.fixture(scope="module")
def public_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    proc = run_cli("cases", "--json", cwd=tmp_path_factory.mktemp("cases"))
    assert proc.returncode == 0, proc.stderr
    return one_json_document(proc.stdout)  # type: ignore[no-any-return]


def test_cases_json_format(public_cases: dict[str, Any]) -> None:
    cases = public_cases["cases"]
    assert [c["index"] for c in cases] == list(range(len(cases)))
    assert len(cases) >= ASSIGNMENT.cases.public_count
    inputs = set(ASSIGNMENT.inputs) - {"n", "l"}
    for c in cases:
        assert {"index", "n", "l", "inputs", "expected"} <= set(c)
        assert set(c["inputs"]) == inputs
        assert set(c["expected"]) == {p.name for p in ASSIGNMENT.parts}
        assert np.shape(c["inputs"]["h"]) == (c["l"] + 1, c["n"])
        assert np.shape(c["expected"]["h"]) == (c["l"], c["n"])
        assert np.shape(c["expected"]["W"]) == (c["n"], c["n"])


PICK_CASE = [
    pytest.param(lambda cs: min(cs, key=lambda c: (c["l"], c["index"])), id="shortest-l"),  # l = 1
    pytest.param(lambda cs: max(cs, key=lambda c: (c["n"] * c["l"], c["index"])), id="largest"),
]


@pytest.mark.parametrize("pick", PICK_CASE)
def test_cases_json_expected_matches_the_reference_model(
    pick: Callable[[list[dict[str, Any]]], dict[str, Any]], public_cases: dict[str, Any]
) -> None:
    case = pick(public_cases["cases"])
    i = {k: np.asarray(v, dtype=np.float64) for k, v in case["inputs"].items()}
    fwd = forward(i["W"], i["U"], i["b"], i["V"], float(i["d"]), i["x"])
    np.testing.assert_allclose(fwd.h, i["h"], rtol=1e-9, atol=1e-12)
    assert fwd.y_pred == pytest.approx(float(i["y_pred"]), rel=1e-9)
    grads = backward(i["W"], i["V"], i["x"], i["h"], float(i["y_pred"]), float(i["y_gt"]))
    for name, value in grads.as_dict().items():
        got = np.asarray(case["expected"][name], dtype=np.float64)
        scale = float(np.max(np.abs(value), initial=0.0))
        np.testing.assert_allclose(got, value, rtol=1e-12, atol=1e-15 * scale, err_msg=name)


def test_show_case_json_is_that_public_case(public_cases: dict[str, Any], tmp_path: Path) -> None:
    proc = run_cli("show-case", "2", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert one_json_document(proc.stdout) == public_cases["cases"][2]


def test_show_case_part_option_keeps_only_that_answer(
    public_cases: dict[str, Any], tmp_path: Path
) -> None:
    proc = run_cli("show-case", "3", "--part", "W", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    case = one_json_document(proc.stdout)
    assert case["expected"] == {"W": public_cases["cases"][3]["expected"]["W"]}
    assert case["inputs"] == public_cases["cases"][3]["inputs"]


def test_show_case_text_names_the_case(tmp_path: Path) -> None:
    proc = run_cli("show-case", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "case 1" in proc.stdout
    assert "expected" in proc.stdout


SHOW_CASE_MISTAKES = [
    pytest.param(("999",), "no public case 999", id="no-such-case"),  # index out of range
    pytest.param(("0", "--part", "Z"), "unknown part 'Z'", id="unknown-part"),  # no part Z
]


@pytest.mark.parametrize(("args", "expected"), SHOW_CASE_MISTAKES)
def test_show_case_caller_mistake_exits_2(
    args: tuple[str, ...], expected: str, tmp_path: Path
) -> None:
    proc = run_cli("show-case", *args, "--json", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert expected in proc.stderr


def test_template_writes_the_starting_submission(tmp_path: Path) -> None:
    out = tmp_path / "mine.py"
    proc = run_cli("template", "--out", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text == ASSIGNMENT.template_path.read_text(encoding="utf-8")
    defined = {n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)}
    assert defined == {p.function for p in ASSIGNMENT.parts}


def test_template_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.py"
    out.write_text("# my work\n", encoding="utf-8")
    refused = run_cli("template", "--out", out, cwd=tmp_path)
    assert refused.returncode == 2
    assert "exists already" in refused.stderr
    assert out.read_text(encoding="utf-8") == "# my work\n"
    forced = run_cli("template", "--out", out, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert out.read_text(encoding="utf-8") == ASSIGNMENT.template_path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def report_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    proc = run_cli("schema", cwd=tmp_path_factory.mktemp("schema"))
    assert proc.returncode == 0, proc.stderr
    return one_json_document(proc.stdout)  # type: ignore[no-any-return]


def _required_keys_present(instance: Any, schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """Fallback without jsonschema: every required key of every object is there."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(instance, dict) and "properties" in schema:
        assert set(schema.get("required", ())) <= set(instance), schema.get("title")
        for key, sub in schema["properties"].items():
            if key in instance:
                _required_keys_present(instance[key], sub, defs)
    elif isinstance(instance, list) and "items" in schema:
        for item in instance:
            _required_keys_present(item, schema["items"], defs)


SCHEMA_REPORTS = [
    pytest.param("correct_partial", id="passed-and-missing"),  # passed and missing parts
    pytest.param("mistake_sign_flip", id="diagnosed"),  # failed parts with a diagnosis
    pytest.param("template", id="errors"),  # every part an error
]


@pytest.mark.parametrize("stem", SCHEMA_REPORTS)
def test_schema_validates_a_real_report(
    stem: str, report_schema: dict[str, Any], graded: Callable[..., Any]
) -> None:
    _, report = graded(stem)
    assert {"assignment", "score", "max_score", "parts", "sandbox"} <= set(
        report_schema["required"]
    )
    if jsonschema is not None:
        jsonschema.validate(report, report_schema)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**report, "parts": [{"name": "W"}]}, report_schema)
    else:
        _required_keys_present(report, report_schema, report_schema.get("$defs", {}))


# -- what the JSON path loads -------------------------------------------------------------------

LOADED_BY_CHECK = """
import json, sys
sys.argv = ["grader", "check", sys.argv[1], "--json"]
from grader.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("MODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def test_check_json_loads_nothing_it_does_not_use(tmp_path: Path) -> None:
    # A check is mostly module loading: no renderer, web or batch code, reference solution or
    # notebook reader on the JSON path of a .py file. (The batch and web shells' command
    # modules register their commands; they import typer alone.)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    proc = subprocess.run(
        [sys.executable, "-c", LOADED_BY_CHECK, str(SUBMISSIONS / "correct_vectorized.py")],
        capture_output=True, text=True, cwd=tmp_path, env=clean, timeout=120,
    )  # fmt: skip
    assert json.loads(proc.stdout)["score"] > 0
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES "))
    loaded = set(json.loads(line.removeprefix("MODULES ")))
    unused = {"rich", "jinja2", "fastapi", "starlette", "sqlalchemy", "uvicorn", "dask",
              "nbformat", "reference", "multipart", "httpx"}  # fmt: skip
    assert not {m for m in loaded if m.split(".")[0] in unused}
    ours = {m for m in loaded if m.startswith(("grader.batch.", "grader.web.", "grader.render"))}
    assert ours == {"grader.batch.cli", "grader.web.cli"}


BLAS_THREADS_SEEN = """
import os, sys
sys.argv = ["grader", "schema"]
from grader.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("BLAS " + os.environ["OPENBLAS_NUM_THREADS"] + "\\n")
"""


@pytest.mark.parametrize(
    ("given", "seen"),
    [
        pytest.param(None, "1", id="default-one-thread"),  # the grader's own process
        pytest.param("3", "3", id="caller-setting-kept"),
    ],
)
def test_the_grader_process_uses_one_blas_thread_unless_told(
    given: str | None, seen: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "OPENBLAS_"))}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    proc = subprocess.run(
        [sys.executable, "-c", BLAS_THREADS_SEEN], capture_output=True, text=True, cwd=tmp_path,
        env=env, timeout=60,
    )  # fmt: skip
    assert f"BLAS {seen}\n" in proc.stderr, proc.stderr


COLLECTOR_IN_COMMAND = """
import gc, sys
from grader.cli import app, main

@app.command("probe")
def probe() -> None:
    sys.stderr.write(f"GC {gc.isenabled()}\\n")

sys.argv = ["grader", "probe"]
try:
    main()
except SystemExit:
    pass
"""


def test_commands_other_than_check_run_with_the_garbage_collector(tmp_path: Path) -> None:
    # main() pauses the collector while the CLI loads; a long-running command (serve, batch)
    # must get it back.
    proc = subprocess.run(
        [sys.executable, "-c", COLLECTOR_IN_COMMAND], capture_output=True, text=True,
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert "GC True\n" in proc.stderr, proc.stderr


# --- the newcomer's commands: homework, --version, settings, help ---------------------------


@pytest.mark.parametrize(
    ("args", "doc"),
    [
        pytest.param([], "homework.md", id="default-english"),
        pytest.param(["--lang", "zh"], "homework.zh.md", id="chinese"),
    ],
)
def test_homework_prints_the_shipped_text(args: list[str], doc: str, tmp_path: Path) -> None:
    proc = run_cli("homework", *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (REPO / "docs" / doc).read_text(encoding="utf-8")


def test_homework_follows_the_language_setting(tmp_path: Path) -> None:
    proc = run_cli("homework", cwd=tmp_path, env={"GRADER_LANG": "zh"})
    assert proc.stdout == (REPO / "docs" / "homework.zh.md").read_text(encoding="utf-8")


def test_homework_of_an_assignment_without_one_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "assignment.toml").write_bytes(
        (REPO / "reference" / "assignment.toml").read_bytes()
    )
    proc = run_cli("homework", "--assignment", tmp_path, cwd=tmp_path)
    assert proc.returncode == 2
    assert "ships no homework text" in proc.stderr and "homework.md" in proc.stderr


def test_version(tmp_path: Path) -> None:
    from grader.version import __version__

    proc = run_cli("--version", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, f"bptt-grader {__version__}\n")


def test_settings_show_the_value_in_effect_and_where_it_came_from(tmp_path: Path) -> None:
    settings_file = tmp_path / "grader.toml"
    settings_file.write_text('lang = "zh"\n[limits]\npart_timeout_s = 20\n', encoding="utf-8")
    env = {
        "GRADER_SETTINGS_FILE": str(settings_file),
        "GRADER_LIMITS__CPU_S": "5",
        "GRADER_SECRET": "do-not-print-me",
    }
    proc = run_cli("settings", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split(maxsplit=2)[1:] for line in proc.stdout.splitlines()}
    assert rows["GRADER_LANG"][0] == "'zh'"
    assert rows["GRADER_LANG"][1].startswith(f"settings file {settings_file}")
    assert rows["GRADER_LIMITS__PART_TIMEOUT_S"][0] == "20.0"
    assert rows["GRADER_LIMITS__PART_TIMEOUT_S"][1].startswith("settings file")
    assert rows["GRADER_LIMITS__CPU_S"][0] == "5"
    assert rows["GRADER_LIMITS__CPU_S"][1].startswith("environment")
    assert rows["GRADER_MAX_SOURCE_KB"][1].startswith("default")
    assert rows["GRADER_SECRET"][0] == "**********"
    assert "do-not-print-me" not in proc.stdout


def test_settings_name_a_broken_settings_file(tmp_path: Path) -> None:
    proc = run_cli("settings", cwd=tmp_path, env={"GRADER_SETTINGS_FILE": str(tmp_path / "no")})
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def _commands(help_text: str) -> list[str]:
    return re.findall(r"^  (\S+)", help_text.split("Commands:")[1], re.M)


def test_no_help_shows_a_type_beside_a_flag(tmp_path: Path) -> None:
    # Every command's and sub-command's help: flags take no value, so none shows one.
    top = run_cli("--help", cwd=tmp_path).stdout
    seen = []
    for command in _commands(top):
        text = run_cli(command, "--help", cwd=tmp_path).stdout
        paths = [[command]]
        if "Commands:" in text:
            paths = [[command, sub] for sub in _commands(text)]
        for path in paths:
            help_text = run_cli(*path, "--help", cwd=tmp_path).stdout
            assert "--help" in help_text
            assert "<bool>" not in help_text, path
            seen.append(path)
    assert ["check"] in seen and ["roster", "add"] in seen and ["gradescope", "build"] in seen


def test_the_readme_settings_file_example_is_what_grader_settings_reads(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert blocks, "the README shows a settings file"
    for block in blocks:
        settings_file = tmp_path / "grader.toml"
        settings_file.write_text(block, encoding="utf-8")
        proc = run_cli("settings", cwd=tmp_path, env={"GRADER_SETTINGS_FILE": str(settings_file)})
        assert proc.returncode == 0, proc.stderr
        from_file = [line for line in proc.stdout.splitlines() if "settings file" in line]
        keys = re.findall(r"^(\w+)\s*=", block, re.M)
        assert len(from_file) == len(keys), (keys, from_file)
