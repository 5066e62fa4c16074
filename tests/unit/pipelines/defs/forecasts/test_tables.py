"""The forecast tables from a forecast result: only the stored paths become rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from forecasts import ForecastResult
from forecasts.paths import SamplePaths
from pipelines.defs.forecasts.tables import COLUMNS, published_frames


def _result() -> ForecastResult:
    months = pd.to_datetime(["2025-01-01", "2025-02-01"]).to_numpy()
    values = np.arange(2 * 5 * 2, dtype=float).reshape(2, 5, 2) + 0.25
    return ForecastResult(
        forecasts=pd.DataFrame(columns=list(COLUMNS["forecast_monthly"])),
        paths=SamplePaths(np.array(["company", "region=EAST"], dtype=object), months, values),
        backtest=pd.DataFrame(),
        accuracy=pd.DataFrame(columns=list(COLUMNS["forecast_accuracy"])),
        failures=pd.DataFrame(),
        calibration=None,
        as_of="2025-01",
        horizon=2,
    )


def test_the_paths_table_holds_the_first_stored_paths_of_every_node_and_month() -> None:
    result = _result()

    table = published_frames({"bookings": result}, dt.date(2025, 1, 1), 3)["forecast_paths"]

    full = result.paths.frame()
    kept = full[full["path"] < 3].reset_index(drop=True)
    assert list(table.columns) == list(COLUMNS["forecast_paths"])
    assert table["unique_id"].tolist() == kept["unique_id"].astype(str).tolist()
    assert table["month"].tolist() == pd.to_datetime(kept["ds"]).tolist()
    assert table["path"].tolist() == kept["path"].tolist()
    assert table["y"].tolist() == kept["y"].tolist()
    assert set(table["as_of_month"]) == {pd.Timestamp(2025, 1, 1)}
    assert set(table["metric"]) == {"bookings"}
    assert len(table) == 2 * 3 * 2
