"""The models next to Prophet: a seasonal-naive baseline and statsforecast's Theta and Croston.

Every function takes a clean history (``float`` array, no NaN) and a horizon and returns the
point forecast for the next ``horizon`` months. The engine calls Theta on the log scale
(``prepare.LogScale``) and Croston on the original scale, because Croston models the size and
spacing of non-zero months, which a log transform would distort.
"""

from __future__ import annotations

import numpy as np

SEASON_LENGTH = 12
# A seasonal model needs two full years to tell seasonality from trend.
MIN_SEASONAL_MONTHS = 2 * SEASON_LENGTH


def seasonal_naive(history: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last twelve months; the last value when there is less than a year.

    Args:
        history: The observed values, oldest first.
        horizon: Number of months to forecast.

    Returns:
        The forecast, length ``horizon``.
    """
    if len(history) == 0:
        raise ValueError("seasonal_naive needs at least one observation")
    if len(history) < SEASON_LENGTH:
        return np.full(horizon, float(history[-1]))
    last_year = history[-SEASON_LENGTH:]
    return last_year[np.arange(horizon) % SEASON_LENGTH].astype(np.float64)


def theta(history: np.ndarray, horizon: int) -> np.ndarray:
    """The optimised Theta method (Fiorucci et al., 2016) on seasonally adjusted data.

    With two years of data the series is always deseasonalised by a classical additive
    decomposition (``seasonal_indices``; additive because the engine passes log values), the
    Theta line is fitted to the adjusted series and the seasonal indices are added back, as
    statsforecast does after its seasonality test. statsforecast only
    deseasonalises when an autocorrelation test at lag 12 passes; on two or three years of
    trending, noisy sales the test often fails and Theta then forecasts a flat line through a
    strongly seasonal business (MASE 1.8 against Prophet's 1.1 on the test panel).
    """
    from statsforecast.models import OptimizedTheta  # ~3 s of imports: only when forecasting

    history = history.astype(np.float64)
    season = np.zeros(len(history))
    if len(history) >= MIN_SEASONAL_MONTHS:
        season = seasonal_indices(history)
    model = OptimizedTheta(season_length=1)
    adjusted = np.asarray(model.forecast(y=history - season, h=horizon)["mean"], dtype=float)
    return adjusted + seasonal_naive(season, horizon)


def seasonal_indices(history: np.ndarray) -> np.ndarray:
    """Return the classical additive seasonal component (as statsmodels' ``seasonal_decompose``).

    Trend is the centred 2x12 moving average; each calendar position's index is the mean
    detrended value at that position, centred to sum to zero over a year.
    """
    n = len(history)
    weights = np.r_[0.5, np.ones(SEASON_LENGTH - 1), 0.5] / SEASON_LENGTH
    trend = np.convolve(history, weights, mode="valid")  # defined for months 6 .. n - 7
    half = SEASON_LENGTH // 2
    detrended = history[half : n - half] - trend
    phase = np.arange(half, n - half) % SEASON_LENGTH
    means = np.array([detrended[phase == p].mean() for p in range(SEASON_LENGTH)])
    return (means - means.mean())[np.arange(n) % SEASON_LENGTH]


def croston_sba(history: np.ndarray, horizon: int) -> np.ndarray:
    """Croston's method with the Syntetos-Boylan bias correction, for intermittent demand."""
    from statsforecast.models import CrostonSBA

    forecast = CrostonSBA().forecast(y=history.astype(np.float64), h=horizon)["mean"]
    return np.asarray(forecast, dtype=np.float64)
