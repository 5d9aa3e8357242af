"""Shared helpers of the web-service tests (no tests here): an app on a tmp_path database (or
a fresh PostgreSQL one), tokens, uploads, and a live uvicorn subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from environment_support import UntrustedGrading, postgres_url
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from grader.settings import Settings, get_settings
from grader.web.app import create_app
from grader.web.settings import WebSettings, get_web_settings

with warnings.catch_warnings():
    # Starlette ≥ 1.x would like `httpx2` for its test client; `httpx` is what we install.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
DATA = Path(__file__).with_name("data") / "web"
SECRET = "web-test-secret"
INSTRUCTOR = "instructor-token-for-tests"
#: Parameters of a ``database`` fixture: the embedded SQLite default, and PostgreSQL where the
#: server GRADER_TEST_POSTGRES_URL names is given (CI starts one).
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def web_settings(tmp_path: Path, **overrides: Any) -> tuple[Settings, WebSettings]:
    """The core's and the service's settings for an app on ``tmp_path``; each override goes to
    the one that declares it."""
    values: dict[str, Any] = {
        "secret": SECRET,
        "data_dir": tmp_path / "data",
        "instructor_token": INSTRUCTOR,
        "workers": 1,
    } | overrides
    web = {k: v for k, v in values.items() if k in WebSettings.model_fields}
    core = {k: v for k, v in values.items() if k not in web}
    return get_settings(**core), get_web_settings(**web)


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a fresh database on the server GRADER_TEST_POSTGRES_URL names, dropped at
    the end (a test using it carries the postgres marker)."""
    admin_url = postgres_url()
    assert admin_url is not None  # the postgres marker skips the test otherwise
    name = f"grader_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sqlalchemy.make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def database_overrides(kind: str) -> Iterator[dict[str, Any]]:
    """Settings for the store under test (a ``database`` fixture yields from this)."""
    if kind == "sqlite":
        yield {}
        return
    with postgres_database() as url:
        yield {"database_url": url}


def make_client(
    tmp_path: Path, untrusted: UntrustedGrading, **overrides: Any
) -> Iterator[TestClient]:
    settings, web = web_settings(tmp_path, **(untrusted.settings | overrides))
    with TestClient(create_app(settings, web, backend=untrusted.backend())) as client:
        yield client


def service(app: Any) -> Any:
    assert isinstance(app, FastAPI)
    return app.state.service


def tokens(client: TestClient, *students: str) -> dict[str, str]:
    store = service(client.app).store
    return {s: store.add_student(s) for s in students}


def upload(client: TestClient, token: str, path: Path, name: str | None = None) -> Any:
    files = {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}
    return client.post("/api/submissions", files=files, headers=auth(token))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env |= {
        "GRADER_SECRET": SECRET,
        "GRADER_DATA_DIR": str(data_dir),
        "GRADER_INSTRUCTOR_TOKEN": INSTRUCTOR,
        **extra,
    }
    return env


def add_students(data_dir: Path, *students: str) -> dict[str, str]:
    """Tokens of new students, made with the real CLI."""
    tokens = {}
    for sid in students:
        proc = subprocess.run(
            [sys.executable, "-m", "grader", "roster", "add", sid],
            env=server_env(data_dir),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        tokens[sid] = proc.stdout.strip()
    return tokens


@contextmanager
def live_server(
    data_dir: Path,
    log: Path,
    *,
    app: tuple[str, ...] = ("server:app",),
    cwd: Path = ROOT,
    **env: str,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m uvicorn APP`` (default ``server:app`` in the checkout) on a free loopback
    port; killed at the end."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *app, "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=server_env(data_dir, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def wait_graded(
    client: httpx.Client | Any, sub_id: int, token: str, timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/submissions/{sub_id}", headers=auth(token)).json()
        if body["status"] in ("done", "error"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"submission {sub_id} not graded in {timeout_s} s: {body}")
