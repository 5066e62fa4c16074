"""Small seeded monthly series for the forecasts tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from salesplan.spring_festival import slowdown_share


def seasonal_sales(
    months: int,
    *,
    level: float = 1_000_000.0,
    growth: float = 0.08,
    noise: float = 0.1,
    seed: int = 0,
    start: str = "2020-01",
) -> pd.DataFrame:
    """One multiplicative monthly sales series: trend x Q4 peak x Spring Festival dip x noise."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=months, freq="MS")
    season = 1 + 0.3 * np.cos(2 * np.pi * (ds.month.to_numpy() - 12) / 12)
    festival = 1 - 0.5 * np.array([slowdown_share(d.year, d.month) for d in ds])
    trend = np.exp(growth * np.arange(months) / 12)
    y = level * trend * season * festival * rng.lognormal(0.0, noise, months)
    return pd.DataFrame({"ds": ds, "y": y})


def segment_panel(months: int = 48, seed: int = 1, start: str = "2021-01") -> pd.DataFrame:
    """Eight segments (2 regions x 2 product lines x 2 channels) of seasonal sales."""
    frames = []
    for number, (region, line, channel) in enumerate(
        (r, p, c)
        for r in ("EAST", "NORTH")
        for p in ("CLOUD", "ERP")
        for c in ("direct", "partner")
    ):
        frame = seasonal_sales(
            months,
            level=2e6 / (number + 1),
            noise=0.1 + 0.02 * number,
            seed=seed + number,
            start=start,
        )
        frames.append(frame.assign(region=region, product_line=line, channel=channel))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def sales() -> Callable[..., pd.DataFrame]:
    """The ``seasonal_sales`` generator."""
    return seasonal_sales


@pytest.fixture
def panel() -> pd.DataFrame:
    """Eight seasonal segments, 2021-01..2024-12 (48 months)."""
    return segment_panel()


@pytest.fixture(scope="session")
def segment_forecast() -> tuple[pd.DataFrame, object]:
    """The eight-segment panel and its forecast as of 2024-11 (the panel runs to 2024-12)."""
    import forecasts

    panel = segment_panel()
    result = forecasts.forecast(
        panel,
        "2024-11",
        hierarchy=["region", "product_line", "channel"],
        config=forecasts.ForecastConfig(n_paths=200),
    )
    return panel, result
