"""Accounts and opportunities: new business, expansions, renewals, stages and reassignments.

New deals come from reps' capacity (tier, ramp-up of new hires, region productivity) in the
month they are opened; their close month is drawn around the segment's cycle length but pulled
towards quarter ends and December, which is where the yearly seasonality of bookings comes from.
Won deals lead to expansions on the same account and, for subscription lines, to a renewal
opportunity ahead of every anniversary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demodata import catalog
from demodata.people import Organisation, company_names, owner_at
from demodata.timeline import (
    EPOCH,
    MINUTES_PER_DAY,
    NULL,
    business_minutes,
    compact,
    day_of,
    month_index,
)
from demodata.world import World
from salesplan.entities import LIFECYCLE_STAGES
from salesplan.spring_festival import slowdown_window

NEW, EXPANSION, RENEWAL = 0, 1, 2
# Stage codes follow salesplan.entities.OPPORTUNITY_STAGES.
PROSPECTING, QUALIFICATION, SOLUTION, PROPOSAL, NEGOTIATION, CLOSED_WON, CLOSED_LOST = range(7)
N_STAGES = 7
MAX_REASSIGNMENTS = 3
# Share of a new deal's cycle after which it enters each open stage.
_STAGE_FRACTIONS = np.array([0.0, 0.12, 0.3, 0.55, 0.8])
# Renewals skip discovery: prospecting, then straight to the quote and the negotiation.
_RENEWAL_STAGES = (PROSPECTING, PROPOSAL, NEGOTIATION)
_RENEWAL_FRACTIONS = np.array([0.0, 0.4, 0.75])
# Where lost new deals stopped (the last open stage they reached).
_LOST_AT = (0.25, 0.3, 0.2, 0.15, 0.1)
_CHUNK = 250_000


@dataclass(frozen=True)
class Deals:
    """Accounts and opportunities with numeric codes (see :func:`simulate_deals`)."""

    accounts: pd.DataFrame
    opportunities: pd.DataFrame


def line_stage(month: np.ndarray) -> np.ndarray:
    """Return ``(len(month), 6)`` lifecycle stage codes of each product line in each month."""
    month = np.asarray(month)
    result = np.zeros((month.size, len(catalog.PRODUCT_LINES)), dtype=np.int64)
    for line_index, line in enumerate(catalog.PRODUCT_LINES):
        for first, stage in catalog.LINE_LIFECYCLE[line]:
            code = LIFECYCLE_STAGES.index(stage)
            result[month >= month_index(first), line_index] = code
    return result


def line_mix(month: np.ndarray) -> np.ndarray:
    """Return ``(len(month), 6)`` demand weights of the product lines in each month.

    CLOUD grows ~25% a year, ANALYTICS grows until mid 2023 and then matures, AI ramps up from
    its March 2024 launch, SECURITY and ERP are mature and LEGACY shrinks ~28% a year from its
    decline in July 2022.
    """
    month = np.asarray(month, dtype=np.float64)
    years = (month - month_index("2021-01")) / 12
    mix = np.array([catalog.PRODUCT_LINE_MIX[line] for line in catalog.PRODUCT_LINES])
    trend = np.empty((month.size, 6))
    trend[:, 0] = 1.25**years
    analytics_peak = (month_index("2023-07") - month_index("2021-01")) / 12
    trend[:, 1] = 1.2 ** np.minimum(years, analytics_peak) * 1.02 ** np.maximum(
        years - analytics_peak, 0
    )
    since_launch = month - month_index(catalog.AI_LAUNCH)
    ai_intro = 0.25 + 0.75 * np.clip(since_launch / 10, 0, 1)
    ai_growth = 1.6 ** np.maximum((month - month_index("2025-01")) / 12, 0)
    trend[:, 2] = np.where(since_launch >= 0, ai_intro * ai_growth * 2.0, 0.0)
    trend[:, 3] = 1.05**years
    trend[:, 4] = 1.02**years
    trend[:, 5] = 0.72 ** np.maximum((month - month_index("2022-07")) / 12, 0)
    return mix * trend


def _pick(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one column index per row of ``weights`` (rows need not be normalised)."""
    cumulative = np.cumsum(weights, axis=1)
    target = rng.random(weights.shape[0]) * cumulative[:, -1]
    return (cumulative <= target[:, None]).sum(axis=1).clip(0, weights.shape[1] - 1)


