"""From a validated long frame to clean monthly series, and what kind of series each one is.

Bad input is repaired here, once, and flagged (``schemas.FLAGS``); nothing downstream sees
NaN, negative values, duplicate months or gaps:

* duplicate months are summed (a fact table at a finer grain adds up to the month);
* a month without a row is a month without sales (0), because the marts only have rows for
  months with activity; a row with NaN is *unknown*: interpolated for fitting, not scored;
* negative months (net returns) are set to 0 for fitting and scored as observed;
* a series starts at its first month with sales: a segment that appears mid-history is
  fitted on its own life only (flag ``late_start``, plus ``short_history`` while it is
  young). One that stops selling is zero-filled up to the end of the panel and, after 12
  months without sales, forecast as 0 (``discontinued``).

The *regime* of a series is decided at every forecast origin from the data before it, so a
backtest never uses what was unknown at its cutoff.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.schemas import ID_COL, TARGET_COL, TIME_COL

SEASON_LENGTH = 12
# Below two years a seasonal model cannot tell seasonality from trend.
MIN_SEASONAL_MONTHS = 24
MIN_MONTHS = 3
# A series that sold nothing for a full year is treated as discontinued.
DISCONTINUED_AFTER_MONTHS = 12
# Syntetos & Boylan (2005): an average inter-demand interval above 1.32 months is intermittent.
INTERMITTENT_ADI = 1.32
# The transform is log1p(y / offset) with offset = half the mean non-zero month: zero stays at
# 0, a typical month lands at log(3), large months behave like logs (multiplicative
# seasonality) and near-empty months of lumpy B2B series do not become extreme log values.
# On the benchmark, 0.5 beat both 0.1 (too log-like: lumpy demo segments lost ~10% MASE) and
# 2 (too linear: multiplicative real series such as airline passengers lost ~2%).
OFFSET_SHARE = 0.5
# An outlier lies more than 5 robust standard deviations from trend + season (on the log
# scale); 5 rather than 3 because a 5-year monthly history has ~60 points and we only want
# to catch data errors and one-off deals, not ordinary peaks.
OUTLIER_THRESHOLD = 5.0

Regime = str  # "zero", "too_short", "constant", "intermittent", "regular"


@dataclass(frozen=True)
class Series:
    """One monthly series from its first month with sales to the end of the panel.

    Attributes:
        unique_id: The series id.
        start: First month of the series (``datetime64[ns]``).
        values: Cleaned values for fitting: no NaN, no negatives, duplicates summed, gaps 0.
        observed: Values as observed, for scoring: NaN where unknown (duplicates summed,
            gaps 0, negatives kept).
        flags: Data-quality flags (``schemas.FLAGS``) found while cleaning.
    """

    unique_id: str
    start: np.datetime64
    values: np.ndarray
    observed: np.ndarray
    flags: frozenset[str]

    def months(self) -> np.ndarray:
        """Return the first day of every month of the series."""
        return month_range(self.start, len(self.values))


def month_range(start: np.datetime64, periods: int) -> np.ndarray:
    """Return ``periods`` consecutive month starts from ``start`` (``datetime64[ns]``)."""
    first = np.datetime64(start, "M")
    return (first + np.arange(periods)).astype("datetime64[ns]")


def month_index(month: np.datetime64) -> int:
    """Return a month's position on a continuous month axis (months since 1970-01)."""
    return int(np.datetime64(month, "M").astype(np.int64))


@dataclass(frozen=True)
class RawSeries:
    """The rows of one series as they came: month positions (``month_index``) and values."""

    unique_id: str
    positions: np.ndarray
    values: np.ndarray
    panel_start: int
    end: int

    def prepare(self) -> Series:
        """Clean the rows into a ``Series`` (see the module docstring)."""
        return _prepare_one(self.unique_id, self.positions, self.values, self.panel_start, self.end)


