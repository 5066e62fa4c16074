"""The engine of a forecast run: run config, else SALESPLAN_FORECAST_ENGINE, else local."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.defs.forecasts.assets import ENGINE_ENV, forecast_engine


def test_without_config_or_environment_the_run_is_local() -> None:
    assert forecast_engine(None, {}) == "local"


def test_the_environment_selects_spark_for_every_run() -> None:
    assert forecast_engine(None, {ENGINE_ENV: "spark"}) == "spark"


def test_the_run_config_wins_over_the_environment() -> None:
    assert forecast_engine("local", {ENGINE_ENV: "spark"}) == "local"


def test_the_setting_is_read_case_and_space_insensitively() -> None:
    assert forecast_engine(None, {ENGINE_ENV: " Spark "}) == "spark"


def test_an_unknown_engine_fails_the_run_naming_the_setting() -> None:
    with pytest.raises(dg.Failure, match=ENGINE_ENV):
        forecast_engine(None, {ENGINE_ENV: "dask"})