def month_weights(world: World) -> np.ndarray:
    """Return ``(2, n_months)`` business-day weight of each month, relative to the average."""
    calendar = world.calendar
    n_months = calendar.month_starts.size - 1
    weights = np.array(
        [
            [calendar.month_weight(name, month) for month in range(n_months)]
            for name in ("china", "international")
        ]
    )
    return weights / weights[:, world.first_month : world.last_month + 1].mean(axis=1)[:, None]


def sample_close_days(
    world: World,
    created_day: np.ndarray,
    cycle_days: np.ndarray,
    calendar_code: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw close days around ``created_day + cycle_days``, pulled to quarter ends and December.

    The close month is drawn with weight ``kernel(distance to the target) * CLOSE_SEASON *
    business days``: sales teams push deals into the quarter's and above all the year's last
    month, and few close during the Spring Festival. The day inside the month favours its end.
    """
    calendar = world.calendar
    weights_by_month = month_weights(world)
    season = np.array(catalog.CLOSE_SEASON)
    last_month = calendar.month_starts.size - 2
    result = np.empty(created_day.size, dtype=np.int64)
    for start in range(0, created_day.size, _CHUNK):
        rows = slice(start, start + _CHUNK)
        earliest = created_day[rows] + 7
        first_month = calendar.month_of_day[np.minimum(earliest, calendar.n_days - 1)]
        months = np.minimum(first_month[:, None] + np.arange(30), last_month)
        middle = calendar.month_starts[months] + 15
        target = created_day[rows] + cycle_days[rows]
        width = 0.3 * cycle_days[rows] + 12
        kernel = np.exp(-0.5 * ((middle - target[:, None]) / width[:, None]) ** 2)
        weight = (
            kernel * season[months % 12] * weights_by_month[calendar_code[rows][:, None], months]
        )
        chosen = months[np.arange(months.shape[0]), _pick(weight + 1e-12, rng)]
        low = np.maximum(calendar.month_starts[chosen], earliest)
        high = calendar.month_starts[chosen + 1] - 1
        result[rows] = calendar.sample_days(
            calendar_code[rows], low, high, rng, month_end_skew=True
        )
    return result


def simulate_deals(world: World, organisation: Organisation) -> Deals:
    """Simulate accounts and every opportunity of the history (and a few months beyond it).

    Returns:
        ``accounts`` (``region``, ``segment``, ``industry``, ``currency``, ``created``,
        ``name``) and ``opportunities`` sorted by creation, with ``deal_type``, ``region``,
        ``account``, ``segment``, ``product_line``, ``channel``, ``partner``, ``owner``,
        ``created``/``close`` minutes, ``won``, ``amount`` (in the account's currency),
        ``currency``, ``lead_sourced``, ``parent``, ``expected_close_day``, the minute each
        stage was entered (``stage_0`` .. ``stage_6``, ``NULL`` if never) and up to three
        owner reassignments (``reassigned_at_k``, ``owner_k``).
    """
    rng = world.rng("deals")
    new = _new_business(world, organisation, rng)
    accounts = _accounts_for(world, new, rng)
    new["account"] = np.arange(len(new))
    expansions = _expansions(world, organisation, new, rng)
    first_round = pd.concat([new, expansions], ignore_index=True)
    renewals = _renewals(world, organisation, first_round, rng)
    opportunities = pd.concat([first_round, renewals], ignore_index=True)
    opportunities = _finish(world, organisation, opportunities, accounts, rng)
    return Deals(accounts=accounts, opportunities=opportunities)


def _new_business(
    world: World, organisation: Organisation, rng: np.random.Generator
) -> pd.DataFrame:
    reps = organisation.reps
    calendar = world.calendar
    quota = np.flatnonzero(~reps["is_manager"].to_numpy())
    months = np.arange(world.burn_in_month, world.horizon_month + 1)
    rep_grid, month_grid = np.meshgrid(quota, months, indexing="ij")
    rep_grid, month_grid = rep_grid.ravel(), month_grid.ravel()
    hire = reps["hire_day"].to_numpy()[rep_grid]
    end = reps["end_day"].to_numpy()[rep_grid]
    end = np.where(end == NULL, np.iinfo(np.int64).max // 4, end)
    month_start = calendar.month_starts[month_grid]
    month_last = calendar.month_starts[month_grid + 1] - 1
    first = np.maximum(hire, month_start)
    last = np.minimum(end, month_last)
    active_share = np.clip(last - first + 1, 0, None) / (month_last - month_start + 1)
    tenure = month_grid - calendar.month_of_day[np.maximum(hire, 0)]
    ramp = np.clip((tenure + 1) / catalog.RAMP_MONTHS, 0, 1)
    tier = reps["tier"].to_numpy()[rep_grid]
    tier_productivity = np.array([catalog.REP_TIER_PRODUCTIVITY[t] for t in catalog.REP_TIERS])
    region = reps["region"].to_numpy()[rep_grid]
    growth = np.array([r.growth for r in world.regions])[region]
    productivity = (1 + growth) ** (0.4 * (month_grid - world.first_month) / 12)
    calendar_code = world.region_calendar[region]
    season = np.array(catalog.CREATE_SEASON)[month_grid % 12]
    business_days = month_weights(world)[calendar_code, month_grid]
    rate = (
        catalog.NEW_OPPORTUNITIES_PER_REP_MONTH
        * world.size.volume
        * tier_productivity[tier]
        * ramp
        * productivity
        * season
        * business_days
        * active_share
    )
    counts = rng.poisson(rate)
    cell = np.repeat(np.arange(rep_grid.size), counts)
    n = cell.size
    owner = rep_grid[cell]
    region = region[cell]
    calendar_code = world.region_calendar[region]
    created_day = calendar.sample_days(calendar_code, first[cell], last[cell], rng)
    month = calendar.month_of_day[created_day]
    product_line = _pick(line_mix(month), rng)
    segment = rng.choice(3, n, p=catalog.SEGMENT_MIX)
    international = np.array([r.international for r in world.regions])[region]
    partner_share = np.where(
        international, catalog.PARTNER_SHARE["international"], catalog.PARTNER_SHARE["china"]
    )
    partner = _pick_partners(organisation, region, created_day, rng)
    partner = np.where(rng.random(n) < partner_share, partner, -1)
    frame = pd.DataFrame(
        {
            "deal_type": NEW,
            "region": region,
            "segment": segment,
            "product_line": product_line,
            "channel": (partner >= 0).astype(np.int64),
            "partner": partner,
            "owner": owner,
            "created_day": created_day,
            "lead_sourced": rng.random(n) < catalog.LEAD_SOURCED_SHARE,
            "parent": -1,
        }
    )
    frame["currency"] = np.where(
        international, np.where(rng.random(n) < catalog.HKD_SHARE, 2, 1), 0
    )
    return _economics(world, organisation, frame, rng)


def _pick_partners(
    organisation: Organisation, region: np.ndarray, day: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Pick a partner of the region already signed on ``day`` (gold ones more often)."""
    partners = organisation.partners
    result = np.full(region.size, -1)
    weights = np.array([catalog.PARTNER_TIER_WEIGHT[t] for t in catalog.PARTNER_TIERS])
    for region_index in np.unique(region):
        rows = np.flatnonzero(region == region_index)
        own = partners.index[partners["region"] == region_index].to_numpy()
        own = own[np.argsort(partners["join_day"].to_numpy()[own], kind="stable")]
        joined = partners["join_day"].to_numpy()[own]
        cumulative = np.cumsum(weights[partners["tier"].to_numpy()[own]])
        available = np.searchsorted(joined, day[rows], side="right")
        has = available > 0
        target = rng.random(rows.size) * cumulative[np.maximum(available - 1, 0)]
        picked = np.minimum(np.searchsorted(cumulative, target, side="right"), available - 1)
        result[rows[has]] = own[picked[has]]
    return result


def _economics(
    world: World, organisation: Organisation, frame: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Add win/loss, amount (CNY), cycle and close day to new or expansion deals."""
    n = len(frame)
    segment = frame["segment"].to_numpy()
    economics = [catalog.SEGMENT_ECONOMICS[s] for s in catalog.SEGMENTS]
    size = np.array([e.deal_size for e in economics])[segment]
    cycle = np.array([e.cycle_days for e in economics])[segment]
    win = np.array([e.win_rate for e in economics])[segment]
    line = frame["product_line"].to_numpy()
    partner = frame["channel"].to_numpy() == 1
    month = world.calendar.month_of_day[frame["created_day"].to_numpy()]
    stage = line_stage(month)[np.arange(n), line]
    life_factor = np.array([catalog.LIFECYCLE_WIN_FACTOR[s] for s in LIFECYCLE_STAGES])
    tier = organisation.reps["tier"].to_numpy()[frame["owner"].to_numpy()]
    tier_factor = np.array([catalog.REP_TIER_WIN_FACTOR[t] for t in catalog.REP_TIERS])
    expansion = frame["deal_type"].to_numpy() == EXPANSION
    win = np.where(expansion, catalog.EXPANSION_WIN_RATE, win)
    probability = win * life_factor[stage] * tier_factor[tier] + partner * catalog.PARTNER_WIN_BONUS
    won = rng.random(n) < np.clip(probability, 0.02, 0.95)
    line_size = np.array([catalog.PRODUCT_LINE_DEAL_SIZE[p] for p in catalog.PRODUCT_LINES])
    international = frame["currency"].to_numpy() > 0
    amount = (
        size
        * line_size[line]
        * np.where(partner, catalog.PARTNER_DEAL_SIZE, 1.0)
        * np.where(international, catalog.INTERNATIONAL_DEAL_SIZE, 1.0)
        * np.where(expansion, catalog.EXPANSION_DEAL_SIZE, 1.0)
        * rng.lognormal(0.0, catalog.DEAL_SIZE_SIGMA, n)
    )
    cycle_days = (
        cycle
        * np.where(partner, catalog.PARTNER_CYCLE, 1.0)
        * np.where(expansion, catalog.EXPANSION_CYCLE, 1.0)
        * np.where(won, 1.0, 0.8)
        * rng.lognormal(0.0, catalog.CYCLE_SIGMA, n)
    )
    calendar_code = world.region_calendar[frame["region"].to_numpy()]
    created_day = frame["created_day"].to_numpy()
    frame["won"] = won
    frame["amount_cny"] = np.maximum(np.round(amount, -2), 1000.0)
    frame["close_day"] = sample_close_days(world, created_day, cycle_days, calendar_code, rng)
    frame["expected_close_day"] = created_day + np.round(cycle).astype(np.int64)
    return frame


def _accounts_for(world: World, new: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One account per new deal: the prospect the deal was opened for."""
    n = len(new)
    region = new["region"].to_numpy()
    international = np.array([r.international for r in world.regions])[region]
    names = np.empty(n, dtype=object)
    names[~international] = company_names(rng, int((~international).sum()), False, "有限公司")
    names[international] = company_names(rng, int(international.sum()), True, "Ltd")
    return pd.DataFrame(
        {
            "region": region,
            "segment": new["segment"].to_numpy(),
            "industry": rng.choice(len(catalog.INDUSTRIES), n, p=catalog.INDUSTRY_MIX),
            "currency": new["currency"].to_numpy(),
            "created_day": new["created_day"].to_numpy(),
            "name": names,
        }
    )


def _expansions(
    world: World, organisation: Organisation, new: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Expansion deals on accounts that bought: 3-18 months after the first win."""
    segment = new["segment"].to_numpy()
    probability = np.array(
        [catalog.SEGMENT_ECONOMICS[s].expansion_probability for s in catalog.SEGMENTS]
    )[segment]
    horizon_day = world.calendar.month_starts[world.horizon_month + 1] - 1
    chosen = new["won"].to_numpy() & (rng.random(len(new)) < probability)
    parents = new[chosen]
    around = parents["close_day"].to_numpy() + rng.integers(90, 540, len(parents))
    keep = around <= horizon_day
    parents, around = parents[keep], around[keep]
    region = parents["region"].to_numpy()
    calendar_code = world.region_calendar[region]
    created_day = world.calendar.sample_days(calendar_code, around - 10, around + 10, rng)
    n = len(parents)
    month = world.calendar.month_of_day[created_day]
    cross_sell = _pick(line_mix(month), rng)
    same_line = rng.random(n) < 0.5
    owner = owner_at(organisation.reps, parents["owner"].to_numpy(), created_day)
    frame = pd.DataFrame(
        {
            "deal_type": EXPANSION,
            "region": region,
            "segment": parents["segment"].to_numpy(),
            "product_line": np.where(same_line, parents["product_line"].to_numpy(), cross_sell),
            "channel": parents["channel"].to_numpy(),
            "partner": parents["partner"].to_numpy(),
            "owner": owner,
            "created_day": created_day,
            "lead_sourced": False,
            "parent": parents.index.to_numpy(),
            "currency": parents["currency"].to_numpy(),
            "account": parents["account"].to_numpy(),
        }
    )
    return _economics(world, organisation, frame, rng)


def _renewals(
    world: World, organisation: Organisation, deals: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Renewal opportunities for every won subscription deal, year after year.

    A renewal is opened 45-100 days before the anniversary of the previous close, closes
    within about a week of it, carries a 0-10% uplift and is won 80-93% of the time
    (by segment); a lost renewal is churn and ends the chain.
    """
    subscription = np.array([line in catalog.SUBSCRIPTION_LINES for line in catalog.PRODUCT_LINES])
    renewal_win = np.array(
        [catalog.SEGMENT_ECONOMICS[s].renewal_win_rate for s in catalog.SEGMENTS]
    )
    horizon_day = world.calendar.month_starts[world.horizon_month + 1] - 1
    offset = len(deals)
    frames = []
    previous = deals
    while True:
        eligible = previous["won"].to_numpy() & subscription[previous["product_line"].to_numpy()]
        parents = previous[eligible]
        anniversary = parents["close_day"].to_numpy() + 365
        lead_time = rng.integers(45, 100, len(parents))
        keep = anniversary - lead_time <= horizon_day
        parents, anniversary, lead_time = parents[keep], anniversary[keep], lead_time[keep]
        n = len(parents)
        if n == 0:
            break
        region = parents["region"].to_numpy()
        calendar_code = world.region_calendar[region]
        created_day = world.calendar.sample_days(
            calendar_code, anniversary - lead_time - 3, anniversary - lead_time + 3, rng
        )
        close_day = anniversary + np.round(rng.normal(0, 8, n)).astype(np.int64)
        close_day = np.maximum(
            _around_spring_festival(world, close_day, region, rng), created_day + 14
        )
        segment = parents["segment"].to_numpy()
        frame = pd.DataFrame(
            {
                "deal_type": RENEWAL,
                "region": region,
                "segment": segment,
                "product_line": parents["product_line"].to_numpy(),
                "channel": parents["channel"].to_numpy(),
                "partner": parents["partner"].to_numpy(),
                "owner": owner_at(organisation.reps, parents["owner"].to_numpy(), created_day),
                "created_day": created_day,
                "lead_sourced": False,
                "parent": parents.index.to_numpy(),
                "currency": parents["currency"].to_numpy(),
                "account": parents["account"].to_numpy(),
                "won": rng.random(n) < renewal_win[segment],
                "amount_cny": np.round(
                    parents["amount_cny"].to_numpy() * rng.uniform(1.0, 1.1, n), -2
                ),
                "close_day": close_day,
                "expected_close_day": anniversary,
            },
            index=np.arange(offset, offset + n),
        )
        offset += n
        frames.append(frame)
        previous = frame
    if not frames:
        return deals.iloc[:0]
    return pd.concat(frames)


def _around_spring_festival(
    world: World, day: np.ndarray, region: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Move China renewals due in the Spring Festival slowdown to just before or after it.

    Customers sign before leaving for the holiday or once they are back; that is how the
    holiday moves renewal bookings between January and February.
    """
    china = ~np.array([r.international for r in world.regions])[region]
    day = day.copy()
    for year in range(EPOCH.year, world.calendar.last.year + 1):
        slow_start, slow_end = (day_of(d) for d in slowdown_window(year))
        inside = china & (day >= slow_start) & (day <= slow_end)
        before = slow_start - rng.integers(1, 10, day.size)
        after = slow_end + rng.integers(1, 15, day.size)
        day = np.where(inside, np.where(rng.random(day.size) < 0.5, before, after), day)
    return day


def _finish(
    world: World,
    organisation: Organisation,
    opportunities: pd.DataFrame,
    accounts: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Add minutes, local amounts, stages and reassignments; sort by creation."""
    n = len(opportunities)
    created = opportunities["created_day"].to_numpy() * MINUTES_PER_DAY + business_minutes(n, rng)
    close = opportunities["close_day"].to_numpy() * MINUTES_PER_DAY + business_minutes(n, rng)
    opportunities["created"] = created
    opportunities["close"] = np.maximum(close, created + MINUTES_PER_DAY)
    # Contracts are priced in the account's currency at the rate of the month they are opened.
    currency = opportunities["currency"].to_numpy()
    month = world.calendar.month_of_day[opportunities["created_day"].to_numpy()]
    rate = world.fx[currency, month]
    local = opportunities["amount_cny"].to_numpy() / rate
    opportunities["amount"] = np.where(currency == 0, local, np.maximum(np.round(local, -1), 100.0))
    order = np.lexsort((rng.random(n), created))
    opportunities = opportunities.iloc[order]
    remap = np.empty(n, dtype=np.int64)
    remap[opportunities.index.to_numpy()] = np.arange(n)
    parent = opportunities["parent"].to_numpy()
    opportunities = opportunities.reset_index(drop=True)
    opportunities["parent"] = np.where(parent >= 0, remap[np.maximum(parent, 0)], -1)
    _add_stages(opportunities, rng)
    _add_reassignments(opportunities, organisation)
    # When the rep's estimated close date passes without a close, the rep moves it to the
    # real close date that evening: a change, so the opportunity is extracted again.
    expected = opportunities["expected_close_day"].to_numpy()
    slipped = expected < opportunities["close"].to_numpy() // MINUTES_PER_DAY
    moved = expected * MINUTES_PER_DAY + 18 * 60
    opportunities["close_date_moved_at"] = np.where(
        slipped & (moved > opportunities["created"].to_numpy()), moved, NULL
    )
    compact(opportunities)
    accounts["created"] = (
        opportunities.groupby("account")["created"]
        .min()
        .reindex(np.arange(len(accounts)))
        .to_numpy()
    )
    return opportunities


def _add_stages(opportunities: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(opportunities)
    created = opportunities["created"].to_numpy()
    duration = opportunities["close"].to_numpy() - created
    won = opportunities["won"].to_numpy()
    renewal = opportunities["deal_type"].to_numpy() == RENEWAL
    fractions = np.tile(_STAGE_FRACTIONS, (n, 1)) + rng.normal(0, 0.03, (n, 5)) * [0, 1, 1, 1, 1]
    fractions = np.maximum.accumulate(np.clip(fractions, 0, 0.95), axis=1)
    lost_at = rng.choice(5, n, p=_LOST_AT)
    renewal_lost_at = np.array(_RENEWAL_STAGES)[rng.choice(3, n, p=(0.3, 0.4, 0.3))]
    reached = np.where(won, NEGOTIATION, np.where(renewal, renewal_lost_at, lost_at))
    renewal_fractions = np.full((n, 5), np.nan)
    renewal_fractions[:, list(_RENEWAL_STAGES)] = _RENEWAL_FRACTIONS
    fractions = np.where(renewal[:, None], renewal_fractions, fractions)
    # Lost deals die before their nominal close: compress their stages into 90% of the cycle.
    fractions = np.where(won[:, None], fractions, fractions * 0.9)
    entered = created[:, None] + np.round(np.nan_to_num(fractions, nan=0) * duration[:, None])
    entered = entered.astype(np.int64) + np.arange(5)  # strictly increasing minutes
    entered = np.where(np.isnan(fractions) | (np.arange(5) > reached[:, None]), NULL, entered)
    for stage in range(5):
        opportunities[f"stage_{stage}"] = entered[:, stage]
    opportunities[f"stage_{CLOSED_WON}"] = np.where(won, opportunities["close"], NULL)
    opportunities[f"stage_{CLOSED_LOST}"] = np.where(won, NULL, opportunities["close"])


def _add_reassignments(opportunities: pd.DataFrame, organisation: Organisation) -> None:
    """When an owner leaves, their open opportunities move to their successor that evening."""
    reps = organisation.reps
    end_day = reps["end_day"].to_numpy()
    successor = reps["successor"].to_numpy()
    owner = opportunities["owner"].to_numpy()
    created = opportunities["created"].to_numpy()
    close = opportunities["close"].to_numpy()
    for k in range(1, MAX_REASSIGNMENTS + 1):
        leaves = end_day[owner]
        moment = leaves * MINUTES_PER_DAY + 18 * 60
        moves = (leaves != NULL) & (moment > created) & (moment < close)
        opportunities[f"reassigned_at_{k}"] = np.where(moves, moment, NULL)
        owner = np.where(moves, successor[owner], owner)
        opportunities[f"owner_{k}"] = np.where(moves, owner, -1)


def owner_at_minute(
    opportunities: pd.DataFrame, rows: np.ndarray, minute: np.ndarray
) -> np.ndarray:
    """Return the owner (rep row) of opportunity ``rows`` at ``minute``."""
    owner = opportunities["owner"].to_numpy()[rows].copy()
    for k in range(1, MAX_REASSIGNMENTS + 1):
        moment = opportunities[f"reassigned_at_{k}"].to_numpy()[rows]
        moved = (moment != NULL) & (moment <= minute)
        owner = np.where(moved, opportunities[f"owner_{k}"].to_numpy()[rows], owner)
    return owner
