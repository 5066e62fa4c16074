"""One monthly re-plan: every stream re-decomposed, explained and turned into output frames.

:func:`build_plan` is the package's entry point. It takes plain frames (:class:`PlanInputs`),
the configuration, the as-of month and the previous plan version, and returns the six output
tables of PRODUCT.md "Published outputs" as frames:

* ``target_plan``: every node x period (year, quarter, month, ISO week) x metric;
* ``funnel_requirements``: every node x target month x start month of the funnel streams;
* ``rep_targets`` and ``partner_targets`` (with projected rebates);
* ``plan_changes``: the waterfall against the previous version;
* ``attainment_alerts``.

Amounts are integers in minor units (column ``minor_units`` says how many make one unit: 100 for
money, 1 for counts, 100 for the hundredths of ``plan_changes.required_opportunities``); the
assets publish them as ``DECIMAL(18, 2)``. Every row carries ``as_of_month`` and ``scenario``.
Nothing depends on the clock or on dict/hash order: rows are sorted, so the same inputs always
give identical frames.

Column meanings in ``target_plan`` (per node and period):

* ``original_target``: the target of the fiscal year's first plan version (the baseline).
* ``period_target``: the target in effect: frozen for closed months, re-planned for open ones.
* ``actual_to_date``: actuals of the period's closed months.
* ``adjusted_target``: actuals for closed months plus period targets for open ones, i.e. where the
  node must land; the company's adjusted year equals its annual target.
* ``forecast``: actuals for closed months plus the forecast of open ones; ``gap`` is
  ``adjusted_target - forecast`` (positive: the forecast falls short).
* ``floor`` / ``stretch``: ``floor_pct`` / ``stretch_pct`` of the adjusted target, computed per
  leaf and month (rounded half up) and summed, so they are additive like the targets.
* ``p_attain``: see :mod:`planning.outlook`.

Weekly rows spread each leaf's monthly values over the month's ISO week parts by working days
(:mod:`planning.calendar`); the marts have no weekly actuals, so weekly actuals and forecasts are
estimates and weekly ``p_attain`` is empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.alerts import ALERT_COLUMNS, attainment_alerts, merge_alerts
from planning.calendar import FiscalCalendar, WorkingDays
from planning.changes import COMPONENTS, waterfall
from planning.config import PlanningConfig
from planning.funnel import (
    ACTIVITY_PLURALS,
    CYCLE_WEIGHTS,
    FunnelRates,
    RateBook,
    RateRows,
    cycle_lag_months,
    index_rate_rows,
    lead_lag_months,
)
from planning.hierarchy import UNASSIGNED, Tree
from planning.inputs import PlanInputs, PlanningInputError
from planning.locks import Adjustment, parse_adjustments
from planning.money import FloatArray, IntArray, largest_remainder_rows
from planning.outlook import (
    SegmentForecast,
    attain_probabilities,
    forecast_for_allocation,
    leaf_forecast,
    read_forecast,
    seller_shares,
)
from planning.rebates import reached_tier, rebate
from planning.redecompose import (
    RepInfo,
    StreamData,
    allocate_open_months,
    employed_share,
    prepare_stream,
    tenure_month,
)
from salesplan.months import format_month, parse_month

OFFICIAL = "official"
# plan_streams yields a stream's week rows in parts of at most this many weeks (a quarter):
# weeks are 53 of a stream's 70 periods, and one part of them at a time keeps the peak memory of
# the xlarge demo's 200k-node streams within bounds.
WEEKS_PER_PART = 13
KEY_COLUMNS = ("region", "product_line", "channel", "rep_id", "partner_id")
GRAIN_ORDER = {"year": 0, "quarter": 1, "month": 2, "week": 3}
TARGET_VALUES = (
    "original_target",
    "period_target",
    "actual_to_date",
    "adjusted_target",
    "floor",
    "stretch",
)
TARGET_PLAN_COLUMNS = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "minor_units",
    "fiscal_year",
    "node",
    "level",
    "is_leaf",
    *KEY_COLUMNS,
    "grain",
    "period",
    "period_start",
    "status",
    *TARGET_VALUES,
    "forecast",
    "gap",
    "p_attain",
)


@dataclass(frozen=True)
class PreviousVersion:
    """The previous plan version and the inputs it was made with.

    Attributes:
        as_of_month: its as-of month ``YYYY-MM``.
        target_plan: its ``target_plan`` frame (integers in minor units, as returned by
            :func:`build_plan`). Only its year and month rows and the columns ``metric``,
            ``node``, ``is_leaf``, ``grain``, ``period``, ``original_target``,
            ``period_target`` and ``adjusted_target`` are read, so a reader may pass just those.
        funnel_requirements: its ``funnel_requirements`` frame. Only the columns ``metric``,
            ``node``, ``month`` and ``required_opportunities`` are read.
        forecasts: the forecast it used (for the plan-change waterfall).
        adjustments: the adjustments it used.
        funnel_rates: the funnel rates it used.
    """

    as_of_month: str
    target_plan: pd.DataFrame
    funnel_requirements: pd.DataFrame | None = None
    forecasts: pd.DataFrame | None = None
    adjustments: pd.DataFrame | None = None
    funnel_rates: pd.DataFrame | None = None


@dataclass(frozen=True)
class PlanResult:
    """The output frames of one re-plan, and notes on fallbacks that were used."""

    target_plan: pd.DataFrame
    funnel_requirements: pd.DataFrame
    rep_targets: pd.DataFrame
    partner_targets: pd.DataFrame
    plan_changes: pd.DataFrame
    attainment_alerts: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the output tables by name."""
        return {
            "target_plan": self.target_plan,
            "funnel_requirements": self.funnel_requirements,
            "rep_targets": self.rep_targets,
            "partner_targets": self.partner_targets,
            "plan_changes": self.plan_changes,
            "attainment_alerts": self.attainment_alerts,
        }


@dataclass
class StreamPlan:
    """The plan of one stream at leaf x fiscal-month grain (integers in minor units).

    Attributes:
        data: the prepared stream.
        targets: period targets (closed months frozen).
        original: original (baseline) targets.
        actuals: actuals of closed months.
        forecast: the segment forecast.
        shares: each leaf's share of its segment's forecast.
        leaf_forecast: forecast per leaf and month (actuals for closed months).
        floor_pct: per leaf.
        stretch_pct: per leaf.
    """

    data: StreamData
    targets: IntArray
    original: IntArray
    actuals: IntArray
    forecast: SegmentForecast
    shares: FloatArray
    leaf_forecast: FloatArray
    floor_pct: FloatArray
    stretch_pct: FloatArray

    @property
    def adjusted(self) -> IntArray:
        """Actuals for closed months, period targets for open months."""
        result = self.targets.copy()
        n_closed = self.data.n_closed
        result[:, :n_closed] = self.actuals[:, :n_closed]
        return result

    @property
    def floors(self) -> IntArray:
        """Floor per leaf and month."""
        return _round_half_up(self.adjusted * self.floor_pct[:, None])

    @property
    def stretches(self) -> IntArray:
        """Stretch per leaf and month."""
        return _round_half_up(self.adjusted * self.stretch_pct[:, None])


def _round_half_up(values: FloatArray) -> IntArray:
    return np.floor(np.asarray(values, dtype=np.float64) + 0.5).astype(np.int64)


