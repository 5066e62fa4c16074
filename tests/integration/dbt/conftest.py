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

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource
from tiny_business import TINY_VARS, write_tiny_business

import demodata
from ingestion.load import ingest
from pipelines.defs.dbt.assets import salesplan_dbt_assets
from pipelines.defs.dbt.project import DBT_PROJECT_DIR, prepare_manifest, salesplan_dbt_project
from pipelines.defs.resources import HomeResource, WarehouseResource
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
PLANNING_CALENDAR_YEAR = "fiscal_year:\n  start_month: 1\n"
PLANNING_APRIL_YEAR = "fiscal_year:\n  start_month: 4\n"


@pytest.fixture(scope="session")
def dbt_assets() -> dg.AssetsDefinition:
    """The dbt assets of the code location, from a manifest prepared as `make manifest` does."""
    prepare_manifest()
    return salesplan_dbt_assets()


def materialize_dbt(
    dbt_assets: dg.AssetsDefinition,
    home: SalesplanHome,
    partition_key: str,
    selection: list[str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize the dbt assets of one partition on ``home``, as a Dagster run does."""
    return dg.materialize(
        [dbt_assets],
        partition_key=partition_key,
        selection=selection,
        resources={
            "dbt": DbtCliResource(project_dir=salesplan_dbt_project()),
            "home": HomeResource(root=str(home.root)),
            "warehouse": WarehouseResource(root=str(home.root)),
        },
    )


def use_april_fiscal_year(home: SalesplanHome) -> None:
    """Make the home's planning.yml start the fiscal year in April."""
    planning = home.planning_config.read_text(encoding="utf-8")
    assert PLANNING_CALENDAR_YEAR in planning
    home.planning_config.write_text(
        planning.replace(PLANNING_CALENDAR_YEAR, PLANNING_APRIL_YEAR), encoding="utf-8"
    )


@pytest.fixture(scope="session")
def small_demo_home(tmp_path_factory: pytest.TempPathFactory) -> SalesplanHome:
    """The small demo, generated and ingested (every extract month), fiscal year from April."""
    home = resolve_home(tmp_path_factory.mktemp("small_demo"))
    demodata.generate(home.root, size="small")
    use_april_fiscal_year(home)
    months = sorted(folder.name for folder in home.extracts.iterdir() if folder.is_dir())
    ingest(home, months)
    return home


@pytest.fixture(scope="session")
def small_demo_run(
    dbt_assets: dg.AssetsDefinition, small_demo_home: SalesplanHome
) -> dg.ExecuteInProcessResult:
    """Every dbt asset of the small demo materialized for as-of 2026-11 by Dagster."""
    return materialize_dbt(dbt_assets, small_demo_home, SMALL_DEMO_AS_OF)


@pytest.fixture(scope="session")
def small_demo_marts(
    small_demo_home: SalesplanHome, small_demo_run: dg.ExecuteInProcessResult
) -> SalesplanHome:
    """The small demo's home once its marts are built."""
    assert small_demo_run.success
    return small_demo_home
