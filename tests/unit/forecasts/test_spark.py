"""The executor side of the Spark engine, without a JVM: one group in, one pickled result out.

The Spark job itself runs in tests/integration/spark; these tests pin what makes it give the
local engine's results: the group function rebuilds each series exactly (row order included)
and runs the same per-series function.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecasts import ForecastConfig
from forecasts.engine import _run_chunk
from forecasts.prepare import RawSeries, month_index, split_panel
from forecasts.schemas import validate_history
from forecasts.spark import _fit_group, _rows_frame, map_series

HIERARCHY = ["region", "product_line", "channel"]


@pytest.fixture
def raws(panel: pd.DataFrame) -> list[RawSeries]:
    history = validate_history(panel, hierarchy=HIERARCHY)
    series = split_panel(history, np.datetime64("2024-03"))
    # Duplicate months and an unknown month: the rows' order and NaN must survive the trip.
    first = series[0]
    series[0] = RawSeries(
        first.unique_id,
        np.r_[first.positions, first.positions[-1]],
        np.r_[first.values[:-1], np.nan, 1234.5],
        first.panel_start,
        first.end,
    )
    return series[:2]


def task_arguments() -> tuple[list[int], int, int, ForecastConfig]:
    origin = month_index(np.datetime64("2024-04"))
    return [origin - 18, origin - 12], origin, 12, ForecastConfig(spring_festival=False)


def test_a_group_gives_the_result_of_the_local_per_series_function(raws) -> None:
    rows = _rows_frame(raws)
    ids = [raw.unique_id for raw in raws]
    arguments = task_arguments()

    for number, raw in enumerate(raws):
        # Spark hands a group's rows over in no particular order.
        group = rows[rows["series"] == number].sample(frac=1.0, random_state=number)
        out = _fit_group(ids, raw.panel_start, raw.end, _run_chunk, arguments, group)

        assert out["series"].tolist() == [number]
        result = pickle.loads(out["result"].iloc[0])
        (expected,) = _run_chunk([raw], *arguments)
        assert result.series.unique_id == raw.unique_id
        np.testing.assert_array_equal(result.series.observed, expected.series.observed)
        assert result.series.flags == expected.series.flags
        for got, want in zip(result.origins, expected.origins, strict=True):
            assert (got is None) == (want is None)
            if got is not None:
                assert got.regime == want.regime
                assert got.forecasts.keys() == want.forecasts.keys()
                for name in want.forecasts:
                    np.testing.assert_array_equal(got.forecasts[name], want.forecasts[name])


def test_rows_carry_every_value_in_order_with_unknown_months_as_nan(raws) -> None:
    rows = _rows_frame(raws)

    first = rows[rows["series"] == 0]
    assert first["row"].tolist() == list(range(len(raws[0].positions)))
    np.testing.assert_array_equal(first["position"].to_numpy(), raws[0].positions)
    np.testing.assert_array_equal(first["value"].to_numpy(), raws[0].values)  # NaN == NaN here
    assert len(rows) == sum(len(raw.positions) for raw in raws)
    # The types of forecasts.spark.ROWS_SCHEMA, so Arrow converts without casting.
    assert rows.dtypes.to_dict() == {
        "series": np.dtype("int64"),
        "row": np.dtype("int64"),
        "position": np.dtype("int64"),
        "value": np.dtype("float64"),
    }


def test_series_of_different_panels_are_refused_before_spark_starts() -> None:
    one = RawSeries("a", np.array([600]), np.array([1.0]), 600, 610)
    other = RawSeries("b", np.array([600]), np.array([1.0]), 600, 611)

    with pytest.raises(ValueError, match="share panel_start and end"):
        map_series([one, other], _run_chunk, task_arguments())


def test_no_series_needs_no_spark() -> None:
    assert map_series([], _run_chunk, task_arguments()) == []


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine must be one of"):
        ForecastConfig(engine="gpu")
