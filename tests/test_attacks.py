"""Hostile submissions graded through the real CLI and the hardened sandbox.

Each attack is a realistic student file under ``tests/data/attacks/``: correct parts copied from
``submissions/correct_vectorized.py``, the attack inside ``dL_dd`` (part ``d``) or at top level.
Every run is bounded from outside (a pids cgroup, a 4 GiB address-space limit, a timeout) and is
followed by a check that nothing of the job outlived it or was left on the host.

Each attack runs on the per-job sandbox and on the warm pool (markers ``bwrap`` and ``pool``:
skipped where they cannot run); what the plain backend does guarantee is tested on it too.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import uuid
from pathlib import Path

import pytest
from attack_support import (
    ATTACKED,
    ATTACKS,
    PARTS,
    attack_source,
    grade_attack,
    submission_from,
)

import grader
import reference

#: The hardened backends every attack runs against: the per-job sandbox and the warm pool.
HARDENED = [
    pytest.param("bwrap", marks=pytest.mark.bwrap, id="bwrap"),
    pytest.param("pool", marks=pytest.mark.pool, id="pool"),
]


@pytest.fixture(params=HARDENED)
def sandbox(request: pytest.FixtureRequest) -> str:
    return str(request.param)


SECRETS = {"GRADER_SECRET": "topsecret-XYZ", "AWS_SECRET_ACCESS_KEY": "AKIAfake/SECRET+key42"}
REFERENCE_MODEL = Path(reference.__file__).resolve().parent / "model.py"


def reference_snippets() -> list[str]:
    """Lines of the reference model long and specific enough to prove a leak if seen."""
    lines = [ln.strip() for ln in REFERENCE_MODEL.read_text(encoding="utf-8").splitlines()]
    return [
        ln for ln in lines if len(ln) > 30 and not ln.startswith(("#", '"""', "from", "import"))
    ]


def assert_others_pass(run, attacked: str = ATTACKED) -> None:
    others = {name: s for name, s in run.statuses().items() if name != attacked}
    assert others == dict.fromkeys(others, "passed"), run.statuses()


# --- attacks confined to one part: its status, the other parts pass --------------------------

CONFINED = [
    # a busy loop: stopped at the part timeout
    pytest.param("infinite_loop.py", {"timeout"}, id="infinite-loop"),
    # sleeping far past the part timeout
    pytest.param("sleep.py", {"timeout"}, id="sleep"),
    # 8 GiB: refused by the child's 1 GiB address-space limit (MemoryError)
    pytest.param("memory_bomb.py", {"error"}, id="memory-bomb"),
    # recursion limit lifted: RecursionError/MemoryError/SIGSEGV, or too slow: the timeout
    pytest.param("deep_recursion.py", {"error", "timeout"}, id="deep-recursion"),
    # os.fork in a loop: RLIMIT_NPROC of the job uid, then the part timeout
    pytest.param("fork_bomb.py", {"error", "timeout"}, id="fork-bomb"),
    # SystemExit is caught like any exception
    pytest.param("sys_exit.py", {"error"}, id="sys-exit"),
    # the child dies; a fresh child runs the remaining parts
    pytest.param("os_exit.py", {"error"}, id="os-exit"),
    # kill(ppid) and kill(-1): nothing outside the pid namespace is reachable
    pytest.param("kill_parent.py", {"error"}, id="kill-parent"),
    # null dereference via ctypes (or ctypes does not import): the part errors
    pytest.param("segfault_ctypes.py", {"error"}, id="segfault-ctypes"),
    # np.ones(10**8): over the result-size cap (or the memory limit)
    pytest.param("huge_return.py", {"failed", "error"}, id="huge-return"),
    # a 1 GiB file in /tmp: the file-size limit and the sized tmpfs
    pytest.param("disk_big_file.py", {"error"}, id="disk-big-file"),
    # 100k small files in /tmp: the tmpfs fills up (or the timeout)
    pytest.param("disk_many_files.py", {"error", "timeout"}, id="disk-many-files"),
]


def assert_confined(run, expected: set[str]) -> None:
    assert run.status(ATTACKED) in expected, run.report["parts"][1]["message"]
    assert_others_pass(run)
    assert run.returncode == 1
    assert len(run.report["output_excerpt"].encode()) <= 4096 + 4  # replacement chars aside
    assert len(run.stdout) < 1 << 20  # the report stays small whatever was printed


@pytest.mark.parametrize(("name", "expected"), CONFINED)
def test_confined_attack(tmp_path: Path, sandbox: str, name: str, expected: set[str]) -> None:
    run = grade_attack(
        submission_from(name, tmp_path), tmp_path, sandbox=sandbox, expected=expected
    )
    assert_confined(run, expected)


