"""The monthly plan version: every ``plan`` table of one as-of month, written together.

One multi-asset per as-of partition reads the marts, the forecast and the planning inputs,
re-plans for the official configuration (``landing/planning.yml``) and for each scenario
(``landing/scenarios/<name>.yml``), writes all tables of the version in one transaction and
checks the official rows it wrote, in the warehouse. Each plan is made and written one stream
(metric) at a time (:func:`planning.plan_streams`), so only one stream's frames are in memory:
at the large demo the whole version was 3.4M ``target_plan`` rows and ~3 GB of frames. Bad
input fails the run with the planner's message (input, row, column, value) and rolls the
transaction back, so nothing is written and the last good plan stays. Scenarios re-plan the
open months only: their closed months and original targets are the official plan's.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource parameter
# annotations at definition time.
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from pipelines.defs.resources import WAREHOUSE_POOL, HomeResource, WarehouseResource
from pipelines.defs.targets import checks
from pipelines.defs.targets.tables import PLAN_TABLES, SCHEMA
from pipelines.defs.targets.warehouse import (
    read_plan_inputs,
    read_previous_version,
    write_version,
)
from pipelines.partitions import AS_OF_MONTHS, month_of
from planning import (
    OFFICIAL,
    ConfigError,
    PlanningConfig,
    PlanningInputError,
    PlanResult,
    load_config,
    plan_streams,
)
from planning.alerts import severity_counts
from planning.calendar import FiscalCalendar
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
            # Before anything is written: bad adjustments fail the run with nothing written.
            adjustments = applied_adjustments(inputs.adjustments, official, as_of)
            summary = _Summary()

            def parts(scenario: str, config: PlanningConfig) -> Iterator[PlanResult]:
                # One stream at a time: summarized, written, then dropped.
                context.log.info(f"re-planning {as_of_month}, scenario {scenario}")
                for part in plan_streams(
                    inputs, config, as_of_month, scenario=scenario, previous=previous
                ):
                    if scenario == OFFICIAL:
                        summary.add(part)
                    yield part

            counts = write_version(
                connection,
                as_of,
                {scenario: parts(scenario, config) for scenario, config in configs.items()},
                inputs.funnel_rates,
            )
            results = checks.version_checks(
                connection,
                as_of_month,
                previous.as_of_month if previous else None,
                adjustments,
                official.alerts.threshold,
                official.minor_units,
            )
        except PlanningInputError as error:
            raise dg.Failure(
                description=f"{as_of_month}: {error}; nothing was written, the previous plan "
                "stays published",
                allow_retries=False,
            ) from None
    for table in PLAN_TABLES:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(table),
            metadata={
                "dagster/row_count": dg.MetadataValue.int(counts[table]),
                "as_of_month": as_of_month,
                "scenarios": ", ".join(configs),
                "previous_version": previous.as_of_month if previous else "none",
                **summary.metadata(table),
            },
        )
    yield from results


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


class _Summary:
    """The run metadata of the official plan, gathered part by part."""

    def __init__(self) -> None:
        self.metrics: set[str] = set()
        self.nodes: set[str] = set()
        self.company_year: dict[str, dict[str, float | None]] = {}
        self.notes: list[str] = []
        self.severities: dict[str, int] = {}
        self.rows_at_risk = 0

    def add(self, part: PlanResult) -> None:
        plan = part.target_plan
        self.metrics |= set(plan["metric"].unique())
        self.nodes |= set(plan["node"].unique())
        years = plan[(plan["node"] == "company") & (plan["grain"] == "year")]
        for row in years.itertuples():
            self.company_year[row.metric] = {
                "adjusted_target": int(row.adjusted_target) / row.minor_units,
                "actual_to_date": int(row.actual_to_date) / row.minor_units,
                "p_attain": None if row.p_attain != row.p_attain else row.p_attain,
            }
        self.notes += part.notes
        for severity, count in severity_counts(part.attainment_alerts).items():
            self.severities[severity] = self.severities.get(severity, 0) + count
        at_risk = part.funnel_requirements
        self.rows_at_risk += int(at_risk["at_risk"].sum()) if len(at_risk) else 0

    def metadata(self, table: str) -> dict[str, object]:
        if table == "target_plan":
            return {
                "metrics": ", ".join(sorted(self.metrics)),
                "nodes": len(self.nodes),
                "company_year": dg.MetadataValue.json(self.company_year),
                "notes": dg.MetadataValue.json(self.notes),
            }
        if table == "attainment_alerts":
            return {"severities": dg.MetadataValue.json(dict(sorted(self.severities.items())))}
        if table == "funnel_requirements":
            return {"rows_at_risk": self.rows_at_risk}
        return {}


@dg.definitions
def defs() -> dg.Definitions:
    """Register the plan version assets."""
    return dg.Definitions(assets=[plan_version])
