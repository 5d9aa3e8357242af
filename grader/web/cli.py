"""CLI commands of the web service (registered on the main app by grader.cli).

``grader serve`` turns its options into the core's and the service's settings and hands them
to one ``create_app``;
``grader roster import|add|revoke|list|remove`` manage students and their tokens. Only typer
and the standard library are imported here at load time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from grader.cli_options import SecretFileOpt, command_group, fail

roster_app = command_group(help="Students' tokens for the web service.")

DataDirOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--data-dir", help="folder for uploads and the database (GRADER_DATA_DIR)"),
]
DbOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--database-url", help="SQLAlchemy URL (GRADER_DATABASE_URL)"),
]


@contextmanager
def _roster_store(data_dir: Path | None, database_url: str | None) -> Iterator[Any]:
    """The service's store for a roster command; a GraderError in the block is a usage error."""
    from grader.errors import GraderError
    from grader.web.roster import open_store

    web = _web_settings(data_dir=data_dir, database_url=database_url)
    try:
        yield open_store(web)
    except GraderError as exc:
        raise fail(str(exc)) from None


def _settings(**overrides: Any) -> Any:
    """The core's settings (grading), or a usage error."""
    from grader.errors import GraderError
    from grader.settings import get_settings

    try:
        return get_settings(**overrides)
    except GraderError as exc:
        raise fail(str(exc)) from None


def _web_settings(**overrides: Any) -> Any:
    """The web service's settings (where it listens and keeps data, its caps), or a usage
    error."""
    from grader.errors import GraderError
    from grader.web.settings import get_web_settings

    try:
        return get_web_settings(**overrides)
    except GraderError as exc:
        raise fail(str(exc)) from None


def serve(
    host: Annotated[Optional[str], typer.Option(help="address (GRADER_HOST)")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="port (GRADER_PORT)")] = None,  # noqa: UP045
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--workers", help="grading threads (GRADER_WORKERS)"),
    ] = None,
    data_dir: DataDirOpt = None,
    database_url: DbOpt = None,
    secret_file: SecretFileOpt = None,
    allow_unconfined: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--allow-unconfined", help="accept the plain (unconfined) sandbox"),
    ] = None,
) -> None:
    """Run the web submission service (students upload; grading on the hidden cases)."""
    import uvicorn

    from grader.errors import GraderError
    from grader.web.app import create_app

    settings = _settings(secret_file=secret_file, allow_unconfined=allow_unconfined or None)
    web = _web_settings(
        host=host, port=port, workers=workers, data_dir=data_dir, database_url=database_url
    )
    try:
        app = create_app(settings, web)
    except GraderError as exc:
        raise fail(str(exc)) from None
    uvicorn.run(app, host=web.host, port=web.port)


@roster_app.command("import")
def roster_import(
    csv_file: Annotated[Path, typer.Argument(help="roster CSV with a 'student' column")],
    out: Annotated[Path, typer.Option("--out", help="where to write student,token")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="give students already known a new token")
    ] = False,
    data_dir: DataDirOpt = None,
    database_url: DbOpt = None,
) -> None:
    """Add the roster's students, each with a new random token written to --out."""
    from grader.web.roster import read_roster, write_tokens

    with _roster_store(data_dir, database_url) as store:
        change = store.import_roster(read_roster(csv_file), rotate=rotate)
    write_tokens(out, change.issued + change.rotated)
    typer.echo(
        f"{len(change.issued)} new student(s), {len(change.rotated)} given a new token, "
        f"{len(change.kept)} kept their token; tokens written to {out}"
    )
    if change.kept:
        typer.echo(
            "students who kept their token are not in that file: "
            "pass --rotate to issue new tokens to everyone"
        )


@roster_app.command("add")
def roster_add(
    student: Annotated[str, typer.Argument(help="the student's id")],
    rotate: Annotated[bool, typer.Option("--rotate", help="replace an existing token")] = False,
    data_dir: DataDirOpt = None,
    database_url: DbOpt = None,
) -> None:
    """Add one student (or, with --rotate, replace their token) and print the token."""
    with _roster_store(data_dir, database_url) as store:
        token = store.add_student(student.strip(), rotate=rotate)
    typer.echo(token)


@roster_app.command("revoke")
def roster_revoke(
    student: Annotated[str, typer.Argument(help="the student's id")],
    data_dir: DataDirOpt = None,
    database_url: DbOpt = None,
) -> None:
    """Revoke a student's token (their submissions stay; `roster add` issues a new one)."""
    with _roster_store(data_dir, database_url) as store:
        store.revoke(student.strip())
    typer.echo(f"revoked the token of {student}")


@roster_app.command("list")
def roster_list(
    as_json: Annotated[bool, typer.Option("--json", help="a JSON list instead of a table")] = False,
    data_dir: DataDirOpt = None,
    database_url: DbOpt = None,
) -> None:
    """Every student with their number of submissions and whether their token is active."""
    import json
    from dataclasses import asdict

    with _roster_store(data_dir, database_url) as store:
        entries = store.roster()
    if as_json:
        typer.echo(json.dumps([asdict(e) for e in entries], indent=2))
        return
    if not entries:
        typer.echo("the roster is empty: add students with `grader roster import` or `add`")
        return
    names = [_printable(e.student) for e in entries]
    width = max(len("student"), *map(len, names))
    typer.echo(f"{'student':<{width}}  submissions  token")
    for name, e in zip(names, entries, strict=True):
        typer.echo(f"{name:<{width}}  {e.submissions:>11}  {'active' if e.active else 'revoked'}")


@roster_app.command("remove")
def roster_remove(
    student: Annotated[str, typer.Argument(help="the student's id")],
    data_dir: DataDirOpt = None,
    database_url: DbOpt = None,
) -> None:
    """Remove a student who has no submissions (one with submissions: `roster revoke`)."""
    with _roster_store(data_dir, database_url) as store:
        store.remove(student.strip())
    typer.echo(f"removed {student} from the roster")


def _printable(text: str) -> str:
    """``text`` with each unprintable character as its escape: an id from a roster CSV
    cannot move the terminal's cursor or recolour it."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


def register(app: typer.Typer) -> None:
    """Add the web-service commands (serve, roster) to ``app``."""
    app.command("serve")(serve)
    app.add_typer(roster_app, name="roster")