def build_plan(
    inputs: PlanInputs,
    config: PlanningConfig,
    as_of_month: str,
    *,
    scenario: str = OFFICIAL,
    previous: PreviousVersion | None = None,
) -> PlanResult:
    """Re-plan every configured stream for ``as_of_month`` and return the output frames.

    The frames of all streams together: :func:`plan_streams` gives the same rows one stream at a
    time, for callers that write them as they come (the large demo's ``target_plan`` is 3.4M
    rows).

    Args:
        inputs: the frames of the re-plan (see :class:`PlanInputs`).
        config: the planning configuration (the official one or a scenario's).
        as_of_month: ``YYYY-MM``; months before it are closed.
        scenario: the scenario name written to every row.
        previous: the previous version of the plan (for closed months, original targets and
            the change waterfall). Ignored unless it is of the same fiscal year and earlier.

    Returns:
        The output frames.

    Raises:
        PlanningInputError: for bad input, naming the input, row, column and value.
        InfeasibleLockError: for locks that cannot all hold.
    """
    return combine_parts(
        list(plan_streams(inputs, config, as_of_month, scenario=scenario, previous=previous))
    )


def combine_parts(parts: Sequence[PlanResult]) -> PlanResult:
    """Concatenate the parts of :func:`plan_streams` into the result of :func:`build_plan`."""
    target_plan = _sorted_concat([part.target_plan for part in parts])
    if target_plan.empty:
        target_plan = pd.DataFrame(columns=list(TARGET_PLAN_COLUMNS))
    return PlanResult(
        target_plan=target_plan,
        funnel_requirements=_concat([part.funnel_requirements for part in parts], FUNNEL_COLUMNS),
        rep_targets=_concat([part.rep_targets for part in parts], REP_COLUMNS),
        partner_targets=_concat([part.partner_targets for part in parts], PARTNER_COLUMNS),
        plan_changes=_concat([part.plan_changes for part in parts], CHANGE_COLUMNS),
        attainment_alerts=_concat([part.attainment_alerts for part in parts], ALERT_COLUMNS),
        notes=tuple(note for part in parts for note in part.notes),
    )


def plan_streams(
    inputs: PlanInputs,
    config: PlanningConfig,
    as_of_month: str,
    *,
    scenario: str = OFFICIAL,
    previous: PreviousVersion | None = None,
) -> Iterator[PlanResult]:
    """Re-plan like :func:`build_plan`, yielding the output one stream (metric) at a time.

    Only one part's frames are alive at a time (each stream's alerts are found as it is
    planned), so a caller that writes each part and drops it holds a small fraction of what
    :func:`build_plan` holds. Concatenating the parts in order (:func:`combine_parts`) gives
    exactly the frames of :func:`build_plan`: every table is ordered by metric first, except
    ``attainment_alerts``, which comes alone in the last part.

    Args:
        inputs: as for :func:`build_plan`.
        config: as for :func:`build_plan`.
        as_of_month: as for :func:`build_plan`.
        scenario: as for :func:`build_plan`.
        previous: as for :func:`build_plan`.

    Yields:
        Per planned stream, in metric order: first a :class:`PlanResult` with that stream's
        year, quarter and month rows of ``target_plan`` and its rows of every other table but
        ``attainment_alerts`` (empty); then parts with only week rows of ``target_plan``, at most
        :data:`WEEKS_PER_PART` weeks each (weeks are three quarters of a stream's rows).
        Then a last part with only the ``attainment_alerts`` of all streams and the notes of
        the re-plan.

    Raises:
        PlanningInputError: for bad input, naming the input, row, column and value (possibly
            after earlier streams were yielded).
        InfeasibleLockError: for locks that cannot all hold.
    """
    as_of = parse_month(as_of_month)
    calendar = FiscalCalendar(config.fiscal_start_month)
    fiscal_year = calendar.fiscal_year(as_of)
    notes: list[str] = []
    if previous is not None:
        previous_month = parse_month(previous.as_of_month)
        if previous_month >= as_of or calendar.fiscal_year(previous_month) != fiscal_year:
            previous = None
    adjustments = applied_adjustments(inputs.frame("adjustments"), config, as_of)
    baseline_adjustments = applied_adjustments(
        inputs.frame("adjustments"), config, as_of, open_from=calendar.first_month(fiscal_year)
    )
    previous_adjustments = adjustments
    if previous is not None and previous.adjustments is not None:
        previous_adjustments = applied_adjustments(previous.adjustments, config, as_of)

    context = _Context(as_of_month=format_month(as_of), scenario=scenario, config=config)
    stream_alerts: list[pd.DataFrame] = []
    for metric, stream in sorted(config.streams.items()):
        previous_rows = _previous_leaf_rows(context, previous, metric)
        forecast_keys = _forecast_segments(inputs.forecasts, stream.forecast_metric)
        if previous is not None and previous.forecasts is not None:
            forecast_keys |= _forecast_segments(previous.forecasts, stream.forecast_metric)
        data = prepare_stream(
            inputs,
            config,
            stream,
            as_of,
            previous_leaves=sorted(previous_rows["node"].unique())
            if previous_rows is not None
            else (),
            forecast_segments=sorted(forecast_keys),
            extra_leaves=sorted(
                {
                    a.node
                    for a in (*baseline_adjustments, *previous_adjustments)
                    if a.metric == metric and a.node.count("/") >= len(config.hierarchy)
                }
            ),
        )
        if data is None:
            notes.append(f"{metric}: no annual target for fiscal year {fiscal_year}; not planned")
            continue
        own = [a for a in adjustments if a.metric == metric]
        plan = _plan_stream(
            inputs,
            data,
            own,
            [a for a in baseline_adjustments if a.metric == metric],
            previous_rows,
        )
        rate_book = (
            _rate_book(context, inputs.funnel_rates, config, stream) if stream.funnel else None
        )
        if stream.funnel and rate_book is None:
            notes.append(f"{metric}: no funnel_rates input; reverse funnel skipped")
        funnel = _funnel_frame(context, plan, rate_book) if rate_book is not None else None
        changes = None
        if previous is not None:
            changes = _changes_frame(
                context,
                inputs,
                plan,
                previous,
                own,
                [a for a in previous_adjustments if a.metric == metric],
                rate_book,
                notes,
            )
        target_plan = _target_plan_frame(context, plan)
        # Alerts compare a node's months within its own metric: found stream by stream, they
        # are the alerts of the whole plan, and no stream's rows need to be kept for them.
        stream_alerts.append(attainment_alerts(target_plan, config.alerts, calendar, as_of))
        yield PlanResult(
            target_plan=target_plan,
            funnel_requirements=_concat([] if funnel is None else [funnel], FUNNEL_COLUMNS),
            rep_targets=_concat([_seller_frame(context, plan, inputs, "rep_id")], REP_COLUMNS),
            partner_targets=_concat(
                [_seller_frame(context, plan, inputs, "partner_id")], PARTNER_COLUMNS
            ),
            plan_changes=_concat([] if changes is None else [changes], CHANGE_COLUMNS),
            attainment_alerts=pd.DataFrame(columns=list(ALERT_COLUMNS)),
        )
        del target_plan, funnel, changes
        for weeks in _week_frames(context, plan):
            yield _only_target_plan(weeks)
        del plan

    alerts = merge_alerts(stream_alerts, config.alerts)
    empty = {
        "target_plan": TARGET_PLAN_COLUMNS,
        "funnel_requirements": FUNNEL_COLUMNS,
        "rep_targets": REP_COLUMNS,
        "partner_targets": PARTNER_COLUMNS,
        "plan_changes": CHANGE_COLUMNS,
    }
    yield PlanResult(
        **{name: pd.DataFrame(columns=list(columns)) for name, columns in empty.items()},
        attainment_alerts=alerts,
        notes=tuple(notes) + tuple(context.cache.get("notes", [])),  # type: ignore[arg-type]
    )


