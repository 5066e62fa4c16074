import numpy as np
import pandas as pd

from forecasts import selection
from forecasts.config import ForecastConfig
from forecasts.prepare import month_index, prepare_panel
from forecasts.schemas import validate_history
from forecasts.selection import ENSEMBLE, run_series

CONFIG = ForecastConfig(spring_festival=False)


def _series(values: np.ndarray, start: str = "2020-01"):
    months = pd.date_range(start, periods=len(values), freq="MS")
    frame = pd.DataFrame({"unique_id": "s", "ds": months, "y": values})
    return prepare_panel(validate_history(frame), months[-1].to_datetime64())[0]


def _origin(month: str) -> int:
    return month_index(np.datetime64(month, "M"))


def test_a_regular_series_runs_every_ensemble_member_at_every_origin(sales) -> None:
    series = _series(sales(60, seed=4)["y"].to_numpy())

    result = run_series(
        series, [_origin("2023-07"), _origin("2024-01")], _origin("2025-01"), 12, CONFIG
    )

    for origin in result.origins:
        assert origin.regime == "regular"
        assert set(origin.forecasts) == {"prophet", "theta", "seasonal_naive"}
        assert origin.selected == ENSEMBLE
        assert all(len(f) == 12 and (f >= 0).all() for f in origin.forecasts.values())


def test_a_failing_model_is_reported_and_the_others_carry_on(monkeypatch, sales) -> None:
    def broken(history: np.ndarray, horizon: int) -> np.ndarray:
        raise RuntimeError("theta exploded")

    monkeypatch.setattr(selection.challengers, "theta", broken)
    series = _series(sales(40, seed=6)["y"].to_numpy())

    result = run_series(series, [], _origin("2023-05"), 6, CONFIG)

    final = result.origins[0]
    assert "model_failed" in final.flags
    assert final.failures[0][0] == "theta"
    assert "theta exploded" in final.failures[0][1]
    assert set(final.forecasts) == {"prophet", "seasonal_naive"}
    assert final.selected == ENSEMBLE


def test_a_series_whose_pipeline_breaks_falls_back_to_seasonal_naive(monkeypatch) -> None:
    def broken(values: np.ndarray):
        raise ValueError("unexpected data")

    monkeypatch.setattr(selection, "classify", broken)
    series = _series(np.arange(1.0, 31.0))

    final = run_series(series, [], _origin("2022-07"), 3, CONFIG).origins[0]

    assert final.flags == {"failed"}
    assert final.selected == "seasonal_naive"
    np.testing.assert_array_equal(final.engine, np.arange(19.0, 22.0))


def test_intermittent_series_choose_between_croston_and_seasonal_naive() -> None:
    series = _series(np.tile([0.0, 0.0, 9.0, 0.0], 10))

    result = run_series(
        series, [_origin("2022-01"), _origin("2022-07")], _origin("2023-05"), 6, CONFIG
    )

    assert {o.regime for o in result.origins} == {"intermittent"}
    assert result.origins[-1].selected in ("croston_sba", "seasonal_naive")
    assert "prophet" not in result.origins[-1].forecasts


def test_an_origin_before_the_series_started_has_no_result() -> None:
    series = _series(np.arange(1.0, 13.0), start="2024-01")

    result = run_series(series, [_origin("2023-06")], _origin("2025-01"), 3, CONFIG)

    assert result.origins[0] is None
    assert result.origins[1] is not None
