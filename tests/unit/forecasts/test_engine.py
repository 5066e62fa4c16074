import datetime as dt

import numpy as np
import pandas as pd
import pytest

import forecasts
from forecasts import ForecastConfig, horizon_for
from forecasts.reconcile import Level

HIERARCHY = ["region", "product_line", "channel"]
CONFIG = ForecastConfig(n_paths=200)


@pytest.mark.parametrize(
    ("as_of", "fiscal_start", "minimum", "expected"),
    [
        ("2025-11", 1, 12, 12),  # two months left in the year, but at least 12
        ("2025-01", 1, 12, 12),
        ("2025-11", 1, 1, 2),  # November and December
        ("2025-11", 4, 1, 5),  # fiscal year April-March: November to March
        ("2025-04", 4, 1, 12),
        ("2025-03", 4, 1, 1),
    ],
)
def test_the_horizon_reaches_the_fiscal_year_end_and_the_minimum(
    as_of: str, fiscal_start: int, minimum: int, expected: int
) -> None:
    assert horizon_for(as_of, fiscal_start, minimum) == expected


def test_every_node_is_forecast_twelve_months_from_the_as_of_month(segment_forecast) -> None:
    _, result = segment_forecast

    frame = result.forecasts
    assert frame.groupby("unique_id").size().eq(12).all()
    assert frame["ds"].min() == pd.Timestamp("2024-11-01")
    assert frame["ds"].max() == pd.Timestamp("2025-10-01")
    assert frame.groupby("level")["unique_id"].nunique().to_dict() == {
        "company": 1,
        "region": 2,
        "region_product_line": 4,
        "segment": 8,
    }
    assert result.fitted_at == dt.datetime(2024, 11, 1)


def test_months_from_the_as_of_month_on_are_never_used(segment_forecast) -> None:
    panel, result = segment_forecast
    known = panel[panel["ds"] < "2024-11-01"]

    again = forecasts.forecast(known, "2024-11", hierarchy=HIERARCHY, config=CONFIG)

    pd.testing.assert_frame_equal(again.forecasts, result.forecasts)
    _assert_same_paths(again.paths, result.paths)


def test_parents_are_the_exact_sum_of_their_children_for_forecasts_and_paths(
    segment_forecast,
) -> None:
    _, result = segment_forecast
    frame, paths = result.forecasts, result.paths.frame()

    segments = frame[frame["level"] == "segment"]
    for key, level in (("region", "region"), (None, "company")):
        parents = frame[frame["level"] == level].set_index(["unique_id", "ds"])["yhat"]
        groups = [segments[key], segments["ds"]] if key else [segments["ds"]]
        sums = segments.groupby(groups)["yhat"].sum().round(2).to_numpy()
        np.testing.assert_allclose(parents.to_numpy(), sums, rtol=0, atol=1e-6)
    bottom_ids = set(segments["unique_id"])
    bottom = paths[paths["unique_id"].isin(bottom_ids)].groupby(["path", "ds"])["y"].sum()
    company = paths[paths["unique_id"] == "company"].set_index(["path", "ds"])["y"]
    np.testing.assert_allclose(company.sort_index(), bottom.sort_index().round(2), atol=1e-6)
    assert (paths["y"] >= 0).all()
    assert (frame["yhat_lower_95"] >= 0).all()


def test_intervals_nest_around_the_forecast(segment_forecast) -> None:
    _, result = segment_forecast
    f = result.forecasts

    assert (f["yhat_lower_95"] <= f["yhat_lower_80"]).all()
    assert (f["yhat_lower_80"] <= f["yhat"]).all()
    assert (f["yhat"] <= f["yhat_upper_80"]).all()
    assert (f["yhat_upper_80"] <= f["yhat_upper_95"]).all()


def test_the_same_input_and_seed_give_identical_results_and_another_seed_other_paths(
    segment_forecast,
) -> None:
    panel, result = segment_forecast

    again = forecasts.forecast(panel, "2024-11", hierarchy=HIERARCHY, config=CONFIG)
    reseeded = forecasts.forecast(
        panel, "2024-11", hierarchy=HIERARCHY, config=ForecastConfig(n_paths=200, seed=1)
    )

    for name in ("forecasts", "backtest", "accuracy"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name))
    _assert_same_paths(again.paths, result.paths)
    pd.testing.assert_series_equal(reseeded.forecasts["yhat"], result.forecasts["yhat"])
    assert not np.array_equal(reseeded.paths.values, result.paths.values)