def applied_adjustments(
    frame: pd.DataFrame | None,
    config: PlanningConfig,
    as_of: dt.date,
    open_from: dt.date | None = None,
) -> list[Adjustment]:
    """The adjustments of ``frame`` that apply to the fiscal year of ``as_of``.

    Adjustments of months before ``open_from`` (default: the as-of month) are skipped, since
    those months are closed (see :mod:`planning.locks`).

    Raises:
        PlanningInputError: for a bad adjustment row.
    """
    calendar = FiscalCalendar(config.fiscal_start_month)
    return parse_adjustments(
        frame,
        streams={
            metric: (config.minor_units if stream.unit == "money" else 1)
            for metric, stream in config.streams.items()
        },
        hierarchy=config.hierarchy,
        calendar=calendar,
        fiscal_year=calendar.fiscal_year(as_of),
        as_of=open_from or as_of,
    )


@dataclass(frozen=True)
class _Context:
    as_of_month: str
    scenario: str
    config: PlanningConfig
    # Derived values shared between streams and outputs of one re-plan (rate books, leaf rate
    # arrays, the previous version split by metric).
    cache: dict[object, object] = field(default_factory=dict)


def _previous_of_metric(context: _Context, previous: PreviousVersion, metric: str) -> pd.DataFrame:
    """The previous version's ``target_plan`` rows of one metric (split once per re-plan)."""
    key = ("previous_by_metric", id(previous))
    if key not in context.cache:
        frame = previous.target_plan
        context.cache[key] = dict(tuple(frame.groupby("metric", sort=False)))
    by_metric = context.cache[key]
    return by_metric.get(metric, previous.target_plan.iloc[:0])  # type: ignore[union-attr]


def _previous_leaf_rows(
    context: _Context, previous: PreviousVersion | None, metric: str
) -> pd.DataFrame | None:
    if previous is None:
        return None
    frame = _previous_of_metric(context, previous, metric)
    rows = frame[
        (frame["metric"] == metric) & (frame["grain"] == "month") & frame["is_leaf"].astype(bool)
    ]
    return rows if not rows.empty else None


def _forecast_segments(frame: pd.DataFrame | None, metric: str | None) -> set[tuple[str, str, str]]:
    if frame is None or metric is None or frame.empty:
        return set()
    rows = frame[frame["metric"] == metric]
    keys = rows[["region", "product_line", "channel"]].dropna().astype(str).drop_duplicates()
    return {tuple(key) for key in keys.itertuples(index=False)}  # type: ignore[misc]


def _plan_stream(
    inputs: PlanInputs,
    data: StreamData,
    adjustments: Sequence[Adjustment],
    baseline_adjustments: Sequence[Adjustment],
    previous_rows: pd.DataFrame | None,
) -> StreamPlan:
    forecast = read_forecast(inputs, data)
    allocation_forecast = forecast_for_allocation(data, forecast)
    n_leaves = len(data.tree.leaf_keys)
    original: IntArray | None = None
    closed: IntArray | None = None
    if previous_rows is not None:
        closed, original = _from_previous(data, previous_rows)
    elif data.n_closed:
        baseline = allocate_open_months(
            data, n_closed=0, leaf_forecast=allocation_forecast, adjustments=baseline_adjustments
        )
        closed, original = baseline, baseline
    targets = allocate_open_months(
        data,
        n_closed=data.n_closed,
        leaf_forecast=allocation_forecast,
        adjustments=adjustments,
        closed_targets=closed,
    )
    if original is None:
        original = targets.copy()
    actuals = data.leaf_actuals()
    shares = seller_shares(data, targets)
    floor_pct, stretch_pct = _leaf_pcts(data)
    assert original.shape == (n_leaves, 12)
    return StreamPlan(
        data=data,
        targets=targets,
        original=original,
        actuals=actuals,
        forecast=forecast,
        shares=shares,
        leaf_forecast=leaf_forecast(data, forecast, shares, actuals),
        floor_pct=floor_pct,
        stretch_pct=stretch_pct,
    )


def _from_previous(data: StreamData, rows: pd.DataFrame) -> tuple[IntArray, IntArray]:
    leaf_index = {path: i for i, path in enumerate(data.tree.leaves)}
    month_index = {format_month(month): m for m, month in enumerate(data.months)}
    closed = np.zeros((len(leaf_index), 12), dtype=np.int64)
    original = np.zeros((len(leaf_index), 12), dtype=np.int64)
    leaves = rows["node"].map(leaf_index)
    months = rows["period"].map(month_index)
    keep = leaves.notna() & months.notna()
    li = leaves[keep].astype(int).to_numpy()
    mi = months[keep].astype(int).to_numpy()
    closed[li, mi] = rows.loc[keep, "period_target"].astype("int64").to_numpy()
    original[li, mi] = rows.loc[keep, "original_target"].astype("int64").to_numpy()
    return closed, original


def _leaf_pcts(data: StreamData) -> tuple[FloatArray, FloatArray]:
    """Floor and stretch shares per leaf from the nearest ancestor with an annual target."""
    tree = data.tree
    floor = np.full(len(tree.leaf_keys), data.company_target.floor_pct)
    stretch = np.full(len(tree.leaf_keys), data.company_target.stretch_pct)
    for node in sorted(data.scope_targets, key=lambda path: tree.depth[path]):
        target = data.scope_targets[node]
        start, end = tree.span[node]
        floor[start:end] = target.floor_pct
        stretch[start:end] = target.stretch_pct
    return floor, stretch


# --------------------------------------------------------------------------- periods


def _fiscal_periods(data: StreamData) -> list[tuple[str, str, dt.date, list[int]]]:
    """``(grain, label, start, month indices)`` for the year, quarters and months."""
    months = data.months
    periods = [("year", str(data.fiscal_year), months[0], list(range(12)))]
    for q in range(4):
        periods.append(
            (
                "quarter",
                f"{data.fiscal_year}-Q{q + 1}",
                months[3 * q],
                [3 * q, 3 * q + 1, 3 * q + 2],
            )
        )
    for m, month in enumerate(months):
        periods.append(("month", format_month(month), month, [m]))
    return periods


def _status(month_indices: Sequence[int], n_closed: int) -> str:
    closed = [m < n_closed for m in month_indices]
    if all(closed):
        return "closed"
    if not any(closed):
        return "open"
    return "partial"


def _node_attributes(tree: Tree) -> pd.DataFrame:
    records = []
    for node in tree.nodes:
        values = tree.node_values(node)
        records.append(
            {
                "node": node,
                "level": tree.level(node),
                "is_leaf": tree.is_leaf(node),
                **{column: values.get(column) for column in KEY_COLUMNS},
            }
        )
    return pd.DataFrame.from_records(records)


