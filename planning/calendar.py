"""The planning calendar: fiscal year -> quarter -> month -> ISO week, and working-day weights.

Fiscal years start in a configurable month and are named by the calendar year they end in:
with ``start_month=4``, FY2027 runs from April 2026 to March 2027 and its first quarter is
``2027-Q1`` (April-June 2026). With ``start_month=1`` the fiscal year is the calendar year.

Weeks are ISO weeks (Monday to Sunday, labelled ``YYYY-Www`` by ISO year). A week that straddles
two months is split explicitly: each month holds a *week part* with the days of that week that
fall in it, and a month's target is spread over its week parts by their working-day weight. The
week's target is the sum of its parts, so week 2026-W01 (29 Dec 2025 - 4 Jan 2026) carries a part
of December's target and a part of January's. At the edge of a fiscal year only the part inside
the year belongs to that year's plan.

A day's working-day weight is 1 for a working day in mainland China (public holidays and the
official make-up workdays, 调休, from the ``holidays`` package), ``weekend_weight`` for a weekend
and ``holiday_weight`` for a public holiday. Working days inside the Spring Festival slowdown
window (:mod:`salesplan.spring_festival`) are scaled by ``spring_festival_slowdown_weight``,
because B2B buying pauses for about three weeks around the holiday, whose date moves between
January and February.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays

from planning.config import CalendarConfig
from salesplan.months import add_months, format_month, month_end, parse_month
from salesplan.spring_festival import holiday_period, slowdown_window

GRAINS = ("year", "quarter", "month", "week")


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal years starting in ``start_month`` (1-12), named by the year they end in."""

    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError(f"fiscal start month must be 1-12, not {self.start_month}")

    def fiscal_year(self, month: dt.date | str) -> int:
        """Return the fiscal year containing ``month`` (a date or ``YYYY-MM``)."""
        day = parse_month(month) if isinstance(month, str) else month
        if self.start_month == 1 or day.month < self.start_month:
            return day.year
        return day.year + 1

    def first_month(self, fiscal_year: int) -> dt.date:
        """Return the first day of the first month of ``fiscal_year``."""
        year = fiscal_year if self.start_month == 1 else fiscal_year - 1
        return dt.date(year, self.start_month, 1)

    def months(self, fiscal_year: int) -> list[dt.date]:
        """Return the first days of the twelve months of ``fiscal_year``, in order."""
        first = self.first_month(fiscal_year)
        return [add_months(first, offset) for offset in range(12)]

    def quarter(self, month: dt.date | str) -> str:
        """Return the fiscal quarter label ``YYYY-Qn`` of ``month``."""
        day = parse_month(month) if isinstance(month, str) else month
        offset = (day.month - self.start_month) % 12
        return f"{self.fiscal_year(day)}-Q{offset // 3 + 1}"

    def quarter_months(self, label: str) -> list[dt.date]:
        """Return the three months of fiscal quarter ``YYYY-Qn``."""
        year, quarter = label.split("-Q")
        first = add_months(self.first_month(int(year)), (int(quarter) - 1) * 3)
        return [add_months(first, offset) for offset in range(3)]


def iso_week_label(day: dt.date) -> str:
    """Return the ISO week label ``YYYY-Www`` of ``day`` (ISO year, so 2025-12-29 is 2026-W01)."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


class WorkingDays:
    """Working-day weights of days, months and week parts, for one calendar configuration."""

    def __init__(self, config: CalendarConfig | None = None) -> None:
        self.config = config or CalendarConfig()

    def day_weight(self, day: dt.date) -> float:
        """Return the selling weight of one day (see the module docstring)."""
        return _day_weight(day, self.config)

    def month_weight(self, month: dt.date) -> float:
        """Return the sum of the day weights of the month containing ``month``."""
        return sum(weight for _, weight in self.week_parts(month))

    def week_parts(self, month: dt.date) -> tuple[tuple[str, float], ...]:
        """Return ``(iso_week_label, weight)`` for each ISO week overlapping the month.

        The weight is the working-day weight of the days of that week inside the month. A month
        without any working day (not seen in practice) falls back to calendar days so that its
        target can still be placed.
        """
        return _week_parts(dt.date(month.year, month.month, 1), self.config)


@cache
def _china(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


@cache
def _day_weight(day: dt.date, config: CalendarConfig) -> float:
    calendar = _china(day.year)
    if calendar.is_working_day(day):
        weight = 1.0
        start, end = slowdown_window(day.year)
        holiday_start, holiday_end = holiday_period(day.year)
        in_holiday = holiday_start <= day <= holiday_end
        if start <= day <= end and not in_holiday:
            weight *= config.spring_festival_slowdown_weight
        return weight
    if day in calendar:
        return config.holiday_weight
    return config.weekend_weight


@cache
def _week_parts(month: dt.date, config: CalendarConfig) -> tuple[tuple[str, float], ...]:
    parts: dict[str, float] = {}
    calendar_days: dict[str, float] = {}
    day = month
    last = month_end(month)
    while day <= last:
        label = iso_week_label(day)
        parts[label] = parts.get(label, 0.0) + _day_weight(day, config)
        calendar_days[label] = calendar_days.get(label, 0.0) + 1.0
        day += dt.timedelta(days=1)
    if sum(parts.values()) <= 0.0:
        parts = calendar_days
    return tuple(parts.items())


def month_label(month: dt.date) -> str:
    """Return ``YYYY-MM`` (re-exported so planning code has one calendar import)."""
    return format_month(month)
