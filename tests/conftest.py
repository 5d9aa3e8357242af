"""Shared test set-up: tests write only under temporary folders."""

from __future__ import annotations

import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Hypothesis keeps a cache in ./.hypothesis by default: keep it out of the repository.
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-"))
