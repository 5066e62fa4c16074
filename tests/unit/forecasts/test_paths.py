import numpy as np
import pandas as pd
import pytest

from forecasts.paths import SamplePaths

IDS = np.array(["company", "a", "b"], dtype=object)
MONTHS = pd.to_datetime(["2025-01-01", "2025-02-01"]).to_numpy()
# values[node, path, month]: node n, path p, month m holds 100 n + 10 p + m.
VALUES = (
    100 * np.arange(3)[:, None, None] + 10 * np.arange(4)[None, :, None] + np.arange(2)
).astype(float)


def _long(rows: list[tuple[str, int]]) -> pd.DataFrame:
    """The long frame written out row by row: node, then path, then month."""
    return pd.DataFrame(
        [
            (node, MONTHS[month], path, VALUES[list(IDS).index(node), path, month])
            for node, n_paths in rows
            for path in range(n_paths)
            for month in range(2)
        ],
        columns=["unique_id", "ds", "path", "y"],
    )


def test_the_frame_has_one_row_per_node_path_and_month() -> None:
    frame = SamplePaths(IDS, MONTHS, VALUES).frame()

    expected = _long([("company", 4), ("a", 4), ("b", 4)])
    pd.testing.assert_frame_equal(frame.astype({"unique_id": object}), expected)
    assert list(frame["unique_id"].cat.categories) == ["company", "a", "b"]


def test_the_frame_of_some_nodes_and_paths_is_that_part_of_the_full_frame() -> None:
    paths = SamplePaths(IDS, MONTHS, VALUES)

    frame = paths.frame(nodes=["b", "company"], max_paths=2)

    full = paths.frame()
    part = full[full["unique_id"].isin(["b", "company"]) & (full["path"] < 2)]
    expected = part.reset_index(drop=True).astype({"unique_id": object})
    pd.testing.assert_frame_equal(frame.astype({"unique_id": object}), expected)
    assert list(frame["unique_id"].cat.categories) == ["company", "b"]
    assert len(paths.frame(max_paths=10)) == len(full)


def test_a_node_without_paths_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="north"):
        SamplePaths(IDS, MONTHS, VALUES).frame(nodes=["a", "north"])


def test_renamed_paths_name_the_frame_columns() -> None:
    frame = SamplePaths(IDS, MONTHS, VALUES).renamed("series", "month").frame(max_paths=1)

    assert list(frame.columns) == ["series", "month", "path", "y"]


def test_values_must_be_nodes_by_paths_by_months() -> None:
    with pytest.raises(ValueError, match="nodes, paths, months"):
        SamplePaths(IDS, MONTHS, VALUES[:, :, :1])


def test_empty_paths_give_an_empty_frame() -> None:
    frame = SamplePaths.empty().frame()

    assert frame.empty
    assert list(frame.columns) == ["unique_id", "ds", "path", "y"]