FLOODS = [
    pytest.param("flood_stdout.py", id="flood-stdout"),  # 100 MB on stdout, on every call
    pytest.param("flood_stderr.py", id="flood-stderr"),  # the same on stderr: the same pipe
]


@pytest.mark.parametrize("name", FLOODS)
def test_a_flood_of_output_costs_no_part(tmp_path: Path, sandbox: str, name: str) -> None:
    # Read and dropped as it comes: the answers are graded, the report keeps the start and
    # says the rest was dropped (tests/test_output_cap.py: the grader's memory stays flat).
    run = grade_attack(submission_from(name, tmp_path), tmp_path, sandbox=sandbox)
    assert run.statuses() == dict.fromkeys(PARTS, "passed")
    assert run.returncode == 0
    assert run.report["output_bytes"] >= 100 << 20
    assert len(run.report["output_excerpt"].encode()) <= 4096 + 4  # replacement chars aside
    assert len(run.stdout) < 1 << 20
    assert any("output cap" in note for note in run.report["notes"]), run.report["notes"]


@pytest.mark.parametrize("backend", [*HARDENED, pytest.param("plain", id="plain")])
def test_thread_bomb_costs_only_its_part(tmp_path: Path, backend: str) -> None:
    # Threads until none can start (RuntimeError). The parts after it need a child that can
    # start threads again, on every backend, the plain one included.
    run = grade_attack(submission_from("thread_bomb.py", tmp_path), tmp_path, sandbox=backend)
    assert_confined(run, {"error"})


def test_pickle_payload_is_never_unpickled(tmp_path: Path, sandbox: str) -> None:
    marker = tmp_path / "PWNED"
    run = grade_attack(
        submission_from("pickle_payload.py", tmp_path, MARKER=str(marker)),
        tmp_path,
        sandbox=sandbox,
    )
    assert run.status("y_pred") in {"failed", "error"}
    assert run.status("d") in {"failed", "error"}
    assert_others_pass_except(run, {"y_pred", "d"})
    assert not marker.exists()


def assert_others_pass_except(run, attacked: set[str]) -> None:
    others = {n: s for n, s in run.statuses().items() if n not in attacked}
    assert others == dict.fromkeys(others, "passed"), run.statuses()


def test_monkeypatched_numpy_and_builtins_do_not_fool_the_comparison(
    tmp_path: Path, sandbox: str
) -> None:
    run = grade_attack(submission_from("monkeypatch.py", tmp_path), tmp_path, sandbox=sandbox)
    wrong = {"y_pred", "d", "V"}
    assert {n: run.status(n) for n in wrong} == dict.fromkeys(wrong, "failed")
    assert_others_pass_except(run, wrong)
    assert run.returncode == 1
    assert run.report["score"] < run.report["max_score"]


def test_printed_fake_report_is_not_the_report(tmp_path: Path, sandbox: str) -> None:
    run = grade_attack(submission_from("fake_report.py", tmp_path), tmp_path, sandbox=sandbox)
    assert "FAKE" not in run.report  # stdout parsed as one document: the real one
    assert run.status("d") == "failed"
    assert_others_pass(run)
    assert run.returncode == 1
    assert '"FAKE": true' in run.report["output_excerpt"]  # it went to the excerpt instead


def test_network_is_unreachable(tmp_path: Path, sandbox: str) -> None:
    connections: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.2)
        port = server.getsockname()[1]
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    conn.settimeout(1)
                    connections.append(conn.recv(64) or b"<connected>")

        listener = threading.Thread(target=accept, daemon=True)
        listener.start()
        try:
            run = grade_attack(
                submission_from("network.py", tmp_path, PORT=str(port)), tmp_path, sandbox=sandbox
            )
        finally:
            stop.set()
            listener.join(timeout=5)
    assert connections == []
    assert run.status(ATTACKED) == "error"
    # bwrap's empty network namespace has its own loopback: nobody listens there.
    message = run.report["parts"][1]["message"]
    assert "ConnectionRefusedError" in message or "unreachable" in message.lower(), message
    assert_others_pass(run)


