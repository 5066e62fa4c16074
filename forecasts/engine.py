"""The rolling forecast: backtest, forecast, paths, intervals, reconciliation and accuracy.

At as-of month ``M`` the engine uses the data up to ``M - 1`` only. It forecasts ``M`` and
the following months up to the end of the fiscal year, and at least 12 months. Backtest
origins are real calendar months (``M - 18``, ``M - 12`` by default); the earliest is a
warm-up. Work happens in two phases:

1. per series (in worker processes when ``n_jobs > 1``): clean, classify and fit the models
   at every backtest origin and at ``M`` (``forecasts.selection``);
2. across series (in the calling process): weight the ensemble on pooled past errors
   (``forecasts.ensemble``), calibrate the error model on the backtest errors, draw sample
   paths, sum them up the hierarchy, take interval quantiles and score the backtest
   (``forecasts.uncertainty``, ``forecasts.reconcile``, ``forecasts.metrics``).

Nothing depends on wall-clock time, the order of series or the number of workers: the same
input, configuration and seed give identical frames.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse

from forecasts import challengers
from forecasts.config import ForecastConfig
from forecasts.ensemble import apply_weights, pooled_weights
from forecasts.metrics import accuracy_table
from forecasts.paths import SamplePaths
from forecasts.prepare import (
    RawSeries,
    mase_scale,
    month_index,
    month_range,
    prepare_panel,
    split_panel,
)
from forecasts.reconcile import (
    BOTTOM_LEVEL,
    Level,
    aggregate,
    aggregate_paths,
    default_levels,
    forecast_frame,
    hierarchy_nodes,
)
from forecasts.schemas import ID_COL, TARGET_COL, TIME_COL, join_flags, validate_history
from forecasts.selection import OriginResult, SeriesResult, run_series
from forecasts.uncertainty import (
    BOOTSTRAP_MONTHS,
    TOO_SHORT_SCALE,
    Calibration,
    bootstrap_paths,
    common_shocks,
    fit_calibration,
    log_normal_paths,
    seasonal_naive_bounds,
    series_seed,
)
from salesplan.months import format_month, parse_month
from salesplan.processes import spawn_pool

MIN_HORIZON = 12
BOTTOM_UP = "bottom_up"


@dataclass(frozen=True)
class ForecastResult:
    """Everything one run produces.

    Attributes:
        forecasts: One row per node and month: ``level``, hierarchy keys (``None`` where
            aggregated), ``unique_id``, ``ds``, ``horizon``, ``yhat`` (median), the 80%/95%
            bounds ``yhat_lower_80`` ... ``yhat_upper_95``, ``model`` and ``flags``.
        paths: Sample paths of every node, as an array (``SamplePaths``); ``paths.frame()``
            gives the long frame ``unique_id``, ``ds``, ``path``, ``y`` (of some nodes or
            paths only, if asked). Parents' paths are sums of their children's.
        backtest: Every backtest forecast: ``level``, keys, ``unique_id``, ``bottom``,
            ``cutoff``, ``ds``, ``horizon``, ``y``, ``model`` (``engine`` and ``seasonal_naive``;
            ``backtest`` adds every single model), ``selected``, ``yhat``, bounds (engine and
            seasonal naive), ``scale`` (MASE denominator) and ``scored``. The warm-up origin
            has no rows.
        accuracy: ``metrics.accuracy_table`` of the backtest (engine vs seasonal naive).
        failures: One row per model that raised: ``unique_id``, ``cutoff``, ``model``,
            ``error``.
        calibration: The error model behind the forecast paths.
        as_of: The as-of month ``YYYY-MM`` (``None`` for a backtest only).
        horizon: Months forecast from each origin.
    """

    forecasts: pd.DataFrame
    paths: SamplePaths
    backtest: pd.DataFrame
    accuracy: pd.DataFrame
    failures: pd.DataFrame
    calibration: Calibration | None
    as_of: str | None
    horizon: int
    hierarchy: tuple[str, ...] = field(default=())

    @property
    def fitted_at(self) -> dt.datetime | None:
        """When the forecast counts as made: the start of the as-of month, never ``now()``."""
        if self.as_of is None:
            return None
        return dt.datetime.combine(parse_month(self.as_of), dt.time())


def horizon_for(as_of: str, fiscal_year_start_month: int = 1, min_months: int = MIN_HORIZON) -> int:
    """Return how many months to forecast from ``as_of``.

    Args:
        as_of: The as-of month ``YYYY-MM``.
        fiscal_year_start_month: First month of the fiscal year (1-12).
        min_months: Minimum horizon.

    Returns:
        ``max(min_months, months from as_of to the end of its fiscal year, inclusive)``.
    """
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1-12, got {fiscal_year_start_month}")
    month = parse_month(as_of).month
    to_year_end = (fiscal_year_start_month - month - 1) % 12 + 1
    return max(min_months, to_year_end)


def forecast(
    df: pd.DataFrame,
    as_of: str,
    *,
    hierarchy: Sequence[str] = (),
    levels: Sequence[Level] | None = None,
    horizon: int | None = None,
    fiscal_year_start_month: int = 1,
    config: ForecastConfig | None = None,
    n_jobs: int = 1,
    executor: concurrent.futures.Executor | None = None,
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    target_col: str = TARGET_COL,
) -> ForecastResult:
    """Forecast every series from ``as_of`` on, with backtest, intervals and paths.

    Args:
        df: Long history: ``unique_id`` (or the hierarchy keys), ``ds``, ``y``. Rows from
            ``as_of`` on are ignored: the forecast at ``M`` uses data up to ``M - 1``.
        as_of: The as-of month ``YYYY-MM``: the first forecast month.
        hierarchy: Key columns, top-down (e.g. ``region, product_line, channel``). The bottom
            series are the combinations of all keys; parents are summed bottom-up.
        levels: Levels to output (default ``reconcile.default_levels(hierarchy)``).
        horizon: Months to forecast (default ``horizon_for(as_of, fiscal_year_start_month)``).
        fiscal_year_start_month: First month of the fiscal year.
        config: Engine settings.
        n_jobs: Worker processes for the per-series phase (1: in this process).
        executor: A pool from ``worker_pool`` to reuse (overrides ``n_jobs``).
        id_col: Series id column of ``df``.
        time_col: Month column of ``df``.
        target_col: Value column of ``df``.

    Returns:
        The forecasts, paths, backtest, accuracy and failures.

    Raises:
        InputError: if ``df`` breaks the data contract (the message names row, column, value).
    """
    config = config or ForecastConfig()
    origin = month_index(np.datetime64(parse_month(as_of), "M"))
    horizon = horizon or horizon_for(as_of, fiscal_year_start_month)
    history = validate_history(
        df, hierarchy=hierarchy, id_col=id_col, time_col=time_col, target_col=target_col
    )
    backtest_origins = sorted(origin - offset for offset in config.backtest_offsets)
    result = _run(
        history, hierarchy, levels, backtest_origins, origin, horizon, config, n_jobs, executor
    )
    return _rename(result, id_col, time_col)


def backtest(
    df: pd.DataFrame,
    cutoffs: Sequence[str],
    horizon: int = MIN_HORIZON,
    *,
    hierarchy: Sequence[str] = (),
    levels: Sequence[Level] | None = None,
    config: ForecastConfig | None = None,
    n_jobs: int = 1,
    executor: concurrent.futures.Executor | None = None,
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    target_col: str = TARGET_COL,
) -> pd.DataFrame:
    """Rolling-origin backtest of the engine and every candidate model.

    At each cutoff (a calendar month ``YYYY-MM``) every model is fitted on the months before
    it and forecasts ``horizon`` months, scored where actuals exist. The first cutoff is a
    warm-up (``scored`` is False): the engine's choice and intervals at a cutoff use only
    errors from earlier cutoffs on months before it, so it never chooses on what it is
    scored on.

    Args:
        df: Long history (see ``forecast``), including the months to score.
        cutoffs: At least two cutoff months, ``YYYY-MM``.
        horizon: Months forecast from each cutoff.
        hierarchy: Key columns, top-down; parents are scored on bottom-up sums.
        levels: Levels to score (default ``reconcile.default_levels(hierarchy)``).
        config: Engine settings (``backtest_offsets`` is not used).
        n_jobs: Worker processes.
        executor: A pool from ``worker_pool`` to reuse.
        id_col: Series id column of ``df``.
        time_col: Month column of ``df``.
        target_col: Value column of ``df``.

    Returns:
        The backtest frame (``ForecastResult.backtest``); score it with
        ``metrics.accuracy_table`` or ``metrics.model_scores``.
    """
    config = config or ForecastConfig()
    origins = sorted({month_index(np.datetime64(parse_month(c), "M")) for c in cutoffs})
    if len(origins) < 2:
        raise ValueError("a backtest needs at least two cutoffs (the first is a warm-up)")
    history = validate_history(
        df, hierarchy=hierarchy, id_col=id_col, time_col=time_col, target_col=target_col
    )
    result = _run(
        history, hierarchy, levels, origins, None, horizon, config, n_jobs, executor, True
    )
    return _rename(result, id_col, time_col).backtest


@contextlib.contextmanager
def worker_pool(n_jobs: int) -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """A pool of warmed-up worker processes to pass as ``executor``.

    Workers start with ``spawn`` (safe with the threads numba and pandas may hold) and each
    runs every model once before taking work, so importing statsforecast, its compilation and
    the first Stan run (5 s per process on a quiet machine) are paid here, not inside the
    first forecasts. As always with ``spawn``, a script that creates the pool must guard its
    entry point with ``if __name__ == "__main__":`` (workers import the main module).
    Inside ``keep_worker_pool(n_jobs)`` it hands out that block's pool instead, which outlives
    this block.
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    if n_jobs in _KEEPING:
        with _KEPT_LOCK:
            pool = _KEPT_POOLS.get(n_jobs)
            if pool is None:
                pool = _KEPT_POOLS[n_jobs] = _start_pool(n_jobs)
        try:
            yield pool
        except concurrent.futures.BrokenExecutor:
            # A worker died (killed, out of memory): the next use starts a new pool.
            with _KEPT_LOCK:
                if _KEPT_POOLS.get(n_jobs) is pool:
                    del _KEPT_POOLS[n_jobs]
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        return
    pool = _start_pool(n_jobs)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# Pools kept by ``keep_worker_pool``, by number of workers; started at first use.
