"""The frames the planner reads, their required columns, and errors that point at a row.

The planning package never opens a file or a database: the Dagster assets (or a test) read the
marts, forecasts and planning inputs into the frames of :class:`PlanInputs` and hand them over.
Money columns are in major units of the reporting currency (``DECIMAL(18, 2)`` in the marts);
months are dates (first day) or ``YYYY-MM`` strings.

A problem with a row raises :class:`PlanningInputError` naming the input, the row, the column
and the value. When a frame carries the raw layer's lineage columns ``_source_file`` and
``_source_row``, the message names the file and its row too, so a planner can open the file and
fix the line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from salesplan.months import parse_month

REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "annual_targets": ("fiscal_year", "metric", "scope", "amount"),
    "bookings": (
        "month",
        "region",
        "product_line",
        "channel",
        "deal_type",
        "partner_id",
        "rep_id",
        "bookings_amount",
    ),
    "collections": (
        "month",
        "region",
        "product_line",
        "channel",
        "deal_type",
        "partner_id",
        "collected_amount",
    ),
    "reps": ("rep_id", "region", "tier", "role", "hire_date", "end_date"),
    "partners": ("partner_id", "region", "tier"),
    "forecasts": ("metric", "region", "product_line", "channel", "month", "yhat"),
    "forecast_paths": ("metric", "region", "product_line", "channel", "month", "path", "y"),
    "funnel_rates": ("level", "region", "product_line", "channel", "deal_type", "rep_id"),
    "adjustments": ("metric", "node", "period", "value", "locked"),
    "potentials": ("dimension", "value", "potential"),
}


class PlanningInputError(ValueError):
    """Bad planning input; the message names the input, row, column and value."""


@dataclass(frozen=True)
class PlanInputs:
    """Everything one re-plan reads, as plain frames (see the module docstring).

    Attributes:
        annual_targets: ``fiscal_year, metric, scope, amount[, floor_pct, stretch_pct]``.
        bookings: ``fct_bookings_monthly`` (all months of history).
        reps: ``dim_rep`` (``rep_id, region, tier, role, hire_date, end_date``).
        partners: ``partner_id, region, tier``.
        collections: ``fct_collections_monthly``, needed by a ``collected_amount`` stream.
        forecasts: ``metric, region, product_line, channel, month, yhat`` at the forecast grain.
        forecast_paths: ``metric, region, product_line, channel, month, path, y`` sample paths.
        funnel_rates: ``fct_funnel_rates``.
        adjustments: ``metric, node, period, value, locked[, reason, author]``.
        potentials: ``dimension, value, potential`` (e.g. ``region, EAST, 9.0e9``).
    """

    annual_targets: pd.DataFrame
    bookings: pd.DataFrame
    reps: pd.DataFrame
    partners: pd.DataFrame
    collections: pd.DataFrame | None = None
    forecasts: pd.DataFrame | None = None
    forecast_paths: pd.DataFrame | None = None
    funnel_rates: pd.DataFrame | None = None
    adjustments: pd.DataFrame | None = None
    potentials: pd.DataFrame | None = None
    # Checks done and values derived from the frames (parsed months, codes, reps), shared by
    # every stream of one re-plan. Not an init field: dataclasses.replace() starts a fresh one.
    _cache: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    def frame(self, name: str) -> pd.DataFrame | None:
        """Return input ``name`` after checking its required columns (once)."""
        value = getattr(self, name)
        if value is not None and name not in self._cache:
            require_columns(name, value)
            self._cache[name] = True
        return value

    def months(self, name: str) -> pd.Series:
        """Return the ``month`` column of input ``name`` as first-of-month dates (cached)."""
        key = f"{name}.months"
        if key not in self._cache:
            frame = self.frame(name)
            assert frame is not None
            self._cache[key] = month_column(name, frame)
        return self._cache[key]  # type: ignore[return-value]

    def factorized(self, name: str, column: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``pd.factorize`` of a column of input ``name`` as strings (cached)."""
        key = f"{name}.{column}.codes"
        if key not in self._cache:
            frame = self.frame(name)
            assert frame is not None
            codes, uniques = pd.factorize(frame[column])
            self._cache[key] = (codes, np.asarray([str(value) for value in uniques]))
        return self._cache[key]  # type: ignore[return-value]


def require_columns(name: str, frame: pd.DataFrame) -> None:
    """Check that ``frame`` has the required columns of input ``name``.

    Raises:
        PlanningInputError: naming the input and the missing columns.
    """
    missing = [column for column in REQUIRED_COLUMNS[name] if column not in frame.columns]
    if missing:
        raise PlanningInputError(
            f"{name}: missing column(s) {', '.join(missing)}; "
            f"it has {', '.join(map(str, frame.columns))}"
        )


def row_ref(name: str, frame: pd.DataFrame, index: Any) -> str:
    """Describe row ``index`` of input ``name`` for an error message.

    Uses the raw layer's lineage (``_source_file``, ``_source_row``) when the frame carries it,
    else the 1-based position of the row in the frame.
    """
    position = frame.index.get_loc(index)
    text = f"{name} row {position + 1 if isinstance(position, int) else index}"
    if "_source_file" in frame.columns and "_source_row" in frame.columns:
        source_file = frame.at[index, "_source_file"]
        source_row = frame.at[index, "_source_row"]
        if pd.notna(source_file):
            text += f" ({source_file} row {source_row})"
    return text


def bad_value(
    name: str, frame: pd.DataFrame, index: Any, column: str, problem: str
) -> PlanningInputError:
    """Return the error for ``column`` of row ``index`` of input ``name``."""
    value = frame.at[index, column]
    if hasattr(value, "item"):
        value = value.item()  # numpy scalars print as their Python value
    return PlanningInputError(
        f"{row_ref(name, frame, index)}, column {column}, value {value!r}: {problem}"
    )


def month_column(name: str, frame: pd.DataFrame, column: str = "month") -> pd.Series:
    """Return ``frame[column]`` as first-of-month dates, with an error naming a bad row.

    Converts each distinct value once, so a frame of a million rows over a hundred months costs
    a hundred conversions.
    """
    values = frame[column]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        raise bad_value(name, frame, values.index[codes < 0][0], column, "missing month")
    first_row = pd.Series(np.arange(len(codes))).groupby(codes).first()
    months = np.empty(len(uniques), dtype=object)
    for code, value in enumerate(uniques):
        index = values.index[int(first_row[code])]
        months[code] = _as_month(name, frame, index, column, value)
    return pd.Series(months[codes], index=frame.index, dtype=object)


def _as_month(name: str, frame: pd.DataFrame, index: Any, column: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime | pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
        return dt.date(stamp.year, stamp.month, 1)
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, 1)
    if isinstance(value, str):
        try:
            return parse_month(value[:7])
        except ValueError:
            pass
    raise bad_value(name, frame, index, column, "not a month (write YYYY-MM or a date)")


def date_or_none(value: Any) -> dt.date | None:
    """Return a date from a date-like cell, or ``None`` for an empty one."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def text_or_none(value: Any) -> str | None:
    """Return a non-empty string, or ``None`` for an empty/NULL cell."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None
