"""Settings of the forecast engine, validated at construction."""

from __future__ import annotations

from dataclasses import dataclass, field

from forecasts.model import ProphetSettings

# Where the per-series phase runs (forecasts.engine; forecasts.spark).
ENGINES = ("local", "spark")


@dataclass(frozen=True)
class ForecastConfig:
    """How the engine forecasts, backtests and simulates.

    Attributes:
        backtest_offsets: Backtest origins, in months before the as-of month (or before the
            first month after the data, for ``backtest``). The earliest origin is a warm-up:
            it gives the later ones past errors to choose models and calibrate intervals
            with, and is not scored. The default (18, 12) scores the origin 12 months back on
            horizons 1-12 and lets the final forecast choose on 24 out-of-sample months;
            each extra origin costs one more fit of every model per series.
        weight_power: Ensemble weights are ``MASE ** -weight_power`` of each model's pooled
            past errors (``forecasts.ensemble``; 0: equal weights).
        spring_festival: Add the Spring Festival slowdown share of each month
            (``salesplan.spring_festival.slowdown_share``) as a Prophet regressor.
        prophet: Prophet's settings.
        n_paths: Sample paths per series of the forecast (intervals are their quantiles).
        backtest_paths: Sample paths per series at backtest origins, where they only serve
            to score interval coverage.
        seed: Seed of the sample paths; with it, every output is reproducible.
        outlier_threshold: Robust z-score above which a month is an outlier.
        engine: Where the per-series phase runs: ``local`` (this process, or the worker
            processes of ``n_jobs``/``executor``) or ``spark`` (one Spark job on the active
            session or on ``$SALESPLAN_SPARK_MASTER``; ``forecasts.spark``). Both give
            identical results.
    """

    backtest_offsets: tuple[int, ...] = (18, 12)
    weight_power: float = 8.0
    spring_festival: bool = True
    prophet: ProphetSettings = field(default_factory=ProphetSettings)
    n_paths: int = 500
    backtest_paths: int = 200
    seed: int = 0
    outlier_threshold: float = 5.0
    engine: str = "local"

    def __post_init__(self) -> None:
        if any(offset < 1 for offset in self.backtest_offsets):
            raise ValueError(f"backtest_offsets must be >= 1 month, got {self.backtest_offsets}")
        if len(set(self.backtest_offsets)) != len(self.backtest_offsets):
            raise ValueError(f"backtest_offsets repeat a month: {self.backtest_offsets}")
        if min(self.n_paths, self.backtest_paths) < 10:
            raise ValueError(f"n_paths and backtest_paths must be >= 10, got {self}")
        if self.weight_power < 0:
            raise ValueError(f"weight_power must be >= 0, got {self.weight_power}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, got {self.engine!r}")