def _grader_install_targets() -> list[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    targets = [
        str(REFERENCE_MODEL),
        str(REFERENCE_MODEL.parent),
        str(Path(grader.__file__).resolve().parent),
        str(site),
        str(site / "grader"),
        str(site / "reference"),
    ]
    return targets


def test_reference_and_grader_code_are_unreadable(tmp_path: Path, sandbox: str) -> None:
    targets = _grader_install_targets()
    sub = submission_from("read_reference.py", tmp_path, TARGETS=repr(targets))
    run = grade_attack(sub, tmp_path, sandbox=sandbox)
    assert run.status(ATTACKED) == "error"
    assert_others_pass(run)
    excerpt = run.report["output_excerpt"]
    assert "READ-FAIL" in excerpt  # the summary line came through: the attack ran
    assert "READ-OK" not in excerpt and "IMPORT-OK" not in excerpt, excerpt[:600]
    for snippet in reference_snippets():
        assert snippet not in run.stdout, snippet


def test_proc_does_not_show_the_grader(tmp_path: Path, sandbox: str) -> None:
    sub = submission_from("proc_snoop.py", tmp_path)
    run = grade_attack(sub, tmp_path, extra_env=SECRETS, sandbox=sandbox)
    assert run.status(ATTACKED) == "error"
    assert_others_pass(run)
    excerpt = run.report["output_excerpt"]
    assert "/proc/1/cmdline" in excerpt  # the attack ran and printed
    # /proc/1 is bwrap's own init (its argv shows the bind layout, GRADER_SITE included);
    # the grader's argv and environment are out of reach.
    leaks = ["grader check", "-m grader", "--json", str(tmp_path), "GRADER_SECRET", "AWS_"]
    for leak in [*leaks, *SECRETS.values()]:
        assert leak not in run.stdout, leak


def test_environment_holds_no_secrets(tmp_path: Path, sandbox: str) -> None:
    run = grade_attack(
        submission_from("env_secrets.py", tmp_path), tmp_path, extra_env=SECRETS, sandbox=sandbox
    )
    assert run.status(ATTACKED) == "error"
    assert_others_pass(run)
    assert "PATH=" in run.report["parts"][1]["message"]  # the dump came through
    for leak in [*SECRETS.values(), "GRADER_SECRET", "AWS_SECRET", str(tmp_path)]:
        assert leak not in run.stdout, leak


def test_nothing_is_written_outside_the_sandbox(tmp_path: Path, sandbox: str) -> None:
    tag = f"escaped-{uuid.uuid4().hex[:10]}"
    targets = [
        str(tmp_path / tag),
        f"/work/{tag}",
        f"/root/{tag}",
        f"/etc/{tag}",
        f"{Path(sys.prefix)}/{tag}",
        f"{Path(sys.base_prefix).resolve()}/{tag}",
    ]
    try:
        sub = submission_from("write_outside.py", tmp_path, TARGETS=repr(targets))
        run = grade_attack(sub, tmp_path, sandbox=sandbox)
        assert run.status(ATTACKED) == "error"
        assert_others_pass(run)
        excerpt = run.report["output_excerpt"]
        assert "WRITE-FAIL" in excerpt and "WROTE" not in excerpt, excerpt[:600]
        assert "rc=0" not in excerpt, excerpt[:600]  # no remount succeeded
    finally:
        escaped = [t for t in targets if Path(t).exists()]
        for t in escaped:
            Path(t).unlink()
    assert escaped == []


def test_daemon_does_not_outlive_the_job(tmp_path: Path, sandbox: str) -> None:
    # grade_attack asserts that no job process survives the CLI, in the cgroup or by uid.
    run = grade_attack(submission_from("daemon.py", tmp_path), tmp_path, sandbox=sandbox)
    assert run.statuses() == dict.fromkeys(PARTS, "passed")
    assert "DAEMON-PID" in run.report["output_excerpt"]  # the daemon did start
    assert run.returncode == 0


def test_numpy_next_to_the_submission_is_not_imported(tmp_path: Path, sandbox: str) -> None:
    # The submission is sent to the child as source: its folder is never on the child's path.
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copy(ATTACKS / "hijack_numpy.py", folder / "numpy.py")
    run = grade_attack(submission_from("hijack_submission.py", folder), tmp_path, sandbox=sandbox)
    assert run.statuses() == dict.fromkeys(PARTS, "passed")
    assert "HIJACKED" not in run.stdout + run.stderr
    assert run.returncode == 0


def test_numpy_in_the_working_folder_is_not_imported(tmp_path: Path, sandbox: str) -> None:
    shutil.copy(ATTACKS / "hijack_numpy.py", tmp_path / "numpy.py")
    run = grade_attack(submission_from("hijack_submission.py", tmp_path), tmp_path, sandbox=sandbox)
    assert run.statuses() == dict.fromkeys(PARTS, "passed")
    assert "HIJACKED" not in run.stdout + run.stderr


# --- the plain backend: what it does and does not guarantee ---------------------------------

PLAIN = [
    # timeouts hold: a busy loop is stopped and the other parts still run
    pytest.param("infinite_loop.py", {"timeout"}, id="infinite-loop"),
    # the grader survives; the fork bomb is bounded only by the outer cgroup and the timeout
    # (as root RLIMIT_NPROC is not enforced), and killpg ends the whole process group
    pytest.param("fork_bomb.py", {"error", "timeout"}, id="fork-bomb"),
    # the child's environment is a fixed list: no secrets even without the sandbox
    pytest.param("env_secrets.py", {"error"}, id="env-secrets"),
    # NOT guaranteed: the plain child runs as the grader's user and reads the reference
    pytest.param(
        "read_reference.py",
        {"error"},
        id="read-reference",
        marks=pytest.mark.xfail(strict=True, reason="plain backend is no security boundary"),
    ),
]


@pytest.mark.parametrize(("name", "expected"), PLAIN)
def test_plain_backend(tmp_path: Path, name: str, expected: set[str]) -> None:
    sub = submission_from(name, tmp_path, TARGETS=repr(_grader_install_targets()))
    run = grade_attack(sub, tmp_path, sandbox="plain", expected=expected, extra_env=SECRETS)
    assert run.status(ATTACKED) in expected
    assert_others_pass(run)
    for leak in SECRETS.values():
        assert leak not in run.stdout, leak
    excerpt = run.report["output_excerpt"]
    assert "READ-OK" not in excerpt and "IMPORT-OK" not in excerpt
    for snippet in reference_snippets():
        assert snippet not in run.stdout, snippet


def test_attack_files_are_realistic_submissions() -> None:
    """Every attack submission defines every part's function (a student file, not a script)."""
    for path in sorted(ATTACKS.glob("*.py")):
        if path.name == "hijack_numpy.py":
            continue
        text = attack_source(path.name)
        for fn in ("dL_dy_pred", "dL_dd", "dL_dV", "dL_dh", "dL_dW", "dL_dU", "dL_db"):
            assert f"def {fn}(" in text, (path.name, fn)


# --- what the child sends: forged frames, a forked copy, the kernel's interfaces ------------

FORGERIES = [
    pytest.param("many_calls", id="many-calls"),  # 4 × 1 MiB frames of 600 calls each
    pytest.param("nested_header", id="nested-header"),  # JSON nested 100,000 deep
    pytest.param("bad_dtype", id="bad-dtype"),  # a dtype of ","
    pytest.param("error_line", id="error-line"),  # a line "number" that is a string
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_garbage_from_the_child_is_a_status(tmp_path: Path, sandbox: str, forgery: str) -> None:
    # grade_attack asserts the grader exits 0 or 1 with one JSON report: no traceback.
    sub = submission_from("forged_frames.py", tmp_path, FORGERY=forgery)
    run = grade_attack(sub, tmp_path, sandbox=sandbox)
    assert run.status("d") == "error"
    assert_others_pass(run)
    assert "Traceback" not in run.stderr


PEAK_RSS = """
import contextlib, io, resource, sys
from grader.cli import main
sys.argv = ["grader", "check", sys.argv[1], "--json"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _grader_peak_rss_kb(submission: Path, sandbox: str) -> int:
    """The grader's own peak resident set (its sandboxed children not included), KiB."""
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(submission)],
        capture_output=True, text=True, timeout=300, cwd=submission.parent,
        env={"PATH": "/usr/bin:/bin", "GRADER_SANDBOX": sandbox},
    )  # fmt: skip
    return int(proc.stdout.strip().splitlines()[-1])