def _target_plan_frame(context: _Context, plan: StreamPlan) -> pd.DataFrame:
    data = plan.data
    tree = data.tree
    periods = _fiscal_periods(data)
    leaf_values = {
        "original_target": plan.original,
        "period_target": plan.targets,
        "actual_to_date": plan.actuals,
        "adjusted_target": plan.adjusted,
        "floor": plan.floors,
        "stretch": plan.stretches,
    }
    node_months = {name: tree.aggregate(values) for name, values in leaf_values.items()}
    node_forecast = tree.aggregate(np.nan_to_num(plan.leaf_forecast, nan=0.0))
    if not plan.forecast.available:
        node_forecast[:, data.n_closed :] = np.nan
    open_targets = node_months["period_target"].copy()
    open_targets[:, : data.n_closed] = 0
    p_attain = attain_probabilities(
        data,
        plan.forecast,
        plan.shares,
        open_targets,
        node_months["actual_to_date"],
        node_months["period_target"],
        [indices for _, _, _, indices in periods],
    )
    columns: dict[str, list[np.ndarray]] = {name: [] for name in (*TARGET_VALUES, "forecast")}
    for _, _, _, indices in periods:
        for name in TARGET_VALUES:
            columns[name].append(node_months[name][:, indices].sum(axis=1))
        columns["forecast"].append(node_forecast[:, indices].sum(axis=1))
    # Rows are period-major (year, quarters, months, then weeks; nodes in tree order within a
    # period), the order the frame is published in: no sort needed.
    n_nodes, n_periods = len(tree.nodes), len(periods)
    frame = _tile_nodes(_node_attributes(tree), n_periods)
    frame["grain"] = _repeat([grain for grain, _, _, _ in periods], n_nodes)
    frame["period"] = _repeat([label for _, label, _, _ in periods], n_nodes)
    frame["period_start"] = np.repeat(
        np.array([start for _, _, start, _ in periods], dtype=object), n_nodes
    )
    frame["status"] = _repeat([_status(indices, data.n_closed) for *_, indices in periods], n_nodes)
    for name in TARGET_VALUES:
        frame[name] = np.concatenate(columns[name])
    frame["forecast"] = np.round(np.concatenate(columns["forecast"]), 0)
    frame["p_attain"] = np.round(p_attain.T.reshape(-1), 6)
    return _finish_target_plan(context, plan, frame)


def _finish_target_plan(context: _Context, plan: StreamPlan, frame: pd.DataFrame) -> pd.DataFrame:
    frame["gap"] = frame["adjusted_target"] - frame["forecast"]
    return _stamp(context, plan, frame)[list(TARGET_PLAN_COLUMNS)]


def _only_target_plan(target_plan: pd.DataFrame) -> PlanResult:
    """A part with these ``target_plan`` rows and no rows of the other tables."""
    return PlanResult(
        target_plan=target_plan,
        funnel_requirements=pd.DataFrame(columns=list(FUNNEL_COLUMNS)),
        rep_targets=pd.DataFrame(columns=list(REP_COLUMNS)),
        partner_targets=pd.DataFrame(columns=list(PARTNER_COLUMNS)),
        plan_changes=pd.DataFrame(columns=list(CHANGE_COLUMNS)),
        attainment_alerts=pd.DataFrame(columns=list(ALERT_COLUMNS)),
    )


def _repeat(labels: Sequence[str], times: int) -> np.ndarray:
    """Each label ``times`` times, as an object array of references to the same strings.

    ``np.repeat`` of a list of texts makes a fixed-width text array, which pandas turns into one
    new string object per cell: ~60 bytes a cell, 3 columns x 3.4M rows at the large demo, and
    freed strings that leave the heap fragmented. References cost 8 bytes and nothing to free.
    """
    return np.repeat(np.array(labels, dtype=object), times)


def _tile_nodes(attributes: pd.DataFrame, times: int) -> pd.DataFrame:
    """The node attributes repeated ``times`` times, node order within each repetition."""
    return attributes.iloc[np.tile(np.arange(len(attributes)), times)].reset_index(drop=True)


def _stamp(context: _Context, plan: StreamPlan, frame: pd.DataFrame) -> pd.DataFrame:
    data = plan.data
    frame.insert(0, "as_of_month", context.as_of_month)
    frame.insert(1, "scenario", context.scenario)
    frame.insert(2, "metric", data.stream.metric)
    frame.insert(3, "unit", data.stream.unit)
    frame.insert(4, "minor_units", data.minor_units)
    frame.insert(5, "fiscal_year", data.fiscal_year)
    return frame


def _week_frames(
    context: _Context, plan: StreamPlan, weeks_per_part: int = WEEKS_PER_PART
) -> Iterator[pd.DataFrame]:
    """Weekly rows: each leaf-month spread over its ISO week parts by working days.

    The rows come in frames of at most ``weeks_per_part`` (default :data:`WEEKS_PER_PART`)
    consecutive weeks, nodes in tree order within each week, ready to publish.
    """
    data = plan.data
    tree = data.tree
    working = WorkingDays(data.config.calendar)
    week_labels: list[str] = []
    week_months: dict[str, list[int]] = {}
    parts_of_month = []
    for m, month in enumerate(data.months):
        parts = working.week_parts(month)
        parts_of_month.append(parts)
        for label, _ in parts:
            if label not in week_months:
                week_labels.append(label)
                week_months[label] = []
            week_months[label].append(m)
    week_index = {label: w for w, label in enumerate(week_labels)}
    n_leaves = len(tree.leaf_keys)
    leaf_values = {
        "original_target": plan.original,
        "period_target": plan.targets,
        "actual_to_date": plan.actuals,
        "adjusted_target": plan.adjusted,
        "floor": plan.floors,
        "stretch": plan.stretches,
    }
    weekly = {name: np.zeros((n_leaves, len(week_labels)), dtype=np.int64) for name in leaf_values}
    forecast = np.zeros((n_leaves, len(week_labels)), dtype=np.float64)
    leaf_forecast_values = np.nan_to_num(plan.leaf_forecast, nan=0.0)
    for m, parts in enumerate(parts_of_month):
        weights = np.array([weight for _, weight in parts])
        columns = [week_index[label] for label, _ in parts]
        for name, values in leaf_values.items():
            weekly[name][:, columns] += _split_signed(values[:, m], weights)
        forecast[:, columns] += leaf_forecast_values[:, m, None] * (weights / weights.sum())
    attributes = _node_attributes(tree)
    n_nodes = len(tree.nodes)
    node_weekly = {name: tree.aggregate(weekly[name]) for name in leaf_values}
    del weekly
    node_forecast = tree.aggregate(forecast)
    if not plan.forecast.available:
        open_weeks = [
            w for w, label in enumerate(week_labels) if max(week_months[label]) >= data.n_closed
        ]
        node_forecast[:, open_weeks] = np.nan
    n_parts = -(-len(week_labels) // weeks_per_part)
    for weeks in np.array_split(np.arange(len(week_labels)), n_parts):
        labels = [week_labels[w] for w in weeks]
        frame = _tile_nodes(attributes, len(weeks))
        frame["grain"] = "week"
        frame["period"] = _repeat(labels, n_nodes)
        frame["period_start"] = np.repeat(
            np.array([_iso_monday(label) for label in labels], dtype=object), n_nodes
        )
        frame["status"] = _repeat(
            [_status(week_months[label], data.n_closed) for label in labels], n_nodes
        )
        for name, values in node_weekly.items():
            frame[name] = values[:, weeks].T.reshape(-1)
        frame["forecast"] = np.round(node_forecast[:, weeks].T.reshape(-1), 0)
        frame["p_attain"] = np.nan
        yield _finish_target_plan(context, plan, frame)


def _split_signed(values: IntArray, weights: FloatArray) -> IntArray:
    """Split each value by ``weights`` exactly, negative values (returns) by their magnitude."""
    signs = np.where(values < 0, -1, 1)
    return largest_remainder_rows(np.abs(values), weights) * signs[:, None]


def _iso_monday(label: str) -> dt.date:
    year, week = label.split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 1)


