"""Rolling monthly forecasts: Prophet and challengers, backtested, with calibrated paths.

Frames in, frames out, on the long contract ``unique_id, ds, y`` plus hierarchy keys::

    import forecasts

    result = forecasts.forecast(history, "2025-11", hierarchy=["region", "product_line", "channel"])
    result.forecasts   # yhat, 80%/95% intervals, model and flags per node and month
    result.paths       # sample paths, coherent up the hierarchy: arrays (nodes x paths x months)
    result.paths.frame(max_paths=200)  # ... as a long frame, built on demand (nodes=... too)
    result.accuracy    # MAPE, WAPE, MASE, bias, coverage per series and horizon vs seasonal naive
    forecasts.prob_at_least(result.paths, 12e6, months=["2025-11", "2025-12"])

No Dagster, dbt or database imports: ``pipelines/defs/forecasts`` reads and writes tables.
"""

from forecasts.config import ForecastConfig
from forecasts.engine import (
    ForecastResult,
    backtest,
    forecast,
    horizon_for,
    keep_worker_pool,
    pool_is_kept,
    worker_pool,
)
from forecasts.metrics import accuracy_table, model_scores
from forecasts.model import ProphetSettings
from forecasts.paths import SamplePaths
from forecasts.reconcile import Level, default_levels, reconcile
from forecasts.schemas import FLAGS, InputError
from forecasts.uncertainty import prob_at_least

__all__ = [
    "FLAGS",
    "ForecastConfig",
    "ForecastResult",
    "InputError",
    "Level",
    "ProphetSettings",
    "SamplePaths",
    "accuracy_table",
    "backtest",
    "default_levels",
    "forecast",
    "horizon_for",
    "keep_worker_pool",
    "model_scores",
    "pool_is_kept",
    "prob_at_least",
    "reconcile",
    "worker_pool",
]
