"""The ensemble of Prophet, Theta and seasonal naive, weighted on pooled past errors.

Each model's weight at origin ``o`` is proportional to ``MASE ** -power``, where MASE is the
model's mean absolute scaled error over every regular series on the backtest months known at
``o`` (forecasts made at earlier origins for months before ``o``), averaged across series;
without past errors the weights are equal. With the default ``power`` of 8, a model whose
pooled MASE is 10% above the best one gets 47% of the best one's weight, 25% above: 17%. This
is Bates & Granger's (1969) inverse-error weighting with the errors pooled over series.

Why pooled rather than per series, and why these members (measured on the benchmark series,
rolling origin with 4 scored cutoffs, bench/bench_forecasts.py prints the current figures):

* weights or a choice per series, from the 6-24 past months each series has, were noisy:
  picking each series' best model lost to the best single model on two of three series sets,
  and per-series weights lost on a panel where one model fits every series;
* pooled weights beat the best single model on every set (demo bookings 1.6%, demo
  collections 3.1%, real series 0.2%, that panel 0.1% lower MASE), while the equal-weight
  average lost on two of them;
* ETS(A,N,A) as a fourth member cost a third of the fit time and did not help.
"""

from __future__ import annotations

import numpy as np

from forecasts.prepare import month_index
from forecasts.selection import ENSEMBLE, ENSEMBLE_MODELS, OriginResult, SeriesResult


def pooled_weights(results: list[SeriesResult], position: int, power: float) -> dict[str, float]:
    """Return the ensemble weights for origin number ``position``.

    Args:
        results: Every series through every origin.
        position: Index of the origin in ``SeriesResult.origins``.
        power: Weights are ``MASE ** -power``.

    Returns:
        Weights of ``ENSEMBLE_MODELS``, summing to 1.
    """
    per_series = []
    for result in results:
        current = result.origins[position]
        if current is None or current.regime != "regular":
            continue
        errors = _scaled_errors(result, position, current.origin)
        if errors is not None:
            per_series.append(errors)
    if not per_series:
        return {name: 1.0 / len(ENSEMBLE_MODELS) for name in ENSEMBLE_MODELS}
    mase = np.mean(per_series, axis=0)
    raw = np.maximum(mase, 1e-9 * max(mase.max(), 1e-9)) ** -power
    return dict(zip(ENSEMBLE_MODELS, raw / raw.sum(), strict=True))


def _scaled_errors(result: SeriesResult, position: int, origin: int) -> np.ndarray | None:
    """Mean absolute scaled error of each member on the months known at ``origin``."""
    start = month_index(result.series.start)
    totals, count = np.zeros(len(ENSEMBLE_MODELS)), 0
    for past in result.origins[:position]:
        if past is None or not all(name in past.forecasts for name in ENSEMBLE_MODELS):
            continue
        if not past.mase_scale > 0:  # NaN or zero: a flat history has no scale
            continue
        months = min(origin - past.origin, len(past.forecasts[ENSEMBLE_MODELS[0]]))
        actual = result.series.observed[past.origin - start : past.origin - start + months]
        known = np.isfinite(actual)
        if not known.any():
            continue
        for column, name in enumerate(ENSEMBLE_MODELS):
            error = np.abs(past.forecasts[name][: len(actual)] - actual)[known]
            totals[column] += float(error.sum()) / past.mase_scale
        count += int(known.sum())
    return totals / count if count else None


def apply_weights(current: OriginResult, weights: dict[str, float]) -> None:
    """Set the ensemble forecast of one series at one origin (members that ran only)."""
    if current.regime != "regular" or current.selected != ENSEMBLE:
        return
    available = {name: w for name, w in weights.items() if name in current.forecasts}
    total = sum(available.values())
    current.weights = {name: weight / total for name, weight in available.items()}
    current.forecasts[ENSEMBLE] = sum(
        weight * current.forecasts[name] for name, weight in current.weights.items()
    )
