"""The Spring Festival (春节): the one holiday that moves sales between January and February.

Chinese New Year falls between 21 January and 20 February, so the business slowdown around it
lands in January in some years and in February in others. The demo generator uses it to shape
the dip, the forecasting library as a Prophet regressor and the planning calendar for working-day
weights; this module is their single definition.

Dates come from the ``holidays`` package (a Prophet dependency), which computes the lunar
calendar offline.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays

# The official public holiday runs from New Year's Eve for eight days (2024: 10-17 Feb).
HOLIDAY_DAYS_BEFORE = 1
HOLIDAY_DAYS_AFTER = 6
# B2B buying slows down about a week before the holiday (travel home, year-end closing) and
# takes about two weeks after it to recover.
SLOWDOWN_DAYS_BEFORE = 7
SLOWDOWN_DAYS_AFTER = 14


@cache
def lunar_new_year(year: int) -> dt.date:
    """Return the first day of the lunar new year (正月初一) in Gregorian ``year``."""
    calendar = holidays.China(years=year)
    days = sorted(day for day, name in calendar.items() if "Spring Festival" in name)
    if not days:
        raise ValueError(f"no Spring Festival date known for {year}")
    return days[0]


def holiday_period(year: int) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the official Spring Festival holiday in ``year``."""
    new_year = lunar_new_year(year)
    return (
        new_year - dt.timedelta(days=HOLIDAY_DAYS_BEFORE),
        new_year + dt.timedelta(days=HOLIDAY_DAYS_AFTER),
    )


def slowdown_window(year: int) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the business slowdown around the holiday in ``year``."""
    new_year = lunar_new_year(year)
    return (
        new_year - dt.timedelta(days=SLOWDOWN_DAYS_BEFORE),
        new_year + dt.timedelta(days=SLOWDOWN_DAYS_AFTER),
    )


@cache
def slowdown_share(year: int, month: int) -> float:
    """Return the share of the days of ``year-month`` that fall in the slowdown window.

    Zero outside January-March; for example about 0.7 for February 2024 and 0.0 for
    February 2023, when the holiday fell in January. Used as a monthly regressor.
    """
    if month > 3:
        return 0.0
    first = dt.date(year, month, 1)
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    start, end = slowdown_window(year)
    overlap = (min(last, end) - max(first, start)).days + 1
    return max(overlap, 0) / ((last - first).days + 1)
