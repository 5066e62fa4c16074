"""The marts agree with the same metrics computed again from the small demo's extract files.

The files are read through the ingestion package's readers and mapping, so the Chinese CRM
export (GBK, Chinese labels) and the Salesforce export are understood as the loader understands
them. Everything after that is written again here in pandas from the definitions in the model
YAML, without the SQL: keeping the latest version of each record extracted before the as-of
month, fx conversion, creation cohorts and their windows, the rate window.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pytest
from dbt_runs import SMALL_DEMO_AS_OF

from ingestion.mapping import map_chunk, source_columns
from ingestion.profiles import discover_profiles
from ingestion.readers import read_chunks
from ingestion.sources import extract_files
from salesplan.entities import ENTITIES
from salesplan.home import SalesplanHome
from salesplan.months import parse_month

AS_OF = pd.Timestamp(SMALL_DEMO_AS_OF)
# The project's defaults (dbt_project.yml): the small demo is built without overriding them.
LEAD_WINDOW_MONTHS = 6
OPPORTUNITY_WINDOW_MONTHS = 9
RATE_WINDOW_MONTHS = 12
SEGMENT = ["region", "product_line", "channel"]
FEN = Decimal("0.01")


def read_entity(home: SalesplanHome, entity: str) -> pd.DataFrame:
    """Every row of every extract file of ``entity``, typed by the ingestion mapping."""
    profiles = discover_profiles(home.profiles)
    frames = []
    for folder in sorted(home.extracts.iterdir()):
        for source in extract_files(home, profiles, folder.name, entity):
            header, chunks = read_chunks(source.path, source.profile, source.display, 500_000)
            provided = source_columns(header, source.profile, source.display)
            month = parse_month(folder.name)
            frames += [
                map_chunk(chunk, source.profile, provided, source.display, month)
                for chunk in chunks
            ]
    return pd.concat(frames, ignore_index=True)


def latest_versions(frame: pd.DataFrame, entity: str) -> pd.DataFrame:
    """Per key, the version of the last file and row of the last extract month before AS_OF."""
    before = frame[frame["_extract_month"] < AS_OF]
    ordered = before.sort_values(["_extract_month", "_source_file", "_source_row"])
    return ordered.drop_duplicates(list(ENTITIES[entity].key), keep="last")


@pytest.fixture(scope="module")
def extracts(small_demo_marts: SalesplanHome) -> dict[str, pd.DataFrame]:
    names = ("leads", "opportunities", "order_lines", "products", "fx_rates")
    return {name: latest_versions(read_entity(small_demo_marts, name), name) for name in names}


def marts(home: SalesplanHome, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(sql).df()


def month_of(values: pd.Series) -> pd.Series:
    return values.dt.to_period("M").dt.to_timestamp()


def plus_months(values: pd.Series, months: int) -> pd.Series:
    return (values.dt.to_period("M") + months).dt.to_timestamp()


def to_fen(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def keyed(frame: pd.DataFrame, columns: Iterable[str], value: str) -> dict[tuple, object]:
    return {tuple(row[column] for column in columns): row[value] for _, row in frame.iterrows()}


# ------------------------------------------------------------------------------ win rate


def test_win_rate_of_every_segment_matches_its_mature_opportunity_cohorts(
    small_demo_marts, extracts
):
    opportunities = extracts["opportunities"].copy()
    created_month = month_of(opportunities["created_at"])
    window_end = plus_months(opportunities["created_at"], OPPORTUNITY_WINDOW_MONTHS)
    used = (window_end <= AS_OF) & (window_end > AS_OF - pd.DateOffset(months=RATE_WINDOW_MONTHS))
    in_window = opportunities["close_date"] < window_end
    opportunities["closed"] = (opportunities["is_closed"] & in_window).astype(int)
    opportunities["won"] = (opportunities["is_won"] & in_window).astype(int)
    assert created_month.notna().all()
    cohorts = opportunities[used].groupby(SEGMENT, as_index=False)[["closed", "won"]].sum()
    cohorts = cohorts[cohorts["closed"] > 0]
    expected = {
        key: won / closed
        for key, won, closed in zip(
            cohorts[SEGMENT].itertuples(index=False, name=None),
            cohorts["won"],
            cohorts["closed"],
            strict=True,
        )
    }

    rates = marts(
        small_demo_marts,
        "select region, product_line, channel, win_rate from marts.fct_funnel_rates"
        " where level = 'segment' and deal_type is null and n_opportunities_closed > 0",
    )
    actual = keyed(rates, SEGMENT, "win_rate")

    assert len(expected) >= 10
    assert actual.keys() == expected.keys()
    for key, rate in expected.items():
        assert actual[key] == pytest.approx(rate, rel=1e-12), key


# ------------------------------------------------------------------- cohort MQL -> SQL rate


def test_cohort_mql_to_sql_conversion_of_every_segment_matches_the_lead_files(
    small_demo_marts, extracts
):
    leads = extracts["leads"].copy()
    leads["channel"] = leads["source_channel"].map(
        lambda source: "partner" if source == "partner" else "direct"
    )
    window_end = plus_months(leads["created_at"], LEAD_WINDOW_MONTHS)
    used = (window_end <= AS_OF) & (window_end > AS_OF - pd.DateOffset(months=RATE_WINDOW_MONTHS))
    leads["mql"] = (leads["mql_at"] < window_end).astype(int)
    leads["sql"] = ((leads["mql_at"] < window_end) & (leads["sql_at"] < window_end)).astype(int)
    cohorts = leads[used].groupby(SEGMENT, as_index=False)[["mql", "sql"]].sum()
    cohorts = cohorts[cohorts["mql"] > 0]
    expected = {
        key: sql / mql
        for key, sql, mql in zip(
            cohorts[SEGMENT].itertuples(index=False, name=None),
            cohorts["sql"],
            cohorts["mql"],
            strict=True,
        )
    }

    rates = marts(
        small_demo_marts,
        "select region, product_line, channel, mql_to_sql_rate from marts.fct_funnel_rates"
        " where level = 'segment' and deal_type is null and n_mqls > 0",
    )
    actual = keyed(rates, SEGMENT, "mql_to_sql_rate")

    assert len(expected) >= 10
    assert actual.keys() == expected.keys()
    for key, rate in expected.items():
        assert actual[key] == pytest.approx(rate, rel=1e-12), key


# --------------------------------------------------------------------------- cycle length


def test_median_cycle_length_of_every_segment_matches_its_won_deals(small_demo_marts, extracts):
    opportunities = extracts["opportunities"]
    close_month = month_of(opportunities["close_date"])
    won = opportunities[
        opportunities["is_won"]
        & (close_month >= AS_OF - pd.DateOffset(months=RATE_WINDOW_MONTHS))
        & (close_month < AS_OF)
    ].copy()
    won["cycle_days"] = (won["close_date"] - won["created_at"].dt.normalize()).dt.days
    medians = won.groupby(SEGMENT)["cycle_days"].median()
    expected = dict(medians.items())

    rates = marts(
        small_demo_marts,
        "select region, product_line, channel, cycle_days_p50 from marts.fct_funnel_rates"
        " where level = 'segment' and deal_type is null and n_cycle_deals > 0",
    )
    actual = keyed(rates, SEGMENT, "cycle_days_p50")

    assert len(expected) >= 10
    assert actual.keys() == expected.keys()
    for key, median in expected.items():
        assert actual[key] == median, key


# ------------------------------------------------------------------------------- bookings


def _rate_lookup(fx_rates: pd.DataFrame) -> dict[tuple[str, pd.Timestamp], Decimal]:
    return {
        (currency, month): Decimal(f"{rate:.6f}")
        for currency, month, rate in zip(
            fx_rates["currency"],
            month_of(fx_rates["month"]),
            fx_rates["rate_to_reporting_currency"],
            strict=True,
        )
    }


def _latest_rate(
    rates: dict[tuple[str, pd.Timestamp], Decimal], currency: str, month: pd.Timestamp
) -> Decimal:
    """The rate of ``month``, else of the latest earlier month with one."""
    earlier = [m for c, m in rates if c == currency and m <= month]
    return rates[(currency, max(earlier))]


def test_monthly_bookings_per_region_and_product_line_match_the_order_files_to_the_fen(
    small_demo_marts, extracts
):
    lines = extracts["order_lines"].merge(
        extracts["products"][["product_sku", "product_line"]], on="product_sku", how="left"
    )
    rates = _rate_lookup(extracts["fx_rates"])
    expected: dict[tuple, Decimal] = {}
    for month, region, product_line, currency, net_amount in zip(
        month_of(lines["order_date"]),
        lines["region"],
        lines["product_line"],
        lines["currency"],
        lines["net_amount"],
        strict=True,
    ):
        amount = to_fen(net_amount)
        if currency != "CNY":
            amount = (amount * _latest_rate(rates, currency, month)).quantize(FEN, ROUND_HALF_UP)
        key = (month.date(), region, product_line)
        expected[key] = expected.get(key, Decimal(0)) + amount

    with duckdb.connect(str(small_demo_marts.warehouse), read_only=True) as connection:
        bookings = connection.execute(
            "select month, region, product_line, sum(bookings_amount)"
            " from marts.fct_bookings_monthly group by all"
        ).fetchall()
    actual = {
        (month, region, product_line): amount for month, region, product_line, amount in bookings
    }

    assert len(expected) >= 100
    assert any(currency != "CNY" for currency in lines["currency"])
    assert actual == expected
