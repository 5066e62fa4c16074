"""The whole re-plan on a seeded synthetic business: outputs, invariants and bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from planning_settings import examples
from planning_strategies import businesses, configs

from planning import (
    InfeasibleLockError,
    PlanningInputError,
    PreviousVersion,
    build_plan,
    load_config,
    parse_config,
)
from planning.hierarchy import UNASSIGNED
from planning.plan import TARGET_VALUES
from planning.synthetic import synthetic_inputs
from salesplan.months import add_months, format_month

EXAMPLE = Path(__file__).resolve().parents[3] / "planning" / "examples" / "planning.yml"
VALUE_COLUMNS = list(TARGET_VALUES)


@pytest.fixture(scope="module")
def config():
    return load_config(EXAMPLE)


@pytest.fixture(scope="module")
def inputs():
    # history through September, so that July and August plans both see their actuals
    return synthetic_inputs(reps_per_region=5, as_of="2026-09")


@pytest.fixture(scope="module")
def july(config, inputs):
    return build_plan(inputs, config, "2026-07")


@pytest.fixture(scope="module")
def august(config, inputs, july):
    return build_plan(inputs, config, "2026-08", previous=previous_of(july, inputs))


def previous_of(result, inputs):
    return PreviousVersion(
        as_of_month=result.target_plan["as_of_month"].iloc[0],
        target_plan=result.target_plan,
        funnel_requirements=result.funnel_requirements,
        forecasts=inputs.forecasts,
        adjustments=inputs.adjustments,
        funnel_rates=inputs.funnel_rates,
    )


def replace(inputs, **changes):
    return dataclasses.replace(inputs, **changes)


def parent_of(node: str) -> str:
    return node.rsplit("/", 1)[0] if "/" in node else "company"


def assert_additive(target_plan: pd.DataFrame) -> None:
    """Children sum to their parent in every period, and periods sum to the year."""
    children = target_plan[target_plan["node"] != "company"]
    keys = ["metric", "grain", "period"]
    sums = children.groupby([*keys, children["node"].map(parent_of)])[VALUE_COLUMNS].sum()
    parents = target_plan.set_index([*keys, "node"])[VALUE_COLUMNS]
    sums.index = sums.index.set_names(parents.index.names)
    pd.testing.assert_frame_equal(sums, parents.loc[sums.index], check_dtype=False)
    year = target_plan[target_plan["grain"] == "year"].set_index(["metric", "node"])[VALUE_COLUMNS]
    for grain in ("quarter", "month", "week"):
        rows = target_plan[target_plan["grain"] == grain]
        totals = rows.groupby(["metric", "node"])[VALUE_COLUMNS].sum()
        pd.testing.assert_frame_equal(totals, year.loc[totals.index], check_dtype=False)


def company_year(target_plan: pd.DataFrame, metric: str) -> pd.Series:
    rows = target_plan[
        (target_plan["node"] == "company")
        & (target_plan["grain"] == "year")
        & (target_plan["metric"] == metric)
    ]
    return rows.iloc[0]


# --------------------------------------------------------------------------- outputs


def test_every_configured_stream_with_a_target_is_planned(july, inputs):
    assert set(july.target_plan["metric"]) == set(inputs.annual_targets["metric"])
    assert any("new_bookings: no annual target" in note for note in july.notes)


def test_targets_sum_exactly_at_every_level_and_in_every_period(july, august):
    assert_additive(july.target_plan)
    assert_additive(august.target_plan)


def test_the_company_lands_on_its_annual_target(july, inputs):
    for row in inputs.annual_targets.itertuples():
        year = company_year(july.target_plan, row.metric)
        minor = 100 if row.metric != "new_customers" else 1
        assert year["adjusted_target"] == round(row.amount * minor)
        assert year["original_target"] == round(row.amount * minor)
        # floor and stretch: the configured shares, to within one unit per leaf and month
        leaves = july.target_plan[
            july.target_plan["is_leaf"]
            & (july.target_plan["metric"] == row.metric)
            & (july.target_plan["grain"] == "month")
        ]
        tolerance = len(leaves)
        assert abs(year["floor"] - row.floor_pct * year["adjusted_target"]) <= tolerance
        assert abs(year["stretch"] - row.stretch_pct * year["adjusted_target"]) <= tolerance


def test_nothing_is_negative(july):
    plan = july.target_plan
    for column in ("original_target", "period_target", "floor", "stretch"):
        assert (plan[column] >= 0).all(), column


def test_closed_months_keep_the_previous_versions_targets(july, august):
    def month_targets(result, before):
        rows = result.target_plan
        rows = rows[(rows["grain"] == "month") & (rows["period"] < before)]
        return rows.set_index(["metric", "node", "period"])["period_target"]

    previous = month_targets(july, "2026-08")
    current = month_targets(august, "2026-08")
    joined = pd.concat([previous, current], axis=1, keys=["previous", "current"]).fillna(0)
    assert (joined["previous"] == joined["current"]).all()
    # ... and the original targets of the year are carried over unchanged
    assert (
        company_year(august.target_plan, "bookings")["original_target"]
        == company_year(july.target_plan, "bookings")["original_target"]
    )


def test_re_running_a_month_gives_identical_output(config, inputs, july):
    again = build_plan(inputs, config, "2026-07")
    for name, frame in july.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)


def test_plan_changes_add_up_exactly_to_the_change_since_last_month(august, july):
    changes = august.plan_changes
    assert not changes.empty
    parts = changes[
        ["previous", "actuals_vs_plan", "forecast_revision", "rate_changes", "manual_adjustments"]
    ].sum(axis=1)
    assert (parts == changes["current"]).all()
    targets = changes[changes["measure"] == "target"]
    assert (targets["rate_changes"] == 0).all()  # rates never move money targets
    # the previous values are last month's published targets
    company = targets[(targets["node"] == "company") & (targets["metric"] == "bookings")]
    july_year = company_year(july.target_plan, "bookings")["adjusted_target"]
    assert company.loc[company["grain"] == "year", "previous"].item() == july_year
    # July closed: its target is replaced by its actual, attributed to actuals vs plan
    closed = company[company["period"] == "2026-07"].iloc[0]
    assert closed["actuals_vs_plan"] == closed["total_change"]


def test_weekly_rows_split_a_week_that_straddles_two_months(july):
    plan = july.target_plan
    company = plan[(plan["node"] == "company") & (plan["metric"] == "bookings")]
    weeks = company[company["grain"] == "week"].set_index("period")
    # 2026-W27 runs Mon 29 June - Sun 5 July: a closed part (June) and an open part (July)
    assert weeks.loc["2026-W27", "status"] == "partial"
    assert weeks.loc["2026-W27", "period_start"] == dt.date(2026, 6, 29)
    assert weeks.loc["2026-W27", "period_target"] > 0


def test_probabilities_come_from_the_sample_paths(july):
    plan = july.target_plan
    bookings = plan[(plan["metric"] == "bookings") & (plan["grain"] != "week")]
    open_rows = bookings[bookings["status"] != "closed"]
    assert open_rows["p_attain"].between(0, 1).all()
    closed = bookings[bookings["status"] == "closed"]
    assert set(closed["p_attain"].unique()) <= {0.0, 1.0}
    # no forecast for new customers: no probability for its open periods
    customers = plan[(plan["metric"] == "new_customers") & (plan["status"] == "open")]
    assert customers["p_attain"].isna().all()


def test_rep_and_partner_targets_add_up_to_their_leaves(july):
    plan = july.target_plan
    leaves = plan[plan["is_leaf"] & (plan["grain"] == "month") & (plan["metric"] == "bookings")]
    reps = july.rep_targets
    reps = reps[(reps["metric"] == "bookings") & (reps["grain"] == "month")]
    per_rep = (
        leaves[leaves["rep_id"].notna() & (leaves["rep_id"] != UNASSIGNED)]
        .groupby(["rep_id", "period"])["period_target"]
        .sum()
    )
    assert (reps.set_index(["rep_id", "period"])["period_target"] == per_rep).all()
    partners = july.partner_targets
    year = partners[(partners["metric"] == "bookings") & (partners["grain"] == "year")]
    assert year["projected_rebate"].notna().all()
    assert (year["rebate_mode"] == "retroactive").all()
    assert (year["expected_rebate"] >= 0).all()


def test_a_leaver_keeps_closed_targets_and_gets_none_after_leaving(july):
    reps = july.rep_targets
    leaver = reps[(reps["end_date"].notna()) & (reps["metric"] == "bookings")]
    assert not leaver.empty
    months = leaver[leaver["grain"] == "month"]
    after = months[months["period_start"] > months["end_date"]]
    assert (after["period_target"] == 0).all()
    assert (months["employed_share"].dropna() <= 1).all()


def test_the_reverse_funnel_places_work_in_start_months_and_flags_late_work(july):
    funnel = july.funnel_requirements
    company = funnel[(funnel["node"] == "company") & (funnel["metric"] == "bookings")]
    assert (company["start_month"] <= company["month"]).all()
    late = company[company["at_risk"]]
    assert not late.empty  # July deals with a long cycle should have started in spring
    assert (late["start_month"] < dt.date(2026, 7, 1)).all()
    # every node's work is the sum of its leaves' work
    leaves = funnel[funnel["is_leaf"] & (funnel["metric"] == "bookings")]
    # (each row is rounded to 4 decimals)
    assert company["required_opportunities"].sum() == pytest.approx(
        leaves["required_opportunities"].sum(), abs=1e-4 * len(leaves)
    )
    # the target behind the work is exactly the open months' targets
    plan = july.target_plan
    open_target = plan[
        (plan["node"] == "company")
        & (plan["metric"] == "bookings")
        & (plan["grain"] == "month")
        & (plan["status"] == "open")
    ]["period_target"].sum()
    assert company["target"].sum() == open_target


def test_alerts_compare_actuals_with_the_seasonal_pace(july, config):
    alerts = july.attainment_alerts
    assert set(alerts["severity"]) <= {"warning", "critical"}
    assert (alerts["attainment"] < config.alerts.threshold).all()
    assert (
        alerts["attainment"] == (alerts["actual_to_date"] / alerts["expected_to_date"]).round(6)
    ).all()


def test_a_scenario_runs_side_by_side_without_touching_the_official_plan(inputs, july):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["streams"]["bookings"]["levels"]["region"] = {"method": "even"}
    scenario = build_plan(inputs, parse_config(raw, "even.yml"), "2026-07", scenario="even_regions")
    assert set(scenario.target_plan["scenario"]) == {"even_regions"}
    assert set(july.target_plan["scenario"]) == {"official"}
    regions = scenario.target_plan[
        (scenario.target_plan["level"] == "region")
        & (scenario.target_plan["grain"] == "month")
        & (scenario.target_plan["period"] == "2026-09")
        & (scenario.target_plan["metric"] == "bookings")
    ]["period_target"]
    assert regions.max() - regions.min() <= 1  # even split of September among the regions
    assert (
        company_year(scenario.target_plan, "bookings")["adjusted_target"]
        == company_year(july.target_plan, "bookings")["adjusted_target"]
    )


# --------------------------------------------------------------------------- locks


def test_a_manager_lock_is_kept_and_the_siblings_re_spread(config, inputs, july):
    node = "region=EAST"
    adjustments = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": node,
                "period": "2026-09",
                "value": 1_000_000.0,
                "locked": True,
                "reason": "public-sector award",
                "author": "Li",
            },
        ]
    )
    locked = build_plan(replace(inputs, adjustments=adjustments), config, "2026-07")
    plan = locked.target_plan
    september = plan[
        (plan["grain"] == "month") & (plan["period"] == "2026-09") & (plan["metric"] == "bookings")
    ]
    assert september.set_index("node").loc[node, "period_target"] == 100_000_000
    before = july.target_plan
    before_sep = before[
        (before["grain"] == "month")
        & (before["period"] == "2026-09")
        & (before["metric"] == "bookings")
    ]
    assert (
        september.set_index("node").loc["company", "period_target"]
        == before_sep.set_index("node").loc["company", "period_target"]
    )
    assert_additive(plan)


def test_infeasible_locks_say_which_node_and_by_how_much(config, inputs):
    adjustments = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": f"region={region}",
                "period": "2026-09",
                "value": 9e9,
                "locked": True,
                "reason": "r",
                "author": "a",
            }
            for region in ("EAST", "SOUTH")
        ]
    )
    with pytest.raises(
        InfeasibleLockError,
        match=r"^company: locks below it need 18,000,000,000\.00 in the open months "
        r"\(2026-09: 18,000,000,000\.00\), [\d,.]+ more than its remaining target",
    ):
        build_plan(replace(inputs, adjustments=adjustments), config, "2026-07")


def test_a_lock_on_a_rep_after_they_left_is_an_error(config, inputs):
    reps = inputs.reps
    leaver = reps[reps["end_date"].notna()].iloc[0]
    node = f"region={leaver['region']}/product_line=CLOUD/channel=direct/rep_id={leaver['rep_id']}"
    adjustments = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": node,
                "period": "2026-10",
                "value": 5000.0,
                "locked": True,
                "reason": "r",
                "author": "a",
            }
        ]
    )
    with pytest.raises(PlanningInputError, match="the rep is not employed that month"):
        build_plan(replace(inputs, adjustments=adjustments), config, "2026-07")


def test_an_adjustment_for_an_unknown_node_is_an_error(config, inputs):
    adjustments = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": "region=MARS",
                "period": "2026-10",
                "value": 5.0,
                "locked": True,
                "reason": "r",
                "author": "a",
            }
        ]
    )
    with pytest.raises(PlanningInputError, match="value 'region=MARS': unknown hierarchy node"):
        build_plan(replace(inputs, adjustments=adjustments), config, "2026-07")


# --------------------------------------------------------------------------- bad input


def test_a_missing_annual_target_for_a_required_stream_is_an_error(config, inputs):
    targets = inputs.annual_targets[inputs.annual_targets["metric"] != "bookings"]
    with pytest.raises(
        PlanningInputError, match="no target for metric bookings in fiscal year 2026"
    ):
        build_plan(replace(inputs, annual_targets=targets), config, "2026-07")


def test_node_targets_without_a_company_target_are_an_error(config, inputs):
    targets = inputs.annual_targets.copy()
    targets.loc[targets["metric"] == "collections", "scope"] = "region=EAST"
    with pytest.raises(PlanningInputError, match="no company target; add a row with scope company"):
        build_plan(replace(inputs, annual_targets=targets), config, "2026-07")


def test_a_negative_target_names_the_row_column_and_value(config, inputs):
    targets = inputs.annual_targets.copy()
    targets.loc[1, "amount"] = -5.0
    with pytest.raises(
        PlanningInputError,
        match=r"annual_targets row 2, column amount, value -5\.0: targets cannot",
    ):
        build_plan(replace(inputs, annual_targets=targets), config, "2026-07")


def test_a_target_for_an_unknown_node_is_an_error(config, inputs):
    targets = pd.concat(
        [
            inputs.annual_targets,
            pd.DataFrame(
                [{"fiscal_year": 2026, "metric": "bookings", "scope": "region=MARS", "amount": 5.0}]
            ),
        ],
        ignore_index=True,
    )
    with pytest.raises(PlanningInputError, match="scope 'region=MARS' is not a node"):
        build_plan(replace(inputs, annual_targets=targets), config, "2026-07")


def test_bad_actuals_name_the_row(config, inputs):
    bookings = inputs.bookings.copy()
    bookings.loc[3, "channel"] = "web"
    with pytest.raises(PlanningInputError, match="bookings row 4, column channel, value 'web'"):
        build_plan(replace(inputs, bookings=bookings), config, "2026-07")
    bookings = inputs.bookings.copy()
    bookings.loc[0, "month"] = "someday"
    with pytest.raises(PlanningInputError, match="bookings row 1, column month, value 'someday'"):
        build_plan(replace(inputs, bookings=bookings), config, "2026-07")


def test_a_region_without_history_gets_its_share_by_the_fallback(config, inputs):
    # a new region with a rep but no sales yet: the history method weighs it zero, so it only
    # gets a target where the whole level weighs zero; with a capacity fallback it gets none
    reps = pd.concat(
        [
            inputs.reps,
            pd.DataFrame(
                [
                    {
                        "rep_id": "R9999",
                        "name": "New",
                        "region": "NEWREGION",
                        "team": "N",
                        "manager_id": None,
                        "tier": "B",
                        "role": "rep",
                        "hire_date": dt.date(2026, 1, 1),
                        "end_date": None,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    result = build_plan(replace(inputs, reps=reps), config, "2026-07")
    plan = result.target_plan
    new_region = plan[(plan["node"] == "region=NEWREGION") & (plan["grain"] == "year")]
    assert not new_region.empty
    assert_additive(plan)


# --------------------------------------------------------------------------- properties


@examples(30)
@given(st.data())
def test_any_plan_is_additive_reproducible_and_keeps_its_closed_months(data):
    config = data.draw(configs())
    inputs, as_of, months = data.draw(businesses(config))
    first = build_plan(inputs, config, format_month(as_of))
    assert_additive(first.target_plan)
    again = build_plan(inputs, config, format_month(as_of))
    for name, frame in first.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], obj=name)
    later = add_months(as_of, data.draw(st.integers(1, 3)))
    if later > months[-1]:
        return
    second = build_plan(inputs, config, format_month(later), previous=previous_of(first, inputs))
    assert_additive(second.target_plan)
    before = first.target_plan
    after = second.target_plan
    mask_before = (before["grain"] == "month") & (before["period"] < format_month(later))
    mask_after = (after["grain"] == "month") & (after["period"] < format_month(later))
    joined = pd.concat(
        [
            before[mask_before].set_index(["node", "period"])["period_target"],
            after[mask_after].set_index(["node", "period"])["period_target"],
        ],
        axis=1,
        keys=["before", "after"],
    ).fillna(0)
    assert (joined["before"] == joined["after"]).all()


def test_a_rep_lock_above_the_segments_share_raises_the_segment_and_its_siblings_give_way(
    config, inputs, july
):
    # top-down meets bottom-up: the lock is a floor for every ancestor in that month
    plan = july.target_plan
    september = plan[
        (plan["grain"] == "month") & (plan["period"] == "2026-09") & (plan["metric"] == "bookings")
    ].set_index("node")["period_target"]
    segment = "region=EAST/product_line=CLOUD/channel=direct"
    rep = f"{segment}/rep_id=R0001"
    value = int(september[segment] * 1.5)  # more than the whole segment would get
    adjustments = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "node": rep,
                "period": "2026-09",
                "value": value / 100,
                "locked": True,
                "reason": "key account",
                "author": "Wang",
            }
        ]
    )
    locked = build_plan(replace(inputs, adjustments=adjustments), config, "2026-07").target_plan
    after = locked[
        (locked["grain"] == "month")
        & (locked["period"] == "2026-09")
        & (locked["metric"] == "bookings")
    ].set_index("node")["period_target"]
    assert after[rep] == value
    assert after[segment] >= value
    assert after["company"] == september["company"]
    # the other segments gave way by exactly what this one gained
    segments = [node for node in after.index if node.count("/") == 2 and node != segment]
    gained = after[segment] - september[segment]
    assert gained > 0
    assert september[segments].sum() - after[segments].sum() == gained
    assert_additive(locked)
