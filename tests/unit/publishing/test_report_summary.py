import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from publishing.report_summary import (
    COMPONENTS,
    funnel_by_region,
    region_changes,
    remaining_change,
    severity_counts,
    top_alerts,
)

AUGUST = dt.date(2026, 8, 1)
MONTHS = [dt.date(2026, month, 1) for month in range(1, 13)]


def change_rows(node: str, level: str, region: str | None, parts: list[list[int]]) -> pd.DataFrame:
    """Month rows of plan_changes: ``parts`` holds (previous, four components) per month."""
    rows = []
    for month, (previous, *components) in zip(MONTHS, parts, strict=False):
        current = previous + sum(components)
        rows.append(
            {
                "node": node,
                "level": level,
                "region": region,
                "measure": "target",
                "month": month,
                "previous": float(previous),
                **{c: float(v) for c, v in zip(COMPONENTS, components, strict=True)},
                "current": float(current),
                "total_change": float(current - previous),
            }
        )
    return pd.DataFrame(rows)


amounts = st.integers(min_value=-(10**9), max_value=10**9)


@given(st.lists(st.tuples(*[amounts] * 5).map(list), min_size=12, max_size=12))
def test_the_parts_of_the_months_ahead_add_up_to_their_total_change(parts):
    changes = change_rows("company", "company", None, parts)
    result = remaining_change(changes, AUGUST, "company", "target")
    assert result["previous"] + sum(result[c] for c in COMPONENTS) == result["current"]
    assert result["total_change"] == result["current"] - result["previous"]
    # only August to December count
    assert result["previous"] == sum(p[0] for p in parts[7:])


def test_closed_months_and_other_nodes_do_not_count():
    parts = [[100, 1, 2, 3, 4]] * 12
    changes = pd.concat(
        [
            change_rows("company", "company", None, parts),
            change_rows("region=EAST", "region", "EAST", [[7, 0, 0, 0, 1]] * 12),
        ]
    )
    result = remaining_change(changes, AUGUST, "company", "target")
    assert result == {
        "previous": 500.0,
        "actuals_vs_plan": 5.0,
        "forecast_revision": 10.0,
        "rate_changes": 15.0,
        "manual_adjustments": 20.0,
        "current": 550.0,
        "total_change": 50.0,
    }
    east = region_changes(changes, AUGUST).set_index("region")
    assert east.loc["EAST", "manual_adjustments"] == 5.0
    assert east.loc["EAST", "previous"] == 35.0


def test_funnel_work_is_summed_per_region_and_lateness_with_zeros_where_nothing_is_late():
    funnel = pd.DataFrame(
        {
            "region": ["EAST", "EAST", "EAST", "NORTH"],
            "at_risk": [True, False, False, False],
            "required_won": [1.0, 2.0, 3.0, 4.0],
            "required_opportunities": [5.0, 6.0, 7.0, 8.0],
            "required_sqls": [0.0] * 4,
            "required_mqls": [0.0] * 4,
            "required_leads": [10.0, 20.0, 30.0, 40.0],
            "required_activities": [1.0] * 4,
        }
    )
    sums = funnel_by_region(funnel).set_index(["region", "at_risk"])
    assert sums.loc[("EAST", True), "required_won"] == 1.0
    assert sums.loc[("EAST", False), "required_won"] == 5.0
    assert sums.loc[("EAST", False), "required_leads"] == 50.0
    assert sums.loc[("NORTH", True), "required_won"] == 0.0  # nothing late in NORTH
    assert sums["required_opportunities"].sum() == funnel["required_opportunities"].sum()


def alert(metric, node, level, grain, attainment, severity, expected=100.0):
    return {
        "expected_to_date": expected,
        "actual_to_date": expected * attainment,
        "metric": metric,
        "node": node,
        "level": level,
        "grain": grain,
        "period": {"year": "2026", "quarter": "2026-Q3", "month": "2026-07"}[grain],
        "attainment": attainment,
        "severity": severity,
    }


def test_top_alerts_read_severe_first_then_the_reports_metric_then_from_the_top_down():
    alerts = pd.DataFrame(
        [
            alert("new_customers", "company", "company", "year", 0.5, "red"),
            alert("bookings", "region=EAST/rep_id=R1", "rep_id", "month", 0.7, "amber"),
            alert("bookings", "region=EAST/rep_id=R1", "rep_id", "month", 0.4, "red"),
            alert("bookings", "region=EAST", "region", "quarter", 0.55, "red"),
            alert("bookings", "region=EAST", "region", "year", 0.58, "red"),
            alert("bookings", "company", "company", "month", 0.75, "amber"),
        ]
    )
    ordered = top_alerts(alerts, "bookings", limit=5)
    # severities are ranked by the worst attainment they hold: "red" (0.4) before "amber"
    assert list(zip(ordered["node"], ordered["grain"], ordered["severity"], strict=True)) == [
        ("region=EAST", "year", "red"),
        ("region=EAST", "quarter", "red"),
        ("region=EAST/rep_id=R1", "month", "red"),
        ("company", "year", "red"),  # another metric comes after the report's
        ("company", "month", "amber"),
    ]
    assert severity_counts(alerts) == {"red": 4, "amber": 2}


def test_among_equals_the_largest_shortfall_comes_first():
    alerts = pd.DataFrame(
        [
            alert(
                "bookings",
                "region=N/product_line=LEGACY",
                "product_line",
                "year",
                0.0,
                "critical",
                expected=113_000,
            ),
            alert(
                "bookings",
                "region=E/product_line=ERP",
                "product_line",
                "year",
                0.03,
                "critical",
                expected=1_770_000,
            ),
        ]
    )
    assert top_alerts(alerts, "bookings")["node"].tolist() == [
        "region=E/product_line=ERP",
        "region=N/product_line=LEGACY",
    ]


def test_no_alerts_give_no_top_alerts():
    empty = pd.DataFrame(
        columns=[
            "metric",
            "node",
            "level",
            "grain",
            "attainment",
            "severity",
            "expected_to_date",
            "actual_to_date",
        ]
    )
    assert top_alerts(empty, "bookings").empty


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_top_alerts_return_at_most_the_limit(limit):
    alerts = pd.DataFrame(
        [alert("bookings", f"region=R{i}", "region", "year", 0.1 * i, "critical") for i in range(5)]
    )
    assert len(top_alerts(alerts, "bookings", limit)) == limit
