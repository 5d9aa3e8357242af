"""The roster: students read from a CSV, their tokens written to a CSV only the owner reads."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from grader.csvfile import CsvWriter
from grader.errors import ConfigError
from grader.web.db import make_engine
from grader.web.settings import WebSettings
from grader.web.store import Store


def open_store(settings: WebSettings) -> Store:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store(
        make_engine(settings.resolved_database_url, busy_timeout_s=settings.db_busy_timeout_s)
    )


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of a roster CSV: a ``student`` column (the id), any others kept as profile data."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or "student" not in reader.fieldnames:
                raise ConfigError(
                    f"{path} has no 'student' column: its first line must name the columns, "
                    "one of them 'student'"
                )
            rows = [{k: (v or "").strip() for k, v in r.items() if k} for r in reader]
    except OSError as exc:
        raise ConfigError(f"cannot read the roster {path}: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: save the roster as UTF-8 CSV") from None
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        sid = row.get("student", "")
        if not sid:
            raise ConfigError(f"{path}, line {line}: the student column is empty")
        if sid in seen:
            raise ConfigError(f"{path}, line {line}: student {sid!r} appears twice")
        seen.add(sid)
    return rows


def write_tokens(path: Path, tokens: list[tuple[str, str]]) -> None:
    """student,token rows, in a file created readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    writer = CsvWriter()  # the ids as text, formula-safe; tokens never start with "-"
    writer.writerow(["student", "token"])
    writer.writerows(tokens)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(writer.getvalue())
