"""Sales activities, generated month by month from the open pipeline and the worked leads.

Activities are the largest entity (about 20 per opportunity), so they are never held for the
whole history: :func:`activities_in_month` builds one month at a time for the writer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from demodata import catalog
from demodata.deals import RENEWAL, owner_at_minute
from demodata.people import owner_at
from demodata.timeline import MINUTES_PER_DAY, business_minutes
from demodata.world import World

_DAYS_PER_MONTH = 30.4


def activities_in_month(
    world: World,
    reps: pd.DataFrame,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame,
    month: int,
) -> pd.DataFrame:
    """Return the activities that occurred in month number ``month``, sorted by time.

    Every opportunity open during the month gets a Poisson number of activities in proportion
    to the days it was open (enterprise deals get more, and more visits and meetings);
    renewals get few. Every lead being worked gets calls and emails the same way, by its
    owner or, once the owner has left, by the colleague who took over their book.

    Returns:
        Columns ``rep`` (rep row), ``activity_type`` (index into ``catalog.ACTIVITY_TYPES``),
        ``occurred`` (minute), ``lead`` and ``opportunity`` (rows, -1 when not linked).
    """
    rng = world.rng(f"activities-{month}")
    calendar = world.calendar
    first_minute = calendar.month_starts[month] * MINUTES_PER_DAY
    last_minute = calendar.month_starts[month + 1] * MINUTES_PER_DAY - 1
    end = min(last_minute, world.end_minute)

    created = opportunities["created"].to_numpy()
    close = opportunities["close"].to_numpy()
    open_rows = np.flatnonzero((created <= end) & (close >= first_minute))
    segment = opportunities["segment"].to_numpy()[open_rows]
    renewal = opportunities["deal_type"].to_numpy()[open_rows] == RENEWAL
    rate = np.array([catalog.SEGMENT_ECONOMICS[s].activities_per_month for s in catalog.SEGMENTS])[
        segment
    ]
    rate = np.where(renewal, catalog.ACTIVITIES_PER_RENEWAL_MONTH, rate)
    opportunity_frame = _spread(
        world,
        rng,
        rows=open_rows,
        start=np.maximum(created[open_rows], first_minute),
        stop=np.minimum(close[open_rows], end),
        rate=rate,
        region=opportunities["region"].to_numpy()[open_rows],
    )
    types = np.empty(len(opportunity_frame), dtype=np.int64)
    row_segment = opportunities["segment"].to_numpy()[opportunity_frame["row"].to_numpy()]
    for segment_index, name in enumerate(catalog.SEGMENTS):
        these = row_segment == segment_index
        mix = catalog.ACTIVITY_MIX_OPPORTUNITY[name]
        types[these] = rng.choice(len(mix), int(these.sum()), p=mix)
    opportunity_frame["activity_type"] = types
    opportunity_frame["rep"] = owner_at_minute(
        opportunities, opportunity_frame["row"].to_numpy(), opportunity_frame["occurred"].to_numpy()
    )
    opportunity_frame["opportunity"] = opportunity_frame["row"]
    opportunity_frame["lead"] = -1

    lead_created = leads["created"].to_numpy()
    # Leads are sorted by creation: only the last ~year can still be worked this month.
    low = np.searchsorted(lead_created, first_minute - 400 * MINUTES_PER_DAY)
    high = np.searchsorted(lead_created, end, side="right")
    candidates = np.arange(low, high)
    worked_until = leads["worked_until"].to_numpy()[candidates]
    lead_rows = candidates[worked_until >= first_minute]
    lead_frame = _spread(
        world,
        rng,
        rows=lead_rows,
        start=np.maximum(lead_created[lead_rows], first_minute),
        stop=np.minimum(leads["worked_until"].to_numpy()[lead_rows], end),
        rate=np.full(lead_rows.size, catalog.ACTIVITIES_PER_LEAD_MONTH),
        region=leads["region"].to_numpy()[lead_rows],
    )
    lead_frame["activity_type"] = rng.choice(
        len(catalog.ACTIVITY_MIX_LEAD), len(lead_frame), p=catalog.ACTIVITY_MIX_LEAD
    )
    lead_frame["rep"] = owner_at(
        reps,
        leads["owner"].to_numpy()[lead_frame["row"].to_numpy()],
        lead_frame["occurred"].to_numpy() // MINUTES_PER_DAY,
    )
    lead_frame["opportunity"] = -1
    lead_frame["lead"] = lead_frame["row"]

    frame = pd.concat([opportunity_frame, lead_frame], ignore_index=True)
    order = np.lexsort((rng.random(len(frame)), frame["occurred"].to_numpy()))
    columns = ["rep", "activity_type", "occurred", "lead", "opportunity"]
    return frame.iloc[order][columns].reset_index(drop=True)


def _spread(
    world: World,
    rng: np.random.Generator,
    rows: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    rate: np.ndarray,
    region: np.ndarray,
) -> pd.DataFrame:
    """Draw Poisson(rate * open days / 30.4) events per row inside ``[start, stop]`` minutes."""
    open_days = np.clip(stop - start, 0, None) / MINUTES_PER_DAY
    counts = rng.poisson(rate * open_days / _DAYS_PER_MONTH)
    index = np.repeat(np.arange(rows.size), counts)
    start, stop = start[index], stop[index]
    calendar_code = world.region_calendar[region[index]]
    day = world.calendar.sample_days(
        calendar_code, start // MINUTES_PER_DAY, stop // MINUTES_PER_DAY, rng
    )
    occurred = np.clip(day * MINUTES_PER_DAY + business_minutes(index.size, rng), start, stop)
    return pd.DataFrame({"row": rows[index], "occurred": occurred})
