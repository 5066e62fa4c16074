"""Session fixtures: the tiny hand-made business and the small demo, each built once."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dbt_runs import SMALL_DEMO_AS_OF, failure, materialize_dbt, run_dbt, use_april_fiscal_year
from tiny_business import TINY_VARS, write_tiny_business

import demodata
from ingestion.load import ingest
from pipelines.defs.dbt.assets import salesplan_dbt_assets
from pipelines.defs.dbt.project import ensure_manifest
from salesplan.home import SalesplanHome, resolve_home


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny business, built by ``dbt build`` as of 2025-07 (unit tests included)."""
    folder = tmp_path_factory.mktemp("tiny")
    warehouse = folder / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        write_tiny_business(connection)
    result = run_dbt(["build"], warehouse=warehouse, dbt_vars=TINY_VARS, target=folder / "target")
    assert result.returncode == 0, failure(result)
    return warehouse


@pytest.fixture(scope="session")
def tiny_build_target(tiny_warehouse: Path) -> Path:
    """The dbt target folder of the tiny build (run_results.json, manifest.json)."""
    return tiny_warehouse.parent / "target"


@pytest.fixture(scope="session")
def dbt_assets() -> dg.AssetsDefinition:
    """The dbt assets of the code location, from its manifest (prepared as the CLI does)."""
    ensure_manifest(lambda _message: None)
    return salesplan_dbt_assets()


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
