import datetime as dt

import numpy as np
import pandas as pd
import pytest

from planning.funnel import (
    FunnelRates,
    RateBook,
    leaf_requirements,
    required_funnel,
    shrink,
    start_months,
)
from planning.inputs import PlanningInputError

RATES = FunnelRates(
    lead_to_mql_rate=0.25,
    mql_to_sql_rate=0.4,
    sql_to_opportunity_rate=0.5,
    win_rate=0.2,
    avg_won_amount=100_000.0,
    lead_to_mql_days=15.0,
    mql_to_sql_days=15.0,
    sql_to_opportunity_days=31.0,
    cycle_days=(30.0, 61.0, 91.0, 152.0),
    activities_per_opportunity={"call": 12.0, "visit": 3.0, "demo": 1.5},
)


def test_ten_million_at_100k_a_deal_and_a_20_percent_win_rate_needs_500_opportunities():
    requirement = required_funnel(10_000_000, RATES)
    assert requirement.won == 100
    assert requirement.opportunities == 500
    assert requirement.sqls == 1_000
    assert requirement.mqls == 2_500
    assert requirement.leads == 10_000
    assert requirement.activities == {"call": 6_000, "visit": 1_500, "demo": 750}


def test_opportunities_start_one_sales_cycle_before_the_month_they_must_close():
    # 30, 61, 91 and 152 days are 1, 2, 3 and 5 months: a quarter of the deals each
    assert start_months(dt.date(2026, 12, 1), RATES) == [
        (dt.date(2026, 7, 1), 0.25),
        (dt.date(2026, 9, 1), 0.25),
        (dt.date(2026, 10, 1), 0.25),
        (dt.date(2026, 11, 1), 0.25),
    ]


def test_a_leaf_months_work_is_split_exactly_over_its_start_months():
    rows = leaf_requirements(1_000_000_003, dt.date(2026, 12, 1), RATES, minor_units=100)
    # quartiles p25..p90 get 250,000,001 / ..001 / ..001 / ..000; rows come earliest start first
    assert [row.target for row in rows] == [250_000_000, 250_000_001, 250_000_001, 250_000_001]
    # 10,000,000.03 CNY: 500.0000015 opportunities, the parts add up to the whole
    assert sum(row.requirement.opportunities for row in rows) == pytest.approx(500.0000015)
    # leads must arrive two months before the opportunity (15 + 15 + 31 = 61 days)
    assert rows[0].lead_start_month == dt.date(2026, 5, 1)


def test_shrinkage_pulls_a_small_sample_toward_its_parent():
    # 20 closed deals at 40% under a parent at 20%, prior strength 20: halfway, 30%
    assert shrink(0.4, 20, 0.2, 20) == pytest.approx(0.3)
    assert shrink(0.4, 0, 0.2, 20) == 0.2
    assert shrink(0.4, 10_000, 0.2, 20) == pytest.approx(0.4, abs=1e-3)


def rate_row(level, region=None, product_line=None, channel=None, rep_id=None, win=0.2, n=100):
    return {
        "level": level,
        "region": region,
        "product_line": product_line,
        "channel": channel,
        "deal_type": None,
        "rep_id": rep_id,
        "lead_to_mql_rate": 0.25,
        "mql_to_sql_rate": 0.4,
        "sql_to_opportunity_rate": 0.5,
        "win_rate": win,
        "avg_won_amount": 100_000.0,
        "n_leads": n * 20,
        "n_mqls": n * 5,
        "n_sqls": n * 2,
        "n_opportunities_closed": n,
        "n_won": int(n * win),
        "cycle_days_p25": 30.0,
        "cycle_days_p50": 60.0,
        "cycle_days_p75": 90.0,
        "cycle_days_p90": 150.0,
        "calls_per_opportunity": 10.0,
    }


def test_a_reps_rates_are_smoothed_toward_their_segment():
    frame = pd.DataFrame(
        [
            rate_row("company", win=0.2, n=10_000),
            rate_row("segment", "EAST", "CLOUD", "direct", win=0.2, n=10_000),
            rate_row("rep", rep_id="R1", win=0.4, n=20),
        ]
    )
    book = RateBook(frame, prior_strength=20, deal_type=None, activity_types=["call"])
    assert book.rates("EAST", "CLOUD", "direct", "R1").win_rate == pytest.approx(0.3)
    # a rep without a row of their own inherits the segment's rates
    assert book.rates("EAST", "CLOUD", "direct", "R2").win_rate == pytest.approx(0.2)
    # a region missing from the facts passes the company's rates through
    assert book.rates("SOUTH").win_rate == pytest.approx(0.2)


def test_the_rate_book_needs_a_company_row():
    frame = pd.DataFrame([rate_row("region", "EAST")])
    with pytest.raises(PlanningInputError, match="no company-level row"):
        RateBook(frame, prior_strength=20, deal_type=None, activity_types=[])


def test_rates_outside_zero_to_one_are_rejected():
    with pytest.raises(ValueError, match="win_rate must be in"):
        FunnelRates(0.5, 0.5, 0.5, 0.0, 100.0)


def test_expansion_deals_have_no_lead_stage_and_read_only_their_own_rows():
    company = {
        **rate_row("company", n=500),
        "deal_type": "expansion",
        "lead_to_mql_rate": None,
        "mql_to_sql_rate": None,
        "sql_to_opportunity_rate": None,
        "n_leads": 0,
        "n_mqls": 0,
        "n_sqls": 0,
    }
    # an all-deal-types segment row with a zero SQL rate must not leak into expansion
    segment_all = {
        **rate_row("segment", "EAST", "CLOUD", "partner", n=8),
        "sql_to_opportunity_rate": 0.0,
        "n_sqls": 1,
    }
    frame = pd.DataFrame([company, segment_all])
    book = RateBook(frame, prior_strength=20, deal_type="expansion", activity_types=["call"])
    rates = book.rates("EAST", "CLOUD", "partner")
    requirement = required_funnel(1_000_000, rates)
    assert requirement.opportunities == pytest.approx(50.0)
    assert np.isnan(requirement.sqls)
    assert np.isnan(requirement.leads)


def test_a_zero_rate_without_a_prior_uses_the_rule_of_succession():
    company = {**rate_row("company", n=10), "sql_to_opportunity_rate": None, "n_sqls": 0}
    segment = {
        **rate_row("segment", "EAST", "CLOUD", "direct"),
        "sql_to_opportunity_rate": 0.0,
        "n_sqls": 3,
    }
    book = RateBook(pd.DataFrame([company, segment]), 20, None, [])
    # 0 of 3 SQLs converted, no company rate to lean on: (0 + 1) / (3 + 2) = 20%
    assert book.rates("EAST", "CLOUD", "direct").sql_to_opportunity_rate == pytest.approx(0.2)