def test_paths_are_an_array_per_node_in_the_order_of_the_forecasts(segment_forecast) -> None:
    _, result = segment_forecast
    paths = result.paths

    assert list(paths.ids) == list(result.forecasts["unique_id"].unique())
    np.testing.assert_array_equal(paths.months, np.sort(result.forecasts["ds"].unique()))
    assert paths.values.shape == (15, 200, 12)
    # A parent's paths are the sums of its segments', path by path, to the cent.
    rows = {node: row for row, node in enumerate(paths.ids)}
    east = [row for node, row in rows.items() if node.startswith("region=EAST/product_line=")]
    east = [row for row in east if paths.ids[row].count("/") == 2]  # the segments
    assert len(east) == 4
    np.testing.assert_array_equal(
        paths.values[rows["region=EAST"]], np.round(paths.values[east].sum(axis=0), 2)
    )


def test_the_paths_frame_of_some_nodes_and_paths_holds_their_rows_of_the_full_frame(
    segment_forecast,
) -> None:
    _, result = segment_forecast
    full = result.paths.frame()
    nodes = ["company", "region=NORTH/product_line=ERP/channel=partner"]

    part = result.paths.frame(nodes=nodes, max_paths=50)

    expected = full[full["unique_id"].isin(nodes) & (full["path"] < 50)]
    pd.testing.assert_frame_equal(
        part.astype({"unique_id": str}), expected.reset_index(drop=True).astype({"unique_id": str})
    )
    assert len(full) == 15 * 200 * 12


def test_the_accuracy_table_scores_every_node_against_seasonal_naive(segment_forecast) -> None:
    _, result = segment_forecast
    accuracy = result.accuracy

    assert set(accuracy["measure"]) == {
        "mape",
        "wape",
        "mase",
        "bias",
        "coverage_80",
        "coverage_95",
    }
    assert accuracy["unique_id"].nunique() == 15
    pooled = accuracy[accuracy["horizon"].isna() & (accuracy["measure"] == "wape")]
    assert pooled["value"].notna().all()
    assert pooled["baseline_value"].notna().all()
    assert set(accuracy["horizon"].dropna()) == set(range(1, 13))


def test_bad_series_are_flagged_and_forecast_never_negative_and_never_crash() -> None:
    months = pd.date_range("2021-01", "2024-12", freq="MS")
    good = 100 + 20 * np.sin(np.arange(len(months)) * np.pi / 6)
    rows = []

    def add(name: str, ds, y) -> None:
        rows.extend({"unique_id": name, "ds": d, "y": v} for d, v in zip(ds, y, strict=True))

    add("good", months, good)
    with_nan = good.copy()
    with_nan[[5, 20]] = np.nan
    add("nan", months, with_nan)
    add("negative", months, np.where(np.arange(len(months)) == 10, -50.0, good))
    add("duplicate", [*months, months[3]], [*good, 7.0])
    add("two_points", months[-2:], [5.0, 6.0])
    add("all_zero", months, np.zeros(len(months)))
    add("gaps", months[::2], good[::2])
    add("new_segment", months[-10:], good[-10:])
    add("discontinued", months[:30], good[:30])
    add("constant", months, np.full(len(months), 42.0))
    add("intermittent", months, np.where(np.arange(len(months)) % 3 == 0, 30.0, 0.0))

    result = forecasts.forecast(pd.DataFrame(rows), "2025-01", config=CONFIG)

    frame = result.forecasts.drop_duplicates("unique_id").set_index("unique_id")
    expected = {
        "nan": "missing_values",
        "negative": "negative_values",
        "duplicate": "duplicate_months",
        "two_points": "too_short",
        "all_zero": "all_zero",
        "gaps": "gaps_filled",
        "new_segment": "short_history",
        "discontinued": "discontinued",
        "constant": "constant",
        "intermittent": "intermittent",
    }
    for name, flag in expected.items():
        assert flag in frame.loc[name, "flags"].split(","), name
    assert frame.loc["all_zero", "model"] == frame.loc["discontinued", "model"] == "zero"
    assert np.isfinite(result.forecasts["yhat"]).all()
    assert (result.forecasts["yhat_lower_95"] >= 0).all()
    assert result.failures.empty
    assert result.forecasts.loc[result.forecasts["unique_id"] == "constant", "yhat"].eq(42).all()


