import numpy as np
import pandas as pd
import pytest

from forecasts.metrics import accuracy_table, model_scores, point_measures


def _rows(y: list[float], yhat: list[float], scale: float = 2.0, **extra) -> pd.DataFrame:
    n = len(y)
    frame = pd.DataFrame(
        {
            "unique_id": "a",
            "y": y,
            "yhat": yhat,
            "scale": scale,
            "yhat_lower_80": [v - 1 for v in yhat],
            "yhat_upper_80": [v + 1 for v in yhat],
            "yhat_lower_95": [v - 3 for v in yhat],
            "yhat_upper_95": [v + 3 for v in yhat],
            "horizon": np.arange(1, n + 1),
        }
    )
    return frame.assign(**extra)


def test_each_measure_follows_its_definition_on_a_worked_example() -> None:
    # errors: +2, -1, +0.5 and one month with y = 0 (excluded from MAPE only)
    frame = _rows(y=[10.0, 4.0, 0.0, 5.0], yhat=[12.0, 3.0, 0.0, 5.5])

    result = point_measures(frame, ["unique_id"]).iloc[0]

    assert result["mape"] == pytest.approx((0.2 + 0.25 + 0.1) / 3)
    assert result["wape"] == pytest.approx(3.5 / 19)
    assert result["mase"] == pytest.approx(3.5 / 2 / 4)
    assert result["bias"] == pytest.approx(1.5 / 19)
    assert result["coverage_80"] == pytest.approx(0.75)  # the +2 error is outside +-1
    assert result["coverage_95"] == 1.0
    assert result["sample_size"] == 4


def test_months_without_actuals_are_not_scored() -> None:
    frame = _rows(y=[10.0, np.nan], yhat=[11.0, 50.0])

    assert point_measures(frame, ["unique_id"]).iloc[0]["wape"] == pytest.approx(0.1)


def test_the_accuracy_table_sets_the_model_next_to_the_baseline_per_horizon_and_pooled() -> None:
    engine = _rows(y=[10.0, 10.0], yhat=[11.0, 12.0], model="engine")
    baseline = _rows(y=[10.0, 10.0], yhat=[14.0, 14.0], model="seasonal_naive")
    backtest = pd.concat([engine, baseline]).assign(level="segment", scored=True)
    warm_up = engine.assign(level="segment", scored=False, yhat=1000.0)

    table = accuracy_table(pd.concat([backtest, warm_up]))

    wape = table[table["measure"] == "wape"].set_index("horizon")
    assert wape.loc[1, "value"] == pytest.approx(0.1)
    assert wape.loc[1, "baseline_value"] == pytest.approx(0.4)
    pooled = wape[wape.index.isna()].iloc[0]
    assert pooled["value"] == pytest.approx(0.15)
    assert pooled["sample_size"] == 2
    assert set(table["measure"]) == {"mape", "wape", "mase", "bias", "coverage_80", "coverage_95"}


def test_model_scores_compare_models_on_the_same_points_only() -> None:
    common = {
        "unique_id": "a",
        "cutoff": pd.Timestamp("2025-01-01"),
        "scored": True,
        "bottom": True,
    }
    rows = pd.DataFrame(
        [
            {**common, "ds": pd.Timestamp("2025-01-01"), "model": "engine", "y": 10, "yhat": 11},
            {**common, "ds": pd.Timestamp("2025-01-01"), "model": "prophet", "y": 10, "yhat": 13},
            # prophet has no forecast for February: February is left out for both
            {**common, "ds": pd.Timestamp("2025-02-01"), "model": "engine", "y": 10, "yhat": 30},
        ]
    ).assign(scale=1.0)

    scores = model_scores(rows, models=("engine", "prophet")).set_index("model")

    assert scores.loc["engine", "mase"] == 1.0
    assert scores.loc["prophet", "mase"] == 3.0
    assert scores["points"].tolist() == [1, 1]
