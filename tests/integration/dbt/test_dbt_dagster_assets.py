"""The dbt project inside Dagster: asset keys, groups, deps, checks, and real partition runs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster_dbt import DbtProject
from dbt_runs import materialize_dbt, use_april_fiscal_year
from tiny_business import write_tiny_business

from pipelines.defs.dbt.assets import build_dbt_assets
from pipelines.defs.dbt.project import DBT_PROJECT_DIR
from pipelines.defs.resources import WAREHOUSE_POOL
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


def test_a_partition_run_builds_every_model_and_passes_every_check(small_demo_run, dbt_assets):
    assert small_demo_run.success
    materialized = {
        event.asset_key.to_user_string()
        for event in small_demo_run.get_asset_materialization_events()
    }
    assert set(MARTS) <= materialized
    evaluations = small_demo_run.get_asset_check_evaluations()
    assert sorted(e.check_name for e in evaluations) == sorted(
        spec.name for spec in dbt_assets.check_specs
    )
    assert [e.check_name for e in evaluations if not e.passed] == []


def test_a_partition_run_uses_the_partition_month_and_the_homes_planning_config(
    small_demo_marts,
):
    # The small demo's planning.yml starts the fiscal year in April: 2026-04-01 opens fiscal
    # 2027, and the marts are built as of the partition's month.
    with duckdb.connect(str(small_demo_marts.warehouse), read_only=True) as connection:
        assert connection.execute(
            "select as_of_month, fiscal_year, fiscal_month, fiscal_quarter_label"
            " from marts.dim_calendar where date_day = date '2026-04-01'"
        ).fetchall() == [(dt.date(2026, 11, 1), 2027, 1, "2027-Q1")]


@pytest.mark.slow
def test_a_partial_run_tests_only_what_it_built(dbt_assets, tmp_path: Path):
    # Relationships tests of stg_crm__leads point at stg_crm__reps, which this run does not
    # build and the fresh warehouse lacks: with dbt's default ("eager") selection they fail.
    home = resolve_home(tmp_path / "home").ensure()
    shutil.copy(PLANNING_EXAMPLE, home.planning_config)
    use_april_fiscal_year(home)
    with duckdb.connect(str(home.warehouse)) as connection:
        write_tiny_business(connection)

    result = materialize_dbt(
        dbt_assets,
        home,
        "2025-07-01",
        ["stg_crm__leads", "stg_crm__opportunities", "stg_erp__order_lines", "dim_calendar"],
    )

    assert result.success
    assert {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    } == {"stg_crm__leads", "stg_crm__opportunities", "stg_erp__order_lines", "dim_calendar"}
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        assert connection.execute(
            "select as_of_month, fiscal_year from marts.dim_calendar"
            " where date_day = date '2025-04-01'"
        ).fetchall() == [(dt.date(2025, 7, 1), 2026)]