def test_the_engine_is_at_least_as_accurate_as_the_best_single_model_it_evaluates(panel) -> None:
    # Choices at a cutoff use earlier cutoffs only; the first cutoff is a warm-up.
    backtest = forecasts.backtest(
        panel,
        ["2023-01", "2023-04", "2023-07", "2023-10", "2024-01"],
        12,
        hierarchy=HIERARCHY,
        config=CONFIG,
    )

    scores = forecasts.model_scores(backtest).set_index("model")

    singles = scores.drop(index="engine")
    assert scores.loc["engine", "mase"] <= singles["mase"].min()
    assert scores["points"].nunique() == 1  # every model scored on the same points


def test_calibrated_intervals_cover_about_their_level_on_unseen_months(sales) -> None:
    frames = [
        sales(60, level=1e6 * (1 + i), noise=0.1 + 0.01 * (i % 10), seed=100 + i).assign(
            unique_id=f"s{i:02d}"
        )
        for i in range(30)
    ]
    panel = pd.concat(frames, ignore_index=True)

    result = forecasts.forecast(panel, "2024-01", config=ForecastConfig(n_paths=500))

    merged = result.forecasts.merge(panel, on=["unique_id", "ds"], suffixes=("", "_actual"))
    inside_80 = merged["yhat_lower_80"].le(merged["y"]) & merged["y"].le(merged["yhat_upper_80"])
    inside_95 = merged["yhat_lower_95"].le(merged["y"]) & merged["y"].le(merged["yhat_upper_95"])
    assert len(merged) == 360
    assert 0.7 <= inside_80.mean() <= 0.92
    assert 0.87 <= inside_95.mean() <= 1.0


@pytest.mark.slow  # two spawned workers import statsforecast: 5-35 s on the shared machine
def test_two_worker_processes_give_exactly_the_one_process_result(segment_forecast) -> None:
    panel, result = segment_forecast

    with forecasts.worker_pool(2) as pool:
        parallel = forecasts.forecast(
            panel, "2024-11", hierarchy=HIERARCHY, config=CONFIG, executor=pool
        )

    for name in ("forecasts", "backtest", "accuracy", "failures"):
        pd.testing.assert_frame_equal(getattr(parallel, name), getattr(result, name))
    _assert_same_paths(parallel.paths, result.paths)


def _assert_same_paths(left: forecasts.SamplePaths, right: forecasts.SamplePaths) -> None:
    np.testing.assert_array_equal(left.ids, right.ids)
    np.testing.assert_array_equal(left.months, right.months)
    np.testing.assert_array_equal(left.values, right.values)


def test_the_bottom_level_may_come_first_and_keeps_its_models_and_labels(
    segment_forecast,
) -> None:
    panel, result = segment_forecast
    bottom_first = [Level("segment", HIERARCHY), Level("region", ("region",))]
    reordered = forecasts.forecast(
        panel, "2024-11", hierarchy=HIERARCHY, levels=bottom_first, config=CONFIG
    )

    def labels(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        wanted = frame[frame["level"].isin(["segment", "region"])]
        distinct = wanted[["unique_id", *columns]].drop_duplicates()
        return distinct.sort_values(["unique_id", *columns])

    for name, columns in (
        ("forecasts", ["model", "flags"]),
        ("backtest", ["model", "selected", "bottom"]),
    ):
        expected = labels(getattr(result, name), columns).reset_index(drop=True)
        found = labels(getattr(reordered, name), columns).reset_index(drop=True)
        pd.testing.assert_frame_equal(found, expected, obj=name)
    segments = reordered.forecasts[reordered.forecasts["level"] == "segment"]
    assert (segments["model"] != "bottom_up").all()