def split_panel(history: pd.DataFrame, end: np.datetime64) -> list[RawSeries]:
    """Split a validated long frame into the rows of each series, up to ``end``.

    Args:
        history: Output of ``schemas.validate_history`` (sorted by id and month); rows after
            ``end`` are ignored.
        end: Last month of the panel (the month before the as-of month).

    Returns:
        One ``RawSeries`` per id, sorted by id; ids without rows up to ``end`` are dropped.
    """
    end_index = month_index(end)
    frame = history[history[TIME_COL] <= np.datetime64(end, "ns")]
    if frame.empty:
        return []
    positions = frame[TIME_COL].to_numpy().astype("datetime64[M]").astype(np.int64)
    values = frame[TARGET_COL].to_numpy(dtype=np.float64)
    ids = frame[ID_COL].to_numpy()
    # validate_history sorts by id: each id's rows are one contiguous block.
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    bounds = np.r_[starts, len(ids)]
    panel_start = int(positions.min())
    return [
        RawSeries(str(ids[a]), positions[a:b], values[a:b], panel_start, end_index)
        for a, b in itertools.pairwise(bounds)
    ]


def prepare_panel(history: pd.DataFrame, end: np.datetime64) -> list[Series]:
    """Turn a validated long frame into one clean ``Series`` per id, ending at ``end``.

    Args:
        history: Output of ``schemas.validate_history``; rows after ``end`` are ignored.
        end: Last month of the panel (the month before the as-of month).

    Returns:
        The series, sorted by id. Series without any row up to ``end`` are dropped.
    """
    return [raw.prepare() for raw in split_panel(history, end)]


def _prepare_one(
    unique_id: str, positions: np.ndarray, raw: np.ndarray, panel_start: int, end: int
) -> Series:
    flags: set[str] = set()
    if len(np.unique(positions)) < len(positions):
        flags.add("duplicate_months")
    first = int(positions.min())
    length = end - first + 1
    offsets = positions - first
    observed = np.zeros(length)
    known = np.zeros(length, dtype=bool)
    unknown = np.zeros(length, dtype=bool)
    # NaN + number is NaN: a month with any unknown row is unknown.
    np.add.at(observed, offsets, np.nan_to_num(raw, nan=0.0))
    np.logical_or.at(known, offsets, True)
    np.logical_or.at(unknown, offsets, np.isnan(raw))
    if unknown.any():
        flags.add("missing_values")
    if (~known).any():
        flags.add("gaps_filled")
    observed[unknown] = np.nan
    if np.nanmin(observed, initial=0.0) < 0:
        flags.add("negative_values")

    # The series starts at its first month with sales.
    selling = np.flatnonzero(np.nan_to_num(observed, nan=0.0) > 0)
    begin = int(selling[0]) if len(selling) else 0
    observed = observed[begin:]
    if first + begin > panel_start:
        flags.add("late_start")
    values = np.clip(_interpolate(observed), 0.0, None)
    return Series(
        unique_id=unique_id,
        start=np.datetime64(first + begin, "M").astype("datetime64[ns]"),
        values=values,
        observed=observed,
        flags=frozenset(flags),
    )


def _interpolate(values: np.ndarray) -> np.ndarray:
    """Fill NaN linearly between known months; ends take the nearest known value (or 0)."""
    missing = np.isnan(values)
    if not missing.any():
        return values.copy()
    if missing.all():
        return np.zeros_like(values)
    index = np.arange(len(values))
    return np.interp(index, index[~missing], values[~missing])


def classify(values: np.ndarray) -> tuple[Regime, frozenset[str]]:
    """Return the regime of a training window and the flags that explain it.

    Args:
        values: Cleaned monthly values up to the forecast origin, from the series start.

    Returns:
        ``(regime, flags)``, regime one of ``zero``, ``too_short``, ``constant``,
        ``intermittent``, ``regular``.
    """
    n = len(values)
    if n == 0 or not (values > 0).any():
        return "zero", frozenset({"all_zero"})
    trailing_zeros = n - 1 - int(np.flatnonzero(values > 0)[-1])
    if trailing_zeros >= DISCONTINUED_AFTER_MONTHS:
        return "zero", frozenset({"discontinued"})
    if n < MIN_MONTHS:
        return "too_short", frozenset({"too_short", "short_history"})
    short = frozenset({"short_history"}) if n < MIN_SEASONAL_MONTHS else frozenset()
    if values.min() == values.max():
        return "constant", frozenset({"constant"}) | short
    if n / np.count_nonzero(values) >= INTERMITTENT_ADI:
        return "intermittent", frozenset({"intermittent"}) | short
    return "regular", short


