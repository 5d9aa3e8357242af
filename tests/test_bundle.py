"""The student copy: built, installed into a fresh venv, used as a student would; no secrets.

One copy is built and installed per module (a venv install takes a while); each test then runs
the installed ``grader`` command from a folder outside the project.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.batch.packaging import imported_modules, requirements_of

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"

pytestmark = pytest.mark.slow


@dataclass
class StudentCopy:
    out: Path  # the built source tree
    env: Path  # the venv it is installed in
    cwd: Path  # an empty folder to run commands from

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
        return subprocess.run(
            [str(self.env / "bin" / "grader"), *args],
            capture_output=True, text=True, cwd=self.cwd, timeout=timeout, env=clean,
        )  # fmt: skip

    def python(self, code: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.env / "bin" / "python"), "-c", code],
            capture_output=True, text=True, cwd=self.cwd, timeout=120,
        )  # fmt: skip


@pytest.fixture(scope="module")
def student(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudentCopy]:
    base = tmp_path_factory.mktemp("student")
    out = base / "bundle"
    subprocess.run(
        [sys.executable, "-m", "grader", "bundle", "--out", str(out)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    env = base / "venv"
    venv.create(env, with_pip=True, system_site_packages=False)
    subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "install", "-q", str(out)],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    cwd = base / "work"
    cwd.mkdir()
    yield StudentCopy(out, env, cwd)


def test_it_holds_no_reference_code_and_no_instructor_shell(student: StudentCopy) -> None:
    out = student.out
    assert not (out / "reference").exists()
    for shell in ("web", "batch"):
        assert not (out / "grader" / shell).exists()
    reference_sources = [
        p.read_text(encoding="utf-8")
        for p in (ROOT / "reference").glob("*.py")
        if p.name not in {"__init__.py", "template.py"}
    ]
    for path in out.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import reference" not in text and "from reference" not in text, path
        assert "def backward(" not in text and "def dL_dh_t(" not in text, path
        assert text not in reference_sources, path
    bundled = tomllib.loads((out / "bptt_public" / "assignment.toml").read_text(encoding="utf-8"))
    assert "provider" not in bundled
    probe = student.python("import reference")
    assert probe.returncode != 0, "the reference package must not be installed by the bundle"


def test_the_hidden_cases_cannot_be_built_from_it(student: StudentCopy) -> None:
    hidden = student.python(
        "from grader.cases import load_case_set; from grader.assignment import load_assignment;"
        "load_case_set(load_assignment(), 'hidden', 'secret')"
    )
    assert hidden.returncode != 0 and "provider" in hidden.stderr


def test_its_requirements_are_what_its_code_imports(student: StudentCopy) -> None:
    declared = tomllib.loads((student.out / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = declared["project"]["dependencies"]
    assert requirements == requirements_of(student.out / "grader")
    names = {re.split(r"[<>=!~;\[ ]", r)[0].lower() for r in requirements}
    # what the student's commands need, and none of the instructor's libraries
    assert {"numpy", "pydantic", "pydantic-settings", "typer", "rich", "nbformat"} <= names
    assert not names & {"fastapi", "uvicorn", "sqlalchemy", "jinja2", "pyyaml"}


def test_the_readme_is_the_student_guide_beside_the_homework(student: StudentCopy) -> None:
    readme = (student.out / "README.md").read_text(encoding="utf-8")
    assert readme == (ROOT / "docs" / "student-guide.md").read_text(encoding="utf-8")
    for name in ("homework.md", "homework.zh.md"):
        assert (student.out / name).read_text(encoding="utf-8") == (ROOT / "docs" / name).read_text(
            encoding="utf-8"
        )
    # every relative link of the guide resolves in the copy
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme):
        assert (student.out / target).is_file(), target


@pytest.mark.parametrize(
    ("submission", "code", "diagnosed"),
    [
        pytest.param("correct_vectorized.py", 0, None, id="correct-py"),
        pytest.param("mistake_uses_h_t.py", 1, ("W", "uses_h_t"), id="mistake-py"),
        pytest.param("notebook_correct.ipynb", 0, None, id="correct-notebook"),
        pytest.param("notebook_mistake_uses_h_t.ipynb", 1, ("W", "uses_h_t"), id="notebook"),
    ],
)
def test_check_grades_files_and_notebooks_on_the_public_cases(
    student: StudentCopy, submission: str, code: int, diagnosed: tuple[str, str] | None
) -> None:
    proc = student.run("check", str(SUBMISSIONS / submission), "--json")
    assert proc.returncode == code, proc.stderr
    report = json.loads(proc.stdout)
    assert report["case_set"] == "public"
    if diagnosed is not None:
        part, mistake = diagnosed
        assert {p["name"]: p["diagnosis"] for p in report["parts"]}[part] == mistake


def test_template_show_case_and_homework_work(student: StudentCopy) -> None:
    made = student.run("template", "--out", "mine.py")
    assert made.returncode == 0, made.stderr
    assert (student.cwd / "mine.py").read_text(encoding="utf-8") == (
        ROOT / "reference" / "template.py"
    ).read_text(encoding="utf-8")
    case = student.run("show-case", "3", "--part", "h", "--json")
    assert case.returncode == 0, case.stderr
    assert set(json.loads(case.stdout)["expected"]) == {"h"}
    for lang, name in (("en", "homework.md"), ("zh", "homework.zh.md")):
        text = student.run("homework", "--lang", lang)
        assert text.returncode == 0, text.stderr
        assert text.stdout == (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_it_lists_no_instructor_command_or_setting(student: StudentCopy) -> None:
    listed = student.run("--help")
    assert listed.returncode == 0
    commands = set(re.findall(r"^  (\S+)", listed.stdout.split("Commands:")[1], re.M))
    assert {"check", "template", "show-case", "homework", "cases", "settings"} <= commands
    assert not commands & {"batch", "bundle", "gradescope", "serve", "roster"}
    settings = student.run("settings")
    assert settings.returncode == 0, settings.stderr
    assert "GRADER_LANG" in settings.stdout
    for instructor_only in ("GRADER_HOST", "GRADER_DATA_DIR", "GRADER_SECRET", "GRADER_WORKERS"):
        assert instructor_only not in settings.stdout


def test_a_missing_optional_library_is_a_clear_error(student: StudentCopy) -> None:
    # nbformat made unimportable in the student's own interpreter, as if never installed
    run_without_nbformat = (
        "import sys; sys.modules['nbformat'] = None; sys.argv = ['grader', *sys.argv[1:]];"
        "from grader.cli import main; main()"
    )
    notebook = str(SUBMISSIONS / "notebook_correct.ipynb")
    proc = subprocess.run(
        [str(student.env / "bin" / "python"), "-c", run_without_nbformat, "check", notebook],
        capture_output=True, text=True, cwd=student.cwd, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "nbformat" in proc.stderr and "pip install nbformat" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_imported_modules_sees_lazy_imports(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text(
        "import os.path\nfrom json import loads\nfrom . import sibling\n"
        "def f():\n    import nbformat\n",
        encoding="utf-8",
    )
    assert imported_modules(tmp_path) == {"os", "json", "nbformat"}
