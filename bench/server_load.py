"""Load on the web service: N students upload at once to a live uvicorn on 127.0.0.1.

Starts ``python -m uvicorn server:app`` on a free loopback port with a scratch database, adds
the students, has each upload its submissions concurrently, polls until every one is graded,
and prints submissions/s, p50/p95/p99 of the time from upload to finished report, and accepted
vs graded counts (they must be equal).

    python bench/server_load.py [--students 30] [--uploads 2] [--workers 2]
        [--rate R] [--file correct_vectorized.py] [--sandbox auto|bwrap|pool]

``--rate R`` paces the uploads at R per second in all (sustained load) instead of sending them
all at once; ``--file`` uploads only that example submission; ``--sandbox bwrap`` runs
without the warm pool (one sandbox started per job).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Run as a script, bench/ leads sys.path and bench/reference.py would shadow the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "correct_loops.py",
    "mistake_uses_h_t.py",
    "notebook_correct.ipynb",
    "mistake_reversed_product.py",
    "correct_vectorized.py",
]
INSTRUCTOR = secrets.token_urlsafe(32)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--uploads", type=int, default=2, help="uploads per student")
    parser.add_argument("--workers", type=int, default=2, help="grading threads")
    parser.add_argument("--timeout", type=float, default=600, help="give up after, seconds")
    parser.add_argument("--rate", type=float, default=0.0, help="uploads/s in all; 0: burst")
    parser.add_argument("--file", default=None, help="upload only this example submission")
    parser.add_argument("--sandbox", default="auto", help="GRADER_SANDBOX for the server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-load-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | {
            "GRADER_DATA_DIR": str(Path(tmp) / "data"),
            "GRADER_SECRET": secrets.token_hex(16),
            "GRADER_INSTRUCTOR_TOKEN": INSTRUCTOR,
            "GRADER_WORKERS": str(args.workers),
            "GRADER_SANDBOX": args.sandbox,
            # The bench measures grading, not the per-student anti-brute-force limit.
            "GRADER_RATE_LIMIT_PER_MINUTE": str(max(60, args.uploads * 2)),
            "GRADER_MAX_PENDING_PER_STUDENT": str(max(3, args.uploads)),
        }
        tokens = {}
        for n in range(args.students):
            sid = f"s{n:03d}"
            out = subprocess.run(
                [sys.executable, "-m", "grader", "roster", "add", sid],
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            )
            tokens[sid] = out.stdout.strip()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "server.log"
        with log.open("wb") as out_file:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "server:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=out_file,
                stderr=subprocess.STDOUT,
            )
        try:
            run(url, tokens, args, server, log)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()


def run(
    url: str,
    tokens: dict[str, str],
    args: argparse.Namespace,
    server: subprocess.Popen[bytes],
    log: Path,
) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start in 60 s")
        time.sleep(0.2)
    submitted: dict[int, float] = {}  # id -> when the upload was sent
    rejected: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(tokens))

    def student(sid: str, token: str, index: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            start.wait()
            for k in range(args.uploads):
                name = args.file or FILES[(index + k) % len(FILES)]
                if args.rate > 0:  # upload number k·students + index, paced at args.rate
                    due = t0 + (k * len(tokens) + index) / args.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                sent = time.monotonic()
                res = client.post(
                    "/api/submissions",
                    files={"file": (name, (ROOT / "submissions" / name).read_bytes())},
                )
                with lock:
                    if res.status_code == 202:
                        submitted[res.json()["id"]] = sent
                    else:
                        rejected.append(res.status_code)

    finished: dict[int, float] = {}
    uploads_done = threading.Event()
    admin = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {INSTRUCTOR}"}, timeout=30
    )

    def watch() -> None:
        """Polls the (report-free) listing while uploads go on, noting when each is graded."""
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            now = time.monotonic()
            for sub in admin.get("/api/submissions").json():
                if sub["status"] in ("done", "error") and sub["id"] not in finished:
                    finished[sub["id"]] = now
            with lock:
                if uploads_done.is_set() and all(i in finished for i in submitted):
                    return
            time.sleep(0.05)

    t0 = time.monotonic()
    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [
        threading.Thread(target=student, args=(sid, tok, i))
        for i, (sid, tok) in enumerate(tokens.items())
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.timeout)
    uploaded_s = time.monotonic() - t0
    uploads_done.set()
    watcher.join(args.timeout)
    total_s = time.monotonic() - t0
    graded = [i for i in finished if i in submitted]
    errors = sum(1 for s in admin.get("/api/submissions").json() if s["status"] == "error")
    latencies = [finished[i] - submitted[i] for i in graded]
    pace = f"paced at {args.rate:g}/s" if args.rate > 0 else "all at once"
    print(
        f"students {len(tokens)} × uploads {args.uploads} ({args.file or 'mixed files'}, {pace}), "
        f"grading threads {args.workers}, sandbox setting {args.sandbox}, CPUs {os.cpu_count()}"
    )
    print(
        f"accepted {len(submitted)}  rejected {len(rejected)} {sorted(set(rejected))}  "
        f"graded {len(graded)}  grading errors {errors}"
    )
    print(
        f"all uploads answered in {uploaded_s:.2f} s "
        f"({len(submitted) / uploaded_s:.1f} uploads/s accepted)"
    )
    print(f"all graded in {total_s:.2f} s: {len(graded) / total_s:.2f} submissions/s end to end")
    if latencies:
        print(
            "upload → finished report: "
            f"p50 {statistics.median(latencies):.2f} s  p95 {percentile(latencies, 95):.2f} s  "
            f"p99 {percentile(latencies, 99):.2f} s  max {max(latencies):.2f} s"
        )
    if len(graded) != len(submitted):
        raise SystemExit(f"LOST: {len(submitted) - len(graded)} accepted submissions not graded")


if __name__ == "__main__":
    main()
