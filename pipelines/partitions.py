"""The one partitions definition of the re-plan graph: the as-of month.

Partition ``M`` (key ``YYYY-MM-01``) is the re-plan for as-of month ``M``: it ingests the
extract of data month ``M-1`` and plans the months from ``M`` on. ``end_offset=1`` adds the
current calendar month, because a re-plan runs early in the month it plans.
"""

from __future__ import annotations

import dagster as dg

from salesplan.months import format_month, parse_month

# The first as-of month a partition exists for; earlier data arrives in the first (history)
# extract, so no re-plan ever needs an earlier partition.
FIRST_AS_OF_MONTH = "2021-02"

AS_OF_MONTHS = dg.MonthlyPartitionsDefinition(
    start_date=f"{FIRST_AS_OF_MONTH}-01", end_offset=1, fmt="%Y-%m-%d"
)


def partition_key_for(month: str) -> str:
    """Return the partition key (``YYYY-MM-01``) of as-of month ``YYYY-MM``."""
    return f"{format_month(parse_month(month))}-01"


def month_of(partition_key: str) -> str:
    """Return ``YYYY-MM`` for a partition key ``YYYY-MM-01``."""
    return format_month(parse_month(partition_key))
