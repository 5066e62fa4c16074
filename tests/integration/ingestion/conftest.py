"""Fixtures of the ingestion tests: tiny homes (``tiny_landing``) and warehouse snapshots.

Helpers live in ``tiny_landing.py``, not here: test modules import them by module name, and
every directory's ``conftest`` is a module called ``conftest``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from tiny_landing import FIRST_MONTH, write_tiny_landing

from salesplan.home import SalesplanHome, resolve_home


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny landing, written once per session; tests copy it."""
    root = tmp_path_factory.mktemp("tiny_template")
    write_tiny_landing(resolve_home(root))
    return root


@pytest.fixture
def tiny_home(tiny_template: Path, tmp_path: Path) -> SalesplanHome:
    """A fresh copy of the tiny landing (no warehouse yet)."""
    root = tmp_path / "home"
    shutil.copytree(tiny_template, root)
    return resolve_home(root)


@pytest.fixture(scope="session")
def loaded_template(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny landing with its history month loaded, built once per session."""
    from ingestion.load import ingest

    root = tmp_path_factory.mktemp("loaded_template")
    shutil.copytree(tiny_template, root, dirs_exist_ok=True)
    ingest(resolve_home(root), [FIRST_MONTH])
    return root


@pytest.fixture
def loaded(loaded_template: Path, tmp_path: Path) -> SalesplanHome:
    """A fresh copy of the tiny landing whose history month (2026-02) is loaded."""
    root = tmp_path / "home"
    shutil.copytree(loaded_template, root)
    return resolve_home(root)


@pytest.fixture
def snapshot_warehouse() -> Callable[[SalesplanHome], dict[str, object]]:
    """Return a function that captures the warehouse: its bytes and every raw table's rows."""

    def snapshot(home: SalesplanHome) -> dict[str, object]:
        if not home.warehouse.exists():
            return {"exists": False}
        data = home.warehouse.read_bytes()
        with duckdb.connect(str(home.warehouse), read_only=True) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'raw' ORDER BY 1"
                ).fetchall()
            ]
            rows = {
                name: sorted(map(repr, connection.execute(f"SELECT * FROM raw.{name}").fetchall()))
                for name in tables
            }
        return {"exists": True, "bytes": data, "rows": rows}

    return snapshot
