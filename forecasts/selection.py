"""One series through every forecast origin: fit the models, combine and choose by past errors.

At each origin the series' regime (``prepare.classify``) decides what runs:

=============  ==========================================  ================================
regime         models fitted                               the engine's forecast
=============  ==========================================  ================================
regular        prophet, theta, seasonal_naive              their weighted ensemble
intermittent   croston_sba, seasonal_naive                 the one with lower past error
constant       constant (the value)                        constant
too_short      mean                                        mean
zero           zero                                        zero
=============  ==========================================  ================================

Here every model of the regime runs at every origin; the *ensemble* of the regular regime is
weighted across series afterwards (``forecasts.ensemble``), because its weights pool the past
errors of all series.

Choices at origin ``o`` only use errors the engine could have known at ``o``: forecasts
made at earlier origins for months before ``o``. This nesting is what makes the engine's
backtest score honest (it never chooses on the data it is scored on).

Every candidate runs inside ``try``; a failure is recorded and the others carry on. If every
model of the choice fails, the engine falls back to the seasonal naive forecast.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from forecasts import challengers
from forecasts.config import ForecastConfig
from forecasts.model import ProphetSettings, fit_prophet
from forecasts.prepare import (
    MIN_SEASONAL_MONTHS,
    LogScale,
    Series,
    classify,
    error_scale,
    mase_scale,
    month_index,
    month_range,
    replace_outliers,
)
from salesplan.spring_festival import slowdown_share

ENSEMBLE = "ensemble"
SMOOTH_MODELS = ("prophet", "theta")
ENSEMBLE_MODELS = (*SMOOTH_MODELS, "seasonal_naive")
# What the engine chooses between, per regime; the first is the default without past errors.
CHOICES: dict[str, tuple[str, ...]] = {
    "regular": (ENSEMBLE,),
    "intermittent": ("croston_sba", "seasonal_naive"),
    "constant": ("constant",),
    "too_short": ("mean",),
    "zero": ("zero",),
}
# The models fitted at backtest origins, per regime.
MODELS: dict[str, tuple[str, ...]] = {
    "regular": ENSEMBLE_MODELS,
    "intermittent": ("croston_sba", "seasonal_naive"),
    "constant": ("constant", "seasonal_naive"),
    "too_short": ("mean", "seasonal_naive"),
    "zero": ("zero", "seasonal_naive"),
}
# Prophet and Theta need a few months to estimate anything (a trend and a level).
MIN_SMOOTH_MONTHS = 6


@dataclass
class OriginResult:
    """What happened to one series at one forecast origin.

    Attributes:
        origin: The origin month (``month_index``): the first forecast month.
        regime: The series' regime on the data before the origin.
        flags: Flags raised at this origin (regime, outliers, model failures).
        log_scale: The log transform of the training window.
        error_scale: Typical log-scale monthly change of the training window.
        mase_scale: MASE denominator of the training window (original scale).
        forecasts: Point forecast (median, original scale) of every model that ran, and of
            the ensemble.
        weights: The ensemble's weights (set by ``forecasts.ensemble``).
        selected: What the engine chose.
        failures: ``(model, message)`` for every model that raised.
    """

    origin: int
    regime: str
    flags: set[str]
    log_scale: LogScale
    error_scale: float
    mase_scale: float
    forecasts: dict[str, np.ndarray]
    weights: dict[str, float] = field(default_factory=dict)
    selected: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def engine(self) -> np.ndarray:
        """The engine's forecast: the selected model's (the ensemble once it is weighted)."""
        return self.forecasts[self.selected]

    @property
    def model(self) -> str:
        """What the engine used, for the ``model`` column, with the ensemble's weights."""
        if self.selected != ENSEMBLE:
            return self.selected
        parts = ", ".join(f"{name} {weight:.0%}" for name, weight in self.weights.items())
        return f"{ENSEMBLE}({parts})"


@dataclass
class SeriesResult:
    """One series at every origin (``None`` where it had no data before the origin)."""

    series: Series
    origins: list[OriginResult | None]


