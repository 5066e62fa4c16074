"""The data contract of ``forecasts``: column names, flags, and validation of input frames.

Input is a long frame, one row per series and month: ``unique_id, ds, y`` plus the hierarchy
keys of the series (for example ``region, product_line, channel``). Column names are
parameters of every public function, with these defaults. ``ds`` may be any date inside the
month (it is truncated to the month); ``y`` must be numeric, but NaN, negative values,
duplicate months and gaps are accepted and flagged (see ``FLAGS``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

ID_COL = "unique_id"
TIME_COL = "ds"
TARGET_COL = "y"

# Every flag a forecast row can carry, with what it means and what the engine did about it.
# Flags are written comma-separated, in this order, in the ``flags`` column.
FLAGS: dict[str, str] = {
    "duplicate_months": "several rows for one month: their values were summed",
    "missing_values": "NaN or infinite values: interpolated for fitting, not scored",
    "negative_values": "negative values (returns, cancellations): set to 0 for fitting",
    "gaps_filled": "months without a row inside the history: treated as 0 (no sales)",
    "late_start": "the series starts after the first month of the panel (a new segment)",
    "short_history": "fewer than 24 months: no seasonality, wider intervals",
    "too_short": "fewer than 3 months: the mean, with an uncalibrated wide interval",
    "all_zero": "no sales at all: forecast 0",
    "discontinued": "no sales in the last 12 months (a segment that disappeared): forecast 0",
    "constant": "the same value every month: forecast that value",
    "intermittent": "many months without sales: Croston or seasonal naive, bootstrap paths",
    "outliers_replaced": "isolated extreme months replaced by trend + season for fitting",
    "model_failed": "a candidate model failed for this series; the others were used",
    "failed": "the series could not be forecast; seasonal naive fallback",
    "uncalibrated_intervals": "too few backtest errors to calibrate the intervals",
}

# Levels of the forecast output; bottom series carry the level name given by the caller.
COMPANY_LEVEL = "company"
COMPANY_ID = "company"


class InputError(ValueError):
    """A frame passed to ``forecasts`` breaks the data contract; the message says where."""


def join_flags(flags: set[str] | frozenset[str]) -> str:
    """Return ``flags`` comma-separated in the order of ``FLAGS`` (empty string for none)."""
    unknown = set(flags) - FLAGS.keys()
    if unknown:
        raise ValueError(f"Unknown flags {sorted(unknown)}")
    return ",".join(flag for flag in FLAGS if flag in flags)


def node_path(keys: Sequence[str], values: Sequence[object]) -> str:
    """Return the node path ``key=value/...`` of a hierarchy node (``company`` for the root)."""
    if not keys:
        return COMPANY_ID
    return "/".join(f"{key}={value}" for key, value in zip(keys, values, strict=True))


def validate_history(
    df: pd.DataFrame,
    *,
    hierarchy: Sequence[str] = (),
    id_col: str = ID_COL,
    time_col: str = TIME_COL,
    target_col: str = TARGET_COL,
    name: str = "history",
) -> pd.DataFrame:
    """Check a long history frame and return it normalised.

    Args:
        df: One row per series and month.
        hierarchy: Key columns of each series, top-down (``region, product_line, channel``).
            When ``id_col`` is absent, the id is built from them as a node path
            (``region=EAST/product_line=CLOUD/channel=direct``).
        id_col: Series id column.
        time_col: Month column (any date in the month).
        target_col: Value column.
        name: How error messages call the frame.

    Returns:
        Columns ``unique_id``, the hierarchy keys (as strings), ``ds`` (first day of the month,
        ``datetime64[ns]``) and ``y`` (``float64``, NaN where missing or infinite), sorted by
        id and month. Duplicate months are kept (the engine sums and flags them).

    Raises:
        InputError: naming the row, column and value of the first offending cell.
    """
    required = [time_col, target_col, *hierarchy] + ([] if hierarchy else [id_col])
    missing = [column for column in required if column not in df.columns]
    if missing:
        raise InputError(
            f"{name}: missing column(s) {missing}; expected {required} "
            f"(columns: {list(df.columns)})"
        )
    for key in hierarchy:
        _require_no_nulls(df, key, name)
    if id_col in df.columns:
        _require_no_nulls(df, id_col, name)
        ids = df[id_col].astype(str)
    else:
        # One node path per key combination, not per row.
        codes, combinations = pd.MultiIndex.from_frame(df[list(hierarchy)].astype(str)).factorize()
        paths = np.array([node_path(hierarchy, values) for values in combinations], dtype=object)
        ids = pd.Series(paths[codes], index=df.index, dtype=object)

    months = pd.to_datetime(df[time_col], errors="coerce")
    bad = months.isna()
    if bad.any():
        row = bad.idxmax()
        raise InputError(
            f"{name}: row {row}, column {time_col!r}: value {df.at[row, time_col]!r} is not a date"
        )
    if getattr(months.dt, "tz", None) is not None:
        months = months.dt.tz_localize(None)
    months = months.dt.to_period("M").dt.to_timestamp()

    values = pd.to_numeric(df[target_col], errors="coerce").astype(np.float64)
    bad = values.isna() & df[target_col].notna()
    if bad.any():
        row = bad.idxmax()
        raise InputError(
            f"{name}: row {row}, column {target_col!r}: value {df.at[row, target_col]!r} "
            "is not a number"
        )
    values = values.where(np.isfinite(values))

    out = pd.DataFrame({ID_COL: ids.to_numpy(dtype=object)}, index=df.index)
    for key in hierarchy:
        out[key] = df[key].astype(str)
    out[TIME_COL] = months.to_numpy(dtype="datetime64[ns]")
    out[TARGET_COL] = values.to_numpy()
    if hierarchy:
        keys_per_id = out.drop_duplicates([ID_COL, *hierarchy]).groupby(ID_COL).size()
        clash = keys_per_id[keys_per_id > 1]
        if not clash.empty:
            raise InputError(
                f"{name}: series {clash.index[0]!r} has more than one combination of "
                f"{list(hierarchy)}; an id must name exactly one hierarchy node"
            )
    return out.sort_values([ID_COL, TIME_COL], kind="mergesort").reset_index(drop=True)


def _require_no_nulls(df: pd.DataFrame, column: str, name: str) -> None:
    nulls = df[column].isna()
    if nulls.any():
        row = nulls.idxmax()
        raise InputError(
            f"{name}: row {row}, column {column!r}: value is missing; every series needs its "
            f"{column} (map NULLs to an explicit placeholder before forecasting)"
        )
