"""Planning and writing a version one stream at a time, on a real temp DuckDB warehouse.

The plan version asset writes each stream's frames as they come (``planning.plan_streams``) and
reads back only the year and month rows of the previous version; the published tables must be
exactly those of planning everything at once from the full previous version, in the same order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.defs.targets import checks, warehouse
from pipelines.defs.targets.tables import PLAN_TABLES
from pipelines.defs.targets.warehouse import (
    INSERT_BATCH_ROWS,
    STAGING_SCHEMA,
    read_previous_version,
    write_version,
)
from planning import (
    OFFICIAL,
    PlanningInputError,
    build_plan,
    combine_parts,
    load_config,
    plan_streams,
)
from planning.plan import WEEKS_PER_PART, applied_adjustments
from planning.synthetic import synthetic_inputs

EXAMPLE = Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"
JULY, AUGUST = dt.date(2026, 7, 1), dt.date(2026, 8, 1)
# Insert every part on its own, or the parts together (the synthetic version is far smaller
# than a batch).
BATCHES = pytest.mark.parametrize("batch_rows", [1, INSERT_BATCH_ROWS], ids=["each", "batched"])


@pytest.fixture(scope="module")
def config():
    return load_config(EXAMPLE)


@pytest.fixture(scope="module")
def inputs():
    return synthetic_inputs(reps_per_region=3, as_of="2026-09", n_paths=50, all_metrics=True)


def published(connection: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    # No ORDER BY: the rows in the order they were inserted, which is what readers see.
    return {
        table: connection.execute(f"SELECT * FROM plan.{table}").fetchdf() for table in PLAN_TABLES
    }


@BATCHES
def test_a_version_written_stream_by_stream_equals_the_version_written_at_once(
    tmp_path, config, inputs, batch_rows, monkeypatch
):
    monkeypatch.setattr(warehouse, "INSERT_BATCH_ROWS", batch_rows)
    at_once = duckdb.connect(str(tmp_path / "at_once.duckdb"))
    streamed = duckdb.connect(str(tmp_path / "streamed.duckdb"))
    july = build_plan(inputs, config, "2026-07")
    write_version(at_once, JULY, {OFFICIAL: july}, inputs.funnel_rates)
    write_version(
        streamed, JULY, {OFFICIAL: plan_streams(inputs, config, "2026-07")}, inputs.funnel_rates
    )
    # The streamed path reads the previous version back (year and month rows only); the other
    # gets the whole July plan in memory.
    slim = read_previous_version(streamed, AUGUST, 2026, config.minor_units)
    assert slim is not None
    assert set(slim.target_plan["grain"]) == {"year", "month"}
    slim = dataclasses.replace(slim, forecasts=inputs.forecasts)
    full = dataclasses.replace(
        slim, target_plan=july.target_plan, funnel_requirements=july.funnel_requirements
    )
    august = build_plan(inputs, config, "2026-08", previous=full)
    write_version(at_once, AUGUST, {OFFICIAL: august}, inputs.funnel_rates)
    parts = plan_streams(inputs, config, "2026-08", previous=slim)
    write_version(streamed, AUGUST, {OFFICIAL: parts}, inputs.funnel_rates)

    assert len(august.plan_changes) > 0
    expected, found = published(at_once), published(streamed)
    for table in PLAN_TABLES:
        pd.testing.assert_frame_equal(found[table], expected[table], obj=table)


def test_each_stream_comes_as_its_months_then_its_weeks_by_quarter_and_the_alerts_last(
    config, inputs
):
    parts = list(plan_streams(inputs, config, "2026-08"))
    layout = [
        (part.target_plan["metric"].unique().tolist(), sorted(set(part.target_plan["grain"])))
        for part in parts[:-1]
    ]
    weeks = [
        part.target_plan["period"].unique().tolist()
        for part in parts[:-1]
        if set(part.target_plan["grain"]) == {"week"}
    ]
    n_weeks = 53  # the ISO weeks that touch FY2026 (calendar 2026)
    week_parts = -(-n_weeks // WEEKS_PER_PART)
    expected = []
    for metric in sorted(config.streams):
        expected += [([metric], ["month", "quarter", "year"])] + [([metric], ["week"])] * week_parts
    assert layout == expected
    assert all(len(labels) <= WEEKS_PER_PART for labels in weeks)
    stream_weeks = [
        [label for labels in weeks[i : i + week_parts] for label in labels]
        for i in range(0, len(weeks), week_parts)
    ]
    assert all(labels == sorted(labels) and len(labels) == n_weeks for labels in stream_weeks)
    assert all(part.attainment_alerts.empty for part in parts[:-1])
    assert parts[-1].target_plan.empty
    assert not parts[-1].attainment_alerts.empty
    combined = combine_parts(parts)
    for table, frame in build_plan(inputs, config, "2026-08").tables().items():
        pd.testing.assert_frame_equal(combined.tables()[table], frame, obj=table)


def test_the_checks_pass_on_a_version_written_by_streams_and_catch_a_broken_stream(
    tmp_path, config, inputs
):
    adjustments = applied_adjustments(inputs.adjustments, config, AUGUST)
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))

    def checked(parts) -> tuple[dict[str, int], list]:
        counts = write_version(connection, AUGUST, {OFFICIAL: parts}, None)
        results = checks.version_checks(
            connection, "2026-08", None, adjustments, config.alerts.threshold, config.minor_units
        )
        return counts, results

    counts, results = checked(plan_streams(inputs, config, "2026-08"))
    assert [(r.asset_key.path[-1], r.check_name) for r in results] == [
        (table, name) for table, names in checks.CHECKS.items() for name in names
    ]
    assert all(result.passed for result in results)
    sums = next(result for result in results if result.check_name == "sums_exact")
    assert sums.metadata["rows_checked"].value == counts["target_plan"]

    def broken():
        weeks = 0
        for part in plan_streams(inputs, config, "2026-08"):
            plan = part.target_plan
            if (
                len(plan)
                and set(plan["metric"]) == {"collections"}
                and plan["grain"].eq("week").all()
            ):
                weeks += 1
                if weeks == 1:  # the first part of collections' weeks: a leaf's week is off
                    plan = plan.copy()
                    plan.loc[plan.index[-1], "period_target"] += 1
                    part = dataclasses.replace(part, target_plan=plan)
            yield part

    _, results = checked(broken())
    failed = [result.check_name for result in results if not result.passed]
    assert failed == ["sums_exact"]
    sums = results[0]
    assert sums.metadata["failing_rows"].value == 2  # its parent's week, and its year
    assert {row["metric"] for row in sums.metadata["sample"].data} == {"collections"}


@BATCHES
def test_a_version_that_fails_midway_leaves_the_previous_versions_and_no_staged_rows(
    tmp_path, config, inputs, batch_rows, monkeypatch
):
    monkeypatch.setattr(warehouse, "INSERT_BATCH_ROWS", batch_rows)
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    write_version(connection, JULY, {OFFICIAL: build_plan(inputs, config, "2026-07")}, None)
    before = published(connection)

    def failing_parts():
        parts = plan_streams(inputs, config, "2026-08")
        yield next(parts)  # one stream is staged, then the planner fails
        raise PlanningInputError("annual_targets.csv row 3, column target: 'abc' is not a number")

    with pytest.raises(PlanningInputError, match="row 3"):
        write_version(connection, AUGUST, {OFFICIAL: failing_parts()}, None)

    after = published(connection)
    for table in PLAN_TABLES:
        pd.testing.assert_frame_equal(after[table], before[table], obj=table)
    schemas = connection.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()
    assert (STAGING_SCHEMA,) not in schemas


def test_a_version_s_target_plan_is_stored_node_by_node(tmp_path, config, inputs):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    parts = plan_streams(inputs, config, "2026-07")
    write_version(connection, JULY, {OFFICIAL: parts}, inputs.funnel_rates)

    # No ORDER BY: the order the rows are stored in.
    stored = connection.execute(
        "SELECT scenario, metric, node, grain, period FROM plan.target_plan"
    ).fetchall()
    assert len(stored) > len({row[2] for row in stored})  # several rows per node
    assert stored == sorted(stored)