def _sorted_concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-stream frames (already in metric order and sorted within)."""
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _concat(frames: Sequence[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(frames, ignore_index=True)[list(columns)]


# --------------------------------------------------------------------------- sellers

SELLER_COMMON = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "minor_units",
    "fiscal_year",
)
SELLER_VALUES = (*TARGET_VALUES, "forecast", "p_attain")
REP_COLUMNS = (
    *SELLER_COMMON,
    "rep_id",
    "name",
    "region",
    "team",
    "manager_id",
    "tier",
    "hire_date",
    "end_date",
    "grain",
    "period",
    "period_start",
    "status",
    "tenure_month",
    "employed_share",
    *SELLER_VALUES,
)
PARTNER_COLUMNS = (
    *SELLER_COMMON,
    "partner_id",
    "name",
    "region",
    "partner_tier",
    "grain",
    "period",
    "period_start",
    "status",
    *SELLER_VALUES,
    "rebate_mode",
    "projected_attainment",
    "rebate_tier_from",
    "projected_rebate",
    "expected_rebate",
)


def _seller_frame(
    context: _Context, plan: StreamPlan, inputs: PlanInputs, dimension: str
) -> pd.DataFrame:
    """Rows per seller (summed over the product lines they sell) and period."""
    data = plan.data
    tree = data.tree
    leaves = [
        i
        for i in range(len(tree.leaf_keys))
        if tree.leaf_seller_dimension[i] == dimension and tree.leaf_keys[i][-1] != UNASSIGNED
    ]
    if not leaves:
        return pd.DataFrame()
    sellers = sorted({tree.leaf_keys[i][-1] for i in leaves})
    seller_index = {seller: s for s, seller in enumerate(sellers)}
    group = np.array([seller_index[tree.leaf_keys[i][-1]] for i in leaves])
    n_sellers = len(sellers)

    def by_seller(values: np.ndarray) -> np.ndarray:
        result = np.zeros((n_sellers, values.shape[1]), dtype=values.dtype)
        np.add.at(result, group, values[leaves])
        return result

    month_values = {
        "original_target": by_seller(plan.original),
        "period_target": by_seller(plan.targets),
        "actual_to_date": by_seller(plan.actuals),
        "adjusted_target": by_seller(plan.adjusted),
        "floor": by_seller(plan.floors),
        "stretch": by_seller(plan.stretches),
    }
    forecast_months = by_seller(np.nan_to_num(plan.leaf_forecast, nan=0.0))
    periods = _fiscal_periods(data)
    path_sums = _seller_path_sums(plan, leaves, group, n_sellers, periods)
    records: dict[str, list[object]] = {
        name: [] for name in (*SELLER_VALUES, "grain", "period", "period_start", "status")
    }
    n_closed = data.n_closed
    for grain, label, start, indices in periods:
        records["grain"].append(grain)
        records["period"].append(label)
        records["period_start"].append(start)
        records["status"].append(_status(indices, n_closed))
    frame = pd.DataFrame(
        {
            dimension: np.repeat(sellers, len(periods)),
            "grain": np.tile(records["grain"], n_sellers),
            "period": np.tile(records["period"], n_sellers),
            "period_start": np.tile(records["period_start"], n_sellers),
            "status": np.tile(records["status"], n_sellers),
        }
    )
    for name, values in month_values.items():
        frame[name] = np.stack([values[:, idx].sum(axis=1) for *_, idx in periods], axis=1).reshape(
            -1
        )
    forecast = np.stack([forecast_months[:, idx].sum(axis=1) for *_, idx in periods], axis=1)
    if not plan.forecast.available:
        for p, (*_, idx) in enumerate(periods):
            if max(idx) >= n_closed:
                forecast[:, p] = np.nan
    frame["forecast"] = np.round(forecast.reshape(-1), 0)
    probabilities = np.full((n_sellers, len(periods)), np.nan)
    for p, (*_, idx) in enumerate(periods):
        open_idx = [m for m in idx if m >= n_closed]
        if not open_idx:
            reached = month_values["actual_to_date"][:, idx].sum(axis=1) >= month_values[
                "period_target"
            ][:, idx].sum(axis=1)
            probabilities[:, p] = reached
        elif path_sums[p] is not None:
            need = month_values["period_target"][:, open_idx].sum(axis=1) - 0.5
            probabilities[:, p] = (path_sums[p] >= need[:, None]).mean(axis=1)
    frame["p_attain"] = np.round(probabilities.reshape(-1), 6)
    if dimension == "rep_id":
        frame = _with_rep_attributes(frame, plan, inputs)
        columns = REP_COLUMNS
    else:
        frame = _with_partner_rebates(frame, plan, inputs, path_sums, periods, month_values)
        columns = PARTNER_COLUMNS
    frame = _stamp(context, plan, frame)
    frame = frame.assign(_grain=frame["grain"].map(GRAIN_ORDER)).sort_values(
        [dimension, "_grain", "period"], kind="stable"
    )
    return frame.drop(columns="_grain").reset_index(drop=True)[list(columns)]


def _seller_path_sums(
    plan: StreamPlan,
    leaves: Sequence[int],
    group: np.ndarray,
    n_sellers: int,
    periods: Sequence[tuple[str, str, dt.date, list[int]]],
) -> list[np.ndarray | None]:
    """Per period: the sum of each seller's open-month path values (sellers x paths)."""
    data = plan.data
    paths = plan.forecast.paths
    result: list[np.ndarray | None] = []
    for *_, idx in periods:
        open_idx = [m for m in idx if m >= data.n_closed]
        if paths is None or not open_idx:
            result.append(None)
            continue
        sums = np.zeros((n_sellers, paths.shape[2]))
        leaf_array = np.asarray(leaves)
        for chunk in range(0, len(leaf_array), 256):
            part = leaf_array[chunk : chunk + 256]
            leaf_paths = paths[data.leaf_segment[part]][:, open_idx, :]
            values = np.einsum("lk,lkp->lp", plan.shares[part][:, open_idx], leaf_paths)
            np.add.at(sums, group[chunk : chunk + 256], values)
        result.append(sums)
    return result


def _with_rep_attributes(frame: pd.DataFrame, plan: StreamPlan, inputs: PlanInputs) -> pd.DataFrame:
    data = plan.data
    reps = inputs.reps
    extra = ["rep_id", *[c for c in ("name", "team", "manager_id") if c in reps.columns]]
    attributes = reps[extra].drop_duplicates("rep_id").copy()
    attributes["rep_id"] = attributes["rep_id"].astype(str)
    frame = frame.merge(attributes, on="rep_id", how="left")
    for column in ("name", "team", "manager_id"):
        if column not in frame.columns:
            frame[column] = None
    info = data.reps
    frame["region"] = [info[r].region if r in info else None for r in frame["rep_id"]]
    frame["tier"] = [info[r].tier if r in info else None for r in frame["rep_id"]]
    frame["hire_date"] = [info[r].hire_date if r in info else None for r in frame["rep_id"]]
    frame["end_date"] = [info[r].end_date if r in info else None for r in frame["rep_id"]]
    tenure = []
    employed = []
    for rep_id, grain, start in zip(
        frame["rep_id"], frame["grain"], frame["period_start"], strict=True
    ):
        rep = info.get(rep_id)
        if rep is None or grain != "month":
            tenure.append(None)
            employed.append(None)
            continue
        tenure.append(_rep_tenure(rep, start))
        employed.append(round(_rep_employed(rep, start), 6))
    frame["tenure_month"] = pd.array(tenure, dtype="Int64")
    frame["employed_share"] = pd.array(employed, dtype="Float64")
    return frame


