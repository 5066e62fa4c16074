"""Calendar months as the product names them: ``YYYY-MM`` strings at every boundary.

The as-of month ``M`` of a re-plan is the month being planned; its actuals are the closed
months up to ``M - 1``, whose extracts land at the start of ``M``. Every package converts
between the string form (CLI, folders, partition keys) and dates through these helpers, so
there is one definition of "a month".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

_MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


def parse_month(text: str) -> dt.date:
    """Return the first day of the month written as ``YYYY-MM`` (or ``YYYY-MM-01``).

    Raises:
        ValueError: if ``text`` is not a valid month.
    """
    match = _MONTH_PATTERN.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, for example 2026-11")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def format_month(day: dt.date) -> str:
    """Return ``YYYY-MM`` for the month containing ``day``."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the first day of the month ``months`` after the month containing ``day``."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """Return the last day of the month containing ``day``."""
    return add_months(day, 1) - dt.timedelta(days=1)


def months_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Yield the first day of every month from ``first`` to ``last``, both included."""
    current = dt.date(first.year, first.month, 1)
    stop = dt.date(last.year, last.month, 1)
    while current <= stop:
        yield current
        current = add_months(current, 1)


def extract_month_for(as_of: dt.date) -> dt.date:
    """Return the data month whose extract the as-of ``as_of`` re-plan consumes (``M - 1``)."""
    return add_months(as_of, -1)