_KEEPING: set[int] = set()
_KEPT_POOLS: dict[int, concurrent.futures.ProcessPoolExecutor] = {}
_KEPT_LOCK = threading.Lock()


@contextlib.contextmanager
def keep_worker_pool(n_jobs: int) -> Iterator[None]:
    """Within the block, every ``worker_pool(n_jobs)`` hands out one pool, started at first use.

    For a process that forecasts many times in a row, such as a backfill's months: the
    workers start (imports and warm-up, 5-25 s) once instead of at every forecast, so even a
    few hundred series are worth fitting on them (``pool_is_kept``). The workers shut down when
    the block ends, and exit with this process if it is killed. A nested block is a no-op.
    """
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    if n_jobs in _KEEPING:
        yield
        return
    _KEEPING.add(n_jobs)
    try:
        yield
    finally:
        _KEEPING.discard(n_jobs)
        with _KEPT_LOCK:
            pool = _KEPT_POOLS.pop(n_jobs, None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def pool_is_kept(n_jobs: int) -> bool:
    """Whether ``worker_pool(n_jobs)`` hands out a kept pool here (``keep_worker_pool``)."""
    return n_jobs in _KEEPING


def _start_pool(n_jobs: int) -> concurrent.futures.ProcessPoolExecutor:
    pool = spawn_pool(n_jobs, initializer=warm_up)
    try:
        list(pool.map(_ready, range(n_jobs)))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return pool


def warm_up() -> None:
    """Run every model once on a tiny series (loads compiled code and the Stan binary)."""
    months = 30
    values = 100 + 10 * np.sin(np.arange(months) * np.pi / 6) + np.arange(months)
    frame = pd.DataFrame(
        {
            ID_COL: "warm-up",
            TIME_COL: month_range(np.datetime64("2020-01"), months),
            TARGET_COL: values,
        }
    )
    series = prepare_panel(frame, np.datetime64("2022-06"))[0]
    run_series(series, [month_index(np.datetime64("2022-01"))], None, 3, ForecastConfig())
    challengers.croston_sba(np.array([0.0, 1.0, 0.0, 2.0]), 2)


def _ready(_: int) -> bool:
    return True


def _run(
    history: pd.DataFrame,
    hierarchy: Sequence[str],
    levels: Sequence[Level] | None,
    backtest_origins: list[int],
    final_origin: int | None,
    horizon: int,
    config: ForecastConfig,
    n_jobs: int,
    executor: concurrent.futures.Executor | None,
    candidates: bool = False,
) -> ForecastResult:
    hierarchy = tuple(hierarchy)
    if final_origin is not None:
        end = final_origin - 1
    else:
        end = month_index(history[TIME_COL].max()) if not history.empty else backtest_origins[-1]
    raws = split_panel(history, np.datetime64(end, "M"))
    if not raws:
        raise ValueError("no series has data before the forecast origin")
    results = _per_series(raws, backtest_origins, final_origin, horizon, config, n_jobs, executor)
    for position in range(len(results[0].origins)):
        weights = pooled_weights(results, position, config.weight_power)
        for result in results:
            if result.origins[position] is not None:
                apply_weights(result.origins[position], weights)

    bottom = _bottom_table(history, [raw.unique_id for raw in raws], hierarchy)
    if levels is None:
        levels = default_levels(hierarchy) if hierarchy else [Level(BOTTOM_LEVEL, ())]
    if hierarchy:
        nodes, summing = hierarchy_nodes(bottom, hierarchy, levels)
        bottom_level = next(level.name for level in levels if set(level.keys) == set(hierarchy))
        is_bottom = (nodes["level"] == bottom_level).to_numpy()
    else:
        nodes = bottom.assign(level=levels[-1].name)[["level", ID_COL]]
        summing = scipy.sparse.identity(len(bottom), format="csr")
        is_bottom = np.ones(len(nodes), dtype=bool)
    panel = _Panel.build(results, end)

    # The first origin is a warm-up: it only gives the later ones past errors, so it has no
    # rows of its own.
    backtest_frames, calibration = [], None
    for position, origin in enumerate(backtest_origins[1:], start=1):
        calibration = _calibrate(results, position, panel)
        backtest_frames.append(
            _backtest_rows(
                results,
                position,
                origin,
                panel,
                nodes,
                is_bottom,
                summing,
                hierarchy,
                config,
                calibration,
                horizon,
                candidates,
            )
        )
    backtest = pd.concat(backtest_frames, ignore_index=True)
    accuracy = accuracy_table(backtest, keys=hierarchy)

    forecasts = pd.DataFrame()
    paths = SamplePaths.empty()
    as_of = None
    if final_origin is not None:
        position = len(backtest_origins)
        calibration = _calibrate(results, position, panel)
        forecasts, paths = _final_frames(
            results,
            position,
            final_origin,
            nodes,
            is_bottom,
            summing,
            hierarchy,
            config,
            calibration,
            horizon,
        )
        as_of = format_month(parse_month(str(np.datetime64(final_origin, "M"))))
    return ForecastResult(
        forecasts=forecasts,
        paths=paths,
        backtest=backtest,
        accuracy=accuracy,
        failures=_failures(results, backtest_origins, final_origin),
        calibration=calibration,
        as_of=as_of,
        horizon=horizon,
        hierarchy=hierarchy,
    )


def _per_series(
    series: list[RawSeries],
    backtest_origins: list[int],
    final_origin: int | None,
    horizon: int,
    config: ForecastConfig,
    n_jobs: int,
    executor: concurrent.futures.Executor | None,
) -> list[SeriesResult]:
    task = (backtest_origins, final_origin, horizon, config)
    if config.engine == "spark":  # pyspark is imported only when asked for
        from forecasts import spark

        return spark.map_series(series, _run_chunk, task)
    if executor is None and n_jobs <= 1:
        return _run_chunk(series, *task)
    workers = getattr(executor, "_max_workers", n_jobs)
    # Several chunks per worker balance the load; contiguous chunks keep the order.
    n_chunks = min(len(series), max(1, workers) * 4)
    chunks = [list(chunk) for chunk in np.array_split(np.array(series, dtype=object), n_chunks)]
    with contextlib.ExitStack() as stack:
        pool = executor or stack.enter_context(worker_pool(n_jobs))
        futures = [pool.submit(_run_chunk, chunk, *task) for chunk in chunks if chunk]
        return [result for future in futures for result in future.result()]


def _run_chunk(
    series: list[RawSeries],
    backtest_origins: list[int],
    final_origin: int | None,
    horizon: int,
    config: ForecastConfig,
) -> list[SeriesResult]:
    # Cleaning happens here too, in the workers: it is per series.
    return [
        run_series(raw.prepare(), backtest_origins, final_origin, horizon, config) for raw in series
    ]


def _bottom_table(
    history: pd.DataFrame, ids: list[str], hierarchy: tuple[str, ...]
) -> pd.DataFrame:
    keys = history.drop_duplicates(ID_COL).set_index(ID_COL)
    bottom = pd.DataFrame({ID_COL: ids})
    for key in hierarchy:
        bottom[key] = keys.loc[ids, key].to_numpy()
    return bottom


@dataclass
class _Panel:
    """Bottom series on one month axis: cleaned values and observations (0 before start)."""

    first: int
    values: np.ndarray
    observed: np.ndarray

    @classmethod
    def build(cls, results: list[SeriesResult], end: int) -> _Panel:
        first = min(month_index(r.series.start) for r in results)
        width = end - first + 1
        values = np.zeros((len(results), width))
        observed = np.zeros((len(results), width))
        for row, result in enumerate(results):
            offset = month_index(result.series.start) - first
            values[row, offset : offset + len(result.series.values)] = result.series.values
            observed[row, offset : offset + len(result.series.observed)] = result.series.observed
        return cls(first, values, observed)

    def window(self, origin: int, months: int) -> slice:
        """Columns of the months ``origin .. origin + months - 1`` that are in the panel."""
        start = origin - self.first
        return slice(max(start, 0), min(start + months, self.values.shape[1]))


def _calibrate(results: list[SeriesResult], position: int, panel: _Panel) -> Calibration:
    """Fit the error model on engine errors known at origin number ``position``."""
    units, horizons, groups, rows, weights = [], [], [], [], []
    for row, result in enumerate(results):
        current = result.origins[position]
        if current is None or current.regime != "regular" or current.error_scale <= 0:
            continue
        for past in result.origins[:position]:
            if past is None or past.origin >= current.origin:
                continue
            months = min(current.origin - past.origin, len(past.engine))
            actual = panel.observed[row, panel.window(past.origin, months)]
            known = np.isfinite(actual)
            log_scale = current.log_scale
            error = log_scale.forward(actual) - log_scale.forward(past.engine[: len(actual)])
            steps = np.arange(1, len(actual) + 1)[known]
            units.append(error[known] / current.error_scale)
            horizons.append(steps)
            groups.append(past.origin * 1000 + steps)  # one group per origin and month
            rows.append(np.full(len(steps), row))
            # A log-scale error e moves the money by about (level + offset) x e.
            level = float(np.mean(current.engine)) + log_scale.offset
            weights.append(np.full(len(steps), level * current.error_scale))
    columns = {"u": units, "horizon": horizons, "group": groups, "series": rows, "weight": weights}
    return fit_calibration(
        pd.DataFrame(
            {name: np.concatenate(parts) if parts else [] for name, parts in columns.items()}
        )
    )


def _node_paths(
    results: list[SeriesResult],
    position: int,
    origin: int,
    summing: scipy.sparse.csr_matrix,
    config: ForecastConfig,
    calibration: Calibration,
    horizon: int,
    n_paths: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Return every node's medians ``(nodes, horizon)`` and paths ``(nodes, paths, horizon)``.

    The bottom paths are drawn straight into the last rows of the node array, where
    ``hierarchy_nodes`` puts the bottom nodes, so the largest array of the run exists once
    (``reconcile.aggregate_paths``; other orders of levels are summed from those rows).
    """
    n_nodes, n_bottom = summing.shape
    # Zeroed lazily by the OS: rows of series without a forecast stay 0 at no cost.
    paths = np.zeros((n_nodes, n_paths, horizon))
    bottom = paths[n_nodes - n_bottom :]
    medians = _bottom_paths(results, position, origin, config, calibration, bottom)
    aggregate_paths(summing, bottom, paths)
    return aggregate(summing, medians), paths


def _bottom_paths(
    results: list[SeriesResult],
    position: int,
    origin: int,
    config: ForecastConfig,
    calibration: Calibration,
    paths: np.ndarray,
) -> np.ndarray:
    """Draw the paths ``(series, paths, horizon)`` into ``paths`` (zeros); return the medians."""
    _, n_paths, horizon = paths.shape
    medians = np.zeros((len(results), horizon))
    common = common_shocks(config.seed, origin, n_paths, horizon)
    for row, result in enumerate(results):
        current = result.origins[position]
        if current is None:  # the series did not exist yet: no sales forecast
            continue
        median = current.engine[:horizon]
        medians[row] = median
        generator = series_seed(config.seed, result.series.unique_id, origin)
        own = generator.standard_normal((n_paths, horizon))
        if current.regime in ("regular", "too_short", "failed"):
            scale = current.error_scale if current.regime != "too_short" else TOO_SHORT_SCALE
            paths[row] = log_normal_paths(
                median, current.log_scale, scale, calibration, own, common
            )
        elif current.regime == "intermittent":
            start = month_index(result.series.start)
            window = result.series.values[: origin - start]
            recent = window[-min(len(window), BOOTSTRAP_MONTHS) :]
            paths[row] = bootstrap_paths(median, recent, generator, n_paths)
        else:  # zero, constant: the forecast is certain
            paths[row] = median[None, :]
    return medians


def _node_baseline(
    results: list[SeriesResult],
    position: int,
    origin: int,
    panel: _Panel,
    summing: scipy.sparse.csr_matrix,
    horizon: int,
) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Seasonal naive per node (summed), its textbook bounds and each node's MASE scale."""
    bottom = np.zeros((len(results), horizon))
    for row, result in enumerate(results):
        current = result.origins[position]
        if current is not None and "seasonal_naive" in current.forecasts:
            bottom[row] = current.forecasts["seasonal_naive"][:horizon]
    point = aggregate(summing, bottom)
    history = summing @ panel.values[:, : max(origin - panel.first, 0)]
    lower = {level: np.zeros_like(point) for level in (80, 95)}
    upper = {level: np.zeros_like(point) for level in (80, 95)}
    scales = np.full(len(point), np.nan)
    for node in range(len(point)):
        selling = np.flatnonzero(history[node] > 0)
        window = history[node, selling[0] :] if len(selling) else history[node, :0]
        if len(window) == 0:
            continue
        scales[node] = mase_scale(window)
        for level, (low, high) in seasonal_naive_bounds(window, point[node]).items():
            lower[level][node], upper[level][node] = low, high
    return point, {level: (lower[level], upper[level]) for level in (80, 95)}, scales


def _backtest_rows(
    results: list[SeriesResult],
    position: int,
    origin: int,
    panel: _Panel,
    nodes: pd.DataFrame,
    is_bottom: np.ndarray,
    summing: scipy.sparse.csr_matrix,
    hierarchy: tuple[str, ...],
    config: ForecastConfig,
    calibration: Calibration,
    horizon: int,
    candidates: bool,
) -> pd.DataFrame:
    """Backtest rows of one origin: engine and baseline for every node, models at the bottom.

    ``is_bottom`` marks the bottom nodes, which are the series of ``results`` in their order.
    """
    columns = panel.window(origin, horizon)
    n_months = columns.stop - columns.start
    if n_months <= 0:
        return pd.DataFrame()
    months = month_range(np.datetime64(origin, "M"), n_months)
    n_nodes, n_bottom = len(nodes), len(results)
    current = [result.origins[position] for result in results]

    node_medians, node_paths = _node_paths(
        results, position, origin, summing, config, calibration, horizon, config.backtest_paths
    )
    engine = forecast_frame(
        nodes, months, node_medians[:, :n_months], node_paths[:, :, :n_months], hierarchy
    )
    del node_paths  # only its quantiles are kept
    engine["model"] = "engine"
    selected = np.full(n_nodes, BOTTOM_UP, dtype=object)
    selected[is_bottom] = [c.selected if c else "" for c in current]
    engine["selected"] = np.repeat(selected, n_months)
    engine["node"] = np.repeat(np.arange(n_nodes), n_months)

    sn_point, sn_bounds, scales = _node_baseline(results, position, origin, panel, summing, horizon)
    baseline = engine.copy()
    baseline["yhat"] = sn_point[:, :n_months].reshape(-1)
    for level, (lower, upper) in sn_bounds.items():
        baseline[f"yhat_lower_{level}"] = lower[:, :n_months].reshape(-1)
        baseline[f"yhat_upper_{level}"] = upper[:, :n_months].reshape(-1)
    baseline["model"], baseline["selected"] = "seasonal_naive", ""

    frames = [engine, baseline]
    bottom_rows = engine[np.repeat(is_bottom, n_months)]
    for name in _candidate_names(current) if candidates else []:
        values = np.full((n_bottom, n_months), np.nan)
        for row, result in enumerate(current):
            if result is not None and name in result.forecasts:
                values[row] = result.forecasts[name][:n_months]
        candidate = bottom_rows.copy()
        candidate.loc[:, candidate.columns.str.startswith("yhat_")] = np.nan
        candidate["yhat"] = values.reshape(-1)
        candidate["model"], candidate["selected"] = name, ""
        frames.append(candidate[np.isfinite(candidate["yhat"])])
    frame = pd.concat(frames, ignore_index=True)

    node, month = frame.pop("node").to_numpy(), frame["horizon"].to_numpy() - 1
    exists = np.ones(n_nodes, dtype=bool)  # a bottom series without history had no forecast
    exists[is_bottom] = [c is not None for c in current]
    frame["y"] = aggregate(summing, panel.observed[:, columns])[node, month]
    frame["scale"] = scales[node]
    frame["bottom"] = is_bottom[node]
    frame["cutoff"] = np.datetime64(origin, "M").astype("datetime64[ns]")
    frame["scored"] = True
    return frame[exists[node]].reset_index(drop=True)


def _candidate_names(current: list[OriginResult | None]) -> list[str]:
    names: set[str] = set()
    for result in current:
        if result is not None:
            names.update(result.forecasts)
    names.discard("seasonal_naive")  # already there, with its bounds, at every level
    order = ["ensemble", "prophet", "theta", "croston_sba", "constant", "mean", "zero"]
    return [name for name in order if name in names]


def _final_frames(
    results: list[SeriesResult],
    position: int,
    origin: int,
    nodes: pd.DataFrame,
    is_bottom: np.ndarray,
    summing: scipy.sparse.csr_matrix,
    hierarchy: tuple[str, ...],
    config: ForecastConfig,
    calibration: Calibration,
    horizon: int,
) -> tuple[pd.DataFrame, SamplePaths]:
    months = month_range(np.datetime64(origin, "M"), horizon)
    node_medians, node_paths = _node_paths(
        results, position, origin, summing, config, calibration, horizon, config.n_paths
    )
    frame = forecast_frame(nodes, months, node_medians, node_paths, hierarchy)
    models, flags = [], []
    for result in results:
        final = result.origins[position]
        assert final is not None  # every series has data before the as-of month
        series_flags = set(result.series.flags) | final.flags
        if final.regime in ("regular", "too_short") and not calibration.calibrated:
            series_flags.add("uncalibrated_intervals")
        models.append(final.model)
        flags.append(join_flags(series_flags))
    node_models = np.full(len(nodes), BOTTOM_UP, dtype=object)
    node_models[is_bottom] = models
    parent_flags = "" if calibration.calibrated else "uncalibrated_intervals"
    node_flags = np.full(len(nodes), parent_flags, dtype=object)
    node_flags[is_bottom] = flags
    frame["model"] = np.repeat(node_models, horizon)
    frame["flags"] = np.repeat(node_flags, horizon)
    return frame, SamplePaths(nodes[ID_COL].to_numpy(), months, node_paths)


def _failures(
    results: list[SeriesResult], backtest_origins: list[int], final_origin: int | None
) -> pd.DataFrame:
    origins = [*backtest_origins, *([final_origin] if final_origin is not None else [])]
    rows = []
    for result in results:
        for origin, current in zip(origins, result.origins, strict=True):
            if current is None:
                continue
            for model, message in current.failures:
                rows.append(
                    {
                        ID_COL: result.series.unique_id,
                        "cutoff": np.datetime64(origin, "M").astype("datetime64[ns]"),
                        "model": model,
                        "error": message,
                    }
                )
    return pd.DataFrame(rows, columns=[ID_COL, "cutoff", "model", "error"])


def _rename(result: ForecastResult, id_col: str, time_col: str) -> ForecastResult:
    if (id_col, time_col) == (ID_COL, TIME_COL):
        return result
    names = {ID_COL: id_col, TIME_COL: time_col}
    return ForecastResult(
        forecasts=result.forecasts.rename(columns=names),
        paths=result.paths.renamed(id_col, time_col),
        backtest=result.backtest.rename(columns=names),
        accuracy=result.accuracy.rename(columns=names),
        failures=result.failures.rename(columns=names),
        calibration=result.calibration,
        as_of=result.as_of,
        horizon=result.horizon,
        hierarchy=result.hierarchy,
    )