def _rep_tenure(rep: RepInfo, month: dt.date) -> int | None:
    return None if rep.hire_date is None else max(tenure_month(rep, month), 0)


def _rep_employed(rep: RepInfo, month: dt.date) -> float:
    return employed_share(rep, month)


def _with_partner_rebates(
    frame: pd.DataFrame,
    plan: StreamPlan,
    inputs: PlanInputs,
    path_sums: Sequence[np.ndarray | None],
    periods: Sequence[tuple[str, str, dt.date, list[int]]],
    month_values: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    data = plan.data
    partners = inputs.partners
    names = (
        partners[["partner_id", "name"]].drop_duplicates("partner_id").astype({"partner_id": str})
        if "name" in partners.columns
        else pd.DataFrame({"partner_id": [], "name": []})
    )
    frame = frame.merge(names, on="partner_id", how="left")
    frame["region"] = [data.partners.get(p, (None, None))[0] for p in frame["partner_id"]]
    frame["partner_tier"] = [data.partners.get(p, (None, None))[1] for p in frame["partner_id"]]
    for column in (
        "rebate_mode",
        "projected_attainment",
        "rebate_tier_from",
        "projected_rebate",
        "expected_rebate",
    ):
        frame[column] = None
    rebates = data.config.rebates
    if rebates is None or rebates.metric != data.stream.metric:
        return frame
    year_position = 0  # _fiscal_periods puts the year first
    sellers = list(dict.fromkeys(frame["partner_id"]))
    original = month_values["original_target"].sum(axis=1)
    actual = month_values["actual_to_date"].sum(axis=1)
    year_rows = frame.index[frame["grain"] == "year"]
    projected = frame.loc[year_rows, "forecast"].to_numpy(dtype=np.float64)
    modes, attainments, tiers_from, projected_rebates, expected_rebates = [], [], [], [], []
    sums = path_sums[year_position]
    for s, partner_id in enumerate(sellers):
        tiers = rebates.tiers_for(data.partners.get(partner_id, (None, None))[1])
        target = int(original[s])
        modes.append(rebates.mode)
        sales = projected[s]
        if target <= 0 or np.isnan(sales):
            attainments.append(None)
            tiers_from.append(None)
            projected_rebates.append(0 if target <= 0 else None)
            expected_rebates.append(0 if target <= 0 else None)
            continue
        attainment = sales / target
        tier = reached_tier(attainment, tiers)
        attainments.append(round(attainment, 6))
        tiers_from.append(tier.start if tier else None)
        projected_rebates.append(int(rebate(sales, target, tiers, rebates.mode)))
        if sums is not None:
            outcomes = actual[s] + sums[s]
            expected_rebates.append(
                int(np.floor(rebate(outcomes, target, tiers, rebates.mode).mean() + 0.5))
            )
        else:
            expected_rebates.append(None)
    frame.loc[year_rows, "rebate_mode"] = modes
    frame.loc[year_rows, "projected_attainment"] = attainments
    frame.loc[year_rows, "rebate_tier_from"] = tiers_from
    frame.loc[year_rows, "projected_rebate"] = pd.array(projected_rebates, dtype="Int64")
    frame.loc[year_rows, "expected_rebate"] = pd.array(expected_rebates, dtype="Int64")
    return frame


# --------------------------------------------------------------------------- funnel

FUNNEL_COLUMNS = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "minor_units",
    "fiscal_year",
    "node",
    "level",
    "is_leaf",
    *KEY_COLUMNS,
    "month",
    "start_month",
    "lead_start_month",
    "at_risk",
    "target",
    "required_won",
    "required_opportunities",
    "required_sqls",
    "required_mqls",
    "required_leads",
    *(f"required_{plural}" for plural in ACTIVITY_PLURALS.values()),
    "required_activities",
)
_FUNNEL_SUMS = (
    "target",
    "required_won",
    "required_opportunities",
    "required_sqls",
    "required_mqls",
    "required_leads",
    *(f"required_{plural}" for plural in ACTIVITY_PLURALS.values()),
    "required_activities",
)


def _rate_book(
    context: _Context, frame: pd.DataFrame | None, config: PlanningConfig, stream: object
) -> RateBook | None:
    """The rate book of a stream's deal types, one per rates frame and deal type."""
    if frame is None or frame.empty:
        return None
    deal_types = stream.deal_types  # type: ignore[attr-defined]
    deal_type = deal_types[0] if deal_types and len(deal_types) == 1 else None
    key = ("rate_book", id(frame), deal_type)
    if key not in context.cache:
        rows_key = ("rate_rows", id(frame))
        if rows_key not in context.cache:
            context.cache[rows_key] = index_rate_rows(frame)
        rows: RateRows = context.cache[rows_key]  # type: ignore[assignment]

        def book_of(book_deal_type: str | None) -> RateBook:
            return RateBook(
                frame,
                config.funnel.prior_strength,
                book_deal_type,
                config.funnel.activity_types,
                rows,
            )

        try:
            book = book_of(deal_type)
        except PlanningInputError:
            if deal_type is None:
                raise
            # No rates measured for this deal type at all: plan its funnel with the rates of
            # all deal types rather than not at all (noted in the run).
            notes = context.cache.setdefault("notes", [])
            notes.append(  # type: ignore[attr-defined]
                f"funnel_rates has no {deal_type} rows: the {deal_type} funnel uses the rates "
                f"of all deal types"
            )
            book = book_of(None)
        context.cache[key] = book
    return context.cache[key]  # type: ignore[return-value]


def _leaf_rates(plan: StreamPlan, book: RateBook, leaf: int) -> FunnelRates:
    tree = plan.data.tree
    values = dict(tree.leaf_pairs(leaf))
    rep_id = values.get("rep_id")
    if rep_id == UNASSIGNED:
        rep_id = None
    return book.rates(
        values.get("region"), values.get("product_line"), values.get("channel"), rep_id
    )


@dataclass(frozen=True)
class _LeafRates:
    """The smoothed rates of every leaf as arrays (one entry per leaf)."""

    avg_won_amount: FloatArray
    win_rate: FloatArray
    sql_to_opportunity_rate: FloatArray
    mql_to_sql_rate: FloatArray
    lead_to_mql_rate: FloatArray
    cycle_lags: IntArray  # (leaves, 4) months per cycle quartile
    lead_lag: IntArray
    activities: Mapping[str, FloatArray]


def _leaf_rate_arrays(context: _Context, plan: StreamPlan, book: RateBook) -> _LeafRates:
    key = ("leaf_rates", plan.data.stream.metric, id(book))
    if key not in context.cache:
        context.cache[key] = _compute_leaf_rate_arrays(plan, book)
    return context.cache[key]  # type: ignore[return-value]


