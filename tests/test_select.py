"""Backend choice: hardened when it works, plain with the reason, refused where untrusted;
a plain job run by root for untrusted grading runs as a uid of its own where it can."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.errors import SandboxError
from grader.runner.select import choose_backend, require_confined
from grader.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]


def test_plain_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    choice = choose_backend(get_settings(sandbox="plain"))
    assert choice.backend.name == "plain" and choice.fallback is None  # asked for: no fallback
    assert capsys.readouterr().err == ""  # the core never prints


@pytest.mark.bwrap
def test_auto_prefers_the_hardened_backend() -> None:
    assert choose_backend(get_settings(sandbox="auto")).backend.name == "bwrap"


@pytest.mark.parametrize(
    ("allow", "refused"),
    [
        pytest.param(False, True, id="refused-by-default"),  # batch/server must not go plain
        pytest.param(True, False, id="allowed-explicitly"),  # --allow-unconfined
    ],
)
def test_untrusted_grading_refuses_the_plain_backend(allow: bool, refused: bool) -> None:
    settings = get_settings(sandbox="plain", allow_unconfined=allow)
    backend = choose_backend(settings).backend
    if refused:
        with pytest.raises(SandboxError, match="allow-unconfined"):
            require_confined(backend, settings)
    else:
        require_confined(backend, settings)


@pytest.mark.bwrap
def test_hardened_backend_is_always_accepted() -> None:
    settings = get_settings(sandbox="bwrap")
    require_confined(choose_backend(settings).backend, settings)


BROKEN_BWRAP = "#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n"


@pytest.mark.parametrize(
    ("sandbox", "code", "ran"),
    [
        pytest.param("auto", 0, "plain", id="auto-falls-back"),  # warn, then grade on plain
        pytest.param("bwrap", 2, None, id="bwrap-required-fails"),  # asked for: a clear error
    ],
)
def test_a_bwrap_that_cannot_start_jobs(
    sandbox: str, code: int, ran: str | None, tmp_path: Path
) -> None:
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text(BROKEN_BWRAP)
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "GRADER_SANDBOX": sandbox}
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "check", str(ROOT / "submissions/correct_loops.py"),
         "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == code, proc.stderr
    if ran is None:
        assert "Permission denied" in proc.stderr  # bwrap's own words reach the operator
    else:
        report = json.loads(proc.stdout)
        assert report["sandbox"] == ran
        # The fallback, with bwrap's own words, is a note on the report the student reads.
        assert any("Permission denied" in note for note in report["notes"]), report["notes"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a job a uid of its own")
def test_untrusted_plain_jobs_run_as_a_uid_of_their_own_where_this_python_allows() -> None:
    from grader.runner.backend import plain_drop_works

    settings = get_settings(sandbox="plain", allow_unconfined=True)
    choice = choose_backend(settings, probe=True, untrusted=True)
    problem = plain_drop_works()
    dropped = getattr(choice.backend, "drop_privileges", False)
    assert dropped == (problem is None)
    if problem is not None:  # e.g. a Python under /root: said, not silent
        assert any("runs as root" in note for note in choice.notes), choice.notes
    # Trusted grading (a student's own check) never drops.
    assert not getattr(choose_backend(settings).backend, "drop_privileges", False)
