"""Leads: lead -> MQL -> SQL -> opportunity, with disqualifications and nurturing.

Every lead-sourced new deal gets the lead it came from, dated backwards from the deal's
creation by realistic stage lags; around them, non-converting leads are created in proportion
(about 1 in 11 leads converts), reach MQL and SQL less often and are mostly disqualified.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demodata import catalog
from demodata.deals import NEW, Deals, line_mix, month_weights
from demodata.people import Organisation
from demodata.timeline import MINUTES_PER_DAY, NULL, business_minutes, compact
from demodata.world import World

# A lead that is neither converted nor disqualified is worked for about three months.
NURTURE_DAYS = 90


def simulate_leads(world: World, organisation: Organisation, deals: Deals) -> pd.DataFrame:
    """Simulate every lead, sorted by creation.

    Returns:
        Columns ``region``, ``product_line``, ``source`` (index into
        ``catalog.LEAD_SOURCES``), ``owner`` (rep row), ``created``, ``mql``, ``sql``,
        ``disqualified``, ``converted`` (minutes, ``NULL`` if never),
        ``converted_opportunity`` (opportunity row or -1) and ``worked_until`` (the minute
        activities on the lead stop).
    """
    rng = world.rng("leads")
    converting = compact(_converting_leads(world, organisation, deals, rng))
    other = compact(_other_leads(world, organisation, converting, rng))
    leads = pd.concat([converting, other], ignore_index=True)
    del converting, other
    order = np.lexsort((rng.random(len(leads)), leads["created"].to_numpy()))
    leads = leads.take(order).reset_index(drop=True)
    end = np.where(
        leads["converted"] != NULL,
        leads["converted"],
        np.where(
            leads["disqualified"] != NULL,
            leads["disqualified"],
            leads["created"] + NURTURE_DAYS * MINUTES_PER_DAY,
        ),
    )
    leads["worked_until"] = end.astype(np.int32)
    return compact(leads)


def _lag_days(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    return np.floor(rng.exponential(mean, n)).astype(np.int64)


def _converting_leads(
    world: World, organisation: Organisation, deals: Deals, rng: np.random.Generator
) -> pd.DataFrame:
    opportunities = deals.opportunities
    rows = np.flatnonzero(
        opportunities["lead_sourced"].to_numpy() & (opportunities["deal_type"].to_numpy() == NEW)
    )
    n = rows.size
    converted = opportunities["created"].to_numpy()[rows]
    converted_day = converted // MINUTES_PER_DAY
    sql_day = converted_day - _lag_days(rng, 4.0, n)
    mql_day = sql_day - _lag_days(rng, 7.0, n)
    created_day = mql_day - np.where(rng.random(n) < 0.25, 0, _lag_days(rng, 3.0, n) + 1)
    sql = sql_day * MINUTES_PER_DAY + business_minutes(n, rng)
    mql = mql_day * MINUTES_PER_DAY + business_minutes(n, rng)
    created = created_day * MINUTES_PER_DAY + business_minutes(n, rng)
    # Keep the order lead < MQL < SQL < opportunity even when steps fall on the same day.
    sql = np.minimum(sql, converted - 10)
    mql = np.minimum(mql, sql - 10)
    created = np.minimum(created, mql - 10)
    # Deals opened in the first weeks of the history were rep-sourced: no lead before 2021.
    history_start = world.calendar.month_starts[world.first_month] * MINUTES_PER_DAY
    keep = created >= history_start
    rows, created, mql, sql, converted = (
        rows[keep],
        created[keep],
        mql[keep],
        sql[keep],
        converted[keep],
    )
    n = rows.size

    partner = opportunities["channel"].to_numpy()[rows] == 1
    direct_sources = [s for s in catalog.LEAD_SOURCES if s != "partner"]
    international = np.array([r.international for r in world.regions])
    region = opportunities["region"].to_numpy()[rows]
    source = np.empty(n, dtype=np.int64)
    for is_international, mix_name in ((False, "china"), (True, "international")):
        mix = np.array(catalog.LEAD_SOURCE_MIX[mix_name]) * catalog.LEAD_SOURCE_CONVERSION
        weights = np.array([mix[catalog.LEAD_SOURCES.index(s)] for s in direct_sources])
        these = international[region] == is_international
        drawn = rng.choice(len(direct_sources), int(these.sum()), p=weights / weights.sum())
        source[these] = [catalog.LEAD_SOURCES.index(direct_sources[i]) for i in drawn]
    partner_source = np.where(
        rng.random(n) < 0.85,
        catalog.LEAD_SOURCES.index("partner"),
        catalog.LEAD_SOURCES.index("referral"),
    )
    source = np.where(partner, partner_source, source)

    reps = organisation.reps
    owner = opportunities["owner"].to_numpy()[rows]
    not_yet_hired = reps["hire_day"].to_numpy()[owner] * MINUTES_PER_DAY > created
    owner = np.where(not_yet_hired, reps["manager"].to_numpy()[owner], owner)
    return pd.DataFrame(
        {
            "region": region,
            "product_line": opportunities["product_line"].to_numpy()[rows],
            "source": source,
            "owner": owner,
            "created": created,
            "mql": mql,
            "sql": sql,
            "disqualified": NULL,
            "converted": converted,
            "converted_opportunity": rows,
        }
    )


def _other_leads(
    world: World, organisation: Organisation, converting: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    calendar = world.calendar
    month = calendar.month_of_day[converting["created"].to_numpy() // MINUTES_PER_DAY]
    n_regions = len(world.regions)
    months = np.arange(world.first_month, world.last_month + 1)
    counts = np.zeros((n_regions, months.size), dtype=np.int64)
    in_range = (month >= months[0]) & (month <= months[-1])
    np.add.at(counts, (converting["region"].to_numpy()[in_range], month[in_range] - months[0]), 1)
    # Marketing volume follows the deal flow, smoothed over five months (the realised
    # conversions of one region-month are too few to scale from), then this month's business
    # days: that is where the Spring Festival dip of the leads comes from.
    business_days = month_weights(world)[world.region_calendar][:, months]
    deseasoned = counts / business_days
    kernel = np.ones(5) / 5
    padded = np.pad(deseasoned, ((0, 0), (2, 2)), mode="edge")
    smooth = np.array([np.convolve(row, kernel, mode="valid") for row in padded])
    expected = smooth * business_days * (1 / catalog.LEAD_CONVERSION - 1)
    new_counts = rng.poisson(expected)
    region = np.repeat(np.repeat(np.arange(n_regions), months.size), new_counts.ravel())
    month = np.repeat(np.tile(months, n_regions), new_counts.ravel())
    n = region.size
    calendar_code = world.region_calendar[region]
    created_day = calendar.sample_days(
        calendar_code, calendar.month_starts[month], calendar.month_starts[month + 1] - 1, rng
    )
    created = created_day * MINUTES_PER_DAY + business_minutes(n, rng)

    international = np.array([r.international for r in world.regions])[region]
    source = np.empty(n, dtype=np.int64)
    for is_international, mix_name in ((False, "china"), (True, "international")):
        mix = np.array(catalog.LEAD_SOURCE_MIX[mix_name])
        weights = mix * (1 - catalog.LEAD_CONVERSION * np.array(catalog.LEAD_SOURCE_CONVERSION))
        these = international == is_international
        source[these] = rng.choice(len(mix), int(these.sum()), p=weights / weights.sum())

    is_mql = rng.random(n) < catalog.NONCONVERTING_MQL
    is_sql = is_mql & (rng.random(n) < catalog.NONCONVERTING_SQL)
    mql = created + (_lag_days(rng, 3.0, n) * MINUTES_PER_DAY + rng.integers(30, 600, n))
    sql = mql + (_lag_days(rng, 6.0, n) * MINUTES_PER_DAY + rng.integers(30, 600, n))
    disqualify_after = np.where(
        is_sql,
        rng.integers(5, 60, n),
        np.where(is_mql, rng.integers(3, 45, n), rng.integers(2, 90, n)),
    )
    disqualify_chance = np.where(is_sql, 0.8, np.where(is_mql, 0.7, 0.6))
    last_step = np.where(is_sql, sql, np.where(is_mql, mql, created))
    disqualified = np.where(
        rng.random(n) < disqualify_chance,
        last_step + disqualify_after * MINUTES_PER_DAY + rng.integers(0, 300, n),
        NULL,
    )
    return pd.DataFrame(
        {
            "region": region,
            "product_line": _pick_line(line_mix(month), rng),
            "source": source,
            "owner": _owners(world, organisation, region, month, created_day, rng),
            "created": created,
            "mql": np.where(is_mql, mql, NULL),
            "sql": np.where(is_sql, sql, NULL),
            "disqualified": disqualified,
            "converted": NULL,
            "converted_opportunity": -1,
        }
    )


def _pick_line(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cumulative = np.cumsum(weights, axis=1)
    target = rng.random(weights.shape[0]) * cumulative[:, -1]
    return (cumulative <= target[:, None]).sum(axis=1).clip(0, weights.shape[1] - 1)


def _owners(
    world: World,
    organisation: Organisation,
    region: np.ndarray,
    month: np.ndarray,
    day: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Give each lead a rep of its region employed on its creation day (else the manager)."""
    reps = organisation.reps
    hire = reps["hire_day"].to_numpy()
    end = reps["end_day"].to_numpy()
    end = np.where(end == NULL, np.iinfo(np.int64).max // 4, end)
    rep_region = reps["region"].to_numpy()
    quota = ~reps["is_manager"].to_numpy()
    owner = np.empty(region.size, dtype=np.int64)
    key = region.astype(np.int64) * 10_000 + month
    order = np.argsort(key, kind="stable")
    boundaries = np.flatnonzero(np.diff(key[order])) + 1
    for group in np.split(order, boundaries):
        if group.size == 0:
            continue
        first_day = world.calendar.month_starts[month[group[0]]]
        last_day = world.calendar.month_starts[month[group[0]] + 1] - 1
        in_region = quota & (rep_region == region[group[0]])
        candidates = np.flatnonzero(in_region & (hire <= last_day) & (end >= first_day))
        if candidates.size == 0:
            candidates = np.flatnonzero((rep_region == region[group[0]]) & ~quota)
        picked = candidates[rng.integers(0, candidates.size, group.size)]
        # A rep hired or leaving mid-month only gets the leads of the days they are there.
        absent = quota[picked] & ((hire[picked] > day[group]) | (end[picked] < day[group]))
        picked[absent] = reps["manager"].to_numpy()[picked[absent]]
        owner[group] = picked
    return owner
