"""The plan version's checks, on a real re-plan broken one cell at a time.

The integration tests see only versions that pass. Here each test changes one value of a
version that the planner made, or of the previous version, writes both to a DuckDB warehouse
as the asset does, and expects exactly the checks that own that rule to fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.defs.targets.checks import CHECKS, version_checks
from pipelines.defs.targets.warehouse import write_version
from planning import (
    OFFICIAL,
    PlanResult,
    PreviousVersion,
    build_plan,
    load_config,
    plan_streams,
)
from planning.locks import Adjustment
from planning.synthetic import synthetic_inputs
from salesplan.months import parse_month

EXAMPLE = Path(__file__).resolve().parents[5] / "planning" / "examples" / "planning.yml"
AS_OF = "2026-08"
PREVIOUS = "2026-07"
THRESHOLD = 0.8
METRIC = "bookings"  # the stream the tests break


@dataclasses.dataclass(frozen=True)
class Version:
    """The parts of the August version as the asset writes them, and the July version."""

    parts: list[PlanResult]
    previous: PlanResult
    minor_units: int


@pytest.fixture(scope="module")
def version() -> Version:
    config = load_config(EXAMPLE)
    inputs = synthetic_inputs(reps_per_region=2, as_of="2026-09")
    july = build_plan(inputs, config, PREVIOUS)
    previous = PreviousVersion(
        as_of_month=PREVIOUS,
        target_plan=july.target_plan,
        funnel_requirements=july.funnel_requirements,
        forecasts=inputs.forecasts,
        adjustments=inputs.adjustments,
        funnel_rates=inputs.funnel_rates,
    )
    parts = list(plan_streams(inputs, config, AS_OF, previous=previous))
    return Version(parts, july, config.minor_units)


def check(
    version: Version,
    parts: Sequence[PlanResult] | None = None,
    previous: PlanResult | None = None,
    adjustments: Sequence[Adjustment] = (),
) -> dict[str, dg.AssetCheckResult]:
    """Every check's result, by ``table.check``, with the version's parts or previous replaced."""
    connection = duckdb.connect()
    try:
        for month, written in (
            (PREVIOUS, previous or version.previous),
            (AS_OF, parts or version.parts),
        ):
            write_version(connection, parse_month(month), {OFFICIAL: written}, None)
        results = version_checks(
            connection, AS_OF, PREVIOUS, adjustments, THRESHOLD, version.minor_units
        )
    finally:
        connection.close()
    return {f"{r.asset_key.path[-1]}.{r.check_name}": r for r in results}


def failing(results: dict[str, dg.AssetCheckResult]) -> set[str]:
    return {name for name, result in results.items() if not result.passed}


def sample(result: dg.AssetCheckResult) -> list[dict[str, str]]:
    return result.metadata["sample"].data


def first_part(version: Version, grains: set[str]) -> int:
    """The index of the first part of ``METRIC`` whose target plan has exactly ``grains``."""
    for index, part in enumerate(version.parts):
        plan = part.target_plan
        if len(plan) and set(plan["grain"]) == grains and set(plan["metric"]) == {METRIC}:
            return index
    raise AssertionError(f"no part of {METRIC} with grains {grains}")


def changed(
    frame: pd.DataFrame,
    where: Callable[[pd.DataFrame], pd.Series],
    column: str,
    change: Callable[[Any], Any],
) -> tuple[pd.DataFrame, pd.Series]:
    """A copy of ``frame`` with ``change`` applied to ``column`` in the first row ``where`` picks.

    Returns the copy and the changed row.
    """
    rows = frame.index[where(frame)]
    assert len(rows), "the version has no such row"
    frame = frame.copy()
    frame.loc[rows[0], column] = change(frame.loc[rows[0], column])
    return frame, frame.loc[rows[0]]


def plus_one(value: int) -> int:
    return value + 1


def with_table(version: Version, index: int, table: str, frame: pd.DataFrame) -> list[PlanResult]:
    parts = list(version.parts)
    parts[index] = dataclasses.replace(parts[index], **{table: frame})
    return parts


def test_the_planner_s_version_passes_every_check(version):
    results = check(version)

    assert set(results) == {f"{table}.{name}" for table, names in CHECKS.items() for name in names}
    assert failing(results) == set()


def test_a_parent_one_minor_unit_off_its_children_fails_sums_exact_and_is_named(version):
    index = first_part(version, {"year", "quarter", "month"})
    plan, row = changed(
        version.parts[index].target_plan,
        lambda f: ~f["is_leaf"] & (f["grain"] == "quarter") & (f["node"] != "company"),
        "period_target",
        plus_one,
    )

    results = check(version, with_table(version, index, "target_plan", plan))

    assert failing(results) == {"target_plan.sums_exact"}
    assert row["node"] in {entry["node"] for entry in sample(results["target_plan.sums_exact"])}


def test_a_week_one_minor_unit_off_fails_sums_exact(version):
    index = first_part(version, {"week"})
    plan, _ = changed(
        version.parts[index].target_plan, lambda f: f["is_leaf"], "period_target", plus_one
    )

    results = check(version, with_table(version, index, "target_plan", plan))

    assert failing(results) == {"target_plan.sums_exact"}
    # Against its parent's week, and the leaf's weeks against its year.
    assert results["target_plan.sums_exact"].metadata["failing_rows"].value == 2


def test_a_negative_floor_fails_non_negative(version):
    index = first_part(version, {"year", "quarter", "month"})
    plan, row = changed(
        version.parts[index].target_plan,
        lambda f: f["is_leaf"] & (f["grain"] == "year"),
        "floor",
        lambda _: -1,
    )

    results = check(version, with_table(version, index, "target_plan", plan))

    # The floor also no longer adds up to the leaf's parent.
    assert failing(results) == {"target_plan.non_negative", "target_plan.sums_exact"}
    assert sample(results["target_plan.non_negative"])[0]["node"] == row["node"]


def test_a_closed_month_that_moved_since_the_previous_version_fails(version):
    previous_plan, row = changed(
        version.previous.target_plan,
        lambda f: (
            (f["metric"] == METRIC)
            & f["is_leaf"]
            & (f["grain"] == "month")
            & (f["period"] < AS_OF)
            & (f["period_target"] > 0)
        ),
        "period_target",
        plus_one,
    )

    results = check(
        version, previous=dataclasses.replace(version.previous, target_plan=previous_plan)
    )

    assert failing(results) == {"target_plan.closed_months_unchanged"}
    bad = sample(results["target_plan.closed_months_unchanged"])
    assert [(entry["node"], entry["period"]) for entry in bad] == [(row["node"], row["period"])]


def test_a_lock_the_plan_does_not_hold_fails_locks_respected(version):
    plan = version.parts[first_part(version, {"year", "quarter", "month"})].target_plan
    cell = plan[plan["is_leaf"] & (plan["grain"] == "month") & (plan["period"] == "2026-09")]
    node, value = cell["node"].iloc[0], int(cell["period_target"].iloc[0])
    lock = Adjustment(METRIC, node, dt.date(2026, 9, 1), value + 1, True, "test row 2")
    proposal = dataclasses.replace(lock, locked=False)

    assert failing(check(version, adjustments=[proposal])) == set()
    results = check(version, adjustments=[lock])
    assert failing(results) == {"target_plan.locks_respected"}
    assert sample(results["target_plan.locks_respected"]) == [
        {"node": node, "month": "2026-09-01", "lock": str(value + 1), "plan": str(value)}
    ]


def test_a_lock_on_a_metric_that_was_not_planned_fails(version):
    lock = Adjustment("renewals", "company", None, 100, True, "test row 2")

    assert failing(check(version, adjustments=[lock])) == {"target_plan.locks_respected"}


def test_funnel_work_for_another_target_than_the_open_month_s_fails(version):
    index = first_part(version, {"year", "quarter", "month"})
    funnel, _ = changed(
        version.parts[index].funnel_requirements, lambda f: f["target"] > 0, "target", plus_one
    )

    results = check(version, with_table(version, index, "funnel_requirements", funnel))

    assert failing(results) == {"funnel_requirements.matches_open_targets"}


def test_a_seller_s_target_other_than_the_sum_of_their_leaves_fails(version):
    index = first_part(version, {"year", "quarter", "month"})
    sellers, _ = changed(
        version.parts[index].rep_targets, lambda f: f["grain"] == "month", "period_target", plus_one
    )

    results = check(version, with_table(version, index, "rep_targets", sellers))

    assert failing(results) == {"rep_targets.matches_target_plan"}


def test_a_waterfall_that_does_not_add_up_fails(version):
    index = first_part(version, {"year", "quarter", "month"})
    changes, _ = changed(
        version.parts[index].plan_changes, lambda f: f["current"].notna(), "current", plus_one
    )

    results = check(version, with_table(version, index, "plan_changes", changes))

    assert failing(results) == {"plan_changes.adds_up"}


def test_an_alert_at_the_threshold_fails_below_threshold(version):
    index = next(i for i, part in enumerate(version.parts) if len(part.attainment_alerts))
    alerts, _ = changed(
        version.parts[index].attainment_alerts,
        lambda f: f["attainment"] < THRESHOLD,
        "attainment",
        lambda _: THRESHOLD,
    )

    results = check(version, with_table(version, index, "attainment_alerts", alerts))

    assert failing(results) == {"attainment_alerts.below_threshold"}
    assert results["attainment_alerts.below_threshold"].metadata["failing_rows"].value == 1


@pytest.mark.parametrize("month", ["2026-8", "2026-08' OR TRUE --", "August"])
def test_a_month_that_is_not_yyyy_mm_is_refused_before_any_query(month):
    with pytest.raises(ValueError, match="is not a month; write it as YYYY-MM"):
        version_checks(duckdb.connect(), month, None, (), THRESHOLD, 100)
