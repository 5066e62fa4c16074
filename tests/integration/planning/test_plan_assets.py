"""The plan version assets on a real temp DuckDB warehouse, materialized with Dagster.

The warehouse is seeded with small documented tables in the shape of the marts, forecasts and
raw planning inputs (docs/architecture.md), built from the seeded synthetic business of
``planning.synthetic``: 2 regions x 2 product lines, 4 reps per region (one hired in March 2026,
one leaving in May) and 2 partners per region, history 2024-01 to 2026-08.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.defs.resources import HomeResource, WarehouseResource
from pipelines.defs.targets.assets import plan_version
from pipelines.partitions import partition_key_for
from planning.synthetic import synthetic_inputs
from salesplan.home import resolve_home

EXAMPLE = Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"
TABLES = (
    "target_plan",
    "funnel_requirements",
    "rep_targets",
    "partner_targets",
    "plan_changes",
    "attainment_alerts",
)


def seed_warehouse(path: Path, adjustments: pd.DataFrame | None = None) -> None:
    inputs = synthetic_inputs(
        regions=2,
        product_lines=2,
        reps_per_region=4,
        partners_per_region=2,
        history_start="2024-01",
        as_of="2026-09",
        n_paths=100,
    )
    connection = duckdb.connect(str(path))
    for schema in ("marts", "raw", "forecasts"):
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")

    def table(name: str, frame: pd.DataFrame) -> None:
        connection.register("frame", frame)
        connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame")
        connection.unregister("frame")

    table(
        "marts.fct_bookings_monthly",
        inputs.bookings.assign(month=pd.to_datetime(inputs.bookings["month"])),
    )
    table(
        "marts.fct_collections_monthly",
        inputs.collections.assign(month=pd.to_datetime(inputs.collections["month"])),
    )
    table("marts.dim_rep", inputs.reps)
    table("marts.dim_partner", inputs.partners)
    table(
        "marts.dim_region",
        inputs.potentials.rename(columns={"value": "region", "potential": "market_potential"})[
            ["region", "market_potential"]
        ],
    )
    table("marts.fct_funnel_rates", inputs.funnel_rates)
    lineage = {
        "_extract_month": pd.Timestamp("2025-12-01"),
        "_source_file": "2025-12/planning/annual_targets_2025-12.csv",
    }
    targets = inputs.annual_targets.assign(
        **lineage, _source_row=range(1, len(inputs.annual_targets) + 1)
    )
    table("raw.annual_targets", targets)
    if adjustments is not None:
        table("raw.adjustments", adjustments)
    forecasts = []
    paths = []
    for as_of in ("2026-07", "2026-08"):
        forecasts.append(inputs.forecasts.assign(as_of_month=pd.Timestamp(f"{as_of}-01")))
        with_ids = inputs.forecast_paths.assign(
            as_of_month=pd.Timestamp(f"{as_of}-01"),
            unique_id="region="
            + inputs.forecast_paths["region"]
            + "/product_line="
            + inputs.forecast_paths["product_line"]
            + "/channel="
            + inputs.forecast_paths["channel"],
            ds=pd.to_datetime(inputs.forecast_paths["month"]),
        )
        paths.append(with_ids[["as_of_month", "metric", "unique_id", "ds", "path", "y"]])
    table(
        "forecasts.forecast_monthly",
        pd.concat(forecasts)
        .rename(columns={"month": "ds"})
        .assign(ds=lambda f: pd.to_datetime(f["ds"])),
    )
    table("forecasts.forecast_paths", pd.concat(paths))
    connection.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    layout = resolve_home(tmp_path / "home").ensure()
    shutil.copy(EXAMPLE, layout.planning_config)
    return layout.root


def materialize(home: Path, month: str) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [plan_version],
        partition_key=partition_key_for(month),
        resources={
            "home": HomeResource(root=str(home)),
            "warehouse": WarehouseResource(root=str(home)),
        },
        raise_on_error=False,
    )


def read(home: Path, sql: str) -> pd.DataFrame:
    connection = duckdb.connect(str(resolve_home(home).warehouse), read_only=True)
    try:
        return connection.execute(sql).fetchdf()
    finally:
        connection.close()


def check_outcomes(result: dg.ExecuteInJobResult) -> dict[str, bool]:
    outcomes = {}
    for event in result.get_asset_check_evaluations():
        outcomes[f"{event.asset_key.to_user_string()}.{event.check_name}"] = event.passed
    return outcomes


def test_two_months_of_plans_are_written_checked_and_reproducible(home: Path):
    seed_warehouse(resolve_home(home).warehouse)
    july = materialize(home, "2026-07")
    assert july.success
    outcomes = check_outcomes(july)
    assert len(outcomes) == 10
    assert all(outcomes.values()), outcomes

    august = materialize(home, "2026-08")
    assert august.success
    assert all(check_outcomes(august).values())
    versions = read(home, "SELECT DISTINCT as_of_month FROM plan.target_plan ORDER BY 1")
    assert [d.date() for d in pd.to_datetime(versions["as_of_month"])] == [
        dt.date(2026, 7, 1),
        dt.date(2026, 8, 1),
    ]
    # the waterfall adds up exactly in the warehouse's DECIMAL(18, 2) arithmetic
    changes = read(
        home,
        "SELECT count(*) AS rows, count_if(previous + actuals_vs_plan + forecast_revision "
        "+ rate_changes + manual_adjustments <> current) AS wrong "
        "FROM plan.plan_changes WHERE as_of_month = DATE '2026-08-01'",
    ).iloc[0]
    assert changes["rows"] > 0
    assert changes["wrong"] == 0

    company = read(
        home,
        "SELECT adjusted_target FROM plan.target_plan WHERE as_of_month = DATE '2026-08-01' "
        "AND node = 'company' AND grain = 'year' AND metric = 'bookings'",
    )
    targets = read(home, "SELECT amount FROM raw.annual_targets WHERE metric = 'bookings'")
    assert float(company.iloc[0, 0]) == pytest.approx(float(targets.iloc[0, 0]), abs=0.005)

    # re-running July replaces its version with identical rows
    before = {
        t: read(home, f"SELECT * FROM plan.{t} WHERE as_of_month = DATE '2026-07-01'")
        for t in TABLES
    }
    assert materialize(home, "2026-07").success
    for t in TABLES:
        after = read(home, f"SELECT * FROM plan.{t} WHERE as_of_month = DATE '2026-07-01'")
        pd.testing.assert_frame_equal(before[t], after, obj=t)


def test_a_scenario_is_written_beside_the_official_plan(home: Path):
    seed_warehouse(resolve_home(home).warehouse)
    scenario = resolve_home(home).scenarios / "even_regions.yml"
    scenario.write_text(
        "extends: ../planning.yml\n"
        "streams:\n  bookings:\n    levels:\n      region: {method: even}\n",
        encoding="utf-8",
    )
    assert materialize(home, "2026-07").success
    scenarios = read(
        home, "SELECT scenario, count(*) AS n FROM plan.target_plan GROUP BY 1 ORDER BY 1"
    )
    assert scenarios["scenario"].tolist() == ["even_regions", "official"]


def test_bad_input_fails_the_run_and_writes_nothing(home: Path):
    bad = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": "region=MARS",
                "period": "2026-09",
                "value": 5.0,
                "locked": True,
                "reason": "typo",
                "author": "Li",
                "_extract_month": pd.Timestamp("2026-06-01"),
                "_source_file": "2026-06/planning/adjustments_2026-06.csv",
                "_source_row": 1,
            }
        ]
    )
    seed_warehouse(resolve_home(home).warehouse, adjustments=bad)
    result = materialize(home, "2026-07")
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error.message
    assert "region=MARS" in failure
    assert "2026-06/planning/adjustments_2026-06.csv row 1" in failure
    tables = read(
        home, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'plan'"
    )
    assert tables.empty
