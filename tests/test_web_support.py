"""Shared helpers of the web-service tests (no tests here): an app on a tmp_path database,
tokens, and a live uvicorn subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from grader.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = ROOT / "submissions"
DATA = Path(__file__).with_name("data") / "web"
SECRET = "web-test-secret"
INSTRUCTOR = "instructor-token-for-tests"


def web_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "secret": SECRET,
        "data_dir": tmp_path / "data",
        "instructor_token": INSTRUCTOR,
        "workers": 1,
    }
    return get_settings(**(values | overrides))


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
    data_dir: Path, log: Path, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m uvicorn server:app`` on a free loopback port; killed at the end."""
    port = free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "server:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
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
