"""Day-level business calendar and the integer time encoding of the simulation.

Times are integers so that millions of events stay cheap numpy arrays: a *day* is the number
of days since :data:`EPOCH`, a *minute* the number of minutes since its midnight, and a *month*
the number of months since January 2015 (early enough that the hire dates of long-serving staff
are positive). ``NULL`` (-1) marks a missing time. Events are spread over days with weights:
weekends, public holidays and the Spring Festival slowdown (from ``salesplan.spring_festival``)
get little business, which is what moves the yearly dip between January and February.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import holidays
import numpy as np
import pandas as pd
import pyarrow as pa

from salesplan.months import add_months, parse_month
from salesplan.spring_festival import holiday_period, slowdown_window

EPOCH = dt.date(2015, 1, 1)
EPOCH_SECONDS = int(dt.datetime(EPOCH.year, 1, 1, tzinfo=dt.UTC).timestamp())
EPOCH_DATE32 = (EPOCH - dt.date(1970, 1, 1)).days
MINUTES_PER_DAY = 1440
NULL = -1
CALENDARS = ("china", "international")

# Relative amount of business done on a day (a weekday is 1).
_SATURDAY, _SUNDAY = 0.15, 0.1
_PUBLIC_HOLIDAY = 0.08
_SLOWDOWN = 0.5
_WESTERN_HOLIDAYS = 0.25


def day_of(date: dt.date) -> int:
    """Return the day number of ``date``."""
    return (date - EPOCH).days


def date_of(day: int) -> dt.date:
    """Return the date of day number ``day``."""
    return EPOCH + dt.timedelta(days=int(day))


def month_index(month: str | dt.date) -> int:
    """Return the month number of ``YYYY-MM`` (or of the month containing a date)."""
    first = parse_month(month) if isinstance(month, str) else month
    return (first.year - EPOCH.year) * 12 + first.month - 1


def month_label(index: int) -> str:
    """Return ``YYYY-MM`` of month number ``index``."""
    year, month = divmod(index, 12)
    return f"{EPOCH.year + year:04d}-{month + 1:02d}"


def first_day_of_month(index: int) -> int:
    """Return the day number of the first day of month number ``index``."""
    return day_of(add_months(EPOCH, index))


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Store the integer columns of ``frame`` as int32 where they fit (in place; returned).

    Minute numbers stay below 2**31 until the 2050s; halving the width of the codes and times
    keeps the ``xlarge`` simulation (~30M leads, ~9M opportunities) well inside memory.
    """
    low, high = np.iinfo(np.int32).min, np.iinfo(np.int32).max
    for column in frame.columns:
        values = frame[column].to_numpy()
        fits = (
            values.dtype == np.int64 and values.size and low <= values.min() <= values.max() <= high
        )
        if fits:
            frame[column] = values.astype(np.int32)
    return frame


def timestamps(minutes: np.ndarray) -> pa.Array:
    """Return a pyarrow ``timestamp[s]`` array of minute numbers (``NULL`` becomes null)."""
    minutes = np.asarray(minutes, dtype=np.int64)
    mask = minutes < 0
    seconds = EPOCH_SECONDS + minutes * 60
    return pa.array(seconds, type=pa.int64(), mask=mask).cast(pa.timestamp("s"))


def dates(days: np.ndarray) -> pa.Array:
    """Return a pyarrow ``date32`` array of day numbers (``NULL`` becomes null)."""
    days = np.asarray(days, dtype=np.int64)
    mask = days < 0
    return pa.array((days + EPOCH_DATE32).astype(np.int32), type=pa.int32(), mask=mask).cast(
        pa.date32()
    )


