"""The forecast-adjusted view: forecast, gap and probability of attaining each target.

Forecasts arrive at the forecast grain (region x product line x channel) as a point forecast
(``yhat``) and as sample paths. Per node and period:

* ``forecast`` is the actuals of the period's closed months plus the forecast of its open
  months;
* ``p_attain`` is the share of sample paths ``i`` with
  ``actual to date + sum of path i over the open months >= adjusted target``, the paths summed
  over the node's segments path by path (never adding interval bounds). Paths with the same
  index are summed across segments, so if the forecaster samples segments independently the
  sum treats them as independent. A period with no open month has ``p_attain`` 1 when its
  actual reached its period target, else 0.

Below the forecast grain (reps and partners) there is no forecast of its own. A seller's share
of its segment's forecast is its share of the segment's actuals over the trailing twelve months
among the sellers who can sell that month (falling back to its share of the segment's target,
then to an even split); its forecast is that share of the segment's ``yhat`` and its paths are
that share of the segment's paths. So a rep whose target share is above their historical share
gets a lower probability than their segment.

A segment that the forecast does not cover counts as forecasting zero; a stream without any
forecast has ``forecast`` and ``p_attain`` empty (NaN) for its open months.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.inputs import PlanInputs
from planning.money import FloatArray, IntArray
from planning.redecompose import StreamData
from salesplan.months import add_months

# Half a minor unit: a path that reaches the target up to float noise counts as reaching it.
_TOLERANCE = 0.5


@dataclass
class SegmentForecast:
    """One stream's forecast at segment grain, in minor units.

    Attributes:
        yhat: shape ``(segments, 12)``; zero where the forecast has no value.
        paths: shape ``(segments, 12, n_paths)`` or ``None`` without sample paths.
        available: whether the stream has any forecast at all.
    """

    yhat: FloatArray
    paths: FloatArray | None
    available: bool


def read_forecast(inputs: PlanInputs, data: StreamData) -> SegmentForecast:
    """Map the forecast inputs of the stream's ``forecast_metric`` onto its segments and months."""
    n_segments = len(data.segments)
    yhat = np.zeros((n_segments, 12), dtype=np.float64)
    metric = data.stream.forecast_metric
    frame = inputs.frame("forecasts")
    if metric is None or frame is None:
        return SegmentForecast(yhat, None, available=False)
    mask = _rows_of(inputs, "forecasts", metric)
    if not mask.any():
        return SegmentForecast(yhat, None, available=False)
    segment, month = _cells(inputs, "forecasts", mask, data)
    keep = (segment >= 0) & (month >= 0)
    values = pd.to_numeric(frame["yhat"], errors="coerce").fillna(0.0).clip(lower=0.0)
    flat = segment[keep] * 12 + month[keep]
    yhat = np.bincount(
        flat, values.to_numpy()[mask][keep] * data.minor_units, minlength=n_segments * 12
    ).reshape(n_segments, 12)
    paths = None
    path_frame = inputs.frame("forecast_paths")
    if path_frame is not None:
        mask = _rows_of(inputs, "forecast_paths", metric)
        if mask.any():
            path_codes, path_ids = inputs.factorized("forecast_paths", "path")
            path_codes = path_codes[mask]
            segment, month = _cells(inputs, "forecast_paths", mask, data)
            keep = (segment >= 0) & (month >= 0) & (path_codes >= 0)
            used = np.unique(path_codes[keep])
            position = np.full(len(path_ids), -1, dtype=np.int64)
            position[used] = np.arange(len(used))
            n_paths = len(used)
            flat = (segment[keep] * 12 + month[keep]) * n_paths + position[path_codes[keep]]
            y = pd.to_numeric(path_frame["y"], errors="coerce").fillna(0.0).clip(lower=0.0)
            paths = np.bincount(
                flat,
                y.to_numpy()[mask][keep] * data.minor_units,
                minlength=n_segments * 12 * n_paths,
            ).reshape(n_segments, 12, n_paths)
    return SegmentForecast(yhat, paths, available=True)


def _rows_of(inputs: PlanInputs, name: str, metric: str) -> np.ndarray:
    """Boolean mask of the rows of ``metric`` (compares integer codes, not strings)."""
    codes, uniques = inputs.factorized(name, "metric")
    if metric not in set(uniques):
        return np.zeros(len(codes), dtype=bool)
    return codes == list(uniques).index(metric)


def _cells(
    inputs: PlanInputs, name: str, mask: np.ndarray, data: StreamData
) -> tuple[np.ndarray, np.ndarray]:
    """Segment index and fiscal month index of the masked rows (-1 outside the tree or year).

    Vectorized: each key column is factorized once per input, its distinct values are coded
    against the tree's values, the codes are combined into one integer per row, and a lookup
    table turns that into the segment index.
    """
    hierarchy = list(data.config.hierarchy)
    tree = data.tree
    segment_keys = [
        tuple(tree.node_values(node)[dimension] for dimension in hierarchy)
        for node in data.segments
    ]
    categories = [sorted({key[d] for key in segment_keys}) for d in range(len(hierarchy))]
    combined = np.zeros(int(mask.sum()), dtype=np.int64)
    valid = np.ones(len(combined), dtype=bool)
    for dimension, values in zip(hierarchy, categories, strict=True):
        codes, uniques = inputs.factorized(name, dimension)
        known = {value: index for index, value in enumerate(values)}
        recode = np.array([known.get(value, -1) for value in uniques] + [-1], dtype=np.int64)
        row_codes = recode[codes[mask]]  # a missing value (code -1) maps to the last entry
        valid &= row_codes >= 0
        combined = combined * (len(values) + 1) + np.maximum(row_codes, 0)
    table = np.full(int(np.prod([len(v) + 1 for v in categories])), -1, dtype=np.int64)
    for index, key in enumerate(segment_keys):
        code = 0
        for d, value in enumerate(key):
            code = code * (len(categories[d]) + 1) + categories[d].index(value)
        table[code] = index
    segment = np.where(valid, table[combined], -1)
    month_index = {month: m for m, month in enumerate(data.months)}
    month = inputs.months(name)[mask].map(month_index).fillna(-1).astype(np.int64).to_numpy()
    return segment, month


