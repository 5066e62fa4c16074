import numpy as np
import pandas as pd
import pytest

from forecasts.ensemble import apply_weights, pooled_weights
from forecasts.prepare import LogScale, Series, month_index
from forecasts.selection import ENSEMBLE, OriginResult, SeriesResult

START = np.datetime64("2023-01-01", "ns")


def _origin(month: str) -> int:
    return month_index(np.datetime64(month, "M"))


def _result(observed: np.ndarray, past: dict[str, np.ndarray]) -> SeriesResult:
    """A series with one past origin (2024-01, 6 months forecast) and a current one (2024-07)."""
    series = Series("s", START, observed.copy(), observed.copy(), frozenset())

    def origin(month: str, forecasts: dict[str, np.ndarray]) -> OriginResult:
        return OriginResult(
            origin=_origin(month),
            regime="regular",
            flags=set(),
            log_scale=LogScale(1.0),
            error_scale=0.1,
            mase_scale=1.0,
            forecasts=forecasts,
            selected=ENSEMBLE,
        )

    current = {name: np.full(6, 10.0) for name in past}
    return SeriesResult(series, [origin("2024-01", past), origin("2024-07", current)])


def test_without_past_errors_the_members_weigh_the_same() -> None:
    result = _result(np.full(24, 10.0), {})
    result.origins[1].forecasts = {"prophet": np.ones(6)}

    assert pooled_weights([result], 0, power=8) == pytest.approx(
        {"prophet": 1 / 3, "theta": 1 / 3, "seasonal_naive": 1 / 3}
    )


def test_weights_fall_with_the_power_of_each_models_pooled_scaled_error() -> None:
    actual = np.full(24, 10.0)
    past = {
        "prophet": np.full(6, 11.0),  # error 1.0 a month
        "theta": np.full(6, 8.9),  # 1.1
        "seasonal_naive": np.full(6, 11.25),  # 1.25
    }

    weights = pooled_weights([_result(actual, past)], 1, power=8)

    raw = np.array([1.0, 1.1, 1.25]) ** -8.0
    assert list(weights.values()) == pytest.approx(list(raw / raw.sum()))
    assert weights["theta"] / weights["prophet"] == pytest.approx(0.4665, abs=1e-4)


def test_weights_only_use_months_known_at_the_origin() -> None:
    past = {name: np.r_[np.full(6, 11.0), np.full(6, 11.0)] for name in ("prophet", "theta")}
    past["seasonal_naive"] = np.r_[np.full(6, 12.0), np.full(6, 10.0)]
    calm, shocked = np.full(24, 10.0), np.full(24, 10.0)
    shocked[18:] = 1000.0  # 2024-07 onwards: forecast at 2024-01, not yet known at 2024-07

    before = pooled_weights([_result(calm, past)], 1, power=2)
    after = pooled_weights([_result(shocked, past)], 1, power=2)

    assert before == after
    assert before["seasonal_naive"] < before["prophet"]


def test_the_ensemble_is_the_weighted_sum_of_the_members_that_ran() -> None:
    result = _result(np.full(24, 10.0), {})
    current = result.origins[1]
    current.forecasts = {"prophet": np.full(6, 10.0), "seasonal_naive": np.full(6, 20.0)}

    apply_weights(current, {"prophet": 0.5, "theta": 0.25, "seasonal_naive": 0.25})

    assert current.weights == pytest.approx({"prophet": 2 / 3, "seasonal_naive": 1 / 3})
    np.testing.assert_allclose(current.engine, np.full(6, 40 / 3))
    assert current.model == "ensemble(prophet 67%, seasonal_naive 33%)"


def test_series_of_other_regimes_keep_their_own_choice() -> None:
    result = _result(np.full(24, 10.0), {})
    current = result.origins[1]
    current.regime, current.selected = "intermittent", "croston_sba"
    current.forecasts = {"croston_sba": np.ones(6), "seasonal_naive": np.zeros(6)}

    apply_weights(current, {"prophet": 1.0, "theta": 0.0, "seasonal_naive": 0.0})

    assert current.selected == "croston_sba"
    assert ENSEMBLE not in current.forecasts
    pd.testing.assert_series_equal(pd.Series(current.engine), pd.Series(np.ones(6)))
