"""Real dbt builds on temp DuckDB files: the tiny hand-made business and the small demo.

dbt runs as a subprocess, as Dagster runs it, with its own target folder per build so tests
never touch ``dbt_project/target`` (the manifest the code location loads). No Python
connection is open while dbt runs: DuckDB admits one process per file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from tiny_business import TINY_VARS, write_tiny_business

import demodata
from ingestion.load import ingest
from pipelines.defs.dbt.project import DBT_PROJECT_DIR
from salesplan.home import SalesplanHome, resolve_home

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


def run_dbt(
    args: Sequence[str],
    *,
    warehouse: Path,
    dbt_vars: Mapping[str, Any],
    target: Path,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` on ``warehouse`` with ``dbt_vars``; artifacts go to ``target``."""
    env = {
        **os.environ,
        "SALESPLAN_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }
    return subprocess.run(
        [
            str(DBT_EXECUTABLE),
            *args,
            "--vars",
            json.dumps(dict(dbt_vars)),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        env=env,
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def run_results(target: Path) -> dict[str, str]:
    """Return the status of every node of the last run in ``target``, by node name."""
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    return {result["unique_id"].split(".")[2]: result["status"] for result in results["results"]}


def query(warehouse: Path, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` on a read-only connection that is closed again before returning."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


def _failure(result: subprocess.CompletedProcess[str]) -> str:
    return f"dbt exited with {result.returncode}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny business, built by ``dbt build`` as of 2025-07 (unit tests included)."""
    folder = tmp_path_factory.mktemp("tiny")
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        write_tiny_business(connection)
    result = run_dbt(["build"], warehouse=warehouse, dbt_vars=TINY_VARS, target=folder / "target")
    assert result.returncode == 0, _failure(result)
    return warehouse


@pytest.fixture(scope="session")
def tiny_build_target(tiny_warehouse: Path) -> Path:
    """The dbt target folder of the tiny build (run_results.json, manifest.json)."""
    return tiny_warehouse.parent / "target"


SMALL_DEMO_AS_OF = "2026-11-01"


@pytest.fixture(scope="session")
def small_demo_home(tmp_path_factory: pytest.TempPathFactory) -> SalesplanHome:
    """The small demo, generated, ingested (every extract month) and built as of 2026-11."""
    home = resolve_home(tmp_path_factory.mktemp("small_demo"))
    demodata.generate(home.root, size="small")
    months = sorted(folder.name for folder in home.extracts.iterdir() if folder.is_dir())
    ingest(home, months)
    result = run_dbt(
        ["build", "--exclude-resource-type", "unit_test"],
        warehouse=home.warehouse,
        dbt_vars={"as_of_month": SMALL_DEMO_AS_OF},
        target=home.root / "dbt_target",
    )
    assert result.returncode == 0, _failure(result)
    return home