def run_series(
    series: Series,
    backtest_origins: list[int],
    final_origin: int | None,
    horizon: int,
    config: ForecastConfig,
) -> SeriesResult:
    """Fit, score and choose models for one series at every origin.

    Args:
        series: The clean series.
        backtest_origins: Backtest origins (``month_index``), ascending; every candidate runs.
        final_origin: The forecast origin (as-of month), after the backtest origins, or
            ``None`` for a backtest only. Only the models the choice needs run here.
        horizon: Months forecast from each origin.
        config: Engine settings.

    Returns:
        The per-origin results, backtest origins first, then the final origin.
    """
    start = month_index(series.start)
    results: list[OriginResult | None] = []
    done: list[OriginResult] = []
    origins = [(origin, False) for origin in backtest_origins]
    if final_origin is not None:
        origins.append((final_origin, True))
    for origin, is_final in origins:
        length = origin - start
        if length <= 0:
            results.append(None)
            continue
        window = series.values[:length]
        try:
            result = _run_origin(series, window, origin, horizon, config, done, is_final)
        except Exception as error:  # one bad series never stops the run
            result = _failed_origin(window, origin, horizon, error)
        results.append(result)
        done.append(result)
    return SeriesResult(series=series, origins=results)


def _run_origin(
    series: Series,
    window: np.ndarray,
    origin: int,
    horizon: int,
    config: ForecastConfig,
    earlier: list[OriginResult],
    is_final: bool,
) -> OriginResult:
    regime, flags = classify(window)
    log_scale = LogScale.for_values(window)
    z = log_scale.forward(window)
    if regime == "regular":
        z, n_outliers = replace_outliers(z, config.outlier_threshold)
        if n_outliers:
            flags = flags | {"outliers_replaced"}
    result = OriginResult(
        origin=origin,
        regime=regime,
        flags=set(flags),
        log_scale=log_scale,
        error_scale=error_scale(z),
        mase_scale=mase_scale(window),
        forecasts={},
    )
    choices = CHOICES[regime]
    choice = _select(series, origin, choices, earlier)
    if not is_final:
        needed = MODELS[regime]
    elif choice == ENSEMBLE:
        needed = ENSEMBLE_MODELS
    else:
        needed = (choice, "seasonal_naive")
    if len(window) < MIN_SMOOTH_MONTHS:
        needed = tuple(name for name in needed if name not in SMOOTH_MODELS)
    _fit_models(result, needed, window, z, origin, horizon, config)
    if regime == "regular":
        # Weighted across series later; seasonal naive alone if nothing else ran.
        has_members = any(name in result.forecasts for name in SMOOTH_MODELS)
        result.selected = ENSEMBLE if has_members else "seasonal_naive"
    else:
        fallbacks = [choice, *(c for c in choices if c != choice), "seasonal_naive"]
        result.selected = next(name for name in fallbacks if name in result.forecasts)
    if result.failures:
        result.flags.add("model_failed")
    return result


def _fit_models(
    result: OriginResult,
    names: tuple[str, ...],
    window: np.ndarray,
    z: np.ndarray,
    origin: int,
    horizon: int,
    config: ForecastConfig,
) -> None:
    for name in names:
        try:
            if name in SMOOTH_MODELS:
                forecast = _smooth_model(name, z, origin, horizon, config)
                result.forecasts[name] = result.log_scale.inverse(forecast)
                # A forecast 100x above anything seen is a diverged fit, not a forecast.
                if result.forecasts[name].max() > 100 * max(window.max(), 1e-9):
                    del result.forecasts[name]
                    raise ValueError(f"{name} diverged (forecast > 100x the history's maximum)")
            else:
                result.forecasts[name] = _simple_model(name, window, horizon)
        except Exception as error:  # a failing model is reported, the others carry on
            result.failures.append((name, _describe(error)))