def forecast_for_allocation(data: StreamData, forecast: SegmentForecast) -> FloatArray:
    """Place each segment's ``yhat`` on the segment's first leaf (for exact node sums)."""
    result = np.zeros((len(data.tree.leaf_keys), 12), dtype=np.float64)
    first_leaf = np.full(len(data.segments), -1, dtype=np.int64)
    for leaf in range(len(data.leaf_segment) - 1, -1, -1):
        first_leaf[data.leaf_segment[leaf]] = leaf
    result[first_leaf] = forecast.yhat
    return result


def seller_shares(data: StreamData, targets: IntArray) -> FloatArray:
    """Each leaf's share of its segment's forecast per fiscal month (see the module docstring)."""
    n_leaves = len(data.tree.leaf_keys)
    segment = data.leaf_segment
    last = add_months(data.as_of, -1)
    first = add_months(data.as_of, -12)
    columns = [i for i, month in enumerate(data.history_months) if first <= month <= last]
    history = (
        data.leaf_history[:, columns].sum(axis=1).clip(min=0).astype(np.float64)
        if columns
        else np.zeros(n_leaves)
    )
    eligible = data.leaf_eligible.astype(np.float64)
    shares = np.zeros((n_leaves, 12), dtype=np.float64)
    n_segments = len(data.segments)
    for m in range(12):
        candidates = (
            history * eligible[:, m],
            targets[:, m].astype(np.float64),
            eligible[:, m],
            np.ones(n_leaves),
        )
        chosen = np.zeros(n_leaves)
        done = np.zeros(n_segments, dtype=bool)
        for weights in candidates:
            sums = np.bincount(segment, weights=weights, minlength=n_segments)
            use = (sums > 0) & ~done
            take = use[segment]
            chosen[take] = weights[take] / sums[segment][take]
            done |= use
        shares[:, m] = chosen
    return shares


def leaf_forecast(
    data: StreamData, forecast: SegmentForecast, shares: FloatArray, actuals: IntArray
) -> FloatArray:
    """Forecast per leaf and month: actuals when closed, share x segment yhat when open."""
    values = shares * forecast.yhat[data.leaf_segment]
    values[:, : data.n_closed] = actuals[:, : data.n_closed]
    if not forecast.available:
        values[:, data.n_closed :] = np.nan
    return values


def attain_probabilities(
    data: StreamData,
    forecast: SegmentForecast,
    shares: FloatArray,
    node_open_targets: IntArray,
    node_actuals: IntArray,
    node_period_targets: IntArray,
    periods: Sequence[Sequence[int]],
) -> FloatArray:
    """Probability of attaining the adjusted target, per node (tree order) and period.

    Args:
        data: the stream.
        forecast: its segment forecast.
        shares: :func:`seller_shares`.
        node_open_targets: period targets of open months per node and fiscal month.
        node_actuals: actuals per node and fiscal month.
        node_period_targets: period targets per node and fiscal month.
        periods: the fiscal month indices of each period.

    Returns:
        Shape ``(nodes, periods)``; NaN where the stream has no sample paths.
    """
    tree = data.tree
    n_nodes = len(tree.nodes)
    result = np.full((n_nodes, len(periods)), np.nan)
    segment_depth = len(data.config.hierarchy)
    upper = [i for i, node in enumerate(tree.nodes) if tree.depth[node] <= segment_depth]
    lower = [i for i, node in enumerate(tree.nodes) if tree.depth[node] > segment_depth]
    upper_spans = np.array([data.segment_span(tree.nodes[i]) for i in upper], dtype=np.int64)
    lower_leaf = np.array([tree.span[tree.nodes[i]][0] for i in lower], dtype=np.int64)
    for p, months in enumerate(periods):
        open_months = [m for m in months if m >= data.n_closed]
        if not open_months:
            reached = node_actuals[:, months].sum(axis=1) >= node_period_targets[:, months].sum(
                axis=1
            )
            result[:, p] = reached.astype(np.float64)
            continue
        if forecast.paths is None:
            continue
        need = node_open_targets[:, open_months].sum(axis=1).astype(np.float64) - _TOLERANCE
        segment_sums = forecast.paths[:, open_months, :].sum(axis=1)
        cumulative = np.concatenate(
            [np.zeros((1, segment_sums.shape[1])), np.cumsum(segment_sums, axis=0)], axis=0
        )
        if upper:
            sums = cumulative[upper_spans[:, 1]] - cumulative[upper_spans[:, 0]]
            result[upper, p] = (sums >= need[upper, None]).mean(axis=1)
        for chunk in range(0, len(lower), 256):
            nodes = lower[chunk : chunk + 256]
            leaves = lower_leaf[chunk : chunk + 256]
            leaf_paths = forecast.paths[data.leaf_segment[leaves]][:, open_months, :]
            sums = np.einsum("lk,lkp->lp", shares[leaves][:, open_months], leaf_paths)
            result[nodes, p] = (sums >= need[nodes, None]).mean(axis=1)
    return result