@dataclass
class Calendar:
    """Every day from :data:`EPOCH` to ``last``, with business weights per calendar."""

    last: dt.date
    n_days: int = field(init=False)
    month_of_day: np.ndarray = field(init=False)
    month_starts: np.ndarray = field(init=False)
    weights: dict[str, np.ndarray] = field(init=False)
    _cumulative: dict[str, np.ndarray] = field(init=False)
    _cumulative_close: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.n_days = day_of(self.last) + 1
        days = np.arange(self.n_days)
        calendar_dates = np.datetime64(EPOCH.isoformat(), "D") + days
        years = calendar_dates.astype("datetime64[Y]").astype(int) + 1970
        months = calendar_dates.astype("datetime64[M]").astype(int) % 12
        self.month_of_day = (years - EPOCH.year) * 12 + months
        n_months = int(self.month_of_day[-1]) + 2
        self.month_starts = np.array([first_day_of_month(i) for i in range(n_months)])
        weekday = (days + EPOCH.weekday()) % 7
        base = np.where(weekday == 5, _SATURDAY, np.where(weekday == 6, _SUNDAY, 1.0))

        china = base.copy()
        for year in range(EPOCH.year, self.last.year + 1):
            start, end = slowdown_window(year)
            china[self._span(start, end)] *= _SLOWDOWN
            start, end = holiday_period(year)
            china[self._span(start, end)] = _PUBLIC_HOLIDAY
        for day in holidays.China(years=range(EPOCH.year, self.last.year + 1)):
            if EPOCH <= day <= self.last:
                china[day_of(day)] = _PUBLIC_HOLIDAY

        international = base.copy()
        for year in range(EPOCH.year, self.last.year + 1):
            international[self._span(dt.date(year, 12, 24), dt.date(year + 1, 1, 1))] *= (
                _WESTERN_HOLIDAYS
            )
        self.weights = {"china": china, "international": international}
        self._cumulative = {
            name: np.concatenate([[0.0], np.cumsum(weight)])
            for name, weight in self.weights.items()
        }
        # Deals close late in the month: the last day is ~4x as likely as the first.
        first_of_month = self.month_starts[self.month_of_day]
        month_length = self.month_starts[self.month_of_day + 1] - first_of_month
        position = (days - first_of_month + 1) / month_length
        skew = 0.5 + 1.5 * position**2
        self._cumulative_close = {
            name: np.concatenate([[0.0], np.cumsum(weight * skew)])
            for name, weight in self.weights.items()
        }

    def _span(self, start: dt.date, end: dt.date) -> slice:
        return slice(max(day_of(start), 0), min(day_of(end), self.n_days - 1) + 1)

    def month_weight(self, calendar: str, month: int) -> float:
        """Return the summed day weights of month number ``month``."""
        cumulative = self._cumulative[calendar]
        return float(
            cumulative[self.month_starts[month + 1]] - cumulative[self.month_starts[month]]
        )

    def sample_days(
        self,
        calendar: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
        rng: np.random.Generator,
        month_end_skew: bool = False,
    ) -> np.ndarray:
        """Draw one day per row in ``[low, high]`` (inclusive) in proportion to day weights.

        Args:
            calendar: per row, 0 for the China calendar, 1 for the international one.
            low: first allowed day per row.
            high: last allowed day per row (clipped to at least ``low``).
            rng: random generator.
            month_end_skew: favour the end of each month (when deals close).

        Returns:
            The day number drawn for every row.
        """
        low = np.clip(np.asarray(low, dtype=np.int64), 0, self.n_days - 1)
        high = np.clip(np.maximum(np.asarray(high, dtype=np.int64), low), 0, self.n_days - 1)
        uniform = rng.random(low.shape[0])
        result = np.empty_like(low)
        for code, name in enumerate(CALENDARS):
            rows = np.flatnonzero(np.asarray(calendar) == code)
            if rows.size == 0:
                continue
            cumulative = (self._cumulative_close if month_end_skew else self._cumulative)[name]
            start = cumulative[low[rows]]
            span = cumulative[high[rows] + 1] - start
            target = start + uniform[rows] * span
            drawn = np.searchsorted(cumulative, target, side="right") - 1
            result[rows] = np.clip(drawn, low[rows], high[rows])
        return result


def business_minutes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` times of day (minutes after midnight), mostly within office hours."""
    office = rng.integers(8 * 60 + 30, 19 * 60, size=n)
    late = rng.integers(7 * 60, 23 * 60, size=n)
    return np.where(rng.random(n) < 0.9, office, late)
