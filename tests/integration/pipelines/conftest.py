"""A small demo home with its as-of 2026-10 plan published, made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from replan_processes import FIRST_MONTH, run_cli

import demodata


@pytest.fixture(scope="session")
def published_small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the small demo landed and the as-of 2026-10 re-plan published (read-only)."""
    home = tmp_path_factory.mktemp("published_small") / "home"
    demodata.generate(home, size="small")
    result = run_cli(home, "run", "--as-of", FIRST_MONTH)
    assert result.returncode == 0, result.stderr[-4000:]
    return home
