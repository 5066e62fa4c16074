import datetime as dt

import pandas as pd
import pytest

from planning.alerts import ALERT_COLUMNS, attainment_alerts, merge_alerts
from planning.calendar import FiscalCalendar
from planning.config import AlertConfig

ORIGINAL = [500_000, 500_000, 1_000_000, 1_000_000, 750_000, 750_000] + [1_250_000] * 6
ACTUAL = [400_000, 400_000, 800_000, 500_000] + [0] * 8


def month_rows(original=ORIGINAL, actual=ACTUAL, node="region=EAST"):
    return pd.DataFrame(
        {
            "as_of_month": "2026-05",
            "scenario": "official",
            "metric": "bookings",
            "fiscal_year": 2026,
            "node": node,
            "level": "region",
            "unit": "money",
            "minor_units": 1,
            "region": "EAST",
            "product_line": None,
            "channel": None,
            "rep_id": None,
            "partner_id": None,
            "grain": "month",
            "period": [f"2026-{m:02d}" for m in range(1, 13)],
            "original_target": original,
            "actual_to_date": actual,
        }
    )


def test_attainment_is_measured_against_the_seasonal_pace_not_elapsed_time():
    # Year 12,000,000 with 3,000,000 planned for January-April: 25% expected by the end of
    # April. 2,100,000 sold: pace 17.5%, attainment 70% -> a warning (by elapsed time, a third
    # of the year, it would look like 52.5%).
    alerts = attainment_alerts(
        month_rows(), AlertConfig(), FiscalCalendar(1), dt.date(2026, 5, 1)
    ).set_index("grain")
    year = alerts.loc["year"]
    assert year["period"] == "2026"
    assert year["pace"] == 0.175
    assert year["expected_pace"] == 0.25
    assert year["attainment"] == 0.7
    assert year["severity"] == "warning"
    assert "70% of the expected pace" in year["message"]
    # April alone: 500,000 of 1,000,000 -> 50%, critical. The quarter (April-June) has only
    # April closed, so its attainment is April's and it is not reported twice.
    assert alerts.loc["month", "severity"] == "critical"
    assert "quarter" not in alerts.index


def test_nodes_on_pace_raise_no_alert():
    on_pace = month_rows(actual=ORIGINAL[:4] + [0] * 8)
    assert attainment_alerts(on_pace, AlertConfig(), FiscalCalendar(1), dt.date(2026, 5, 1)).empty


def test_the_threshold_comes_from_the_configuration():
    lenient = AlertConfig(threshold=0.6, severities=(("critical", 0.4), ("warning", 0.6)))
    alerts = attainment_alerts(month_rows(), lenient, FiscalCalendar(1), dt.date(2026, 5, 1))
    assert set(alerts["grain"]) == {"month"}  # 70% for the year is fine now
    assert set(alerts["severity"]) == {"warning"}


def test_no_alerts_in_the_first_month_of_a_fiscal_year():
    alerts = attainment_alerts(month_rows(), AlertConfig(), FiscalCalendar(1), dt.date(2026, 1, 1))
    assert alerts.empty


def test_a_quarter_with_two_closed_months_is_alerted_on_its_own():
    alerts = attainment_alerts(month_rows(), AlertConfig(), FiscalCalendar(1), dt.date(2026, 6, 1))
    quarter = alerts.set_index("grain").loc["quarter"]
    assert quarter["period"] == "2026-Q2"
    assert quarter["attainment"] == pytest.approx(500_000 / 1_750_000, abs=1e-6)


def test_nodes_below_the_minimum_share_of_the_company_target_are_not_alerted():
    company = month_rows(original=[o * 20 for o in ORIGINAL], actual=[a * 20 for a in ACTUAL])
    company["node"], company["level"], company["region"] = "company", "company", None
    small = month_rows(original=[o // 10 for o in ORIGINAL], actual=[0] * 12, node="region=WEST")
    large = month_rows()  # 1/20 of the company: above a 1% floor
    plan = pd.concat([company, small, large], ignore_index=True)
    alerts = attainment_alerts(plan, AlertConfig(), FiscalCalendar(1), dt.date(2026, 5, 1))
    assert "region=WEST" not in set(alerts["node"])  # 1/200 of the company
    assert "region=EAST" in set(alerts["node"])
    everything = AlertConfig(min_share=0.0)
    alerts = attainment_alerts(plan, everything, FiscalCalendar(1), dt.date(2026, 5, 1))
    assert "region=WEST" in set(alerts["node"])


def test_alerts_found_metric_by_metric_and_merged_are_the_alerts_of_all_the_rows():
    rows = []
    for metric in ("bookings", "collections", "new_bookings"):
        for node, actual in (("region=EAST", ACTUAL), ("region=WEST", [100_000] * 4 + [0] * 8)):
            rows.append(month_rows(actual=actual, node=node).assign(metric=metric))
    plan = pd.concat(rows, ignore_index=True)
    config, calendar, as_of = AlertConfig(), FiscalCalendar(1), dt.date(2026, 5, 1)

    merged = merge_alerts(
        [
            attainment_alerts(plan[plan["metric"] == metric], config, calendar, as_of)
            for metric in ("new_bookings", "bookings", "collections")  # any order
        ],
        config,
    )

    expected = attainment_alerts(plan, config, calendar, as_of)
    assert len(expected) > 6  # critical and warning rows of several metrics and grains
    assert expected["severity"].nunique() > 1
    pd.testing.assert_frame_equal(merged, expected)


def test_merging_no_alerts_gives_an_empty_table_with_every_column():
    merged = merge_alerts([], AlertConfig())

    assert merged.empty
    assert list(merged.columns) == list(ALERT_COLUMNS)
