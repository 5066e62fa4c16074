"""Checks of a forecast version, run on the rows read back from the warehouse.

* ``forecast_monthly``: ``coherent`` (every parent's forecast is the exact sum of its
  bottom-level segments, per metric and month) and ``valid_intervals`` (non-negative, and
  ``lower_95 <= lower_80 <= yhat <= upper_80 <= upper_95``);
* ``forecast_paths``: ``coherent`` (every parent path is the exact sum of its segments' paths).

All are blocking: planning must not divide targets by an incoherent forecast.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import numpy as np
import pandas as pd

CHECKS = {
    "forecast_monthly": ("coherent", "valid_intervals"),
    "forecast_paths": ("coherent",),
}
_DESCRIPTIONS = {
    ("forecast_monthly", "coherent"): "Every parent forecast is the exact sum of its segments.",
    ("forecast_monthly", "valid_intervals"): "Forecasts and interval bounds are non-negative "
    "and nested: lower_95 <= lower_80 <= yhat <= upper_80 <= upper_95.",
    ("forecast_paths", "coherent"): "Every parent sample path is the exact sum of its "
    "segments' paths, month by month.",
}


def check_specs() -> list[dg.AssetCheckSpec]:
    """Every check of the forecast tables."""
    return [
        dg.AssetCheckSpec(
            name,
            asset=dg.AssetKey(table),
            blocking=True,
            description=_DESCRIPTIONS[(table, name)],
        )
        for table, names in CHECKS.items()
        for name in names
    ]


def coherent(
    frame: pd.DataFrame, keys: Sequence[str], value: str, by: Sequence[str], table: str
) -> dg.AssetCheckResult:
    """Compare every parent row with the sum of the bottom rows it covers.

    Args:
        frame: Rows with ``level``, the hierarchy ``keys`` (NULL where aggregated), ``value``
            and the ``by`` columns (for example ``metric, month``).
        keys: The hierarchy keys; bottom rows have all of them.
        value: The summed column.
        by: Columns that must match between a parent and its segments.
        table: The checked table.
    """
    bottom = frame.dropna(subset=list(keys))
    mismatches, compared = 0, 0
    worst: dict[str, object] = {}
    for level, rows in frame[frame[list(keys)].isna().any(axis=1)].groupby("level"):
        level_keys = [key for key in keys if rows[key].notna().all()]
        sums = bottom.groupby([*by, *level_keys])[value].sum().round(2)
        parents = rows.set_index([*by, *level_keys])[value].round(2)
        joined = parents.to_frame("parent").join(sums.rename("segments"), how="left")
        differs = ~np.isclose(
            joined["parent"], joined["segments"].fillna(np.nan), rtol=0, atol=1e-6
        )
        compared += len(joined)
        mismatches += int(differs.sum())
        if differs.any() and not worst:
            index = joined.index[differs.to_numpy()][0]
            worst = {"level": level, "at": str(index), **joined[differs].iloc[0].to_dict()}
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(table),
        check_name="coherent",
        passed=mismatches == 0 and compared > 0,
        metadata={"parents_compared": compared, "mismatches": mismatches, "first": str(worst)},
    )


def valid_intervals(frame: pd.DataFrame) -> dg.AssetCheckResult:
    """Check non-negativity and nesting of the forecast and its bounds."""
    ordered = ["yhat_lower_95", "yhat_lower_80", "yhat", "yhat_upper_80", "yhat_upper_95"]
    values = frame[ordered].astype(float).to_numpy()
    negative = int((values < 0).any(axis=1).sum())
    unordered = int((np.diff(values, axis=1) < -1e-9).any(axis=1).sum())
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey("forecast_monthly"),
        check_name="valid_intervals",
        passed=negative == 0 and unordered == 0,
        metadata={"rows": len(frame), "negative_rows": negative, "unordered_rows": unordered},
    )