def _compute_leaf_rate_arrays(plan: StreamPlan, book: RateBook) -> _LeafRates:
    rates = [_leaf_rates(plan, book, leaf) for leaf in range(len(plan.data.tree.leaf_keys))]
    kinds = book.activity_types
    return _LeafRates(
        avg_won_amount=np.array([r.avg_won_amount for r in rates]),
        win_rate=np.array([r.win_rate for r in rates]),
        sql_to_opportunity_rate=np.array([r.sql_to_opportunity_rate for r in rates]),
        mql_to_sql_rate=np.array([r.mql_to_sql_rate for r in rates]),
        lead_to_mql_rate=np.array([r.lead_to_mql_rate for r in rates]),
        cycle_lags=np.array([cycle_lag_months(r) for r in rates], dtype=np.int64).reshape(-1, 4),
        lead_lag=np.array([lead_lag_months(r) for r in rates], dtype=np.int64),
        activities={
            kind: np.array([(r.activities_per_opportunity or {}).get(kind, 0.0) for r in rates])
            for kind in kinds
        },
    )


def _funnel_frame(context: _Context, plan: StreamPlan, book: RateBook) -> pd.DataFrame:
    """Leaf work per target month and start month (vectorized), summed up to every node.

    Same maths as :func:`planning.funnel.leaf_requirements`, on arrays: each open leaf-month
    target is split exactly over the four cycle quartiles, each part's work is computed from its
    amount and parts starting in the same month are merged.
    """
    data = plan.data
    tree = data.tree
    rates = _leaf_rate_arrays(context, plan, book)
    n_closed = data.n_closed
    leaf_index, month_offset = np.nonzero(plan.targets[:, n_closed:] > 0)
    if not len(leaf_index):
        return pd.DataFrame()
    month_pos = month_offset + n_closed
    targets = plan.targets[leaf_index, month_pos]
    parts = largest_remainder_rows(targets, CYCLE_WEIGHTS)  # (rows, 4) exact split
    month_numbers = np.array([_month_number(m) for m in data.months], dtype=np.int64)
    month_number = month_numbers[month_pos]
    rows_leaf = np.repeat(leaf_index, 4)
    rows_month = np.repeat(month_number, 4)
    rows_start = rows_month - rates.cycle_lags[leaf_index].reshape(-1)
    amount = parts.reshape(-1)
    won = amount / data.minor_units / rates.avg_won_amount[rows_leaf]
    opportunities = won / rates.win_rate[rows_leaf]
    sqls = opportunities / rates.sql_to_opportunity_rate[rows_leaf]
    mqls = sqls / rates.mql_to_sql_rate[rows_leaf]
    leads = mqls / rates.lead_to_mql_rate[rows_leaf]
    columns = {
        "leaf": rows_leaf,
        "month": rows_month,
        "start_month": rows_start,
        # no lead stage (expansion, renewal): no month for leads either
        "lead_start_month": np.where(
            np.isnan(leads), np.nan, (rows_start - rates.lead_lag[rows_leaf]).astype(np.float64)
        ),
        "target": amount,
        "required_won": won,
        "required_opportunities": opportunities,
        "required_sqls": sqls,
        "required_mqls": mqls,
        "required_leads": leads,
    }
    total_activities = np.zeros(len(amount))
    for plural in ACTIVITY_PLURALS.values():
        columns[f"required_{plural}"] = np.zeros(len(amount))
    for kind, per_opportunity in rates.activities.items():
        values = opportunities * per_opportunity[rows_leaf]
        columns[f"required_{ACTIVITY_PLURALS[kind]}"] = values
        total_activities += values
    columns["required_activities"] = total_activities
    leaf_rows = pd.DataFrame(columns)
    leaf_rows = leaf_rows[leaf_rows["target"] > 0]
    # Every node sums the work of its leaves: a node's requirement is its people's work.
    nodes, starts, ends = tree.ancestor_matrix_spans()
    node_of_leaf = {}
    for node_position, (start, end) in enumerate(zip(starts, ends, strict=True)):
        depth = tree.depth[nodes[node_position]]
        mapping = node_of_leaf.setdefault(depth, np.full(len(tree.leaf_keys), -1))
        mapping[start:end] = node_position
    # One depth at a time: each node belongs to one depth, so its group holds the same leaf
    # rows in the same order as when every depth's rows were grouped together, and sums to
    # the same floats. Grouping them together held a copy of the leaf rows per depth at once
    # (5.2 GB more at the xlarge demo's first month of a fiscal year: 14.4 GB against 9.2 GB).
    aggregated_by_depth = []
    for mapping in node_of_leaf.values():
        part = leaf_rows.assign(node_position=mapping[leaf_rows["leaf"].to_numpy()])
        grouped = part[part["node_position"] >= 0].groupby(
            ["node_position", "month", "start_month"], sort=True
        )
        # min_count=1: a stage no leaf has (leads for renewals) stays empty instead of 0
        sums = grouped[list(_FUNNEL_SUMS)].sum(min_count=1)
        sums["lead_start_month"] = grouped["lead_start_month"].min()
        if len(sums):
            aggregated_by_depth.append(sums.reset_index())
        del part, grouped
    aggregated = pd.concat(aggregated_by_depth, ignore_index=True)
    aggregated = aggregated.sort_values(["node_position", "month", "start_month"])
    aggregated = aggregated.reset_index(drop=True)
    attributes = _node_attributes(tree)
    frame = attributes.iloc[aggregated["node_position"].to_numpy()].reset_index(drop=True)
    for column in ("month", "start_month", "lead_start_month", *_FUNNEL_SUMS):
        frame[column] = aggregated[column].to_numpy()
    frame["at_risk"] = frame["start_month"] < _month_number(data.as_of)
    for column in ("month", "start_month", "lead_start_month"):
        numbers = frame[column].dropna().unique()
        lookup = {number: _month_of_number(int(number)) for number in numbers}
        frame[column] = frame[column].map(lookup)
    frame["target"] = frame["target"].astype("int64")
    for column in _FUNNEL_SUMS[1:]:
        frame[column] = frame[column].astype(np.float64).round(4)
    return _stamp(context, plan, frame)[list(FUNNEL_COLUMNS)]


