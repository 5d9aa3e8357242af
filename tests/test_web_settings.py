"""The service's settings (environment, TOML settings file) and its commands: roster, serve,
server.py."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_web_support import DATA, INSTRUCTOR, ROOT, server_env

from grader.errors import ConfigError
from grader.settings import get_settings
from grader.web.settings import get_web_settings


def grader(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_one_settings_file_holds_the_core_and_the_web_settings_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "grader.toml"
    path.write_text(
        'lang = "zh"\nport = 9001\nworkers = 3\ndatabase_url = "sqlite:///x.db"\n'
        "max_pending_per_student = 7\n[limits]\ncpu_s = 4\n"
    )
    monkeypatch.setenv("GRADER_SETTINGS_FILE", str(path))
    monkeypatch.setenv("GRADER_WORKERS", "5")
    monkeypatch.setenv("GRADER_MAX_STORED_KB_PER_STUDENT", "64")
    settings, web = get_settings(), get_web_settings()
    assert (settings.lang, settings.limits.cpu_s) == ("zh", 4)
    assert (web.port, web.workers, web.max_pending_per_student) == (9001, 5, 7)
    assert web.max_stored_kb_per_student == 64
    assert web.resolved_database_url == "sqlite:///x.db"
    assert get_web_settings(port=1).port == 1
    assert not hasattr(settings, "port") and not hasattr(web, "lang")  # each holds its own


BAD_FILES = [
    # (id, file content or None for a missing file, the settings that refuse it, words)
    ("missing", None, "both", "does not exist"),
    ("not-toml", "port = = 1\n", "both", "not valid TOML"),
    ("unknown-setting", "prot = 1\n", "both", "Extra inputs are not permitted"),
    ("wrong-type-web", 'port = "eighty"\n', "web", "port"),
    ("wrong-type-core", "max_source_kb = 0\n", "core", "max_source_kb"),
]
LOADERS = {"core": [get_settings], "web": [get_web_settings]}
LOADERS["both"] = LOADERS["core"] + LOADERS["web"]


@pytest.mark.parametrize(
    ("content", "which", "words"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_a_bad_settings_file_is_named_in_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, which: str, words: str
) -> None:
    path = tmp_path / "grader.toml"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("GRADER_SETTINGS_FILE", str(path))
    for load in LOADERS[which]:
        with pytest.raises(ConfigError, match=words) as info:
            load()
        assert str(path) in str(info.value)
    for load in set(LOADERS["both"]) - set(LOADERS[which]):
        load()  # the other one's key is not this one's business


def test_grader_settings_lists_the_web_settings(tmp_path: Path) -> None:
    path = tmp_path / "grader.toml"
    path.write_text("port = 9001\nmax_pending_per_student = 7\n")
    env = server_env(tmp_path, GRADER_SETTINGS_FILE=str(path), GRADER_QUEUE_MAX="12")
    proc = grader("settings", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split(maxsplit=2)[1:] for line in proc.stdout.splitlines()}
    for name in (
        "GRADER_DATABASE_URL",
        "GRADER_SETTINGS_FILE",
        "GRADER_RATE_LIMIT_PER_MINUTE",
        "GRADER_MAX_STORED_KB_PER_STUDENT",
        "GRADER_WORKERS",
        "GRADER_INSTRUCTOR_TOKEN",
        "GRADER_HOST",
    ):
        assert name in rows
    assert rows["GRADER_PORT"][0] == "9001" and rows["GRADER_PORT"][1].startswith("settings file")
    assert rows["GRADER_MAX_PENDING_PER_STUDENT"][1].startswith("settings file")
    assert rows["GRADER_QUEUE_MAX"][0] == "12"
    assert rows["GRADER_QUEUE_MAX"][1].startswith("environment")
    assert rows["GRADER_INSTRUCTOR_TOKEN"][0] == "**********"
    assert INSTRUCTOR not in proc.stdout


def read_tokens(path: Path) -> dict[str, str]:
    with path.open() as f:
        return {r["student"]: r["token"] for r in csv.DictReader(f)}


def test_roster_import_add_and_revoke(tmp_path: Path) -> None:
    env = server_env(tmp_path / "data")
    first = grader(
        "roster", "import", str(DATA / "roster.csv"), "--out", str(tmp_path / "t1.csv"), env=env
    )
    assert first.returncode == 0, first.stderr
    assert "2 new student(s)" in first.stdout
    tokens = read_tokens(tmp_path / "t1.csv")
    assert sorted(tokens) == ["alice", "bob"] and len(set(tokens.values())) == 2
    assert (tmp_path / "t1.csv").stat().st_mode & 0o777 == 0o600
    again = grader(
        "roster", "import", str(DATA / "roster.csv"), "--out", str(tmp_path / "t2.csv"), env=env
    )
    assert "2 kept their token" in again.stdout and read_tokens(tmp_path / "t2.csv") == {}
    rotated = grader(
        "roster",
        "import",
        str(DATA / "roster.csv"),
        "--out",
        str(tmp_path / "t3.csv"),
        "--rotate",
        env=env,
    )
    assert "2 given a new token" in rotated.stdout
    new = read_tokens(tmp_path / "t3.csv")
    assert sorted(new) == ["alice", "bob"] and not set(new.values()) & set(tokens.values())
    added = grader("roster", "add", "carol", env=env)
    assert added.returncode == 0 and len(added.stdout.strip()) >= 40
    twice = grader("roster", "add", "carol", env=env)
    assert twice.returncode == 2 and "--rotate" in twice.stderr
    assert grader("roster", "revoke", "carol", env=env).returncode == 0
    unknown = grader("roster", "revoke", "zed", env=env)
    assert unknown.returncode == 2 and "zed" in unknown.stderr

    from grader.web.roster import open_store

    store = open_store(get_web_settings(data_dir=tmp_path / "data"))
    assert store.student_for_token(new["alice"]) == "alice"
    assert store.student_for_token(tokens["alice"]) is None  # rotated away
    assert store.student_for_token(added.stdout.strip()) is None  # revoked
    con = sqlite3.connect(tmp_path / "data" / "grader.db")
    profiles = {s: json.loads(p) for s, p in con.execute("SELECT id, profile FROM students")}
    con.close()
    assert profiles["alice"] == {"name": "Alice A", "email": "a@example.edu"}


def test_a_roster_without_a_student_column_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "roster.csv"
    bad.write_text("name,email\nAlice,a@x\n")
    res = grader(
        "roster", "import", str(bad), "--out", str(tmp_path / "t.csv"), env=server_env(tmp_path)
    )
    assert res.returncode == 2 and "'student' column" in res.stderr
    assert not (tmp_path / "t.csv").exists()


REFUSALS = [
    # (id, extra environment, words of the message): the service never starts half-configured
    ("no-secret", {"GRADER_SECRET": ""}, "GRADER_SECRET"),
    ("plain-sandbox", {"GRADER_SANDBOX": "plain"}, "--allow-unconfined"),
    ("bad-settings-file", {"GRADER_SETTINGS_FILE": "/nonexistent/grader.toml"}, "does not exist"),
]


@pytest.mark.parametrize(
    ("extra", "words"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
@pytest.mark.parametrize("command", ["grader serve", "server.py"])
def test_the_service_refuses_to_start_misconfigured(
    tmp_path: Path, command: str, extra: dict[str, str], words: str
) -> None:
    env = server_env(tmp_path / "data", GRADER_PORT="1", **extra)
    argv = (
        [sys.executable, "-m", "grader", "serve"]
        if command == "grader serve"
        else [sys.executable, str(ROOT / "server.py")]
    )
    res = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert words in res.stderr and "Traceback" not in res.stderr


def test_web_cli_imports_only_typer_at_load_time() -> None:
    code = (
        "import sys, grader.web.cli; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_tokens_file_is_formula_safe_and_tokens_survive_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from grader.web import store
    from grader.web.roster import write_tokens

    drawn = iter(["-starts-like-a-formula", "safe-token"])
    monkeypatch.setattr(store.secrets, "token_urlsafe", lambda n: next(drawn))
    assert store.new_token() == "safe-token"  # never a token a spreadsheet would evaluate
    write_tokens(tmp_path / "t.csv", [("=HYPERLINK(1)", "safe-token"), ("bob", "x-y")])
    assert read_tokens(tmp_path / "t.csv") == {"'=HYPERLINK(1)": "safe-token", "bob": "x-y"}


def test_roster_list_and_remove(tmp_path: Path) -> None:
    env = server_env(tmp_path / "data")
    empty = grader("roster", "list", env=env)
    assert empty.returncode == 0 and "the roster is empty" in empty.stdout
    assert json.loads(grader("roster", "list", "--json", env=env).stdout) == []
    for sid in ("alice", "bob", "carol", "dave\x1b[31m"):
        assert grader("roster", "add", sid, env=env).returncode == 0
    assert grader("roster", "revoke", "bob", env=env).returncode == 0

    from grader.web.roster import open_store

    store = open_store(get_web_settings(data_dir=tmp_path / "data"))
    for _ in range(2):
        store.add_submission("alice", "hw.py", "0" * 64, size=1)
    store.add_submission("bob", "hw.py", "0" * 64, size=1)

    listed = json.loads(grader("roster", "list", "--json", env=env).stdout)
    assert listed == [
        {"student": "alice", "submissions": 2, "active": True},
        {"student": "bob", "submissions": 1, "active": False},
        {"student": "carol", "submissions": 0, "active": True},
        {"student": "dave\x1b[31m", "submissions": 0, "active": True},
    ]
    table = grader("roster", "list", env=env)
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines()]
    assert rows == [
        ["student", "submissions", "token"],
        ["alice", "2", "active"],
        ["bob", "1", "revoked"],
        ["carol", "0", "active"],
        ["dave\\x1b[31m", "0", "active"],  # the escape shown, not sent to the terminal
    ]

    kept = grader("roster", "remove", "alice", env=env)
    assert kept.returncode == 2 and "grader roster revoke alice" in kept.stderr
    unknown = grader("roster", "remove", "zed", env=env)
    assert unknown.returncode == 2 and "zed" in unknown.stderr
    removed = grader("roster", "remove", "carol", env=env)
    assert removed.returncode == 0, removed.stderr
    assert store.students() == ["alice", "bob", "dave\x1b[31m"]
    assert len(store.list("alice")) == 2  # nothing accepted was lost
