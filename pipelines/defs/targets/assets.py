"""The monthly plan version: every ``plan`` table of one as-of month, written together.

One multi-asset per as-of partition reads the marts, the forecast and the planning inputs,
calls :func:`planning.build_plan` for the official configuration (``landing/planning.yml``)
and for each scenario (``landing/scenarios/<name>.yml``), writes all tables of the version in
one transaction and checks the rows it wrote. Bad input fails the run with the planner's
message (input, row, column, value) before anything is written, so the last good plan stays.
Scenarios re-plan the open months only: their closed months and original targets are the
official plan's.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource parameter
# annotations at definition time.
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.defs.resources import WAREHOUSE_POOL, HomeResource, WarehouseResource
from pipelines.defs.targets import checks
from pipelines.defs.targets.tables import PLAN_TABLES, SCHEMA
from pipelines.defs.targets.warehouse import (
    read_plan_inputs,
    read_previous_version,
    read_version,
    write_version,
)
from pipelines.partitions import AS_OF_MONTHS, month_of
from planning import (
    OFFICIAL,
    ConfigError,
    PlanningConfig,
    PlanningInputError,
    PlanResult,
    PreviousVersion,
    build_plan,
    load_config,
)
from planning.alerts import severity_counts
from planning.calendar import FiscalCalendar
from planning.locks import Adjustment
from planning.plan import applied_adjustments
from salesplan.months import parse_month

# The marts, forecast and planning inputs a plan version reads (by key: no SQL knowledge here).
UPSTREAM = [
    dg.AssetKey(name)
    for name in (
        "fct_bookings_monthly",
        "fct_collections_monthly",
        "fct_funnel_rates",
        "dim_rep",
        "dim_partner",
        "dim_region",
        "forecast_monthly",
        "planning_annual_targets_raw",
        "planning_adjustments_raw",
    )
]
DESCRIPTIONS = {
    "target_plan": "plan.target_plan: one row per node x period (year, quarter, month, ISO "
    "week) x metric: original, period and adjusted targets, actuals, forecast, floor, stretch "
    "and the probability of attaining.",
    "funnel_requirements": "plan.funnel_requirements: one row per node x target month x start "
    "month: the won deals, opportunities, SQLs, MQLs, leads and activities the target needs.",
    "rep_targets": "plan.rep_targets: one row per rep x metric x period, with tenure and ramp.",
    "partner_targets": "plan.partner_targets: one row per partner x metric x period, with the "
    "projected tiered rebate on year rows.",
    "plan_changes": "plan.plan_changes: one row per node x period x measure: the change since "
    "the previous version split into actuals vs plan, forecast, rates and manual adjustments.",
    "attainment_alerts": "plan.attainment_alerts: one row per node and period in progress whose "
    "attainment is below the seasonal pace threshold.",
}


def scenario_configs(home_scenarios: Path) -> dict[str, Path]:
    """Scenario name -> configuration file, for every ``<name>.yml`` in the scenarios folder."""
    if not home_scenarios.is_dir():
        return {}
    return {
        path.stem: path for path in sorted(home_scenarios.glob("*.yml")) if path.stem != OFFICIAL
    }


@dg.multi_asset(
    name="plan_version",
    specs=[
        dg.AssetSpec(
            table,
            deps=UPSTREAM,
            description=DESCRIPTIONS[table],
            group_name="targets",
            kinds={"duckdb", "python"},
            metadata={"dagster/table_name": f"{SCHEMA}.{table}"},
        )
        for table in PLAN_TABLES
    ],
    check_specs=checks.check_specs(),
    partitions_def=AS_OF_MONTHS,
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def plan_version(
    context: dg.AssetExecutionContext, home: HomeResource, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Re-decompose the annual targets for the as-of month and write the plan version."""
    as_of_month = month_of(context.partition_key)
    as_of = parse_month(as_of_month)
    configs = _configs(home)
    official = configs[OFFICIAL]
    fiscal_year = FiscalCalendar(official.fiscal_start_month).fiscal_year(as_of)
    with warehouse.connect() as connection:
        try:
            inputs = read_plan_inputs(connection, as_of)
            previous = read_previous_version(connection, as_of, fiscal_year, official.minor_units)
            results: dict[str, PlanResult] = {}
            for scenario, config in configs.items():
                context.log.info(f"re-planning {as_of_month}, scenario {scenario}")
                results[scenario] = build_plan(
                    inputs, config, as_of_month, scenario=scenario, previous=previous
                )
            adjustments = applied_adjustments(inputs.adjustments, official, as_of)
        except PlanningInputError as error:
            raise dg.Failure(
                description=f"{as_of_month}: {error}; nothing was written, the previous plan "
                "stays published",
                allow_retries=False,
            ) from None
        counts = write_version(connection, as_of, results, inputs.funnel_rates)
        written = {
            table: read_version(connection, table, as_of, OFFICIAL, official.minor_units)
            for table in PLAN_TABLES
        }
    result = results[OFFICIAL]
    for table in PLAN_TABLES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(table),
            metadata={
                "dagster/row_count": dg.MetadataValue.int(counts[table]),
                "as_of_month": as_of_month,
                "scenarios": ", ".join(results),
                "previous_version": previous.as_of_month if previous else "none",
                **_extra_metadata(table, result),
            },
        )
    yield from _check_results(written, previous, as_of_month, adjustments, official)