def _month_number(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def _month_of_number(number: int) -> dt.date:
    return dt.date(int(number) // 12, int(number) % 12 + 1, 1)


# --------------------------------------------------------------------------- changes

CHANGE_COLUMNS = (
    "as_of_month",
    "scenario",
    "previous_as_of_month",
    "metric",
    "unit",
    "minor_units",
    "fiscal_year",
    "node",
    "level",
    *KEY_COLUMNS,
    "measure",
    "grain",
    "period",
    "previous",
    *COMPONENTS,
    "current",
    "total_change",
)
_OPPORTUNITY_SCALE = 100


def _changes_frame(
    context: _Context,
    inputs: PlanInputs,
    plan: StreamPlan,
    previous: PreviousVersion,
    adjustments: Sequence[Adjustment],
    previous_adjustments: Sequence[Adjustment],
    rate_book: RateBook | None,
    notes: list[str],
) -> pd.DataFrame:
    data = plan.data
    metric = data.stream.metric
    if previous.forecasts is None:
        notes.append(f"{metric}: previous forecast unknown; its revision counts as actuals")
        previous_forecast = plan.forecast
    else:
        previous_inputs = PlanInputs(
            annual_targets=inputs.annual_targets,
            bookings=inputs.bookings,
            reps=inputs.reps,
            partners=inputs.partners,
            forecasts=previous.forecasts,
        )
        previous_forecast = read_forecast(previous_inputs, data)
    closed = plan.targets
    # A step whose input did not change re-plans to the same values: reuse them.
    same_adjustments = _cells_of(previous_adjustments) == _cells_of(adjustments)
    current_forecast = forecast_for_allocation(data, plan.forecast)
    previous_allocation = forecast_for_allocation(data, previous_forecast)
    if same_adjustments:
        step_forecast = plan.targets
    else:
        step_forecast = allocate_open_months(
            data,
            n_closed=data.n_closed,
            leaf_forecast=current_forecast,
            adjustments=previous_adjustments,
            closed_targets=closed,
        )
    if np.array_equal(previous_allocation, current_forecast):
        step_actuals = step_forecast
    else:
        step_actuals = allocate_open_months(
            data,
            n_closed=data.n_closed,
            leaf_forecast=previous_allocation,
            adjustments=previous_adjustments,
            closed_targets=closed,
        )
    periods = [
        (grain, label, idx) for grain, label, _, idx in _fiscal_periods(data) if grain != "quarter"
    ]
    tree = data.tree
    cells = _cell_index(tree.nodes, periods)

    def adjusted_series(targets: IntArray) -> pd.Series:
        values = targets.copy()
        values[:, : data.n_closed] = plan.actuals[:, : data.n_closed]
        nodes = tree.aggregate(values)
        return _cells(cells, periods, nodes)

    previous_plan = _previous_of_metric(context, previous, metric)
    rows = previous_plan[previous_plan["grain"].isin(["year", "month"])]
    previous_targets = pd.Series(
        rows["adjusted_target"].astype("int64").to_numpy(),
        index=pd.MultiIndex.from_arrays([rows["node"], rows["grain"], rows["period"]]),
    )
    steps = [adjusted_series(step_actuals), adjusted_series(step_forecast)]
    steps += [steps[-1], adjusted_series(plan.targets)]
    frames = [_waterfall_frame(waterfall(previous_targets, steps), "target", data.minor_units)]

    if rate_book is not None:
        previous_book = rate_book
        if previous.funnel_rates is not None and not previous.funnel_rates.empty:
            previous_book = (
                _rate_book(context, previous.funnel_rates, data.config, data.stream) or rate_book
            )
        else:
            notes.append(f"{metric}: previous funnel rates unknown; rate changes count as zero")

        per_unit_of: dict[int, FloatArray] = {}

        def opportunities(targets: IntArray, book: RateBook) -> pd.Series:
            if id(book) not in per_unit_of:
                arrays = _leaf_rate_arrays(context, plan, book)
                per_unit_of[id(book)] = 1.0 / (arrays.avg_won_amount * arrays.win_rate)
            per_unit = per_unit_of[id(book)]
            values = targets.astype(np.float64) / data.minor_units * per_unit[:, None]
            values[:, : data.n_closed] = 0.0
            hundredths = np.floor(values * _OPPORTUNITY_SCALE + 0.5).astype(np.int64)
            return _cells(cells, periods, tree.aggregate(hundredths))

        previous_funnel = previous.funnel_requirements
        if previous_funnel is not None and not previous_funnel.empty:
            funnel_rows = previous_funnel[previous_funnel["metric"] == metric]
            by_month = funnel_rows.groupby(["node", "month"])["required_opportunities"].sum()
            months = [
                format_month(pd.Timestamp(m).date()) for m in by_month.index.get_level_values(1)
            ]
            monthly = pd.Series(
                np.floor(by_month.to_numpy() * _OPPORTUNITY_SCALE + 0.5).astype(np.int64),
                index=pd.MultiIndex.from_arrays(
                    [by_month.index.get_level_values(0), ["month"] * len(months), months]
                ),
            )
            yearly = monthly.groupby(level=0).sum()
            yearly.index = pd.MultiIndex.from_arrays(
                [yearly.index, ["year"] * len(yearly), [str(data.fiscal_year)] * len(yearly)]
            )
            previous_opportunities = pd.concat([yearly, monthly])
        else:
            previous_opportunities = pd.Series(
                dtype="int64", index=pd.MultiIndex.from_arrays([[], [], []])
            )
        steps = [
            opportunities(step_actuals, previous_book),
            opportunities(step_forecast, previous_book),
            opportunities(step_forecast, rate_book),
            opportunities(plan.targets, rate_book),
        ]
        frames.append(
            _waterfall_frame(
                waterfall(previous_opportunities, steps),
                "required_opportunities",
                _OPPORTUNITY_SCALE,
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    values = ["previous", *COMPONENTS, "current"]
    frame = frame[(frame[values] != 0).any(axis=1)]
    attributes = _node_attributes(tree).drop(columns="is_leaf")
    frame = frame.merge(attributes, on="node", how="inner")
    order = {node: i for i, node in enumerate(tree.nodes)}
    frame = frame.assign(
        _order=frame["node"].map(order), _grain=frame["grain"].map(GRAIN_ORDER)
    ).sort_values(["measure", "_order", "_grain", "period"], kind="stable")
    frame = frame.drop(columns=["_order", "_grain"]).reset_index(drop=True)
    frame = _stamp(context, plan, frame)
    frame["minor_units"] = np.where(
        frame["measure"] == "target", data.minor_units, _OPPORTUNITY_SCALE
    )
    frame["previous_as_of_month"] = format_month(parse_month(previous.as_of_month))
    return frame[list(CHANGE_COLUMNS)]


def _cells_of(adjustments: Sequence[Adjustment]) -> list[tuple[object, ...]]:
    """What adjustments set, without where they came from (for comparing versions)."""
    return sorted(
        (a.metric, a.node, a.month or dt.date.min, a.value, a.locked) for a in adjustments
    )


def _cell_index(
    nodes: Sequence[str], periods: Sequence[tuple[str, str, list[int]]]
) -> pd.MultiIndex:
    """``(node, grain, period)`` of every node in every period, period by period.

    Built from codes, as the nodes are unique, and shared by every waterfall step of a stream.
    Built from the labels for each step, it took ~2 s of the 22 s of CPU planning the large
    demo's as-of 2026-11 version.
    """
    grain_codes, grains = pd.factorize(np.array([grain for grain, _, _ in periods]))
    label_codes, labels = pd.factorize(np.array([label for _, label, _ in periods]))
    return pd.MultiIndex(
        levels=[pd.Index(nodes), grains, labels],
        codes=[
            np.tile(np.arange(len(nodes)), len(periods)),
            np.repeat(grain_codes, len(nodes)),
            np.repeat(label_codes, len(nodes)),
        ],
    )


def _cells(
    index: pd.MultiIndex, periods: Sequence[tuple[str, str, list[int]]], values: np.ndarray
) -> pd.Series:
    """``values`` (nodes x months) summed per period, on ``_cell_index(nodes, periods)``."""
    data = [values[:, idx].sum(axis=1) for _, _, idx in periods]
    return pd.Series(np.concatenate(data).astype(np.int64), index=index)


def _waterfall_frame(frame: pd.DataFrame, measure: str, scale: int) -> pd.DataFrame:
    frame = frame.copy()
    frame.index = frame.index.set_names(["node", "grain", "period"])
    frame = frame.reset_index()
    frame["measure"] = measure
    frame["scale"] = scale
    return frame.drop(columns="scale")
