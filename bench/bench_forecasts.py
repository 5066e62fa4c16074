"""Benchmark: the forecast engine against a plain loop of stock Prophet, same series, same run.

Prints, for each series set and overall:

* (a) stock Prophet, default settings (``Prophet().fit(history)``, then ``predict`` on
  ``make_future_dataframe(12, freq="MS")``, which includes Prophet's 1,000-sample intervals),
  one series after the other in this process;
* (b) the engine end to end (``forecasts.forecast``: cleaning, backtest of Prophet, ETS,
  Theta and seasonal naive at two origins, model choice, final fits, calibrated paths,
  intervals, bottom-up reconciliation and the accuracy table) with 1 worker and with 2;
* series per second, the speed-up of (b) over (a), parallel efficiency ``T1 / (2 x T2)``;
* accuracy of both on a 12-month holdout the models never saw (MASE, WAPE, and the 80%/95%
  interval coverage), plus the engine against every single model it evaluates on the
  rolling-origin backtest (choice made on earlier cutoffs only).

Series:

* ``demo``: bookings per region x product line x channel (and collections per region x
  channel) of the deterministic demo business (``demodata.simulate("default")``), history
  2021-01..2025-10, holdout 2025-11..2026-10;
* ``real``: monthly series shipped inside installed wheels, nothing downloaded: Australian
  wine sales (pmdarima ``load_wineind``), airline passengers (``load_airpassengers``), UK road
  casualties (sktime ``seatbelts``), Australian PBS scripts (sktime ``load_PBS_dataset``,
  intermittent) and shampoo sales (sktime ``load_shampoo_sales``, 36 months). Each
  contributes windows of 72 months of history (what the product keeps, and the regime where
  stock Prophet uses Newton) plus a 12-month holdout, one window per January with enough
  data around it, re-dated by whole years onto one calendar so one engine run covers them.

Run: ``uv run --frozen python bench/bench_forecasts.py`` (add ``--quick`` for a subset).
Statsforecast compiles with numba and Prophet's Stan binary loads on first use (~1-2 s per
process); the engine's workers are warmed up before timing, and so is stock Prophet.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

import forecasts
from forecasts.config import ForecastConfig

HISTORY_MONTHS = 72
HOLDOUT_MONTHS = 12
REAL_AS_OF = "2025-01"
DEMO_AS_OF = "2025-11"
DEMO_END = "2026-10"
HIERARCHY = ("region", "product_line", "channel")
# Engine timings are the fastest of this many alternating runs (stock Prophet runs once: it
# takes ~100 s, long enough for others' load to average out).
REPEATS = 3


@dataclass(frozen=True)
class SeriesSet:
    """Series to benchmark: the full frame (history and holdout) and the as-of month."""

    name: str
    frame: pd.DataFrame
    hierarchy: tuple[str, ...]
    as_of: str
    config: ForecastConfig

    @property
    def history(self) -> pd.DataFrame:
        """Rows before the as-of month."""
        return self.frame[self.frame["ds"] < pd.Timestamp(self.as_of)]

    def bottom_ids(self) -> list[str]:
        """Ids of the bottom series, as the engine names them."""
        if not self.hierarchy:
            return sorted(self.frame["unique_id"].unique())
        keys = self.frame[list(self.hierarchy)].drop_duplicates()
        return sorted(
            "/".join(f"{k}={v}" for k, v in zip(self.hierarchy, row, strict=True))
            for row in keys.itertuples(index=False)
        )


def demo_series(end_month: str = DEMO_END) -> list[SeriesSet]:
    """Bookings per segment and collections per region x channel of the demo business."""
    import demodata
    from demodata import catalog

    business = demodata.simulate("default", end_month=end_month)
    world, lines = business.world, business.ledger.order_lines
    month = world.calendar.month_of_day[lines["order_day"].to_numpy()]
    cny = lines["net_cents"].to_numpy() / 100 * world.fx[lines["currency"].to_numpy(), month]
    regions = np.array([region.code for region in world.regions])
    product_lines = np.array([product.product_line for product in catalog.PRODUCTS])
    channels = np.array(["direct", "partner"])
    bookings = pd.DataFrame(
        {
            "region": regions[lines["region"].to_numpy()],
            "product_line": product_lines[lines["sku"].to_numpy()],
            "channel": channels[lines["channel"].to_numpy()],
            "month": month,
            "y": cny,
        }
    )
    payments, invoices = business.ledger.payments, business.ledger.invoices
    paid_month = world.calendar.month_of_day[payments["paid_day"].to_numpy()]
    order = invoices["order"].to_numpy()[payments["invoice"].to_numpy()]
    order_keys = lines.groupby("order")[["region", "channel"]].first()
    collections = pd.DataFrame(
        {
            "region": regions[order_keys.loc[order, "region"].to_numpy()],
            "channel": channels[order_keys.loc[order, "channel"].to_numpy()],
            "month": paid_month,
            "y": payments["amount_cents"].to_numpy()
            / 100
            * world.fx[payments["currency"].to_numpy(), paid_month],
        }
    )
    sets = []
    for name, frame, hierarchy in (
        ("demo bookings", bookings, HIERARCHY),
        ("demo collections", collections, ("region", "channel")),
    ):
        frame = frame[(frame["month"] >= world.first_month) & (frame["month"] <= world.last_month)]
        frame = frame.groupby([*hierarchy, "month"], as_index=False)["y"].sum()
        frame["ds"] = pd.to_datetime(
            [f"{2015 + m // 12}-{m % 12 + 1:02d}-01" for m in frame["month"]]
        )
        sets.append(
            SeriesSet(name, frame[[*hierarchy, "ds", "y"]], hierarchy, DEMO_AS_OF, ForecastConfig())
        )
    return sets


def real_series() -> SeriesSet:
    """Windows of the real monthly series shipped in pmdarima and sktime (see module doc)."""
    import sktime
    from pmdarima.datasets import load_airpassengers, load_wineind
    from sktime.datasets import load_PBS_dataset, load_shampoo_sales

    seatbelts = pd.read_csv(
        os.path.join(os.path.dirname(sktime.__file__), "datasets/data/seatbelts/seatbelts.csv"),
        index_col=0,
    )
    sources = {
        "wine": ("1980-01", np.asarray(load_wineind(), dtype=float)),
        "airpassengers": ("1949-01", np.asarray(load_airpassengers(), dtype=float)),
        "seatbelts": ("1969-01", seatbelts["KSI"].to_numpy(dtype=float)),
        "pbs": ("1991-07", load_PBS_dataset().to_numpy(dtype=float)),
        "shampoo": ("1991-01", load_shampoo_sales().to_numpy(dtype=float)),
    }
    rows = []
    target = pd.Period(REAL_AS_OF, "M")
    for name, (first, values) in sources.items():
        months = pd.period_range(first, periods=len(values), freq="M")
        for position, period in enumerate(months):
            has_holdout = position + HOLDOUT_MONTHS <= len(values)
            history = min(position, HISTORY_MONTHS)
            # Windows start in January; shampoo only has two years before its holdout.
            if period.month != 1 or not has_holdout or history < min(24, HISTORY_MONTHS):
                continue
            if history < HISTORY_MONTHS and name != "shampoo":
                continue
            window = slice(position - history, position + HOLDOUT_MONTHS)
            for offset, value in zip(range(-history, HOLDOUT_MONTHS), values[window], strict=True):
                rows.append((f"{name}@{period}", (target + offset).to_timestamp(), value))
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    # Not Chinese sales: no Spring Festival regressor.
    return SeriesSet("real", frame, (), REAL_AS_OF, ForecastConfig(spring_festival=False))


@dataclass
class Timing:
    """Wall-clock seconds of one method on one series set.

    ``per_series_seconds`` is the part spent in the per-series phase (the part that runs in
    the workers); the rest (validation, ensemble weights, calibration, paths, reconciliation,
    scoring) runs in the calling process.
    """

    seconds: float
    series: int
    per_series_seconds: float = float("nan")

    @property
    def serial_share(self) -> float:
        """Share of the run outside the per-series phase."""
        return 1.0 - self.per_series_seconds / self.seconds

    @property
    def per_second(self) -> float:
        """Series per second."""
        return self.series / self.seconds if self.seconds else float("nan")


def stock_prophet(series_set: SeriesSet) -> tuple[Timing, pd.DataFrame]:
    """Fit and predict stock Prophet on every bottom series, one after the other."""
    from prophet import Prophet

    # Prophet sets cmdstanpy's logger to INFO when imported: one line per fit otherwise.
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.ERROR)
    history = series_set.history
    ids = _ids(history, series_set.hierarchy)
    rows = []
    start = time.perf_counter()
    for unique_id, frame in history.assign(unique_id=ids).groupby("unique_id", sort=True):
        try:
            model = Prophet()
            model.fit(frame[["ds", "y"]])
            future = model.make_future_dataframe(periods=HOLDOUT_MONTHS, freq="MS")
            predicted = model.predict(future).tail(HOLDOUT_MONTHS)
        except Exception:  # stock Prophet refuses < 2 rows; counted, not scored
            continue
        rows.append(
            predicted[["ds", "yhat", "yhat_lower", "yhat_upper"]].assign(unique_id=unique_id)
        )
    elapsed = time.perf_counter() - start
    frame = pd.concat(rows, ignore_index=True).rename(
        columns={"yhat_lower": "yhat_lower_80", "yhat_upper": "yhat_upper_80"}
    )
    return Timing(elapsed, ids.nunique()), frame


def engine_run(
    series_set: SeriesSet, executor: object | None = None
) -> tuple[Timing, forecasts.ForecastResult]:
    """Run the engine end to end on the history (in this process or on ``executor``)."""
    per_series = forecasts.engine._per_series
    spent = []

    def timed(*args: object, **kwargs: object) -> object:
        begin = time.perf_counter()
        try:
            return per_series(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent.append(time.perf_counter() - begin)

    forecasts.engine._per_series = timed  # the bench may look inside; the library does not
    try:
        start = time.perf_counter()
        result = forecasts.forecast(
            series_set.history,
            series_set.as_of,
            hierarchy=series_set.hierarchy,
            config=series_set.config,
            executor=executor,  # type: ignore[arg-type]
        )
        elapsed = time.perf_counter() - start
    finally:
        forecasts.engine._per_series = per_series
    return Timing(elapsed, len(series_set.bottom_ids()), sum(spent)), result


def holdout_scores(series_set: SeriesSet, predictions: pd.DataFrame) -> dict[str, float]:
    """MASE, WAPE and interval coverage of bottom-series predictions on the holdout."""
    frame = series_set.frame.assign(unique_id=_ids(series_set.frame, series_set.hierarchy))
    frame = frame.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    as_of = pd.Timestamp(series_set.as_of)
    actual = frame[frame["ds"] >= as_of]
    scales = {}
    for unique_id, rows in frame[frame["ds"] < as_of].groupby("unique_id"):
        months = pd.date_range(rows["ds"].min(), as_of - pd.offsets.MonthBegin(), freq="MS")
        values = rows.set_index("ds")["y"].reindex(months, fill_value=0.0).to_numpy()
        lag = 12 if len(values) > 12 else 1
        scale = np.mean(np.abs(values[lag:] - values[:-lag])) if len(values) > lag else np.nan
        scales[unique_id] = scale if scale > 0 else np.nan
    merged = predictions.merge(actual, on=["unique_id", "ds"], how="left").fillna({"y": 0.0})
    error = (merged["yhat"] - merged["y"]).abs()
    per_series = (error / merged["unique_id"].map(scales)).groupby(merged["unique_id"]).mean()
    scores = {
        "series": float(merged["unique_id"].nunique()),
        "mase": float(per_series.mean()),
        "wape": float(error.sum() / merged["y"].abs().sum()),
    }
    for level in (80, 95):
        if f"yhat_lower_{level}" in merged:
            inside = (merged[f"yhat_lower_{level}"] <= merged["y"]) & (
                merged["y"] <= merged[f"yhat_upper_{level}"]
            )
            scores[f"coverage_{level}"] = float(inside.mean())
    return scores


def _ids(frame: pd.DataFrame, hierarchy: tuple[str, ...]) -> pd.Series:
    if not hierarchy:
        return frame["unique_id"]
    parts = [frame[key].astype(str).radd(f"{key}=") for key in hierarchy]
    ids = parts[0]
    for part in parts[1:]:
        ids = ids + "/" + part
    return ids


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def _identical(first: forecasts.ForecastResult, second: forecasts.ForecastResult) -> bool:
    return all(
        getattr(first, name).equals(getattr(second, name))
        for name in ("forecasts", "paths", "backtest", "accuracy")
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="real series and demo collections")
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore")
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.ERROR)

    print(f"building series sets ... ({_load()})", flush=True)
    sets = [real_series(), *demo_series()]
    if arguments.quick:
        sets = sets[:1] + sets[2:]
    forecasts.engine.warm_up()
    stock_prophet(SeriesSet("warm-up", sets[0].frame.head(60), (), sets[0].as_of, sets[0].config))

    totals = {"stock": 0.0, "engine_1": 0.0, "engine_2": 0.0, "series": 0, "serial": 0.0}
    with forecasts.worker_pool(2) as pool:
        for series_set in sets:
            print(f"\n== {series_set.name}: {len(series_set.bottom_ids())} series ({_load()})")
            stock_time, stock_predictions = stock_prophet(series_set)
            # Others share the machine: alternate the engine runs and keep each one's fastest.
            runs = [(engine_run(series_set), engine_run(series_set, pool)) for _ in range(REPEATS)]
            one_time = min((one for one, _ in runs), key=lambda run: run[0].seconds)[0]
            two_time = min((two for _, two in runs), key=lambda run: run[0].seconds)[0]
            one, two = runs[0][0][1], runs[0][1][1]
            totals["stock"] += stock_time.seconds
            totals["engine_1"] += one_time.seconds
            totals["engine_2"] += two_time.seconds
            totals["serial"] += one_time.seconds - one_time.per_series_seconds
            totals["series"] += stock_time.series
            bottom = one.forecasts[one.forecasts["level"] == one.forecasts["level"].iloc[-1]]
            for label, timing in (
                ("(a) stock Prophet, serial", stock_time),
                ("(b) engine, 1 process", one_time),
                ("(b) engine, 2 workers", two_time),
            ):
                print(f"{label:28s} {timing.seconds:7.2f} s  {timing.per_second:7.1f} series/s")
            print(
                f"serial share of the 1-process run: {one_time.serial_share:.0%} (Amdahl bound "
                f"on 2 workers: {1 / (1 + one_time.serial_share):.0%} parallel efficiency)"
            )
            print(
                f"speed-up (a)/(b, 2 workers): {stock_time.seconds / two_time.seconds:.1f}x; "
                f"parallel efficiency 1->2 workers: "
                f"{one_time.seconds / (2 * two_time.seconds):.0%}; "
                f"identical results with 1 and 2 workers: {_identical(one, two)}; "
                f"engine runs (1 process / 2 workers, s): "
                + ", ".join(f"{a[0].seconds:.2f}/{b[0].seconds:.2f}" for a, b in runs)
            )
            stock_scores = holdout_scores(series_set, stock_predictions)
            engine_scores = holdout_scores(series_set, bottom)
            print("holdout (12 months never seen), bottom series:")
            for label, scores in (("stock Prophet", stock_scores), ("engine", engine_scores)):
                print(f"  {label:14s} " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items()))
            cutoffs = [str(pd.Period(series_set.as_of, "M") - k) for k in (24, 18, 12, 6, 0)]
            scored = forecasts.backtest(
                series_set.frame,
                cutoffs,
                HOLDOUT_MONTHS,
                hierarchy=series_set.hierarchy,
                config=series_set.config,
                executor=pool,
            )
            print(
                f"rolling-origin backtest, cutoffs {cutoffs} (first = warm-up), same points "
                "for every model, series every model could forecast:"
            )
            print(forecasts.model_scores(scored).to_string(index=False))

    print(
        f"\n== all sets: {totals['series']} series ({_load()})\n"
        f"(a) stock Prophet {totals['stock']:.1f} s, {totals['series'] / totals['stock']:.1f} "
        f"series/s; (b) engine 1 process {totals['engine_1']:.1f} s, 2 workers "
        f"{totals['engine_2']:.1f} s, {totals['series'] / totals['engine_2']:.1f} series/s\n"
        f"speed-up {totals['stock'] / totals['engine_2']:.1f}x; parallel efficiency "
        f"{totals['engine_1'] / (2 * totals['engine_2']):.0%}; serial share "
        f"{totals['serial'] / totals['engine_1']:.0%} (Amdahl bound "
        f"{1 / (1 + totals['serial'] / totals['engine_1']):.0%})"
    )


if __name__ == "__main__":
    main()