def _smooth_model(
    name: str, z: np.ndarray, origin: int, horizon: int, config: ForecastConfig
) -> np.ndarray:
    if name == "theta":
        forecast = challengers.theta(z, horizon)
    else:
        forecast = _prophet(z, origin, horizon, config)
    if not np.isfinite(forecast).all():
        raise ValueError(f"{name} returned non-finite values")
    return forecast


def _prophet(z: np.ndarray, origin: int, horizon: int, config: ForecastConfig) -> np.ndarray:
    n = len(z)
    seasonal = n >= MIN_SEASONAL_MONTHS
    settings = config.prophet if seasonal else _without_seasonality(config.prophet)
    history = month_range(np.datetime64(origin - n, "M"), n)
    future = month_range(np.datetime64(origin, "M"), horizon)
    if config.spring_festival and seasonal:
        fit = fit_prophet(history, z, settings, _spring_festival(history))
        return fit.predict(future, _spring_festival(future))
    return fit_prophet(history, z, settings).predict(future)


@cache
def _without_seasonality(settings: ProphetSettings) -> ProphetSettings:
    return ProphetSettings(**{**settings.__dict__, "yearly_order": 0})


def _spring_festival(months: np.ndarray) -> np.ndarray:
    days = months.astype("datetime64[M]").astype(np.int64)
    return np.array([[slowdown_share(1970 + int(d) // 12, int(d) % 12 + 1)] for d in days])


def _simple_model(name: str, window: np.ndarray, horizon: int) -> np.ndarray:
    if name == "seasonal_naive":
        return challengers.seasonal_naive(window, horizon)
    if name == "croston_sba":
        return np.clip(challengers.croston_sba(window, horizon), 0.0, None)
    if name == "constant":
        return np.full(horizon, float(window[-1]))
    if name == "mean":
        return np.full(horizon, float(window.mean()))
    if name == "zero":
        return np.zeros(horizon)
    raise ValueError(f"Unknown model {name!r}")


def _past_errors(
    series: Series, origin: int, names: tuple[str, ...], earlier: list[OriginResult]
) -> tuple[dict[str, float], int]:
    """Sum of absolute errors per model on the months known at ``origin``.

    Only past origins where every model of ``names`` made a forecast count, so the models are
    compared on the same months. Returns the sums and the number of months.
    """
    start = month_index(series.start)
    totals = dict.fromkeys(names, 0.0)
    points = 0
    for past in earlier:
        if not all(name in past.forecasts for name in names):
            continue
        # Months forecast at ``past`` that were already observed at ``origin``.
        first, last = past.origin - start, min(origin, past.origin + _horizon(past)) - start
        actual = series.observed[first:last]
        known = ~np.isnan(actual)
        if not known.any():
            continue
        points += int(known.sum())
        for name in names:
            predicted = past.forecasts[name][: last - first]
            totals[name] += float(np.abs(actual[known] - predicted[known]).sum())
    return totals, points


def _select(
    series: Series, origin: int, choices: tuple[str, ...], earlier: list[OriginResult]
) -> str:
    """Choose the option with the lowest absolute error on what was known at ``origin``."""
    if len(choices) == 1:
        return choices[0]
    totals, points = _past_errors(series, origin, choices, earlier)
    if points == 0:
        return choices[0]
    return min(choices, key=lambda name: (totals[name], choices.index(name)))


def _horizon(result: OriginResult) -> int:
    return len(next(iter(result.forecasts.values())))


def _failed_origin(window: np.ndarray, origin: int, horizon: int, error: Exception) -> OriginResult:
    """The seasonal naive forecast for a series whose pipeline raised."""
    log_scale = LogScale.for_values(window)
    return OriginResult(
        origin=origin,
        regime="failed",
        flags={"failed"},
        log_scale=log_scale,
        error_scale=error_scale(log_scale.forward(window)),
        mase_scale=mase_scale(window),
        forecasts={"seasonal_naive": challengers.seasonal_naive(window, horizon)},
        selected="seasonal_naive",
        failures=[("pipeline", _describe(error))],
    )


def _describe(error: Exception) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(error).__name__}: {error}{where}"
