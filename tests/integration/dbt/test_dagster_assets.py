"""The dbt project inside Dagster: asset keys, groups, deps, checks, and a real partition run."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource, DbtProject
from tiny_business import write_tiny_business

from pipelines.defs.dbt.assets import build_dbt_assets, salesplan_dbt_assets
from pipelines.defs.dbt.project import (
    DBT_PROJECT_DIR,
    prepare_manifest,
    salesplan_dbt_project,
)
from pipelines.defs.resources import WAREHOUSE_POOL, HomeResource, WarehouseResource
from salesplan.entities import ENTITIES
from salesplan.home import resolve_home

PLANNING_EXAMPLE = Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"
MARTS = (
    "fct_funnel_monthly",
    "fct_bookings_monthly",
    "fct_collections_monthly",
    "fct_funnel_rates",
    "dim_rep",
    "dim_product",
    "dim_region",
    "dim_partner",
    "dim_calendar",
)


@pytest.fixture(scope="module")
def dbt_assets() -> dg.AssetsDefinition:
    prepare_manifest()
    return salesplan_dbt_assets()


def test_every_model_is_an_asset_keyed_by_its_name_in_its_folders_group(dbt_assets):
    groups = {key.to_user_string(): group for key, group in dbt_assets.group_names_by_key.items()}

    assert {mart: groups[mart] for mart in MARTS} == dict.fromkeys(MARTS, "marts")
    assert {groups[name] for name in groups if name.startswith("stg_")} == {"staging"}
    assert {groups[name] for name in groups if name.startswith("int_")} == {"intermediate"}


def test_staging_depends_on_the_ingestion_asset_of_its_raw_table(dbt_assets):
    deps = {
        key.to_user_string(): {dep.to_user_string() for dep in upstream}
        for key, upstream in dbt_assets.asset_deps.items()
    }

    assert deps["stg_crm__opportunities"] == {"crm_opportunities_raw"}
    assert deps["stg_erp__order_lines"] == {"erp_order_lines_raw"}
    assert deps["stg_planning__regions"] == {"planning_regions_raw"}
    raw_keys = {dep for upstream in deps.values() for dep in upstream if dep.endswith("_raw")}
    assert raw_keys <= {f"{entity.system}_{name}_raw" for name, entity in ENTITIES.items()}


def test_the_dbt_assets_are_partitioned_by_as_of_month_and_run_in_the_warehouse_pool(
    dbt_assets,
):
    assert dbt_assets.partitions_def is not None
    assert dbt_assets.partitions_def.get_partition_keys()[0] == "2021-02-01"
    assert dbt_assets.op.pool == WAREHOUSE_POOL


def test_dbt_tests_are_asset_checks_on_the_models_they_test(dbt_assets):
    checks = {(key.asset_key.to_user_string(), key.name) for key in dbt_assets.check_keys}

    assert ("fct_bookings_reconciliation", "assert_orders_reconcile_with_won_opportunities") in (
        checks
    )
    assert ("dim_rep", "unique_dim_rep_rep_id") in checks
    assert {asset for asset, _ in checks} >= set(MARTS)


def test_a_missing_manifest_is_an_error_that_says_how_to_prepare_it(tmp_path: Path):
    project_dir = tmp_path / "dbt_project"
    project_dir.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(DBT_PROJECT_DIR / name, project_dir / name)

    with pytest.raises(FileNotFoundError, match="make manifest"):
        build_dbt_assets(DbtProject(project_dir=project_dir))


@pytest.fixture
def tiny_home(tmp_path: Path) -> Path:
    """A home with the tiny business in its warehouse and a fiscal year starting in April."""
    home = resolve_home(tmp_path / "home").ensure()
    planning = PLANNING_EXAMPLE.read_text(encoding="utf-8")
    assert "fiscal_year:\n  start_month: 1\n" in planning
    home.planning_config.write_text(
        planning.replace("fiscal_year:\n  start_month: 1\n", "fiscal_year:\n  start_month: 4\n"),
        encoding="utf-8",
    )
    with duckdb.connect(str(home.warehouse)) as connection:
        write_tiny_business(connection)
    return home.root


def _materialize(
    dbt_assets: dg.AssetsDefinition, home: Path, selection: list[str] | None = None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [dbt_assets],
        partition_key="2025-07-01",
        selection=selection,
        resources={
            "dbt": DbtCliResource(project_dir=salesplan_dbt_project()),
            "home": HomeResource(root=str(home)),
            "warehouse": WarehouseResource(root=str(home)),
        },
    )


def test_a_partition_run_builds_on_the_homes_warehouse_with_its_planning_config(
    dbt_assets, tiny_home
):
    # dim_calendar reads the as-of month (the partition) and the fiscal start month (the
    # home's planning.yml, April): 2025-04-01 opens fiscal 2026.
    result = _materialize(
        dbt_assets,
        tiny_home,
        ["stg_crm__leads", "stg_crm__opportunities", "stg_erp__order_lines", "dim_calendar"],
    )

    assert result.success
    assert {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    } == {"stg_crm__leads", "stg_crm__opportunities", "stg_erp__order_lines", "dim_calendar"}
    evaluations = result.get_asset_check_evaluations()
    assert {e.asset_key.to_user_string() for e in evaluations} >= {"dim_calendar"}
    assert [e.check_name for e in evaluations if not e.passed] == []
    with duckdb.connect(str(tiny_home / "warehouse.duckdb"), read_only=True) as connection:
        assert connection.execute(
            "select as_of_month, fiscal_year, fiscal_month, fiscal_quarter_label"
            " from marts.dim_calendar where date_day = date '2025-04-01'"
        ).fetchall() == [(dt.date(2025, 7, 1), 2026, 1, "2026-Q1")]


@pytest.mark.slow
def test_materializing_a_partition_builds_every_model_and_passes_every_check(dbt_assets, tiny_home):
    result = _materialize(dbt_assets, tiny_home)

    assert result.success
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert set(MARTS) <= materialized
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 200
    assert [e.check_name for e in evaluations if not e.passed] == []