def _configs(home: HomeResource) -> dict[str, PlanningConfig]:
    paths = {OFFICIAL: home.home.planning_config, **scenario_configs(home.home.scenarios)}
    configs = {}
    for scenario, path in paths.items():
        try:
            configs[scenario] = load_config(path)
        except ConfigError as error:
            raise dg.Failure(
                description=f"scenario {scenario}: {error}", allow_retries=False
            ) from None
    return configs


def _extra_metadata(table: str, result: PlanResult) -> dict[str, object]:
    if table == "target_plan":
        plan = result.target_plan
        years = plan[(plan["node"] == "company") & (plan["grain"] == "year")]
        return {
            "metrics": ", ".join(sorted(plan["metric"].unique())),
            "nodes": int(plan["node"].nunique()),
            "company_year": dg.MetadataValue.json(
                {
                    row.metric: {
                        "adjusted_target": int(row.adjusted_target) / row.minor_units,
                        "actual_to_date": int(row.actual_to_date) / row.minor_units,
                        "p_attain": None if row.p_attain != row.p_attain else row.p_attain,
                    }
                    for row in years.itertuples()
                }
            ),
            "notes": dg.MetadataValue.json(list(result.notes)),
        }
    if table == "attainment_alerts":
        return {"severities": dg.MetadataValue.json(severity_counts(result.attainment_alerts))}
    if table == "funnel_requirements":
        at_risk = result.funnel_requirements
        return {"rows_at_risk": int(at_risk["at_risk"].sum()) if len(at_risk) else 0}
    return {}


def _check_results(
    written: dict[str, pd.DataFrame],
    previous: PreviousVersion | None,
    as_of_month: str,
    adjustments: list[Adjustment],
    official: PlanningConfig,
) -> Iterator[dg.AssetCheckResult]:
    plan = written["target_plan"]
    yield checks.sums_exact(plan)
    yield checks.non_negative(plan)
    yield checks.closed_months_unchanged(
        plan, previous.target_plan if previous else None, as_of_month
    )
    yield checks.locks_respected(plan, adjustments)
    yield checks.funnel_matches_open_targets(written["funnel_requirements"], plan)
    yield checks.funnel_non_negative(written["funnel_requirements"])
    yield checks.sellers_match("rep_targets", written["rep_targets"], plan, "rep_id")
    yield checks.sellers_match("partner_targets", written["partner_targets"], plan, "partner_id")
    yield checks.changes_add_up(written["plan_changes"])
    yield checks.alerts_below_threshold(written["attainment_alerts"], official.alerts.threshold)


@dg.definitions
def defs() -> dg.Definitions:
    """Register the plan version assets."""
    return dg.Definitions(assets=[plan_version])
