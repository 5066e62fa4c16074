"""Helpers of the dbt integration tests: run dbt or Dagster on a warehouse, read it back.

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
from dagster_dbt import DbtCliResource

from pipelines.defs.dbt.assets import AS_OF_ENV_VAR
from pipelines.defs.dbt.project import DBT_PROJECT_DIR, salesplan_dbt_project
from pipelines.defs.resources import HomeResource, WarehouseResource
from salesplan.home import SalesplanHome

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
SMALL_DEMO_AS_OF = "2026-11-01"
PLANNING_CALENDAR_YEAR = "fiscal_year:\n  start_month: 1\n"
PLANNING_APRIL_YEAR = "fiscal_year:\n  start_month: 4\n"


def run_dbt(
    args: Sequence[str],
    *,
    warehouse: Path,
    dbt_vars: Mapping[str, Any],
    target: Path,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <args>`` on ``warehouse`` with ``dbt_vars``; artifacts go to ``target``.

    ``env`` adds environment variables (``SALESPLAN_AS_OF_MONTH`` is removed unless given).
    """
    inherited = {name: value for name, value in os.environ.items() if name != AS_OF_ENV_VAR}
    env = {
        **inherited,
        "SALESPLAN_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
        **(env or {}),
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


def failure(result: subprocess.CompletedProcess[str]) -> str:
    return f"dbt exited with {result.returncode}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"


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
