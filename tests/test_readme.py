"""Every command in the README's console blocks runs, with the exit status the README implies.

A command's expected status is 0 unless its line says ``# exit N``. The install commands are
the set-up steps (CI runs them); the rest run against the installed package in a scratch
folder holding a copy of ``submissions/``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from environment_support import UntrustedGrading

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def console_commands() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_readme_shows_both_setup_commands() -> None:
    commands = console_commands()
    assert any("pip install ." in c and "grader check" in c for c in commands)
    assert any("pip install -e '.[test]'" in c and "pytest" in c for c in commands)


ENV_ASSIGNMENT = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S+ )*")
GRADER_COMMANDS = [
    c for c in console_commands() if c[ENV_ASSIGNMENT.match(c).end() :].startswith("grader ")
]


@pytest.mark.parametrize(
    "command", GRADER_COMMANDS, ids=[c.split("#")[0].strip() for c in GRADER_COMMANDS]
)
def test_readme_grader_command_runs(
    command: str, tmp_path: Path, untrusted: UntrustedGrading
) -> None:
    shutil.copytree(ROOT / "submissions", tmp_path / "submissions", symlinks=False)
    code, _, _comment = command.partition("#")
    expected = int(m.group(1)) if (m := re.search(r"exit (\d+)", _comment)) else 0
    words = shlex.split(code)
    # Where bubblewrap cannot run, `grader batch` needs the plain backend allowed explicitly
    # (the README says so); the other commands fall back to it with a warning.
    env = dict(os.environ) | untrusted.env
    while "=" in words[0]:  # leading VAR=value assignments, as a shell reads them
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    argv = [sys.executable, "-m", "grader", *words[1:]]
    proc = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == expected, proc.stdout + proc.stderr
    assert proc.stdout.strip(), "the command printed nothing"
