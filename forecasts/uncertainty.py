"""Honest uncertainty: sample paths calibrated on the engine's own out-of-sample errors.

Prophet's built-in intervals come from 1,000 posterior simulations per forecast (~30 ms a
series) and describe Prophet's model, not how wrong the forecasts have actually been. Here
the spread comes from the backtest instead:

1. Every backtest forecast error of the engine, on the log scale, is divided by its series'
   typical monthly change (``prepare.error_scale``), and these unit-free errors are pooled
   over all series.
2. Their mean square per horizon ``h`` is fitted by ``sigma^2 * (1 + alpha^2 * (h - 1))``, the
   variance of a local-level (random walk plus noise) error: a shock at month 1 partly
   persists into later months. ``alpha`` sets how strongly the months of one path move
   together, which is what the probability of reaching a total over several months needs.
3. Series also move together (a slow quarter hits every region). The pooled correlation
   ``rho`` of the errors of different series in the same month (pairs weighted by the series'
   size in money, so it describes what makes up the totals) is put back with one common
   factor: each series' innovations are ``sqrt(rho) * common + sqrt(1 - rho) * own``. Summing
   bottom-level paths therefore gives parent paths with the right spread.
4. Real forecast errors have heavier tails than a normal distribution: with normal errors the
   demo's 95% intervals covered 88% of backtest months. Each path month is therefore mapped
   through the empirical quantiles of the pooled standardised errors (a Gaussian copula), so
   the marginal spread is the backtest's and the correlations of steps 2 and 3 are kept.

Path ``p`` of a series is ``inverse(log(median) + scale * sigma * e_p)``; intervals are path
quantiles; ``prob_at_least`` sums paths over months. Intermittent series use a bootstrap of
their recent months instead (a log-normal cannot put mass on zero); constant, zero and
discontinued series have degenerate paths. Random draws come from ``numpy`` generators seeded
by ``(seed, series id)``, so paths do not depend on the order or number of worker processes.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd
from scipy.special import ndtr

from forecasts.paths import SamplePaths
from forecasts.prepare import SEASON_LENGTH, LogScale
from forecasts.schemas import ID_COL, TIME_COL

INTERVAL_LEVELS = (80, 95)
# Fewer pooled errors than this and the calibration falls back to DEFAULT_CALIBRATION (and
# the forecasts are flagged ``uncalibrated_intervals``).
MIN_CALIBRATION_ERRORS = 30
# Too-short series have no scale of their own. They are mostly launches, which grow fast:
# 1.0 on the log scale (with offset 0.5 x level) spans roughly 0.2x to 4x the forecast at 80%.
TOO_SHORT_SCALE = 1.0
# Months of history an intermittent series resamples from: three years, because the tails of
# lumpy sales need more than the last 24 months (95% intervals covered 88% with 24).
BOOTSTRAP_MONTHS = 36
# Path values per block of ``path_bounds`` (8 MB each): bounds its temporary copies.
QUANTILE_BLOCK_VALUES = 2**20
# The correlation between series is capped: the factor model needs some own noise per series.
MAX_RHO = 0.9


# Probabilities at which the shape of the standardised errors is kept (0.5% .. 99.5%).
SHAPE_PROBABILITIES = np.linspace(0.005, 0.995, 199)
_NORMAL_SHAPE = np.array([statistics.NormalDist().inv_cdf(p) for p in SHAPE_PROBABILITIES])


@dataclass(frozen=True)
class Calibration:
    """The pooled error model (see the module docstring).

    Attributes:
        sigma: Error standard deviation at horizon 1, in units of a series' ``error_scale``.
        alpha: Share of each month's shock that persists into the following months.
        rho: Correlation of the shocks of different series in the same month.
        n_errors: Number of backtest errors the calibration was fitted on.
        shape: Quantiles (at ``SHAPE_PROBABILITIES``) of the standardised errors, centred on
            their median: the distribution each path month follows. Normal by default;
            fitted, it keeps the heavy tails of real forecast errors.
    """

    sigma: float
    alpha: float
    rho: float
    n_errors: int
    shape: np.ndarray = field(default_factory=lambda: _NORMAL_SHAPE.copy(), compare=False)

    @property
    def calibrated(self) -> bool:
        """Whether enough errors backed the fit."""
        return self.n_errors >= MIN_CALIBRATION_ERRORS

    def std(self, horizon: int) -> np.ndarray:
        """Return the unit-free error standard deviation at horizons ``1..horizon``."""
        steps = np.arange(horizon)
        return self.sigma * np.sqrt(1.0 + self.alpha**2 * steps)


# Used without backtest errors: roughly what the demo and the shipped real series give.
DEFAULT_CALIBRATION = Calibration(sigma=1.0, alpha=0.3, rho=0.3, n_errors=0)


def fit_calibration(errors: pd.DataFrame) -> Calibration:
    """Fit the pooled error model to unit-free backtest errors.

    Args:
        errors: Columns ``u`` (log-scale error / series error scale), ``horizon`` (1-based),
            ``group`` (an id of the origin and month, shared by errors of different series
            about the same month), ``series`` and optionally ``weight`` (the series' typical
            error in money, for the correlation; equal weights without it).

    Returns:
        The calibration; ``DEFAULT_CALIBRATION`` (with ``n_errors``) if too few errors.
    """
    errors = errors[np.isfinite(errors["u"])]
    n_errors = len(errors)
    if n_errors < MIN_CALIBRATION_ERRORS:
        return Calibration(
            DEFAULT_CALIBRATION.sigma, DEFAULT_CALIBRATION.alpha, DEFAULT_CALIBRATION.rho, n_errors
        )
    by_horizon = errors.assign(u2=errors["u"] ** 2).groupby("horizon")["u2"].agg(["mean", "size"])
    steps = by_horizon.index.to_numpy(dtype=np.float64) - 1.0
    mean_square, weights = by_horizon["mean"].to_numpy(), by_horizon["size"].to_numpy(float)
    intercept, slope = _weighted_line(steps, mean_square, weights)
    if slope < 0 or intercept <= 0:
        intercept, slope = float(np.average(mean_square, weights=weights)), 0.0
    sigma = float(np.sqrt(intercept))
    alpha = float(np.sqrt(slope / intercept))
    standardised = errors["u"].to_numpy() / (
        sigma * np.sqrt(1.0 + alpha**2 * (errors["horizon"] - 1))
    )
    weights = errors["weight"].to_numpy() if "weight" in errors else np.ones(n_errors)
    rho = _pooled_correlation(standardised, errors["group"], weights)
    # Centred on the median: the forecast stays the median of its paths.
    shape = np.quantile(standardised, SHAPE_PROBABILITIES)
    return Calibration(sigma, alpha, rho, n_errors, shape - np.median(standardised))


def _weighted_line(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    if len(x) < 2 or np.ptp(x) == 0:
        return float(np.average(y, weights=w)), 0.0
    x_mean, y_mean = np.average(x, weights=w), np.average(y, weights=w)
    slope = np.sum(w * (x - x_mean) * (y - y_mean)) / np.sum(w * (x - x_mean) ** 2)
    return float(y_mean - slope * x_mean), float(slope)


def _pooled_correlation(values: np.ndarray, groups: pd.Series, weights: np.ndarray) -> float:
    """Weighted average correlation of standardised errors of different series in one group.

    Pairs are weighted by the product of the series' weights (their typical error in money),
    so the estimate describes the series that make up the totals, not the many small ones.
    """
    weighted = values * weights
    frame = pd.DataFrame({"wv": weighted, "w": weights, "g": groups.to_numpy()})
    frame["wv2"], frame["w2"] = weighted**2, weights**2
    sums = frame.groupby("g")[["wv", "w", "wv2", "w2"]].sum()
    cross = float((sums["wv"] ** 2 - sums["wv2"]).sum())  # sum over pairs i != j
    pairs = float((sums["w"] ** 2 - sums["w2"]).sum())
    if pairs <= 0:
        return 0.0
    return float(np.clip(cross / pairs, 0.0, MAX_RHO))


def series_seed(seed: int, unique_id: str, origin: int) -> np.random.Generator:
    """Return the generator of one series at one origin: depends on these three only."""
    digest = hashlib.blake2b(unique_id.encode(), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(digest, "little"), origin])


def common_shocks(seed: int, origin: int, n_paths: int, horizon: int) -> np.ndarray:
    """Return the shocks every series shares at one origin, shape ``(n_paths, horizon)``."""
    return np.random.default_rng([seed, 0, origin]).standard_normal((n_paths, horizon))


def log_normal_paths(
    median: np.ndarray,
    log_scale: LogScale,
    scale: float,
    calibration: Calibration,
    own: np.ndarray,
    common: np.ndarray,
) -> np.ndarray:
    """Return paths around a median forecast with the calibrated error model.

    Args:
        median: Point forecast (median, original scale), length ``horizon``.
        log_scale: The series' log transform.
        scale: The series' ``error_scale``.
        calibration: The pooled error model.
        own: The series' own standard-normal shocks, ``(n_paths, horizon)``.
        common: The shared shocks, same shape.

    Returns:
        Non-negative paths, ``(n_paths, horizon)``.
    """
    rho = calibration.rho
    shocks = np.sqrt(rho) * common + np.sqrt(1.0 - rho) * own
    # e_h = eps_h + alpha * (eps_1 + ... + eps_{h-1}): variance 1 + alpha^2 (h - 1).
    persistent = np.cumsum(shocks, axis=1) - shocks
    spread = np.sqrt(1.0 + calibration.alpha**2 * np.arange(shocks.shape[1]))
    # Gaussian copula: each month keeps its rank among the paths (so the correlations above
    # stay) but takes the fitted error distribution instead of the normal one.
    ranks = ndtr((shocks + calibration.alpha * persistent) / spread)
    errors = calibration.sigma * spread * np.interp(ranks, SHAPE_PROBABILITIES, calibration.shape)
    return log_scale.inverse(log_scale.forward(median)[None, :] + scale * errors)


def bootstrap_paths(
    median: np.ndarray, recent: np.ndarray, generator: np.random.Generator, n_paths: int
) -> np.ndarray:
    """Return paths resampling past months, rescaled to the forecast's average level.

    One factor for the whole horizon, not one per month: a seasonal-naive forecast of 0 for a
    month that happened to be empty last year must not make that month certain to be 0.

    Args:
        median: Point forecast (original scale), length ``horizon``.
        recent: Past observed months (cleaned), the values to resample.
        generator: The series' generator.
        n_paths: Number of paths.

    Returns:
        Non-negative paths, ``(n_paths, horizon)``; months are drawn independently.
    """
    level = recent.mean()
    draws = recent[generator.integers(0, len(recent), size=(n_paths, len(median)))]
    if level <= 0:
        return np.zeros((n_paths, len(median)))
    return draws * (median.mean() / level)


def seasonal_naive_bounds(
    history: np.ndarray, forecast: np.ndarray, levels: Sequence[int] = INTERVAL_LEVELS
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Return the textbook seasonal-naive intervals (Hyndman & Athanasopoulos, FPP3 5.5).

    On the log scale of ``history``: residual sd ``s`` of the seasonal differences, interval
    ``z_hat +- q * s * sqrt(k + 1)`` with ``k`` the number of whole years ahead. Below 13 months
    it is the naive method (lag 1, ``sqrt(h)``).

    Args:
        history: Cleaned training values.
        forecast: Seasonal-naive point forecast.
        levels: Interval levels in percent.

    Returns:
        ``{level: (lower, upper)}`` on the original scale.
    """
    log_scale = LogScale.for_values(history)
    z = log_scale.forward(history)
    seasonal = len(z) > SEASON_LENGTH
    lag = SEASON_LENGTH if seasonal else 1
    steps = np.arange(1, len(forecast) + 1)
    if len(z) <= lag:
        spread = np.full(len(forecast), np.inf)
    else:
        residual_sd = float(np.sqrt(np.mean((z[lag:] - z[:-lag]) ** 2)))
        growth = np.sqrt((steps - 1) // SEASON_LENGTH + 1) if seasonal else np.sqrt(steps)
        spread = residual_sd * growth
    centre = log_scale.forward(forecast)
    bounds = {}
    for level in levels:
        quantile = _normal_quantile(level)
        lower = log_scale.inverse(centre - quantile * spread)
        upper = log_scale.inverse(np.minimum(centre + quantile * spread, 700.0))
        bounds[level] = (lower, upper)
    return bounds


@cache
def _normal_quantile(level: int) -> float:
    return statistics.NormalDist().inv_cdf(0.5 + level / 200)


def path_bounds(
    paths: np.ndarray, levels: Sequence[int] = INTERVAL_LEVELS
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Return central intervals of paths ``(..., n_paths, horizon)`` at each level."""
    tails = [(100 - level) / 200 for level in levels]
    probabilities = [*tails, *(1 - tail for tail in tails)]
    n_paths, horizon = paths.shape[-2:]
    series = paths.reshape(-1, n_paths, horizon)
    quantiles = np.empty((len(probabilities), len(series), horizon))
    # A block of series at a time: the transposed copy and np.quantile's own partitioned copy
    # stay small instead of two copies of every path (4.4 GB each for 91k series x 500 paths).
    step = max(1, QUANTILE_BLOCK_VALUES // max(1, n_paths * horizon))
    for start in range(0, len(series), step):
        block = slice(start, start + step)
        # Quantiles along the last, contiguous axis are ~10x faster than along the paths axis.
        transposed = np.moveaxis(series[block], -2, -1).copy()
        quantiles[:, block] = np.quantile(transposed, probabilities, axis=-1)
    quantiles = quantiles.reshape(len(probabilities), *paths.shape[:-2], horizon)
    return {level: (quantiles[i], quantiles[len(levels) + i]) for i, level in enumerate(levels)}


def prob_at_least(
    paths: pd.DataFrame | SamplePaths,
    threshold: float | pd.Series,
    *,
    months: Sequence[object] | None = None,
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    path_col: str = "path",
    value_col: str = "y",
) -> pd.Series:
    """Return, per series, the probability that the total over ``months`` reaches a threshold.

    The total is summed path by path and then compared, which keeps the correlation between
    months; adding interval bounds would not.

    Args:
        paths: Sample paths: ``ForecastResult.paths`` (summed as arrays, no long frame is
            built), or a long frame with one row per series, month and path.
        threshold: One threshold for every series, or a Series indexed by series id.
        months: The months to total (any date in the month); ``None`` for all months present.
        id_col: Series id column (of a frame).
        time_col: Month column (of a frame).
        path_col: Path number column (of a frame).
        value_col: Path value column (of a frame).

    Returns:
        Probabilities in [0, 1], indexed by series id.

    Raises:
        ValueError: if a requested month is missing for a series or paths are incomplete.
    """
    if isinstance(paths, SamplePaths):
        return _array_prob_at_least(paths, threshold, months)
    frame = paths
    if months is not None:
        wanted = _periods(months)
        in_months = pd.to_datetime(frame[time_col]).dt.to_period("M").isin(wanted)
        frame = frame[in_months]
        found = frame.groupby(id_col)[time_col].nunique()
        incomplete = found[found < len(wanted)]
        if frame.empty or not incomplete.empty:
            raise ValueError(
                f"paths do not cover all of {[str(m) for m in wanted]} for "
                f"{list(incomplete.index[:3]) or 'any series'}"
            )
    totals = frame.groupby([id_col, path_col])[value_col].sum()
    if isinstance(threshold, pd.Series):
        limit = threshold.reindex(totals.index.get_level_values(0)).to_numpy()
        if np.isnan(limit).any():
            raise ValueError("threshold has no value for some series in paths")
    else:
        limit = float(threshold)
    reached = pd.Series(totals.to_numpy() >= limit, index=totals.index)
    return reached.groupby(level=0).mean().rename("prob_at_least")


def _array_prob_at_least(
    paths: SamplePaths, threshold: float | pd.Series, months: Sequence[object] | None
) -> pd.Series:
    """``prob_at_least`` of sample paths kept as an array: every node has every month."""
    ids = pd.Index(paths.ids, name=paths.id_col)
    columns = np.ones(len(paths.months), dtype=bool)
    if months is not None:
        wanted = _periods(months)
        columns = pd.PeriodIndex(pd.to_datetime(paths.months), freq="M").isin(wanted)
        if not len(ids) or columns.sum() < len(wanted):
            raise ValueError(f"paths do not cover all of {[str(m) for m in wanted]}")
    # Summed in place over the chosen months: no copy of the paths.
    totals = paths.values.sum(axis=2, where=columns)
    if isinstance(threshold, pd.Series):
        limit = threshold.reindex(ids).to_numpy(dtype=np.float64)[:, None]
        if np.isnan(limit).any():
            raise ValueError("threshold has no value for some series in paths")
    else:
        limit = float(threshold)
    return pd.Series((totals >= limit).mean(axis=1), index=ids, name="prob_at_least")


def _periods(months: Sequence[object]) -> pd.PeriodIndex:
    return pd.PeriodIndex(pd.to_datetime(pd.Series(list(months))).dt.to_period("M").unique())
