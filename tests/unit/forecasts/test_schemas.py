import numpy as np
import pandas as pd
import pytest

from forecasts.schemas import FLAGS, InputError, join_flags, node_path, validate_history


def test_ids_are_built_as_node_paths_from_the_hierarchy_keys() -> None:
    frame = pd.DataFrame(
        {"region": ["EAST"], "channel": ["direct"], "ds": ["2024-03-15"], "y": [1.0]}
    )

    history = validate_history(frame, hierarchy=["region", "channel"])

    assert history["unique_id"].tolist() == ["region=EAST/channel=direct"]
    assert history["ds"].tolist() == [pd.Timestamp("2024-03-01")]


def test_an_unparseable_month_is_reported_with_its_row_column_and_value() -> None:
    frame = pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01", "Q3"], "y": [1, 2]})

    with pytest.raises(InputError, match=r"row 1, column 'ds': value 'Q3' is not a date"):
        validate_history(frame)


def test_a_non_numeric_value_is_reported_with_its_row_column_and_value() -> None:
    frame = pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01", "2024-02"], "y": [1, "n/a"]})

    with pytest.raises(InputError, match=r"row 1, column 'y': value 'n/a' is not a number"):
        validate_history(frame)


def test_a_missing_hierarchy_key_is_reported_with_its_row() -> None:
    frame = pd.DataFrame({"region": ["EAST", None], "ds": ["2024-01", "2024-02"], "y": [1, 2]})

    with pytest.raises(InputError, match=r"row 1, column 'region': value is missing"):
        validate_history(frame, hierarchy=["region"])


def test_missing_columns_are_named() -> None:
    with pytest.raises(InputError, match=r"missing column\(s\) \['y'\]"):
        validate_history(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01"]}))


def test_nan_and_infinite_values_are_kept_as_missing_not_rejected() -> None:
    frame = pd.DataFrame(
        {"unique_id": ["a"] * 3, "ds": ["2024-01", "2024-02", "2024-03"], "y": [1, np.nan, np.inf]}
    )

    history = validate_history(frame)

    assert history["y"].isna().tolist() == [False, True, True]


def test_an_id_with_two_hierarchy_positions_is_rejected() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "a"],
            "region": ["EAST", "NORTH"],
            "ds": ["2024-01", "2024-02"],
            "y": [1, 2],
        }
    )

    with pytest.raises(InputError, match="more than one combination"):
        validate_history(frame, hierarchy=["region"])


def test_flags_are_joined_in_vocabulary_order_and_unknown_flags_refused() -> None:
    assert join_flags({"short_history", "duplicate_months"}) == "duplicate_months,short_history"
    assert join_flags(set()) == ""
    assert set(FLAGS) >= {"all_zero", "discontinued", "intermittent", "too_short"}
    with pytest.raises(ValueError, match="Unknown flags"):
        join_flags({"bogus"})


def test_the_root_node_is_called_company() -> None:
    assert node_path((), ()) == "company"
    assert node_path(("region", "channel"), ("EAST", "direct")) == "region=EAST/channel=direct"
