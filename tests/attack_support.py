"""Helpers for the attack suite: run the real CLI on a hostile submission and look for leftovers.

Everything here bounds the attack from the outside too (a pids cgroup, an address-space rlimit,
a wall-clock timeout), so that a regression in the sandbox cannot take a developer's machine down.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.runner.protocol import UID_RANGE

ATTACKS = Path(__file__).parent / "data" / "attacks"
CORRECT_BASE = Path(__file__).parents[1] / "submissions" / "correct_vectorized.py"
PARTS = ("y_pred", "d", "V", "h", "W", "U", "b")
ATTACKED = "d"  # attacks inside a part function sit in dL_dd: no other part calls it
PIDS_ROOT = Path("/sys/fs/cgroup/pids")
#: Places a job's uid could write to if it reached the host's filesystem.
WORLD_WRITABLE = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
#: The part time limit of a run whose verdict is, or may be, the timeout (a busy loop, a sleep,
#: a fork bomb): short, since the run waits it out. Its other parts are correct_vectorized's,
#: a few milliseconds each: hundreds of times under it.
TIMEOUT_VERDICT_S = 3.0
#: Every other time limit (and the top-level code's in every run): far over the heaviest
#: attack's own work (np.ones(10**8) and its refusal, a 1 GiB write cut at the file-size limit:
#: about a second on an idle machine), so that a loaded machine cannot turn a verdict into a
#: timeout.
WIDE_LIMIT_S = 60.0
#: The grader's own run, bounded from outside: far over its slowest legitimate run (one part
#: at the wide limit; or a fork bomb on the plain backend, whose killed processes a loaded
#: machine's init can take minutes to reap), so that only a hang fails the test this way.
CLI_TIMEOUT_S = 5 * WIDE_LIMIT_S


def limits_env(expected: Collection[str]) -> dict[str, str]:
    """The limits of an attack whose attacked part may end with a status in ``expected``."""
    part = TIMEOUT_VERDICT_S if "timeout" in expected else WIDE_LIMIT_S
    return {
        "GRADER_LIMITS__PART_TIMEOUT_S": str(part),
        "GRADER_LIMITS__LOAD_TIMEOUT_S": str(WIDE_LIMIT_S),
    }


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)

    def status(self, part: str) -> str:
        return next(str(p["status"]) for p in self.report["parts"] if p["name"] == part)

    def statuses(self) -> dict[str, str]:
        return {p["name"]: p["status"] for p in self.report["parts"]}


def attack_source(name: str) -> str:
    """A whole student file: the correct example submission, then the attack file, whose
    functions replace the correct ones they share a name with and whose top-level code runs."""
    base = CORRECT_BASE.read_text(encoding="utf-8")
    return f"{base}\n\n# ---- the attack ----\n{(ATTACKS / name).read_text(encoding='utf-8')}"


def submission_from(name: str, dest_dir: Path, **placeholders: str) -> Path:
    """Write the attack ``name`` as a submission in ``dest_dir``, filling ``__KEY__`` holes."""
    text = attack_source(name)
    for key, value in placeholders.items():
        text = text.replace(f"__{key}__", value)
    assert "__" + "MARKER__" not in text and "__TARGETS__" not in text and "__PORT__" not in text
    path = dest_dir / name
    path.write_text(text, encoding="utf-8")
    return path


def run_cli(
    submission: Path,
    cwd: Path,
    *,
    sandbox: str,
    extra_env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
    timeout: float = CLI_TIMEOUT_S,
) -> CliRun:
    """``python -m grader check FILE --json`` in a subprocess; asserts the grader survived.

    Time limits are the wide ones unless ``extra_env`` sets them (see :func:`limits_env`)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "GRADER_SANDBOX": sandbox,
        **limits_env(()),
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", "check", str(submission), "--json"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=preexec,  # joins the pids cgroup, caps the address space
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"the grader did not finish within {timeout} s") from None
    run = CliRun(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
    assert run.returncode in (0, 1), (
        f"grader exit {run.returncode}\nstderr:\n{run.stderr[-3000:]}\nstdout:\n{run.stdout[:2000]}"
    )
    # One JSON document and nothing else: json.loads rejects trailing data.
    run.report = json.loads(run.stdout)
    assert run.report["sandbox"] == {"pool": "bwrap-pool"}.get(sandbox, sandbox)
    assert [p["name"] for p in run.report["parts"]] == list(PARTS)
    return run


def _uid_of(status: Path) -> int | None:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _pids_cgroup_of(pid: int) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "pids" in controllers.split(","):
                return path
    except (OSError, ValueError):
        return None
    return None


def job_processes() -> set[int]:
    """Pids of every host process whose real uid is in the jobs' uid range."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        uid = _uid_of(status)
        if uid is not None and UID_RANGE[0] <= uid < UID_RANGE[1]:
            found.add(int(status.parent.name))
    return found


def leftover_job_processes(
    before: set[int], group: Path | None, grace_s: float = 10.0
) -> list[int]:
    """Job-uid processes that appeared during our run and are alive after ``grace_s``.

    Processes of a job uid in another pids cgroup belong to some other, concurrent run (a
    job's uid cannot move itself between cgroups), so they are not counted.
    """
    ours = f"/{group.name}" if group is not None else None

    def mine(pid: int) -> bool:
        where = _pids_cgroup_of(pid)
        return ours is None or where == ours

    deadline = time.monotonic() + grace_s
    while True:
        left = sorted(pid for pid in job_processes() - before if mine(pid))
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def files_owned_by_jobs() -> list[Path]:
    """Entries in the host's world-writable folders that belong to a job uid."""
    found = []
    for base in WORLD_WRITABLE:
        with contextlib.suppress(OSError):
            for entry in base.iterdir():
                with contextlib.suppress(OSError):
                    if UID_RANGE[0] <= entry.lstat().st_uid < UID_RANGE[1]:
                        found.append(entry)
    return found


def plain_workdirs(temp: Path) -> list[str]:
    """The plain backend's working folders in ``temp``, the grader's temporary folder."""
    return sorted(p.name for p in temp.glob("grader-job-*"))


@dataclass
class PidsGroup:
    """A cgroup-v1 pids group, or ``path=None`` where one cannot be made here."""

    path: Path | None

    def join(self) -> None:
        """preexec hook: move the starting process into the group."""
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def members(self) -> list[int]:
        if self.path is None:
            return []
        return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]


@contextlib.contextmanager
def pids_cgroup(max_pids: int = 300) -> Iterator[PidsGroup]:
    """A fresh pids group of at most ``max_pids``; on exit its processes are killed, it removed."""
    path = PIDS_ROOT / f"grader-attack-{uuid.uuid4().hex[:12]}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(max_pids))
    except OSError:
        with contextlib.suppress(OSError):
            path.rmdir()
        yield PidsGroup(None)
        return
    group = PidsGroup(path)
    try:
        yield group
    finally:
        for _ in range(50):
            pids = group.members()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        with contextlib.suppress(OSError):
            path.rmdir()


OUTER_ADDRESS_SPACE = 4 << 30  # the grader itself; its sandboxed child is held to 1 GiB


def grade_attack(
    submission: Path,
    cwd: Path,
    *,
    sandbox: str,
    expected: Collection[str] = (),
    extra_env: dict[str, str] | None = None,
    max_pids: int = 300,
) -> CliRun:
    """Grade ``submission`` through the real CLI, bounded from outside, and check leftovers.

    ``expected``, the statuses the attacked part may end with, chooses the time limits
    (:func:`limits_env`). The grader runs in its own pids cgroup and under a 4 GiB
    address-space limit; after it returns nothing of the job may be alive (no process in the
    cgroup, none with a job uid) and no file of a job uid may be in the host's world-writable
    folders.
    """
    env = {**limits_env(expected), **(extra_env or {})}
    # The plain backend's working folders go to a temporary folder of the grader's own, where
    # no other grader on this machine makes any.
    temp = cwd / "grader-temp" if sandbox == "plain" else None
    if temp is not None:
        temp.mkdir()
        env["TMPDIR"] = str(temp)
    processes_before = job_processes()
    with pids_cgroup(max_pids) as group:

        def preexec() -> None:
            group.join()
            resource.setrlimit(resource.RLIMIT_AS, (OUTER_ADDRESS_SPACE, OUTER_ADDRESS_SPACE))

        short = "timeout" in expected
        run = run_cli(
            submission,
            cwd,
            sandbox=sandbox,
            extra_env=env,
            preexec=preexec,
            # Without a cgroup only this timeout bounds a fork bomb (a run whose verdict may
            # be the timeout): keep it short, though 10 times over such a run's few seconds.
            timeout=CLI_TIMEOUT_S if group.path is not None or not short else 45.0,
        )
        deadline = time.monotonic() + 10.0  # killed processes vanish in milliseconds
        while group.members() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group.members() == [], "processes of the job outlived the grader"
        left = leftover_job_processes(processes_before, group.path)
    assert left == [], "processes with a job uid outlived the grader"
    assert files_owned_by_jobs() == [], "the job left files on the host"
    if temp is not None:
        assert plain_workdirs(temp) == [], "the plain backend left its working folder"
    return run
