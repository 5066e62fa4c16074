"""A real published snapshot for the report and workbook tests, built from real plan output.

The seeded synthetic business of ``planning.synthetic`` (3 regions x 2 product lines, 4 reps
and 2 partners per region, history 2023-01 to 2026-08) is forecast by the real ``forecasts``
engine (Prophet and challengers, 200 sample paths) and re-planned by the real planner for the
as-of months 2026-07 and 2026-08, the second against the first (so ``plan_changes`` exists).
August adds a manager lock on EAST's October target (a manual adjustment) and 5% lower win
rates (a rate change), so every part of the change waterfall moves. Reps get team managers
(``M001``...; team NORTH-T2 has none). The frames are written into a temp warehouse with the
``plan`` and ``forecasts`` tables' own types (``pipelines.defs.targets.tables``,
``pipelines.defs.forecasts.tables``) and published month by month with
``publishing.publish.publish``, as the re-plan job does, so the tests read a real serving
file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

import forecasts
from pipelines.defs.forecasts.tables import create_statements, published_frames
from pipelines.defs.targets.tables import PLAN_TABLES, create_tables, insert, to_published
from planning import PlanInputs, PlanResult, PreviousVersion, build_plan, load_config
from planning.synthetic import synthetic_inputs
from publishing.contract import PUBLISHED_TABLES
from publishing.publish import PublishedTable, publish
from salesplan.months import parse_month

EXAMPLE = Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"
MONTHS = ("2026-07", "2026-08")
HIERARCHY = ["region", "product_line", "channel"]
FORECAST_METRICS = {"bookings": "bookings_amount", "collections": "collected_amount"}
PRODUCED = {*PLAN_TABLES, "forecast_monthly", "fct_bookings_monthly", "fct_collections_monthly"}
# The BI contract's entries for the tables built here, plus dim_rep (not in the contract yet)
# so that manager workbooks can name their managers.
TABLES = (
    *(table for table in PUBLISHED_TABLES if table.name in PRODUCED),
    PublishedTable("dim_rep", "marts.dim_rep", current_only=True),
)
LOCKED_NODE = "region=EAST"
LOCKED_PERIOD = "2026-10"


@dataclass(frozen=True)
class Publication:
    """The serving file and the frames that went into it."""

    serving_db: Path
    results: dict[str, PlanResult]
    reps: pd.DataFrame


def build_publication(root: Path, months: Sequence[str] = MONTHS) -> Publication:
    """Plan and publish ``months`` in order under ``root``; return the serving file."""
    config = load_config(EXAMPLE)
    business = synthetic_inputs(
        regions=3,
        product_lines=2,
        reps_per_region=4,
        partners_per_region=2,
        history_start="2023-01",
        as_of="2026-09",
        n_paths=10,
        with_forecast=False,
    )
    reps = with_managers(business.reps)
    results: dict[str, PlanResult] = {}
    previous: PreviousVersion | None = None
    for month in months:
        as_of = parse_month(month)
        monthly, bottom, paths = forecast_month(business, month)
        inputs = dataclasses.replace(
            business,
            reps=reps,
            forecasts=bottom,
            forecast_paths=paths,
            funnel_rates=rates_for(business, month),
            adjustments=adjustments_for(results, month),
        )
        result = build_plan(inputs, config, month, previous=previous)
        results[month] = result
        # One connection per month, as one run of the re-plan job would have (publish() leaves
        # a fetchone() result open, which DuckDB 2.0 lets no later register() pass).
        with duckdb.connect(str(root / "warehouse.duckdb")) as warehouse:
            for schema in ("marts", "forecasts"):
                warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            create_tables(warehouse)
            write_marts(warehouse, business, reps, as_of)
            write_version(warehouse, as_of, result, monthly)
            publish(warehouse, root / "published", as_of, TABLES)
        previous = PreviousVersion(
            as_of_month=month,
            target_plan=result.target_plan,
            funnel_requirements=result.funnel_requirements,
            forecasts=bottom,
            adjustments=inputs.adjustments,
            funnel_rates=inputs.funnel_rates,
        )
    return Publication(
        serving_db=root / "published" / "salesplan.duckdb", results=results, reps=reps
    )


def with_managers(reps: pd.DataFrame) -> pd.DataFrame:
    """One manager per team (role ``manager``, no targets); team NORTH-T2 has none."""
    teams = sorted(set(reps["team"]) - {"NORTH-T2"})
    managers = pd.DataFrame(
        {
            "rep_id": [f"M{n:03d}" for n in range(1, len(teams) + 1)],
            "name": [f"Manager {team}" for team in teams],
            "region": [team.split("-")[0] for team in teams],
            "team": teams,
            "manager_id": None,
            "tier": "A",
            "role": "manager",
            "hire_date": dt.date(2018, 1, 1),
            "end_date": None,
        }
    )
    manager_of = dict(zip(managers["team"], managers["rep_id"], strict=True))
    staffed = reps.assign(manager_id=reps["team"].map(manager_of))
    return pd.concat([staffed, managers], ignore_index=True)


def forecast_month(
    business: PlanInputs, month: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Real forecasts of bookings and collections at ``month``.

    Returns:
        The ``forecast_monthly`` rows as the forecast assets type them
        (``pipelines.defs.forecasts.tables``), and the bottom forecasts and sample paths in the
        planner's shape.
    """
    results, bottoms, all_paths = {}, [], []
    for metric, column in FORECAST_METRICS.items():
        actuals = business.bookings if metric == "bookings" else business.collections
        history = (
            actuals.groupby([*HIERARCHY, "month"], as_index=False)[column]
            .sum()
            .rename(columns={"month": "ds", column: "y"})
        )
        result = forecasts.forecast(
            history,
            month,
            hierarchy=HIERARCHY,
            config=forecasts.ForecastConfig(n_paths=200),
        )
        results[metric] = result
        frame = result.forecasts.rename(columns={"ds": "month"})
        bottom = frame[frame["level"] == "segment"]
        bottoms.append(
            bottom.assign(metric=metric, month=[m.date() for m in bottom["month"]])[
                ["metric", *HIERARCHY, "month", "yhat"]
            ]
        )
        keys = bottom[["unique_id", *HIERARCHY]].drop_duplicates()
        paths = result.paths.frame(nodes=keys["unique_id"]).merge(keys, on="unique_id", how="inner")
        all_paths.append(
            paths.assign(metric=metric, month=[m.date() for m in paths["ds"]])[
                ["metric", *HIERARCHY, "month", "path", "y"]
            ]
        )
    published = published_frames(results, parse_month(month), stored_paths=200)
    return (
        published["forecast_monthly"],
        pd.concat(bottoms, ignore_index=True),
        pd.concat(all_paths, ignore_index=True),
    )


