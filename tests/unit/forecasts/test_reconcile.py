import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasts.reconcile import (
    Level,
    aggregate,
    aggregate_paths,
    default_levels,
    hierarchy_nodes,
    reconcile,
)

# The module (``forecasts.reconcile`` is also the name of its function).
reconcile_module = importlib.import_module("forecasts.reconcile")
HIERARCHY = ("region", "channel")
BOTTOM = pd.DataFrame(
    {
        "unique_id": ["EAST/direct", "EAST/partner", "NORTH/direct"],
        "region": ["EAST", "EAST", "NORTH"],
        "channel": ["direct", "partner", "direct"],
    }
)


def test_default_levels_are_the_company_every_prefix_and_the_bottom() -> None:
    levels = default_levels(("region", "product_line", "channel"))

    assert [level.name for level in levels] == [
        "company",
        "region",
        "region_product_line",
        "segment",
    ]
    assert levels[2].keys == ("region", "product_line")


def test_nodes_are_named_by_node_paths_with_null_keys_where_aggregated() -> None:
    nodes, summing = hierarchy_nodes(BOTTOM, HIERARCHY, default_levels(HIERARCHY))

    assert nodes["unique_id"].tolist() == [
        "company",
        "region=EAST",
        "region=NORTH",
        "EAST/direct",
        "EAST/partner",
        "NORTH/direct",
    ]
    assert nodes.loc[1, "channel"] is None
    np.testing.assert_array_equal(summing.toarray()[1], [1, 1, 0])
    np.testing.assert_array_equal(summing.toarray()[0], [1, 1, 1])


def test_levels_must_use_hierarchy_keys_and_include_the_bottom() -> None:
    with pytest.raises(ValueError, match="not in"):
        hierarchy_nodes(BOTTOM, HIERARCHY, [Level("x", ("country",)), Level("b", HIERARCHY)])
    with pytest.raises(ValueError, match="bottom"):
        hierarchy_nodes(BOTTOM, HIERARCHY, [Level("company", ())])


@settings(max_examples=50)
@given(
    arrays(np.float64, (3, 4, 2), elements=st.floats(0, 1e9, allow_subnormal=False)),
)
def test_every_parent_path_is_exactly_the_sum_of_its_children_to_the_cent(
    bottom: np.ndarray,
) -> None:
    _, summing = hierarchy_nodes(BOTTOM, HIERARCHY, default_levels(HIERARCHY))

    totals = aggregate(summing, bottom)

    cents = np.round(np.round(bottom, 2) * 100).astype(np.int64)
    expected = np.tensordot(summing.toarray().astype(np.int64), cents, axes=1)
    np.testing.assert_array_equal(np.round(totals * 100).astype(np.int64), expected)
    assert (totals >= 0).all()


def test_a_parent_of_an_unknown_child_is_unknown() -> None:
    _, summing = hierarchy_nodes(BOTTOM, HIERARCHY, default_levels(HIERARCHY))

    totals = aggregate(summing, np.array([[1.0], [np.nan], [2.0]]))

    assert np.isnan(totals[0, 0])
    assert np.isnan(totals[1, 0])
    assert totals[2, 0] == 2.0


def test_reconcile_sums_forecasts_and_paths_and_takes_intervals_from_summed_paths() -> None:
    months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    forecasts = BOTTOM.loc[BOTTOM.index.repeat(2)].assign(
        ds=np.tile(months, 3), yhat=[10.0, 11.0, 20.0, 21.0, 30.0, 31.0]
    )
    rng = np.random.default_rng(0)
    paths = pd.DataFrame(
        [
            (unique_id, month, path, float(rng.integers(0, 100)))
            for unique_id in BOTTOM["unique_id"]
            for path in range(50)
            for month in months
        ],
        columns=["unique_id", "ds", "path", "y"],
    )

    frame, all_paths = reconcile(forecasts, paths, HIERARCHY)

    company = frame[frame["unique_id"] == "company"]
    assert company["yhat"].tolist() == [60.0, 63.0]
    company_paths = all_paths[all_paths["unique_id"] == "company"].set_index(["path", "ds"])["y"]
    bottom_sum = paths.groupby(["path", "ds"])["y"].sum()
    pd.testing.assert_series_equal(company_paths, bottom_sum, check_names=False)
    january = company_paths.xs(months[0], level="ds")
    assert company["yhat_upper_95"].iloc[0] >= np.quantile(january, 0.95)
    assert (frame["yhat_lower_80"] <= frame["yhat"]).all()
    assert (frame["yhat"] <= frame["yhat_upper_80"]).all()


def _bottom_paths() -> np.ndarray:
    """Bottom paths (3 series, 7 paths, 2 months) with sub-cent parts, a -0.0 and a NaN."""
    values = np.random.default_rng(0).uniform(0, 1000, size=(3, 7, 2))
    values[0, 1, 0] = -0.0
    values[2, 5, 1] = np.nan
    return values


def _bits(values: np.ndarray) -> np.ndarray:
    return values.view(np.uint64)


@pytest.mark.parametrize("levels", [None, [Level("segment", HIERARCHY), Level("company", ())]])
def test_aggregate_paths_gives_aggregate_bit_for_bit_a_block_of_paths_at_a_time(
    levels, monkeypatch
) -> None:
    nodes, summing = hierarchy_nodes(BOTTOM, HIERARCHY, levels or default_levels(HIERARCHY))
    expected = aggregate(summing, _bottom_paths())
    # Blocks of two paths (7 paths: four blocks, the last one short).
    monkeypatch.setattr(reconcile_module, "PATH_BLOCK_BYTES", 2 * 3 * 2 * 8)

    # The bottom drawn into the node array's last rows, and the bottom as an array apart.
    in_place = np.zeros((len(nodes), 7, 2))
    in_place[len(nodes) - 3 :] = _bottom_paths()
    aggregate_paths(summing, in_place[len(nodes) - 3 :], in_place)
    apart = aggregate_paths(summing, _bottom_paths(), np.zeros((len(nodes), 7, 2)))

    np.testing.assert_array_equal(_bits(in_place), _bits(expected))
    np.testing.assert_array_equal(_bits(apart), _bits(expected))
    assert np.isnan(expected[nodes["unique_id"] == "company"][0, 5, 1])