@dataclass(frozen=True)
class LogScale:
    """The log transform ``z = log1p(y / offset)`` and its inverse, clipped at zero.

    Forecasts are made on this scale and transformed back, so they are never negative and
    seasonality acts multiplicatively on sales. The back-transformed point forecast is the
    median of the forecast distribution (the mean of a log-scale forecast is its median).
    """

    offset: float

    @classmethod
    def for_values(cls, values: np.ndarray) -> LogScale:
        """Return the transform for a training window (offset from its non-zero months)."""
        positive = values[values > 0]
        return cls(float(OFFSET_SHARE * positive.mean()) if len(positive) else 1.0)

    def forward(self, y: np.ndarray) -> np.ndarray:
        """Return ``log1p(max(y, 0) / offset)``."""
        return np.log1p(np.clip(y, 0.0, None) / self.offset)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Return ``offset * expm1(z)``, clipped at 0.

        A model that runs away on a sparse series can return a ``z`` whose inverse exceeds
        the float range: it becomes ``inf`` on purpose, without numpy's overflow warning, so
        the candidate is refused as non-finite (and never scored as a huge but finite value).
        """
        with np.errstate(over="ignore"):
            return np.clip(self.offset * np.expm1(np.minimum(z, 700.0)), 0.0, None)


def replace_outliers(z: np.ndarray, threshold: float = OUTLIER_THRESHOLD) -> tuple[np.ndarray, int]:
    """Replace isolated extreme months by trend + season (robust decomposition).

    Trend is a centred 13-month rolling median, the season the median detrended value of each
    calendar position, and a month is an outlier when its remainder exceeds ``threshold``
    robust standard deviations (1.4826 x MAD). Needs two years; shorter input is returned as is.

    Args:
        z: Log-scale values.
        threshold: Robust z-score above which a month is replaced.

    Returns:
        The cleaned values and how many months were replaced.
    """
    if len(z) < MIN_SEASONAL_MONTHS:
        return z, 0
    trend = pd.Series(z).rolling(13, center=True, min_periods=7).median().to_numpy()
    detrended = z - trend
    phase = np.arange(len(z)) % SEASON_LENGTH
    season = np.array([np.median(detrended[phase == p]) for p in range(SEASON_LENGTH)])
    fitted = trend + season[phase]
    remainder = z - fitted
    spread = 1.4826 * np.median(np.abs(remainder - np.median(remainder)))
    if spread <= 0:
        return z, 0
    outliers = np.abs(remainder) > threshold * spread
    if not outliers.any():
        return z, 0
    cleaned = z.copy()
    cleaned[outliers] = fitted[outliers]
    return cleaned, int(outliers.sum())


def error_scale(z: np.ndarray) -> float:
    """Return the typical month-to-month change of a log-scale history.

    The mean absolute seasonal difference (lag 12) with two years of data, else the mean
    absolute first difference. Forecast errors are expressed in this unit before they are
    pooled across series, so one calibration fits series of any size and volatility.
    """
    lag = SEASON_LENGTH if len(z) >= MIN_SEASONAL_MONTHS else 1
    if len(z) <= lag:
        return 0.0
    return float(np.mean(np.abs(z[lag:] - z[:-lag])))


def mase_scale(values: np.ndarray) -> float:
    """Return MASE's denominator: the in-sample seasonal-naive MAE (lag 1 below 13 months)."""
    lag = SEASON_LENGTH if len(values) > SEASON_LENGTH else 1
    if len(values) <= lag:
        return float("nan")
    scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
    return scale if scale > 0 else float("nan")
