"""CLI commands of batch grading (registered on the main app by grader.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the batch-grading commands to ``app``."""
