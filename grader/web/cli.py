"""CLI commands of the web service (registered on the main app by grader.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the web-service commands (serve, roster) to ``app``."""