def rates_for(business: PlanInputs, month: str) -> pd.DataFrame:
    """The funnel rates of ``month``: August's win rates are 5% lower than July's."""
    rates = business.funnel_rates
    assert rates is not None
    if month == MONTHS[0]:
        return rates
    return rates.assign(win_rate=rates["win_rate"] * 0.95)


def adjustments_for(results: dict[str, PlanResult], month: str) -> pd.DataFrame:
    """From August on, a manager locks EAST's October bookings 10% above July's plan.

    July gets an empty frame rather than None: None would tell the planner that the previous
    adjustments are unknown, and it would count the lock's effect as actuals.
    """
    columns = ["metric", "node", "period", "value", "locked", "reason", "author"]
    if MONTHS[0] not in results or month == MONTHS[0]:
        return pd.DataFrame(columns=columns)
    plan = results[MONTHS[0]].target_plan
    row = plan[
        (plan["metric"] == "bookings")
        & (plan["node"] == LOCKED_NODE)
        & (plan["period"] == LOCKED_PERIOD)
    ].iloc[0]
    value = round(row["period_target"] / row["minor_units"] * 1.1, 2)
    return pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": LOCKED_NODE,
                "period": LOCKED_PERIOD,
                "value": value,
                "locked": True,
                "reason": "key account renewal moved into October",
                "author": "VP Sales",
            }
        ]
    )


def write_marts(
    warehouse: duckdb.DuckDBPyConnection, business: PlanInputs, reps: pd.DataFrame, as_of: dt.date
) -> None:
    """The marts as the as-of month's dbt build leaves them: history before ``as_of``."""
    assert business.collections is not None
    for name, frame in (
        ("fct_bookings_monthly", business.bookings),
        ("fct_collections_monthly", business.collections),
    ):
        rows = frame[frame["month"] < as_of]
        warehouse.register("rows", rows.assign(month=pd.to_datetime(rows["month"])))
        warehouse.execute(
            f"CREATE OR REPLACE TABLE marts.{name} AS SELECT CAST(? AS DATE) AS as_of_month, * "
            "FROM rows",
            [as_of],
        )
        warehouse.unregister("rows")
    warehouse.register("rows", reps)
    warehouse.execute(
        "CREATE OR REPLACE TABLE marts.dim_rep AS SELECT CAST(? AS DATE) AS as_of_month, * "
        "FROM rows",
        [as_of],
    )
    warehouse.unregister("rows")


def write_version(
    warehouse: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    result: PlanResult,
    forecast_monthly: pd.DataFrame,
) -> None:
    """Replace the as-of version of the plan and forecast tables."""
    for table, frame in result.tables().items():
        warehouse.execute(f"DELETE FROM plan.{table} WHERE as_of_month = ?", [as_of])
        insert(warehouse, table, to_published(table, frame))
    for statement in create_statements():
        warehouse.execute(statement)
    warehouse.execute("DELETE FROM forecasts.forecast_monthly WHERE as_of_month = ?", [as_of])
    warehouse.register("rows", forecast_monthly)
    warehouse.execute("INSERT INTO forecasts.forecast_monthly BY NAME SELECT * FROM rows")
    warehouse.unregister("rows")
