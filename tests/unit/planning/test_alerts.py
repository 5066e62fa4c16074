import datetime as dt

import pandas as pd

from planning.alerts import attainment_alerts
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
    # April alone: 500,000 of 1,000,000 -> 50%, critical; so is the quarter (April-June so far)
    assert alerts.loc["month", "severity"] == "critical"
    assert alerts.loc["quarter", "period"] == "2026-Q2"
    assert alerts.loc["quarter", "attainment"] == 0.5


def test_nodes_on_pace_raise_no_alert():
    on_pace = month_rows(actual=ORIGINAL[:4] + [0] * 8)
    assert attainment_alerts(on_pace, AlertConfig(), FiscalCalendar(1), dt.date(2026, 5, 1)).empty


def test_the_threshold_comes_from_the_configuration():
    lenient = AlertConfig(threshold=0.6, severities=(("critical", 0.4), ("warning", 0.6)))
    alerts = attainment_alerts(month_rows(), lenient, FiscalCalendar(1), dt.date(2026, 5, 1))
    assert set(alerts["grain"]) == {"quarter", "month"}  # 70% for the year is fine now
    assert set(alerts["severity"]) == {"warning"}


def test_no_alerts_in_the_first_month_of_a_fiscal_year():
    alerts = attainment_alerts(month_rows(), AlertConfig(), FiscalCalendar(1), dt.date(2026, 1, 1))
    assert alerts.empty
