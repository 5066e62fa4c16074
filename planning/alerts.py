"""Attainment alerts: is each node on pace for its target, given the season?

For a node and a period in progress (the fiscal year, the quarter of the last closed month, and
the last closed month itself), with ``O`` the original target of the period and ``E`` the
original target of its closed months:

    pace          = actual to date / O
    expected pace = E / O          (the share of the period's target the seasonal profile of the
                                    plan expected by now; not the share of time elapsed)
    attainment    = pace / expected pace = actual to date / E

An alert is raised when ``attainment`` is below ``alerts.threshold`` (default 0.8); its severity
is the configured level with the lowest bound still above it.

Two rules keep the list readable for the people it is for. A node is alerted only when its
period target is at least ``alerts.min_share`` (default 1%) of the company's target for the same
metric and period: below that a single deal swings the pace, and the seller's own numbers are in
``rep_targets`` and the manager workbooks. A quarter whose only closed month is the last one is
not reported separately, because its attainment is that month's.

Example: a region's year target is 12,000,000, of which the plan puts 3,000,000 in January-April
(a slow start with the Spring Festival): the expected pace at the end of April is 25%, although a
third of the year has passed. With 2,100,000 sold, pace is 17.5% and attainment 70%: below 80%,
above 60%, a ``warning``. Measured against elapsed time (2,100,000 of 4,000,000) it would have
looked like 52.5%, a false ``critical``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from planning.calendar import FiscalCalendar
from planning.config import AlertConfig
from salesplan.months import add_months, format_month

KEY_COLUMNS = ("region", "product_line", "channel", "rep_id", "partner_id")
ALERT_COLUMNS = (
    "as_of_month",
    "scenario",
    "metric",
    "unit",
    "minor_units",
    "fiscal_year",
    "node",
    "level",
    *KEY_COLUMNS,
    "grain",
    "period",
    "target",
    "expected_to_date",
    "actual_to_date",
    "pace",
    "expected_pace",
    "attainment",
    "severity",
    "message",
)


def attainment_alerts(
    target_plan: pd.DataFrame,
    alerts: AlertConfig,
    calendar: FiscalCalendar,
    as_of: dt.date,
) -> pd.DataFrame:
    """Return one row per node and period in progress whose attainment is below the threshold.

    Args:
        target_plan: the plan's ``target_plan`` rows (month grain is read).
        alerts: threshold and severities.
        calendar: the fiscal calendar.
        as_of: the as-of month.

    Returns:
        Alerts sorted by severity (most severe first), metric, node and period.
    """
    months = target_plan[target_plan["grain"] == "month"]
    last_closed = add_months(as_of, -1)
    if months.empty or calendar.fiscal_year(last_closed) != calendar.fiscal_year(as_of):
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    fiscal_months = calendar.months(calendar.fiscal_year(as_of))
    quarter = calendar.quarter(last_closed)
    quarter_months = calendar.quarter_months(quarter)
    periods = {("year", str(calendar.fiscal_year(as_of))): fiscal_months}
    if sum(month < as_of for month in quarter_months) > 1:
        periods[("quarter", quarter)] = quarter_months
    periods[("month", format_month(last_closed))] = [last_closed]
    month_of = months["period"]
    company = set(months.loc[months["level"] == "company", "node"])
    rows = []
    for (grain, label), period_months in periods.items():
        labels = {format_month(month) for month in period_months}
        closed = {format_month(month) for month in period_months if month < as_of}
        in_period = months[month_of.isin(labels)]
        group_keys = ["metric", "node"]
        target = in_period.groupby(group_keys, sort=True)["original_target"].sum()
        closed_rows = in_period[in_period["period"].isin(closed)]
        expected = closed_rows.groupby(group_keys, sort=True)["original_target"].sum()
        actual = closed_rows.groupby(group_keys, sort=True)["actual_to_date"].sum()
        frame = pd.DataFrame({"target": target, "expected_to_date": expected, "actual": actual})
        frame = frame[(frame["expected_to_date"] > 0) & (frame["target"] > 0)]
        frame = frame[_large_enough(frame["target"], company, alerts.min_share)]
        if frame.empty:
            continue
        frame["pace"] = frame["actual"] / frame["target"]
        frame["expected_pace"] = frame["expected_to_date"] / frame["target"]
        frame["attainment"] = frame["actual"] / frame["expected_to_date"]
        frame["severity"] = [alerts.severity(value) for value in frame["attainment"]]
        frame = frame[frame["severity"].notna()]
        if frame.empty:
            continue
        frame["grain"] = grain
        frame["period"] = label
        rows.append(frame.reset_index())
    if not rows:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    found = pd.concat(rows, ignore_index=True)
    attributes = months.drop_duplicates(["metric", "node"])[
        [
            "metric",
            "node",
            "as_of_month",
            "scenario",
            "fiscal_year",
            "level",
            "unit",
            "minor_units",
            *KEY_COLUMNS,
        ]
    ]
    found = found.merge(attributes, on=["metric", "node"], how="left")
    found = found.rename(columns={"actual": "actual_to_date"})
    found["message"] = [_message(row, last_closed) for row in found.itertuples(index=False)]
    for column in ("pace", "expected_pace", "attainment"):
        found[column] = found[column].round(6)
    return _in_alert_order(found, alerts)


def merge_alerts(frames: Sequence[pd.DataFrame], alerts: AlertConfig) -> pd.DataFrame:
    """Combine :func:`attainment_alerts` of plans with disjoint metrics, in its order.

    An alert compares a node's months within its own metric, so the alerts of each metric's
    rows, merged here, are the alerts of all the rows at once.
    """
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=list(ALERT_COLUMNS))
    return _in_alert_order(pd.concat(frames, ignore_index=True), alerts)


def _in_alert_order(found: pd.DataFrame, alerts: AlertConfig) -> pd.DataFrame:
    """Most severe first, then metric, node and grain (year, quarter, month)."""
    rank = {name: i for i, (name, _) in enumerate(alerts.severities)}
    order = pd.DataFrame(
        {
            "rank": found["severity"].map(rank),
            "metric": found["metric"],
            "node": found["node"],
            "grain": found["grain"].map({"year": 0, "quarter": 1, "month": 2}),
        }
    ).sort_values(["rank", "metric", "node", "grain"], kind="stable")
    return found.loc[order.index, list(ALERT_COLUMNS)].reset_index(drop=True)


def _large_enough(target: pd.Series, company_nodes: set[str], min_share: float) -> pd.Series:
    """Mask of (metric, node) rows whose target is at least ``min_share`` of the company's."""
    if not company_nodes or min_share <= 0:
        return pd.Series(True, index=target.index)
    nodes = target.index.get_level_values("node")
    company = target[nodes.isin(company_nodes)].groupby(level="metric").sum()
    floor = target.index.get_level_values("metric").map(company).to_numpy(dtype=float)
    return pd.Series(target.to_numpy(dtype=float) >= min_share * floor, index=target.index)


def _message(row: object, last_closed: dt.date) -> str:
    minor = float(row.minor_units)  # type: ignore[attr-defined]
    actual = row.actual_to_date / minor  # type: ignore[attr-defined]
    expected = row.expected_to_date / minor  # type: ignore[attr-defined]
    return (
        f"{row.node} {row.metric} {row.period}: {row.attainment:.0%} of the expected pace "  # type: ignore[attr-defined]
        f"({actual:,.0f} actual vs {expected:,.0f} planned to {format_month(last_closed)}; "
        f"{row.severity})"  # type: ignore[attr-defined]
    )


def severity_counts(alerts: pd.DataFrame) -> dict[str, int]:
    """Return the number of alerts per severity (for run metadata)."""
    if alerts.empty:
        return {}
    counts = alerts["severity"].value_counts()
    return {str(name): int(count) for name, count in counts.sort_index().items()}