def test_forged_frames_cost_the_grader_nothing(tmp_path: Path, sandbox: str) -> None:
    attack = submission_from("forged_frames.py", tmp_path, FORGERY="many_calls")
    correct = tmp_path / "correct.py"
    correct.write_text(attack_source("forged_frames.py").split("# ---- the attack ----")[0])
    grown = _grader_peak_rss_kb(attack, sandbox) - _grader_peak_rss_kb(correct, sandbox)
    assert grown < 150 * 1024, f"the grader grew by {grown >> 10} MiB"


def test_a_forked_copy_cannot_speak_for_the_child(tmp_path: Path, sandbox: str) -> None:
    run = grade_attack(submission_from("fork_returns.py", tmp_path), tmp_path, sandbox=sandbox)
    assert run.statuses() == dict.fromkeys(PARTS, "passed")


@pytest.mark.parametrize("backend", [*HARDENED, pytest.param("plain", id="plain")])
def test_denied_syscalls(tmp_path: Path, backend: str) -> None:
    # dL_dd answers right only when every call is refused with EPERM (or ENOSYS).
    run = grade_attack(submission_from("denied_syscalls.py", tmp_path), tmp_path, sandbox=backend)
    assert run.statuses() == dict.fromkeys(PARTS, "passed"), run.report["output_excerpt"]
