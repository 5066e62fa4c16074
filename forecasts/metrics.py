"""Forecast accuracy: MAPE, WAPE, MASE, bias and interval coverage, next to a baseline.

Definitions (``e = yhat - y``; sums and means over the backtest points of a series, or of one
horizon of it):

* ``mape``: mean of ``|e| / |y|`` over months with ``y != 0`` (a fraction: 0.12 is 12%);
* ``wape``: ``sum |e| / sum |y|``, the share of volume missed, robust to small months;
* ``mase``: mean of ``|e| / scale``, ``scale`` the in-sample seasonal-naive MAE of the
  training window of each origin (Hyndman & Koehler, 2006); below 1 beats seasonal naive;
* ``bias``: ``sum e / sum |y|``, positive when forecasts run high;
* ``coverage_80`` / ``coverage_95``: share of actuals inside the 80% / 95% interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasts.schemas import ID_COL

MEASURES = ("mape", "wape", "mase", "bias", "coverage_80", "coverage_95")
ENGINE = "engine"
BASELINE = "seasonal_naive"


def point_measures(frame: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Return every measure for each group of backtest rows.

    Args:
        frame: Rows with ``y``, ``yhat``, ``scale`` and, for coverage, the interval bounds
            (``yhat_lower_80`` ... ``yhat_upper_95``); rows with NaN ``y`` are ignored.
        by: Grouping columns.

    Returns:
        One row per group: the ``by`` columns, ``sample_size`` and one column per measure.
    """
    rows = frame[np.isfinite(frame["y"]) & np.isfinite(frame["yhat"])]
    y, yhat = rows["y"].to_numpy(), rows["yhat"].to_numpy()
    error = yhat - y
    nonzero = y != 0
    scale = rows["scale"].to_numpy()
    parts = pd.DataFrame(
        {
            "abs_error": np.abs(error),
            "error": error,
            "abs_y": np.abs(y),
            "ape": np.where(nonzero, np.abs(error) / np.where(nonzero, np.abs(y), 1.0), np.nan),
            "scaled": np.where(scale > 0, np.abs(error) / np.where(scale > 0, scale, 1.0), np.nan),
        },
        index=rows.index,
    )
    for level in (80, 95):
        if f"yhat_lower_{level}" not in rows:
            parts[f"inside_{level}"] = np.nan
            continue
        lower, upper = rows[f"yhat_lower_{level}"], rows[f"yhat_upper_{level}"]
        inside = ((lower <= rows["y"]) & (rows["y"] <= upper)).astype(float)
        parts[f"inside_{level}"] = inside.where(lower.notna() & upper.notna())
    parts[list(by)] = rows[list(by)]
    grouped = parts.groupby(list(by), dropna=False, sort=True)
    sums = grouped[["abs_error", "error", "abs_y"]].sum()
    means = grouped[["ape", "scaled", "inside_80", "inside_95"]].mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        result = pd.DataFrame(
            {
                "sample_size": grouped.size(),
                "mape": means["ape"],
                "wape": sums["abs_error"] / sums["abs_y"].where(sums["abs_y"] > 0),
                "mase": means["scaled"],
                "bias": sums["error"] / sums["abs_y"].where(sums["abs_y"] > 0),
                "coverage_80": means["inside_80"],
                "coverage_95": means["inside_95"],
            }
        )
    return result.reset_index()


def accuracy_table(
    backtest: pd.DataFrame,
    *,
    keys: Sequence[str] = (),
    model: str = ENGINE,
    baseline: str = BASELINE,
) -> pd.DataFrame:
    """Return the published accuracy table: per series and horizon, model next to baseline.

    Args:
        backtest: The backtest frame (``forecasts.backtest``); only ``scored`` rows count.
        keys: Hierarchy key columns to carry.
        model: The model scored in ``value``.
        baseline: The model scored in ``baseline_value``.

    Returns:
        ``level``, the keys, ``unique_id``, ``horizon`` (``<NA>`` for all horizons pooled),
        ``measure``, ``value``, ``baseline_value`` and ``sample_size``.
    """
    scored = backtest[backtest["scored"]]
    ident = ["level", *keys, ID_COL]
    tables = []
    for name, column in ((model, "value"), (baseline, "baseline_value")):
        rows = scored[scored["model"] == name]
        per_horizon = point_measures(rows, [*ident, "horizon"])
        pooled = point_measures(rows, ident).assign(horizon=pd.NA)
        both = pd.concat([per_horizon, pooled], ignore_index=True)
        long = both.melt(
            id_vars=[*ident, "horizon", "sample_size"],
            value_vars=list(MEASURES),
            var_name="measure",
            value_name=column,
        )
        tables.append(long)
    merged = tables[0].merge(
        tables[1].drop(columns="sample_size"), on=[*ident, "horizon", "measure"], how="left"
    )
    merged["horizon"] = merged["horizon"].astype("Int64")
    merged["measure"] = pd.Categorical(merged["measure"], categories=MEASURES, ordered=True)
    merged = merged.sort_values(["level", ID_COL, "horizon", "measure"], na_position="last")
    merged["measure"] = merged["measure"].astype(str)
    columns = [*ident, "horizon", "measure", "value", "baseline_value", "sample_size"]
    return merged[columns].reset_index(drop=True)


def model_scores(
    backtest: pd.DataFrame,
    models: Sequence[str] = (ENGINE, "prophet", "theta", BASELINE),
) -> pd.DataFrame:
    """Score models on exactly the same backtest points, for a fair comparison.

    Only scored bottom-level points where every model in ``models`` made a forecast count.

    Args:
        backtest: The backtest frame.
        models: The models to compare.

    Returns:
        One row per model: ``model``, ``series``, ``points``, ``mase`` (mean over series of
        each series' MASE) and ``wape`` (pooled over all points), best MASE first.
    """
    rows = backtest[backtest["scored"] & backtest["model"].isin(models) & backtest["bottom"]]
    rows = rows[np.isfinite(rows["y"])]
    point_key = [ID_COL, "cutoff", "ds"]
    counts = rows.groupby(point_key)["model"].nunique()
    complete = counts[counts == len(models)].index
    rows = rows.set_index(point_key).loc[complete].reset_index()
    per_series = point_measures(rows, ["model", ID_COL])
    totals = point_measures(rows, ["model"]).set_index("model")
    scores = per_series.groupby("model").agg(series=(ID_COL, "nunique"), mase=("mase", "mean"))
    scores["points"] = totals["sample_size"]
    scores["wape"] = totals["wape"]
    return (
        scores.reset_index()[["model", "series", "points", "mase", "wape"]]
        .sort_values("mase")
        .reset_index(drop=True)
    )
