"""Forecast view and probability of attaining, on a business small enough to work by hand."""

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from planning import PlanInputs, build_plan, parse_config

CONFIG = {
    "streams": {
        "bookings": {
            "measure": "bookings_amount",
            "required": True,
            "leaves": {"partner": "partner_id"},
            "time": {"method": "even"},
            "levels": {
                "region": {"method": "even"},
                "product_line": {"method": "even"},
                "channel": {"method": "even"},
                "partner_id": {"method": "history"},
            },
            "forecast_metric": "bookings",
        }
    }
}
MONTHS = [dt.date(2025, m, 1) for m in range(1, 13)] + [dt.date(2026, m, 1) for m in range(1, 7)]
OPEN = [dt.date(2026, m, 1) for m in range(7, 13)]


def inputs(paths_per_month):
    # One segment, EAST x CLOUD x partner, with two partners who sold 75 and 25 a month.
    bookings = pd.DataFrame(
        [
            {
                "month": month,
                "region": "EAST",
                "product_line": "CLOUD",
                "channel": "partner",
                "deal_type": "new",
                "partner_id": partner,
                "rep_id": None,
                "bookings_amount": amount,
            }
            for month in MONTHS
            for partner, amount in (("P1", 75.0), ("P2", 25.0))
        ]
    )
    forecasts = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "region": "EAST",
                "product_line": "CLOUD",
                "channel": "partner",
                "month": month,
                "yhat": 105.0,
            }
            for month in OPEN
        ]
    )
    paths = pd.DataFrame(
        [
            {
                "metric": "bookings",
                "region": "EAST",
                "product_line": "CLOUD",
                "channel": "partner",
                "month": month,
                "path": path,
                "y": value,
            }
            for month in OPEN
            for path, value in enumerate(paths_per_month)
        ]
    )
    return PlanInputs(
        # Jan-Jun sold 600: the remaining 600 is 100 a month for July-December
        annual_targets=pd.DataFrame(
            [{"fiscal_year": 2026, "metric": "bookings", "scope": "company", "amount": 1200.0}]
        ),
        bookings=bookings,
        reps=pd.DataFrame(columns=["rep_id", "region", "tier", "role", "hire_date", "end_date"]),
        partners=pd.DataFrame(
            [
                {"partner_id": "P1", "region": "EAST", "tier": "gold"},
                {"partner_id": "P2", "region": "EAST", "tier": "silver"},
            ]
        ),
        forecasts=forecasts,
        forecast_paths=paths,
    )


def test_the_probability_is_the_share_of_paths_reaching_the_target():
    result = build_plan(inputs([90.0, 100.0, 110.0, 120.0]), parse_config(CONFIG), "2026-07")
    plan = result.target_plan.set_index(["node", "grain", "period"])
    year = plan.loc[("company", "year", "2026")]
    # paths sum to 540, 600, 660 and 720 over July-December against a remaining 600
    assert year["adjusted_target"] == 120_000
    assert year["p_attain"] == 0.75
    assert year["forecast"] == 60_000 + 6 * 10_500
    assert year["gap"] == 120_000 - 123_000
    july = plan.loc[("company", "month", "2026-07")]
    assert july["period_target"] == 10_000
    assert july["p_attain"] == 0.75
    june = plan.loc[("company", "month", "2026-06")]
    assert june["status"] == "closed"
    assert june["forecast"] == june["actual_to_date"] == 10_000


def test_below_the_forecast_grain_a_seller_gets_its_historical_share_of_the_paths():
    result = build_plan(inputs([90.0, 100.0, 110.0, 120.0]), parse_config(CONFIG), "2026-07")
    plan = result.target_plan.set_index(["node", "grain", "period"])
    p1 = plan.loc[
        ("region=EAST/product_line=CLOUD/channel=partner/partner_id=P1", "month", "2026-07")
    ]
    p2 = plan.loc[
        ("region=EAST/product_line=CLOUD/channel=partner/partner_id=P2", "month", "2026-07")
    ]
    # targets follow history 75:25; so do the forecast shares
    assert (p1["period_target"], p2["period_target"]) == (7_500, 2_500)
    assert p1["forecast"] == pytest.approx(0.75 * 10_500, abs=0.5)
    assert p1["p_attain"] == p2["p_attain"] == 0.75


def test_without_sample_paths_there_is_no_probability():
    data = inputs([100.0])
    data = dataclasses.replace(data, forecast_paths=None)
    result = build_plan(data, parse_config(CONFIG), "2026-07")
    open_rows = result.target_plan[result.target_plan["status"] != "closed"]
    assert open_rows["p_attain"].isna().all()
    assert np.isfinite(open_rows["forecast"]).all()
