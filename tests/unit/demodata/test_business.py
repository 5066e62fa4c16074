"""The demo business looks like a real one: each test checks one pattern PRODUCT.md asks for.

All figures come from the canonical end-state tables of the ``default`` demo (seed 7), the
records the warehouse would hold after loading every extract. Thresholds are tolerant (the
simulated effects are two to five times larger) but would fail if the pattern disappeared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from demodata.activities import activities_in_month
from demodata.timeline import first_day_of_month
from salesplan.spring_festival import holiday_period, slowdown_share, slowdown_window

FULL_YEARS = range(2021, 2026)


@pytest.fixture(scope="module")
def bookings(default_frames) -> pd.DataFrame:
    """Order lines in CNY with the month, region, product line and deal type of their deal."""
    lines = default_frames.order_lines.copy()
    rates = default_frames.fx_rates.assign(month=lambda f: pd.to_datetime(f["month"]))
    lines["month"] = pd.to_datetime(lines["order_date"]).dt.to_period("M").dt.to_timestamp()
    lines = lines.merge(rates, on=["currency", "month"], how="left")
    rate = lines["rate_to_reporting_currency"].astype(float).fillna(1.0)
    lines["cny"] = lines["net_amount"].astype(float) * rate
    deals = default_frames.opportunities[["opportunity_id", "product_line", "deal_type"]]
    return lines.merge(deals, on="opportunity_id", how="left")


def _monthly(series: pd.Series) -> pd.Series:
    return series.groupby(series.index.to_period("M")).sum()


def test_bookings_peak_in_december_and_at_quarter_ends(bookings):
    monthly = bookings.groupby("month")["cny"].sum()
    for year in FULL_YEARS:
        in_year = monthly[monthly.index.year == year]
        assert in_year.idxmax().month == 12, f"{year}: peak in {in_year.idxmax():%B}"
        quarters = in_year.groupby((in_year.index.month - 1) // 3).sum()
        assert quarters.idxmax() == 3, f"{year}: quarters {quarters.round(-5).to_dict()}"
    full = monthly[(monthly.index.year >= 2021) & (monthly.index.year <= 2025)]
    profile = full.groupby(full.index.month).sum()
    quarter_ends = profile[[3, 6, 9, 12]]
    # Each quarter-end month beats the month before it, on five years of bookings.
    for month in (3, 6, 9, 12):
        assert profile[month] > 1.05 * profile[month - 1], f"month {month}: {profile.to_dict()}"
    assert quarter_ends.mean() > 1.2 * profile.drop([3, 6, 9, 12]).mean()


def test_spring_festival_dip_moves_between_january_and_february(default_frames, bookings):
    leads = default_frames.leads
    lead_months = leads.groupby(leads["created_at"].dt.to_period("M")).size()
    won = default_frames.opportunities.query("is_won")
    won_months = won.groupby(pd.to_datetime(won["close_date"]).dt.to_period("M")).size()
    years = range(2021, 2027)
    # Positive when the slowdown falls more in January than in February.
    january_heavy = np.array([slowdown_share(y, 1) - slowdown_share(y, 2) for y in years])
    for counts in (lead_months, won_months):
        ratio = np.array(
            [
                np.log(counts[pd.Period(f"{y}-01", "M")] / counts[pd.Period(f"{y}-02", "M")])
                for y in years
            ]
        )
        assert np.corrcoef(january_heavy, ratio)[0, 1] < -0.8, ratio.round(2)
        # 2023's holiday was in January, 2024's in February: the dip moved with it.
        assert ratio[2023 - 2021] < ratio[2024 - 2021] - 0.4


def test_regions_grow_at_different_rates(bookings):
    yearly = bookings.groupby([bookings["month"].dt.year, "region"])["cny"].sum().unstack()
    growth = (yearly.loc[2025] / yearly.loc[2022]) ** (1 / 3) - 1
    assert growth.max() - growth.min() > 0.15, growth.round(3).to_dict()
    assert growth["SOUTHWEST"] > growth["NORTHEAST"] + 0.15
    assert growth["INTL"] > growth["NORTH"]


def test_product_lifecycles_show_in_bookings(bookings):
    yearly = bookings.groupby([bookings["month"].dt.year, "product_line"])["cny"].sum().unstack()
    yearly = yearly.fillna(0.0)
    # AI launched in March 2024: nothing before, a fast ramp after.
    assert yearly.loc[2023, "AI"] == 0
    assert yearly.loc[2025, "AI"] > 3 * yearly.loc[2024, "AI"] > 0
    # LEGACY declines from mid 2022, CLOUD keeps growing, ANALYTICS matures in 2023.
    assert yearly.loc[2025, "LEGACY"] < 0.5 * yearly.loc[2021, "LEGACY"]
    assert yearly.loc[2025, "CLOUD"] > 1.5 * yearly.loc[2021, "CLOUD"]
    early = yearly.loc[2023, "ANALYTICS"] / yearly.loc[2021, "ANALYTICS"]
    late = yearly.loc[2025, "ANALYTICS"] / yearly.loc[2023, "ANALYTICS"]
    assert early > late + 0.2


def test_product_master_stages_change_over_time(default_business):
    business = default_business
    first = business.products_table(np.array([6]), month=business.world.first_month + 40)
    later = business.products_table(np.array([6]), month=business.world.last_month)
    assert first.column("product_sku")[0].as_py() == "AI-ASSIST"
    assert first.column("lifecycle_stage")[0].as_py() == "intro"
    assert later.column("lifecycle_stage")[0].as_py() == "growth"


@pytest.fixture(scope="module")
def closed_deals(default_frames) -> pd.DataFrame:
    deals = default_frames.opportunities.query("is_closed")
    deals = deals.merge(default_frames.accounts[["account_id", "segment"]], on="account_id")
    cycle = pd.to_datetime(deals["close_date"]) - deals["created_at"].dt.normalize()
    return deals.assign(cycle_days=cycle.dt.days, amount=deals["amount"].astype(float))


def test_segments_differ_in_win_rate_deal_size_and_cycle(closed_deals):
    new = closed_deals.query("deal_type == 'new' and currency == 'CNY'")
    by_segment = new.groupby("segment").agg(
        win_rate=("is_won", "mean"), cycle=("cycle_days", "median")
    )
    size = new.query("is_won").groupby("segment")["amount"].median()
    assert size["enterprise"] > 2.5 * size["mid_market"]
    assert size["mid_market"] > 2.5 * size["smb"]
    assert by_segment.loc["enterprise", "cycle"] > 1.4 * by_segment.loc["mid_market", "cycle"]
    assert by_segment.loc["mid_market", "cycle"] > 1.4 * by_segment.loc["smb", "cycle"]
    assert (
        by_segment.loc["enterprise", "win_rate"]
        < by_segment.loc["mid_market", "win_rate"]
        < by_segment.loc["smb", "win_rate"]
    )


def test_renewals_are_short_and_mostly_won_and_partners_sell_differently(closed_deals):
    renewals = closed_deals.query("deal_type == 'renewal'")
    new = closed_deals.query("deal_type == 'new'")
    assert renewals["is_won"].mean() > 0.8 > 0.4 > new["is_won"].mean()
    assert (
        renewals["cycle_days"].median()
        < new.query("segment == 'enterprise'")["cycle_days"].median()
    )
    channel = new.groupby("channel").agg(
        win_rate=("is_won", "mean"), size=("amount", "median"), n=("is_won", "size")
    )
    assert channel.loc["partner", "n"] > 0.2 * channel["n"].sum()
    assert channel.loc["partner", "win_rate"] > channel.loc["direct", "win_rate"] + 0.02
    assert channel.loc["partner", "size"] < 0.9 * channel.loc["direct", "size"]


def test_new_reps_ramp_up_over_about_six_months(default_frames):
    reps = default_frames.reps.query("role == 'rep'")
    reps = reps[pd.to_datetime(reps["hire_date"]) >= "2021-01-01"]
    deals = default_frames.opportunities.query("deal_type == 'new'")
    deals = deals.merge(reps, left_on="owner_rep_id", right_on="rep_id")
    hired = pd.to_datetime(deals["hire_date"]).dt.to_period("M")
    tenure = (deals["created_at"].dt.to_period("M") - hired).apply(lambda offset: offset.n)
    per_month = tenure.value_counts().sort_index()
    # Reps present at each tenure month (hired long enough before the end of the data).
    end = pd.Period("2026-10", "M")
    present = pd.Series(
        {
            month: sum(
                (end - pd.Period(h, "M")).n >= month
                for h in pd.to_datetime(reps["hire_date"]).dt.strftime("%Y-%m")
            )
            for month in range(13)
        }
    )
    rate = per_month.reindex(range(13)).fillna(0) / present
    assert len(reps) >= 30, "the demo needs a few dozen hires to show the ramp"
    assert rate[[0, 1]].mean() < 0.45 * rate[range(7, 13)].mean(), rate.round(2).to_dict()
    assert rate[[2, 3]].mean() < rate[range(7, 13)].mean()


def test_renewals_follow_won_subscription_deals_about_a_year_later(default_frames):
    deals = default_frames.opportunities
    deals = deals.assign(close=pd.to_datetime(deals["close_date"]))
    won = deals.query("is_won")
    renewals = deals.query("deal_type == 'renewal' and created_at >= '2022-01-01'")
    pairs = renewals.merge(
        won[["account_id", "product_line", "close"]],
        on=["account_id", "product_line"],
        suffixes=("", "_prior"),
    )
    gap = (pairs["close"] - pairs["close_prior"]).dt.days
    lead_time = (pairs["close_prior"] + pd.Timedelta(days=365) - pairs["created_at"]).dt.days
    linked = pairs[(gap > 330) & (gap < 400) & (lead_time > 20)]
    assert linked["opportunity_id"].nunique() > 0.95 * len(renewals)
    assert set(renewals["product_line"]) <= {"CLOUD", "ANALYTICS", "AI", "SECURITY"}


def test_expansions_go_to_accounts_that_already_bought(default_frames):
    deals = default_frames.opportunities
    won = deals.query("is_won").assign(close=lambda f: pd.to_datetime(f["close_date"]))
    first_win = won.groupby("account_id")["close"].min()
    # From 2023 on, the first win of every expanding account is inside the extracted history.
    expansions = deals.query("deal_type == 'expansion' and created_at >= '2023-01-01'")
    assert len(expansions) > 500
    assert (expansions["created_at"] > expansions["account_id"].map(first_win)).mean() > 0.99


@pytest.fixture(scope="module")
def collections(default_frames) -> pd.DataFrame:
    invoices = default_frames.invoices
    orders = default_frames.order_lines.drop_duplicates("order_id")[["order_id", "account_id"]]
    invoices = invoices.merge(orders, on="order_id").merge(
        default_frames.accounts[["account_id", "segment", "region"]], on="account_id"
    )
    payments = default_frames.payments.merge(
        invoices[["invoice_id", "invoice_date", "segment", "region"]], on="invoice_id"
    )
    delay = pd.to_datetime(payments["paid_at"]) - pd.to_datetime(payments["invoice_date"])
    return payments.assign(delay=delay.dt.days, invoices=len(invoices))


def test_collections_lag_invoices_by_segment_with_varying_delays(collections, default_frames):
    delay = collections.groupby("segment")["delay"]
    median = delay.median()
    spread = delay.quantile(0.9) - delay.quantile(0.1)
    assert median["enterprise"] > median["mid_market"] + 20 > median["smb"] + 40
    assert (spread > 15).all(), spread.to_dict()
    assert (collections["delay"] > 0).all()
    invoices = default_frames.invoices
    paid = invoices["invoice_id"].isin(collections["invoice_id"])
    long_due = pd.to_datetime(invoices["due_date"]) < pd.Timestamp("2026-08-01")
    overdue_share = (~paid & long_due).sum() / long_due.sum()
    assert 0.01 < overdue_share < 0.08
    installments = invoices.groupby("order_id").size()
    assert 0.02 < (installments > 1).mean() < 0.4


def test_collections_are_pushed_before_year_end_and_the_spring_festival(collections):
    paid = pd.to_datetime(collections["paid_at"])
    china = collections["region"] != "INTL"
    december = (paid.dt.month == 12).sum()
    january = (paid.dt.month == 1).sum()
    assert december > 1.3 * january
    for year in range(2022, 2027):
        slow_start, _ = slowdown_window(year)
        holiday_start, holiday_end = holiday_period(year)
        start = pd.Timestamp(slow_start)
        before = paid.between(start - pd.Timedelta(days=12), start)
        during = paid.between(pd.Timestamp(holiday_start), pd.Timestamp(holiday_end))
        assert (china & before).sum() > 5 * max((china & during).sum(), 1), year


def test_activities_scale_with_the_open_pipeline_and_lead_volume(default_business):
    business = default_business
    opportunities = business.deals.opportunities
    leads = business.leads
    counts, open_deals, worked_leads = [], [], []
    for month in business.world.months():
        first = first_day_of_month(month) * 1440
        last = first_day_of_month(month + 1) * 1440 - 1
        frame = activities_in_month(
            business.world, business.organisation.reps, opportunities, leads, month
        )
        counts.append(len(frame))
        open_deals.append(
            ((opportunities["created"] <= last) & (opportunities["close"] >= first)).sum()
        )
        worked_leads.append(((leads["created"] <= last) & (leads["worked_until"] >= first)).sum())
    counts = np.array(counts)
    assert np.corrcoef(counts, open_deals)[0, 1] > 0.9
    assert np.corrcoef(counts, worked_leads)[0, 1] > 0.8
    assert 400_000 < counts.sum() < 1_500_000


def test_leads_move_through_the_funnel_at_realistic_rates_and_lags(default_frames):
    leads = default_frames.leads
    mql = leads["mql_at"].notna()
    sql = leads["sql_at"].notna()
    converted = leads["converted_opportunity_id"].notna()
    assert 0.3 < mql.mean() < 0.5
    assert 0.3 < sql.sum() / mql.sum() < 0.5
    assert 0.4 < converted.sum() / sql.sum() < 0.7
    assert 0.4 < leads["disqualified_at"].notna().mean() < 0.7
    assert not (converted & leads["disqualified_at"].notna()).any()
    to_mql = (leads["mql_at"] - leads["created_at"]).dt.total_seconds() / 86400
    assert 0.5 < to_mql.median() < 10
    assert (to_mql.dropna() > 0).all()
    assert ((leads["sql_at"] - leads["mql_at"]).dropna() > pd.Timedelta(0)).all()
    by_source = (
        leads.groupby("source_channel")["converted_opportunity_id"].count()
        / leads.groupby("source_channel").size()
    )
    assert set(by_source.index) == {"web", "event", "referral", "partner", "outbound", "ads"}
    assert by_source["referral"] > 3 * by_source["ads"]


def test_won_deals_become_orders_that_sum_to_the_deal_amount(default_frames):
    lines = default_frames.order_lines
    deals = default_frames.opportunities.set_index("opportunity_id")
    with_deal = lines[lines["opportunity_id"].notna()]
    total = with_deal.groupby("opportunity_id")["net_amount"].sum().astype(float)
    amount = deals.loc[total.index, "amount"].astype(float)
    discount = 1 - total / amount
    assert discount.between(0, 0.021).all()
    assert (deals.loc[total.index, "is_won"]).all()
    orders = lines.drop_duplicates("order_id")
    standalone = orders["opportunity_id"].isna().mean()
    assert 0.01 < standalone < 0.06
    skus = with_deal.merge(deals[["product_line"]], left_on="opportunity_id", right_index=True)
    assert (skus["product_sku"].str[:2] == skus["product_line"].map(_sku_prefix)).all()
    assert lines.groupby("order_id").size().max() <= 3


def _sku_prefix(line: str) -> str:
    return {
        "CLOUD": "CL",
        "ANALYTICS": "AN",
        "AI": "AI",
        "SECURITY": "SE",
        "ERP": "ER",
        "LEGACY": "LE",
    }[line]


def test_fx_rates_follow_a_plausible_monthly_random_walk(default_frames):
    rates = default_frames.fx_rates.pivot(
        index="month", columns="currency", values="rate_to_reporting_currency"
    ).astype(float)
    usd, hkd = rates["USD"], rates["HKD"]
    assert usd.between(6.0, 7.6).all()
    assert usd.pct_change().abs().max() < 0.04
    assert usd.pct_change().abs().mean() > 0.002
    assert ((hkd * 7.8 / usd - 1).abs() < 0.01).all()


def test_the_sales_organisation_hires_loses_and_reassigns(default_business, default_frames):
    reps = default_frames.reps
    quota = reps.query("role == 'rep'")
    active = quota["end_date"].isna()
    assert 100 <= active.sum() <= 140
    assert (pd.to_datetime(quota["hire_date"]) >= "2021-01-01").sum() > 40
    assert quota["end_date"].notna().sum() > 40
    assert set(quota["tier"]) == {"A", "B", "C", "D"}
    assert reps["manager_id"].dropna().isin(reps.query("role == 'manager'")["rep_id"]).all()
    opportunities = default_business.deals.opportunities
    reassigned = opportunities["reassigned_at_1"] >= 0
    assert reassigned.sum() > 50
    # Nobody owns an open deal after they left.
    open_now = default_frames.opportunities.query("not is_closed")
    leavers = set(reps.loc[reps["end_date"].notna(), "rep_id"])
    assert not open_now["owner_rep_id"].isin(leavers).any()


def test_partners_are_tiered_and_regional(default_business):
    table = default_business.partners_table(
        np.arange(len(default_business.organisation.partners)), default_business.world.end_minute
    ).to_pandas()
    assert 35 <= len(table) <= 50
    assert set(table["tier"]) == {"gold", "silver", "bronze"}
    assert table["region"].nunique() == 8
