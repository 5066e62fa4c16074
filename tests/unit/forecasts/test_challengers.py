import numpy as np
import pytest
from statsmodels.tsa.seasonal import seasonal_decompose

from forecasts.challengers import croston_sba, seasonal_indices, seasonal_naive, theta


def test_seasonal_naive_repeats_the_last_twelve_months() -> None:
    history = np.arange(24.0)

    np.testing.assert_array_equal(seasonal_naive(history, 14), np.r_[np.arange(12, 24.0), 12, 13])


def test_seasonal_naive_repeats_the_last_value_with_less_than_a_year() -> None:
    np.testing.assert_array_equal(seasonal_naive(np.array([1.0, 5.0]), 3), [5.0, 5.0, 5.0])


def test_seasonal_naive_needs_an_observation() -> None:
    with pytest.raises(ValueError, match="at least one"):
        seasonal_naive(np.array([]), 3)


def test_theta_follows_a_steady_trend() -> None:
    forecast = theta(np.linspace(1.0, 4.0, 36), 6)

    assert np.all(np.diff(forecast) > 0)
    assert forecast[0] == pytest.approx(4.0, abs=0.3)


def test_croston_forecasts_the_average_demand_rate_of_intermittent_sales() -> None:
    history = np.tile([0.0, 0.0, 6.0], 12)

    forecast = croston_sba(history, 4)

    assert np.allclose(forecast, forecast[0])
    assert 1.0 < forecast[0] < 3.0  # 6 every third month is 2 a month, minus SBA's 5%


def test_seasonal_indices_equal_the_classical_decomposition_of_statsmodels() -> None:
    rng = np.random.default_rng(2)
    history = 0.02 * np.arange(40) + np.sin(np.arange(40) * np.pi / 6) + rng.normal(0, 0.1, 40)

    expected = seasonal_decompose(history, model="additive", period=12).seasonal

    np.testing.assert_allclose(seasonal_indices(history), expected, atol=1e-12)


def test_theta_keeps_the_seasonal_pattern_of_two_noisy_trending_years() -> None:
    rng = np.random.default_rng(3)
    pattern = np.tile([0, 0.1, 0.3, 0.5, 0.4, 0.2, -0.1, -0.3, -0.2, 0, 0.1, -0.2], 4)
    history = 2 + 0.02 * np.arange(30) + pattern[:30] + rng.normal(0, 0.1, 30)

    forecast = theta(history, 12)

    assert np.corrcoef(forecast, pattern[30:42])[0, 1] > 0.8
